"""Figures of the effect checks: conditions x criteria, Morris indices, two-parameter maps.

Each function takes the tables of :mod:`simulation.experiments.effects` and returns a
column-wide :class:`matplotlib.figure.Figure` in the house style (``viz/style.py``):

- :func:`conditions_figure`: per effect, a grid of conditions (rows) by criteria
  (columns), each cell the seeds in which the criterion holds, shaded by that share;
- :func:`sensitivity_figure`: Morris mu* of each criterion and of the decomposition's
  parts (columns) for each parameter (rows), each column scaled by its largest mu*, the
  rows ranked by their mean over the criteria;
- :func:`map_figure`: over a two-parameter grid, the share of replicates in which the
  effect shows (every criterion holds);
- :func:`parts_figure`: per effect and condition, the Kitagawa split of the gap in leads
  per impression into its composition and conversion parts, per seed and on average.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simulation.experiments.effects import EFFECTS, SCREENED_PARTS, Effect, tally, verdicts
from simulation.viz.style import (
    REFERENCE_COLOUR,
    figure_style,
    new_figure,
    series_colours,
    series_markers,
    set_title,
)

CMAP = "Blues"
"""Sequential, light to dark: readable in greyscale, no red-green contrast."""


def _cells(ax: Axes, shares: np.ndarray, labels: list[list[str]], rows: Sequence[str],
           columns: Sequence[str]) -> Any:
    """A grid of shaded cells (rows x columns, shares in 0..1) with a label in each."""
    image = ax.imshow(shares, cmap=CMAP, vmin=0.0, vmax=1.0, aspect="auto")
    for i in range(shares.shape[0]):
        for j in range(shares.shape[1]):
            value = shares[i, j]
            ax.text(j, i, labels[i][j], ha="center", va="center", fontsize=6.5,
                    color="white" if np.isfinite(value) and value > 0.6 else "black")
    ax.set_xticks(range(len(columns)), [textwrap.fill(c, 14) for c in columns], rotation=90)
    ax.set_yticks(range(len(rows)), [textwrap.fill(r, 34) for r in rows])
    ax.tick_params(length=0)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return image


def conditions_figure(rows: Sequence[dict[str, Any]], effects: Sequence[Effect] = EFFECTS
                      ) -> Figure:
    """Seeds in which each criterion holds, per effect and condition (rows of
    :func:`simulation.experiments.effects.run_rows`)."""
    counts = {(r["effect"], r["condition"], r["criterion"]): r for r in tally(rows)}
    ran = {(r["effect"], r["condition"]) for r in verdicts(rows, effects)}
    shown = [e for e in effects if any((e.key, c.key) in ran for c in e.conditions)]
    heights = [sum((e.key, c.key) in ran for c in e.conditions) for e in shown]
    with figure_style():
        figure, axes = new_figure(1.2 + 0.22 * sum(heights) + 1.0 * len(shown), len(shown), 1,
                                  gridspec_kw={"height_ratios": heights})
        for ax, effect in zip(axes, shown, strict=True):
            conditions = [c for c in effect.conditions if (effect.key, c.key) in ran]
            names = [c.name for c in (*effect.criteria, *effect.control_criteria)]
            names += ["effect_shows", "control_holds"]
            shares = np.full((len(conditions), len(names)), np.nan)
            labels = [["" for _ in names] for _ in conditions]
            for i, condition in enumerate(conditions):
                for j, name in enumerate(names):
                    cell = counts[(effect.key, condition.key, name)]
                    shares[i, j] = cell["holds"] / cell["seeds"]
                    labels[i][j] = f"{cell['holds']}/{cell['seeds']}"
            _cells(ax, shares, labels, [c.key.replace("_", " ") for c in conditions],
                   [n.replace("_", " ") for n in names])
            ax.set_title(effect.name, loc="left")
            ax.axvline(len(effect.criteria) - 0.5, color="white", linewidth=2)
            ax.axvline(len(names) - 2.5, color="white", linewidth=2)
        set_title(figure, "Seeds in which each criterion holds, by condition")
    return figure


def short_path(path: str) -> str:
    """A field path short enough for a row label: its last two parts, three when the last
    is a letter or two ('funnel.appeal.trend_heat' -> 'appeal.trend_heat',
    'population.segments[2].intent.a' -> 'segments[2].intent.a')."""
    parts = path.split(".")
    keep = 3 if len(parts[-1]) <= 2 else 2
    return ".".join(parts[-keep:])


def sensitivity_figure(indices: Any, effect: Effect) -> Figure:
    """Morris mu* of each criterion for each parameter, scaled by the criterion's largest.

    ``indices``: the rows of ``analysis.sensitivity`` (columns measure, parameter, index,
    value), ``measure`` being a criterion's name.
    """
    table = indices[indices["index"] == "mu_star"]
    screened = [*(c.name for c in effect.criteria), *SCREENED_PARTS]
    criteria = [name for name in screened if name in set(table["measure"])]
    parameters = list(dict.fromkeys(table["parameter"]))
    values = np.full((len(parameters), len(criteria)), np.nan)
    for row in table.itertuples():
        if row.measure in criteria:
            values[parameters.index(row.parameter), criteria.index(row.measure)] = row.value
    scaled = values / np.nanmax(values, axis=0, keepdims=True)
    # Ranked by the mean over the effect's criteria (the parts aside) of each parameter's
    # mu* relative to the criterion's most influential parameter.
    judged = [criteria.index(c.name) for c in effect.criteria if c.name in criteria]
    order = np.argsort(-np.nanmean(scaled[:, judged], axis=1), kind="stable")
    scaled, parameters = scaled[order], [parameters[i] for i in order]
    labels = [[f"{v:.2f}" if np.isfinite(v) else "" for v in row] for row in scaled]
    with figure_style():
        figure, (ax,) = new_figure(1.4 + 0.2 * len(parameters))
        _cells(ax, scaled, labels, [short_path(p) for p in parameters],
               [c.replace("_", " ") for c in criteria])
        set_title(figure, f"{effect.name}: Morris mu* of each criterion, relative to its "
                          "most influential parameter")
    return figure


def map_figure(table: Any, effect: Effect) -> Figure:
    """Share of replicates in which the effect shows over a two-parameter grid.

    ``table``: one row per grid point, with ``param.<path>`` columns for the two
    parameters, ``shows`` and ``replicates``.
    """
    parameters = [c for c in table.columns if c.startswith("param.")]
    if len(parameters) != 2:
        raise ValueError(f"a map needs a grid over two parameters, not {len(parameters)}")
    x_name, y_name = parameters
    xs, ys = sorted(table[x_name].unique()), sorted(table[y_name].unique())
    shares = np.full((len(ys), len(xs)), np.nan)
    labels = [["" for _ in xs] for _ in ys]
    for row in table.to_dict("records"):
        i, j = ys.index(row[y_name]), xs.index(row[x_name])
        shares[i, j] = row["shows"] / row["replicates"]
        labels[i][j] = f"{row['shows']}/{row['replicates']}"
    with figure_style():
        figure, (ax,) = new_figure(3.0)
        image = _cells(ax, shares, labels, [f"{y:.3g}" for y in ys], [f"{x:.3g}" for x in xs])
        ax.set_xticks(range(len(xs)), [f"{x:.3g}" for x in xs], rotation=0)
        ax.invert_yaxis()
        ax.set_xlabel(x_name.removeprefix("param."))
        ax.set_ylabel(y_name.removeprefix("param."))
        figure.colorbar(image, ax=ax, label="share of replicates where it shows", shrink=0.8)
        set_title(figure, f"Where {effect.name} shows: every criterion holds")
    return figure


PART_NAMES = {"ratio_composition": "composition (who was shown the posts)",
              "ratio_conversion": "conversion (how each audience converted)"}
"""The two parts of the split, as the figure's legend names them."""


