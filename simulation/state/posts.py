"""Posts: passive data in columnar arrays, and how creators' strategies produce them.

Shapes: P posts (capacity grows by doubling), T topics, E events (``EVENTS``),
S segments, K tiers, B reach bins. Counters are kept for every combination of
event, viewer segment and distribution tier, so that per-segment and per-tier
breakdowns are sums of one array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.config.ranking import Ranking
from simulation.config.scenario import Scenario
from simulation.core.events import EVENTS, REACH_EVENTS
from simulation.core.records import LivePosts
from simulation.state.creators import CreatorTable
from simulation.state.population import draw_dirichlet_rows
from simulation.state.trends import Trends

ATTRIBUTES = ("entertainment", "information", "call_to_action", "trend_alignment")
"""Post attributes drawn from a style's Beta distributions (e, i, k, h)."""


@dataclass
class StyleTable:
    """Post styles as arrays (Y styles)."""

    names: list[str]
    beta_a: np.ndarray  # float64 (Y, 4): first Beta parameter of each attribute in ATTRIBUTES
    beta_b: np.ndarray  # float64 (Y, 4)
    trend_riding: np.ndarray  # float64 (Y,)
    duration_mean: np.ndarray  # float64 (Y,) seconds
    duration_shape: np.ndarray  # float64 (Y,)

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> StyleTable:
        styles = list(scenario.styles.values())
        return cls(
            names=list(scenario.styles),
            beta_a=np.array([[getattr(s, a).a for a in ATTRIBUTES] for s in styles]),
            beta_b=np.array([[getattr(s, a).b for a in ATTRIBUTES] for s in styles]),
            trend_riding=np.array([s.trend_riding for s in styles]),
            duration_mean=np.array([s.duration_s.mean for s in styles]),
            duration_shape=np.array([s.duration_s.shape for s in styles]),
        )


class PostStore:
    """Every post's attributes, distribution state and counters, as columns."""

    def __init__(self, n_topics: int, n_segments: int, n_tiers: int, n_reach_bins: int,
                 capacity: int = 1024,
                 extra_columns: dict[str, tuple[tuple[int, ...], type, object]] | None = None):
        """``extra_columns``: the levers' columns, name -> (shape per post, dtype, fill)."""
        self.n_topics, self.n_segments, self.n_tiers = n_topics, n_segments, n_tiers
        self.n_reach_bins = n_reach_bins
        self.size = 0
        self._columns: dict[str, tuple[tuple[int, ...], type, object]] = {
            # attributes
            "creator": ((), np.int32, 0),
            "style": ((), np.int16, 0),
            "topic": ((n_topics,), np.float32, 0.0),  # on the simplex
            "primary_topic": ((), np.int16, 0),
            "entertainment": ((), np.float32, 0.0),
            "information": ((), np.float32, 0.0),
            "call_to_action": ((), np.float32, 0.0),
            "trend_alignment": ((), np.float32, 0.0),
            "quality": ((), np.float32, 0.0),
            "trend": ((), np.int16, -1),
            "created_hour": ((), np.float64, 0.0),
            "duration_s": ((), np.float32, 0.0),
            # staged distribution
            "tier": ((), np.int8, 0),
            "reached_tier": ((), np.int8, 0),
            "tier_impressions": ((), np.int64, 0),
            "failed_hour": ((), np.float64, np.nan),  # NaN while the post is not stuck
            "failed_ratio": ((), np.float32, np.nan),  # score / threshold when it failed
            "displayed_likes": ((), np.int64, 0),
            # counters
            "counts": ((len(EVENTS), n_segments, n_tiers), np.int64, 0),
            "watch_fraction_sum": ((), np.float64, 0.0),
            "revenue": ((), np.float64, 0.0),
            "reach_counts": ((len(REACH_EVENTS), n_reach_bins, n_segments), np.int64, 0),
            # traffic that did not come through the funnel (bought likes, levers/bought_likes.py),
            # counted apart from ``counts`` but observed by the platform; and the platform's
            # trust in the post (1: full), which an integrity lever may lower (levers/detection.py)
            "bot_counts": ((len(EVENTS),), np.int64, 0),
            "bot_watch_fraction_sum": ((), np.float64, 0.0),
            "score_multiplier": ((), np.float32, 1.0),
            "like_credit": ((), np.float32, 1.0),
        }
        for name, column in (extra_columns or {}).items():
            if name in self._columns:
                raise ValueError(f"post column {name!r} exists already")
            self._columns[name] = column
        self._capacity = 0
        self._grow(capacity)

    def _grow(self, capacity: int) -> None:
        for name, (shape, dtype, fill) in self._columns.items():
            new = np.full((capacity, *shape), fill, dtype=dtype)
            if self._capacity:
                new[: self.size] = getattr(self, name)[: self.size]
            setattr(self, "_" + name, new)
        self._capacity = capacity

    def __getattr__(self, name: str) -> np.ndarray:
        # Columns are exposed trimmed to the posts that exist: posts.tier[ids].
        columns = self.__dict__.get("_columns", {})
        if name in columns:
            return self.__dict__["_" + name][: self.__dict__["size"]]
        raise AttributeError(name)

    def add(self, **columns: np.ndarray) -> np.ndarray:
        """Append posts given as columns of equal length; returns their ids (n,)."""
        n = len(next(iter(columns.values())))
        if self.size + n > self._capacity:
            self._grow(max(2 * self._capacity, self.size + n))
        ids = np.arange(self.size, self.size + n)
        for name, values in columns.items():
            self.__dict__["_" + name][ids] = values
        self.size += n
        return ids

    def events(self) -> np.ndarray:
        """Event totals per post (P, E)."""
        return self.counts.sum(axis=(2, 3))


