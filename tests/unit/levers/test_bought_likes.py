"""Bought likes: the order's budget and timing, bot accounts, and what the platform sees."""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulation.config.loading import ScenarioError
from simulation.config.ranking import RankingWeights
from simulation.core.events import EVENT_INDEX, EVENTS
from simulation.experiments.runs import simulate
from simulation.io.storage import to_jsonable
from simulation.levers.bought_likes import allocate, scheduled_likes
from simulation.measures import summarize
from simulation.model import EngagementModel
from simulation.platform.predictions import engagement_score, observed_events
from simulation.state.posts import PostStore
from simulation.state.rates import PlatformRates
from simulation.viewers.sessions import open_sessions
from simulation.viz.terminal import render_summary
from tests.support.scenarios import SCENARIOS, purchase_scenario, record_impressions

BRAND = "glow_skincare"
NEVER_FROM_BOTS = ("comments", "intent_comments", "shares", "saves", "profile_visits",
                   "follows", "link_clicks", "leads", "purchases")


def test_allocate_fills_evenly_up_to_each_demand():
    # Demands 5, 1, 10 and 9 likes: the post that wants 1 gets it, the other two share the
    # remaining 8 evenly (4 each).
    assert allocate(np.array([5, 1, 10]), 9).tolist() == [4, 1, 4]
    # 10 likes: the level is 4 with one like over, which goes to the first (oldest) post.
    assert allocate(np.array([5, 1, 10]), 10).tolist() == [5, 1, 4]
    assert allocate(np.array([3, 3, 3]), 7).tolist() == [3, 2, 2]
    assert allocate(np.array([5, 1, 10]), 100).tolist() == [5, 1, 10]
    assert allocate(np.array([5, 1, 10]), 0).tolist() == [0, 0, 0]
    assert allocate(np.array([0, -2, 4]), 3).tolist() == [0, 0, 3]


def test_scheduled_likes_spread_each_post_over_its_delivery_hours():
    # 30 likes over 6 hours in 1-hour steps: 5 per step, all 30 by the end of the sixth step.
    ages = np.arange(8, dtype=np.float64)
    assert scheduled_likes(30, ages, 1.0, 6.0).tolist() == [5, 10, 15, 20, 25, 30, 30, 30]


@pytest.fixture(scope="module")
def buying() -> EngagementModel:
    """A small run in which the brand buys 30 likes a post; impressions recorded per step."""
    model = EngagementModel(purchase_scenario("bought_likes/buying"), seed=4)
    model.shown = record_impressions(model)
    for _ in range(model.config.steps):
        model.step()
    return model


@pytest.fixture(scope="module")
def not_buying() -> EngagementModel:
    model = EngagementModel(purchase_scenario("bought_likes/not_buying"), seed=4)
    model.step()
    return model


def brand_posts(model: EngagementModel) -> np.ndarray:
    return np.flatnonzero(model.posts.creator == model.creators.names.index(BRAND))


def test_bot_accounts_are_appended_and_leave_the_real_viewers_as_they_were(buying, not_buying):
    real, bots = ~buying.population.is_bot, buying.population.is_bot
    n = not_buying.population.size
    assert bots.sum() == 300 and real.sum() == n and bots[n:].all()
    for column in ("segment", "intent", "interests", "activity", "log_propensity"):
        assert np.array_equal(getattr(buying.population, column)[:n],
                              getattr(not_buying.population, column))
    # Same friendships and initial follows; bots have neither friends nor follows.
    assert np.array_equal(buying.graph.indptr, not_buying.graph.indptr)
    assert np.array_equal(buying.initial_followers, not_buying.initial_followers)
    assert not buying.follows.table[bots].any()
    bot = buying.viewer_agents[n]
    assert bot.is_bot and bot.segment == "bots" and bot.follows == []
    # Bots have no activity: the same sessions open, from the same draws, with or without them.
    with_bots = open_sessions(buying.population, np.random.default_rng(1), 1.0, 48)
    without = open_sessions(not_buying.population, np.random.default_rng(1), 1.0, 48)
    assert all(np.array_equal(a, b) for a, b in zip(with_bots, without, strict=True))


