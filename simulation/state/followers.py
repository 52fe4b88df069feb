"""Who a creator's impressions and likes come from: its followers or everyone else.

Likes and followers feed each other: a viewer who watches or likes a post may follow
its creator (``funnel.follow``: appeal, consistency, profile visit, like), and a
follower is shown the creator's later posts through the ``following`` candidate source,
where they may like them. The ledger counts, per creator, the funnel events of
impressions whose viewer already followed the creator when the step began
(``Impressions.following``) and of the others, so that the measures can say how much
of a creator's likes its followers give. It only watches: nothing here feeds back.
"""

from __future__ import annotations

import numpy as np

from simulation.core.events import EVENTS
from simulation.core.records import Impressions
from simulation.kernels.counting import tally


class FollowerLedger:
    """Event counts per creator and follower status: ``counts`` (C, 2, E), 1 = a follower."""

    def __init__(self, n_creators: int):
        self.counts = np.zeros((n_creators, 2, len(EVENTS)), dtype=np.int64)

    def record(self, imp: Impressions, bits: np.ndarray) -> None:
        """Add one step's impressions (n,) and their events, as bit fields (n,) (``event_bits``)."""
        cell = imp.creator * 2 + imp.following.astype(np.int64)
        self.counts += tally(cell, bits, self.counts.shape[0] * 2).reshape(self.counts.shape)
