"""The scenario schema: every parameter of a run, validated before any work starts.

One pydantic model per section of ``MODEL.md``. Every field has a default and a
one-line description; ``python run.py defaults`` prints them all as a commented
TOML file and the README's scenario reference is generated from this module.
Cross-references between sections (a segment named in a brand's relevance, a
topic named in a segment's mix...) are checked by :func:`check_references`.
"""

from __future__ import annotations

import itertools
import math
import re
from difflib import get_close_matches
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from simulation.events import EVENTS

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_\-]*$"
"""Names of topics, segments, creators and styles: usable as keys and column names."""


class Section(BaseModel):
    """Base of every schema section: unknown keys are errors, types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True)


# --- distributions ------------------------------------------------------------------


class Beta(Section):
    """A Beta(a, b) distribution on 0..1."""

    a: float = Field(2.0, gt=0, description="First shape parameter (> 0).")
    b: float = Field(2.0, gt=0, description="Second shape parameter (> 0).")

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b)


class Gamma(Section):
    """A Gamma distribution given by its mean and shape (sd = mean / sqrt(shape))."""

    mean: float = Field(1.0, gt=0, description="Mean of the distribution (> 0).")
    shape: float = Field(
        4.0, gt=0, description="Shape k: larger is less spread (sd = mean / sqrt(k))."
    )


# --- population ---------------------------------------------------------------------


class Propensities(Section):
    """Personal tendencies to react, as log-normal multipliers of the odds."""

    like: float = Field(1.0, gt=0, description="Median odds multiplier for liking.")
    comment: float = Field(1.0, gt=0, description="Median odds multiplier for commenting.")
    share: float = Field(1.0, gt=0, description="Median odds multiplier for sharing.")
    save: float = Field(1.0, gt=0, description="Median odds multiplier for saving.")
    follow: float = Field(1.0, gt=0, description="Median odds multiplier for following.")
    sigma: float = Field(
        0.5, ge=0, le=3, description="Log-scale spread of each viewer's multipliers (0 = all equal)."
    )


class Segment(Section):
    """A group of viewers whose attributes are drawn from shared distributions."""

    name: str = Field("casual", pattern=NAME_PATTERN, description="Segment name, used in outputs.")
    share: float = Field(
        1.0, gt=0, le=1, description="Share of the population in this segment (shares sum to 1)."
    )
    topic_mix: dict[str, float] = Field(
        default_factory=dict,
        description="Relative weight of each topic in members' interests (empty: all topics equal).",
    )
    interest_concentration: float = Field(
        8.0,
        gt=0,
        description="Dirichlet concentration of members' interests around the mix (higher: more alike).",
    )
    intent: Beta = Field(
        default_factory=lambda: Beta(a=1.0, b=12.0),
        description="Readiness to buy in the brands' category, 0..1.",
    )
    activity: Gamma = Field(
        default_factory=lambda: Gamma(mean=6.0, shape=2.0),
        description="Sessions per day.",
    )
    session_length: Gamma = Field(
        default_factory=lambda: Gamma(mean=12.0, shape=4.0),
        description="Mean posts seen per session (each session draws Poisson around it).",
    )
    propensities: Propensities = Field(
        default_factory=Propensities, description="Tendencies to like, comment, share, save, follow."
    )
    susceptibility: Beta = Field(
        default_factory=lambda: Beta(a=2.0, b=2.0),
        description="Weight given to displayed like counts (social proof), 0..1.",
    )


def _default_segments() -> list[Segment]:
    return [
        Segment(
            name="casual",
            share=0.7,
            topic_mix={"comedy": 3, "dance": 2, "lifestyle": 2, "food": 2, "beauty": 1,
                       "fitness": 1, "tech": 0.5, "finance": 0.5},
            intent=Beta(a=1.0, b=12.0),
        ),
        Segment(
            name="niche_fans",
            share=0.2,
            topic_mix={"tech": 3, "finance": 3, "fitness": 2, "comedy": 1, "food": 1},
            intent=Beta(a=2.0, b=8.0),
            activity=Gamma(mean=5.0, shape=2.0),
        ),
        Segment(
            name="buyers",
            share=0.1,
            topic_mix={"beauty": 4, "lifestyle": 2, "fitness": 1, "comedy": 1},
            intent=Beta(a=4.0, b=4.0),
            activity=Gamma(mean=5.0, shape=2.0),
        ),
    ]


class Population(Section):
    """The viewers of the platform."""

    size: int = Field(20_000, ge=10, le=50_000_000, description="Number of viewers.")
    segments: list[Segment] = Field(
        default_factory=_default_segments, min_length=1, description="Viewer segments."
    )
    eager_agents_up_to: int = Field(
        200_000, ge=0, le=50_000_000,
        description="Platforms up to this size create every viewer's Mesa agent at the start; "
                    "larger ones create an agent when it is first asked for (model.viewer_agents).",
    )


# --- creators, brands and content ---------------------------------------------------


class Offer(Section):
    """What a brand sells: its price, who could want it, and how easy the profile makes buying."""

    price: float = Field(30.0, ge=0, description="Price of the product, in currency units.")
    relevance: dict[str, float] = Field(
        default_factory=dict,
        description="How much each segment could want the offer, 0..1 (segments not named: 0).",
    )
    profile_quality: float = Field(
        0.6, ge=0, le=1, description="Link in bio, clear offer, path to purchase, 0..1."
    )
    margin: float = Field(
        1.0, ge=0, le=1,
        description="Share of the price kept after the cost of goods (1: a sale counts whole).",
    )


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



# --- purchased engagement: bought likes and paid promotion (issue 7, part B) ----------


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


class Creator(Section):
    """A creator, or a group of `count` alike creators; with an `offer` it is a brand."""

    name: str = Field("creator", pattern=NAME_PATTERN, description="Name (numbered when count > 1).")
    count: int = Field(1, ge=1, le=100_000, description="Number of alike creators this entry makes.")
    topic_mix: dict[str, float] = Field(
        default_factory=dict, description="Relative weight of each topic in its posts (empty: all)."
    )
    topic_concentration: float = Field(
        20.0, gt=0, description="Dirichlet concentration of each post's topics around the mix."
    )
    strategy: dict[str, float] = Field(
        default_factory=lambda: {"entertainment": 1.0},
        description="Content strategy: relative weight of each post style.",
    )
    posting_rate: float = Field(2.0, ge=0, le=1000, description="Posts per day (Poisson).")
    initial_followers: float = Field(
        0.01, ge=0, le=1, description="Share of viewers following at the start, chosen by interest."
    )
    production_quality: Beta = Field(
        default_factory=lambda: Beta(a=5.0, b=3.0),
        description="Production quality of each post, 0..1.",
    )
    offer: Offer | None = Field(None, description="The brand's offer; absent for plain creators.")
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


def _default_creators() -> list[Creator]:
    return [
        Creator(name="comic", count=60, topic_mix={"comedy": 4, "dance": 1, "lifestyle": 1},
                strategy={"entertainment": 1.0}, posting_rate=3.0, initial_followers=0.01),
        Creator(name="dancer", count=30, topic_mix={"dance": 4, "comedy": 1},
                strategy={"entertainment": 1.0}, posting_rate=3.0, initial_followers=0.008),
        Creator(name="lifestyle", count=40, topic_mix={"lifestyle": 3, "food": 1, "beauty": 1},
                strategy={"entertainment": 0.6, "educational": 0.4}, posting_rate=2.0,
                initial_followers=0.006),
        Creator(name="foodie", count=25, topic_mix={"food": 4, "lifestyle": 1},
                strategy={"entertainment": 0.6, "educational": 0.4}, posting_rate=2.0,
                initial_followers=0.006),
        Creator(name="explainer", count=40, topic_mix={"tech": 2, "finance": 2, "fitness": 1},
                strategy={"educational": 0.8, "entertainment": 0.2}, posting_rate=2.0,
                initial_followers=0.005),
        Creator(name="coach", count=25, topic_mix={"fitness": 4, "food": 1},
                strategy={"educational": 0.5, "entertainment": 0.5}, posting_rate=2.0,
                initial_followers=0.005),
        Creator(name="beauty", count=25, topic_mix={"beauty": 4, "lifestyle": 1},
                strategy={"entertainment": 0.6, "educational": 0.4}, posting_rate=2.0,
                initial_followers=0.006),
        Creator(name="glow_skincare", topic_mix={"beauty": 3, "lifestyle": 1},
                strategy={"entertainment": 0.4, "educational": 0.35, "promotional": 0.25},
                posting_rate=6.0, initial_followers=0.01,
                offer=Offer(price=35.0, relevance={"buyers": 1.0, "casual": 0.05},
                            profile_quality=0.7)),
        Creator(name="ledger_app", topic_mix={"finance": 3, "tech": 1},
                strategy={"educational": 0.5, "promotional": 0.3, "entertainment": 0.2},
                posting_rate=4.0, initial_followers=0.005,
                offer=Offer(price=60.0, relevance={"niche_fans": 0.8, "buyers": 0.2},
                            profile_quality=0.5)),
    ]


class Style(Section):
    """A post style: the distributions its posts' attributes are drawn from."""

    entertainment: Beta = Field(default_factory=lambda: Beta(a=2, b=2),
                                description="Entertainment e, 0..1.")
    information: Beta = Field(default_factory=lambda: Beta(a=2, b=2),
                              description="Information i, 0..1.")
    call_to_action: Beta = Field(default_factory=lambda: Beta(a=2, b=2),
                                 description="Call to action k, 0..1.")
    trend_alignment: Beta = Field(default_factory=lambda: Beta(a=2, b=2),
                                  description="Alignment h with the trend it rides, 0..1.")
    trend_riding: float = Field(
        0.0, ge=0, le=1, description="Probability that a post rides a currently hot trend."
    )
    duration_s: Gamma = Field(default_factory=lambda: Gamma(mean=25.0, shape=4.0),
                              description="Video duration, seconds.")


