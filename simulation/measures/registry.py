"""The registry of ``summary.json``: every top-level section, who computes it, and its keys.

A measure function is registered with :func:`section`, naming the top-level keys it
returns; a lever's sections come through the same call (its ``summarize`` and
``summary_keys``). :func:`summarize` calls them all in registration order, then the
levers'. ``tests/contract`` checks that every key of a summary has exactly one owner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.model import EngagementModel

Compute = Callable[["EngagementModel"], dict[str, Any]]


@dataclass(frozen=True)
class Section:
    """One or more top-level keys of ``summary.json`` and the function that computes them."""

    keys: tuple[str, ...]
    compute: Compute


SECTIONS: list[Section] = []
"""Registered sections, in the order they appear in ``summary.json``."""


def section(*keys: str) -> Callable[[Compute], Compute]:
    """Decorator: register a function that returns the top-level ``keys`` of a summary."""
    def register(compute: Compute) -> Compute:
        taken = {key for registered in SECTIONS for key in registered.keys}
        if taken & set(keys):
            raise ValueError(f"summary keys {sorted(taken & set(keys))} are registered twice")
        SECTIONS.append(Section(tuple(keys), compute))
        return compute
    return register


def owners(model: EngagementModel) -> dict[str, str]:
    """Who computes each top-level key a summary of ``model`` may hold: a function or a lever."""
    owned = {key: registered.compute.__qualname__ for registered in SECTIONS
             for key in registered.keys}
    for lever in model.levers.values():
        owned.update({key: f"lever {lever.name}" for key in lever.summary_keys})
    return owned


def summarize(model: EngagementModel) -> dict[str, Any]:
    """Every section of a finished run's summary: the registered ones, then the levers'."""
    summary: dict[str, Any] = {}
    for registered in SECTIONS:
        values = registered.compute(model)
        if set(values) != set(registered.keys):
            raise ValueError(f"{registered.compute.__qualname__} returned {sorted(values)}, "
                             f"registered as {sorted(registered.keys)}")
        summary.update(values)
    for lever in model.levers.values():
        values = lever.summarize(model.state)
        if not set(values) <= set(lever.summary_keys):
            raise ValueError(f"lever {lever.name} returned {sorted(values)}, declared "
                             f"{sorted(lever.summary_keys)}")
        summary.update(values)
    return summary
