"""Familiarity: each viewer's decaying count of exposures to each creator.

Stored dense (V, C). All entries decay at the same rate, so instead of decaying
every entry every step the table holds values scaled by 2^(hour / half-life):
an exposure adds the current scale, a read multiplies by its inverse. Only the
entries touched in a step are written; the table is rescaled when the scale
grows large.
"""

from __future__ import annotations

import numpy as np

from simulation.kernels.exposures import add_to_pairs, count_pairs
from simulation.kernels.gathers import take_pairs

_RESCALE_AT = 2.0**40


class Familiarity:
    """Decaying exposure counts, viewer x creator (V, C)."""

    def __init__(self, n_viewers: int, n_creators: int, half_life_hours: float):
        self.half_life_hours = half_life_hours
        self._scaled = np.zeros((n_viewers, n_creators), dtype=np.float32)
        self._origin_hour = 0.0

    def _scale(self, hour: float) -> float:
        return float(np.exp2((hour - self._origin_hour) / self.half_life_hours))

    def read(self, viewers: np.ndarray, creators: np.ndarray, hour: float) -> np.ndarray:
        """Familiarity of each (viewer, creator) pair at ``hour`` (n,)."""
        return take_pairs(self._scaled, viewers, creators) / self._scale(hour)

    def expose(self, viewers: np.ndarray, creators: np.ndarray, hour: float) -> None:
        """Add one exposure per (viewer, creator) pair (pairs may repeat)."""
        scale = self._scale(hour)
        if scale > _RESCALE_AT:
            self._scaled /= scale
            self._origin_hour = hour
            scale = 1.0
        add_to_pairs(self._scaled, viewers, creators, np.float32(scale))

    def table(self, hour: float) -> np.ndarray:
        """The whole table at ``hour`` (V, C), for inspection."""
        return self._scaled / self._scale(hour)


EXPOSURE_BUCKETS: tuple[tuple[str, int], ...] = (("0", 0), ("1", 1), ("2", 2), ("3-5", 3),
                                                  ("6+", 6))
"""Buckets of prior exposures (label, least count): the familiarity curve's x axis."""


_SATURATE = 250


class ExposureCounts:
    """How many of a creator's posts each viewer has watched so far, undecayed (V, C) uint8.

    Counts saturate at 250 (far past the last bucket). Read before a step's
    exposures are added, a count is the number of *prior* exposures.
    """

    def __init__(self, n_viewers: int, n_creators: int):
        self.count = np.zeros((n_viewers, n_creators), dtype=np.uint8)
        self.edges = np.array([least for _, least in EXPOSURE_BUCKETS])

    def bucket(self, viewers: np.ndarray, creators: np.ndarray) -> np.ndarray:
        """Bucket of prior exposures of each (viewer, creator) pair (n,), index into EXPOSURE_BUCKETS."""
        return np.searchsorted(self.edges, take_pairs(self.count, viewers, creators),
                               side="right") - 1

    def expose(self, viewers: np.ndarray, creators: np.ndarray) -> None:
        """Add one exposure per (viewer, creator) pair (pairs may repeat)."""
        count_pairs(self.count, viewers, creators, _SATURATE)
