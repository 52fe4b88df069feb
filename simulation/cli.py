"""The command line: ``python run.py COMMAND`` or ``engagement-sim COMMAND``."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from simulation.config.loading import ScenarioError, load_scenario
from simulation.config.reference import render_markdown, render_toml
from simulation.config.scenario import Scenario
from simulation.experiments.runs import run_seeds, run_to_folder, seeds_of
from simulation.io.results import ResultsError
from simulation.viz.terminal import render_summary

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
  {PROGRAM} sweep scenarios/sweeps/like_weight_vs_leads.toml
  {PROGRAM} analyze results/like_weight_vs_leads-sweep
  {PROGRAM} effects --seeds 10 --workers 2

Each command has its own --help.
"""


HEADLINE_MEASURES = ("rates.engagement_rate_by_views", "rates.like_rate", "rates.comment_rate",
                     "rates.share_rate", "inequality.views_gini", "inequality.top20_view_share",
                     "totals.likes", "totals.leads", "totals.purchases")


ACROSS_SEED_HEADLINES = ("across_seeds.catalog.like_share_unpredictability",
                         "across_seeds.catalog.view_share_unpredictability")
"""Across-seed measures printed after `run --seeds` when present (a fixed catalog's worlds)."""


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
    _add_sweep_commands(commands)
    _add_effects_command(commands)
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
            wanted = set(HEADLINE_MEASURES) | set(ACROSS_SEED_HEADLINES) | {
                r["measure"] for r in rows if r["measure"].endswith("likes_leads_spearman")}
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


SWEEP_EPILOG = f"""\
examples:
  {PROGRAM} sweep scenarios/sweeps/like_weight_vs_leads.toml
  {PROGRAM} sweep scenarios/sweeps/likes_vs_leads_arms.toml --workers 2 --out results/arms
  {PROGRAM} sweep scenarios/sweeps/morris_screening.toml --dry-run      # check and count runs
  {PROGRAM} sweep --resume results/arms            # finish an interrupted sweep
  {PROGRAM} sweep scenarios/sweeps/like_weight_vs_leads.toml --report   # and DIR/report.html
  {PROGRAM} sweep scenarios/sweeps/like_weight_vs_leads.toml --scenario scenarios/baseline.toml \\
      --out results/like-weight-full              # the same sweep on the full-size baseline
  {PROGRAM} sweep FILE --scheduler tcp://login1:8786   # an existing Dask cluster (README)

Running the same command again, or --resume DIR, runs only the runs without a completed
file (failed runs are retried); a changed sweep file is refused with what changed.
Exit status: 0 all runs done, 1 some runs failed, 2 bad input, 130 interrupted.
"""


ANALYZE_EPILOG = f"""\
examples:
  {PROGRAM} analyze results/like_weight_vs_leads-sweep
  {PROGRAM} analyze results/arms --measures 'totals.*' 'brands.glow_skincare.*'

Writes DIR/analysis/: by_point, paired (with arms) and sensitivity (sobol, morris) as .csv and
.parquet; README.md, 'Sweeps', describes their columns.
"""


def _add_sweep_commands(commands: argparse._SubParsersAction) -> None:
    sweep = commands.add_parser(
        "sweep", help="run a parameter sweep or paired arms (Dask), resumable",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=SWEEP_EPILOG,
        description="Run every point x arm x replicate of a sweep file and write a sweep folder: "
                    "sweep.parquet (one row per run), manifest.json, runs/, failed/.")
    sweep.add_argument("file", nargs="?", type=Path, help="sweep file (.toml, .yaml or .yml)")
    sweep.add_argument("--resume", type=Path, metavar="DIR",
                       help="continue the sweep in DIR (no sweep file needed)")
    sweep.add_argument("--out", type=Path, metavar="DIR",
                       help="sweep folder (default: results/<sweep>-sweep)")
    sweep.add_argument("--workers", type=int, metavar="N",
                       help="local worker processes (default: one per core); 1 runs in this "
                            "process, one run after another")
    sweep.add_argument("--scheduler", metavar="ADDRESS",
                       help="use an existing Dask cluster, e.g. tcp://host:8786")
    sweep.add_argument("--scenario", type=Path, metavar="FILE",
                       help="replace the sweep file's base scenario (e.g. the full-size baseline)")
    sweep.add_argument("--set", dest="overrides", action="append", default=[],
                       metavar="PATH=VALUE", help="override a field of the base scenario")
    sweep.add_argument("--step-tables", action="store_true",
                       help="also write each run's step table to steps/<run>.parquet")
    sweep.add_argument("--dry-run", action="store_true",
                       help="check the sweep file and every run, print the plan, run nothing")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.add_argument("--report", action="store_true",
                       help="at the end, analyse and write DIR/report.html (see `report --help`)")

    analyze = commands.add_parser(
        "analyze", help="means, intervals, paired differences and sensitivity indices of a sweep",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=ANALYZE_EPILOG,
        description="Analyse a finished sweep folder into tidy tables in DIR/analysis/.")
    analyze.add_argument("folder", type=Path, metavar="DIR", help="a sweep folder")
    analyze.add_argument("--measures", nargs="+", metavar="PATTERN",
                         help="only these measures (glob patterns, e.g. 'totals.*')")
    analyze.add_argument("--quiet", action="store_true", help="print only where the tables are")


