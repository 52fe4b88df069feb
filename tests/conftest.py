"""Shared fixtures: a small scenario and run, results folders, the command line, sweep files.

Helpers that tests import live in ``tests/support``; this file holds only fixtures.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from simulation.config.scenario import Scenario
from simulation.experiments.runs import RunResult, run_seeds, simulate, write_run
from simulation.io.storage import result_folder
from tests.support.scenarios import TINY_SWEEP_HEADER, call_cli, small_baseline

# Tests interrupt the command line with Ctrl-C (SIGINT), SIGTERM and SIGHUP and expect it
# to stop. A test session started in the background (a script's `cmd &` ignores SIGINT,
# `nohup` SIGHUP) passes an ignored signal on to every process it starts: they would finish
# with status 0 instead. Restored here, the children get the dispositions a terminal gives.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
for _ignored in (signal.SIGTERM, signal.SIGHUP):
    if signal.getsignal(_ignored) is signal.SIG_IGN:
        signal.signal(_ignored, signal.SIG_DFL)


@pytest.fixture(scope="session")
def small_scenario() -> Scenario:
    return small_baseline()


@pytest.fixture(scope="session")
def small_run(small_scenario: Scenario) -> RunResult:
    """One finished small run, shared by the tests that only read it."""
    return simulate(small_scenario, seed=11)


@pytest.fixture
def cli(tmp_path: Path):
    """Call ``cli(args...)`` to run the command line in a fresh folder (in this process:
    ``tests.support.scenarios.run_cli`` starts a new one)."""
    def call(*args: str | Path):
        return call_cli(*args, cwd=tmp_path)
    call.cwd = tmp_path
    return call


@pytest.fixture(scope="session")
def run_folder(small_run: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small run written as a results folder, once per session (read-only for tests)."""
    folder = tmp_path_factory.mktemp("results") / "small-run"
    with result_folder(folder) as building:
        write_run(small_run, building)
    return folder


@pytest.fixture(scope="session")
def seeds_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seeds of the small baseline (24 steps) with their aggregate, once per session."""
    folder = tmp_path_factory.mktemp("results") / "small-2seeds"
    run_seeds(small_baseline("steps=24"), [1, 2], folder, progress=False)
    return folder


@pytest.fixture
def write_sweep(tmp_path: Path):
    """Call ``write_sweep(body)`` to write a sweep file on the tiny platform; returns its path."""
    def write(body: str, name: str = "sweep.toml", header: str = TINY_SWEEP_HEADER) -> Path:
        path = tmp_path / name
        path.write_text(header + body)
        return path
    return write
