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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from simulation.candidates import (
    NO_POST,
    WeightedPools,
    draw_categories,
    drop_duplicates,
    rank_within_groups,
)
from simulation.collaborations import creator_pool_entries
from simulation.estimates import unit_rows
from simulation.hashtags import topic_pool_entries
from simulation.predictions import engagement_score
from simulation.scenario import Ranking

if TYPE_CHECKING:
    from simulation.model import EngagementModel

SOURCES: tuple[str, ...] = ("following", "interest", "exploration", "trending", "shared",
                            "backfill", "random", "popular", "retargeting", "promoted")
"""Where a feed slot's post came from; index into this tuple in ``Feed.source``. ``promoted``
slots are paid for (``promotion.py``): they replace organic slots after the feed is built."""
SOURCE_INDEX = {name: index for index, name in enumerate(SOURCES)}
GATED_SOURCES = ("interest", "exploration", "trending")
"""Sources subject to the tier's affinity bar: posts the viewer did not ask for."""


@dataclass
class Feed:
    """Feeds of the active viewers: posts (A, L) int64, -1 padded; source (A, L) int8.

    ``column`` (A, L) is the candidate column each slot was taken from.
    """

    viewers: np.ndarray
    posts: np.ndarray
    source: np.ndarray
    column: np.ndarray | None = None


@dataclass
class LivePosts:
    """Posts that can still be recommended: the contiguous id range first..first+n-1.

    Per-post arrays are indexed by ``id - first``.
    """

    first: int
    ids: np.ndarray  # (n,)
    freshness: np.ndarray  # (n,) 2^(-age / half-life)
    tier: np.ndarray  # (n,)

    def local(self, posts: np.ndarray) -> np.ndarray:
        """Positions of post ids in the live arrays (invalid ids map to 0)."""
        return np.where(posts >= 0, posts - self.first, 0)


class RankingPolicy(Protocol):
    """What every ranking policy offers."""

    name: str

    def build_feeds(self, model: EngagementModel, viewers: np.ndarray,
                    feed_length: np.ndarray, rng: np.random.Generator) -> Feed: ...


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


def select_feed(candidates: np.ndarray, keys: np.ndarray, source: np.ndarray,
                feed_length: np.ndarray, viewers: np.ndarray) -> Feed:
    """Take each row's ``feed_length`` highest keys, in decreasing order; -inf keys are never shown.

    ``candidates``, ``keys``, ``source``: (A, Q). Returns a Feed of width max(feed_length).
    """
    n_rows, n_candidates = candidates.shape
    width = int(min(feed_length.max(initial=0), n_candidates))
    if width == 0:
        empty = np.full((n_rows, 0), NO_POST, dtype=np.int64)
        return Feed(viewers, empty, empty.astype(np.int8))
    keys = np.where(candidates >= 0, keys, -np.inf)
    if width < n_candidates:
        top = np.argpartition(-keys, width - 1, axis=1)[:, :width]
    else:
        top = np.broadcast_to(np.arange(n_candidates), (n_rows, n_candidates))
    order = np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1, kind="stable")
    chosen = np.take_along_axis(top, order, axis=1)
    posts = np.take_along_axis(candidates, chosen, axis=1)
    shown = (np.arange(width)[None, :] < feed_length[:, None]) & np.isfinite(
        np.take_along_axis(keys, chosen, axis=1))
    return Feed(viewers, np.where(shown, posts, NO_POST),
                np.where(shown, np.take_along_axis(source, chosen, axis=1), -1).astype(np.int8),
                chosen)