def _default_styles() -> dict[str, Style]:
    # The MODEL.md table: entertainment/trend high e and h; educational high i;
    # promotional high k.
    return {
        "entertainment": Style(
            entertainment=Beta(a=8, b=2), information=Beta(a=1.5, b=8),
            call_to_action=Beta(a=1.2, b=10), trend_alignment=Beta(a=6, b=2.5),
            trend_riding=0.7, duration_s=Gamma(mean=18.0, shape=4.0)),
        "educational": Style(
            entertainment=Beta(a=3, b=5), information=Beta(a=8, b=2),
            call_to_action=Beta(a=4, b=5), trend_alignment=Beta(a=1.5, b=8),
            trend_riding=0.1, duration_s=Gamma(mean=40.0, shape=4.0)),
        "promotional": Style(
            entertainment=Beta(a=2, b=7), information=Beta(a=4, b=4),
            call_to_action=Beta(a=8, b=2), trend_alignment=Beta(a=1.2, b=10),
            trend_riding=0.05, duration_s=Gamma(mean=25.0, shape=4.0)),
    }


class Trend(Section):
    """A trend (sound, challenge, meme) whose heat rises, peaks and fades."""

    name: str = Field("trend", pattern=NAME_PATTERN, description="Trend name.")
    topic: str = Field("comedy", description="Topic the trend belongs to.")
    start_hour: float = Field(0.0, ge=0, description="Hour at which the trend starts rising.")
    rise_hours: float = Field(12.0, gt=0, description="Hours from start to peak (linear rise).")
    half_life_hours: float = Field(24.0, gt=0, description="Half-life of the fade after the peak.")
    peak_heat: float = Field(1.0, ge=0, le=10, description="Heat at the peak.")


