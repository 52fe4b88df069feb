"""Analysing a finished sweep: intervals per point, paired arm differences, sensitivity indices.

``python run.py analyze SWEEP_DIR`` reads ``sweep.parquet`` and writes tidy
tables to ``SWEEP_DIR/analysis/`` (CSV and Parquet, same content):

- ``by_point``: one row per point x arm x measure: the point's parameters, the
  measure's label and kind (``measures/glossary.py``), n (completed runs), mean, sd,
  and the 95% interval of the mean by the measure's kind, so that it stays in the
  measure's range (``measures/intervals.py``), with its ``method``.
- ``paired`` (sweeps with arms): one row per point x arm x measure, the arm
  compared with the reference arm (the first in the file): the mean paired
  difference over replicates with its 95% paired t-interval (``scipy.stats.ttest_rel``)
  and, on the same pairs of runs, Welch's interval that treats the two arms as
  independent samples (``scipy.stats.ttest_ind``: what independent seeds would give),
  their widths and the correlation between arms.
- ``sensitivity`` (sobol and morris designs): one row per arm x measure x
  parameter x index, computed by SALib on the replicate means of each point:
  Sobol' S1, ST (and S2 with ``second_order``) or Morris mu, mu_star, sigma,
  with the half-width of their 95% confidence interval in ``conf``.
- ``skipped``: measures left out of the sensitivity analysis, and why.

The analysis is deterministic: SALib's bootstrap is seeded from the sweep's root entropy.
"""

from __future__ import annotations

import fnmatch
import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.config.loading import ScenarioError
from simulation.core.program import PROGRAM
from simulation.experiments.executor import IDENTITY, MANIFEST, PARAMETER_PREFIX, RECORD, TABLE
from simulation.experiments.sweeps import SALIB_METHODS, Design, design_seed, salib_problem
from simulation.io.storage import result_folder, write_json
from simulation.measures.aggregate import measure_of
from simulation.measures.intervals import CONFIDENCE, difference, interval

ANALYSIS = "analysis"


HEADLINE = ("totals.likes", "totals.leads", "totals.purchases", "totals.revenue",
            "rates.engagement_rate_by_views", "inequality.views_gini")
"""Measures shown on screen after an analysis (the tables hold every measure)."""


@dataclass
class Analysis:
    """The tables of an analysed sweep, and where they were written."""

    folder: Path
    record: dict[str, Any]
    by_point: pd.DataFrame
    paired: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None
    skipped: pd.DataFrame | None = None
    files: list[str] = field(default_factory=list)


