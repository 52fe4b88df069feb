"""How a step's cost grows with viewers and with posts: the baseline scenario at several sizes.

Each measurement runs in a fresh process, so that its peak resident memory is its own:
model construction, then ``--steps`` steps (one simulated week by default), timed end
to end (candidates, scoring, funnel, bookkeeping, data collection). The tier budgets of
the baseline are per viewer, so by default they follow the platform (``--tiers scaled``):
every size is the same platform with more people on it; ``--tiers fixed`` keeps the
impressions they come to on the baseline's own 20 000 viewers at every size.

    python benchmarks/scale.py                              # 10k, 100k and 1M viewers, a week each
    python benchmarks/scale.py --sizes 10000 100000 --steps 48
    python benchmarks/scale.py --pool 1 2 4 --pool-viewers 100000   # posts in the pool
    python benchmarks/scale.py --threads 1                  # compiled kernels on one core

Prints a Markdown table and writes every figure to ``--out`` (JSON).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"


def overrides(viewers: int, steps: int, tiers: str, pool: float) -> list[str]:
    """Scenario overrides for one measurement."""
    from simulation.config.loading import load_scenario

    base = load_scenario(BASELINE)
    changes = [f"population.size={viewers}", f"steps={steps}"]
    if tiers == "fixed":
        distribution = base.ranking.distribution
        budgets = distribution.impression_budgets(base.population.size)
        changes += ['ranking.distribution.budget_unit="impressions"',
                    *[f"ranking.distribution.tiers[{k}].budget={budget:.0f}"
                      for k, budget in enumerate(budgets) if budget != float("inf")]]
    if pool != 1:
        changes += [f"creators[{i}].posting_rate={creator.posting_rate * pool}"
                    for i, creator in enumerate(base.creators)]
    return changes


def measure(viewers: int, steps: int, tiers: str, pool: float) -> dict:
    """Build and run one model in this process; returns its figures."""
    from simulation.config.loading import load_scenario
    from simulation.experiments.runs import peak_memory_mb, reuse_freed_memory
    from simulation.kernels.compiler import compiled
    from simulation.measures import summarize
    from simulation.model import EngagementModel

    scenario = load_scenario(BASELINE, overrides(viewers, steps, tiers, pool))
    reuse_freed_memory()
    started = time.perf_counter()
    model = EngagementModel(scenario)
    built = time.perf_counter() - started
    step_seconds = []
    live_posts = []
    for _ in range(steps):
        started = time.perf_counter()
        model.step()
        step_seconds.append(time.perf_counter() - started)
        live_posts.append(model.posts.size - int(model.history.first_live))
    started = time.perf_counter()
    summary = summarize(model)
    summarized = time.perf_counter() - started
    impressions = int(summary["totals"]["impressions"])
    total = sum(step_seconds)
    return {
        "viewers": viewers, "steps": steps, "tiers": tiers, "pool_factor": pool,
        "compiled": compiled(), "threads": _threads(),
        "build_seconds": round(built, 2),
        "step_seconds_mean": total / steps,
        "step_seconds_last_quarter": sum(step_seconds[-max(1, steps // 4):])
        / max(1, steps // 4),
        "run_seconds": round(total, 2),
        "impressions": impressions,
        "impressions_per_second": impressions / total,
        "live_posts_mean": sum(live_posts) / steps,
        "posts": int(model.posts.size),
        "summary_seconds": round(summarized, 2),
        "peak_memory_mib": round(peak_memory_mb(), 1),
    }


def _threads() -> int:
    try:
        import numba

        return int(numba.get_num_threads())
    except ImportError:
        return 1


def run_in_subprocess(viewers: int, steps: int, tiers: str, pool: float,
                      threads: int | None) -> dict:
    env = dict(os.environ)
    if threads:
        env["NUMBA_NUM_THREADS"] = str(threads)
    command = [sys.executable, __file__, "--one", str(viewers), str(steps), tiers, str(pool)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f"measurement at {viewers} viewers failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def fit_exponent(xs: list[float], ys: list[float]) -> float:
    """Slope of log(y) against log(x), least squares."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum(
        (a - mx) ** 2 for a in lx)


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform()}


def table(rows: list[dict]) -> str:
    lines = ["| viewers | tiers | posts x | build (s) | s / step | impressions / s | "
             "live posts | peak memory (MiB) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['viewers']:,} | {r['tiers']} | {r['pool_factor']:g} | "
                     f"{r['build_seconds']:.1f} | {r['step_seconds_mean']:.3f} | "
                     f"{r['impressions_per_second']:,.0f} | {r['live_posts_mean']:,.0f} | "
                     f"{r['peak_memory_mib']:,.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                        help="population sizes (default: 10 000, 100 000 and 1 000 000)")
    parser.add_argument("--steps", type=int, default=168, help="steps per run (default 168)")
    parser.add_argument("--tiers", choices=["scaled", "fixed"], default="scaled",
                        help="tier budgets per viewer as in the file (default) or fixed at the "
                             "baseline's impressions")
    parser.add_argument("--pool", type=float, nargs="*", default=[],
                        help="also run --pool-viewers viewers with posting rates x these factors")
    parser.add_argument("--pool-viewers", type=int, default=100_000)
    parser.add_argument("--threads", type=int, help="numba threads (default: all cores)")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "benchmarks" / "scale.json")
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        viewers, steps, tiers, pool = args.one
        print(json.dumps(measure(int(viewers), int(steps), tiers, float(pool))))
        return 0

    rows = []
    for viewers in args.sizes:
        rows.append(run_in_subprocess(viewers, args.steps, args.tiers, 1.0, args.threads))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    pool_rows = []
    for factor in args.pool:
        pool_rows.append(run_in_subprocess(args.pool_viewers, args.steps, args.tiers, factor,
                                           args.threads))
        print(table(pool_rows[-1:]).splitlines()[-1], flush=True)
    report = {"machine": machine(), "sizes": rows, "pool": pool_rows}
    if len(rows) >= 2:
        report["exponent_viewers"] = fit_exponent([r["viewers"] for r in rows],
                                                  [r["step_seconds_mean"] for r in rows])
    if len(pool_rows) >= 2:
        report["exponent_live_posts"] = fit_exponent([r["live_posts_mean"] for r in pool_rows],
                                                     [r["step_seconds_mean"] for r in pool_rows])
    print()
    print(table(rows + pool_rows))
    for key in ("exponent_viewers", "exponent_live_posts"):
        if key in report:
            print(f"{key.replace('_', ' ')}: {report[key]:.3f} (log-log fit of time per step)")
    from simulation.io.storage import write_json

    write_json(args.out, report)  # atomically
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
