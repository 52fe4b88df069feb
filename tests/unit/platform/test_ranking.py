"""Ranking policies: a contract every policy keeps, and what each one promises."""

import numpy as np
import pytest

from simulation.core.sources import GATED_SOURCES, SOURCE_INDEX, SOURCES
from simulation.kernels.interests import unit_rows
from simulation.kernels.scoring import softmax_keys
from simulation.kernels.selection import select_feed
from simulation.model import EngagementModel
from simulation.platform.policies import POLICIES, make_policy
from simulation.platform.retrieval import live_posts
from simulation.viewers.sessions import open_sessions
from tests.support.scenarios import small_baseline


def warmed_model(policy: str) -> EngagementModel:
    """A small platform six hours into its run, ready to build feeds."""
    model = EngagementModel(small_baseline(f"ranking.policy={policy}"), seed=5)
    for _ in range(6):
        model.step()
    model.hour = model.steps * model.config.step_hours
    return model


@pytest.fixture(scope="module", params=sorted(POLICIES))
def policy_feed(request):
    model = warmed_model(request.param)
    viewers, lengths = open_sessions(model.population, np.random.default_rng(1), 1.0,
                                                      model.config.ranking.max_feed_length)
    model.active[:] = False
    model.active[viewers] = True
    feed = make_policy(model.config.ranking).build_feeds(model.state, viewers, lengths,
                                                         np.random.default_rng(2))
    return request.param, model, viewers, lengths, feed


class TestPolicyContract:
    """Every policy: feeds of live, unseen, distinct posts, no longer than asked, seeded."""

    def test_shape_and_length(self, policy_feed):
        name, _, viewers, lengths, feed = policy_feed
        assert feed.posts.shape[0] == len(viewers)
        shown = (feed.posts >= 0).sum(axis=1)
        assert (shown <= lengths).all()
        # A 'Following' feed runs dry when the few followed creators have nothing new;
        # the other policies fill nearly every feed.
        assert shown.sum() > (0.02 if name == "chronological" else 0.8) * lengths.sum()

    def test_posts_are_live_unseen_and_distinct(self, policy_feed):
        _, model, viewers, _, feed = policy_feed
        live = live_posts(model)
        shown = feed.posts >= 0
        assert (feed.posts[shown] >= live.first).all() and (feed.posts[shown] < model.posts.size
                                                           ).all()
        assert not model.history.seen(viewers[:, None], feed.posts)[shown].any()
        for row in feed.posts:
            row = row[row >= 0]
            assert len(np.unique(row)) == len(row)

    def test_feeds_have_no_gaps(self, policy_feed):
        *_, feed = policy_feed
        shown = feed.posts >= 0
        assert (np.diff(shown.astype(int), axis=1) <= 0).all()  # once empty, stays empty

    def test_sources_are_named(self, policy_feed):
        *_, feed = policy_feed
        sources = feed.source[feed.posts >= 0]
        assert ((sources >= 0) & (sources < len(SOURCES))).all()

    def test_reproducible_with_a_seed(self, policy_feed):
        name, model, viewers, lengths, feed = policy_feed
        again = make_policy(model.config.ranking).build_feeds(
            model.state, viewers, lengths, np.random.default_rng(2))
        if name != "foryou":  # For-You consumes friends' shares from the inbox on first call
            assert np.array_equal(feed.posts, again.posts)


def test_foryou_respects_tier_affinity_bars():
    model = warmed_model("foryou")
    rng = np.random.default_rng(2)
    viewers, lengths = open_sessions(model.population, rng, 1.0, 48)
    model.active[viewers] = True
    feed = make_policy(model.config.ranking).build_feeds(model.state, viewers, lengths, rng)
    rows, slots = np.nonzero(feed.posts >= 0)
    posts = feed.posts[rows, slots]
    gated = np.isin(feed.source[rows, slots], [SOURCE_INDEX[s] for s in GATED_SOURCES])
    units = unit_rows(model.posts.topic[posts])
    affinity = np.einsum("nt,nt->n", units, model.estimates.unit[viewers[rows]])
    bar = model.tiers.affinity_bar[model.posts.tier[posts]]
    assert gated.sum() > 100
    assert (affinity[gated] >= bar[gated] - 1e-5).all()


def test_foryou_never_exceeds_a_tier_budget_in_one_step():
    model = warmed_model("foryou")
    rng = np.random.default_rng(3)
    viewers, lengths = open_sessions(model.population, rng, 1.0, 48)
    model.active[viewers] = True
    live = live_posts(model)
    allowance = model.tiers.allowance(model.posts, live.ids)
    feed = make_policy(model.config.ranking).build_feeds(model.state, viewers, lengths, rng)
    shown = np.bincount(feed.posts[feed.posts >= 0] - live.first, minlength=len(live.ids))
    assert (shown <= allowance).all()


def test_chronological_is_newest_first_from_followed_creators():
    model = warmed_model("chronological")
    rng = np.random.default_rng(4)
    viewers, lengths = open_sessions(model.population, rng, 1.0, 48)
    feed = make_policy(model.config.ranking).build_feeds(model.state, viewers, lengths, rng)
    for viewer, row in zip(viewers, feed.posts, strict=True):
        row = row[row >= 0]
        assert model.follows.table[viewer, model.posts.creator[row]].all()
        assert (np.diff(model.posts.created_hour[row]) <= 0).all()


def test_popularity_is_most_liked_first():
    model = warmed_model("popularity")
    rng = np.random.default_rng(5)
    viewers, lengths = open_sessions(model.population, rng, 1.0, 48)
    feed = make_policy(model.config.ranking).build_feeds(model.state, viewers, lengths, rng)
    for row in feed.posts[:200]:
        row = row[row >= 0]
        assert (np.diff(model.posts.displayed_likes[row]) <= 0).all()


def test_softmax_keys_sample_in_proportion_to_exp_score_over_temperature():
    # P(first) for two items is exp(s1/T) / (exp(s1/T) + exp(s2/T)) = sigmoid((s1 - s2) / T).
    rng = np.random.default_rng(6)
    scores = np.tile([0.30, 0.28], (40_000, 1))
    keys = softmax_keys(scores, rng.gumbel(size=scores.shape), temperature=0.02)
    first = (keys[:, 0] > keys[:, 1]).mean()
    assert abs(first - 1 / (1 + np.exp(-1.0))) < 0.01
    assert (softmax_keys(scores, rng.gumbel(size=scores.shape), 0.0).argmax(axis=1) == 0).all()


def test_select_feed_takes_the_highest_keys_in_order():
    candidates = np.array([[10, 11, 12, -1], [20, 21, 22, 23]])
    keys = np.array([[1.0, 3.0, 2.0, 9.0], [0.0, -np.inf, 5.0, 1.0]])
    feed = select_feed(candidates, keys, np.zeros((2, 4), dtype=np.int8), np.array([2, 4]),
                       np.array([0, 1]))
    assert feed.posts.tolist() == [[11, 12, -1, -1], [22, 23, 20, -1]]
