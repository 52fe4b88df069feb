"""The command line: ``python run.py COMMAND`` or ``engagement-sim COMMAND``.

Only the parser is built at import: each command imports what it needs when it runs,
so that ``--help`` answers at once (the model, Mesa, SciPy and pandas take a second or
more to import).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from simulation.core.interrupts import exit_status, signal_name, terminate_as_interrupt
from simulation.core.program import PROGRAM

EPILOG = f"""\
examples:
  {PROGRAM} scenarios                                  # the shipped scenarios, by name
  {PROGRAM} run baseline
  {PROGRAM} run baseline --seed 7 --viewers 5000 --steps 48
  {PROGRAM} run my_scenario.toml --set ranking.policy=random --out results/random
  {PROGRAM} run viral_mismatch --seeds 10 --workers 2
  {PROGRAM} validate scenarios/*.toml
  {PROGRAM} defaults > my_scenario.toml
  {PROGRAM} explore baseline                          # the interactive explorer
  {PROGRAM} plot results/baseline-seed1 --format pdf
  {PROGRAM} report results/baseline-10seeds
  {PROGRAM} sweep like_weight_vs_leads
  {PROGRAM} analyze results/like_weight_vs_leads-sweep
  {PROGRAM} effects --seeds 10 --workers 2
  {PROGRAM} calibrate scenarios/calibration/musiclab.toml --workers 2

A scenario is a file (.toml, .yaml) or the name of a shipped one (baseline, levers/pause).
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
  {PROGRAM} run baseline                                   # a shipped scenario, by name
  {PROGRAM} run baseline --seed 3 --out results/baseline-3
  {PROGRAM} run baseline --viewers 5000 --steps 24 --set ranking.weights.like=3
  {PROGRAM} run my_scenario.toml
  {PROGRAM} run audience_dilution --seeds 10 --workers 2   # one folder per seed + aggregate
""")
    run.add_argument("scenario", type=Path,
                     help=f"scenario file (.toml, .yaml or .yml) or a shipped scenario's name "
                          f"(`{PROGRAM} scenarios` lists them)")
    run.add_argument("--seed", type=int, help="seed (default: the scenario's `seed`)")
    run.add_argument("--seeds", type=int, metavar="N",
                     help="run N consecutive seeds from --seed and write an aggregate table")
    run.add_argument("--workers", type=int, metavar="K",
                     help="with --seeds: worker processes (default: one per core); results do "
                          "not depend on it; 1 runs the seeds here, one after another")
    run.add_argument("--steps", type=int, help="number of steps (overrides `steps`)")
    run.add_argument("--viewers", type=int, help="population size (overrides `population.size`)")
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="PATH=VALUE",
                     help="override any field, e.g. --set population.segments[0].share=0.6 "
                          "(values are TOML: numbers, true/false, \"strings\", [lists])")
    run.add_argument("--out", type=Path,
                     help="results folder, new (default: results/<scenario>-seed<N> or "
                          "results/<scenario>-<N>seeds, ending in -set-<digest> when --set, "
                          "--viewers or --steps change the scenario)")
    run.add_argument("--overwrite", action="store_true",
                     help="replace an existing results folder of this program (all of it, "
                          "once the new one is complete); never anything else")
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
    validate.add_argument("files", nargs="+", type=Path,
                          help="scenario files (or shipped scenarios' names)")

    defaults = commands.add_parser(
        "defaults", help="print a complete, commented default scenario",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Print every scenario field with its default value, range and meaning.",
        epilog=f"examples:\n  {PROGRAM} defaults > my_scenario.toml\n"
               f"  {PROGRAM} defaults --format markdown   # docs/scenarios.md's reference table\n")
    defaults.add_argument("--format", choices=("toml", "markdown"), default="toml")

    scenarios = commands.add_parser(
        "scenarios", help="list the shipped scenarios and sweep files, runnable by name",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="List the scenarios and sweep files that come with the program; each runs "
                    "by its name, e.g. `run baseline`, `run levers/pause`, "
                    "`sweep like_weight_vs_leads`.",
        epilog=f"examples:\n  {PROGRAM} scenarios\n"
               f"  {PROGRAM} scenarios --show baseline > my_scenario.toml   # a copy to edit\n")
    scenarios.add_argument("--show", metavar="NAME",
                           help="print the file of one shipped scenario or sweep")
    _add_explore_command(commands)
    _add_figure_commands(commands)
    _add_sweep_commands(commands)
    _add_effects_command(commands)
    _add_calibrate_command(commands)
    return parser


def _format(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def _command_run(args: argparse.Namespace) -> int:
    from simulation.config.loading import ScenarioError, check_seed, load_scenario
    from simulation.experiments.executor import default_workers
    from simulation.experiments.runs import default_out, run_seeds, run_to_folder, seeds_of
    from simulation.viz.terminal import render_summary

    overrides = list(args.overrides)
    if args.steps is not None:
        overrides.append(f"steps={args.steps}")
    if args.viewers is not None:
        overrides.append(f"population.size={args.viewers}")
    scenario = load_scenario(args.scenario, overrides)
    if args.seed is not None:
        check_seed(args.seed)
    if args.seeds is not None and args.seeds < 1:
        raise ScenarioError("error: --seeds: must be at least 1")
    if args.workers is not None and args.workers < 1:
        raise ScenarioError("error: --workers: must be at least 1")
    command = [PROGRAM, *sys.argv[1:]]
    progress = not args.quiet
    out = args.out or default_out(args.scenario, scenario, args.seed, args.seeds, overrides)
    option = "--out" if args.out else "results folder"
    if args.seeds:
        seeds = seeds_of(scenario, args.seed, args.seeds)
        check_seed(seeds[-1], f"--seeds {args.seeds} from seed {seeds[0]}")
        workers = args.workers or default_workers()
        rows = run_seeds(scenario, seeds, out, progress=progress, command=command,
                         workers=workers, overwrite=args.overwrite, option=option)
        if not args.quiet:
            wanted = set(HEADLINE_MEASURES) | set(ACROSS_SEED_HEADLINES) | {
                r["measure"] for r in rows if r["measure"].endswith("likes_leads_spearman")}
            print(f"{scenario.name}: {len(seeds)} seeds ({seeds[0]}..{seeds[-1]}); "
                  "mean [95% interval]")
            for row in rows:
                if row["measure"] in wanted:
                    print(f"  {row['measure']:<52} {_format(row['mean']):>10} "
                          f"[{_format(row['ci_low'])}, {_format(row['ci_high'])}]")
        print(f"results: {out}/ (aggregate.csv, seed=*/ and a folder per table)")
        _report_after_run(args, out, progress)
        return 0
    seed = scenario.seed if args.seed is None else args.seed
    result = run_to_folder(scenario, out, seed=seed, progress=progress, command=command,
                           overwrite=args.overwrite, option=option)
    if not args.quiet:
        print(render_summary(result.summary))
        print(f"\nwall time {result.wall_seconds:.1f} s")
    print(f"results: {out}/")
    _report_after_run(args, out, progress)
    return 0


