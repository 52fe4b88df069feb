"""Calibration: fit scenario fields to published figures, with an uncertainty for each.

A calibration file (TOML or YAML, ``scenarios/calibration/``) names a base scenario, the
free parameters (field paths with bounds and a scale), the targets (a summary measure, the
published value, its uncertainty and its source), the conditions the targets are measured
in (overrides of the base: the MusicLab independent world is the social world with counts
hidden and a random order) and the replicates of each::

    name = "baseline"
    scenario = "../baseline.toml"            # relative to the calibration file

    [[parameters]]
    path = "funnel.like.intercept"
    low = -8.5
    high = -6.5

    [[targets]]
    name = "engagement"
    measure = "rates.engagement_rate_by_views"
    value = 0.055
    uncertainty = 0.0125                     # one standard deviation
    source = "..."

    [method]
    replicates = 2                           # runs per condition and candidate
    seed = 17                                # root of the replicates' seeds
    evaluations = 60                         # most candidates the search may try

**Method: simulated method of moments with common random numbers.** For candidate values
theta, each condition is run ``replicates`` (or its ``worlds``) times and each target's
measure averaged (or, for ``across.*`` measures such as MusicLab's unpredictability,
computed across those runs); the residual of target k is z_k = (m_k(theta) - y_k) / s_k with
y_k the published value and s_k its uncertainty, and theta minimises sum z_k^2. Replicate
r of condition c has the seed SeedSequence(seed, spawn_key=(c, r)) for every candidate, so
candidates are compared on the same simulated viewers and posts (common random numbers)
and the objective is smooth enough for a derivative-based search. The search is SciPy's
trust-region-reflective least squares (``scipy.optimize.least_squares``) in each
parameter's unit interval (log scale where asked), with its Jacobian by central
differences of ``method.step``, every difference a batch of runs on the sweep executor
(Dask, or this process with one worker).

**Uncertainty**: the sandwich covariance of the estimator, (J'J)^-1 J' D J (J'J)^-1, with J
the Jacobian of the residuals at the optimum and D the variance of each residual: the
target's uncertainty and the simulation's own (the replicates' variance / replicates),
relative to s_k^2. It is computed on the logit of each parameter's unit interval, so an
interval never leaves the bounds; one that spans most of the range (IDENTIFIED_WIDTH) is
reported as not identified by the targets. With more targets than parameters, the J statistic
(sum of residuals^2 / D) against chi-square(K - P) says whether the model can fit all
targets at once.

**Progress**: a bar of runs, and ``evaluations.csv`` rewritten after every batch.

**Resuming**: every run is a file ``runs/KEY.parquet`` whose key is a digest of the
candidate, the condition and the replicate, written by the executor's worker; the search is
deterministic given its evaluations, so running the same calibration into the same folder
replays the finished runs from their files and goes on from where it stopped.

Outputs (``calibration.json``, ``evaluations.csv``, ``calibrated.toml``) are written by
:func:`write_outputs`; the convergence figure by ``viz/calibration_figures.py``.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow.parquet as pq
from pydantic import Field, ValidationError
from scipy import optimize, stats
from tqdm import tqdm

from simulation.config.base import NAME_PATTERN, Section
from simulation.config.loading import (
    ScenarioError,
    describe_errors,
    format_problems,
    load_scenario,
    parse_path,
    read_document,
)
from simulation.config.scenario import Scenario
from simulation.experiments.executor import (
    PARAMETER_PREFIX,
    RunTask,
    _remove_partial_files,
    dask_client,
    default_workers,
    execute_in_process,
    execute_on_dask,
    folder_lock,
    row_of_run_file,
)
from simulation.experiments.sweeps import (
    TomlValue,
    _flatten_overrides,
    _is_integer_field,
    _is_number_field,
    _path_problem,
    apply_assignments,
    scenario_for,
    scenario_problems,
)
from simulation.io.folders import FAILED, RUNS
from simulation.io.outputs import git_commit, versions
from simulation.io.storage import write_json, write_text
from simulation.measures.aggregate import flatten, unflatten
from simulation.measures.social import across_seed_measures

FORMAT = "engagement-sim calibration 1"
RECORD = "calibration-record.json"
IDENTIFIED_WIDTH = 0.9
"""A parameter whose interval spans more than this share of its range is reported as not
identified by the targets."""
ACROSS = "across."
"""Measures computed across the runs of a condition (``across.catalog.like_share_unpredictability``)."""


# --- the calibration file -----------------------------------------------------------------


class FreeParameter(Section):
    """A scenario field the calibration fits, within bounds."""

    path: str = Field(description="Field path into the scenario, as in --set: funnel.like.intercept.")
    low: float = Field(description="Lowest value tried.")
    high: float = Field(description="Highest value tried.")
    scale: Literal["linear", "log"] = Field(
        "linear", description="Search evenly (linear) or by ratio (log; low > 0).")
    start: float | None = Field(None, description="Where the search starts (absent: the base "
                                                  "scenario's value, or the middle of the range).")


class Target(Section):
    """A published figure that a summary measure of the model should reproduce."""

    name: str = Field(pattern=NAME_PATTERN, description="Name of the target, used in outputs.")
    measure: str = Field(description="A summary.json measure as a dotted path "
                                     "(rates.engagement_rate_by_views), or across.<path> for a "
                                     "measure across a condition's runs "
                                     "(across.catalog.like_share_unpredictability).")
    condition: str = Field("base", description="The condition whose runs it is measured in.")
    value: float = Field(description="The published value.")
    uncertainty: float = Field(gt=0, description="One standard deviation of the published value "
                                                 "(a range a..b read as a 95% interval: (b - a) / 4).")
    source: str = Field(min_length=1, description="Where the value comes from: a full reference, "
                                                   "or 'assumed' with why.")


class Reported(Section):
    """A measure reported beside the fit at the best values, not fitted."""

    name: str = Field(pattern=NAME_PATTERN, description="Name, used in outputs.")
    measure: str = Field(description="A summary.json measure (dotted path) or across.<path>.")
    condition: str = Field("base", description="The condition whose runs it is measured in.")


class Condition(Section):
    """One experimental condition: overrides of the base scenario and its number of runs."""

    name: str = Field(pattern=NAME_PATTERN, description="Name of the condition.")
    description: str = Field("", description="What this condition is.")
    set: dict[str, TomlValue] = Field(default_factory=dict,
                                      description="Overrides of the base: field path -> value.")
    worlds: int | None = Field(None, ge=1, le=10_000,
                               description="Runs of this condition per candidate (absent: "
                                           "method.replicates).")


class Method(Section):
    """How the calibration searches and how many runs it spends."""

    replicates: int = Field(2, ge=1, le=10_000,
                            description="Runs per condition and candidate (common seeds across "
                                        "candidates).")
    seed: int = Field(1, ge=0, le=2**63 - 1, description="Root entropy of the replicates' seeds.")
    evaluations: int = Field(60, ge=2, le=100_000,
                             description="Most candidates the search may evaluate (the Jacobian's "
                                         "included).")
    step: float = Field(0.04, gt=0, le=0.25,
                        description="Central-difference step of the Jacobian, as a share of each "
                                    "parameter's (unit) range.")
    tolerance: float = Field(1e-3, gt=0, le=1,
                             description="Stop when the sum of squared residuals changes by less "
                                         "than this share (ftol) or the step is this small (xtol).")
    confidence: float = Field(0.95, gt=0, lt=1, description="Level of the parameters' intervals.")


class CalibrationFile(Section):
    """A calibration file: the base scenario, free parameters, targets, conditions, method."""

    name: str | None = Field(None, pattern=NAME_PATTERN,
                             description="Name (default: the file's stem).")
    description: str = Field("", description="What this calibration fits, and to what.")
    scenario: str = Field(description="Base scenario file, relative to the calibration file.")
    set: dict[str, TomlValue] = Field(default_factory=dict,
                                      description="Overrides of the base scenario: field path -> value.")
    parameters: list[FreeParameter] = Field(min_length=1, description="The fitted fields.")
    targets: list[Target] = Field(min_length=1, description="The published figures.")
    conditions: list[Condition] = Field(
        default_factory=lambda: [Condition(name="base")],
        description="Conditions the targets are measured in (default: the base alone).")
    method: Method = Field(default_factory=Method, description="Runs and search.")
    reported: list[Reported] = Field(default_factory=list,
                                     description="Measures reported at the best values, not fitted.")


@dataclass
class Calibration:
    """A checked calibration: its file, the resolved base scenario, where it came from."""

    spec: CalibrationFile
    base: Scenario
    source: str
    name: str
    base_path: Path

    def base_document(self) -> dict[str, Any]:
        return self.base.model_dump(mode="json", exclude_none=True)

    def worlds(self, condition: Condition) -> int:
        return condition.worlds or self.spec.method.replicates

    def resolved(self) -> dict[str, Any]:
        """What the results depend on: the file's content and the base scenario."""
        return {"spec": self.spec.model_dump(mode="json"), "base": self.base_document()}

    def digest(self) -> str:
        """Of what the runs and the search path depend on (:func:`_search_identity`)."""
        return _digest(_search_identity(self.resolved()))


