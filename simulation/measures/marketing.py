"""Marketing measures: the buying journey step by step, calls to action, trends, familiarity.

Computed from the model's counters after the run (P posts x E events x S segments x
K tiers) and from the exposure tallies of ``state/bookkeeping.py``; nothing here feeds
back into the model. Shapes: n posts of one creator, E events. (The measures of the
optional levers come from the levers themselves.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.core.events import EVENT_INDEX, EVENTS
from simulation.core.statistics import per
from simulation.core.tallies import funnel_steps, group_measures
from simulation.measures.registry import section
from simulation.state.familiarity import EXPOSURE_BUCKETS

if TYPE_CHECKING:
    from simulation.model import EngagementModel


CALL_TO_ACTION_BINS = (0.0, 0.2, 0.4, 0.6, 0.8)
"""Lower edges of the bins of a post's call to action k (0..1)."""


TREND_PHASES = (("rising", -np.inf), ("peak_to_1_half_life", 0.0),
                ("1_to_3_half_lives", 1.0), ("after_3_half_lives", 3.0))
"""Publication time relative to the trend's peak, in half-lives of its fade (lower edges)."""


HOT_SHARE = 0.1
"""A trend is hot while its heat is at least this share of its peak."""


def by_call_to_action(call_to_action: np.ndarray, totals: np.ndarray) -> dict[str, Any]:
    """Funnel steps of posts binned by their call to action (n,), from totals (n, E)."""
    edges = np.asarray(CALL_TO_ACTION_BINS)
    bins = np.searchsorted(edges, call_to_action, side="right") - 1
    result = {}
    for index, start in enumerate(edges):
        mine = bins == index
        if not mine.any():
            continue
        counts = totals[mine].sum(axis=0)
        result[f"{start:.1f}"] = {**group_measures(counts, mine.sum()),
                                  **funnel_steps(counts)}
    return result


def trend_phase(model: EngagementModel, ids: np.ndarray) -> np.ndarray:
    """Index into TREND_PHASES of each trend-riding post's publication (n,), -1 for the others."""
    posts, trends = model.posts, model.trends
    trend = posts.trend[ids].astype(np.int64)
    riding = trend >= 0
    phase = np.full(len(ids), -1, dtype=np.int64)
    if riding.any():
        r = trend[riding]
        since_peak = posts.created_hour[ids[riding]] - (trends.start[r] + trends.rise[r])
        in_half_lives = since_peak / trends.half_life[r]
        edges = np.array([edge for _, edge in TREND_PHASES])
        phase[riding] = np.searchsorted(edges, in_half_lives, side="right") - 1
    return phase


def trend_measures(model: EngagementModel, ids: np.ndarray, totals: np.ndarray) -> dict[str, Any]:
    """Posts ``ids`` (n,) that ride a trend against those that do not, and the riders by the
    time of publication relative to their trend's peak; ``totals`` (n, E)."""
    phase = trend_phase(model, ids)
    riding = phase >= 0
    # Posts published while some trend was hot (at least HOT_SHARE of its peak) but not riding
    # it: the riders' contemporaries, seen for as long as the riders were.
    trends = model.trends
    if len(trends):
        heat = trends.heat(model.posts.created_hour[ids][:, None])  # (n, R)
        hot = (heat >= HOT_SHARE * trends.peak[None, :]).any(axis=1) & (trends.peak > 0).any()
    else:
        hot = np.zeros(len(ids), dtype=bool)
    contemporaries = hot & ~riding
    result = {"riding": group_measures(totals[riding].sum(axis=0), riding.sum()),
              "not_riding": group_measures(totals[~riding].sum(axis=0), (~riding).sum()),
              "not_riding_while_hot": group_measures(totals[contemporaries].sum(axis=0),
                                                      contemporaries.sum()),
              "by_phase": {}}
    for index, (name, _) in enumerate(TREND_PHASES):
        mine = phase == index
        if mine.any():
            result["by_phase"][name] = group_measures(totals[mine].sum(axis=0), mine.sum())
    return result


def brand_marketing_measures(model: EngagementModel, creator: int, ids: np.ndarray,
                             counts: np.ndarray) -> dict[str, Any]:
    """Marketing measures of one brand's posts ``ids`` (n,) with counters (n, E, S, K): its
    follower gain, its buying journey step by step, by call to action, and trend riding."""
    totals = counts.sum(axis=(2, 3))  # (n, E)
    return {
        "follower_gain": int(model.follows.count[creator] - model.initial_followers[creator]),
        "funnel_steps": funnel_steps(totals.sum(axis=0)),
        "by_call_to_action": by_call_to_action(model.posts.call_to_action[ids], totals),
        "trends": trend_measures(model, ids, totals),
    }


def familiarity_curve(model: EngagementModel) -> dict[str, Any]:
    """Events and conversion rates by the viewer's prior exposures to the creator.

    ``all``: impressions of every creator's posts; ``brands``: of brands' posts only
    (where link clicks, leads and purchases happen).
    """
    result = {}
    for row, group in enumerate(("all", "brands")):
        buckets = {}
        for index, (label, _) in enumerate(EXPOSURE_BUCKETS):
            counts = model.tallies.exposures[row, index]
            views = counts[EVENT_INDEX["views"]]
            buckets[label] = {
                **{name: int(counts[EVENT_INDEX[name]]) for name in EVENTS},
                **{f"{name}_per_1k_views": per(counts[EVENT_INDEX[name]], views, 1000)
                   for name in ("likes", "follows", "profile_visits", "link_clicks", "leads",
                                "purchases")},
                "link_clicks_per_profile_visit": per(counts[EVENT_INDEX["link_clicks"]],
                                                      counts[EVENT_INDEX["profile_visits"]]),
                "leads_per_link_click": per(counts[EVENT_INDEX["leads"]],
                                             counts[EVENT_INDEX["link_clicks"]]),
            }
        result[group] = buckets
    return result


@section("familiarity", "trend_posts")
def platform_marketing_measures(model: EngagementModel) -> dict[str, Any]:
    """The familiarity curve, and every post that rode a trend against those that did not."""
    posts = model.posts
    ids = np.flatnonzero(posts.created_hour >= 0)
    return {
        "familiarity": familiarity_curve(model),
        "trend_posts": trend_measures(model, ids, posts.counts[ids].sum(axis=(2, 3))),
    }
