"""Sweep files: a base scenario, a design over its fields, replicates and paired arms.

A sweep file (TOML, or YAML read safely) names a base scenario and says what to
vary (docs/sweeps.md)::

    scenario = "small_platform.toml"         # relative to the sweep file
    set = { steps = 48 }                     # optional overrides of the base, as --set

    [sweep]
    method = "grid"                          # grid | random | lhs | sobol | morris
    replicates = 5
    seed = 42

    [[sweep.params]]
    path = "ranking.weights.like"            # a field path, as in --set
    values = [0.0, 1.0, 4.0]                 # or low/high (scale = "log"), levels for grid

    [[arms]]                                 # optional paired arms
    name = "likes"
    set = { "ranking.weights.like" = 4.0 }

The file is checked like a scenario before any run starts: unknown keys, field
paths that the scenario schema does not have, bad ranges, and every generated
run applied to the base scenario and validated. Problems come back as one
:class:`~simulation.config.loading.ScenarioError` naming the file and the field path.

The result is a :class:`Sweep`: the resolved base scenario, the design (one set
of field values per point) and the plan (one :class:`PlannedRun` per point x arm x
replicate, with its seed's spawn key). Execution is :mod:`simulation.experiments.executor`'s.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import secrets
import typing
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError
from tqdm.auto import tqdm

from simulation.config.base import NAME_PATTERN, Section
from simulation.config.loading import (
    ScenarioError,
    _members,
    annotation_at,
    apply_overrides,
    describe_errors,
    field_path,
    format_problems,
    load_scenario,
    model_fields_at,
    parse_path,
    read_document,
    set_path,
    validate_document,
)
from simulation.config.scenario import Scenario, check_references
from simulation.config.shipped import find_file
from simulation.core.program import PROGRAM

METHODS = ("grid", "random", "lhs", "sobol", "morris")


SALIB_METHODS = ("sobol", "morris")
"""Designs sampled, and later analysed, by SALib (the analysis must match the design)."""


DESIGN_STREAM = 0x5EED_DE51
"""Spawn-key word of the design's own random stream: ``SeedSequence(root, spawn_key=(DESIGN_STREAM,))``.
Runs use two-word keys ``(point, replicate)``, so the two never share a stream."""


NO_ARM = "base"
"""The arm name of every run of a sweep without ``[[arms]]``."""


SWEEP_HINT = ("docs/sweeps.md describes sweep files; "
              f"`{PROGRAM} sweep --help` shows examples.")


TomlValue = bool | int | float | str | list[Any] | dict[str, Any]


class Parameter(Section):
    """One varied scenario field: a list of values, or a range ``low``..``high``."""

    path: str = Field(description="Field path into the scenario, as in --set: "
                                  "ranking.weights.like, population.segments[2].share.")
    values: list[TomlValue] | None = Field(
        None, min_length=1, description="The values to try (grid, random, lhs).")
    low: float | None = Field(None, description="Lower end of the range.")
    high: float | None = Field(None, description="Upper end of the range.")
    scale: Literal["linear", "log"] = Field(
        "linear", description="Spread the range evenly (linear) or by ratio (log; low > 0).")
    levels: int | None = Field(
        None, ge=2, le=100_000, description="grid with low/high: number of evenly spread values.")


class Design(Section):
    """The ``[sweep]`` table: how points are chosen, how often each is run, the root seed."""

    method: Literal["grid", "random", "lhs", "sobol", "morris"] = Field(
        "grid", description="grid (every combination), random, lhs (Latin hypercube), "
                            "sobol (Saltelli design for Sobol' indices) or morris (elementary effects).")
    params: list[Parameter] = Field(default_factory=list, description="The varied fields.")
    samples: int | None = Field(
        None, ge=1, le=10_000_000,
        description="random, lhs: number of points; sobol: base sample N (a power of 2); "
                    "morris: number of trajectories.")
    replicates: int = Field(1, ge=1, le=1_000_000,
                            description="Runs of each point (and arm), each with its own seed.")
    seed: int | None = Field(None, ge=0, le=2**63 - 1,
                             description="Root entropy of the runs' seeds (absent: drawn and recorded).")
    levels: int | None = Field(None, ge=2, le=1000,
                               description="morris: number of grid levels (default 4).")
    second_order: bool | None = Field(
        None, description="sobol: also sample for second-order indices (default false).")
    paired: bool = Field(
        True, description="Arms share seeds (common random numbers): replicate r of every arm "
                          "gets the same seed. false gives every arm its own seeds.")


class Arm(Section):
    """One arm of a paired experiment: a name and overrides of the base scenario."""

    name: str = Field(pattern=NAME_PATTERN, description="Arm name, used in outputs.")
    description: str = Field("", description="What this arm is.")
    set: dict[str, TomlValue] = Field(
        default_factory=dict, description='Overrides: field path -> value, e.g. "ranking.weights.lead" = 50.')


class SweepFile(Section):
    """A sweep file: the base scenario, overrides, the design and the arms."""

    name: str | None = Field(None, pattern=NAME_PATTERN,
                             description="Name of the sweep (default: the file's stem).")
    description: str = Field("", description="What this sweep is for.")
    scenario: str = Field(description="Base scenario file, relative to the sweep file.")
    set: dict[str, TomlValue] = Field(
        default_factory=dict, description="Overrides of the base scenario: field path -> value.")
    sweep: Design = Field(default_factory=Design, description="The design.")
    arms: list[Arm] = Field(default_factory=list, description="Paired arms (optional).")


def _path_problem(path: str) -> str | None:
    """Why ``path`` is not a place in the scenario schema, or None if it is."""
    try:
        parts = parse_path(path)
    except ValueError as exc:
        return str(exc)
    for depth in range(1, len(parts) + 1):
        if annotation_at(parts[:depth]) is None:
            where = field_path(parts[:depth - 1]) or "the top level"
            part = parts[depth - 1]
            allowed = model_fields_at(parts[:depth - 1])
            if isinstance(part, int):
                return f"{field_path(parts[:depth - 1])} is not a list; remove [{part}]"
            if not allowed:
                return f"{where} has no fields (it is a value, not a table)"
            close = get_close_matches(part, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            return (f"{path!r} is not a scenario field: {where} has no field {part!r}{hint}; "
                    f"allowed there: {', '.join(allowed)}")
    return None


def _is_number_field(path: str) -> bool:
    return any(member in (int, float) for member in _members(annotation_at(parse_path(path))))


def _is_integer_field(path: str) -> bool:
    members = _members(annotation_at(parse_path(path)))
    return int in members and float not in members


def _as_field_value(value: Any, integer: bool) -> Any:
    """A sampled number as the field wants it: an int for integer fields, else a float."""
    return int(np.rint(value)) if integer else float(value)


def _flatten_overrides(overrides: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Overrides as {field path: value}; a table written for a schema section becomes paths.

    ``ranking.weights.lead = 50`` written without quotes in TOML is the table
    ``{ranking: {weights: {lead: 50}}}``; it means the path, not "replace the ranking".
    A table given for a table-valued field (a topic mix) stays a value.
    """
    flat: dict[str, Any] = {}
    for key, value in overrides.items():
        path = f"{prefix}.{key}" if prefix else key
        try:
            is_section = bool(model_fields_at(parse_path(path)))
        except ValueError:
            is_section = False
        if isinstance(value, dict) and is_section:
            flat.update(_flatten_overrides(value, path))
        else:
            flat[path] = value
    return flat


