"""Candidate retrieval, the first stage of For-You: live posts, pools, sources.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.config.ranking import Ranking
from simulation.core.records import LivePosts
from simulation.core.sources import GATED_SOURCES, NO_POST, SOURCE_INDEX, SOURCES
from simulation.kernels.admission import admit, drop_duplicates
from simulation.kernels.interests import unit_rows
from simulation.kernels.pools import WeightedPools, cumulative_weights, draw_followed
from simulation.levers.collaborations import creator_pool_entries
from simulation.levers.hashtags import topic_pool_entries

if TYPE_CHECKING:
    from simulation.model import EngagementModel


def live_posts(model: EngagementModel) -> LivePosts:
    """Posts younger than ``max_age_hours`` (ids are in creation order, so a range)."""
    config = model.config.ranking
    created = model.posts.created_hour
    first = int(np.searchsorted(created, model.hour - config.max_age_hours, side="right"))
    ids = np.arange(first, model.posts.size, dtype=np.int64)
    age = model.hour - created[ids]
    return LivePosts(first=first, ids=ids,
                     freshness=np.exp2(-age / config.freshness_half_life_hours),
                     tier=model.posts.tier[ids].astype(np.int64))


def exclude_seen(model: EngagementModel, viewers: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Candidates (A, Q) with repeats and posts each viewer has already been shown set to -1."""
    candidates = drop_duplicates(candidates)
    seen = model.history.seen(viewers[:, None], candidates)
    return np.where(seen, NO_POST, candidates)


def creator_pools(model: EngagementModel, live: LivePosts, weights: np.ndarray) -> WeightedPools:
    """Live posts grouped by creator (a collaboration post also under its partner)."""
    keys, ids, weights = creator_pool_entries(model.posts.creator[live.ids],
                                              model.posts.partner[live.ids], live.ids, weights)
    return WeightedPools(keys, ids, weights, model.creators.size)


def draw_following(model: EngagementModel, viewers: np.ndarray, pools: WeightedPools,
                   quota: int, rng: np.random.Generator) -> np.ndarray:
    """Posts of followed creators (A, quota): a followed creator, then one of their posts."""
    creators = draw_followed(model.follows.table, viewers, pools.total,
                             rng.random((len(viewers), quota)))
    return pools.draw(creators, rng.random((len(viewers), quota)))


class _Retrieval:
    """One step's candidate pools for the For-You policy, built once and drawn from per round."""

    def __init__(self, model: EngagementModel, live: LivePosts, config: Ranking):
        posts, tiers = model.posts, model.distribution
        self.model, self.live, self.quotas = model, live, config.candidates
        eligibility = tiers.eligibility(posts, live.ids, model.hour)
        reach = tiers.weight[live.tier] * eligibility * live.freshness
        testing = tiers.in_test(posts, live.ids)
        topic = posts.primary_topic[live.ids].astype(np.int64)
        n_topics = len(model.config.topics)
        wide = live.tier >= tiers.config.trending_min_tier
        hashtag = posts.hashtag[live.ids].astype(np.int64)

        def by_topic(among: np.ndarray) -> WeightedPools:
            # Filed under the primary topic, and a tagged post under its hashtag's topic too.
            return WeightedPools(*topic_pool_entries(topic[among], hashtag[among],
                                                     live.ids[among], reach[among]), n_topics)

        self.following = creator_pools(model, live, live.freshness * eligibility)
        self.interest = by_topic(~testing)
        self.exploration = by_topic(testing)
        self.trending = by_topic(wide)
        self.everything = by_topic(np.ones(len(live.ids), dtype=bool))
        self.units = unit_rows(posts.topic[live.ids])  # (n_live, T)
        self.bar = tiers.affinity_bar[live.tier]  # (n_live,)
        self.gated = np.array([name in GATED_SOURCES for name in SOURCES] + [False])

    def draw(self, viewers: np.ndarray, rng: np.random.Generator,
             kind: str) -> tuple[np.ndarray, np.ndarray]:
        """Candidates (A, Q) and their sources (A, Q).

        ``kind``: "first" draws every source; "more" the recommendation sources
        again; "backfill" any live post by reach weight, not gated by affinity.
        """
        model, quotas, n = self.model, self.quotas, len(viewers)
        columns: list[np.ndarray] = []
        sources: list[int] = []

        def add(name: str, drawn: np.ndarray) -> None:
            columns.append(drawn)
            sources.extend([SOURCE_INDEX[name]] * drawn.shape[1])

        topic_weights = cumulative_weights(model.estimates.estimate[viewers])

        def by_topic(pools: WeightedPools, quota: int) -> np.ndarray:
            # Every source is personal: a topic drawn from the platform's estimate of the
            # viewer's interests, then a post of that topic in proportion to its weight.
            return pools.draw_by_weight(topic_weights, rng.random((n, quota)),
                                        rng.random((n, quota)))

        if kind == "backfill":
            add("backfill", by_topic(self.everything, quotas.trending + quotas.interest))
        if kind == "first" and quotas.following:
            add("following", draw_following(model, viewers, self.following, quotas.following, rng))
        if kind == "first" and quotas.shared:
            add("shared", model.inbox.take(viewers, model.active, quotas.shared, model.hour))
        if kind == "first" and model.retargeting is not None:
            live = self.live
            add("retargeting", model.retargeting.draw(
                viewers, live.ids, model.posts.creator[live.ids].astype(np.int64),
                model.posts.style[live.ids].astype(np.int64), live.freshness, rng))
        if kind != "backfill":
            for name, quota, pools in (("interest", quotas.interest, self.interest),
                                       ("exploration", quotas.exploration, self.exploration),
                                       ("trending", quotas.trending, self.trending)):
                if quota:
                    add(name, by_topic(pools, quota))
        if not columns:
            return np.full((n, 0), NO_POST, dtype=np.int64), np.zeros((n, 0), dtype=np.int8)
        candidates = np.concatenate(columns, axis=1)
        source = np.broadcast_to(np.array(sources, dtype=np.int8), candidates.shape).copy()
        return candidates, source

    def admit(self, viewers: np.ndarray, candidates: np.ndarray,
              source: np.ndarray) -> tuple[np.ndarray, ...]:
        """Drop repeats, seen and non-live posts, and gated posts below their tier's affinity bar.

        Returns compact rows (A, Q) of the admitted candidates, their sources and the
        viewer-post affinities, and the number admitted per row (A,). A friend may share a
        post that is no longer live; feeds only carry live posts.
        """
        model = self.model
        return admit(candidates, source, viewers, self.live.first, model.history,
                     model.estimates.unit[viewers], self.units, self.bar, self.gated)