def _search_identity(resolved: dict[str, Any]) -> dict[str, Any]:
    """A resolved calibration without what neither the runs nor the search depend on: the
    evaluation budget (a calibration that ran out can be given more and resumed), texts
    (name, descriptions, sources) and the reported measures."""
    spec = json.loads(json.dumps(resolved.get("spec", {})))
    spec.get("method", {}).pop("evaluations", None)
    for key in ("name", "description", "reported"):
        spec.pop(key, None)
    for item in (*spec.get("targets", []), *spec.get("conditions", [])):
        item.pop("source", None)
        item.pop("description", None)
    return {"spec": spec, "base": resolved.get("base")}


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _check(spec: CalibrationFile, base: Scenario) -> list[tuple[str, str]]:
    """What the schema cannot see alone: paths, ranges, conditions, runs that would not validate."""
    problems: list[tuple[str, str]] = []
    for index, param in enumerate(spec.parameters):
        where = f"parameters[{index}]"
        if (problem := _path_problem(param.path)) is not None:
            problems.append((f"{where}.path", problem))
            continue
        if not _is_number_field(param.path) or _is_integer_field(param.path):
            problems.append((f"{where}.path", f"{param.path} is not a real-valued field: a "
                                              "calibration fits real numbers"))
        if not param.high > param.low:
            problems.append((f"{where}.high", f"must be above low ({param.low:g})"))
        if param.scale == "log" and param.low <= 0:
            problems.append((f"{where}.low", "must be > 0 with scale = \"log\""))
        if param.start is not None and not param.low <= param.start <= param.high:
            problems.append((f"{where}.start", f"must be within low..high ({param.low:g}.."
                                               f"{param.high:g})"))
    paths = [param.path for param in spec.parameters]
    if len(set(paths)) != len(paths):
        problems.append(("parameters", "each path may be fitted once"))
    conditions = [condition.name for condition in spec.conditions]
    if len(set(conditions)) != len(conditions):
        problems.append(("conditions", "condition names must be unique"))
    names = [target.name for target in spec.targets]
    if len(set(names)) != len(names):
        problems.append(("targets", "target names must be unique"))
    for place, items in (("targets", spec.targets), ("reported", spec.reported)):
        for index, item in enumerate(items):
            if item.condition not in conditions:
                problems.append((f"{place}[{index}].condition", f"unknown condition "
                                 f"{item.condition!r}; known: {', '.join(conditions)}"))
    base_document = base.model_dump(mode="json", exclude_none=True)
    for index, condition in enumerate(spec.conditions):
        for path in condition.set:
            if (problem := _path_problem(path)) is not None:
                problems.append((f"conditions[{index}].set.{path}", problem))
        if problems:
            continue
        for corner in ("low", "high"):
            assignments = {**_flatten_overrides(condition.set),
                           **{param.path: getattr(param, corner) for param in spec.parameters}}
            try:
                document = apply_assignments(base_document, assignments)
            except ValueError as exc:
                problems.append((f"conditions[{index}]", str(exc)))
                break
            for path, message in scenario_problems(document):
                problems.append((f"conditions[{index}] with every parameter at its {corner}",
                                 f"{path}: {message}"))
    return problems


