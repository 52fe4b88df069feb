"""The platform's detector of bought likes: flags creators whose likes are out of line.

Every ``review_every_hours`` the platform judges each creator by its posts published in the
last ``window_hours``, using only what it observes (``predictions.observed_events``: real and
bot traffic together; it never reads ``is_bot`` or the bot counters apart):

- ``like_rate``: likes per view;
- ``likes_per_engagement``: likes per other engagement (comments, shares, saves, follows),
  which bots never bring;
- ``likes_per_follower``: likes per follower of the creator now ("a lot of likes but no
  followers").

Each signal is compared with its median over the judged creators (those with at least
``min_views`` views in the window); a creator is flagged when every signal in use reaches
its threshold multiple of the median. Until the next review a flagged creator's posts are
demoted (their score x ``demotion``) or discounted (their likes count ``1 - discount`` in the
predicted rates), through ``PostStore.score_multiplier`` and ``like_credit``, which
``predictions.engagement_score`` applies in the feed score and in tier promotion alike.

Ground truth (which creators bought likes, from the scenario and the bot counters) is read
only to score the detector: detection rate over reviews of buyers with bought likes in the
window, false positives over reviews of the creators that never buy. Shapes: C creators.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from simulation.config.levers import Detection
from simulation.config.scenario import Scenario
from simulation.core.events import EVENT_INDEX
from simulation.core.statistics import per
from simulation.levers.base import Lever, MeasureNames, register
from simulation.platform.predictions import observed_events
from simulation.platform.view import PlatformView
from simulation.state.creators import CreatorTable
from simulation.state.posts import PostStore

SIGNALS = ("like_rate", "likes_per_engagement", "likes_per_follower")
"""The detector's signals, each a field of ``Detection`` holding its threshold (0: unused)."""


OTHER_ENGAGEMENTS = ("comments", "shares", "saves", "follows")
"""Engagements that real audiences bring along with their likes."""


@dataclass
class Observations:
    """What the platform observes of each creator's posts in the review window (C,)."""

    likes: np.ndarray
    views: np.ndarray
    engagements: np.ndarray  # comments + shares + saves + follows
    followers: np.ndarray

    def signals(self) -> dict[str, np.ndarray]:
        """Each signal's value per creator (C,); +1 smoothing keeps empty counts finite."""
        return {
            "like_rate": self.likes / np.maximum(self.views, 1),
            "likes_per_engagement": (self.likes + 1.0) / (self.engagements + 1.0),
            "likes_per_follower": (self.likes + 1.0) / (self.followers + 1.0),
        }


def observe(posts: PostStore, n_creators: int, followers: np.ndarray,
            since_hour: float) -> Observations:
    """Observed totals of each creator's posts published after ``since_hour``."""
    first = int(np.searchsorted(posts.created_hour, since_hour, side="right"))
    ids = np.arange(first, posts.size)
    events = observed_events(posts, ids).astype(np.float64)  # (n, E)
    creator = posts.creator[ids].astype(np.int64)

    def total(*names: str) -> np.ndarray:
        column = events[:, [EVENT_INDEX[name] for name in names]].sum(axis=1)
        return np.bincount(creator, weights=column, minlength=n_creators)

    return Observations(likes=total("likes"), views=total("views"),
                        engagements=total(*OTHER_ENGAGEMENTS),
                        followers=np.asarray(followers, dtype=np.float64))


