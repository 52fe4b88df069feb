"""The schema: defaults are valid, text renderings round-trip, the docs' reference is current."""

import re
import tomllib

import pytest

from simulation.config.reference import render_markdown, render_toml
from simulation.config.scenario import Scenario, check_references
from tests.support.scenarios import ROOT, SCENARIOS


def test_default_scenario_is_valid():
    assert check_references(Scenario()) == []


def test_every_field_has_a_description():
    from simulation.config.base import Section

    sections = Section.__subclasses__()
    assert len(sections) > 20
    for model in sections:
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"


@pytest.mark.parametrize("comments", [True, False])
def test_rendered_toml_validates_back_to_the_same_scenario(comments):
    scenario = Scenario()
    assert Scenario.model_validate(tomllib.loads(render_toml(scenario, comments))) == scenario


def test_shipped_scenarios_are_valid():
    from simulation.config.loading import load_scenario

    # Every scenario file, in every folder but those of sweep and calibration files.
    files = sorted(path for path in SCENARIOS.rglob("*.toml")
                   if not {"sweeps", "calibration"} & set(path.parts))
    assert files, "no scenarios shipped"
    for path in files:
        load_scenario(path)


def test_docs_reference_matches_the_schema():
    page = (ROOT / "docs" / "scenarios.md").read_text()
    match = re.search(r"<!-- reference:start -->\n(.*?)<!-- reference:end -->", page, re.S)
    assert match, "docs/scenarios.md lacks the generated scenario reference"
    assert match.group(1) == render_markdown(), (
        "docs/scenarios.md's reference is stale: run `python run.py defaults --format markdown` "
        "and paste it between the reference markers")


@pytest.mark.parametrize("change, path", [
    (lambda s: s.population.segments[0].__setattr__("share", 0.5), "population.segments"),
    (lambda s: s.population.segments[1].topic_mix.__setitem__("sports", 1.0),
     "population.segments[1].topic_mix.sports"),
    (lambda s: s.creators[0].strategy.__setitem__("vlog", 1.0), "creators[0].strategy.vlog"),
    (lambda s: s.trends[0].__setattr__("topic", "cars"), "trends[0].topic"),
])
def test_cross_references_are_checked(change, path):
    scenario = Scenario()
    change(scenario)
    assert path in [p for p, _ in check_references(scenario)]