def load_calibration(path: str | Path) -> Calibration:
    """Read and check a calibration file; raises ScenarioError with every problem, by field path."""
    path = Path(path)
    document = read_document(path)
    try:
        spec = CalibrationFile.model_validate(document)
    except ValidationError as exc:
        raise ScenarioError(format_problems(str(path), describe_errors(exc, CalibrationFile))) from None
    base_path = path.parent / spec.scenario
    base = load_scenario(base_path)
    overrides = _flatten_overrides(spec.set)
    for key in overrides:
        if (problem := _path_problem(key)) is not None:
            raise ScenarioError(format_problems(str(path), [(f"set.{key}", problem)]))
    if overrides:
        base = scenario_for(base.model_dump(mode="json", exclude_none=True), overrides,
                            source=f"{path} (set)")
    problems = _check(spec, base)
    if problems:
        raise ScenarioError(format_problems(str(path), problems))
    return Calibration(spec, base, str(path), spec.name or path.stem, base_path)


def _toml_value(value: Any) -> str:
    """A value as a TOML literal for --set style overrides."""
    import tomlkit

    return tomlkit.dumps({"v": value}).split("=", 1)[1].strip()


# --- parameters in the unit interval -------------------------------------------------------


def to_unit(param: FreeParameter, value: float) -> float:
    """A parameter's value as its place in 0..1 (log scale if asked)."""
    if param.scale == "log":
        return (math.log(value) - math.log(param.low)) / (math.log(param.high) - math.log(param.low))
    return (value - param.low) / (param.high - param.low)


