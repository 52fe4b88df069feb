"""Candidate retrieval, the first stage of For-You: live posts, pools and sources.

Pools group the live posts by a key (a creator, a topic) with a weight each; a source
draws from them for every active viewer at once. Levers file posts under more keys
(``PoolFiling``) and add sources of their own (``CandidateSource``) through the view,
so this module names none of them.
"""

from __future__ import annotations

import numpy as np

from simulation.config.ranking import Ranking
from simulation.core.records import LivePosts
from simulation.core.sources import GATED_SOURCES, NO_POST, SOURCE_INDEX, SOURCES
from simulation.kernels.admission import admit, drop_duplicates
from simulation.kernels.interests import unit_rows
from simulation.kernels.pools import WeightedPools, cumulative_weights, draw_followed
from simulation.platform.view import PlatformView
from simulation.state.posts import live_posts as state_live_posts


def live_posts(view: PlatformView) -> LivePosts:
    """The posts that can still be recommended now (``state.posts.live_posts``)."""
    return state_live_posts(view.posts, view.hour, view.config.ranking)


def exclude_seen(view: PlatformView, viewers: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Candidates (A, Q) with repeats and posts each viewer has already been shown set to -1."""
    candidates = drop_duplicates(candidates)
    seen = view.history.seen(viewers[:, None], candidates)
    return np.where(seen, NO_POST, candidates)


def pool_entries(view: PlatformView, pool: str, keys: np.ndarray, ids: np.ndarray,
                 weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keys, post ids and weights (n + m,) of a pool: every post (n,) under its own key, then
    the extra entries the levers file (a collaboration post also under its partner...)."""
    extra = [filing.pool_entries(pool, view.posts, ids, keys, weights)
             for filing in view.pool_filings]
    extra = [entries for entries in extra if len(entries[1])]
    if not extra:
        return keys, ids, weights
    return (np.concatenate([keys, *(k.astype(keys.dtype) for k, _, _ in extra)]),
            np.concatenate([ids, *(i for _, i, _ in extra)]),
            np.concatenate([weights, *(w for _, _, w in extra)]))


def creator_pools(view: PlatformView, live: LivePosts, weights: np.ndarray) -> WeightedPools:
    """Live posts grouped by creator, with the levers' extra entries."""
    keys, ids, weights = pool_entries(view, "creator", view.posts.creator[live.ids], live.ids,
                                      weights)
    return WeightedPools(keys, ids, weights, view.creators.size)


def draw_following(view: PlatformView, viewers: np.ndarray, pools: WeightedPools,
                   quota: int, rng: np.random.Generator) -> np.ndarray:
    """Posts of followed creators (A, quota): a followed creator, then one of their posts."""
    creators = draw_followed(view.follows.table, viewers, pools.total,
                             rng.random((len(viewers), quota)))
    return pools.draw(creators, rng.random((len(viewers), quota)))


class CandidatePools:
    """One step's candidate pools for the For-You policy, built once and drawn from per round."""

    def __init__(self, view: PlatformView, live: LivePosts, config: Ranking):
        posts, tiers = view.posts, view.tiers
        self.view, self.live, self.quotas = view, live, config.candidates
        eligibility = tiers.eligibility(posts, live.ids, view.hour)
        reach = tiers.weight[live.tier] * eligibility * live.freshness
        testing = tiers.in_test(posts, live.ids)
        topic = posts.primary_topic[live.ids].astype(np.int64)
        n_topics = len(view.config.topics)
        wide = live.tier >= tiers.config.trending_min_tier

        def by_topic(among: np.ndarray) -> WeightedPools:
            # Filed under the primary topic, and under more topics where a lever says so.
            return WeightedPools(*pool_entries(view, "topic", topic[among], live.ids[among],
                                               reach[among]), n_topics)

        self.following = creator_pools(view, live, live.freshness * eligibility)
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
        view, quotas, n = self.view, self.quotas, len(viewers)
        columns: list[np.ndarray] = []
        sources: list[int] = []

        def add(name: str, drawn: np.ndarray) -> None:
            columns.append(drawn)
            sources.extend([SOURCE_INDEX[name]] * drawn.shape[1])

        topic_weights = cumulative_weights(view.estimates.estimate[viewers])

        def by_topic(pools: WeightedPools, quota: int) -> np.ndarray:
            # Every source is personal: a topic drawn from the platform's estimate of the
            # viewer's interests, then a post of that topic in proportion to its weight.
            return pools.draw_by_weight(topic_weights, rng.random((n, quota)),
                                        rng.random((n, quota)))

        if kind == "backfill":
            add("backfill", by_topic(self.everything, quotas.trending + quotas.interest))
        if kind == "first" and quotas.following:
            add("following", draw_following(view, viewers, self.following, quotas.following, rng))
        if kind == "first" and quotas.shared:
            add("shared", view.inbox.take(viewers, view.active, quotas.shared, view.hour))
        if kind == "first":
            for lever_source in view.candidate_sources:
                add(lever_source.source, lever_source.draw(view, viewers, self.live, rng))
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
        view, history = self.view, self.view.history
        # (ids below the live window are dropped by admit; they never raise the maximum
        # beyond posts the ring already has room for)
        history.ensure(int(candidates.max(initial=0)) + 1)
        return admit(candidates, source, viewers, self.live.first, history.bits, history.capacity,
                     view.estimates.unit[viewers], self.units, self.bar, self.gated)
