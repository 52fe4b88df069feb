"""Evidence for viral mismatch and audience dilution, and for what produces them.

Each effect has criteria, read from ``summary.json`` per seed, and conditions to run them
under: its scenario as it is (For-You ranking), its one-change control, null models
(random and chronological ranking) and ablations (likes out of the ranking score, one
mechanism switched off). Each condition carries the claim docs/effects.md makes about it
(the effect shows, or it does not); ``python run.py effects`` runs every condition at every
seed and checks the claims, so that an attribution the runs contradict fails the command.

The criteria only *read* the summary (``brands.<name>`` and ``decomposition.<name>``):
the effects come from the ranking and the funnel, and nothing here feeds back into a run.
An effect *shows* in a seed when every one of its criteria holds there; a claim holds when
the effect shows (or fails to) in at least ``REQUIRED`` of the seeds (9 of 10).

Seeds: the scenarios were tuned on seeds 101-200; reported figures and tests use seeds 1-10.

Also used by ``tests/statistical/test_effects.py`` (the same conditions and criteria) and,
through :func:`sweep_criteria`, to read the criteria off a finished sweep (the Morris
screening and the two-parameter maps of docs/effects.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulation.config.shipped import scenarios_folder
from simulation.measures.aggregate import unflatten

SCENARIOS = scenarios_folder()
"""The shipped scenarios: the checkout's ``scenarios/``, or the installed package's copy."""


REQUIRED = 0.9
"""A claim holds when it holds in at least this share of the seeds (9 of 10)."""


TUNING_SEEDS = range(101, 201)
"""The seeds any tuning of the effect scenarios used; reported figures use seeds 1-10."""


Summary = dict[str, Any]


@dataclass(frozen=True)
class Criterion:
    """One condition on one run's summary: a measured value and the bound it must meet."""

    name: str
    description: str
    measure: Callable[[Summary], float]  # summary -> value (nan if undefined)
    bound: float
    direction: str  # "max": value <= bound; "min": value >= bound

    def holds(self, value: float) -> bool:
        if math.isnan(value):
            return False
        return value <= self.bound if self.direction == "max" else value >= self.bound

    @property
    def bound_text(self) -> str:
        return ("<= " if self.direction == "max" else ">= ") + f"{self.bound:.3g}"


@dataclass(frozen=True)
class Condition:
    """One way of running an effect: a scenario file, overrides, and what the docs claim.

    ``claim``: True if docs/effects.md says the effect shows under this condition (the
    mechanism it switches off is not needed), False if it says the effect vanishes, None
    if it makes no claim (reported only).
    """

    key: str
    label: str
    scenario: Path
    overrides: tuple[str, ...] = ()
    claim: bool | None = None


@dataclass(frozen=True)
class Effect:
    """An effect: its brand, criteria, its control's own criteria, conditions and the parts
    of its decomposition that the checker reports."""

    key: str
    name: str
    brand: str
    criteria: tuple[Criterion, ...]
    control_criteria: tuple[Criterion, ...]
    conditions: tuple[Condition, ...]  # the scenario first, its control second
    parts: Callable[[Summary], dict[str, float]]
    gap: str = ""  # the two groups whose leads per impression ``parts`` splits

    @property
    def scenario(self) -> Path:
        return self.conditions[0].scenario

    @property
    def control(self) -> Path:
        return self.conditions[1].scenario

    def condition(self, key: str) -> Condition:
        return next(c for c in self.conditions if c.key == key)


# --- reading the summary ---------------------------------------------------------------

def _brand(summary: Summary, brand: str) -> dict[str, Any]:
    return summary["brands"][brand]


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def style_ratio(brand: str, measure: str, style: str = "entertainment",
                reference: str = "educational") -> Callable[[Summary], float]:
    """A brand's ``measure`` for one style divided by the same for a reference style."""
    def ratio(summary: Summary) -> float:
        styles = _brand(summary, brand)["by_style"]
        if style not in styles or reference not in styles:
            return math.nan
        top, bottom = _number(styles[style][measure]), _number(styles[reference][measure])
        return top / bottom if bottom > 0 else math.nan
    return ratio


