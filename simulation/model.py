"""The engagement model: a Mesa model of a short-video platform, stepped over arrays.

One step is ``step_hours`` of platform time (MODEL.md, "One step"):
1. creators publish; trends heat up or fade (a function of the hour);
2. active viewers open sessions and the ranking policy builds their feeds;
3. viewers react to each post through the funnel;
4. counters, the platform's estimates, displayed likes, familiarity, follows
   and tiers update; shares go to friends' inboxes for their next feed;
5. the data collector records the step.

Within a step every viewer sees the platform as it was at the start of the
step (a synchronous update); nothing loops over viewers or impressions.
"""

from __future__ import annotations

import numpy as np
from mesa import DataCollector, Model

from simulation.agents import Creator, Viewer, ViewerAgents
from simulation.config.scenario import Scenario
from simulation.core.events import EVENT_INDEX, EVENTS, REACH_EVENTS, event_bits
from simulation.core.records import Feed, Impressions, Reactions
from simulation.core.seeding import STREAMS
from simulation.core.sources import SOURCE_INDEX, SOURCES
from simulation.kernels.counting import rank_within_groups, tally
from simulation.kernels.interests import paired_cosine, unit_rows
from simulation.levers.bought_likes import BotFarm
from simulation.levers.cadence import PostingSchedule
from simulation.levers.catalog import FixedCatalog
from simulation.levers.collaborations import Collaborations
from simulation.levers.detection import Detector
from simulation.levers.hashtags import Hashtags
from simulation.levers.learning import StyleLearners
from simulation.levers.money import MoneyLedger
from simulation.levers.promotion import Promotions
from simulation.levers.retargeting import Retargeting
from simulation.platform.policies import make_policy
from simulation.platform.predictions import PlatformRates, engagement_score
from simulation.platform.retrieval import live_posts
from simulation.platform.tiers import StagedDistribution
from simulation.state.creators import CreatorTable
from simulation.state.estimates import InterestEstimates
from simulation.state.familiarity import EXPOSURE_BUCKETS, ExposureCounts, Familiarity
from simulation.state.followers import FollowerLedger
from simulation.state.graph import Follows, ShareInbox, build_social_graph
from simulation.state.history import ImpressionHistory
from simulation.state.population import Population
from simulation.state.posts import PostStore, StyleTable, draw_posts
from simulation.state.trends import Trends
from simulation.viewers.funnel import react

_REACH_COLUMNS = [EVENT_INDEX[name] for name in REACH_EVENTS]


