"""Compiled kernels and their numpy twins give the same numbers, bit for bit.

Every accelerated function is a case: it builds random inputs (edge cases included:
empty groups, zero weights, repeats, posts no longer live) and calls the public
function; the contract runs it with the kernels on and off and requires equal
outputs. Whole runs of real scenarios must give identical summaries too.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest

from simulation.config.loading import load_scenario
from simulation.config.ranking import Platform
from simulation.core.events import EVENTS, event_bits
from simulation.core.records import LivePosts
from simulation.experiments.runs import simulate
from simulation.kernels import compiler as acceleration
from simulation.kernels.candidates import Retrieval
from simulation.kernels.compiler import use_compiled
from simulation.kernels.counting import rank_within_groups, tally
from simulation.kernels.gathers import take, take_pairs
from simulation.kernels.interests import paired_cosine
from simulation.kernels.pools import WeightedPools, draw_categories, draw_followed
from simulation.kernels.scoring import penalise_repeated_authors
from simulation.kernels.selection import select_feed, select_within_allowance
from simulation.state.estimates import InterestEstimates
from simulation.state.familiarity import ExposureCounts, Familiarity
from simulation.state.history import ImpressionHistory
from tests.support.scenarios import SCENARIOS, small_baseline

pytestmark = pytest.mark.skipif(not acceleration.AVAILABLE,
                                reason="numba is not installed: only the numpy twins exist")


def both(case: Callable[[np.random.Generator], object], seed: int = 0) -> tuple[object, object]:
    """The case's outputs with kernels on and off, from the same random inputs."""
    outputs = []
    for flag in (True, False):
        with use_compiled(flag):
            outputs.append(case(np.random.default_rng(seed)))
    return outputs[0], outputs[1]


def assert_same(compiled: object, numpy: object) -> None:
    if isinstance(compiled, tuple | list):
        assert len(compiled) == len(numpy)
        for a, b in zip(compiled, numpy, strict=True):
            assert_same(a, b)
        return
    a, b = np.asarray(compiled), np.asarray(numpy)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


def pools(rng: np.random.Generator, n_posts: int = 300, n_groups: int = 7) -> WeightedPools:
    keys = rng.integers(0, n_groups - 1, n_posts)  # the last group stays empty
    weights = rng.random(n_posts) * (rng.random(n_posts) > 0.2)  # some zero weights
    return WeightedPools(keys, rng.permutation(n_posts) + 1000, weights, n_groups)


def case_pool_draws(rng):
    groups = rng.integers(-1, 7, (500, 9))
    return pools(rng).draw(groups, rng.random(groups.shape))


def case_alias_tables(rng):
    return pools(rng, n_posts=2000, n_groups=12).alias


def case_retrieval(rng):
    # The fused candidate stage: followed creators' posts, given candidates, topic sources,
    # further rounds and the backfill, admitted against the history, the bars and the gates.
    n_viewers, n_creators, n_topics, first_live, n_posts = 300, 25, 6, 100, 700
    n_live = n_posts - first_live
    keys = np.concatenate([rng.integers(0, n_creators, n_live),
                           n_creators + rng.integers(0, 4 * n_topics, 3 * n_live)])
    ids = np.concatenate([np.arange(first_live, n_posts)] * 4)
    weights = rng.random(len(ids)) * (rng.random(len(ids)) > 0.3)
    weighted = WeightedPools(keys, ids, weights, n_creators + 4 * n_topics)
    remembered = history(rng, n_viewers, n_posts, first_live)
    estimate = (rng.random((n_viewers, n_topics)) * (rng.random((n_viewers, n_topics)) > 0.3)
                ).astype(np.float32)
    estimate[::17] = 0.0  # viewers the topic sources can give nothing
    unit = rng.random((n_viewers, n_topics)).astype(np.float32)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    post_units = rng.random((n_live, n_topics)).astype(np.float32)
    post_units /= np.linalg.norm(post_units, axis=1, keepdims=True)
    retrieval = Retrieval(
        weighted, n_creators, n_topics, (0, 4), [(2, 9), (3, 3), (4, 5)], (5, 6), 2,
        rng.random((n_viewers, n_creators)) < 0.15, estimate, unit, first_live, post_units,
        (rng.random(n_live) * 0.95).astype(np.float32),
        np.array([False, False, True, True, True, False, False]))
    viewers = np.sort(rng.choice(n_viewers, 200, replace=False))
    given = rng.integers(first_live - 50, n_posts, (200, 3))  # dead posts, repeats
    given[rng.random(given.shape) < 0.4] = -1
    return retrieval.candidates(viewers, rng.integers(1, 40, 200), np.uint64(rng.integers(2**62)),
                                given, np.array([1, 1, 6], dtype=np.int8), remembered.bits,
                                remembered.capacity)


