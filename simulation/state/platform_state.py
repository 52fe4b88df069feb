"""Everything the platform holds in one place, and the clock: what a step reads and writes.

A :class:`PlatformState` holds references to the state objects the model builds (arrays
inside them change in place; the references never do). The platform layer extends it
into the view the ranking and the levers get (``platform.view.PlatformView``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulation.config.scenario import Scenario
from simulation.core.events import EVENTS
from simulation.core.sources import SOURCES
from simulation.state.creators import CreatorTable
from simulation.state.estimates import InterestEstimates
from simulation.state.familiarity import EXPOSURE_BUCKETS, ExposureCounts, Familiarity
from simulation.state.followers import FollowerLedger
from simulation.state.graph import Follows, ShareInbox, SocialGraph
from simulation.state.history import ImpressionHistory
from simulation.state.population import Population
from simulation.state.posts import PostStore, StyleTable
from simulation.state.rates import PlatformRates
from simulation.state.trends import Trends


@dataclass
class Clock:
    """Platform time: the hour at the start of the current step, and the step (1-based)."""

    hour: float = 0.0
    step: int = 0


@dataclass
class Tallies:
    """Platform-wide event counts kept for the measures (E events)."""

    slots: np.ndarray  # int64 (E, max feed length): by feed slot
    sources: np.ndarray  # int64 (E, len(SOURCES)): by candidate source
    exposures: np.ndarray  # int64 (2, len(EXPOSURE_BUCKETS), E): by prior exposures to the
    # creator; row 0 every creator, row 1 brands (the familiarity curve)

    @classmethod
    def empty(cls, max_feed_length: int) -> Tallies:
        return cls(slots=np.zeros((len(EVENTS), max_feed_length), dtype=np.int64),
                   sources=np.zeros((len(EVENTS), len(SOURCES)), dtype=np.int64),
                   exposures=np.zeros((2, len(EXPOSURE_BUCKETS), len(EVENTS)), dtype=np.int64))


@dataclass(frozen=True, kw_only=True)
class PlatformState:
    """The platform's state: V viewers (bot accounts last), C creators, P posts, T topics."""

    config: Scenario
    clock: Clock
    population: Population
    interest_units: np.ndarray
    """Viewers' true interests as unit vectors (V, T) float32."""
    creators: CreatorTable
    posts: PostStore
    styles: StyleTable
    trends: Trends
    graph: SocialGraph
    follows: Follows
    inbox: ShareInbox
    estimates: InterestEstimates
    familiarity: Familiarity
    exposures: ExposureCounts
    history: ImpressionHistory
    rates: PlatformRates
    followers: FollowerLedger
    tallies: Tallies
    initial_followers: np.ndarray
    """Followers of each creator when the run began (C,)."""
    active: np.ndarray = field(repr=False)
    """Viewers active in the current step (V,) bool."""

    @property
    def hour(self) -> float:
        return self.clock.hour

    @property
    def step(self) -> int:
        return self.clock.step
