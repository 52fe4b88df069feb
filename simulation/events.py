"""The funnel's events, in funnel order: the vocabulary of every counter and output.

Counters everywhere (posts, segments, tiers, feed slots, steps) are indexed by
position in :data:`EVENTS`, so a new event is added here once.
"""

from __future__ import annotations

import numpy as np

from simulation.acceleration import compiled, kernel

EVENTS: tuple[str, ...] = (
    "impressions",
    "views",
    "completions",
    "likes",
    "comments",
    "intent_comments",
    "shares",
    "saves",
    "profile_visits",
    "follows",
    "link_clicks",
    "leads",
    "purchases",
)
"""Every counted funnel event; ``impressions`` is a post placed in a feed."""

EVENT_INDEX: dict[str, int] = {name: index for index, name in enumerate(EVENTS)}

ENGAGEMENTS: tuple[str, ...] = ("likes", "comments", "shares")
"""The events in the published 'engagement rate by views' benchmark."""

PROPENSITY_EVENTS: tuple[str, ...] = ("like", "comment", "share", "save", "follow")
"""Reactions that carry a personal propensity multiplier (columns of ``log_propensity``)."""


def event_bits(events: dict[str, np.ndarray]) -> np.ndarray:
    """Each impression's events as one bit field (n,) uint16: bit e is set when EVENTS[e] happened."""
    bits = np.zeros(len(events[EVENTS[0]]), dtype=np.uint16)
    for index, name in enumerate(EVENTS):
        bits |= events[name].astype(np.uint16) << np.uint16(index)
    return bits


def tally(cells: np.ndarray, bits: np.ndarray, n_cells: int) -> np.ndarray:
    """Events counted by cell: (n_cells, E) int64 from each impression's cell (n,) and event bits (n,).

    A cell is any integer label of an impression (a post, a segment, a feed slot, or
    a combination), so every counter of the model is one call.
    """
    if compiled():
        return _tally(np.ascontiguousarray(cells, dtype=np.int64), bits, n_cells, len(EVENTS))
    table = np.empty((n_cells, len(EVENTS)), dtype=np.int64)
    for index in range(len(EVENTS)):
        happened = (bits >> np.uint16(index)) & np.uint16(1) == 1
        table[:, index] = np.bincount(cells[happened], minlength=n_cells)
    return table


@kernel()
def _tally(cells, bits, n_cells, n_events):  # pragma: no cover
    table = np.zeros((n_cells, n_events), dtype=np.int64)
    for i in range(len(cells)):
        remaining, index = bits[i], 0
        while remaining:
            if remaining & 1:
                table[cells[i], index] += 1
            remaining >>= 1
            index += 1
    return table