def _default_trends() -> list[Trend]:
    return [
        Trend(name="mirror_dance", topic="dance", start_hour=6, rise_hours=18, half_life_hours=30),
        Trend(name="office_prank", topic="comedy", start_hour=60, rise_hours=12, half_life_hours=24),
        Trend(name="glass_skin", topic="beauty", start_hour=100, rise_hours=24, half_life_hours=36,
              peak_heat=0.8),
    ]


# --- social graph -------------------------------------------------------------------


class Network(Section):
    """The friendship graph along which shares travel (network.build_social_graph)."""

    generator: Literal["none", "erdos_renyi", "watts_strogatz", "barabasi_albert",
                       "powerlaw_cluster"] = Field(
        "watts_strogatz",
        description="Random-graph model of the friendships (Watts-Strogatz and Erdos-Renyi drawn "
                    "with numpy; the preferential-attachment models with networkx, slow above "
                    "about 200 000 viewers).",
    )
    mean_degree: float = Field(8.0, ge=0, le=1000, description="Mean number of friends.")
    rewire_probability: float = Field(
        0.1, ge=0, le=1, description="watts_strogatz: probability of rewiring each edge."
    )
    triangle_probability: float = Field(
        0.3, ge=0, le=1, description="powerlaw_cluster: probability of closing a triangle."
    )
    share_ttl_hours: float = Field(
        24.0, gt=0, description="Hours a shared post waits in a friend's inbox before expiring."
    )


# --- ranking ------------------------------------------------------------------------


class RankingWeights(Section):
    """Value of each predicted engagement in the For-You score (the leaked 'Algo 101' V terms)."""

    like: float = Field(1.0, ge=-100, le=100, description="Value of a predicted like.")
    comment: float = Field(2.0, ge=-100, le=100, description="Value of a predicted comment.")
    share: float = Field(4.0, ge=-100, le=100, description="Value of a predicted share.")
    save: float = Field(2.0, ge=-100, le=100, description="Value of a predicted save.")
    follow: float = Field(4.0, ge=-100, le=100, description="Value of a predicted follow.")
    playtime: float = Field(0.1, ge=-100, le=100,
                            description="Value of the expected share of the video watched.")
    view: float = Field(0.0, ge=-100, le=100, description="Value of a predicted view (Pplay).")
    profile_visit: float = Field(0.0, ge=-100, le=100,
                                 description="Value of a predicted profile visit.")
    lead: float = Field(0.0, ge=-1000, le=1000, description="Value of a predicted lead.")


class CandidateQuotas(Section):
    """Candidates drawn per viewer and step from each source, before scoring."""

    following: int = Field(8, ge=0, le=500, description="Posts of followed creators.")
    interest: int = Field(30, ge=0, le=500,
                          description="Posts on topics the platform thinks the viewer likes.")
    exploration: int = Field(8, ge=0, le=500,
                             description="New posts in their test pool (tier 0).")
    trending: int = Field(20, ge=0, le=500, description="Posts promoted to wide tiers.")
    shared: int = Field(4, ge=0, le=100, description="Posts friends shared with the viewer.")


class Tier(Section):
    """One stage of staged distribution (a traffic pool)."""

    budget: Annotated[int, Field(ge=1)] | Literal["unlimited"] = Field(
        300, description='Impressions in this tier before promotion is judged, or "unlimited".'
    )
    affinity_bar: float = Field(
        0.0, ge=0, le=1, description="Least estimated viewer-post affinity to be shown this post."
    )
    weight: float = Field(
        1.0, gt=0, description="Relative chance of a post in this tier to be drawn as a candidate."
    )
    promotion_percentile: float = Field(
        70.0, ge=0, le=100,
        description="A post moves up if its engagement score reaches this percentile of recent finishers.",
    )

    @property
    def budget_value(self) -> float:
        """The budget as a number (unlimited is infinity)."""
        return math.inf if self.budget == "unlimited" else float(self.budget)


def _default_tiers() -> list[Tier]:
    return [
        Tier(budget=300, affinity_bar=0.75, weight=1.0, promotion_percentile=85),
        Tier(budget=1_500, affinity_bar=0.6, weight=4.0, promotion_percentile=40),
        Tier(budget=8_000, affinity_bar=0.4, weight=40.0, promotion_percentile=50),
        Tier(budget=40_000, affinity_bar=0.2, weight=160.0, promotion_percentile=50),
        Tier(budget=200_000, affinity_bar=0.1, weight=400.0, promotion_percentile=50),
        Tier(budget="unlimited", affinity_bar=0.0, weight=800.0, promotion_percentile=50),
    ]


class Distribution(Section):
    """Staged distribution: tiers, promotion thresholds, decay of posts that fail."""

    tiers: list[Tier] = Field(default_factory=_default_tiers, min_length=1,
                              description="Traffic pools, from the test pool (tier 0) upward.")
    threshold_window: int = Field(
        200, ge=1, le=100_000, description="How many recent finishers of a tier set its threshold."
    )
    trending_min_tier: int = Field(
        2, ge=0, description="Lowest tier whose posts enter the trending candidate source."
    )
    failed_half_life_hours: float = Field(
        12.0, gt=0,
        description="Half-life of the eligibility of a post that failed promotion by a hair.",
    )
    failed_score_exponent: float = Field(
        10.0, ge=0, le=20,
        description="The half-life scales with (score / threshold) to this power: clear failures fade fast.",
    )


