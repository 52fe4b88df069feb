"""Random streams: every generator of a run comes from its SeedSequence, by name.

A run's root ``SeedSequence`` gives each part of the model its own stream, so that a
change to one part leaves the draws of the others as they were (common random numbers
across scenarios). The first streams are the children the root spawned in the order of
:data:`STREAMS`; a stream named anything else (a new lever's) is derived from its name,
so adding one never shifts the seeds of the others.
"""

from __future__ import annotations

import hashlib

import numpy as np

STREAMS = ("dynamics", "population", "network", "creators", "content", "sessions", "reactions",
           "money", "collaborations", "learning", "hashtags", "promotion")
"""The streams spawned from the run's SeedSequence, in spawn order. Keeping them
apart means that, for one seed, a change to the ranking leaves the population,
graph, posts' attributes and who opens the app when as they were, and the
funnel's draws start from the same state every step (common random numbers).
``dynamics`` is the Mesa model's own generator (``model.rng``): the ranking's draws.
This tuple is closed: a new stream is named, not appended (:func:`stream`)."""

_NAMED = 2**32
"""Spawn keys of named streams start here, above any child index the root could spawn."""


def copy_of(seed: np.random.SeedSequence) -> np.random.SeedSequence:
    """A fresh copy of ``seed`` that has spawned no children yet."""
    return np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size)


def stream(root: np.random.SeedSequence, name: str) -> np.random.SeedSequence:
    """The seed of the stream ``name`` of a run whose root is ``root``.

    A name in :data:`STREAMS` gives the child the root spawned at that position
    (``root.spawn(len(STREAMS))[i]``); any other name gives a child keyed by a hash
    of the name, independent of every other stream.
    """
    if name in STREAMS:
        key = STREAMS.index(name)
    else:
        key = _NAMED + int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, key),
                                  pool_size=root.pool_size)


def step_generator(seed: np.random.SeedSequence, step: int) -> np.random.Generator:
    """A generator for one step of a stream, keyed by the step, so that one step's draws
    do not depend on how many numbers earlier steps drew."""
    return np.random.default_rng(np.random.SeedSequence(
        seed.entropy, spawn_key=(*seed.spawn_key, step)))
