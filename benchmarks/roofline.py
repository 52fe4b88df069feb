"""The memory limit of a step: what the machine's memory can do, and what each phase asks of it.

Part 1 measures the machine (compiled loops, numba, on ``--threads`` cores):

- **copy bandwidth**, STREAM's "copy" (``b[i] = a[i]`` over two 512 MiB arrays, counted
  as STREAM counts it: 16 bytes per element, read and write), best of 5;
- **latency**, a pointer chase: one random cycle through a 512 MiB table (Sattolo's
  algorithm), each load's address the previous load's value: ns per dependent access;
- **random-access rate**, the same table read at independent random positions (16
  chases interleaved per thread): what scattered gathers can reach, cache lines per second.

Part 2 runs the baseline at ``--viewers`` for ``--warm-up`` steps, then times each phase
of ``--steps`` steps (the split of ``EngagementModel.step``) and counts, per impression:

- **bytes streamed**: the per-step arrays each phase reads and writes, measured as the
  ``nbytes`` of every array of a step's size (active viewers or impressions) passed into
  or returned by the phase's functions (the candidate stage draws in registers and
  writes only what it admits). A phase's temporaries are not counted, so this is a
  lower bound of its traffic;
- **random cache lines**: reads of tables too large for the cache (per viewer, or per
  viewer and creator) at positions known only at run time, counted by rule from the
  code: e.g. the candidate stage reads each active viewer's impression-history row
  (capacity / 8 bytes), interest estimates and follow-table row once; building the
  impressions reads five per-viewer attributes per active viewer and the familiarity and
  follow tables per impression (the rules are in :func:`random_lines` below).

A phase's bound is bytes / copy bandwidth + random lines / random-access rate (both go
through the same memory system, so their times add); the table gives each phase's
measured time against that bound, and the whole step's.

    python benchmarks/roofline.py                                 # 1 000 000 viewers
    python benchmarks/roofline.py --viewers 100000 --steps 4      # quicker

Figures go to ``--out`` (JSON); a Markdown table is printed.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numba
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation.config.loading import load_scenario
from simulation.experiments.runs import peak_memory_mb, reuse_freed_memory
from simulation.io.storage import write_json

BASELINE = ROOT / "scenarios" / "baseline.toml"
LINE = 64
"""Bytes in a cache line."""
TABLE_BYTES = 512 * 2**20
CHAINS = 16
"""Independent chases interleaved per thread for the random-access rate."""


# --- part 1: the machine -------------------------------------------------------------

@numba.njit(parallel=True, nogil=True)
def _copy(source, target):  # pragma: no cover
    for i in numba.prange(len(source)):
        target[i] = source[i]


@numba.njit(nogil=True)
def _chase(table, start, steps):  # pragma: no cover
    position = start
    for _ in range(steps):
        position = table[position]
    return position


@numba.njit(parallel=True, nogil=True)
def _chases(table, starts, steps):  # pragma: no cover
    # starts (threads, CHAINS): each thread follows its chains in lock step, so that their
    # loads are independent of one another and can be in flight together.
    ends = np.empty_like(starts)
    for thread in numba.prange(starts.shape[0]):
        positions = starts[thread].copy()
        for _ in range(steps):
            for chain in range(positions.shape[0]):
                positions[chain] = table[positions[chain]]
        ends[thread] = positions
    return ends


def sattolo_cycle(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random permutation that is one cycle through all n positions (next = table[here])."""
    order = rng.permutation(n)
    table = np.empty(n, dtype=np.int64)
    table[order[:-1]] = order[1:]
    table[order[-1]] = order[0]
    return table


def machine(threads: int) -> dict:
    """Copy bandwidth, dependent-access latency and independent random-access rate."""
    numba.set_num_threads(threads)
    n = TABLE_BYTES // 8
    source, target = np.ones(n), np.zeros(n)
    _copy(source[:1000], target[:1000])
    copies = []
    for _ in range(5):
        started = time.perf_counter()
        _copy(source, target)
        copies.append(time.perf_counter() - started)
    del source, target
    table = sattolo_cycle(n, np.random.default_rng(1))
    steps = 4_000_000
    _chase(table, 0, 10)
    started = time.perf_counter()
    _chase(table, 0, steps)
    latency = (time.perf_counter() - started) / steps
    starts = np.random.default_rng(2).integers(0, n, (threads, CHAINS))
    _chases(table, starts, 10)
    chase_steps = 1_000_000
    started = time.perf_counter()
    _chases(table, starts, chase_steps)
    rate = threads * CHAINS * chase_steps / (time.perf_counter() - started)
    return {"threads": threads, "copy_bytes_per_s": 16 * n / min(copies),
            "latency_ns": latency * 1e9, "random_lines_per_s": rate}