@dataclass
class DesignPoints:
    """The points of a design.

    ``values``: one {field path: value} per point, in point order (length P).
    ``matrix``: for SALib designs, the (P, D) sample matrix in SALib's problem space
    (log10 of the value for log-scale parameters), needed again by the analysis.
    ``problem``: the SALib problem (names, bounds) of that matrix.
    """

    values: list[dict[str, Any]]
    matrix: np.ndarray | None = None
    problem: dict[str, Any] | None = None


def salib_problem(design: Design) -> dict[str, Any]:
    """The SALib problem of a sobol or morris design: names and bounds (log10 for log scale)."""
    bounds = [[math.log10(p.low), math.log10(p.high)] if p.scale == "log" else [p.low, p.high]
              for p in design.params]
    return {"num_vars": len(design.params), "names": [p.path for p in design.params],
            "bounds": bounds}


def design_seed(root_entropy: int) -> np.random.SeedSequence:
    """The seed of the design's own random draws (never a run's)."""
    return np.random.SeedSequence(root_entropy, spawn_key=(DESIGN_STREAM,))


def _from_unit(param: Parameter, unit: np.ndarray) -> list[Any]:
    """Map numbers in [0, 1) onto a parameter's values (by index) or range (linear or log)."""
    if param.values is not None:
        index = np.minimum((unit * len(param.values)).astype(np.int64), len(param.values) - 1)
        return [param.values[i] for i in index]
    if param.scale == "log":
        raw = np.exp(math.log(param.low) + unit * (math.log(param.high) - math.log(param.low)))
    else:
        raw = param.low + unit * (param.high - param.low)
    integer = _is_integer_field(param.path)
    return [_as_field_value(x, integer) for x in raw]


