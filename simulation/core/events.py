"""The funnel's events, in funnel order: the vocabulary of every counter and output.

Counters everywhere (posts, segments, tiers, feed slots, steps) are indexed by
position in :data:`EVENTS`, so a new event is added here once.
"""

from __future__ import annotations

import numpy as np

pass


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


REACH_EVENTS = ("impressions", "likes", "leads")
"""Events counted per cumulative-reach bin, for the dilution curve."""
