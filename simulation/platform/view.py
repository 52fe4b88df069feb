"""What the ranking and the levers see of the platform: its state, read-only, and the clock.

A :class:`PlatformView` is the platform's state (``state.platform_state``) with the tier
table and the levers' hooks into retrieval: references to what the model owns. It
cannot be re-pointed (a frozen dataclass) and offers no way to step the model; a lever
writes only to its own columns and through the state objects its hooks are documented
to use (``levers/base.py``).

Two small protocols let levers take part in candidate retrieval without the platform
naming them: a :class:`PoolFiling` files posts under extra keys of a pool, and a
:class:`CandidateSource` draws candidates of its own source, with a score multiplier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from simulation.core.records import LivePosts
from simulation.platform.tiers import StagedDistribution
from simulation.state.platform_state import PlatformState
from simulation.state.posts import PostStore


class PoolFiling(Protocol):
    """Files posts under more keys of a candidate pool (a lever's hook)."""

    def pool_entries(self, pool: str, posts: PostStore, ids: np.ndarray, keys: np.ndarray,
                     weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Keys, post ids and weights of pool ``pool`` ("creator" or "topic") with this lever's
        extra entries appended; ``ids``, ``keys``, ``weights`` (n,) are the entries so far."""
        ...


class CandidateSource(Protocol):
    """A lever's own candidate source, drawn in the first retrieval round."""

    source: str
    """Its name in ``core.sources.SOURCES``."""
    boost: np.ndarray | None
    """Score multiplier of its candidates by author (C,), or None for none."""

    def draw(self, view: PlatformView, viewers: np.ndarray, live: LivePosts,
             rng: np.random.Generator) -> np.ndarray:
        """Candidates (A, q) for the active ``viewers`` (A,), -1 where there is none."""
        ...


@dataclass(frozen=True, kw_only=True)
class PlatformView(PlatformState):
    """The platform's state (``PlatformState``) with the tier table and the levers' hooks into
    retrieval: what the ranking policies and the levers get."""

    tiers: StagedDistribution
    retrieval_seed: np.random.SeedSequence
    """The candidate stage's stream: each step's key of its counter-based uniforms comes from
    ``step_generator(retrieval_seed, step)``, so that a viewer's draws in a step are the same
    in every scenario run with the seed (common random numbers), whatever the ranking drew."""
    pool_filings: tuple[PoolFiling, ...] = ()
    candidate_sources: tuple[CandidateSource, ...] = ()
