"""Running scenarios: one seed to a results folder, or several seeds with an aggregate.

This is the one place that turns a validated scenario into files, so that the
command line, the tests and the sweep engine all run models the same way.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import multiprocessing
import resource
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from tqdm.auto import tqdm

from simulation.config.loading import load_scenario
from simulation.config.reference import render_toml
from simulation.config.scenario import Scenario
from simulation.experiments.memory import check_memory
from simulation.io.folders import RUN_FORMAT, SEEDS_FORMAT, seed_folder, seed_table
from simulation.io.outputs import creators_table, manifest, posts_table, reach_table, step_tables
from simulation.io.storage import claim_output, write_json, write_parquet, write_text
from simulation.kernels.compiler import share_cores
from simulation.measures import summarize
from simulation.measures.aggregate import COLUMNS, across_seed_rows, aggregate
from simulation.measures.social import across_seed_measures
from simulation.model import EngagementModel


@dataclass
class RunResult:
    """A finished run: the model (for inspection), its summary and its cost."""

    model: EngagementModel
    summary: dict[str, Any]
    wall_seconds: float


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def reuse_freed_memory() -> bool:
    """Ask glibc's allocator to keep freed memory for reuse (Linux); True if it agreed.

    A step allocates hundreds of megabytes of temporaries at a million viewers. By
    default glibc maps each large array afresh and returns it on free, so every step
    pays page faults for memory it just released (a fifth of a step's time, measured in
    docs/performance.md). Keeping freed blocks in the heap makes them reusable;
    peak memory is unchanged, since the same arrays are alive at the peak either way.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    mmap_threshold, trim_threshold = -3, -1  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD
    largest = ctypes.c_int(2**31 - 1)
    return bool(libc.mallopt(mmap_threshold, largest)) and bool(
        libc.mallopt(trim_threshold, largest))


def simulate(scenario: Scenario, seed: int | np.random.SeedSequence | None = None,
             progress: bool = False, label: str = "") -> RunResult:
    """Build the model and run all its steps, with a progress bar if asked.

    ``seed`` is an int (default: the scenario's seed) or a SeedSequence, as a sweep gives
    each run: ``SeedSequence(root, spawn_key=(point, replicate))``.
    """
    started = time.perf_counter()
    check_memory(scenario)  # stop before allocating what cannot fit
    reuse_freed_memory()
    model = EngagementModel(scenario, seed=seed)
    bar = tqdm(total=scenario.steps, desc=label or f"{scenario.name} seed {model.seed_value}",
               unit="step", disable=None if progress else True, leave=False,
               dynamic_ncols=True)
    with bar:
        for _ in range(scenario.steps):
            model.step()
            bar.update()
    return RunResult(model, summarize(model), time.perf_counter() - started)


@dataclass
class RunOutputs:
    """Everything a finished run writes, without its model: small enough to send between
    processes, so that worker processes can run seeds and hand back their results."""

    summary: dict[str, Any]
    tables: dict[str, pa.Table]
    """posts, creators, steps (step x segment), feed_mix, reach, then the levers' tables."""
    scenario_toml: str
    """The fully resolved scenario, runnable as is."""
    manifest: dict[str, Any]


def outputs_of(result: RunResult, command: list[str] | None = None) -> RunOutputs:
    """The files of a finished run, as values."""
    model = result.model
    steps = step_tables(model)
    tables = {"posts": posts_table(model), "creators": creators_table(model),
              "steps": steps["segments"], "feed_mix": steps["feed_mix"],
              "reach": reach_table(model)}
    for lever in model.levers.values():
        tables.update(lever.tables(model.state))
    return RunOutputs(result.summary, tables, render_toml(model.config, comments=False),
                      {"format": RUN_FORMAT,
                       **manifest(model, result.wall_seconds, peak_memory_mb(), command)})


def write_outputs(outputs: RunOutputs, folder: Path, dataset: Path | None = None) -> None:
    """Write a run's files into ``folder`` (which must be new).

    With ``dataset`` (a folder of several seeds), ``folder`` gets the run's record and each
    table goes to its hive-style partition ``dataset/<table>/seed=<n>/`` (``io/folders.py``).
    """
    write_json(folder / "summary.json", outputs.summary)
    for name, table in outputs.tables.items():
        if dataset is None:
            path = folder / f"{name}.parquet"
        else:
            path = seed_table(dataset, name, int(outputs.summary["seed"]))
            path.parent.mkdir(parents=True, exist_ok=True)
        write_parquet(path, table)
    write_text(folder / "scenario.toml", outputs.scenario_toml)
    # Written last: its format marks the folder as a complete run of this program.
    write_json(folder / "manifest.json", outputs.manifest)


def write_run(result: RunResult, folder: Path, command: list[str] | None = None,
              dataset: Path | None = None) -> None:
    """Write every output file of a finished run into ``folder`` (which must be new); with
    ``dataset``, its tables into the partitions of a folder of several seeds."""
    write_outputs(outputs_of(result, command), folder, dataset)


REPLACEABLE = (RUN_FORMAT, SEEDS_FORMAT)
"""What a run may replace when asked to (``--overwrite``): a folder of one run or of seeds."""