def _command_sweep(args: argparse.Namespace) -> int:
    from simulation.experiments.executor import SweepInterrupted, read_record, run_sweep
    from simulation.experiments.sweeps import load_sweep, sweep_from_record

    if (args.file is None) == (args.resume is None):
        raise ScenarioError("error: sweep: give a sweep file or --resume DIR (one of the two). "
                            f"See `{PROGRAM} sweep --help`.")
    progress = not args.quiet
    command = [PROGRAM, *sys.argv[1:]]
    if args.resume is not None:
        if args.scenario or args.overrides or args.out:
            raise ScenarioError("error: --resume continues the sweep as it was started; "
                                "--scenario, --set and --out cannot change it")
        folder = args.resume
        record = read_record(folder)
        if record is None:
            raise ScenarioError(f"error: --resume {folder}: not a sweep folder (no sweep.json). "
                                "Give the --out folder of an earlier `sweep`.")
        sweep = sweep_from_record(record, progress=progress)
        source_text = None
        step_tables = True if args.step_tables else None
    else:
        folder = args.out or Path("results") / f"{args.file.stem}-sweep"
        record = read_record(folder) if folder.is_dir() else None
        entropy = int(record["root_entropy"]) if record else None
        sweep = load_sweep(args.file, args.scenario, args.overrides, root_entropy=entropy,
                           progress=progress)
        source_text = args.file.read_text(encoding="utf-8")
        step_tables = args.step_tables
    seed = (f"root seed {sweep.root_entropy}" if sweep.spec.sweep.seed is not None else
            f"root seed {sweep.root_entropy} (drawn; add `seed = {sweep.root_entropy}` under "
            "[sweep] to repeat it)")
    base = sweep.base
    print(f"sweep {sweep.name}: {sweep.describe()}; {seed}; base {base.name}: "
          f"{base.population.size:,} viewers, {base.steps} steps")
    if args.dry_run:
        print(f"dry run: every run checked; nothing was run or written (would write {folder}/)")
        return 0
    try:
        outcome = run_sweep(sweep, folder, workers=args.workers, scheduler=args.scheduler,
                            step_tables=step_tables, progress=progress, command=command,
                            source_text=source_text)
    except SweepInterrupted as stop:
        o = stop.outcome
        print(f"\ninterrupted: {o.done} of {o.total} runs done, {o.failed} failed, {o.pending} "
              f"pending. Completed runs are kept.\nResume with: {PROGRAM} sweep --resume {folder}"
              " (or run the same command again)", file=sys.stderr)
        return 130
    rate = (f"; this session ran {outcome.ran} in {outcome.wall_seconds:.1f} s "
            f"({outcome.runs_per_minute:.1f} runs/minute on {outcome.workers} worker(s))"
            if outcome.ran else "; nothing left to run")
    print(f"{outcome.done} of {outcome.total} runs done, {outcome.failed} failed{rate}")
    print(f"results: {folder}/ (sweep.parquet, manifest.json)")
    if outcome.failed:
        print(f"{outcome.failed} run(s) failed: see {folder}/failed/*.json for each error. "
              f"Run the same command (or `{PROGRAM} sweep --resume {folder}`) to retry them.",
              file=sys.stderr)
        _report_after_run(args, folder, progress, some_done=outcome.done > 0)
        return 1
    _report_after_run(args, folder, progress)
    if not args.report:
        print(f"next: {PROGRAM} analyze {folder}")
    return 0