def read_sweep(folder: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """The sweep record and table of a finished sweep folder, or a ScenarioError saying what to do."""
    folder = Path(folder)
    if not (folder / RECORD).is_file():
        raise ScenarioError(f"error: {folder}: not a sweep folder (no {RECORD}). "
                            f"Give the --out folder of `{PROGRAM} sweep`.")
    record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    if not (folder / TABLE).is_file():
        raise ScenarioError(f"error: {folder}: the sweep has not finished (no {TABLE}); "
                            f"finish it with `{PROGRAM} sweep --resume {folder}`.")
    return record, pd.read_parquet(folder / TABLE)


def measure_columns(frame: pd.DataFrame, patterns: list[str] | None = None) -> list[str]:
    """The summary measures of a sweep table (optionally only those matching glob patterns)."""
    identity = {name for name, _ in IDENTITY}
    measures = [c for c in frame.columns if c not in identity and not c.startswith(PARAMETER_PREFIX)]
    if patterns:
        measures = [m for m in measures if any(fnmatch.fnmatchcase(m, p) for p in patterns)]
    return measures


def by_point(frame: pd.DataFrame, measures: list[str]) -> pd.DataFrame:
    """Mean and 95% interval (by the measure's kind) of every measure at every point x arm."""
    done = frame[frame["status"] == "done"]
    parameters = [c for c in frame.columns if c.startswith(PARAMETER_PREFIX)]
    long = done.melt(id_vars=["point", "arm"], value_vars=measures, var_name="measure")
    long["measure"] = pd.Categorical(long["measure"], categories=measures, ordered=True)
    rows = []
    for (point, arm, measure), group in long.groupby(["point", "arm", "measure"], observed=True,
                                                     sort=True):
        described = measure_of(str(measure))
        values = group["value"].to_numpy(dtype=np.float64)
        values = values[np.isfinite(values)]
        estimate = interval(values, described.bounds)
        rows.append({"point": point, "arm": arm, "measure": str(measure),
                     "label": described.label, "kind": described.kind, "n": estimate.n,
                     "mean": estimate.mean,
                     "sd": float(values.std(ddof=1)) if len(values) > 1 else math.nan,
                     "ci_low": estimate.low, "ci_high": estimate.high,
                     "method": estimate.method})
    table = pd.DataFrame(rows, columns=["point", "arm", "measure", "label", "kind", "n", "mean",
                                        "sd", "ci_low", "ci_high", "method"])
    points = frame.drop_duplicates(["point", "arm"])[["point", "arm", *parameters]]
    return points.merge(table, on=["point", "arm"], how="right")


def paired_differences(frame: pd.DataFrame, measures: list[str], reference: str,
                       common_random_numbers: bool) -> pd.DataFrame:
    """Each arm minus the reference arm, per point and measure: paired and unpaired intervals.

    Both from the same pairs: replicates r with both runs complete. Paired: Student's
    paired t-interval of mean(arm_r - reference_r). Unpaired: Welch's interval of
    mean(arm) - mean(reference) with the same runs taken as independent samples, which is
    what independent seeds would give; so the widths compare what pairing gains and nothing
    else. Both come from ``measures/intervals.py`` (``scipy.stats``).
    """
    done = frame[frame["status"] == "done"].set_index(["point", "replicate"])
    ref = done[done["arm"] == reference][measures]
    rows = []
    for arm in [a for a in frame["arm"].drop_duplicates() if a != reference]:
        this = done[done["arm"] == arm][measures]
        this_aligned, ref_aligned = this.align(ref, join="inner")
        for point in sorted(set(this_aligned.index.get_level_values("point"))):
            mine, theirs = this_aligned.loc[point], ref_aligned.loc[point]
            for measure in measures:
                result = difference(mine[measure].to_numpy(dtype=np.float64),
                                    theirs[measure].to_numpy(dtype=np.float64))
                paired, unpaired = result.paired, result.unpaired
                paired_width = paired.high - paired.low
                unpaired_width = unpaired.high - unpaired.low
                rows.append({
                    "point": point, "arm": arm, "reference": reference, "measure": measure,
                    "label": measure_of(measure).label,
                    "pairs": result.pairs, "arm_mean": result.arm_mean,
                    "reference_mean": result.reference_mean,
                    "difference": result.difference, "paired_sd": result.sd,
                    "paired_ci_low": paired.low, "paired_ci_high": paired.high,
                    "paired_ci_width": paired_width, "paired_method": paired.method,
                    "unpaired_difference": unpaired.mean,
                    "unpaired_ci_low": unpaired.low, "unpaired_ci_high": unpaired.high,
                    "unpaired_ci_width": unpaired_width, "unpaired_method": unpaired.method,
                    "width_ratio": (paired_width / unpaired_width if unpaired_width > 0
                                    else math.nan),
                    "correlation": result.correlation,
                    "common_random_numbers": common_random_numbers,
                })
    return pd.DataFrame(rows)


def sensitivity(frame: pd.DataFrame, points: pd.DataFrame, measures: list[str],
                record: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SALib's indices for every arm and measure; returns (indices, skipped measures).

    Y is each point's mean over its completed replicates, in point order, as the
    design was sampled; a measure missing at any point, or constant, is skipped.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    design = Design.model_validate(record["resolved"]["spec"]["sweep"])
    problem = salib_problem(design)
    names = problem["names"]
    matrix = points.sort_values("point")[[f"design.{name}" for name in names]].to_numpy()
    seed = int(design_seed(int(record["root_entropy"])).generate_state(2)[1])
    done = frame[frame["status"] == "done"]
    rows, skipped = [], []
    for arm in frame["arm"].drop_duplicates():
        means = done[done["arm"] == arm].groupby("point")[measures].mean()
        means = means.reindex(range(len(matrix)))
        for measure in measures:
            y = means[measure].to_numpy(dtype=np.float64)
            if not np.all(np.isfinite(y)):
                missing = int(np.sum(~np.isfinite(y)))
                skipped.append({"arm": arm, "measure": measure,
                                "reason": f"missing or undefined at {missing} point(s)"})
                continue
            if np.ptp(y) == 0:
                skipped.append({"arm": arm, "measure": measure, "reason": "constant"})
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if design.method == "morris":
                    result = morris_analyze.analyze(problem, matrix, y, num_levels=design.levels or 4,
                                                    conf_level=CONFIDENCE, seed=seed)
                    for d, name in enumerate(names):
                        for index, conf in (("mu", None), ("mu_star", "mu_star_conf"),
                                            ("sigma", None)):
                            rows.append({"arm": arm, "measure": measure, "parameter": name,
                                         "parameter_2": None, "index": index,
                                         "value": float(result[index][d]),
                                         "conf": float(result[conf][d]) if conf else math.nan})
                else:
                    second = bool(design.second_order)
                    result = sobol_analyze.analyze(problem, y, calc_second_order=second,
                                                   conf_level=CONFIDENCE, seed=seed)
                    for d, name in enumerate(names):
                        for index in ("S1", "ST"):
                            rows.append({"arm": arm, "measure": measure, "parameter": name,
                                         "parameter_2": None, "index": index,
                                         "value": float(result[index][d]),
                                         "conf": float(result[f"{index}_conf"][d])})
                        if second:
                            for e in range(d + 1, len(names)):
                                rows.append({"arm": arm, "measure": measure, "parameter": name,
                                             "parameter_2": names[e], "index": "S2",
                                             "value": float(result["S2"][d, e]),
                                             "conf": float(result["S2_conf"][d, e])})
    columns = ["arm", "measure", "parameter", "parameter_2", "index", "value", "conf"]
    return (pd.DataFrame(rows, columns=columns),
            pd.DataFrame(skipped, columns=["arm", "measure", "reason"]))


def analyze(folder: str | Path, patterns: list[str] | None = None) -> Analysis:
    """Analyse a finished sweep and write its tables to ``folder/analysis/`` (replaced whole)."""
    folder = Path(folder)
    record, frame = read_sweep(folder)
    measures = measure_columns(frame, patterns)
    if not measures:
        wanted = ", ".join(patterns or [])
        raise ScenarioError(f"error: --measures {wanted}: no measure of {folder / TABLE} matches; "
                            "measures are summary keys such as totals.leads or rates.*")
    if not (frame["status"] == "done").any():
        raise ScenarioError(f"error: {folder}: no run completed; see {folder / 'failed'}/ "
                            "for the errors")
    analysis = Analysis(folder, record, by_point(frame, measures))
    arms = record["arms"]
    if len(arms) > 1:
        paired = record["resolved"]["spec"]["sweep"]["paired"]
        analysis.paired = paired_differences(frame, measures, arms[0], paired)
    if record["method"] in SALIB_METHODS:
        points = pd.read_parquet(folder / "points.parquet")
        analysis.sensitivity, analysis.skipped = sensitivity(frame, points, measures, record)
    tables = {"by_point": analysis.by_point, "paired": analysis.paired,
              "sensitivity": analysis.sensitivity, "skipped": analysis.skipped}
    with result_folder(folder / ANALYSIS) as building:
        for name, table in tables.items():
            if table is None:
                continue
            table.to_csv(building / f"{name}.csv", index=False)
            table.to_parquet(building / f"{name}.parquet", index=False)
            analysis.files += [f"{name}.csv", f"{name}.parquet"]
        manifest = json.loads((folder / MANIFEST).read_text()) if (folder / MANIFEST).is_file() else {}
        write_json(building / "analysis.json", {
            "sweep": record["name"], "method": record["method"], "confidence": CONFIDENCE,
            "measures": len(measures), "reference_arm": arms[0] if len(arms) > 1 else None,
            "runs": len(frame), "done": int((frame["status"] == "done").sum()),
            "failed": int((frame["status"] == "failed").sum()),
            "sweep_git_commit": manifest.get("git_commit"),
            "files": sorted(analysis.files)})
    return analysis


def _number(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def _value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def render_analysis(analysis: Analysis, measures: tuple[str, ...] = HEADLINE) -> str:
    """A few lines for the screen: headline measures of the tables just written."""
    lines = [f"{analysis.record['name']}: {analysis.record['method']}, "
             f"{analysis.by_point['point'].nunique()} point(s)"]
    if analysis.paired is None and analysis.sensitivity is None:
        table = analysis.by_point[analysis.by_point["measure"].isin(measures[:3])]
        parameters = [c for c in table.columns if c.startswith(PARAMETER_PREFIX)]
        lines.append("mean [95% interval] by point")
        for (point, arm), group in list(table.groupby(["point", "arm"], sort=True))[:12]:
            first = group.iloc[0]
            where = ", ".join(f"{c[len(PARAMETER_PREFIX):]}={_value(first[c])}" for c in parameters)
            values = "; ".join(f"{r.measure} {_number(r.mean)} [{_number(r.ci_low)}, "
                               f"{_number(r.ci_high)}]" for r in group.itertuples())
            lines.append(f"  point {point} ({where or arm}): {values}")
    if analysis.paired is not None and len(analysis.paired):
        table = analysis.paired[analysis.paired["measure"].isin(measures)
                                & (analysis.paired["point"] < 12)]
        lines.append(f"paired differences (arm - {table['reference'].iloc[0] if len(table) else '?'}), "
                     "95% intervals: paired seeds vs as if independent")
        for row in table.itertuples():
            lines.append(f"  point {row.point} {row.arm:<12} {row.measure:<34} "
                         f"{_number(row.difference):>10} paired [{_number(row.paired_ci_low)}, "
                         f"{_number(row.paired_ci_high)}] width {_number(row.paired_ci_width)}"
                         f" | unpaired width {_number(row.unpaired_ci_width)}")
    if analysis.sensitivity is not None and len(analysis.sensitivity):
        key = "mu_star" if analysis.record["method"] == "morris" else "ST"
        table = analysis.sensitivity[(analysis.sensitivity["index"] == key)
                                     & analysis.sensitivity["measure"].isin(measures)]
        lines.append(f"sensitivity ({key}, largest first)")
        for (arm, measure), group in table.groupby(["arm", "measure"], sort=False):
            ranked = group.sort_values("value", ascending=False)
            text = ", ".join(f"{r.parameter} {_number(r.value)}" for r in ranked.itertuples())
            lines.append(f"  {measure} [{arm}]: {text}")
    lines.append(f"tables: {analysis.folder / ANALYSIS}/ ({', '.join(sorted(analysis.files))})")
    return "\n".join(lines)
