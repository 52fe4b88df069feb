"""Analysing sweeps: intervals that match scipy, sensitivity indices aligned with the design,
and paired arms that beat independent seeds."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation.config.loading import ScenarioError
from simulation.experiments.analysis import analyze, by_point, paired_differences
from simulation.experiments.executor import IDENTITY, PARAMETER_PREFIX, TABLE, prepare_folder, run_sweep
from simulation.experiments.sweeps import load_sweep
from tests.support.scenarios import SMALL_PLATFORM, call_cli


def frame_of(rows: list[dict]) -> pd.DataFrame:
    """A sweep table from (point, arm, replicate, measure...) rows."""
    full = [{"run_key": f"p{r['point']}-{r['arm']}-r{r['replicate']}", "status": "done",
             "error": None, "seed_entropy": "1", "seed_spawn_key": "[]", **r} for r in rows]
    return pd.DataFrame(full)


def test_intervals_match_scipy():
    a, b = [1.0, 2.0, 3.0, 4.0, 6.0], [2.0, 3.5, 4.0, 6.0, 6.5]
    rows = [{"point": 0, "arm": arm, "replicate": r, "param.x": 1.0, "m": value}
            for arm, values in (("ref", a), ("new", b)) for r, value in enumerate(values)]
    frame = frame_of(rows)
    means = by_point(frame, ["m"]).set_index("arm")
    expected = stats.t.interval(0.95, 4, loc=np.mean(a), scale=stats.sem(a))
    assert means.at["ref", "n"] == 5 and means.at["ref", "param.x"] == 1.0
    assert (means.at["ref", "ci_low"], means.at["ref", "ci_high"]) == pytest.approx(expected)
    row = paired_differences(frame, ["m"], "ref", True).iloc[0]
    paired = stats.ttest_rel(b, a).confidence_interval(0.95)
    welch = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert row["difference"] == pytest.approx(np.mean(b) - np.mean(a))
    assert (row["paired_ci_low"], row["paired_ci_high"]) == pytest.approx(tuple(paired))
    assert (row["unpaired_ci_low"], row["unpaired_ci_high"]) == pytest.approx(tuple(welch))
    assert row["correlation"] == pytest.approx(np.corrcoef(a, b)[0, 1])
    assert row["paired_ci_width"] < row["unpaired_ci_width"]  # strongly correlated pairs


def fabricated(folder, sweep, measure):
    """A finished sweep folder whose measure 'y' is measure(values of the run's point)."""
    prepare_folder(sweep, folder, None, None, None)
    rows = []
    for run in sweep.runs:
        point = sweep.design.values[run.point]
        rows.append({"run_key": run.key, "point": run.point, "arm": run.arm,
                     "replicate": run.replicate, "status": "done", "error": None,
                     "seed_entropy": "1", "seed_spawn_key": "[]",
                     **{PARAMETER_PREFIX + k: v for k, v in run.parameters.items()},
                     "y": measure(point), "constant": 1.0})
    assert [name for name, _ in IDENTITY] == list(rows[0])[:8]
    pd.DataFrame(rows).to_parquet(folder / TABLE)


def test_morris_indices_are_computed_on_the_design_as_sampled(write_sweep, tmp_path):
    path = write_sweep("[sweep]\nmethod = 'morris'\nsamples = 6\nseed = 4\n"
                       "[[sweep.params]]\npath = 'ranking.weights.like'\nlow = 0.0\nhigh = 8.0\n"
                       "[[sweep.params]]\npath = 'ranking.temperature'\nlow = 0.01\nhigh = 1.0\n"
                       "scale = 'log'\n")
    folder = tmp_path / "morris"
    fabricated(folder, load_sweep(path), lambda p: 3.0 * p["ranking.weights.like"])
    result = analyze(folder)
    indices = result.sensitivity.set_index(["measure", "parameter", "index"])["value"]
    # An elementary effect is the change in y per unit of the parameter's range: 3 x 8.
    assert indices["y", "ranking.weights.like", "mu_star"] == pytest.approx(24.0)
    assert indices["y", "ranking.weights.like", "sigma"] == pytest.approx(0.0, abs=1e-9)
    assert indices["y", "ranking.temperature", "mu_star"] == pytest.approx(0.0, abs=1e-9)
    assert list(result.skipped["measure"]) == ["constant"]
    written = pd.read_csv(folder / "analysis" / "sensitivity.csv")
    assert set(written.columns) == {"arm", "measure", "parameter", "parameter_2", "index", "value",
                                    "conf"}


def test_sobol_indices_find_the_parameter_that_matters(write_sweep, tmp_path):
    path = write_sweep("[sweep]\nmethod = 'sobol'\nsamples = 256\nseed = 4\nsecond_order = true\n"
                       "[[sweep.params]]\npath = 'ranking.weights.like'\nlow = 0.0\nhigh = 1.0\n"
                       "[[sweep.params]]\npath = 'ranking.weights.share'\nlow = 0.0\nhigh = 1.0\n")
    folder = tmp_path / "sobol"
    fabricated(folder, load_sweep(path),
               lambda p: p["ranking.weights.like"] + 0.1 * p["ranking.weights.share"])
    table = analyze(folder).sensitivity
    indices = table[table["measure"] == "y"].set_index(["parameter", "index"])["value"]
    # Var(x1) : Var(0.1 x2) = 100 : 1, so S1 is about 0.99 and 0.01.
    assert indices["ranking.weights.like", "S1"] == pytest.approx(0.99, abs=0.05)
    assert indices["ranking.weights.share", "ST"] == pytest.approx(0.01, abs=0.02)
    assert "S2" in set(table["index"])


@pytest.mark.slow
@pytest.mark.once  # a statistical check: see pyproject.toml
def test_paired_arms_give_a_narrower_interval_than_independent_seeds(write_sweep, tmp_path):
    # Likes-valuing vs leads-valuing For-You, 8 replicates each, with common random numbers
    # (paired) and with every arm on its own seeds (independent).
    header = (f'scenario = "{SMALL_PLATFORM.as_posix()}"\n'
              'set = { "population.size" = 500, steps = 12 }\n')
    body = """
[sweep]
replicates = 8
seed = 3
paired = PAIRED
[[arms]]
name = "values_likes"
set = { "ranking.weights.like" = 4.0, "ranking.weights.lead" = 0.0 }
[[arms]]
name = "values_leads"
set = { "ranking.weights.like" = 1.0, "ranking.weights.lead" = 500.0 }
"""
    tables = {}
    for paired in ("true", "false"):
        path = write_sweep(body.replace("PAIRED", paired), name=f"{paired}.toml", header=header)
        run_sweep(load_sweep(path), tmp_path / paired, workers=1, progress=False)
        tables[paired] = analyze(tmp_path / paired).paired.set_index("measure")
    # Measures driven by the posts and viewers, which both arms share, gain the most; this one
    # depends on how many educational posts the world has.
    measure = "styles.educational.impressions"
    paired_width = tables["true"].at[measure, "paired_ci_width"]
    independent_width = tables["false"].at[measure, "unpaired_ci_width"]
    same_runs_unpaired = tables["true"].at[measure, "unpaired_ci_width"]
    print(f"\n{measure}: paired {paired_width:.1f}, independent seeds {independent_width:.1f}, "
          f"same runs taken as unpaired {same_runs_unpaired:.1f}")
    assert paired_width < 0.8 * independent_width
    assert paired_width < 0.8 * same_runs_unpaired
    assert tables["true"].at[measure, "correlation"] > 0.5
    assert not tables["false"].at[measure, "common_random_numbers"]


@pytest.mark.slow
def test_analyze_command_writes_tidy_tables(write_sweep, tmp_path):
    path = write_sweep("[sweep]\nmethod = 'morris'\nsamples = 2\nseed = 6\n"
                       "[[sweep.params]]\npath = 'ranking.weights.like'\nlow = 0.0\nhigh = 8.0\n"
                       "[[sweep.params]]\npath = 'ranking.weights.lead'\nlow = 0.0\nhigh = 500.0\n")
    swept = call_cli("sweep", path, "--workers", "1", "--out", "morris", cwd=tmp_path)
    assert swept.returncode == 0, swept.stderr
    result = call_cli("analyze", "morris", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "sensitivity (mu_star, largest first)" in result.stdout
    folder = tmp_path / "morris" / "analysis"
    assert {p.name for p in folder.iterdir()} == {
        "by_point.csv", "by_point.parquet", "sensitivity.csv", "sensitivity.parquet",
        "skipped.csv", "skipped.parquet", "analysis.json"}
    means = pd.read_parquet(folder / "by_point.parquet")
    assert len(means[means["measure"] == "totals.leads"]) == 6  # one row per point
    assert {"param.ranking.weights.like", "n", "mean", "sd", "ci_low", "ci_high"} <= set(means)
    assert json.loads((folder / "analysis.json").read_text())["done"] == 6


def test_analyze_needs_a_finished_sweep(tmp_path):
    with pytest.raises(ScenarioError, match="not a sweep folder"):
        analyze(tmp_path)
    (tmp_path / "sweep.json").write_text("{}")
    with pytest.raises(ScenarioError, match=r"has not finished .* sweep --resume"):
        analyze(tmp_path)
    result = call_cli("analyze", tmp_path, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
