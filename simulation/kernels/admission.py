"""Admitting candidates: drop repeats, seen posts, and gated posts below their tier's bar.

The numpy formulation, over whole (viewers x candidates) matrices: the twin of the
compiled candidate stage (``kernels/candidates.py``), which admits each draw as it is made.
"""

from __future__ import annotations

import numpy as np

from simulation.core.sources import NO_POST
from simulation.kernels.bitsets import test_positions


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
    order = np.argsort(~valid, axis=1, kind="stable")[:, :width]
    kept = np.take_along_axis(valid, order, axis=1)
    for values, moved in zip(arrays, result, strict=True):
        np.copyto(moved, np.take_along_axis(values, order, axis=1), where=kept)
    return result