def brand_value(brand: str, measure: str) -> Callable[[Summary], float]:
    """A brand's scalar measure, e.g. ``likes_leads_spearman``."""
    return lambda summary: _number(_brand(summary, brand)[measure])


def highest_tier(summary: Summary, brand: str, min_posts: int = 5) -> int:
    """The highest distribution tier that at least ``min_posts`` of the brand's posts reached."""
    tiers = _brand(summary, brand)["by_tier"]
    reached = [int(tier) for tier, row in tiers.items() if row["posts_reached"] >= min_posts]
    return max(reached, default=0)


def tier_ratio(brand: str, measure: str) -> Callable[[Summary], float]:
    """``measure`` in the brand's highest well-reached tier over the same in tier 0.

    Undefined (nan, so the criterion fails) when no tier above 0 was reached by 5 posts:
    a brand whose posts do not climb shows no dilution, nor its absence.
    """
    def ratio(summary: Summary) -> float:
        top = highest_tier(summary, brand)
        tiers = _brand(summary, brand)["by_tier"]
        if top == 0 or "0" not in tiers:
            return math.nan
        bottom = _number(tiers["0"][measure])
        return _number(tiers[str(top)][measure]) / bottom if bottom > 0 else math.nan
    return ratio


def distance_from_one(measure: Callable[[Summary], float]) -> Callable[[Summary], float]:
    return lambda summary: abs(measure(summary) - 1.0)


def style_split(brand: str, style: str = "entertainment", reference: str = "educational"
                ) -> Callable[[Summary], dict[str, float]]:
    """The decomposition of leads per impression, one style against another (summary
    ``decomposition.<brand>.style_splits``): ratio, its composition and conversion parts."""
    def parts(summary: Summary) -> dict[str, float]:
        splits = summary["decomposition"][brand]["style_splits"]
        return _split_parts(splits.get(f"{style}_vs_{reference}"))
    return parts


def tier_split(brand: str) -> Callable[[Summary], dict[str, float]]:
    """The decomposition of leads per impression, the brand's highest tier reached by 5
    posts against tier 0 (summary ``decomposition.<brand>.tier_splits``)."""
    def parts(summary: Summary) -> dict[str, float]:
        top = highest_tier(summary, brand)
        splits = summary["decomposition"][brand]["tier_splits"]
        return _split_parts(splits.get(f"{top}_vs_0") if top else None)
    return parts


def _split_parts(split: dict[str, Any] | None) -> dict[str, float]:
    keys = ("ratio", "ratio_composition", "ratio_conversion", "composition_share")
    return {key: _number(split.get(key)) if split else math.nan for key in keys}


def composition_share(parts: Callable[[Summary], dict[str, float]]
                      ) -> Callable[[Summary], float]:
    """The share of a gap in leads per impression that audience composition carries."""
    return lambda summary: parts(summary)["composition_share"]


# --- the two effects ---------------------------------------------------------------------

MISMATCH_BRAND = "glow_skincare"


DILUTION_BRAND = "ledger_app"


mismatch_parts = style_split(MISMATCH_BRAND)
"""The entertainment-educational split of the mismatch brand's leads per impression."""


dilution_parts = tier_split(DILUTION_BRAND)
"""The highest-tier-against-tier-0 split of the dilution brand's leads per impression."""


def _scenario(name: str) -> Path:
    return SCENARIOS / f"{name}.toml"


RANKING_NULLS = (
    ("random", "random ranking (every live post equally likely)", ('ranking.policy="random"',)),
    ("chronological", "chronological ranking (followed creators, newest first)",
     ('ranking.policy="chronological"',)),
)


