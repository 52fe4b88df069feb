"""The reaction funnel: a contract every parameter setting must keep, and analytic rates."""

import numpy as np
import pytest

from simulation.config.funnel import Funnel
from simulation.core.events import EVENTS, PROPENSITY_EVENTS
from simulation.kernels import row_parts
from simulation.viewers.funnel import appeal, react, sigmoid
from tests.support.records import N, impressions

FUNNEL_STEPS = [("views", "impressions"), ("completions", "views"), ("likes", "views"),
                ("comments", "views"), ("intent_comments", "comments"), ("shares", "views"),
                ("saves", "views"), ("profile_visits", "views"), ("follows", "views"),
                ("link_clicks", "profile_visits"), ("leads", "link_clicks"),
                ("purchases", "leads")]


class FunnelContract:
    """What every reaction model must keep, whatever its coefficients."""

    config: Funnel

    @pytest.fixture(scope="class")
    @classmethod
    def outcome(cls):
        return impressions(), react(cls.config, impressions(), np.random.default_rng(1))

    def test_every_event_is_reported(self, outcome):
        _, reactions = outcome
        assert tuple(reactions.events) == EVENTS
        assert all(flags.shape == (N,) and flags.dtype == bool
                   for flags in reactions.events.values())

    def test_events_happen_only_after_the_step_before(self, outcome):
        _, reactions = outcome
        for event, after in FUNNEL_STEPS:
            assert not (reactions.events[event] & ~reactions.events[after]).any(), event

    def test_follows_only_new_and_links_only_for_brands(self, outcome):
        imp, reactions = outcome
        assert not (reactions.events["follows"] & imp.following).any()
        assert not (reactions.events["link_clicks"] & ~imp.is_brand).any()

    def test_watch_fraction_and_revenue_in_range(self, outcome):
        imp, reactions = outcome
        watched = reactions.watch_fraction
        assert ((watched >= 0) & (watched <= 1)).all()
        assert (watched[~reactions.events["views"]] == 0).all()
        assert (watched[reactions.events["completions"]] == 1).all()
        assert np.allclose(reactions.revenue[reactions.events["purchases"]],
                           imp.price[reactions.events["purchases"]])
        assert (reactions.revenue[~reactions.events["purchases"]] == 0).all()

    def test_reproducible_with_a_seed(self):
        imp = impressions(5_000)
        first = react(self.config, imp, np.random.default_rng(7))
        again = react(self.config, imp, np.random.default_rng(7))
        assert all(np.array_equal(first.events[e], again.events[e]) for e in EVENTS)

    def test_the_same_in_row_parts_on_threads(self, monkeypatch):
        # Large steps run the funnel on ranges of rows in threads (kernels/row_parts.py).
        imp = impressions(40_000)
        whole = react(self.config, imp, np.random.default_rng(7))
        monkeypatch.setattr(row_parts, "ROWS_PER_PART", 7_000)
        monkeypatch.setattr(row_parts, "threads", lambda: 3)
        assert row_parts.part_count(len(imp)) == 3
        parts = react(self.config, imp, np.random.default_rng(7))
        assert all(np.array_equal(whole.events[e], parts.events[e]) for e in EVENTS)
        assert np.array_equal(whole.watch_fraction, parts.watch_fraction)
        assert np.array_equal(whole.revenue, parts.revenue)


class TestDefaultFunnel(FunnelContract):
    config = Funnel()


class TestExtremeFunnel(FunnelContract):
    """Very large coefficients must still give valid probabilities and nested events."""

    config = Funnel.model_validate({
        "view": {"intercept": 30.0}, "like": {"intercept": 20.0, "social_proof": 5.0},
        "profile_visit": {"intercept": 25.0}, "link_click": {"intercept": 25.0},
        "lead": {"intercept": -40.0}, "follow": {"intercept": 50.0}})


