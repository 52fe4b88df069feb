"""Running sweeps: the same table whatever the workers, resume after a kill, failures recorded."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from simulation.config.loading import ScenarioError
from simulation.experiments.executor import (
    FAULT_VARIABLE,
    MEASURE_NAMES,
    MEASURE_VALUES,
    RUNS,
    TABLE,
    completed_keys,
    prepare_folder,
    row_of_run_file,
    rows_together,
    run_sweep,
)
from simulation.experiments.sweeps import load_sweep
from tests.support.scenarios import ROOT

GRID_WITH_ARMS = """\
[sweep]
replicates = 2
seed = 17
[[sweep.params]]
path = "ranking.weights.like"
values = [0.0, 4.0]
[[arms]]
name = "plain"
[[arms]]
name = "leads"
set = { "ranking.weights.lead" = 300.0 }
"""
"""2 points x 2 arms x 2 replicates = 8 tiny runs."""

LHS_12 = """\
[sweep]
method = "lhs"
samples = 6
replicates = 2
seed = 23
[[sweep.params]]
path = "ranking.weights.like"
low = 0.0
high = 4.0
[[sweep.params]]
path = "ranking.candidates.exploration"
low = 2
high = 12
"""
"""6 points x 2 replicates = 12 tiny runs."""


def table_of(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / TABLE).sort_values("run_key").reset_index(drop=True)


@pytest.fixture(scope="module")
def grid_in_process(tmp_path_factory):
    """The 8-run sweep, run in this process (--workers 1): the reference table."""
    from tests.support.scenarios import TINY_SWEEP_HEADER

    folder = tmp_path_factory.mktemp("grid")
    path = folder / "grid.toml"
    path.write_text(TINY_SWEEP_HEADER + GRID_WITH_ARMS)
    outcome = run_sweep(load_sweep(path), folder / "w1", workers=1, progress=False)
    return path, folder / "w1", outcome


def test_in_process_sweep_writes_one_row_per_run(grid_in_process):
    _, folder, outcome = grid_in_process
    assert (outcome.done, outcome.failed, outcome.ran) == (8, 0, 8)
    table = table_of(folder)
    assert list(table.columns[:8]) == ["run_key", "point", "arm", "replicate", "status", "error",
                                       "seed_entropy", "seed_spawn_key"]
    assert len(table) == 8 and set(table["status"]) == {"done"}
    assert set(table["param.ranking.weights.lead"]) == {0.0, 300.0}
    assert (table["totals.impressions"] > 0).all() and "seed" not in table.columns
    # Replicate r of both arms had the same seed.
    seeds = table.groupby(["point", "replicate"])["seed_spawn_key"].nunique()
    assert (seeds == 1).all()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["runs"] == 8 and manifest["root_entropy"] == "17"
    assert manifest["sessions"][-1]["ran"] == 8
    assert {p.name for p in (folder / RUNS).iterdir()} == {f"{k}.parquet" for k in table["run_key"]}


def test_run_files_assemble_alike_column_by_column_and_row_by_row(grid_in_process):
    # rows_together turns the measures of all runs into columns at once when every run file
    # has the same names; widening each run and concatenating gives the same table.
    _, folder, _ = grid_in_process
    tables = [pq.read_table(path) for path in sorted((folder / RUNS).glob("*.parquet"))]
    # A run file whose third measure is missing (null), beside NaNs the runs have themselves.
    values = tables[0].column(MEASURE_VALUES).combine_chunks().flatten().to_pylist()
    values[2] = None
    tables[0] = tables[0].set_column(
        tables[0].column_names.index(MEASURE_VALUES), MEASURE_VALUES,
        pa.array([values], pa.list_(pa.float64())))
    by_rows = pa.concat_tables([row_of_run_file(table) for table in tables],
                               promote_options="default")
    together = rows_together(tables)
    assert together.schema == by_rows.schema and together.num_columns > 1000
    assert together.to_pandas().equals(by_rows.to_pandas())  # NaN where NaN or null...
    assert all(pc.is_null(a).equals(pc.is_null(b))  # ...and null exactly where null
               for a, b in zip(together.columns, by_rows.columns, strict=True))
    measures = [column for name, column in zip(together.column_names, together.columns,
                                               strict=True) if "." in name
                and not name.startswith("param.")]
    # Runs differ in which measures they have (a brand without educational posts has no
    # by_style.educational): those are null, as is the one value taken out above.
    names = [set(table.column(MEASURE_NAMES).combine_chunks().flatten().to_pylist())
             for table in tables]
    assert set.union(*names) != set.intersection(*names)
    assert sum(column.null_count for column in measures) == 1 + sum(
        len(set.union(*names) - own) for own in names)
    assert any(pc.any(pc.is_nan(column)).as_py() for column in measures)


def test_one_and_two_workers_give_identical_tables(grid_in_process):
    path, folder, _ = grid_in_process
    outcome = run_sweep(load_sweep(path), folder.parent / "w2", workers=2, progress=False)
    assert outcome.workers == 2 and outcome.done == 8
    pd.testing.assert_frame_equal(table_of(folder), table_of(folder.parent / "w2"))


def test_an_existing_dask_cluster_gives_the_same_table(grid_in_process):
    from distributed import LocalCluster

    path, folder, _ = grid_in_process
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=":0") as cluster:
        outcome = run_sweep(load_sweep(path), folder.parent / "scheduler",
                            scheduler=cluster.scheduler_address, progress=False)
    assert outcome.done == 8
    pd.testing.assert_frame_equal(table_of(folder), table_of(folder.parent / "scheduler"))


def test_same_command_again_runs_nothing_and_a_changed_sweep_is_refused(grid_in_process):
    path, folder, _ = grid_in_process
    stamps = {p.name: p.stat().st_mtime_ns for p in (folder / RUNS).iterdir()}
    again = run_sweep(load_sweep(path), folder, workers=1, progress=False)
    assert again.ran == 0 and again.done == 8
    assert stamps == {p.name: p.stat().st_mtime_ns for p in (folder / RUNS).iterdir()}
    changed = path.parent / "changed.toml"
    changed.write_text(path.read_text().replace("replicates = 2", "replicates = 3")
                       .replace("values = [0.0, 4.0]", "values = [0.0, 5.0]"))
    with pytest.raises(ScenarioError) as caught:
        run_sweep(load_sweep(changed), folder, workers=1, progress=False)
    message = str(caught.value)
    assert "holds a different sweep" in message
    assert "spec.sweep.replicates: 2 -> 3" in message
    assert "spec.sweep.params[0].values[1]: 4.0 -> 5.0" in message
    bigger = load_sweep(path, overrides=["population.size=500"])
    with pytest.raises(ScenarioError, match=r"base_scenario.population.size: 400 -> 500"):
        prepare_folder(bigger, folder, None, None, None)


def test_step_tables_on_request(write_sweep, tmp_path):
    path = write_sweep("[sweep]\nreplicates = 2\nseed = 3\n")
    run_sweep(load_sweep(path), tmp_path / "out", workers=1, step_tables=True, progress=False)
    steps = pd.read_parquet(tmp_path / "out" / "steps" / "p0000-r01.parquet")
    assert len(steps) == 8 * 3  # steps x segments
    assert set(steps["run_key"]) == {"p0000-r01"} and steps["impressions"].sum() > 0
    with pytest.raises(ScenarioError, match="was started with --step-tables"):
        run_sweep(load_sweep(path), tmp_path / "out", workers=1, step_tables=False, progress=False)


def test_a_run_that_raises_in_process_is_recorded_and_the_sweep_goes_on(
        write_sweep, tmp_path, monkeypatch):
    monkeypatch.setenv(FAULT_VARIABLE, "p0000-r01=raise")
    path = write_sweep("[sweep]\nreplicates = 3\nseed = 3\n")
    outcome = run_sweep(load_sweep(path), tmp_path / "out", workers=1, progress=False)
    assert (outcome.done, outcome.failed) == (2, 1)
    record = json.loads((tmp_path / "out" / "failed" / "p0000-r01.json").read_text())
    assert record["seed"] == {"entropy": "3", "spawn_key": [0, 1]}
    assert "RuntimeError: fault injected" in record["error"] and "Traceback" in record["traceback"]
    table = table_of(tmp_path / "out")
    assert list(table["status"]) == ["done", "failed", "done"]
    # Resuming retries the failed run only.
    monkeypatch.delenv(FAULT_VARIABLE)
    again = run_sweep(load_sweep(path), tmp_path / "out", workers=1, progress=False)
    assert (again.ran, again.done, again.failed) == (1, 3, 0)
    assert not (tmp_path / "out" / "failed" / "p0000-r01.json").exists()


@pytest.mark.slow
@pytest.mark.once  # tests/faults/test_sweeps.py kills and stops sweeps on every Python
def test_a_run_that_raises_and_one_whose_process_dies_are_recorded_as_failed(
        write_sweep, tmp_path, monkeypatch):
    monkeypatch.setenv(FAULT_VARIABLE, "p0001-r00=raise,p0002-r01=exit")
    path = write_sweep(LHS_12)
    outcome = run_sweep(load_sweep(path), tmp_path / "out", workers=2, progress=False)
    table = table_of(tmp_path / "out")
    failed = table[table["status"] == "failed"].set_index("run_key")["error"]
    assert sorted(failed.index) == ["p0001-r00", "p0002-r01"]
    assert failed["p0001-r00"].startswith("RuntimeError: fault injected")
    assert "worker process died" in failed["p0002-r01"]
    assert (outcome.done, outcome.failed) == (10, 2)
    assert table[table["status"] == "done"]["totals.impressions"].notna().all()
    record = json.loads((tmp_path / "out" / "failed" / "p0002-r01.json").read_text())
    assert record["seed"]["spawn_key"] == [2, 1] and record["parameters"]


def _wait_for_process_group_to_end(group: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(group, signal.SIGKILL)
    raise AssertionError("the sweep's worker processes outlived the driver")


def _start_sweep(*args: str | Path, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "run.py"), "sweep", *map(str, args)],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _wait_for_runs(folder: Path, count: int, process: subprocess.Popen, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while len(completed_keys(folder)) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the sweep made no progress"
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.once  # tests/faults/test_sweeps.py kills and stops sweeps on every Python
def test_killed_driver_resumes_without_recomputing_and_matches_an_uninterrupted_sweep(
        write_sweep, tmp_path):
    path = write_sweep(LHS_12)
    folder = tmp_path / "killed"
    process = _start_sweep(path, "--workers", "2", "--out", folder, "--quiet", cwd=tmp_path)
    _wait_for_runs(folder, 3, process)
    process.kill()  # SIGKILL to the driver only
    process.communicate()
    _wait_for_process_group_to_end(process.pid)  # its workers die with it
    survivors = {p.name: p.stat().st_mtime_ns for p in (folder / RUNS).glob("*.parquet")}
    assert 3 <= len(survivors) < 12, survivors
    assert not (folder / TABLE).exists()

    resumed = subprocess.run([sys.executable, str(ROOT / "run.py"), "sweep", "--resume", folder,
                              "--workers", "2", "--quiet"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["sessions"][-1]["ran"] == 12 - len(survivors)  # only the missing runs
    assert {n: (folder / RUNS / n).stat().st_mtime_ns for n in survivors} == survivors
    assert f"this session ran {12 - len(survivors)} " in resumed.stdout

    reference = run_sweep(load_sweep(path), tmp_path / "reference", workers=1, progress=False)
    assert reference.done == 12
    pd.testing.assert_frame_equal(table_of(folder), table_of(tmp_path / "reference"))


@pytest.mark.slow
@pytest.mark.once  # tests/faults/test_sweeps.py kills and stops sweeps on every Python
def test_ctrl_c_stops_cleanly_and_says_how_to_resume(write_sweep, tmp_path):
    path = write_sweep(LHS_12)
    folder = tmp_path / "stopped"
    process = _start_sweep(path, "--workers", "2", "--out", folder, cwd=tmp_path)
    _wait_for_runs(folder, 2, process)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal does: the driver and its workers
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert f"Resume with: python run.py sweep --resume {folder}" in stderr
    _wait_for_process_group_to_end(process.pid)
    done = len(completed_keys(folder))
    assert 2 <= done < 12
    assert f"interrupted (Ctrl-C): {done} of 12 runs done, 0 failed, {12 - done} pending" in stderr
    assert json.loads((folder / "manifest.json").read_text())["sessions"][-1]["stopped"] == "Ctrl-C"
    assert not (folder / TABLE).exists()
