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

from simulation.acceleration import compiled, kernel, prange
from simulation.candidates import (
    NO_POST,
    WeightedPools,
    admit,
    cumulative_weights,
    draw_followed,
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
                feed_length: np.ndarray, viewers: np.ndarray, width: int | None = None) -> Feed:
    """Take each row's ``feed_length`` highest keys, in decreasing order; -inf keys are never shown.

    ``candidates``, ``keys``, ``source``: (A, Q). Returns a Feed of ``width`` columns
    (default min(max(feed_length), Q)); slots past a feed's end hold -1.
    """
    n_rows, n_candidates = candidates.shape
    if width is None:
        width = int(min(feed_length.max(initial=0), n_candidates))
    if width == 0 or n_rows == 0:
        empty = np.full((n_rows, width), NO_POST, dtype=np.int64)
        return Feed(viewers, empty, empty.astype(np.int8), empty.copy())
    if compiled():
        posts, chosen_source, chosen = _select_top_keys(
            np.ascontiguousarray(candidates, dtype=np.int64),
            np.ascontiguousarray(keys, dtype=np.float64),
            np.ascontiguousarray(source, dtype=np.int8), np.asarray(feed_length, dtype=np.int64),
            width)
        return Feed(viewers, posts, chosen_source, chosen)
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
                np.where(shown, chosen, -1))


@kernel(parallel=True)
def _select_top_keys(candidates, keys, source, feed_length, width):  # pragma: no cover
    n_rows = candidates.shape[0]
    posts = np.full((n_rows, width), NO_POST, dtype=np.int64)
    chosen_source = np.full((n_rows, width), -1, dtype=np.int8)
    chosen = np.full((n_rows, width), -1, dtype=np.int64)
    for row in prange(n_rows):
        _select_row(row, candidates, keys, source, feed_length, posts, chosen_source, chosen)
    return posts, chosen_source, chosen


@kernel(inline=True)
def _select_row(row, candidates, keys, source, feed_length, posts, chosen_source,
                chosen):  # pragma: no cover
    # The row's best keys, best first, by insertion into a short sorted list.
    width = posts.shape[1]
    shown = min(width, feed_length[row])
    for slot in range(width):
        posts[row, slot], chosen_source[row, slot], chosen[row, slot] = NO_POST, -1, -1
    n_best = 0
    for j in range(candidates.shape[1]):
        key = keys[row, j]
        if candidates[row, j] < 0 or not key > -np.inf or shown <= 0:
            continue
        if n_best == shown and not key > keys[row, chosen[row, n_best - 1]]:
            continue
        at = n_best if n_best < shown else shown - 1
        while at > 0 and key > keys[row, chosen[row, at - 1]]:
            if at < shown:
                chosen[row, at] = chosen[row, at - 1]
            at -= 1
        chosen[row, at] = j
        if n_best < shown:
            n_best += 1
    for slot in range(n_best):
        posts[row, slot] = candidates[row, chosen[row, slot]]
        chosen_source[row, slot] = source[row, chosen[row, slot]]


def over_allowance(local: np.ndarray, allowance: np.ndarray,
                   tiebreak: np.ndarray) -> np.ndarray:
    """Which impressions (n,) exceed their post's allowance (n_live,) this step, bool (n,).

    Impressions of a post are ranked by ``tiebreak`` (n,) uniforms: the first
    ``allowance`` are kept. Only posts with more impressions than allowance need
    ranking, which keeps this cheap when budgets are large.
    """
    contested = np.bincount(local, minlength=len(allowance)) > allowance
    among = np.flatnonzero(contested[local])
    over = np.zeros(len(local), dtype=bool)
    if len(among):
        rank = rank_within_groups(local[among], tiebreak[among])
        over[among] = rank >= allowance[local[among]]
    return over


