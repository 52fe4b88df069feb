"""Figures of a parameter sweep, drawn from small tidy tables (the input contract below).

The sweep engine and its analysis (``python run.py analyze``) are built
separately; these functions do not read a sweep folder. An adapter turns the
analysis tables into the three tables below, and ``plot``/``report`` call these
functions. Until that adapter exists, a folder holding ``sweep.parquet`` is
refused by :func:`simulation.results.open_results`.

Input contract (pandas DataFrames, one row per ..., extra columns ignored):

``points``: one row per sweep point and metric
    ``point`` (int), ``metric`` (str, a summary.json path such as
    ``totals.leads``), ``mean``, ``ci_low``, ``ci_high`` (95% interval over the
    point's replicates; NaN if one replicate), ``n`` (replicates), and one
    numeric column per swept parameter, named by its field path (e.g.
    ``ranking.weights.like``).

``differences``: one row per metric and arm, against a reference arm
    ``metric``, ``arm``, ``reference``, ``mean`` (arm minus reference, paired by
    replicate), ``ci_low``, ``ci_high`` (95% interval of the paired difference),
    ``n`` (pairs).

``indices``: one row per metric, parameter and index
    ``metric``, ``parameter`` (field path), ``index`` (``S1``, ``ST`` for Sobol;
    ``mu_star``, ``sigma`` for Morris), ``value``, ``conf`` (half-width of the
    95% confidence interval, SALib's ``*_conf``).

Each function returns a :class:`simulation.plots.Chart` whose ``data`` is the
rows drawn, in the same layout, so ``write_chart`` writes figure and CSV alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.patches import Patch

from simulation.figure_style import (
    BAND_ALPHA,
    REFERENCE_COLOUR,
    figure_style,
    new_figure,
    series_colours,
    series_markers,
    set_title,
)
from simulation.plots import Chart

POINT_COLUMNS = ("point", "metric", "mean", "ci_low", "ci_high", "n")
DIFFERENCE_COLUMNS = ("metric", "arm", "reference", "mean", "ci_low", "ci_high", "n")
INDEX_COLUMNS = ("metric", "parameter", "index", "value", "conf")
SEQUENTIAL_COLOURMAP = "cividis"
"""Heatmaps: perceptually uniform and readable with colour-vision deficiencies."""
MAX_ANNOTATED_CELLS = 100


def require_columns(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    """Raise ValueError naming the columns of the input contract that ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{table} table lacks column(s) {', '.join(missing)}; expected "
                         f"{', '.join(columns)} (see simulation.sweep_plots)")


def _one_metric(frame: pd.DataFrame, metric: str, table: str) -> pd.DataFrame:
    rows = frame[frame["metric"] == metric]
    if rows.empty:
        known = ", ".join(sorted(map(str, frame["metric"].unique()))[:8])
        raise ValueError(f"{table} table has no rows for metric {metric!r} (has: {known})")
    return rows


def _short(path: str) -> str:
    return str(path).replace("_", " ")


def _log_scale_suits(values: np.ndarray) -> bool:
    values = values[np.isfinite(values)]
    return len(values) > 2 and values.min() > 0 and values.max() / values.min() >= 100


def metric_against_parameter(points: pd.DataFrame, parameter: str, metric: str,
                             by: str | None = None) -> Chart:
    """A metric's mean and 95% band over replicates against one swept parameter.

    With ``by`` (another swept parameter), one line per value of it. Without it,
    if other parameters vary too (random, LHS, Sobol or Morris designs) each point
    is drawn on its own with error bars instead of a line.
    """
    require_columns(points, [*POINT_COLUMNS, parameter, *([by] if by else [])], "points")
    rows = _one_metric(points, metric, "points")
    keys = [by] if by else []
    data = rows[["point", *keys, parameter, "metric", "mean", "ci_low", "ci_high", "n"]]
    data = data.sort_values([*keys, parameter], kind="stable").reset_index(drop=True)
    grouped = data.groupby(keys, sort=False) if keys else [(None, data)]
    title = f"{_short(metric)} against {_short(parameter)}"
    with figure_style():
        figure, (ax,) = new_figure(3.0)
        groups = list(grouped)
        names = [str(k[0] if isinstance(k, tuple) else k) for k, _ in groups]
        colours, markers = series_colours(names), series_markers(names)
        banded = False
        for name, (_, part) in zip(names, groups, strict=True):
            x, y = part[parameter].to_numpy(float), part["mean"].to_numpy(float)
            low, high = part["ci_low"].to_numpy(float), part["ci_high"].to_numpy(float)
            text = f"{_short(by)} = {name}" if by else "mean over replicates"
            if part[parameter].is_unique:
                ax.plot(x, y, color=colours[name], marker=markers[name], label=text)
                ax.fill_between(x, low, high, color=colours[name], alpha=BAND_ALPHA,
                                linewidth=0)
                banded = True
            else:
                ax.errorbar(x, y, yerr=np.vstack([y - low, high - y]), color=colours[name],
                            marker=markers[name], linestyle="none", capsize=2, label=text)
        if _log_scale_suits(data[parameter].to_numpy(float)):
            ax.set_xscale("log")
        ax.set_xlabel(f"{_short(parameter)} (scenario units)")
        ax.set_ylabel(_short(metric))
        band = Patch(facecolor=REFERENCE_COLOUR, alpha=BAND_ALPHA + 0.15,
                     label="95% interval over replicates")
        ax.legend(handles=[*ax.get_legend_handles_labels()[0], *([band] if banded else [])],
                  loc="best")
        set_title(figure, title)
    caption = ("Mean over each point's replicates with its 95% interval, against the swept "
               f"parameter {parameter}.")
    return Chart(f"sweep_{metric}_vs_{parameter}".replace(".", "-"), title, caption, data, figure)


