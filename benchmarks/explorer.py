"""How responsive the explorer is: a step of its model, and the redrawing of its charts.

    python benchmarks/explorer.py                      # the baseline at the default size
    python benchmarks/explorer.py viral_mismatch --viewers 20000 --steps 10

Builds the explorer's model as the app does (the scenario's sliders at their defaults),
takes ``--warm-up`` steps, then times ``--steps`` steps and, after each, the drawing of
every chart to PNG as Solara sends it (110 dpi). Prints the medians and the machine's load.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation.viz.explorer import CHARTS, ExplorerModel, explorer_parameters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="baseline")
    parser.add_argument("--viewers", type=int, help="default: the explorer's (at most 5 000)")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warm-up", type=int, default=3)
    args = parser.parse_args()
    values = {name: spec["value"] for name, spec in explorer_parameters(args.scenario).items()}
    if args.viewers:
        values["viewers"] = args.viewers
    started = time.perf_counter()
    model = ExplorerModel(**values)
    built = time.perf_counter() - started
    for _ in range(args.warm_up):
        model.step()
    steps, draws = [], []
    for _ in range(args.steps):
        started = time.perf_counter()
        model.step()
        steps.append(time.perf_counter() - started)
        started = time.perf_counter()
        for draw in CHARTS:
            draw(model).savefig(io.BytesIO(), format="png", dpi=110)
        draws.append(time.perf_counter() - started)
    print(f"{model.config.name}, {model.population.size:,} viewers: model built in {built:.2f} s; "
          f"step {statistics.median(steps):.3f} s, redrawing {len(CHARTS)} charts "
          f"{statistics.median(draws):.3f} s (medians of {args.steps}); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
