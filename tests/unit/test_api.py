"""The Python interface: scenarios from files, names and dicts; overrides; runs; results as
pandas; folders opened the same way."""

import json

import pandas as pd
import pytest
from pydantic import ValidationError

import simulation as sim
from simulation.io.storage import to_jsonable
from simulation.measures.aggregate import COLUMNS, flatten
from tests.support.scenarios import BASELINE, TINY_SWEEP_HEADER

TINY = {"population.size": 400, "steps": 4}


def same(first, second) -> bool:
    """Summaries (or lists of them) equal, NaN included."""
    return json.dumps(to_jsonable(first), sort_keys=True) == json.dumps(to_jsonable(second),
                                                                       sort_keys=True)


def test_importing_the_package_imports_no_model():
    import subprocess
    import sys

    code = ("import sys, simulation; "
            "heavy = [m for m in ('simulation.model', 'mesa', 'pandas', 'scipy') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert "run" in dir(sim) and sim.EngagementModel.__name__ == "EngagementModel"


def test_a_scenario_from_a_name_a_file_or_a_dict():
    by_name, by_file = sim.load("baseline"), sim.load(BASELINE)
    assert by_name == by_file and by_name.name == "baseline"
    assert sim.load("levers/pause").name == sim.load("scenarios/levers/pause.toml").name
    from_dict = sim.load({"name": "mine", "population": {"size": 1234}})
    assert from_dict.population.size == 1234 and from_dict.steps == sim.Scenario().steps
    with pytest.raises(sim.ScenarioError, match=r"population\.size"):
        sim.load({"population": {"size": -1}})
    with pytest.raises(sim.ScenarioError, match="no such file"):
        sim.load("no_such_scenario")
    names = sim.shipped_scenarios()
    assert {"baseline", "levers/pause"} <= set(names["name"])
    assert "sweeps/like_weight_vs_leads" in set(sim.shipped_scenarios("sweep")["name"])


def test_overrides_by_path_are_validated_together():
    base = sim.load("baseline")
    changed = sim.override(base, {"ranking.weights.like": 3, "population.segments[0].share": 0.6,
                                  "population.segments[1].share": 0.3})
    assert changed.ranking.weights.like == 3.0 and changed.population.segments[0].share == 0.6
    assert base.ranking.weights.like == 1.0  # the scenario given is not changed
    assert sim.override(base, ["steps=7"]).steps == 7
    with pytest.raises(sim.ScenarioError, match="segment shares sum to"):
        sim.override(base, {"population.segments[0].share": 0.9})


def test_fields_are_checked_on_assignment_and_sections_before_a_run():
    scenario = sim.load("baseline")
    with pytest.raises(ValidationError, match="greater than or equal to 10"):
        scenario.population.size = -5
    with pytest.raises(ValidationError):
        scenario.ranking.weights.like = "a lot"
    scenario.population.size = 500
    assert scenario.population.size == 500
    scenario.population.segments[0].share = 0.9  # valid alone; the shares no longer sum to 1
    with pytest.raises(sim.ScenarioError, match="segment shares sum to"):
        sim.run(scenario, progress=False)


def test_one_run_gives_dataframes_and_the_summary_both_ways():
    results = sim.run("baseline", TINY, seed=5, progress=False)
    assert results.seeds == [5] and results.model is not None and not results.model.running
    assert results.table_names[:5] == list(sim.api.RUN_TABLES)
    for name in sim.api.RUN_TABLES:
        frame = getattr(results, name)
        assert isinstance(frame, pd.DataFrame) and frame.columns[0] == "seed"
        assert (frame["seed"] == 5).all()
    assert len(results.posts) == results.summary["posts"]
    assert results.steps["likes"].sum() == results.summary["totals"]["likes"]
    tidy = results.summary_table()
    assert list(tidy.columns) == ["seed", "measure", "value"]
    pd.testing.assert_series_equal(tidy.set_index("measure")["value"],
                                   pd.Series(flatten(results.summary)), check_names=False,
                                   check_index_type=False)
    assert results.measure("totals.likes").loc[5] == results.summary["totals"]["likes"]
    assert results.aggregate.set_index("measure").loc["totals.likes", "n"] == 1
    with pytest.raises(KeyError, match="money lever is off"):
        _ = results.money
    model = sim.build_model("baseline", TINY, seed=5)
    model.run_model()
    assert model.steps == 4


def test_several_seeds_in_workers_give_what_one_worker_gives(tmp_path):
    alone = sim.run("baseline", TINY, seeds=[3, 4], workers=1, progress=False)
    pooled = sim.run("baseline", TINY, seeds=[3, 4], workers=2, progress=False)
    assert same(alone.summaries, pooled.summaries)
    for name in ("posts", "creators", "steps", "feed_mix", "reach"):
        pd.testing.assert_frame_equal(alone.table(name), pooled.table(name))
    assert alone.posts["seed"].unique().tolist() == [3, 4]
    with pytest.raises(ValueError, match="summaries"):
        _ = alone.summary
    # Written to a folder and opened again: the same numbers.
    written = sim.run("baseline", TINY, seeds=2, seed=3, workers=1, out=tmp_path / "two",
                      progress=False)
    opened = sim.open_results(tmp_path / "two")
    assert written.seeds == opened.seeds == [3, 4] and same(opened.summaries, alone.summaries)
    pd.testing.assert_frame_equal(opened.posts, alone.posts)
    assert list(opened.aggregate.columns) == list(COLUMNS) == list(alone.aggregate.columns)


def test_one_run_written_and_opened(tmp_path):
    written = sim.run("levers/pause", TINY, out=tmp_path / "one", progress=False)
    opened = sim.open_results(tmp_path / "one")
    assert same(opened.summary, written.summary) and opened.model is None
    pd.testing.assert_frame_equal(opened.creators, written.creators)
    with pytest.raises(sim.ResultsError, match="no such folder"):
        sim.open_results(tmp_path / "nothing")


def test_a_sweep_run_and_opened(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_SWEEP_HEADER + '[sweep]\nmethod = "grid"\nreplicates = 2\nseed = 1\n'
                    '[[sweep.params]]\npath = "ranking.weights.like"\nvalues = [0.0, 2.0]\n')
    swept = sim.sweep(path, tmp_path / "out", workers=1, progress=False)
    opened = sim.open_results(tmp_path / "out")
    assert isinstance(opened, sim.SweepResults) and opened.parameters == ["ranking.weights.like"]
    assert len(swept.runs) == 4 and set(opened.table_names) >= {"runs", "by_point"}
    tidy = opened.summary_table()
    assert {"run_key", "param.ranking.weights.like", "measure", "value"} <= set(tidy.columns)
    likes = tidy[tidy["measure"] == "totals.likes"]
    assert len(likes) == 4
    means = opened.by_point[opened.by_point["measure"] == "totals.likes"]
    assert means["mean"].tolist() == likes.groupby("point")["value"].mean().tolist()
