"""Size is a free choice: the baseline at 2 000 and 8 000 viewers is the same platform.

Three days of the baseline (tier budgets per viewer, the ranking prior scaled by the square
root of the size; docs/calibration.md, "Size"), seeds 1-3 at each size. The bound rejects
the rule before it: with a fixed prior the same runs differ by 0.033 (views Gini) and
0.031 (top-20% share) on average, the small platform less concentrated in every seed
(docs/calibration.md gives the ablation on the tuning seeds as well).
"""

import numpy as np
import pytest

from simulation.experiments.runs import simulate
from tests.support.scenarios import small_baseline

pytestmark = [pytest.mark.slow, pytest.mark.once]  # once: see pyproject.toml

SEEDS = (1, 2, 3)
SIZES = (2_000, 8_000)
MEASURES = ("views_gini", "top20_view_share")


@pytest.fixture(scope="module")
def inequality():
    """{size: (seeds, measures) array} of the baseline over three days."""
    return {size: np.array([[simulate(small_baseline(f"population.size={size}", "steps=72"),
                                      seed=seed).summary["inequality"][m] for m in MEASURES]
                            for seed in SEEDS])
            for size in SIZES}


def test_views_concentrate_alike_at_both_sizes(inequality):
    # Measured: 0.001 (Gini) and 0.002 (top-20% share), 0.007 and 0.007 on tuning seeds 101-106;
    # the bound is 0.05.
    gap = np.abs(inequality[SIZES[0]] - inequality[SIZES[1]]).mean(axis=0)
    assert (gap < 0.02).all(), gap