def from_unit(param: FreeParameter, unit: float) -> float:
    """The value at a place in 0..1 of a parameter's range (the bounds exactly at 0 and 1)."""
    if unit <= 0.0:
        return float(param.low)
    if unit >= 1.0:
        return float(param.high)
    if param.scale == "log":
        return float(math.exp(math.log(param.low) + unit * (math.log(param.high) - math.log(param.low))))
    return float(param.low + unit * (param.high - param.low))


def start_values(calibration: Calibration) -> dict[str, float]:
    """Where the search starts: each ``start``, else the base's value if in range, else the middle."""
    document = calibration.base_document()
    values = {}
    for param in calibration.spec.parameters:
        value = param.start
        if value is None:
            node: Any = document
            for part in parse_path(param.path):
                node = node[part] if isinstance(node, list | dict) else None
            if isinstance(node, int | float) and param.low <= node <= param.high:
                value = float(node)
        values[param.path] = value if value is not None else from_unit(param, 0.5)
    return values


# --- evaluating candidates on the executor -------------------------------------------------


@dataclass
class Evaluation:
    """One candidate: its values, every target's simulated value and the residuals."""

    index: int
    kind: str  # "search" or "jacobian"
    values: dict[str, float]
    measures: dict[str, float]
    spread: dict[str, float]  # standard deviation across runs (nan for across.* measures)
    residuals: np.ndarray  # (K,) z-scores
    loss: float


def _row_measures(path: Path) -> dict[str, float]:
    row = row_of_run_file(pq.read_table(path)).to_pylist()[0]
    return {key: value for key, value in row.items()
            if isinstance(value, float) and not key.startswith(PARAMETER_PREFIX)}


def condition_measures(rows: list[dict[str, float]]) -> tuple[dict[str, float], dict[str, float]]:
    """The mean over a condition's runs of every measure, and the across-run measures.

    Returns (values, spread): ``values`` holds each measure's mean and ``across.<path>``
    measures; ``spread`` each per-run measure's standard deviation across the runs.
    """
    keys = list(dict.fromkeys(key for row in rows for key in row))
    values, spread = {}, {}
    for key in keys:
        column = np.array([row.get(key, math.nan) for row in rows], dtype=np.float64)
        values[key] = float(np.nanmean(column)) if np.isfinite(column).any() else math.nan
        spread[key] = float(np.nanstd(column, ddof=1)) if np.isfinite(column).sum() > 1 else math.nan
    across = flatten(across_seed_measures(unflatten(row) for row in rows))
    values.update({ACROSS + key: value for key, value in across.items()})
    return values, spread


