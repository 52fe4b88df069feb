"""The detector of bought likes: its decision, what it reads, its schedule and its actions."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest

from simulation.config.levers import Detection
from simulation.config.loading import ScenarioError
from simulation.core.events import EVENT_INDEX
from simulation.levers.detection import Observations, flag, observe
from simulation.model import EngagementModel
from simulation.platform.predictions import engagement_score
from tests.support.scenarios import purchase_scenario

BRAND = "glow_skincare"


def observations(likes, views, engagements, followers) -> Observations:
    return Observations(*(np.asarray(x, dtype=np.float64)
                          for x in (likes, views, engagements, followers)))


def test_a_creator_is_flagged_when_every_signal_stands_out_from_the_median():
    # Five creators with 1 000 views each. Like rates 0.02, 0.03, 0.04, 0.05, 0.20: the median is
    # 0.04, so the ratios are 0.5, 0.75, 1, 1.25, 5. Likes per other engagement, (likes + 1) /
    # (engagements + 1): 21/21, 31/31, 41/41, 51/21, 201/11 = 1, 1, 1, 2.43, 18.3 (median 1).
    likes = [20, 30, 40, 50, 200]
    obs = observations(likes, [1000] * 5, [20, 30, 40, 20, 10], [10] * 5)
    config = Detection(enabled=True, like_rate=1.5, likes_per_engagement=1.5, likes_per_follower=0)
    flagged, judged, ratios = flag(obs, config)
    assert judged.all() and flagged.tolist() == [False, False, False, False, True]
    assert ratios["like_rate"] == pytest.approx([0.5, 0.75, 1.0, 1.25, 5.0])
    assert set(ratios) == {"like_rate", "likes_per_engagement"}
    # Creator 3 stands out in engagement (2.43) but not in like rate (1.25): one signal is not
    # enough, unless it is the only one in use.
    only_engagement = config.model_copy(update={"like_rate": 0.0})
    assert flag(obs, only_engagement)[0].tolist() == [False, False, False, True, True]


def test_creators_with_too_few_views_are_neither_judged_nor_counted_in_the_median():
    obs = observations([20, 30, 40, 0, 90], [1000, 1000, 1000, 0, 150], [20] * 5, [10] * 5)
    flagged, judged, ratios = flag(obs, Detection(enabled=True, min_views=200))
    assert judged.tolist() == [True, True, True, False, False]
    assert not flagged[3:].any()
    assert ratios["like_rate"][1] == pytest.approx(1.0)  # median of 0.02, 0.03, 0.04


@pytest.fixture(scope="module")
def watched() -> EngagementModel:
    """A small run where the brand buys likes and the detector only watches (no action)."""
    model = EngagementModel(purchase_scenario("bought_likes/buying_detected",
                                              'detection.action="none"',
                                              "detection.review_every_hours=12"), seed=5)
    for _ in range(model.config.steps):
        model.step()
    return model


def test_the_decision_reads_only_what_the_platform_observes(watched):
    config, hour = watched.config.detection, watched.hour
    since = hour - config.window_hours
    decided = flag(observe(watched.posts, watched.creators.size, watched.follows.count, since),
                   config)[0]
    assert decided.any()
    # The same observed totals, with the bots' events moved into the real counters: the same
    # decision. The platform cannot tell the two apart, and neither can the detector.
    posts = copy.deepcopy(watched.posts)
    posts.counts[:, :, 0, 0] += posts.bot_counts
    posts.bot_counts[:] = 0
    moved = flag(observe(posts, watched.creators.size, watched.follows.count, since), config)[0]
    assert np.array_equal(decided, moved)

    # A review never touches is_bot: one that raises when read leaves the review unchanged.
    class Unreadable:
        def __getattr__(self, name):
            raise AssertionError("the detector read is_bot")

        def __getitem__(self, key):
            raise AssertionError("the detector read is_bot")

        def __array__(self, *args, **kwargs):
            raise AssertionError("the detector read is_bot")

    model = copy.deepcopy(watched)
    model.population = dataclasses.replace(model.population, is_bot=Unreadable())
    model.levers["detection"].next_review = hour
    model.levers["detection"].review(model.state)
    assert np.array_equal(model.levers["detection"].flagged, decided)


def test_reviews_follow_the_schedule_and_are_scored_against_the_truth(watched):
    detector = watched.levers["detection"]
    # 30 one-hour steps (hours 0-29), a review every 12 hours: at hours 12 and 24.
    assert detector.reviews == 2
    summary = detector.record()
    brand = summary["creators"][BRAND]
    assert brand["buys_likes"] and brand["reviews_with_bought_likes"] == 2
    assert summary["buyer_reviews"] == 2
    assert summary["detection_rate"] == summary["buyer_reviews_flagged"] / 2
    assert summary["false_positive_rate"] == pytest.approx(
        summary["honest_reviews_flagged"] / summary["honest_reviews"])
    assert summary["honest_creators"] == watched.creators.size - 1


@pytest.mark.parametrize("action, multiplier, credit", [("demote", 0.25, 1.0),
                                                        ("discount", 1.0, 0.0),
                                                        ("none", 1.0, 1.0)])
def test_a_flagged_creators_posts_are_demoted_or_discounted(watched, action, multiplier, credit):
    model = copy.deepcopy(watched)
    model.levers["detection"].config = model.levers["detection"].config.model_copy(update={"action": action})
    brand = model.creators.names.index(BRAND)
    model.levers["detection"].flagged[:] = False
    model.levers["detection"].flagged[brand] = True
    posts = model.posts
    live = np.arange(posts.size)[posts.created_hour > model.hour - 168]
    before = engagement_score(posts, live, model.config.ranking.weights, model.rates,
                              model.config.ranking.prior_pseudo_views(model.tiers.viewers))
    model.levers["detection"]._apply(posts, model.hour - 168)
    mine = posts.creator[live] == brand
    assert np.all(posts.score_multiplier[live][mine] == multiplier)
    assert np.all(posts.like_credit[live][mine] == credit)
    assert np.all(posts.score_multiplier[live][~mine] == 1.0)
    after = engagement_score(posts, live, model.config.ranking.weights, model.rates,
                             model.config.ranking.prior_pseudo_views(model.tiers.viewers))
    assert np.array_equal(after[~mine], before[~mine])
    if action == "demote":
        assert after[mine] == pytest.approx(0.25 * before[mine])
    elif action == "discount":  # posts with likes lose their like rate above the prior
        liked = posts.counts[live][mine][:, EVENT_INDEX["likes"]].sum(axis=(1, 2)) > 0
        assert np.all(after[mine] <= before[mine]) and np.all(after[mine][liked] < before[mine][liked])
    else:
        assert np.array_equal(after, before)


def test_no_buyer_means_no_detection_rate(watched):
    model = EngagementModel(purchase_scenario("bought_likes/not_buying_detected", "steps=26"),
                            seed=5)
    for _ in range(model.config.steps):
        model.step()
    summary = model.levers["detection"].record()
    assert summary["buyer_reviews"] == 0 and np.isnan(summary["detection_rate"])
    assert model.posts.bot_counts[:, EVENT_INDEX["likes"]].sum() == 0


def test_a_detector_with_no_signal_is_refused():
    with pytest.raises(ScenarioError, match=r"detection\.like_rate"):
        purchase_scenario("bought_likes/not_buying", "detection.enabled=true",
                          "detection.like_rate=0", "detection.likes_per_engagement=0",
                          "detection.likes_per_follower=0")
    with pytest.raises(ScenarioError, match=r"detection\.action"):
        purchase_scenario("bought_likes/not_buying", 'detection.action="ban"')
