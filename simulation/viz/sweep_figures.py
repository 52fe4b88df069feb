"""Figures of a parameter sweep, drawn from small tidy tables (the input contract below).

``python run.py plot SWEEP_DIR`` and ``python run.py report SWEEP_DIR`` call
:func:`draw_sweep_charts`, which takes a :class:`simulation.experiments.sweep_results.SweepResults`
(the adapter from a sweep folder and its ``analysis/`` tables to the tables below)
and draws, for the chosen metrics:

- each metric against each swept parameter (mean and 95% band over replicates);
- in a grid sweep, a heatmap of each metric over each pair of parameters;
- with arms, the paired differences between each arm and the reference arm, with
  the unpaired (Welch) interval beside each paired one;
- for sobol and morris designs, the sensitivity indices as bars with their
  confidence intervals.

The chart functions do not read a sweep folder; they take these tables.

Input contract (pandas DataFrames, one row per ..., extra columns ignored):

``points``: one row per sweep point and metric
    ``point`` (int), ``metric`` (str, a summary.json path such as
    ``totals.leads``), ``mean``, ``ci_low``, ``ci_high`` (95% interval over the
    point's replicates; NaN if one replicate), ``n`` (replicates), and one
    column per swept parameter, named by its field path (e.g.
    ``ranking.weights.like``): numbers, or text and booleans (drawn as categories).

``differences``: one row per metric and arm, against a reference arm
    ``metric``, ``arm``, ``reference``, ``mean`` (arm minus reference, paired by
    replicate), ``ci_low``, ``ci_high`` (95% interval of the paired difference),
    ``n`` (pairs); optionally ``unpaired_mean``, ``unpaired_ci_low``,
    ``unpaired_ci_high`` (the same difference with the two arms taken as
    independent samples: Welch's interval), drawn beside the paired interval.

``indices``: one row per metric, parameter and index
    ``metric``, ``parameter`` (field path), ``index`` (``S1``, ``ST`` for Sobol;
    ``mu_star``, ``sigma`` for Morris), ``value``, ``conf`` (half-width of the
    95% confidence interval, SALib's ``*_conf``).

Each function returns a :class:`simulation.viz.run_figures.Chart` whose ``data`` is the
rows drawn, in the same layout, so ``write_chart`` writes figure and CSV alike.
A ``subset`` (e.g. ``{"arm": "values_leads"}``) names the slice of a sweep that
a figure shows: it is added to the title, the file name and, as columns, the CSV.
"""

from __future__ import annotations

import itertools
import re
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter
from tqdm.auto import tqdm

from simulation.measures.aggregate import measure_of
from simulation.viz.run_figures import Chart, NothingToDraw, write_chart
from simulation.viz.style import (
    REFERENCE_COLOUR,
    FigureFormat,
    few_runs_note,
    figure_style,
    new_figure,
    series_colours,
    series_markers,
    set_title,
    warn_few_runs,
)

if TYPE_CHECKING:
    from simulation.experiments.sweep_results import SweepResults


POINT_COLUMNS = ("point", "metric", "mean", "ci_low", "ci_high", "n")


DIFFERENCE_COLUMNS = ("metric", "arm", "reference", "mean", "ci_low", "ci_high", "n")


UNPAIRED_COLUMNS = ("unpaired_mean", "unpaired_ci_low", "unpaired_ci_high")
"""Optional columns of ``differences``: the interval as if the arms had independent seeds."""


INDEX_COLUMNS = ("metric", "parameter", "index", "value", "conf")


SEQUENTIAL_COLOURMAP = "cividis"
"""Heatmaps: perceptually uniform and readable with colour-vision deficiencies."""


MAX_ANNOTATED_CELLS = 100


LABEL_WIDTH_CHARS = 42


VERTICAL_LABEL_CHARS = 38
"""Axis labels are wrapped at this many characters to fit the column (or the figure's height)."""


MAX_LINES = 6
"""In a two-parameter grid, a metric is drawn against one parameter with one line per value
of the other when it has at most this many values (else each point on its own)."""


MAX_HEATMAP_PANELS = 6
"""A heatmap has a panel for each arm and each combination of the other parameters' values
(in a grid of more than two), up to this many."""


MAX_DIFFERENCE_POINTS = 12
"""Arm differences are drawn for at most this many points (one figure each)."""


Subset = Mapping[str, Any]


