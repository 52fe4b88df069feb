"""Small statistics of arrays: ratios, inequality, rank correlation and overlap.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal, 1 = one holds all)."""
    values = np.sort(np.asarray(values, dtype=np.float64))
    n, total = len(values), values.sum()
    if n == 0 or total == 0:
        return math.nan
    cumulative = np.cumsum(values)
    return float((n + 1 - 2 * cumulative.sum() / total) / n)


def top_share(values: np.ndarray, fraction: float) -> float:
    """Share of the total held by the top ``fraction`` of items (at least one item)."""
    values = np.sort(np.asarray(values, dtype=np.float64))[::-1]
    total = values.sum()
    if len(values) == 0 or total == 0:
        return math.nan
    return float(values[: max(1, math.ceil(fraction * len(values)))].sum() / total)


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation; NaN when either side is constant or has < 3 items."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(stats.spearmanr(x, y).statistic)


def top_overlap(x: np.ndarray, y: np.ndarray, fraction: float = 0.1) -> float:
    """Jaccard overlap of the top ``fraction`` of items by ``x`` and by ``y`` (ties by order)."""
    n = len(x)
    if n == 0:
        return math.nan
    k = max(1, math.ceil(fraction * n))
    top_x = set(np.argsort(-np.asarray(x), kind="stable")[:k].tolist())
    top_y = set(np.argsort(-np.asarray(y), kind="stable")[:k].tolist())
    return len(top_x & top_y) / len(top_x | top_y)


def per(numerator: float, denominator: float, scale: float = 1.0) -> float:
    """numerator / denominator x scale, NaN when the denominator is zero."""
    return float(numerator) / float(denominator) * scale if denominator else math.nan


TOP_FRACTIONS = (0.1, 0.2)
"""Top-k shares are given for the top 10% and 20% of items (at least one item)."""


def share_measures(counts: np.ndarray, name: str) -> dict[str, float]:
    """Inequality of one event's counts across items (N,): ``<name>_gini`` and top-k shares."""
    singular = name[:-1]
    return {f"{name}_gini": gini(counts),
            **{f"top{round(100 * fraction)}_{singular}_share": top_share(counts, fraction)
               for fraction in TOP_FRACTIONS}}
