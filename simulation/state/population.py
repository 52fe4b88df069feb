"""Viewers as arrays: attributes drawn per segment, and the sessions each step opens.

Shapes: V viewers, T topics, S segments. Mesa ``Viewer`` agents (``agents.py``)
read these arrays by index, so that a step is computed for all viewers at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.config.base import Gamma
from simulation.config.scenario import Scenario
from simulation.core.events import PROPENSITY_EVENTS


def normalized_mix(weights: dict[str, float], names: list[str]) -> np.ndarray:
    """A weight table keyed by name as a probability vector over ``names`` (empty: uniform)."""
    vector = np.array([weights.get(name, 0.0) for name in names], dtype=np.float64)
    if not weights or vector.sum() <= 0:
        vector = np.ones(len(names))
    return vector / vector.sum()


def draw_gamma(rng: np.random.Generator, dist: Gamma, size: int) -> np.ndarray:
    """Draw from a Gamma given by mean and shape."""
    return rng.gamma(dist.shape, dist.mean / dist.shape, size=size)


def draw_dirichlet_rows(rng: np.random.Generator, alpha: np.ndarray) -> np.ndarray:
    """One Dirichlet draw per row of ``alpha`` (n, T) -> (n, T), rows summing to 1."""
    draws = rng.gamma(np.maximum(alpha, 1e-12))
    totals = draws.sum(axis=1, keepdims=True)
    return draws / np.where(totals > 0, totals, 1.0)


def segment_sizes(shares: list[float], size: int) -> np.ndarray:
    """Members per segment: exact shares of ``size``, remainders to the largest fractions."""
    raw = np.asarray(shares, dtype=np.float64) * size
    counts = np.floor(raw).astype(np.int64)
    remainder = size - counts.sum()
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[:remainder]] += 1
    return counts


@dataclass
class Population:
    """Viewer attributes, one row per viewer (V rows)."""

    segment_names: list[str]
    segment: np.ndarray  # int16 (V,): index into segment_names
    interests: np.ndarray  # float32 (V, T): true interests, rows on the simplex
    intent: np.ndarray  # float32 (V,): readiness to buy, 0..1
    activity: np.ndarray  # float32 (V,): sessions per day
    session_length: np.ndarray  # float32 (V,): mean posts per session
    log_propensity: np.ndarray  # float32 (V, len(PROPENSITY_EVENTS)): log odds multipliers
    susceptibility: np.ndarray  # float32 (V,): weight of displayed likes, 0..1
    is_bot: np.ndarray  # bool (V,)

    @property
    def size(self) -> int:
        return len(self.segment)

    @classmethod
    def draw(cls, scenario: Scenario, rng: np.random.Generator) -> Population:
        """Draw every viewer's attributes from their segment's distributions."""
        segments = scenario.population.segments
        size = scenario.population.size
        n_topics = len(scenario.topics)
        counts = segment_sizes([s.share for s in segments], size)
        segment = rng.permutation(np.repeat(np.arange(len(segments)), counts)).astype(np.int16)

        interests = np.empty((size, n_topics), dtype=np.float32)
        intent = np.empty(size, dtype=np.float32)
        activity = np.empty(size, dtype=np.float32)
        session_length = np.empty(size, dtype=np.float32)
        log_propensity = np.empty((size, len(PROPENSITY_EVENTS)), dtype=np.float32)
        susceptibility = np.empty(size, dtype=np.float32)
        for index, spec in enumerate(segments):
            members = np.flatnonzero(segment == index)
            n = len(members)
            mix = normalized_mix(spec.topic_mix, scenario.topics)
            alpha = np.broadcast_to(spec.interest_concentration * mix, (n, n_topics))
            interests[members] = draw_dirichlet_rows(rng, alpha)
            intent[members] = rng.beta(spec.intent.a, spec.intent.b, size=n)
            activity[members] = draw_gamma(rng, spec.activity, n)
            session_length[members] = draw_gamma(rng, spec.session_length, n)
            medians = np.log([getattr(spec.propensities, e) for e in PROPENSITY_EVENTS])
            noise = rng.normal(0.0, spec.propensities.sigma, size=(n, len(PROPENSITY_EVENTS)))
            log_propensity[members] = medians + noise
            susceptibility[members] = rng.beta(spec.susceptibility.a, spec.susceptibility.b,
                                               size=n)
        return cls(
            segment_names=[s.name for s in segments],
            segment=segment,
            interests=interests,
            intent=intent,
            activity=activity,
            session_length=session_length,
            log_propensity=log_propensity,
            susceptibility=susceptibility,
            is_bot=np.zeros(size, dtype=bool),
        )
