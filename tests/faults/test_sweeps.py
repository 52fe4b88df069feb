"""Sweeps under faults: killed drivers, signals, damaged run files, a full disk, no workers.

Invariants: a completed run is never lost or recomputed; a damaged or partial file is never
taken for a completed run (it is computed again, and the session says so); every session
is recorded in manifest.json; resuming gives a sweep.parquet byte-identical to that of an
uninterrupted sweep.
"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simulation.cli import main
from simulation.experiments import executor
from simulation.experiments.executor import (
    MANIFEST,
    RUNS,
    TABLE,
    SweepInterrupted,
    SweepStalledError,
    completed_keys,
    run_file_problem,
    run_row,
    run_sweep,
    task_of,
)
from simulation.experiments.sweeps import load_sweep
from tests.support.faults import disk_full_after, grow_tmpfs, kill_group, small_tmpfs, start, wait_until
from tests.support.scenarios import TINY_SWEEP_HEADER

pytestmark = pytest.mark.faults

SWEEP = TINY_SWEEP_HEADER + """\
[sweep]
replicates = 3
seed = 41
[[sweep.params]]
path = "ranking.weights.like"
values = [0.0, 4.0]
"""
"""2 points x 3 replicates = 6 tiny runs."""


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The sweep file and the folder of its uninterrupted sweep (read only)."""
    place = tmp_path_factory.mktemp("reference")
    path = place / "sweep.toml"
    path.write_text(SWEEP)
    run_sweep(load_sweep(path), place / "out", workers=1, progress=False)
    return path, place / "out"


def _same_table(folder, reference):
    assert (folder / TABLE).read_bytes() == (reference[1] / TABLE).read_bytes()


def _sessions(folder):
    return json.loads((folder / MANIFEST).read_text())["sessions"]


def test_kill_9_of_the_driver_at_random_moments_then_resume(tmp_path, reference):
    """SIGKILL before any run, after a random number of runs, and right when the last run
    file appears (while sweep.parquet is assembled); resume gives the same table."""
    rng = random.Random(19)
    folder = tmp_path / "out"
    some = rng.randint(1, 4)
    moments = [lambda: (folder / "sweep.json").exists(),
               lambda: len(completed_keys(folder)) >= some,
               lambda: len(completed_keys(folder)) >= 6]
    for reached in moments:
        process = start("sweep", reference[0], "--workers", "1", "--quiet", "--out", folder,
                        cwd=tmp_path)
        if wait_until(reached, process):
            kill_group(process)
        else:
            process.communicate()
        stamps = {p.name: p.stat().st_mtime_ns for p in (folder / RUNS).glob("*.parquet")}
        for name in stamps:  # every run file present is complete
            assert run_file_problem(folder / RUNS / name, _task(reference[0], folder, name)) is None
        if len(stamps) == 6:
            break
    outcome = run_sweep(load_sweep(reference[0]), folder, workers=1, progress=False)
    assert outcome.done == 6 and outcome.ran == 6 - len(stamps)
    assert {p.name: p.stat().st_mtime_ns for p in (folder / RUNS).glob("*.parquet")
            if p.name in stamps} == stamps  # completed runs were not recomputed
    _same_table(folder, reference)
    assert not list(folder.rglob("*.tmp"))


def _task(path, folder, name):
    sweep = load_sweep(path)
    run = next(run for run in sweep.runs if f"{run.key}.parquet" == name)
    return task_of(sweep, run, folder, False)


def test_sigterm_stops_the_sweep_records_the_session_and_resume_finishes_it(tmp_path,
                                                                           reference):
    folder = tmp_path / "out"
    process = start("sweep", reference[0], "--workers", "1", "--out", folder, cwd=tmp_path)
    assert wait_until(lambda: len(completed_keys(folder)) >= 2, process), process.communicate()
    _, err = kill_group(process, signal.SIGTERM)
    assert process.returncode == 143, err
    assert "interrupted (SIGTERM)" in err and "Resume with: python run.py sweep --resume" in err
    assert "Traceback" not in err and not (folder / TABLE).exists()
    session = _sessions(folder)[-1]
    assert session["stopped"] == "SIGTERM" and session["ran"] >= 1  # a file may precede its status
    assert run_sweep(load_sweep(reference[0]), folder, workers=1, progress=False).done == 6
    assert [s["stopped"] for s in _sessions(folder)] == ["SIGTERM", None]
    _same_table(folder, reference)