def metric_heatmap(points: pd.DataFrame, x: str, y: str, metric: str) -> Chart:
    """A metric's mean over replicates on a grid of two swept parameters."""
    require_columns(points, [*POINT_COLUMNS, x, y], "points")
    rows = _one_metric(points, metric, "points")
    if rows.duplicated([x, y]).any():
        raise ValueError(f"points table has several rows per ({x}, {y}) for {metric!r}: a "
                         "heatmap needs a grid of two parameters (fix the others)")
    data = rows[["point", x, y, "metric", "mean", "ci_low", "ci_high", "n"]].sort_values(
        [y, x], kind="stable").reset_index(drop=True)
    grid = data.pivot(index=y, columns=x, values="mean")
    title = f"{_short(metric)} over {_short(x)} and {_short(y)}"
    with figure_style():
        figure, (ax,) = new_figure(3.2)
        values = grid.to_numpy(float)
        norm = Normalize(np.nanmin(values), np.nanmax(values))
        image = ax.imshow(values, origin="lower", aspect="auto", cmap=SEQUENTIAL_COLOURMAP,
                          norm=norm)
        ax.set_xticks(range(grid.shape[1]), [f"{v:g}" for v in grid.columns],
                      rotation=45 if grid.shape[1] > 5 else 0)
        ax.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index])
        ax.grid(False)
        if values.size <= MAX_ANNOTATED_CELLS:
            for (row, column), value in np.ndenumerate(values):
                if np.isfinite(value):
                    ax.text(column, row, f"{value:.3g}", ha="center", va="center",
                            color="white" if norm(value) < 0.5 else "black")
        ax.set_xlabel(_short(x))
        ax.set_ylabel(_short(y))
        figure.colorbar(image, ax=ax, label=f"{_short(metric)} (mean over replicates)")
        set_title(figure, title)
    caption = "Mean over each grid point's replicates; intervals are in the CSV."
    return Chart(f"sweep_{metric}_heatmap".replace(".", "-"), title, caption, data, figure)


def arm_differences(differences: pd.DataFrame, metrics: Sequence[str] | None = None) -> Chart:
    """Paired differences between arms and a reference arm, with 95% intervals (forest plot)."""
    require_columns(differences, DIFFERENCE_COLUMNS, "differences")
    metrics = list(metrics) if metrics else list(dict.fromkeys(differences["metric"]))
    data = pd.concat([_one_metric(differences, m, "differences") for m in metrics],
                     ignore_index=True)[list(DIFFERENCE_COLUMNS)]
    references = sorted(set(data["reference"]))
    title = f"Paired differences between arms, against {', '.join(references)}"
    arms = list(dict.fromkeys(data["arm"]))
    with figure_style():
        figure, axes = new_figure(0.9 + (0.35 * len(arms) + 0.6) * len(metrics), len(metrics), 1,
                                  sharey=True)
        colours, markers = series_colours(arms), series_markers(arms)
        for ax, metric in zip(axes, metrics, strict=True):
            part = data[data["metric"] == metric]
            for position, arm in enumerate(arms):
                row = part[part["arm"] == arm]
                if row.empty:
                    continue
                mean, low, high = (float(row[c].iloc[0]) for c in ("mean", "ci_low", "ci_high"))
                ax.errorbar([mean], [position], xerr=[[mean - low], [high - mean]],
                            color=colours[arm], marker=markers[arm], capsize=2,
                            linestyle="none", label=arm)
            ax.axvline(0, color=REFERENCE_COLOUR, linestyle="--", linewidth=0.8,
                       label="no difference")
            ax.set_yticks(range(len(arms)), arms)
            ax.set_ylim(-0.6, len(arms) - 0.4)
            ax.set_xlabel(f"difference in {_short(metric)} (arm minus reference)")
            ax.set_ylabel("arm")
        reference = [h for h, t in zip(*axes[0].get_legend_handles_labels(), strict=True)
                     if t == "no difference"]
        figure.legend(handles=reference, loc="outside lower center")
        set_title(figure, title)
    caption = ("Mean paired difference (same seeds in every arm) with its 95% interval; an "
               "interval that misses zero is a difference the replicates resolve.")
    return Chart("sweep_arm_differences", title, caption, data, figure)


def sensitivity_indices(indices: pd.DataFrame, metric: str) -> Chart:
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
    method = "Morris" if "mu_star" in kinds else "Sobol"
    title = f"{method} sensitivity of {_short(metric)} to each parameter"
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
        ax.set_xlabel("index value (error bars: 95% CI)")
        ax.set_ylabel("parameter")
        ax.legend(title="index", loc="lower right")
        set_title(figure, title)
    caption = (f"{method} indices of {metric}, largest {order_by} first; error bars are the "
               "95% confidence intervals of the estimates.")
    return Chart(f"sweep_{metric}_sensitivity".replace(".", "-"), title, caption, data, figure)