class Evaluator:
    """Runs candidates' conditions x replicates on the executor and keeps every evaluation."""

    def __init__(self, calibration: Calibration, folder: Path,
                 run_batch: Callable[[list[RunTask]], None]):
        self.calibration = calibration
        self.folder = folder
        self.run_batch = run_batch
        self.base_document = calibration.base_document()
        self.evaluations: list[Evaluation] = []
        self.targets = calibration.spec.targets
        self.scale = np.array([target.uncertainty for target in self.targets])
        self.published = np.array([target.value for target in self.targets])
        self.runs_done = 0
        self.runs_reused = 0

    def key(self, values: dict[str, float], condition: int, replicate: int) -> str:
        text = json.dumps({path: repr(value) for path, value in sorted(values.items())})
        candidate = hashlib.sha256(text.encode()).hexdigest()[:16]
        return f"{self.calibration.spec.conditions[condition].name}-r{replicate:03d}-{candidate}"

    def tasks(self, values: dict[str, float]) -> list[RunTask]:
        tasks = []
        for c, condition in enumerate(self.calibration.spec.conditions):
            assignments = {**_flatten_overrides(condition.set), **values}
            for r in range(self.calibration.worlds(condition)):
                tasks.append(RunTask(
                    self.key(values, c, r), len(self.evaluations), condition.name, r, (c, r),
                    self.calibration.spec.method.seed, assignments, dict(values),
                    {path: "float64" for path in values}, str(self.folder.resolve()), False))
        return tasks

    def evaluate(self, candidates: list[dict[str, float]], kind: str) -> list[Evaluation]:
        """Run every candidate's runs that have no file yet (one batch), then measure them."""
        per_candidate = [self.tasks(values) for values in candidates]
        pending = {task.key: task for tasks in per_candidate for task in tasks
                   if not (self.folder / RUNS / f"{task.key}.parquet").exists()}
        self.runs_reused += sum(len(tasks) for tasks in per_candidate) - len(pending)
        if pending:
            self.run_batch(list(pending.values()))
            self.runs_done += len(pending)
        results = []
        for values, tasks in zip(candidates, per_candidate, strict=True):
            missing = [task.key for task in tasks
                       if not (self.folder / RUNS / f"{task.key}.parquet").exists()]
            if missing:
                record = self.folder / FAILED / f"{missing[0]}.json"
                error = (json.loads(record.read_text())["error"] if record.is_file()
                         else "no result file")
                raise ScenarioError(f"error: calibration run {missing[0]} failed: {error}")
            by_condition: dict[str, list[dict[str, float]]] = {}
            for task in tasks:
                by_condition.setdefault(task.arm, []).append(
                    _row_measures(self.folder / RUNS / f"{task.key}.parquet"))
            measured = {name: condition_measures(rows) for name, rows in by_condition.items()}
            measures, spread = {}, {}
            for item in self.calibration.spec.reported:
                measures[item.name] = measured[item.condition][0].get(item.measure, math.nan)
                spread[item.name] = measured[item.condition][1].get(item.measure, math.nan)
            for target in self.targets:
                values_of, spread_of = measured[target.condition]
                if target.measure not in values_of:
                    raise ScenarioError(
                        f"error: {self.calibration.source}: targets: measure {target.measure!r} "
                        f"is not in the summaries of condition {target.condition!r}; see "
                        "README, \"Reading summary.json\" (across.* for measures across runs)")
                measures[target.name] = values_of[target.measure]
                spread[target.name] = spread_of.get(target.measure, math.nan)
            simulated = np.array([measures[target.name] for target in self.targets])
            residuals = (simulated - self.published) / self.scale
            evaluation = Evaluation(len(self.evaluations), kind, dict(values), measures, spread,
                                    residuals, float(np.sum(residuals**2)))
            self.evaluations.append(evaluation)
            results.append(evaluation)
        # So far, for a look while it runs (and what is left if it is stopped).
        write_text(self.folder / "evaluations.csv",
                   evaluations_csv(self.calibration, self.evaluations))
        return results


# --- the search and the uncertainty --------------------------------------------------------


