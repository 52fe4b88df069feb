"""Paid promotion: a creator buys impressions of its newest post, in place of organic slots.

A creator with a ``promotion`` runs a campaign: a ``budget`` spent at a ``cpm`` (cost per
1 000 impressions), paced evenly from ``start_hour`` to ``end_hour`` (money not spent on
schedule, for want of viewers, is carried on), shown to the active viewers of the targeted
``segments`` (all viewers if none). Each step, after the ranking policy has built the feeds,
:meth:`Promotions.place` takes the campaign's post (the creator's newest live post among
``styles``) and, for as many eligible viewers as the step's budget buys, drawn at random,
puts it in place of one organic post of their feed, at a random filled slot. Eligible: in
a targeted segment, with at least one post in the feed, not already shown the post (before
or in this feed), and not given another campaign's slot this step.

A promoted slot's source is ``promoted`` (``core.sources.SOURCES``). From there on it is an
impression like any other: the viewer reacts through the funnel, and the post's counters,
tier budget and predicted rates count it, so a campaign can also lift the post's organic
reach. :meth:`Promotions.record` counts every funnel event of paid impressions per campaign,
apart from the creator's organic ones. Draws (who, which slot) come from the model's
``promotion`` stream, one generator per step.

Shapes: A active viewers, L feed width, G campaigns, S segments, Y styles.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from simulation.config.scenario import Scenario
from simulation.core.events import EVENT_INDEX, EVENTS
from simulation.core.records import Feed, Impressions, Reactions
from simulation.core.seeding import step_generator
from simulation.core.sources import SOURCE_INDEX
from simulation.core.statistics import per
from simulation.levers.base import Lever, MeasureNames, register
from simulation.platform.view import PlatformView
from simulation.state.creators import CreatorTable

PROMOTED = SOURCE_INDEX["promoted"]


def paced_spend(budget: float, start: float, end: float, hour: float, step_hours: float) -> float:
    """What a campaign may have spent by the end of the step starting at ``hour``: the budget
    spread evenly over [start, end)."""
    return budget * min(max((hour + step_hours - start) / (end - start), 0.0), 1.0)


@register
class Promotions(Lever):
    """Every campaign: its budget and pacing, targets, spend, and the paid impressions' events."""

    name = "promotion"
    section = "creators[].promotion"
    stream = "promotion"
    summary_keys = ("promotion",)
    measures: ClassVar[MeasureNames] = {
        "promotion.{creator}.paid.{term}": "{creator}, paid impressions",
        "promotion.{creator}.organic.{term}": "{creator}, organic impressions",
        "promotion.{creator}.{term}": "{creator}'s campaign",
        "promotion.{creator}.budget": ("{creator}'s campaign: budget", "money", "setting"),
        "promotion.{creator}.spent": ("{creator}'s campaign: money spent", "money", "money"),
        "promotion.{creator}.cpm": ("{creator}'s campaign: cost per 1 000 impressions", "money",
                                    "setting"),
        "promotion.{creator}.cost_per_lead": ("{creator}'s campaign: cost per lead", "money",
                                              "money"),
        "promotion.{creator}.cost_per_purchase": ("{creator}'s campaign: cost per purchase",
                                                  "money", "money"),
        "promotion.{creator}.cost_per_1k_likes": ("{creator}'s campaign: cost per 1 000 likes",
                                                  "money", "money"),
        "promotion.{creator}.return_on_spend": (
            "{creator}'s campaign: revenue of paid impressions per unit spent", "ratio",
            "ratio"),
        "promotion.{creator}.posts_promoted": ("{creator}'s campaign: posts promoted", "posts",
                                               "count"),
        "promotion.{creator}.paid_target_share": (
            "{creator}'s campaign: share of paid impressions to its target segments",
            "share of impressions", "share"),
        "promotion.{creator}.paid_impressions_by_segment.{segment}": (
            "{creator}'s campaign: paid impressions to {segment}", "impressions", "count"),
    }

    @classmethod
    def build(cls, scenario: Scenario, creators: CreatorTable,
              seed: np.random.SeedSequence | None) -> Promotions | None:
        """None unless some creator promotes."""
        if all(creator.promotion is None for creator in scenario.creators):
            return None
        return cls(scenario, creators, seed)

    def __init__(self, scenario: Scenario, creators: CreatorTable, seed: np.random.SeedSequence):
        campaigns = [(c, scenario.creators[e].promotion) for c, e in enumerate(creators.entry)
                     if scenario.creators[e].promotion is not None]
        segments = [s.name for s in scenario.population.segments]
        styles = list(scenario.styles)
        self.seed = seed
        self.step_hours = scenario.step_hours
        self.max_age_hours = scenario.ranking.max_age_hours
        run_end = scenario.steps * scenario.step_hours
        self.names = [creators.names[c] for c, _ in campaigns]
        self.creator = np.array([c for c, _ in campaigns], dtype=np.int64)  # (G,)
        self.campaigns = [p for _, p in campaigns]
        self.end = [run_end if p.end_hour is None else p.end_hour for p in self.campaigns]
        self.targets = np.array([[not p.segments or name in p.segments for name in segments]
                                 for p in self.campaigns], dtype=bool).reshape(-1, len(segments))
        self.styles = np.array([[not p.styles or name in p.styles for name in styles]
                                for p in self.campaigns], dtype=bool).reshape(-1, len(styles))
        self.campaign_of = np.full(creators.size, -1, dtype=np.int64)  # (C,)
        self.campaign_of[self.creator] = np.arange(len(campaigns))
        n = len(campaigns)
        self.spent = np.zeros(n)
        self.events = np.zeros((n, len(EVENTS)), dtype=np.int64)  # paid impressions' events
        self.revenue = np.zeros(n)
        self.segment_impressions = np.zeros((n, len(segments)), dtype=np.int64)
        self.posts_promoted: list[set[int]] = [set() for _ in range(n)]

    def promoted_post(self, view: PlatformView, g: int) -> int:
        """The campaign's post now: its creator's newest live post of an allowed style (-1: none)."""
        posts = view.posts
        first = int(np.searchsorted(posts.created_hour, view.hour - self.max_age_hours,
                                    side="right"))
        mine = np.flatnonzero((posts.creator[first:] == self.creator[g])
                              & self.styles[g, posts.style[first:]]
                              & (posts.created_hour[first:] <= view.hour))
        return int(first + mine[-1]) if len(mine) else -1

    def after_feeds(self, view: PlatformView, feed: Feed) -> Feed:
        return self.place(view, feed)

    def place(self, view: PlatformView, feed: Feed) -> Feed:
        """The feeds with promoted posts in place of organic ones, as far as budgets go."""
        hour = view.hour
        rng = step_generator(self.seed, view.step)
        posts, source = feed.posts.copy(), feed.source.copy()
        filled = (posts >= 0).sum(axis=1)  # (A,) feeds are filled from the first slot
        segment = view.population.segment[feed.viewers].astype(np.int64)
        taken = np.zeros(len(feed.viewers), dtype=bool)
        for g, campaign in enumerate(self.campaigns):
            if not campaign.start_hour <= hour < self.end[g]:
                continue
            allowed = paced_spend(campaign.budget, campaign.start_hour, self.end[g], hour,
                                  self.step_hours) - self.spent[g]
            affordable = math.floor(allowed / campaign.cpm * 1000.0 + 1e-9)
            post = self.promoted_post(view, g) if affordable > 0 else -1
            if post < 0:
                continue
            eligible = (self.targets[g, segment] & ~taken & (filled > 0)
                        & ~view.history.seen(feed.viewers, np.full(len(feed.viewers), post))
                        & ~(posts == post).any(axis=1))
            rows = np.flatnonzero(eligible)
            n = min(affordable, len(rows))
            if n == 0:
                continue
            chosen = rng.choice(rows, size=n, replace=False)
            slots = np.minimum((rng.random(n) * filled[chosen]).astype(np.int64),
                               filled[chosen] - 1)
            posts[chosen, slots] = post
            source[chosen, slots] = PROMOTED
            taken[chosen] = True
            self.spent[g] += n * campaign.cpm / 1000.0
            self.posts_promoted[g].add(post)
        return Feed(feed.viewers, posts, source, feed.column)

    def on_reactions(self, view: PlatformView, impressions: Impressions,
                     reactions: Reactions) -> None:
        """Count the events of this step's paid impressions (n,) per campaign."""
        imp = impressions
        paid = np.flatnonzero(imp.source == PROMOTED)
        if len(paid) == 0:
            return
        campaign = self.campaign_of[imp.creator[paid]]
        n = len(self.campaigns)
        for index, name in enumerate(EVENTS):
            self.events[:, index] += np.bincount(campaign[reactions.events[name][paid]],
                                                 minlength=n)
        self.revenue += np.bincount(campaign, weights=reactions.revenue[paid], minlength=n)
        self.segment_impressions += np.bincount(
            campaign * self.segment_impressions.shape[1] + imp.segment[paid],
            minlength=self.segment_impressions.size).reshape(self.segment_impressions.shape)

    def summarize(self, view: PlatformView) -> dict[str, Any]:
        """``summary.json`` ``promotion``: per campaign, spend, paid and organic results, costs."""
        posts = view.posts
        segments = view.population.segment_names
        threshold = view.config.metrics.target_relevance
        result: dict[str, Any] = {}
        for g, name in enumerate(self.names):
            c, campaign = int(self.creator[g]), self.campaigns[g]
            paid = {event: int(self.events[g, EVENT_INDEX[event]]) for event in EVENTS}
            mine = posts.creator == c
            total = posts.counts[mine].sum(axis=(0, 2, 3))
            organic = {event: int(total[EVENT_INDEX[event]]) - paid[event] for event in EVENTS}
            target = view.creators.target_segments(c, threshold)  # (S,)
            shown = self.segment_impressions[g]
            spent = float(self.spent[g])
            result[name] = {
                "budget": campaign.budget, "cpm": campaign.cpm,
                "segments": campaign.segments or list(segments),
                "spent": spent,
                "posts_promoted": len(self.posts_promoted[g]),
                "paid": {**paid, "revenue": float(self.revenue[g])},
                "organic": {**organic,
                            "revenue": float(posts.revenue[mine].sum() - self.revenue[g])},
                "paid_impressions_by_segment": {s: int(shown[i]) for i, s in enumerate(segments)},
                "paid_target_share": per(shown[target].sum(), shown.sum()),
                "cost_per_lead": per(spent, paid["leads"]),
                "cost_per_purchase": per(spent, paid["purchases"]),
                "cost_per_1k_likes": per(spent, paid["likes"], 1000),
                "likes_per_1k_paid_impressions": per(paid["likes"], paid["impressions"], 1000),
                "leads_per_1k_paid_impressions": per(paid["leads"], paid["impressions"], 1000),
                "leads_per_1k_organic_impressions": per(organic["leads"], organic["impressions"],
                                                        1000),
                "return_on_spend": per(self.revenue[g], spent),
            }
        return {"promotion": result}
