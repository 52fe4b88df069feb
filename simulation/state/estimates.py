"""The platform's estimate of each viewer's interests, learned from reactions.

The platform never sees true interests. It starts from a blend of uniform
ignorance and the truth (``initial_knowledge``, standing for history before
the run) and moves each viewer's estimate toward the topics of the posts they
watched and engaged with. Estimates stay on the simplex (V, T).
"""

from __future__ import annotations

import numpy as np

from simulation.config.ranking import Platform
from simulation.kernels.interests import pull_by_viewer, unit_rows


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
        unique, pull, mass = pull_by_viewer(viewers, topics, signal, len(self.estimate))
        rate = self.config.learning_rate
        updated = (self.estimate[unique] + rate * pull) / (1.0 + rate * mass)[:, None]
        self.estimate[unique] = updated
        self.unit[unique] = unit_rows(updated)
