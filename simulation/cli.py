"""The command line: ``python run.py COMMAND`` or ``engagement-sim COMMAND``."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from simulation.loading import ScenarioError, load_scenario
from simulation.metrics import render_summary
from simulation.reference import render_markdown, render_toml
from simulation.results import ResultsError
from simulation.runner import run_seeds, run_to_folder, seeds_of
from simulation.scenario import Scenario

PROGRAM = "python run.py"

EPILOG = f"""\
examples:
  {PROGRAM} run scenarios/baseline.toml
  {PROGRAM} run scenarios/baseline.toml --seed 7 --viewers 5000 --steps 48
  {PROGRAM} run scenarios/baseline.toml --set ranking.policy=random --out results/random
  {PROGRAM} run scenarios/viral_mismatch.toml --seeds 10
  {PROGRAM} validate scenarios/*.toml
  {PROGRAM} defaults > my_scenario.toml
  {PROGRAM} plot results/baseline-seed1 --format pdf
  {PROGRAM} report results/baseline-10seeds

Each command has its own --help.
"""

HEADLINE_MEASURES = ("rates.engagement_rate_by_views", "rates.like_rate", "rates.comment_rate",
                     "rates.share_rate", "inequality.views_gini", "inequality.top20_view_share",
                     "totals.likes", "totals.leads", "totals.purchases")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Agent-based engagement simulator of a short-video platform: do likes "
                    "drive business results?",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run", help="run a scenario and write its results folder",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run a scenario file and write a results folder: manifest.json, "
                    "summary.json, posts/creators/steps/feed_mix/reach .parquet, scenario.toml.",
        epilog=f"""\
examples:
  {PROGRAM} run scenarios/baseline.toml
  {PROGRAM} run scenarios/baseline.toml --seed 3 --out results/baseline-3
  {PROGRAM} run scenarios/baseline.toml --viewers 5000 --steps 24 --set ranking.weights.like=3
  {PROGRAM} run scenarios/audience_dilution.toml --seeds 10   # one folder per seed + aggregate
""")
    run.add_argument("scenario", type=Path, help="scenario file (.toml, .yaml or .yml)")
    run.add_argument("--seed", type=int, help="seed (default: the scenario's `seed`)")
    run.add_argument("--seeds", type=int, metavar="N",
                     help="run N consecutive seeds from --seed and write an aggregate table")
    run.add_argument("--steps", type=int, help="number of steps (overrides `steps`)")
    run.add_argument("--viewers", type=int, help="population size (overrides `population.size`)")
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="PATH=VALUE",
                     help="override any field, e.g. --set population.segments[0].share=0.6 "
                          "(values are TOML: numbers, true/false, \"strings\", [lists])")
    run.add_argument("--out", type=Path,
                     help="results folder (default: results/<scenario>-seed<N> or "
                          "results/<scenario>-<N>seeds); replaced when the run completes")
    run.add_argument("--quiet", action="store_true", help="no progress bar and no summary table")
    run.add_argument("--report", action="store_true",
                     help="also write <results folder>/report.html (see `report --help`)")

    validate = commands.add_parser(
        "validate", help="check scenario files without running them",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Check scenario files: unknown keys, wrong types, out-of-range values and "
                    "cross-references. Exit status 0 if all are valid, 2 otherwise.",
        epilog=f"examples:\n  {PROGRAM} validate scenarios/baseline.toml\n"
               f"  {PROGRAM} validate scenarios/*.toml\n")
    validate.add_argument("files", nargs="+", type=Path, help="scenario files")

    defaults = commands.add_parser(
        "defaults", help="print a complete, commented default scenario",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Print every scenario field with its default value, range and meaning.",
        epilog=f"examples:\n  {PROGRAM} defaults > my_scenario.toml\n"
               f"  {PROGRAM} defaults --format markdown   # the README's reference table\n")
    defaults.add_argument("--format", choices=("toml", "markdown"), default="toml")
    _add_figure_commands(commands)
    return parser


def _format(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def _command_run(args: argparse.Namespace) -> int:
    overrides = list(args.overrides)
    if args.steps is not None:
        overrides.append(f"steps={args.steps}")
    if args.viewers is not None:
        overrides.append(f"population.size={args.viewers}")
    scenario = load_scenario(args.scenario, overrides)
    if args.seeds is not None and args.seeds < 1:
        raise ScenarioError("error: --seeds: must be at least 1")
    command = [PROGRAM, *sys.argv[1:]]
    stem = args.scenario.stem
    progress = not args.quiet
    if args.seeds:
        seeds = seeds_of(scenario, args.seed, args.seeds)
        out = args.out or Path("results") / f"{stem}-{args.seeds}seeds"
        rows = run_seeds(scenario, seeds, out, progress=progress, command=command)
        if not args.quiet:
            wanted = set(HEADLINE_MEASURES) | {r["measure"] for r in rows
                                               if r["measure"].endswith("likes_leads_spearman")}
            print(f"{scenario.name}: {len(seeds)} seeds ({seeds[0]}..{seeds[-1]}); "
                  "mean [95% interval]")
            for row in rows:
                if row["measure"] in wanted:
                    print(f"  {row['measure']:<52} {_format(row['mean']):>10} "
                          f"[{_format(row['ci_low'])}, {_format(row['ci_high'])}]")
        print(f"results: {out}/ (aggregate.csv, seed-*/)")
        _report_after_run(args, out, progress)
        return 0
    seed = scenario.seed if args.seed is None else args.seed
    out = args.out or Path("results") / f"{stem}-seed{seed}"
    result = run_to_folder(scenario, out, seed=seed, progress=progress, command=command)
    if not args.quiet:
        print(render_summary(result.summary))
        print(f"\nwall time {result.wall_seconds:.1f} s")
    print(f"results: {out}/")
    _report_after_run(args, out, progress)
    return 0