def _command_validate(args: argparse.Namespace) -> int:
    from simulation.config.loading import ScenarioError, load_scenario

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
    from simulation.config.reference import render_markdown, render_toml
    from simulation.config.scenario import Scenario

    print(render_toml(Scenario()) if args.format == "toml" else render_markdown(), end="")
    return 0


def _command_scenarios(args: argparse.Namespace) -> int:
    from simulation.config.loading import ScenarioError
    from simulation.config.shipped import scenarios_folder, shipped_files

    files = shipped_files()
    if args.show is not None:
        chosen = [f for f in files if args.show in (f.name, f"{f.name}.toml")]
        if not chosen:
            raise ScenarioError(f"error: --show {args.show}: no shipped scenario or sweep of that "
                                f"name. `{PROGRAM} scenarios` lists them.")
        print(chosen[0].path.read_text(encoding="utf-8"), end="")
        return 0
    if not files:
        raise ScenarioError(f"error: no shipped scenarios found (looked in {scenarios_folder()}). "
                            "Reinstall the package: its wheel carries them.")
    width = max(len(f.name) for f in files)
    for kind, title, verb in (("scenario", "scenarios", "run"), ("sweep", "sweep files", "sweep")):
        mine = [f for f in files if f.kind == kind]
        print(f"{len(mine)} shipped {title} (`{PROGRAM} {verb} NAME`):")
        for shipped in mine:
            description = shipped.description.split(". ")[0].rstrip(".")
            if len(description) > 100 - width:
                description = description[:97 - width] + "..."
            print(f"  {shipped.name:<{width}}  {description}")
        print()
    print(f"from {scenarios_folder()}/; `{PROGRAM} scenarios --show NAME` prints one.")
    return 0


