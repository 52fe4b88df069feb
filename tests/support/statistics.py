"""Assertions over seeds: a criterion holds in all seeds but a few.
"""

from __future__ import annotations


def nearly_always(flags: list[bool], detail: object = "") -> None:
    """All seeds but at most one."""
    assert sum(flags) >= len(flags) - 1, f"{sum(flags)} of {len(flags)} seeds: {detail}"
