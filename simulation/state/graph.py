"""The social graph: friendships that carry shares, and the follow graph.

Friendships are built once with a networkx generator driven by the model's
random generator, then kept as a CSR adjacency (indptr (V+1,), friends (2M,)).
Follows are a dense viewer x creator table (V, C) because every step reads them
for all active viewers at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from simulation.config.network import Network
from simulation.kernels.counting import rank_within_groups


@dataclass
class SocialGraph:
    """Undirected friendship graph in CSR form."""

    indptr: np.ndarray  # int64 (V+1,)
    friends: np.ndarray  # int64 (2 x edges,)

    @property
    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)

    def friends_of(self, viewers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All (sender position, friend) pairs of ``viewers`` (n,): sender positions index ``viewers``."""
        starts, ends = self.indptr[viewers], self.indptr[viewers + 1]
        counts = ends - starts
        sender = np.repeat(np.arange(len(viewers)), counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return sender, self.friends[np.repeat(starts, counts) + offsets]


def build_social_graph(config: Network, size: int, rng: np.random.Generator) -> SocialGraph:
    """Build the friendship graph of ``size`` viewers, seeded by ``rng``.

    Watts-Strogatz and Erdos-Renyi graphs are drawn with numpy (the same models as
    networkx's generators, in a fraction of the time at a million viewers); the
    preferential-attachment generators, sequential by nature, come from networkx.
    """
    k = config.mean_degree
    if config.generator == "none" or k == 0 or size < 3:
        edges = np.zeros((0, 2), dtype=np.int64)
    elif config.generator == "erdos_renyi":
        edges = erdos_renyi_edges(size, min(1.0, k / max(size - 1, 1)), rng)
    elif config.generator == "watts_strogatz":
        edges = watts_strogatz_edges(size, max(2, round(k)), config.rewire_probability, rng)
    elif config.generator == "barabasi_albert":
        edges = _networkx_edges(nx.barabasi_albert_graph(
            size, max(1, min(size - 1, round(k / 2))), seed=rng))
    else:  # powerlaw_cluster
        edges = _networkx_edges(nx.powerlaw_cluster_graph(
            size, max(1, min(size - 1, round(k / 2))), config.triangle_probability, seed=rng))
    both = np.concatenate([edges, edges[:, ::-1]])
    order = np.lexsort((both[:, 1], both[:, 0]))
    both = both[order]
    indptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(both[:, 0], minlength=size), out=indptr[1:])
    return SocialGraph(indptr=indptr, friends=both[:, 1].copy())


def _networkx_edges(graph: nx.Graph) -> np.ndarray:
    return np.array(graph.edges(), dtype=np.int64).reshape(-1, 2)


