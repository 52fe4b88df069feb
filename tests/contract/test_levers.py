"""The lever contract: every registered lever passes these tests (as every Axelrod strategy
passes its base test). A new lever, added as a module of ``simulation/levers/`` and a
section of ``config/levers.py``, is picked up here with nothing else to list.
"""

from __future__ import annotations

import inspect
from functools import cache

import numpy as np
import pytest

from simulation.config.loading import load_scenario
from simulation.config.reference import render_markdown
from simulation.config.scenario import Scenario
from simulation.core.seeding import STREAMS, stream
from simulation.experiments.runs import simulate
from simulation.levers import LEVERS, Lever
from simulation.levers.base import HOOKS
from simulation.measures.registry import SECTIONS
from simulation.model import EngagementModel
from simulation.state.creators import CreatorTable
from simulation.state.posts import PostStore
from tests.support.golden import shipped_scenarios
from tests.support.scenarios import BASELINE

NAMES = sorted(LEVERS)
SMALL = ["population.size=400", "steps=6"]


@cache
def switched_on_by() -> dict[str, str]:
    """For each lever, the first shipped scenario (sweep files aside) that switches it on."""
    found: dict[str, str] = {}
    for path in shipped_scenarios():
        model = EngagementModel(load_scenario(path, SMALL), seed=1)
        for name in model.levers:
            found.setdefault(name, str(path))
    return found


@cache
def baseline_model() -> EngagementModel:
    model = EngagementModel(load_scenario(BASELINE, SMALL), seed=1)
    for _ in range(3):
        model.step()
    return model


def test_levers_are_registered():
    assert {"cadence", "collaborations", "hashtags", "retargeting", "learning", "bought_likes",
            "detection", "promotion", "money", "catalog", "pause"} <= set(LEVERS)


@pytest.mark.parametrize("name", NAMES)
def test_off_by_default(name: str):
    for scenario in (Scenario(), load_scenario(BASELINE)):
        assert LEVERS[name].build(scenario, CreatorTable.from_scenario(scenario),
                                  np.random.SeedSequence(0)) is None
    assert name not in baseline_model().levers


@pytest.mark.parametrize("name", NAMES)
def test_declares_what_it_is(name: str):
    cls = LEVERS[name]
    assert cls.name == name and isinstance(cls.section, str) and cls.section
    assert cls.stream is None or isinstance(cls.stream, str)
    assert isinstance(cls.post_columns, dict)
    for column, (shape, dtype, _) in cls.post_columns.items():
        assert isinstance(column, str) and isinstance(shape, tuple)
        np.dtype(dtype)
    assert all(isinstance(key, str) for key in (*cls.summary_keys, *cls.brand_keys))


@pytest.mark.parametrize("name", NAMES)
def test_hooks_keep_the_base_signatures(name: str):
    cls = LEVERS[name]
    for hook in HOOKS:
        mine, base = getattr(cls, hook), getattr(Lever, hook)
        if mine is not base:
            assert (list(inspect.signature(mine).parameters)
                    == list(inspect.signature(base).parameters)), hook


@pytest.mark.parametrize("name", NAMES)
def test_its_section_is_in_the_scenario_reference(name: str):
    assert f"`{LEVERS[name].section}." in render_markdown() or \
        f"`{LEVERS[name].section}`" in render_markdown()


@pytest.mark.parametrize("name", NAMES)
def test_a_shipped_scenario_switches_it_on(name: str):
    assert name in switched_on_by(), f"no shipped scenario uses the {name} lever"


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_summary_and_it_writes_its_keys(name: str):
    scenario = load_scenario(switched_on_by()[name], SMALL)
    first, second = simulate(scenario, seed=5), simulate(scenario, seed=5)
    assert first.summary == second.summary or str(first.summary) == str(second.summary)
    cls = LEVERS[name]
    assert set(cls.summary_keys) <= set(first.summary)
    brands = first.summary["brands"].values()
    assert all(set(cls.brand_keys) <= set(brand) for brand in brands)


def test_columns_and_keys_collide_with_no_other():
    base_columns = set(PostStore(8, 3, 5, 2)._columns)
    columns = [column for cls in LEVERS.values() for column in cls.post_columns]
    assert len(columns) == len(set(columns)) and not set(columns) & base_columns
    registered = [key for section in SECTIONS for key in section.keys]
    keys = [key for cls in LEVERS.values() for key in cls.summary_keys] + registered
    assert len(keys) == len(set(keys))
    base_brand = set(next(iter(baseline_summary()["brands"].values())))
    brand_keys = [key for cls in LEVERS.values() for key in cls.brand_keys]
    assert len(brand_keys) == len(set(brand_keys)) and not set(brand_keys) & base_brand
    assert len({cls.section for cls in LEVERS.values()}) == len(LEVERS)


@cache
def baseline_summary() -> dict:
    return simulate(load_scenario(BASELINE, SMALL), seed=1).summary


def test_new_streams_leave_the_others_as_they_were():
    root = np.random.SeedSequence(42)
    named = {cls.stream for cls in LEVERS.values() if cls.stream}
    draws = {name: np.random.default_rng(stream(root, name)).random(4).tobytes()
             for name in {*STREAMS, *named, "a_lever_not_yet_written"}}
    assert len(set(draws.values())) == len(draws)
    children = np.random.SeedSequence(42).spawn(len(STREAMS))
    for index, name in enumerate(STREAMS):
        assert np.random.default_rng(children[index]).random(4).tobytes() == draws[name]