def _add_explore_command(commands: argparse._SubParsersAction) -> None:
    explore = commands.add_parser(
        "explore", help="the interactive explorer in the browser (Mesa SolaraViz)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Start the explorer: pick a scenario, move sliders for the key parameters "
                    "(ranking weights, tier budgets, segment intent, trend riding, displayed "
                    "like counts), step or play the model and watch the funnel per segment, "
                    "likes against leads per brand post, a brand's target share by tier, the "
                    "distribution of views and the feed's mix. Needs the explore extra "
                    "(pip install 'engagement-sim[explore]'). Stop it with Ctrl-C.",
        epilog=f"""\
examples:
  {PROGRAM} explore                     # the baseline
  {PROGRAM} explore viral_mismatch
  {PROGRAM} explore my_scenario.toml --port 8800 --no-browser
  solara run simulation.viz.explorer_app   # the same app, started by Solara itself
""")
    explore.add_argument("scenario", nargs="?", type=Path, default=Path("baseline"),
                         help="scenario file or shipped scenario's name (default: baseline)")
    explore.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    explore.add_argument("--host", default="localhost",
                         help="address to listen on (default localhost: this machine only)")
    explore.add_argument("--no-browser", action="store_true",
                         help="do not open a browser tab; print the address only")


def _command_explore(args: argparse.Namespace) -> int:
    import importlib.util
    import os
    import subprocess

    from simulation.config.loading import ScenarioError, load_scenario
    from simulation.config.shipped import find_file

    if importlib.util.find_spec("solara") is None:
        raise ScenarioError("error: explore needs Solara, which is not installed. Install it "
                            "with: pip install 'engagement-sim[explore]' (or pip install solara)")
    path = find_file(args.scenario)
    load_scenario(path)  # a bad scenario stops here, with the usual message
    environment = {**os.environ, "ENGAGEMENT_SIM_EXPLORE": str(Path(path).resolve())}
    command = [sys.executable, "-m", "solara", "run", "simulation.viz.explorer_app",
               "--port", str(args.port), "--host", args.host]
    if args.no_browser:
        command.append("--no-open")
    print(f"explorer of {path}: http://{args.host}:{args.port}/ (Ctrl-C stops it)")
    try:
        return subprocess.run(command, env=environment, check=False).returncode
    except KeyboardInterrupt:
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
  {PROGRAM} sweep FILE --scheduler tcp://login1:8786   # an existing Dask cluster (docs/sweeps.md)

Running the same command again, or --resume DIR, runs only the runs without a completed
file (failed runs are retried); a changed sweep file is refused with what changed.
Exit status: 0 all runs done, 1 some runs failed, 2 bad input, 3 no Dask worker left,
130 interrupted by Ctrl-C (143 SIGTERM, 129 SIGHUP). Every session is recorded in
manifest.json; a damaged run file is computed again, with a note.
"""


ANALYZE_EPILOG = f"""\
examples:
  {PROGRAM} analyze results/like_weight_vs_leads-sweep
  {PROGRAM} analyze results/arms --measures 'totals.*' 'brands.glow_skincare.*'