VIRAL_MISMATCH = Effect(
    key="viral_mismatch", name="viral mismatch", brand=MISMATCH_BRAND,
    criteria=(
        Criterion("like_ratio", "likes per post, entertainment / educational",
                  style_ratio(MISMATCH_BRAND, "likes_per_post"), 3.0, "min"),
        Criterion("leads_per_1k_likes_ratio", "leads per 1 000 likes, entertainment / educational",
                  style_ratio(MISMATCH_BRAND, "leads_per_1k_likes"), 1 / 3, "max"),
        Criterion("spearman", "Spearman(likes, leads) across the brand's posts",
                  brand_value(MISMATCH_BRAND, "likes_leads_spearman"), 0.3, "max"),
        Criterion("composition_share",
                  "share of the entertainment-educational gap in leads per impression that "
                  "who was shown the posts carries (Kitagawa composition part / gap)",
                  composition_share(mismatch_parts), 0.5, "min"),
    ),
    control_criteria=(
        Criterion("control_spearman", "Spearman(likes, leads) across the brand's posts",
                  brand_value(MISMATCH_BRAND, "likes_leads_spearman"), 0.35, "min"),
    ),
    conditions=(
        Condition("for_you", "the scenario (For-You ranking)", _scenario("viral_mismatch"),
                  claim=True),
        Condition("control", "control: no entertainment post rides a trend",
                  _scenario("viral_mismatch_control"), claim=False),
        *(Condition(key, label, _scenario("viral_mismatch"), overrides, claim=False)
          for key, label, overrides in RANKING_NULLS),
        Condition("likes_unweighted", "likes out of the ranking score (weight 0)",
                  _scenario("viral_mismatch"), ("ranking.weights.like=0",), claim=True),
        Condition("taste_off", "entertainment entertains everyone alike (taste 0)",
                  _scenario("viral_mismatch"), ("funnel.appeal.entertainment_taste=0",),
                  claim=False),
    ),
    parts=mismatch_parts, gap="entertainment against educational",
)


def dilution_part(name: str) -> Callable[[Summary], float]:
    """One part of the dilution brand's highest-tier-against-tier-0 split."""
    return lambda summary: dilution_parts(summary)[name]


AUDIENCE_DILUTION = Effect(
    key="audience_dilution", name="audience dilution", brand=DILUTION_BRAND,
    criteria=(
        Criterion("target_share_ratio", "target share, highest tier reached by 5 posts / tier 0",
                  tier_ratio(DILUTION_BRAND, "target_share"), 0.5, "max"),
        Criterion("leads_per_1k_impressions_ratio",
                  "leads per 1 000 impressions, that tier / tier 0 (must fall: < 1)",
                  tier_ratio(DILUTION_BRAND, "leads_per_1k_impressions"), 1.0 - 1e-9, "max"),
    ),
    control_criteria=(
        Criterion("control_target_share_ratio",
                  "target share, highest tier reached by 5 posts / tier 0",
                  tier_ratio(DILUTION_BRAND, "target_share"), 0.8, "min"),
        Criterion("control_composition_part",
                  "composition part of that tier's leads per impression over tier 0's "
                  "(Kitagawa; ratio - 1 = composition + conversion)",
                  dilution_part("ratio_composition"), -0.1, "min"),
    ),
    conditions=(
        Condition("for_you", "the scenario (For-You ranking)", _scenario("audience_dilution"),
                  claim=True),
        Condition("control", "control: the target segment does not run out",
                  _scenario("audience_dilution_control"), claim=False),
        *(Condition(key, label, _scenario("audience_dilution"), overrides, claim=False)
          for key, label, overrides in RANKING_NULLS),
        Condition("likes_unweighted", "likes out of the ranking score (weight 0)",
                  _scenario("audience_dilution"), ("ranking.weights.like=0",), claim=True),
        Condition("equal_affinity_bars", "every tier's affinity bar 0.4 (no widening by tier)",
                  _scenario("audience_dilution"),
                  tuple(f"ranking.distribution.tiers[{k}].affinity_bar=0.4" for k in range(6)),
                  claim=True),
    ),
    parts=dilution_parts, gap="highest tier reached by 5 posts against tier 0",
)


EFFECTS: tuple[Effect, ...] = (VIRAL_MISMATCH, AUDIENCE_DILUTION)


def effect_named(key: str) -> Effect:
    """The effect with this key (``viral_mismatch``, ``audience_dilution``)."""
    return next(effect for effect in EFFECTS if effect.key == key)


# --- evaluating runs -----------------------------------------------------------------------

