"""Will a run fit in memory? An estimate from the scenario's sizes, checked before building.

The largest platform the schema allows (50 million viewers) needs far more memory than
most machines have; without a check it runs for seconds and dies with a MemoryError
traceback, or is killed by the kernel. :func:`check_memory` compares the estimate of
:func:`estimate_memory` with the memory this process can still get
(:func:`available_memory`: ``MemAvailable``, a cgroup's limit, ``ulimit -v``) and stops
with both numbers before anything is allocated.

The estimate is the sum of

- what is already resident (the interpreter and the libraries, measured);
- the state's arrays per viewer, from their shapes: interests and the platform's
  estimates (4 x T float32), familiarity, exposure counts and follows per creator
  (float32, uint8, bool: 6 bytes x C), friends (int64 x mean degree), the ring of
  impressions seen (one bit per live post), and a Mesa agent per viewer on platforms
  small enough to create them eagerly;
- the post store's columns per post (counters by event x segment x tier, reach counters
  by bin x segment, attributes), times the capacity the store doubles up to for the
  posts the run publishes, and half again while it grows;
- a step's temporaries: :data:`STEP_BYTES` and :data:`BYTES_PER_IMPRESSION` per
  impression of a step.

The temporaries' constants and :data:`BYTES_PER_AGENT` were measured, and the estimate's
error checked against the peak resident memory of runs it was not fitted on
(``docs/robustness.md``, "Memory").
"""

from __future__ import annotations

import math
import os
import resource
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulation.config.loading import ScenarioError
from simulation.config.scenario import Scenario
from simulation.state.posts import PostStore

BYTES_PER_IMPRESSION = 360
"""A step's temporaries per impression of the step (the impressions' attributes, candidate
and score matrices, the funnel's draws, the bookkeeping's gathers): the slope of a least-
squares line through peak resident memory less the state's arrays, against impressions per
step, of baseline runs at 20 000 to 300 000 viewers (docs/robustness.md, "Memory")."""

STEP_BYTES = 57_000_000
"""A step's temporaries that do not grow with the platform: the intercept of that line."""

BYTES_PER_AGENT = 500
"""A Mesa viewer agent created eagerly (``population.eager_agents_up_to``): measured, 496 bytes
(peak of 100 000 viewers with and without eager agents)."""

GIB = 2**30


class InsufficientMemoryError(ScenarioError):
    """A run that will not fit in the memory this process can get (exit status 2)."""


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a run needs at its peak, by part."""

    resident: int
    """Already in use by this process (interpreter, libraries)."""
    viewers: int
    """The state's per-viewer arrays (and Mesa agents)."""
    posts: int
    """The post store, at its largest capacity, while it grows."""
    step: int
    """A step's temporaries."""

    @property
    def run(self) -> int:
        """What the run adds to the process: everything but what is already resident."""
        return self.viewers + self.posts + self.step

    @property
    def total(self) -> int:
        return self.resident + self.run


def _resident_bytes() -> int:
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # not Linux: the peak so far, in kB (bytes on macOS)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if os.uname().sysname == "Darwin" else peak * 1024


def impressions_per_step(scenario: Scenario) -> float:
    """Expected impressions in one step: viewers x sessions per step x posts per session."""
    population = scenario.population
    per_viewer = sum(segment.share * segment.activity.mean * segment.session_length.mean
                     for segment in population.segments)
    return population.size * per_viewer * scenario.step_hours / 24.0


