"""Funnel tallies of groups of posts: counts, per-post and per-impression figures, conversion.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulation.core.events import EVENT_INDEX
from simulation.core.statistics import per

FUNNEL_STEPS: tuple[tuple[str, str, str], ...] = (
    ("view", "impressions", "views"),
    ("profile_visit", "views", "profile_visits"),
    ("link_click", "profile_visits", "link_clicks"),
    ("lead", "link_clicks", "leads"),
    ("purchase", "leads", "purchases"),
)
"""Each step of the buying journey: (name, events before it, events after it)."""


def funnel_steps(counts: np.ndarray) -> dict[str, dict[str, float]]:
    """Conversion and drop at each step of the journey from event totals (E,).

    ``conversion[step]`` = events after / events before; ``drop`` = 1 - conversion.
    """
    conversion = {name: per(counts[EVENT_INDEX[after]], counts[EVENT_INDEX[before]])
                  for name, before, after in FUNNEL_STEPS}
    return {"conversion": conversion,
            "drop": {name: 1.0 - value for name, value in conversion.items()}}


def group_measures(totals: np.ndarray, posts: int) -> dict[str, Any]:
    """Counts, per-post and per-impression figures of a group of posts from totals (E,)."""
    impressions = totals[EVENT_INDEX["impressions"]]
    return {"posts": int(posts),
            **{name: int(totals[EVENT_INDEX[name]])
               for name in ("impressions", "views", "likes", "profile_visits", "link_clicks",
                            "leads", "purchases", "follows")},
            "likes_per_post": per(totals[EVENT_INDEX["likes"]], posts),
            "leads_per_post": per(totals[EVENT_INDEX["leads"]], posts),
            "likes_per_1k_impressions": per(totals[EVENT_INDEX["likes"]], impressions, 1000),
            "leads_per_1k_impressions": per(totals[EVENT_INDEX["leads"]], impressions, 1000)}


def split_measures(counts: np.ndarray, target: np.ndarray,
                   groups: dict[str, np.ndarray]) -> dict[str, Any]:
    """Measures of groups of a creator's posts: counts (n, E, S, K), target segments (S,),
    groups: name -> bool mask (n,)."""
    result = {}
    for name, mine in groups.items():
        by_segment = counts[mine].sum(axis=3)  # (m, E, S)
        impressions = by_segment[:, EVENT_INDEX["impressions"]].sum(axis=0)  # (S,)
        result[name] = {**group_measures(by_segment.sum(axis=(0, 2)), mine.sum()),
                        "target_share": per(impressions[target].sum(), impressions.sum())}
    return result