Writes DIR/analysis/: by_point, paired (with arms) and sensitivity (sobol, morris) as .csv and
.parquet; docs/sweeps.md, 'Analysis', describes their columns.
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
    from simulation.config.loading import ScenarioError, read_text
    from simulation.config.shipped import find_file
    from simulation.experiments.executor import (
        SweepInterrupted,
        SweepStalledError,
        read_record,
        run_sweep,
    )
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
        args.file = find_file(args.file, "sweep")
        record = read_record(folder) if folder.is_dir() else None
        entropy = int(record["root_entropy"]) if record else None
        sweep = load_sweep(args.file, args.scenario, args.overrides, root_entropy=entropy,
                           progress=progress)
        source_text = read_text(args.file)
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
        print(f"\ninterrupted ({stop.signal}): {o.done} of {o.total} runs done, {o.failed} "
              f"failed, {o.pending} pending. Completed runs are kept.\nResume with: {PROGRAM} "
              f"sweep --resume {folder} (or run the same command again)", file=sys.stderr)
        return stop.exit_status
    except SweepStalledError as stalled:
        o = stalled.outcome
        where = (f"the scheduler {args.scheduler} has no worker left: start workers for it "
                 f"(`dask worker {args.scheduler}`), then" if args.scheduler else
                 "every local worker process has died (out of memory? see the system log);")
        print(f"\nstopped ({stalled.reason}): {o.done} of {o.total} runs done, {o.failed} "
              f"failed, {o.pending} pending. Completed runs are kept.\n{where} resume with: "
              f"{PROGRAM} sweep --resume {folder}", file=sys.stderr)
        return stalled.exit_status
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
                    "DIR/criteria.csv, DIR/parts.csv (the decomposition by condition), "
                    "DIR/conditions.{csv,md}, DIR/conditions.png and DIR/parts.png. Exit "
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
    effects.add_argument("--workers", type=int, metavar="N",
                         help="worker processes (default: one per core); results do not depend "
                              "on it; 1 runs here, one run after another")
    effects.add_argument("--viewers", type=int, help="population size of every scenario")
    effects.add_argument("--steps", type=int, help="steps of every scenario")
    effects.add_argument("--set", dest="overrides", action="append", default=[],
                         metavar="PATH=VALUE", help="override a field of every scenario")
    effects.add_argument("--out", type=Path,
                         help="results folder, new (default results/effects; with --sweep, "
                              "DIR/effect_NAME)")
    effects.add_argument("--overwrite", action="store_true",
                         help="replace an existing effects folder of this program")
    effects.add_argument("--effect", "--only", dest="effect", nargs="+", metavar="NAME",
                         help="only these effects (viral_mismatch, audience_dilution)")
    effects.add_argument("--condition", nargs="+", metavar="KEY",
                         help="only these conditions (for_you, control, random, chronological, "
                              "likes_unweighted, or an effect's ablation)")
    effects.add_argument("--sweep", type=Path, metavar="DIR",
                         help="a finished sweep folder: the effect's criteria over its runs "
                              "(give one --effect)")
    effects.add_argument("--quiet", action="store_true", help="no progress bar")


