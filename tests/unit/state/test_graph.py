"""Social graph, share inbox, follows."""

import numpy as np
import pytest

from simulation.config.network import Network
from simulation.state.graph import Follows, ShareInbox, build_social_graph, distinct_rows


def test_graph_is_symmetric_and_seeded():
    config = Network(generator="barabasi_albert", mean_degree=6)
    first = build_social_graph(config, 500, np.random.default_rng(3))
    again = build_social_graph(config, 500, np.random.default_rng(3))
    other = build_social_graph(config, 500, np.random.default_rng(4))
    assert np.array_equal(first.friends, again.friends)
    assert not np.array_equal(first.friends, other.friends)
    pairs = {(v, int(f)) for v in range(500) for f in first.friends_of(np.array([v]))[1]}
    assert all((f, v) in pairs for v, f in pairs)
    assert abs(first.degree.mean() - 6) < 0.5


def test_no_graph():
    graph = build_social_graph(Network(generator="none"), 50, np.random.default_rng(0))
    assert graph.degree.sum() == 0


def test_inbox_delivers_to_friends_within_quota_and_expires():
    graph = build_social_graph(Network(generator="watts_strogatz", mean_degree=4,
                                       rewire_probability=0.0), 10, np.random.default_rng(0))
    inbox = ShareInbox(ttl_hours=5)
    delivered = inbox.deliver(graph, np.array([0, 0, 0]), np.array([7, 8, 9]), hour=0.0)
    assert delivered == 3 * graph.degree[0]
    friend = int(graph.friends_of(np.array([0]))[1][0])
    active = np.zeros(10, dtype=bool)
    active[friend] = True
    taken = inbox.take(np.array([friend]), active, quota=2, hour=1.0)
    assert taken.shape == (1, 2) and set(taken[0]) <= {7, 8, 9}
    # The third share waits for the next feed, then expires.
    assert inbox.take(np.array([friend]), active, quota=2, hour=2.0)[0, 0] in {7, 8, 9}
    inbox.deliver(graph, np.array([0]), np.array([5]), hour=0.0)
    assert (inbox.take(np.array([friend]), active, quota=2, hour=6.0) == -1).all()


def test_follows_count_each_pair_once():
    follows = Follows(4, 3)
    assert follows.add(np.array([0, 0, 1]), np.array([2, 2, 2])) == 2
    assert follows.add(np.array([0]), np.array([2])) == 0
    assert follows.count.tolist() == [0, 0, 2]


def test_watts_strogatz_is_a_ring_lattice_without_rewiring_and_a_simple_graph_with_it():
    from simulation.state.graph import watts_strogatz_edges

    lattice = watts_strogatz_edges(12, 4, 0.0, np.random.default_rng(0))
    # Each node links to its 2 nearest neighbours on each side: 12 x 4 / 2 = 24 edges.
    assert len(lattice) == 24
    assert {frozenset(e) for e in lattice.tolist()} == {
        frozenset((u, (u + d) % 12)) for u in range(12) for d in (1, 2)}
    edges = watts_strogatz_edges(5000, 8, 0.3, np.random.default_rng(1))
    pairs = np.sort(edges, axis=1)
    assert len(edges) == 5000 * 4 and (pairs[:, 0] != pairs[:, 1]).all()
    assert len(np.unique(pairs[:, 0] * 5000 + pairs[:, 1])) == len(edges)
    # About 30% of the far ends moved: those edges no longer join ring neighbours.
    gap = np.minimum((edges[:, 1] - edges[:, 0]) % 5000, (edges[:, 0] - edges[:, 1]) % 5000)
    assert abs((gap > 4).mean() - 0.3) < 0.02
    assert np.array_equal(edges, watts_strogatz_edges(5000, 8, 0.3, np.random.default_rng(1)))


def test_erdos_renyi_draws_distinct_pairs_at_the_expected_density():
    from simulation.state.graph import erdos_renyi_edges

    assert sorted(map(tuple, erdos_renyi_edges(5, 1.0, np.random.default_rng(0)).tolist())) == [
        (i, j) for i in range(5) for j in range(i + 1, 5)]
    edges = erdos_renyi_edges(4000, 0.002, np.random.default_rng(2))
    assert (edges[:, 0] < edges[:, 1]).all() and edges.max() < 4000
    assert len(np.unique(edges[:, 0] * 4000 + edges[:, 1])) == len(edges)
    # E[edges] = p n (n - 1) / 2 = 15 996, sd about 126.
    assert abs(len(edges) - 15_996) < 500


def test_initial_followers_are_a_successive_sample_by_interest():
    # Three viewers with weights 0.5, 0.3, 0.2 and two followers drawn one after the other
    # without replacement: P(viewer i followed) = w_i + sum_{j != i} w_j w_i / (1 - w_j):
    # 0.5 + 0.3 x 0.5 / 0.7 + 0.2 x 0.5 / 0.8 = 0.8393, 0.3 + 0.5 x 0.3 / 0.5 + 0.2 x 0.3 / 0.8
    # = 0.675, and 0.2 + 0.5 x 0.2 / 0.5 + 0.3 x 0.2 / 0.7 = 0.4857 (they sum to 2).
    from simulation.state.graph import _successive_sample

    rng = np.random.default_rng(3)
    cumulative = np.cumsum([0.5, 0.3, 0.2])
    counts = np.zeros(3)
    for _ in range(20_000):
        chosen = _successive_sample(rng, cumulative, 2)
        assert len(set(chosen.tolist())) == 2
        counts[chosen] += 1
    assert np.allclose(counts / 20_000, [0.8393, 0.675, 0.4857], atol=0.012)


def test_follows_are_seeded_by_interest_and_share():
    rng = np.random.default_rng(4)
    interests = np.zeros((1000, 2))
    interests[:500, 0], interests[500:, 1] = 1.0, 1.0  # half like topic 0, half topic 1
    follows = Follows(1000, 2)
    follows.seed_initial(rng, interests, np.array([[1.0, 0.0], [0.5, 0.5]]), np.array([0.1, 0.4]))
    assert follows.count.tolist() == [100, 400]
    assert follows.table[:500, 0].sum() == 100  # only viewers who like topic 0 (weight 1e-12 else)


@pytest.mark.parametrize("seed", range(5))
def test_distinct_rows_are_numpys_unique_rows(seed):
    rng = np.random.default_rng(seed)
    matrix = rng.integers(0, 3, (rng.integers(0, 40), 4)).astype(float) / 2  # repeats, ties
    mixes, index = distinct_rows(matrix)
    expected, inverse = np.unique(matrix, axis=0, return_inverse=True)
    assert np.array_equal(mixes, expected) and np.array_equal(index, inverse.ravel())