def evaluate(effect: Effect, summary: Summary) -> tuple[dict[str, float], dict[str, bool]]:
    """Every criterion of an effect and of its control on one summary: (values, holds)."""
    values, holds = {}, {}
    for criterion in (*effect.criteria, *effect.control_criteria):
        values[criterion.name] = criterion.measure(summary)
        holds[criterion.name] = criterion.holds(values[criterion.name])
    return values, holds


def shows(effect: Effect, holds: dict[str, bool]) -> bool:
    """Whether the effect shows in a run: every one of its criteria holds."""
    return all(holds[c.name] for c in effect.criteria)


def controlled(effect: Effect, holds: dict[str, bool]) -> bool:
    """Whether a run meets the control's own criteria."""
    return all(holds[c.name] for c in effect.control_criteria)


def run_rows(effect: Effect, condition: Condition, seed: int, summary: Summary
             ) -> list[dict[str, Any]]:
    """Tidy rows of one run: one per criterion, then the decomposition's parts."""
    values, holds = evaluate(effect, summary)
    base = {"effect": effect.key, "condition": condition.key, "seed": seed}
    rows = []
    for role, criteria in (("effect", effect.criteria), ("control", effect.control_criteria)):
        for criterion in criteria:
            rows.append({**base, "kind": "criterion", "role": role, "name": criterion.name,
                         "value": values[criterion.name], "bound": criterion.bound,
                         "direction": criterion.direction, "holds": holds[criterion.name]})
    rows.append({**base, "kind": "verdict", "role": "effect", "name": "effect_shows",
                 "value": math.nan, "bound": math.nan, "direction": "",
                 "holds": shows(effect, holds)})
    rows.append({**base, "kind": "verdict", "role": "control", "name": "control_holds",
                 "value": math.nan, "bound": math.nan, "direction": "",
                 "holds": controlled(effect, holds)})
    rows.append({**base, "kind": "tier", "role": "", "name": "highest_tier",
                 "value": float(highest_tier(summary, effect.brand)), "bound": math.nan,
                 "direction": "", "holds": False})
    for name, value in effect.parts(summary).items():
        rows.append({**base, "kind": "part", "role": "", "name": name, "value": value,
                     "bound": math.nan, "direction": "", "holds": False})
    return rows


@dataclass(frozen=True)
class Job:
    """One run: an effect's condition at one seed, with the command's extra overrides."""

    effect: str
    condition: str
    seed: int
    overrides: tuple[str, ...]

    def scenario(self):
        from simulation.config.loading import load_scenario

        condition = effect_named(self.effect).condition(self.condition)
        return load_scenario(condition.scenario, [*condition.overrides, *self.overrides])


def run_job(job: Job) -> list[dict[str, Any]]:
    """Run one job (in a worker process) and return its rows; the summary is not kept."""
    from simulation.experiments.runs import simulate

    effect = effect_named(job.effect)
    summary = simulate(job.scenario(), seed=job.seed).summary
    return run_rows(effect, effect.condition(job.condition), job.seed, summary)


def plan(seeds: Sequence[int], overrides: Sequence[str] = (),
         effects: Sequence[Effect] = EFFECTS, conditions: Sequence[str] | None = None
         ) -> list[Job]:
    """Every run of the check: each effect's conditions (all, or those keyed) at each seed.

    Each job's scenario is loaded here, so that a bad file or override stops the command
    before any run.
    """
    jobs = [Job(effect.key, condition.key, seed, tuple(overrides))
            for effect in effects for condition in effect.conditions
            if conditions is None or condition.key in conditions for seed in seeds]
    for job in {(job.effect, job.condition): job for job in jobs}.values():
        job.scenario()
    return jobs


