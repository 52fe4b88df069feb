"""The funnel's events, in funnel order: the vocabulary of every counter and output.

Counters everywhere (posts, segments, tiers, feed slots, steps) are indexed by
position in :data:`EVENTS`, so a new event is added here once.
"""

from __future__ import annotations

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
