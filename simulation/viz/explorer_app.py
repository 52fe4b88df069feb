"""The explorer's Solara page: ``solara run simulation.viz.explorer_app``.

``python run.py explore [SCENARIO]`` starts Solara on this module with the scenario in
the environment variable ``ENGAGEMENT_SIM_EXPLORE`` (a file or a shipped name; default
``baseline``). Importing it builds the first model, as Mesa's SolaraViz pages do.
The parts (model, sliders, charts) are in :mod:`simulation.viz.explorer`.
"""

from __future__ import annotations

import os

import solara
from mesa.visualization import SolaraViz

from simulation.viz.explorer import (
    CHARTS,
    ExplorerModel,
    explorer_parameters,
    status_text,
)

SCENARIO_VARIABLE = "ENGAGEMENT_SIM_EXPLORE"


def _chart(draw):
    """A SolaraViz component drawing one chart of the model (redrawn after every step)."""
    def component(model: ExplorerModel):
        return solara.FigureMatplotlib(draw(model), format="png", dpi=110)
    component.__name__ = draw.__name__
    return component


def Status(model: ExplorerModel):  # noqa: N802 - a Solara component's name
    """The run's position and headline measures, above the charts."""
    return solara.Markdown(status_text(model))


model_params = explorer_parameters(os.environ.get(SCENARIO_VARIABLE, "baseline"))
model = ExplorerModel(**{name: spec["value"] for name, spec in model_params.items()})

page = SolaraViz(model, components=[Status, *(_chart(draw) for draw in CHARTS)],
                 model_params=model_params, name="engagement-sim explorer", play_interval=50)
