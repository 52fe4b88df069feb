"""The current code reproduces every golden summary exactly (tests/support/golden.py).

This is also the smoke test of every shipped scenario: each runs for 12 steps.
"""

from __future__ import annotations

import pytest

from tests.support import golden

SMALL_CASES = [case for case in golden.cases() if case.overrides]
FULL_CASES = [case for case in golden.cases() if not case.overrides]


def check(case: golden.GoldenCase) -> None:
    assert case.path.exists(), f"no golden file {case.path.name}: run python -m tests.support.golden"
    expected, actual = case.path.read_text(), golden.summary_of(case)
    assert actual == expected, (
        f"{case.name} moved; if intended, regenerate with `python -m tests.support.golden "
        f"{case.name}` and say why in CHANGELOG.md:\n" + "\n".join(golden.differences(expected, actual)))


@pytest.mark.parametrize("case", SMALL_CASES, ids=[case.name for case in SMALL_CASES])
def test_shipped_scenario_matches_its_golden_summary(case: golden.GoldenCase) -> None:
    check(case)


@pytest.mark.slow
@pytest.mark.once  # the small runs above check every Python; this one, CI's first
@pytest.mark.parametrize("case", FULL_CASES, ids=[case.name for case in FULL_CASES])
def test_full_size_baseline_matches_its_golden_summary(case: golden.GoldenCase) -> None:
    check(case)


def test_every_shipped_scenario_has_a_golden_file() -> None:
    stored = {path.stem for path in golden.GOLDEN.glob("*.json")}
    assert {case.name for case in golden.cases()} == stored