def grid_levels(param: Parameter) -> list[Any]:
    """The values a grid tries for one parameter."""
    if param.values is not None:
        return list(param.values)
    spread = np.geomspace if param.scale == "log" else np.linspace
    integer = _is_integer_field(param.path)
    return [_as_field_value(x, integer) for x in spread(param.low, param.high, param.levels)]


def make_design(design: Design, root_entropy: int) -> DesignPoints:
    """The points of a design, determined by the design and the root entropy alone."""
    params, paths = design.params, [p.path for p in design.params]
    if design.method == "grid":
        combos = itertools.product(*(grid_levels(p) for p in params))
        return DesignPoints([dict(zip(paths, combo, strict=True)) for combo in combos])
    if design.method in ("random", "lhs"):
        rng = np.random.default_rng(design_seed(root_entropy))
        n = design.samples
        if design.method == "random":
            unit = rng.random((n, len(params)))
        else:  # Latin hypercube: one point in each of n equal strata of every dimension
            unit = np.column_stack([(rng.permutation(n) + rng.random(n)) / n for _ in params])
        columns = [_from_unit(p, unit[:, d]) for d, p in enumerate(params)]
        return DesignPoints([dict(zip(paths, row, strict=True)) for row in zip(*columns, strict=True)])
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    problem = salib_problem(design)
    seed = int(design_seed(root_entropy).generate_state(1)[0])
    if design.method == "sobol":
        matrix = sobol_sample.sample(problem, design.samples,
                                     calc_second_order=bool(design.second_order), seed=seed)
    else:
        matrix = morris_sample.sample(problem, design.samples, num_levels=design.levels or 4,
                                      seed=seed)
    points = []
    for row in matrix:
        point = {}
        for d, param in enumerate(params):
            value = 10.0 ** row[d] if param.scale == "log" else row[d]
            point[param.path] = _as_field_value(value, _is_integer_field(param.path))
        points.append(point)
    return DesignPoints(points, np.asarray(matrix, dtype=np.float64), problem)


@dataclass
class PlannedRun:
    """One run of a sweep: which point, arm and replicate, and its seed's spawn key.

    ``assignments``: {field path: value} applied to the base scenario (the point's, then
    the arm's). ``parameters``: the values of the sweep's parameter columns for this run.
    """

    key: str
    point: int
    arm: str
    replicate: int
    spawn_key: tuple[int, ...]
    assignments: dict[str, Any]
    parameters: dict[str, Any]


@dataclass
class Sweep:
    """A validated sweep: the resolved base scenario, the design, the arms and every run."""

    name: str
    source: str
    spec: SweepFile
    base: Scenario
    root_entropy: int
    design: DesignPoints
    arms: list[Arm]
    runs: list[PlannedRun] = field(default_factory=list)
    parameter_types: dict[str, str] = field(default_factory=dict)

    @property
    def has_arms(self) -> bool:
        return bool(self.spec.arms)

    def resolved(self) -> dict[str, Any]:
        """What determines the sweep's results, as plain JSON: compared when resuming."""
        spec = self.spec.model_dump(mode="json", exclude={"scenario", "set"})
        return {"spec": spec, "base_scenario": self.base.model_dump(mode="json", exclude_none=True)}

    def design_digest(self) -> str:
        """A fingerprint of every point's values (changes if a library samples differently)."""
        return digest(self.design.values)

    def describe(self) -> str:
        """'12 points x 2 arms x 5 replicates = 120 runs (grid over ...)'."""
        points = len(self.design.values)
        arms = f" x {len(self.arms)} arms" if self.has_arms else ""
        params = self.spec.sweep.params
        over = f" ({self.spec.sweep.method} over {', '.join(p.path for p in params)})" \
            if params else ""
        return (f"{points} point{'s' * (points != 1)}{arms} x {self.spec.sweep.replicates} "
                f"replicate{'s' * (self.spec.sweep.replicates != 1)} = {len(self.runs)} runs"
                f"{over}")


