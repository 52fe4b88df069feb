"""Agent-based engagement simulator of a short-video platform.

From the command line: ``python run.py --help`` in a checkout, ``engagement-sim --help``
once installed. In Python (docs/api.md)::

    import simulation as sim

    results = sim.run("baseline", {"population.size": 5000, "steps": 48}, seeds=3)
    results.posts                  # pandas DataFrame, one row per post and seed
    results.summary_table()        # seed, measure, value

    model = sim.build_model("baseline")    # or EngagementModel(sim.load("baseline"))
    model.run_model()                      # stops after the scenario's steps
    model.datacollector.get_model_vars_dataframe()

The names below are imported when first used, so that ``import simulation`` (and the
command line's ``--help``) does not import the model, Mesa, SciPy or pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "EngagementModel": "simulation.model",
    "Scenario": "simulation.config.scenario",
    "ScenarioError": "simulation.config.loading",
    "load_scenario": "simulation.config.loading",
    "ResultsError": "simulation.io.results",
    **{name: "simulation.api" for name in (
        "Results", "Run", "SweepResults", "build_model", "check", "load", "open_results",
        "override", "run", "shipped_scenarios", "sweep")},
}
"""Each public name and the module it comes from."""

if TYPE_CHECKING:
    from simulation.api import (
        Results,
        Run,
        SweepResults,
        build_model,
        check,
        load,
        open_results,
        override,
        run,
        shipped_scenarios,
        sweep,
    )
    from simulation.config.loading import ScenarioError, load_scenario
    from simulation.config.scenario import Scenario
    from simulation.io.results import ResultsError
    from simulation.model import EngagementModel


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'simulation' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = ["EngagementModel", "Results", "ResultsError", "Run", "Scenario", "ScenarioError",
           "SweepResults", "__version__", "build_model", "check", "load", "load_scenario",
           "open_results", "override", "run", "shipped_scenarios", "sweep"]
