"""Money: the revenue channels that likes feed only indirectly, and creators' goals.

"You cannot directly make money from TikTok likes": creators and brands are paid
through channels that likes feed at one remove. Four channels (``CHANNELS``):

- **creator fund** (creativity programme): a payout per 1 000 *qualified* views
  (completed, or watched long enough, of videos long enough) once the account is
  eligible (followers and views in the trailing window), at a rate that may scale
  with the creator's engagement rate;
- **brand deals**: offered when a creator meets thresholds of followers, views and
  engagement rate, priced from a rate card on followers (and views) scaled by the
  engagement rate, at most one per ``interval_hours``;
- **live gifts**: eligible creators go live at random; their followers who are
  online attend by loyalty (familiarity), and some send gifts, more so for a
  creator with a high engagement rate; the creator keeps a share;
- **sales**: purchases through link clicks (the funnel's own), at price x margin.

Nothing here computes an outcome from likes: each channel is paid from what the
model records (views and how long they lasted, followers, familiarity, purchases).
Whether a channel tracks likes is then a measure (Spearman across creators).

The ledger is updated once per step, vectorised over the step's impressions, over
creators and (for live sessions) over the followers of the creators who are live.
It only reads the model, so switching money on changes no other output; its random
draws come from the model's ``money`` stream, one generator per step.

Shapes: C creators, E events, W steps in the trailing window, n impressions in the
step, G goals.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from simulation.config.money import CHANNELS, EngagementPricing, Goal
from simulation.config.scenario import Scenario
from simulation.core.events import ENGAGEMENTS, EVENT_INDEX, EVENTS
from simulation.core.records import Impressions, Reactions
from simulation.core.seeding import step_generator
from simulation.core.statistics import per, spearman
from simulation.levers.base import Lever, MeasureNames, register
from simulation.platform.view import PlatformView
from simulation.state.creators import CreatorTable
from simulation.viewers.funnel import sigmoid

CORRELATES = ("likes", "views", "followers", "leads", "buyer_views")
"""Per-creator measures whose Spearman correlation with each channel's revenue is reported;
``buyer_views`` is the sum over the creator's views of viewer intent x the offer's relevance."""


_FUND, _DEALS, _LIVE, _SALES = (CHANNELS.index(name) for name in
                                ("creator_fund", "brand_deals", "live_gifts", "sales"))


def engagement_multiplier(rate: np.ndarray, reference: float,
                          pricing: EngagementPricing) -> np.ndarray:
    """(rate / reference) ^ elasticity, clipped to [floor, cap]; 1 where the rate is undefined.

    ``rate`` (C,) engagement rates by views (NaN: no views).
    """
    ratio = np.nan_to_num(np.asarray(rate, dtype=np.float64) / reference, nan=1.0)
    return np.clip(ratio ** pricing.elasticity, pricing.floor, pricing.cap)


def band_position(values: np.ndarray, band_by: np.ndarray, lowers: np.ndarray,
                  uppers: np.ndarray, lows: np.ndarray, highs: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Each creator's benchmark band and its place in the band's published range.

    ``values``, ``band_by`` (C,); ``lowers``, ``uppers`` (NaN: open), ``lows``, ``highs`` (B,).
    Returns the band index (C,) int (-1: in no band) and the position (C,) int: -1 below
    the range, 0 within, 1 above, -2 undefined (no band or no value).
    """
    upper = np.where(np.isnan(uppers), np.inf, uppers)
    inside = (band_by[:, None] >= lowers[None, :]) & (band_by[:, None] < upper[None, :])
    band = np.where(inside.any(axis=1), inside.argmax(axis=1), -1)
    low, high = lows[np.maximum(band, 0)], highs[np.maximum(band, 0)]
    position = np.where(values < low, -1, np.where(values > high, 1, 0))
    return band, np.where((band < 0) | np.isnan(values), -2, position)


POSITIONS = {-2: "undefined", -1: "below", 0: "within", 1: "above"}


