"""What the platform has observed platform-wide: event counts so far, the priors of its predictions."""

from __future__ import annotations

import numpy as np

from simulation.core.events import EVENT_INDEX, EVENTS

PREDICTED_EVENTS: dict[str, str] = {
    "like": "likes",
    "comment": "comments",
    "share": "shares",
    "save": "saves",
    "follow": "follows",
    "profile_visit": "profile_visits",
    "lead": "leads",
    "view": "views",
}
"""Ranking weight name -> counted event; 'view' is per impression, the others per view.
'playtime' (expected share of the video watched) is predicted from watch time."""


class PlatformRates:
    """Platform-wide event counts so far: the priors of the smoothed rates."""

    def __init__(self) -> None:
        self.counts = np.zeros(len(EVENTS), dtype=np.float64)
        self.watch_fraction = 0.0

    def record(self, step_counts: np.ndarray, watch_fraction: float) -> None:
        """Add one step's event totals (E,) and summed watch fractions."""
        self.counts += step_counts
        self.watch_fraction += watch_fraction

    def rate(self, weight_name: str) -> float:
        """Platform-wide rate behind one ranking weight (0 before any data)."""
        views = self.counts[EVENT_INDEX["views"]]
        if weight_name == "playtime":
            return self.watch_fraction / views if views else 0.0
        if weight_name == "view":
            impressions = self.counts[EVENT_INDEX["impressions"]]
            return views / impressions if impressions else 0.0
        return self.counts[EVENT_INDEX[PREDICTED_EVENTS[weight_name]]] / views if views else 0.0