class Ranking(Section):
    """The ranking policy that builds each viewer's feed."""

    policy: Literal["foryou", "chronological", "random", "popularity"] = Field(
        "foryou", description="foryou (two-stage model) or a control policy."
    )
    weights: RankingWeights = Field(default_factory=RankingWeights,
                                    description="Values of predicted engagements in the score.")
    candidates: CandidateQuotas = Field(default_factory=CandidateQuotas,
                                        description="Candidate quotas per source.")
    temperature: float = Field(
        0.02, ge=0, le=100, description="Softmax temperature over scores (0 = greedy)."
    )
    same_author_penalty: float = Field(
        0.5, ge=0, le=1,
        description="Score multiplier for a second post of an author already in the feed.",
    )
    freshness_half_life_hours: float = Field(
        36.0, gt=0, description="Half-life of a post's score and candidate weight with age."
    )
    max_age_hours: float = Field(
        168.0, gt=0, description="Posts older than this are no longer recommended."
    )
    affinity_exponent: float = Field(
        2.0, ge=0, le=10, description="How strongly viewer-post affinity scales predictions."
    )
    prior_strength: float = Field(
        200.0, ge=0, description="Pseudo-views m in the smoothed rates (count + prior m)/(views + m)."
    )
    retrieval_rounds: int = Field(
        2, ge=0, le=10,
        description="Extra candidate draws for viewers whose feed the first draw cannot fill.",
    )
    max_feed_length: int = Field(
        48, ge=1, le=1000, description="Most posts one viewer sees in one step."
    )
    distribution: Distribution = Field(default_factory=Distribution,
                                       description="Staged distribution (traffic pools).")


# --- the platform's model of viewers ------------------------------------------------


class InterestSignal(Section):
    """How much each reaction tells the platform about a viewer's interests."""

    watch: float = Field(
        1.0, ge=0, description="Weight of watching past half: 0 at half the video, 1 when complete."
    )
    like: float = Field(1.0, ge=0, description="Weight of a like.")
    comment: float = Field(1.0, ge=0, description="Weight of a comment.")
    share: float = Field(2.0, ge=0, description="Weight of a share.")
    save: float = Field(2.0, ge=0, description="Weight of a save.")
    follow: float = Field(2.0, ge=0, description="Weight of a follow.")


class Platform(Section):
    """What the platform knows about viewers and how it learns."""

    initial_knowledge: float = Field(
        0.7, ge=0, le=1,
        description="How much of viewers' true interests the platform knows at the start, 0..1.",
    )
    learning_rate: float = Field(
        0.005, ge=0, le=10, description="Weight of one unit of signal in the interest estimate."
    )
    signal: InterestSignal = Field(default_factory=InterestSignal,
                                   description="Reactions that teach the platform.")


# --- the reaction funnel ------------------------------------------------------------


class Appeal(Section):
    """How much a post appeals to a viewer (the driver of watching and liking)."""

    interest_match: float = Field(1.5, description="Weight of the viewer-post topic match (0..1).")
    entertainment: float = Field(3.0, description="Weight of the post's entertainment e.")
    entertainment_taste: float = Field(
        0.0, ge=0, le=1,
        description="How much entertainment depends on the viewer's tastes: its weight is "
                    "scaled by (1 - t) + t x interest match (0: a post entertains everyone alike).")
    quality: float = Field(0.5, description="Weight of production quality.")
    information_intent: float = Field(0.5, description="Weight of information x viewer intent.")
    trend_heat: float = Field(1.5, description="Weight of the trend's heat x alignment h.")
    noise_sd: float = Field(0.5, ge=0, description="Standard deviation of per-impression noise.")


class ViewCoefficients(Section):
    """Log-odds that an impression is watched rather than swiped past."""

    intercept: float = Field(-1.0, description="Log-odds at zero appeal.")
    appeal: float = Field(0.8, description="Per unit of appeal.")
    social_proof: float = Field(
        0.0, description="Per unit of susceptibility x log(1 + displayed likes): like counts "
                         "drawing viewers into a post (0: the choice to watch ignores them)."
    )


class Attention(Section):
    """Attention over feed slots: the chance of watching a post is scaled by attention(slot).

    attention(s) = floor + (1 - floor) x 2^(-s / half_life_slots), s = 0 for the first post of
    the step's feed; or, when ``by_slot`` is given, its values (the last one for later slots).
    """

    floor: float = Field(
        0.8, ge=0, le=1,
        description="Attention far down the feed, relative to the first slot (1: position "
                    "does not matter).")
    half_life_slots: float = Field(
        12.0, gt=0, le=10_000,
        description="Slots after which attention has lost half of the way to the floor.")
    by_slot: list[Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=list,
        description="Attention per slot from the first, each 0..1, the last repeated for later "
                    "slots (empty: the decay above).")


class CompletionCoefficients(Section):
    """Log-odds that a watched video is watched to the end."""

    intercept: float = Field(-1.4, description="Log-odds at zero appeal.")
    appeal: float = Field(0.7, description="Per unit of appeal.")
    duration: float = Field(-0.4, description="Per 10 seconds of video.")