def _add_effects_command(commands: argparse._SubParsersAction) -> None:
    effects = commands.add_parser(
        "effects", help="check viral mismatch and audience dilution, their controls, null "
                        "models and ablations, over N seeds",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run each effect's conditions (its scenario, its one-change control, random "
                    "and chronological ranking, likes out of the ranking score, and the ablations "
                    "of docs/effects.md) over N seeds; check every criterion in every seed and "
                    "each condition's claim (the effect shows, or it does not, in at least 90% of "
                    "the seeds). Writes DIR/per_seed.csv (criteria and decomposition parts), "
                    "DIR/criteria.csv, DIR/conditions.{csv,md} and DIR/conditions.png. Exit "
                    "status 0 if every claim holds, 1 otherwise.\n\n"
                    "With --sweep, read the effect's criteria off a finished sweep instead: "
                    "Morris indices of each criterion (method morris) or where the effect shows "
                    "over a two-parameter grid (method grid), with a figure.",
        epilog=f"""\
examples:
  {PROGRAM} effects --seeds 10 --workers 2          # every effect and condition, seeds 1-10
  {PROGRAM} effects --effect viral_mismatch --condition for_you random --seeds 3
  {PROGRAM} effects --seed 101 --seeds 20 --out results/effects-tuning   # tuning seeds
  {PROGRAM} effects --sweep results/mismatch-morris --effect viral_mismatch
""")
    effects.add_argument("--seeds", type=int, default=10, metavar="N", help="seeds (default 10)")
    effects.add_argument("--seed", type=int, default=1, help="first seed (default 1)")
    effects.add_argument("--workers", type=int, default=1, metavar="N",
                         help="worker processes (default 1); results do not depend on it")
    effects.add_argument("--viewers", type=int, help="population size of every scenario")
    effects.add_argument("--steps", type=int, help="steps of every scenario")
    effects.add_argument("--set", dest="overrides", action="append", default=[],
                         metavar="PATH=VALUE", help="override a field of every scenario")
    effects.add_argument("--out", type=Path, help="results folder (default results/effects)")
    effects.add_argument("--effect", nargs="+", metavar="NAME",
                         help="only these effects (viral_mismatch, audience_dilution)")
    effects.add_argument("--condition", nargs="+", metavar="KEY",
                         help="only these conditions (for_you, control, random, chronological, "
                              "likes_unweighted, or an effect's ablation)")
    effects.add_argument("--sweep", type=Path, metavar="DIR",
                         help="a finished sweep folder: the effect's criteria over its runs "
                              "(give one --effect)")
    effects.add_argument("--quiet", action="store_true", help="no progress bar")


def _command_effects(args: argparse.Namespace) -> int:
    from simulation.experiments import effects as checks
    from simulation.io.storage import result_folder, write_text
    from simulation.viz.effect_figures import conditions_figure
    from simulation.viz.style import save_figure

    if args.seeds < 1 or args.workers < 1:
        raise ScenarioError("error: --seeds and --workers must be at least 1")
    keys = [effect.key for effect in checks.EFFECTS]
    unknown = sorted(set(args.effect or []) - set(keys))
    if unknown:
        raise ScenarioError(f"error: --effect {' '.join(unknown)}: not an effect; choose among "
                            f"{', '.join(keys)}")
    chosen = [e for e in checks.EFFECTS if not args.effect or e.key in args.effect]
    if args.sweep is not None:
        return _effects_over_sweep(args, chosen)
    conditions = {c.key for effect in chosen for c in effect.conditions}
    unknown = sorted(set(args.condition or []) - conditions)
    if unknown:
        raise ScenarioError(f"error: --condition {' '.join(unknown)}: no such condition; choose "
                            f"among {', '.join(sorted(conditions))}")
    overrides = list(args.overrides)
    if args.steps is not None:
        overrides.append(f"steps={args.steps}")
    if args.viewers is not None:
        overrides.append(f"population.size={args.viewers}")
    seeds = list(range(args.seed, args.seed + args.seeds))
    jobs = checks.plan(seeds, overrides, chosen, args.condition)
    rows = checks.run_jobs(jobs, workers=args.workers, progress=not args.quiet)
    out = args.out or Path("results") / "effects"
    markdown = checks.render_markdown(rows, chosen)
    with result_folder(out) as building:
        write_text(building / "per_seed.csv", _csv_text(rows))
        write_text(building / "criteria.csv", _csv_text(checks.tally(rows)))
        write_text(building / "parts.csv", _csv_text(checks.part_means(rows)))
        write_text(building / "conditions.csv", _csv_text(checks.condition_table(rows, chosen)))
        write_text(building / "conditions.md",
                   f"Seeds {seeds[0]}..{seeds[-1]}; overrides: {' '.join(overrides) or 'none'}"
                   f"\n\n{markdown}")
        save_figure(conditions_figure(rows, chosen), building / "conditions.png")
    print(markdown, end="")
    print(f"results: {out}/ (per_seed.csv, criteria.csv, parts.csv, conditions.csv, "
          "conditions.md, conditions.png)")
    if checks.all_claims_hold(rows, chosen):
        print(f"every claim holds in at least {checks.REQUIRED:.0%} of the seeds")
        return 0
    failed = [f"{row['effect']}:{row['condition']}" for row in checks.verdicts(rows, chosen)
              if row["ok"] is False]
    print(f"claims not borne out in {checks.REQUIRED:.0%} of the seeds: {', '.join(failed)}; "
          f"see {out}/per_seed.csv", file=sys.stderr)
    return 1