def digest(value: Any) -> str:
    """SHA-256 of a value's canonical JSON."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def run_key(point: int, arm: str | None, replicate: int, widths: tuple[int, int]) -> str:
    """'p0007-r02', or 'p0007-likes-r02' with arms: sorts by point, arm, replicate."""
    middle = f"-{arm}" if arm is not None else ""
    return f"p{point:0{widths[0]}d}{middle}-r{replicate:0{widths[1]}d}"


def _column_type(values: list[Any]) -> str:
    """The Parquet column type of a parameter: bool, int64, float64 or string (else JSON text)."""
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int64"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "float64"
    if all(isinstance(v, str) for v in values):
        return "string"
    return "json"


def column_value(value: Any, kind: str) -> Any:
    """A parameter value converted to its column type."""
    if kind == "float64":
        return float(value)
    if kind == "json":
        return json.dumps(value, sort_keys=True)
    return value


def _value_at(document: Any, parts: list[str | int]) -> Any:
    for part in parts:
        try:
            document = document[part]
        except (KeyError, IndexError, TypeError):
            return None
    return document


def plan_runs(sweep: Sweep) -> None:
    """Fill ``sweep.runs``: every point x arm x replicate, in that order, with its spawn key.

    Seeds are positional: run (point p, replicate r) gets ``spawn_key=(p, r)`` whatever
    the arm (common random numbers), or ``(p, r, arm index)`` when ``paired = false``.
    """
    design, spec = sweep.design, sweep.spec.sweep
    arms: list[Arm | None] = list(sweep.arms) or [None]
    points, replicates = len(design.values), spec.replicates
    widths = (max(4, len(str(points - 1))), max(2, len(str(replicates - 1))))
    base_document = sweep.base.model_dump(mode="json", exclude_none=True)
    swept = [p.path for p in spec.params]
    arm_paths = list(dict.fromkeys(path for arm in sweep.arms for path in arm.set))

    def arm_value(arm: Arm | None, path: str) -> Any:
        return arm.set[path] if arm is not None and path in arm.set else \
            _value_at(base_document, parse_path(path))

    columns: dict[str, list[Any]] = {path: [point[path] for point in design.values] for path in swept}
    columns.update({path: [arm_value(arm, path) for arm in arms] for path in arm_paths})
    sweep.parameter_types = {path: _column_type(values) for path, values in columns.items()}
    runs = []
    for p, point in enumerate(design.values):
        for a, arm in enumerate(arms):
            overrides = dict(point) | (arm.set if arm is not None else {})
            parameters = {path: column_value(point[path], sweep.parameter_types[path])
                          for path in swept}
            parameters |= {path: column_value(arm_value(arm, path), sweep.parameter_types[path])
                           for path in arm_paths}
            for r in range(replicates):
                spawn_key = (p, r) if spec.paired or arm is None else (p, r, a)
                runs.append(PlannedRun(run_key(p, arm.name if arm else None, r, widths), p,
                                       arm.name if arm else NO_ARM, r, spawn_key, overrides,
                                       parameters))
    sweep.runs = runs


def apply_assignments(base_document: dict[str, Any], assignments: dict[str, Any]) -> dict[str, Any]:
    """A copy of a scenario document with {field path: value} assignments set."""
    document = copy.deepcopy(base_document)
    for path, value in assignments.items():
        set_path(document, parse_path(path), copy.deepcopy(value))
    return document


def scenario_problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with a scenario document (field path, message); empty if it is valid."""
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError as exc:
        return describe_errors(exc)
    return check_references(scenario)


def scenario_for(base_document: dict[str, Any], assignments: dict[str, Any],
                 source: str = "sweep run") -> Scenario:
    """The scenario of one run: the base with its assignments, validated."""
    return validate_document(apply_assignments(base_document, assignments), source)


