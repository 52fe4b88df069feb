"""Intervals by kind: inside the quantity's range by construction, holding the mean."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from simulation.measures.intervals import (
    CORRELATION,
    FEW_RUNS,
    POSITIVE,
    UNIT,
    difference,
    interval,
    method_note,
)

RNG = np.random.default_rng(5)
SAMPLES = [RNG.poisson(2, 3), RNG.poisson(0.4, 4), RNG.exponential(5, 3), [0, 0, 9],
           [0, 0, 0, 3, 0, 1, 0, 0, 2, 0, 0, 5]]


@pytest.mark.parametrize("values", SAMPLES)
def test_positive_quantities_stay_positive(values):
    estimate = interval(values, POSITIVE)
    assert estimate.low >= 0 and estimate.low <= estimate.mean <= estimate.high
    assert estimate.mean == pytest.approx(np.mean(values))


@pytest.mark.parametrize("values", [[0.0, 0.1, 0.23], [0.98, 1.0, 0.9], [0.5, 0.7]])
def test_shares_stay_in_the_unit_interval(values):
    estimate = interval(values, UNIT)
    assert 0 < estimate.low <= estimate.mean <= estimate.high < 1
    assert "logit" in estimate.method


@pytest.mark.parametrize("values", [[-0.07, 0.5, -0.6], [-0.9, -0.1], [0.99, 0.2, 0.95]])
def test_correlations_stay_in_minus_one_to_one(values):
    estimate = interval(values, CORRELATION)
    assert -1 < estimate.low <= estimate.mean <= estimate.high < 1
    assert "Fisher's z" in estimate.method


def test_unbounded_is_students_t_and_equal_runs_give_a_point():
    values = [1.0, 2.0, 4.0]
    low, high = stats.t.interval(0.95, 2, loc=np.mean(values), scale=stats.sem(values))
    estimate = interval(values)
    assert (estimate.low, estimate.high) == pytest.approx((low, high))
    assert (interval([3, 3, 3], POSITIVE).low, interval([3, 3, 3], POSITIVE).high) == (3, 3)
    assert math.isnan(interval([5.0]).low) and interval([]).n == 0


def test_zero_laden_counts_from_ten_runs_are_bootstrapped():
    estimate = interval(SAMPLES[-1], POSITIVE)
    assert estimate.method.startswith("BCa bootstrap") and estimate.low >= 0


def test_coverage_of_a_count_interval_is_near_95_percent():
    """Poisson counts (mean 20), 5 runs, 400 repetitions: the interval holds the mean ~95%."""
    generator = np.random.default_rng(11)
    held = [interval(generator.poisson(20, 5), POSITIVE) for _ in range(400)]
    coverage = np.mean([e.low <= 20 <= e.high for e in held])
    assert 0.90 <= coverage <= 0.99


def test_paired_and_welch_differences_use_the_same_pairs():
    arm = np.array([10.0, 12.0, 9.0, np.nan, 14.0])
    reference = np.array([9.0, 11.5, 8.0, 7.0, 12.0])
    result = difference(arm, reference)
    assert result.pairs == 4
    both = ~np.isnan(arm)
    expected = stats.ttest_rel(arm[both], reference[both]).confidence_interval()
    assert (result.paired.low, result.paired.high) == pytest.approx((expected.low, expected.high))
    welch = stats.ttest_ind(arm[both], reference[both], equal_var=False).confidence_interval()
    assert (result.unpaired.low, result.unpaired.high) == pytest.approx((welch.low, welch.high))
    assert result.paired.high - result.paired.low < result.unpaired.high - result.unpaired.low


def test_few_runs_are_flagged_in_the_method_note():
    assert interval([1, 2, 3], POSITIVE).few and not interval(range(1, FEW_RUNS + 1)).few
    note = method_note([interval([1, 2, 3], POSITIVE), interval([0.1, 0.2, 0.3], UNIT)])
    assert "log scale" in note and "logit" in note and "Warning: only 3 runs" in note
    # A quantity defined in one run only (no interval) does not hide the warning.
    assert "Warning: only 3 runs" in method_note([interval([1, 2, 3], POSITIVE), interval([4.0])])
