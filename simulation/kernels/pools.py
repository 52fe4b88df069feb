"""Weighted pools of posts and categorical draws: the candidate stage's sampling.

Every function works on all active viewers at once: A viewers, Q candidates
each, post ids as int64 with -1 for "no candidate". Pools group posts by a key
(topic, creator, or one global group) so that a draw costs a binary search,
not a scan of every post.
"""

from __future__ import annotations

import numpy as np

from simulation.core.sources import NO_POST
from simulation.kernels.compiler import compiled, kernel, prange


class WeightedPools:
    """Posts grouped by key; within a group a post is drawn in proportion to its weight.

    ``keys`` (n,) group of each post (0..G-1), ``posts`` (n,) post ids,
    ``weights`` (n,) >= 0. A draw is an inverse-CDF lookup in the group's
    cumulative weights; the compiled kernel starts it from a guide table
    (Chen and Asau 1974), which finds the same post in O(1) expected steps.
    """

    def __init__(self, keys: np.ndarray, posts: np.ndarray, weights: np.ndarray, n_groups: int):
        order = np.lexsort((posts, keys))
        self.posts = posts[order].astype(np.int64)
        self.cumulative = np.cumsum(weights[order], dtype=np.float64)
        counts = np.bincount(keys, minlength=n_groups)
        self.end = np.cumsum(counts)
        self.start = self.end - counts
        padded = np.concatenate([[0.0], self.cumulative])
        self.base = padded[self.start]  # (G,) weight of all groups before this one
        self.total = padded[self.end] - self.base  # (G,) total weight per group
        self._guide: np.ndarray | None = None

    @property
    def guide(self) -> np.ndarray:
        """(n,) for the k-th post of a group, where the search for u = k / n_group may start."""
        if self._guide is None:
            key = np.repeat(np.arange(len(self.start)), self.end - self.start)
            size = (self.end - self.start)[key]
            k = np.arange(len(self.posts)) - self.start[key]
            target = self.base[key] + k / size * self.total[key]
            found = np.searchsorted(self.cumulative, target, side="right")
            self._guide = np.clip(found, self.start[key], self.end[key] - 1)
        return self._guide

    def draw_by_weight(self, group_cumulative: np.ndarray, group_uniforms: np.ndarray,
                       uniforms: np.ndarray) -> np.ndarray:
        """Posts (A, q): per row a group drawn by weight, then a post of it.

        ``group_cumulative`` (A, G) are each row's cumulative group weights, float64
        (:func:`cumulative_weights`). The composition of :func:`draw_categories` and
        :meth:`draw`, in one pass.
        """
        if compiled() and len(self.posts):
            return _draw_by_weight(group_cumulative,
                                   np.ascontiguousarray(group_uniforms, dtype=np.float64),
                                   np.ascontiguousarray(uniforms, dtype=np.float64),
                                   self.posts, self.cumulative, self.start, self.end,
                                   self.base, self.total, self.guide)
        return self.draw(pick_categories(group_cumulative, group_uniforms), uniforms)

    def draw(self, groups: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
        """One post per entry of ``groups`` (any shape, -1 = none), given uniforms in [0, 1)."""
        if len(self.posts) == 0:
            return np.full(groups.shape, NO_POST, dtype=np.int64)
        if compiled():
            flat = _draw_from_pools(np.ascontiguousarray(groups, dtype=np.int64).ravel(),
                                    np.ascontiguousarray(uniforms, dtype=np.float64).ravel(),
                                    self.posts, self.cumulative, self.start, self.end,
                                    self.base, self.total, self.guide)
            return flat.reshape(groups.shape)
        safe = np.maximum(groups, 0)
        total = self.total[safe]
        # The first post whose cumulative weight passes base + u x total, within the group.
        target = self.base[safe] + uniforms * total
        index = np.searchsorted(self.cumulative, target, side="right")
        index = np.clip(index, self.start[safe], np.maximum(self.end[safe] - 1, 0))
        empty = (groups < 0) | (total <= 0)
        return np.where(empty, NO_POST, self.posts[np.minimum(index, len(self.posts) - 1)])


@kernel()
def _draw_from_pools(groups, uniforms, posts, cumulative, start, end, base, total,
                     guide):  # pragma: no cover
    drawn = np.empty(len(groups), dtype=np.int64)
    for i in prange(len(groups)):
        drawn[i] = _pool_post(groups[i], uniforms[i], posts, cumulative, start, end, base, total,
                              guide)
    return drawn


@kernel()
def _draw_by_weight(group_cumulative, group_uniforms, uniforms, posts, cumulative, start, end,
                    base, total, guide):  # pragma: no cover
    n_rows, n_groups = group_cumulative.shape
    drawn = np.empty(uniforms.shape, dtype=np.int64)
    n_blocks = max(1, -(-n_rows // 1024))
    for block in prange(n_blocks):
        normalised = np.empty(n_groups, dtype=np.float64)
        for row in range(block * 1024, min(n_rows, (block + 1) * 1024)):
            row_total = _normalise_row(group_cumulative, row, normalised)
            for j in range(uniforms.shape[1]):
                group = _first_above(normalised, group_uniforms[row, j]) if row_total > 0 else -1
                drawn[row, j] = _pool_post(group, uniforms[row, j], posts, cumulative, start,
                                           end, base, total, guide)
    return drawn


@kernel(inline=True)
def _pool_post(group, uniform, posts, cumulative, start, end, base, total,
               guide):  # pragma: no cover
    safe = max(group, 0)
    if group < 0 or not total[safe] > 0:
        return NO_POST
    first, last = start[safe], end[safe] - 1
    target = base[safe] + uniform * total[safe]
    # Start where the guide points, then step to the first cumulative weight above the
    # target (clipped to the group): the same post as a binary search, in O(1) steps.
    index = guide[first + min(int(uniform * (last - first + 1)), last - first)]
    while index > first and cumulative[index - 1] > target:
        index -= 1
    while index < last and cumulative[index] <= target:
        index += 1
    return posts[index]


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
            n_followed, running = 0, 0.0
            for c in range(n_creators):
                if table[viewers[row], c]:
                    running += creator_weight[c]
                    if creator_weight[c] != 0:
                        followed[n_followed], cumulative[n_followed] = c, running
                        n_followed += 1
            for j in range(uniforms.shape[1]):
                if not running > 0:
                    drawn[row, j] = -1
                    continue
                at = 0
                while at < n_followed and cumulative[at] / running <= uniforms[row, j]:
                    at += 1
                drawn[row, j] = followed[at] if at < n_followed else n_creators - 1
    return drawn
