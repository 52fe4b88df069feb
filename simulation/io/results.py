"""Reading a results folder back: one run, several seeds, or (later) a sweep.

``python run.py plot`` and ``python run.py report`` start here. A folder is
recognised by what it holds:

- one run: ``summary.json`` (with ``manifest.json`` and the Parquet tables
  written by :func:`simulation.experiments.runs.write_run`);
- several seeds: ``seed-<n>/`` subfolders, each one run, and ``aggregate.csv``
  (written by :func:`simulation.experiments.runs.run_seeds`);
- a sweep: :data:`SWEEP_MARKER` (``sweep.parquet``) or ``sweep.json``
  (:func:`is_sweep_folder`). A sweep is read by
  :func:`simulation.experiments.sweep_results.open_sweep`, not here: ``plot`` and ``report``
  send such a folder there, and :func:`open_results` refuses it with a message.

Anything else is refused with a message that says what was expected, for the
command line to print and exit with status 2.

Across seeds every figure and table uses :func:`seed_interval`: the mean and
the 95% t-interval of the per-seed values, the same statistic as
``aggregate.csv``.
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
from scipy import stats

from simulation.core.program import PROGRAM
from simulation.io.folders import RECORD as SWEEP_RECORD
from simulation.io.folders import RUN_FILES, SEED_FOLDER
from simulation.io.folders import TABLE as SWEEP_MARKER
from simulation.measures.aggregate import aggregate


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
        """``<name>.parquet`` of this run (posts, creators, steps, feed_mix, reach)."""
        if name not in self._tables:
            path = self.folder / f"{name}.parquet"
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
    """One row per summary measure: measure, n, mean, sd, ci_low, ci_high (NaN for one run)."""

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

    def measure(self, name: str) -> dict[str, float]:
        """One row of the aggregate (mean, ci_low, ci_high, n) for a summary measure path."""
        rows = self.aggregate[self.aggregate["measure"] == name]
        if rows.empty:
            return {"mean": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": 0}
        row = rows.iloc[0]
        return {"mean": float(row["mean"]), "ci_low": float(row["ci_low"]),
                "ci_high": float(row["ci_high"]), "n": int(row["n"])}


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
    missing = [name for name in RUN_FILES if not (folder / name).is_file()]
    if missing:
        raise ResultsError(f"error: {folder}: incomplete results folder, missing "
                           f"{', '.join(missing)}. Run the scenario again to rewrite it.")
    return Run(folder, _read_json(folder / "summary.json"), _read_json(folder / "manifest.json"))


def _aggregate_frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=["measure", "n", "mean", "sd", "ci_low", "ci_high"])


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
        if table.is_file():
            try:
                frame = pd.read_csv(table)
            except Exception as exc:
                raise ResultsError(f"error: {table}: cannot be read ({exc}). Run the scenario "
                                   "again with --seeds to rewrite it.") from exc
        else:  # recompute it: the same statistic as run_seeds writes
            frame = _aggregate_frame(aggregate([run.summary for run in runs]))
        return Results(folder, "seeds", runs, frame)
    entries = sorted(p.name for p in folder.iterdir())[:6]
    raise ResultsError(
        f"error: {folder}: not a results folder (expected summary.json for one run, seed-*/ "
        f"subfolders for several seeds, or {SWEEP_MARKER} for a sweep; found "
        f"{', '.join(entries) if entries else 'nothing'}). "
        f"Run `{PROGRAM} run SCENARIO` first; it prints the folder it wrote.")


def seed_interval(values: Sequence[float] | np.ndarray) -> tuple[float, float, float, int]:
    """Mean, 95% t-interval (low, high) and count of the finite values, one per seed.

    The same statistic as ``aggregate.csv``; the interval is NaN for fewer than 2 values.
    """
    array = np.asarray(values, dtype=np.float64)
    array = array[np.isfinite(array)]
    n = len(array)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(array.mean())
    if n == 1:
        return mean, math.nan, math.nan, 1
    half = float(stats.t.ppf(0.975, n - 1) * array.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


def across_seeds(frame: pd.DataFrame, keys: Sequence[str], value: str = "value") -> pd.DataFrame:
    """Per-seed rows (a ``seed`` column) to one row per key: value (mean), ci_low, ci_high, seeds.

    With one seed the value is that seed's and the interval is empty (NaN). Rows keep
    the order in which their keys first appear.
    """
    keys = list(keys)
    rows = []
    for key, group in frame.groupby(keys, sort=False, dropna=False):
        mean, low, high, n = seed_interval(group[value].to_numpy())
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(keys, key, strict=True)), "value": mean, "ci_low": low,
                     "ci_high": high, "seeds": n})
    return pd.DataFrame(rows, columns=[*keys, "value", "ci_low", "ci_high", "seeds"])
