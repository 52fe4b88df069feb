"""Bit tables over a ring of post ids: one row of bits per viewer (the impression history).

``bits`` (V, R / 8) uint8: the bit of ring position p of viewer v is bit p & 7 of byte
``bits[v, p >> 3]``. Each compiled kernel sits beside its numpy twin.
"""

from __future__ import annotations

import numpy as np

from simulation.kernels.compiler import compiled, kernel, prange


def byte_masks(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Byte columns of ring positions (n,) and, per column, the bits they occupy."""
    columns, inverse = np.unique(positions >> 3, return_inverse=True)
    masks = np.zeros(len(columns), dtype=np.uint8)
    np.bitwise_or.at(masks, inverse, np.left_shift(1, positions & 7).astype(np.uint8))
    return columns, masks


def clear_positions(bits: np.ndarray, positions: np.ndarray) -> None:
    """Clear ring positions (n,) in every viewer's row, in place."""
    columns, masks = byte_masks(positions)
    if compiled():
        _clear_columns(bits, columns, ~masks)
    else:
        bits[:, columns] &= ~masks


def mark_positions(bits: np.ndarray, viewers: np.ndarray, positions: np.ndarray) -> None:
    """Set the bit of each (viewer, ring position) pair (n,), in place; pairs may repeat."""
    if compiled():
        _mark(bits, np.asarray(viewers, dtype=np.int64), np.asarray(positions, dtype=np.int64))
        return
    np.bitwise_or.at(bits, (viewers, positions >> 3),
                     np.left_shift(1, positions & 7).astype(np.uint8))


def test_positions(bits: np.ndarray, viewers: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Whether each viewer's bit at each ring position is set; the two broadcast together."""
    byte = bits[viewers, positions >> 3]
    return ((byte >> (positions & 7).astype(np.uint8)) & 1).astype(bool)


@kernel()
def _clear_columns(bits, columns, keep):  # pragma: no cover
    for viewer in prange(bits.shape[0]):
        for c in range(len(columns)):
            bits[viewer, columns[c]] &= keep[c]


@kernel()
def _mark(bits, viewers, posts):  # pragma: no cover
    for i in range(len(posts)):
        bits[viewers[i], posts[i] >> 3] |= np.uint8(1 << (posts[i] & 7))
