"""Sweeps at core speed: a sweep's wall time against the sum of its runs' times.

Writes a sweep of ``--runs`` small-platform runs (the like-weight grid of
``scenarios/sweeps/like_weight_vs_leads.toml`` at 10 values, ``--runs / 10`` replicates
each), runs it with ``--workers`` local worker processes exactly as ``run.py sweep``
does (``run_sweep``: local Dask cluster, run files written by the workers), and times
``--alone`` of its runs, spread over the plan, one after another in this process on one
core (after one run that loads the kernels), as single runs: half of them just before the
sweep and half just after (the same runs), since a virtual machine's speed drifts over
minutes.

Reported:

- runs per minute of the sweep (wall time from the call to the written results,
  cluster start included);
- the per-run overhead: (sweep wall time x workers - the runs' own times inside the
  workers) / runs, i.e. the time a worker was not running a run (cluster start,
  imports, hand-over between runs, writing the results), per run; and how long the
  sweep took until its first run started and after its last run ended;
- the ratio: sweep wall time / (sum of the runs' single-run times / workers), the sum
  estimated as runs x the mean single-run time of the ``--alone`` runs. 1.0 would be
  perfect; the target is at most 1.15;
- the same ``--alone`` runs split between ``--workers`` plain processes running at the same
  time (no Dask, no driver): how much slower a run is when another shares the machine
  (memory bandwidth, caches, a core's turbo), and the sweep's ratio to those times, which
  is what the sweep's own machinery costs.

    python benchmarks/sweep_speed.py                       # 200 runs on 2 workers, 20 alone
    python benchmarks/sweep_speed.py --runs 40 --alone 6   # a quick look

Figures go to ``--out`` (JSON). Time it on an otherwise idle machine: another process
on the cores inflates the sweep, not the single runs measured one at a time.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation.experiments.executor import RUNS, run_sweep, run_task, task_of
from simulation.experiments.sweeps import load_sweep
from simulation.io.storage import write_json
from simulation.kernels.compiler import share_cores

SMALL_PLATFORM = ROOT / "scenarios" / "sweeps" / "small_platform.toml"
LIKE_WEIGHTS = [0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0]

SWEEP = """description = "Sweep speed: the like weight of the For-You ranking, small platform."
scenario = "{scenario}"

[sweep]
method = "grid"
replicates = {replicates}
seed = 2024

