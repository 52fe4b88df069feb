"""Ranking policies: who sees which post. For-You (two stages) and three controls.

A policy turns the active viewers (A,) and their feed lengths (A,) into a
:class:`Feed`: post ids (A, L) in feed order, -1 past the end of a feed, and
the candidate source of each slot. Every policy works on all viewers at once.

For-You, as in real recommenders and the leaked 'TikTok Algo 101' note:
candidates from sources with quotas (followed creators, topic pools guided by
the platform's interest estimate, the test pool of new posts, posts in wide
tiers, friends' shares), gated by each tier's affinity bar; then a score, the
weighted sum of predicted engagements times the viewer-post affinity, decayed
with age, penalised for a repeated author; then a softmax sample of the feed.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from simulation.config.ranking import Ranking
from simulation.core.records import Feed, LivePosts
from simulation.core.seeding import step_generator
from simulation.core.sources import NO_POST, SOURCE_INDEX, SOURCES
from simulation.kernels.counters import step_key
from simulation.kernels.scoring import candidate_keys
from simulation.kernels.selection import select_feed, select_within_allowance, stack_blocks
from simulation.platform.predictions import engagement_score
from simulation.platform.retrieval import (
    CandidatePools,
    creator_pools,
    draw_following,
    exclude_seen,
    live_posts,
)
from simulation.platform.view import PlatformView


class RankingPolicy(Protocol):
    """What every ranking policy offers."""

    name: str

    def build_feeds(self, view: PlatformView, viewers: np.ndarray,
                    feed_length: np.ndarray, rng: np.random.Generator) -> Feed: ...


def source_boosts(view: PlatformView) -> np.ndarray | None:
    """Score multipliers by source and author (n_sources, C) from the levers' candidate
    sources, or None when none has one."""
    boosted = [lever for lever in view.candidate_sources if lever.boost is not None]
    if not boosted:
        return None
    boost = np.ones((len(SOURCES), view.creators.size))
    for lever in boosted:
        boost[SOURCE_INDEX[lever.source]] = lever.boost
    return boost


FEED_BLOCK = 32_768
"""Active viewers whose candidates are drawn and scored together. It bounds a step's
memory at any platform size, and it fixes the order of the ranking's random draws: a
constant, so that a seed gives the same run on any machine."""


class ForYouPolicy:
    """The two-stage For-You model with staged distribution."""

    name = "foryou"

    def __init__(self, config: Ranking):
        self.config = config
        self._step: tuple[int, int] | None = None  # (view, step) the pools below were built for
        self._pools: tuple[LivePosts, CandidatePools, np.ndarray] | None = None

    def _step_pools(self, view: PlatformView) -> tuple[LivePosts, CandidatePools, np.ndarray]:
        """The live posts, candidate pools and predicted engagement x freshness of this step.

        Built once per step; a model that builds feeds viewer by viewer within a step
        (benchmarks/plain_mesa.py) reuses them, as the platform would.
        """
        if self._step != (id(view), view.step):
            config, posts = self.config, view.posts
            live = live_posts(view)
            prior = config.prior_pseudo_views(view.tiers.viewers)
            predicted = engagement_score(posts, live.ids, config.weights, view.rates,
                                         prior) * live.freshness
            self._pools = (live, CandidatePools(view, live, config), predicted)
            self._step = (id(view), view.step)
        return self._pools

    def build_feeds(self, view: PlatformView, viewers: np.ndarray,
                    feed_length: np.ndarray, rng: np.random.Generator) -> Feed:
        config, posts = self.config, view.posts
        # The score's part that is the same for every viewer: predicted engagement x freshness.
        live, retrieval, predicted = self._step_pools(view)
        authors = posts.creator[live.ids].astype(np.int64)
        boost = source_boosts(view)
        # The candidate draws' counter-based uniforms are keyed by this and by the viewer: the
        # step's key of the retrieval stream, the same in every scenario run with the seed.
        key = step_key(step_generator(view.retrieval_seed, view.step))
        blocks = []
        for start in range(0, len(viewers), FEED_BLOCK):
            block = slice(start, start + FEED_BLOCK)
            candidates, source, affinity = retrieval.candidates(viewers[block], feed_length[block],
                                                                key, rng)
            keys, priority = candidate_keys(candidates, affinity, source, predicted, authors,
                                            boost, live.first, config.affinity_exponent,
                                            config.same_author_penalty, config.temperature, rng)
            blocks.append((candidates, source, keys, priority))
        candidates, source, keys, priority = stack_blocks(blocks, len(viewers))
        allowance = view.tiers.allowance(posts, live.ids)
        return select_within_allowance(candidates, keys, source, feed_length, viewers,
                                       allowance, live, priority)


class ChronologicalPolicy:
    """Posts of followed creators, newest first (a 'Following' tab)."""

    name = "chronological"

    def __init__(self, config: Ranking):
        self.config = config

    def build_feeds(self, view: PlatformView, viewers: np.ndarray,
                    feed_length: np.ndarray, rng: np.random.Generator) -> Feed:
        live = live_posts(view)
        quota = 3 * int(feed_length.max(initial=1))
        pools = creator_pools(view, live, live.freshness)
        candidates = exclude_seen(view, viewers,
                                  draw_following(view, viewers, pools, quota, rng))
        newest = view.posts.created_hour[live.ids][live.local(candidates)]
        keys = newest + 1e-6 * rng.random(candidates.shape)
        source = np.full(candidates.shape, SOURCE_INDEX["following"], dtype=np.int8)
        return select_feed(candidates, keys, source, feed_length, viewers)


class RandomPolicy:
    """Live posts drawn uniformly at random: exposure without any ranking."""

    name = "random"

    def __init__(self, config: Ranking):
        self.config = config

    def build_feeds(self, view: PlatformView, viewers: np.ndarray,
                    feed_length: np.ndarray, rng: np.random.Generator) -> Feed:
        live = live_posts(view)
        quota = 3 * int(feed_length.max(initial=1))
        if len(live.ids) == 0:
            drawn = np.full((len(viewers), quota), NO_POST, dtype=np.int64)
        else:
            drawn = live.ids[rng.integers(len(live.ids), size=(len(viewers), quota))]
        candidates = exclude_seen(view, viewers, drawn)
        source = np.full(candidates.shape, SOURCE_INDEX["random"], dtype=np.int8)
        return select_feed(candidates, rng.random(candidates.shape), source, feed_length,
                           viewers)


class PopularityPolicy:
    """The most-liked live posts (by displayed likes) that the viewer has not seen."""

    name = "popularity"

    def __init__(self, config: Ranking):
        self.config = config

    def build_feeds(self, view: PlatformView, viewers: np.ndarray,
                    feed_length: np.ndarray, rng: np.random.Generator) -> Feed:
        live = live_posts(view)
        likes = view.posts.displayed_likes[live.ids]
        ranked = live.ids[np.lexsort((rng.random(len(live.ids)), -likes))]
        top = ranked[: 8 * int(feed_length.max(initial=1)) + 64]
        candidates = exclude_seen(view, viewers, np.broadcast_to(top, (len(viewers), len(top))))
        keys = np.broadcast_to(-np.arange(len(top), dtype=np.float64), candidates.shape)
        source = np.full(candidates.shape, SOURCE_INDEX["popular"], dtype=np.int8)
        return select_feed(candidates, keys, source, feed_length, viewers)


POLICIES: dict[str, type] = {
    "foryou": ForYouPolicy,
    "chronological": ChronologicalPolicy,
    "random": RandomPolicy,
    "popularity": PopularityPolicy,
}


def make_policy(config: Ranking) -> RankingPolicy:
    """The ranking policy the scenario names."""
    return POLICIES[config.policy](config)
