"""Layer 7, what a finished run measured: the summary.json sections, registered by name.

May import: core, kernels, config, state, viewers, platform, levers, and layer 6 (model.py,
agents.py).
"""
