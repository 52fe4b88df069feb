"""The engagement model: a Mesa model of a short-video platform, stepped over arrays.

One step is ``step_hours`` of platform time (docs/specification.md, "One step"):

1. a step begins (levers: ``start_step``); creators publish (levers:
   ``publishing_counts``, ``on_publish``); trends heat up or fade (a function of the hour);
2. levers act on the platform before feeds (``before_feeds``); active viewers open
   sessions (levers may replace them: ``sessions``) and the ranking policy builds their
   feeds (levers take part in retrieval: ``pool_entries``, ``candidate_source``), which
   levers may then change (``after_feeds``);
3. viewers react to each post through the funnel;
4. counters, the platform's estimates, familiarity, follows and share inboxes update
   (``state/bookkeeping.py``), then displayed likes and the distribution tiers
   (``platform/tiers.py``: the promotion rule); levers record what they watch
   (``on_reactions``);
5. the data collector records the step: a row per segment and per feed dimension in the
   run's tables (``step_records``), and the headline measures of the step as Mesa model
   reporters (``model.datacollector.get_model_vars_dataframe()``). After the scenario's
   ``steps``, ``running`` turns False, so that Mesa's ``run_model()`` stops.

Within a step every viewer sees the platform as it was at the start of the step (a
synchronous update); nothing loops over viewers or impressions. The model wires the
layers together and names no lever: it calls the hooks of those the scenario switches
on (``levers/base.py``), in their order.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
from mesa import DataCollector, Model

from simulation.agents import Creator, Viewer, ViewerAgents
from simulation.config.scenario import Scenario
from simulation.core.events import ENGAGEMENTS, EVENT_INDEX, EVENTS, event_bits
from simulation.core.records import Feed, Impressions, Reactions
from simulation.core.seeding import copy_of, step_generator, stream
from simulation.core.sources import SOURCES
from simulation.core.statistics import gini
from simulation.kernels.counting import tally
from simulation.kernels.interests import unit_rows
from simulation.levers import Lever, build_levers
from simulation.levers.base import HOOKS, overrides
from simulation.platform.policies import RankingPolicy, make_policy
from simulation.platform.retrieval import live_posts
from simulation.platform.tiers import StagedDistribution, update_tiers
from simulation.platform.view import PlatformView
from simulation.state.bookkeeping import record_reactions
from simulation.state.creators import CreatorTable
from simulation.state.estimates import InterestEstimates
from simulation.state.familiarity import ExposureCounts, Familiarity
from simulation.state.followers import FollowerLedger
from simulation.state.graph import Follows, ShareInbox, build_social_graph
from simulation.state.history import ImpressionHistory
from simulation.state.platform_state import Clock, Tallies
from simulation.state.population import Population
from simulation.state.posts import PostStore, StyleTable, draw_posts
from simulation.state.rates import PlatformRates
from simulation.state.trends import Trends
from simulation.viewers.funnel import react
from simulation.viewers.impressions import impressions_of
from simulation.viewers.sessions import open_sessions

HEADLINE_MEASURES: tuple[str, ...] = (
    "step", "hour", "active_viewers", "impressions", "views", "likes", "comments", "shares",
    "follows", "link_clicks", "leads", "purchases", "revenue", "engagement_rate",
    "leads_per_1k_impressions", "live_posts", "views_gini_live")
"""The model reporters of the data collector: the step's events and revenue (not cumulative),
engagements (likes, comments, shares) per view in the step, and, over the posts that can
still be recommended, their number and the Gini coefficient of their views so far."""


VIEWER_REPORTERS: tuple[str, ...] = ("segment", "active", "following", "intent")
"""Agent reporters of viewers (``agent_reporters=True``): their segment, whether they opened
a session this step, how many creators they follow, their purchase intent."""


CREATOR_REPORTERS: tuple[str, ...] = ("name", "is_brand", "followers")
"""Agent reporters of creators (``agent_reporters=True``)."""


def _headline(model: EngagementModel, name: str) -> float:
    """One headline measure of the step just recorded (a model reporter)."""
    return model.headline[name]


class EngagementModel(Model):
    """A short-video platform: viewers, creators, posts, a ranking policy, a funnel and levers.

    The Mesa way: ``model.step()`` advances one step; ``model.run_model()`` runs until
    ``running`` turns False, after the scenario's ``steps``; ``model.datacollector`` has a
    model reporter per headline measure (:data:`HEADLINE_MEASURES`), and, with
    ``agent_reporters=True`` on platforms of at most :attr:`AGENT_REPORTERS_UP_TO` viewers,
    agent-type reporters for viewers and creators (``get_agenttype_vars_dataframe(Viewer)``).
    The collector may be replaced by one of your own: the run's tables are kept apart, in
    ``step_records``.
    """

    viewer_class: type[Viewer] = Viewer
    """The Mesa agent class of viewers (benchmarks/plain_mesa.py gives them a step())."""

    AGENT_REPORTERS_UP_TO = 20_000
    """Largest platform (viewers) whose agents may be recorded every step: the reporters
    loop over every agent in Python, about 2 microseconds an agent and reporter."""

    def __init__(self, config: Scenario, seed: int | np.random.SeedSequence | None = None,
                 agent_reporters: bool = False):
        if agent_reporters and config.population.size > min(
                self.AGENT_REPORTERS_UP_TO, config.population.eager_agents_up_to):
            raise ValueError(
                f"agent_reporters: {config.population.size:,} viewers are too many to record "
                f"each agent every step (at most {self.AGENT_REPORTERS_UP_TO:,}, and at most "
                "population.eager_agents_up_to); use the tables (steps, posts, creators) "
                "instead, or a smaller population.size")
        # An int (default: the scenario's seed) is the entropy of a fresh SeedSequence. A
        # SeedSequence is used as given, e.g. a sweep's SeedSequence(root, spawn_key=(point,
        # replicate)); it is copied so that children it spawned before do not shift the streams.
        if isinstance(seed, np.random.SeedSequence):
            self.seed_sequence = copy_of(seed)
        else:
            self.seed_sequence = np.random.SeedSequence(config.seed if seed is None else seed)
        self.seed_value = self.seed_sequence.entropy
        root = self.seed_sequence
        super().__init__(rng=np.random.default_rng(stream(root, "dynamics")))
        self.config = config
        self.clock = Clock()
        self._content_rng = np.random.default_rng(stream(root, "content"))
        self._session_rng = np.random.default_rng(stream(root, "sessions"))
        self._reaction_seed = stream(root, "reactions")

        # Who is on the platform; levers may add accounts (bots) after the real viewers, who
        # keep their friends and follows.
        population = Population.draw(config, np.random.default_rng(stream(root, "population")))
        n_real = population.size
        self.creators = CreatorTable.from_scenario(config)
        self.levers: dict[str, Lever] = build_levers(config, self.creators, root)
        self._hooks = {hook: [lever for lever in self.levers.values() if overrides(lever, hook)]
                       for hook in HOOKS}
        for lever in self._hooks["extend_population"]:
            population = lever.extend_population(population)
        self.population = population
        self.styles = StyleTable.from_scenario(config)
        self.trends = Trends(config)
        self.graph = build_social_graph(config.network, n_real,
                                        np.random.default_rng(stream(root, "network")))
        self.follows = Follows(population.size, self.creators.size)
        self.follows.seed_initial(np.random.default_rng(stream(root, "creators")),
                                  population.interests[:n_real], self.creators.topic_mix,
                                  self.creators.initial_followers)
        self.initial_followers = self.follows.count.copy()

        # What the platform knows and keeps.
        self.tiers = StagedDistribution(config.ranking.distribution, config.population.size)
        lever_columns = {name: column for lever in self.levers.values()
                         for name, column in lever.post_columns.items()}
        self.posts = PostStore(len(config.topics), len(config.population.segments),
                               self.tiers.n_tiers, len(config.metrics.reach_bins),
                               extra_columns=lever_columns)
        # Enough ring for the posts live at once (about max_age_hours of publishing), and more.
        history = ImpressionHistory(population.size, capacity=int(
            1.2 * self.creators.posting_rate.sum() / 24.0
            * (config.ranking.max_age_hours + config.step_hours) + 256))
        self.state = PlatformView(
            config=config, clock=self.clock, population=population,
            interest_units=unit_rows(population.interests), creators=self.creators,
            posts=self.posts, styles=self.styles, trends=self.trends, graph=self.graph,
            follows=self.follows, inbox=ShareInbox(config.network.share_ttl_hours),
            estimates=InterestEstimates(population.interests, config.platform),
            familiarity=Familiarity(population.size, self.creators.size,
                                    config.funnel.familiarity_half_life_hours),
            exposures=ExposureCounts(population.size, self.creators.size), history=history,
            rates=PlatformRates(), followers=FollowerLedger(self.creators.size),
            tallies=Tallies.empty(config.ranking.max_feed_length),
            initial_followers=self.initial_followers,
            active=np.zeros(population.size, dtype=bool), tiers=self.tiers,
            retrieval_seed=stream(root, "retrieval"),
            pool_filings=tuple(self._hooks["pool_entries"]),
            candidate_sources=tuple(source for lever in self.levers.values()
                                    if (source := lever.candidate_source()) is not None))
        self.policy: RankingPolicy = make_policy(config.ranking)
        for lever in self._hooks["ranking_policy"]:
            self.policy = lever.ranking_policy() or self.policy
        for lever in self._hooks["start"]:
            lever.start(self.state)

        # Mesa agents: views onto the arrays above.
        self.viewer_agents = ViewerAgents(
            self, population.size,
            eager=population.size <= config.population.eager_agents_up_to,
            agent_class=self.viewer_class)
        self.creator_agents = [Creator(self, c) for c in range(self.creators.size)]

        # The run's tables (steps.parquet, feed_mix.parquet) are kept in step_records; the
        # Mesa-facing datacollector is the same collector with the model (and agent)
        # reporters, and may be replaced without losing them.
        self.headline: dict[str, float] = dict.fromkeys(HEADLINE_MEASURES, 0.0)
        """The headline measures of the last step recorded (all zero before the first)."""
        self.step_records = DataCollector(
            model_reporters={name: partial(_headline, name=name) for name in HEADLINE_MEASURES},
            agenttype_reporters={
                self.viewer_class: {name: name for name in VIEWER_REPORTERS},
                Creator: {name: name for name in CREATOR_REPORTERS},
            } if agent_reporters else None,
            tables={
                "segments": ["step", "hour", "segment", "active_viewers", *EVENTS, "revenue",
                             "watch_seconds"],
                "feed_mix": ["step", "hour", "dimension", "value", "impressions", "likes",
                             "leads"],
            })
        self.datacollector: DataCollector | None = self.step_records
        self._publish_backlog()
        self._collect_headline()  # the state before the first step: row 0, Mesa's convention

    # --- the platform's state, by name ---------------------------------------------------

    @property
    def hour(self) -> float:
        """Platform hour at the start of the current step."""
        return self.clock.hour

    @hour.setter
    def hour(self, value: float) -> None:
        self.clock.hour = value

    def __getattr__(self, name: str) -> Any:
        # The state objects (estimates, familiarity, history, rates, tallies, ...) are
        # reachable as model.<name>, as well as model.state.<name>.
        if name != "state" and "state" in self.__dict__ and hasattr(self.__dict__["state"], name):
            return getattr(self.__dict__["state"], name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def lever(self, name: str) -> Lever | None:
        """The lever named ``name`` if the scenario switches it on, else None."""
        return self.levers.get(name)

    # --- 1. publishing --------------------------------------------------------------

    def _publish(self, hour: float) -> int:
        """Creators publish (Poisson at their posting rate); returns the number of new posts."""
        rate = self.creators.posting_rate * self.config.step_hours / 24.0
        counts = self._content_rng.poisson(rate)
        for lever in self._hooks["publishing_counts"]:
            counts = lever.publishing_counts(counts, hour, self.config.step_hours)
        if counts.sum() == 0:
            return 0
        columns = draw_posts(self._content_rng, self.creators, self.styles, self.trends, counts,
                             np.full(self.creators.size, hour))
        for lever in self._hooks["on_publish"]:
            lever.on_publish(self.state, columns)
        self.posts.add(**columns)
        return int(counts.sum())

    def _publish_backlog(self) -> None:
        """Posts from before the run, so that the first feeds are not built from one hour's posts."""
        step_hours = self.config.step_hours
        n_steps = int(self.config.backlog_hours // step_hours)
        for back in range(n_steps, 0, -1):
            self._publish(-back * step_hours)

    # --- the step -------------------------------------------------------------------

    def step(self) -> None:
        """Advance the platform by one step (``step_hours`` hours)."""
        state, hooks = self.state, self._hooks
        self.clock.step = self.steps
        self.clock.hour = (self.steps - 1) * self.config.step_hours
        for lever in hooks["start_step"]:
            lever.start_step(state)
        self._publish(self.hour)
        self.history.make_room(live_posts(state).first, self.posts.size)
        for lever in hooks["before_feeds"]:
            lever.before_feeds(state)
        viewers, feed_length = self.open_sessions()
        self.active[:] = False
        self.active[viewers] = True
        feed = self.policy.build_feeds(state, viewers, feed_length, self.rng)
        for lever in hooks["after_feeds"]:
            feed = lever.after_feeds(state, feed)
        impressions = self.impressions_of(feed)
        # A fresh generator per step, keyed by the step, so that the funnel's draws of one
        # step do not depend on how many impressions earlier steps had.
        reactions = react(self.config.funnel, impressions,
                          step_generator(self._reaction_seed, self.steps))
        self.record(impressions, reactions)
        self.collect(impressions, reactions)
        if self.steps >= self.config.steps:
            self.running = False

    def open_sessions(self) -> tuple[np.ndarray, np.ndarray]:
        """This step's active viewers (A,) and feed lengths (A,): sessions, or a lever's."""
        for lever in self._hooks["sessions"]:
            replaced = lever.sessions(self.state)
            if replaced is not None:
                return replaced
        return open_sessions(self.population, self._session_rng, self.config.step_hours,
                             self.config.ranking.max_feed_length)

    def impressions_of(self, feed: Feed) -> Impressions:
        """Flatten feeds into one row per impression, with what the funnel needs."""
        state = self.state
        return impressions_of(feed, state.population, state.interest_units, state.creators,
                              state.posts, state.trends, state.familiarity, state.follows,
                              self.hour)

    def record(self, impressions: Impressions, reactions: Reactions) -> None:
        """Book a step's reactions: counters and learning, the tiers, then the levers' own."""
        record_reactions(self.state, impressions, reactions)
        update_tiers(self.tiers, self.posts, self.rates, self.config.ranking, self.hour)
        for lever in self._hooks["on_reactions"]:
            lever.on_reactions(self.state, impressions, reactions)

    # --- 5. data collection ---------------------------------------------------------

    def collect(self, imp: Impressions, reactions: Reactions) -> None:
        """Record this step's events per segment, and the feed's mix of styles, tiers and
        sources, in the run's tables; then the step's headline measures, through the data
        collector's reporters."""
        records = self.step_records
        names = self.population.segment_names
        n_segments = len(names)
        bits = event_bits(reactions.events)
        active = np.bincount(self.population.segment[self.active].astype(np.int64),
                             minlength=n_segments)
        per_segment = tally(imp.segment, bits, n_segments)
        revenue = np.bincount(imp.segment, weights=reactions.revenue, minlength=n_segments)
        watch = np.bincount(imp.segment, weights=reactions.watch_fraction * imp.duration_s,
                            minlength=n_segments)
        for s, segment in enumerate(names):
            row = {"step": self.steps, "hour": self.hour, "segment": segment,
                   "active_viewers": int(active[s]), "revenue": float(revenue[s]),
                   "watch_seconds": float(watch[s])}
            row.update({name: int(per_segment[s, e]) for e, name in enumerate(EVENTS)})
            records.add_table_row("segments", row)

        dimensions = {
            "style": (self.posts.style[imp.post].astype(np.int64), self.styles.names),
            "tier": (imp.tier, [str(k) for k in range(self.tiers.n_tiers)]),
            "source": (imp.source.astype(np.int64), list(SOURCES)),
        }
        impressions, likes, leads = (EVENT_INDEX[e] for e in ("impressions", "likes", "leads"))
        for dimension, (values, labels) in dimensions.items():
            counts = tally(values, bits, len(labels))
            for index, label in enumerate(labels):
                records.add_table_row("feed_mix", {
                    "step": self.steps, "hour": self.hour, "dimension": dimension,
                    "value": label, "impressions": int(counts[index, impressions]),
                    "likes": int(counts[index, likes]), "leads": int(counts[index, leads])})

        step_events = per_segment.sum(axis=0)  # (E,)
        self._collect_headline(step_events, int(active.sum()), float(revenue.sum()))

    def _collect_headline(self, step_events: np.ndarray | None = None, active_viewers: int = 0,
                          revenue: float = 0.0) -> None:
        """The step's headline measures (``headline``) from its event totals (E,), then the
        data collector's reporters (and the user's collector, if it was replaced)."""
        events = np.zeros(len(EVENTS), dtype=np.int64) if step_events is None else step_events
        views = int(events[EVENT_INDEX["views"]])
        impressions = int(events[EVENT_INDEX["impressions"]])
        live = live_posts(self.state)
        live_views = self.posts.counts[live.first:, EVENT_INDEX["views"]].sum(axis=(1, 2))
        engagements = sum(int(events[EVENT_INDEX[e]]) for e in ENGAGEMENTS)
        self.headline = {
            "step": self.steps, "hour": self.hour, "active_viewers": active_viewers,
            **{name: int(events[EVENT_INDEX[name]]) for name in (
                "impressions", "views", "likes", "comments", "shares", "follows",
                "link_clicks", "leads", "purchases")},
            "revenue": revenue,
            "engagement_rate": engagements / views if views else float("nan"),
            "leads_per_1k_impressions": (1000 * int(events[EVENT_INDEX["leads"]]) / impressions
                                         if impressions else float("nan")),
            "live_posts": len(live.ids),
            "views_gini_live": gini(live_views),
        }
        self.step_records.collect(self)
        if self.datacollector is not None and self.datacollector is not self.step_records:
            self.datacollector.collect(self)
