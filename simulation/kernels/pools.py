"""Weighted pools of posts and categorical draws: the candidate stage's sampling.

Every function works on all active viewers at once: A viewers, Q candidates
each, post ids as int64 with -1 for "no candidate". Pools group posts by a key
(topic, creator, or one global group) so that a draw costs a table lookup,
not a scan of every post.
"""

from __future__ import annotations

import numpy as np

from simulation.core.sources import NO_POST
from simulation.kernels.compiler import compiled, kernel, prange


class WeightedPools:
    """Posts grouped by key; within a group a post is drawn in proportion to its weight.

    ``keys`` (n,) group of each post (0..G-1), ``posts`` (n,) post ids,
    ``weights`` (n,) >= 0. A draw uses each group's alias table (Walker 1977, built by
    Vose's method, 1991): one uniform picks an entry and, by its fraction, the entry's post
    or its alias, in O(1) steps without a search; the table is built once per pool.
    """

    def __init__(self, keys: np.ndarray, posts: np.ndarray, weights: np.ndarray, n_groups: int):
        order = np.lexsort((posts, keys))
        self.posts = posts[order].astype(np.int64)
        self.weights = np.asarray(weights, dtype=np.float64)[order]
        counts = np.bincount(keys, minlength=n_groups)
        self.end = np.cumsum(counts)
        self.start = self.end - counts
        cumulative = np.concatenate([[0.0], np.cumsum(self.weights)])
        self.total = cumulative[self.end] - cumulative[self.start]  # (G,) weight per group
        self._alias: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def alias(self) -> tuple[np.ndarray, np.ndarray]:
        """Each entry's chance to keep its own post (n,) float64 and its alias's post id (n,)."""
        if self._alias is None:
            build = _alias_tables if compiled() else _alias_tables_numpy
            accept, alias = build(self.weights, self.start, self.end, self.total)
            self._alias = accept, self.posts[alias]
        return self._alias

    def draw(self, groups: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
        """One post per entry of ``groups`` (any shape, -1 = none), given uniforms in [0, 1)."""
        if len(self.posts) == 0:
            return np.full(groups.shape, NO_POST, dtype=np.int64)
        accept, alias = self.alias
        if compiled():
            flat = _draw_from_pools(np.ascontiguousarray(groups, dtype=np.int64).ravel(),
                                    np.ascontiguousarray(uniforms, dtype=np.float64).ravel(),
                                    self.posts, alias, accept, self.start, self.end, self.total)
            return flat.reshape(groups.shape)
        safe = np.maximum(groups, 0)
        size = self.end[safe] - self.start[safe]
        scaled = uniforms * size
        entry = np.minimum(scaled.astype(np.int64), np.maximum(size - 1, 0))
        at = np.minimum(self.start[safe] + entry, len(self.posts) - 1)
        drawn = np.where(scaled - entry < accept[at], self.posts[at], alias[at])
        empty = (groups < 0) | ~(self.total[safe] > 0)
        return np.where(empty, NO_POST, drawn)


@kernel()
def _draw_from_pools(groups, uniforms, posts, alias, accept, start, end,
                     total):  # pragma: no cover
    drawn = np.empty(len(groups), dtype=np.int64)
    for i in prange(len(groups)):
        drawn[i] = _pool_post(groups[i], uniforms[i], posts, alias, accept, start, end, total)
    return drawn


@kernel(inline=True)
def _pool_post(group, uniform, posts, alias, accept, start, end, total):  # pragma: no cover
    if group < 0 or not total[group] > 0:
        return NO_POST
    size = end[group] - start[group]
    scaled = uniform * size
    entry = min(int(scaled), size - 1)
    at = start[group] + entry
    return posts[at] if scaled - entry < accept[at] else alias[at]


def _alias_tables_numpy(weights: np.ndarray, start: np.ndarray, end: np.ndarray,
                        total: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The twin of :func:`_alias_tables`, group by group in Python (built once per pool)."""
    accept = np.ones(len(weights))
    alias = np.arange(len(weights))
    for group in range(len(start)):
        first, last = int(start[group]), int(end[group])
        if last == first or not total[group] > 0:
            continue
        size = last - first
        scaled = [float(w) * size / float(total[group]) for w in weights[first:last]]
        small = [i for i in range(size) if scaled[i] < 1.0]
        large = [i for i in range(size) if not scaled[i] < 1.0]
        while small and large:
            below, above = small.pop(), large.pop()
            accept[first + below], alias[first + below] = scaled[below], first + above
            scaled[above] = (scaled[above] + scaled[below]) - 1.0
            (small if scaled[above] < 1.0 else large).append(above)
    return accept, alias


@kernel()
def _alias_tables(weights, start, end, total):  # pragma: no cover
    # Vose's method per group: entries below the mean weight take an alias above it; what
    # is left (the rest of the mass, or rounding) keeps its own post.
    accept = np.ones(len(weights))
    alias = np.arange(len(weights))
    small = np.empty(len(weights), dtype=np.int64)
    large = np.empty(len(weights), dtype=np.int64)
    scaled = np.empty(len(weights))
    for group in range(len(start)):
        first, last = start[group], end[group]
        if last == first or not total[group] > 0:
            continue
        size = last - first
        n_small, n_large = 0, 0
        for i in range(size):
            scaled[i] = weights[first + i] * size / total[group]
            if scaled[i] < 1.0:
                small[n_small] = i
                n_small += 1
        for i in range(size):
            if not scaled[i] < 1.0:
                large[n_large] = i
                n_large += 1
        while n_small > 0 and n_large > 0:
            n_small -= 1
            n_large -= 1
            below, above = small[n_small], large[n_large]
            accept[first + below], alias[first + below] = scaled[below], first + above
            scaled[above] = (scaled[above] + scaled[below]) - 1.0
            if scaled[above] < 1.0:
                small[n_small] = above
                n_small += 1
            else:
                large[n_large] = above
                n_large += 1
    return accept, alias


def cumulative_weights(weights: np.ndarray) -> np.ndarray:
    """Each row's cumulative weights (A, G) -> (A, G) float64, summed in order."""
    return np.cumsum(weights, axis=1, dtype=np.float64)


def draw_categories(weights: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Per row, categories drawn in proportion to ``weights`` (A, G) -> (A, q); -1 for all-zero rows.

    A uniform u picks the first category whose normalised cumulative weight
    exceeds u (inverse transform sampling), compared exactly, without adding
    row offsets that would round.
    """
    return pick_categories(cumulative_weights(weights), uniforms)


def pick_categories(cumulative: np.ndarray, uniforms: np.ndarray,
                    chunk: int = 1 << 22) -> np.ndarray:
    """:func:`draw_categories` from each row's cumulative weights (A, G) float64."""
    n_rows, n_groups = cumulative.shape
    if n_groups == 0 or n_rows == 0:
        return np.full(uniforms.shape, -1, dtype=np.int64)
    if compiled():
        return _pick_categories(cumulative, np.ascontiguousarray(uniforms, dtype=np.float64))
    totals = cumulative[:, -1:]
    normalised = cumulative / np.where(totals > 0, totals, 1.0)
    category = np.empty(uniforms.shape, dtype=np.int64)
    rows = max(1, chunk // max(1, uniforms.shape[1] * n_groups))
    for first in range(0, n_rows, rows):  # chunks of rows bound the (rows, q, G) comparison
        block = slice(first, first + rows)
        category[block] = (normalised[block, None, :] <= uniforms[block, :, None]).sum(axis=2)
    return np.where(totals > 0, np.minimum(category, n_groups - 1), -1)


@kernel()
def _pick_categories(cumulative, uniforms):  # pragma: no cover
    n_rows, n_groups = cumulative.shape
    category = np.empty(uniforms.shape, dtype=np.int64)
    n_blocks = max(1, -(-n_rows // 1024))
    for block in prange(n_blocks):
        normalised = np.empty(n_groups, dtype=np.float64)
        for row in range(block * 1024, min(n_rows, (block + 1) * 1024)):
            total = _normalise_row(cumulative, row, normalised)
            for j in range(uniforms.shape[1]):
                category[row, j] = _first_above(normalised, uniforms[row, j]) if total > 0 else -1
    return category


@kernel(inline=True)
def _normalise_row(cumulative, row, normalised):  # pragma: no cover
    """Fill ``normalised`` with the row's cumulative weights over their total; returns the
    total (the row is left unfilled when it is 0: nothing to draw)."""
    n_groups = cumulative.shape[1]
    total = cumulative[row, n_groups - 1]
    if total > 0:
        for g in range(n_groups):
            normalised[g] = cumulative[row, g] / total
    return total


@kernel(inline=True)
def _first_above(normalised, uniform):  # pragma: no cover
    # The number of normalised cumulative weights <= uniform among all groups but the
    # last: searchsorted(cumulative / total, uniform, "right") clipped to the last group
    # (the weights never decrease). Counted without branches: there are few groups.
    found = 0
    for g in range(len(normalised) - 1):
        found += normalised[g] <= uniform
    return found


def draw_followed(table: np.ndarray, viewers: np.ndarray, creator_weight: np.ndarray,
                  uniforms: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Followed creators (A, q) drawn in proportion to ``creator_weight`` (C,); -1 if none.

    ``table`` (V, C) is who follows whom; equivalent to :func:`draw_categories` on
    ``table[viewers] * creator_weight`` without building that (A, C) matrix.
    """
    if compiled():
        return _pick_followed(viewers, table, creator_weight.astype(np.float64),
                              np.ascontiguousarray(uniforms, dtype=np.float64))
    drawn = np.empty(uniforms.shape, dtype=np.int64)
    for first in range(0, len(viewers), chunk):
        block = slice(first, first + chunk)
        drawn[block] = draw_categories(table[viewers[block]] * creator_weight[None, :],
                                       uniforms[block])
    return drawn


@kernel()
def _pick_followed(viewers, table, creator_weight, uniforms):  # pragma: no cover
    n_rows, n_creators = len(viewers), len(creator_weight)
    drawn = np.empty(uniforms.shape, dtype=np.int64)
    n_blocks = max(1, -(-n_rows // 1024))
    for block in prange(n_blocks):
        # Only followed creators with weight move the cumulative sum, and the first
        # category above u is always one of them: search among them alone.
        followed = np.empty(n_creators, dtype=np.int64)
        cumulative = np.empty(n_creators, dtype=np.float64)
        for row in range(block * 1024, min(n_rows, (block + 1) * 1024)):
            n_followed, running = _followed_weights(table, viewers[row], creator_weight,
                                                    followed, cumulative)
            for j in range(uniforms.shape[1]):
                drawn[row, j] = _followed_creator(followed, cumulative, n_followed, running,
                                                  uniforms[row, j])
    return drawn


@kernel(inline=True)
def _followed_weights(table, viewer, weight, followed, cumulative):  # pragma: no cover
    """Fill ``followed`` and ``cumulative`` (C,) with the viewer's followed creators of
    non-zero weight and the running weight up to each; returns their count and the total."""
    n_followed, running = 0, 0.0
    for c in range(len(followed)):
        if table[viewer, c]:
            running += weight[c]
            if weight[c] != 0:
                followed[n_followed], cumulative[n_followed] = c, running
                n_followed += 1
    return n_followed, running


@kernel(inline=True)
def _followed_creator(followed, cumulative, n_followed, running, uniform):  # pragma: no cover
    """The followed creator a uniform picks by weight (:func:`_followed_weights`); -1 if none."""
    if not running > 0:
        return -1
    at = 0
    while at < n_followed and cumulative[at] / running <= uniform:
        at += 1
    return followed[at] if at < n_followed else len(followed) - 1
