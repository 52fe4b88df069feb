"""Mesa's conventions: running stops run_model, reporters give time series, the collector
can be replaced, agents can be recorded on small platforms, batch_run has outcomes."""

import inspect
import math

import mesa
import numpy as np
import pytest
from mesa import DataCollector

from simulation.agents import Creator, Viewer
from simulation.core.events import EVENT_INDEX
from simulation.model import CREATOR_REPORTERS, HEADLINE_MEASURES, VIEWER_REPORTERS, EngagementModel
from tests.support.scenarios import small_baseline

TINY = ("population.size=400", "steps=5")


def test_run_model_stops_after_the_scenarios_steps():
    model = EngagementModel(small_baseline(*TINY), seed=2)
    assert model.running
    model.run_model()
    assert model.steps == 5 and not model.running
    # Mesa 3 has no scheduler, and nothing here goes by that name: the posting cadence is a
    # lever, off unless some creator posts on a schedule.
    assert not hasattr(model, "schedule") and model.lever("cadence") is None


def test_model_reporters_are_the_steps_headline_measures(small_run):
    model = small_run.model
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame.columns) == list(HEADLINE_MEASURES)
    # Row 0 is the state before the first step, then one row per step (index = step).
    assert len(frame) == model.config.steps + 1
    assert frame["step"].tolist() == list(range(model.config.steps + 1))
    assert frame.loc[0, "impressions"] == 0 and frame.loc[0, "live_posts"] > 0
    # The step's events add up to the run's tables and counters.
    steps = model.step_records.get_table_dataframe("segments")
    per_step = steps.groupby("step")[["impressions", "likes", "leads", "active_viewers"]].sum()
    for column in per_step.columns:
        assert frame.loc[1:, column].tolist() == per_step[column].tolist()
    totals = model.posts.counts.sum(axis=(0, 2, 3))
    assert frame["views"].sum() == totals[EVENT_INDEX["views"]]
    engagements = frame.loc[1:, ["likes", "comments", "shares"]].sum(axis=1)
    assert np.allclose(frame.loc[1:, "engagement_rate"], engagements / frame.loc[1:, "views"])
    assert all(0 <= g <= 1 for g in frame.loc[1:, "views_gini_live"])


def test_a_replaced_datacollector_collects_and_the_runs_tables_are_kept():
    model = EngagementModel(small_baseline(*TINY), seed=2)
    model.datacollector = DataCollector(model_reporters={"posts": lambda m: m.posts.size})
    model.run_model()
    posts = model.datacollector.get_model_vars_dataframe()["posts"]
    assert len(posts) == 5 and posts.is_monotonic_increasing
    assert len(model.step_records.get_table_dataframe("segments")) == 5 * 3
    model = EngagementModel(small_baseline(*TINY), seed=2)
    model.datacollector = None
    model.step()  # no collector at all is allowed too
    assert model.steps == 1


def test_agent_reporters_on_a_small_platform():
    model = EngagementModel(small_baseline(*TINY), seed=2, agent_reporters=True)
    model.run_model()
    viewers = model.datacollector.get_agenttype_vars_dataframe(Viewer)
    creators = model.datacollector.get_agenttype_vars_dataframe(Creator)
    assert list(viewers.columns) == list(VIEWER_REPORTERS)
    assert list(creators.columns) == list(CREATOR_REPORTERS)
    assert len(viewers) == 400 * 6 and len(creators) == model.creators.size * 6
    last = viewers.xs(5, level="Step")
    assert last["active"].sum() == model.headline["active_viewers"]
    assert set(last["segment"]) == set(model.population.segment_names)
    followers = creators.xs(5, level="Step").set_index("name")["followers"]
    assert followers.sum() == model.follows.count.sum()


def test_agent_reporters_are_refused_on_a_large_platform():
    scenario = small_baseline("population.size=100", "steps=2")
    limit = EngagementModel.AGENT_REPORTERS_UP_TO
    large = scenario.model_copy(update={"population": scenario.population.model_copy(
        update={"size": limit + 1})})
    with pytest.raises(ValueError, match="too many to record each agent"):
        EngagementModel(large, agent_reporters=True)


def test_batch_run_returns_the_headline_measures():
    scenario = small_baseline("population.size=300", "steps=3")
    if "rng" in inspect.signature(mesa.batch_run).parameters:  # Mesa 3.5: seeds go by rng
        rows = mesa.batch_run(EngagementModel, {"config": [scenario]}, rng=[1, 2],
                              display_progress=False, data_collection_period=1)
    else:  # Mesa 3.3: seed is a parameter like any other
        rows = mesa.batch_run(EngagementModel, {"config": [scenario], "seed": [1, 2]},
                              display_progress=False, data_collection_period=1)
    assert {row["seed"] for row in rows} == {1, 2}
    assert all(not math.isnan(row["views"]) for row in rows)
    assert max(row["likes"] for row in rows) > 0
