"""Money: revenue channels, goals and benchmarks (the money lever's section).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulation.config.base import NAME_PATTERN, Gamma, Section
from simulation.core.events import EVENTS

CHANNELS: tuple[str, ...] = ("creator_fund", "brand_deals", "live_gifts", "sales")
"""Revenue channels, in the order of every money table."""


CREATOR_METRICS: tuple[str, ...] = (
    *EVENTS, "followers", "follower_gain", "engagement_rate_by_views", "leads_per_1k_likes",
    "window_views", "window_engagement_rate", "revenue", *(f"revenue_{c}" for c in CHANNELS))
"""Per-creator measures that goals and benchmarks can name: event totals since the start of
the run, followers now and gained, ratios, views and engagement rate in the trailing window
(``money.window_hours``), and revenue in all and by channel."""


class EngagementPricing(Section):
    """How a price scales with a creator's engagement rate: (rate / reference) ^ elasticity, clipped."""

    elasticity: float = Field(0.0, ge=0, le=5,
                              description="Exponent of (engagement rate / reference) (0: flat).")
    floor: float = Field(0.5, ge=0, description="Least multiplier of the price.")
    cap: float = Field(2.0, gt=0, description="Greatest multiplier of the price.")


class CreatorFund(Section):
    """Creator fund / creativity programme: a payout per 1 000 qualified views of eligible accounts."""

    enabled: bool = Field(False, description="Pay creators for qualified views.")
    rate_per_1k: float = Field(
        0.5, ge=0, description="Payout per 1 000 qualified views at the reference engagement rate.")
    min_followers: int = Field(10_000, ge=0, description="Followers an account needs to join.")
    min_window_views: int = Field(
        100_000, ge=0, description="Views in the trailing window an account needs to join.")
    qualified_by: Literal["completion", "watch_seconds"] = Field(
        "completion", description="A view qualifies if the video is completed, or if it is "
                                  "watched for at least min_watch_seconds.")
    min_watch_seconds: float = Field(
        5.0, ge=0, description="Seconds watched that make a view qualify (qualified_by = watch_seconds).")
    min_duration_s: float = Field(
        0.0, ge=0, description="Videos shorter than this earn nothing (the creativity programme: 60 s).")
    engagement: EngagementPricing = Field(
        default_factory=EngagementPricing,
        description="How the rate scales with the creator's engagement rate in the window.")
    brands: bool = Field(False, description="Whether brands (creators with an offer) can join.")


class BrandDeals(Section):
    """Sponsored posts, priced from a rate card on followers and engagement, offered at thresholds."""

    enabled: bool = Field(False, description="Offer brand deals to creators that meet the thresholds.")
    min_followers: int = Field(10_000, ge=0, description="Followers a creator needs to be offered a deal.")
    min_engagement_rate: float = Field(
        0.0, ge=0, le=1, description="Engagement rate by views in the window a creator needs.")
    min_window_views: int = Field(1, ge=1, description="Views in the window a creator needs.")
    rate_per_1k_followers: float = Field(
        10.0, ge=0, description="Rate card: price per 1 000 followers at the reference engagement rate.")
    rate_per_1k_window_views: float = Field(
        0.0, ge=0, description="Rate card: price per 1 000 views in the window.")
    engagement: EngagementPricing = Field(
        default_factory=lambda: EngagementPricing(elasticity=1.0, floor=0.25, cap=4.0),
        description="How the price scales with the creator's engagement rate in the window.")
    interval_hours: float = Field(
        168.0, gt=0, description="Hours between two deals with one creator while it meets the thresholds.")
    brands: bool = Field(False, description="Whether brands (creators with an offer) are offered deals.")


class LiveAttendance(Section):
    """Log-odds that a follower who opened the app this step joins a creator's live session."""

    intercept: float = Field(-2.0, description="Log-odds of a follower with no familiarity.")
    familiarity: float = Field(1.0, description="Per unit of log(1 + familiarity) (loyalty).")


class LiveGifting(Section):
    """Log-odds that an attendee of a live session sends gifts."""

    intercept: float = Field(-3.0, description="Log-odds of an attendee with no familiarity.")
    familiarity: float = Field(0.8, description="Per unit of log(1 + familiarity) (loyalty).")
    engagement: float = Field(
        0.5, description="Per unit of the creator's engagement rate / the reference rate.")


