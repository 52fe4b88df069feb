"""Selecting each feed: the top keys of every row, within each post's allowance.
"""

from __future__ import annotations

import numpy as np

from simulation.core.records import Feed, LivePosts
from simulation.core.sources import NO_POST
from simulation.kernels.compiler import compiled, kernel, prange
from simulation.kernels.counting import rank_within_groups


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


@kernel()
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
    # The feeds (posts, chosen_source, chosen) are updated in place. Every loop over rows or
    # posts runs in parallel: each writes its own rows, or its own post's impressions.
    n_rows, n_live, width = candidates.shape[0], len(allowance), posts.shape[1]
    changed = np.zeros(n_rows, dtype=np.bool_)
    n_blocks = max(1, -(-n_rows // 4096))
    for attempt in range(rounds + 1):
        # Shown impressions per post, counted by blocks of rows and summed; a post shown
        # more often than its allowance is contested.
        partial = np.zeros((n_blocks, n_live), dtype=np.int64)
        for block in prange(n_blocks):
            for row in range(block * 4096, min(n_rows, (block + 1) * 4096)):
                for slot in range(width):
                    if posts[row, slot] >= 0:
                        partial[block, posts[row, slot] - first] += 1
        counts = partial.sum(axis=0)
        start = np.zeros(n_live + 1, dtype=np.int64)
        for local in range(n_live):
            start[local + 1] = start[local] + (counts[local] if counts[local] > allowance[local]
                                               else 0)
        if start[n_live] == 0:
            return
        contested = np.flatnonzero(start[1:] > start[:-1])
        # The contested impressions, grouped by post in feed order (row, then slot): each
        # block of rows fills its own stretch of every contested post's members.
        block_start = np.empty((n_blocks, n_live), dtype=np.int64)
        for local in contested:
            at = start[local]
            for block in range(n_blocks):
                block_start[block, local] = at
                at += partial[block, local]
        member_row = np.empty(start[n_live], dtype=np.int64)
        member_slot = np.empty(start[n_live], dtype=np.int64)
        for block in prange(n_blocks):
            filled = block_start[block]
            for row in range(block * 4096, min(n_rows, (block + 1) * 4096)):
                for slot in range(width):
                    local = posts[row, slot] - first
                    if posts[row, slot] >= 0 and counts[local] > allowance[local]:
                        member_row[filled[local]], member_slot[filled[local]] = row, slot
                        filled[local] += 1
        changed[:] = False
        for index in prange(len(contested)):
            local = contested[index]
            begin, n_members = start[local], start[local + 1] - start[local]
            order = np.empty(n_members, dtype=np.float64)
            for m in range(n_members):
                row, slot = member_row[begin + m], member_slot[begin + m]
                order[m] = priority[row, chosen[row, slot]]
            # Ranked by priority, ties in feed order (a stable sort's order), the first
            # ceil(allowance) keep the post: those below the keep-th lowest priority, then
            # those equal to it, in feed order.
            keep = int(np.ceil(allowance[local]))
            threshold = np.partition(order, keep - 1)[keep - 1] if keep > 0 else -np.inf
            ties = keep
            for m in range(n_members):
                ties -= order[m] < threshold
            for m in range(n_members):
                if order[m] < threshold:
                    continue
                if order[m] == threshold and ties > 0:
                    ties -= 1
                    continue
                row, slot = member_row[begin + m], member_slot[begin + m]
                changed[row] = True
                if attempt < rounds:
                    keys[row, chosen[row, slot]] = -np.inf
                else:
                    posts[row, slot] = NO_POST
        for row in prange(n_rows):
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
