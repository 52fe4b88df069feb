"""Creators who learn: a bandit over post styles that maximises one KPI per post.

Each learning creator sets its content mix (``CreatorTable.style_mix``) every step
from the posts it has published that are at least ``feedback_hours`` old: the KPI
(likes, follows, leads...) each earned so far, per style. Thompson sampling is
probability matching on a Gamma-Poisson posterior of each style's mean KPI per
post (prior: the creator's overall mean, weighted as ``prior_posts`` posts); the
mix is the Monte Carlo share of posterior draws in which each style is best.
Epsilon-greedy puts 1 - epsilon on the style with the best posterior mean and
spreads epsilon evenly. Shapes: L learners, Y styles.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from simulation.config.scenario import Scenario
from simulation.core.events import EVENT_INDEX
from simulation.levers.base import Lever, MeasureNames, register
from simulation.platform.view import PlatformView
from simulation.state.creators import CreatorTable
from simulation.state.posts import PostStore

THOMPSON_DRAWS = 256
"""Posterior draws per learner and step that estimate the probability-matching mix."""


@register
class StyleLearners(Lever):
    """The learning creators, their bandits' settings, and their mixes over time."""

    name = "learning"
    section = "creators[].learning"
    stream = "learning"
    summary_keys = ("learning",)
    measures: ClassVar[MeasureNames] = {
        "learning.{creator}.{term}": "{creator}",
        "learning.{creator}.{half}.posts": ("{creator}: posts in the {half}", "posts", "count"),
        "learning.{creator}.{half}.style_share.{style}": (
            "{creator}: share of its posts in the {half} that were {style}", "share of posts",
            "share"),
        "learning.{creator}.initial_mix.{style}": (
            "{creator}: {style} in its strategy at the start", "probability", "share"),
        "learning.{creator}.final_mix.{style}": (
            "{creator}: {style} in its strategy at the end", "probability", "share"),
        "learning.{creator}.mean_mix.{style}": (
            "{creator}: {style} in its strategy, mean over the run", "probability", "share"),
    }

    @classmethod
    def build(cls, scenario: Scenario, creators: CreatorTable,
              seed: np.random.SeedSequence | None) -> StyleLearners | None:
        """None unless some creator learns."""
        if all(creator.learning is None for creator in scenario.creators):
            return None
        return cls(scenario, creators, seed)

    def __init__(self, scenario: Scenario, creators: CreatorTable, seed: np.random.SeedSequence):
        styles = list(scenario.styles)
        rows = [(c, scenario.creators[e].learning) for c, e in enumerate(creators.entry)
                if scenario.creators[e].learning is not None]
        self.creator = np.array([c for c, _ in rows], dtype=np.int64)  # (L,)
        self.settings = [learning for _, learning in rows]
        self.allowed = np.array([[not lrn.styles or s in lrn.styles for s in styles]
                                 for lrn in self.settings], dtype=bool).reshape(len(rows),
                                                                                len(styles))
        self.initial_mix = creators.style_mix[self.creator].copy()  # (L, Y)
        self.mix_history: list[np.ndarray] = []  # one (L, Y) per step
        self.rng = np.random.default_rng(seed)

    def start_step(self, view: PlatformView) -> None:
        """Set each learner's style mix from the evidence available now, before it publishes."""
        self.update(view.posts, view.creators, view.hour)

    def update(self, posts: PostStore, creators: CreatorTable, hour: float) -> None:
        """Set each learner's style mix from the evidence available at ``hour``."""
        n_styles = self.allowed.shape[1]
        for index, (creator, learning) in enumerate(zip(self.creator, self.settings,
                                                        strict=True)):
            ids = np.flatnonzero((posts.creator == creator)
                                 & (posts.created_hour <= hour - learning.feedback_hours))
            if len(ids):
                kpi = posts.counts[ids, EVENT_INDEX[learning.kpi]].sum(axis=(1, 2))
                style = posts.style[ids].astype(np.int64)
                n = np.bincount(style, minlength=n_styles).astype(np.float64)
                total = np.bincount(style, weights=kpi, minlength=n_styles)
                creators.style_mix[creator] = self._mix(learning, self.allowed[index], n, total)
        self.mix_history.append(creators.style_mix[self.creator].copy())

    def _mix(self, learning, allowed: np.ndarray, n: np.ndarray, total: np.ndarray) -> np.ndarray:
        """The new mix (Y,) from posts (Y,) and KPI totals (Y,) per style."""
        prior_mean = total.sum() / n.sum()
        shape = total + learning.prior_posts * prior_mean + 1e-3
        rate = n + learning.prior_posts
        choices = np.flatnonzero(allowed)
        mix = np.zeros(len(allowed))
        if learning.method == "thompson":
            draws = self.rng.gamma(shape[choices], 1.0 / rate[choices],
                                   size=(THOMPSON_DRAWS, len(choices)))
            mix[choices] = np.bincount(draws.argmax(axis=1), minlength=len(choices))
            return mix / mix.sum()
        mean = shape[choices] / rate[choices]
        mix[choices] = learning.epsilon / len(choices)
        mix[choices[np.argmax(mean)]] += 1.0 - learning.epsilon
        return mix

    def summarize(self, view: PlatformView) -> dict[str, dict]:
        """``summary.json`` ``learning``: per learner, its KPI, its mix at the start and end, and
        its posts and results by style in the first and second half of the run."""
        posts, creators, style_names = view.posts, view.creators, view.styles.names
        hours = view.step * view.config.step_hours
        result = {}
        history = np.array(self.mix_history) if self.mix_history else None
        for index, (creator, learning) in enumerate(zip(self.creator, self.settings,
                                                        strict=True)):
            ids = np.flatnonzero((posts.creator == creator) & (posts.created_hour >= 0))
            totals = posts.counts[ids].sum(axis=(2, 3))
            halves = {}
            for name, mine in (("first_half", posts.created_hour[ids] < hours / 2),
                               ("second_half", posts.created_hour[ids] >= hours / 2)):
                style = posts.style[ids[mine]].astype(np.int64)
                counts = np.bincount(style, minlength=len(style_names))
                halves[name] = {"posts": int(mine.sum()),
                                "style_share": {s: (float(counts[y] / mine.sum()) if mine.any()
                                                    else float("nan"))
                                                for y, s in enumerate(style_names)}}
            mean_mix = history[:, index].mean(axis=0) if history is not None else None
            result[creators.names[creator]] = {
                "kpi": learning.kpi,
                "method": learning.method,
                "initial_mix": dict(zip(style_names, self.initial_mix[index].tolist(),
                                        strict=True)),
                "final_mix": dict(zip(style_names, creators.style_mix[creator].tolist(),
                                      strict=True)),
                "mean_mix": (dict(zip(style_names, mean_mix.tolist(), strict=True))
                             if mean_mix is not None else {}),
                **halves,
                "posts": len(ids),
                **{event: int(totals[:, EVENT_INDEX[event]].sum())
                   for event in ("impressions", "likes", "follows", "leads", "purchases")},
            }
        return {"learning": result}