def case_categories(rng):
    weights = rng.random((300, 8)) * (rng.random((300, 8)) > 0.3)
    return draw_categories(weights, rng.random((300, 13)))


def case_followed(rng):
    table = rng.random((200, 30)) < 0.1
    weights = rng.random(30) * (rng.random(30) > 0.2)
    viewers = np.sort(rng.choice(200, 120, replace=False))
    return draw_followed(table, viewers, weights, rng.random((120, 6)))


def case_ranks(rng):
    groups = rng.integers(0, 40, 2000)
    tiebreak = np.round(rng.random(2000), 2)  # ties are broken by position
    return rank_within_groups(groups), rank_within_groups(groups, tiebreak)


def history(rng, n_viewers=60, n_posts=500, first_live=100) -> ImpressionHistory:
    remembered = ImpressionHistory(n_viewers, capacity=128)
    remembered.make_room(first_live, n_posts)
    viewers = rng.integers(0, n_viewers, 3000)
    remembered.mark(viewers, rng.integers(first_live, n_posts, 3000))
    return remembered


def case_history(rng):
    remembered = history(rng)
    remembered.make_room(300, 900)  # the ring grows and forgets the oldest posts
    remembered.mark(rng.integers(0, 60, 500), rng.integers(300, 900, 500))
    posts = rng.integers(300, 900, (60, 20))
    return remembered.seen(np.arange(60)[:, None], posts), remembered.capacity


def case_tallies(rng):
    events = {name: rng.random(5000) < 0.3 for name in EVENTS}
    return tally(rng.integers(0, 77, 5000), event_bits(events), 77)


def case_tallies_in_parts(rng):
    # More impressions than two parts (kernels/counting.py, TALLY_PART): counted in parallel.
    n = 600_000
    events = {name: rng.random(n) < 0.3 for name in EVENTS}
    return tally(rng.integers(0, 300, n), event_bits(events), 300)


def case_gathers(rng):
    # Enough rows for the parallel path; bool, float32 and int tables, 1-D and 2-D.
    n, index = 9000, rng.integers(0, 400, 9000)
    table = rng.random((400, 30)).astype(np.float32)
    return (take(rng.random(400).astype(np.float32), index), take(rng.random(400) < 0.5, index),
            take(table, index), take_pairs(table, index, rng.integers(0, 30, n)),
            take_pairs(rng.integers(0, 9, (400, 30)).astype(np.uint8), index[::-1],
                       rng.integers(0, 30, n)))


def case_familiarity(rng):
    familiarity, exposures = Familiarity(50, 12, 72.0), ExposureCounts(50, 12)
    for hour in (0.0, 5.5, 400.0):
        viewers, creators = rng.integers(0, 50, 3000), rng.integers(0, 12, 3000)
        familiarity.expose(viewers, creators, hour)
        exposures.expose(viewers, creators)
    return familiarity.table(410.0), exposures.count


def case_interest_learning(rng):
    interests = rng.dirichlet(np.ones(8), 80).astype(np.float32)
    estimates = InterestEstimates(interests, Platform())
    viewers = rng.integers(0, 80, 4000)
    topics = rng.dirichlet(np.ones(8), 4000).astype(np.float32)
    estimates.learn(viewers, topics, rng.random(4000) * (rng.random(4000) > 0.3))
    return estimates.estimate, estimates.unit


def case_cosines(rng):
    left = rng.random((70, 8)).astype(np.float32)
    right = rng.random((90, 8)).astype(np.float32)
    return paired_cosine(left, rng.integers(0, 70, 1000), right, rng.integers(0, 90, 1000))


def case_author_penalty(rng):
    authors = rng.integers(0, 6, (200, 25))
    scores = np.round(rng.random((200, 25)), 1)  # equal best scores: the leftmost is kept
    return penalise_repeated_authors(authors, scores, rng.random((200, 25)) > 0.2, 0.5)


def case_feeds(rng):
    candidates = rng.integers(-1, 300, (150, 40))
    keys = rng.normal(size=(150, 40))
    source = rng.integers(0, 5, (150, 40)).astype(np.int8)
    length = rng.integers(1, 30, 150)
    feed = select_feed(candidates, keys, source, length, np.arange(150))
    return feed.posts, feed.source, feed.column


