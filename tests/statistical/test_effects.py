"""Viral mismatch and audience dilution: the claims of docs/effects.md that CI can afford, on
held-out seeds, with the scenario files as they are.

The effect scenarios run on the small platform (2 000 viewers, one week), where their
criteria resolve (docs/effects.md, "Size and seeds"). They were tuned on seeds 101-200;
these tests use seeds 1-4, a subset of the reported seeds 1-10. The conditions and criteria are those
of ``python run.py effects`` (simulation/experiments/effects.py). Over seeds 1-10 every
claim tested here held in at least 9 of 10 seeds (docs/effects.md, "Measured"); here each
must hold in at least 3 of 4. Every condition runs once per session, shared by the
pytest-xdist workers (tests/support/shared_runs.py): 20 runs, 109 s of CPU for the file
(40 s of it the mismatch under random ranking, whose runs are the slowest). The rest of the table
(chronological ranking, likes out of the score, the ablations) is the command's.
"""

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

pytestmark = [pytest.mark.slow, pytest.mark.once]  # once: see pyproject.toml

SEEDS = [1, 2, 3, 4]
REQUIRED = 0.75
"""A claim must hold in at least 3 of the 4 seeds."""

TESTED = [(VIRAL_MISMATCH.key, "for_you"), (VIRAL_MISMATCH.key, "control"),
          (VIRAL_MISMATCH.key, "random"), (AUDIENCE_DILUTION.key, "for_you"),
          (AUDIENCE_DILUTION.key, "control")]
"""The claims checked here: each effect under For-You and in its one-change control, and the
mismatch under random ranking (the null model that the outcome ratios alone passed)."""


@pytest.fixture(scope="session")
def condition_rows(tmp_path_factory):
    """``condition_rows(effect, condition)``: the rows of its runs, run once per session."""
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
def test_claim_holds_in_three_seeds_of_four(condition_rows, effect, condition):
    # For-You: every criterion of the effect holds. Random ranking: they do not all hold.
    # Control: its own criteria hold and the effect's do not all hold.
    rows = condition_rows(effect, condition)
    verdict = verdicts(rows, [effect_named(effect)], required=REQUIRED)[0]
    assert verdict["ok"], f"{verdict}\n{describe(rows)}"


def parts(rows: list[dict], name: str) -> list[float]:
    return [r["value"] for r in rows if r["kind"] == "part" and r["name"] == name]


def test_the_ranking_not_the_content_sends_entertainment_to_the_wrong_audience(condition_rows):
    # Under For-You the composition part lowers entertainment's leads per impression against
    # educational's by at least 0.3 (of educational's; seeds 1-10: -0.40 to -0.58); under
    # random ranking every post meets the same audience, so the part is near zero (seeds
    # 1-10: -0.025 to 0.006) and the outcome ratios there come from content alone.
    for_you = parts(condition_rows(VIRAL_MISMATCH.key, "for_you"), "ratio_composition")
    random = parts(condition_rows(VIRAL_MISMATCH.key, "random"), "ratio_composition")
    assert sum(value < -0.3 for value in for_you) >= 3, for_you
    assert sum(abs(value) < 0.1 for value in random) >= 3, random


def test_dilution_is_audience_composition_and_its_control_keeps_the_audience(condition_rows):
    # The highest tier's leads per impression against tier 0's: composition (fewer target
    # viewers) lowers it by at least 0.3 in the scenario (seeds 1-10: -0.40 to -0.61); with
    # a target segment that does not run out, composition moves it by less than 0.1
    # (seeds 1-10: -0.010 to -0.047).
    effect = parts(condition_rows(AUDIENCE_DILUTION.key, "for_you"), "ratio_composition")
    control = parts(condition_rows(AUDIENCE_DILUTION.key, "control"), "ratio_composition")
    assert sum(value < -0.3 for value in effect) >= 3, effect
    assert sum(abs(value) < 0.1 for value in control) >= 3, control
