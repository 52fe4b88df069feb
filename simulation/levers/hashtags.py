"""Hashtags: a tagged post is filed under the tag's topic in the candidate pools as well.

The For-You sources 'interest', 'exploration', 'trending' (and the backfill) draw a
topic from the platform's estimate of the viewer's interests, then a post filed
under that topic. A post is filed under its primary topic; a post with a hashtag
(``PostStore.hashtag`` >= 0) is filed under the hashtag's topic too. Its content
is unchanged, so the viewer-post affinity (and each tier's affinity bar) still
judges it by what it is about.
"""

from __future__ import annotations

import numpy as np

from simulation.config.scenario import Scenario
from simulation.state.creators import CreatorTable


class Hashtags:
    """Each creator's hashtag topic (C,) int64, -1 for none, and the share of posts carrying it."""

    def __init__(self, scenario: Scenario, creators: CreatorTable):
        self.topic = np.full(creators.size, -1, dtype=np.int64)
        self.share = np.zeros(creators.size, dtype=np.float64)
        for c, entry in enumerate(creators.entry):
            hashtag = scenario.creators[entry].hashtag
            if hashtag is not None:
                self.topic[c] = scenario.topics.index(hashtag.topic)
                self.share[c] = hashtag.share

    @property
    def active(self) -> bool:
        return bool((self.topic >= 0).any())

    def assign(self, rng: np.random.Generator, creator: np.ndarray) -> np.ndarray:
        """The hashtag topic of each new post by ``creator`` (n,): -1 for an untagged post."""
        tagged = rng.random(len(creator)) < self.share[creator]
        return np.where(tagged, self.topic[creator], -1).astype(np.int16)


def topic_pool_entries(topic: np.ndarray, hashtag: np.ndarray, ids: np.ndarray,
                       weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keys, post ids and weights of by-topic pools (n + m,): every post under its primary
    topic, and tagged posts (hashtag >= 0, not their primary topic) under the tag's topic."""
    tagged = (hashtag >= 0) & (hashtag != topic)
    if not tagged.any():
        return topic, ids, weights
    return (np.concatenate([topic, hashtag[tagged].astype(topic.dtype)]),
            np.concatenate([ids, ids[tagged]]),
            np.concatenate([weights, weights[tagged]]))
