"""The command line, run as a user runs it: results, bad input, help, interruption."""

import json
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from tests.support.scenarios import BASELINE, ROOT

SMALL = ["--viewers", "1500", "--steps", "12", "--quiet"]


def folder_contents(folder):
    """Every file's content in a results folder, except the manifest (it records wall time)."""
    found = {}
    for path in sorted(folder.iterdir()):
        if path.suffix == ".parquet":
            found[path.name] = pd.read_parquet(path)
        elif path.name != "manifest.json":
            found[path.name] = path.read_text()
    return found


def test_run_writes_a_complete_folder(cli):
    result = cli("run", BASELINE, "--viewers", "1500", "--steps", "12", "--out", "results/a")
    assert result.returncode == 0, result.stderr
    folder = cli.cwd / "results" / "a"
    names = {p.name for p in folder.iterdir()}
    assert names == {"manifest.json", "summary.json", "posts.parquet", "creators.parquet",
                     "steps.parquet", "feed_mix.parquet", "reach.parquet", "scenario.toml"}
    assert "Funnel per segment" in result.stdout and "Gini" in result.stdout
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == 1 and manifest["scenario"]["population"]["size"] == 1500
    assert manifest["versions"]["mesa"] and manifest["wall_seconds"] > 0
    steps = pd.read_parquet(folder / "steps.parquet")
    assert len(steps) == 12 * 3 and set(steps["segment"]) == {"casual", "niche_fans", "buyers"}
    # The resolved scenario runs as is.
    assert cli("validate", folder / "scenario.toml").returncode == 0


def test_same_seed_same_files_different_seed_different_files(cli):
    for name, seed in (("a", 4), ("b", 4), ("c", 5)):
        assert cli("run", BASELINE, *SMALL, "--seed", seed, "--out", name).returncode == 0
    first, again, other = (folder_contents(cli.cwd / n) for n in "abc")
    assert first.keys() == again.keys()
    for name in first:
        if name.endswith(".parquet"):
            pd.testing.assert_frame_equal(first[name], again[name])
        else:
            assert first[name] == again[name]
    assert first["summary.json"] != other["summary.json"]


@pytest.mark.slow
def test_several_seeds_write_an_aggregate(cli):
    result = cli("run", BASELINE, *SMALL, "--seeds", "3", "--out", "multi")
    assert result.returncode == 0, result.stderr
    folder = cli.cwd / "multi"
    assert {p.name for p in folder.iterdir()} == {
        "seed=1", "seed=2", "seed=3", "aggregate.csv", "aggregate.json", "posts", "creators",
        "steps", "feed_mix", "reach", "manifest.json"}
    assert json.loads((folder / "manifest.json").read_text())["format"] == "engagement-sim seeds 1"
    table = pd.read_csv(folder / "aggregate.csv")
    row = table[table["measure"] == "rates.engagement_rate_by_views"].iloc[0]
    assert row["n"] == 3 and row["ci_low"] <= row["mean"] <= row["ci_high"]
    assert row["kind"] == "rate" and row["method"].startswith("t-interval on the logit scale")
    posts = pd.read_parquet(folder / "posts")  # every seed's posts in one call
    assert sorted(posts["seed"].astype(int).unique()) == [1, 2, 3]


@pytest.mark.parametrize("text, expected", [
    ("[population]\nsiz = 10\n", "population.siz: unknown key 'siz' (did you mean 'size'?)"),
    ('steps = "many"\n', "steps: input should be a valid integer"),
    ("[[population.segments]]\nname = 'a'\nshare = 0.5\nintent = { a = -1, b = 1 }\n",
     "population.segments[0].intent.a: input should be greater than 0"),
    ("steps = [\n", "not valid TOML"),
    ("[[population.segments]]\nname = 'a'\nshare = 0.6\n", "shares sum to 0.6"),
    ("[[creators]]\nname = 'x'\n[creators.offer]\nrelevance = { byers = 1 }\n",
     "creators[0].offer.relevance.byers: unknown segment"),
])
def test_bad_input_exits_2_with_one_message_and_writes_nothing(cli, text, expected):
    path = cli.cwd / "bad.toml"
    path.write_text(text)
    result = cli("run", path)
    assert result.returncode == 2
    assert expected in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr
    assert not (cli.cwd / "results").exists()


def test_missing_file_and_bad_override(cli):
    missing = cli("run", "nope.toml")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    bad = cli("run", BASELINE, "--set", "ranking.policy=best")
    assert bad.returncode == 2 and "ranking.policy" in bad.stderr and "'random'" in bad.stderr
    assert "Traceback" not in bad.stderr + missing.stderr
    assert not (cli.cwd / "results").exists()


def test_validate_and_defaults(cli):
    assert cli("validate", *sorted((ROOT / "scenarios").glob("*.toml"))).returncode == 0
    defaults = cli("defaults")
    assert defaults.returncode == 0 and "[ranking.weights]" in defaults.stdout
    (cli.cwd / "d.toml").write_text(defaults.stdout)
    assert cli("validate", "d.toml").returncode == 0


@pytest.mark.parametrize("command", [[], ["run"], ["validate"], ["defaults"]])
def test_every_command_has_help_with_examples(cli, command):
    result = cli(*command, "--help")
    assert result.returncode == 0 and "examples:" in result.stdout


@pytest.mark.slow
def test_ctrl_c_leaves_no_folder_that_looks_complete(cli):
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "run", str(BASELINE), "--viewers", "3000",
         "--out", "interrupted"], cwd=cli.cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    # wait until the run is under way (its partial folder exists), however loaded the machine
    deadline = time.monotonic() + 120
    while not list(cli.cwd.glob(".interrupted.partial-*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert process.poll() is None, "the run ended before it could be interrupted"
    time.sleep(1)  # into the model's construction or steps
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert not (cli.cwd / "interrupted").exists()
    assert list(cli.cwd.iterdir()) == []


def test_console_script_matches_run_py():
    from simulation.cli import main

    assert main(["validate", str(BASELINE)]) == 0