def run_to_folder(scenario: Scenario, out: str | Path, seed: int | None = None,
                  progress: bool = True, command: list[str] | None = None,
                  overwrite: bool = False, option: str = "--out") -> RunResult:
    """Run one seed and write its results folder atomically (nothing is left if it fails).

    ``out`` must be new or empty, or a results folder of this program if ``overwrite``
    (:func:`~simulation.io.storage.claim_output`); otherwise OutputError before any work,
    naming ``out`` after ``option``.
    """
    check_memory(scenario)
    with claim_output(out, overwrite, REPLACEABLE, option) as building:
        result = simulate(scenario, seed=seed, progress=progress)
        write_run(result, building, command)
    return result


def default_out(path: str | Path, scenario: Scenario, first_seed: int | None = None,
                count: int | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Path:
    """The results folder of a run when none is given: its name says what was run.

    ``results/<file stem>-seed<N>`` for one seed, ``results/<stem>-<count>seeds`` for
    several (``-from<N>`` when they do not start at the file's seed); with overrides that
    change the scenario, ``-set-<8 hex digits>`` (a digest of the resolved scenario), so
    that a run with other overrides never lands in the folder of the plain one, and the
    same overrides again find their own folder.
    """
    stem = Path(path).stem
    if count:
        name = f"{stem}-{count}seeds"
        if first_seed is not None and first_seed != scenario.seed:
            name += f"-from{first_seed}"
    else:
        name = f"{stem}-seed{scenario.seed if first_seed is None else first_seed}"
    if overrides and scenario != load_scenario(path):
        text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)
        name += f"-set-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
    return Path("results") / name


def seeds_of(scenario: Scenario, first: int | None, count: int) -> list[int]:
    """Consecutive seeds from ``first`` (default: the scenario's seed)."""
    start = scenario.seed if first is None else first
    return [start + index for index in range(count)]


def _outputs_of_seed(job: tuple[Scenario, int, list[str] | None]) -> RunOutputs:
    """Run one seed (in a worker process) and return its outputs."""
    scenario, seed, command = job
    return outputs_of(simulate(scenario, seed=seed), command)


def run_many(scenario: Scenario, seeds: list[int], workers: int = 1, progress: bool = False,
             command: list[str] | None = None) -> Iterator[RunOutputs]:
    """Run each seed, in ``workers`` processes (1: here, one after another); outputs in seed order.

    Seeds are independent runs (each its own SeedSequence), so the outputs do not depend
    on ``workers``. Worker processes give their compiled kernels a share of the cores.
    """
    bar = tqdm(total=len(seeds), desc=f"{scenario.name}: seeds", unit="run",
               disable=None if progress else True, dynamic_ncols=True)
    with bar:
        if workers <= 1 or len(seeds) <= 1:
            for seed in seeds:
                result = simulate(scenario, seed=seed, progress=progress, label=f"seed {seed}")
                yield outputs_of(result, command)
                bar.update()
            return
        jobs = [(scenario, seed, command) for seed in seeds]
        processes = min(workers, len(seeds))
        # Fresh interpreters (spawn), not forks: this process's kernels may have started
        # OpenMP threads, and a forked child of such a process aborts.
        with ProcessPoolExecutor(max_workers=processes, initializer=share_cores,
                                 initargs=(processes,),
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            for outputs in pool.map(_outputs_of_seed, jobs):
                yield outputs
                bar.update()


def run_seeds(scenario: Scenario, seeds: list[int], out: str | Path, progress: bool = True,
              command: list[str] | None = None, workers: int = 1,
              overwrite: bool = False, option: str = "--out") -> list[dict[str, Any]]:
    """Run each seed and write ``out/aggregate.{json,csv}`` beside the runs.

    Each seed's record (summary, manifest, scenario) goes to ``out/seed=<seed>/`` and its
    tables to the hive-style datasets ``out/<table>/seed=<seed>/`` (``io/folders.py``), so
    that ``pandas.read_parquet(out / "posts")`` reads every seed's posts at once.
    ``workers`` processes run the seeds (1: this process, one after another); the files
    are the same whatever their number. The whole folder is built under a temporary name
    and appears only when all seeds are done; ``out`` is claimed as by
    :func:`run_to_folder`, and ``manifest.json`` at its top marks it. Returns the aggregate
    rows (:data:`simulation.measures.aggregate.COLUMNS`).
    """
    summaries = []
    check_memory(scenario)
    with claim_output(out, overwrite, REPLACEABLE, option) as building:
        for seed, outputs in zip(seeds, run_many(scenario, seeds, workers, progress, command),
                                 strict=True):
            run_folder = building / seed_folder(seed)
            run_folder.mkdir()
            write_outputs(outputs, run_folder, dataset=building)
            summaries.append(outputs.summary)
        rows = aggregate(summaries)
        # Measures of the set of runs (replicate worlds), not of one run: one row each.
        across = across_seed_measures(summaries)
        rows += across_seed_rows(across, len(summaries))
        write_json(building / "aggregate.json", {"scenario": scenario.name, "seeds": seeds,
                                                 "measures": rows, "across_seeds": across})
        write_text(building / "aggregate.csv",
                   pd.DataFrame(rows, columns=list(COLUMNS)).to_csv(index=False))
        write_json(building / "manifest.json", {
            "format": SEEDS_FORMAT, "scenario": scenario.name, "seeds": seeds,
            "command": command,
            "files": {"aggregate.json": "every measure across seeds, with its interval",
                      "aggregate.csv": "the same table as CSV",
                      "seed=<n>/": "each seed's record: summary, manifest, scenario",
                      "<table>/seed=<n>/": "each table, a hive-style dataset over seeds"}})
    return rows
