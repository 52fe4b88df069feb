"""Candidate generation, the first stage of ranking: draws from weighted pools of posts.

Every function works on all active viewers at once: A viewers, Q candidates
each, post ids as int64 with -1 for "no candidate". Pools group posts by a key
(topic, creator, or one global group) so that a draw costs a binary search,
not a scan of every post.
"""

from __future__ import annotations

import numpy as np

from simulation.acceleration import compiled, kernel, prange

NO_POST = -1


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


@kernel(parallel=True)
def _draw_from_pools(groups, uniforms, posts, cumulative, start, end, base, total,
                     guide):  # pragma: no cover
    drawn = np.empty(len(groups), dtype=np.int64)
    for i in prange(len(groups)):
        drawn[i] = _pool_post(groups[i], uniforms[i], posts, cumulative, start, end, base, total,
                              guide)
    return drawn


@kernel(parallel=True)
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


@kernel(parallel=True)
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


@kernel(parallel=True)
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


def rank_within_groups(groups: np.ndarray, tiebreak: np.ndarray | None = None) -> np.ndarray:
    """Rank of each entry among entries with the same group value (0 = first), (n,) -> (n,).

    Entries of a group are ranked by ``tiebreak`` (ascending) if given, else by position.
    """
    if compiled() and len(groups):
        groups = np.ascontiguousarray(groups, dtype=np.int64)
        if tiebreak is None:
            return _rank_by_position(groups)
        return _rank_by_tiebreak(groups, np.ascontiguousarray(tiebreak, dtype=np.float64))
    order = (np.lexsort((tiebreak, groups)) if tiebreak is not None
             else np.argsort(groups, kind="stable"))
    ordered = groups[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]] if len(order) else np.zeros(0, bool)
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - group_start
    return rank


@kernel()
def _rank_by_position(groups):  # pragma: no cover
    low, high = groups.min(), groups.max()
    seen = np.zeros(high - low + 1, dtype=np.int64)
    rank = np.empty(len(groups), dtype=np.int64)
    for i in range(len(groups)):
        rank[i] = seen[groups[i] - low]
        seen[groups[i] - low] += 1
    return rank


@kernel()
def _rank_by_tiebreak(groups, tiebreak):  # pragma: no cover
    # Entries grouped by value in order of position (a counting sort), then each group
    # sorted by tiebreak with a stable sort: the order of lexsort((tiebreak, groups)).
    low = groups.min()
    counts = np.bincount(groups - low)
    start = np.zeros(len(counts) + 1, dtype=np.int64)
    start[1:] = np.cumsum(counts)
    filled = start[:-1].copy()
    order = np.empty(len(groups), dtype=np.int64)
    for i in range(len(groups)):
        order[filled[groups[i] - low]] = i
        filled[groups[i] - low] += 1
    rank = np.empty(len(groups), dtype=np.int64)
    for group in range(len(counts)):
        members = order[start[group]:start[group + 1]]
        ranked = np.argsort(tiebreak[members], kind="mergesort")
        for position in range(len(members)):
            rank[members[ranked[position]]] = position
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


def affinity(viewer_units: np.ndarray, post_units: np.ndarray, local: np.ndarray) -> np.ndarray:
    """Cosine affinity of each viewer (A, T) with each of its candidates (A, Q) -> (A, Q) float32.

    ``local`` (A, Q) indexes ``post_units`` (n, T). Summed topic by topic in float32,
    in topic order, so that compiled kernels can reproduce it exactly.
    """
    total = post_units[local, 0] * viewer_units[:, None, 0]
    for topic in range(1, post_units.shape[1]):
        total += post_units[local, topic] * viewer_units[:, None, topic]
    return total