def _command_effects(args: argparse.Namespace) -> int:
    from simulation.config.loading import ScenarioError, check_seed
    from simulation.experiments import effects as checks
    from simulation.experiments.executor import default_workers
    from simulation.io.folders import EFFECTS_FORMAT
    from simulation.io.storage import claim_output, write_json, write_text
    from simulation.viz.effect_figures import conditions_figure, parts_figure
    from simulation.viz.style import save_figure

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
    if args.seeds < 1 or (args.workers is not None and args.workers < 1):
        raise ScenarioError("error: --seeds and --workers must be at least 1")
    check_seed(args.seed)
    check_seed(args.seed + args.seeds - 1, f"--seeds {args.seeds} from --seed {args.seed}")
    overrides = list(args.overrides)
    if args.steps is not None:
        overrides.append(f"steps={args.steps}")
    if args.viewers is not None:
        overrides.append(f"population.size={args.viewers}")
    seeds = list(range(args.seed, args.seed + args.seeds))
    jobs = checks.plan(seeds, overrides, chosen, args.condition)
    workers = args.workers or min(default_workers(), len(jobs))
    out = args.out or Path("results") / "effects"
    with claim_output(out, args.overwrite, (EFFECTS_FORMAT,)) as building:
        rows = checks.run_jobs(jobs, workers=workers, progress=not args.quiet)
        write_text(building / "per_seed.csv", _csv_text(rows))
        markdown = checks.render_markdown(rows, chosen)
        write_text(building / "criteria.csv", _csv_text(checks.tally(rows)))
        write_text(building / "parts.csv", _csv_text(checks.part_means(rows)))
        write_text(building / "conditions.csv", _csv_text(checks.condition_table(rows, chosen)))
        write_text(building / "conditions.md",
                   f"Seeds {seeds[0]}..{seeds[-1]}; overrides: {' '.join(overrides) or 'none'}"
                   f"\n\n{markdown}")
        save_figure(conditions_figure(rows, chosen), building / "conditions.png")
        save_figure(parts_figure(rows, chosen), building / "parts.png")
        write_json(building / "manifest.json", {
            "format": EFFECTS_FORMAT, "seeds": seeds, "overrides": overrides,
            "effects": [effect.key for effect in chosen],
            "conditions": sorted({job.condition for job in jobs}),
            "command": [PROGRAM, *sys.argv[1:]]})
    print(markdown, end="")
    print(f"results: {out}/ (per_seed.csv, criteria.csv, parts.csv, conditions.csv, "
          "conditions.md, conditions.png, parts.png)")
    if checks.all_claims_hold(rows, chosen):
        print(f"every claim holds in at least {checks.REQUIRED:.0%} of the seeds")
        return 0
    failed = [f"{row['effect']}:{row['condition']}" for row in checks.verdicts(rows, chosen)
              if row["ok"] is False]
    print(f"claims not borne out in {checks.REQUIRED:.0%} of the seeds: {', '.join(failed)}; "
          f"see {out}/per_seed.csv", file=sys.stderr)
    return 1


def _effects_over_sweep(args: argparse.Namespace, chosen: list) -> int:
    from simulation.config.loading import ScenarioError
    from simulation.experiments import effects as checks
    from simulation.io.folders import EFFECTS_FORMAT
    from simulation.io.storage import claim_output, write_json, write_text
    from simulation.viz.effect_figures import map_figure, sensitivity_figure
    from simulation.viz.style import save_figure

    if len(chosen) != 1 or not args.effect:
        raise ScenarioError("error: --sweep reads one effect's criteria: give --effect "
                            f"{' or '.join(e.key for e in checks.EFFECTS)}")
    effect = chosen[0]
    result = checks.sweep_effect(args.sweep, effect)
    out = args.out or args.sweep / f"effect_{effect.key}"
    figure = (sensitivity_figure(result.table, effect) if result.method == "morris"
              else map_figure(result.table, effect))
    # The default folder inside the sweep is this command's own: it is replaced when run again.
    with claim_output(out, args.overwrite or args.out is None, (EFFECTS_FORMAT,)) as building:
        write_text(building / "runs.csv", result.runs.to_csv(index=False))
        write_text(building / f"{result.method}.csv", result.table.to_csv(index=False))
        save_figure(figure, building / f"{result.method}.png")
        write_json(building / "manifest.json", {
            "format": EFFECTS_FORMAT, "effect": effect.key, "sweep": str(args.sweep),
            "method": result.method, "command": [PROGRAM, *sys.argv[1:]]})
    print(result.render())
    print(f"results: {out}/ (runs.csv, {result.method}.csv, {result.method}.png)")
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


def _add_calibrate_command(commands: argparse._SubParsersAction) -> None:
    calibrate = commands.add_parser(
        "calibrate", help="fit scenario fields to published figures, with uncertainty (resumable)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Fit the free parameters of a calibration file to its targets by the "
                    "simulated method of moments with common random numbers (runs on the sweep "
                    "executor), and write DIR/calibration.json (best values with intervals, "
                    "every target's fit and residual), evaluations.csv, convergence.png and "
                    "calibrated.toml (a scenario file with the calibrated values). Running the "
                    "same command again resumes an interrupted calibration from its run files.",
        epilog=f"""\
examples:
  {PROGRAM} calibrate scenarios/calibration/musiclab.toml --workers 2
  {PROGRAM} calibrate scenarios/calibration/baseline.toml --workers 2 --out results/cal-baseline
  {PROGRAM} calibrate scenarios/calibration/baseline.toml --scheduler tcp://host:8786

docs/calibration.md describes the file, the method and the shipped calibrations.
""")
    calibrate.add_argument("file", type=Path, help="calibration file (.toml, .yaml or .yml)")
    calibrate.add_argument("--out", type=Path, metavar="DIR",
                           help="calibration folder (default: results/calibration-<name>)")
    calibrate.add_argument("--workers", type=int, metavar="N",
                           help="local worker processes (default: one per core); 1 runs in this "
                                "process")
    calibrate.add_argument("--scheduler", metavar="ADDRESS",
                           help="use an existing Dask cluster, e.g. tcp://host:8786")
    calibrate.add_argument("--quiet", action="store_true", help="no progress bar")


