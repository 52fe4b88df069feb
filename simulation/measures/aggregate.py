"""Across runs: every measure of several summaries, its mean and its interval.

A summary is flattened to its numeric leaves (``totals.likes``, ``brands.<name>.leads``...);
``aggregate.csv`` and ``aggregate.json`` of a folder of seeds hold one row per leaf
(:data:`COLUMNS`): the measure's path, label, unit and kind from the glossary, the number of
runs with a value, their mean and standard deviation, and the 95% interval of the mean with
the method that gave it (``intervals.py``: by the measure's kind, so that it never leaves
the measure's range). ``seed`` is not a measure and has no row.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from simulation.measures.glossary import NOT_MEASURES, Measure, UnknownMeasureError, describe
from simulation.measures.intervals import UNBOUNDED, interval

COLUMNS = ("measure", "label", "unit", "kind", "n", "mean", "sd", "ci_low", "ci_high", "method")
"""Columns of the aggregate table, in order."""


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


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`flatten`: {'brands.x.likes': 3.0} -> {'brands': {'x': {'likes': 3.0}}}."""
    nested: dict[str, Any] = {}
    for path, value in flat.items():
        node = nested
        *parents, leaf = str(path).split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested


def measure_of(path: str) -> Measure:
    """The glossary's entry for a path, or a plain one (its path as label, no bound) for a path
    the glossary does not know, so that an aggregate is never lost to a missing label (a test
    fails for such a path instead)."""
    try:
        return describe(path)
    except UnknownMeasureError:
        return Measure(path, path, "", "", "signed")


def row(path: str, values: np.ndarray | list[float]) -> dict[str, Any]:
    """One row of the aggregate table: a measure's values over runs, summarised."""
    measure = measure_of(path)
    array = np.asarray(values, dtype=np.float64)
    array = array[np.isfinite(array)]
    estimate = interval(array, measure.bounds if measure.kind else UNBOUNDED)
    return {"measure": path, "label": measure.label, "unit": measure.unit, "kind": measure.kind,
            "n": estimate.n, "mean": estimate.mean,
            "sd": float(array.std(ddof=1)) if len(array) > 1 else math.nan,
            "ci_low": estimate.low, "ci_high": estimate.high, "method": estimate.method}


def aggregate(summaries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and 95% interval across runs of every measure (one row per measure, in order)."""
    flats = [flatten(s) for s in summaries]
    keys = [key for key in dict.fromkeys(key for flat in flats for key in flat)
            if key not in NOT_MEASURES]
    return [row(key, [flat.get(key, math.nan) for flat in flats]) for key in keys]


def across_seed_rows(across: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """Rows of the aggregate table for across-seed measures: ``across_seeds.<path>``, the value
    as ``mean`` over ``n`` runs, no spread (a set of runs gives one value)."""
    rows = []
    for key, value in flatten(across, "across_seeds").items():
        measure = measure_of(key)
        rows.append({"measure": key, "label": measure.label, "unit": measure.unit,
                     "kind": measure.kind, "n": n, "mean": value, "sd": math.nan,
                     "ci_low": math.nan, "ci_high": math.nan,
                     "method": f"one value of the set of {n} runs"})
    return rows