def test_damaged_run_files_are_computed_again_and_the_session_says_so(tmp_path, reference):
    folder = tmp_path / "out"
    shutil.copytree(reference[1], folder)
    (folder / TABLE).unlink()
    runs = folder / RUNS
    truncated = runs / "p0000-r01.parquet"
    truncated.write_bytes(truncated.read_bytes()[:-100])
    shutil.copy(runs / "p0000-r00.parquet", runs / "p0001-r00.parquet")  # another run's row
    table = pq.read_table(runs / "p0001-r02.parquet")
    names = table.column("measure_names")[0].as_py()
    table = table.set_column(table.schema.get_field_index("measure_names"), "measure_names",
                             pa.array([names[:-1]], pa.list_(pa.string())))
    pq.write_table(table, runs / "p0001-r02.parquet")  # incomplete: a measure name missing
    (runs / ".p0000-r02.parquet.abcd1234.tmp").write_bytes(b"PAR1")  # a killed writer's
    notes = []
    outcome = run_sweep(load_sweep(reference[0]), folder, workers=1, progress=False,
                        notify=notes.append)
    assert outcome.ran == 3 and outcome.recomputed == ["p0000-r01", "p0001-r00", "p0001-r02"]
    text = "\n".join(notes)
    assert "p0000-r01.parquet was damaged (cannot be read" in text
    assert "p0001-r00.parquet was damaged (run_key is 'p0000-r00', not 'p0001-r00')" in text
    assert "p0001-r02.parquet was damaged (incomplete" in text
    assert _sessions(folder)[-1]["recomputed_damaged"] == outcome.recomputed
    _same_table(folder, reference)
    assert not list(folder.rglob("*.tmp"))


