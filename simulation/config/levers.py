"""The levers' sections (``simulation/levers/``): per creator, and for the whole platform.

Each lever reads its own section; every section is off (absent, or inactive) by default.
A new lever's section is a class here and a field of :class:`CreatorLevers` (per creator)
or :class:`ScenarioLevers` (platform-wide); the scenario's schema picks it up from there.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulation.config.base import Section
from simulation.config.catalog import Catalog
from simulation.config.money import Money


class Schedule(Section):
    """When a creator publishes: Poisson at its rate, evenly spaced, or in bursts (same rate)."""

    kind: Literal["poisson", "regular", "bursty"] = Field(
        "poisson", description="poisson (random times), regular (evenly spaced) or bursty "
                               "(every burst_every_hours, all the posts of the period at once).")
    burst_every_hours: float = Field(
        24.0, gt=0, le=10_000, description="bursty: hours between two bursts.")
    offset_hours: float = Field(
        0.0, ge=0, le=10_000, description="regular and bursty: hour of the first post or burst "
                                          "after hour 0 (modulo the spacing).")


class Collaboration(Section):
    """Posts published with another creator (an influencer): they reach its followers too."""

    partner: str = Field("creator", description="The partner, by its name in the outputs "
                                                "(entries with count > 1 are numbered: comic-3).")
    share: float = Field(0.5, ge=0, le=1,
                         description="Share of this creator's posts published with the partner.")


class ContentFunnel(Section):
    """A sequenced strategy: each stage is retargeted at viewers who engaged with the one before."""

    stages: list[str] = Field(
        default_factory=lambda: ["entertainment", "educational", "promotional"], min_length=2,
        description="Styles in funnel order: top of the funnel first.")
    engaged_by: Literal["views", "completions", "likes", "profile_visits"] = Field(
        "completions", description="The reaction to a stage's post that qualifies a viewer "
                                   "for the next stage.")
    quota: int = Field(4, ge=1, le=100,
                       description="Retargeted candidates per qualified viewer and step.")
    boost: float = Field(
        1.0, ge=0, le=100,
        description="Score multiplier of a retargeted candidate (1: it competes as any other).")


class Learning(Section):
    """A creator that adapts its content mix with a bandit over styles, maximising one KPI."""

    kpi: Literal["likes", "follows", "leads", "views", "shares"] = Field(
        "likes", description="What the creator maximises: that event per post.")
    method: Literal["thompson", "epsilon_greedy"] = Field(
        "thompson", description="thompson (probability matching on a Gamma-Poisson posterior) "
                                "or epsilon_greedy.")
    epsilon: float = Field(0.1, ge=0, le=1,
                           description="epsilon_greedy: share of posts in a uniformly drawn style.")
    styles: list[str] = Field(
        default_factory=list,
        description="Styles it can choose between (empty: every style of the scenario).")
    feedback_hours: float = Field(
        24.0, ge=0, le=10_000,
        description="A post counts as evidence once it is this old (its KPI has come in).")
    prior_posts: float = Field(
        1.0, gt=0, le=1_000,
        description="Weight of the prior (the creator's mean KPI per post), in posts.")


class Hashtag(Section):
    """A hashtag a creator puts on some of its posts: it files them under a topic's pools too."""

    topic: str = Field("comedy", description="The topic the hashtag names.")
    share: float = Field(1.0, ge=0, le=1, description="Share of this creator's posts that carry it.")


class BoughtLikes(Section):
    """Likes bought from a bot seller: bot accounts (viewers with is_bot) that play and like the
    creator's new posts; they never follow, visit a profile, click or buy."""

    bots: int = Field(500, ge=1, le=1_000_000,
                      description="Bot accounts the seller uses; each likes a post at most once.")
    per_post: int = Field(
        50, ge=0, le=1_000_000,
        description="Likes bought for each post published while the order runs (at most bots; "
                    "0: none per post, per_day sets the volume).")
    per_day: int = Field(
        0, ge=0, le=100_000_000,
        description="Most likes delivered in one day across the creator's posts (0: no daily "
                    "limit); with per_post = 0, this many a day shared by the posts being served.")
    delivery_hours: float = Field(
        6.0, gt=0, le=10_000,
        description="A post's likes arrive evenly over this many hours after it is published.")
    start_hour: float = Field(0.0, ge=0, description="Hour the order starts: posts published "
                                                     "from then on are served.")
    end_hour: float | None = Field(None, gt=0, description="Hour the order stops delivering "
                                                           "(absent: the end of the run).")
    watch_fraction: float = Field(
        0.1, ge=0, le=1,
        description="Share of the video a bot plays before it likes (1: a completed view).")


