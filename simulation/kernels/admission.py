"""Admitting candidates: drop repeats, seen posts, and gated posts below their tier's bar.
"""

from __future__ import annotations

import numpy as np

from simulation.core.sources import NO_POST
from simulation.kernels.bitsets import test_positions
from simulation.kernels.compiler import compiled, kernel, prange


def drop_duplicates(candidates: np.ndarray) -> np.ndarray:
    """Replace repeats of a post within a row by -1, keeping its first (leftmost) column."""
    order = np.argsort(candidates, axis=1, kind="stable")
    ordered = np.take_along_axis(candidates, order, axis=1)
    repeat = np.zeros_like(ordered, dtype=bool)
    repeat[:, 1:] = (ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)
    result = candidates.copy()
    np.put_along_axis(result, order, np.where(repeat, NO_POST, ordered), axis=1)
    return result


def affinity(viewer_units: np.ndarray, post_units: np.ndarray, local: np.ndarray) -> np.ndarray:
    """Cosine affinity of each viewer (A, T) with each of its candidates (A, Q) -> (A, Q) float32.

    ``local`` (A, Q) indexes ``post_units`` (n, T). Summed topic by topic in float32,
    in topic order, so that compiled kernels can reproduce it exactly.
    """
    total = post_units[local, 0] * viewer_units[:, None, 0]
    for topic in range(1, post_units.shape[1]):
        total += post_units[local, topic] * viewer_units[:, None, topic]
    return total


def admit(candidates: np.ndarray, source: np.ndarray, viewers: np.ndarray, first_live: int,
          seen_bits: np.ndarray, capacity: int, viewer_units: np.ndarray, post_units: np.ndarray,
          bar: np.ndarray, gated: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Admit candidates (A, Q): live, first copy in the row, not seen, and above the bar if gated.

    In order: ids below ``first_live`` (no longer live) are dropped; repeats of a
    post in a row are dropped, keeping its leftmost copy; posts the viewer has
    been shown (their bit in ``seen_bits`` (V, capacity / 8), the impression history's
    ring, which must have room for every candidate) are dropped; then a candidate from a
    gated source (``gated[source]``, (n_sources + 1,), the last entry for source -1) is
    dropped when its affinity
    with the viewer is below its tier's ``bar`` (n_live,). ``viewer_units`` (A, T)
    and ``post_units`` (n_live, T) are unit topic vectors.

    Returns the admitted candidates, their sources and their affinities (float32),
    as compact rows of the input's width (A, Q) (see :func:`compact_rows`), and the
    number admitted in each row (A,).
    """
    if compiled():  # the kernel skips ids below first_live itself
        return _admit(candidates, source, viewers, first_live, seen_bits, capacity,
                      viewer_units, post_units, bar, gated)
    candidates = np.where(candidates < first_live, NO_POST, candidates)
    candidates = drop_duplicates(candidates)
    seen = test_positions(seen_bits, viewers[:, None], np.maximum(candidates, 0) % capacity)
    candidates = np.where(seen & (candidates >= 0), NO_POST, candidates)
    local = np.where(candidates >= 0, candidates - first_live, 0)
    affinities = affinity(viewer_units, post_units, local)
    blocked = gated[source] & (affinities < bar[local])
    admitted = np.where(blocked, NO_POST, candidates)
    return (*compact_rows(admitted, source, affinities, trim=False),
            (admitted >= 0).sum(axis=1))


@kernel()
def _admit(candidates, source, viewers, first_live, bits, capacity, viewer_units, post_units,
           bar, gated):  # pragma: no cover
    n_rows, width = candidates.shape
    n_topics = post_units.shape[1]
    admitted = np.full((n_rows, width), NO_POST, dtype=np.int64)
    sources = np.zeros((n_rows, width), dtype=np.int8)  # past the end: 0, as compact_rows
    affinities = np.zeros((n_rows, width), dtype=np.float32)
    counts = np.zeros(n_rows, dtype=np.int64)
    n_blocks = max(1, -(-n_rows // 1024))
    for block in prange(n_blocks):
        # The row in which each live post was last met: a repeat within a row is a duplicate.
        met_in = np.full(len(bar), -1, dtype=np.int64)
        for row in range(block * 1024, min(n_rows, (block + 1) * 1024)):
            viewer, at = viewers[row], 0
            for j in range(width):
                post = candidates[row, j]
                if post < first_live or post < 0:
                    continue
                local = post - first_live
                if met_in[local] == row:
                    continue
                met_in[local] = row
                position = post % capacity
                if (bits[viewer, position >> 3] >> (position & 7)) & 1:
                    continue
                total = post_units[local, 0] * viewer_units[row, 0]
                for topic in range(1, n_topics):
                    total += post_units[local, topic] * viewer_units[row, topic]
                if gated[source[row, j]] and total < bar[local]:
                    continue
                admitted[row, at], sources[row, at], affinities[row, at] = post, source[row, j], total
                at += 1
            counts[row] = at
    return admitted, sources, affinities, counts


def compact_rows(candidates: np.ndarray, *companions: np.ndarray,
                 trim: bool = True) -> tuple[np.ndarray, ...]:
    """Move each row's candidates (A, Q) to the left, in order; trim the width to the fullest row.

    ``companions`` (A, Q) arrays (sources, affinities) move with their candidates
    and hold 0 past the end. Order within a row is kept, so nothing downstream
    can tell the difference, except that it has fewer empty columns to skip.
    """
    valid = candidates >= 0
    width = int(valid.sum(axis=1).max(initial=0)) if trim else candidates.shape[1]
    arrays = (candidates, *companions)
    result = tuple(np.full((len(candidates), width), NO_POST if index == 0 else 0,
                           dtype=values.dtype) for index, values in enumerate(arrays))
    if compiled():
        for values, moved in zip(arrays, result, strict=True):
            _compact_into(values, valid, moved)
        return result
    order = np.argsort(~valid, axis=1, kind="stable")[:, :width]
    kept = np.take_along_axis(valid, order, axis=1)
    for values, moved in zip(arrays, result, strict=True):
        np.copyto(moved, np.take_along_axis(values, order, axis=1), where=kept)
    return result


@kernel()
def _compact_into(values, valid, moved):  # pragma: no cover
    for row in prange(values.shape[0]):
        at = 0
        for j in range(values.shape[1]):
            if valid[row, j]:
                moved[row, at] = values[row, j]
                at += 1