class LikeCoefficients(Section):
    """Log-odds of a like, given a view."""

    intercept: float = Field(-7.4, description="Log-odds at zero appeal.")
    appeal: float = Field(0.9, description="Per unit of appeal.")
    social_proof: float = Field(
        0.1, description="Per unit of susceptibility x log(1 + displayed likes)."
    )
    completion: float = Field(0.5, description="If the video was watched to the end.")


class CommentCoefficients(Section):
    """Log-odds of a comment, given a view."""

    intercept: float = Field(-8.5, description="Log-odds at zero appeal.")
    appeal: float = Field(0.6, description="Per unit of appeal.")
    information_intent: float = Field(2.0, description="Per unit of information x intent.")


class ShareCoefficients(Section):
    """Log-odds of a share, given a view."""

    intercept: float = Field(-8.55, description="Log-odds of a post with no entertainment.")
    appeal: float = Field(0.4, description="Per unit of appeal.")
    entertainment: float = Field(1.5, description="Per unit of entertainment e.")
    trend_heat: float = Field(1.0, description="Per unit of trend heat x alignment h.")


class SaveCoefficients(Section):
    """Log-odds of a save, given a view."""

    intercept: float = Field(-6.5, description="Log-odds of a post with no information.")
    information_intent: float = Field(3.0, description="Per unit of information x intent.")
    information: float = Field(0.8, description="Per unit of information i.")


class ProfileVisitCoefficients(Section):
    """Log-odds of a visit to the creator's profile, given a view."""

    intercept: float = Field(-7.05, description="Log-odds with no call to action.")
    call_to_action: float = Field(2.0, description="Per unit of call to action k.")
    intent_relevance: float = Field(3.0, description="Per unit of intent x relevance.")
    familiarity: float = Field(0.3, description="Per unit of log(1 + familiarity).")
    appeal: float = Field(0.4, description="Per unit of appeal.")
    like: float = Field(
        0.0, description="If the viewer liked the post (0: visits do not follow likes, the "
                         "separation of likes and leads that the model keeps by default).")
    like_call_to_action: float = Field(
        0.0, description="If the viewer liked the post, per unit of call to action: a call to "
                         "action turning likers into profile visitors (off by default).")


class FollowCoefficients(Section):
    """Log-odds of following the creator, given a view (not already following)."""

    intercept: float = Field(-9.6, description="Log-odds at zero appeal.")
    appeal: float = Field(0.8, description="Per unit of appeal.")
    consistency: float = Field(1.5, description="Per unit of the creator's topical consistency.")
    profile_visit: float = Field(2.5, description="If the viewer visited the profile.")
    like: float = Field(1.0, description="If the viewer liked the post.")


class LinkClickCoefficients(Section):
    """Log-odds of clicking the link in bio, given a profile visit (brands only)."""

    intercept: float = Field(-3.5, description="Log-odds with an empty profile.")
    profile_quality: float = Field(3.0, description="Per unit of profile quality.")
    intent_relevance: float = Field(3.0, description="Per unit of intent x relevance.")
    familiarity: float = Field(0.3, description="Per unit of log(1 + familiarity).")


class LeadCoefficients(Section):
    """Log-odds of becoming a lead (sign-up, enquiry, add to cart), given a link click."""

    intercept: float = Field(-2.5, description="Log-odds at zero intent.")
    intent_relevance: float = Field(4.0, description="Per unit of intent x relevance.")
    familiarity: float = Field(0.3, description="Per unit of log(1 + familiarity).")


class PurchaseCoefficients(Section):
    """Log-odds of a purchase, given a lead."""

    intercept: float = Field(-1.5, description="Log-odds at zero intent and reference price.")
    intent_relevance: float = Field(3.0, description="Per unit of intent x relevance.")
    familiarity: float = Field(0.3, description="Per unit of log(1 + familiarity) (trust).")
    price: float = Field(-0.5, description="Per unit of log(price / reference price).")


class Funnel(Section):
    """The reaction funnel: each event a Bernoulli draw with log-odds linear in its drivers."""

    appeal: Appeal = Field(default_factory=Appeal, description="The appeal of a post to a viewer.")
    view: ViewCoefficients = Field(default_factory=ViewCoefficients, description="Watch or swipe.")
    completion: CompletionCoefficients = Field(default_factory=CompletionCoefficients,
                                               description="Watched to the end.")
    like: LikeCoefficients = Field(default_factory=LikeCoefficients, description="Like.")
    comment: CommentCoefficients = Field(default_factory=CommentCoefficients,
                                         description="Comment.")
    share: ShareCoefficients = Field(default_factory=ShareCoefficients, description="Share.")
    save: SaveCoefficients = Field(default_factory=SaveCoefficients, description="Save.")
    profile_visit: ProfileVisitCoefficients = Field(default_factory=ProfileVisitCoefficients,
                                                    description="Profile visit.")
    follow: FollowCoefficients = Field(default_factory=FollowCoefficients, description="Follow.")
    link_click: LinkClickCoefficients = Field(default_factory=LinkClickCoefficients,
                                              description="Link click.")
    lead: LeadCoefficients = Field(default_factory=LeadCoefficients, description="Lead.")
    purchase: PurchaseCoefficients = Field(default_factory=PurchaseCoefficients,
                                           description="Purchase.")
    intent_comment_threshold: float = Field(
        0.5, ge=0, le=1, description="A comment from a viewer with at least this intent is an intent comment."
    )
    familiarity_half_life_hours: float = Field(
        72.0, gt=0, description="Half-life of a viewer's familiarity with a creator."
    )
    reference_price: float = Field(30.0, gt=0, description="Price at which the price term is zero.")
    attention: Attention = Field(default_factory=Attention,
                                 description="Attention over feed slots (scales the chance of watching).")
    show_like_counts: bool = Field(
        True, description="Whether viewers see like counts (false: social proof has nothing to "
                          "read; the platform still counts likes and ranks by them).")
    social_proof_reference: Literal["absolute", "feed"] = Field(
        "absolute", description="What a like count is read against: absolute (log(1 + likes) "
                                "as shown) or feed (minus the mean log(1 + likes) of the posts in "
                                "the viewer's feed this step: which post is more popular).")


