"""The convergence figure of a calibration: the objective and each parameter by evaluation.

Reads a calibration folder's ``evaluations.csv`` and ``calibration.json``
(``experiments/calibration.py``) and writes ``convergence.<format>`` beside them: on top,
the sum of squared residuals (sum of z^2 over the targets) of every candidate, the search's
own candidates joined in order and the Jacobian's finite-difference candidates as faint
points, on a log axis; below, each parameter's place in its range (0 = low, 1 = high) at
the search's candidates, with the best value's interval as a band at the end.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from simulation.viz.style import (
    BAND_ALPHA,
    REFERENCE_COLOUR,
    FigureFormat,
    figure_style,
    new_figure,
    save_figure,
    series_colours,
    series_markers,
    set_title,
)


def _unit(value: float, row: dict) -> float:
    """A value's place in its parameter's range (log scale where the parameter has one)."""
    low, high = row["low"], row["high"]
    if row["scale"] == "log":
        return float((np.log(value) - np.log(low)) / (np.log(high) - np.log(low)))
    return float((value - low) / (high - low))


def convergence_figure(folder: str | Path, fmt: FigureFormat = "png") -> Path:
    """Draw ``folder/convergence.<fmt>`` from the folder's evaluations; returns its path."""
    folder = Path(folder)
    result = json.loads((folder / "calibration.json").read_text(encoding="utf-8"))
    with open(folder / "evaluations.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    parameters = result["parameters"]
    index = np.array([int(row["evaluation"]) for row in rows])
    loss = np.array([float(row["loss"]) for row in rows])
    search = np.array([row["kind"] == "search" for row in rows])
    names = [p["path"] for p in parameters]
    colours, markers = series_colours(names), series_markers(names)
    with figure_style():
        figure, (top, bottom) = new_figure(4.2, nrows=2, sharex=True)
        top.plot(index[~search], loss[~search], linestyle="none", marker=".",
                 color=REFERENCE_COLOUR, alpha=0.5, label="Jacobian candidates")
        top.plot(index[search], loss[search], marker="o", color=colours[names[0]],
                 label="search candidates")
        top.set_yscale("log")
        top.set_ylabel("sum of z² over targets")
        top.legend(loc="upper right")
        for parameter in parameters:
            path = parameter["path"]
            places = [_unit(float(row[path]), parameter) for row in rows if row["kind"] == "search"]
            bottom.plot(index[search], places, marker=markers[path], color=colours[path],
                        label=path)
            low, high = _unit(parameter["ci_low"], parameter), _unit(parameter["ci_high"], parameter)
            bottom.fill_between([index[-1] - 0.5, index[-1] + 0.5], low, high,
                                color=colours[path], alpha=BAND_ALPHA, linewidth=0)
        bottom.set_ylim(-0.05, 1.05)
        bottom.set_ylabel("place in range (0 low, 1 high)")
        bottom.set_xlabel("evaluation (candidate) number")
        bottom.legend(loc="best", fontsize="small",
                      title=f"band: {parameters[0]['level']:.0%} interval of the best value",
                      title_fontsize="small")
        set_title(figure, f"Calibration {result['calibration']}: objective and parameters "
                          f"by evaluation")
        return save_figure(figure, folder / f"convergence.{fmt}", fmt)
