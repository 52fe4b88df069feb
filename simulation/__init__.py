"""Agent-based engagement simulator of a short-video platform.

Start with ``python run.py --help``. In Python::

    from simulation import EngagementModel, load_scenario
    model = EngagementModel(load_scenario("scenarios/baseline.toml"))
    for _ in range(24):
        model.step()
"""

from simulation.config.loading import ScenarioError, load_scenario
from simulation.config.scenario import Scenario
from simulation.model import EngagementModel

__version__ = "0.1.0"
__all__ = ["EngagementModel", "Scenario", "ScenarioError", "__version__", "load_scenario"]
