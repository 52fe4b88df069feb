"""Hashtags: a tagged post is filed under the tag's topic in the candidate pools as well.

The For-You sources 'interest', 'exploration', 'trending' (and the backfill) draw a
topic from the platform's estimate of the viewer's interests, then a post filed
under that topic. A post is filed under its primary topic; a post with a hashtag
(post column ``hashtag`` >= 0) is filed under the hashtag's topic too. Its content
is unchanged, so the viewer-post affinity (and each tier's affinity bar) still
judges it by what it is about. Each brand's measures split its tagged and untagged
posts (``brands.<name>.hashtag``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from simulation.config.scenario import Scenario
from simulation.core.tallies import split_measures
from simulation.levers.base import Lever, MeasureNames, PostColumn, register
from simulation.platform.view import PlatformView
from simulation.state.creators import CreatorTable
from simulation.state.posts import PostStore


@register
class Hashtags(Lever):
    """Each creator's hashtag topic (C,) int64, -1 for none, and the share of posts carrying it."""

    name = "hashtags"
    section = "creators[].hashtag"
    stream = "hashtags"
    post_columns: ClassVar[dict[str, PostColumn]] = {"hashtag": ((), np.int16, -1)}
    brand_keys = ("hashtag",)
    measures: ClassVar[MeasureNames] = {
        "brands.{brand}.hashtag.tagged.{term}": "{brand}, posts with its hashtag",
        "brands.{brand}.hashtag.untagged.{term}": "{brand}, posts without its hashtag",
    }

    @classmethod
    def build(cls, scenario: Scenario, creators: CreatorTable,
              seed: np.random.SeedSequence | None) -> Hashtags | None:
        """None unless some creator tags its posts."""
        if all(creator.hashtag is None for creator in scenario.creators):
            return None
        return cls(scenario, creators, np.random.default_rng(seed))

    def __init__(self, scenario: Scenario, creators: CreatorTable, rng: np.random.Generator):
        self.rng = rng
        self.topics = scenario.topics
        self.topic = np.full(creators.size, -1, dtype=np.int64)
        self.share = np.zeros(creators.size, dtype=np.float64)
        for c, entry in enumerate(creators.entry):
            hashtag = scenario.creators[entry].hashtag
            if hashtag is not None:
                self.topic[c] = scenario.topics.index(hashtag.topic)
                self.share[c] = hashtag.share

    def on_publish(self, view: PlatformView, columns: dict[str, np.ndarray]) -> None:
        """The hashtag topic of each new post (n,): -1 for an untagged post."""
        creator = columns["creator"]
        tagged = self.rng.random(len(creator)) < self.share[creator]
        columns["hashtag"] = np.where(tagged, self.topic[creator], -1).astype(np.int16)

    def pool_entries(self, pool: str, posts: PostStore, ids: np.ndarray, keys: np.ndarray,
                     weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """In the by-topic pools, tagged posts (not of their primary topic) under the tag's topic."""
        if pool != "topic":
            return super().pool_entries(pool, posts, ids, keys, weights)
        hashtag = posts.hashtag[ids].astype(np.int64)
        tagged = (hashtag >= 0) & (hashtag != keys)
        return hashtag[tagged], ids[tagged], weights[tagged]

    def brand_measures(self, view: PlatformView, creator: int, ids: np.ndarray,
                       counts: np.ndarray, target: np.ndarray) -> dict[str, Any]:
        """A brand's tagged posts against its untagged ones: counts (n, E, S, K), target (S,)."""
        hashtag = view.posts.hashtag[ids]
        result = split_measures(counts, target, {"untagged": hashtag < 0, "tagged": hashtag >= 0})
        result["topics"] = [self.topics[t] for t in np.unique(hashtag[hashtag >= 0])]
        return {"hashtag": result}
