"""A sweep's report: what was run, the analysis tables and every sweep figure.

``python run.py report SWEEP_DIR`` (and ``python run.py sweep FILE --report``)
writes, from :class:`simulation.experiments.sweep_results.SweepResults`:

- what was run: the sweep file (description, base scenario and its overrides),
  the method and its settings, the swept parameters with their values or
  ranges, replicates, arms and their overrides, the runs done and failed, the
  root entropy of the seeds, the commands, sessions, git commit and versions
  (from ``sweep.json`` and ``manifest.json``);
- the analysis tables for the chosen metrics: each point's (and arm's) mean with
  its 95% interval over replicates, the paired differences between arms (with
  the unpaired interval beside), the sensitivity indices with their intervals;
- every figure of :func:`simulation.viz.sweep_figures.draw_sweep_charts` with a
  one-line caption.

The report is made of the blocks of :mod:`simulation.viz.run_report` and rendered by
the same functions (self-contained HTML, or Markdown with an images folder), so
text from the sweep and scenario files is escaped in the same way.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from simulation.experiments.sweep_results import SweepResults
from simulation.measures.aggregate import measure_of
from simulation.measures.intervals import FEW_RUNS
from simulation.viz.run_figures import Chart
from simulation.viz.run_report import (
    FigureBlock,
    Heading,
    Paragraph,
    Report,
    Table,
    format_ratio,
    with_interval,
)
from simulation.viz.style import figure_bytes
from simulation.viz.sweep_figures import KINDS, draw_sweep_charts, value_text

MAX_TABLE_ROWS = 40
"""Rows shown of a table per metric; every row is in the analysis tables."""


def _number(value: Any) -> str:
    if value is None or not isinstance(value, int | float) or not math.isfinite(value):
        return "n/a"
    return format_ratio(value)


def _value(value: Any) -> str:
    """A parameter or override value as text (TOML-like for lists and tables)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return value_text(value)


def _overrides(values: dict[str, Any]) -> str:
    return "; ".join(f"{path} = {_value(value)}" for path, value in values.items()) or "(none)"


def _design_text(sweep: SweepResults) -> str:
    design = sweep.spec["sweep"]
    text = {"grid": "grid: every combination of the parameters' values",
            "random": f"random: {design.get('samples')} independent points",
            "lhs": f"Latin hypercube of {design.get('samples')} points",
            "sobol": f"Sobol' (Saltelli design), base sample {design.get('samples')}"
                     + (", with second-order indices" if design.get("second_order") else ""),
            "morris": f"Morris, {design.get('samples')} trajectories on "
                      f"{design.get('levels') or 4} levels"}.get(sweep.method, sweep.method)
    return text


def _sessions_text(manifest: dict[str, Any]) -> str:
    parts = []
    for session in manifest.get("sessions", []):
        rate = session.get("runs_per_minute")
        parts.append(f"{session.get('started', '?')}: {session.get('ran', 0)} runs in "
                     f"{session.get('wall_seconds', math.nan):.1f} s"
                     + (f" ({rate:g} runs/minute on {session.get('workers')} worker(s))"
                        if rate else "")
                     + (" (resumed)" if session.get("resumed") else ""))
    return "; ".join(parts) or "(not recorded)"


