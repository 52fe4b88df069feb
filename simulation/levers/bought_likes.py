"""Bought likes: bot accounts that a creator pays to play and like its new posts.

"If you have a lot of likes but no followers ... people could become suspicious that you
employed the services of a TikTok bot" (source article 2, docs/sources.md). A creator
with ``bought_likes`` orders likes from a seller whose ``bots`` accounts are viewers with
``is_bot``, appended after the real viewers (no random draws: the real viewers, the graph
and the initial follows are as they would be without them). Bots never open organic
sessions (``viewers.sessions.open_sessions``) and are in nobody's friends or followers.

Each step, before the feeds are built, :meth:`BotFarm.deliver` plays and likes the buyer's
recent posts by the order's budget and timing: a post published while the order runs is
owed ``per_post`` likes, delivered evenly over its first ``delivery_hours``, and no more than
``per_day`` likes a day reach the creator's posts (shared by water-filling). One delivered like
is one impression, one view and one like by a bot that had not liked the post before.

That traffic is counted in the posts' bot counters (``PostStore.bot_counts``), apart from
the real viewers' ``counts``. The platform cannot tell the two apart: displayed likes, the
predicted rates behind the ranking score and tier promotion
(``predictions.observed_events``) and the platform-wide priors all include it. Bots reach
the posts directly, not through the feed, so they do not spend a tier's budget of
impressions (organic feed impressions do). The funnel never sees a bot, so no follow,
profile visit, link click, lead or purchase comes from one, and every real measure
(``counts``) leaves bot traffic out.

Shapes: V real viewers, B bot accounts, G orders (one per buying creator), n posts served.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import numpy as np

from simulation.config.scenario import Scenario
from simulation.core.events import EVENT_INDEX, EVENTS
from simulation.core.statistics import per
from simulation.levers.base import Lever, MeasureNames, register
from simulation.platform.view import PlatformView
from simulation.state.creators import CreatorTable
from simulation.state.population import Population

BOT_EVENTS = ("impressions", "views", "likes")
"""What one bought like is: the bot is shown the post, plays it and likes it (``completions``
too when the order's ``watch_fraction`` is 1)."""


REAL_EVENTS = ("impressions", "views", "likes", "comments", "shares", "follows",
               "profile_visits", "link_clicks", "leads", "purchases")
"""Real viewers' events reported next to the bought ones."""


def allocate(demand: np.ndarray, budget: int) -> np.ndarray:
    """Share an integer ``budget`` among integer demands (n,) -> (n,): as evenly as possible and
    none above its demand (water-filling); a remainder goes to the first (oldest) entries."""
    demand = np.maximum(np.asarray(demand, dtype=np.int64), 0)
    if budget >= demand.sum():
        return demand.copy()
    if budget <= 0:
        return np.zeros_like(demand)
    order = np.argsort(demand, kind="stable")
    level_of = demand[order]
    n = len(level_of)
    # The cost of raising every entry to level_of[i] (entries below it get their demand).
    served_below = np.concatenate([[0], np.cumsum(level_of)[:-1]])
    cost = served_below + level_of * (n - np.arange(n))
    i = int(np.searchsorted(cost, budget, side="right")) - 1
    level = budget // n if i < 0 else int(level_of[i] + (budget - cost[i]) // (n - i - 1))
    given = np.minimum(demand, level)
    room = np.flatnonzero(given < demand)
    given[room[: budget - int(given.sum())]] += 1
    return given


def scheduled_likes(per_post: int, age_hours: np.ndarray, step_hours: float,
                    delivery_hours: float) -> np.ndarray:
    """Likes a post of age ``age_hours`` (n,) should have received by the end of this step (n,):
    ``per_post`` spread evenly over its first ``delivery_hours``."""
    share = np.minimum((age_hours + step_hours) / delivery_hours, 1.0)
    return np.floor(per_post * share + 1e-9).astype(np.int64)


def add_bot_accounts(population: Population, n_bots: int) -> Population:
    """The population with ``n_bots`` bot accounts appended (V + B rows).

    A bot has no interests of its own (uniform), no intent, activity or propensities, and
    belongs to no segment of the scenario (its segment index is one past the last).
    """
    n_topics = population.interests.shape[1]

    def extend(column: np.ndarray, value: float | int | bool) -> np.ndarray:
        tail = np.full((n_bots, *column.shape[1:]), value, dtype=column.dtype)
        return np.concatenate([column, tail])

    return dataclasses.replace(
        population,
        segment=extend(population.segment, len(population.segment_names)),
        interests=extend(population.interests, 1.0 / n_topics),
        intent=extend(population.intent, 0.0),
        activity=extend(population.activity, 0.0),
        session_length=extend(population.session_length, 0.0),
        log_propensity=extend(population.log_propensity, 0.0),
        susceptibility=extend(population.susceptibility, 0.0),
        is_bot=extend(population.is_bot, True),
    )


@register
class BotFarm(Lever):
    """Every order of bought likes: who buys, its budget and timing, and its bot accounts."""

    name = "bought_likes"
    section = "creators[].bought_likes"
    summary_keys = ("bought_likes",)
    measures: ClassVar[MeasureNames] = {
        "bought_likes.bot_accounts": ("bot accounts", "accounts", "count"),
        "bought_likes.creators.{creator}.{term}": "{creator}",
        "bought_likes.creators.{creator}.bought.{term}": "{creator}, bought",
        "bought_likes.creators.{creator}.real.{term}": "{creator}, from real viewers",
        "bought_likes.creators.{creator}.bots": ("{creator}: bots liking its posts", "accounts",
                                                 "count"),
        "bought_likes.creators.{creator}.per_post": ("{creator}: likes bought per post", "likes",
                                                     "setting"),
        "bought_likes.creators.{creator}.per_day": ("{creator}: likes bought per day", "likes",
                                                    "setting"),
        "bought_likes.creators.{creator}.posts_served": (
            "{creator}: posts that received bought likes", "posts", "count"),
        "bought_likes.creators.{creator}.displayed_likes": (
            "{creator}: likes shown (real and bought)", "likes", "count"),
        "bought_likes.creators.{creator}.bought_share_of_likes": (
            "{creator}: share of its shown likes that were bought", "share of likes", "share"),
        "bought_likes.creators.{creator}.real_like_rate": (
            "{creator}: real likes per real view", "share of views", "rate"),
        "bought_likes.creators.{creator}.mean_reached_tier": (
            "{creator}: mean highest tier its posts reached", "tier", "ratio"),
    }

    @classmethod
    def build(cls, scenario: Scenario, creators: CreatorTable,
              seed: np.random.SeedSequence | None) -> BotFarm | None:
        """None unless some creator buys likes."""
        if all(creator.bought_likes is None for creator in scenario.creators):
            return None
        return cls(scenario, creators, scenario.population.size)

    def __init__(self, scenario: Scenario, creators: CreatorTable, n_viewers: int):
        orders = [(c, scenario.creators[e].bought_likes) for c, e in enumerate(creators.entry)
                  if scenario.creators[e].bought_likes is not None]
        self.step_hours = scenario.step_hours
        run_end = scenario.steps * scenario.step_hours
        self.names = [creators.names[c] for c, _ in orders]
        self.creator = np.array([c for c, _ in orders], dtype=np.int64)  # (G,)
        self.bots = np.array([o.bots for _, o in orders], dtype=np.int64)  # (G,)
        self.first_bot = n_viewers + np.concatenate([[0], np.cumsum(self.bots)[:-1]])  # (G,)
        self.orders = [o for _, o in orders]
        self.end = [run_end if o.end_hour is None else o.end_hour for o in self.orders]
        self.carry = np.zeros(len(orders))  # fractions of a day's likes not yet delivered
        self.likes_by_bot = np.zeros(int(self.bots.sum()), dtype=np.int64)  # (B,)
        self.n_viewers = n_viewers

    @property
    def n_bots(self) -> int:
        return len(self.likes_by_bot)

    def extend_population(self, population: Population) -> Population:
        """The population with this farm's bot accounts appended."""
        return add_bot_accounts(population, self.n_bots)

    def before_feeds(self, view: PlatformView) -> None:
        self.deliver(view)

    def deliver(self, view: PlatformView) -> int:
        """Play and like the buyers' posts that are owed likes this step; returns likes delivered."""
        posts, hour = view.posts, view.hour
        likes = EVENT_INDEX["likes"]
        step_totals = np.zeros(len(EVENTS), dtype=np.float64)
        watched = 0.0
        for g, order in enumerate(self.orders):
            if not order.start_hour <= hour < self.end[g]:
                continue
            first = int(np.searchsorted(posts.created_hour,
                                        max(order.start_hour, hour - order.delivery_hours),
                                        side="left"))
            ids = first + np.flatnonzero(posts.creator[first:] == self.creator[g])
            ids = ids[hour - posts.created_hour[ids] < order.delivery_hours]
            if len(ids) == 0:
                continue
            delivered = posts.bot_counts[ids, likes]
            if order.per_post > 0:
                owed = scheduled_likes(order.per_post, hour - posts.created_hour[ids],
                                       self.step_hours, order.delivery_hours)
            else:
                owed = np.full(len(ids), order.bots)
            demand = np.minimum(owed, order.bots) - delivered
            if order.per_day > 0:
                allowance = order.per_day * self.step_hours / 24.0 + self.carry[g]
                budget = math.floor(allowance)
                self.carry[g] = allowance - budget
            else:
                budget = int(np.maximum(demand, 0).sum())
            given = allocate(demand, budget)
            if given.sum() == 0:
                continue
            self._like(view, g, ids, delivered, given, order.watch_fraction)
            step_totals[[EVENT_INDEX[name] for name in BOT_EVENTS]] += given.sum()
            if order.watch_fraction >= 1.0:
                step_totals[EVENT_INDEX["completions"]] += given.sum()
            watched += order.watch_fraction * given.sum()
        if step_totals.any():
            view.rates.record(step_totals, watched)
        return int(step_totals[likes])

    def _like(self, view: PlatformView, g: int, ids: np.ndarray, delivered: np.ndarray,
              given: np.ndarray, watch_fraction: float) -> None:
        """Bots of order ``g`` play and like posts ``ids`` (n,), ``given`` (n,) likes each."""
        posts = view.posts
        for name in BOT_EVENTS:
            posts.bot_counts[ids, EVENT_INDEX[name]] += given
        if watch_fraction >= 1.0:
            posts.bot_counts[ids, EVENT_INDEX["completions"]] += given
        posts.bot_watch_fraction_sum[ids] += watch_fraction * given
        # Which bots: each post's likes go round the farm from a post-dependent start, so no bot
        # likes a post twice (delivered + given <= bots) and the work is spread over the bots.
        post = np.repeat(ids, given)
        k = np.arange(len(post)) - np.repeat(np.cumsum(given) - given, given)
        bots = self.bots[g]
        account = (post * 7919 + np.repeat(delivered, given) + k) % bots
        np.add.at(self.likes_by_bot, self.first_bot[g] - self.n_viewers + account, 1)
        view.history.mark(self.first_bot[g] + account, post)

    def summarize(self, view: PlatformView) -> dict[str, Any]:
        """``summary.json`` ``bought_likes``: per buying creator, the bought and the real traffic."""
        posts = view.posts
        result: dict[str, Any] = {"bot_accounts": self.n_bots, "creators": {}}
        for g, name in enumerate(self.names):
            c = int(self.creator[g])
            ids = np.flatnonzero(posts.creator == c)
            bought = posts.bot_counts[ids].sum(axis=0)
            real = posts.counts[ids].sum(axis=(0, 2, 3))
            real_impressions = real[EVENT_INDEX["impressions"]]
            bought_likes = int(bought[EVENT_INDEX["likes"]])
            real_likes = int(real[EVENT_INDEX["likes"]])
            followers = int(view.follows.count[c])
            order = self.orders[g]
            result["creators"][name] = {
                "bots": int(self.bots[g]), "per_post": order.per_post, "per_day": order.per_day,
                "posts": len(ids),
                "posts_served": int((posts.bot_counts[ids, EVENT_INDEX["likes"]] > 0).sum()),
                "bought": {event: int(bought[EVENT_INDEX[event]]) for event in BOT_EVENTS},
                "real": {event: int(real[EVENT_INDEX[event]]) for event in REAL_EVENTS},
                "displayed_likes": real_likes + bought_likes,
                "bought_share_of_likes": per(bought_likes, real_likes + bought_likes),
                "real_like_rate": per(real_likes, real[EVENT_INDEX["views"]]),
                "likes_per_1k_real_impressions": per(real_likes, real_impressions, 1000),
                "leads_per_1k_real_impressions": per(real[EVENT_INDEX["leads"]],
                                                      real_impressions, 1000),
                "followers_start": int(view.initial_followers[c]),
                "followers_end": followers,
                "displayed_likes_per_follower": per(real_likes + bought_likes, followers),
                "mean_reached_tier": (float(posts.reached_tier[ids].mean()) if len(ids)
                                      else math.nan),
            }
        return {"bought_likes": result}