def test_like_rate_matches_the_logistic_model():
    # With no appeal noise, no propensity spread and fixed drivers, P(like | view) is exactly
    # sigmoid(intercept + appeal_coef x appeal + social_proof x s x log1p(likes) + completion).
    config = Funnel.model_validate({"appeal": {"noise_sd": 0.0},
                                    "completion": {"intercept": -50.0}})
    imp = impressions(interest_match=0.5, entertainment=0.8, quality=0.5, information=0.0,
                      trend_heat=0.0, susceptibility=0.5, displayed_likes=99,
                      log_propensity=np.zeros(len(PROPENSITY_EVENTS), dtype=np.float32))
    reactions = react(config, imp, np.random.default_rng(3))
    a = appeal(config, imp, np.zeros(N))[0]
    weights = config.appeal  # match 0.5, entertainment 0.8, quality 0.5, no information or trend
    assert np.isclose(a, weights.interest_match * 0.5 + weights.entertainment * 0.8
                      + weights.quality * 0.5)
    expected = sigmoid(config.like.intercept + config.like.appeal * a
                       + config.like.social_proof * 0.5 * np.log(100))
    viewed = reactions.events["views"]
    observed = reactions.events["likes"][viewed].mean()
    assert abs(observed - expected) < 4 * np.sqrt(expected * (1 - expected) / viewed.sum())


@pytest.mark.parametrize("taste", [0.0, 0.5, 1.0])
def test_entertainment_entertains_by_taste(taste):
    # appeal = interest_match w_m m + w_e e ((1 - t) + t m) + ...; with m = 0.2, e = 0.9 and
    # the default weights (w_m 1.5, w_e 3.0): t = 0 gives 0.3 + 2.7 = 3.0, t = 0.5 gives
    # 0.3 + 2.7 x 0.6 = 1.92, t = 1 gives 0.3 + 2.7 x 0.2 = 0.84.
    config = Funnel.model_validate({"appeal": {"noise_sd": 0.0, "entertainment_taste": taste,
                                               "quality": 0.0}})
    imp = impressions(n=4, interest_match=0.2, entertainment=0.9, information=0.0,
                      trend_heat=0.0)
    expected = {0.0: 3.0, 0.5: 1.92, 1.0: 0.84}[taste]
    assert np.allclose(appeal(config, imp, np.zeros(4)), expected, atol=1e-6)


def test_no_relevance_means_no_leads():
    reactions = react(Funnel(), impressions(relevance=0.0, is_brand=True,
                                            familiarity=0.0), np.random.default_rng(4))
    rate = reactions.events["leads"].sum() / reactions.events["link_clicks"].sum()
    assert rate == pytest.approx(sigmoid(Funnel().lead.intercept), abs=0.03)


def test_changing_one_coefficient_keeps_the_other_draws():
    # Common random numbers: the like coefficients do not change who watched or shared.
    imp = impressions(20_000)
    base = react(Funnel(), imp, np.random.default_rng(5))
    changed = react(Funnel.model_validate({"like": {"intercept": -2.0}}), imp,
                    np.random.default_rng(5))
    assert np.array_equal(base.events["views"], changed.events["views"])
    assert np.array_equal(base.events["shares"], changed.events["shares"])
    assert changed.events["likes"].sum() > 3 * base.events["likes"].sum()


def test_likes_follow_appeal_and_leads_follow_intent_times_relevance():
    # The separation that drives viral mismatch, checked on the model directly.
    low = react(Funnel(), impressions(entertainment=0.0, intent=0.9, relevance=1.0,
                                      is_brand=True), np.random.default_rng(6))
    high = react(Funnel(), impressions(entertainment=1.0, intent=0.9, relevance=1.0,
                                       is_brand=True), np.random.default_rng(6))
    casual = react(Funnel(), impressions(entertainment=1.0, intent=0.05, relevance=1.0,
                                         is_brand=True), np.random.default_rng(6))
    assert high.events["likes"].sum() > 1.5 * low.events["likes"].sum()
    assert casual.events["leads"].sum() < 0.5 * high.events["leads"].sum()
