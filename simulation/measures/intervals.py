"""Intervals across runs that respect what a quantity can be: the one place they are computed.

Every interval of the project (``aggregate.csv``, the run figures and reports, a sweep's
``by_point`` and ``paired`` tables) comes from here. The values are one number per run
(seed or replicate); the interval is for their mean, at :data:`CONFIDENCE`, and is chosen
by the quantity's range, so that it cannot leave it:

- ``(-inf, inf)`` (differences, signed values): Student's t, ``scipy.stats.t``.
- ``[0, inf)`` (counts, money, ratios): t on the log scale by the delta method,
  ``log(mean) ± t · sd / (mean · sqrt(n))``, taken back with ``exp``: always positive,
  and wider above the mean than below, as a count's uncertainty is. With some runs at
  zero and at least :data:`BOOTSTRAP_MIN_RUNS` runs, the BCa bootstrap of the mean
  (``scipy.stats.bootstrap``), whose resampled means never leave ``[min, max]``.
- ``[a, b]`` (shares, rates, Gini): t on the logit scale of ``(x - a) / (b - a)``, the
  same delta method; for correlations (``[-1, 1]``) this is Fisher's z,
  ``atanh(mean) ± t · sd / ((1 - mean²) · sqrt(n))``, taken back with ``tanh``.

The delta method works on the mean itself, so the interval always holds the mean that is
reported beside it, and single runs at a bound (a brand with no lead in one seed, a share
of exactly 1) need no special case: only a mean on the bound would, and a mean can sit on a
bound only when every run does, which gives the interval ``[v, v]`` ("all runs equal").

Every interval carries the sentence of its ``method`` (written beside it in CSVs and
reports) and its ``n``; fewer than :data:`FEW_RUNS` runs is flagged (``few``), because a
t-interval on 3 runs multiplies the standard error by 4.3 and on 2 by 12.7.

Differences between paired arms are Student's paired t (``scipy.stats.ttest_rel``) and the
same difference from the same runs taken as independent samples is Welch's
(``scipy.stats.ttest_ind(equal_var=False)``); both unbounded, as a difference is.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
"""Confidence level of every interval."""

FEW_RUNS = 5
"""Below this many runs an interval is flagged: figures and reports warn about it."""

BOOTSTRAP_MIN_RUNS = 10
"""A positive quantity with runs at zero is bootstrapped from this many runs on (fewer
resamples than this have too few distinct means for a bootstrap to mean anything)."""

BOOTSTRAP_RESAMPLES = 9999

BOOTSTRAP_SEED = 20240615
"""The bootstrap's fixed seed: the same values give the same interval, on any machine."""

OUT_OF_RANGE = "values outside the range of their kind"
"""Part of the method of an interval whose values leave their declared range: the measure's
kind is wrong (a test checks that no shipped scenario has one); the plain t-interval is given
rather than losing the run's aggregate."""

Range = tuple[float, float]
"""The values a quantity can take, (low, high), with ``-inf``/``inf`` for no bound."""

UNBOUNDED: Range = (-math.inf, math.inf)
POSITIVE: Range = (0.0, math.inf)
UNIT: Range = (0.0, 1.0)
CORRELATION: Range = (-1.0, 1.0)


@dataclass(frozen=True)
class Interval:
    """The mean of ``n`` runs' values and its interval (NaN for fewer than 2), with its method."""

    mean: float
    low: float
    high: float
    n: int
    method: str

    @property
    def few(self) -> bool:
        """Fewer than :data:`FEW_RUNS` runs: the interval is wide and its coverage rough."""
        return self.n < FEW_RUNS

    @property
    def defined(self) -> bool:
        return math.isfinite(self.low) and math.isfinite(self.high)

    def __getitem__(self, key: str) -> float | int | str:
        """Also read as a row of an aggregate table: ``mean``, ``ci_low``, ``ci_high``, ``n``,
        ``method``."""
        return getattr(self, {"ci_low": "low", "ci_high": "high"}.get(key, key))


def _finite(values: Sequence[float] | np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64).ravel()
    return array[np.isfinite(array)]


@functools.lru_cache(maxsize=256)
def _t(n: int) -> float:
    """The t quantile of the interval of a mean of n values."""
    return float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1))