KINDS = {
    "parameter": "Each metric against each swept parameter",
    "heatmap": "Heatmaps over pairs of swept parameters",
    "differences": "Paired differences between arms",
    "sensitivity": "Sensitivity indices",
}
"""The kinds of sweep figure, in drawing order, with a heading for the report."""


def require_columns(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    """Raise ValueError naming the columns of the input contract that ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{table} table lacks column(s) {', '.join(missing)}; expected "
                         f"{', '.join(columns)} (see simulation.viz.sweep_figures)")


def _one_metric(frame: pd.DataFrame, metric: str, table: str) -> pd.DataFrame:
    rows = frame[frame["metric"] == metric]
    if rows.empty:
        known = ", ".join(sorted(map(str, frame["metric"].unique()))[:8])
        raise ValueError(f"{table} table has no rows for metric {metric!r} (has: {known})")
    return rows


def _short(path: str) -> str:
    return str(path).replace("_", " ")


def metric_label(metric: str) -> str:
    """A metric's label from the measure glossary ('ledger_app: leads per 1 000 impressions')."""
    return measure_of(metric).label


def _replicates(data: pd.DataFrame) -> int:
    n = data["n"].to_numpy(dtype=float)
    return int(np.nanmax(n)) if len(n) and np.isfinite(n).any() else 0


def _interval_handle(replicates: int) -> Line2D:
    """The legend entry of the error bars: what they are and over how many replicates."""
    return Line2D([], [], color=REFERENCE_COLOUR, marker="|", markersize=8, linestyle="none",
                  label=f"95% interval over {replicates} replicates")


def value_text(value: Any) -> str:
    """A parameter value as a short label: 0.5, 1e+03, foryou, True."""
    if isinstance(value, float | np.floating):
        return f"{value:g}"
    return str(value)


def chart_name(*parts: str, subset: Subset | None = None) -> str:
    """A file name from field paths: 'sweep_totals-leads_vs_ranking-tiers-1-affinity_bar'.

    A subset's values are added (``_at_arm-values_leads``); a point stands for its
    parameters' values, which are left out.
    """
    subset = {k: v for k, v in subset.items() if k in ("point", "arm")} \
        if subset and "point" in subset else subset
    pieces = list(parts) + [f"{key}-{value_text(value)}" for key, value in (subset or {}).items()]
    text = "_".join(pieces[:len(parts)]) + "".join(f"_at_{p}" for p in pieces[len(parts):])
    text = text.replace("[", "-").replace("]", "")
    return re.sub(r"[^A-Za-z0-9_\-]+", "-", text).strip("-")


def _subset_title(title: str, subset: Subset | None) -> str:
    if not subset:
        return title
    where = ", ".join(f"{key} {value_text(value)}" if key in ("arm", "point") else
                      f"{_short(key)} = {value_text(value)}" for key, value in subset.items())
    return f"{title} ({where})"


def _with_subset(data: pd.DataFrame, subset: Subset | None) -> pd.DataFrame:
    """The subset's keys as leading columns (those the table does not already have)."""
    data = data.copy()
    for position, (key, value) in enumerate((k, v) for k, v in (subset or {}).items()
                                            if k not in data.columns):
        data.insert(position, key, value)
    return data


def _is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _wrap(text: str, width: int = LABEL_WIDTH_CHARS) -> str:
    return textwrap.fill(text, width)


def _log_scale_suits(values: np.ndarray) -> bool:
    values = values[np.isfinite(values)]
    return len(values) > 2 and values.min() > 0 and values.max() / values.min() >= 100


def _require_finite(rows: pd.DataFrame, column: str, metric: str) -> None:
    if not np.isfinite(rows[column].to_numpy(dtype=float)).any():
        raise NothingToDraw(f"{metric} is undefined (no finite {column}) wherever it is drawn")


def _replicates_note(data: pd.DataFrame) -> str:
    n = data["n"].to_numpy(dtype=float)
    if len(n) and np.nanmax(n) < 2:
        return " One replicate per point: no interval."
    return ""


def _dodged(x: np.ndarray, everything: np.ndarray, group: int, groups: int,
            log: bool) -> np.ndarray:
    """x moved a little for group ``group`` of ``groups``, so that error bars do not overlap."""
    step = 0.03 * (group - (groups - 1) / 2)
    if log:
        span = np.log10(np.nanmax(everything) / np.nanmin(everything)) or 1.0
        return x * 10 ** (step * span)
    span = float(np.nanmax(everything) - np.nanmin(everything)) or 1.0
    return x + step * span


def metric_against_parameter(points: pd.DataFrame, parameter: str, metric: str,
                             by: str | None = None, subset: Subset | None = None,
                             log_x: bool | None = None) -> Chart:
    """A metric's mean and 95% band over replicates against one swept parameter.

    With ``by`` (another swept parameter, or ``arm``), one line per value of it.
    Without it, if other parameters vary too (random, LHS, Sobol or Morris designs)
    each point is drawn on its own with error bars instead of a line. A parameter
    of text or booleans is drawn as categories, with error bars. ``log_x``: a log
    axis for the parameter (default: when its values span a factor of 100 or more).
    """
    require_columns(points, [*POINT_COLUMNS, parameter, *([by] if by else [])], "points")
    rows = _one_metric(points, metric, "points")
    _require_finite(rows, "mean", metric)
    keys = [by] if by else []
    data = rows[["point", *keys, parameter, "metric", "mean", "ci_low", "ci_high", "n"]]
    data = data.sort_values([parameter, "point"], kind="stable")
    if by:  # lines by value, or in the order they first appear (arms as in the file)
        data = pd.concat([part for _, part in data.groupby(by, sort=_is_numeric(data[by]))])
    data = _with_subset(data.reset_index(drop=True), subset)
    grouped = data.groupby(keys, sort=False) if keys else [(None, data)]
    numeric = _is_numeric(data[parameter])
    categories = list(dict.fromkeys(data[parameter]))
    title = _subset_title(f"{metric_label(metric)} against {parameter}", subset)
    values = data[parameter].to_numpy(float) if numeric else np.array([])
    log = numeric and (_log_scale_suits(values) if log_x is None else
                       bool(log_x) and bool(np.all(values > 0)))
    with figure_style():
        figure, (ax,) = new_figure(3.4 if by else 3.0)
        groups = list(grouped)
        names = [value_text(k[0] if isinstance(k, tuple) else k) for k, _ in groups]
        colours, markers = series_colours(names), series_markers(names)
        barred = False
        for g, (name, (_, part)) in enumerate(zip(names, groups, strict=True)):
            y = part["mean"].to_numpy(float)
            low, high = part["ci_low"].to_numpy(float), part["ci_high"].to_numpy(float)
            text = name if by else "mean over replicates"
            if numeric:
                x = part[parameter].to_numpy(float)
            else:  # categories side by side, each group a little apart
                offset = 0.25 * (g - (len(groups) - 1) / 2) / max(1, len(groups) - 1)
                x = np.array([categories.index(v) for v in part[parameter]]) + offset
            barred = barred or bool(np.isfinite(low).any())
            joined = numeric and part[parameter].is_unique  # a line through the grid's means
            if numeric and len(groups) > 1:  # groups side by side, a little apart
                x = _dodged(x, data[parameter].to_numpy(float), g, len(groups), log)
            # Error bars at the points swept, not a band: nothing was run between them.
            ax.errorbar(x, y, yerr=np.vstack([y - low, high - y]), color=colours[name],
                        marker=markers[name], linestyle="-" if joined else "none",
                        linewidth=0.6, capsize=2, elinewidth=0.9, label=text)
        if log:
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
        if not numeric:
            ax.set_xticks(range(len(categories)), [value_text(c) for c in categories])
            ax.grid(False, axis="x")
        ax.set_xlabel(_wrap(f"{parameter} (swept)"))
        ax.set_ylabel(_wrap(measure_of(metric).axis_label(), VERTICAL_LABEL_CHARS))
        if measure_of(metric).format == "percent":
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.3g}%"))
        replicates = _replicates(data)
        handles = [*ax.get_legend_handles_labels()[0],
                   *([_interval_handle(replicates)] if barred else [])]
        if by:  # one entry per line, titled by what tells them apart, under the axes
            figure.legend(handles=handles, loc="outside lower center",
                          ncols=min(3, len(handles)), title=_wrap(_short(by)))
        else:
            ax.legend(handles=handles, loc="best")
        set_title(figure, title)
        warn_few_runs(figure, replicates, "replicates")
    note = few_runs_note(replicates, "replicates")
    caption = (f"Mean over each point's replicates with its 95% interval (error bars, by the "
               f"measure's kind: column method of the CSV), at each value of the swept "
               f"parameter {parameter}.{_replicates_note(data)}"
               + (f" {note}" if note else ""))
    return Chart(chart_name("sweep", metric, "vs", parameter, subset=subset), title, caption,
                 data, figure)


