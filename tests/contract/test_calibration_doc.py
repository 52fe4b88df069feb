"""docs/calibration.md cites a source (or says "assumed") for every field of the scenario."""

import re

from simulation.config.reference import _reference_rows
from simulation.config.scenario import Scenario
from tests.support.scenarios import ROOT


def test_every_scenario_field_has_a_source_row():
    text = (ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
    rows = {match.group(1): match.group(2).strip()
            for match in re.finditer(r"^\| `([^`]+)` \| `[^\n]*?` \| ([^\n|]+) \|$", text, re.M)}
    missing = [path for path, *_ in _reference_rows(Scenario, "") if path not in rows]
    assert not missing, f"docs/calibration.md lacks source rows for {missing[:10]}"
    assert all(rows.values()), "a source cell is empty"
