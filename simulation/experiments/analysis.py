"""Analysing a finished sweep: intervals per point, paired arm differences, sensitivity indices.

``python run.py analyze SWEEP_DIR`` reads ``sweep.parquet`` and writes tidy
tables to ``SWEEP_DIR/analysis/`` (CSV and Parquet, same content):

- ``by_point``: one row per point x arm x measure: the point's parameters, n
  (completed runs), mean, sd, and the 95% t-interval of the mean.
- ``paired`` (sweeps with arms): one row per point x arm x measure, the arm
  compared with the reference arm (the first in the file): the mean paired
  difference over replicates with its 95% t-interval, and, on the same runs, the
  Welch interval that treats the two arms as independent samples (what
  independent seeds would give), their widths and the correlation between arms.
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
from scipy import stats

from simulation.config.loading import ScenarioError
from simulation.core.program import PROGRAM
from simulation.experiments.executor import IDENTITY, MANIFEST, PARAMETER_PREFIX, RECORD, TABLE
from simulation.experiments.sweeps import SALIB_METHODS, Design, design_seed, salib_problem
from simulation.io.storage import result_folder, write_json

CONFIDENCE = 0.95


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


def _t_half_width(sd: pd.Series | np.ndarray, n: pd.Series | np.ndarray,
                  df: pd.Series | np.ndarray | None = None) -> np.ndarray:
    """Half-width of the 95% t-interval of a mean: t(0.975, df) x sd / sqrt(n); NaN if n < 2."""
    n = np.asarray(n, dtype=np.float64)
    df = n - 1 if df is None else np.asarray(df, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.5 + CONFIDENCE / 2, np.where(df > 0, df, np.nan))
        return t * np.asarray(sd, dtype=np.float64) / np.sqrt(n)


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
    """Mean and 95% t-interval of every measure at every point x arm, over completed runs."""
    done = frame[frame["status"] == "done"]
    parameters = [c for c in frame.columns if c.startswith(PARAMETER_PREFIX)]
    long = done.melt(id_vars=["point", "arm"], value_vars=measures, var_name="measure")
    long["measure"] = pd.Categorical(long["measure"], categories=measures, ordered=True)
    table = (long.groupby(["point", "arm", "measure"], observed=True, sort=True)["value"]
             .agg(n="count", mean="mean", sd="std").reset_index())
    half = _t_half_width(table["sd"], table["n"])
    table["ci_low"], table["ci_high"] = table["mean"] - half, table["mean"] + half
    table["measure"] = table["measure"].astype(str)
    points = frame.drop_duplicates(["point", "arm"])[["point", "arm", *parameters]]
    return points.merge(table, on=["point", "arm"], how="right")


def paired_differences(frame: pd.DataFrame, measures: list[str], reference: str,
                       common_random_numbers: bool) -> pd.DataFrame:
    """Each arm minus the reference arm, per point and measure: paired and unpaired intervals.

    Paired: d_r = arm_r - reference_r over replicates r with both runs complete; the
    t-interval of mean(d). Unpaired: Welch's interval of mean(arm) - mean(reference)
    from the same runs taken as independent samples, which is what independent seeds
    would give, since each arm's own spread does not depend on the pairing.
    """
    done = frame[frame["status"] == "done"].set_index(["point", "replicate"])
    ref = done[done["arm"] == reference][measures]
    rows = []
    for arm in [a for a in frame["arm"].drop_duplicates() if a != reference]:
        this = done[done["arm"] == arm][measures]
        this_aligned, ref_aligned = this.align(ref, join="inner")
        difference = this_aligned - ref_aligned
        both = difference.notna()
        a, r = this_aligned.where(both), ref_aligned.where(both)
        group = difference.groupby(level="point")
        pairs, mean_d, sd_d = group.count(), group.mean(), group.std()
        var_a, var_r = a.groupby(level="point").var(), r.groupby(level="point").var()
        mean_a, mean_r = a.groupby(level="point").mean(), r.groupby(level="point").mean()
        # Unpaired, from all completed runs of each arm.
        arm_all, ref_all = this.groupby(level="point"), ref.groupby(level="point")
        n1, n2 = arm_all.count(), ref_all.count()
        v1, v2 = arm_all.var(), ref_all.var()
        se2 = v1 / n1 + v2 / n2
        welch_df = se2 ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
        unpaired_difference = arm_all.mean() - ref_all.mean()
        for point in pairs.index:
            for measure in measures:
                n = int(pairs.at[point, measure])
                half = float(_t_half_width(sd_d.at[point, measure], n))
                se = math.sqrt(se2.at[point, measure]) if point in se2.index else math.nan
                u_half = float(_t_half_width(se, 1, welch_df.at[point, measure]))
                u_mean = unpaired_difference.at[point, measure]
                with np.errstate(invalid="ignore", divide="ignore"):
                    correlation = ((var_a.at[point, measure] + var_r.at[point, measure]
                                    - sd_d.at[point, measure] ** 2)
                                   / (2 * np.sqrt(var_a.at[point, measure] * var_r.at[point, measure])))
                rows.append({
                    "point": point, "arm": arm, "reference": reference, "measure": measure,
                    "pairs": n, "arm_mean": mean_a.at[point, measure],
                    "reference_mean": mean_r.at[point, measure],
                    "difference": mean_d.at[point, measure], "paired_sd": sd_d.at[point, measure],
                    "paired_ci_low": mean_d.at[point, measure] - half,
                    "paired_ci_high": mean_d.at[point, measure] + half,
                    "paired_ci_width": 2 * half,
                    "unpaired_difference": u_mean,
                    "unpaired_ci_low": u_mean - u_half, "unpaired_ci_high": u_mean + u_half,
                    "unpaired_ci_width": 2 * u_half,
                    "width_ratio": (2 * half) / (2 * u_half) if u_half > 0 else math.nan,
                    "correlation": float(correlation),
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
