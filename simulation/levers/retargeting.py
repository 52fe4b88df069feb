"""Content funnels: a brand's follow-up posts retargeted at viewers who engaged with the stage before.

A brand with a ``content_funnel`` orders some of its styles into stages (top of
the funnel first: e.g. entertainment, educational, promotional). A viewer who
reacts to a stage-s post as the funnel asks (completes it, likes it...) reaches
stage s; from then on the brand's live posts of stage s + 1 (the last stage for
viewers who reached it) are drawn into the viewer's candidates from a
'retargeting' source, which no affinity bar gates. Shapes: V viewers, F
funnel brands, N stages at most, Y styles.
"""

from __future__ import annotations

import numpy as np

from simulation.config.scenario import Scenario
from simulation.core.records import Impressions, LivePosts, Reactions
from simulation.core.sources import NO_POST
from simulation.kernels.pools import WeightedPools, draw_categories
from simulation.levers.base import Lever, register
from simulation.platform.view import PlatformView
from simulation.state.creators import CreatorTable


@register
class Retargeting(Lever):
    """Which stage of each funnel each viewer has reached, and the retargeted candidates.

    Its candidate source is ``retargeting``; a retargeted candidate's score is multiplied
    by its funnel's ``boost`` (:attr:`boost`, per creator).
    """

    name = "retargeting"
    section = "creators[].content_funnel"
    source = "retargeting"

    @classmethod
    def build(cls, scenario: Scenario, creators: CreatorTable,
              seed: np.random.SeedSequence | None) -> Retargeting | None:
        """None unless some creator has a content funnel."""
        if all(creator.content_funnel is None for creator in scenario.creators):
            return None
        return cls(scenario, creators)

    def __init__(self, scenario: Scenario, creators: CreatorTable):
        styles = list(scenario.styles)
        funnels = [(c, scenario.creators[e].content_funnel) for c, e in enumerate(creators.entry)
                   if scenario.creators[e].content_funnel is not None]
        self.creator = np.array([c for c, _ in funnels], dtype=np.int64)  # (F,)
        self.n_stages = max((len(f.stages) for _, f in funnels), default=0)
        self.last = np.array([len(f.stages) - 1 for _, f in funnels], dtype=np.int64)  # (F,)
        self.stage_of_style = np.full((len(funnels), len(styles)), -1, dtype=np.int64)  # (F, Y)
        for f, (_, funnel) in enumerate(funnels):
            for stage, style in enumerate(funnel.stages):
                self.stage_of_style[f, styles.index(style)] = stage
        self.engaged_by = [f.engaged_by for _, f in funnels]
        self.quota = max((f.quota for _, f in funnels), default=0)
        self.funnel_of = np.full(creators.size, -1, dtype=np.int64)  # (C,)
        self.funnel_of[self.creator] = np.arange(len(funnels))
        self.boost = np.ones(creators.size, dtype=np.float64)  # (C,)
        self.boost[self.creator] = [f.boost for _, f in funnels]
        self.reached = np.zeros((0, len(funnels)), dtype=np.int8)  # (V, F), set by start()

    def start(self, view: PlatformView) -> None:
        self.allocate(view.population.size)

    def allocate(self, n_viewers: int) -> None:
        """Every viewer starts before the first stage of every funnel (-1)."""
        self.reached = np.full((n_viewers, len(self.creator)), -1, dtype=np.int8)

    def candidate_source(self) -> Retargeting:
        return self

    def on_reactions(self, view: PlatformView, impressions: Impressions,
                     reactions: Reactions) -> None:
        self.advance(impressions.viewer, impressions.creator, view.posts.style[impressions.post],
                     reactions.events)

    def advance(self, viewer: np.ndarray, creator: np.ndarray, style: np.ndarray,
                events: dict[str, np.ndarray]) -> None:
        """Advance viewers along the funnels from one step's impressions (n,) and events."""
        funnel = self.funnel_of[creator]
        for f, event in enumerate(self.engaged_by):
            hit = (funnel == f) & events[event]
            stage = self.stage_of_style[f, style[hit]]
            staged = stage >= 0
            np.maximum.at(self.reached[:, f], viewer[hit][staged], stage[staged].astype(np.int8))

    def draw(self, view: PlatformView, viewers: np.ndarray, live: LivePosts,
             rng: np.random.Generator) -> np.ndarray:
        """Retargeted candidates (A, quota) for the active ``viewers`` (A,)."""
        return self.draw_next_stage(viewers, live.ids,
                                    view.posts.creator[live.ids].astype(np.int64),
                                    view.posts.style[live.ids].astype(np.int64), live.freshness,
                                    rng)

    def draw_next_stage(self, viewers: np.ndarray, live_ids: np.ndarray, author: np.ndarray,
                        style: np.ndarray, freshness: np.ndarray,
                        rng: np.random.Generator) -> np.ndarray:
        """Retargeted candidates (A, quota): a funnel the viewer qualifies for, then a live post
        of its next stage in proportion to freshness; -1 where there is none.

        ``live_ids``, ``author``, ``style``, ``freshness``: the live posts (n_live,).
        """
        n_funnels = len(self.creator)
        funnel = self.funnel_of[author]
        mine = funnel >= 0
        stage = np.where(mine, self.stage_of_style[np.maximum(funnel, 0), style], -1)
        pooled = stage >= 0
        pools = WeightedPools(funnel[pooled] * self.n_stages + stage[pooled], live_ids[pooled],
                              freshness[pooled], n_funnels * self.n_stages)
        reached = self.reached[viewers].astype(np.int64)  # (A, F)
        target = np.minimum(reached + 1, self.last[None, :])
        group = np.arange(n_funnels)[None, :] * self.n_stages + target  # (A, F)
        available = (reached >= 0) & (pools.total[group] > 0)
        chosen = draw_categories(available.astype(np.float64),
                                 rng.random((len(viewers), self.quota)))  # (A, q)
        groups = np.where(chosen >= 0, np.take_along_axis(group, np.maximum(chosen, 0), axis=1),
                          -1)
        drawn = pools.draw(groups, rng.random(groups.shape))
        return np.where(groups >= 0, drawn, NO_POST)