def _effects_over_sweep(args: argparse.Namespace, chosen: list) -> int:
    from simulation.experiments import effects as checks
    from simulation.viz.effect_figures import map_figure, sensitivity_figure
    from simulation.viz.style import save_figure

    if len(chosen) != 1 or not args.effect:
        raise ScenarioError("error: --sweep reads one effect's criteria: give --effect "
                            f"{' or '.join(e.key for e in checks.EFFECTS)}")
    effect = chosen[0]
    result = checks.sweep_effect(args.sweep, effect)
    out = args.out or args.sweep / "analysis"
    figure = (sensitivity_figure(result.table, effect) if result.method == "morris"
              else map_figure(result.table, effect))
    out.mkdir(parents=True, exist_ok=True)
    write_stem = out / f"effect_{effect.key}"
    from simulation.io.storage import write_text

    write_text(write_stem.with_name(write_stem.name + "_runs.csv"), result.runs.to_csv(index=False))
    write_text(write_stem.with_name(write_stem.name + f"_{result.method}.csv"),
               result.table.to_csv(index=False))
    save_figure(figure, write_stem.with_suffix(".png"))
    print(result.render())
    print(f"tables and figure: {out}/effect_{effect.key}_*.csv, effect_{effect.key}.png")
    return 0


def _csv_text(records: list[dict]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    fields = list(dict.fromkeys(key for record in records for key in record))
    writer = csv.DictWriter(buffer, fieldnames=fields, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def _command_analyze(args: argparse.Namespace) -> int:
    from simulation.experiments.analysis import analyze, render_analysis

    analysis = analyze(args.folder, args.measures)
    print(render_analysis(analysis) if not args.quiet else
          f"tables: {args.folder / 'analysis'}/")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 2 bad input, 130 interrupted)."""
    args = _build_parser().parse_args(argv)
    handlers = {"run": _command_run, "validate": _command_validate,
                "defaults": _command_defaults, "plot": _command_plot, "report": _command_report,
                "sweep": _command_sweep, "analyze": _command_analyze,
                "effects": _command_effects}
    try:
        return handlers[args.command](args)
    except (ScenarioError, ResultsError) as exc:
        print(exc, file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("\ninterrupted: no results folder was written (partial files were removed)",
              file=sys.stderr)
        return 130


METRIC_HELP = ("sweep folders: a metric to draw, by summary path or glob pattern, e.g. "
               "totals.leads or 'brands.*.leads'; repeat for several (default: engagement rate, "
               "likes, leads, each brand's leads per 1k impressions and likes-leads Spearman, "
               "views Gini)")


def _add_figure_commands(commands: argparse._SubParsersAction) -> None:
    plot = commands.add_parser(
        "plot", help="draw the figures of a results folder (with the numbers drawn, as CSV)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Draw every figure of a run, or of a multi-seed folder (means with 95% "
                    "bands across seeds): funnel per segment and per brand and style, events "
                    "over time, likes against leads (viral mismatch), audience dilution, "
                    "Lorenz curve and distribution of views, the feed's mix over time. For a "
                    "sweep folder: each metric against each swept parameter (95% bands over "
                    "replicates), heatmaps over pairs of grid parameters, paired differences "
                    "between arms, Sobol or Morris indices (README, 'Figures and reports'). Each "
                    "figure NAME.FORMAT comes with NAME.csv, the tidy table of the numbers drawn.",
        epilog=f"""\
examples:
  {PROGRAM} plot results/baseline-seed1                  # -> results/baseline-seed1/figures/
  {PROGRAM} plot results/baseline-10seeds --format pdf   # vector figures for LaTeX
  {PROGRAM} plot results/baseline-seed1 --format svg --out paper/figures
  {PROGRAM} plot results/like_weight_vs_leads-sweep     # a sweep (analysed first if needed)
  {PROGRAM} plot results/arms --metric totals.leads --metric 'brands.*.leads_per_1k_likes'
""")
    plot.add_argument("results", type=Path,
                      help="results folder of `run` (one run, or --seeds N with seed-*/), or a "
                           "sweep folder of `sweep`")
    plot.add_argument("--format", choices=("png", "svg", "pdf"), default="png",
                      help="png (200 dpi), svg or pdf (default: png)")
    plot.add_argument("--out", type=Path, help="folder for the figures (default: RESULTS/figures)")
    plot.add_argument("--metric", dest="metrics", action="append", metavar="NAME",
                      help=METRIC_HELP)
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
  {PROGRAM} report results/like_weight_vs_leads-sweep    # a sweep: design, analysis, figures
  {PROGRAM} sweep scenarios/sweeps/likes_vs_leads_arms.toml --report   # sweep, then report
""")
    report.add_argument("results", type=Path,
                        help="results folder of `run` (one run, or --seeds N with seed-*/), or "
                             "a sweep folder of `sweep`")
    report.add_argument("--format", choices=("html", "md"), default="html",
                        help="html (one self-contained file) or md (Markdown + images folder)")
    report.add_argument("--out", type=Path,
                        help="report file (default: RESULTS/report.html or RESULTS/report.md)")
    report.add_argument("--metric", dest="metrics", action="append", metavar="NAME",
                        help=METRIC_HELP)
    report.add_argument("--quiet", action="store_true", help="no progress bar")


