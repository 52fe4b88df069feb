"""Shared fixtures: small scenarios, a finished small run, and a command-line runner."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulation.config.loading import load_scenario
from simulation.config.scenario import Scenario
from simulation.experiments.runs import RunResult, simulate

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"
SMALL = ["population.size=2000", "steps=36"]
"""Overrides that make the baseline small enough for unit tests (about 2 s a run)."""
SMALL_TIERS = [f"ranking.distribution.tiers[{k}].budget={budget}"
               for k, budget in enumerate((30, 150, 800, 4000, 20000))]
"""The baseline's tier budgets divided by five, for a platform of a few thousand viewers."""


def small_baseline(*overrides: str) -> Scenario:
    """The baseline scenario at 2 000 viewers and 36 steps, with extra overrides."""
    return load_scenario(BASELINE, [*SMALL, *overrides])


@pytest.fixture(scope="session")
def small_scenario() -> Scenario:
    return small_baseline()


@pytest.fixture(scope="session")
def small_run(small_scenario: Scenario) -> RunResult:
    """One finished small run, shared by the tests that only read it."""
    return simulate(small_scenario, seed=11)


def run_cli(*args: str | Path, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python run.py ARGS`` as a user would, from ``cwd``."""
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def cli(tmp_path: Path):
    """Call ``cli(args...)`` to run the command line in a fresh folder."""
    def call(*args: str | Path, timeout: float = 600) -> subprocess.CompletedProcess:
        return run_cli(*args, cwd=tmp_path, timeout=timeout)
    call.cwd = tmp_path
    return call


# --- results folders for the figures and the report ---------------------------------


@pytest.fixture(scope="session")
def run_folder(small_run: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small run written as a results folder, once per session (read-only for tests)."""
    from simulation.experiments.runs import write_run
    from simulation.io.storage import result_folder

    folder = tmp_path_factory.mktemp("results") / "small-run"
    with result_folder(folder) as building:
        write_run(small_run, building)
    return folder


@pytest.fixture(scope="session")
def seeds_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seeds of the small baseline (24 steps) with their aggregate, once per session."""
    from simulation.experiments.runs import run_seeds

    folder = tmp_path_factory.mktemp("results") / "small-2seeds"
    run_seeds(small_baseline("steps=24"), [1, 2], folder, progress=False)
    return folder
# --- sweeps ----------------------------------------------------------------------------

SMALL_PLATFORM = SCENARIOS / "sweeps" / "small_platform.toml"
TINY_SWEEP_HEADER = (f'scenario = "{SMALL_PLATFORM.as_posix()}"\n'
                     'set = { "population.size" = 400, steps = 8 }\n')
"""The start of a test sweep file: the small platform at 400 viewers and 8 steps (~0.2 s a run)."""


@pytest.fixture
def write_sweep(tmp_path: Path):
    """Call ``write_sweep(body)`` to write a sweep file on the tiny platform; returns its path."""
    def write(body: str, name: str = "sweep.toml", header: str = TINY_SWEEP_HEADER) -> Path:
        path = tmp_path / name
        path.write_text(header + body)
        return path
    return write


# --- social proof: a fixed catalog ------------------------------------------------------

SOCIAL_PROOF = SCENARIOS / "social_proof"
MUSICLAB = SOCIAL_PROOF / "musiclab.toml"


def small_catalog(*overrides: str, path: Path = MUSICLAB) -> Scenario:
    """A MusicLab scenario at 400 visitors over 10 steps (40 a step; about 0.05 s a run)."""
    return load_scenario(path, ["population.size=400", "steps=10", *overrides])


# --- purchased engagement: bought likes, detection, promotion (issue 7, part B) ------------

PURCHASE_SMALL = ("population.size=400", "steps=30")
"""Overrides that make the lever platform tiny for unit tests of purchased engagement."""


def purchase_scenario(name: str, *overrides: str) -> Scenario:
    """``scenarios/<name>.toml`` (e.g. ``bought_likes/buying``) on the tiny platform."""
    return load_scenario(SCENARIOS / f"{name}.toml", [*PURCHASE_SMALL, *overrides])


def record_impressions(model) -> list:
    """Keep each step's impressions of ``model`` in the returned list (as the model steps)."""
    shown: list = []
    impressions_of = model.impressions_of

    def recording(feed):
        impressions = impressions_of(feed)
        shown.append(impressions)
        return impressions

    model.impressions_of = recording
    return shown
