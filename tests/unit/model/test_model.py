"""The Mesa model: agents, reproducibility, and counters that add up."""

import json

import numpy as np
import pytest

from simulation.agents import Creator, Viewer
from simulation.core.events import EVENT_INDEX
from simulation.experiments.runs import simulate
from simulation.io.storage import to_jsonable
from simulation.measures import summarize
from simulation.model import EngagementModel
from tests.support.scenarios import small_baseline


def test_agents_are_mesa_agents_reading_the_arrays(small_run):
    model = small_run.model
    viewers, creators = list(model.agents_by_type[Viewer]), list(model.agents_by_type[Creator])
    assert len(viewers) == model.population.size and len(creators) == model.creators.size
    assert len(list(model.agents)) == len(viewers) + len(creators)
    viewer = viewers[10]
    assert viewer.segment in model.population.segment_names
    assert viewer.intent == model.population.intent[viewer.index]
    assert np.isclose(viewer.interests.sum(), 1.0, atol=1e-5)
    brand = next(c for c in creators if c.is_brand)
    assert brand.followers == model.follows.count[brand.index]
    assert set(brand.relevance) == set(model.population.segment_names)
    assert all(f.index in np.flatnonzero(model.follows.table[viewer.index]) for f in viewer.follows)
    assert viewer.familiarity_with(creators[0]) >= 0
    assert model.steps == model.config.steps


def test_counters_add_up(small_run):
    model = small_run.model
    counts = model.posts.counts
    per_post = counts.sum(axis=(2, 3))
    # Impressions per post equal the sum over reach bins and over tiers.
    reach = model.posts.reach_counts[:, 0].sum(axis=(1, 2))
    assert np.array_equal(per_post[:, EVENT_INDEX["impressions"]], reach)
    # Every step's per-segment rows add up to the post counters.
    steps = model.datacollector.get_table_dataframe("segments")
    assert steps["likes"].sum() == per_post[:, EVENT_INDEX["likes"]].sum()
    assert steps["impressions"].sum() == model.tallies.slots[EVENT_INDEX["impressions"]].sum()
    # Displayed likes are the likes counted so far; followers grew by the follows counted.
    assert np.array_equal(model.posts.displayed_likes, per_post[:, EVENT_INDEX["likes"]])
    assert (model.follows.count.sum() - model.initial_followers.sum()
            == per_post[:, EVENT_INDEX["follows"]].sum())


def test_same_seed_same_results_and_different_seed_different_results():
    scenario = small_baseline("steps=12", "population.size=1000")
    first = json.dumps(to_jsonable(simulate(scenario, seed=3).summary), sort_keys=True)
    again = json.dumps(to_jsonable(simulate(scenario, seed=3).summary), sort_keys=True)
    other = json.dumps(to_jsonable(simulate(scenario, seed=4).summary), sort_keys=True)
    assert first == again and first != other


def test_ranking_change_keeps_population_and_posts():
    # Separate random streams: for one seed, another policy sees the same viewers and posts.
    foryou = EngagementModel(small_baseline("steps=4"), seed=9)
    shuffled = EngagementModel(small_baseline("steps=4", "ranking.policy=random"), seed=9)
    assert np.array_equal(foryou.population.intent, shuffled.population.intent)
    for model in (foryou, shuffled):
        for _ in range(4):
            model.step()
    assert np.array_equal(foryou.posts.entertainment, shuffled.posts.entertainment)


def test_summary_contract_keys(small_run):
    summary = summarize(small_run.model)
    for key in ("impressions", "views", "likes", "comments", "intent_comments", "shares", "saves",
                "profile_visits", "follows", "link_clicks", "leads", "purchases", "revenue"):
        assert key in summary["totals"]
    for key in ("engagement_rate_by_views", "like_rate", "comment_rate", "share_rate", "save_rate"):
        assert 0 <= summary["rates"][key] <= 1
    assert {"views_gini", "top20_view_share"} <= set(summary["inequality"])
    assert set(summary["segments"]) == set(small_run.model.population.segment_names)
    brand = summary["brands"]["glow_skincare"]
    assert {"likes_leads_spearman", "by_style", "by_tier"} <= set(brand)
    for style in brand["by_style"].values():
        assert {"posts", "likes_per_post", "leads_per_1k_likes", "leads_per_1k_impressions"} <= set(
            style)
    for tier in brand["by_tier"].values():
        assert {"impressions", "target_share", "leads_per_1k_impressions"} <= set(tier)
        assert 0 <= tier["target_share"] <= 1


def test_a_run_can_be_seeded_by_a_seed_sequence():
    # A sweep seeds run (point, replicate) with SeedSequence(root, spawn_key=(point, replicate)).
    scenario = small_baseline("steps=3", "population.size=500")

    def summary(seed):
        return json.dumps(to_jsonable(simulate(scenario, seed=seed).summary), sort_keys=True)

    assert summary(np.random.SeedSequence(5)) == summary(5)  # an int seed is SeedSequence(int)
    keyed = np.random.SeedSequence(5, spawn_key=(2, 1))
    first = summary(keyed)
    keyed.spawn(3)  # children spawned before must not shift the model's streams
    assert summary(keyed) == first
    assert summary(np.random.SeedSequence(5, spawn_key=(2, 0))) != first
    assert first != summary(5)


def test_large_platforms_create_viewer_agents_when_asked_for():
    model = EngagementModel(small_baseline("population.eager_agents_up_to=100"))
    assert len(list(model.agents)) == model.creators.size  # no viewer agent yet
    viewer = model.viewer_agents[7]
    assert viewer is model.viewer_agents[7] and viewer.index == 7
    assert model.viewer_agents[-1].index == model.population.size - 1
    assert model.viewer_agents.created == 2 and len(model.viewer_agents) == model.population.size
    assert viewer in list(model.agents) and viewer.intent == model.population.intent[7]
    with pytest.raises(IndexError):
        model.viewer_agents[model.population.size]
