"""The candidate stage in one pass per viewer: draws from the pools, admission, further rounds.

For each active viewer (a row), in this order: posts of followed creators (a followed
creator by weight, then one of its posts), the candidates given (friends' shares, the
levers' sources), then the topic sources (a topic from the platform's estimate of the
viewer's interests, then a post of that topic's pool); each candidate is admitted at
once (see :func:`~simulation.kernels.admission.admit`). A viewer whose feed cannot be
filled yet gets further rounds of topic draws, and a last round from all live posts
that is not gated by affinity. Every uniform is counter-based (``kernels/counters.py``),
keyed by the viewer, the round and the draw, so the compiled loop draws what it needs
where it needs it and writes nothing but the admitted candidates.

The numpy twin goes source by source over all rows, with the same uniforms, the same
pools and the same admission, and gives the same candidates bit for bit.
"""

from __future__ import annotations

import numpy as np

from simulation.core.sources import NO_POST
from simulation.kernels.admission import admit
from simulation.kernels.compiler import compiled, kernel, prange
from simulation.kernels.counters import _row_key, _uniform, row_keys, uniforms
from simulation.kernels.pools import (
    WeightedPools,
    _first_above,
    _followed_creator,
    _followed_weights,
    _normalise_row,
    _pool_post,
    cumulative_weights,
    draw_followed,
    pick_categories,
)
from simulation.kernels.selection import widen

ROUND_STRIDE = 1 << 13
"""Counters per retrieval round and viewer: two uniforms per drawn column, up to 4 096 columns."""


