"""The marketing levers, each against its control, over several seeds (scenarios/levers/).

Every scenario runs on a smaller platform than its file (SMALL_LEVERS: 1 000 viewers,
two days) so that each lever's runs take well under a minute; a criterion must hold
in all seeds but at most one. The full-size figures are in docs/effects_levers.md.
Nothing here sets an outcome: the scenarios switch a mechanism on or off, and the
criteria read summary.json.
"""

from __future__ import annotations

import functools

import pytest

from simulation.loading import load_scenario
from simulation.runner import simulate
from tests.conftest import SCENARIOS

pytestmark = pytest.mark.slow

LEVERS = SCENARIOS / "levers"
SMALL_LEVERS = ("population.size=1000", "steps=48")
SEEDS = tuple(range(1, 7))
BRAND = "glow_skincare"


@functools.cache
def summaries(name: str, *overrides: str) -> tuple[dict, ...]:
    """Summaries of scenarios/levers/<name>.toml on the small platform, one per seed."""
    scenario = load_scenario(LEVERS / f"{name}.toml", [*SMALL_LEVERS, *overrides])
    return tuple(simulate(scenario, seed=seed).summary for seed in SEEDS)


def brand(name: str, *overrides: str) -> list[dict]:
    return [summary["brands"][BRAND] for summary in summaries(name, *overrides)]


def nearly_always(flags: list[bool], detail: object = "") -> None:
    """All seeds but at most one."""
    assert sum(flags) >= len(flags) - 1, f"{sum(flags)} of {len(flags)} seeds: {detail}"


def test_call_to_action_raises_profile_visits_and_profile_quality_link_clicks():
    strong, none, poor = (brand(name) for name in ("call_to_action", "call_to_action_none",
                                                   "profile_quality_poor"))
    visit = [[b["funnel_steps"]["conversion"]["profile_visit"] for b in arm]
             for arm in (strong, none, poor)]
    click = [[b["funnel_steps"]["conversion"]["link_click"] for b in arm]
             for arm in (strong, none, poor)]
    # A call to action at least doubles the share of views that visit the profile...
    nearly_always([s > 2 * n for s, n in zip(visit[0], visit[1], strict=True)], visit)
    # ...and a poor profile at least halves the share of visits that click the link,
    nearly_always([s > 2 * p for s, p in zip(click[0], click[2], strict=True)], click)
    # while the visits themselves are those of the same posts (common random numbers).
    assert visit[0] == visit[2]
    nearly_always([s["leads"] > n["leads"] and s["leads"] > p["leads"]
                   for s, n, p in zip(strong, none, poor, strict=True)])


def test_familiarity_raises_conversion_with_prior_exposures():
    def lift(summary: dict) -> float:
        curve = summary["familiarity"]["brands"]
        often = curve["6+"]["profile_visits_per_1k_views"]
        return often / curve["0"]["profile_visits_per_1k_views"]

    on = [lift(s) for s in summaries("familiarity")]
    off = [lift(s) for s in summaries("familiarity_control")]
    nearly_always([a > b for a, b in zip(on, off, strict=True)], (on, off))