@dataclass
class CalibrationResult:
    """The fit: best values, their intervals, every target's fit, how the search went."""

    calibration: Calibration
    best: Evaluation
    unit: np.ndarray  # (P,) best values in 0..1
    covariance_logit: np.ndarray  # (P, P) on logit(unit)
    jacobian: np.ndarray  # (K, P) of residuals by unit
    evaluations: list[Evaluation]
    status: str
    wall_seconds: float
    runs_done: int
    runs_reused: int
    workers: int
    details: dict[str, Any] = field(default_factory=dict)

    def parameter_rows(self) -> list[dict[str, Any]]:
        """Each parameter's best value, standard error (logit scale) and interval."""
        level = self.calibration.spec.method.confidence
        quantile = stats.norm.ppf(0.5 + level / 2)
        rows = []
        for p, param in enumerate(self.calibration.spec.parameters):
            unit = float(self.unit[p])
            se = math.sqrt(self.covariance_logit[p, p]) if np.isfinite(
                self.covariance_logit[p, p]) and self.covariance_logit[p, p] >= 0 else math.inf
            at_bound = unit <= 1e-6 or unit >= 1 - 1e-6
            if at_bound or not math.isfinite(se):
                low, high = param.low, param.high
            else:
                centre = math.log(unit / (1 - unit))
                low = from_unit(param, stats.logistic.cdf(centre - quantile * se))
                high = from_unit(param, stats.logistic.cdf(centre + quantile * se))
            width = to_unit(param, high) - to_unit(param, low)
            rows.append({"path": param.path, "value": self.best.values[param.path],
                         "ci_low": low, "ci_high": high, "level": level,
                         "se_logit": se, "at_bound": at_bound,
                         "identified": math.isfinite(se) and width < IDENTIFIED_WIDTH,
                         "low": param.low, "high": param.high, "scale": param.scale})
        return rows

    def reported_rows(self) -> list[dict[str, Any]]:
        """Each reported measure at the best values (mean over runs, or across runs)."""
        return [{"name": item.name, "measure": item.measure, "condition": item.condition,
                 "simulated": self.best.measures[item.name],
                 "simulated_sd_across_runs": self.best.spread[item.name]}
                for item in self.calibration.spec.reported]

    def target_rows(self) -> list[dict[str, Any]]:
        """Each target: published value and uncertainty, simulated value, residual, z."""
        rows = []
        for k, target in enumerate(self.calibration.spec.targets):
            simulated = self.best.measures[target.name]
            rows.append({"name": target.name, "measure": target.measure,
                         "condition": target.condition, "published": target.value,
                         "uncertainty": target.uncertainty, "simulated": simulated,
                         "simulated_sd_across_runs": self.best.spread[target.name],
                         "residual": simulated - target.value,
                         "z": float(self.best.residuals[k]), "source": target.source})
        return rows


def _logit_covariance(jacobian: np.ndarray, unit: np.ndarray, variance_ratio: np.ndarray
                      ) -> tuple[np.ndarray, dict[str, Any]]:
    """Sandwich covariance of the estimate on logit(unit) from the residuals' Jacobian by unit.

    ``jacobian`` (K, P) d z_k / d unit_p; ``variance_ratio`` (K,) each residual's variance
    (target's plus the simulation's) over the target's. Returns (P, P) and diagnostics.
    """
    scale = unit * (1 - unit)  # d unit / d logit
    j = jacobian * scale[None, :]
    information = j.T @ j
    singular = np.linalg.svd(information, compute_uv=False)
    condition = float(singular.max() / singular.min()) if singular.min() > 0 else math.inf
    if not np.isfinite(condition) or condition > 1e12:
        return np.full_like(information, math.inf), {"condition_number": condition}
    bread = np.linalg.inv(information)
    meat = j.T @ np.diag(variance_ratio) @ j
    return bread @ meat @ bread, {"condition_number": condition}