# --- money and goals ----------------------------------------------------------------

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


# --- a fixed catalog ----------------------------------------------------------------


class CatalogPost(Section):
    """One post of a fixed catalog, with its attributes given rather than drawn."""

    name: str = Field("post", pattern=NAME_PATTERN, description="Name of the post, used in outputs.")
    creator: str = Field("creator", description="Its creator, by its name in the outputs "
                                                "(entries with count > 1 are numbered: band-3).")
    style: str = Field("entertainment", description="Its style (for measures by style).")
    topic_mix: dict[str, float] = Field(
        default_factory=dict, description="Relative weight of each topic (empty: all topics equal).")
    quality: float = Field(
        0.5, ge=0, le=1,
        description="Intrinsic quality, 0..1 (the post's production quality: it enters appeal "
                    "with weight funnel.appeal.quality).")
    entertainment: float = Field(0.5, ge=0, le=1, description="Entertainment e, 0..1.")
    information: float = Field(0.0, ge=0, le=1, description="Information i, 0..1.")
    call_to_action: float = Field(0.0, ge=0, le=1, description="Call to action k, 0..1.")
    duration_s: float = Field(30.0, gt=0, le=36_000, description="Duration, seconds.")


class Catalog(Section):
    """A fixed catalog (as in Salganik et al.'s MusicLab): these posts only, no new ones, and
    each viewer visits once, seeing the whole catalog in the order of the ranking policy."""

    posts: list[CatalogPost] = Field(default_factory=lambda: [CatalogPost()], min_length=1,
                                     description="The posts of the catalog.")


# --- measures -----------------------------------------------------------------------


class Metrics(Section):
    """Settings of the measures in summary.json."""

    target_relevance: float = Field(
        0.5, ge=0, le=1,
        description="A segment is a brand's target if its relevance is at least this.",
    )
    reach_bins: list[int] = Field(
        default_factory=lambda: [0, 100, 300, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000],
        min_length=2,
        description="Lower edges of the cumulative-reach bins of the dilution curve (impressions).",
    )


# --- the scenario -------------------------------------------------------------------


def _default_topics() -> list[str]:
    return ["comedy", "dance", "lifestyle", "beauty", "fitness", "food", "tech", "finance"]


class Scenario(Section):
    """A complete description of one simulated platform and its run."""

    name: str = Field("default", description="Name of the scenario, copied to the outputs.")
    description: str = Field("", description="Free text: what this scenario is for.")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Root seed of numpy's SeedSequence.")
    steps: int = Field(168, ge=1, le=1_000_000, description="Number of steps to run.")
    step_hours: float = Field(1.0, gt=0, le=24, description="Hours of platform time per step.")
    backlog_hours: float = Field(
        24.0, ge=0, le=10_000,
        description="Hours of posts published before the run starts (the platform is not empty).",
    )
    topics: list[str] = Field(default_factory=_default_topics, min_length=1,
                              description="Content topics.")
    population: Population = Field(default_factory=Population, description="The viewers.")
    creators: list[Creator] = Field(default_factory=_default_creators, min_length=1,
                                    description="Creators and brands (a brand has an offer).")
    styles: dict[str, Style] = Field(default_factory=_default_styles,
                                     description="Post styles, by name.")
    trends: list[Trend] = Field(default_factory=_default_trends, description="Trends.")
    network: Network = Field(default_factory=Network, description="The friendship graph.")
    ranking: Ranking = Field(default_factory=Ranking, description="The ranking policy.")
    platform: Platform = Field(default_factory=Platform,
                               description="The platform's learned model of viewers.")
    funnel: Funnel = Field(default_factory=Funnel, description="The reaction funnel.")
    metrics: Metrics = Field(default_factory=Metrics, description="Settings of the measures.")
    money: Money = Field(default_factory=Money,
                         description="Revenue channels, goals and benchmarks (all off by default).")
    catalog: Catalog | None = Field(
        None, description="A fixed catalog of posts visited once by each viewer; absent: "
                          "creators publish and viewers come and go.")
    detection: Detection = Field(default_factory=Detection,
                                 description="The platform's detector of bought likes (off by default).")


# --- cross-references ---------------------------------------------------------------