def select_within_allowance(candidates: np.ndarray, keys: np.ndarray, source: np.ndarray,
                            feed_length: np.ndarray, viewers: np.ndarray,
                            allowance: np.ndarray, live: LivePosts,
                            rng: np.random.Generator, rounds: int = 2) -> Feed:
    """Like :func:`select_feed`, but no post is shown more often than its allowance this step.

    ``allowance`` (n_live,) is what is left of each live post's tier budget (inf: no
    limit). Impressions beyond it are withdrawn at random and the feeds refilled
    with the next candidates; after ``rounds`` refills any excess is dropped.
    """
    keys = keys.copy()
    for attempt in range(rounds + 1):
        feed = select_feed(candidates, keys, source, feed_length, viewers)
        rows, slots = np.nonzero(feed.posts >= 0)
        local = feed.posts[rows, slots] - live.first
        rank = rank_within_groups(local, rng.random(len(local)))
        over = rank >= allowance[local]
        if not over.any():
            return feed
        if attempt < rounds:
            keys[rows[over], feed.column[rows[over], slots[over]]] = -np.inf
    # Still over after the refills: drop the excess and close the gaps.
    posts = feed.posts.copy()
    posts[rows[over], slots[over]] = NO_POST
    order = np.argsort(posts < 0, axis=1, kind="stable")
    return Feed(viewers, np.take_along_axis(posts, order, axis=1),
                np.take_along_axis(np.where(posts >= 0, feed.source, -1), order, axis=1
                                   ).astype(np.int8),
                np.take_along_axis(feed.column, order, axis=1))


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
    weights = model.follows.table[viewers] * pools.total[None, :]
    creators = draw_categories(weights, rng.random((len(viewers), quota)))
    return pools.draw(creators, rng.random((len(viewers), quota)))


def gumbel_keys(scores: np.ndarray, temperature: float, rng: np.random.Generator) -> np.ndarray:
    """Sort keys whose top-k is a softmax(score / temperature) sample without replacement."""
    noise = rng.gumbel(size=scores.shape)
    if temperature == 0:
        return scores + 1e-9 * noise  # greedy; noise only breaks ties
    return scores / temperature + noise


class ForYouPolicy:
    """The two-stage For-You model with staged distribution."""

    name = "foryou"

    def __init__(self, config: Ranking):
        self.config = config

    def build_feeds(self, model: EngagementModel, viewers: np.ndarray,
                    feed_length: np.ndarray, rng: np.random.Generator) -> Feed:
        config, posts = self.config, model.posts
        live = live_posts(model)
        retrieval = _Retrieval(model, live, config)

        # Stage 1: candidates. Sources the viewer chose (follows, friends' shares) come first
        # so that when a post arrives twice, its ungated copy is kept. Viewers whose feed
        # cannot be filled yet get further draws from the recommendation sources.
        candidates, source = retrieval.draw(viewers, rng, "first")
        candidates, affinity = retrieval.admit(viewers, candidates, source)
        for round_ in range(config.retrieval_rounds + 1):
            short = np.flatnonzero((candidates >= 0).sum(axis=1) < feed_length)
            if len(short) == 0:
                break
            # The last round backfills from all live posts, by reach weight and
            # regardless of affinity: a platform never leaves a feed empty.
            kind = "backfill" if round_ == config.retrieval_rounds else "more"
            more, more_source = retrieval.draw(viewers[short], rng, kind)
            if more.shape[1] == 0:
                break
            width = more.shape[1]
            candidates = np.pad(candidates, ((0, 0), (0, width)), constant_values=NO_POST)
            source = np.pad(source, ((0, 0), (0, width)), constant_values=-1)
            affinity = np.pad(affinity, ((0, 0), (0, width)))
            merged = np.concatenate([candidates[short, :-width], more], axis=1)
            merged_source = np.concatenate([source[short, :-width], more_source], axis=1)
            candidates[short], affinity[short] = retrieval.admit(viewers[short], merged,
                                                                 merged_source)
            source[short] = merged_source

        # Stage 2: score = predicted engagement x affinity^gamma x freshness.
        local = live.local(candidates)
        predicted = engagement_score(posts, live.ids, config.weights, model.platform_rates,
                                     config.prior_strength) * live.freshness
        scores = predicted[local] * np.maximum(affinity, 0.0) ** config.affinity_exponent
        if model.retargeting is not None:
            scores = scores * model.retargeting.score_multiplier(
                posts.creator[live.ids][local], source == SOURCE_INDEX["retargeting"])
        scores = self._penalise_repeated_authors(posts.creator[live.ids][local], scores,
                                                 candidates >= 0)
        keys = gumbel_keys(scores, config.temperature, rng)
        allowance = model.distribution.allowance(posts, live.ids)
        return select_within_allowance(candidates, keys, source, feed_length, viewers,
                                       allowance, live, rng)

    def _penalise_repeated_authors(self, authors: np.ndarray, scores: np.ndarray,
                                   valid: np.ndarray) -> np.ndarray:
        """Multiply by ``same_author_penalty`` every candidate but the best of each author in a row."""
        penalty = self.config.same_author_penalty
        if penalty == 1.0:
            return scores
        top = scores.max(initial=0.0) + 1.0
        # Sort each row by author, best score first within an author.
        composite = np.where(valid, authors * 2.0 + (1.0 - scores / top), -1.0)
        order = np.argsort(composite, axis=1, kind="stable")
        sorted_authors = np.take_along_axis(np.where(valid, authors, -1), order, axis=1)
        repeat = np.zeros_like(valid)
        repeat[:, 1:] = (sorted_authors[:, 1:] == sorted_authors[:, :-1]) & (
            sorted_authors[:, 1:] >= 0)
        penalised = np.empty_like(repeat)
        np.put_along_axis(penalised, order, repeat, axis=1)
        return np.where(penalised, scores * penalty, scores)


