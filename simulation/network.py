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

from simulation.candidates import rank_within_groups
from simulation.scenario import Network


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
    """Build the friendship graph of ``size`` viewers with networkx, seeded by ``rng``."""
    k = config.mean_degree
    if config.generator == "none" or k == 0 or size < 3:
        graph = nx.empty_graph(size)
    elif config.generator == "erdos_renyi":
        graph = nx.fast_gnp_random_graph(size, min(1.0, k / max(size - 1, 1)), seed=rng)
    elif config.generator == "watts_strogatz":
        graph = nx.watts_strogatz_graph(size, max(2, round(k)), config.rewire_probability,
                                        seed=rng)
    elif config.generator == "barabasi_albert":
        graph = nx.barabasi_albert_graph(size, max(1, min(size - 1, round(k / 2))), seed=rng)
    else:  # powerlaw_cluster
        graph = nx.powerlaw_cluster_graph(size, max(1, min(size - 1, round(k / 2))),
                                          config.triangle_probability, seed=rng)
    edges = np.array(graph.edges(), dtype=np.int64).reshape(-1, 2)
    both = np.concatenate([edges, edges[:, ::-1]])
    order = np.lexsort((both[:, 1], both[:, 0]))
    both = both[order]
    indptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(both[:, 0], minlength=size), out=indptr[1:])
    return SocialGraph(indptr=indptr, friends=both[:, 1].copy())


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

        ``viewers`` (A,) are the active viewers, ``active`` is a bool (V,) mask
        of the same; expired entries are dropped first.
        """
        keep = self.expires > hour
        self.recipient, self.post, self.expires = (self.recipient[keep], self.post[keep],
                                                   self.expires[keep])
        taken = np.full((len(viewers), quota), -1, dtype=np.int64)
        if quota == 0 or len(self) == 0:
            return taken
        due = np.flatnonzero(active[self.recipient])
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


class Follows:
    """Who follows whom: a dense bool table (V, C) and follower counts (C,)."""

    def __init__(self, n_viewers: int, n_creators: int):
        self.table = np.zeros((n_viewers, n_creators), dtype=bool)
        self.count = np.zeros(n_creators, dtype=np.int64)

    def seed_initial(self, rng: np.random.Generator, interests: np.ndarray,
                     topic_mix: np.ndarray, shares: np.ndarray) -> None:
        """Initial followers of each creator: ``shares[c]`` x V viewers, chosen by interest.

        A viewer's chance to be among a creator's followers is proportional to
        the match of their interests with the creator's topics (Gumbel top-k
        sampling without replacement). ``interests`` (V, T), ``topic_mix`` (C, T).
        """
        n_viewers = len(interests)
        for creator, share in enumerate(shares):
            n = round(share * n_viewers)
            if n == 0:
                continue
            match = interests @ topic_mix[creator]
            keys = np.log(np.maximum(match, 1e-12)) + rng.gumbel(size=n_viewers)
            chosen = np.argpartition(-keys, n - 1)[:n] if n < n_viewers else np.arange(n_viewers)
            self.table[chosen, creator] = True
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
