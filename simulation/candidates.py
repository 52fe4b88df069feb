"""Candidate generation, the first stage of ranking: draws from weighted pools of posts.

Every function works on all active viewers at once: A viewers, Q candidates
each, post ids as int64 with -1 for "no candidate". Pools group posts by a key
(topic, creator, or one global group) so that a draw costs a binary search,
not a scan of every post.
"""

from __future__ import annotations

import numpy as np

NO_POST = -1


class WeightedPools:
    """Posts grouped by key; within a group a post is drawn in proportion to its weight.

    ``keys`` (n,) group of each post (0..G-1), ``posts`` (n,) post ids,
    ``weights`` (n,) >= 0.
    """

    def __init__(self, keys: np.ndarray, posts: np.ndarray, weights: np.ndarray, n_groups: int):
        order = np.lexsort((posts, keys))
        self.posts = posts[order]
        self.cumulative = np.cumsum(weights[order], dtype=np.float64)
        counts = np.bincount(keys, minlength=n_groups)
        self.end = np.cumsum(counts)
        self.start = self.end - counts
        padded = np.concatenate([[0.0], self.cumulative])
        self.base = padded[self.start]  # (G,) weight of all groups before this one
        self.total = padded[self.end] - self.base  # (G,) total weight per group

    def draw(self, groups: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
        """One post per entry of ``groups`` (any shape, -1 = none), given uniforms in [0, 1)."""
        safe = np.maximum(groups, 0)
        total = self.total[safe]
        target = self.base[safe] + uniforms * total
        index = np.searchsorted(self.cumulative, target, side="right")
        index = np.clip(index, self.start[safe], np.maximum(self.end[safe] - 1, 0))
        empty = (groups < 0) | (total <= 0)
        if len(self.posts) == 0:
            return np.full(groups.shape, NO_POST, dtype=np.int64)
        return np.where(empty, NO_POST, self.posts[np.minimum(index, len(self.posts) - 1)])


def draw_categories(weights: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Per row, categories drawn in proportion to ``weights`` (A, G) -> (A, q); -1 for all-zero rows.

    Rows are stacked on one axis (row r's normalised cumulative weights are
    shifted by r) so that one binary search serves every row.
    """
    n_rows, n_groups = weights.shape
    cumulative = np.cumsum(weights, axis=1, dtype=np.float64)
    totals = cumulative[:, -1:] if n_groups else np.zeros((n_rows, 1))
    rows = np.arange(n_rows, dtype=np.float64)[:, None]
    stacked = (cumulative / np.where(totals > 0, totals, 1.0) + rows).ravel()
    found = np.searchsorted(stacked, (uniforms + rows).ravel(), side="right").reshape(uniforms.shape)
    category = np.clip(found - np.arange(n_rows)[:, None] * n_groups, 0, max(n_groups - 1, 0))
    return np.where(totals > 0, category, -1)


def rank_within_groups(groups: np.ndarray, tiebreak: np.ndarray | None = None) -> np.ndarray:
    """Rank of each entry among entries with the same group value (0 = first), (n,) -> (n,).

    Entries of a group are ranked by ``tiebreak`` (ascending) if given, else by position.
    """
    order = (np.lexsort((tiebreak, groups)) if tiebreak is not None
             else np.argsort(groups, kind="stable"))
    ordered = groups[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]] if len(order) else np.zeros(0, bool)
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - group_start
    return rank


def drop_duplicates(candidates: np.ndarray) -> np.ndarray:
    """Replace repeats of a post within a row by -1, keeping its first (leftmost) column."""
    order = np.argsort(candidates, axis=1, kind="stable")
    ordered = np.take_along_axis(candidates, order, axis=1)
    repeat = np.zeros_like(ordered, dtype=bool)
    repeat[:, 1:] = (ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)
    result = candidates.copy()
    np.put_along_axis(result, order, np.where(repeat, NO_POST, ordered), axis=1)
    return result


class ImpressionHistory:
    """Which posts each viewer has been shown: a bitmap (V, ceil(P / 8)) that grows with P."""

    def __init__(self, n_viewers: int, capacity: int = 1024):
        self.bits = np.zeros((n_viewers, (capacity + 7) // 8), dtype=np.uint8)

    def _ensure(self, n_posts: int) -> None:
        needed = (n_posts + 7) // 8
        if needed > self.bits.shape[1]:
            grown = np.zeros((self.bits.shape[0], max(needed, 2 * self.bits.shape[1])),
                             dtype=np.uint8)
            grown[:, : self.bits.shape[1]] = self.bits
            self.bits = grown

    def seen(self, viewers: np.ndarray, posts: np.ndarray) -> np.ndarray:
        """Whether each viewer has seen each post; ``viewers`` broadcasts against ``posts``."""
        safe = np.maximum(posts, 0)
        self._ensure(int(safe.max(initial=0)) + 1)
        byte = self.bits[viewers, safe >> 3]
        return ((byte >> (safe & 7).astype(np.uint8)) & 1).astype(bool) & (posts >= 0)

    def mark(self, viewers: np.ndarray, posts: np.ndarray) -> None:
        """Record impressions of ``posts`` (n,) to ``viewers`` (n,)."""
        if len(posts) == 0:
            return
        self._ensure(int(posts.max()) + 1)
        np.bitwise_or.at(self.bits, (viewers, posts >> 3),
                         np.left_shift(1, posts & 7).astype(np.uint8))
