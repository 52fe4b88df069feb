"""The lever interface: an optional mechanism, its scenario section, and its hooks into a step.

A lever is a subclass of :class:`Lever` in its own module of ``simulation/levers/``,
registered with :func:`register`. The model builds every registered lever that the
scenario switches on (:meth:`Lever.build` returns None when it is off) and calls their
hooks at fixed phases of a step, in ``order`` then name; it never names a lever. The
phases, in the order of a step (``model.py``; docs/architecture.md has it as a table):

    =====================  =====================================================================
    hook                   when, and what it may change
    =====================  =====================================================================
    ``extend_population``  build: returns the population with rows added (bot accounts).
    ``start``              build, once the platform exists: allocate per-viewer state.
    ``ranking_policy``     build: a policy that replaces the scenario's (a fixed catalog).
    ``start_step``         a step begins (creators' strategies, via ``creators.style_mix``).
    ``publishing_counts``  posts per creator this step (C,): returns the counts to publish.
    ``on_publish``         new posts' columns (a dict of arrays): adds or sets its own columns.
    ``before_feeds``       the platform before feeds are built: its own post columns, bot traffic.
    ``sessions``           who is active and feed lengths: replaces the sessions when not None.
    ``pool_entries``       retrieval (``platform.view.PoolFiling``): extra entries of a pool.
    ``candidate_source``   retrieval (``platform.view.CandidateSource``): a source of its own,
                           with a score multiplier (C,) for its candidates.
    ``after_feeds``        the feeds, built: returns feeds with slots replaced (paid slots).
    ``on_reactions``       the step's impressions and reactions, recorded: its own bookkeeping.
    ``summarize``          the finished run: its sections of ``summary.json`` (``summary_keys``).
    ``brand_measures``     the finished run, per brand: keys added to ``brands.<name>``.
    ``tables``             the finished run: tables of its own, written as ``<name>.parquet``.
    ``creator_columns``    the finished run: columns added to ``creators.parquet``.
    =====================  =====================================================================

Each lever declares its scenario section (``section``, a field path), the post columns
it adds (``post_columns``), the summary keys it writes and what they measure
(``measures``: labels, units and kinds), and the random stream it draws
from (``stream``: a name; ``core.seeding.stream`` derives it, so a new lever never
shifts the draws of the others). ``tests/contract/test_levers.py`` checks every
registered lever against this contract.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from simulation.config.scenario import Scenario
from simulation.core.records import Feed, Impressions, Reactions
from simulation.core.seeding import stream
from simulation.platform.policies import RankingPolicy
from simulation.platform.view import CandidateSource, PlatformView
from simulation.state.creators import CreatorTable
from simulation.state.population import Population
from simulation.state.posts import PostStore

HOOKS = ("extend_population", "start", "ranking_policy", "start_step", "publishing_counts",
         "on_publish", "before_feeds", "sessions", "pool_entries", "candidate_source",
         "after_feeds",
         "on_reactions", "summarize", "brand_measures", "tables", "creator_columns")
"""The optional hooks, in the order of a step; a lever overrides those it needs."""

MeasureNames = dict[str, str | tuple[str, str, str]]
"""A lever's :attr:`Lever.measures`: path pattern -> (label, unit, kind), or a group's label."""

PostColumn = tuple[tuple[int, ...], type, object]
"""A post column: its shape per post, its dtype and the value of posts it does not set."""


class Lever:
    """An optional mechanism. Subclasses set the class attributes and override hooks."""

    name: ClassVar[str]
    """Short name, unique among levers (also ``model.levers`` key)."""
    section: ClassVar[str]
    """Its place in the scenario: a field path, ``creators[].<field>`` for a per-creator one."""
    stream: ClassVar[str | None] = None
    """The name of its random stream, or None if it draws no random numbers."""
    order: ClassVar[int] = 100
    """Levers run in increasing order, then by name (e.g. detection after bought likes)."""
    post_columns: ClassVar[dict[str, PostColumn]] = {}
    """Post columns it adds to the post store when it is on."""
    summary_keys: ClassVar[tuple[str, ...]] = ()
    """Top-level keys of ``summary.json`` that :meth:`summarize` returns."""
    brand_keys: ClassVar[tuple[str, ...]] = ()
    """Keys of ``brands.<name>`` in ``summary.json`` that :meth:`brand_measures` returns."""
    measures: ClassVar[MeasureNames] = {}
    """What its summary measures are, for tables and figures: a path pattern (``{creator}``
    stands for one key) -> (label, unit, kind) of one measure, or, for a pattern ending in
    ``.{term}``, -> whose measures they are, the last key being a common term (``leads``,
    ``*_per_1k_*``). Kinds and terms: ``measures/glossary.py``, which knows every measure
    of a summary by these (a test fails for one that nothing names)."""

    @classmethod
    def build(cls, scenario: Scenario, creators: CreatorTable,
              seed: np.random.SeedSequence | None) -> Lever | None:
        """The lever for this scenario, or None when the scenario does not switch it on.

        ``seed`` is its stream's seed (None when ``stream`` is None).
        """
        raise NotImplementedError

    # --- build-time hooks --------------------------------------------------------------

    def extend_population(self, population: Population) -> Population:
        return population

    def start(self, view: PlatformView) -> None:
        return None

    def ranking_policy(self) -> RankingPolicy | None:
        return None

    # --- step hooks --------------------------------------------------------------------

    def start_step(self, view: PlatformView) -> None:
        return None

    def publishing_counts(self, counts: np.ndarray, hour: float, step_hours: float) -> np.ndarray:
        return counts

    def on_publish(self, view: PlatformView, columns: dict[str, np.ndarray]) -> None:
        return None

    def before_feeds(self, view: PlatformView) -> None:
        return None

    def sessions(self, view: PlatformView) -> tuple[np.ndarray, np.ndarray] | None:
        return None

    def pool_entries(self, pool: str, posts: PostStore, ids: np.ndarray, keys: np.ndarray,
                     weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)

    def candidate_source(self) -> CandidateSource | None:
        """Its own candidate source, or None (a lever that has one usually returns itself)."""
        return None

    def after_feeds(self, view: PlatformView, feed: Feed) -> Feed:
        return feed

    def on_reactions(self, view: PlatformView, impressions: Impressions,
                     reactions: Reactions) -> None:
        return None

    # --- measures ----------------------------------------------------------------------

    def summarize(self, view: PlatformView) -> dict[str, Any]:
        return {}

    def brand_measures(self, view: PlatformView, creator: int, ids: np.ndarray,
                       counts: np.ndarray, target: np.ndarray) -> dict[str, Any]:
        """Keys for one brand's measures: its posts ``ids`` (n,), their counters (n, E, S, K),
        its target segments (S,) bool."""
        return {}

    def tables(self, view: PlatformView) -> dict[str, pa.Table]:
        return {}

    def creator_columns(self, view: PlatformView) -> dict[str, np.ndarray]:
        return {}


LEVERS: dict[str, type[Lever]] = {}
"""Every registered lever class, by name."""


def register(cls: type[Lever]) -> type[Lever]:
    """Class decorator: add a lever to :data:`LEVERS` (its name must be new)."""
    if cls.name in LEVERS and LEVERS[cls.name] is not cls:
        raise ValueError(f"two levers are named {cls.name!r}")
    LEVERS[cls.name] = cls
    return cls


def ordered(levers: dict[str, type[Lever]] | None = None) -> list[type[Lever]]:
    """Lever classes in the order their hooks run: ``order``, then name."""
    return sorted((levers or LEVERS).values(), key=lambda cls: (cls.order, cls.name))


def overrides(lever: Lever, hook: str) -> bool:
    """Whether a lever implements ``hook`` (so the model calls only those that do)."""
    return getattr(type(lever), hook) is not getattr(Lever, hook)


def build_levers(scenario: Scenario, creators: CreatorTable,
                 root: np.random.SeedSequence) -> dict[str, Lever]:
    """The levers the scenario switches on, by name, in hook order; each gets its own stream."""
    built = {}
    for cls in ordered():
        lever = cls.build(scenario, creators, stream(root, cls.stream) if cls.stream else None)
        if lever is not None:
            built[cls.name] = lever
    return built