@register
class MoneyLedger(Lever):
    """Revenue by channel and creator, the state the channels need, and goals' progress.

    It only watches the platform, after every other lever (``order``).
    """

    name = "money"
    section = "money"
    stream = "money"
    order = 900
    summary_keys = ("money",)
    measures: ClassVar[MeasureNames] = {
        "money.totals.{channel}": ("revenue from {channel}, all creators", "money", "money"),
        "money.totals.revenue_per_1k_likes.{channel}": (
            "revenue from {channel} per 1 000 likes, all creators", "money per 1 000 likes",
            "money"),
        "money.totals.creators_earning.{channel}": (
            "creators earning from {channel}", "creators", "count"),
        "money.spearman.{metric}.{channel}": (
            "Spearman ρ across creators of {metric} and revenue from {channel}", "ρ",
            "correlation"),
        "money.spearman_creators.{channel}": (
            "creators in the Spearman ρ of revenue from {channel}", "creators", "count"),
        "money.creators.{creator}.{term}": "{creator}",
        "money.creators.{creator}.buyer_views": ("{creator}: views by buyers", "views",
                                                 "count"),
        "money.creators.{creator}.revenue.{channel}": (
            "{creator}: revenue from {channel}", "money", "money"),
        "money.creators.{creator}.revenue_per_1k_likes.{channel}": (
            "{creator}: revenue from {channel} per 1 000 likes", "money per 1 000 likes",
            "money"),
        "money.creators.{creator}.creator_fund.joined_step": (
            "{creator}: step it joined the creator fund", "steps", "time"),
        "money.creators.{creator}.creator_fund.qualified_views": (
            "{creator}: views that qualify for the creator fund", "views", "count"),
        "money.creators.{creator}.creator_fund.paid_views": (
            "{creator}: views the creator fund paid for", "views", "count"),
        "money.creators.{creator}.brand_deals.deals": ("{creator}: brand deals", "deals",
                                                       "count"),
        "money.creators.{creator}.brand_deals.first_deal_step": (
            "{creator}: step of its first brand deal", "steps", "time"),
        "money.creators.{creator}.live_gifts.{what}": (
            "{creator}: live {what}", "{what}", "count"),
        "money.creators.{creator}.sales.purchases": ("{creator}: purchases of its products",
                                                     "purchases", "count"),
        "money.creators.{creator}.sales.margin": ("{creator}: margin per sale", "money",
                                                  "setting"),
        "money.creators.{creator}.benchmarks.{benchmark}.value": (
            "{creator}: {benchmark} (the benchmark's metric)", "engagements per view", "ratio"),
        "money.creators.{creator}.benchmarks.{benchmark}.band": (
            "{creator}: {benchmark}, its size band", "band", "signed"),
        "money.creators.{creator}.benchmarks.{benchmark}.{bound}": (
            "{creator}: {benchmark}, the band's {bound} bound", "engagements per view",
            "setting"),
        "money.benchmarks.{benchmark}.{position}": (
            "creators {position} the {benchmark} benchmark", "creators", "count"),
        "money.goals.{goal}.target": ("goal {goal}: target", "the goal's metric", "setting"),
        "money.goals.{goal}.deadline_step": ("goal {goal}: deadline", "steps", "setting"),
        "money.goals.{goal}.step_reached": ("goal {goal}: step it was reached", "steps",
                                            "time"),
        "money.goals.{goal}.final_value": ("goal {goal}: value at the end", "the goal's metric",
                                           "signed"),
        "money.goals.{goal}.value_at_deadline": ("goal {goal}: value at the deadline",
                                                 "the goal's metric", "signed"),
    }

    @classmethod
    def build(cls, scenario: Scenario, creators: CreatorTable,
              seed: np.random.SeedSequence | None) -> MoneyLedger | None:
        """None unless the scenario switches a channel, a goal or a benchmark on."""
        return cls(scenario, creators, seed) if scenario.money.active else None

    def __init__(self, config: Scenario, creators: CreatorTable, seed: np.random.SeedSequence):
        money = self.config = config.money
        self.step_hours = config.step_hours
        self.names = list(creators.names)
        self.index = {name: c for c, name in enumerate(self.names)}
        self.seed = seed
        self.channels = money.channels
        self.is_brand = np.asarray(creators.is_brand, dtype=bool)
        n = self.n_creators = len(self.names)
        self.initial_followers = np.zeros(n, dtype=np.int64)  # set by start()
        offers = [creator.offer for creator in config.creators]
        self.margin = np.array([offer.margin if offer else 0.0 for offer in offers])[
            creators.entry]
        # Who can earn from each channel at all (before any threshold): (4, C).
        self.can_earn = np.stack([
            ~self.is_brand | money.creator_fund.brands,
            ~self.is_brand | money.brand_deals.brands,
            ~self.is_brand | money.live_gifts.brands,
            self.is_brand,
        ])
        self.events = np.zeros((n, len(EVENTS)), dtype=np.int64)  # totals since the start
        self.buyer_views = np.zeros(n)  # sum over views of intent x relevance
        self.revenue = np.zeros((n, len(CHANNELS)))
        # The trailing window: per step and creator, views and engagements (a ring).
        # Sized for the run; it grows if the model is stepped further, up to the window.
        self._window_steps = max(1, round(money.window_hours / config.step_hours))
        self._window = np.zeros((min(self._window_steps, config.steps), 2, n), dtype=np.int64)
        self._window_sum = np.zeros((2, n), dtype=np.int64)
        # Creator fund
        self.qualified_views = np.zeros(n, dtype=np.int64)
        self.paid_views = np.zeros(n, dtype=np.int64)
        self.joined_step = np.full(n, -1, dtype=np.int64)
        # Brand deals
        self.deals = np.zeros(n, dtype=np.int64)
        self.first_deal_step = np.full(n, -1, dtype=np.int64)
        self._last_deal_hour = np.full(n, -np.inf)
        # Live gifts
        self.live_sessions = np.zeros(n, dtype=np.int64)
        self.live_attendees = np.zeros(n, dtype=np.int64)
        self.live_gifters = np.zeros(n, dtype=np.int64)
        # Per step: revenue by channel (steps, 4) and earners; goals' measures (steps, G).
        self._step_rows: list[tuple[int, float, np.ndarray, np.ndarray]] = []
        self.goal_values: list[np.ndarray] = []

    def start(self, view: PlatformView) -> None:
        self.initial_followers = np.asarray(view.initial_followers, dtype=np.int64)

    # --- per step -------------------------------------------------------------------

    @property
    def window_views(self) -> np.ndarray:
        """Views of each creator's posts in the trailing window (C,)."""
        return self._window_sum[0]

    def window_engagement_rate(self) -> np.ndarray:
        """(likes + comments + shares) / views in the trailing window (C,), NaN without views."""
        views, engagements = self._window_sum
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(views > 0, engagements / np.maximum(views, 1), np.nan)

    def on_reactions(self, view: PlatformView, impressions: Impressions,
                     reactions: Reactions) -> None:
        self.record_step(view, impressions, reactions)

    def record_step(self, view: PlatformView, imp: Impressions, reactions: Reactions) -> None:
        """Book this step's revenue in every enabled channel, then update eligibility.

        Payments for a step use eligibility and engagement rates as they stood at the
        end of the previous step; thresholds met in this step count from the next.
        """
        money, n = self.config, self.n_creators
        step, hour, events = view.step, view.hour, reactions.events
        creator = imp.creator
        step_events = np.stack([np.bincount(creator[events[name]], minlength=n)
                                for name in EVENTS], axis=1)  # (C, E)
        self.events += step_events
        views = events["views"]
        self.buyer_views += np.bincount(creator[views], minlength=n,
                                        weights=(imp.intent * imp.relevance)[views])
        earned = np.zeros((len(CHANNELS), n))
        rate_before = self.window_engagement_rate()

        fund = money.creator_fund
        if fund.enabled:
            qualified = (events["completions"] if fund.qualified_by == "completion" else
                         views & (reactions.watch_fraction * imp.duration_s
                                  >= fund.min_watch_seconds))
            qualified = qualified & (imp.duration_s >= fund.min_duration_s)
            counted = np.bincount(creator[qualified], minlength=n)
            self.qualified_views += counted
            paid = np.where(self.joined_step >= 0, counted, 0)
            self.paid_views += paid
            rate = fund.rate_per_1k * engagement_multiplier(
                rate_before, money.reference_engagement_rate, fund.engagement)
            earned[_FUND] = paid * rate / 1000.0

        # The trailing window, then the thresholds as they stand at the end of the step.
        size = len(self._window)
        if step > size and size < self._window_steps:  # not yet wrapped: append empty slots
            grow = min(self._window_steps, 2 * size) - size
            self._window = np.concatenate([self._window, np.zeros((grow, 2, n), np.int64)])
        slot = (step - 1) % len(self._window)
        engagements = step_events[:, [EVENT_INDEX[name] for name in ENGAGEMENTS]].sum(axis=1)
        self._window_sum -= self._window[slot]
        self._window[slot] = (step_events[:, EVENT_INDEX["views"]], engagements)
        self._window_sum += self._window[slot]
        followers = view.follows.count
        rate_now = self.window_engagement_rate()

        if fund.enabled:
            joins = ((self.joined_step < 0) & self.can_earn[_FUND]
                     & (followers >= fund.min_followers)
                     & (self.window_views >= fund.min_window_views))
            self.joined_step[joins] = step

        deals = money.brand_deals
        if deals.enabled:
            meets = (self.can_earn[_DEALS] & (followers >= deals.min_followers)
                     & (self.window_views >= deals.min_window_views)
                     & (np.nan_to_num(rate_now, nan=-1.0) >= deals.min_engagement_rate))
            due = meets & (hour - self._last_deal_hour >= deals.interval_hours - 1e-9)
            price = (deals.rate_per_1k_followers * followers / 1000.0
                     + deals.rate_per_1k_window_views * self.window_views / 1000.0)
            multiplier = engagement_multiplier(rate_now, money.reference_engagement_rate,
                                               deals.engagement)
            earned[_DEALS] = np.where(due, price * multiplier, 0.0)
            self.deals += due
            self._last_deal_hour[due] = hour
            self.first_deal_step[due & (self.first_deal_step < 0)] = step

        if money.live_gifts.enabled:
            earned[_LIVE] = self._live_sessions(view, step, hour, rate_now)

        if money.sales.enabled:
            sold = np.bincount(creator, weights=reactions.revenue, minlength=n)
            earned[_SALES] = sold * self.margin if money.sales.basis == "margin" else sold

        self.revenue += earned.T
        self._step_rows.append((step, hour, earned.sum(axis=1), (earned > 0).sum(axis=1)))
        if money.goals:
            measures = self.creator_measures(followers)
            self.goal_values.append(np.array(
                [measures[goal.metric][self.index[goal.creator]] for goal in money.goals]))

    def _live_sessions(self, view: PlatformView, step: int, hour: float,
                       engagement_rate: np.ndarray) -> np.ndarray:
        """Live sessions of this step: who goes live, who attends, who gifts; returns (C,)."""
        live = self.config.live_gifts
        n = self.n_creators
        # One generator per step (like the funnel's): draws of a step do not depend on
        # how many followers earlier sessions had.
        rng = step_generator(self.seed, step)
        chance = 1.0 - math.exp(-live.sessions_per_week * self.step_hours / 168.0)
        goes_live = (rng.random(n) < chance) & self.can_earn[_LIVE] & (
            view.follows.count >= live.min_followers)
        hosts = np.flatnonzero(goes_live)
        self.live_sessions[hosts] += 1
        if len(hosts) == 0:
            return np.zeros(n)
        viewer, host = np.nonzero(view.follows.table[:, hosts])  # followers of each host
        online = view.active[viewer]
        viewer, creator = viewer[online], hosts[host[online]]
        loyalty = np.log1p(view.familiarity.read(viewer, creator, hour).astype(np.float64))
        uniform = rng.random((len(viewer), 2))
        attends = uniform[:, 0] < sigmoid(live.attendance.intercept
                                          + live.attendance.familiarity * loyalty)
        ratio = np.nan_to_num(engagement_rate / self.config.reference_engagement_rate, nan=0.0)
        gifts = attends & (uniform[:, 1] < sigmoid(live.gifting.intercept
                                                   + live.gifting.familiarity * loyalty
                                                   + live.gifting.engagement * ratio[creator]))
        shape = live.gift_value.shape
        value = rng.gamma(shape, live.gift_value.mean / shape, size=int(gifts.sum()))
        self.live_attendees += np.bincount(creator[attends], minlength=n)
        self.live_gifters += np.bincount(creator[gifts], minlength=n)
        return np.bincount(creator[gifts], weights=value, minlength=n) * live.creator_share

    # --- measures -------------------------------------------------------------------

    def creator_measures(self, followers: np.ndarray) -> dict[str, np.ndarray]:
        """Every measure in ``CREATOR_METRICS`` for every creator, as it stands now (C,) each."""
        events = self.events
        measures: dict[str, np.ndarray] = {name: events[:, e].astype(np.float64)
                                           for e, name in enumerate(EVENTS)}
        views = measures["views"]
        engagements = sum(measures[name] for name in ENGAGEMENTS)
        with np.errstate(divide="ignore", invalid="ignore"):
            measures["engagement_rate_by_views"] = np.where(views > 0, engagements / views, np.nan)
            measures["leads_per_1k_likes"] = np.where(
                measures["likes"] > 0, 1000.0 * measures["leads"] / measures["likes"], np.nan)
        measures["followers"] = followers.astype(np.float64)
        measures["follower_gain"] = (followers - self.initial_followers).astype(np.float64)
        measures["window_views"] = self.window_views.astype(np.float64)
        measures["window_engagement_rate"] = self.window_engagement_rate()
        measures["revenue"] = self.revenue.sum(axis=1)
        for c, channel in enumerate(CHANNELS):
            measures[f"revenue_{channel}"] = self.revenue[:, c]
        return measures

    def tables(self, view: PlatformView) -> dict[str, pa.Table]:
        """``money.parquet``: revenue per step and channel."""
        return {"money": self.step_table()}

    def creator_columns(self, view: PlatformView) -> dict[str, np.ndarray]:
        """Revenue of each creator by enabled channel, ``money_<channel>``, and ``money_total``."""
        earned = {f"money_{channel}": self.revenue[:, CHANNELS.index(channel)]
                  for channel in self.channels}
        if earned:
            earned["money_total"] = sum(earned.values())
        return earned

    def step_table(self) -> pa.Table:
        """Revenue per step and channel (enabled channels): one row per step x channel."""
        rows = [(step, hour, channel, float(total[c]), int(earners[c]))
                for step, hour, total, earners in self._step_rows
                for c, channel in enumerate(CHANNELS) if channel in self.channels]
        columns = list(zip(*rows, strict=True)) if rows else [[]] * 5
        return pa.table({
            "step": pa.array(columns[0], type=pa.int64()),
            "hour": pa.array(columns[1], type=pa.float64()),
            "channel": pa.array(columns[2], type=pa.string()),
            "revenue": pa.array(columns[3], type=pa.float64()),
            "creators_earning": pa.array(columns[4], type=pa.int64()),
        })

    def summarize(self, view: PlatformView) -> dict[str, Any]:
        """``summary.json`` ``money`` (docs/outputs.md, 'Reading summary.json')."""
        return {"money": self.section_of(view)}

    def section_of(self, view: PlatformView) -> dict[str, Any]:
        """The money section: revenue by channel, what tracks likes, goals and benchmarks."""
        money, channels = self.config, self.channels
        followers = view.follows.count
        measures = self.creator_measures(followers)
        likes = measures["likes"]
        correlates = {"likes": likes, "views": measures["views"],
                      "followers": measures["followers"], "leads": measures["leads"],
                      "buyer_views": self.buyer_views}
        revenue = {channel: self.revenue[:, CHANNELS.index(channel)] for channel in channels}
        total = self.revenue[:, [CHANNELS.index(c) for c in channels]].sum(axis=1)

        spearmans: dict[str, dict[str, float]] = {name: {} for name in CORRELATES}
        counted: dict[str, int] = {}
        for channel in [*channels, "total"]:
            among = (self.can_earn[CHANNELS.index(channel)] if channel != "total"
                     else np.ones(self.n_creators, dtype=bool))
            values = revenue[channel] if channel != "total" else total
            counted[channel] = int(among.sum())
            for name, measure in correlates.items():
                spearmans[name][channel] = spearman(measure[among], values[among])

        benchmarks, placed = self._benchmarks(measures)
        creators = {}
        for c, name in enumerate(self.names):
            entry: dict[str, Any] = {
                "is_brand": bool(self.is_brand[c]),
                "can_earn": [ch for ch in channels if self.can_earn[CHANNELS.index(ch), c]],
                **{event: int(self.events[c, EVENT_INDEX[event]])
                   for event in ("impressions", "views", "completions", "likes", "comments",
                                 "shares", "follows", "link_clicks", "leads", "purchases")},
                "followers_start": int(self.initial_followers[c]),
                "followers_end": int(followers[c]),
                "engagement_rate_by_views": _number(measures["engagement_rate_by_views"][c]),
                "buyer_views": float(self.buyer_views[c]),
                "revenue": {**{ch: float(revenue[ch][c]) for ch in channels},
                            "total": float(total[c])},
                "revenue_per_1k_likes": {**{ch: per(revenue[ch][c], likes[c], 1000)
                                            for ch in channels},
                                         "total": per(total[c], likes[c], 1000)},
            }
            if money.creator_fund.enabled:
                entry["creator_fund"] = {
                    "joined_step": _step(self.joined_step[c]),
                    "qualified_views": int(self.qualified_views[c]),
                    "paid_views": int(self.paid_views[c])}
            if money.brand_deals.enabled:
                entry["brand_deals"] = {"deals": int(self.deals[c]),
                                        "first_deal_step": _step(self.first_deal_step[c])}
            if money.live_gifts.enabled:
                entry["live_gifts"] = {"sessions": int(self.live_sessions[c]),
                                       "attendees": int(self.live_attendees[c]),
                                       "gifters": int(self.live_gifters[c])}
            if money.sales.enabled and self.is_brand[c]:
                entry["sales"] = {"purchases": int(self.events[c, EVENT_INDEX["purchases"]]),
                                  "margin": float(self.margin[c])}
            if placed:
                entry["benchmarks"] = {bench: placed[bench][c] for bench in placed}
            creators[name] = entry

        totals_by_channel = {channel: float(revenue[channel].sum()) for channel in channels}
        all_likes = float(likes.sum())
        return {
            "channels": channels,
            "totals": {**totals_by_channel, "total": float(total.sum()),
                       "revenue_per_1k_likes": {
                           **{ch: per(value, all_likes, 1000)
                              for ch, value in totals_by_channel.items()},
                           "total": per(total.sum(), all_likes, 1000)},
                       "creators_earning": {**{ch: int((revenue[ch] > 0).sum()) for ch in channels},
                                            "total": int((total > 0).sum())}},
            "spearman": spearmans,
            "spearman_creators": counted,
            "creators": creators,
            "goals": self._goals(),
            "benchmarks": benchmarks,
        }

    def _goals(self) -> dict[str, dict[str, Any]]:
        """Each goal's outcome (see :func:`evaluate_goal`), by name."""
        values = np.array(self.goal_values).reshape(-1, len(self.config.goals))  # (steps, G)
        return {goal.name: evaluate_goal(goal, values[:, g])
                for g, goal in enumerate(self.config.goals)}

    def _benchmarks(self, measures: dict[str, np.ndarray]
                    ) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
        """Where each creator falls in each published range; counts per benchmark."""
        summary, placed = {}, {}
        for benchmark in self.config.benchmarks:
            bands = benchmark.bands
            band, position = band_position(
                measures[benchmark.metric], measures[benchmark.band_by],
                np.array([b.lower for b in bands]),
                np.array([math.nan if b.upper is None else b.upper for b in bands]),
                np.array([b.low for b in bands]), np.array([b.high for b in bands]))
            value = measures[benchmark.metric]
            placed[benchmark.name] = [
                {"value": _number(value[c]), "band": int(band[c]) if band[c] >= 0 else None,
                 "low": bands[band[c]].low if band[c] >= 0 else None,
                 "high": bands[band[c]].high if band[c] >= 0 else None,
                 "position": POSITIONS[int(position[c])]}
                for c in range(self.n_creators)]
            summary[benchmark.name] = {
                "metric": benchmark.metric, "band_by": benchmark.band_by,
                "source": benchmark.source,
                **{label: int((position == code).sum()) for code, label in POSITIONS.items()}}
        return summary, placed