# --- part 2: the step's phases -------------------------------------------------------

PHASES = ("sessions and publishing", "candidates", "scores", "selection", "impressions",
          "funnel", "bookkeeping", "tiers", "data collection")


def step_bytes(value, sizes: set[int], seen: set[int] | None = None) -> int:
    """nbytes of the arrays of a step's size (first dimension in ``sizes``) inside ``value``."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return value.nbytes if value.ndim and value.shape[0] in sizes else 0
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(step_bytes(getattr(value, f.name), sizes, seen) for f in dataclasses.fields(value))
    if isinstance(value, (tuple, list)):
        return sum(step_bytes(item, sizes, seen) for item in value)
    if isinstance(value, dict):
        return sum(step_bytes(item, sizes, seen) for item in value.values())
    return 0


class Meter:
    """Wall time and streamed bytes of each phase, from wrapped functions."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.bytes: dict[str, float] = defaultdict(float)
        self.counts: dict[str, float] = defaultdict(float)
        self.sizes: set[int] = set()
        self.on = False

    def wrap(self, owner, name: str, phase: str, count_bytes: bool = True,
             rows_at: int | None = None) -> None:
        """Time ``owner.name`` as part of ``phase``; ``rows_at``: the argument whose length is
        the rows of this call (a block of active viewers), arrays of which count too."""
        function = getattr(owner, name)

        def timed(*args, **kwargs):
            if rows_at is not None and self.on:
                self.sizes.add(len(args[rows_at]))
            started = time.perf_counter()
            result = function(*args, **kwargs)
            if self.on:
                self.seconds[phase] += time.perf_counter() - started
                if phase == "impressions":
                    self.sizes.add(len(result))  # arrays of the step's impressions from here on
                if count_bytes:
                    self.bytes[phase] += step_bytes((args, kwargs, result), self.sizes)
            return result

        setattr(owner, name, timed)


def instrument(meter: Meter) -> None:
    """Wrap the functions a step calls, by phase (module attributes, as they are called)."""
    from simulation import model as model_module
    from simulation.platform import policies, retrieval

    # Feeds are built by blocks of active viewers (FEED_BLOCK): a block's arrays count too.
    meter.wrap(retrieval.CandidatePools, "candidates", "candidates", rows_at=1)
    meter.wrap(policies, "candidate_keys", "scores")
    meter.wrap(policies, "stack_blocks", "selection")
    meter.wrap(policies, "select_within_allowance", "selection")
    meter.wrap(model_module, "impressions_of", "impressions")
    meter.wrap(model_module, "react", "funnel")
    meter.wrap(model_module, "record_reactions", "bookkeeping")
    meter.wrap(model_module, "update_tiers", "tiers", count_bytes=False)
    meter.wrap(model_module.EngagementModel, "collect", "data collection")
    meter.wrap(model_module.EngagementModel, "open_sessions", "sessions and publishing",
               count_bytes=False)
    meter.wrap(model_module.EngagementModel, "_publish", "sessions and publishing",
               count_bytes=False)


def random_lines(model, meter: Meter, active: int, impressions: int, views: int) -> dict[str, float]:
    """Random cache lines of each phase over the timed steps, by rule (see the module's doc)."""
    history_row = max(1, math.ceil(model.history.capacity / 8 / LINE))
    creators_row = max(1, math.ceil(model.creators.size / LINE))  # the follow table's row (bool)
    return {
        # per active viewer (its rounds run one after another in one pass, on the same rows):
        # history row, interest estimate and its unit vector, follow-table row
        "candidates": active * (history_row + 2 + creators_row),
        # per active viewer: segment, intent, propensities, susceptibility, true interests;
        # per impression: familiarity and follow table at (viewer, creator)
        "impressions": 5 * active + 2 * impressions,
        # per impression: exposure bucket, history bit; per view: familiarity, exposures,
        # interest estimate (per active viewer: its row and unit vector)
        "bookkeeping": 2 * impressions + 2 * views + 2 * active,
    }