def sweep_rows(sweep: SweepResults) -> list[list[str]]:
    """What was run, as (item, value) rows, from sweep.json and manifest.json."""
    manifest, record, spec, base = sweep.manifest, sweep.record, sweep.spec, sweep.base
    frame = sweep.frame
    done, failed = int((frame["status"] == "done").sum()), int((frame["status"] == "failed").sum())
    arms = record["arms"]
    population = base.get("population", {})
    creators = base.get("creators", [])
    brands = [c["name"] for c in creators if c.get("offer")]
    seeds = (f"root entropy {record['root_entropy']} ("
             + ("from the sweep file" if record.get("seed_from") == "file" else
                "drawn at the start and recorded; add it to the file to repeat the sweep")
             + "); " + str(manifest.get("seeds", "SeedSequence(root_entropy, spawn_key="
                                                   "(point, replicate))")))
    commands = [session.get("command") for session in manifest.get("sessions", [])
                if session.get("command")] or [record.get("command")]
    rows = [
        ["sweep", sweep.name],
        ["description", str(spec.get("description") or "") or "(none)"],
        ["sweep file", str(record.get("source", "?"))],
        ["sweep folder", str(sweep.folder)],
        ["base scenario", f"{base.get('name', '?')}: " + (str(base.get("description") or "")
                                                           or "(no description)")],
        ["base size", f"{population.get('size', 0):,} viewers in "
                      f"{len(population.get('segments', []))} segment(s); "
                      f"{sum(c.get('count', 1) for c in creators):,} creators, brands: "
                      f"{', '.join(brands) or 'none'}; {base.get('steps', '?')} steps of "
                      f"{base.get('step_hours', 1):g} h"],
        ["overrides of the base", _overrides(spec.get("set") or {})],
        ["method", _design_text(sweep)],
        ["parameters", ", ".join(sweep.parameters) or "(none: arms and replicates only)"],
        ["runs", f"{record['points']} point(s)"
                 + (f" x {len(arms)} arms" if arms else "")
                 + f" x {record['replicates']} replicate(s) = {record['runs']} runs; "
                   f"{done} done, {failed} failed"],
    ]
    if failed:
        keys = frame.loc[frame["status"] == "failed", "run_key"].tolist()
        rows.append(["failed runs", ", ".join(keys[:12]) + (f" and {len(keys) - 12} more"
                                                              if len(keys) > 12 else "")
                     + f" (errors in {sweep.folder / 'failed'}/)"])
    if arms:
        rows.append(["arms", f"{', '.join(arms)}; reference (differences are against it): "
                             f"{arms[0]}; "
                     + ("common random numbers: replicate r of every arm has the same seed"
                        if sweep.paired else "every arm has its own seeds (paired = false)")])
    rows += [
        ["seeds", seeds],
        ["command" + ("s" if len(commands) > 1 else ""),
         " | ".join(" ".join(map(str, c)) for c in commands if c) or "(not recorded)"],
        ["sessions", _sessions_text(manifest)],
        ["git commit", str(manifest.get("git_commit") or record.get("git_commit")
                           or "(not recorded)")],
        ["versions", ", ".join(f"{k} {v}" for k, v in (manifest.get("versions")
                                                       or record.get("versions", {})).items()
                               if k != "platform" and v)],
        ["platform", str((manifest.get("versions") or {}).get("platform", "?"))],
        ["analysis", f"{sweep.folder / 'analysis'}/, {100 * sweep.analysis.get('confidence', 0.95):g}% "
                     f"intervals, {sweep.analysis.get('measures', '?')} measures"],
    ]
    return rows


def parameter_table(sweep: SweepResults) -> Table:
    """The swept parameters: values or range, scale, column type."""
    types = {p["path"]: p["type"] for p in sweep.manifest.get("parameters", [])}
    rows = []
    for param in sweep.spec["sweep"]["params"]:
        if param.get("values") is not None:
            values = ", ".join(_value(v) for v in param["values"])
        else:
            values = f"{value_text(param['low'])} to {value_text(param['high'])}" + (
                f", {param['levels']} levels" if param.get("levels") else "")
        rows.append([param["path"], values, param.get("scale") or "linear",
                     types.get(param["path"], "?")])
    return Table(["parameter", "values or range", "scale", "type"], rows,
                 "The swept parameters (field paths into the scenario).")


def arm_table(sweep: SweepResults) -> Table:
    rows = [[arm["name"], str(arm.get("description") or ""), _overrides(arm.get("set") or {})]
            for arm in sweep.spec["arms"]]
    return Table(["arm", "description", "overrides"], rows,
                 "The arms; the first is the reference of the differences.")


