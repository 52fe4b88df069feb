"""Reading a results folder back: one run, several seeds, or (later) a sweep.

``python run.py plot`` and ``python run.py report`` start here. A folder is
recognised by what it holds:

- one run: ``summary.json`` (with ``manifest.json`` and the Parquet tables
  written by :func:`simulation.experiments.runs.write_run`);
- several seeds: ``seed=<n>/`` subfolders, each one run's record, its tables in the
  hive-style datasets ``<table>/seed=<n>/`` beside them, and ``aggregate.csv`` (written by
  :func:`simulation.experiments.runs.run_seeds`; folders of ``seed-<n>/`` run folders, as
  written before, are read too);
- a sweep: :data:`SWEEP_MARKER` (``sweep.parquet``) or ``sweep.json``
  (:func:`is_sweep_folder`). A sweep is read by
  :func:`simulation.experiments.sweep_results.open_sweep`, not here: ``plot`` and ``report``
  send such a folder there, and :func:`open_results` refuses it with a message.

Anything else is refused with a message that says what was expected, for the
command line to print and exit with status 2.

Across seeds every figure and table uses :func:`seed_interval`: the mean of the per-seed
values and its 95% interval inside the quantity's range, by
:func:`simulation.measures.intervals.interval`, the same statistic as ``aggregate.csv``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from simulation.core.program import PROGRAM
from simulation.io.folders import RECORD as SWEEP_RECORD
from simulation.io.folders import RECORD_FILES, SEED_FOLDER, TABLES, table_path
from simulation.io.folders import TABLE as SWEEP_MARKER
from simulation.measures.aggregate import COLUMNS, aggregate, measure_of
from simulation.measures.intervals import UNBOUNDED, Interval, Range, interval


def is_sweep_folder(path: str | Path) -> bool:
    """True for a folder written by ``python run.py sweep``, finished or not."""
    folder = Path(path)
    return folder.is_dir() and ((folder / SWEEP_MARKER).exists()
                                or (folder / SWEEP_RECORD).exists())


class ResultsError(Exception):
    """A folder that cannot be plotted or reported; ``str(error)`` is the whole message."""

    exit_status = 2


@dataclass
class Run:
    """One run's folder: its summary and manifest, and its tables read on first use."""

    folder: Path
    summary: dict[str, Any]
    manifest: dict[str, Any]
    _tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def seed(self) -> int:
        return int(self.summary["seed"])

    @property
    def scenario(self) -> dict[str, Any]:
        """The fully resolved scenario, as recorded in the manifest."""
        return self.manifest.get("scenario", {})

    def table(self, name: str) -> pd.DataFrame:
        """Table ``name`` of this run (posts, creators, steps, feed_mix, reach): its
        ``<name>.parquet``, or its seed's partition of the folder's dataset ``<name>/``."""
        if name not in self._tables:
            path = table_path(self.folder, name)
            try:
                self._tables[name] = pd.read_parquet(path)
            except FileNotFoundError as exc:
                raise ResultsError(f"error: {path}: missing; this results folder is incomplete. "
                                   "Run the scenario again to rewrite it.") from exc
            except Exception as exc:  # pyarrow raises several kinds for a damaged file
                raise ResultsError(f"error: {path}: cannot be read ({exc}). "
                                   "Run the scenario again to rewrite it.") from exc
        return self._tables[name]


@dataclass
class Results:
    """A results folder: one run (``kind == "run"``) or several seeds (``kind == "seeds"``)."""

    folder: Path
    kind: Literal["run", "seeds"]
    runs: list[Run]
    aggregate: pd.DataFrame
    """One row per summary measure (``measures.aggregate.COLUMNS``): measure, label, unit,
    kind, n, mean, sd, ci_low, ci_high (NaN for one run) and the interval's method."""

    @property
    def seeds(self) -> list[int]:
        return [run.seed for run in self.runs]

    @property
    def first(self) -> Run:
        return self.runs[0]

    @property
    def scenario(self) -> dict[str, Any]:
        """The resolved scenario (identical across seeds but for the seed)."""
        return self.first.scenario

    @property
    def name(self) -> str:
        return str(self.first.summary.get("scenario", self.scenario.get("name", "scenario")))

    def vocabulary(self, kind: Literal["segments", "styles", "brands", "tiers"]) -> list[str]:
        """Names in the scenario's order, so that a name gets the same colour in every figure."""
        summary = self.first.summary
        if kind == "segments":
            return list(summary["segments"])
        if kind == "styles":
            names = list(self.scenario.get("styles", {})) or list(summary["styles"])
            return [n for n in names if any(n in run.summary["styles"] for run in self.runs)]
        if kind == "brands":
            return list(dict.fromkeys(b for run in self.runs for b in run.summary["brands"]))
        tiers = self.scenario.get("ranking", {}).get("distribution", {}).get("tiers", [])
        return [str(k) for k in range(len(tiers))] or list(summary["tiers"])

    def measure(self, name: str) -> Interval:
        """A summary measure's mean across runs and its interval (the aggregate's row)."""
        rows = self._by_measure.get(name)
        if rows is None:
            return Interval(math.nan, math.nan, math.nan, 0, "no run has a value")
        return Interval(float(rows["mean"]), float(rows["ci_low"]), float(rows["ci_high"]),
                        int(rows["n"]), str(rows["method"]))

    @property
    def _by_measure(self) -> dict[str, dict[str, Any]]:
        if "_rows" not in self.__dict__:
            self.__dict__["_rows"] = {row["measure"]: row for row in
                                      self.aggregate.to_dict("records")}
        return self.__dict__["_rows"]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ResultsError(f"error: {path}: missing; this results folder is incomplete. "
                           "Run the scenario again to rewrite it.") from exc
    except (OSError, ValueError) as exc:
        raise ResultsError(f"error: {path}: cannot be read as JSON ({exc}). "
                           "Run the scenario again to rewrite it.") from exc