def calibrate(calibration: Calibration, folder: str | Path, workers: int | None = None,
              scheduler: str | None = None, progress: bool = True) -> CalibrationResult:
    """Fit the calibration's parameters, running on ``workers`` local processes or a scheduler."""
    folder = Path(folder)
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ScenarioError("error: --workers: must be at least 1")
    spec, method = calibration.spec, calibration.spec.method
    params = spec.parameters
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        prepare_folder(calibration, folder)
        stack.enter_context(folder_lock(folder))
        _remove_partial_files(folder)  # left by a process killed while writing a run
        bar = stack.enter_context(tqdm(total=0, desc=f"calibrate {calibration.name}", unit="run",
                                       disable=None if progress else True, dynamic_ncols=True))
        client = None
        if scheduler or workers > 1:
            client = stack.enter_context(dask_client(workers, scheduler))
        base_document = calibration.base_document()

        def run_batch(tasks: list[RunTask]) -> None:
            bar.total += len(tasks)
            bar.refresh()
            if client is None:
                execute_in_process(tasks, base_document, lambda status: bar.update())
            else:
                execute_on_dask(tasks, base_document, client, lambda status: bar.update())

        evaluator = Evaluator(calibration, folder, run_batch)
        names = [param.path for param in params]

        def values_at(unit: np.ndarray) -> dict[str, float]:
            return {param.path: from_unit(param, float(u)) for param, u in zip(params, unit,
                                                                                strict=True)}

        def residuals(unit: np.ndarray) -> np.ndarray:
            (evaluation,) = evaluator.evaluate([values_at(unit)], "search")
            bar.set_postfix(loss=f"{evaluation.loss:.3g}", refresh=False)
            return evaluation.residuals

        def jacobian(unit: np.ndarray) -> np.ndarray:
            h = method.step
            points = []
            for p in range(len(params)):
                up, down = unit.copy(), unit.copy()
                up[p], down[p] = min(unit[p] + h, 1.0), max(unit[p] - h, 0.0)
                points += [up, down]
            evaluations = evaluator.evaluate([values_at(point) for point in points], "jacobian")
            columns = []
            for p in range(len(params)):
                up, down = evaluations[2 * p], evaluations[2 * p + 1]
                width = points[2 * p][p] - points[2 * p + 1][p]
                columns.append((up.residuals - down.residuals) / width)
            return np.column_stack(columns)

        start = start_values(calibration)
        x0 = np.array([to_unit(param, start[param.path]) for param in params])
        fit = optimize.least_squares(
            residuals, x0, jac=jacobian, bounds=(np.zeros(len(params)), np.ones(len(params))),
            method="trf", x_scale=1.0, ftol=method.tolerance, xtol=method.tolerance,
            gtol=method.tolerance, max_nfev=max(1, method.evaluations // (1 + 2 * len(params))))
        unit = np.clip(fit.x, 0.0, 1.0)
        # The fit's last Jacobian may be of an earlier point: the uncertainty needs it at the best.
        final = jacobian(unit)
        best = evaluator.evaluate([values_at(unit)], "search")[0]
        bar.close()
    spreads = np.array([best.spread[target.name] for target in spec.targets])
    scale = evaluator.scale
    worlds = {condition.name: calibration.worlds(condition) for condition in spec.conditions}
    runs_of = np.array([worlds[target.condition] for target in spec.targets], dtype=float)
    simulation_variance = np.where(np.isfinite(spreads), spreads**2 / runs_of, 0.0)
    variance_ratio = 1.0 + simulation_variance / scale**2
    covariance, diagnostics = _logit_covariance(final, unit, variance_ratio)
    k, p = len(spec.targets), len(params)
    statistic = float(np.sum(best.residuals**2 / variance_ratio))
    diagnostics.update({
        "j_statistic": statistic, "degrees_of_freedom": k - p,
        "j_p_value": float(stats.chi2.sf(statistic, k - p)) if k > p else None,
        "optimizer_status": int(fit.status), "optimizer_message": str(fit.message),
        "optimizer_function_evaluations": int(fit.nfev),
        "parameter_names": names})
    return CalibrationResult(calibration, best, unit, covariance, final, evaluator.evaluations,
                             str(fit.message), time.perf_counter() - started,
                             evaluator.runs_done, evaluator.runs_reused,
                             workers if client is not None else 1, diagnostics)


# --- the folder and the outputs ------------------------------------------------------------


def prepare_folder(calibration: Calibration, folder: Path) -> bool:
    """Create a calibration folder, or check that an existing one holds this calibration.

    Returns True when resuming. A folder that holds anything else, or another
    calibration, is refused with what to do.
    """
    record_path = folder / RECORD
    if record_path.is_file():
        record = json.loads(record_path.read_text(encoding="utf-8"))
        recorded = _search_identity(record.get("resolved", {}))
        if record.get("format") != FORMAT or _digest(recorded) != calibration.digest():
            raise ScenarioError(
                f"error: {folder} holds another calibration (or this one with a changed file or "
                "base scenario); choose a new --out folder, or undo the change to resume it")
        return True
    if folder.exists() and any(path.name != ".lock" for path in folder.iterdir()):
        raise ScenarioError(f"error: {folder} exists and is not a calibration folder; "
                            "choose a new --out folder")
    for place in (RUNS, FAILED):
        (folder / place).mkdir(parents=True, exist_ok=True)
    write_json(record_path, {"format": FORMAT, "name": calibration.name,
                             "source": calibration.source, "digest": calibration.digest(),
                             "resolved": calibration.resolved(),
                             "created": datetime.now(UTC).isoformat(timespec="seconds")})
    return False


def evaluations_csv(calibration: Calibration, evaluations: list[Evaluation]) -> str:
    """Every evaluation: index, kind, parameter values, each target's value, loss."""
    targets = [target.name for target in calibration.spec.targets]
    paths = [param.path for param in calibration.spec.parameters]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["evaluation", "kind", *paths, *targets, "loss"])
    for evaluation in evaluations:
        writer.writerow([evaluation.index, evaluation.kind,
                         *[repr(evaluation.values[path]) for path in paths],
                         *[repr(evaluation.measures[name]) for name in targets],
                         repr(evaluation.loss)])
    return out.getvalue()


def calibrated_toml(result: CalibrationResult, folder: Path, command: list[str] | None) -> str:
    """A scenario file that extends the base with the calibrated values, citing the calibration."""
    calibration = result.calibration
    base = Path(os.path.relpath(calibration.base_path.resolve(), folder.resolve()))
    how = " ".join(command) if command else f"python run.py calibrate {calibration.source}"
    lines = [f"# Calibrated by `{how}`",
             f"# ({calibration.source}, {datetime.now(UTC).date().isoformat()}): simulated method of "
             "moments with common random numbers,",
             f"# {result.runs_done + result.runs_reused} runs; {folder.as_posix()}/calibration.json "
             "has every target's fit and each value's interval.",
             "#"]
    for row in result.parameter_rows():
        lines.append(f"# {row['path']} = {row['value']:.6g}  "
                     f"({row['level']:.0%} interval {row['ci_low']:.4g} .. {row['ci_high']:.4g})")
    for row in result.target_rows():
        lines.append(f"# target {row['name']}: published {row['published']:.4g} +- "
                     f"{row['uncertainty']:.2g}, simulated {row['simulated']:.4g} (z {row['z']:+.2f})")
    lines += ["", f'extends = "{base.as_posix()}"',
              f'name = "{calibration.base.name}_calibrated"', "", "[set]"]
    for path in (param.path for param in calibration.spec.parameters):
        lines.append(f'"{path}" = {result.best.values[path]!r}')
    for path, value in _flatten_overrides(calibration.spec.set).items():
        lines.append(f'"{path}" = {_toml_value(value)}')
    return "\n".join(lines) + "\n"


def write_outputs(result: CalibrationResult, folder: str | Path,
                  command: list[str] | None = None) -> dict[str, Path]:
    """``calibration.json``, ``evaluations.csv`` and ``calibrated.toml`` (each written atomically)."""
    folder = Path(folder)
    calibration = result.calibration
    paths = {"json": folder / "calibration.json", "csv": folder / "evaluations.csv",
             "scenario": folder / "calibrated.toml"}
    write_json(paths["json"], {
        "calibration": calibration.name, "source": calibration.source,
        "description": calibration.spec.description,
        "method": ("simulated method of moments, common random numbers across candidates; "
                   "scipy.optimize.least_squares (trf) on each parameter's unit range, Jacobian "
                   "by central differences; sandwich covariance on the logit of the unit range"),
        "parameters": result.parameter_rows(), "targets": result.target_rows(),
        "reported": result.reported_rows(),
        "loss": result.best.loss, "diagnostics": result.details, "status": result.status,
        "evaluations": len(result.evaluations), "runs_this_session": result.runs_done,
        "runs_reused": result.runs_reused, "workers": result.workers,
        "wall_seconds": round(result.wall_seconds, 2),
        "replicates": {condition.name: calibration.worlds(condition)
                       for condition in calibration.spec.conditions},
        "versions": versions(), "git_commit": git_commit(), "command": command})
    write_text(paths["csv"], evaluations_csv(calibration, result.evaluations))
    write_text(paths["scenario"], calibrated_toml(result, folder, command))
    return paths
