"""The Python interface, for notebooks and scripts: scenarios in, pandas DataFrames out.

Everything here is also reachable as ``simulation.<name>``::

    import simulation as sim

    scenario = sim.load("baseline", {"population.size": 5000, "steps": 48})
    scenario.ranking.weights.like = 2.0          # checked on assignment
    results = sim.run(scenario, seeds=4, workers=2)
    results.posts                                # one row per post and seed (DataFrame)
    results.summary_table()                      # seed, measure, value
    results.aggregate                            # mean and 95% interval per measure

    again = sim.open_results("results/baseline-seed0")   # a folder written by `run`
    sweep = sim.open_results("results/like_weight_vs_leads-sweep")  # or by `sweep`

A scenario is loaded from a file, a shipped scenario's name (``baseline``,
``levers/pause``; :func:`shipped_scenarios` lists them) or a dict laid over the
defaults, as the command line does. Fields are changed by assignment (each is
checked at once) or by :func:`override` with field paths (checked together). The
checks that span sections (segment shares sum to 1, names refer to existing
topics...) run again before a model is built.

Runs are the command line's: the same model, seeds, summary and tables; one seed runs
in this process (``results.model`` is the finished model), several run in ``workers``
processes with results identical to one worker. ``out=`` also writes the results
folder that ``run`` writes. For stepping by hand (Mesa's way), :func:`build_model`
gives the :class:`~simulation.model.EngagementModel`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from simulation.config.loading import (
    ScenarioError,
    load_scenario,
    merge_documents,
    parse_assignment,
    parse_path,
    set_path,
    validate_document,
)
from simulation.config.scenario import Scenario
from simulation.config.shipped import shipped_files
from simulation.experiments.executor import default_workers
from simulation.experiments.runs import (
    RunOutputs,
    RunResult,
    outputs_of,
    run_many,
    run_seeds,
    run_to_folder,
    seeds_of,
    simulate,
)
from simulation.io import results as folders
from simulation.io.results import ResultsError
from simulation.measures.aggregate import COLUMNS, aggregate, flatten
from simulation.model import EngagementModel

RUN_TABLES = ("posts", "creators", "steps", "feed_mix", "reach")
"""The tables of every run; levers add theirs (``money`` with the money lever on)."""


Overrides = Mapping[str, Any] | Iterable[str]
"""Field changes: ``{"ranking.weights.like": 2.0}``, or ``["ranking.weights.like=2"]`` as on
the command line (values in TOML)."""


# --- scenarios --------------------------------------------------------------------------


def shipped_scenarios(kind: str | None = "scenario") -> pd.DataFrame:
    """The shipped scenarios (``kind="sweep"``: sweep files; None: both): name, kind,
    description, path. Each runs by its name."""
    rows = [{"name": f.name, "kind": f.kind, "description": f.description, "path": str(f.path)}
            for f in shipped_files() if kind is None or f.kind == kind]
    return pd.DataFrame(rows, columns=["name", "kind", "description", "path"])


def load(source: Scenario | Mapping[str, Any] | str | Path = "baseline",
         overrides: Overrides | None = None) -> Scenario:
    """A validated scenario from a file, a shipped scenario's name or a dict, with overrides.

    ``source``: a path (.toml, .yaml), a shipped name (``"baseline"``), a dict of fields laid
    over the defaults as a file is (``{"population": {"size": 5000}}``), or a Scenario (copied).
    Raises :class:`ScenarioError` naming each bad field path.
    """
    if isinstance(source, Scenario):
        scenario = check(source)
    elif isinstance(source, Mapping):
        defaults = Scenario().model_dump(mode="json", exclude_none=True)
        scenario = validate_document(merge_documents(defaults, dict(source)), "scenario dict")
    else:
        scenario = load_scenario(source)
    return override(scenario, overrides) if overrides else scenario


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as Python values, as the schema wants them."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def override(scenario: Scenario, overrides: Overrides) -> Scenario:
    """A new scenario with fields changed by path; all changes are validated together.

    ``overrides``: ``{"population.size": 5000, "population.segments[0].share": 0.6}`` or
    command-line texts ``["population.size=5000"]``. The scenario given is not changed.
    """
    document = scenario.model_dump(mode="json", exclude_none=True)
    if isinstance(overrides, str):
        raise TypeError("overrides: give a dict {path: value} or a list of 'path=value' texts")
    labels = []
    try:
        if isinstance(overrides, Mapping):
            changes = [(parse_path(str(path)), _plain(value))
                       for path, value in overrides.items()]
            labels = [f"{path}={value!r}" for path, value in overrides.items()]
        else:
            labels = [str(text) for text in overrides]
            changes = [parse_assignment(text) for text in labels]
        for parts, value in changes:
            set_path(document, parts, value)
    except ValueError as exc:
        raise ScenarioError(f"error: overrides: {exc}") from None
    return validate_document(document, f"{scenario.name} (overrides: {', '.join(labels)})")


def check(scenario: Scenario) -> Scenario:
    """A validated copy of ``scenario``, with the checks that span sections (shares sum to 1,
    names refer to what exists); raises :class:`ScenarioError` naming each bad field."""
    return validate_document(scenario.model_dump(mode="json", exclude_none=True),
                             f"scenario {scenario.name!r}")


def build_model(source: Scenario | Mapping[str, Any] | str | Path = "baseline",
                overrides: Overrides | None = None, seed: int | None = None,
                agent_reporters: bool = False) -> EngagementModel:
    """An :class:`EngagementModel` ready to step: ``model.step()``, or ``model.run_model()``
    (it stops after the scenario's ``steps``); ``model.datacollector`` records each step.

    ``agent_reporters`` also records viewers and creators per step (platforms up to
    ``EngagementModel.AGENT_REPORTERS_UP_TO`` viewers).
    """
    return EngagementModel(load(source, overrides), seed=seed, agent_reporters=agent_reporters)


# --- results ----------------------------------------------------------------------------


@dataclass(eq=False)
class Run:
    """One finished run: its summary and manifest, its tables as DataFrames, and its model
    when it ran in this process."""

    summary: dict[str, Any]
    manifest: dict[str, Any] | None = None
    model: EngagementModel | None = None
    """The finished model (runs in this process only; None for runs read from a folder)."""
    folder: Path | None = None
    """Where the run's files are, if it was written or read from a folder."""
    _result: RunResult | None = field(default=None, repr=False)
    _arrow: dict[str, pa.Table] | None = field(default=None, repr=False)
    _folder_run: folders.Run | None = field(default=None, repr=False)
    _frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @classmethod
    def of_result(cls, result: RunResult, folder: Path | None = None) -> Run:
        return cls(result.summary, model=result.model, folder=folder, _result=result)

    @classmethod
    def of_outputs(cls, outputs: RunOutputs) -> Run:
        return cls(outputs.summary, outputs.manifest, _arrow=outputs.tables)

    @classmethod
    def of_folder(cls, run: folders.Run) -> Run:
        return cls(run.summary, run.manifest, folder=run.folder, _folder_run=run)

    @property
    def seed(self) -> int:
        return int(self.summary["seed"])

    def _outputs(self) -> None:
        if self._arrow is None and self._result is not None:
            outputs = outputs_of(self._result)
            self._arrow, self.manifest = outputs.tables, outputs.manifest

    @property
    def table_names(self) -> list[str]:
        """The tables of this run: :data:`RUN_TABLES`, then the levers' (``money``...)."""
        if self._folder_run is not None:
            files = (self.manifest or {}).get("files") or {
                path.name: "" for path in self._folder_run.folder.glob("*.parquet")}
            names = [name.removesuffix(".parquet") for name in files if name.endswith(".parquet")]
            return sorted(names, key=_table_order)
        self._outputs()
        return list(self._arrow or {})

    def table(self, name: str) -> pd.DataFrame:
        """A table of this run as a DataFrame (read or converted once, then kept)."""
        if name not in self._frames:
            if self._folder_run is not None:
                self._frames[name] = self._folder_run.table(name)
            else:
                self._outputs()
                if self._arrow is None or name not in self._arrow:
                    raise KeyError(f"{name!r}: no such table; this run has "
                                   f"{', '.join(self.table_names)}")
                self._frames[name] = self._arrow[name].to_pandas()
        return self._frames[name]


def _table_order(name: str) -> tuple[int, str]:
    return (RUN_TABLES.index(name), "") if name in RUN_TABLES else (len(RUN_TABLES), name)


class Results:
    """One run or several seeds of one scenario: summaries and tables as pandas.

    Tables (``posts``, ``creators``, ``steps``, ``feed_mix``, ``reach``, and the levers'
    such as ``money``) have one row per row of each run's table, with the run's ``seed`` as
    first column, runs in seed order. Their columns are those of the Parquet files of a
    results folder (docs/outputs.md).
    """

    def __init__(self, runs: Sequence[Run], name: str, folder: Path | None = None,
                 aggregate_rows: pd.DataFrame | None = None):
        if not runs:
            raise ValueError("Results need at least one run")
        self.runs: list[Run] = list(runs)
        self.name = name
        self.folder = folder
        """The results folder, if the runs were written to or read from one."""
        self._aggregate = aggregate_rows

    def __repr__(self) -> str:
        seeds = self.seeds
        which = f"seed {seeds[0]}" if len(seeds) == 1 else f"{len(seeds)} seeds {seeds}"
        where = f", folder {self.folder}" if self.folder else ""
        return f"<Results {self.name}: {which}{where}; tables {', '.join(self.table_names)}>"

    @property
    def seeds(self) -> list[int]:
        return [run.seed for run in self.runs]

    @property
    def model(self) -> EngagementModel | None:
        """The finished model of a single run made in this process, else None."""
        return self.runs[0].model if len(self.runs) == 1 else None

    # --- the summary ---------------------------------------------------------------

    @property
    def summary(self) -> dict[str, Any]:
        """The run's ``summary.json`` as a nested dict (one run; see :attr:`summaries`)."""
        if len(self.runs) > 1:
            raise ValueError(f"{len(self.runs)} seeds have {len(self.runs)} summaries: use "
                             ".summaries (a list), .summary_table() or .aggregate")
        return self.runs[0].summary

    @property
    def summaries(self) -> list[dict[str, Any]]:
        """Each run's summary, in seed order."""
        return [run.summary for run in self.runs]

    def summary_table(self) -> pd.DataFrame:
        """The summaries as one tidy table: seed, measure (a path such as ``totals.likes`` or
        ``brands.glow_skincare.leads``), value; one row per seed and numeric measure."""
        rows = [(run.seed, measure, value) for run in self.runs
                for measure, value in flatten(run.summary).items()]
        return pd.DataFrame(rows, columns=["seed", "measure", "value"])

    def measure(self, path: str) -> pd.Series:
        """One measure of every seed, by its path (``rates.engagement_rate_by_views``)."""
        table = self.summary_table()
        chosen = table[table["measure"] == path]
        if chosen.empty:
            raise KeyError(f"{path!r}: no such numeric measure in the summary "
                           "(see .summary_table()['measure'])")
        return chosen.set_index("seed")["value"].rename(path)

    @property
    def aggregate(self) -> pd.DataFrame:
        """Across seeds, per measure: its label, unit and kind, n, mean, sd and the 95%
        interval of the mean by the measure's kind, and the interval's method
        (``aggregate.csv`` of a multi-seed folder; the interval is NaN for one run)."""
        if self._aggregate is None:
            self._aggregate = pd.DataFrame(aggregate(self.summaries), columns=list(COLUMNS))
        return self._aggregate

    # --- the tables ----------------------------------------------------------------

    @property
    def table_names(self) -> list[str]:
        """The tables of the runs (those of the first run; every run of a scenario has them)."""
        return self.runs[0].table_names

    def table(self, name: str) -> pd.DataFrame:
        """A table of every run, with a ``seed`` column first."""
        frames = [run.table(name).assign(seed=run.seed) for run in self.runs]
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        return frame[["seed", *[c for c in frame.columns if c != "seed"]]]

    @property
    def posts(self) -> pd.DataFrame:
        """One row per post: attributes, tier, events in total, per segment and per tier."""
        return self.table("posts")

    @property
    def creators(self) -> pd.DataFrame:
        """One row per creator: identity, offer, followers, events, revenue."""
        return self.table("creators")

    @property
    def steps(self) -> pd.DataFrame:
        """One row per step and segment: active viewers, events, revenue, watch time."""
        return self.table("steps")

    @property
    def feed_mix(self) -> pd.DataFrame:
        """One row per step and style, tier or candidate source: impressions, likes, leads."""
        return self.table("feed_mix")

    @property
    def reach(self) -> pd.DataFrame:
        """One row per post, cumulative-reach bin and segment: the dilution curve's counts."""
        return self.table("reach")

    @property
    def money(self) -> pd.DataFrame:
        """One row per step and revenue channel (scenarios with the money lever on)."""
        if "money" not in self.table_names:
            raise KeyError("money: this scenario has no money table (the money lever is off: "
                           "see scenarios/monetization.toml)")
        return self.table("money")


def _seed_list(scenario: Scenario, seed: int | None, seeds: int | Sequence[int] | None
               ) -> list[int] | None:
    if seeds is None:
        return None
    if isinstance(seeds, int | np.integer):
        if seeds < 1:
            raise ValueError(f"seeds: at least 1, got {seeds}")
        return seeds_of(scenario, seed, int(seeds))
    listed = [int(s) for s in seeds]
    if not listed or len(set(listed)) != len(listed):
        raise ValueError(f"seeds: a non-empty list of distinct seeds, got {list(seeds)}")
    return listed


def run(source: Scenario | Mapping[str, Any] | str | Path = "baseline",
        overrides: Overrides | None = None, *, seed: int | None = None,
        seeds: int | Sequence[int] | None = None, workers: int | None = None,
        out: str | Path | None = None, overwrite: bool = False,
        progress: bool = True) -> Results:
    """Run a scenario: one seed (default: the scenario's), or several.

    ``seeds``: a count of consecutive seeds from ``seed`` (as ``run --seeds N``) or a list.
    ``workers``: processes for several seeds (default: one per core; results do not
    depend on it). ``out``: also write the results folder ``run`` writes; it must be new or
    empty, or, with ``overwrite``, a results folder of this program, which is replaced only
    when the runs are done. Progress bars are Jupyter widgets in a notebook.
    """
    scenario = load(source, overrides)
    chosen = _seed_list(scenario, seed, seeds)
    if workers is not None and workers < 1:
        raise ValueError(f"workers: at least 1, got {workers}")
    if chosen is None:
        run_seed = scenario.seed if seed is None else seed
        if out is None:
            result = simulate(scenario, seed=run_seed, progress=progress)
            return Results([Run.of_result(result)], scenario.name)
        folder = Path(out)
        result = run_to_folder(scenario, folder, seed=run_seed, progress=progress,
                               command=["simulation.run"], overwrite=overwrite, option="out")
        return Results([Run.of_result(result, folder)], scenario.name, folder)
    workers = workers or default_workers()
    if out is not None:
        run_seeds(scenario, chosen, out, progress=progress, command=["simulation.run"],
                  workers=workers, overwrite=overwrite, option="out")
        return _open_run_folder(Path(out))
    runs = [Run.of_outputs(outputs)
            for outputs in run_many(scenario, chosen, workers, progress)]
    return Results(runs, scenario.name)


# --- folders ----------------------------------------------------------------------------


class SweepResults:
    """A sweep folder: one row per run, the analysis tables, and the sweep's design.

    Opening a sweep analyses it first if its ``analysis/`` is missing or out of date, as
    ``analyze`` would (the tables are then written into the folder).
    """

    def __init__(self, folder: Path):
        from simulation.experiments.sweep_results import open_sweep

        self._inner = open_sweep(folder)
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return (f"<SweepResults {self.name}: {self.method}, {len(self.runs)} runs, parameters "
                f"{', '.join(self.parameters)}; arms {', '.join(self.arms)}>")

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def method(self) -> str:
        """grid, random, sobol or morris."""
        return self._inner.method

    @property
    def parameters(self) -> list[str]:
        """The swept field paths (their columns are ``param.<path>``)."""
        return self._inner.parameters

    @property
    def arms(self) -> list[str]:
        return self._inner.arms

    @property
    def runs(self) -> pd.DataFrame:
        """``sweep.parquet``: one row per run (identity, ``param.*`` values, every measure)."""
        return self._inner.frame

    @property
    def table_names(self) -> list[str]:
        return ["runs", *self._inner.tables]

    def table(self, name: str) -> pd.DataFrame:
        """``runs``, or an analysis table: ``by_point``, ``paired`` (arms), ``sensitivity``
        (sobol, morris), ``skipped``."""
        if name == "runs":
            return self.runs
        if name not in self._inner.tables:
            raise KeyError(f"{name!r}: no such table; this sweep has {', '.join(self.table_names)}")
        return self._inner.tables[name]

    @property
    def by_point(self) -> pd.DataFrame:
        """Per point x arm x measure: the parameters, n, mean, sd and 95% t-interval."""
        return self.table("by_point")

    aggregate = by_point

    @property
    def paired(self) -> pd.DataFrame | None:
        """Arms against the reference arm, paired by replicate (sweeps with arms), else None."""
        return self._inner.tables.get("paired")

    @property
    def sensitivity(self) -> pd.DataFrame | None:
        """Sobol or Morris indices per arm x measure x parameter (those designs), else None."""
        return self._inner.tables.get("sensitivity")

    def summary_table(self) -> pd.DataFrame:
        """Every completed run's measures as one tidy table: run_key, point, arm, replicate,
        the ``param.*`` columns, measure, value."""
        from simulation.experiments.analysis import measure_columns

        frame = self.runs[self.runs["status"] == "done"]
        parameters = [c for c in frame.columns if c.startswith("param.")]
        return frame.melt(id_vars=["run_key", "point", "arm", "replicate", *parameters],
                          value_vars=measure_columns(frame), var_name="measure")


def _open_run_folder(folder: Path) -> Results:
    opened = folders.open_results(folder)
    aggregate_rows = opened.aggregate if opened.kind == "seeds" else None
    return Results([Run.of_folder(run) for run in opened.runs], opened.name, folder,
                   aggregate_rows)


def open_results(path: str | Path) -> Results | SweepResults:
    """Open a folder written by ``run`` (one run, or ``--seeds N``) or by ``sweep``.

    Raises ResultsError saying what the folder lacks.
    """
    folder = Path(path)
    if folders.is_sweep_folder(folder):
        return SweepResults(folder)
    return _open_run_folder(folder)


def sweep(file: str | Path, out: str | Path | None = None, *, scenario: str | Path | None = None,
          overrides: Iterable[str] = (), workers: int | None = None,
          progress: bool = True) -> SweepResults:
    """Run a sweep file (or a shipped one by name) into ``out`` and open it, analysed.

    As ``sweep FILE``: resumable (running it again into the same folder runs only what
    is missing), ``workers`` local processes (default: one per core; 1 runs here).
    ``scenario`` replaces the file's base scenario; ``overrides`` are ``path=value`` texts.
    """
    from simulation.config.shipped import find_file
    from simulation.experiments.executor import read_record, run_sweep
    from simulation.experiments.sweeps import load_sweep

    path = find_file(file, "sweep")
    folder = Path(out) if out is not None else Path("results") / f"{Path(path).stem}-sweep"
    record = read_record(folder) if folder.is_dir() else None
    entropy = int(record["root_entropy"]) if record else None
    planned = load_sweep(path, scenario, list(overrides), root_entropy=entropy,
                         progress=progress)
    outcome = run_sweep(planned, folder, workers=workers, progress=progress,
                        command=["simulation.sweep"],
                        source_text=Path(path).read_text(encoding="utf-8"))
    if outcome.failed:
        raise ResultsError(f"error: {outcome.failed} of {outcome.total} runs failed: see "
                           f"{folder}/failed/*.json; sweep() again into {folder} retries them")
    return SweepResults(folder)


__all__ = ["RUN_TABLES", "EngagementModel", "Results", "ResultsError", "Run", "Scenario",
           "ScenarioError", "SweepResults", "build_model", "check", "load", "open_results",
           "override", "run", "shipped_scenarios", "sweep"]