def run_jobs(jobs: Sequence[Job], workers: int = 1, progress: bool = False
             ) -> list[dict[str, Any]]:
    """Run the jobs and return their rows in job order, whatever the number of workers.

    Runs are independent (each its own seed, no shared state), so ``workers`` processes
    give the same rows as one.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from tqdm.auto import tqdm

    from simulation.kernels.compiler import share_cores

    bar = tqdm(total=len(jobs), desc="effects: runs", unit="run",
               disable=None if progress else True, dynamic_ncols=True)
    rows: list[dict[str, Any]] = []
    with bar:
        if workers <= 1:
            for job in jobs:
                rows.extend(run_job(job))
                bar.update()
        else:
            # Fresh interpreters (spawn), not forks: this process's kernels may have started
            # OpenMP threads, and a forked child of such a process aborts.
            with ProcessPoolExecutor(max_workers=workers, initializer=share_cores,
                                     initargs=(workers,),
                                     mp_context=multiprocessing.get_context("spawn")) as pool:
                for result in pool.map(run_job, jobs):
                    rows.extend(result)
                    bar.update()
    return rows


# --- tables --------------------------------------------------------------------------------

def needed(seeds: int, required: float = REQUIRED) -> int:
    """Seeds in which a claim must hold: ``required`` of them, rounded up (9 of 10)."""
    return math.ceil(required * seeds - 1e-9)


def tally(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per effect, condition and criterion (or verdict): seeds, how many hold, mean and range."""
    groups: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
    for row in rows:
        if row["kind"] in ("criterion", "verdict"):
            groups.setdefault((row["effect"], row["condition"], row["role"], row["name"]),
                              []).append(row)
    table = []
    for (effect, condition, role, name), members in groups.items():
        values = np.array([row["value"] for row in members], dtype=np.float64)
        values = values[np.isfinite(values)]
        table.append({
            "effect": effect, "condition": condition, "role": role, "criterion": name,
            "bound": (("<= " if members[0]["direction"] == "max" else ">= ")
                      + f"{members[0]['bound']:.3g}") if members[0]["direction"] else "",
            "seeds": len(members), "holds": sum(bool(row["holds"]) for row in members),
            "mean": float(values.mean()) if len(values) else math.nan,
            "low": float(values.min()) if len(values) else math.nan,
            "high": float(values.max()) if len(values) else math.nan,
        })
    return table


