"""Layer 7, what a finished run measured: the summary.json sections, registered by name.

May import: core, kernels, config, state, viewers, platform, levers, and layer 6 (model.py,
agents.py).

:func:`summarize` gives a finished run's ``summary.json``: the sections registered in
``registry.py`` by the modules of this package (imported here, in the order of their
sections in the summary), then the levers'.
"""

from simulation.measures import marketing, social, summary  # isort: split

from simulation.measures import decomposition  # after the brands it splits
from simulation.measures.registry import summarize

__all__ = ["decomposition", "marketing", "social", "summarize", "summary"]
