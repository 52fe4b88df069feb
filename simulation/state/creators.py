"""Creators and brands as arrays: topic mixes, strategies, offers.

Shapes: C creators, T topics, S segments, Y styles. A scenario entry with
``count = n`` makes n alike creators, named ``name-1`` ... ``name-n``. A creator
with an offer is a brand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.config.scenario import Scenario
from simulation.state.population import normalized_mix


@dataclass
class CreatorTable:
    """One row per creator (C rows)."""

    names: list[str]
    entry: np.ndarray  # int32 (C,): index of the scenario's creators[] entry
    is_brand: np.ndarray  # bool (C,)
    topic_mix: np.ndarray  # float32 (C, T): rows on the simplex
    topic_concentration: np.ndarray  # float32 (C,)
    style_mix: np.ndarray  # float64 (C, Y): content strategy, rows on the simplex
    posting_rate: np.ndarray  # float64 (C,): posts per day
    initial_followers: np.ndarray  # float64 (C,): share of viewers following at start
    quality_a: np.ndarray  # float64 (C,): Beta parameters of production quality
    quality_b: np.ndarray  # float64 (C,)
    consistency: np.ndarray  # float32 (C,): 1 - normalised entropy of topic_mix
    price: np.ndarray  # float32 (C,): 0 for plain creators
    relevance: np.ndarray  # float32 (C, S): relevance of the offer to each segment
    profile_quality: np.ndarray  # float32 (C,): 0 for plain creators

    @property
    def size(self) -> int:
        return len(self.names)

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> CreatorTable:
        """Expand the scenario's creator entries into one row per creator."""
        topics = scenario.topics
        styles = list(scenario.styles)
        segments = [s.name for s in scenario.population.segments]
        rows: list[dict] = []
        for entry_index, entry in enumerate(scenario.creators):
            mix = normalized_mix(entry.topic_mix, topics)
            strategy = normalized_mix(entry.strategy, styles)
            offer = entry.offer
            relevance = (np.array([offer.relevance.get(s, 0.0) for s in segments])
                         if offer else np.zeros(len(segments)))
            for number in range(entry.count):
                rows.append(dict(
                    name=entry.name if entry.count == 1 else f"{entry.name}-{number + 1}",
                    entry=entry_index, is_brand=offer is not None, topic_mix=mix,
                    topic_concentration=entry.topic_concentration, style_mix=strategy,
                    posting_rate=entry.posting_rate, initial_followers=entry.initial_followers,
                    quality_a=entry.production_quality.a, quality_b=entry.production_quality.b,
                    price=offer.price if offer else 0.0, relevance=relevance,
                    profile_quality=offer.profile_quality if offer else 0.0,
                ))

        def column(key: str, dtype: type) -> np.ndarray:
            return np.array([row[key] for row in rows], dtype=dtype)

        topic_mix = column("topic_mix", np.float32)
        with np.errstate(divide="ignore", invalid="ignore"):
            entropy = -np.where(topic_mix > 0, topic_mix * np.log(topic_mix), 0.0).sum(axis=1)
        consistency = 1.0 - entropy / np.log(len(topics)) if len(topics) > 1 else np.ones(len(rows))
        return cls(
            names=[row["name"] for row in rows],
            entry=column("entry", np.int32),
            is_brand=column("is_brand", bool),
            topic_mix=topic_mix,
            topic_concentration=column("topic_concentration", np.float32),
            style_mix=column("style_mix", np.float64),
            posting_rate=column("posting_rate", np.float64),
            initial_followers=column("initial_followers", np.float64),
            quality_a=column("quality_a", np.float64),
            quality_b=column("quality_b", np.float64),
            consistency=np.asarray(consistency, dtype=np.float32),
            price=column("price", np.float32),
            relevance=column("relevance", np.float32),
            profile_quality=column("profile_quality", np.float32),
        )

    def target_segments(self, creator: int, threshold: float) -> np.ndarray:
        """Segments whose relevance to this creator's offer is at least ``threshold`` (bool (S,))."""
        return self.relevance[creator] >= threshold
