"""Scenarios, small platforms and helpers shared by the tests (imported, not fixtures)."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from simulation.config.loading import load_scenario
from simulation.config.scenario import Scenario
from simulation.state.posts import PostStore

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"
SMALL = ["population.size=2000", "steps=36"]
"""Overrides that make the baseline small enough for unit tests (about 2 s a run); its tier
budgets are per viewer, so the small platform has the baseline's pools for its size."""


def small_baseline(*overrides: str) -> Scenario:
    """The baseline scenario at 2 000 viewers and 36 steps, with extra overrides."""
    return load_scenario(BASELINE, [*SMALL, *overrides])


def run_cli(*args: str | Path, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python run.py ARGS`` as a user would, from ``cwd``, in a new process."""
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def call_cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    """Run the command line's ``main(ARGS)`` from ``cwd`` in this process, as ``run_cli``
    would (exit status, standard output and error), without a new interpreter's 2-3 s of
    imports. Tests of what only a process shows (signals, the console script, import time)
    use ``run_cli``."""
    from simulation.cli import main

    arguments = [str(arg) for arg in args]
    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(arguments)
            except SystemExit as leaving:  # argparse's usage errors and --help
                status = leaving.code if isinstance(leaving.code, int) else 1
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess(["run.py", *arguments], status, out.getvalue(),
                                       err.getvalue())


def post_store(*levers: type, **columns: list) -> PostStore:
    """A post store with the post columns of ``levers``, holding posts given as columns."""
    extra = {name: column for lever in levers for name, column in lever.post_columns.items()}
    posts = PostStore(n_topics=8, n_segments=3, n_tiers=5, n_reach_bins=2, extra_columns=extra)
    posts.add(**{name: np.asarray(values) for name, values in columns.items()})
    return posts


# --- sweeps ----------------------------------------------------------------------------

SMALL_PLATFORM = SCENARIOS / "sweeps" / "small_platform.toml"
TINY_SWEEP_HEADER = (f'scenario = "{SMALL_PLATFORM.as_posix()}"\n'
                     'set = { "population.size" = 400, steps = 8 }\n')
"""The start of a test sweep file: the small platform at 400 viewers and 8 steps (~0.2 s a run)."""


# --- social proof: a fixed catalog ------------------------------------------------------

SOCIAL_PROOF = SCENARIOS / "social_proof"
MUSICLAB = SOCIAL_PROOF / "musiclab.toml"


def small_catalog(*overrides: str, path: Path = MUSICLAB) -> Scenario:
    """A MusicLab scenario at 400 visitors over 10 steps (40 a step; about 0.05 s a run)."""
    return load_scenario(path, ["population.size=400", "steps=10", *overrides])


# --- purchased engagement: bought likes, detection, promotion ---------------------------

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
