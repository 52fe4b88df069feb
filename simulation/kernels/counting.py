"""Counting and ranking within groups: tallies of events per cell, ranks per group.
"""

from __future__ import annotations

import numpy as np

from simulation.core.events import EVENTS
from simulation.kernels.compiler import compiled, kernel, numba, prange

TALLY_PART = 1 << 18
"""Impressions per part of a parallel tally: fewer than two parts' worth are counted in one."""


def tally(cells: np.ndarray, bits: np.ndarray, n_cells: int) -> np.ndarray:
    """Events counted by cell: (n_cells, E) int64 from each impression's cell (n,) and event bits (n,).

    A cell is any integer label of an impression (a post, a segment, a feed slot, or
    a combination), so every counter of the model is one call.
    """
    if compiled():
        # Large inputs are counted in parts, one table per part, summed (integers: exact).
        parts = max(1, min(numba.get_num_threads(), len(cells) // TALLY_PART))
        return _tally(np.ascontiguousarray(cells, dtype=np.int64), bits, n_cells, len(EVENTS),
                      parts)
    table = np.empty((n_cells, len(EVENTS)), dtype=np.int64)
    for index in range(len(EVENTS)):
        happened = (bits >> np.uint16(index)) & np.uint16(1) == 1
        table[:, index] = np.bincount(cells[happened], minlength=n_cells)
    return table


@kernel()
def _tally(cells, bits, n_cells, n_events, parts):  # pragma: no cover
    tables = np.zeros((parts, n_cells, n_events), dtype=np.int64)
    size = -(-len(cells) // parts)
    for part in prange(parts):
        for i in range(part * size, min(len(cells), (part + 1) * size)):
            remaining, index = bits[i], 0
            while remaining:
                if remaining & 1:
                    tables[part, cells[i], index] += 1
                remaining >>= 1
                index += 1
    if parts == 1:
        return tables[0]
    return tables.sum(axis=0)


def rank_within_groups(groups: np.ndarray, tiebreak: np.ndarray | None = None) -> np.ndarray:
    """Rank of each entry among entries with the same group value (0 = first), (n,) -> (n,).

    Entries of a group are ranked by ``tiebreak`` (ascending) if given, else by position.
    """
    if compiled() and len(groups):
        groups = np.ascontiguousarray(groups, dtype=np.int64)
        if tiebreak is None:
            return _rank_by_position(groups)
        return _rank_by_tiebreak(groups, np.ascontiguousarray(tiebreak, dtype=np.float64))
    order = (np.lexsort((tiebreak, groups)) if tiebreak is not None
             else np.argsort(groups, kind="stable"))
    ordered = groups[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]] if len(order) else np.zeros(0, bool)
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - group_start
    return rank


@kernel()
def _rank_by_position(groups):  # pragma: no cover
    low, high = groups.min(), groups.max()
    seen = np.zeros(high - low + 1, dtype=np.int64)
    rank = np.empty(len(groups), dtype=np.int64)
    for i in range(len(groups)):
        rank[i] = seen[groups[i] - low]
        seen[groups[i] - low] += 1
    return rank


@kernel()
def _rank_by_tiebreak(groups, tiebreak):  # pragma: no cover
    # Entries grouped by value in order of position (a counting sort), then each group
    # sorted by tiebreak with a stable sort: the order of lexsort((tiebreak, groups)).
    low = groups.min()
    counts = np.bincount(groups - low)
    start = np.zeros(len(counts) + 1, dtype=np.int64)
    start[1:] = np.cumsum(counts)
    filled = start[:-1].copy()
    order = np.empty(len(groups), dtype=np.int64)
    for i in range(len(groups)):
        order[filled[groups[i] - low]] = i
        filled[groups[i] - low] += 1
    rank = np.empty(len(groups), dtype=np.int64)
    for group in range(len(counts)):
        members = order[start[group]:start[group + 1]]
        ranked = np.argsort(tiebreak[members], kind="mergesort")
        for position in range(len(members)):
            rank[members[ranked[position]]] = position
    return rank
