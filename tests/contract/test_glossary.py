"""Every measure of every shipped scenario's summary has a glossary entry: label, unit, kind.

The summaries are the golden ones (``tests/golden``: every shipped scenario at 2 000 viewers
and 12 steps, compared exactly with the current code by ``test_golden.py``), so a new
measure, in a core section or a lever's, fails here until it is named.
"""

from __future__ import annotations

import json

import pytest

from simulation.measures.aggregate import aggregate, flatten
from simulation.measures.glossary import (
    KIND_FORMATS,
    KIND_RANGES,
    NOT_MEASURES,
    UnknownMeasureError,
    describe,
    unknown,
)
from simulation.measures.intervals import OUT_OF_RANGE
from tests.support.golden import cases

CASES = {case.name: case for case in cases()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_summary_measure_is_in_the_glossary(name):
    case = CASES[name]
    assert case.path.is_file(), f"{case.path}: missing; run python -m tests.support.golden"
    paths = list(flatten(json.loads(case.path.read_text())))
    assert unknown(paths) == []
    for path in paths:
        if path in NOT_MEASURES:
            continue
        measure = describe(path)
        assert measure.label and measure.kind in KIND_RANGES and measure.kind in KIND_FORMATS
        assert "{" not in measure.label and "}" not in measure.unit, measure


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_value_lies_in_its_kinds_range(name):
    """A measure filed under a wrong kind would get an interval by the wrong transform."""
    summary = json.loads(CASES[name].path.read_text())
    rows = aggregate([summary, summary])
    assert not [row["measure"] for row in rows if OUT_OF_RANGE in row["method"]]
    for path, value in flatten(summary).items():
        if path not in NOT_MEASURES:
            low, high = describe(path).bounds
            assert low <= value <= high, (path, value)


def test_seed_is_not_a_measure_and_unknown_paths_are_refused():
    with pytest.raises(UnknownMeasureError, match="glossary"):
        describe("seed")
    with pytest.raises(UnknownMeasureError):
        describe("totals.no_such_measure_name")
    assert unknown(["seed", "totals.leads", "nowhere.x"]) == ["nowhere.x"]


def test_labels_units_and_formats_come_from_the_kind():
    rho = describe("brands.ledger_app.likes_leads_spearman")
    assert rho.kind == "correlation" and rho.bounds == (-1, 1) and rho.text(0.25) == "+0.25"
    assert rho.label == "ledger_app: Spearman ρ of likes and leads across its posts"
    leads = describe("brands.glow_skincare.by_style.educational.leads_per_1k_impressions")
    assert leads.kind == "ratio" and leads.label.startswith("glow_skincare, educational posts")
    assert describe("totals.leads").text(12345) == "12,345"
    assert describe("rates.like_rate").text(0.0584) == "5.84%"
    assert describe("rates.engagement_rate_by_views").bounds == (0, 3)


def test_a_levers_measures_are_declared_in_its_module():
    from simulation.levers.base import LEVERS

    promotion = LEVERS["promotion"].measures
    assert "promotion.{creator}.cost_per_lead" in promotion
    assert describe("promotion.glow_skincare.cost_per_lead").kind == "money"
    assert describe("promotion.glow_skincare.paid.leads").label == (
        "glow_skincare, paid impressions: leads")