def watts_strogatz_edges(size: int, k: int, rewire: float, rng: np.random.Generator) -> np.ndarray:
    """Edges (m, 2) of a Watts-Strogatz small world: a ring where each node links to its k/2
    nearest neighbours on each side, each edge's far end rewired with probability ``rewire``
    to a uniformly drawn node (never itself, never a friend twice).
    """
    half = min(k // 2, (size - 1) // 2)
    source = np.repeat(np.arange(size, dtype=np.int64), half)
    target = (source + np.tile(np.arange(1, half + 1), size)) % size
    rewired = np.flatnonzero(rng.random(len(source)) < rewire)
    target[rewired] = rng.integers(0, size, len(rewired))
    while True:  # redraw the rewired ends that made a self-loop or a repeated friendship
        key = np.minimum(source, target) * size + np.maximum(source, target)
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        repeated = counts[inverse] > 1
        bad = rewired[(source[rewired] == target[rewired]) | repeated[rewired]]
        if len(bad) == 0:
            return np.stack([source, target], axis=1)
        target[bad] = rng.integers(0, size, len(bad))


def erdos_renyi_edges(size: int, probability: float, rng: np.random.Generator) -> np.ndarray:
    """Edges (m, 2) of a G(n, p) random graph: a Binomial number of distinct uniform pairs."""
    pairs = size * (size - 1) // 2
    n_edges = int(rng.binomial(pairs, probability))
    chosen = np.zeros(0, dtype=np.int64)
    while len(chosen) < n_edges:  # distinct pair indices, topped up until there are enough
        drawn = rng.integers(0, pairs, n_edges - len(chosen))
        chosen = np.sort(np.concatenate([chosen, drawn]))
        chosen = chosen[np.r_[True, chosen[1:] != chosen[:-1]]]
    # Pair index -> (i, j), i < j, in the order (0,1), (0,2), ..., (1,2), ...
    i = (size - 2 - np.floor(np.sqrt(-8.0 * chosen + 4.0 * size * (size - 1) - 7) / 2.0 - 0.5)
         ).astype(np.int64)
    j = chosen + i + 1 - size * (size - 1) // 2 + (size - i) * ((size - i) - 1) // 2
    return np.stack([i, j], axis=1)


class ShareInbox:
    """Posts shared with viewers, waiting for the recipient's next feed.

    Shares are delivered to every friend of the sharer and expire after a time
    to live. Entries are parallel arrays (n,): recipient, post, expiry hour.
    """

    def __init__(self, ttl_hours: float):
        self.ttl_hours = ttl_hours
        self.recipient = np.zeros(0, dtype=np.int64)
        self.post = np.zeros(0, dtype=np.int64)
        self.expires = np.zeros(0, dtype=np.float64)

    def __len__(self) -> int:
        return len(self.recipient)

    def deliver(self, graph: SocialGraph, sharers: np.ndarray, posts: np.ndarray,
                hour: float) -> int:
        """Put each shared post into the inbox of every friend of its sharer; returns deliveries."""
        sender, friend = graph.friends_of(sharers)
        self.recipient = np.concatenate([self.recipient, friend])
        self.post = np.concatenate([self.post, posts[sender]])
        self.expires = np.concatenate([self.expires,
                                       np.full(len(friend), hour + self.ttl_hours)])
        return len(friend)

    def take(self, viewers: np.ndarray, active: np.ndarray, quota: int, hour: float) -> np.ndarray:
        """Remove and return up to ``quota`` shared posts per active viewer (A, quota), -1 padded.

        ``viewers`` (A,) are active viewers in increasing order (all of them, or a
        block), ``active`` is a bool (V,) mask of all active viewers; expired
        entries are dropped first.
        """
        keep = self.expires > hour
        self.recipient, self.post, self.expires = (self.recipient[keep], self.post[keep],
                                                   self.expires[keep])
        taken = np.full((len(viewers), quota), -1, dtype=np.int64)
        if quota == 0 or len(self) == 0:
            return taken
        # Entries for these viewers (sorted; a block of the active viewers, or all of them),
        # shared before this hour: a share reaches friends' next feeds, not this step's.
        due = np.flatnonzero(active[self.recipient] & (self.expires - self.ttl_hours < hour))
        row = np.searchsorted(viewers, self.recipient[due])
        due = due[(row < len(viewers)) & (viewers[np.minimum(row, len(viewers) - 1)]
                                          == self.recipient[due])]
        if len(due) == 0:
            return taken
        rank = rank_within_groups(self.recipient[due])
        chosen = rank < quota
        row = np.searchsorted(viewers, self.recipient[due][chosen])
        taken[row, rank[chosen]] = self.post[due][chosen]
        delivered = np.zeros(len(self), dtype=bool)
        delivered[due[chosen]] = True  # the rest wait for a later feed, until they expire
        self.recipient, self.post, self.expires = (self.recipient[~delivered],
                                                   self.post[~delivered],
                                                   self.expires[~delivered])
        return taken


def distinct_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``matrix`` (n, T) in lexicographic order (m, T), and each row's
    index among them (n,): ``np.unique(matrix, axis=0, return_inverse=True)``.

    Not written with ``np.unique(axis=0)``: that compares rows as structured values, and an
    exception raised in a signal handler while it runs (SIGTERM during model construction)
    comes out as numpy's "Cannot compare structured arrays" TypeError, not as the signal.
    """
    order = np.lexsort(matrix.T[::-1])  # column 0 first
    ordered = matrix[order]
    starts = np.ones(len(matrix), dtype=bool)
    starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    index = np.empty(len(matrix), dtype=np.int64)
    index[order] = np.cumsum(starts) - 1
    return ordered[starts], index


class Follows:
    """Who follows whom: a dense bool table (V, C) and follower counts (C,)."""

    def __init__(self, n_viewers: int, n_creators: int):
        self.table = np.zeros((n_viewers, n_creators), dtype=bool)
        self.count = np.zeros(n_creators, dtype=np.int64)

    def seed_initial(self, rng: np.random.Generator, interests: np.ndarray,
                     topic_mix: np.ndarray, shares: np.ndarray) -> None:
        """Initial followers of each creator: ``shares[c]`` x V viewers, chosen by interest.

        Followers are drawn one after another without replacement, each in proportion
        to the match of their interests with the creator's topics (successive
        sampling, the law of a Gumbel top-k draw): a draw with replacement that
        skips viewers already chosen. ``interests`` (V, T), ``topic_mix`` (C, T).
        """
        n_viewers = len(interests)
        mixes, group = distinct_rows(topic_mix)
        cumulative, current = None, -1
        for creator in np.argsort(group, kind="stable"):
            n = round(shares[creator] * n_viewers)
            if n == 0:
                continue
            if group[creator] != current:
                current = group[creator]  # creators with one mix share one cumulative weight
                match = np.maximum(interests @ mixes[current], 1e-12).astype(np.float64)
                cumulative = np.cumsum(match)
            self.table[_successive_sample(rng, cumulative, n), creator] = True
        self.count = self.table.sum(axis=0).astype(np.int64)

    def add(self, viewers: np.ndarray, creators: np.ndarray) -> int:
        """Record new follows (pairs may repeat or already exist); returns how many are new."""
        if len(viewers) == 0:
            return 0
        n_creators = self.table.shape[1]
        pairs = np.unique(viewers * n_creators + creators)
        viewers, creators = pairs // n_creators, pairs % n_creators
        new = ~self.table[viewers, creators]
        self.table[viewers[new], creators[new]] = True
        np.add.at(self.count, creators[new], 1)
        return int(new.sum())


def _successive_sample(rng: np.random.Generator, cumulative: np.ndarray, n: int) -> np.ndarray:
    """``n`` distinct indices drawn one by one in proportion to weights given cumulated (V,)."""
    size = len(cumulative)
    if n >= size:
        return np.arange(size)
    if n > size // 4:  # rejections would be many: a Gumbel top-k draw has the same law
        weights = np.diff(cumulative, prepend=0.0)
        keys = np.log(np.maximum(weights, 1e-300)) + rng.gumbel(size=size)
        return np.argpartition(-keys, n - 1)[:n]
    chosen = np.zeros(size, dtype=bool)
    picked: list[np.ndarray] = []
    need = n
    while need > 0:
        drawn = np.searchsorted(cumulative, rng.random(need + need // 8 + 16) * cumulative[-1],
                                side="right")
        drawn = np.minimum(drawn, size - 1)
        unique, first = np.unique(drawn, return_index=True)
        fresh = unique[np.argsort(first)]  # first occurrences, in the order they were drawn
        fresh = fresh[~chosen[fresh]][:need]
        chosen[fresh] = True
        picked.append(fresh)
        need -= len(fresh)
    return np.concatenate(picked)
