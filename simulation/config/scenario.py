"""The scenario: every section together, and the checks that span sections.
"""

from __future__ import annotations

import itertools
import math
import re
from difflib import get_close_matches

from pydantic import Field

from simulation.config.base import NAME_PATTERN, Section
from simulation.config.content import Style, Trend, _default_styles, _default_trends
from simulation.config.creators import Creator, _default_creators
from simulation.config.funnel import Funnel
from simulation.config.levers import ScenarioLevers
from simulation.config.network import Network
from simulation.config.population import Population
from simulation.config.ranking import MAX_BUDGET_PER_VIEWER, Platform, Ranking


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


def _default_topics() -> list[str]:
    return ["comedy", "dance", "lifestyle", "beauty", "fitness", "food", "tech", "finance"]


class ScenarioSettings(Section):
    """The platform and its run: size, length, topics, viewers, creators, ranking, funnel."""

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


class Scenario(ScenarioLevers, ScenarioSettings):
    """A complete description of one simulated platform and its run.

    Its fields are the platform's settings, then the platform-wide levers' sections
    (``config/levers.py``).
    """


# --- checks that span sections ------------------------------------------------------


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

    distribution = scenario.ranking.distribution
    tiers = distribution.tiers
    for index, tier in enumerate(tiers):
        if tier.budget == "unlimited":
            if index < len(tiers) - 1:
                problems.append((f"ranking.distribution.tiers[{index}].budget",
                                 "only the last tier may be unlimited"))
        elif distribution.budget_unit == "per_viewer" and tier.budget > MAX_BUDGET_PER_VIEWER:
            problems.append((f"ranking.distribution.tiers[{index}].budget",
                             f"{tier.budget:g} is read as impressions per viewer on the platform "
                             f"(0.0075 on 20 000 viewers is 150 impressions), more than "
                             f"{MAX_BUDGET_PER_VIEWER:g}; for a budget in impressions whatever the "
                             f'size, set ranking.distribution.budget_unit = "impressions"'))
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


def creator_names(scenario: Scenario) -> list[str]:
    """Every creator's name as in the outputs: entries with count > 1 are numbered (comic-3)."""
    return [entry.name if entry.count == 1 else f"{entry.name}-{number + 1}"
            for entry in scenario.creators for number in range(entry.count)]