def test_bots_never_open_a_session_nor_visit_follow_click_or_buy(buying):
    shown = np.concatenate([imp.viewer for imp in buying.shown])
    assert len(shown) > 0 and not buying.population.is_bot[shown].any()
    bought = buying.posts.bot_counts
    assert bought[:, EVENT_INDEX["likes"]].sum() > 0
    for event in NEVER_FROM_BOTS:
        assert bought[:, EVENT_INDEX[event]].sum() == 0, event
    # Every bought like is one impression and one view by one bot, never two likes of a post
    # by the same bot.
    likes = bought[:, EVENT_INDEX["likes"]]
    assert np.array_equal(bought[:, EVENT_INDEX["impressions"]], likes)
    assert np.array_equal(bought[:, EVENT_INDEX["views"]], likes)
    assert likes.max() <= 300 and buying.levers["bought_likes"].likes_by_bot.sum() == likes.sum()
    first_bot = buying.population.size - 300
    assert np.array_equal(
        buying.history.seen(np.arange(first_bot, buying.population.size)[:, None],
                            np.arange(buying.posts.size)[None, :]).sum(axis=0), likes)


def test_each_post_gets_its_likes_on_schedule_and_displays_them(buying):
    posts, ids = buying.posts, brand_posts(buying)
    likes = posts.bot_counts[ids, EVENT_INDEX["likes"]]
    age = buying.hour - posts.created_hour[ids]  # at the start of the last step
    # Posts of the run (hour >= 0) are owed 30 likes over 6 hours: 5 per step of age.
    expected = np.where(posts.created_hour[ids] >= 0, np.minimum(5 * (age + 1), 30), 0)
    assert np.array_equal(likes, expected)
    real = posts.counts[ids, EVENT_INDEX["likes"]].sum(axis=(1, 2))
    assert np.array_equal(posts.displayed_likes[ids], real + likes)


def test_a_daily_limit_and_the_order_hours_bound_the_delivery():
    # 24 likes a day in 1-hour steps is one like per step while the order runs (hours 2-9),
    # whatever per_post asks, as long as a post is being served.
    scenario = purchase_scenario("bought_likes/buying", "steps=14",
                                 "creators[7].bought_likes.per_day=24",
                                 "creators[7].bought_likes.start_hour=2",
                                 "creators[7].bought_likes.end_hour=10")
    model = EngagementModel(scenario, seed=2)
    delivered = []
    for _ in range(scenario.steps):
        before = model.posts.bot_counts[:, EVENT_INDEX["likes"]].sum()
        model.step()
        delivered.append(int(model.posts.bot_counts[:, EVENT_INDEX["likes"]].sum() - before))
    assert delivered[:2] == [0, 0] and delivered[10:] == [0, 0, 0, 0]
    assert all(d <= 1 for d in delivered) and sum(delivered) >= 6
    created = model.posts.created_hour[model.posts.bot_counts[:, EVENT_INDEX["likes"]] > 0]
    assert created.min() >= 2


def test_bought_likes_enter_the_platforms_observed_rates():
    # One post: 100 real views with 5 likes, 50 bot views with 50 likes. With only likes
    # valued and no prior (m = 0), the score is the observed like rate: (5 + 50) / (100 + 50).
    posts = PostStore(n_topics=1, n_segments=1, n_tiers=1, n_reach_bins=1)
    posts.add(creator=np.zeros(1, dtype=np.int32))
    posts.counts[0, EVENT_INDEX["views"], 0, 0] = 100
    posts.counts[0, EVENT_INDEX["likes"], 0, 0] = 5
    posts.bot_counts[0, EVENT_INDEX["views"]] = 50
    posts.bot_counts[0, EVENT_INDEX["likes"]] = 50
    weights = RankingWeights(like=1, comment=0, share=0, save=0, follow=0, playtime=0)
    ids = np.array([0])
    assert observed_events(posts, ids)[0, EVENT_INDEX["likes"]] == 55
    assert engagement_score(posts, ids, weights, PlatformRates(), 0.0)[0] == pytest.approx(55 / 150)
    assert len(EVENTS) == posts.bot_counts.shape[1]


