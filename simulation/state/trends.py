"""Trends: heat curves that rise linearly to a peak, then fade exponentially.

Shapes: R trends. Posts that ride a trend gain appeal and shares in
proportion to the trend's heat at the time they are seen.
"""

from __future__ import annotations

import numpy as np

from simulation.config.scenario import Scenario


class Trends:
    """The scenario's trends as arrays (R,)."""

    def __init__(self, scenario: Scenario):
        trends = scenario.trends
        self.names = [t.name for t in trends]
        self.topic = np.array([scenario.topics.index(t.topic) for t in trends], dtype=np.int64)
        self.start = np.array([t.start_hour for t in trends], dtype=np.float64)
        self.rise = np.array([t.rise_hours for t in trends], dtype=np.float64)
        self.half_life = np.array([t.half_life_hours for t in trends], dtype=np.float64)
        self.peak = np.array([t.peak_heat for t in trends], dtype=np.float64)

    def __len__(self) -> int:
        return len(self.names)

    def heat(self, hour: float) -> np.ndarray:
        """Heat of every trend at ``hour`` (R,): 0 before start, linear rise, exponential fade."""
        since = hour - self.start
        rising = np.clip(since / self.rise, 0.0, 1.0)
        fade = np.exp2(-np.maximum(since - self.rise, 0.0) / self.half_life)
        return np.where(since < 0, 0.0, self.peak * rising * fade)

    def pick(self, rng: np.random.Generator, riding: np.ndarray, hour: float) -> np.ndarray:
        """Trend ridden by each new post (n,), -1 for none.

        A post whose ``riding`` flag is set joins a trend chosen in proportion to
        current heat; when no trend is hot, it rides none.
        """
        chosen = np.full(len(riding), -1, dtype=np.int64)
        heat = self.heat(hour) if len(self) else np.zeros(0)
        total = heat.sum()
        if total <= 1e-9:
            return chosen
        riders = np.flatnonzero(riding)
        chosen[riders] = rng.choice(len(heat), size=len(riders), p=heat / total)
        return chosen