def case_feeds_within_allowance(rng):
    n_live, first = 60, 1000
    candidates = first + rng.integers(0, n_live, (300, 35))
    candidates[rng.random(candidates.shape) < 0.2] = -1
    keys = np.where(candidates >= 0, rng.normal(size=candidates.shape), -np.inf)
    priority = rng.random(candidates.shape)
    allowance = np.where(rng.random(n_live) < 0.5, rng.integers(0, 40, n_live), np.inf)
    live = LivePosts(first=first, ids=np.arange(first, first + n_live),
                     freshness=np.ones(n_live), tier=np.zeros(n_live, dtype=np.int64))
    feed = select_within_allowance(candidates, keys, rng.integers(0, 5, candidates.shape
                                                                  ).astype(np.int8),
                                   rng.integers(1, 20, 300), np.arange(300), allowance, live,
                                   priority)
    return feed.posts, feed.source, feed.column


def case_feeds_within_allowance_ties(rng):
    # Enough rows for the parallel path, priorities with many ties (feed order breaks
    # them) and fractional allowances (2.5 lets three impressions through).
    n_live, first, n_rows = 50, 40, 5000
    candidates = first + rng.integers(0, n_live, (n_rows, 30))
    keys = rng.normal(size=candidates.shape)
    priority = rng.integers(0, 4, candidates.shape) / 4.0
    allowance = np.where(rng.random(n_live) < 0.7, rng.integers(0, 400, n_live) + 0.5, np.inf)
    live = LivePosts(first=first, ids=np.arange(first, first + n_live),
                     freshness=np.ones(n_live), tier=np.zeros(n_live, dtype=np.int64))
    feed = select_within_allowance(candidates, keys, np.zeros(candidates.shape, dtype=np.int8),
                                   rng.integers(1, 12, n_rows), np.arange(n_rows), allowance,
                                   live, priority)
    return feed.posts, feed.source, feed.column


CASES = [case_pool_draws, case_alias_tables, case_retrieval, case_categories, case_followed, case_ranks,
         case_history, case_tallies, case_tallies_in_parts,
         case_gathers, case_familiarity,
         case_interest_learning, case_cosines, case_author_penalty, case_feeds,
         case_feeds_within_allowance, case_feeds_within_allowance_ties]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__[5:])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernel_matches_its_numpy_twin(case, seed):
    assert_same(*both(case, seed))


def test_allowances_are_respected_and_feeds_stay_full_where_they_can():
    # The contract above says the twins agree; this says what they agree on.
    rng = np.random.default_rng(5)
    n_live, first = 40, 0
    candidates = rng.integers(0, n_live, (500, 30))
    keys = rng.normal(size=candidates.shape)
    allowance = np.full(n_live, 25.0)
    live = LivePosts(first=first, ids=np.arange(n_live), freshness=np.ones(n_live),
                     tier=np.zeros(n_live, dtype=np.int64))
    feed = select_within_allowance(candidates, keys, np.zeros(candidates.shape, dtype=np.int8),
                                   np.full(500, 5), np.arange(500), allowance, live,
                                   rng.random(candidates.shape))
    shown = feed.posts[feed.posts >= 0]
    assert np.bincount(shown, minlength=n_live).max() <= 25
    # 40 posts x 25 = 1 000 slots for 2 500 asked: the budget is spent, not wasted.
    assert len(shown) >= 0.9 * n_live * 25


@pytest.mark.parametrize("name, overrides", [
    ("baseline", ()),
    ("levers/content_funnel", ("population.size=800", "steps=24")),
    ("bought_likes/buying", ("population.size=600", "steps=24")),
    ("promotion/targeted", ("population.size=600", "steps=24")),
    ("social_proof/musiclab", ("population.size=300", "steps=6")),
], ids=lambda value: value if isinstance(value, str) else "")
def test_runs_are_identical_with_and_without_compiled_kernels(name, overrides):
    scenario = (small_baseline("steps=24") if name == "baseline"
                else load_scenario(SCENARIOS / f"{name}.toml", list(overrides)))
    summaries = []
    for flag in (True, False):
        with use_compiled(flag):
            summaries.append(json.dumps(simulate(scenario, seed=4).summary, sort_keys=True,
                                        default=str))
    assert summaries[0] == summaries[1]


def test_ctrl_c_while_a_kernel_loads_is_delivered_after_it():
    # An interrupt inside numba's compile or cache load would crash the interpreter; held,
    # it arrives as KeyboardInterrupt once the enclosed code is done, and not before.
    import signal

    finished = False
    with pytest.raises(KeyboardInterrupt), acceleration.interrupts_held():
        # raise_signal sends it to this thread: os.kill may hand it to another thread of the
        # process (pytest-xdist's), whose delivery to Python can then come after the block.
        signal.raise_signal(signal.SIGINT)
        finished = True
    assert finished
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
