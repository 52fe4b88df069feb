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
from simulation.kernels.admission import drop_duplicates
from simulation.kernels.candidates import Retrieval
from simulation.kernels.interests import unit_rows
from simulation.kernels.pools import WeightedPools, draw_followed
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
    """One step's candidate pools for the For-You policy, built once and drawn from per block.

    The pools of every source are one :class:`WeightedPools` (``kernels/candidates.py``):
    the creators' live posts (following), then per topic source (interest: posts past
    their test; exploration: posts in their test; trending: posts in wide tiers) and for
    the backfill (every live post) the posts of each topic, by reach weight.
    """

    def __init__(self, view: PlatformView, live: LivePosts, config: Ranking):
        posts, tiers = view.posts, view.tiers
        self.view, self.live, self.quotas = view, live, config.candidates
        eligibility = tiers.eligibility(posts, live.ids, view.hour)
        reach = tiers.weight[live.tier] * eligibility * live.freshness
        testing = tiers.in_test(posts, live.ids)
        topic = posts.primary_topic[live.ids].astype(np.int64)
        n_topics, n_creators = len(view.config.topics), view.creators.size
        wide = live.tier >= tiers.config.trending_min_tier
        quotas = config.candidates
        topic_sources = (("interest", quotas.interest, ~testing),
                         ("exploration", quotas.exploration, testing),
                         ("trending", quotas.trending, wide))
        keys, ids, weights = pool_entries(view, "creator", posts.creator[live.ids], live.ids,
                                          live.freshness * eligibility)
        entries = [(keys.astype(np.int64), ids, weights)]
        everything = np.ones(len(live.ids), dtype=bool)
        for pool, among in enumerate([among for _, _, among in topic_sources] + [everything]):
            # Filed under the primary topic, and under more topics where a lever says so.
            keys, ids, weights = pool_entries(view, "topic", topic[among], live.ids[among],
                                              reach[among])
            entries.append((n_creators + pool * n_topics + keys.astype(np.int64), ids, weights))
        pools = WeightedPools(*(np.concatenate(column) for column in zip(*entries, strict=True)),
                              n_creators + (len(topic_sources) + 1) * n_topics)
        view.history.ensure(posts.size)  # every live post has its place in the ring
        gated = np.array([name in GATED_SOURCES for name in SOURCES] + [False])
        self.retrieval = Retrieval(
            pools, n_creators, n_topics, (SOURCE_INDEX["following"], quotas.following),
            [(SOURCE_INDEX[name], quota) for name, quota, _ in topic_sources],
            (SOURCE_INDEX["backfill"], quotas.trending + quotas.interest),
            config.retrieval_rounds, view.follows.table, view.estimates.estimate,
            view.estimates.unit, live.first, unit_rows(posts.topic[live.ids]),
            tiers.affinity_bar[live.tier], gated)

    def candidates(self, viewers: np.ndarray, feed_length: np.ndarray, key: np.uint64,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stage 1 for a block of active viewers (A,): admitted candidates (A, W), compact,
        with their sources and affinities (``Retrieval.candidates``).

        Friends' shares and the levers' sources are drawn here, by block, and go after the
        followed creators' posts: sources the viewer chose come first, so that when a post
        arrives twice its ungated copy is kept.
        """
        view, quotas = self.view, self.quotas
        given: list[np.ndarray] = []
        sources: list[int] = []
        if quotas.shared:
            given.append(view.inbox.take(viewers, view.active, quotas.shared, view.hour))
            sources += [SOURCE_INDEX["shared"]] * quotas.shared
        for lever_source in view.candidate_sources:
            drawn = lever_source.draw(view, viewers, self.live, rng)
            given.append(drawn)
            sources += [SOURCE_INDEX[lever_source.source]] * drawn.shape[1]
        if given:
            columns = np.concatenate(given, axis=1)
        else:
            columns = np.full((len(viewers), 0), NO_POST, dtype=np.int64)
        history = view.history
        return self.retrieval.candidates(viewers, feed_length, key, columns,
                                         np.array(sources, dtype=np.int8), history.bits,
                                         history.capacity)