def select_within_allowance(candidates: np.ndarray, keys: np.ndarray, source: np.ndarray,
                            feed_length: np.ndarray, viewers: np.ndarray,
                            allowance: np.ndarray, live: LivePosts, priority: np.ndarray,
                            rounds: int = 2) -> Feed:
    """Like :func:`select_feed`, but no post is shown more often than its allowance this step.

    ``allowance`` (n_live,) is what is left of each live post's tier budget (inf: no
    limit). When a post is in more feeds than that, its impressions with the lowest
    ``priority`` (A, Q) (uniforms drawn once per candidate: a random order) keep
    it, the others are withdrawn and those feeds refilled with their next
    candidates; after ``rounds`` refills any excess is dropped. Only the feeds
    that lost a post are selected again.
    """
    width = int(min(feed_length.max(initial=0), candidates.shape[1]))
    if compiled() and width > 0:
        candidates = np.ascontiguousarray(candidates, dtype=np.int64)
        keys, source = keys.astype(np.float64), np.ascontiguousarray(source, dtype=np.int8)
        feed_length = np.asarray(feed_length, dtype=np.int64)
        feed = _select_top_keys(candidates, keys, source, feed_length, width)
        _withdraw_over_allowance(candidates, keys, source,
                                 np.ascontiguousarray(priority, dtype=np.float64), feed_length,
                                 np.asarray(allowance, dtype=np.float64), live.first, rounds,
                                 *feed)
        return Feed(viewers, *feed)
    keys = keys.copy()
    feed = select_feed(candidates, keys, source, feed_length, viewers)
    for attempt in range(rounds + 1):
        rows, slots = np.nonzero(feed.posts >= 0)
        local = feed.posts[rows, slots] - live.first
        over = over_allowance(local, allowance, priority[rows, feed.column[rows, slots]])
        if not over.any():
            return feed
        if attempt < rounds:
            keys[rows[over], feed.column[rows[over], slots[over]]] = -np.inf
            changed = np.unique(rows[over])
            refill = select_feed(candidates[changed], keys[changed], source[changed],
                                 feed_length[changed], viewers[changed], width)
            feed.posts[changed], feed.source[changed] = refill.posts, refill.source
            feed.column[changed] = refill.column
    # Still over after the refills: drop the excess and close the gaps (feeds hold their
    # posts first, so only the feeds that lose one need reordering).
    feed.posts[rows[over], slots[over]] = NO_POST
    changed = np.unique(rows[over])
    order = np.argsort(feed.posts[changed] < 0, axis=1, kind="stable")
    kept = np.take_along_axis(feed.posts[changed], order, axis=1) >= 0
    for values, fill in ((feed.posts, NO_POST), (feed.source, -1), (feed.column, -1)):
        values[changed] = np.where(kept, np.take_along_axis(values[changed], order, axis=1), fill)
    return feed


@kernel()
def _withdraw_over_allowance(candidates, keys, source, priority, feed_length, allowance, first,
                             rounds, posts, chosen_source, chosen):  # pragma: no cover
    # The feeds (posts, chosen_source, chosen) are updated in place.
    n_rows, n_live, width = candidates.shape[0], len(allowance), posts.shape[1]
    changed = np.zeros(n_rows, dtype=np.bool_)
    for attempt in range(rounds + 1):
        # Shown impressions per post; a post shown more often than its allowance is contested.
        counts = np.zeros(n_live, dtype=np.int64)
        for row in range(n_rows):
            for slot in range(width):
                if posts[row, slot] >= 0:
                    counts[posts[row, slot] - first] += 1
        start = np.zeros(n_live + 1, dtype=np.int64)
        for local in range(n_live):
            start[local + 1] = start[local] + (counts[local] if counts[local] > allowance[local]
                                               else 0)
        if start[n_live] == 0:
            return
        # The contested impressions, grouped by post in feed order (row, then slot).
        member_row = np.empty(start[n_live], dtype=np.int64)
        member_slot = np.empty(start[n_live], dtype=np.int64)
        filled = start[:-1].copy()
        for row in range(n_rows):
            for slot in range(width):
                local = posts[row, slot] - first
                if posts[row, slot] >= 0 and counts[local] > allowance[local]:
                    member_row[filled[local]], member_slot[filled[local]] = row, slot
                    filled[local] += 1
        changed[:] = False
        for local in range(n_live):
            members = np.arange(start[local], start[local + 1])
            if len(members) == 0:
                continue
            order = np.empty(len(members), dtype=np.float64)
            for m in range(len(members)):
                row, slot = member_row[members[m]], member_slot[members[m]]
                order[m] = priority[row, chosen[row, slot]]
            ranked = np.argsort(order, kind="mergesort")
            for rank in range(len(members)):
                if rank < allowance[local]:
                    continue
                row, slot = member_row[members[ranked[rank]]], member_slot[members[ranked[rank]]]
                changed[row] = True
                if attempt < rounds:
                    keys[row, chosen[row, slot]] = -np.inf
                else:
                    posts[row, slot] = NO_POST
        for row in range(n_rows):
            if not changed[row]:
                continue
            if attempt < rounds:
                _select_row(row, candidates, keys, source, feed_length, posts, chosen_source,
                            chosen)
            else:  # close the gaps the dropped impressions left
                at = 0
                for slot in range(width):
                    if posts[row, slot] >= 0:
                        posts[row, at] = posts[row, slot]
                        chosen_source[row, at] = chosen_source[row, slot]
                        chosen[row, at] = chosen[row, slot]
                        at += 1
                for slot in range(at, width):
                    posts[row, slot], chosen_source[row, slot], chosen[row, slot] = NO_POST, -1, -1


