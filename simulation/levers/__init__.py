"""Layer 5, optional mechanisms behind one interface (levers.base.Lever): each is a module here and
a section of the scenario, off by default.

May import: core, kernels, config, state, viewers, platform.
"""