def _ring_capacity(initial: int, live: float) -> int:
    """The impression history's ring after growing to hold ``live`` posts (state/history.py)."""
    capacity = -(-initial // 8) * 8
    while capacity < live:
        grown = max(math.ceil(live), capacity * 3 // 2)
        capacity = -(-(grown + grown // 8) // 8) * 8
    return capacity


def estimate_memory(scenario: Scenario, resident: int | None = None) -> MemoryEstimate:
    """The peak memory of a run of ``scenario`` in this process, by part (see the module)."""
    viewers = scenario.population.size
    topics = len(scenario.topics)
    creators = sum(creator.count for creator in scenario.creators)
    posts_per_hour = sum(c.count * c.posting_rate for c in scenario.creators) / 24.0
    hours = scenario.backlog_hours + scenario.steps * scenario.step_hours
    max_age = scenario.ranking.max_age_hours

    # Per viewer: the arrays of state/ (population, estimates, familiarity, follows, graph).
    per_viewer = (4 * 4 * topics + 4 * 4 + 4 * 5 + 3 + 6 * creators
                  + 8 * (scenario.network.mean_degree + 1))
    if viewers <= scenario.population.eager_agents_up_to:
        per_viewer += BYTES_PER_AGENT
    initial_ring = int(1.2 * posts_per_hour * (max_age + scenario.step_hours) + 256)
    ring = _ring_capacity(initial_ring, posts_per_hour * min(max_age + scenario.step_hours, hours))
    grown = ring != -(-initial_ring // 8) * 8
    history = viewers * ring / 8 * (1.0 + (2 / 3 if grown else 0.0))  # old and new while growing

    # Per post: the store's columns, at the capacity it doubles to (1.5x while growing).
    store = PostStore(topics, len(scenario.population.segments),
                      len(scenario.ranking.distribution.tiers), len(scenario.metrics.reach_bins),
                      capacity=1)
    per_post = sum(int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
                   for shape, dtype, _ in store._columns.values())
    posts = posts_per_hour * hours
    capacity = 1024 * 2 ** max(0, math.ceil(math.log2(max(posts, 1) / 1024)))
    post_bytes = per_post * capacity * (1.5 if capacity > 1024 else 1.0)

    step = STEP_BYTES + BYTES_PER_IMPRESSION * impressions_per_step(scenario)
    return MemoryEstimate(resident=_resident_bytes() if resident is None else resident,
                          viewers=int(viewers * per_viewer + history), posts=int(post_bytes),
                          step=int(step))


def _read_number(path: Path) -> int | None:
    try:
        text = Path(path).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _cgroup_free(root: Path = Path("/sys/fs/cgroup")) -> tuple[int, str] | None:
    """The memory left under this process's cgroup limit (v2 or v1), or None without a limit.

    Usage counts the page cache; the inactive part of it can be reclaimed, so it is left
    out, as container runtimes do.
    """
    for limit_file, usage_file, stat_file, inactive in (
            ("memory.max", "memory.current", "memory.stat", "inactive_file"),
            ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes", "memory/memory.stat",
             "total_inactive_file")):
        limit, usage = _read_number(root / limit_file), _read_number(root / usage_file)
        if limit is None or usage is None or limit >= 2**60:
            continue
        reclaimable = 0
        try:
            for line in (root / stat_file).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == inactive and value.strip().isdigit():
                    reclaimable = int(value)
        except OSError:
            pass
        return max(0, limit - usage + reclaimable), f"cgroup limit {limit / GIB:.1f} GiB"
    return None


def available_memory() -> tuple[int | None, str]:
    """Bytes this process can still allocate, and where the bound comes from.

    The least of: ``MemAvailable`` of ``/proc/meminfo``, what a cgroup's memory limit
    leaves, and what ``ulimit -v`` (RLIMIT_AS) leaves of this process's address space.
    None when none of them is known (not Linux).
    """
    bounds: list[tuple[int, str]] = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                bounds.append((int(line.split()[1]) * 1024, "available memory (MemAvailable)"))
    except (OSError, ValueError, IndexError):
        pass
    if (cgroup := _cgroup_free()) is not None:
        bounds.append(cgroup)
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        try:
            size = int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            size = 0
        bounds.append((max(0, soft - size), f"ulimit -v {soft / GIB:.1f} GiB"))
    if not bounds:
        return None, "unknown"
    return min(bounds)


def check_memory(scenario: Scenario, processes: int = 1, what: str = "this run") -> MemoryEstimate:
    """Raise :class:`InsufficientMemoryError` if ``processes`` runs of ``scenario`` at once (each in
    a fresh process, or this one) would not fit in the memory available now; else return
    the estimate. Nothing is allocated."""
    estimate = estimate_memory(scenario)
    need = estimate.run if processes == 1 else processes * estimate.total
    free, source = available_memory()
    if free is None or need <= free:
        return estimate
    times = f"{processes} runs at once x " if processes > 1 else ""
    each = estimate.total if processes > 1 else estimate.run
    raise InsufficientMemoryError(
        f"error: {what} needs about {need / GIB:.1f} GiB of memory ({times}{each / GIB:.2f} GiB: "
        f"{scenario.population.size:,} viewers, {estimate.viewers / GIB:.2f} GiB of viewer state, "
        f"{estimate.posts / GIB:.2f} GiB of posts, {estimate.step / GIB:.2f} GiB a step), and "
        f"only {free / GIB:.1f} GiB is free ({source}). Nothing was run. Use fewer viewers "
        "(--viewers, population.size), fewer workers, or a machine with more memory.")