def check_references(scenario: Scenario) -> list[tuple[str, str]]:
    """Check what one field cannot check alone; returns (field path, problem) pairs."""
    problems: list[tuple[str, str]] = []

    def unknown(path: str, name: str, known: list[str], what: str) -> None:
        close = get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append((path, f"unknown {what} {name!r}{hint}; known: {', '.join(known)}"))

    def check_unique(path: str, names: list[str], what: str) -> None:
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name in seen:
                problems.append((f"{path}[{index}].name", f"duplicate {what} name {name!r}"))
            seen.add(name)

    def check_weights(path: str, weights: dict[str, float], known: list[str], what: str) -> None:
        for key, value in weights.items():
            if key not in known:
                unknown(f"{path}.{key}", key, known, what)
            elif not value >= 0:
                problems.append((f"{path}.{key}", f"must be >= 0, got {value}"))
        if weights and sum(weights.values()) <= 0:
            problems.append((path, "weights must not all be zero"))

    topics = scenario.topics
    for index, topic in enumerate(topics):
        if not re.match(NAME_PATTERN, topic):
            problems.append((f"topics[{index}]", f"{topic!r} is not a valid name ({NAME_PATTERN})"))
    if len(set(topics)) != len(topics):
        problems.append(("topics", "topic names must be unique"))

    segments = scenario.population.segments
    segment_names = [segment.name for segment in segments]
    check_unique("population.segments", segment_names, "segment")
    total_share = sum(segment.share for segment in segments)
    if abs(total_share - 1.0) > 1e-6:
        problems.append(("population.segments",
                         f"segment shares sum to {total_share:g}; they must sum to 1"))
    for index, segment in enumerate(segments):
        check_weights(f"population.segments[{index}].topic_mix", segment.topic_mix, topics,
                      "topic")

    style_names = list(scenario.styles)
    for name in style_names:
        if not re.match(NAME_PATTERN, name):
            problems.append((f"styles.{name}", f"{name!r} is not a valid style name"))
    check_unique("creators", [creator.name for creator in scenario.creators], "creator")
    for index, creator in enumerate(scenario.creators):
        path = f"creators[{index}]"
        check_weights(f"{path}.topic_mix", creator.topic_mix, topics, "topic")
        if not creator.strategy:
            problems.append((f"{path}.strategy", "a strategy needs at least one style"))
        check_weights(f"{path}.strategy", creator.strategy, style_names, "style")
        problems += check_levers(scenario, index)
        if creator.offer is not None:
            for key, value in creator.offer.relevance.items():
                if key not in segment_names:
                    unknown(f"{path}.offer.relevance.{key}", key, segment_names, "segment")
                elif not 0 <= value <= 1:
                    problems.append((f"{path}.offer.relevance.{key}",
                                     f"relevance must be between 0 and 1, got {value}"))

    for index, trend in enumerate(scenario.trends):
        if trend.topic not in topics:
            unknown(f"trends[{index}].topic", trend.topic, topics, "topic")
    check_unique("trends", [trend.name for trend in scenario.trends], "trend")

    tiers = scenario.ranking.distribution.tiers
    for index, tier in enumerate(tiers[:-1]):
        if tier.budget == "unlimited":
            problems.append((f"ranking.distribution.tiers[{index}].budget",
                             "only the last tier may be unlimited"))
    if scenario.ranking.distribution.trending_min_tier >= len(tiers):
        problems.append(("ranking.distribution.trending_min_tier",
                         f"must be below the number of tiers ({len(tiers)})"))
    problems += check_money(scenario)
    problems += check_catalog(scenario)
    problems += check_purchases(scenario)
    bins = scenario.metrics.reach_bins
    if bins[0] != 0 or any(later <= earlier for earlier, later in itertools.pairwise(bins)):
        problems.append(("metrics.reach_bins", "must start at 0 and increase strictly"))
    return problems


def creator_names(scenario: Scenario) -> list[str]:
    """Every creator's name as in the outputs: entries with count > 1 are numbered (comic-3)."""
    return [entry.name if entry.count == 1 else f"{entry.name}-{number + 1}"
            for entry in scenario.creators for number in range(entry.count)]