def _command_plot(args: argparse.Namespace) -> int:
    from simulation.io.results import is_sweep_folder, open_results
    from simulation.viz.run_figures import plot_results

    out = args.out or args.results / "figures"
    if is_sweep_folder(args.results):
        from simulation.experiments.sweep_results import open_sweep
        from simulation.viz.sweep_figures import plot_sweep

        sweep = open_sweep(args.results, args.metrics)
        for note in sweep.notes:
            print(f"note: {note}")
        written, skipped = plot_sweep(sweep, out, args.format, progress=not args.quiet)
    else:
        if args.metrics:
            raise ResultsError(f"error: --metric: {args.results} is not a sweep folder; --metric "
                               "chooses the metrics of a sweep's figures (a run's figures are "
                               "fixed).")
        results = open_results(args.results)
        written, skipped = plot_results(results, out, args.format, progress=not args.quiet)
    if not args.quiet:
        for path in written:
            print(f"  {path}")
    for name, reason in skipped:
        print(f"skipped {name}: {reason}")
    print(f"figures: {out}/ ({len(written) // 2} figures, each with its CSV)")
    return 0


def _command_report(args: argparse.Namespace) -> int:
    from simulation.viz.reports import describe, write_report

    print(describe(write_report(args.results, args.out, args.format, progress=not args.quiet,
                                metrics=args.metrics)))
    return 0


def _report_after_run(args: argparse.Namespace, out: Path, progress: bool,
                      some_done: bool = True) -> None:
    """`run --report`, `sweep --report`: write the report of the folder just written."""
    if args.report and some_done:
        from simulation.viz.reports import describe, write_report

        print(describe(write_report(out, progress=progress)))


__all__ = ["main", "main_exit"]


def main_exit() -> None:
    """Console-script entry point (``engagement-sim``)."""
    sys.exit(main())
