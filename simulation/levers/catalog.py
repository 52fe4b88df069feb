"""A fixed catalog: the posts are given in the scenario, and each viewer visits once.

Salganik, Dodds and Watts' MusicLab (Science, 2006) let participants in independent
'worlds' listen to and download 48 unknown songs, listed in random order without
download counts (the independent condition) or by download count with the counts shown
(social influence). A scenario with a ``[catalog]`` runs that experiment on the platform:

- the catalog's posts, with the attributes the file gives them (an intrinsic quality
  among them), are the only posts: creators publish nothing and there is no backlog;
- the viewers visit one after another, each exactly once: the population, in an order
  drawn from the ``sessions`` stream, is split into ``steps`` consecutive groups of
  (nearly) equal size, and a step's group visits in that step;
- a visit shows the whole catalog, in the order of the ranking policy: ``random`` (a
  fresh random order per visitor) or ``popularity`` (most displayed likes first, ties in
  a random order per visitor), drawn from the model's ``dynamics`` stream;
- visitors react through the ordinary funnel (watch, like, ...), with attention over
  slots and social proof as configured; like counts shown or hidden by
  ``funnel.show_like_counts``.

A seed is a world: runs of the same catalog over several seeds are the replicate worlds
whose shares the across-seed measures compare (``measures/social.py``).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from simulation.config.scenario import Scenario
from simulation.core.events import EVENT_INDEX
from simulation.core.records import Feed
from simulation.core.sources import SOURCE_INDEX
from simulation.core.statistics import per, share_measures, spearman
from simulation.kernels.selection import select_feed
from simulation.levers.base import Lever, MeasureNames, register
from simulation.platform.view import PlatformView
from simulation.state.creators import CreatorTable
from simulation.state.population import normalized_mix

SHARE_EVENTS = ("views", "likes")
"""The events whose shares across posts the catalog measures compare."""


@register
class FixedCatalog(Lever):
    """The catalog's posts (N) and the visiting schedule of the viewers (V).

    Its order is last, so that no other lever's publishing counts survive it: a catalog run
    publishes nothing. Its stream is the platform's ``sessions`` stream, which it replaces.
    """

    name = "catalog"
    section = "catalog"
    stream = "sessions"
    order = 1000
    summary_keys = ("catalog",)
    measures: ClassVar[MeasureNames] = {
        "catalog.{term}": "the catalog",
        "catalog.quality_spearman.{event}": (
            "the catalog: Spearman ρ of posts' quality and their {event}", "ρ", "correlation"),
        "catalog.by_post.{post}.{term}": "{post}",
        "catalog.by_post.{post}.quality": ("{post}: quality (from the catalog file)", "quality",
                                           "setting"),
        "catalog.visitors": ("the catalog: viewers who saw any of its posts", "viewers",
                             "count"),
    }

    @classmethod
    def build(cls, scenario: Scenario, creators: CreatorTable,
              seed: np.random.SeedSequence | None) -> FixedCatalog | None:
        """None unless the scenario has a ``[catalog]``."""
        if scenario.catalog is None:
            return None
        return cls(scenario, creators, np.random.default_rng(seed))

    def __init__(self, scenario: Scenario, creators: CreatorTable, rng: np.random.Generator):
        assert scenario.catalog is not None
        self.scenario = scenario
        self.creators = creators
        self.rng = rng
        self.names = [post.name for post in scenario.catalog.posts]
        self.quality = np.array([post.quality for post in scenario.catalog.posts],
                                dtype=np.float64)
        self.ids = np.arange(len(self.names), dtype=np.int64)  # the first posts of the store
        self.arrival_order = np.zeros(0, dtype=np.int64)  # (V,) viewers in visiting order
        self.n_visitors = 0

    def start(self, view: PlatformView) -> None:
        """Publish the catalog and draw the order in which the viewers will visit."""
        view.posts.add(**self.catalog_posts())
        self.arrival_order = self.rng.permutation(view.population.size)

    def ranking_policy(self) -> CatalogOrder:
        return self.policy()

    def publishing_counts(self, counts: np.ndarray, hour: float, step_hours: float) -> np.ndarray:
        return np.zeros_like(counts)

    def sessions(self, view: PlatformView) -> tuple[np.ndarray, np.ndarray]:
        viewers, feed_length = self.visitors(view.step, view.population.is_bot)
        self.n_visitors += len(viewers)
        return viewers, feed_length

    def summarize(self, view: PlatformView) -> dict[str, Any]:
        """``summary.json`` ``catalog``: shares, inequality and quality-success correlation."""
        totals = view.posts.events()[self.ids]  # (N, E)
        visitors = self.n_visitors
        result: dict[str, Any] = {"posts": self.size, "visitors": visitors}
        shares = {}
        for name in SHARE_EVENTS:
            counts = totals[:, EVENT_INDEX[name]]
            shares[name] = counts / counts.sum() if counts.sum() else np.full(len(counts),
                                                                              math.nan)
            result[f"{name}_per_visitor"] = per(counts.sum(), visitors)
            result.update(share_measures(counts, name))
        result["quality_spearman"] = {name: spearman(self.quality, totals[:, EVENT_INDEX[name]])
                                      for name in SHARE_EVENTS}
        result["by_post"] = {
            post: {"quality": float(self.quality[index]),
                   **{name: int(totals[index, EVENT_INDEX[name]]) for name in SHARE_EVENTS},
                   **{f"{name[:-1]}_share": float(shares[name][index]) for name in SHARE_EVENTS}}
            for index, post in enumerate(self.names)}
        return {"catalog": result}

    @property
    def size(self) -> int:
        return len(self.names)

    def catalog_posts(self) -> dict[str, np.ndarray]:
        """The catalog's posts as columns for :meth:`PostStore.add` (published at hour 0)."""
        scenario = self.scenario
        posts = scenario.catalog.posts
        styles = list(scenario.styles)
        topic = np.array([normalized_mix(post.topic_mix, scenario.topics) for post in posts],
                         dtype=np.float32)
        return dict(
            creator=np.array([self.creators.names.index(post.creator) for post in posts]),
            style=np.array([styles.index(post.style) for post in posts]),
            topic=topic,
            primary_topic=topic.argmax(axis=1),
            entertainment=np.array([post.entertainment for post in posts]),
            information=np.array([post.information for post in posts]),
            call_to_action=np.array([post.call_to_action for post in posts]),
            trend_alignment=np.zeros(self.size),
            quality=self.quality,
            trend=np.full(self.size, -1),
            created_hour=np.zeros(self.size),
            duration_s=np.array([post.duration_s for post in posts]),
        )

    def visitors(self, step: int, is_bot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The viewers who visit at ``step`` (1-based), sorted (A,), and their feed lengths (A,).

        Step k's group is ``arrival_order[floor((k - 1) V / S) : floor(k V / S)]`` for S
        steps, so every viewer visits exactly once over the run. Bots do not visit.
        """
        n_viewers, steps = len(self.arrival_order), self.scenario.steps
        start, end = ((step - 1) * n_viewers) // steps, (step * n_viewers) // steps
        group = np.sort(self.arrival_order[start:end])
        group = group[~is_bot[group]]
        return group.astype(np.int64), np.full(len(group), self.size, dtype=np.int32)

    def policy(self) -> CatalogOrder:
        """The ranking policy of a catalog run: the scenario's policy, ordering the catalog."""
        return CatalogOrder(self.scenario.ranking.policy, self.ids)


class CatalogOrder:
    """Each visitor's feed is the whole catalog, in random or popularity order."""

    def __init__(self, name: str, ids: np.ndarray):
        self.name = name
        self.ids = ids

    def build_feeds(self, view: PlatformView, viewers: np.ndarray,
                    feed_length: np.ndarray, rng: np.random.Generator) -> Feed:
        """Feeds (A, N): a random order per visitor, or by displayed likes, ties at random.

        Likes are whole numbers and the tie-break keys lie in [0, 1), so adding them
        orders by likes first and breaks ties only.
        """
        tiebreak = rng.random((len(viewers), len(self.ids)))
        if self.name == "popularity":
            keys = view.posts.displayed_likes[self.ids][None, :] + tiebreak
            source = SOURCE_INDEX["popular"]
        else:
            keys, source = tiebreak, SOURCE_INDEX["random"]
        candidates = np.broadcast_to(self.ids, keys.shape)
        sources = np.full(keys.shape, source, dtype=np.int8)
        return select_feed(candidates, keys, sources, feed_length, viewers)
