"""The benchmarks' own machinery (benchmarks/): small enough to run with the unit tests, so
that a change of the simulator's interfaces cannot leave a benchmark broken unnoticed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load(name: str):
    """A benchmark script as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_pointer_chase_table_is_one_cycle_through_every_position():
    pytest.importorskip("numba")
    roofline = load("roofline")
    table = roofline.sattolo_cycle(1000, np.random.default_rng(4))
    position, visited = 0, set()
    for _ in range(1000):
        visited.add(position)
        position = int(table[position])
    assert position == 0 and len(visited) == 1000


def test_streamed_bytes_count_only_arrays_of_the_step():
    pytest.importorskip("numba")
    roofline = load("roofline")
    step = np.zeros((7, 3), dtype=np.float32)  # 7 rows: the step's size
    state = np.zeros(1000)  # a table of the whole platform: not streamed
    assert roofline.step_bytes((step, {"a": state, "b": [step[:, 0].copy()]}), {7}) == 84 + 28


def test_sweep_speed_sweep_has_the_planned_runs(tmp_path):
    from simulation.experiments.sweeps import load_sweep

    sweep_speed = load("sweep_speed")
    sweep = load_sweep(sweep_speed.write_sweep_file(tmp_path, 40))
    assert len(sweep.runs) == 40
    assert sweep.base.population.size == 2000


def test_hand_written_mesa_model_runs_and_counts_a_funnel():
    idiomatic = load("idiomatic_mesa")
    result = idiomatic.hand_run(300, 3, 2, seed=5)
    counts = result["counts"]
    assert counts["impressions"] > 0
    assert counts["impressions"] >= counts["views"] >= counts["completions"]
    assert counts["views"] >= counts["likes"]
