"""Layer 1, the hot path's compiled loops (numba), each beside its numpy twin that gives the same
numbers bit for bit.

May import: core.
"""
