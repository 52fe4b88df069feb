"""Bit tables over a ring of post ids: mark and clear (the impression history's kernels).
"""

from __future__ import annotations

import numpy as np

from simulation.kernels.compiler import kernel, prange


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
