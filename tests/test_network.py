"""Social graph, share inbox, follows."""

import numpy as np

from simulation.network import Follows, ShareInbox, build_social_graph
from simulation.scenario import Network


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