def interval(values: Sequence[float] | np.ndarray, bounds: Range = UNBOUNDED) -> Interval:
    """The mean of the finite ``values`` (one per run) and its interval inside ``bounds``."""
    array = _finite(values)
    n = len(array)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0, "no run has a value")
    mean = float(array.mean())
    if n == 1:
        return Interval(mean, math.nan, math.nan, 1, "one run: no interval")
    if np.all(array == array[0]):
        return Interval(mean, mean, mean, n, f"all {n} runs equal")
    low, high = bounds
    sd = float(array.std(ddof=1))
    se = sd / math.sqrt(n)
    t = _t(n)
    if not (low <= array.min() and array.max() <= high):  # a measure filed under a wrong kind
        return Interval(mean, mean - t * se, mean + t * se, n,
                        f"t-interval, {n} runs ({OUT_OF_RANGE} [{low:g}, {high:g}])")
    if math.isinf(low) and math.isinf(high):
        return Interval(mean, mean - t * se, mean + t * se, n, f"t-interval, {n} runs")
    if math.isinf(high):
        shifted = mean - low
        if np.any(array == low) and n >= BOOTSTRAP_MIN_RUNS:
            return _bootstrap(array, mean)
        spread = math.exp(t * se / shifted)
        return Interval(mean, low + shifted / spread, low + shifted * spread, n,
                        f"t-interval on the log scale, {n} runs")
    if math.isinf(low):  # bounded above only: the mirror image of a positive quantity
        mirrored = interval(high - array, POSITIVE)
        return Interval(mean, high - mirrored.high, high - mirrored.low, n, mirrored.method)
    width = high - low
    p = (mean - low) / width
    half = t * (se / width) / (p * (1 - p))
    centre = math.log(p / (1 - p))

    def to_range(z: float) -> float:
        return low + width / (1 + math.exp(-z))

    method = ("t-interval on Fisher's z scale" if (low, high) == CORRELATION
              else "t-interval on the logit scale")
    return Interval(mean, to_range(centre - half), to_range(centre + half), n,
                    f"{method}, {n} runs")


def _bootstrap(array: np.ndarray, mean: float) -> Interval:
    n = len(array)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # BCa warns on degenerate resamples; checked below
        result = stats.bootstrap((array,), np.mean, confidence_level=CONFIDENCE,
                                 n_resamples=BOOTSTRAP_RESAMPLES, method="BCa",
                                 rng=np.random.default_rng(BOOTSTRAP_SEED))
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    if not (math.isfinite(low) and math.isfinite(high)):  # pragma: no cover - degenerate data
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = stats.bootstrap((array,), np.mean, confidence_level=CONFIDENCE,
                                     n_resamples=BOOTSTRAP_RESAMPLES, method="percentile",
                                     rng=np.random.default_rng(BOOTSTRAP_SEED))
        low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
        return Interval(mean, low, high, n, f"percentile bootstrap, {n} runs")
    return Interval(mean, low, high, n, f"BCa bootstrap, {n} runs")


@dataclass(frozen=True)
class Difference:
    """Mean of arm minus reference, paired by run, and the same from the runs taken apart."""

    pairs: int
    arm_mean: float
    reference_mean: float
    difference: float
    sd: float
    paired: Interval
    """Student's paired t-interval of the mean difference over the pairs."""
    unpaired: Interval
    """Welch's interval of mean(arm) - mean(reference), the same runs as independent samples."""
    correlation: float
    """Pearson's correlation of the arms across pairs (what pairing gains); NaN if undefined."""


def difference(arm: Sequence[float] | np.ndarray, reference: Sequence[float] | np.ndarray,
               ) -> Difference:
    """Arm minus reference over runs paired by position; pairs with a missing value are left out.

    Both intervals are computed on the same pairs, so that their widths compare what
    pairing gains and nothing else.
    """
    a, r = np.asarray(arm, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    both = np.isfinite(a) & np.isfinite(r)
    a, r = a[both], r[both]
    n = len(a)
    d = a - r
    mean_d = float(d.mean()) if n else math.nan
    sd = float(d.std(ddof=1)) if n > 1 else math.nan
    nothing = Interval(mean_d, math.nan, math.nan, n,
                       "one pair: no interval" if n == 1 else "no pair has both values")
    if n < 2:
        return Difference(n, float(a.mean()) if n else math.nan,
                          float(r.mean()) if n else math.nan, mean_d, sd, nothing, nothing,
                          math.nan)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore")  # constant differences: scipy warns, the CI is NaN
        paired_ci = stats.ttest_rel(a, r).confidence_interval(CONFIDENCE)
        welch_ci = stats.ttest_ind(a, r, equal_var=False).confidence_interval(CONFIDENCE)
        correlation = (float(np.corrcoef(a, r)[0, 1]) if a.std() > 0 and r.std() > 0
                       else math.nan)
    if sd == 0:
        paired = Interval(mean_d, mean_d, mean_d, n, f"all {n} differences equal")
    else:
        paired = Interval(mean_d, float(paired_ci.low), float(paired_ci.high), n,
                          f"paired t-interval, {n} pairs")
    if a.std() == 0 and r.std() == 0:
        unpaired = Interval(mean_d, mean_d, mean_d, n, "both arms constant")
    else:
        unpaired = Interval(mean_d, float(welch_ci.low), float(welch_ci.high), n,
                            f"Welch t-interval, {n} + {n} runs")
    return Difference(n, float(a.mean()), float(r.mean()), mean_d, sd, paired, unpaired,
                      correlation)


def method_note(intervals: Sequence[Interval]) -> str:
    """One sentence naming the methods of some intervals, and a warning for few runs."""
    methods = sorted({i.method.split(",")[0] for i in intervals if i.defined and i.n > 1})
    # A quantity seen in one run only has no interval, so it does not hide the warning.
    smallest = min((i.n for i in intervals if i.n > 1), default=0)
    text = (f"{100 * CONFIDENCE:g}% intervals: " + "; ".join(methods) + "." if methods else "")
    if 1 < smallest < FEW_RUNS:
        text += (f" Warning: only {smallest} runs; intervals from fewer than {FEW_RUNS} runs "
                 "are wide and their coverage rough.")
    return text.strip()
