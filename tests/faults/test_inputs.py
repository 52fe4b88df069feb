"""Bad input ends with one message and exit status 2, writes nothing and touches nothing.

The cases of issue 19's first four points, run through the command line in this process
(``simulation.cli.main``) from a folder holding a scenario file, a folder of the user's
(``paper/thesis.txt``), files that are not scenarios, and a sweep file.
"""

from __future__ import annotations

import time

import pytest

from simulation.cli import main
from simulation.experiments import memory
from tests.support.faults import tree
from tests.support.scenarios import BASELINE, TINY_SWEEP_HEADER

pytestmark = pytest.mark.faults

SWEEP = TINY_SWEEP_HEADER + "[sweep]\nreplicates = 2\nseed = 3\n"


@pytest.fixture
def place(tmp_path, monkeypatch):
    """A user's folder: a scenario, their own work, non-scenario files, a sweep file."""
    (tmp_path / "s.toml").write_text(BASELINE.read_text())
    (tmp_path / "paper").mkdir()
    (tmp_path / "paper" / "thesis.txt").write_text("precious\n")
    (tmp_path / "latin1.toml").write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    (tmp_path / "binary.toml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "folder.toml").mkdir()
    (tmp_path / "sweep.toml").write_text(SWEEP)
    (tmp_path / "results").mkdir()  # plot and report refuse their --out before reading it
    (tmp_path / "loop.toml").symlink_to(tmp_path / "loop2.toml")
    (tmp_path / "loop2.toml").symlink_to(tmp_path / "loop.toml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


SMALL = ["--viewers", "300", "--steps", "4", "--quiet"]

CASES = {
    "seed below 0": (["run", "s.toml", "--seed", "-1", *SMALL],
                     "--seed: input should be greater than or equal to 0 (got -1)"),
    "seed 2**63": (["run", "s.toml", "--seed", str(2**63), *SMALL],
                   "--seed: input should be less than or equal to 9223372036854775807"),
    "seed 2**70": (["run", "s.toml", "--seed", str(2**70), *SMALL], "--seed: input should be less"),
    "seeds past 2**63": (["run", "s.toml", "--seed", str(2**63 - 1), "--seeds", "2", *SMALL],
                         "--seeds 2 from seed 9223372036854775807: input should be less"),
    "seed below 0 in a file": (["run", "s.toml", "--set", "seed=-1", *SMALL],
                               "seed: input should be greater than or equal to 0 (got -1)"),
    "effects seed below 0": (["effects", "--seed", "-1", "--seeds", "1"], "--seed: input should"),
    "negative ranking weight": (["run", "s.toml", "--set", "ranking.weights.like=-1", *SMALL],
                                "ranking.weights.like: input should be greater than or equal to 0"),
    "not UTF-8 (run)": (["run", "latin1.toml"], "latin1.toml: not UTF-8 text (byte 0xe9"),
    "not UTF-8 (validate)": (["validate", "latin1.toml"], "latin1.toml: not UTF-8 text"),
    "binary file": (["run", "binary.toml"], "binary.toml: not UTF-8 text"),
    "binary sweep file": (["sweep", "binary.toml"], "binary.toml: not UTF-8 text"),
    "a folder as the scenario": (["run", "folder.toml"], "folder.toml: is a folder, not a scenario"),
    "a link loop as the scenario": (["run", "loop.toml"], "loop.toml: a symbolic link that leads"),
    "a device as the scenario": (["validate", "/dev/null"], "/dev/null: not a regular file"),
    "not a scheduler address": (["sweep", "sweep.toml", "--scheduler", "abc", "--out", "x"],
                                "--scheduler abc: cannot connect (missing port number"),
    "--out .": (["run", "s.toml", *SMALL, "--out", "."], "--out .: is the current folder"),
    "--out ..": (["run", "s.toml", *SMALL, "--out", ".."], "--out ..: is the current folder"),
    "--out impossible": (["run", "s.toml", *SMALL, "--out", "/proc/nope/x"],
                         "--out /proc/nope/x: cannot create /proc/nope"),
    "--out under a file": (["run", "s.toml", *SMALL, "--out", "s.toml/x"],
                           "cannot be created: "),
    "--out the scenario file": (["run", "s.toml", *SMALL, "--out", "s.toml"],
                                "--out s.toml: exists and is not a folder"),
    "--out a user's folder": (["run", "s.toml", *SMALL, "--out", "paper"],
                              "--out paper: exists and is not a results folder of engagement-sim"),
    "--seeds --out a user's folder": (["run", "s.toml", *SMALL, "--seeds", "2", "--out", "paper"],
                                      "--out paper: exists and is not a results folder"),
    "effects --out a user's folder": (["effects", "--seeds", "1", "--only", "viral_mismatch",
                                       "--viewers", "300", "--steps", "4", "--out", "paper"],
                                      "--out paper: exists and is not a results folder"),
    "sweep --out a user's folder": (["sweep", "sweep.toml", "--workers", "1", "--out", "paper"],
                                    "--out paper: exists and is not a results folder"),
    "sweep --out .": (["sweep", "sweep.toml", "--workers", "1", "--out", "."],
                      "--out .: is the current folder"),
    "sweep --out a file": (["sweep", "sweep.toml", "--workers", "1", "--out", "s.toml"],
                           "--out s.toml: exists and is not a folder"),
    "sweep --resume a user's folder": (["sweep", "--resume", "paper"],
                                       "--resume paper: not a sweep folder"),
    "report --out a user's file": (["report", "results", "--out", "paper/thesis.txt"],
                                   "--out paper/thesis.txt: exists; nothing was written. Add "
                                   "--overwrite"),
    "report --out a folder": (["report", "results", "--out", "paper"], "--out paper: exists and "
                              "is a folder, not a file"),
    "plot --out a user's folder": (["plot", "results", "--out", "paper"],
                                   "--out paper: holds files; nothing was written"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_exits_2_with_one_message_and_writes_nothing(place, capsys, case):
    argv, expected = CASES[case]
    before = tree(place)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert "Traceback" not in err
    assert tree(place) == before  # nothing written, nothing removed


def test_existing_results_are_replaced_only_with_overwrite(place, capsys):
    assert main(["run", "s.toml", *SMALL, "--out", "r"]) == 0
    first = tree(place / "r")
    assert main(["run", "s.toml", *SMALL, "--seed", "2", "--out", "r"]) == 2
    err = capsys.readouterr().err
    assert "--out r: already holds results (a run folder of engagement-sim)" in err
    assert "--overwrite" in err and tree(place / "r") == first
    assert main(["run", "s.toml", *SMALL, "--seed", "2", "--out", "r", "--overwrite"]) == 0
    assert tree(place / "r") != first
    # A run never replaces a sweep folder, even when asked to.
    assert main(["sweep", "sweep.toml", "--workers", "1", "--quiet", "--out", "sw"]) == 0
    swept = tree(place / "sw")
    capsys.readouterr()
    assert main(["run", "s.toml", *SMALL, "--out", "sw", "--overwrite"]) == 2
    assert "is a sweep folder of engagement-sim, which this command does not replace" in \
        capsys.readouterr().err
    assert tree(place / "sw") == swept
    assert sorted(p.name for p in place.iterdir() if p.name.startswith(".")) == []


def test_other_overrides_go_to_their_own_default_folder(place, capsys):
    assert main(["run", "s.toml", *SMALL]) == 0
    assert main(["run", "s.toml", *SMALL, "--set", "ranking.weights.like=3"]) == 0
    assert main(["run", "s.toml", "--quiet", "--steps", "4", "--set", "population.size=300",
                 "--set", "ranking.weights.like=3.0"]) == 2  # the same scenario: its folder
    err = capsys.readouterr().err
    folders = sorted(p.name for p in (place / "results").iterdir())
    assert len(folders) == 2 and all(name.startswith("s-seed1-set-") for name in folders)
    assert f"results folder results/{folders[1]}: already holds results" in err or \
        f"results folder results/{folders[0]}: already holds results" in err
    assert main(["run", "s.toml", "--quiet", "--steps", "4", "--viewers", "300", "--seeds", "2",
                 "--seed", "5"]) == 0
    assert any(p.name.startswith("s-2seeds-from5-set-") for p in (place / "results").iterdir())


def test_a_platform_too_large_for_the_memory_stops_at_once(place, capsys, monkeypatch):
    """Issue 19 ran --viewers 50000000 under a 6 GB limit: numpy's MemoryError after 9.6 s."""
    monkeypatch.setattr(memory, "available_memory", lambda: (6 * 2**30, "cgroup limit 6.0 GiB"))
    started = time.perf_counter()
    before = tree(place)
    assert main(["run", "s.toml", "--viewers", "50000000", "--quiet"]) == 2
    assert time.perf_counter() - started < 5
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: this run needs about ") and "GiB of memory" in err
    assert "only 6.0 GiB is free (cgroup limit 6.0 GiB)" in err and len(err.splitlines()) == 1
    assert tree(place) == before
    # A sweep checks its largest run, times the runs at once, before it writes anything.
    assert main(["sweep", "sweep.toml", "--workers", "2", "--set", "population.size=50000000",
                 "--out", "big"]) == 2
    assert "the sweep's largest run (2 at once) needs about" in capsys.readouterr().err
    assert tree(place) == before


def test_under_ulimit_v_the_largest_platform_stops_before_allocating(tmp_path):
    """Issue 19's case, for real: --viewers 50000000 in a process limited to ~6 GB."""
    import resource
    import subprocess
    import sys

    from tests.support.scenarios import ROOT

    limit = 6_000_000 * 1024
    result = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "run", str(BASELINE), "--viewers", "50000000",
         "--quiet"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)))
    assert result.returncode == 2, result.stderr[-2000:]
    assert "GiB is free (ulimit -v 5.7 GiB)" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
