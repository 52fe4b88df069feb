"""Reading a sweep folder back for figures and the report: the tables of ``viz/sweep_figures.py``.

``python run.py plot SWEEP_DIR`` and ``python run.py report SWEEP_DIR`` start
here. A sweep folder (written by ``python run.py sweep``) holds ``sweep.json``
and, once every run has finished, ``sweep.parquet`` and ``manifest.json``;
``python run.py analyze`` adds the tables of ``analysis/`` (``by_point``,
``paired``, ``sensitivity``, ``skipped``). :func:`open_sweep` reads them all.

The analysis is run here, as ``python run.py analyze SWEEP_DIR`` would run it
(every measure), when ``analysis/`` is missing, when it is out of date (it
counted other runs than ``sweep.parquet`` holds: the sweep was resumed or
retried since), or when it lacks a chosen metric (it was run with
``--measures``). :attr:`SweepResults.notes` says when that happened.

The adapter turns the analysis tables into the input contract of
:mod:`simulation.viz.sweep_figures`, without changing a number:

- :meth:`SweepResults.points`: ``by_point`` with ``measure`` as ``metric`` and the
  ``param.<path>`` columns as ``<path>`` (one row per point x arm x metric);
- :meth:`SweepResults.differences`: ``paired`` with ``difference``,
  ``paired_ci_low``, ``paired_ci_high`` and ``pairs`` as ``mean``, ``ci_low``,
  ``ci_high`` and ``n``, and the Welch interval as ``unpaired_mean``,
  ``unpaired_ci_low``, ``unpaired_ci_high``;
- :meth:`SweepResults.indices`: ``sensitivity``'s S1 and ST (Sobol) or mu_star and
  sigma (Morris), with ``measure`` as ``metric``.

Metrics are summary measures (``totals.leads``, ``brands.<name>.leads_per_1k_impressions``):
:data:`DEFAULT_METRICS`, or those chosen by name or glob pattern.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.config.loading import ScenarioError
from simulation.core.program import PROGRAM
from simulation.experiments.analysis import ANALYSIS, analyze, measure_columns, read_sweep
from simulation.experiments.executor import MANIFEST, PARAMETER_PREFIX
from simulation.io.results import ResultsError

DEFAULT_METRICS: tuple[str, ...] = (
    "rates.engagement_rate_by_views", "totals.likes", "totals.leads",
    "brands.{brand}.leads_per_1k_impressions", "inequality.views_gini",
    "brands.{brand}.likes_leads_spearman")
"""Metrics drawn when none is chosen; ``{brand}`` stands for each brand of the sweep."""


INDICES = {"sobol": ("S1", "ST"), "morris": ("mu_star", "sigma")}
"""The sensitivity indices drawn for each method (SALib computes more; all are in the table)."""


TABLES = ("by_point", "paired", "sensitivity", "skipped")


BRAND_MEASURE = re.compile(r"^brands\.([^.]+)\.leads$")


@dataclass
class SweepResults:
    """A finished sweep: its record and manifest, its analysis tables and the chosen metrics."""

    folder: Path
    record: dict[str, Any]
    """``sweep.json``: the resolved sweep (spec, base scenario, root entropy)."""
    manifest: dict[str, Any]
    frame: pd.DataFrame
    """``sweep.parquet``: one row per run."""
    tables: dict[str, pd.DataFrame]
    """The analysis tables present (``by_point`` always; ``paired``, ``sensitivity``, ``skipped``)."""
    analysis: dict[str, Any]
    """``analysis/analysis.json``."""
    metrics: list[str] = field(default_factory=list)
    """The metrics drawn and tabled (:meth:`choose_metrics`)."""
    chosen_as: list[str] = field(default_factory=list)
    """The names and patterns the metrics were chosen by (empty: the defaults)."""
    notes: list[str] = field(default_factory=list)

    # --- what was run ------------------------------------------------------------------

    @property
    def name(self) -> str:
        return str(self.record["name"])

    @property
    def spec(self) -> dict[str, Any]:
        """The sweep file as resolved: description, set, sweep (the design), arms."""
        return self.record["resolved"]["spec"]

    @property
    def base(self) -> dict[str, Any]:
        """The resolved base scenario."""
        return self.record["resolved"]["base_scenario"]

    @property
    def method(self) -> str:
        return str(self.record["method"])

    @property
    def parameters(self) -> list[str]:
        """The swept field paths, in the sweep file's order (not the paths arms set)."""
        return [param["path"] for param in self.spec["sweep"]["params"]]

    @property
    def arms(self) -> list[str]:
        """Arm names in the file's order (the first is the reference); ``["base"]`` without arms."""
        return list(self.record["arms"]) or list(dict.fromkeys(self.frame["arm"])) or ["base"]

    @property
    def reference_arm(self) -> str | None:
        return self.arms[0] if len(self.record["arms"]) > 1 else None

    @property
    def paired(self) -> bool:
        """True if replicate r of every arm had the same seed (common random numbers)."""
        return bool(self.spec["sweep"]["paired"])

    @property
    def measures(self) -> list[str]:
        """Every summary measure of ``sweep.parquet``, in its column order."""
        return measure_columns(self.frame)

    @property
    def brands(self) -> list[str]:
        return [m.group(1) for m in map(BRAND_MEASURE.match, self.measures) if m]

    def log_scale(self, parameter: str) -> bool | None:
        """True for a range spread by ratio (``scale = "log"``); None when the file gave values."""
        for param in self.spec["sweep"]["params"]:
            if param["path"] == parameter and param.get("values") is None:
                return param.get("scale") == "log"
        return None

    def point_values(self, point: int) -> dict[str, Any]:
        """The swept parameters' values at a point."""
        rows = self.tables["by_point"]
        row = rows[rows["point"] == point].iloc[0]
        return {path: _plain(row[PARAMETER_PREFIX + path]) for path in self.parameters}

    # --- the tidy tables of simulation.viz.sweep_figures ---------------------------------------

    def points(self, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """Input ``points``: one row per point x arm x metric (by_point, columns renamed)."""
        metrics = list(metrics or self.metrics)
        rows = self.tables["by_point"]
        rows = rows[rows["measure"].isin(metrics)].rename(columns={"measure": "metric"})
        rows = rows.rename(columns={c: c[len(PARAMETER_PREFIX):] for c in rows.columns
                                    if c.startswith(PARAMETER_PREFIX)})
        return self._ordered(rows, metrics)

    def differences(self, metrics: Sequence[str] | None = None) -> pd.DataFrame | None:
        """Input ``differences`` (with ``point`` and the unpaired interval); None without arms."""
        paired = self.tables.get("paired")
        if paired is None:
            return None
        metrics = list(metrics or self.metrics)
        rows = paired[paired["measure"].isin(metrics)].rename(columns={
            "measure": "metric", "difference": "mean", "paired_ci_low": "ci_low",
            "paired_ci_high": "ci_high", "pairs": "n", "unpaired_difference": "unpaired_mean"})
        columns = ["point", "metric", "arm", "reference", "mean", "ci_low", "ci_high", "n",
                   "unpaired_mean", "unpaired_ci_low", "unpaired_ci_high"]
        return self._ordered(rows[columns], metrics)

    def indices(self, metrics: Sequence[str] | None = None) -> pd.DataFrame | None:
        """Input ``indices`` (with ``arm``): S1, ST or mu_star, sigma; None for other designs."""
        sensitivity = self.tables.get("sensitivity")
        if sensitivity is None:
            return None
        metrics = list(metrics or self.metrics)
        rows = sensitivity[sensitivity["measure"].isin(metrics)
                           & sensitivity["index"].isin(INDICES.get(self.method, ()))]
        rows = rows.rename(columns={"measure": "metric"})
        return self._ordered(rows[["arm", "metric", "parameter", "index", "value", "conf"]],
                             metrics)

    def skipped_reason(self, arm: str, metric: str) -> str:
        """Why the analysis has no sensitivity indices for a metric (in an arm)."""
        skipped = self.tables.get("skipped")
        if skipped is not None:
            rows = skipped[(skipped["arm"] == arm) & (skipped["measure"] == metric)]
            if len(rows):
                return f"no sensitivity indices: {metric} is {rows['reason'].iloc[0]}"
        return f"no sensitivity indices for {metric}"

    def _ordered(self, rows: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
        """Rows in metric order (as chosen), then point, then arm (as in the file)."""
        rows = rows.copy()
        rows["metric"] = pd.Categorical(rows["metric"], [m for m in metrics if m in
                                                         set(rows["metric"])], ordered=True)
        keys = ["metric", *(k for k in ("point", "arm") if k in rows.columns)]
        if "arm" in rows.columns:
            rows["arm"] = pd.Categorical(rows["arm"], list(dict.fromkeys(
                [*self.arms, *rows["arm"]])), ordered=True)
        rows = rows.sort_values(keys, kind="stable").reset_index(drop=True)
        rows["metric"] = rows["metric"].astype(str)
        if "arm" in rows.columns:
            rows["arm"] = rows["arm"].astype(str)
        return rows

    # --- choosing metrics ----------------------------------------------------------------

    def default_metrics(self) -> list[str]:
        """:data:`DEFAULT_METRICS` that this sweep has, brand by brand."""
        available = set(self.measures)
        chosen = []
        for pattern in DEFAULT_METRICS:
            names = [pattern.format(brand=b) for b in self.brands] if "{brand}" in pattern \
                else [pattern]
            chosen += [name for name in names if name in available]
        return chosen or self.measures[:6]

    def choose_metrics(self, wanted: Sequence[str] | None) -> list[str]:
        """Metrics by name or glob pattern (``brands.*.leads``); ResultsError for an unknown one."""
        if not wanted:
            return self.default_metrics()
        available = self.measures
        chosen: list[str] = []
        for name in wanted:
            if name in available:
                chosen.append(name)
                continue
            matches = [m for m in available if fnmatch.fnmatchcase(m, name)]
            if not matches:
                raise ResultsError(unknown_metric(name, available, self.folder))
            chosen += matches
        return list(dict.fromkeys(chosen))


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def unknown_metric(name: str, available: Sequence[str], folder: Path) -> str:
    """The message for a --metric that is not a measure of the sweep."""
    close = difflib.get_close_matches(name, available, n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    examples = [m for m in DEFAULT_METRICS if "{" not in m] + [
        next((m for m in available if re.fullmatch(r"brands\.[^.]+\.leads_per_1k_impressions",
                                                      m)), "")]
    return (f"error: --metric {name}: not a measure of the sweep in {folder}{hint}. Metrics are "
            f"summary.json paths, e.g. {', '.join(e for e in examples if e)}; glob patterns "
            f"such as 'brands.*.leads' work too (a * also matches dots). All {len(available)} "
            f"are the column `measure` of {folder / ANALYSIS / 'by_point.csv'}.")


def _read_analysis(folder: Path) -> tuple[dict[str, Any], dict[str, pd.DataFrame]] | None:
    """``analysis.json`` and the tables of ``analysis/``, or None if missing or unreadable."""
    place = folder / ANALYSIS
    try:
        summary = json.loads((place / "analysis.json").read_text(encoding="utf-8"))
        tables = {name: pd.read_parquet(place / f"{name}.parquet") for name in TABLES
                  if f"{name}.parquet" in summary.get("files", [])}
    except Exception:  # missing, or damaged (pyarrow raises several kinds)
        return None
    return (summary, tables) if "by_point" in tables else None


def _out_of_date(summary: dict[str, Any], frame: pd.DataFrame) -> str | None:
    counts = {"runs": len(frame), "done": int((frame["status"] == "done").sum()),
              "failed": int((frame["status"] == "failed").sum())}
    changed = [f"{key} {summary.get(key)} -> {value}" for key, value in counts.items()
               if summary.get(key) != value]
    return ", ".join(changed) if changed else None


def open_sweep(path: str | Path, metrics: Sequence[str] | None = None) -> SweepResults:
    """Open a finished sweep folder, analysing it if needed; ResultsError says what is wrong.

    ``metrics``: names or glob patterns of summary measures (default :data:`DEFAULT_METRICS`).
    """
    folder = Path(path)
    try:
        record, frame = read_sweep(folder)
    except ScenarioError as exc:
        raise ResultsError(str(exc)) from None
    except Exception as exc:  # a damaged sweep.json or sweep.parquet
        raise ResultsError(f"error: {folder}: cannot read the sweep ({exc}). Run `{PROGRAM} "
                           f"sweep --resume {folder}` to rewrite its tables.") from None
    manifest_path = folder / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) \
        if manifest_path.is_file() else {}
    sweep = SweepResults(folder, record, manifest, frame, {}, {})
    sweep.metrics = sweep.choose_metrics(metrics)
    sweep.chosen_as = list(metrics or [])
    found = _read_analysis(folder)
    reason = None
    if found is None:
        reason = f"{folder / ANALYSIS}/ is missing"
    elif (changed := _out_of_date(found[0], frame)) is not None:
        reason = f"{folder / ANALYSIS}/ is out of date (runs counted then -> now: {changed})"
    elif missing := [m for m in sweep.metrics if m not in set(found[1]["by_point"]["measure"])]:
        reason = (f"{folder / ANALYSIS}/ lacks {', '.join(missing[:3])}"
                  f"{' and more' if len(missing) > 3 else ''} (analysed with --measures)")
    if reason is not None:
        try:
            analyze(folder)
        except ScenarioError as exc:
            raise ResultsError(str(exc)) from None
        sweep.notes.append(f"{reason}: analysed every measure, as `{PROGRAM} analyze "
                           f"{folder}` does")
        found = _read_analysis(folder)
        if found is None:  # pragma: no cover - analyze just wrote it
            raise ResultsError(f"error: {folder / ANALYSIS}: cannot be read after analysing")
    sweep.analysis, sweep.tables = found
    return sweep