def _check_assignments(base_document: dict[str, Any], assignments: dict[str, Any]) -> list[str]:
    """Messages for assignments that make the base scenario invalid ('' when fine)."""
    try:
        document = apply_assignments(base_document, assignments)
    except ValueError as exc:
        return [str(exc)]
    return [f"{path}: {message}" for path, message in scenario_problems(document)]


def _check_spec(spec: SweepFile) -> list[tuple[str, str]]:
    """Problems the schema cannot see alone: paths, ranges, what each method needs."""
    problems: list[tuple[str, str]] = []
    design = spec.sweep
    method = design.method
    for path in spec.set:
        if (problem := _path_problem(path)) is not None:
            problems.append((f"set.{path}", problem))
    seen: dict[str, int] = {}
    for i, param in enumerate(design.params):
        where = f"sweep.params[{i}]"
        if (problem := _path_problem(param.path)) is not None:
            problems.append((f"{where}.path", problem))
            continue
        if param.path in seen:
            problems.append((f"{where}.path", f"{param.path!r} is already varied by "
                                              f"sweep.params[{seen[param.path]}]"))
        seen[param.path] = i
        has_range = param.low is not None or param.high is not None
        if param.values is not None and has_range:
            problems.append((where, "give either values = [...] or low/high, not both"))
            continue
        if param.values is None and not has_range:
            problems.append((where, "give values = [...] or low and high"))
            continue
        if has_range:
            if param.low is None or param.high is None:
                missing = "low" if param.low is None else "high"
                problems.append((f"{where}.{missing}", "a range needs both low and high"))
                continue
            if not param.low < param.high:
                problems.append((f"{where}.high", f"must be greater than low "
                                                  f"(low = {param.low:g}, high = {param.high:g})"))
            if param.scale == "log" and param.low <= 0:
                problems.append((f"{where}.low", f"a log scale needs low > 0 (got {param.low:g})"))
            if not _is_number_field(param.path):
                problems.append((f"{where}.path", f"{param.path} is not a number; "
                                                  "list its choices with values = [...]"))
        if param.values is not None and param.scale == "log":
            problems.append((f"{where}.scale", "scale applies to low/high ranges only"))
        if param.levels is not None and (method != "grid" or param.values is not None):
            problems.append((f"{where}.levels", "levels is for a grid over low/high only"))
        if method == "grid" and has_range and param.levels is None:
            problems.append((f"{where}.levels", "a grid over low/high needs levels "
                                                "(how many values), e.g. levels = 5"))
        if method in SALIB_METHODS and param.values is not None:
            problems.append((f"{where}.values", f"{method} needs a range: give low and high "
                                                "(values are for grid, random and lhs)"))
    if method != "grid" and not design.params:
        problems.append(("sweep.params", f"{method} needs at least one [[sweep.params]]"))
    if method == "grid" and design.samples is not None:
        problems.append(("sweep.samples", "grid tries every combination; remove samples"))
    if method != "grid" and design.samples is None:
        what = {"random": "the number of points", "lhs": "the number of points",
                "sobol": "the base sample N, a power of 2 (runs: N x (params + 2))",
                "morris": "the number of trajectories (runs: trajectories x (params + 1))"}[method]
        problems.append(("sweep.samples", f"{method} needs samples: {what}"))
    if method == "sobol" and design.samples is not None and design.samples & (design.samples - 1):
        below = 1 << (design.samples.bit_length() - 1)
        problems.append(("sweep.samples", f"sobol needs a power of 2 (got {design.samples}; "
                                          f"try {below} or {below * 2})"))
    if method != "morris" and design.levels is not None:
        problems.append(("sweep.levels", "levels (of the Morris grid) is for method = morris"))
    if method != "sobol" and design.second_order is not None:
        problems.append(("sweep.second_order", "second_order is for method = sobol"))
    if method == "morris" and len(design.params) < 2:
        problems.append(("sweep.params", "morris screens at least 2 parameters"))

    names: dict[str, int] = {}
    for a, arm in enumerate(spec.arms):
        if arm.name in names:
            problems.append((f"arms[{a}].name", f"duplicate arm name {arm.name!r}"))
        names[arm.name] = a
        for path in arm.set:
            if (problem := _path_problem(path)) is not None:
                problems.append((f"arms[{a}].set.{path}", problem))
            elif path in seen:
                problems.append((f"arms[{a}].set.{path}",
                                 f"{path} is varied by sweep.params[{seen[path]}]; "
                                 "an arm cannot also set it"))
    if not spec.arms and not design.paired:
        problems.append(("sweep.paired", "paired is about [[arms]]; this file has none"))
    return problems