def evaluate_goal(goal: Goal, series: np.ndarray) -> dict[str, Any]:
    """A goal met or missed by its deadline, or open if the run ended first.

    ``series`` (steps,) is the goal's measure at the end of each step (NaN: undefined).
    ``met`` judges the value at the end of the deadline step; ``step_reached`` is the
    first step at whose end the target held (a ratio may hold early and fall back).
    """
    with np.errstate(invalid="ignore"):
        holds = series >= goal.target if goal.direction == "at_least" else series <= goal.target
    holds &= ~np.isnan(series)
    reached = np.flatnonzero(holds)
    due = goal.deadline_step <= len(series)
    at = min(goal.deadline_step, len(series)) - 1
    met = bool(holds[at]) if due and len(series) else None
    return {
        "creator": goal.creator, "metric": goal.metric, "target": goal.target,
        "direction": goal.direction, "deadline_step": goal.deadline_step,
        "status": ("met" if met else "missed") if due else "open",
        "met": met,
        "value_at_deadline": _number(series[at]) if due and len(series) else None,
        "final_value": _number(series[-1]) if len(series) else None,
        "step_reached": int(reached[0] + 1) if len(reached) else None,
        "description": goal.description,
    }


def _number(value: float) -> float | None:
    """A float for JSON: None where undefined."""
    return None if value is None or not np.isfinite(value) else float(value)


def _step(value: int) -> int | None:
    return None if value < 0 else int(value)
