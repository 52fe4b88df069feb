"""Which live posts each viewer has been shown: a bitmap over a ring of post ids.

Only live posts can be candidates, so the bit of post p sits at ring position
p mod R, reused by later posts once p has left the live window; R grows when
more posts than that are live at once. Memory is V x R / 8 bytes however long
the run. The bit operations are kernels (``kernels/bitsets.py``).
"""

from __future__ import annotations

import numpy as np

from simulation.kernels.bitsets import clear_positions, mark_positions, test_positions


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


class ImpressionHistory:
    """The ring bitmap (V, R / 8) uint8 and the range of post ids it remembers."""

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
            clear_positions(self.bits, np.arange(max(self.n_posts, first_live), n_posts)
                            % self.capacity)
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
        return test_positions(self.bits, viewers, safe % self.capacity) & (posts >= 0)

    def mark(self, viewers: np.ndarray, posts: np.ndarray) -> None:
        """Record impressions of ``posts`` (n,) to ``viewers`` (n,)."""
        if len(posts) == 0:
            return
        self.ensure(int(posts.max()) + 1)
        mark_positions(self.bits, viewers, posts % self.capacity)
