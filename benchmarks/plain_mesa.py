"""The simulator's own vectorised functions called per agent, against the simulator.

What this measures: numpy's per-call overhead, not Mesa. Each viewer's step calls the
simulator's ranking, funnel and bookkeeping on arrays of one viewer, so most of its time
is spent entering numpy functions. The fair anchor, the model as a Mesa user writes it
(scalar Python per agent), is ``benchmarks/idiomatic_mesa.py``.

In the hand-written version every viewer is a Mesa agent whose ``step()`` decides
whether it opens the app this hour, builds its own feed with the project's ranking
policy (a feed of one viewer), then reacts to the feed post by post with the
project's funnel and records each reaction with the project's bookkeeping. The
model's step shuffles the agents and calls each one (``shuffle_do("step")``),
then judges the distribution tiers and collects the step's data, as the simulator
does. Both versions therefore compute the same model from the same behaviour
functions; they differ in that the hand-written one goes viewer by viewer and
impression by impression (so each viewer sees the platform as the viewers before
it left it), where the simulator updates everyone at once.

    python benchmarks/plain_mesa.py                        # 10 000 and 100 000 viewers
    python benchmarks/plain_mesa.py --sizes 10000 --steps 6 --seed 2

Both versions go on from the same state (``--warm-up`` simulator steps) with the tier
budgets scaled to the platform. Prints, per size, the seconds per step of each version,
the speed ratio, and each funnel rate of both with the z-score of their difference
(impressions taken as independent, which slightly overstates it); writes the figures to
``--out`` (JSON).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation.agents import Viewer
from simulation.config.loading import load_scenario
from simulation.core.events import EVENT_INDEX, EVENTS
from simulation.core.records import Impressions, Reactions
from simulation.core.seeding import step_generator
from simulation.experiments.runs import reuse_freed_memory
from simulation.io.storage import write_json
from simulation.model import EngagementModel
from simulation.platform.retrieval import live_posts
from simulation.platform.tiers import update_tiers
from simulation.state.bookkeeping import record_reactions
from simulation.viewers.funnel import react

sys.path.insert(0, str(ROOT / "benchmarks"))
from scale import overrides

BASELINE = ROOT / "scenarios" / "baseline.toml"
RATES = ("views", "completions", "likes", "comments", "shares", "saves", "profile_visits",
         "follows")
"""Funnel events compared between the two versions (per impression)."""


class HandwrittenViewer(Viewer):
    """A viewer that steps itself: opens the app or not, builds its feed, reacts post by post."""

    def step(self) -> None:
        model: HandwrittenModel = self.model
        population, config = model.population, model.config
        sessions = model.session_rng.poisson(population.activity[self.index]
                                             * config.step_hours / 24.0)
        if sessions == 0 or population.is_bot[self.index]:
            return
        length = int(np.clip(model.session_rng.poisson(
            sessions * population.session_length[self.index]), 1, config.ranking.max_feed_length))
        model.active[self.index] = True
        feed = model.policy.build_feeds(model.state, np.array([self.index]),
                                        np.array([length]), model.rng)
        impressions = model.impressions_of(feed)
        for i in range(len(impressions)):  # post by post, as a viewer scrolls
            one = impression(impressions, i)
            reactions = react(config.funnel, one, model.reaction_rng)
            record_reactions(model.state, one, reactions)
            model.step_log.append((one, reactions))


def impression(impressions: Impressions, i: int) -> Impressions:
    """The i-th impression alone, as an Impressions of length 1."""
    return Impressions(**{field.name: getattr(impressions, field.name)[i:i + 1]
                          for field in dataclasses.fields(Impressions)})


def concatenate(pieces: list, kind: type) -> object:
    """Join a step's one-impression pieces (Impressions or Reactions) into one."""
    if kind is Reactions:
        return Reactions(events={name: np.concatenate([p.events[name] for p in pieces])
                                 for name in EVENTS},
                         watch_fraction=np.concatenate([p.watch_fraction for p in pieces]),
                         revenue=np.concatenate([p.revenue for p in pieces]))
    return Impressions(**{field.name: np.concatenate([getattr(p, field.name) for p in pieces])
                          for field in dataclasses.fields(Impressions)})


