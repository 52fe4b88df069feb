"""Across runs: every numeric measure of several summaries, its mean and spread.

A summary is flattened to its numeric leaves (``totals.likes``, ``brands.<name>.leads``...);
``aggregate.csv`` and ``aggregate.json`` of a folder of seeds hold one row per leaf.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from scipy import stats


def flatten(summary: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a summary as {'totals.likes': 123.0, ...}."""
    flat: dict[str, float] = {}
    for key, value in summary.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(flatten(value, path))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int | float) and value is not None:
            flat[path] = float(value)
    return flat


def aggregate(summaries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and 95% t-interval across runs of every numeric measure (one row per measure)."""
    flats = [flatten(s) for s in summaries]
    keys = list(dict.fromkeys(key for flat in flats for key in flat))
    rows = []
    for key in keys:
        values = np.array([flat.get(key, math.nan) for flat in flats], dtype=np.float64)
        values = values[np.isfinite(values)]
        n = len(values)
        mean = float(values.mean()) if n else math.nan
        sd = float(values.std(ddof=1)) if n > 1 else math.nan
        half = float(stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)) if n > 1 else math.nan
        rows.append({"measure": key, "n": n, "mean": mean, "sd": sd,
                     "ci_low": mean - half if n > 1 else math.nan,
                     "ci_high": mean + half if n > 1 else math.nan})
    return rows


def across_seed_rows(across: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """Rows of the aggregate table for across-seed measures: ``across_seeds.<path>``, the value
    as ``mean`` over ``n`` runs, no spread (a set of runs gives one value)."""
    return [{"measure": key, "n": n, "mean": value, "sd": math.nan, "ci_low": math.nan,
             "ci_high": math.nan} for key, value in flatten(across, "across_seeds").items()]
