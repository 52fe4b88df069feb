"""Topic vectors: unit rows, paired cosines, and the pull of signals on interest estimates.
"""

from __future__ import annotations

import numpy as np

from simulation.kernels.compiler import compiled, kernel, prange


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (for cosine affinity)."""
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def paired_cosine(left_units: np.ndarray, left: np.ndarray, right_units: np.ndarray,
                  right: np.ndarray) -> np.ndarray:
    """Cosine of unit rows paired by index: left_units[left[i]] . right_units[right[i]] (n,) float32.

    ``left_units`` (L, T) and ``right_units`` (R, T) are float32 unit vectors; summed
    topic by topic, in order, so that the compiled kernel gives the same numbers.
    """
    if compiled():
        return _paired_cosine(np.asarray(left, dtype=np.int64), left_units,
                              np.asarray(right, dtype=np.int64), right_units)
    total = left_units[left, 0] * right_units[right, 0]
    for topic in range(1, left_units.shape[1]):
        total += left_units[left, topic] * right_units[right, topic]
    return total


@kernel()
def _paired_cosine(left, left_units, right, right_units):  # pragma: no cover
    cosine = np.empty(len(left), dtype=np.float32)
    for i in prange(len(left)):
        total = left_units[left[i], 0] * right_units[right[i], 0]
        for topic in range(1, left_units.shape[1]):
            total += left_units[left[i], topic] * right_units[right[i], topic]
        cosine[i] = total
    return cosine


def pull_by_viewer(viewers: np.ndarray, topics: np.ndarray, signal: np.ndarray,
                   n_viewers: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Signal-weighted topic sums per viewer: the distinct ``viewers`` (m,), sum(signal x topic)
    (m, T) and sum(signal) (m,), from impressions' viewers (n,), topics (n, T), signals (n,).

    The compiled kernel lists viewers in order of first appearance, numpy's twin in sorted
    order; each viewer's sums are the same.
    """
    if compiled():
        return _pull_by_viewer(viewers.astype(np.int64), topics, signal.astype(np.float64),
                               n_viewers)
    unique, position = np.unique(viewers, return_inverse=True)
    pull = np.empty((len(unique), topics.shape[1]), dtype=np.float64)
    for topic in range(topics.shape[1]):
        pull[:, topic] = np.bincount(position, weights=signal * topics[:, topic],
                                     minlength=len(unique))
    return unique, pull, np.bincount(position, weights=signal, minlength=len(unique))


@kernel()
def _pull_by_viewer(viewers, topics, signal, n_viewers):  # pragma: no cover
    # Per viewer, in order of the impressions: the same float64 sums as numpy's bincount.
    position = np.full(n_viewers, -1, dtype=np.int64)
    unique = np.empty(len(viewers), dtype=np.int64)
    n_unique = 0
    for i in range(len(viewers)):
        if position[viewers[i]] < 0:
            position[viewers[i]] = n_unique
            unique[n_unique] = viewers[i]
            n_unique += 1
    pull = np.zeros((n_unique, topics.shape[1]), dtype=np.float64)
    mass = np.zeros(n_unique, dtype=np.float64)
    for i in range(len(viewers)):
        at = position[viewers[i]]
        for topic in range(topics.shape[1]):
            pull[at, topic] += signal[i] * np.float64(topics[i, topic])
        mass[at] += signal[i]
    return unique[:n_unique], pull, mass