class Promotion(Section):
    """Paid promotion: the creator's newest post shown in place of organic feed slots, bought
    per 1 000 impressions until the budget is spent."""

    budget: float = Field(100.0, gt=0, description="Total spend, in currency units.")
    cpm: float = Field(10.0, gt=0, description="Cost per 1 000 promoted impressions.")
    segments: list[str] = Field(
        default_factory=list, description="Viewer segments targeted (empty: all viewers).")
    styles: list[str] = Field(
        default_factory=list,
        description="Styles of the posts it may promote (empty: any); the newest live one is shown.")
    start_hour: float = Field(0.0, ge=0, description="Hour the campaign starts.")
    end_hour: float | None = Field(
        None, gt=0, description="Hour the campaign ends (absent: the end of the run); the budget "
                                "is paced evenly over the campaign, unspent money carried on.")


class Detection(Section):
    """The platform's detector of bought likes: on a schedule it judges each creator's recent
    posts by what the platform observes (likes, views, followers, other engagement) and acts on
    the creators it flags. Off by default."""

    enabled: bool = Field(False, description="Review creators and act on those flagged.")
    review_every_hours: float = Field(24.0, gt=0, le=10_000,
                                      description="Hours between two reviews (the first at this hour).")
    window_hours: float = Field(
        72.0, gt=0, le=10_000, description="A review judges the posts published in this many "
                                           "hours before it.")
    min_views: int = Field(200, ge=0, description="Creators with fewer views in the window "
                                                  "are not judged.")
    like_rate: float = Field(
        1.5, ge=0, description="Flag when likes per view reach this multiple of the median "
                               "judged creator's (0: signal not used).")
    likes_per_engagement: float = Field(
        1.5, ge=0, description="Flag when likes per other engagement (comments, shares, saves, "
                               "follows) reach this multiple of the median's (0: not used).")
    likes_per_follower: float = Field(
        3.0, ge=0, description="Flag when likes per follower reach this multiple of the "
                               "median's (0: not used).")
    action: Literal["demote", "discount", "none"] = Field(
        "demote", description="demote (multiply the scores of the creator's posts), discount "
                              "(ignore a share of their likes in the predicted rates) or none "
                              "(flag only, to measure).")
    demotion: float = Field(0.25, ge=0, le=1,
                            description="demote: score multiplier of a flagged creator's posts.")
    discount: float = Field(1.0, ge=0, le=1, description="discount: share of a flagged "
                                                         "creator's likes the rates ignore.")


class Pause(Section):
    """A break in publishing: the creator posts nothing from ``start_hour`` to ``end_hour``."""

    start_hour: float = Field(0.0, ge=0, le=100_000, description="Hour the break begins.")
    end_hour: float = Field(24.0, gt=0, le=100_000,
                            description="Hour the break ends (publishing resumes).")

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> Pause:
        if self.end_hour <= self.start_hour:
            raise ValueError("end_hour must be after start_hour")
        return self


# --- where the sections sit in the scenario --------------------------------------------


class CreatorLevers(Section):
    """The per-creator levers' sections: fields of every ``[[creators]]`` entry."""

    schedule: Schedule = Field(default_factory=Schedule,
                               description="When it publishes (posting cadence).")
    collaboration: Collaboration | None = Field(
        None, description="Posts published with an influencer; absent: none.")
    content_funnel: ContentFunnel | None = Field(
        None, description="Sequenced content retargeted at engaged viewers; absent: none.")
    learning: Learning | None = Field(
        None, description="A bandit that adapts its strategy to a KPI; absent: a fixed strategy.")
    hashtag: Hashtag | None = Field(
        None, description="A hashtag that files posts under another topic's pools; absent: none.")
    bought_likes: BoughtLikes | None = Field(
        None, description="Likes bought from bot accounts; absent: none.")
    promotion: Promotion | None = Field(
        None, description="Paid promotion of its newest post; absent: none.")
    pause: Pause | None = Field(
        None, description="A break in publishing; absent: none.")


class ScenarioLevers(Section):
    """The platform-wide levers' sections: top-level fields of the scenario."""

    money: Money = Field(default_factory=Money,
                         description="Revenue channels, goals and benchmarks (all off by default).")
    catalog: Catalog | None = Field(
        None, description="A fixed catalog of posts visited once by each viewer; absent: "
                          "creators publish and viewers come and go.")
    detection: Detection = Field(default_factory=Detection,
                                 description="The platform's detector of bought likes (off by default).")
