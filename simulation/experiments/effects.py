"""Evidence that viral mismatch and audience dilution emerge: each effect's criteria, checked
per seed on the summaries of its scenario and of its control.

The criteria only *read* ``summary.json`` (``brands.<name>``): the effects themselves come
from the ranking and the funnel. A criterion holds or fails in each seed; an effect is shown
when every criterion holds in at least ``required`` of the seeds (9 of 10 by default).

Used by ``python run.py effects`` (the full-size check) and by ``tests/statistical/test_effects.py``
(the same criteria on small populations).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulation.config.shipped import scenarios_folder

SCENARIOS = scenarios_folder()
"""The shipped scenarios: the checkout's ``scenarios/``, or the installed package's copy."""


@dataclass(frozen=True)
class Criterion:
    """One condition on one run's summary: a measured value and the bound it must meet."""

    name: str
    description: str
    measure: Callable[[dict[str, Any]], float]  # summary -> value (nan if undefined)
    bound: float
    direction: str  # "max": value <= bound; "min": value >= bound

    def holds(self, value: float) -> bool:
        if math.isnan(value):
            return False
        return value <= self.bound if self.direction == "max" else value >= self.bound


@dataclass(frozen=True)
class Check:
    """The criteria of one scenario file (an effect's treatment or its control)."""

    effect: str
    role: str  # "effect" or "control"
    scenario: Path
    brand: str
    criteria: tuple[Criterion, ...]


def _brand(summary: dict[str, Any], brand: str) -> dict[str, Any]:
    return summary["brands"][brand]


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def style_ratio(brand: str, measure: str, style: str = "entertainment",
                reference: str = "educational") -> Callable[[dict[str, Any]], float]:
    """A brand's ``measure`` for one style divided by the same for a reference style."""
    def ratio(summary: dict[str, Any]) -> float:
        styles = _brand(summary, brand)["by_style"]
        if style not in styles or reference not in styles:
            return math.nan
        top, bottom = _number(styles[style][measure]), _number(styles[reference][measure])
        return top / bottom if bottom > 0 else math.nan
    return ratio


def brand_value(brand: str, measure: str) -> Callable[[dict[str, Any]], float]:
    """A brand's scalar measure, e.g. ``likes_leads_spearman``."""
    return lambda summary: _number(_brand(summary, brand)[measure])


def highest_tier(summary: dict[str, Any], brand: str, min_posts: int = 5) -> int:
    """The highest distribution tier that at least ``min_posts`` of the brand's posts reached."""
    tiers = _brand(summary, brand)["by_tier"]
    reached = [int(tier) for tier, row in tiers.items() if row["posts_reached"] >= min_posts]
    return max(reached, default=0)


def tier_ratio(brand: str, measure: str) -> Callable[[dict[str, Any]], float]:
    """``measure`` in the brand's highest well-reached tier over the same in tier 0.

    Undefined (nan, so the criterion fails) when no tier above 0 was reached by 5 posts:
    a brand whose posts do not climb shows no dilution, nor its absence.
    """
    def ratio(summary: dict[str, Any]) -> float:
        top = highest_tier(summary, brand)
        tiers = _brand(summary, brand)["by_tier"]
        if top == 0 or "0" not in tiers:
            return math.nan
        bottom = _number(tiers["0"][measure])
        return _number(tiers[str(top)][measure]) / bottom if bottom > 0 else math.nan
    return ratio


def distance_from_one(measure: Callable[[dict[str, Any]], float]
                      ) -> Callable[[dict[str, Any]], float]:
    return lambda summary: abs(measure(summary) - 1.0)


MISMATCH_BRAND = "glow_skincare"


DILUTION_BRAND = "ledger_app"


CHECKS: tuple[Check, ...] = (
    Check("viral mismatch", "effect", SCENARIOS / "viral_mismatch.toml", MISMATCH_BRAND, (
        Criterion("like_ratio", "likes per post, entertainment / educational",
                  style_ratio(MISMATCH_BRAND, "likes_per_post"), 3.0, "min"),
        Criterion("leads_per_1k_likes_ratio", "leads per 1 000 likes, entertainment / educational",
                  style_ratio(MISMATCH_BRAND, "leads_per_1k_likes"), 1 / 3, "max"),
        Criterion("spearman", "Spearman(likes, leads) across the brand's posts",
                  brand_value(MISMATCH_BRAND, "likes_leads_spearman"), 0.3, "max"),
    )),
    Check("viral mismatch", "control", SCENARIOS / "viral_mismatch_control.toml", MISMATCH_BRAND, (
        Criterion("spearman", "Spearman(likes, leads) across the brand's posts",
                  brand_value(MISMATCH_BRAND, "likes_leads_spearman"), 0.6, "min"),
    )),
    Check("audience dilution", "effect", SCENARIOS / "audience_dilution.toml", DILUTION_BRAND, (
        Criterion("target_share_ratio",
                  "target share, highest tier reached by 5 posts / tier 0",
                  tier_ratio(DILUTION_BRAND, "target_share"), 0.5, "max"),
        Criterion("leads_per_1k_impressions_ratio",
                  "leads per 1 000 impressions, that tier / tier 0 (must fall: < 1)",
                  tier_ratio(DILUTION_BRAND, "leads_per_1k_impressions"), 1.0 - 1e-9, "max"),
    )),
    Check("audience dilution", "control", SCENARIOS / "audience_dilution_control.toml",
          DILUTION_BRAND, (
        Criterion("leads_per_1k_impressions_change",
                  "|leads per 1 000 impressions, that tier / tier 0 - 1|",
                  distance_from_one(tier_ratio(DILUTION_BRAND, "leads_per_1k_impressions")),
                  0.25, "max"),
    )),
)


