"""Scattered updates of viewer x creator tables (familiarity and exposure counts).

Each compiled kernel sits beside its numpy twin; both add in the order of the pairs, so
float32 sums are identical.
"""

from __future__ import annotations

import numpy as np

from simulation.kernels.compiler import compiled, kernel


def add_to_pairs(table: np.ndarray, rows: np.ndarray, columns: np.ndarray, value: np.float32) -> None:
    """``table[rows[i], columns[i]] += value`` for every pair (n,), in place; pairs may repeat."""
    if compiled():
        _add_exposures(table, rows.astype(np.int64), columns.astype(np.int64), value)
        return
    np.add.at(table.reshape(-1), rows * table.shape[1] + columns, value)


def count_pairs(table: np.ndarray, rows: np.ndarray, columns: np.ndarray, saturate: int) -> None:
    """Add one to ``table[rows[i], columns[i]]`` per pair (n,), at most up to ``saturate``."""
    if compiled():
        _count_exposures(table, rows.astype(np.int64), columns.astype(np.int64), saturate)
        return
    pairs, times = np.unique(rows * table.shape[1] + columns, return_counts=True)
    flat = table.reshape(-1)
    flat[pairs] = np.minimum(flat[pairs].astype(np.int64) + times, saturate)


@kernel()
def _add_exposures(scaled, viewers, creators, scale):  # pragma: no cover
    for i in range(len(viewers)):  # in order, as numpy's add.at: the same float32 sums
        scaled[viewers[i], creators[i]] += scale


@kernel()
def _count_exposures(count, viewers, creators, saturate):  # pragma: no cover
    for i in range(len(viewers)):
        if count[viewers[i], creators[i]] < saturate:
            count[viewers[i], creators[i]] += 1