class LiveGifts(Section):
    """Live sessions: followers attend by loyalty, some send gifts; the creator keeps a share."""

    enabled: bool = Field(False, description="Creators hold live sessions and receive gifts.")
    min_followers: int = Field(1_000, ge=0, description="Followers a creator needs to go live.")
    sessions_per_week: float = Field(
        2.0, ge=0, le=168,
        description="Live sessions per week of an eligible creator (at most one per step).")
    attendance: LiveAttendance = Field(default_factory=LiveAttendance,
                                       description="Who of the followers online attends.")
    gifting: LiveGifting = Field(default_factory=LiveGifting, description="Who of the attendees gifts.")
    gift_value: Gamma = Field(
        default_factory=lambda: Gamma(mean=2.0, shape=0.5),
        description="Value of one attendee's gifts in one session, in currency units.")
    creator_share: float = Field(
        0.5, ge=0, le=1,
        description="Share of the gifts' value the creator keeps (the platform keeps the rest).")
    brands: bool = Field(True, description="Whether brands (creators with an offer) go live.")


class Sales(Section):
    """Sales of creators' and brands' offers (products, merchandise) through link clicks."""

    enabled: bool = Field(False, description="Count sales as a revenue channel.")
    basis: Literal["margin", "revenue"] = Field(
        "margin", description="Count each sale at price x the offer's margin, or at its price.")


class Goal(Section):
    """A SMART goal: a creator's measure, a target, a deadline."""

    name: str = Field("goal", pattern=NAME_PATTERN, description="Name of the goal, used in outputs.")
    creator: str = Field("creator", description="The creator or brand, by its name in the outputs "
                                                 "(entries with count > 1 are numbered: comic-3).")
    metric: Literal[CREATOR_METRICS] = Field(
        "likes", description="The creator's measure: an event total since the start, followers, "
                             "a ratio, or revenue.")
    target: float = Field(0.0, ge=0, description="The value to reach.")
    direction: Literal["at_least", "at_most"] = Field(
        "at_least", description="Met when the measure is at least, or at most, the target.")
    deadline_step: int = Field(1, ge=1, description="The step by whose end the target must be met.")
    description: str = Field("", description="Free text: why this goal (relevant, achievable).")


class BenchmarkBand(Section):
    """One band of a published benchmark: where band_by falls, and the published range."""

    lower: float = Field(0.0, ge=0, description="Least value of band_by in this band (inclusive).")
    upper: float | None = Field(None, gt=0, description="Value of band_by above the band (absent: none).")
    low: float = Field(0.0, description="Low end of the published range of the metric.")
    high: float = Field(1.0, description="High end of the published range of the metric.")


class Benchmark(Section):
    """A published benchmark range, by band (engagement rate by views, by account size)."""

    name: str = Field("benchmark", pattern=NAME_PATTERN, description="Name, used in outputs.")
    metric: Literal[CREATOR_METRICS] = Field(
        "engagement_rate_by_views", description="The measure compared with the published range.")
    band_by: Literal[CREATOR_METRICS] = Field(
        "followers", description="The measure that picks a creator's band.")
    bands: list[BenchmarkBand] = Field(default_factory=lambda: [BenchmarkBand()], min_length=1,
                                       description="Bands, by increasing lower edge.")
    source: str = Field("", description="Where the ranges were published.")


class Money(Section):
    """Revenue channels, goals and benchmarks: all off by default (the platform is unchanged)."""

    window_hours: float = Field(
        720.0, gt=0, description="Trailing window of 'recent' views and engagement rate (720: 30 days).")
    reference_engagement_rate: float = Field(
        0.05, gt=0, le=1, description="Engagement rate by views at which prices are not scaled.")
    creator_fund: CreatorFund = Field(default_factory=CreatorFund,
                                      description="Creator fund / creativity programme.")
    brand_deals: BrandDeals = Field(default_factory=BrandDeals, description="Brand deals.")
    live_gifts: LiveGifts = Field(default_factory=LiveGifts, description="Live gifts.")
    sales: Sales = Field(default_factory=Sales, description="Sales of offers.")
    goals: list[Goal] = Field(default_factory=list, description="SMART goals of creators and brands.")
    benchmarks: list[Benchmark] = Field(default_factory=list,
                                        description="Published benchmark ranges to place creators in.")

    @property
    def channels(self) -> list[str]:
        """The enabled revenue channels, in CHANNELS order."""
        return [name for name in CHANNELS if getattr(self, name).enabled]

    @property
    def active(self) -> bool:
        """Whether anything here is switched on."""
        return bool(self.channels or self.goals or self.benchmarks)