def test_resume_on_the_command_line_says_which_file_was_damaged(tmp_path, reference, capsys):
    """Issue 19: a truncated run file made `sweep --resume` crash with ArrowInvalid."""
    folder = tmp_path / "out"
    shutil.copytree(reference[1], folder)
    damaged = folder / RUNS / "p0001-r01.parquet"
    damaged.write_bytes(damaged.read_bytes()[: len(damaged.read_bytes()) // 2])
    assert main(["sweep", "--resume", str(folder), "--workers", "1", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert f"note: {damaged} was damaged (cannot be read" in captured.err
    assert "this session ran 1 " in captured.out and "Traceback" not in captured.err
    _same_table(folder, reference)


def test_run_files_written_before_the_list_layout_are_still_complete(tmp_path, reference):
    """A wide one-row run file (the layout before this one) is read, not recomputed."""
    folder = tmp_path / "out"
    shutil.copytree(reference[1], folder)
    (folder / TABLE).unlink()
    path = folder / RUNS / "p0000-r00.parquet"
    wide = executor.row_of_run_file(pq.read_table(path))
    pq.write_table(wide, path)
    assert run_file_problem(path, _task(reference[0], folder, path.name)) is None
    assert run_sweep(load_sweep(reference[0]), folder, workers=1, progress=False).ran == 0
    _same_table(folder, reference)


def test_ctrl_c_in_a_run_records_the_interrupted_session(tmp_path, reference, monkeypatch):
    folder = tmp_path / "out"
    calls = []
    simulate = executor.simulate

    def interrupted_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return simulate(*args, **kwargs)

    monkeypatch.setattr(executor, "simulate", interrupted_third)
    with pytest.raises(SweepInterrupted) as caught:
        run_sweep(load_sweep(reference[0]), folder, workers=1, progress=False)
    assert caught.value.exit_status == 130 and caught.value.outcome.done == 2
    manifest = json.loads((folder / MANIFEST).read_text())
    assert (manifest["done"], manifest["pending"]) == (2, 4)
    assert manifest["sessions"][-1]["stopped"] == "Ctrl-C" and not (folder / TABLE).exists()
    monkeypatch.setattr(executor, "simulate", simulate)
    assert run_sweep(load_sweep(reference[0]), folder, workers=1, progress=False).ran == 4
    assert [s["stopped"] for s in _sessions(folder)] == ["Ctrl-C", None]
    _same_table(folder, reference)


def test_a_cluster_without_workers_stops_the_sweep_and_says_how_to_continue(tmp_path,
                                                                            reference):
    from distributed import LocalCluster

    folder = tmp_path / "out"
    with LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as cluster, \
            pytest.raises(SweepStalledError) as caught:
        run_sweep(load_sweep(reference[0]), folder, scheduler=cluster.scheduler_address,
                  progress=False, no_workers_seconds=0.5)
    assert caught.value.exit_status == 3 and caught.value.outcome.pending == 6
    assert _sessions(folder)[-1]["stopped"].startswith("no workers (no Dask worker for ")
    assert run_sweep(load_sweep(reference[0]), folder, workers=1, progress=False).done == 6
    _same_table(folder, reference)


def test_a_full_disk_stops_the_sweep_keeps_its_runs_and_resume_finishes_it(tmp_path, capsys,
                                                                           monkeypatch,
                                                                           reference):
    """On a small tmpfs when this process may mount one; else ENOSPC from the writer."""
    with small_tmpfs("80k") as mount:  # the sweep's record and about three run files
        simulated = mount is None
        if simulated:
            mount = tmp_path / "disk"
            mount.mkdir()
            monkeypatch.setattr("simulation.io.storage.os.fsync", disk_full_after(100 * 1024))
        folder = mount / "out"
        assert main(["sweep", str(reference[0]), "--workers", "1", "--quiet", "--out",
                     str(folder)]) == 2
        err = capsys.readouterr().err
        assert f"error: {folder}: cannot write: {os.strerror(errno.ENOSPC)}" in err
        assert f"resume with: python run.py sweep --resume {folder}" in err
        assert "Traceback" not in err and not list(folder.rglob("*.tmp"))
        kept = completed_keys(folder)
        if simulated:
            monkeypatch.undo()
        else:
            grow_tmpfs(mount, "64m")
        assert 0 < len(kept) < 6
        assert main(["sweep", "--resume", str(folder), "--workers", "1", "--quiet"]) == 0
        assert f"this session ran {6 - len(kept)} " in capsys.readouterr().out
        _same_table(folder, reference)


def test_a_run_file_is_small(tmp_path):
    """Issue 19: a one-row run file was ~710 KB of Parquet schema at the small platform."""
    from simulation.io.folders import RUN_FILE_FORMAT
    from tests.support.scenarios import SMALL_PLATFORM

    path = tmp_path / "sweep.toml"
    path.write_text(f'scenario = "{SMALL_PLATFORM.as_posix()}"\n[sweep]\nseed = 5\n')
    started = time.perf_counter()
    run_sweep(load_sweep(path), tmp_path / "out", workers=1, progress=False)
    run_file = tmp_path / "out" / RUNS / "p0000-r00.parquet"
    assert run_file.stat().st_size <= 50_000, run_file.stat().st_size
    table = pq.read_table(run_file)
    assert table.schema.metadata[b"format"] == RUN_FILE_FORMAT.encode()
    wide = pq.read_table(tmp_path / "out" / TABLE)
    assert wide.num_columns > 1000 and executor.row_of_run_file(table).schema == wide.schema
    assert time.perf_counter() - started < 120


def test_run_row_round_trips_through_its_file(tmp_path, reference):
    sweep = load_sweep(reference[0])
    task = task_of(sweep, sweep.runs[0], tmp_path, False)
    row = run_row(task, "done", measures={"a.b": 1.5, "c": float("nan"), "d": None})
    back = executor.row_of_run_file(executor.run_file_table(row, {"pid": "1"}))
    assert back.schema == row.schema and back.to_pylist()[0]["d"] is None
    assert back.column("c").to_pylist()[0] != back.column("c").to_pylist()[0]  # NaN kept


@pytest.mark.slow
def test_a_worker_killed_while_writing_leaves_no_temporary_file(tmp_path, reference,
                                                                monkeypatch):
    """Issue 19: a stale .tmp stayed in runs/ after a worker died."""
    monkeypatch.setenv(executor.FAULT_VARIABLE, "p0000-r01=exit_writing")
    folder = tmp_path / "out"
    outcome = run_sweep(load_sweep(reference[0]), folder, workers=2, progress=False)
    assert (outcome.done, outcome.failed) == (5, 1)
    assert not list(folder.rglob("*.tmp"))
    assert "worker process died" in json.loads(
        (folder / "failed" / "p0000-r01.json").read_text())["error"]
    monkeypatch.delenv(executor.FAULT_VARIABLE)
    assert run_sweep(load_sweep(reference[0]), folder, workers=1, progress=False).ran == 1
    _same_table(folder, reference)


def test_a_sweep_stopped_before_its_record_starts_again_but_a_users_folder_is_refused(
        tmp_path, reference, capsys):
    started = tmp_path / "started"  # what a session killed before writing sweep.json leaves
    for name in ("runs", "steps", "failed"):
        (started / name).mkdir(parents=True)
    (started / ".lock").touch()
    (started / "scenario.toml").write_text("partial")
    assert run_sweep(load_sweep(reference[0]), started, workers=1, progress=False).done == 6
    _same_table(started, reference)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "scenario.toml").write_text("my own scenario")
    assert main(["sweep", str(reference[0]), "--workers", "1", "--out", str(mine)]) == 2
    assert "exists and is not a results folder" in capsys.readouterr().err
    assert (mine / "scenario.toml").read_text() == "my own scenario"