def _facet_title(keys: Sequence[str], values: Sequence[Any]) -> str:
    """A panel's title, one line per facet: 'arm values_leads', 'temperature = 0.05'."""
    return "\n".join(f"{key} {value_text(value)}" if key == "arm" else
                     f"{_short(key.rsplit('.', 1)[-1])} = {value_text(value)}"
                     for key, value in zip(keys, values, strict=True))


def metric_heatmap(points: pd.DataFrame, x: str, y: str, metric: str,
                   subset: Subset | None = None, facets: Sequence[str] = ()) -> Chart:
    """A metric's mean over replicates on a grid of two swept parameters.

    ``facets``: other columns (``arm``, the other parameters of a larger grid); one
    panel per combination of their values, on one colour scale, at most
    :data:`MAX_HEATMAP_PANELS`.
    """
    facets = list(facets)
    require_columns(points, [*POINT_COLUMNS, x, y, *facets], "points")
    rows = _one_metric(points, metric, "points")
    if rows.duplicated([*facets, x, y]).any():
        raise ValueError(f"points table has several rows per ({x}, {y}) for {metric!r}: a "
                         "heatmap needs a grid of two parameters (fix the others, or give them "
                         "as facets)")
    _require_finite(rows, "mean", metric)
    data = rows[["point", *facets, x, y, "metric", "mean", "ci_low", "ci_high", "n"]]
    data = data.sort_values([y, x], kind="stable")
    if facets:  # panels in the order their values first appear (arms as in the file)
        data = pd.concat([part for _, part in data.groupby(facets, sort=False)])
    data = _with_subset(data.reset_index(drop=True), subset)
    panels = list(data.groupby(facets, sort=False)) if facets else [((), data)]
    if len(panels) > MAX_HEATMAP_PANELS:
        raise ValueError(f"{len(panels)} combinations of {', '.join(facets)}: at most "
                         f"{MAX_HEATMAP_PANELS} panels in a heatmap")
    title = _subset_title(f"{_short(metric)} over {_short(x)} and {_short(y)}", subset)
    columns = 1 if len(panels) == 1 else 2
    rows_of_panels = -(-len(panels) // columns)
    with figure_style():
        figure, axes = new_figure(3.2 if len(panels) == 1 else 1.5 + 1.6 * rows_of_panels,
                                  rows_of_panels, columns, sharex=True, sharey=True)
        values_all = data["mean"].to_numpy(float)
        norm = Normalize(np.nanmin(values_all), np.nanmax(values_all))
        for ax, (key, part) in zip(axes, panels, strict=False):
            grid = part.pivot(index=y, columns=x, values="mean")
            values = grid.to_numpy(float)
            image = ax.imshow(values, origin="lower", aspect="auto", cmap=SEQUENTIAL_COLOURMAP,
                              norm=norm)
            ax.set_xticks(range(grid.shape[1]), [value_text(v) for v in grid.columns],
                          rotation=45 if grid.shape[1] > 5 / columns else 0)
            ax.set_yticks(range(grid.shape[0]), [value_text(v) for v in grid.index])
            ax.grid(False)
            if values.size <= MAX_ANNOTATED_CELLS / columns ** 3:
                for (row, column), value in np.ndenumerate(values):
                    if np.isfinite(value):
                        ax.text(column, row, f"{value:.3g}", ha="center", va="center",
                                color="white" if norm(value) < 0.5 else "black")
            if facets:
                ax.set_title(_facet_title(facets, key if isinstance(key, tuple) else (key,)))
            ax.set_xlabel(_wrap(_short(x), LABEL_WIDTH_CHARS // columns))
            ax.set_ylabel(_wrap(_short(y), VERTICAL_LABEL_CHARS // columns))
            ax.label_outer()
        for ax in axes[len(panels):]:
            ax.set_visible(False)
        label = _wrap(f"{metric_label(metric)} (mean over replicates)",
                      VERTICAL_LABEL_CHARS if columns == 1 else LABEL_WIDTH_CHARS)
        figure.colorbar(image, ax=axes[:len(panels)], label=label,
                        location="right" if columns == 1 else "bottom",
                        shrink=1.0 if columns == 1 else 0.8)
        set_title(figure, title)
    caption = ("Mean over each grid point's replicates" + (
        f", a panel for each {' and '.join(facets)}, on one colour scale" if facets else "")
        + "; intervals are in the CSV.")
    return Chart(chart_name("sweep", metric, "over", x, "and", y, subset=subset), title,
                 caption, data, figure)


def _interval(ax: Any, mean: float, low: float, high: float, position: float, colour: str,
              marker: str, filled: bool) -> None:
    """One horizontal interval; the marker alone if the interval is undefined."""
    error = [[mean - low], [high - mean]] if np.isfinite(low) and np.isfinite(high) else None
    ax.errorbar([mean], [position], xerr=error, color=colour, marker=marker, capsize=2,
                linestyle="none", markerfacecolor=colour if filled else "white",
                elinewidth=1.2 if filled else 0.8)


def arm_differences(differences: pd.DataFrame, metrics: Sequence[str] | None = None,
                    subset: Subset | None = None, common_random_numbers: bool = True) -> Chart:
    """Paired differences between arms and a reference arm, with 95% intervals (forest plot).

    If ``differences`` has the unpaired columns, each arm's unpaired interval is drawn
    just below its paired one (open marker, thinner line).
    """
    require_columns(differences, DIFFERENCE_COLUMNS, "differences")
    metrics = list(metrics) if metrics else list(dict.fromkeys(differences["metric"]))
    unpaired = all(c in differences.columns for c in UNPAIRED_COLUMNS)
    columns = [*(["point"] if "point" in differences.columns else []), *DIFFERENCE_COLUMNS,
               *(UNPAIRED_COLUMNS if unpaired else ())]
    data = pd.concat([_one_metric(differences, m, "differences") for m in metrics],
                     ignore_index=True)[columns]
    _require_finite(data, "mean", ", ".join(metrics))
    unpaired = unpaired and bool(np.isfinite(data["unpaired_ci_low"].to_numpy(float)).any())
    if not unpaired:
        data = data.drop(columns=[c for c in UNPAIRED_COLUMNS if c in data.columns])
    data = _with_subset(data, subset)
    references = sorted(set(data["reference"]))
    title = _subset_title(f"Differences between arms: arm minus {', '.join(references)}",
                          subset)
    arms = list(dict.fromkeys(data["arm"]))
    shift = 0.17 if unpaired else 0.0
    with figure_style():
        figure, axes = new_figure(1.0 + ((0.3 + 0.15 * unpaired) * len(arms) + 0.55)
                                  * len(metrics), len(metrics), 1, sharey=True)
        colours, markers = series_colours(arms), series_markers(arms)
        for ax, metric in zip(axes, metrics, strict=True):
            part = data[data["metric"] == metric]
            for position, arm in enumerate(arms):
                row = part[part["arm"] == arm]
                if row.empty:
                    continue
                row = row.iloc[0]
                _interval(ax, float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]),
                          position - shift, colours[arm], markers[arm], True)
                if unpaired:
                    _interval(ax, float(row["unpaired_mean"]), float(row["unpaired_ci_low"]),
                              float(row["unpaired_ci_high"]), position + shift, colours[arm],
                              markers[arm], False)
            ax.axvline(0, color=REFERENCE_COLOUR, linestyle="--", linewidth=0.8)
            ax.set_yticks(range(len(arms)), arms)
            ax.set_ylim(-0.6, len(arms) - 0.4)
            ax.invert_yaxis()
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
            ax.set_xlabel(_wrap(f"difference in {metric_label(metric)}"))
        axes[0].set_ylabel("arm")  # the axes share y: one label for all panels
        pairing = "same seeds" if common_random_numbers else "by replicate"
        pairs = _replicates(data)
        handles = [Line2D([], [], color="black", marker="o", linestyle="-",
                          label=f"paired ({pairing}), 95% interval over {pairs} pairs")]
        if unpaired:
            handles.append(Line2D([], [], color="black", marker="o", markerfacecolor="white",
                                  linewidth=0.8, label="unpaired (Welch), same runs"))
        handles.append(Line2D([], [], color=REFERENCE_COLOUR, linestyle="--", linewidth=0.8,
                              label="no difference"))
        figure.legend(handles=handles, loc="outside lower center", ncols=1)
        set_title(figure, title)
        warn_few_runs(figure, pairs, "pairs")
    pairs = ("paired by seed (common random numbers)" if common_random_numbers else
             "paired by replicate number (every arm had its own seeds)")
    caption = (f"Mean difference, arm minus reference, over replicates {pairs}, with its 95% "
               "interval (Student's paired t)" + (
                   "; below it (open marker) Welch's interval from the same pairs of runs "
                   "taken as independent samples." if unpaired else ".")
               + (f" {few_runs_note(_replicates(data), 'pairs')}"
                  if few_runs_note(_replicates(data), "pairs") else ""))
    return Chart(chart_name("sweep_arm_differences", subset=subset), title, caption, data,
                 figure)


def sensitivity_indices(indices: pd.DataFrame, metric: str,
                        subset: Subset | None = None) -> Chart:
    """Sobol (S1, ST) or Morris (mu_star, sigma) indices per parameter, with 95% intervals."""
    require_columns(indices, INDEX_COLUMNS, "indices")
    rows = _one_metric(indices, metric, "indices")
    kinds = list(dict.fromkeys(rows["index"]))
    order_by = next((k for k in ("ST", "mu_star") if k in kinds), kinds[0])
    ranking = rows[rows["index"] == order_by].sort_values("value", ascending=False,
                                                          kind="stable")["parameter"].tolist()
    parameters = ranking + [p for p in dict.fromkeys(rows["parameter"]) if p not in ranking]
    data = rows[list(INDEX_COLUMNS)].copy()
    data["parameter"] = pd.Categorical(data["parameter"], parameters)
    data = data.sort_values(["parameter", "index"], kind="stable").reset_index(drop=True)
    data["parameter"] = data["parameter"].astype(str)
    data = _with_subset(data, subset)
    method = "Morris" if "mu_star" in kinds else "Sobol"
    title = _subset_title(f"{method} sensitivity of {metric_label(metric)} to each parameter",
                          subset)
    with figure_style():
        figure, (ax,) = new_figure(1.2 + 0.3 * len(parameters) * max(1, len(kinds)) ** 0.5)
        colours = series_colours(kinds)
        height = 0.8 / len(kinds)
        for k, kind in enumerate(kinds):
            part = data[data["index"] == kind].set_index("parameter").reindex(parameters)
            positions = np.arange(len(parameters)) - 0.4 + height * (k + 0.5)
            ax.barh(positions, part["value"], height=height, xerr=part["conf"],
                    color=colours[kind], label=kind, capsize=1.5,
                    error_kw={"elinewidth": 0.8})
        ax.set_yticks(range(len(parameters)), [_short(p) for p in parameters])
        ax.invert_yaxis()
        ax.axvline(0, color=REFERENCE_COLOUR, linewidth=0.6)
        ax.set_xlabel("index value")
        ax.set_ylabel("parameter")
        handles = [*ax.get_legend_handles_labels()[0],
                   Line2D([], [], color="black", marker="|", markersize=8, linestyle="none",
                          label="95% confidence interval (SALib)")]
        figure.legend(handles=handles, title="index", loc="outside lower center",
                      ncols=len(kinds) + 1)
        set_title(figure, title)
    caption = (f"{method} indices of {metric}, largest {order_by} first; error bars are the "
               "95% confidence intervals of the estimates.")
    return Chart(chart_name("sweep", metric, "sensitivity", subset=subset), title, caption, data,
                 figure)


PlannedChart = tuple[str, str, Callable[[], Chart] | str]
"""(kind, file name, a function that draws the chart, or the reason it is not drawn)."""


def _against_parameters(sweep: SweepResults, points: pd.DataFrame) -> Iterator[PlannedChart]:
    parameters = sweep.parameters
    for metric in sweep.metrics:
        for parameter in parameters:
            name = chart_name("sweep", metric, "vs", parameter)
            if points[parameter].nunique() < 2:
                yield "parameter", name, f"{parameter} takes one value only"
                continue
            by = None
            if len(sweep.arms) > 1:
                by = "arm"
            elif sweep.method == "grid" and len(parameters) == 2:
                other = next(p for p in parameters if p != parameter)
                by = other if points[other].nunique() <= MAX_LINES else None
            yield "parameter", name, (
                lambda p=parameter, m=metric, b=by: metric_against_parameter(
                    points, p, m, by=b, log_x=sweep.log_scale(p)))


def _heatmaps(sweep: SweepResults, points: pd.DataFrame) -> Iterator[PlannedChart]:
    if sweep.method != "grid" or len(sweep.parameters) < 2:
        return
    arms = ["arm"] if len(sweep.arms) > 1 else []
    for x, y in itertools.combinations(sweep.parameters, 2):
        facets = [*arms, *(p for p in sweep.parameters if p not in (x, y))]
        panels = len(points[facets].drop_duplicates()) if facets else 1
        for metric in sweep.metrics:
            name = chart_name("sweep", metric, "over", x, "and", y)
            if panels > MAX_HEATMAP_PANELS:
                yield ("heatmap", name, f"{panels} combinations of {', '.join(facets)}: more "
                       f"than {MAX_HEATMAP_PANELS} panels; the numbers are in "
                       "analysis/by_point.csv")
                continue
            yield "heatmap", name, (lambda m=metric, x=x, y=y, f=facets:
                                    metric_heatmap(points, x, y, m, facets=f))


def _arm_differences(sweep: SweepResults) -> Iterator[PlannedChart]:
    differences = sweep.differences()
    if differences is None:
        return
    points = list(dict.fromkeys(differences["point"]))
    for point in points[:MAX_DIFFERENCE_POINTS]:
        rows = differences[differences["point"] == point]
        defined = [m for m in sweep.metrics
                   if np.isfinite(rows.loc[rows["metric"] == m, "mean"].to_numpy(float)).any()]
        subset = {"point": point, **sweep.point_values(point)} if len(points) > 1 else None
        name = chart_name("sweep_arm_differences", subset=subset)
        if not defined:
            yield "differences", name, "every chosen metric is undefined at this point"
            continue
        yield "differences", name, (lambda rows=rows, defined=defined, subset=subset:
                                    arm_differences(rows, defined, subset=subset,
                                                    common_random_numbers=sweep.paired))
    if len(points) > MAX_DIFFERENCE_POINTS:
        yield ("differences", "sweep_arm_differences",
               f"drawn for the first {MAX_DIFFERENCE_POINTS} of {len(points)} points; all are "
               "in analysis/paired.csv")


def _sensitivity(sweep: SweepResults) -> Iterator[PlannedChart]:
    indices = sweep.indices()
    if indices is None:
        return
    for arm in sweep.arms:
        subset = {"arm": arm} if len(sweep.arms) > 1 else None
        mine = indices[indices["arm"] == arm]
        for metric in sweep.metrics:
            name = chart_name("sweep", metric, "sensitivity", subset=subset)
            if not (mine["metric"] == metric).any():
                yield "sensitivity", name, sweep.skipped_reason(arm, metric)
                continue
            yield "sensitivity", name, (lambda m=metric, rows=mine, s=subset:
                                        sensitivity_indices(rows, m, subset=s))


def plan_sweep_charts(sweep: SweepResults) -> list[PlannedChart]:
    """Every figure of a sweep for its chosen metrics, in drawing order, not yet drawn."""
    points = sweep.points()
    return [*_against_parameters(sweep, points), *_heatmaps(sweep, points),
            *_arm_differences(sweep), *_sensitivity(sweep)]


def draw_sweep_charts(sweep: SweepResults, progress: bool = False,
                      ) -> Iterator[tuple[str, Chart | tuple[str, str]]]:
    """Yield (kind, chart) for each figure, or (kind, (name, reason)) for one not drawn.

    One figure is alive at a time, so memory stays flat however many there are.
    """
    plan = plan_sweep_charts(sweep)
    bar = tqdm(plan, desc="figures", unit="figure", disable=None if progress else True,
               leave=False, dynamic_ncols=True)
    for kind, name, draw in bar:
        if isinstance(draw, str):
            yield kind, (name, draw)
            continue
        bar.set_postfix_str(name, refresh=False)
        try:
            yield kind, draw()
        except NothingToDraw as reason:
            yield kind, (name, str(reason))


def plot_sweep(sweep: SweepResults, folder: str | Path, fmt: FigureFormat = "png",
               progress: bool = False) -> tuple[list[Path], list[tuple[str, str]]]:
    """Draw every sweep figure into ``folder``; returns the files written and those skipped."""
    written, skipped = [], []
    for _, chart in draw_sweep_charts(sweep, progress=progress):
        if isinstance(chart, Chart):
            written += write_chart(chart, folder, fmt)
        else:
            skipped.append(chart)
    return written, skipped
