"""Influencer collaborations: posts a creator publishes with a partner reach the partner's followers.

A collaboration post keeps its author (the brand: its offer, its leads) and gets
a ``partner`` (-1 for none). The 'following' candidate source draws a followed
creator, then one of that creator's live posts: a collaboration post is filed in
the pools of both its author and its partner, so the partner's followers meet it as
they meet the partner's own posts. Each brand's measures split its posts into its
own and those made with a partner (``brands.<name>.collaboration``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from simulation.config.scenario import Scenario, creator_names
from simulation.core.tallies import split_measures
from simulation.levers.base import Lever, MeasureNames, PostColumn, register
from simulation.platform.view import PlatformView
from simulation.state.creators import CreatorTable
from simulation.state.posts import PostStore


@register
class Collaborations(Lever):
    """Each creator's partner (C,) int64, -1 for none, and the share of its posts made with it."""

    name = "collaborations"
    section = "creators[].collaboration"
    stream = "collaborations"
    post_columns: ClassVar[dict[str, PostColumn]] = {"partner": ((), np.int32, -1)}
    brand_keys = ("collaboration",)
    measures: ClassVar[MeasureNames] = {
        "brands.{brand}.collaboration.own.{term}": "{brand}, its own posts",
        "brands.{brand}.collaboration.with_partner.{term}": "{brand}, posts with its partner",
    }

    @classmethod
    def build(cls, scenario: Scenario, creators: CreatorTable,
              seed: np.random.SeedSequence | None) -> Collaborations | None:
        """None unless some creator publishes with a partner."""
        if all(creator.collaboration is None for creator in scenario.creators):
            return None
        return cls(scenario, creators, np.random.default_rng(seed))

    def __init__(self, scenario: Scenario, creators: CreatorTable, rng: np.random.Generator):
        index = {name: c for c, name in enumerate(creator_names(scenario))}
        self.rng = rng
        self.partner = np.full(creators.size, -1, dtype=np.int64)
        self.share = np.zeros(creators.size, dtype=np.float64)
        for c, entry in enumerate(creators.entry):
            collaboration = scenario.creators[entry].collaboration
            if collaboration is not None:
                self.partner[c] = index[collaboration.partner]
                self.share[c] = collaboration.share

    def on_publish(self, view: PlatformView, columns: dict[str, np.ndarray]) -> None:
        """The partner of each new post (n,): -1 unless it is a collaboration."""
        creator = columns["creator"]
        made_with = self.rng.random(len(creator)) < self.share[creator]
        columns["partner"] = np.where(made_with, self.partner[creator], -1).astype(np.int32)

    def pool_entries(self, pool: str, posts: PostStore, ids: np.ndarray, keys: np.ndarray,
                     weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """In the by-creator pools, collaboration posts again under their partner."""
        if pool != "creator":
            return super().pool_entries(pool, posts, ids, keys, weights)
        partner = posts.partner[ids]
        together = partner >= 0
        return partner[together], ids[together], weights[together]

    def brand_measures(self, view: PlatformView, creator: int, ids: np.ndarray,
                       counts: np.ndarray, target: np.ndarray) -> dict[str, Any]:
        """A brand's posts with a partner against its own posts: counts (n, E, S, K), target (S,)."""
        partner = view.posts.partner[ids]
        result = split_measures(counts, target, {"own": partner < 0, "with_partner": partner >= 0})
        result["partners"] = [view.creators.names[p] for p in np.unique(partner[partner >= 0])]
        return {"collaboration": result}