class EngagementModel(Model):
    """A short-video platform: viewers, creators, posts, a ranking policy and a funnel."""

    viewer_class: type[Viewer] = Viewer
    """The Mesa agent class of viewers (benchmarks/plain_mesa.py gives them a step())."""

    def __init__(self, config: Scenario, seed: int | np.random.SeedSequence | None = None):
        # An int (default: the scenario's seed) is the entropy of a fresh SeedSequence. A
        # SeedSequence is used as given, e.g. a sweep's SeedSequence(root, spawn_key=(point,
        # replicate)); it is copied so that children it spawned before do not shift the streams.
        if isinstance(seed, np.random.SeedSequence):
            self.seed_sequence = np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key,
                                                        pool_size=seed.pool_size)
        else:
            self.seed_sequence = np.random.SeedSequence(config.seed if seed is None else seed)
        self.seed_value = self.seed_sequence.entropy
        streams = dict(zip(STREAMS, self.seed_sequence.spawn(len(STREAMS)), strict=True))
        super().__init__(rng=np.random.default_rng(streams["dynamics"]))
        self.config = config
        self.hour = 0.0
        self._content_rng = np.random.default_rng(streams["content"])
        self._session_rng = np.random.default_rng(streams["sessions"])
        self._reaction_seed = streams["reactions"]

        # Who is on the platform.
        self.population = Population.draw(config, np.random.default_rng(streams["population"]))
        self.creators = CreatorTable.from_scenario(config)
        # Purchased engagement (bots.py, detection.py, promotion.py): None unless asked. Bot
        # accounts are appended after the real viewers, who keep their friends and follows.
        n_real = self.population.size
        self.bots = BotFarm.from_scenario(config, self.creators, n_real)
        if self.bots is not None:
            self.population = self.bots.add_accounts(self.population)
        self.detector = Detector.from_scenario(config, self.creators)
        self.promotions = Promotions.from_scenario(config, self.creators, streams["promotion"])
        # Marketing levers (all off unless the scenario's creators ask for them).
        self.schedule = PostingSchedule(config, self.creators)
        self.collaborations = Collaborations(config, self.creators)
        self._collaboration_rng = np.random.default_rng(streams["collaborations"])
        self.hashtags = Hashtags(config, self.creators)
        self._hashtag_rng = np.random.default_rng(streams["hashtags"])
        self.learners = StyleLearners.from_scenario(config, self.creators, streams["learning"])
        self.retargeting = Retargeting.from_scenario(config, self.creators,
                                                     self.population.size)
        self.styles = StyleTable.from_scenario(config)
        self.trends = Trends(config)
        self.graph = build_social_graph(config.network, n_real,
                                        np.random.default_rng(streams["network"]))
        self.follows = Follows(self.population.size, self.creators.size)
        self.follows.seed_initial(np.random.default_rng(streams["creators"]),
                                  self.population.interests[:n_real], self.creators.topic_mix,
                                  self.creators.initial_followers)
        self.initial_followers = self.follows.count.copy()
        self.interest_units = unit_rows(self.population.interests)

        # What the platform knows and keeps.
        distribution = config.ranking.distribution
        self.distribution = StagedDistribution(distribution)
        self.posts = PostStore(len(config.topics), len(config.population.segments),
                               self.distribution.n_tiers, len(config.metrics.reach_bins))
        self.estimates = InterestEstimates(self.population.interests, config.platform)
        self.familiarity = Familiarity(self.population.size, self.creators.size,
                                       config.funnel.familiarity_half_life_hours)
        # Enough ring for the posts live at once (about max_age_hours of publishing), and more.
        self.history = ImpressionHistory(self.population.size, capacity=int(
            1.2 * self.creators.posting_rate.sum() / 24.0
            * (config.ranking.max_age_hours + config.step_hours) + 256))
        # The familiarity curve: events by prior exposures to the creator (row 0: every
        # creator, row 1: brands), (2, len(EXPOSURE_BUCKETS), E).
        self.exposures = ExposureCounts(self.population.size, self.creators.size)
        self.exposure_funnel = np.zeros((2, len(EXPOSURE_BUCKETS), len(EVENTS)), dtype=np.int64)
        self.inbox = ShareInbox(config.network.share_ttl_hours)
        self.platform_rates = PlatformRates()
        self.policy = make_policy(config.ranking)
        self.active = np.zeros(self.population.size, dtype=bool)
        self.slot_counts = np.zeros((len(EVENTS), config.ranking.max_feed_length), dtype=np.int64)
        self.source_counts = np.zeros((len(EVENTS), len(SOURCES)), dtype=np.int64)
        # Money only watches the platform: None unless the scenario switches a channel,
        # a goal or a benchmark on.
        self.money = (MoneyLedger(config, self.creators, self.initial_followers, streams["money"])
                      if config.money.active else None)
        # Social proof and followers (issue 7): a fixed catalog replaces publishing and sessions
        # (None unless the scenario has a [catalog]); the follower ledger only watches.
        self.catalog = (FixedCatalog(config, self.creators, self.population.size,
                                     self._session_rng) if config.catalog is not None else None)
        if self.catalog is not None:
            self.posts.add(**self.catalog.post_columns())
            self.policy = self.catalog.policy()
        self.follower_ledger = FollowerLedger(self.creators.size)

        # Mesa agents: views onto the arrays above.
        self.viewer_agents = ViewerAgents(
            self, self.population.size,
            eager=self.population.size <= config.population.eager_agents_up_to,
            agent_class=self.viewer_class)
        self.creator_agents = [Creator(self, c) for c in range(self.creators.size)]

        self.datacollector = DataCollector(tables={
            "segments": ["step", "hour", "segment", "active_viewers", *EVENTS, "revenue",
                         "watch_seconds"],
            "feed_mix": ["step", "hour", "dimension", "value", "impressions", "likes", "leads"],
        })
        self._publish_backlog()

    # --- 1. publishing --------------------------------------------------------------

    def _publish(self, hour: float) -> int:
        """Creators publish (Poisson at their posting rate); returns the number of new posts."""
        if self.catalog is not None:
            return 0  # a fixed catalog: no new posts
        rate = self.creators.posting_rate * self.config.step_hours / 24.0
        counts = self.schedule.counts(self._content_rng.poisson(rate), hour,
                                      self.config.step_hours)
        if counts.sum() == 0:
            return 0
        columns = draw_posts(self._content_rng, self.creators, self.styles, self.trends, counts,
                             np.full(self.creators.size, hour))
        if self.collaborations.active:
            columns["partner"] = self.collaborations.assign(self._collaboration_rng,
                                                            columns["creator"])
        if self.hashtags.active:
            columns["hashtag"] = self.hashtags.assign(self._hashtag_rng, columns["creator"])
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
        self.hour = (self.steps - 1) * self.config.step_hours
        if self.learners is not None:
            self.learners.update(self.posts, self.creators, self.hour)
        self._publish(self.hour)
        self.history.make_room(live_posts(self).first, self.posts.size)
        if self.bots is not None:
            self.bots.deliver(self)
        if self.detector is not None:
            self.detector.review(self)
        if self.catalog is not None:  # a fixed catalog: this step's visitors, each sees all of it
            viewers, feed_length = self.catalog.visitors(self.steps, self.population.is_bot)
        else:
            viewers, feed_length = self.population.open_sessions(
                self._session_rng, self.config.step_hours, self.config.ranking.max_feed_length)
        self.active[:] = False
        self.active[viewers] = True
        feed = self.policy.build_feeds(self, viewers, feed_length, self.rng)
        if self.promotions is not None:
            feed = self.promotions.place(self, feed)
        impressions = self.impressions_of(feed)
        # A fresh generator per step, keyed by the step, so that the funnel's draws of one
        # step do not depend on how many impressions earlier steps had.
        step_rng = np.random.default_rng(np.random.SeedSequence(
            self._reaction_seed.entropy, spawn_key=(*self._reaction_seed.spawn_key, self.steps)))
        reactions = react(self.config.funnel, impressions, step_rng)
        self.record(impressions, reactions)
        self.follower_ledger.record(impressions, reactions)
        if self.promotions is not None:
            self.promotions.record(impressions, reactions)
        if self.money is not None:
            self.money.record_step(self, impressions, reactions)
        self.collect(impressions, reactions)

    def impressions_of(self, feed: Feed) -> Impressions:
        """Flatten feeds into one row per impression, with what the funnel needs."""
        rows, slots = np.nonzero(feed.posts >= 0)
        viewer = feed.viewers[rows]
        post = feed.posts[rows, slots]
        posts, creators, population = self.posts, self.creators, self.population
        creator = posts.creator[post].astype(np.int64)
        segment = population.segment[viewer].astype(np.int64)
        trend = posts.trend[post]
        heat = self.trends.heat(self.hour) if len(self.trends) else np.zeros(1)
        trend_heat = np.where(trend >= 0, heat[np.maximum(trend, 0)], 0.0) * posts.trend_alignment[post]
        first = int(post.min(initial=0))
        topic_units = unit_rows(posts.topic[first:])  # the same per row as on each impression
        return Impressions(
            viewer=viewer,
            post=post,
            slot=slots,
            tier=posts.tier[post].astype(np.int64),
            source=feed.source[rows, slots],
            creator=creator,
            segment=segment,
            interest_match=paired_cosine(self.interest_units, viewer, topic_units, post - first),
            intent=population.intent[viewer],
            log_propensity=population.log_propensity[viewer],
            susceptibility=population.susceptibility[viewer],
            entertainment=posts.entertainment[post],
            information=posts.information[post],
            call_to_action=posts.call_to_action[post],
            quality=posts.quality[post],
            duration_s=posts.duration_s[post],
            trend_heat=np.asarray(trend_heat, dtype=np.float32),
            displayed_likes=posts.displayed_likes[post],
            relevance=creators.relevance[creator, segment],
            is_brand=creators.is_brand[creator],
            profile_quality=creators.profile_quality[creator],
            price=creators.price[creator],
            consistency=creators.consistency[creator],
            familiarity=np.asarray(self.familiarity.read(viewer, creator, self.hour),
                                   dtype=np.float32),
            following=self.follows.table[viewer, creator],
        )

    # --- 4. bookkeeping -------------------------------------------------------------

    def record(self, imp: Impressions, reactions: Reactions) -> None:
        """Update counters, platform estimates, familiarity, follows, shares and tiers."""
        self.record_reactions(imp, reactions)
        self.update_distribution()

    def record_reactions(self, imp: Impressions, reactions: Reactions) -> None:
        """Update counters, platform estimates, familiarity, follows and shares."""
        posts, events = self.posts, reactions.events
        n_segments, n_tiers = posts.n_segments, posts.n_tiers
        # A viewer who meets two posts of a creator in one step can follow only once.
        follows = np.flatnonzero(events["follows"])
        pairs = imp.viewer[follows] * self.creators.size + imp.creator[follows]
        first = np.unique(pairs, return_index=True)[1]
        events["follows"][np.delete(follows, first)] = False
        bits = event_bits(events)
        if len(imp):
            first = int(imp.post.min())
            self._record_reach(imp, bits, first)
            span = posts.size - first
            local = imp.post - first
            cell = (local * n_segments + imp.segment) * n_tiers + imp.tier
            posts.counts[first:] += np.moveaxis(
                tally(cell, bits, span * n_segments * n_tiers).reshape(
                    span, n_segments, n_tiers, len(EVENTS)), 3, 1)
            posts.watch_fraction_sum[first:] += np.bincount(local, weights=reactions.watch_fraction,
                                                            minlength=span)
            posts.revenue[first:] += np.bincount(local, weights=reactions.revenue, minlength=span)
            # Tier budgets are spent by organic impressions; paid ones (promotion.py) are not.
            organic = imp.source != SOURCE_INDEX["promoted"]
            posts.tier_impressions[first:] += np.bincount(local[organic], minlength=span)

        self.slot_counts += tally(imp.slot, bits, self.slot_counts.shape[1]).T
        self.source_counts += tally(imp.source, bits, len(SOURCES)).T
        step_totals = tally(np.zeros(len(imp), dtype=np.int64), bits, 1)[0].astype(np.float64)
        self.platform_rates.record(step_totals, float(reactions.watch_fraction.sum()))

        # What viewers learned, and what the platform learned about them.
        self.history.mark(imp.viewer, imp.post)
        viewed = events["views"]
        self._record_exposures(imp, bits, events)
        if self.retargeting is not None:
            self.retargeting.record(imp.viewer, imp.creator, posts.style[imp.post], events)
        self.familiarity.expose(imp.viewer[viewed], imp.creator[viewed], self.hour)
        followed = events["follows"]
        self.follows.add(imp.viewer[followed], imp.creator[followed])
        weights = self.config.platform.signal
        # Watching more than half of a video is evidence of interest; a quick swipe is not.
        watched = np.maximum(2.0 * reactions.watch_fraction - 1.0, 0.0)
        signal = (weights.watch * watched + weights.like * events["likes"]
                  + weights.comment * events["comments"] + weights.share * events["shares"]
                  + weights.save * events["saves"] + weights.follow * events["follows"])
        self.estimates.learn(imp.viewer[viewed], posts.topic[imp.post[viewed]],
                             signal[viewed].astype(np.float64))
        shared = events["shares"]
        self.inbox.deliver(self.graph, imp.viewer[shared], imp.post[shared], self.hour)

    def update_distribution(self) -> None:
        """Displayed likes and staged distribution, judged on the counters as they stand."""
        posts = self.posts
        posts.displayed_likes[:] = (posts.counts[:, EVENT_INDEX["likes"]].sum(axis=(1, 2))
                                    + posts.bot_counts[:, EVENT_INDEX["likes"]])
        live = live_posts(self)
        ranking = self.config.ranking
        scores = engagement_score(posts, live.ids, ranking.weights, self.platform_rates,
                                  ranking.prior_strength)
        self.distribution.evaluate(posts, live.ids, scores, self.hour)

    def _record_exposures(self, imp: Impressions, bits: np.ndarray,
                          events: dict[str, np.ndarray]) -> None:
        """Count events by the viewer's prior exposures to the creator, then add this step's."""
        bucket = self.exposures.bucket(imp.viewer, imp.creator)
        n_buckets = len(EXPOSURE_BUCKETS)
        self.exposure_funnel[0] += tally(bucket, bits, n_buckets)
        self.exposure_funnel[1] += tally(bucket[imp.is_brand], bits[imp.is_brand], n_buckets)
        viewed = events["views"]
        self.exposures.expose(imp.viewer[viewed], imp.creator[viewed])

    def _record_reach(self, imp: Impressions, bits: np.ndarray, first: int) -> None:
        """Count impressions, likes and leads by the post's cumulative reach when they happened."""
        posts = self.posts
        rank = rank_within_groups(imp.post)
        # Called before this step's counters are added: reach so far, plus rank within the step.
        reach_so_far = posts.counts[first:, EVENT_INDEX["impressions"]].sum(axis=(1, 2))
        reach = reach_so_far[imp.post - first] + rank
        edges = np.asarray(self.config.metrics.reach_bins)
        reach_bin = np.searchsorted(edges, reach, side="right") - 1
        n_bins, n_segments = posts.n_reach_bins, posts.n_segments
        span = posts.size - first
        cell = ((imp.post - first) * n_bins + reach_bin) * n_segments + imp.segment
        counted = tally(cell, bits, span * n_bins * n_segments)[:, _REACH_COLUMNS]
        posts.reach_counts[first:] += np.moveaxis(
            counted.reshape(span, n_bins, n_segments, len(REACH_EVENTS)), 3, 1)

    # --- 5. data collection ---------------------------------------------------------

    def collect(self, imp: Impressions, reactions: Reactions) -> None:
        """Record this step's events per segment, and the feed's mix of styles, tiers and sources."""
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
            self.datacollector.add_table_row("segments", row)

        dimensions = {
            "style": (self.posts.style[imp.post].astype(np.int64), self.styles.names),
            "tier": (imp.tier, [str(k) for k in range(self.distribution.n_tiers)]),
            "source": (imp.source.astype(np.int64), list(SOURCES)),
        }
        impressions, likes, leads = (EVENT_INDEX[e] for e in ("impressions", "likes", "leads"))
        for dimension, (values, labels) in dimensions.items():
            counts = tally(values, bits, len(labels))
            for index, label in enumerate(labels):
                self.datacollector.add_table_row("feed_mix", {
                    "step": self.steps, "hour": self.hour, "dimension": dimension,
                    "value": label, "impressions": int(counts[index, impressions]),
                    "likes": int(counts[index, likes]), "leads": int(counts[index, leads])})