def live_posts(posts: PostStore, hour: float, ranking: Ranking) -> LivePosts:
    """Posts younger than ``ranking.max_age_hours`` at ``hour``, with their freshness: ids
    are in creation order, so a range."""
    created = posts.created_hour
    first = int(np.searchsorted(created, hour - ranking.max_age_hours, side="right"))
    ids = np.arange(first, posts.size, dtype=np.int64)
    age = hour - created[ids]
    return LivePosts(first=first, ids=ids,
                     freshness=np.exp2(-age / ranking.freshness_half_life_hours),
                     tier=posts.tier[ids].astype(np.int64))


def draw_posts(
    rng: np.random.Generator,
    creators: CreatorTable,
    styles: StyleTable,
    trends: Trends,
    counts: np.ndarray,
    hours: np.ndarray,
) -> dict[str, np.ndarray]:
    """Attributes of new posts: ``counts[c]`` posts by creator c at ``hours[c]``.

    Each post's style is drawn from its creator's strategy, its attributes from
    the style's distributions, its topics from a Dirichlet around the creator's
    mix. Returns columns for :meth:`PostStore.add`.
    """
    creator = np.repeat(np.arange(creators.size), counts)
    hour = np.repeat(hours, counts)
    n = len(creator)
    cumulative = np.cumsum(creators.style_mix[creator], axis=1)
    style = (rng.random(n)[:, None] > cumulative[:, :-1]).sum(axis=1)
    attributes = rng.beta(styles.beta_a[style], styles.beta_b[style])
    topic = draw_dirichlet_rows(
        rng, creators.topic_concentration[creator, None] * creators.topic_mix[creator]
    ).astype(np.float32)
    quality = rng.beta(creators.quality_a[creator], creators.quality_b[creator])
    shape = styles.duration_shape[style]
    duration = rng.gamma(shape, styles.duration_mean[style] / shape)
    riding = rng.random(n) < styles.trend_riding[style]
    trend = np.full(n, -1, dtype=np.int64)
    for when in np.unique(hour):  # once per distinct publication hour (1, or a backlog)
        at = hour == when
        trend[at] = trends.pick(rng, riding[at], float(when))
    alignment = np.where(trend >= 0, attributes[:, 3], 0.0)
    # A post that rides a trend is, to the extent of its alignment, about the trend's topic:
    # a skincare brand's dance-challenge video is a dance video.
    riders = np.flatnonzero(trend >= 0)
    trend_topic = np.zeros((len(riders), topic.shape[1]), dtype=np.float32)
    trend_topic[np.arange(len(riders)), trends.topic[trend[riders]]] = 1.0
    pull = alignment[riders, None].astype(np.float32)
    topic[riders] = (1.0 - pull) * topic[riders] + pull * trend_topic
    return dict(
        creator=creator,
        style=style,
        topic=topic,
        primary_topic=topic.argmax(axis=1),
        entertainment=attributes[:, 0],
        information=attributes[:, 1],
        call_to_action=attributes[:, 2],
        trend_alignment=alignment,
        quality=quality,
        trend=trend,
        created_hour=hour,
        duration_s=np.maximum(duration, 3.0),
    )