def _command_calibrate(args: argparse.Namespace) -> int:
    from simulation.experiments.calibration import calibrate, load_calibration, write_outputs
    from simulation.viz.calibration_figures import convergence_figure

    calibration = load_calibration(args.file)
    folder = args.out or Path("results") / f"calibration-{calibration.name}"
    spec = calibration.spec
    print(f"calibrate {calibration.name}: {len(spec.parameters)} parameter(s), "
          f"{len(spec.targets)} target(s), conditions "
          + ", ".join(f"{c.name} x {calibration.worlds(c)} runs" for c in spec.conditions)
          + f"; base {calibration.base.name}: {calibration.base.population.size:,} viewers, "
          f"{calibration.base.steps} steps")
    try:
        result = calibrate(calibration, folder, workers=args.workers, scheduler=args.scheduler,
                           progress=not args.quiet)
    except KeyboardInterrupt:
        print(f"\ninterrupted: the finished runs are kept in {folder}/runs/. Run the same command "
              "again to go on from there.", file=sys.stderr)
        return 130
    paths = write_outputs(result, folder, command=[PROGRAM, *sys.argv[1:]])
    convergence_figure(folder)
    for row in result.parameter_rows():
        note = "" if row["identified"] else " (not identified by the targets)"
        print(f"  {row['path']} = {row['value']:.4g}  [{row['ci_low']:.4g}, {row['ci_high']:.4g}]"
              f" {row['level']:.0%}{note}")
    for row in result.target_rows():
        print(f"  {row['name']}: published {row['published']:.4g}, simulated "
              f"{row['simulated']:.4g}, z {row['z']:+.2f}")
    j = result.details
    if j.get("j_p_value") is not None:
        print(f"  J = {j['j_statistic']:.2f} on {j['degrees_of_freedom']} df, p = {j['j_p_value']:.3f}"
              " (small p: no setting fits every target at once)")
    print(f"{result.runs_done} runs this session, {result.runs_reused} reused, "
          f"{result.wall_seconds:.0f} s on {result.workers} worker(s); {result.status}")
    print(f"results: {folder}/ ({paths['json'].name}, {paths['csv'].name}, convergence.png, "
          f"{paths['scenario'].name})")
    return 0


def _command_analyze(args: argparse.Namespace) -> int:
    from simulation.experiments.analysis import analyze, render_analysis

    analysis = analyze(args.folder, args.measures)
    print(render_analysis(analysis) if not args.quiet else
          f"tables: {args.folder / 'analysis'}/")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 2 bad input, 130 interrupted by Ctrl-C,
    143 by SIGTERM, 129 by SIGHUP)."""
    args = _build_parser().parse_args(argv)
    handlers = {"run": _command_run, "validate": _command_validate,
                "defaults": _command_defaults, "scenarios": _command_scenarios,
                "explore": _command_explore, "plot": _command_plot, "report": _command_report,
                "sweep": _command_sweep, "analyze": _command_analyze,
                "effects": _command_effects, "calibrate": _command_calibrate}
    try:
        with terminate_as_interrupt():  # SIGTERM and SIGHUP clean up as Ctrl-C does
            return handlers[args.command](args)
    except Exception as exc:
        # ScenarioError and ResultsError (bad input: one message, no traceback) carry their
        # exit status; they are recognised by it so that no command imports them all.
        status = getattr(exc, "exit_status", None)
        if status is None:
            raise
        print(exc, file=sys.stderr)
        return status
    except KeyboardInterrupt as stop:
        print(f"\ninterrupted ({signal_name(stop)}): no results folder was written (partial "
              "files were removed)", file=sys.stderr)
        return exit_status(stop)


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
                    "between arms, Sobol or Morris indices (docs/figures.md). Each "
                    "figure NAME.FORMAT comes with NAME.csv, the tidy table of the numbers drawn.",
        epilog=f"""\