def _open_run(folder: Path) -> Run:
    missing = [str(path.relative_to(folder)) if path.is_relative_to(folder) else str(path)
               for path in [*(folder / name for name in RECORD_FILES),
                            *(table_path(folder, table) for table in TABLES)]
               if not path.is_file()]
    if missing:
        raise ResultsError(f"error: {folder}: incomplete results folder, missing "
                           f"{', '.join(missing)}. Run the scenario again to rewrite it.")
    return Run(folder, _read_json(folder / "summary.json"), _read_json(folder / "manifest.json"))


def _aggregate_frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(COLUMNS))


def open_results(path: str | Path) -> Results:
    """Open a run folder or a multi-seed folder; :class:`ResultsError` says what is wrong."""
    folder = Path(path)
    if not folder.exists():
        raise ResultsError(f"error: {folder}: no such folder. Give the folder that "
                           f"`{PROGRAM} run SCENARIO` printed (e.g. results/baseline-seed1).")
    if not folder.is_dir():
        raise ResultsError(f"error: {folder}: not a folder. Give a results folder, "
                           "e.g. results/baseline-seed1, not a file in it.")
    if is_sweep_folder(folder):
        raise ResultsError(
            f"error: {folder}: a sweep folder (it holds {SWEEP_MARKER} or {SWEEP_RECORD}); read "
            f"it with simulation.open_results or simulation.experiments.sweep_results.open_sweep "
            f"(`{PROGRAM} plot` and `report` do).")
    if (folder / "summary.json").exists():
        run = _open_run(folder)
        return Results(folder, "run", [run], _aggregate_frame(aggregate([run.summary])))
    seed_folders = sorted((p for p in folder.iterdir() if p.is_dir() and SEED_FOLDER.match(p.name)),
                          key=lambda p: int(SEED_FOLDER.match(p.name).group(1)))
    if seed_folders:
        runs = [_open_run(p) for p in seed_folders]
        table = folder / "aggregate.csv"
        frame = None
        if table.is_file():
            try:
                frame = pd.read_csv(table, keep_default_na=False, na_values=[""])
            except Exception as exc:
                raise ResultsError(f"error: {table}: cannot be read ({exc}). Run the scenario "
                                   "again with --seeds to rewrite it.") from exc
            if "method" not in frame.columns:  # written before intervals by kind: recompute
                frame = None
        if frame is None:  # recompute it: the same statistic as run_seeds writes
            frame = _aggregate_frame(aggregate([run.summary for run in runs]))
        return Results(folder, "seeds", runs, frame)
    entries = sorted(p.name for p in folder.iterdir())[:6]
    raise ResultsError(
        f"error: {folder}: not a results folder (expected summary.json for one run, seed=*/ "
        f"subfolders for several seeds, or {SWEEP_MARKER} for a sweep; found "
        f"{', '.join(entries) if entries else 'nothing'}). "
        f"Run `{PROGRAM} run SCENARIO` first; it prints the folder it wrote.")


def seed_interval(values: Sequence[float] | np.ndarray, bounds: Range = UNBOUNDED) -> Interval:
    """Mean of the finite values (one per seed) and its 95% interval inside ``bounds``.

    The same statistic as ``aggregate.csv`` (:func:`simulation.measures.intervals.interval`);
    the interval is NaN for fewer than 2 values.
    """
    return interval(values, bounds)


def measure_bounds(path: str) -> Range:
    """The range of a summary measure, from the glossary (its kind)."""
    return measure_of(path).bounds


def across_seeds(frame: pd.DataFrame, keys: Sequence[str], value: str = "value",
                 bounds: Range = UNBOUNDED) -> pd.DataFrame:
    """Per-seed rows (a ``seed`` column) to one row per key: value (mean), ci_low, ci_high,
    seeds and the interval's method; ``bounds``: the range of ``value`` (``intervals.py``).

    With one seed the value is that seed's and the interval is empty (NaN). Rows keep
    the order in which their keys first appear.
    """
    keys = list(keys)
    rows = []
    for key, group in frame.groupby(keys, sort=False, dropna=False):
        estimate = interval(group[value].to_numpy(), bounds)
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(keys, key, strict=True)), "value": estimate.mean,
                     "ci_low": estimate.low, "ci_high": estimate.high, "seeds": estimate.n,
                     "method": estimate.method})
    return pd.DataFrame(rows, columns=[*keys, "value", "ci_low", "ci_high", "seeds", "method"])