def stack_blocks(blocks: list[tuple[np.ndarray, ...]], n_rows: int) -> tuple[np.ndarray, ...]:
    """Blocks of rows (candidates, sources, keys, priorities) as one array each, (A, max width).

    Each block is copied once into place and released.
    """
    if not blocks:
        return (np.full((n_rows, 0), NO_POST), np.full((n_rows, 0), -1, dtype=np.int8),
                np.zeros((n_rows, 0)), np.zeros((n_rows, 0)))
    if len(blocks) == 1:
        return blocks[0]
    width = max(block[0].shape[1] for block in blocks)
    stacked = tuple(np.full((n_rows, width), fill, dtype=values.dtype)
                    for fill, values in zip((NO_POST, -1, -np.inf, 0.0), blocks[0], strict=True))
    start = 0
    while blocks:
        block = blocks.pop(0)
        rows = slice(start, start + len(block[0]))
        for values, into in zip(block, stacked, strict=True):
            into[rows, : values.shape[1]] = values
        start = rows.stop
    return stacked


def widen(values: np.ndarray, width: int, fill: float) -> np.ndarray:
    """``values`` (A, Q) padded on the right with ``fill`` to ``width`` columns (a copy)."""
    widened = np.full((len(values), width), fill, dtype=values.dtype)
    widened[:, : values.shape[1]] = values
    return widened


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


def gumbel_keys(scores: np.ndarray, temperature: float, rng: np.random.Generator,
                valid: np.ndarray | None = None) -> np.ndarray:
    """Sort keys whose top-k is a softmax(score / temperature) sample without replacement.

    Noise is drawn only for ``valid`` entries (default: all); the others get -inf.
    """
    if valid is None:
        valid = np.ones(scores.shape, dtype=bool)
    keys = np.full(scores.shape, -np.inf)
    keys[valid] = softmax_keys(scores[valid], rng.gumbel(size=int(valid.sum())), temperature)
    return keys


def softmax_keys(scores: np.ndarray, noise: np.ndarray, temperature: float) -> np.ndarray:
    """score / temperature + Gumbel noise (any shape); at temperature 0 the noise only breaks ties."""
    return scores + 1e-9 * noise if temperature == 0 else scores / temperature + noise


FEED_BLOCK = 32_768
"""Active viewers whose candidates are drawn and scored together. It bounds a step's
memory at any platform size, and it fixes the order of the ranking's random draws: a
constant, so that a seed gives the same run on any machine."""


