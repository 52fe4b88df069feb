"""Layer 5, optional mechanisms behind one interface (levers.base.Lever): each is a module here and
a section of the scenario, off by default.

May import: core, kernels, config, state, viewers, platform. No lever imports another.

Importing this package imports every module in it, so that each lever registers itself
(``levers.base.register``): a new lever is a new module here, nothing else to list.
"""

import importlib
import pkgutil

from simulation.levers.base import LEVERS, Lever, build_levers, register

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["LEVERS", "Lever", "build_levers", "register"]
