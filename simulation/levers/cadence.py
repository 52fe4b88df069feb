"""Posting cadence: when each creator publishes (C creators).

``poisson`` creators publish a Poisson number of posts per step at their rate (the
model's default). ``regular`` creators publish at evenly spaced times, one post
every 24 / rate hours; ``bursty`` creators publish, every ``burst_every_hours``,
all the posts of that period at once. Both keep the creator's rate: over a whole
number of periods they publish as many posts as their rate says. Counts of
scheduled creators are a deterministic function of the hour, so they draw no
random numbers.
"""

from __future__ import annotations

import numpy as np

from simulation.config.scenario import Scenario
from simulation.levers.base import Lever, register
from simulation.state.creators import CreatorTable

_KINDS = ("poisson", "regular", "bursty")


@register
class PostingSchedule(Lever):
    """Each creator's schedule as arrays (C,)."""

    name = "cadence"
    section = "creators[].schedule"

    @classmethod
    def build(cls, scenario: Scenario, creators: CreatorTable,
              seed: np.random.SeedSequence | None) -> PostingSchedule | None:
        """None unless some creator publishes on a schedule (not at Poisson times)."""
        if all(creator.schedule.kind == "poisson" for creator in scenario.creators):
            return None
        return cls(scenario, creators)

    def __init__(self, scenario: Scenario, creators: CreatorTable):
        entries = [scenario.creators[e].schedule for e in creators.entry]
        self.kind = np.array([_KINDS.index(s.kind) for s in entries], dtype=np.int64)
        self.period = np.array([s.burst_every_hours for s in entries], dtype=np.float64)
        self.offset = np.array([s.offset_hours for s in entries], dtype=np.float64)
        self.rate = creators.posting_rate / 24.0  # posts per hour

    def published_before(self, hour: float) -> np.ndarray:
        """Posts of each scheduled creator at times before ``hour``, up to a constant (C,).

        Regular: one post at offset + k x 24 / rate for every integer k. Bursty: at
        offset + j x period for every integer j, the cumulative count jumps to
        floor(rate x period x j).
        """
        regular = np.ceil(self.rate * (hour - self.offset) - 1e-9)
        bursts = np.ceil((hour - self.offset) / self.period - 1e-9)
        bursty = np.floor(self.rate * self.period * bursts + 1e-9)
        return np.where(self.kind == 1, regular, np.where(self.kind == 2, bursty, 0.0))

    def publishing_counts(self, counts: np.ndarray, hour: float, step_hours: float) -> np.ndarray:
        """Posts per creator in [hour, hour + step_hours): ``counts`` (C,), the Poisson draws,
        for Poisson creators, the schedule's counts for the others."""
        scheduled = (self.published_before(hour + step_hours)
                     - self.published_before(hour)).astype(counts.dtype)
        return np.where(self.kind == 0, counts, scheduled)