class ForYouPolicy:
    """The two-stage For-You model with staged distribution."""

    name = "foryou"

    def __init__(self, config: Ranking):
        self.config = config
        self._step: tuple[int, int] | None = None  # (model, step) the pools below were built for
        self._pools: tuple[LivePosts, _Retrieval, np.ndarray] | None = None

    def _step_pools(self, model: EngagementModel) -> tuple[LivePosts, _Retrieval, np.ndarray]:
        """The live posts, candidate pools and predicted engagement x freshness of this step.

        Built once per step; a model that builds feeds viewer by viewer within a step
        (benchmarks/plain_mesa.py) reuses them, as the platform would.
        """
        if self._step != (id(model), model.steps):
            config, posts = self.config, model.posts
            live = live_posts(model)
            predicted = engagement_score(posts, live.ids, config.weights, model.platform_rates,
                                         config.prior_strength) * live.freshness
            self._pools = (live, _Retrieval(model, live, config), predicted)
            self._step = (id(model), model.steps)
        return self._pools

    def build_feeds(self, model: EngagementModel, viewers: np.ndarray,
                    feed_length: np.ndarray, rng: np.random.Generator) -> Feed:
        config, posts = self.config, model.posts
        # The score's part that is the same for every viewer: predicted engagement x freshness.
        live, retrieval, predicted = self._step_pools(model)
        authors = posts.creator[live.ids].astype(np.int64)
        boost = model.retargeting.boost if model.retargeting is not None else None
        blocks = []
        for start in range(0, len(viewers), FEED_BLOCK):
            block = slice(start, start + FEED_BLOCK)
            candidates, source, affinity = self._candidates(retrieval, viewers[block],
                                                            feed_length[block], rng)
            keys, priority = candidate_keys(candidates, affinity, source, predicted, authors,
                                            boost, live.first, config, rng)
            blocks.append((candidates, source, keys, priority))
        candidates, source, keys, priority = stack_blocks(blocks, len(viewers))
        allowance = model.distribution.allowance(posts, live.ids)
        return select_within_allowance(candidates, keys, source, feed_length, viewers,
                                       allowance, live, priority)

    def _candidates(self, retrieval: _Retrieval, viewers: np.ndarray, feed_length: np.ndarray,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stage 1: admitted candidates (A, W), compact, with their sources and affinities.

        Sources the viewer chose (follows, friends' shares) come first so that when a post
        arrives twice, its ungated copy is kept. Viewers whose feed cannot be filled yet
        get further draws from the recommendation sources.
        """
        rounds = self.config.retrieval_rounds
        candidates, source, affinity, count = retrieval.admit(
            viewers, *retrieval.draw(viewers, rng, "first"))
        for round_ in range(rounds + 1):
            short = np.flatnonzero(count < feed_length)
            if len(short) == 0:
                break
            # The last round backfills from all live posts, by reach weight and
            # regardless of affinity: a platform never leaves a feed empty.
            more, more_source = retrieval.draw(viewers[short], rng,
                                               "backfill" if round_ == rounds else "more")
            if more.shape[1] == 0:
                break
            # The short rows' admitted candidates, then the new draws, admitted together;
            # every earlier candidate is admitted again, so rows only grow.
            kept = int(count[short].max(initial=0))
            merged = retrieval.admit(
                viewers[short], np.concatenate([candidates[short, :kept], more], axis=1),
                np.concatenate([source[short, :kept], more_source], axis=1))
            width = int(merged[3].max(initial=0))
            if width > candidates.shape[1]:
                candidates, source, affinity = (widen(values, width, fill) for values, fill in (
                    (candidates, NO_POST), (source, 0), (affinity, 0)))
            for values, update in zip((candidates, source, affinity), merged, strict=False):
                values[short, :width] = update[:, :width]
            count[short] = merged[3]
        width = int(count.max(initial=0))
        return tuple(np.ascontiguousarray(values[:, :width])
                     for values in (candidates, source, affinity))


def candidate_keys(candidates: np.ndarray, affinity: np.ndarray, source: np.ndarray,
                   predicted: np.ndarray, authors: np.ndarray, boost: np.ndarray | None,
                   first_live: int, config: Ranking,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Stage 2: each candidate's sort key and allowance priority (A, Q), -inf and 0 if empty.

    score = predicted (n_live,) x max(affinity, 0)^gamma, x the content funnel's
    ``boost`` (C,) when retargeted, x ``same_author_penalty`` for all but an author's
    best candidate in the feed; key = score / temperature + Gumbel noise, so that
    the top keys are a softmax sample. ``authors`` (n_live,) are the live posts'
    creators. Noise and priorities are drawn for the valid candidates, in row order.
    """
    valid = candidates >= 0
    n_valid = int(valid.sum())
    noise, priority_draws = rng.gumbel(size=n_valid), rng.random(n_valid)
    gamma, penalty, temperature = (config.affinity_exponent, config.same_author_penalty,
                                   config.temperature)
    retargeted = SOURCE_INDEX["retargeting"]
    if compiled():
        return _candidate_keys(candidates, affinity, source, predicted, authors,
                               boost if boost is not None else np.ones(0), retargeted,
                               first_live, gamma, penalty, temperature, noise, priority_draws)
    local = np.where(valid, candidates - first_live, 0)
    scores = predicted[local] * affinity_weight(np.maximum(affinity, np.float32(0.0)), gamma)
    author = authors[local]
    if boost is not None:
        scores = scores * np.where(source == retargeted, boost[author], 1.0)
    scores = penalise_repeated_authors(author, scores, valid, penalty)
    keys = np.full(candidates.shape, -np.inf)
    keys[valid] = softmax_keys(scores[valid], noise, temperature)
    priority = np.zeros(candidates.shape)
    priority[valid] = priority_draws
    return keys, priority


def affinity_weight(affinity: np.ndarray, gamma: float) -> np.ndarray:
    """affinity (float32, >= 0) ^ gamma in float64; squares and identities are exact."""
    affinity = affinity.astype(np.float64)
    if gamma == 2.0:
        return affinity * affinity
    if gamma == 1.0:
        return affinity
    return affinity**gamma


@kernel(parallel=True)
def _candidate_keys(candidates, affinity, source, predicted, authors, boost, retargeted,
                    first_live, gamma, penalty, temperature, noise, priority_draws):  # pragma: no cover
    n_rows, width = candidates.shape
    keys = np.full((n_rows, width), -np.inf)
    priority = np.zeros((n_rows, width))
    offset = np.zeros(n_rows + 1, dtype=np.int64)  # where each row's draws start
    for row in range(n_rows):
        count = 0
        for j in range(width):
            if candidates[row, j] >= 0:
                count += 1
        offset[row + 1] = offset[row] + count
    n_authors = authors.max() + 1 if len(authors) else 1
    n_blocks = max(1, -(-n_rows // 1024))
    for block in prange(n_blocks):
        best_in = np.full(n_authors, -1, dtype=np.int64)  # row whose best is in best_at
        best_at = np.zeros(n_authors, dtype=np.int64)
        scores = np.zeros(width)
        for row in range(block * 1024, min(n_rows, (block + 1) * 1024)):
            for j in range(width):
                if candidates[row, j] < 0:
                    continue
                local = candidates[row, j] - first_live
                weight = np.float64(max(affinity[row, j], np.float32(0.0)))
                if gamma == 2.0:
                    weight = weight * weight
                elif gamma != 1.0:
                    weight = weight**gamma
                score = predicted[local] * weight
                author = authors[local]
                if len(boost):
                    score = score * (boost[author] if source[row, j] == retargeted else 1.0)
                scores[j] = score
                if best_in[author] != row:
                    best_in[author], best_at[author] = row, j
                elif score > scores[best_at[author]]:
                    best_at[author] = j
            draw = offset[row]
            for j in range(width):
                if candidates[row, j] < 0:
                    continue
                score = scores[j]
                if penalty != 1.0 and best_at[authors[candidates[row, j] - first_live]] != j:
                    score = score * penalty
                keys[row, j] = (score + 1e-9 * noise[draw] if temperature == 0
                                else score / temperature + noise[draw])
                priority[row, j] = priority_draws[draw]
                draw += 1
    return keys, priority


def penalise_repeated_authors(authors: np.ndarray, scores: np.ndarray, valid: np.ndarray,
                              penalty: float) -> np.ndarray:
    """Multiply by ``penalty`` every valid candidate but the best of each author in a row (A, Q).

    The best is the highest score; among equal scores, the leftmost.
    """
    if penalty == 1.0:
        return scores
    if compiled():
        return _penalise(np.ascontiguousarray(authors, dtype=np.int64), scores, valid,
                         int(authors.max(initial=0)) + 1, penalty)
    # Sort each row by author, then by score (best first), then by column (lexsort is stable).
    grouped = np.where(valid, authors, np.iinfo(np.int64).max)
    order = np.lexsort((-scores, grouped), axis=1)
    sorted_authors = np.take_along_axis(grouped, order, axis=1)
    sorted_valid = np.take_along_axis(valid, order, axis=1)
    repeat = np.zeros_like(valid)
    repeat[:, 1:] = (sorted_authors[:, 1:] == sorted_authors[:, :-1]) & sorted_valid[:, 1:]
    penalised = np.empty_like(repeat)
    np.put_along_axis(penalised, order, repeat, axis=1)
    return np.where(penalised, scores * penalty, scores)


@kernel(parallel=True)
def _penalise(authors, scores, valid, n_authors, penalty):  # pragma: no cover
    n_rows, width = scores.shape
    result = scores.copy()
    n_blocks = max(1, -(-n_rows // 1024))
    for block in prange(n_blocks):
        best_in = np.full(n_authors, -1, dtype=np.int64)  # row whose best is in best_at
        best_at = np.zeros(n_authors, dtype=np.int64)
        for row in range(block * 1024, min(n_rows, (block + 1) * 1024)):
            for j in range(width):
                if not valid[row, j]:
                    continue
                author = authors[row, j]
                if best_in[author] != row:
                    best_in[author], best_at[author] = row, j
                elif scores[row, j] > scores[row, best_at[author]]:
                    best_at[author] = j
            for j in range(width):
                if valid[row, j] and best_at[authors[row, j]] != j:
                    result[row, j] = scores[row, j] * penalty
    return result


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