examples:
  {PROGRAM} plot results/baseline-seed1                  # -> results/baseline-seed1/figures/
  {PROGRAM} plot results/baseline-10seeds --format pdf   # vector figures for LaTeX
  {PROGRAM} plot results/baseline-10seeds --style paper.mplstyle   # your own Matplotlib style
  {PROGRAM} plot results/baseline-seed1 --format svg --out paper/figures
  {PROGRAM} plot results/like_weight_vs_leads-sweep     # a sweep (analysed first if needed)
  {PROGRAM} plot results/arms --metric totals.leads --metric 'brands.*.leads_per_1k_likes'
""")
    plot.add_argument("results", type=Path,
                      help="results folder of `run` (one run, or --seeds N with seed=*/), or a "
                           "sweep folder of `sweep`")
    plot.add_argument("--format", choices=("png", "svg", "pdf"), default="png",
                      help="png (200 dpi), svg or pdf (default: png)")
    plot.add_argument("--out", type=Path, help="folder for the figures (default: RESULTS/figures)")
    plot.add_argument("--overwrite", action="store_true",
                      help="--out may hold files: replace figures of the same names in it")
    plot.add_argument("--metric", dest="metrics", action="append", metavar="NAME",
                      help=METRIC_HELP)
    plot.add_argument("--style", type=Path, metavar="FILE",
                      help="a Matplotlib style file applied over the house style (e.g. "
                           "'font.size: 9' lines); default: the house style")
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
                        help="results folder of `run` (one run, or --seeds N with seed=*/), or "
                             "a sweep folder of `sweep`")
    report.add_argument("--format", choices=("html", "md"), default="html",
                        help="html (one self-contained file) or md (Markdown + images folder)")
    report.add_argument("--out", type=Path,
                        help="report file (default: RESULTS/report.html or RESULTS/report.md)")
    report.add_argument("--overwrite", action="store_true",
                        help="replace the --out file (and its figures folder) if it exists")
    report.add_argument("--metric", dest="metrics", action="append", metavar="NAME",
                        help=METRIC_HELP)
    report.add_argument("--style", type=Path, metavar="FILE",
                        help="a Matplotlib style file for the report's figures")
    report.add_argument("--quiet", action="store_true", help="no progress bar")


def _style_of(args: argparse.Namespace):
    """The figures' style for --style (read before any work: a bad file stops here)."""
    from simulation.io.results import ResultsError
    from simulation.viz.style import StyleError, read_style, user_style

    if args.style is not None:
        try:
            read_style(args.style)
        except StyleError as exc:
            raise ResultsError(str(exc)) from None
    return user_style(args.style)


def _command_plot(args: argparse.Namespace) -> int:
    with _style_of(args):
        return _plot(args)


def _plot(args: argparse.Namespace) -> int:
    from simulation.io.results import ResultsError, is_sweep_folder, open_results
    from simulation.io.storage import check_file_output
    from simulation.viz.run_figures import plot_results

    out = args.out or args.results / "figures"
    if args.out is not None:  # RESULTS/figures is this program's: replaced figure by figure
        check_file_output(args.out, args.overwrite, folder=True)
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
    from simulation.io.storage import check_file_output
    from simulation.viz.reports import describe, write_report

    if args.out is not None:  # RESULTS/report.* is this program's: replaced
        check_file_output(args.out, args.overwrite)
        if args.format == "md":
            check_file_output(args.out.parent / f"{args.out.stem}_figures", args.overwrite,
                              "--out (its figures)", folder=True)
    with _style_of(args):
        print(describe(write_report(args.results, args.out, args.format,
                                    progress=not args.quiet, metrics=args.metrics)))
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