def flag(observations: Observations, config: Detection
         ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The detector's decision from observations alone.

    Returns flagged (C,) bool, judged (C,) bool (enough views to judge) and each used
    signal's ratio to its median over the judged creators (C,).
    """
    judged = (observations.views >= max(config.min_views, 1))
    flagged = judged.copy()
    ratios: dict[str, np.ndarray] = {}
    if not judged.any():
        return np.zeros_like(judged), judged, ratios
    for name, value in observations.signals().items():
        threshold = getattr(config, name)
        if threshold <= 0:
            continue
        median = float(np.median(value[judged]))
        ratios[name] = value / median if median > 0 else np.full(len(value), np.inf)
        flagged &= ratios[name] >= threshold
    return flagged, judged, ratios


@register
class Detector(Lever):
    """Reviews on a schedule, the current flags, and the detector's record against the truth.

    Runs after the levers that add traffic (``order``), so a review sees this step's bot likes.
    """

    name = "detection"
    section = "detection"
    order = 200
    summary_keys = ("detection",)
    measures: ClassVar[MeasureNames] = {
        "detection.reviews": ("the detector: reviews", "reviews", "count"),
        "detection.buyer_reviews": ("the detector: reviews of like buyers", "reviews", "count"),
        "detection.buyer_reviews_flagged": ("the detector: reviews of like buyers flagged",
                                            "reviews", "count"),
        "detection.honest_reviews": ("the detector: reviews of honest creators", "reviews",
                                     "count"),
        "detection.honest_reviews_flagged": (
            "the detector: reviews of honest creators flagged", "reviews", "count"),
        "detection.honest_creators": ("honest creators", "creators", "count"),
        "detection.honest_creators_flagged": ("honest creators flagged at least once",
                                              "creators", "count"),
        "detection.detection_rate": ("the detector: share of like buyers' reviews flagged",
                                     "share of reviews", "share"),
        "detection.false_positive_rate": (
            "the detector: share of honest creators' reviews flagged", "share of reviews",
            "share"),
        "detection.signals.{signal}": ("the detector: weight of the {signal} signal", "weight",
                                       "setting"),
        "detection.creators.{creator}.reviews_judged": ("{creator}: reviews", "reviews",
                                                        "count"),
        "detection.creators.{creator}.reviews_flagged": ("{creator}: reviews flagged",
                                                         "reviews", "count"),
        "detection.creators.{creator}.reviews_with_bought_likes": (
            "{creator}: reviews while it bought likes", "reviews", "count"),
        "detection.creators.{creator}.first_flagged_hour": (
            "{creator}: hour first flagged", "hours", "time"),
    }

    @classmethod
    def build(cls, scenario: Scenario, creators: CreatorTable,
              seed: np.random.SeedSequence | None) -> Detector | None:
        """None unless the scenario enables detection."""
        return cls(scenario, creators) if scenario.detection.enabled else None

    def __init__(self, scenario: Scenario, creators: CreatorTable):
        self.config = scenario.detection
        self.names = creators.names
        n = creators.size
        # Ground truth, for scoring only: creators whose scenario entry buys likes.
        self.buys = np.array([scenario.creators[e].bought_likes is not None
                              for e in creators.entry], dtype=bool)
        self.flagged = np.zeros(n, dtype=bool)
        self.next_review = self.config.review_every_hours
        self.reviews = 0
        self.judged = np.zeros(n, dtype=np.int64)  # reviews in which each creator was judged
        self.times_flagged = np.zeros(n, dtype=np.int64)
        self.buying_reviews = np.zeros(n, dtype=np.int64)  # reviews with bought likes in window
        self.buying_flagged = np.zeros(n, dtype=np.int64)
        self.first_flagged_hour = np.full(n, np.nan)
        self.last_ratios: dict[str, np.ndarray] = {}

    def before_feeds(self, view: PlatformView) -> None:
        self.review(view)

    def review(self, view: PlatformView) -> None:
        """Judge every creator when a review is due, then apply the flags to live posts."""
        hour = view.hour
        if hour >= self.next_review:
            while self.next_review <= hour:
                self.next_review += self.config.review_every_hours
            self._judge(view, hour)
        self._apply(view.posts, hour - view.config.ranking.max_age_hours)

    def _judge(self, view: PlatformView, hour: float) -> None:
        posts, since = view.posts, hour - self.config.window_hours
        observations = observe(posts, len(self.names), view.follows.count, since)
        flagged, judged, self.last_ratios = flag(observations, self.config)
        self.flagged = flagged
        self.reviews += 1
        self.judged += judged
        self.times_flagged += flagged
        newly = flagged & np.isnan(self.first_flagged_hour)
        self.first_flagged_hour[newly] = hour
        # Scoring against the truth (never part of the decision above).
        bought = bought_in_window(posts, len(self.names), since) & self.buys
        self.buying_reviews += bought
        self.buying_flagged += bought & flagged

    def _apply(self, posts: PostStore, since_hour: float) -> None:
        """Set the trust of the posts published after ``since_hour`` from their creator's flag."""
        first = int(np.searchsorted(posts.created_hour, since_hour, side="right"))
        flagged = self.flagged[posts.creator[first:]]
        config = self.config
        demotion = config.demotion if config.action == "demote" else 1.0
        credit = 1.0 - config.discount if config.action == "discount" else 1.0
        posts.score_multiplier[first:] = np.where(flagged, demotion, 1.0)
        posts.like_credit[first:] = np.where(flagged, credit, 1.0)

    def summarize(self, view: PlatformView) -> dict[str, Any]:
        """``summary.json`` ``detection``: the detector's record against the truth."""
        return {"detection": self.record()}

    def record(self) -> dict[str, Any]:
        """The detector's record against the truth, for ``summary.json``."""
        honest = ~self.buys
        honest_judged = int(self.judged[honest].sum())
        honest_flagged = int(self.times_flagged[honest].sum())
        buyer_reviews = int(self.buying_reviews.sum())
        signals = [name for name in SIGNALS if getattr(self.config, name) > 0]
        return {
            "action": self.config.action,
            "signals": {name: getattr(self.config, name) for name in signals},
            "reviews": self.reviews,
            "buyer_reviews": buyer_reviews,
            "buyer_reviews_flagged": int(self.buying_flagged.sum()),
            "detection_rate": per(self.buying_flagged.sum(), buyer_reviews),
            "honest_reviews": honest_judged,
            "honest_reviews_flagged": honest_flagged,
            "false_positive_rate": per(honest_flagged, honest_judged),
            "honest_creators": int(honest.sum()),
            "honest_creators_flagged": int((self.times_flagged[honest] > 0).sum()),
            "flagged_at_end": [self.names[c] for c in np.flatnonzero(self.flagged)],
            "creators": {
                self.names[c]: {
                    "buys_likes": bool(self.buys[c]),
                    "reviews_judged": int(self.judged[c]),
                    "reviews_flagged": int(self.times_flagged[c]),
                    "reviews_with_bought_likes": int(self.buying_reviews[c]),
                    "first_flagged_hour": (None if np.isnan(self.first_flagged_hour[c])
                                           else float(self.first_flagged_hour[c])),
                } for c in np.flatnonzero(self.buys | (self.times_flagged > 0))},
        }


def bought_in_window(posts: PostStore, n_creators: int, since_hour: float) -> np.ndarray:
    """Ground truth: creators with bot likes on posts published after ``since_hour`` (C,) bool."""
    first = int(np.searchsorted(posts.created_hour, since_hour, side="right"))
    likes = posts.bot_counts[first:, EVENT_INDEX["likes"]]
    return np.bincount(posts.creator[first:].astype(np.int64), weights=likes,
                       minlength=n_creators) > 0