[[sweep.params]]
path = "ranking.weights.like"
values = {values}
"""


def write_sweep_file(folder: Path, runs: int) -> Path:
    """A grid sweep of ``runs`` small-platform runs (10 like weights x runs / 10 replicates)."""
    path = folder / "sweep_speed.toml"
    path.write_text(SWEEP.format(scenario=SMALL_PLATFORM.as_posix(),
                                 replicates=max(1, runs // len(LIKE_WEIGHTS)), values=LIKE_WEIGHTS))
    return path


def run_times(folder: Path) -> list[tuple[float, float]]:
    """Each completed run's own time, as its worker measured it (the run file's metadata),
    and the time its file was written (its modification time, epoch seconds)."""
    import pyarrow.parquet as pq

    return [(float(pq.read_schema(path).metadata[b"wall_seconds"]), path.stat().st_mtime)
            for path in sorted((folder / RUNS).glob("*.parquet"))]


def timing_tasks(sweep, folder: Path, count: int, processes: int) -> list[list]:
    """For each of ``processes``: a run that loads the kernels (in a folder of its own), then
    its share of ``count`` runs spread over the plan (written to ``folder``)."""
    plan = sweep.runs
    chosen = [plan[round(i * (len(plan) - 1) / max(count - 1, 1))] for i in range(count)]
    folders = [folder, *(folder / f"warm{p}" for p in range(processes))]
    for place, sub in itertools.product(folders, ("runs", "failed", "steps")):
        (place / sub).mkdir(parents=True, exist_ok=True)
    return [[task_of(sweep, plan[p], folder / f"warm{p}", False)]
            + [task_of(sweep, run, folder, False) for run in chosen[p::processes]]
            for p in range(processes)]


def timed_runs(tasks: list, base: dict) -> list[float]:
    """Here, on one core: the first task (it loads the kernels), then the others one at a
    time, each timed (seconds)."""
    share_cores(os.cpu_count() or 1)  # one thread for the kernels, as one of the workers
    warm, *tasks = tasks
    run_task(warm, base)
    seconds = []
    for task in tasks:
        started = time.perf_counter()
        status = run_task(task, base)
        seconds.append(time.perf_counter() - started)
        if status.status != "done":
            raise RuntimeError(f"run {task.key} failed: {status.error}")
    return seconds


def single_runs(sweep, folder: Path, count: int) -> list[float]:
    """``count`` runs of the plan, spread over it, one at a time in this process on one core."""
    base = sweep.base.model_dump(mode="json", exclude_none=True)
    return timed_runs(timing_tasks(sweep, folder, count, 1)[0], base)


def concurrent_runs(sweep, folder: Path, count: int, workers: int) -> list[float]:
    """``count`` runs of the plan split between ``workers`` plain processes that run at the
    same time (no Dask, no driver loop): what the machine gives runs that share its cores."""
    import multiprocessing

    base = sweep.base.model_dump(mode="json", exclude_none=True)
    shares = timing_tasks(sweep, folder, count, workers)
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        timed = pool.starmap(timed_runs, [(share, base) for share in shares])
        pool.close()
        pool.join()  # let the workers exit on their own, releasing what they hold
    return [seconds for times in timed for seconds in times]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("--runs", type=int, default=200, help="runs of the sweep (a multiple of 10)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--alone", type=int, default=20, help="runs timed alone, one at a time")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "benchmarks" / "sweep_speed.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sweep-speed-") as scratch:
        scratch = Path(scratch)
        sweep = load_sweep(write_sweep_file(scratch, args.runs))
        runs = len(sweep.runs)
        print(f"{runs} runs of the small platform on {args.workers} workers; load average "
              f"{os.getloadavg()[0]:.2f}", flush=True)
        load_before = os.getloadavg()
        # Half the single runs before the sweep and half after (the same runs): a virtual
        # machine's speed drifts over minutes, and the ratio's denominator should not.
        alone_before = single_runs(sweep, scratch / "alone-before", args.alone // 2)
        started, started_epoch = time.perf_counter(), time.time()
        outcome = run_sweep(sweep, scratch / "sweep", workers=args.workers, progress=False)
        wall = time.perf_counter() - started
        times = run_times(scratch / "sweep")
        inside = [seconds for seconds, _ in times]
        # Until the first run started (cluster, imports), and after the last one ended
        # (the cluster closed, sweep.parquet and the manifest written).
        first_start = min(written - seconds for seconds, written in times) - started_epoch
        after_last = started_epoch + wall - max(written for _, written in times)
        sizes = [path.stat().st_size for path in (scratch / "sweep" / RUNS).glob("*.parquet")]
        if outcome.done != runs:
            raise RuntimeError(f"{runs - outcome.done} runs did not complete")
        load_sweep_end = os.getloadavg()
        alone_after = single_runs(sweep, scratch / "alone-after", args.alone - args.alone // 2)
        alone = alone_before + alone_after
        together = concurrent_runs(sweep, scratch / "together", args.alone, args.workers)
    single = statistics.mean(alone)
    shared = statistics.mean(together)
    report = {
        "runs": runs, "workers": args.workers, "sweep_seconds": wall,
        "runs_per_minute": 60 * runs / wall,
        "run_seconds_in_workers": {"sum": sum(inside), "mean": statistics.mean(inside)},
        "overhead_seconds_per_run": (wall * args.workers - sum(inside)) / runs,
        "seconds_before_first_run": first_start, "seconds_after_last_run": after_last,
        "single_run_seconds": {"mean": single, "sd": statistics.stdev(alone) if len(alone) > 1
                               else 0.0, "n": len(alone), "each": alone,
                               "mean_before_sweep": statistics.mean(alone_before) if alone_before
                               else None, "mean_after_sweep": statistics.mean(alone_after)},
        "ratio": wall / (runs * single / args.workers),
        "concurrent_run_seconds": {"mean": shared, "n": len(together), "each": together},
        "ratio_to_concurrent_runs": wall / (runs * shared / args.workers),
        "slowdown_of_sharing_the_cores": shared / single,
        "run_file_bytes_mean": statistics.mean(sizes),
        "load_average": {"before": load_before, "after_sweep": load_sweep_end,
                         "end": os.getloadavg()},
    }
    print(f"sweep: {wall:.1f} s, {report['runs_per_minute']:.1f} runs per minute; runs inside the "
          f"workers {statistics.mean(inside):.2f} s each; overhead "
          f"{report['overhead_seconds_per_run']:.3f} s per run ({first_start:.1f} s before the first "
          f"run started, {after_last:.1f} s after the last one ended)")
    drift = (f"{statistics.mean(alone_before):.2f} s before the sweep, " if alone_before else "")
    print(f"single runs: {single:.2f} ± {report['single_run_seconds']['sd']:.2f} s (n = {len(alone)}; "
          f"{drift}{statistics.mean(alone_after):.2f} s after); "
          f"ratio {report['ratio']:.3f} (target <= 1.15); run files {report['run_file_bytes_mean']:,.0f} B")
    print(f"the same runs {args.workers} at a time in plain processes: {shared:.2f} s each "
          f"({shared / single:.2f}x alone); the sweep's ratio to them "
          f"{report['ratio_to_concurrent_runs']:.3f}")
    print(f"load average (1 min): {load_before[0]:.2f} before, {load_sweep_end[0]:.2f} after the "
          f"sweep, {report['load_average']['end'][0]:.2f} at the end")
    write_json(args.out, report)
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
