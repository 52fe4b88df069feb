"""Pauses: a creator stops publishing for a while (a holiday, a campaign break).

From ``start_hour`` to ``end_hour`` the creator publishes nothing: the posts it would
have published in those steps (Poisson draws, or its schedule's) are dropped. Its
followers, familiarity and live posts carry on, so the pause shows what a brand loses
(or keeps) when it goes quiet. Draws no random numbers. This is the example lever of
docs/architecture.md: a section, a build rule, one hook and a summary.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from simulation.config.scenario import Scenario
from simulation.levers.base import Lever, MeasureNames, register
from simulation.platform.view import PlatformView
from simulation.state.creators import CreatorTable


@register
class Pauses(Lever):
    """Each creator's break in publishing, [start, end) in hours (C,); inf for none."""

    name = "pause"
    section = "creators[].pause"
    order = 150  # after the levers that set counts (cadence), before a fixed catalog
    summary_keys = ("pause",)
    measures: ClassVar[MeasureNames] = {
        "pause.{creator}.start_hour": ("{creator}: hour its break starts", "hours", "setting"),
        "pause.{creator}.end_hour": ("{creator}: hour its break ends", "hours", "setting"),
        "pause.{creator}.posts_skipped": ("{creator}: posts not published during its break",
                                          "posts", "count"),
    }

    @classmethod
    def build(cls, scenario: Scenario, creators: CreatorTable,
              seed: np.random.SeedSequence | None) -> Pauses | None:
        """None unless some creator pauses."""
        if all(creator.pause is None for creator in scenario.creators):
            return None
        return cls(scenario, creators)

    def __init__(self, scenario: Scenario, creators: CreatorTable):
        self.names = creators.names
        self.start = np.full(creators.size, np.inf)
        self.end = np.full(creators.size, np.inf)
        for c, entry in enumerate(creators.entry):
            pause = scenario.creators[entry].pause
            if pause is not None:
                self.start[c], self.end[c] = pause.start_hour, pause.end_hour
        self.skipped = np.zeros(creators.size, dtype=np.int64)  # posts not published (C,)

    def publishing_counts(self, counts: np.ndarray, hour: float, step_hours: float) -> np.ndarray:
        """No posts from a creator whose break covers this step's start."""
        paused = (self.start <= hour) & (hour < self.end)
        self.skipped += np.where(paused, counts, 0)
        return np.where(paused, 0, counts)

    def summarize(self, view: PlatformView) -> dict[str, Any]:
        """``summary.json`` ``pause``: per pausing creator, its break and the posts it skipped."""
        return {"pause": {self.names[c]: {"start_hour": float(self.start[c]),
                                          "end_hour": float(self.end[c]),
                                          "posts_skipped": int(self.skipped[c])}
                          for c in np.flatnonzero(np.isfinite(self.start))}}