def _missing_place(base_document: dict[str, Any], path: str) -> str | None:
    """Why the table or list holding ``path`` is not in the base scenario, or None if it is.

    The schema allows any key in a table of styles; a misspelt style would silently
    become a new one, so the place a path writes into must already exist.
    """
    parts = parse_path(path)
    node: Any = base_document
    for depth, part in enumerate(parts[:-1]):
        here = field_path(parts[:depth + 1])
        if isinstance(node, dict) and part not in node:
            known = ", ".join(map(str, node)) or "none"
            close = get_close_matches(str(part), [str(k) for k in node], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            return f"{here} is not in the base scenario{hint}; there: {known}"
        if isinstance(node, list) and (not isinstance(part, int) or part >= len(node)):
            return f"{here}: the base scenario's list has {len(node)} item(s)"
        node = node[part]
    return None


def _check_values(spec: SweepFile, base_document: dict[str, Any]) -> list[tuple[str, str]]:
    """Each listed value and each range end, applied alone to the base scenario."""
    problems: list[tuple[str, str]] = []
    places = [(f"sweep.params[{i}].path", p.path) for i, p in enumerate(spec.sweep.params)]
    places += [(f"arms[{a}].set.{path}", path) for a, arm in enumerate(spec.arms) for path in arm.set]
    for where, path in places:
        if (problem := _missing_place(base_document, path)) is not None:
            problems.append((where, problem))
    if problems:
        return problems
    for i, param in enumerate(spec.sweep.params):
        where = f"sweep.params[{i}]"
        if param.values is not None:
            tries = [(f"{where}.values[{k}]", value) for k, value in enumerate(param.values)]
        else:
            integer = _is_integer_field(param.path)
            tries = [(f"{where}.low", _as_field_value(param.low, integer)),
                     (f"{where}.high", _as_field_value(param.high, integer))]
        for place, value in tries:
            for message in _check_assignments(base_document, {param.path: value}):
                problems.append((place, f"{param.path} = {value!r}: {message}"))
    for a, arm in enumerate(spec.arms):
        for message in _check_assignments(base_document, arm.set):
            problems.append((f"arms[{a}].set", message))
    return problems


def check_runs(sweep: Sweep, progress: bool = False, limit: int = 8) -> list[tuple[str, str]]:
    """Apply every distinct run (point x arm) to the base scenario and validate it."""
    problems: list[tuple[str, str]] = []
    base_document = sweep.base.model_dump(mode="json", exclude_none=True)
    distinct = {(run.point, run.arm): run for run in sweep.runs}
    bar = tqdm(distinct.values(), desc="checking runs", unit="run", leave=False,
               disable=None if progress and len(distinct) > 2000 else True)
    for run in bar:
        for message in _check_assignments(base_document, run.assignments):
            arm = f", arm {run.arm}" if sweep.has_arms else ""
            values = ", ".join(f"{path} = {value!r}" for path, value in run.assignments.items())
            problems.append((f"point {run.point}{arm} ({values})", message))
            if len(problems) >= limit:
                problems.append(("...", "more runs have problems; fix the ones above first"))
                return problems
    return problems


def sweep_error(source: str, problems: list[tuple[str, str]]) -> ScenarioError:
    """One message for the user: the file, each field path and what is wrong, what to do."""
    lines = format_problems(source, problems).splitlines()[:-1]  # without the scenario hint
    lines.append(f"Fix the fields above. {SWEEP_HINT} `{PROGRAM} defaults` lists every "
                 "scenario field.")
    return ScenarioError("\n".join(lines))


def parse_sweep_document(document: dict[str, Any], source: str) -> SweepFile:
    """Validate a parsed sweep file against the sweep schema and its own rules."""
    try:
        spec = SweepFile.model_validate(document)
    except ValidationError as exc:
        raise sweep_error(source, describe_errors(exc, SweepFile)) from None
    spec = spec.model_copy(update={
        "set": _flatten_overrides(spec.set),
        "arms": [arm.model_copy(update={"set": _flatten_overrides(arm.set)}) for arm in spec.arms],
    })
    if problems := _check_spec(spec):
        raise sweep_error(source, problems)
    return spec


def build_sweep(spec: SweepFile, base: Scenario, source: str, name: str,
                root_entropy: int | None = None, progress: bool = False) -> Sweep:
    """Resolve a checked sweep spec against its base scenario: design, plan, every run checked.

    ``root_entropy`` (from a sweep folder being resumed) is used when the file sets no seed;
    with neither, fresh entropy is drawn (and recorded by the engine).
    """
    base_document = base.model_dump(mode="json", exclude_none=True)
    if problems := _check_values(spec, base_document):
        raise sweep_error(source, problems)
    if spec.sweep.seed is not None:
        root_entropy = spec.sweep.seed
    elif root_entropy is None:
        root_entropy = secrets.randbits(63)  # fits a TOML integer, so `seed = ...` repeats it
    sweep = Sweep(name=name, source=source, spec=spec, base=base, root_entropy=root_entropy,
                  design=make_design(spec.sweep, root_entropy), arms=list(spec.arms))
    plan_runs(sweep)
    if problems := check_runs(sweep, progress=progress):
        raise sweep_error(source, problems)
    return sweep


def load_sweep(path: str | Path, scenario_file: str | Path | None = None,
               overrides: typing.Iterable[str] = (), root_entropy: int | None = None,
               progress: bool = False) -> Sweep:
    """Read and check a sweep file; raises ScenarioError with one message naming the field path.

    ``scenario_file`` replaces the file's base scenario (e.g. the full-size baseline);
    ``overrides`` are ``path=value`` texts applied to the base after the file's ``set``.
    """
    path = find_file(path, "sweep")  # a file, or a shipped sweep by name
    source = str(path)
    spec = parse_sweep_document(read_document(path), source)
    if scenario_file is None:
        scenario_file = path.parent / spec.scenario
        if not Path(scenario_file).is_file():
            raise sweep_error(source, [("scenario", f"no such file {spec.scenario!r} "
                                                    f"(looked for {scenario_file})")])
    base = load_scenario(scenario_file)
    if spec.set:
        base_document = base.model_dump(mode="json", exclude_none=True)
        messages = _check_assignments(base_document, spec.set)
        if messages:
            raise sweep_error(source, [("set", message) for message in messages])
        base = validate_document(apply_assignments(base_document, spec.set), source)
    base = apply_overrides(base, overrides, source=f"{source} (base scenario)")
    return build_sweep(spec, base, source, spec.name or path.stem, root_entropy, progress)


def sweep_from_record(record: dict[str, Any], progress: bool = False) -> Sweep:
    """Rebuild a sweep from the ``sweep.json`` a sweep folder keeps (for ``--resume``)."""
    source = record["source"]
    spec = parse_sweep_document({**record["resolved"]["spec"], "scenario": "(recorded)"}, source)
    base = validate_document(record["resolved"]["base_scenario"], f"{source} (recorded base scenario)")
    return build_sweep(spec, base, source, record["name"], int(record["root_entropy"]), progress)


def differences(old: Any, new: Any, path: str = "", limit: int = 12) -> list[str]:
    """Where two JSON values differ: ['spec.sweep.replicates: 3 -> 5', ...] (at most ``limit``)."""
    found: list[str] = []
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(dict.fromkeys([*old, *new])):
            where = f"{path}.{key}" if path else str(key)
            if key not in new:
                found.append(f"{where}: removed (was {json.dumps(old[key])[:60]})")
            elif key not in old:
                found.append(f"{where}: added ({json.dumps(new[key])[:60]})")
            else:
                found += differences(old[key], new[key], where, limit)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            found += differences(a, b, f"{path}[{index}]", limit)
    elif old != new:
        found.append(f"{path}: {json.dumps(old)[:60]} -> {json.dumps(new)[:60]}")
    return found[:limit]