class HandwrittenModel(EngagementModel):
    """The simulator's model, stepped agent by agent and impression by impression."""

    viewer_class = HandwrittenViewer

    def __init__(self, config, seed=None):
        super().__init__(config, seed)
        self.session_rng = self._session_rng
        self.step_log: list[tuple[Impressions, Reactions]] = []

    def step(self) -> None:
        self.clock.step = self.steps
        self.hour = (self.steps - 1) * self.config.step_hours
        self._publish(self.hour)
        self.history.make_room(live_posts(self.state).first, self.posts.size)
        self.active[:] = False
        self.reaction_rng = step_generator(self._reaction_seed, self.steps)
        self.step_log = []
        self.agents_by_type[HandwrittenViewer].shuffle_do("step")
        update_tiers(self.tiers, self.posts, self.rates, self.config.ranking, self.hour)
        if self.step_log:
            self.collect(concatenate([p[0] for p in self.step_log], Impressions),
                         concatenate([p[1] for p in self.step_log], Reactions))


def totals(model: EngagementModel) -> np.ndarray:
    """Event totals of every post so far (E,)."""
    return model.posts.events().sum(axis=0)


def run(viewers: int, warm_up: int, steps: int, seed: int) -> tuple[dict, dict]:
    """Both versions from one state: ``warm_up`` steps of the simulator, then ``steps`` each way.

    Two models are built from the same scenario and seed and stepped alike by the
    simulator for ``warm_up`` steps (the same trajectory: a run is determined by its seed),
    so that both versions go on from the same platform; then one is stepped by the
    simulator and the other by hand, and each is timed. The tier budgets follow the
    platform (they are per viewer), as in scale.py.
    """
    scenario = load_scenario(BASELINE, [*overrides(viewers, warm_up + steps, "scaled", 1.0),
                                        f"population.eager_agents_up_to={viewers}"])
    results = []
    for stepping in (EngagementModel.step, HandwrittenModel.step):
        model = HandwrittenModel(scenario, seed=seed)
        for _ in range(warm_up):
            EngagementModel.step(model)
        before = totals(model)
        started = time.perf_counter()
        for _ in range(steps):
            stepping(model)
        seconds = time.perf_counter() - started
        counts = totals(model) - before
        results.append({"seconds_per_step": seconds / steps,
                        "impressions": int(counts[EVENT_INDEX["impressions"]]),
                        "counts": {name: int(counts[EVENT_INDEX[name]]) for name in EVENTS}})
    return results[0], results[1]


def compare(simulator: dict, handwritten: dict) -> dict:
    """Each rate per impression in both versions and the z-score of the difference."""
    rates = {}
    n1, n2 = simulator["impressions"], handwritten["impressions"]
    for name in RATES:
        p1, p2 = simulator["counts"][name] / n1, handwritten["counts"][name] / n2
        pooled = (simulator["counts"][name] + handwritten["counts"][name]) / (n1 + n2)
        se = math.sqrt(max(pooled * (1 - pooled), 1e-300) * (1 / n1 + 1 / n2))
        rates[name] = {"simulator": p1, "handwritten": p2, "z": (p1 - p2) / se}
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--steps", type=int, default=2, help="steps timed per version")
    parser.add_argument("--warm-up", type=int, default=24,
                        help="simulator steps before both versions go on (default 24)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path,
                        default=ROOT / "results" / "benchmarks" / "plain_mesa.json")
    args = parser.parse_args(argv)
    reuse_freed_memory()
    run(2000, 1, 1, args.seed)  # compiles the kernels before anything is timed
    report = []
    for viewers in args.sizes:
        simulator, handwritten = run(viewers, args.warm_up, args.steps, args.seed)
        row = {"viewers": viewers, "steps": args.steps, "warm_up": args.warm_up,
               "simulator_seconds_per_step": simulator["seconds_per_step"],
               "handwritten_seconds_per_step": handwritten["seconds_per_step"],
               "speed_ratio": handwritten["seconds_per_step"] / simulator["seconds_per_step"],
               "impressions": {"simulator": simulator["impressions"],
                               "handwritten": handwritten["impressions"]},
               "rates": compare(simulator, handwritten)}
        report.append(row)
        print(f"{viewers:,} viewers, {args.steps} steps after {args.warm_up}: simulator "
              f"{row['simulator_seconds_per_step']:.3f} s/step, hand-written Mesa "
              f"{row['handwritten_seconds_per_step']:.1f} s/step, ratio "
              f"{row['speed_ratio']:,.0f}x")
        for name, rate in row["rates"].items():
            print(f"  {name:15} {rate['simulator']:.4f} vs {rate['handwritten']:.4f}"
                  f"  (z = {rate['z']:+.2f})")
    write_json(args.out, report)  # atomically
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
