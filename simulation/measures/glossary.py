"""The glossary of ``summary.json``: every measure's label, unit, kind and format.

A measure is a numeric leaf of a summary, named by its dotted path (``totals.leads``,
``brands.ledger_app.likes_leads_spearman``). :func:`describe` gives its :class:`Measure`:
a label for people, its unit, its kind and how to print it. Tables, figures, reports and
the ``measures`` table of ``aggregate.csv`` take them from here, and the kind decides the
interval across runs (``intervals.py``): a count's never goes below zero, a share's stays
in [0, 1], a correlation's in [-1, 1].

Paths are matched against patterns, in which ``{name}`` stands for one key of the summary
(a brand, a segment, a creator):

- a pattern ending in ``.{term}`` is a *group*: its label says whose measures they are
  (``brands.{brand}.by_style.{style}.{term}`` -> "{brand}, {style} posts"), and the last
  key is a *term* of :data:`TERMS` or :data:`RULES` (``leads``, ``*_per_1k_*``, ``*_share``);
- any other pattern names one measure and gives its (label, unit, kind) itself.

Levers declare their own measures in their module (:attr:`Lever.measures
<simulation.levers.base.Lever.measures>`, in the same form), so that a new lever touches
only its module; :func:`patterns` reads them from the registered levers. A summary measure
that matches nothing is unknown: :func:`describe` raises :class:`UnknownMeasureError`, and
``tests/contract/test_glossary.py`` runs every shipped scenario's summary through it.
``seed`` is not a measure (:data:`NOT_MEASURES`).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from simulation.levers.base import LEVERS
from simulation.measures.intervals import CORRELATION, POSITIVE, UNBOUNDED, UNIT, Range

Kind = Literal["count", "rate", "share", "index", "correlation", "money", "ratio", "signed",
               "setting", "time"]

KIND_RANGES: dict[str, Range] = {
    "count": POSITIVE,        # events, posts, people: never negative
    "rate": UNIT,             # events per opportunity (likes per view): a proportion
    "share": UNIT,            # part of a whole (target share, top 20% share, overlap)
    "index": UNIT,            # a coefficient in [0, 1] (Gini)
    "correlation": CORRELATION,
    "money": POSITIVE,        # revenue, spend, prices
    "ratio": POSITIVE,        # one count per another (leads per 1 000 impressions)
    "signed": UNBOUNDED,      # may be negative (follower gain, a score)
    "setting": UNBOUNDED,     # fixed by the scenario (steps, budget): equal across runs
    "time": POSITIVE,         # hours or steps since the start
}
"""What each kind of measure can be; the interval across runs stays inside it."""

Format = Literal["thousands", "percent", "decimal", "signed", "money", "number"]

KIND_FORMATS: dict[str, Format] = {
    "count": "thousands", "rate": "percent", "share": "percent", "index": "decimal",
    "correlation": "signed", "money": "money", "ratio": "number", "signed": "number",
    "setting": "number", "time": "number",
}

NOT_MEASURES = frozenset({"seed"})
"""Numeric keys of a summary that are not measures (the run's seed)."""

Term = tuple[str, str, str]
"""(label, unit, kind) of a measure."""

ENGAGEMENTS_PER_VIEW_MAX = 3.0
"""Likes, comments and shares per view: each at most one per view, so at most 3 together."""

EVENT_LABELS = {
    "impressions": "impressions", "views": "views", "likes": "likes", "comments": "comments",
    "shares": "shares", "saves": "saves", "follows": "follows",
    "profile_visits": "profile visits", "link_clicks": "link clicks", "leads": "leads",
    "purchases": "purchases", "completions": "completions (watched to the end)",
    "intent_comments": "comments asking how to buy",
}

_RATE_UNIT = "share of views"

TERMS: dict[str, Term] = {
    **{event: (label, event.replace("_", " "), "count") for event, label in EVENT_LABELS.items()},
    "posts": ("posts", "posts", "count"),
    "creators": ("creators", "creators", "count"),
    "viewers": ("viewers", "viewers", "count"),
    "posts_reached": ("posts that reached the tier", "posts", "count"),
    "revenue": ("revenue", "money", "money"),
    "followers_start": ("followers at the start", "followers", "count"),
    "followers_end": ("followers at the end", "followers", "count"),
    "follower_gain": ("follower gain", "followers", "signed"),
    "follower_growth": ("follower growth (gain / followers at the start)", "ratio", "signed"),
    "like_to_follower_ratio": ("likes per follower", "likes per follower", "ratio"),
    "engagement_rate_by_views": ("engagement rate by views (likes + comments + shares per view)",
                                 "engagements per view", "rate"),
    "view_rate": ("views per impression", "share of impressions", "rate"),
    "completion_rate": ("completions per view", _RATE_UNIT, "rate"),
    "target_share": ("target share (impressions to the offer's segments)", "share of impressions",
                     "share"),
    "likes_leads_spearman": ("Spearman ρ of likes and leads across its posts", "ρ",
                             "correlation"),
    "top10_likes_leads_jaccard": ("overlap of its top 10% of posts by likes and by leads",
                                  "Jaccard index", "share"),
    "views_gini": ("Gini of views across posts", "Gini coefficient", "index"),
    "likes_gini": ("Gini of likes across posts", "Gini coefficient", "index"),
    "max_views_per_post": ("most views of a post", "views", "count"),
    "median_views_per_post": ("median views per post", "views", "count"),
    "threshold": ("engagement bar to enter the tier", "predicted engagement", "signed"),
    "reach_from": ("reach bin start", "impressions", "count"),
    "reach_to": ("reach bin end", "impressions", "count"),
}
"""Terms by name: the last key of a measure in a group."""

RULES: tuple[tuple[str, str, str, str], ...] = (
    (r"(?P<a>[a-z_]+?)_per_1k_(?P<b>[a-z_]+)", "{a} per 1 000 {b}", "{a} per 1 000 {b}", "ratio"),
    (r"(?P<a>[a-z_]+?)_per_(?P<b>[a-z_]+)", "{a} per {b}", "{a} per {b}", "ratio"),
    (r"(?P<a>[a-z_]+)_rate", "{a}s per view", _RATE_UNIT, "rate"),
    (r"top(?P<n>\d+)_(?P<a>[a-z]+)_share", "share of {a}s held by the top {n}% of posts",
     "share of {a}s", "share"),
    (r"(?P<a>impression|view|like|lead|purchase)_share", "share of all {a}s", "share of {a}s",
     "share"),
    (r"(?P<a>[a-z_]+)_share", "share of {a}", "share", "share"),
)
"""Terms by form, tried in order when a name is not in :data:`TERMS`: (pattern, label, unit,
kind); the label and unit take the pattern's groups with '_' read as a space."""

STEPS = "{step}"  # a funnel step: view, profile_visit, link_click, lead, purchase

PATTERNS: dict[str, str | Term] = {
    "posts": ("posts published", "posts", "count"),
    "creators": ("creators", "creators", "count"),
    "viewers": ("viewers", "viewers", "count"),
    "steps": ("steps run", "steps", "setting"),
    "hours": ("hours of platform time", "hours", "setting"),
    "totals.{term}": "",
    "rates.{term}": "",
    "inequality.{term}": "",
    "followers.start": ("followers of all creators at the start", "followers", "count"),
    "followers.end": ("followers of all creators at the end", "followers", "count"),
    "segments.{segment}.{term}": "segment {segment}",
    "styles.{style}.{term}": "{style} posts",
    "sources.{source}.{term}": "impressions from the {source} source",
    "tiers.{tier}.{term}": "tier {tier}",
    "brands.{brand}.{term}": "{brand}",
    "brands.{brand}.by_style.{style}.{term}": "{brand}, {style} posts",
    "brands.{brand}.by_tier.{tier}.{term}": "{brand}, tier {tier}",
    "brands.{brand}.by_reach.{reach}.{term}": "{brand}, reach from {reach} impressions",
    "brands.{brand}.by_call_to_action.{value}.{term}": "{brand}, call to action {value}",
    "brands.{brand}.by_call_to_action.{value}.conversion.{step}": (
        "{brand}, call to action {value}: share of the step before that went on to {step}",
        "share", "share"),
    "brands.{brand}.by_call_to_action.{value}.drop.{step}": (
        "{brand}, call to action {value}: share of the step before lost before {step}",
        "share", "share"),
    "brands.{brand}.funnel_steps.conversion.{step}": (
        "{brand}: share of the step before that went on to {step}", "share", "share"),
    "brands.{brand}.funnel_steps.drop.{step}": (
        "{brand}: share of the step before lost before {step}", "share", "share"),
    "decomposition.{brand}.by_style.{style}.{term}": "{brand}, {style} posts",
    "decomposition.{brand}.by_tier.{tier}.{term}": "{brand}, tier {tier}",
    "decomposition.{brand}.by_reach.{reach}.{term}": "{brand}, reach from {reach} impressions",
    **{f"decomposition.{{brand}}.{splits}.{{group}}.{name}": (f"{{brand}}, {context}: {label}",
                                                             unit, kind)
       for splits, context in (("style_splits", "{group} posts"), ("tier_splits", "tier {group}"),
                               ("reach_splits", "reach bin {group}"))
       for name, (label, unit, kind) in {
           "difference": ("difference in leads per 1 000 impressions", "leads per 1 000 impressions",
                          "signed"),
           "composition": ("composition part of the difference (who was shown the posts)",
                           "leads per 1 000 impressions", "signed"),
           "conversion": ("conversion part of the difference (how each audience converted)",
                          "leads per 1 000 impressions", "signed"),
           "composition_share": ("share of the difference that composition carries",
                                 "composition / difference", "signed"),
           "ratio": ("ratio of leads per 1 000 impressions", "ratio", "ratio"),
           "ratio_composition": ("composition part of the ratio - 1", "of the reference's rate",
                                 "signed"),
           "ratio_conversion": ("conversion part of the ratio - 1", "of the reference's rate",
                                "signed"),
           "leads_per_1k_impressions": ("leads per 1 000 impressions", "leads per 1 000 impressions",
                                        "ratio"),
           "reference_leads_per_1k_impressions": (
               "the reference's leads per 1 000 impressions", "leads per 1 000 impressions", "ratio"),
       }.items()},
    "brands.{brand}.trends.by_phase.{phase}.{term}": "{brand}, trend posts ({phase})",
    "brands.{brand}.trends.{group}.{term}": "{brand}, posts {group}",
    "trend_posts.by_phase.{phase}.{term}": "trend posts ({phase})",
    "trend_posts.{group}.{term}": "posts {group}",
    "familiarity.{group}.{exposures}.{term}": (
        "familiarity ({group}), creator seen {exposures} times before"),
    "likes_followers.{term}": "all creators",
    "likes_followers.all_creators.{term}": "all creators",
    "likes_followers.by_style.{style}.{term}": "{style} posts",
    "likes_followers.by_creator_group.{group}.{term}": "creator group {group}",
    "likes_followers.creators.{creator}.{term}": "{creator}",
    "likes_followers.spearman.likes_follower_gain": (
        "Spearman ρ across creators of likes and follower gain", "ρ", "correlation"),
    "likes_followers.spearman.likes_followers_end": (
        "Spearman ρ across creators of likes and followers at the end", "ρ", "correlation"),
    "across_seeds.catalog.worlds": ("worlds (runs) compared", "runs", "count"),
    "across_seeds.catalog.{event}_share_unpredictability": (
        "unpredictability of {event} shares across worlds (mean absolute difference)",
        "share", "share"),
    "across_seeds.catalog.by_post.{post}.mean_{event}_share": (
        "{post}: mean share of {event}s across worlds", "share", "share"),
    "across_seeds.catalog.by_post.{post}.{event}_share_unpredictability": (
        "{post}: unpredictability of its {event} share across worlds", "share", "share"),
}
"""The core sections' measures (``measures/summary.py``, ``marketing.py``, ``social.py``,
``decomposition.py``)."""


class UnknownMeasureError(KeyError):
    """A summary path that no pattern of the glossary names; ``str()`` says what to do."""

    def __str__(self) -> str:
        return (f"{self.args[0]}: not in the measure glossary; name it in PATTERNS or TERMS "
                "of simulation/measures/glossary.py, or in its lever's `measures`")


@dataclass(frozen=True)
class Measure:
    """A measure of ``summary.json``: its path, what it is called, in what unit, of what kind."""

    path: str
    term: str
    """What is measured: 'leads per 1 000 impressions'."""
    context: str
    """Whose: 'ledger_app, educational posts' (empty for the whole run)."""
    unit: str
    kind: Kind

    @property
    def label(self) -> str:
        """'ledger_app, educational posts: leads per 1 000 impressions'."""
        return f"{self.context}: {self.term}" if self.context else self.term

    @property
    def bounds(self) -> Range:
        """What the measure can be: its kind's range (engagements per view: up to 3)."""
        if self.path.rsplit(".", 1)[-1] == "engagement_rate_by_views":
            return (0.0, ENGAGEMENTS_PER_VIEW_MAX)
        return KIND_RANGES[self.kind]

    @property
    def format(self) -> Format:
        return KIND_FORMATS[self.kind]

    def axis_label(self) -> str:
        """For an axis: the label and, unless it repeats it, the unit ('views (count)')."""
        unit = {"rate": "%", "share": "%"}.get(self.kind, self.unit)
        return self.label if unit in self.term or not unit else f"{self.label} ({unit})"

    def text(self, value: float | None) -> str:
        """The value as people read it: '12,345', '5.84%', '+0.42', '0.723', 'n/a'."""
        return format_value(value, self.format)


def format_value(value: float | None, fmt: Format) -> str:
    """A number in a format of :data:`KIND_FORMATS`; 'n/a' for None or NaN."""
    if value is None or not isinstance(value, int | float) or not math.isfinite(value):
        return "n/a"
    if fmt == "thousands":
        return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else \
            f"{value:,.1f}"
    if fmt == "percent":
        return f"{100 * value:.3g}%" if abs(value) < 0.1 else f"{100 * value:.1f}%"
    if fmt == "decimal":
        return f"{value:.3f}"
    if fmt == "signed":
        return f"{value:+.2f}"
    if fmt == "money":
        return f"{value:,.2f}"
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _spaced(text: str) -> str:
    return text.replace("_", " ")


def _term(name: str) -> Term | None:
    if name in TERMS:
        return TERMS[name]
    for pattern, label, unit, kind in RULES:
        match = re.fullmatch(pattern, name)
        if match:
            words = {key: _spaced(value) for key, value in match.groupdict().items()}
            return label.format(**words), unit.format(**words), kind
    return None


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _compile(pattern: str) -> re.Pattern[str]:
    parts, position = [], 0
    for match in _PLACEHOLDER.finditer(pattern):
        parts.append(re.escape(pattern[position:match.start()]))
        name = match.group(1)
        # A call to action's value is a number with a dot (0.2); every other key has none.
        parts.append(rf"(?P<{name}>-?\d+(?:\.\d+)?)" if name == "value" else rf"(?P<{name}>[^.]+)")
        position = match.end()
    parts.append(re.escape(pattern[position:]))
    return re.compile("".join(parts))


def patterns() -> dict[str, str | Term]:
    """Every pattern: the core's, then each registered lever's (:attr:`Lever.measures`)."""
    merged = dict(PATTERNS)
    for name in sorted(LEVERS):
        for pattern, value in LEVERS[name].measures.items():
            if pattern in merged and merged[pattern] != value:
                raise ValueError(f"lever {name} declares {pattern!r}, which is already named")
            merged[pattern] = value
    return merged


@functools.cache
def _compiled() -> tuple[tuple[re.Pattern[str], str | Term], ...]:
    # Measures named one by one first, then groups: a group's {term} never hides them.
    ordered = sorted(patterns().items(), key=lambda item: isinstance(item[1], str))
    return tuple((_compile(pattern), value) for pattern, value in ordered)


@functools.cache
def describe(path: str) -> Measure:
    """The :class:`Measure` at a summary path; :class:`UnknownMeasureError` if nothing names it."""
    if path in NOT_MEASURES:
        raise UnknownMeasureError(path)
    for compiled, value in _compiled():
        match = compiled.fullmatch(path)
        if match is None:
            continue
        names = match.groupdict()
        if isinstance(value, str):
            term = _term(names.pop("term"))
            if term is None:
                continue
            label, unit, kind = term
            context = value.format(**{k: (_spaced(v) if k in ("step", "group", "phase") else v)
                                      for k, v in names.items()})
            return Measure(path, label, context, unit, kind)  # type: ignore[arg-type]
        label, unit, kind = value
        words = {k: (_spaced(v) if k in ("step", "event", "group", "phase") else v)
                 for k, v in names.items()}
        if kind not in KIND_RANGES:
            raise ValueError(f"{path}: kind {kind!r} is not one of {', '.join(KIND_RANGES)}")
        return Measure(path, label.format(**words), "", unit.format(**words), kind)  # type: ignore[arg-type]
    raise UnknownMeasureError(path)


def known(path: str) -> Measure | None:
    """:func:`describe`, or None for a path the glossary does not know."""
    try:
        return describe(path)
    except UnknownMeasureError:
        return None


def unknown(paths: Iterable[str]) -> list[str]:
    """The paths among ``paths`` that the glossary does not know (``seed`` aside)."""
    return [path for path in paths if path not in NOT_MEASURES and known(path) is None]