def _command_validate(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            print(exc, file=sys.stderr)
            failed += 1
        else:
            print(f"ok: {path} ({scenario.name}: {scenario.population.size:,} viewers, "
                  f"{sum(c.count for c in scenario.creators)} creators, {scenario.steps} steps, "
                  f"policy {scenario.ranking.policy})")
    return 2 if failed else 0


def _command_defaults(args: argparse.Namespace) -> int:
    print(render_toml(Scenario()) if args.format == "toml" else render_markdown(), end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 2 bad input, 130 interrupted)."""
    args = _build_parser().parse_args(argv)
    handlers = {"run": _command_run, "validate": _command_validate,
                "defaults": _command_defaults, "plot": _command_plot, "report": _command_report}
    try:
        return handlers[args.command](args)
    except (ScenarioError, ResultsError) as exc:
        print(exc, file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("\ninterrupted: no results folder was written (partial files were removed)",
              file=sys.stderr)
        return 130


# --- figures and reports: `plot`, `report`, and `run --report` ---------------------------
# matplotlib is imported only by these commands, so that `run` starts as fast as before.


def _add_figure_commands(commands: argparse._SubParsersAction) -> None:
    plot = commands.add_parser(
        "plot", help="draw the figures of a results folder (with the numbers drawn, as CSV)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Draw every figure of a run, or of a multi-seed folder (means with 95% "
                    "bands across seeds): funnel per segment and per brand and style, events "
                    "over time, likes against leads (viral mismatch), audience dilution, "
                    "Lorenz curve and distribution of views, the feed's mix over time. Each "
                    "figure NAME.FORMAT comes with NAME.csv, the tidy table of the numbers drawn.",
        epilog=f"""\
examples:
  {PROGRAM} plot results/baseline-seed1                  # -> results/baseline-seed1/figures/
  {PROGRAM} plot results/baseline-10seeds --format pdf   # vector figures for LaTeX
  {PROGRAM} plot results/baseline-seed1 --format svg --out paper/figures
""")
    plot.add_argument("results", type=Path,
                      help="results folder of `run` (one run, or --seeds N with seed-*/)")
    plot.add_argument("--format", choices=("png", "svg", "pdf"), default="png",
                      help="png (200 dpi), svg or pdf (default: png)")
    plot.add_argument("--out", type=Path, help="folder for the figures (default: RESULTS/figures)")
    plot.add_argument("--quiet", action="store_true", help="no progress bar and no file list")

    report = commands.add_parser(
        "report", help="write a self-contained HTML (or Markdown) report of a results folder",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Write one HTML file that needs nothing else to be read (figures embedded, "
                    "no scripts, links or fonts): what was run, the headline measures with "
                    "their intervals, the funnel tables and every figure with a caption. "
                    "--format md writes Markdown and a folder of PNG figures beside it.",
        epilog=f"""\
examples:
  {PROGRAM} report results/baseline-seed1                 # -> results/baseline-seed1/report.html
  {PROGRAM} report results/baseline-10seeds --out baseline.html
  {PROGRAM} report results/baseline-seed1 --format md --out paper/baseline.md
  {PROGRAM} run scenarios/baseline.toml --report          # run, then report
""")
    report.add_argument("results", type=Path,
                        help="results folder of `run` (one run, or --seeds N with seed-*/)")
    report.add_argument("--format", choices=("html", "md"), default="html",
                        help="html (one self-contained file) or md (Markdown + images folder)")
    report.add_argument("--out", type=Path,
                        help="report file (default: RESULTS/report.html or RESULTS/report.md)")
    report.add_argument("--quiet", action="store_true", help="no progress bar")


def _command_plot(args: argparse.Namespace) -> int:
    from simulation.plots import plot_results
    from simulation.results import open_results

    results = open_results(args.results)
    out = args.out or args.results / "figures"
    written, skipped = plot_results(results, out, args.format, progress=not args.quiet)
    if not args.quiet:
        for path in written:
            print(f"  {path}")
    for name, reason in skipped:
        print(f"skipped {name}: {reason}")
    print(f"figures: {out}/ ({len(written) // 2} figures, each with its CSV)")
    return 0


def _command_report(args: argparse.Namespace) -> int:
    from simulation.report import describe, write_report

    print(describe(write_report(args.results, args.out, args.format, progress=not args.quiet)))
    return 0


def _report_after_run(args: argparse.Namespace, out: Path, progress: bool) -> None:
    """`run --report`: write the report of the folder just written."""
    if args.report:
        from simulation.report import describe, write_report

        print(describe(write_report(out, progress=progress)))


__all__ = ["main", "main_exit"]


def main_exit() -> None:
    """Console-script entry point (``engagement-sim``)."""
    sys.exit(main())