def check_money(scenario: Scenario) -> list[tuple[str, str]]:
    """Goals name existing creators; benchmark bands are ordered and their ranges make sense."""
    problems: list[tuple[str, str]] = []
    money = scenario.money
    if money.goals:
        names = creator_names(scenario)
        known = set(names)
        for index, goal in enumerate(money.goals):
            if goal.creator not in known:
                close = get_close_matches(goal.creator, names, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append((f"money.goals[{index}].creator",
                                 f"unknown creator {goal.creator!r}{hint}; creators with "
                                 "count > 1 are numbered (name-1, name-2, ...)"))
    for channel in ("creator_fund", "brand_deals"):
        pricing = getattr(money, channel).engagement
        if pricing.floor > pricing.cap:
            problems.append((f"money.{channel}.engagement.floor",
                             f"must be at most cap ({pricing.cap:g}), got {pricing.floor:g}"))
    seen: set[str] = set()
    for index, goal in enumerate(money.goals):
        if goal.name in seen:
            problems.append((f"money.goals[{index}].name", f"duplicate goal name {goal.name!r}"))
        seen.add(goal.name)
    seen = set()
    for index, benchmark in enumerate(money.benchmarks):
        path = f"money.benchmarks[{index}]"
        if benchmark.name in seen:
            problems.append((f"{path}.name", f"duplicate benchmark name {benchmark.name!r}"))
        seen.add(benchmark.name)
        previous = -math.inf
        for number, band in enumerate(benchmark.bands):
            where = f"{path}.bands[{number}]"
            if band.lower <= previous:
                problems.append((f"{where}.lower", "bands must be in increasing order of lower"))
            previous = band.lower
            if band.upper is not None and band.upper <= band.lower:
                problems.append((f"{where}.upper", f"must be above lower ({band.lower:g})"))
            if band.high < band.low:
                problems.append((f"{where}.high", f"must be at least low ({band.low:g})"))
    return problems


def check_levers(scenario: Scenario, index: int) -> list[tuple[str, str]]:
    """A creator's collaboration names a creator; its funnel's and learner's styles exist."""
    problems: list[tuple[str, str]] = []
    creator, path = scenario.creators[index], f"creators[{index}]"
    styles = list(scenario.styles)
    if creator.collaboration is not None:
        names = creator_names(scenario)
        partner = creator.collaboration.partner
        if partner not in names:
            close = get_close_matches(partner, names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append((f"{path}.collaboration.partner",
                             f"unknown creator {partner!r}{hint}; creators with count > 1 are "
                             "numbered (name-1, name-2, ...)"))
        elif creator.count == 1 and partner == creator.name:
            problems.append((f"{path}.collaboration.partner", "a creator cannot partner itself"))
    if creator.hashtag is not None and creator.hashtag.topic not in scenario.topics:
        topics = scenario.topics
        close = get_close_matches(creator.hashtag.topic, topics, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append((f"{path}.hashtag.topic", f"unknown topic {creator.hashtag.topic!r}{hint}; "
                                                  f"known: {', '.join(topics)}"))
    lists = []
    if creator.content_funnel is not None:
        lists.append(("content_funnel.stages", creator.content_funnel.stages))
    if creator.learning is not None:
        lists.append(("learning.styles", creator.learning.styles))
    for field, names in lists:
        for number, style in enumerate(names):
            if style not in styles:
                close = get_close_matches(style, styles, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append((f"{path}.{field}[{number}]",
                                 f"unknown style {style!r}{hint}; known: {', '.join(styles)}"))
        if len(set(names)) != len(names):
            problems.append((f"{path}.{field}", "styles must not repeat"))
    return problems


CATALOG_POLICIES = ("random", "popularity")
"""Ranking policies that can order a fixed catalog."""


def check_catalog(scenario: Scenario) -> list[tuple[str, str]]:
    """A catalog's posts name existing creators, styles and topics, have unique names, fit in
    one visit's feed, and are ordered by a policy that can order a catalog."""
    catalog = scenario.catalog
    if catalog is None:
        return []
    problems: list[tuple[str, str]] = []
    creators, styles, topics = creator_names(scenario), list(scenario.styles), scenario.topics
    seen: set[str] = set()
    for index, post in enumerate(catalog.posts):
        path = f"catalog.posts[{index}]"
        if post.name in seen:
            problems.append((f"{path}.name", f"duplicate post name {post.name!r}"))
        seen.add(post.name)
        for field, name, known, what in (("creator", post.creator, creators, "creator"),
                                         ("style", post.style, styles, "style")):
            if name not in known:
                close = get_close_matches(name, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                numbered = ("; creators with count > 1 are numbered (name-1, name-2, ...)"
                            if what == "creator" else f"; known: {', '.join(known)}")
                problems.append((f"{path}.{field}", f"unknown {what} {name!r}{hint}{numbered}"))
        for key, value in post.topic_mix.items():
            if key not in topics:
                close = get_close_matches(key, topics, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append((f"{path}.topic_mix.{key}",
                                 f"unknown topic {key!r}{hint}; known: {', '.join(topics)}"))
            elif not value >= 0:
                problems.append((f"{path}.topic_mix.{key}", f"must be >= 0, got {value}"))
        if post.topic_mix and sum(post.topic_mix.values()) <= 0:
            problems.append((f"{path}.topic_mix", "weights must not all be zero"))
    if len(catalog.posts) > scenario.ranking.max_feed_length:
        problems.append(("catalog.posts",
                         f"{len(catalog.posts)} posts do not fit in one visit: a visit shows the "
                         f"whole catalog, so ranking.max_feed_length "
                         f"({scenario.ranking.max_feed_length}) must be at least "
                         f"{len(catalog.posts)}"))
    if scenario.ranking.policy not in CATALOG_POLICIES:
        problems.append(("ranking.policy",
                         f"a catalog is ordered by {' or '.join(CATALOG_POLICIES)}, not "
                         f"{scenario.ranking.policy!r}"))
    return problems


def check_purchases(scenario: Scenario) -> list[tuple[str, str]]:
    """Bought likes have a budget within their bots; promotions name existing segments and
    styles; hours are in order; the detector uses at least one signal."""
    problems: list[tuple[str, str]] = []
    segments = [segment.name for segment in scenario.population.segments]
    styles = list(scenario.styles)

    def names(path: str, given: list[str], known: list[str], what: str) -> None:
        for number, name in enumerate(given):
            if name not in known:
                close = get_close_matches(name, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append((f"{path}[{number}]", f"unknown {what} {name!r}{hint}; "
                                                      f"known: {', '.join(known)}"))
        if len(set(given)) != len(given):
            problems.append((path, f"{what}s must not repeat"))

    for index, creator in enumerate(scenario.creators):
        bought, promotion = creator.bought_likes, creator.promotion
        if bought is not None:
            path = f"creators[{index}].bought_likes"
            if bought.per_post == 0 and bought.per_day == 0:
                problems.append((f"{path}.per_post", "per_post and per_day are both 0: the "
                                                     "order buys nothing"))
            if bought.per_post > bought.bots:
                problems.append((f"{path}.per_post", f"must be at most bots ({bought.bots}): "
                                                     f"a bot likes a post once, got {bought.per_post}"))
            if bought.end_hour is not None and bought.end_hour <= bought.start_hour:
                problems.append((f"{path}.end_hour",
                                 f"must be after start_hour ({bought.start_hour:g})"))
        if promotion is not None:
            path = f"creators[{index}].promotion"
            names(f"{path}.segments", promotion.segments, segments, "segment")
            names(f"{path}.styles", promotion.styles, styles, "style")
            if promotion.end_hour is not None and promotion.end_hour <= promotion.start_hour:
                problems.append((f"{path}.end_hour",
                                 f"must be after start_hour ({promotion.start_hour:g})"))
    detection = scenario.detection
    if detection.enabled and not (detection.like_rate or detection.likes_per_engagement
                                  or detection.likes_per_follower):
        problems.append(("detection.like_rate", "the detector is enabled but every signal is 0 "
                                                "(like_rate, likes_per_engagement, likes_per_follower)"))
    return problems
