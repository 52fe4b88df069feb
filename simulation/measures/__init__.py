"""Layer 7, what a finished run measured: the summary.json sections, registered by name.

May import: core, kernels, config, state, viewers, platform, levers, and layer 6 (model.py,
agents.py).

:func:`summarize` gives a finished run's ``summary.json``: the sections registered in
``registry.py`` by the modules of this package (imported here), then the levers'.
"""

from simulation.measures import marketing, social, summary
from simulation.measures.registry import summarize

__all__ = ["marketing", "social", "summarize", "summary"]