def _limited(rows: list[list[str]], table: str) -> tuple[list[list[str]], Paragraph | None]:
    if len(rows) <= MAX_TABLE_ROWS:
        return rows, None
    return rows[:MAX_TABLE_ROWS], Paragraph(
        f"The first {MAX_TABLE_ROWS} of {len(rows)} rows; all are in analysis/{table}.csv.")


def means_tables(sweep: SweepResults) -> list[Table | Paragraph]:
    """Per metric: each point's (and arm's) mean with its 95% interval over replicates."""
    points = sweep.points()
    arms = len(sweep.arms) > 1
    blocks: list[Table | Paragraph] = []
    for metric in sweep.metrics:
        part = points[points["metric"] == metric]
        measure = measure_of(metric)
        rows = [[str(int(row["point"])), *(value_text(row[p]) for p in sweep.parameters),
                 *([row["arm"]] if arms else []), str(int(row["n"])),
                 with_interval(row, measure.format)]
                for _, row in part.iterrows()]
        rows, more = _limited(rows, "by_point")
        methods = sorted({str(m).split(",")[0] for m in part.get("method", [])
                          if "interval" in str(m) or "bootstrap" in str(m)})
        blocks.append(Table(["point", *sweep.parameters, *(["arm"] if arms else []), "runs",
                             "mean [95% interval]"], rows,
                            f"{measure.label} ({metric}): mean over replicates"
                            + (f"; {', '.join(methods)}." if methods else ".")))
        if more:
            blocks.append(more)
    return blocks


def differences_table(sweep: SweepResults) -> list[Table | Paragraph]:
    """Paired differences between each arm and the reference, with the unpaired interval."""
    paired = sweep.tables["paired"]
    rows_of = paired[paired["measure"].isin(sweep.metrics)].copy()
    rows_of["measure"] = pd.Categorical(rows_of["measure"], sweep.metrics, ordered=True)
    rows_of = rows_of.sort_values(["measure", "point"], kind="stable")
    several = rows_of["point"].nunique() > 1
    rows = []
    for _, row in rows_of.iterrows():
        paired_text = with_interval({"mean": row["difference"], "ci_low": row["paired_ci_low"],
                                     "ci_high": row["paired_ci_high"]}, format_ratio)
        unpaired_text = with_interval({"mean": row["unpaired_difference"],
                                       "ci_low": row["unpaired_ci_low"],
                                       "ci_high": row["unpaired_ci_high"]}, format_ratio)
        rows.append([str(row["measure"]), *([str(row["point"])] if several else []),
                     f"{row['arm']} - {row['reference']}", str(row["pairs"]), paired_text,
                     unpaired_text, _number(row["width_ratio"]), _number(row["correlation"])])
    rows, more = _limited(rows, "paired")
    table = Table(["metric", *(["point"] if several else []), "arms", "pairs",
                   "paired difference [95%]", "unpaired [95%, Welch]", "width ratio",
                   "correlation"], rows,
                  "Mean difference over replicates paired by "
                  + ("seed (common random numbers)" if sweep.paired else "replicate number")
                  + ", and the interval the same runs give as independent samples (Welch); "
                  "width ratio = paired / unpaired width; correlation between the arms across "
                  "replicates.")
    return [table, *([more] if more else [])]


