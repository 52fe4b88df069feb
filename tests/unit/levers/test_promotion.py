"""Paid promotion: pacing, placement in feeds, the budget, and paid events counted apart."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation.config.loading import ScenarioError
from simulation.core.events import EVENT_INDEX
from simulation.levers.promotion import PROMOTED, paced_spend
from simulation.measures import summarize
from simulation.model import EngagementModel
from simulation.viz.terminal import render_summary
from tests.support.scenarios import purchase_scenario, record_impressions

BRAND = "glow_skincare"


def test_the_budget_is_paced_evenly_over_the_campaign():
    # 60 over hours 10-40 (30 hours): 2 an hour. By the end of the step starting at hour 10: 2;
    # at hour 24: 15 hours in, 30; nothing before the start, everything from the end on.
    assert paced_spend(60.0, 10.0, 40.0, 10.0, 1.0) == pytest.approx(2.0)
    assert paced_spend(60.0, 10.0, 40.0, 24.0, 1.0) == pytest.approx(30.0)
    assert paced_spend(60.0, 10.0, 40.0, 5.0, 1.0) == 0.0
    assert paced_spend(60.0, 10.0, 40.0, 39.0, 1.0) == pytest.approx(60.0)
    assert paced_spend(60.0, 10.0, 40.0, 100.0, 1.0) == pytest.approx(60.0)


def run(name: str, *overrides: str, seed: int = 3) -> EngagementModel:
    """A small promotion run; each step's impressions are kept in ``model.shown``."""
    model = EngagementModel(purchase_scenario(name, *overrides), seed=seed)
    model.shown = record_impressions(model)
    for _ in range(model.config.steps):
        model.step()
    return model


@pytest.fixture(scope="module")
def untargeted() -> EngagementModel:
    """6 at a CPM of 10 over 30 hours: 20 impressions an hour, well within 400 viewers."""
    return run("promotion/untargeted", "creators[7].promotion.budget=6.0")


@pytest.fixture(scope="module")
def targeted() -> EngagementModel:
    return run("promotion/targeted")


def paid(model: EngagementModel) -> list[np.ndarray]:
    return [np.flatnonzero(imp.source == PROMOTED) for imp in model.shown]


def test_paid_impressions_are_bought_at_the_cpm_within_the_paced_budget(untargeted):
    model = untargeted
    config = model.config.creators[7].promotion
    bought = sum(len(rows) for rows in paid(model))
    assert bought > 0
    assert model.levers["promotion"].spent[0] == pytest.approx(bought * config.cpm / 1000)
    # Never ahead of the pace: spend by the end of each step at most the paced budget.
    spent = np.cumsum([len(rows) * config.cpm / 1000 for rows in paid(model)])
    pace = [paced_spend(config.budget, 0.0, model.config.steps, hour, 1.0)
            for hour in range(model.config.steps)]
    assert np.all(spent <= np.array(pace) + 1e-9)
    # 400 viewers are plenty for 20 impressions an hour: the pace is kept to within a step.
    assert spent[-1] == pytest.approx(pace[-1], abs=config.cpm / 1000 * model.config.steps)


def test_a_promoted_post_is_the_brands_newest_and_shown_once_per_viewer(untargeted):
    model = untargeted
    brand = model.creators.names.index(BRAND)
    seen: set[tuple[int, int]] = set()
    for step, (imp, rows) in enumerate(zip(model.shown, paid(model), strict=True)):
        assert np.all(imp.creator[rows] == brand)
        hour = step * model.config.step_hours
        newest = np.flatnonzero((model.posts.creator == brand)
                                & (model.posts.created_hour <= hour)).max()
        assert np.all(imp.post[rows] == newest)
        # at most one promoted slot per feed, to a viewer not shown the post before
        assert len(np.unique(imp.viewer[rows])) == len(rows)
        pairs = set(zip(imp.viewer[rows].tolist(), imp.post[rows].tolist(), strict=True))
        assert not pairs & seen
        seen |= set(zip(imp.viewer.tolist(), imp.post.tolist(), strict=True))


def test_targeting_reaches_only_the_named_segments_and_spends_as_fast_as_they_come(targeted):
    model = targeted
    buyers = model.population.segment_names.index("buyers")
    rows = paid(model)
    assert sum(len(r) for r in rows) > 0
    assert all(np.all(imp.segment[r] == buyers) for imp, r in zip(model.shown, rows, strict=True))
    # 40 buyers among 400 viewers cannot absorb the pace of 60 at a CPM of 10: underspent.
    assert model.levers["promotion"].spent[0] < 0.5 * model.config.creators[7].promotion.budget


def test_paid_events_are_counted_apart_from_organic_ones(untargeted):
    model = untargeted
    summary = summarize(model)
    campaign, brand = summary["promotion"][BRAND], summary["brands"][BRAND]
    for event in ("impressions", "likes", "leads", "purchases"):
        assert campaign["paid"][event] + campaign["organic"][event] == brand[event]
        assert campaign["paid"][event] == model.tallies.sources[EVENT_INDEX[event], PROMOTED]
    assert summary["sources"]["promoted"]["impressions"] == campaign["paid"]["impressions"]
    assert campaign["paid"]["impressions"] == sum(len(rows) for rows in paid(model))
    assert sum(campaign["paid_impressions_by_segment"].values()) == campaign["paid"]["impressions"]
    # Cost per lead is spend over paid leads, undefined (NaN) when no paid impression led.
    leads = campaign["paid"]["leads"]
    assert (campaign["cost_per_lead"] == pytest.approx(campaign["spent"] / leads) if leads
            else math.isnan(campaign["cost_per_lead"]))
    assert campaign["paid_target_share"] < 0.5
    assert f"{campaign['paid']['impressions']:,} paid impressions" in render_summary(summary)


def test_paid_impressions_do_not_spend_the_posts_tier_budget():
    # The same run with the campaign's impressions taken out of the posts' tier counts: every
    # post's tier impressions equal its organic impressions in its current tier.
    model = run("promotion/untargeted", "steps=6")
    posts = model.posts
    organic = np.zeros(posts.size, dtype=np.int64)
    for imp in model.shown:
        mine = imp.source != PROMOTED
        np.add.at(organic, imp.post[mine], imp.tier[mine] == posts.tier[imp.post[mine]])
    never_promoted = posts.reached_tier == 0
    assert np.array_equal(posts.tier_impressions[never_promoted], organic[never_promoted])


@pytest.mark.parametrize("override, path", [
    ('creators[7].promotion={segments=["byers"]}', "creators[7].promotion.segments[0]"),
    ('creators[7].promotion={styles=["vlog"]}', "creators[7].promotion.styles[0]"),
    ("creators[7].promotion={cpm=0.0}", "creators[7].promotion.cpm"),
    ("creators[7].promotion={budget=-5.0}", "creators[7].promotion.budget"),
    ("creators[7].promotion={start_hour=30.0, end_hour=10.0}", "creators[7].promotion.end_hour"),
    ("creators[7].promotion={budjet=5.0}", "creators[7].promotion.budjet"),
])
def test_bad_campaigns_name_the_field(override, path):
    with pytest.raises(ScenarioError) as caught:
        purchase_scenario("promotion/none", override)
    assert path in str(caught.value)
