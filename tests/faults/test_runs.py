"""Runs under faults: killed, terminated, run twice at once, out of disk space.

Invariants: a completed result is never lost; a partial one is never taken for a result
(the folder appears complete or not at all, and what a killed run left is removed by the
next run in the same place); running again gives the same files as an uninterrupted run.
"""

from __future__ import annotations

import errno
import os
import random
import signal
import time

import pytest

from simulation.cli import main
from simulation.experiments.runs import run_to_folder
from simulation.io.folders import RUN_FILES, RUN_FORMAT
from simulation.io.storage import claim_output, folder_format
from tests.support.faults import (
    disk_full_after,
    grow_tmpfs,
    kill_group,
    run_folder_contents,
    small_tmpfs,
    start,
    wait_until,
)
from tests.support.scenarios import BASELINE, small_baseline

pytestmark = pytest.mark.faults

RUN = ["run", BASELINE, "--seed", "2", "--viewers", "300", "--steps", "40", "--quiet"]
"""About a second of work after start-up: long enough to be caught in every phase."""


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run of RUN, written in this process."""
    folder = tmp_path_factory.mktemp("reference") / "out"
    scenario = small_baseline("population.size=300", "steps=40")
    run_to_folder(scenario, folder, seed=2, progress=False)
    return run_folder_contents(folder)


def _partial(cwd):
    return [p for p in cwd.iterdir() if p.name.startswith(".out.partial-")]


def _writing(cwd) -> bool:
    """A file is in the partial folder (which may be renamed into place meanwhile)."""
    for folder in _partial(cwd):
        try:
            if any(folder.iterdir()):
                return True
        except FileNotFoundError:
            pass
    return False


def test_kill_9_in_every_phase_never_leaves_a_partial_result(tmp_path, reference):
    """SIGKILL while starting, while simulating and while writing files (at a random moment
    within each phase); each time the folder is absent or complete, and the next run
    removes what the killed one left and writes the same files as an uninterrupted run."""
    rng = random.Random(19)
    phases = {
        "starting": lambda cwd: True,
        "simulating": lambda cwd: bool(_partial(cwd)),
        "writing": _writing,
    }
    for phase, reached in phases.items():
        process = start(*RUN, "--out", "out", cwd=tmp_path)
        if wait_until(lambda reached=reached: reached(tmp_path), process):
            if phase != "writing":  # files are written within milliseconds: kill at once
                time.sleep(rng.uniform(0.0, 0.2))  # a random moment within the phase
            kill_group(process)
        else:
            process.communicate()  # it ended before reaching the phase
        out = tmp_path / "out"
        assert not out.exists() or (folder_format(out) == RUN_FORMAT
                                    and {p.name for p in out.iterdir()} >= set(RUN_FILES)), phase
        if out.exists():  # it finished before the kill: a complete result, kept
            assert run_folder_contents(out) == reference
            break
    again = start(*RUN, "--out", "out", cwd=tmp_path)
    _, err = again.communicate(timeout=300)
    if (tmp_path / "out").exists() and again.returncode == 2:  # completed before a kill
        assert "already holds results" in err
    else:
        assert again.returncode == 0, err
    assert run_folder_contents(tmp_path / "out") == reference
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # leftovers removed


@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_and_sighup_clean_up_like_ctrl_c(tmp_path, signum, status):
    process = start(*RUN, "--out", "out", cwd=tmp_path)
    assert wait_until(lambda: bool(_partial(tmp_path)), process), process.communicate()
    _, err = kill_group(process, signum)
    assert process.returncode == status, err
    assert f"interrupted ({signal.Signals(signum).name})" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # no folder, no partial folder, no lock file


def test_a_second_run_to_the_same_folder_is_refused_while_the_first_writes(tmp_path, capsys,
                                                                           monkeypatch):
    monkeypatch.chdir(tmp_path)
    with claim_output(tmp_path / "out") as building:  # another run, holding the folder
        assert main([*map(str, RUN), "--out", "out"]) == 2
        err = capsys.readouterr().err
        assert f"--out out: another run is writing this folder now (process {os.getpid()})" in err
        (building / "manifest.json").write_text(f'{{"format": "{RUN_FORMAT}"}}')
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # the first run's result, alone


def test_two_processes_at_once_one_writes_the_other_is_refused(tmp_path, reference):
    first = start(*RUN, "--out", "out", cwd=tmp_path)
    assert wait_until(lambda: (tmp_path / ".out.lock").exists(), first)
    second = start(*RUN, "--out", "out", cwd=tmp_path)
    _, err2 = second.communicate(timeout=300)
    _, err1 = first.communicate(timeout=300)
    assert first.returncode == 0, err1
    assert second.returncode == 2 and "Traceback" not in err2
    assert "another run is writing this folder now" in err2 or "already holds results" in err2
    assert run_folder_contents(tmp_path / "out") == reference
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_full_disk_stops_the_run_with_one_message_and_leaves_nothing(tmp_path, capsys,
                                                                       monkeypatch):
    """On a 256 KiB tmpfs when this process may mount one; else ENOSPC from the writer."""
    monkeypatch.chdir(tmp_path)
    with small_tmpfs("256k") as mount:
        if mount is None:  # simulated: every atomic write fails once 256 KiB were written
            monkeypatch.setattr("simulation.io.storage.os.fsync", disk_full_after(256 * 1024))
            mount = tmp_path / "disk"
            mount.mkdir()
        assert main([*map(str, RUN), "--out", str(mount / "out")]) == 2
        err = capsys.readouterr().err
        assert f"--out {mount / 'out'}: cannot write the results (" in err
        assert os.strerror(errno.ENOSPC) in err
        assert "Traceback" not in err and list(mount.iterdir()) == []
        if mount.is_mount():
            grow_tmpfs(mount, "64m")
            assert main([*map(str, RUN), "--out", str(mount / "out")]) == 0
            assert folder_format(mount / "out") == RUN_FORMAT