def sensitivity_tables(sweep: SweepResults) -> list[Table | Paragraph]:
    """Per metric (and arm): each parameter's indices with their 95% confidence intervals."""
    table = sweep.tables["sensitivity"]
    kinds = {"sobol": ("S1", "ST"), "morris": ("mu_star", "sigma", "mu")}.get(sweep.method, ())
    order_by = "ST" if sweep.method == "sobol" else "mu_star"
    blocks: list[Table | Paragraph] = []
    skipped = []
    for arm in sweep.arms:
        for metric in sweep.metrics:
            part = table[(table["arm"] == arm) & (table["measure"] == metric)
                         & table["index"].isin(kinds)]
            where = f" ({arm})" if len(sweep.arms) > 1 else ""
            if part.empty:
                skipped.append(f"{metric}{where}: {sweep.skipped_reason(arm, metric)}")
                continue
            wide = part.pivot(index="parameter", columns="index", values=["value", "conf"])
            wide = wide.sort_values(("value", order_by), ascending=False, kind="stable")
            rows = []
            for parameter, row in wide.iterrows():
                cells = []
                for kind in kinds:
                    value, conf = row[("value", kind)], row[("conf", kind)]
                    cells.append(_number(value) + (f" ± {_number(conf)}"
                                                   if isinstance(conf, float)
                                                   and math.isfinite(conf) else ""))
                rows.append([str(parameter), *cells])
            blocks.append(Table(["parameter", *kinds], rows,
                                f"{metric}{where}: {sweep.method} indices ± the half-width of "
                                "their 95% confidence interval, largest first."))
    if skipped:
        blocks.append(Paragraph("No indices (analysis/skipped.csv): " + "; ".join(skipped) + "."))
    if (table["index"] == "S2").any():
        blocks.append(Paragraph("Second-order indices S2 of each pair of parameters are in "
                                "analysis/sensitivity.csv (column parameter_2)."))
    return blocks


def build_sweep_report(sweep: SweepResults, progress: bool = False) -> Report:
    """Every block of a sweep's report (figures drawn as PNG)."""
    report = Report(f"{sweep.name}: sweep report")
    blocks = report.blocks
    blocks += [Heading("What was run"), Table(["item", "value"], sweep_rows(sweep))]
    if sweep.parameters:
        blocks.append(parameter_table(sweep))
    if sweep.spec.get("arms"):
        blocks.append(arm_table(sweep))
    blocks += [Heading("Analysis"), Paragraph(
        f"From the tables of {sweep.folder / 'analysis'}/, over the completed runs: each "
        "point's mean with its 95% interval over replicates, computed by the measure's kind so "
        "that it stays in its range (counts and ratios on the log scale, shares and rates on "
        "the logit scale, correlations on Fisher's z scale; column method of by_point.csv); "
        "differences between arms by Student's paired t and, on the same runs, Welch's t. "
        f"Shown for the metrics {', '.join(sweep.metrics)}; the tables hold every measure.",
        "method")]
    replicates = int(sweep.tables["by_point"]["n"].max()) if len(sweep.tables["by_point"]) else 0
    if 1 < replicates < FEW_RUNS:
        blocks.append(Paragraph(
            f"Warning: only {replicates} replicates per point: intervals from fewer than "
            f"{FEW_RUNS} runs are wide and rough.", "warning"))
    blocks += [Paragraph(note[0].upper() + note[1:] + ".") for note in sweep.notes]
    blocks += [Heading("Means by point", 3), *means_tables(sweep)]
    if sweep.tables.get("paired") is not None:
        blocks += [Heading("Differences between arms", 3), *differences_table(sweep)]
    if sweep.tables.get("sensitivity") is not None:
        blocks += [Heading("Sensitivity indices", 3), *sensitivity_tables(sweep)]
    blocks += [Heading("Figures"),
               Paragraph("The numbers drawn in each figure are in a CSV file beside it when the "
                         "figures are written on their own (as PNG, SVG or PDF).")]
    number, kind_shown = 0, None
    for kind, chart in draw_sweep_charts(sweep, progress=progress):
        if kind != kind_shown:
            blocks.append(Heading(KINDS[kind], 3))
            kind_shown = kind
        if isinstance(chart, Chart):
            number += 1
            blocks.append(FigureBlock(number, chart.name, chart.title, chart.caption,
                                      figure_bytes(chart.figure, "png")))
        else:
            report.skipped.append(chart)
            blocks.append(Paragraph(f"Not drawn: {chart[0]}: {chart[1]}."))
    return report
