"""The memory estimate against measured peak memory: the baseline at several sizes.

Each size runs in a fresh process, as ``run`` would (``reuse_freed_memory`` on): it builds
the model, runs ``--steps`` steps and reports its peak resident memory (``ru_maxrss``) and
the estimate of ``simulation/experiments/memory.py`` for the same scenario, with what was
resident before building (the interpreter and the libraries) as the estimate's base.

    python benchmarks/memory.py                                  # 20 000 x 168, 400 000 x 12
    python benchmarks/memory.py --runs 20000x24 100000x24 300000x6

Prints a Markdown table (docs/robustness.md, "Memory") and writes the figures to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
MIB = 2**20

MEASURE = """
import json, resource, sys
from simulation.config.loading import load_scenario
from simulation.experiments.memory import estimate_memory
from simulation.experiments.runs import reuse_freed_memory
from simulation.model import EngagementModel

viewers, steps = int(sys.argv[1]), int(sys.argv[2])
scenario = load_scenario(sys.argv[3], [f"population.size={viewers}", f"steps={steps}"])
estimate = estimate_memory(scenario)
reuse_freed_memory()
model = EngagementModel(scenario, seed=1)
for _ in range(steps):
    model.step()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"viewers": viewers, "steps": steps, "peak": peak, "estimate": estimate.total,
                  "resident": estimate.resident, "state": estimate.viewers,
                  "posts": estimate.posts, "step": estimate.step}))
"""


def measure(viewers: int, steps: int) -> dict:
    """One size in a fresh process: its peak and the estimate."""
    done = subprocess.run([sys.executable, "-c", MEASURE, str(viewers), str(steps), str(BASELINE)],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", nargs="+", default=["20000x168", "400000x12"],
                        metavar="VIEWERSxSTEPS", help="sizes to measure (default 20000x168 400000x12)")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "memory_estimate.json")
    args = parser.parse_args()
    rows = []
    print("| viewers | steps | measured peak (MiB) | estimate (MiB) | error |")
    print("|---|---|---|---|---|")
    for text in args.runs:
        viewers, steps = (int(part) for part in text.lower().split("x"))
        row = measure(viewers, steps)
        row["error"] = row["estimate"] / row["peak"] - 1
        rows.append(row)
        print(f"| {viewers:,} | {steps} | {row['peak'] / MIB:,.1f} | {row['estimate'] / MIB:,.1f} "
              f"| {100 * row['error']:+.1f}% |", flush=True)
    sys.path.insert(0, str(ROOT))
    from simulation.io.storage import write_json

    write_json(args.out, {"runs": rows})
    print(f"figures: {args.out}")


if __name__ == "__main__":
    main()