class Retrieval:
    """What one step's candidate stage draws from and admits against (the step's pools).

    ``pools``: one :class:`WeightedPools` whose groups are the creators (0..C-1), then
    for each topic source s the topics (C + s x T + topic), then the backfill pool's
    topics (C + S x T + topic). ``codes``: the source index of following, of each topic
    source (S,), and of backfill. ``quotas``: draws per viewer of following, of each
    topic source (S,), and of backfill. ``estimate`` and ``unit`` (V, T) float32 are the
    platform's interest estimates and their unit vectors; ``post_units`` (n_live, T)
    float32 and ``bar`` (n_live,) float32 are the live posts' unit topic vectors and
    affinity bars; ``gated`` (n_sources + 1,) bool says which sources the bar gates.
    """

    def __init__(self, pools: WeightedPools, n_creators: int, n_topics: int,
                 following: tuple[int, int], topic: list[tuple[int, int]],
                 backfill: tuple[int, int], rounds: int, follows: np.ndarray,
                 estimate: np.ndarray, unit: np.ndarray, first_live: int,
                 post_units: np.ndarray, bar: np.ndarray, gated: np.ndarray):
        self.pools, self.n_creators, self.n_topics = pools, n_creators, n_topics
        self.following_code, self.following_quota = following
        self.topic_codes = np.array([code for code, _ in topic], dtype=np.int8)
        self.topic_quotas = np.array([quota for _, quota in topic], dtype=np.int64)
        self.backfill_code, self.backfill_quota = backfill
        self.rounds, self.follows = rounds, follows
        self.estimate, self.unit = estimate, unit
        self.first_live = first_live
        self.post_units, self.bar, self.gated = post_units, bar, gated

    def candidates(self, viewers: np.ndarray, feed_length: np.ndarray, key: np.uint64,
                   given: np.ndarray, given_source: np.ndarray, seen_bits: np.ndarray,
                   capacity: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Admitted candidates (A, W) int64, their sources (A, W) int8 and affinities (A, W)
        float32, compact rows (-1, 0, 0 past each row's end), W the fullest row.

        ``viewers`` (A,) and ``feed_length`` (A,) are the active viewers and their feeds'
        lengths, ``key`` the step's key of the counter-based uniforms; ``given`` (A, P) are
        candidates drawn elsewhere (-1 for none), placed after the followed creators' posts,
        with their sources ``given_source`` (P,). ``seen_bits`` (V, capacity / 8) is the
        impression history's ring, with a place for every live post.
        """
        given = np.ascontiguousarray(given, dtype=np.int64)
        given_source = np.ascontiguousarray(given_source, dtype=np.int8)
        if compiled():
            pools = self.pools
            accept, alias = pools.alias
            width = (self.following_quota + given.shape[1] + int(self.topic_quotas.sum())
                     * (1 + self.rounds) + self.backfill_quota)
            return _retrieve(np.asarray(viewers, dtype=np.int64),
                             np.asarray(feed_length, dtype=np.int64), np.uint64(key), given,
                             given_source, self.follows, self.following_quota,
                             self.following_code, self.topic_codes, self.topic_quotas,
                             self.backfill_quota, self.backfill_code, self.rounds, pools.posts,
                             alias, accept, pools.start, pools.end, pools.total,
                             self.n_creators, self.n_topics, self.estimate,
                             self.unit, self.first_live, seen_bits, capacity,
                             self.post_units, self.bar, self.gated, width)
        return self._numpy_candidates(np.asarray(viewers, dtype=np.int64),
                                      np.asarray(feed_length), np.uint64(key), given,
                                      given_source, seen_bits, capacity)

    # --- the numpy twin ------------------------------------------------------------------

    def _draw_round(self, viewers: np.ndarray, keys: np.ndarray, topic_cumulative: np.ndarray,
                    round_: int, given: np.ndarray,
                    given_source: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Round ``round_``'s draws (A, Q) and sources (A, Q): 0 is the first, 1..rounds
        more topic draws, rounds + 1 the backfill."""
        pools, n = self.pools, len(viewers)
        columns: list[np.ndarray] = []
        sources: list[np.ndarray] = []
        drawn = 0

        def pair(count: int) -> tuple[np.ndarray, np.ndarray]:
            nonlocal drawn
            index = round_ * ROUND_STRIDE + 2 * (drawn + np.arange(count))
            drawn += count
            return uniforms(keys, index), uniforms(keys, index + 1)

        def add(values: np.ndarray, source: np.ndarray | int) -> None:
            columns.append(values)
            sources.append(np.broadcast_to(np.asarray(source, dtype=np.int8),
                                           (values.shape[1],)))

        def by_topic(pool: int, quota: int) -> np.ndarray:
            groups_u, posts_u = pair(quota)
            topic = pick_categories(topic_cumulative, groups_u)
            groups = np.where(topic >= 0, self.n_creators + pool * self.n_topics + topic, -1)
            return pools.draw(groups, posts_u)

        if round_ == 0 and self.following_quota:
            creator_u, posts_u = pair(self.following_quota)
            creators = draw_followed(self.follows, viewers, pools.total[:self.n_creators],
                                     creator_u)
            add(pools.draw(creators, posts_u), self.following_code)
        if round_ == 0 and given.shape[1]:
            add(given, given_source)
        if round_ <= self.rounds:
            for pool, (code, quota) in enumerate(zip(self.topic_codes, self.topic_quotas,
                                                     strict=True)):
                if quota:
                    add(by_topic(pool, int(quota)), code)
        elif self.backfill_quota:
            add(by_topic(len(self.topic_codes), self.backfill_quota), self.backfill_code)
        if not columns:
            return np.full((n, 0), NO_POST, dtype=np.int64), np.zeros((n, 0), dtype=np.int8)
        candidates = np.concatenate(columns, axis=1)
        return candidates, np.broadcast_to(np.concatenate(sources), candidates.shape).copy()

    def _numpy_candidates(self, viewers: np.ndarray, feed_length: np.ndarray, key: np.uint64,
                          given: np.ndarray, given_source: np.ndarray, seen_bits: np.ndarray,
                          capacity: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        def admitted(rows: np.ndarray, drawn: np.ndarray, source: np.ndarray):
            return admit(drawn, source, rows, self.first_live, seen_bits, capacity,
                         self.unit[rows], self.post_units, self.bar, self.gated)

        keys = row_keys(key, viewers)
        topic_cumulative = cumulative_weights(self.estimate[viewers])
        candidates, source, affinity, count = admitted(viewers, *self._draw_round(
            viewers, keys, topic_cumulative, 0, given, given_source))
        for round_ in range(1, self.rounds + 2):
            short = np.flatnonzero(count < feed_length)
            if len(short) == 0:
                break
            more, more_source = self._draw_round(viewers[short], keys[short],
                                                 topic_cumulative[short], round_, given[short],
                                                 given_source)
            if more.shape[1] == 0:
                break
            # The short rows' admitted candidates, then the new draws, admitted together:
            # every earlier candidate is admitted again, so rows only grow.
            kept = int(count[short].max(initial=0))
            merged = admitted(viewers[short],
                                 np.concatenate([candidates[short, :kept], more], axis=1),
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


@kernel()
def _retrieve(viewers, feed_length, key, given, given_source, follows, following_quota,
              following_code, topic_codes, topic_quotas, backfill_quota, backfill_code, rounds,
              posts, alias, accept, start, end, total, n_creators, n_topics,
              estimate, unit, first_live, bits, capacity, post_units, bar, gated,
              width):  # pragma: no cover
    n_rows, n_live, n_given = len(viewers), len(bar), given.shape[1]
    n_topic_sources = len(topic_codes)
    more_quota = 0
    for s in range(n_topic_sources):
        more_quota += topic_quotas[s]
    drawn_posts = np.empty((n_rows, width), dtype=np.int64)
    drawn_source = np.empty((n_rows, width), dtype=np.int8)
    drawn_affinity = np.empty((n_rows, width), dtype=np.float32)
    counts = np.zeros(n_rows, dtype=np.int64)
    n_blocks = max(1, -(-n_rows // 1024))
    for block in prange(n_blocks):
        # mark[local]: tag of the row that admitted the post, or tag + 1 + round of the row's
        # round that last met it; tags of different rows never meet (rounds + 3 apart).
        mark = np.full(n_live, -1, dtype=np.int64)
        normalised = np.empty(n_topics, dtype=np.float64)
        topic_cumulative = np.empty((1, n_topics), dtype=np.float64)
        followed = np.empty(n_creators, dtype=np.int64)
        followed_cumulative = np.empty(n_creators, dtype=np.float64)
        for row in range(block * 1024, min(n_rows, (block + 1) * 1024)):
            viewer = viewers[row]
            row_key = _row_key(key, viewer)
            tag = row * (rounds + 3)
            running = 0.0
            for t in range(n_topics):
                running += np.float64(estimate[viewer, t])
                topic_cumulative[0, t] = running
            topic_total = _normalise_row(topic_cumulative, 0, normalised)
            n_followed, follow_total = 0, 0.0
            if following_quota:
                n_followed, follow_total = _followed_weights(follows, viewer, total, followed,
                                                             followed_cumulative)
            at = 0
            for round_ in range(rounds + 2):
                if round_ > 0 and at >= feed_length[row]:
                    break
                if round_ > 0 and (more_quota if round_ <= rounds else backfill_quota) == 0:
                    break
                met = tag + 1 + round_
                counter = round_ * ROUND_STRIDE
                if round_ == 0:
                    for _ in range(following_quota):
                        u_creator = _uniform(row_key, counter)
                        u_post = _uniform(row_key, counter + 1)
                        counter += 2
                        creator = _followed_creator(followed, followed_cumulative, n_followed,
                                                    follow_total, u_creator)
                        post = _pool_post(creator, u_post, posts, alias, accept, start, end,
                                          total)
                        at = _consider(post, following_code, row, viewer, at, tag, met, mark,
                                       first_live, bits, capacity, unit, post_units, bar, gated,
                                       drawn_posts, drawn_source, drawn_affinity)
                    for j in range(n_given):
                        at = _consider(given[row, j], given_source[j], row, viewer, at, tag, met,
                                       mark, first_live, bits, capacity, unit, post_units, bar,
                                       gated, drawn_posts, drawn_source, drawn_affinity)
                for s in range(n_topic_sources + 1):
                    if round_ <= rounds:
                        if s == n_topic_sources:
                            continue
                        quota, code = topic_quotas[s], topic_codes[s]
                    else:
                        if s < n_topic_sources:
                            continue
                        quota, code = backfill_quota, backfill_code
                    offset = n_creators + s * n_topics
                    for _ in range(quota):
                        u_topic = _uniform(row_key, counter)
                        u_post = _uniform(row_key, counter + 1)
                        counter += 2
                        group = -1
                        if topic_total > 0:
                            group = offset + _first_above(normalised, u_topic)
                        post = _pool_post(group, u_post, posts, alias, accept, start, end,
                                          total)
                        at = _consider(post, code, row, viewer, at, tag, met, mark, first_live,
                                       bits, capacity, unit, post_units, bar, gated,
                                       drawn_posts, drawn_source, drawn_affinity)
            counts[row] = at
    fullest = 0
    for row in range(n_rows):
        fullest = max(fullest, counts[row])
    admitted = np.empty((n_rows, fullest), dtype=np.int64)
    sources = np.empty((n_rows, fullest), dtype=np.int8)
    affinities = np.empty((n_rows, fullest), dtype=np.float32)
    for row in prange(n_rows):
        for j in range(fullest):
            if j < counts[row]:
                admitted[row, j] = drawn_posts[row, j]
                sources[row, j] = drawn_source[row, j]
                affinities[row, j] = drawn_affinity[row, j]
            else:
                admitted[row, j], sources[row, j], affinities[row, j] = NO_POST, 0, 0.0
    return admitted, sources, affinities


@kernel(inline=True)
def _consider(post, source, row, viewer, at, tag, met, mark, first_live, bits, capacity, unit,
              post_units, bar, gated, admitted, sources, affinities):  # pragma: no cover
    """Admit ``post`` to the row if it is live, new to the row (or met only in an earlier
    round), unseen, and above its bar when its source is gated; returns the row's count."""
    if post < first_live:
        return at
    local = post - first_live
    if mark[local] == tag or mark[local] == met:
        return at
    mark[local] = met
    position = post % capacity
    if (bits[viewer, position >> 3] >> (position & 7)) & 1:
        return at
    affinity = post_units[local, 0] * unit[viewer, 0]
    for topic in range(1, post_units.shape[1]):
        affinity += post_units[local, topic] * unit[viewer, topic]
    if gated[source] and affinity < bar[local]:
        return at
    mark[local] = tag
    admitted[row, at], sources[row, at], affinities[row, at] = post, source, affinity
    return at + 1