def test_the_summary_keeps_bought_and_real_traffic_apart(buying):
    summary = summarize(buying)
    mine = summary["bought_likes"]["creators"][BRAND]
    brand = summary["brands"][BRAND]
    ids = brand_posts(buying)
    assert summary["bought_likes"]["bot_accounts"] == 300
    assert mine["bought"]["likes"] == buying.posts.bot_counts[ids, EVENT_INDEX["likes"]].sum()
    # brands.* counts real viewers only; displayed likes add the bought ones.
    assert mine["real"]["likes"] == brand["likes"] and mine["real"]["leads"] == brand["leads"]
    assert mine["displayed_likes"] == brand["likes"] + mine["bought"]["likes"]
    assert mine["leads_per_1k_real_impressions"] == pytest.approx(
        brand["leads_per_1k_impressions"])
    assert summary["viewers"] == buying.population.size - 300
    assert summary["totals"]["likes"] == buying.posts.counts[:, EVENT_INDEX["likes"]].sum()
    assert f"Bought likes {BRAND}: {mine['bought']['likes']:,} bought" in render_summary(summary)


def test_runs_with_bought_likes_are_reproducible():
    scenario = purchase_scenario("bought_likes/buying_detected", "steps=26")
    first, again = (to_jsonable(simulate(scenario, seed=9).summary) for _ in range(2))
    assert first == again  # NaN as null: NaN != NaN
    assert first["bought_likes"] != to_jsonable(simulate(scenario, seed=10).summary)[
        "bought_likes"]


@pytest.mark.parametrize("override, path, message", [
    ("creators[7].bought_likes={bots=10, per_post=20}", "creators[7].bought_likes.per_post",
     "at most bots"),
    ("creators[7].bought_likes={per_post=0, per_day=0}", "creators[7].bought_likes.per_post",
     "buys nothing"),
    ("creators[7].bought_likes={start_hour=10.0, end_hour=5.0}",
     "creators[7].bought_likes.end_hour", "after start_hour"),
    ("creators[7].bought_likes={bots=0}", "creators[7].bought_likes.bots", "greater than or equal"),
    ("creators[7].bought_likes={per_week=3}", "creators[7].bought_likes.per_week", ""),
    ("creators[7].bought_likes={watch_fraction=1.5}", "creators[7].bought_likes.watch_fraction",
     "less than or equal"),
])
def test_bad_orders_name_the_field(override, path, message):
    with pytest.raises(ScenarioError) as caught:
        purchase_scenario("bought_likes/not_buying", override)
    assert path in str(caught.value) and message in str(caught.value)


def test_a_bad_order_stops_the_command_line_with_status_2(cli):
    bad = cli.cwd / "bad.toml"
    bad.write_text(f'extends = "{(SCENARIOS / "bought_likes" / "buying.toml").as_posix()}"\n'
                   '[set]\n"creators[7].bought_likes.per_post" = 301\n')
    result = cli("run", bad, "--quiet")
    assert result.returncode == 2, result.stderr
    assert "creators[7].bought_likes.per_post" in result.stderr and "Traceback" not in result.stderr
    assert not (cli.cwd / "results").exists()


def test_the_shipped_scenarios_validate_and_run_from_the_command_line(cli):
    files = sorted((SCENARIOS / "bought_likes").glob("*.toml")) + sorted(
        (SCENARIOS / "promotion").glob("*.toml"))
    assert len(files) == 8
    result = cli("validate", *files)
    assert result.returncode == 0, result.stderr
    out = cli.cwd / "run"
    result = cli("run", SCENARIOS / "bought_likes" / "buying_detected.toml", "--viewers", "300",
                 "--steps", "3", "--quiet", "--out", out)
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["bought_likes"]["creators"][BRAND]["bought"]["likes"] > 0
    assert "detection" in summary