def evaluate(check: Check, summaries: list[dict[str, Any]], seeds: list[int]
             ) -> list[dict[str, Any]]:
    """One tidy row per seed and criterion: the value, the bound, whether it holds."""
    rows = []
    for seed, summary in zip(seeds, summaries, strict=True):
        for criterion in check.criteria:
            value = criterion.measure(summary)
            rows.append({"effect": check.effect, "role": check.role,
                         "scenario": check.scenario.name, "brand": check.brand, "seed": seed,
                         "criterion": criterion.name, "description": criterion.description,
                         "value": value, "bound": criterion.bound,
                         "direction": criterion.direction, "holds": criterion.holds(value),
                         "highest_tier": highest_tier(summary, check.brand)})
    return rows


def tally(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per check and criterion: seeds, how many hold, mean and range of the value."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["effect"], row["role"], row["criterion"]), []).append(row)
    table = []
    for (effect, role, criterion), members in groups.items():
        values = [row["value"] for row in members if not math.isnan(row["value"])]
        table.append({
            "effect": effect, "role": role, "criterion": criterion,
            "description": members[0]["description"],
            "bound": ("<= " if members[0]["direction"] == "max" else ">= ")
            + f"{members[0]['bound']:.3g}",
            "seeds": len(members), "holds": sum(row["holds"] for row in members),
            "mean": sum(values) / len(values) if values else math.nan,
            "low": min(values, default=math.nan), "high": max(values, default=math.nan),
        })
    return table


def shown(table: list[dict[str, Any]], required: float = 0.9) -> bool:
    """Every criterion holds in at least ``required`` of its seeds."""
    return all(row["holds"] >= math.ceil(required * row["seeds"] - 1e-9) for row in table)


def render_table(table: list[dict[str, Any]]) -> str:
    """The tally as a Markdown table (docs/effects.md shows one)."""
    lines = ["| effect | scenario | criterion | bound | holds | mean | range |",
             "|---|---|---|---|---|---|---|"]
    for row in table:
        lines.append(f"| {row['effect']} | {row['role']} | {row['description']} | {row['bound']} "
                     f"| {row['holds']}/{row['seeds']} | {row['mean']:.3g} "
                     f"| {row['low']:.3g} .. {row['high']:.3g} |")
    return "\n".join(lines) + "\n"


def _summary_of(job: tuple[Path, list[str], int]) -> dict[str, Any]:
    """Run one scenario file at one seed (in a worker process) and return its summary."""
    from simulation.config.loading import load_scenario
    from simulation.experiments.runs import simulate

    path, overrides, seed = job
    return simulate(load_scenario(path, overrides), seed=seed).summary


def run_checks(seeds: list[int], overrides: list[str] | None = None, workers: int = 1,
               checks: tuple[Check, ...] = CHECKS, progress: bool = False
               ) -> list[dict[str, Any]]:
    """Run every check's scenario at every seed and evaluate its criteria; tidy rows.

    Runs are independent (seed per run, no shared state), so ``workers`` processes give
    the same rows as one.
    """
    from concurrent.futures import ProcessPoolExecutor

    from tqdm.auto import tqdm

    from simulation.config.loading import load_scenario
    from simulation.kernels.compiler import share_cores

    overrides = list(overrides or [])
    for check in checks:  # bad overrides or files stop here, before any run
        load_scenario(check.scenario, overrides)
    jobs = [(check.scenario, overrides, seed) for check in checks for seed in seeds]
    bar = tqdm(total=len(jobs), desc="effects: runs", unit="run",
               disable=None if progress else True, dynamic_ncols=True)
    with bar:
        if workers <= 1:
            summaries = []
            for job in jobs:
                summaries.append(_summary_of(job))
                bar.update()
        else:
            with ProcessPoolExecutor(max_workers=workers, initializer=share_cores,
                                     initargs=(workers,)) as pool:
                summaries = []
                for summary in pool.map(_summary_of, jobs):
                    summaries.append(summary)
                    bar.update()
    rows = []
    for index, check in enumerate(checks):
        mine = summaries[index * len(seeds):(index + 1) * len(seeds)]
        rows.extend(evaluate(check, mine, seeds))
    return rows
