"""Lever measures: funnel steps, call-to-action bins, trend phases and the familiarity curve."""

import math

import numpy as np

from simulation.core.events import EVENT_INDEX, EVENTS
from simulation.core.tallies import funnel_steps
from simulation.measures.marketing import by_call_to_action, trend_phase


def totals(**events: int) -> np.ndarray:
    counts = np.zeros(len(EVENTS), dtype=np.int64)
    for name, value in events.items():
        counts[EVENT_INDEX[name]] = value
    return counts


def test_funnel_steps_divide_each_step_by_the_one_before():
    steps = funnel_steps(totals(impressions=1000, views=800, profile_visits=40, link_clicks=10,
                                leads=5, purchases=0))
    assert steps["conversion"] == {"view": 0.8, "profile_visit": 0.05, "link_click": 0.25,
                                   "lead": 0.5, "purchase": 0.0}
    assert math.isclose(steps["drop"]["profile_visit"], 0.95)
    assert math.isnan(funnel_steps(totals())["conversion"]["view"])


def test_call_to_action_bins_split_posts_by_k():
    per_post = np.stack([totals(impressions=10, views=10, profile_visits=1),
                         totals(impressions=10, views=10, profile_visits=3),
                         totals(impressions=10, views=10, profile_visits=5)])
    bins = by_call_to_action(np.array([0.05, 0.9, 0.95]), per_post)
    assert list(bins) == ["0.0", "0.8"]
    assert bins["0.8"]["posts"] == 2
    assert bins["0.8"]["conversion"]["profile_visit"] == 0.4


def test_trend_phase_counts_half_lives_from_the_peak(small_run):
    model = small_run.model
    ids = np.flatnonzero(model.posts.created_hour >= 0)
    phase = trend_phase(model, ids)
    riding = model.posts.trend[ids] >= 0
    assert ((phase >= 0) == riding).all()
    r = model.posts.trend[ids[riding]].astype(np.int64)
    peak = model.trends.start[r] + model.trends.rise[r]
    before = model.posts.created_hour[ids[riding]] < peak
    assert (phase[riding][before] == 0).all() and (phase[riding][~before] >= 1).all()


def test_familiarity_curve_adds_up_to_the_run_totals(small_run):
    summary = small_run.summary
    curve = summary["familiarity"]
    for event in ("impressions", "views", "likes", "leads"):
        assert sum(bucket[event] for bucket in curve["all"].values()) == summary["totals"][event]
        brands = sum(summary["brands"][b][event] for b in summary["brands"])
        assert sum(bucket[event] for bucket in curve["brands"].values()) == brands
    assert curve["all"]["6+"]["views"] > 0
