"""Measures, against values worked out by hand."""

import math

import numpy as np

from simulation.core.statistics import gini, per, spearman, top_overlap, top_share


def test_gini_known_values():
    assert gini(np.ones(10)) == 0.0
    # One of n holds everything: G = (n - 1) / n.
    assert np.isclose(gini(np.r_[np.zeros(9), 5.0]), 0.9)
    # Values 1, 2, 3: G = sum|xi - xj| / (2 n^2 mean) = 8 / (2 x 9 x 2) = 2/9.
    assert np.isclose(gini([1, 2, 3]), 2 / 9)
    assert math.isnan(gini(np.zeros(3)))


def test_top_share():
    assert np.isclose(top_share(np.arange(1, 11), 0.2), (10 + 9) / 55)
    assert np.isclose(top_share([5.0], 0.2), 1.0)


def test_spearman_and_overlap():
    assert np.isclose(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1.0)
    assert np.isclose(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1.0)
    assert math.isnan(spearman([1, 2, 3], [0, 0, 0]))
    likes = np.arange(20)
    assert top_overlap(likes, likes) == 1.0
    assert top_overlap(likes, -likes) == 0.0  # top 2 by likes vs top 2 by -likes


def test_per_handles_zero():
    assert per(3, 4, 1000) == 750.0
    assert math.isnan(per(1, 0))
