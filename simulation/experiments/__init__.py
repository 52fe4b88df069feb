"""Layer 9, running things: one run or many seeds, sweeps and their executor, analysis, and the
effect checks.

May import: everything below (core to io).
"""
