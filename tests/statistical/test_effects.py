"""Viral mismatch and audience dilution: each claim of docs/effects.md that CI can afford, on
the held-out seeds 1-10, with the scenario files as they are.

The effect scenarios are sized to run where their criteria hold (docs/effects.md, "Size");
the scenarios were tuned on seeds 101-200 and these tests use seeds 1-10. The conditions
and criteria are those of ``python run.py effects`` (simulation/experiments/effects.py);
each claim must hold in at least 9 of the 10 seeds. Every condition runs once per session,
shared by the pytest-xdist workers (tests/support/shared_runs.py). The full table of
conditions (chronological ranking, likes out of the score, ablations) is the command's.
"""

import math

import pytest

from simulation.experiments.effects import (
    AUDIENCE_DILUTION,
    VIRAL_MISMATCH,
    effect_named,
    plan,
    run_jobs,
    verdicts,
)
from tests.support.shared_runs import session_folder, shared

pytestmark = pytest.mark.slow

SEEDS = list(range(1, 11))

TESTED = [(VIRAL_MISMATCH.key, "for_you"), (VIRAL_MISMATCH.key, "control"),
          (VIRAL_MISMATCH.key, "random"), (AUDIENCE_DILUTION.key, "for_you"),
          (AUDIENCE_DILUTION.key, "control")]
"""The claims checked here: each effect under For-You and in its one-change control, and the
mismatch under random ranking (the null model that the outcome ratios alone passed)."""


@pytest.fixture(scope="session")
def condition_rows(tmp_path_factory):
    """``condition_rows(effect, condition)``: the rows of its ten runs, run once per session."""
    folder = session_folder(tmp_path_factory)

    def rows(effect: str, condition: str) -> list[dict]:
        return shared(folder, f"{effect}-{condition}", lambda: run_jobs(
            plan(SEEDS, effects=[effect_named(effect)], conditions=[condition])))
    return rows


def describe(rows: list[dict]) -> str:
    return "\n".join(f"seed {r['seed']} {r['name']}: {r['value']:.3g} "
                     f"{'holds' if r['holds'] else 'fails'}"
                     for r in rows if r["kind"] in ("criterion", "verdict", "tier"))


@pytest.mark.parametrize(("effect", "condition"), TESTED, ids=[f"{e}-{c}" for e, c in TESTED])
def test_claim_holds_in_nine_seeds_of_ten(condition_rows, effect, condition):
    rows = condition_rows(effect, condition)
    verdict = verdicts(rows, [effect_named(effect)])[0]
    assert verdict["ok"], f"{verdict}\n{describe(rows)}"


def parts(rows: list[dict], name: str) -> list[float]:
    return [r["value"] for r in rows if r["kind"] == "part" and r["name"] == name]


def test_the_ranking_not_the_content_sends_entertainment_to_the_wrong_audience(condition_rows):
    # Under For-You the composition part lowers entertainment's leads per impression against
    # educational's in every seed but one; under random ranking every post meets the same
    # audience, so the part is near zero (the outcome ratios there come from content alone).
    for_you = parts(condition_rows(VIRAL_MISMATCH.key, "for_you"), "ratio_composition")
    random = parts(condition_rows(VIRAL_MISMATCH.key, "random"), "ratio_composition")
    assert sum(value < -0.2 for value in for_you) >= 9, for_you
    assert sum(abs(value) < 0.1 for value in random if not math.isnan(value)) >= 9, random


def test_dilution_is_audience_composition_and_its_control_keeps_the_audience(condition_rows):
    # The highest tier's leads per impression against tier 0's: composition (fewer target
    # viewers) lowers it in the scenario in every seed but one; with a target segment that
    # does not run out, composition moves it by less than 0.1 in every seed but one.
    effect = parts(condition_rows(AUDIENCE_DILUTION.key, "for_you"), "ratio_composition")
    control = parts(condition_rows(AUDIENCE_DILUTION.key, "control"), "ratio_composition")
    assert sum(value < -0.1 for value in effect) >= 9, effect
    assert sum(abs(value) < 0.1 for value in control) >= 9, control