def parts_figure(rows: Sequence[dict[str, Any]], effects: Sequence[Effect] = EFFECTS) -> Figure:
    """The decomposition of each effect's gap in leads per impression, by condition.

    For each effect (a panel) and condition (a row): the composition and conversion parts
    of the ratio minus 1 (mismatch: entertainment over educational; dilution: the highest
    tier reached by 5 posts over tier 0), one dot per seed and a bar at their mean; the
    two parts sum to the ratio minus 1 (:mod:`simulation.measures.decomposition`).
    ``rows``: the rows of :func:`simulation.experiments.effects.run_rows`.
    """
    values: dict[tuple[str, str, str], list[float]] = {}
    for row in rows:
        if row["kind"] == "part" and row["name"] in PART_NAMES:
            values.setdefault((row["effect"], row["condition"], row["name"]), []).append(
                float(row["value"]))
    shown = [e for e in effects if any(key[0] == e.key for key in values)]
    counts = [sum((e.key, c.key, "ratio_composition") in values for c in e.conditions)
              for e in shown]
    colours, markers = series_colours(list(PART_NAMES)), series_markers(list(PART_NAMES))
    with figure_style():
        figure, axes = new_figure(1.4 + 0.32 * sum(counts) + 0.5 * len(shown), len(shown), 1,
                                  gridspec_kw={"height_ratios": counts})
        for ax, effect in zip(axes, shown, strict=True):
            conditions = [c for c in effect.conditions
                          if (effect.key, c.key, "ratio_composition") in values]
            for k, (part, label) in enumerate(PART_NAMES.items()):
                offset = -0.17 + 0.34 * k
                for i, condition in enumerate(conditions):
                    seeds = np.array(values[(effect.key, condition.key, part)])
                    seeds = seeds[np.isfinite(seeds)]
                    if not len(seeds):
                        continue
                    ax.barh(i + offset, seeds.mean(), height=0.32, color=colours[part],
                            alpha=0.45, label=label if i == 0 else None)
                    ax.scatter(seeds, np.full(len(seeds), i + offset), s=5,
                               marker=markers[part], color=colours[part], zorder=3,
                               linewidths=0)
            ax.axvline(0.0, color=REFERENCE_COLOUR, linewidth=0.8)
            ax.set_yticks(range(len(conditions)), [c.key.replace("_", " ") for c in conditions])
            ax.invert_yaxis()
            ax.set_title(textwrap.fill(f"{effect.name}: {effect.gap}", 44), loc="left")
        axes[-1].set_xlabel("part of (ratio - 1)")
        handles, labels = axes[0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside lower center", ncols=1)
        set_title(figure, "Gap in leads per impression split into composition and conversion "
                          "(Kitagawa): bars the mean, dots the seeds")
    return figure