def admit(candidates: np.ndarray, source: np.ndarray, viewers: np.ndarray, first_live: int,
          history: ImpressionHistory, viewer_units: np.ndarray, post_units: np.ndarray,
          bar: np.ndarray, gated: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Admit candidates (A, Q): live, first copy in the row, not seen, and above the bar if gated.

    In order: ids below ``first_live`` (no longer live) are dropped; repeats of a
    post in a row are dropped, keeping its leftmost copy; posts the viewer has
    been shown are dropped; then a candidate from a gated source (``gated[source]``,
    (n_sources + 1,), the last entry for source -1) is dropped when its affinity
    with the viewer is below its tier's ``bar`` (n_live,). ``viewer_units`` (A, T)
    and ``post_units`` (n_live, T) are unit topic vectors.

    Returns the admitted candidates, their sources and their affinities (float32),
    as compact rows of the input's width (A, Q) (see :func:`compact_rows`), and the
    number admitted in each row (A,).
    """
    candidates = np.where(candidates < first_live, NO_POST, candidates)
    if compiled():
        history.ensure(int(candidates.max(initial=0)) + 1)
        return _admit(candidates, source, viewers, first_live, history.bits, history.capacity,
                      viewer_units, post_units, bar, gated)
    candidates = drop_duplicates(candidates)
    candidates = np.where(history.seen(viewers[:, None], candidates), NO_POST, candidates)
    local = np.where(candidates >= 0, candidates - first_live, 0)
    affinities = affinity(viewer_units, post_units, local)
    blocked = gated[source] & (affinities < bar[local])
    admitted = np.where(blocked, NO_POST, candidates)
    return (*compact_rows(admitted, source, affinities, trim=False),
            (admitted >= 0).sum(axis=1))


@kernel(parallel=True)
def _admit(candidates, source, viewers, first_live, bits, capacity, viewer_units, post_units,
           bar, gated):  # pragma: no cover
    n_rows, width = candidates.shape
    n_topics = post_units.shape[1]
    admitted = np.full((n_rows, width), NO_POST, dtype=np.int64)
    sources = np.zeros((n_rows, width), dtype=np.int8)  # past the end: 0, as compact_rows
    affinities = np.zeros((n_rows, width), dtype=np.float32)
    counts = np.zeros(n_rows, dtype=np.int64)
    n_blocks = max(1, -(-n_rows // 1024))
    for block in prange(n_blocks):
        # The row in which each live post was last met: a repeat within a row is a duplicate.
        met_in = np.full(len(bar), -1, dtype=np.int64)
        for row in range(block * 1024, min(n_rows, (block + 1) * 1024)):
            viewer, at = viewers[row], 0
            for j in range(width):
                post = candidates[row, j]
                if post < 0:
                    continue
                local = post - first_live
                if met_in[local] == row:
                    continue
                met_in[local] = row
                position = post % capacity
                if (bits[viewer, position >> 3] >> (position & 7)) & 1:
                    continue
                total = post_units[local, 0] * viewer_units[row, 0]
                for topic in range(1, n_topics):
                    total += post_units[local, topic] * viewer_units[row, topic]
                if gated[source[row, j]] and total < bar[local]:
                    continue
                admitted[row, at], sources[row, at], affinities[row, at] = post, source[row, j], total
                at += 1
            counts[row] = at
    return admitted, sources, affinities, counts


def compact_rows(candidates: np.ndarray, *companions: np.ndarray,
                 trim: bool = True) -> tuple[np.ndarray, ...]:
    """Move each row's candidates (A, Q) to the left, in order; trim the width to the fullest row.

    ``companions`` (A, Q) arrays (sources, affinities) move with their candidates
    and hold 0 past the end. Order within a row is kept, so nothing downstream
    can tell the difference, except that it has fewer empty columns to skip.
    """
    valid = candidates >= 0
    width = int(valid.sum(axis=1).max(initial=0)) if trim else candidates.shape[1]
    arrays = (candidates, *companions)
    result = tuple(np.full((len(candidates), width), NO_POST if index == 0 else 0,
                           dtype=values.dtype) for index, values in enumerate(arrays))
    if compiled():
        for values, moved in zip(arrays, result, strict=True):
            _compact_into(values, valid, moved)
        return result
    order = np.argsort(~valid, axis=1, kind="stable")[:, :width]
    kept = np.take_along_axis(valid, order, axis=1)
    for values, moved in zip(arrays, result, strict=True):
        np.copyto(moved, np.take_along_axis(values, order, axis=1), where=kept)
    return result


@kernel(parallel=True)
def _compact_into(values, valid, moved):  # pragma: no cover
    for row in prange(values.shape[0]):
        at = 0
        for j in range(values.shape[1]):
            if valid[row, j]:
                moved[row, at] = values[row, j]
                at += 1


class ImpressionHistory:
    """Which live posts each viewer has been shown: a bitmap over a ring of post ids (V, R / 8).

    Only live posts can be candidates, so the bit of post p sits at ring position
    p mod R, reused by later posts once p has left the live window; R grows when
    more posts than that are live at once. Memory is V x R / 8 bytes however long
    the run.
    """

    def __init__(self, n_viewers: int, capacity: int = 1024):
        self.capacity = _round_up(capacity, 8)
        self.bits = np.zeros((n_viewers, self.capacity // 8), dtype=np.uint8)
        self.first_live = 0  # the oldest post id that is still remembered
        self.n_posts = 0  # ids below this have a place in the ring

    def make_room(self, first_live: int, n_posts: int) -> None:
        """Forget posts below ``first_live`` and give ids up to ``n_posts`` a cleared place."""
        first_live = max(first_live, self.first_live)
        if n_posts - first_live > self.capacity:
            self._grow(first_live, max(n_posts - first_live, self.capacity * 3 // 2))
        if n_posts > self.n_posts:
            new = np.arange(max(self.n_posts, first_live), n_posts)
            columns, masks = _byte_masks(new % self.capacity)
            if compiled():
                _clear_columns(self.bits, columns, ~masks)
            else:
                self.bits[:, columns] &= ~masks
        self.first_live, self.n_posts = first_live, max(n_posts, self.n_posts)

    def _grow(self, first_live: int, capacity: int) -> None:
        capacity = _round_up(capacity + capacity // 8, 8)
        grown = np.zeros((self.bits.shape[0], capacity // 8), dtype=np.uint8)
        # Remembered posts keep their bit within the byte (both rings are multiples of 8).
        kept = np.arange(first_live - first_live % 8, self.n_posts, 8)
        grown[:, (kept % capacity) // 8] = self.bits[:, (kept % self.capacity) // 8]
        self.bits, self.capacity = grown, capacity

    def ensure(self, n_posts: int) -> None:
        """Make room for post ids below ``n_posts`` (remembering every post since the last call)."""
        self.make_room(self.first_live, n_posts)

    def seen(self, viewers: np.ndarray, posts: np.ndarray) -> np.ndarray:
        """Whether each viewer has seen each post; ``viewers`` broadcasts against ``posts``.

        ``posts`` must be remembered (>= ``first_live``) or -1.
        """
        safe = np.maximum(posts, 0)
        self.ensure(int(safe.max(initial=0)) + 1)
        position = safe % self.capacity
        byte = self.bits[viewers, position >> 3]
        return ((byte >> (position & 7).astype(np.uint8)) & 1).astype(bool) & (posts >= 0)

    def mark(self, viewers: np.ndarray, posts: np.ndarray) -> None:
        """Record impressions of ``posts`` (n,) to ``viewers`` (n,)."""
        if len(posts) == 0:
            return
        self.ensure(int(posts.max()) + 1)
        position = posts % self.capacity
        if compiled():
            _mark(self.bits, np.asarray(viewers, dtype=np.int64),
                  np.asarray(position, dtype=np.int64))
            return
        np.bitwise_or.at(self.bits, (viewers, position >> 3),
                         np.left_shift(1, position & 7).astype(np.uint8))


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _byte_masks(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Byte columns of ring positions (n,) and, per column, the bits they occupy."""
    columns, inverse = np.unique(positions >> 3, return_inverse=True)
    masks = np.zeros(len(columns), dtype=np.uint8)
    np.bitwise_or.at(masks, inverse, np.left_shift(1, positions & 7).astype(np.uint8))
    return columns, masks


@kernel(parallel=True)
def _clear_columns(bits, columns, keep):  # pragma: no cover
    for viewer in prange(bits.shape[0]):
        for c in range(len(columns)):
            bits[viewer, columns[c]] &= keep[c]


@kernel()
def _mark(bits, viewers, posts):  # pragma: no cover
    for i in range(len(posts)):
        bits[viewers[i], posts[i] >> 3] |= np.uint8(1 << (posts[i] & 7))