def run_step_phases(viewers: int, warm_up: int, steps: int, seed: int) -> dict:
    from simulation.core.events import EVENT_INDEX
    from simulation.model import EngagementModel

    meter = Meter()
    instrument(meter)
    scenario = load_scenario(BASELINE, [f"population.size={viewers}", f"steps={warm_up + steps}"])
    reuse_freed_memory()
    model = EngagementModel(scenario, seed=seed)
    for _ in range(warm_up):
        model.step()
    events = model.posts.events().sum(axis=0)
    active = 0
    started = time.perf_counter()
    for _ in range(steps):
        meter.sizes = {int(model.population.size)}  # replaced below once the step's sizes are known
        original = model.open_sessions

        def sessions(original=original):
            opened = original()
            meter.sizes = {len(opened[0])}
            return opened

        model.open_sessions = sessions
        meter.on = True
        model.step()
        meter.on = False
        model.open_sessions = original
        active += int(model.active.sum())
    wall = time.perf_counter() - started
    counted = model.posts.events().sum(axis=0) - events
    impressions = int(counted[EVENT_INDEX["impressions"]])
    views = int(counted[EVENT_INDEX["views"]])
    return {"viewers": viewers, "warm_up": warm_up, "steps": steps, "seconds": wall,
            "impressions": impressions, "views": views, "active": active,
            "phase_seconds": dict(meter.seconds),
            "phase_bytes": dict(meter.bytes),
            "phase_random_lines": random_lines(model, meter, active, impressions, views),
            "peak_memory_mib": peak_memory_mb()}


def roofline(limits: dict, phases: dict) -> list[dict]:
    """Each phase's time per step against its bound; the last row is the whole step."""
    steps, impressions = phases["steps"], phases["impressions"]
    bandwidth, rate = limits["copy_bytes_per_s"], limits["random_lines_per_s"]
    rows = []
    for phase in PHASES:
        seconds = phases["phase_seconds"].get(phase, 0.0) / steps
        streamed = phases["phase_bytes"].get(phase, 0.0) / steps
        lines = phases["phase_random_lines"].get(phase, 0.0) / steps
        bound = streamed / bandwidth + lines / rate
        rows.append({"phase": phase, "seconds": seconds,
                     "bytes_per_impression": streamed * steps / impressions,
                     "random_lines_per_impression": lines * steps / impressions,
                     "bound_seconds": bound, "fraction": bound / seconds if seconds else 0.0})
    total = phases["seconds"] / steps
    bound = sum(row["bound_seconds"] for row in rows)
    rows.append({"phase": "whole step", "seconds": total,
                 "bytes_per_impression": sum(r["bytes_per_impression"] for r in rows),
                 "random_lines_per_impression": sum(r["random_lines_per_impression"] for r in rows),
                 "bound_seconds": bound, "fraction": bound / total})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("--viewers", type=int, default=1_000_000)
    parser.add_argument("--warm-up", type=int, default=6)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "benchmarks" / "roofline.json")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    limits = machine(args.threads)
    single = machine(1)
    print(f"machine ({args.threads} threads): copy {limits['copy_bytes_per_s'] / 1e9:.1f} GB/s, "
          f"latency {limits['latency_ns']:.0f} ns, random access "
          f"{limits['random_lines_per_s'] / 1e6:.0f} M lines/s; one thread: copy "
          f"{single['copy_bytes_per_s'] / 1e9:.1f} GB/s, random "
          f"{single['random_lines_per_s'] / 1e6:.0f} M lines/s", flush=True)
    numba.set_num_threads(args.threads)
    phases = run_step_phases(args.viewers, args.warm_up, args.steps, args.seed)
    rows = roofline(limits, phases)
    per_step = phases["impressions"] / phases["steps"]
    print(f"\n{args.viewers:,} viewers, steps {args.warm_up + 1}-{args.warm_up + args.steps}: "
          f"{per_step:,.0f} impressions a step, {phases['seconds'] / phases['steps']:.2f} s a step\n")
    print("| phase | s / step | bytes / impression | random lines / impression | bound (s / step) "
          "| share of the limit reached |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['phase']} | {row['seconds']:.3f} | {row['bytes_per_impression']:,.0f} | "
              f"{row['random_lines_per_impression']:.2f} | {row['bound_seconds']:.4f} | "
              f"{100 * row['fraction']:.1f}% |")
    load_end = os.getloadavg()[0]
    print(f"\nload average (1 min): {load:.2f} at the start, {load_end:.2f} at the end")
    write_json(args.out, {"machine": limits, "machine_one_thread": single, "step": phases,
                          "roofline": rows, "load_average": [load, load_end]})
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