def part_means(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per effect and condition: mean, range and defined seeds of each decomposition part."""
    groups: dict[tuple[str, str, str], list[float]] = {}
    for row in rows:
        if row["kind"] in ("part", "tier"):
            groups.setdefault((row["effect"], row["condition"], row["name"]), []).append(
                row["value"])
    table = []
    for (effect, condition, name), members in groups.items():
        values = np.array(members, dtype=np.float64)
        finite = values[np.isfinite(values)]
        table.append({"effect": effect, "condition": condition, "part": name,
                      "seeds": len(values), "defined": len(finite),
                      "mean": float(finite.mean()) if len(finite) else math.nan,
                      "low": float(finite.min()) if len(finite) else math.nan,
                      "high": float(finite.max()) if len(finite) else math.nan})
    return table


def verdicts(rows: Sequence[dict[str, Any]], effects: Sequence[Effect] = EFFECTS,
             required: float = REQUIRED) -> list[dict[str, Any]]:
    """Each condition's claim checked: one row per effect and condition that ran.

    The scenario (claim True) must show the effect in ``required`` of its seeds; a
    condition claimed to remove it must show it in at most the rest; the control must
    also meet its own criteria in ``required`` of its seeds. Conditions without a claim
    are reported with ``ok`` None.
    """
    table = {(row["effect"], row["condition"], row["criterion"]): row for row in tally(rows)}
    out = []
    for effect in effects:
        for condition in effect.conditions:
            shown = table.get((effect.key, condition.key, "effect_shows"))
            if shown is None:
                continue
            seeds, need = shown["seeds"], needed(shown["seeds"], required)
            control = table[(effect.key, condition.key, "control_holds")]
            if condition.claim is None:
                ok = None
            elif condition.claim:
                ok = shown["holds"] >= need
            else:
                ok = seeds - shown["holds"] >= need
            if ok is not None and condition.key == "control":
                ok = ok and control["holds"] >= need
            out.append({"effect": effect.key, "condition": condition.key,
                        "label": condition.label, "overrides": " ".join(condition.overrides),
                        "scenario": condition.scenario.name,
                        "claim": {True: "shows", False: "absent", None: ""}[condition.claim],
                        "seeds": seeds, "effect_shows": shown["holds"],
                        "control_holds": control["holds"], "ok": ok})
    return out


def condition_table(rows: Sequence[dict[str, Any]], effects: Sequence[Effect] = EFFECTS
                    ) -> list[dict[str, Any]]:
    """The table "condition | each criterion | seeds holding", one row per effect and condition.

    Columns: every criterion of the effect and of its control (seeds where it holds, of
    the seeds run), the effect as a whole, the control's criteria as a whole, the claim
    and whether the runs bear it out.
    """
    table = {(row["effect"], row["condition"], row["criterion"]): row for row in tally(rows)}
    checked = {(row["effect"], row["condition"]): row for row in verdicts(rows, effects)}
    out = []
    for effect in effects:
        for condition in effect.conditions:
            if (effect.key, condition.key) not in checked:
                continue
            verdict = checked[(effect.key, condition.key)]
            row = {"effect": effect.name, "condition": condition.label}
            for criterion in (*effect.criteria, *effect.control_criteria):
                cell = table[(effect.key, condition.key, criterion.name)]
                row[criterion.name] = f"{cell['holds']}/{cell['seeds']}"
            row["effect_shows"] = f"{verdict['effect_shows']}/{verdict['seeds']}"
            row["control_holds"] = f"{verdict['control_holds']}/{verdict['seeds']}"
            row["claim"] = verdict["claim"] or "-"
            row["claim_holds"] = {True: "yes", False: "NO", None: "-"}[verdict["ok"]]
            out.append(row)
    return out


def all_claims_hold(rows: Sequence[dict[str, Any]], effects: Sequence[Effect] = EFFECTS) -> bool:
    """Every claimed condition bears out its claim (conditions without a claim aside)."""
    return all(row["ok"] is not False for row in verdicts(rows, effects))


def render_markdown(rows: Sequence[dict[str, Any]], effects: Sequence[Effect] = EFFECTS) -> str:
    """The condition table, per effect, then each criterion's values and the decomposition,
    as Markdown (docs/effects.md shows these tables)."""
    lines: list[str] = []
    tallies = tally(rows)
    parts = part_means(rows)
    by_condition = {(row["effect"], row["condition"]): row for row in verdicts(rows, effects)}
    for effect in effects:
        ran = [c for c in effect.conditions if (effect.key, c.key) in by_condition]
        if not ran:
            continue
        criteria = (*effect.criteria, *effect.control_criteria)
        lines += [f"### {effect.name}: seeds where each criterion holds", "",
                  "| condition | " + " | ".join(f"{c.name} ({c.bound_text})" for c in criteria)
                  + " | effect shows | control holds | claim | claim holds |",
                  "|---" * (len(criteria) + 5) + "|"]
        cells = {(row["condition"], row["criterion"]): row for row in tallies
                 if row["effect"] == effect.key}
        for condition in ran:
            verdict = by_condition[(effect.key, condition.key)]
            counts = [f"{cells[(condition.key, c.name)]['holds']}/{verdict['seeds']}"
                      for c in criteria]
            lines.append(f"| {condition.label} | " + " | ".join(counts)
                         + f" | {verdict['effect_shows']}/{verdict['seeds']}"
                         f" | {verdict['control_holds']}/{verdict['seeds']}"
                         f" | {verdict['claim'] or '-'}"
                         f" | {({True: 'yes', False: 'NO', None: '-'})[verdict['ok']]} |")
        lines += ["", f"### {effect.name}: mean [range] of each criterion and of the "
                      "decomposition", "",
                  "| condition | " + " | ".join(c.name for c in criteria)
                  + " | ratio | composition part | conversion part | composition share |",
                  "|---" * (len(criteria) + 5) + "|"]
        part_cells = {(row["condition"], row["part"]): row for row in parts
                      if row["effect"] == effect.key}
        for condition in ran:
            values = [_mean_range(cells[(condition.key, c.name)]) for c in criteria]
            values += [_mean_range(part_cells[(condition.key, name)])
                       for name in ("ratio", "ratio_composition", "ratio_conversion",
                                    "composition_share")]
            lines.append(f"| {condition.label} | " + " | ".join(values) + " |")
        lines.append("")
    return "\n".join(lines)


def _mean_range(row: dict[str, Any]) -> str:
    if not math.isfinite(row["mean"]):
        return "n/a"
    return f"{row['mean']:.3g} [{row['low']:.3g}, {row['high']:.3g}]"


# --- criteria over a sweep ----------------------------------------------------------------

def criterion_value(criterion: Criterion, summary: Summary) -> float:
    """A criterion's value on a summary rebuilt from a sweep's table; NaN when a measure it
    reads is missing there (a tier no post reached has no row)."""
    try:
        return criterion.measure(summary)
    except KeyError:
        return math.nan


SCREENED_PARTS = {"composition_part": "ratio_composition", "conversion_part": "ratio_conversion"}
"""The decomposition's parts screened beside the criteria (column name: part): bounded
stand-ins for the composition share, which is unbounded where the gap is near 0."""


def _part_value(effect: Effect, part: str, summary: Summary) -> float:
    try:
        return effect.parts(summary)[part]
    except KeyError:
        return math.nan


def sweep_criteria(frame: Any, measures: Sequence[str], effect: Effect) -> Any:
    """A sweep's table (pandas, one row per run, summary measures as columns) with each
    criterion of the effect and the parts of :data:`SCREENED_PARTS` as columns, and
    ``effect_shows``: 1.0 where every criterion holds, 0.0 where one fails."""
    frame = frame.copy()
    columns: dict[str, list[float]] = {c.name: [] for c in effect.criteria}
    columns.update({name: [] for name in SCREENED_PARTS})
    columns["effect_shows"] = []
    for record in frame[list(measures)].to_dict("records"):
        summary = unflatten({key: value for key, value in record.items() if value == value})
        values = {c.name: criterion_value(c, summary) for c in effect.criteria}
        for name, value in values.items():
            columns[name].append(value)
        for name, part in SCREENED_PARTS.items():
            columns[name].append(_part_value(effect, part, summary))
        columns["effect_shows"].append(float(all(c.holds(values[c.name])
                                                 for c in effect.criteria)))
    for name, column in columns.items():
        frame[name] = column
    return frame


@dataclass
class SweepEffect:
    """An effect's criteria over a finished sweep.

    ``runs``: one row per run (point, arm, replicate, parameters, each criterion,
    ``effect_shows``). ``table``: for a Morris design, the indices of each criterion
    (``analysis.sensitivity``'s columns); for a grid, one row per point with the share of
    replicates in which the effect shows and the mean of each criterion.
    """

    effect: Effect
    method: str
    parameters: list[str]
    runs: Any
    table: Any
    skipped: Any = None

    def render(self) -> str:
        """A few lines for the screen."""
        lines = [f"{self.effect.name}: {self.method} over {', '.join(self.parameters)}"]
        if self.method == "morris":
            ranked = self.table[self.table["index"] == "mu_star"]
            for criterion, group in ranked.groupby("measure", sort=False):
                top = group.sort_values("value", ascending=False).head(4)
                used = int(group["trajectories"].iloc[0])
                total = int(group["design_trajectories"].iloc[0])
                note = f" ({used} of {total} trajectories)" if used < total else ""
                lines.append(f"  {criterion}{note}: " + ", ".join(
                    f"{row.parameter} {row.value:.3g}" for row in top.itertuples()))
            if self.skipped is not None and len(self.skipped):
                for row in self.skipped.itertuples():
                    lines.append(f"  {row.measure}: not screened ({row.reason})")
        else:
            from simulation.experiments.executor import PARAMETER_PREFIX

            for row in self.table.to_dict("records"):
                where = ", ".join(f"{p} = {row[PARAMETER_PREFIX + p]:.3g}"
                                  for p in self.parameters)
                lines.append(f"  {where}: effect shows in {row['shows']}/{row['replicates']}")
        return "\n".join(lines)


def morris_indices(runs: Any, points: Any, criteria: Sequence[str], record: dict[str, Any],
                   parameters: int) -> tuple[Any, Any]:
    """SALib's Morris indices of each criterion, over the trajectories where it is defined.

    A ratio criterion is undefined at a point where its denominator is 0 (a style with no
    lead); SALib needs every point, so such a criterion is screened on the trajectories
    (blocks of ``parameters + 1`` consecutive points, as the design was sampled) whose points
    all define it, if at least two are left. ``indices`` gains the columns ``trajectories``
    (how many were used) and ``design_trajectories``; ``skipped`` lists the criteria that
    could not be screened.
    """
    import pandas as pd

    from simulation.experiments.analysis import sensitivity

    indices, skipped = sensitivity(runs, points, list(criteria), record)
    total = len(points) // (parameters + 1)
    indices["trajectories"] = indices["design_trajectories"] = total
    done = runs[runs["status"] == "done"]
    kept, still = [indices], []
    for row in skipped.to_dict("records"):
        means = done.groupby("point")[row["measure"]].mean().reindex(range(len(points)))
        blocks = np.isfinite(means.to_numpy(dtype=np.float64)).reshape(total, parameters + 1)
        complete = np.flatnonzero(blocks.all(axis=1))
        if not row["reason"].startswith("missing") or len(complete) < 2:
            still.append(row)
            continue
        keep = [int(t) * (parameters + 1) + i for t in complete for i in range(parameters + 1)]
        renumber = {old: new for new, old in enumerate(keep)}
        sub_points = points[points["point"].isin(keep)].copy()
        sub_points["point"] = sub_points["point"].map(renumber)
        sub_runs = runs[runs["point"].isin(keep)].copy()
        sub_runs["point"] = sub_runs["point"].map(renumber)
        part, left = sensitivity(sub_runs, sub_points, [row["measure"]], record)
        part["trajectories"] = len(complete)
        part["design_trajectories"] = total
        kept.append(part)
        still.extend(left.to_dict("records"))
    return (pd.concat(kept, ignore_index=True),
            pd.DataFrame(still, columns=list(skipped.columns)))


def sweep_effect(folder: str | Path, effect: Effect) -> SweepEffect:
    """Read an effect's criteria off a finished sweep (a Morris screening or a grid).

    Morris: SALib's mu, mu_star and sigma of each criterion, as a continuous measure, on
    each point's mean over its replicates (``analysis.sensitivity``). Grid: per point, in
    how many replicates the effect shows and each criterion's mean.
    """
    import pandas as pd

    from simulation.config.loading import ScenarioError
    from simulation.experiments.analysis import measure_columns, read_sweep
    from simulation.experiments.executor import PARAMETER_PREFIX

    folder = Path(folder)
    record, frame = read_sweep(folder)
    done = frame[frame["status"] == "done"]
    if done.empty:
        raise ScenarioError(f"error: {folder}: no run completed; see {folder / 'failed'}/")
    measures = measure_columns(frame)
    runs = sweep_criteria(frame, measures, effect)
    parameters = [c[len(PARAMETER_PREFIX):] for c in frame.columns
                  if c.startswith(PARAMETER_PREFIX)]
    keep = ["point", "arm", "replicate", "status", *(PARAMETER_PREFIX + p for p in parameters),
            *(c.name for c in effect.criteria), *SCREENED_PARTS, "effect_shows"]
    runs = runs[[c for c in keep if c in runs.columns]]
    method = record["method"]
    if method == "morris":
        points = pd.read_parquet(folder / "points.parquet")
        indices, skipped = morris_indices(
            runs, points, [*(c.name for c in effect.criteria), *SCREENED_PARTS], record,
            len(parameters))
        return SweepEffect(effect, method, parameters, runs, indices, skipped)
    if method != "grid":
        raise ScenarioError(f"error: {folder}: a {method} sweep; --sweep reads a morris "
                            "screening or a grid")
    completed = runs[runs["status"] == "done"]
    grouped = completed.groupby("point", sort=True)
    table = grouped[[PARAMETER_PREFIX + p for p in parameters]].first()
    table["replicates"] = grouped.size()
    table["shows"] = grouped["effect_shows"].sum().astype(int)
    table["share"] = table["shows"] / table["replicates"]
    for criterion in effect.criteria:
        table[criterion.name] = grouped[criterion.name].mean()
    return SweepEffect(effect, method, parameters, runs, table.reset_index())
