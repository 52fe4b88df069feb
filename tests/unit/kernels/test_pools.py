"""Candidate generation primitives: weighted pools, categorical draws, dedup, history."""

import numpy as np

from simulation.core.sources import NO_POST
from simulation.kernels.admission import drop_duplicates
from simulation.kernels.counting import rank_within_groups
from simulation.kernels.pools import WeightedPools, draw_categories
from simulation.state.history import ImpressionHistory


def test_weighted_pools_draw_in_proportion_to_weight():
    # Group 0 holds posts 10 (weight 1) and 11 (weight 3); group 1 is empty; group 2 holds 12.
    pools = WeightedPools(np.array([0, 0, 2]), np.array([10, 11, 12]),
                          np.array([1.0, 3.0, 5.0]), 3)
    rng = np.random.default_rng(0)
    draws = pools.draw(np.zeros(40_000, dtype=np.int64), rng.random(40_000))
    assert set(np.unique(draws)) == {10, 11}
    assert abs((draws == 11).mean() - 0.75) < 0.01  # 3 / (1 + 3)
    assert (pools.draw(np.array([1, 2, -1]), np.array([0.5, 0.5, 0.5])) == [NO_POST, 12, NO_POST]
            ).all()


def test_empty_pools_draw_nothing():
    pools = WeightedPools(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64),
                          np.zeros(0), 2)
    assert (pools.draw(np.array([[0, 1]]), np.array([[0.1, 0.9]])) == NO_POST).all()


def test_draw_categories_per_row():
    weights = np.array([[0.0, 1.0, 1.0], [0.0, 0.0, 0.0], [5.0, 0.0, 0.0]])
    rng = np.random.default_rng(1)
    drawn = draw_categories(weights, rng.random((3, 10_000)))
    assert set(np.unique(drawn[0])) == {1, 2} and abs((drawn[0] == 1).mean() - 0.5) < 0.02
    assert (drawn[1] == -1).all() and (drawn[2] == 0).all()


def test_drop_duplicates_keeps_the_first_column():
    rows = np.array([[5, 3, 5, -1, 3], [1, 2, 3, 4, 5]])
    assert drop_duplicates(rows).tolist() == [[5, 3, -1, -1, -1], [1, 2, 3, 4, 5]]


def test_rank_within_groups():
    assert rank_within_groups(np.array([4, 2, 4, 4, 2])).tolist() == [0, 0, 1, 2, 1]
    ranked = rank_within_groups(np.array([1, 1, 1]), tiebreak=np.array([0.9, 0.1, 0.5]))
    assert ranked.tolist() == [2, 0, 1]


def test_impression_history_grows_and_remembers():
    history = ImpressionHistory(n_viewers=3, capacity=8)
    history.mark(np.array([0, 2, 2]), np.array([3, 3, 700]))
    seen = history.seen(np.array([[0], [1], [2]]), np.array([[3, 700, -1]] * 3))
    assert seen.tolist() == [[True, False, False], [False, False, False], [True, True, False]]


def test_impression_history_is_a_ring_over_the_live_window():
    history = ImpressionHistory(n_viewers=2, capacity=16)
    history.make_room(first_live=0, n_posts=16)
    history.mark(np.array([0, 1]), np.array([3, 15]))
    # Posts 16..23 take the ring places of posts 0..7, which are no longer live: cleared.
    history.make_room(first_live=8, n_posts=24)
    assert history.capacity == 16
    assert not history.seen(np.array([[0]]), np.array([[19]]))[0, 0]  # place of post 3
    assert history.seen(np.array([[1]]), np.array([[15]]))[0, 0]
    # More live posts than places: the ring grows and keeps what it remembers.
    history.mark(np.array([0]), np.array([20]))
    history.make_room(first_live=10, n_posts=40)
    assert history.capacity >= 30
    seen = history.seen(np.array([[0], [1]]), np.array([[20, 15, 39]] * 2))
    assert seen.tolist() == [[True, False, False], [False, True, False]]