class ChronologicalPolicy:
    """Posts of followed creators, newest first (a 'Following' tab)."""

    name = "chronological"

    def __init__(self, config: Ranking):
        self.config = config

    def build_feeds(self, model: EngagementModel, viewers: np.ndarray,
                    feed_length: np.ndarray, rng: np.random.Generator) -> Feed:
        live = live_posts(model)
        quota = 3 * int(feed_length.max(initial=1))
        pools = creator_pools(model, live, live.freshness)
        candidates = exclude_seen(model, viewers,
                                  draw_following(model, viewers, pools, quota, rng))
        newest = model.posts.created_hour[live.ids][live.local(candidates)]
        keys = newest + 1e-6 * rng.random(candidates.shape)
        source = np.full(candidates.shape, SOURCE_INDEX["following"], dtype=np.int8)
        return select_feed(candidates, keys, source, feed_length, viewers)


class RandomPolicy:
    """Live posts drawn uniformly at random: exposure without any ranking."""

    name = "random"

    def __init__(self, config: Ranking):
        self.config = config

    def build_feeds(self, model: EngagementModel, viewers: np.ndarray,
                    feed_length: np.ndarray, rng: np.random.Generator) -> Feed:
        live = live_posts(model)
        quota = 3 * int(feed_length.max(initial=1))
        if len(live.ids) == 0:
            drawn = np.full((len(viewers), quota), NO_POST, dtype=np.int64)
        else:
            drawn = live.ids[rng.integers(len(live.ids), size=(len(viewers), quota))]
        candidates = exclude_seen(model, viewers, drawn)
        source = np.full(candidates.shape, SOURCE_INDEX["random"], dtype=np.int8)
        return select_feed(candidates, rng.random(candidates.shape), source, feed_length,
                           viewers)


class PopularityPolicy:
    """The most-liked live posts (by displayed likes) that the viewer has not seen."""

    name = "popularity"

    def __init__(self, config: Ranking):
        self.config = config

    def build_feeds(self, model: EngagementModel, viewers: np.ndarray,
                    feed_length: np.ndarray, rng: np.random.Generator) -> Feed:
        live = live_posts(model)
        likes = model.posts.displayed_likes[live.ids]
        ranked = live.ids[np.lexsort((rng.random(len(live.ids)), -likes))]
        top = ranked[: 8 * int(feed_length.max(initial=1)) + 64]
        candidates = exclude_seen(model, viewers, np.broadcast_to(top, (len(viewers), len(top))))
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

        topic_weights = model.estimates.estimate[viewers]

        def by_topic(pools: WeightedPools, quota: int) -> np.ndarray:
            # Every source is personal: a topic drawn from the platform's estimate of the
            # viewer's interests, then a post of that topic in proportion to its weight.
            topics = draw_categories(topic_weights, rng.random((n, quota)))
            return pools.draw(topics, rng.random((n, quota)))

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
              source: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Drop repeats, seen and non-live posts, and gated posts below their tier's affinity bar.

        Returns the admitted candidates (A, Q) and the viewer-post affinities (A, Q).
        """
        live = self.live
        # A friend may share a post that is no longer live; feeds only carry live posts.
        candidates = exclude_seen(self.model, viewers,
                                  np.where(candidates < live.first, NO_POST, candidates))
        local = live.local(candidates)
        affinity = self.model.estimates.affinity(viewers, self.units[local])
        # Gate: a post in tier k reaches only viewers whose estimated affinity clears its bar.
        blocked = self.gated[source] & (affinity < self.bar[local])
        return np.where(blocked, NO_POST, candidates), affinity
