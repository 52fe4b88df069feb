"""Influencer collaborations: posts a creator publishes with a partner reach the partner's followers.

A collaboration post keeps its author (the brand: its offer, its leads) and gets
a ``partner`` (-1 for none). The 'following' candidate source draws a followed
creator, then one of that creator's live posts: a collaboration post is in the
pools of both its author and its partner, so the partner's followers meet it as
they meet the partner's own posts.
"""

from __future__ import annotations

import numpy as np

from simulation.config.scenario import Scenario, creator_names
from simulation.state.creators import CreatorTable


class Collaborations:
    """Each creator's partner (C,) int64, -1 for none, and the share of its posts made with it."""

    def __init__(self, scenario: Scenario, creators: CreatorTable):
        index = {name: c for c, name in enumerate(creator_names(scenario))}
        self.partner = np.full(creators.size, -1, dtype=np.int64)
        self.share = np.zeros(creators.size, dtype=np.float64)
        for c, entry in enumerate(creators.entry):
            collaboration = scenario.creators[entry].collaboration
            if collaboration is not None:
                self.partner[c] = index[collaboration.partner]
                self.share[c] = collaboration.share

    @property
    def active(self) -> bool:
        return bool((self.partner >= 0).any())

    def assign(self, rng: np.random.Generator, creator: np.ndarray) -> np.ndarray:
        """The partner of each new post by ``creator`` (n,): -1 unless it is a collaboration."""
        made_with = rng.random(len(creator)) < self.share[creator]
        return np.where(made_with, self.partner[creator], -1).astype(np.int32)


def creator_pool_entries(author: np.ndarray, partner: np.ndarray, ids: np.ndarray,
                         weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keys, post ids and weights of the by-creator pools (n + m,): every post under its author,
    and collaboration posts (partner >= 0) again under their partner."""
    together = partner >= 0
    if not together.any():
        return author, ids, weights
    return (np.concatenate([author, partner[together].astype(author.dtype)]),
            np.concatenate([ids, ids[together]]),
            np.concatenate([weights, weights[together]]))
