"""The platform's estimate of each viewer's interests, learned from reactions.

The platform never sees true interests. It starts from a blend of uniform
ignorance and the truth (``initial_knowledge``, standing for history before
the run) and moves each viewer's estimate toward the topics of the posts they
watched and engaged with. Estimates stay on the simplex (V, T).
"""

from __future__ import annotations

import numpy as np

from simulation.acceleration import compiled, kernel, prange
from simulation.scenario import Platform


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


@kernel(parallel=True)
def _paired_cosine(left, left_units, right, right_units):  # pragma: no cover
    cosine = np.empty(len(left), dtype=np.float32)
    for i in prange(len(left)):
        total = left_units[left[i], 0] * right_units[right[i], 0]
        for topic in range(1, left_units.shape[1]):
            total += left_units[left[i], topic] * right_units[right[i], topic]
        cosine[i] = total
    return cosine


class InterestEstimates:
    """The platform's view of viewers' interests (V, T) and their unit vectors."""

    def __init__(self, interests: np.ndarray, config: Platform):
        n_topics = interests.shape[1]
        knowledge = config.initial_knowledge
        self.config = config
        self.estimate = ((1.0 - knowledge) / n_topics + knowledge * interests).astype(np.float32)
        self.unit = unit_rows(self.estimate)

    def affinity(self, viewers: np.ndarray, post_units: np.ndarray) -> np.ndarray:
        """Cosine affinity of viewers (A,) with their candidates' topic unit vectors (A, Q, T) -> (A, Q)."""
        return np.einsum("aqt,at->aq", post_units, self.unit[viewers], optimize=False)

    def learn(self, viewers: np.ndarray, topics: np.ndarray, signal: np.ndarray) -> None:
        """Move estimates toward watched topics.

        For each viewer: estimate <- (estimate + lr x sum(signal x topic)) / (1 + lr x sum(signal)),
        a weighted average that stays on the simplex. ``viewers`` (n,) may repeat;
        ``topics`` (n, T) are post topic vectors, ``signal`` (n,) >= 0.
        """
        if len(viewers) == 0:
            return
        if compiled():
            unique, pull, mass = _pull_by_viewer(viewers.astype(np.int64), topics,
                                                 signal.astype(np.float64), len(self.estimate))
        else:
            unique, position = np.unique(viewers, return_inverse=True)
            n_topics = topics.shape[1]
            pull = np.empty((len(unique), n_topics), dtype=np.float64)
            for topic in range(n_topics):
                pull[:, topic] = np.bincount(position, weights=signal * topics[:, topic],
                                             minlength=len(unique))
            mass = np.bincount(position, weights=signal, minlength=len(unique))
        rate = self.config.learning_rate
        updated = (self.estimate[unique] + rate * pull) / (1.0 + rate * mass)[:, None]
        self.estimate[unique] = updated
        self.unit[unique] = unit_rows(updated)


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
