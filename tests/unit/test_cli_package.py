"""The command line as an installed program: shipped scenarios by name from any folder,
`scenarios`, parallel seeds identical to one worker, and a `--help` that imports nothing heavy."""

import subprocess
import sys

import pandas as pd

from simulation.config.shipped import find_file, scenarios_folder, shipped_files
from tests.support.scenarios import ROOT, SCENARIOS

TINY = ["--viewers", "400", "--steps", "4", "--quiet"]


def test_help_imports_neither_the_model_nor_mesa_scipy_or_pandas():
    code = ("import sys\n"
            "from simulation.cli import main\n"
            "try:\n    main(['run', '--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('simulation.model', 'mesa', 'scipy', 'pandas', 'numpy', "
            "'pydantic') if m in sys.modules]\n"
            "print('heavy:', heavy, file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert "heavy: []" in result.stderr and "--workers" in result.stdout


def test_shipped_files_are_found_by_name():
    assert scenarios_folder() == SCENARIOS  # in a checkout: its own scenarios/ folder
    for given in ("baseline", "baseline.toml", "scenarios/baseline.toml"):
        assert find_file(given).resolve() == SCENARIOS / "baseline.toml"
    assert find_file("levers/pause") == SCENARIOS / "levers" / "pause.toml"
    assert find_file("like_weight_vs_leads", "sweep") == (SCENARIOS / "sweeps"
                                                         / "like_weight_vs_leads.toml")
    assert find_file("../pyproject") == find_file("../pyproject")  # never leaves the folder
    kinds = {f.name: f.kind for f in shipped_files()}
    assert kinds["baseline"] == "scenario" and kinds["sweeps/small_platform"] == "scenario"
    assert kinds["sweeps/like_weight_vs_leads"] == "sweep"
    assert len(kinds) == len(list(SCENARIOS.rglob("*.toml")))


def test_scenarios_lists_them_and_shows_one(cli):
    listed = cli("scenarios")
    assert listed.returncode == 0, listed.stderr
    assert "  baseline  " in listed.stdout and "levers/pause" in listed.stdout
    assert "shipped sweep files" in listed.stdout and "like_weight_vs_leads" in listed.stdout
    shown = cli("scenarios", "--show", "baseline")
    assert shown.stdout == (SCENARIOS / "baseline.toml").read_text()
    missing = cli("scenarios", "--show", "nope")
    assert missing.returncode == 2 and "scenarios` lists them" in missing.stderr


def test_a_shipped_scenario_runs_by_name_from_any_folder(cli):
    result = cli("run", "levers/pause", *TINY, "--out", "paused")
    assert result.returncode == 0, result.stderr
    assert (cli.cwd / "paused" / "summary.json").is_file()
    assert cli("validate", "baseline", "social_proof/musiclab").returncode == 0
    planned = cli("sweep", "like_weight_vs_leads", "--dry-run")
    assert planned.returncode == 0, planned.stderr
    missing = cli("run", "basline", *TINY)
    assert missing.returncode == 2 and "scenarios` lists all" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_seeds_in_worker_processes_write_what_one_worker_writes(cli):
    for name, workers in (("one", "1"), ("two", "2")):
        result = cli("run", "baseline", *TINY, "--seeds", "2", "--workers", workers,
                     "--out", name)
        assert result.returncode == 0, result.stderr
    one, two = cli.cwd / "one", cli.cwd / "two"
    files = sorted(path.relative_to(one) for path in one.rglob("*") if path.is_file())
    assert files == sorted(path.relative_to(two) for path in two.rglob("*") if path.is_file())
    assert sum(name.name == "summary.json" for name in files) == 2
    for name in files:  # every file but the manifests (they record wall time and memory)
        if name.suffix == ".parquet":
            pd.testing.assert_frame_equal(pd.read_parquet(one / name), pd.read_parquet(two / name))
        elif name.name != "manifest.json":
            assert (one / name).read_bytes() == (two / name).read_bytes(), name
    bad = cli("run", "baseline", *TINY, "--seeds", "2", "--workers", "0")
    assert bad.returncode == 2 and "--workers" in bad.stderr


def test_explore_checks_the_scenario_before_starting(cli):
    result = cli("explore", "no_such_scenario")
    assert result.returncode == 2 and "no such file" in result.stderr
