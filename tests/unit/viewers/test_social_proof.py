"""Social proof: how a like count is read, and its two points of influence in the funnel."""

import numpy as np
import pytest

from simulation.config.funnel import Funnel
from simulation.config.loading import ScenarioError
from simulation.core.events import EVENTS, PROPENSITY_EVENTS
from simulation.viewers.attention import attention
from simulation.viewers.funnel import react, sigmoid
from simulation.viewers.social_proof import read_like_counts
from tests.support.records import impressions
from tests.support.scenarios import small_baseline


def test_absolute_reading_is_log_one_plus_likes():
    imp = impressions(3, displayed_likes=0)
    imp.displayed_likes = np.array([0, 9, 99])
    assert read_like_counts(Funnel(), imp) == pytest.approx(np.log([1, 10, 100]))


def test_feed_reading_is_relative_to_the_viewers_own_feed():
    # Viewer 7 sees counts 0 and 99 (logs 0 and ln 100, mean ln 10): read -ln 10 and +ln 10.
    # Viewer 3 sees one post: whatever its count, it is the feed's mean, read as 0.
    imp = impressions(3, displayed_likes=0)
    imp.viewer, imp.displayed_likes = np.array([7, 3, 7]), np.array([0, 5_000, 99])
    read = read_like_counts(Funnel(social_proof_reference="feed"), imp)
    assert read == pytest.approx([-np.log(10), 0.0, np.log(10)])


def test_hidden_counts_are_read_as_nothing_and_react_as_a_post_with_no_likes():
    imp = impressions(20_000)
    hidden = Funnel.model_validate({"show_like_counts": False, "view": {"social_proof": 2.0},
                                    "like": {"social_proof": 2.0}})
    assert (read_like_counts(hidden, imp) == 0).all()
    # With counts hidden, every event is what it would be if every post showed 0 likes.
    zero = impressions(20_000, displayed_likes=0)
    shown = Funnel.model_validate({"view": {"social_proof": 2.0}, "like": {"social_proof": 2.0}})
    first = react(hidden, imp, np.random.default_rng(3))
    second = react(shown, zero, np.random.default_rng(3))
    assert all(np.array_equal(first.events[e], second.events[e]) for e in EVENTS)


def test_the_view_stage_reads_the_count_with_its_own_coefficient():
    # No appeal noise, view.appeal 0, all at slot 0 (attention 1), susceptibility 0.5 and 99
    # likes: P(view) = sigmoid(-1 + 0.8 x 0.5 x ln 100) = sigmoid(0.842) against sigmoid(-1)
    # with view.social_proof = 0 (the default: the choice to watch ignores counts).
    config = Funnel.model_validate({"appeal": {"noise_sd": 0.0},
                                    "view": {"intercept": -1.0, "appeal": 0.0,
                                             "social_proof": 0.8}})
    imp = impressions(susceptibility=0.5, displayed_likes=99, slot=0,
                      log_propensity=np.zeros(len(PROPENSITY_EVENTS), dtype=np.float32))
    n = len(imp)
    for funnel, log_odds in ((config, -1.0 + 0.8 * 0.5 * np.log(100)),
                             (Funnel.model_validate({"view": {"intercept": -1.0, "appeal": 0.0}}),
                              -1.0)):
        viewed = react(funnel, imp, np.random.default_rng(4)).events["views"].mean()
        expected = attention(funnel.attention, np.zeros(1, dtype=int))[0] * sigmoid(log_odds)
        assert abs(viewed - expected) < 4 * np.sqrt(expected * (1 - expected) / n)


def test_bad_reference_lists_the_allowed_ones():
    with pytest.raises(ScenarioError) as caught:
        small_baseline("funnel.social_proof_reference=chart")
    message = str(caught.value)
    assert "funnel.social_proof_reference" in message and "'feed'" in message
