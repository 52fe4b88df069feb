"""Calibration: the file is checked, a known parameter is recovered, an interrupted fit resumes.

The fits here run a MusicLab catalog of 200 visitors (about 0.1 s a run) in this process.
"""

from __future__ import annotations

import json
import math

import pytest

from simulation.config.loading import ScenarioError
from simulation.experiments.calibration import (
    Evaluator,
    FreeParameter,
    calibrate,
    from_unit,
    load_calibration,
    to_unit,
    write_outputs,
)
from tests.support.scenarios import MUSICLAB, call_cli

TINY = f'''
scenario = "{MUSICLAB.as_posix()}"
set = {{ "population.size" = 200, steps = 10 }}

[[parameters]]
path = "funnel.like.intercept"
low = -4.0
high = -1.0
start = -1.5

[[targets]]
name = "downloads"
measure = "catalog.likes_per_visitor"
value = {{value}}
uncertainty = 0.05
source = "the model itself at funnel.like.intercept = -2.5 (a recovery test)"

[[reported]]
name = "unpredictability"
measure = "across.catalog.like_share_unpredictability"

[method]
replicates = 2
seed = 5
evaluations = {{evaluations}}
'''


def tiny_file(tmp_path, value: float, extra: str = "", evaluations: int = 40) -> object:
    """The tiny calibration file; tests that need a folder, not a fit, run few evaluations."""
    path = tmp_path / "tiny.toml"
    path.write_text(TINY.replace("{value}", repr(value)).replace("{evaluations}", str(evaluations))
                    + extra, encoding="utf-8")
    return path


@pytest.mark.parametrize("scale", ["linear", "log"])
def test_a_value_and_its_place_in_the_range_round_trip(scale):
    param = FreeParameter(path="funnel.like.intercept", low=0.5, high=8.0, scale=scale)
    for value in (0.5, 1.3, 8.0):
        assert math.isclose(from_unit(param, to_unit(param, value)), value, rel_tol=1e-12)
    assert from_unit(param, 1.7) == 8.0  # clipped to the range


def test_a_known_parameter_is_recovered_within_its_interval(tmp_path):
    # The target is the model's own value at -2.5 on the same seeds (common random numbers),
    # so the fit from -1.5 should land on -2.5, inside its interval.
    probe = load_calibration(tiny_file(tmp_path, 0.0))
    evaluator = Evaluator(probe, tmp_path / "probe", lambda tasks: _run(tasks, probe))
    (tmp_path / "probe" / "runs").mkdir(parents=True)
    (tmp_path / "probe" / "failed").mkdir()
    truth = evaluator.evaluate([{"funnel.like.intercept": -2.5}], "search")[0]
    value = truth.measures["downloads"]

    calibration = load_calibration(tiny_file(tmp_path, value))
    result = calibrate(calibration, tmp_path / "fit", workers=1, progress=False)
    (row,) = result.parameter_rows()
    assert abs(row["value"] - (-2.5)) < 0.1, row
    assert row["ci_low"] <= -2.5 <= row["ci_high"] and row["identified"], row
    assert -4.0 <= row["ci_low"] < row["ci_high"] <= -1.0
    assert abs(result.target_rows()[0]["z"]) < 1.0
    assert math.isfinite(result.reported_rows()[0]["simulated"])

    # Run again into the same folder: every run is read back from its file, nothing reruns.
    again = calibrate(calibration, tmp_path / "fit", workers=1, progress=False)
    assert again.runs_done == 0 and again.runs_reused > 0
    assert again.best.values == result.best.values

    paths = write_outputs(again, tmp_path / "fit", command=["test"])
    written = json.loads(paths["json"].read_text())
    assert written["targets"][0]["name"] == "downloads"
    assert '"funnel.like.intercept" = ' in paths["scenario"].read_text()


def _run(tasks, calibration):
    from simulation.experiments.executor import execute_in_process

    execute_in_process(tasks, calibration.base_document(), lambda status: None)


def test_a_folder_of_another_calibration_is_refused(tmp_path):
    first = load_calibration(tiny_file(tmp_path, 2.0, evaluations=2))
    calibrate(first, tmp_path / "fit", workers=1, progress=False)
    second = load_calibration(tiny_file(tmp_path, 2.5))
    with pytest.raises(ScenarioError, match="holds another calibration"):
        calibrate(second, tmp_path / "fit", workers=1, progress=False)


@pytest.mark.parametrize("extra, where", [
    ('\n[[parameters]]\npath = "funnel.like.intercep"\nlow = 0\nhigh = 1\n', "parameters[1].path"),
    ('\n[[parameters]]\npath = "ranking.max_feed_length"\nlow = 10\nhigh = 48\n',
     "parameters[1].path"),
    ('\n[[parameters]]\npath = "funnel.view.appeal"\nlow = 1\nhigh = 0\n', "parameters[1].high"),
    ('\n[[targets]]\nname = "other"\ncondition = "nowhere"\nmeasure = "x"\nvalue = 1\n'
     'uncertainty = 1\nsource = "s"\n', "targets[1].condition"),
])
def test_bad_calibration_files_name_the_field(tmp_path, extra, where):
    with pytest.raises(ScenarioError) as error:
        load_calibration(tiny_file(tmp_path, 2.0, extra))
    assert where in str(error.value)


def test_the_command_writes_every_output_and_a_bad_file_exits_2(tmp_path):
    path = tiny_file(tmp_path, 2.4, evaluations=4)
    done = call_cli("calibrate", path, "--workers", "1", "--quiet", "--out", "cal", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for name in ("calibration.json", "evaluations.csv", "convergence.png", "calibrated.toml"):
        assert (tmp_path / "cal" / name).is_file(), name
    assert "funnel.like.intercept" in done.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('scenario = "nowhere.toml"\n', encoding="utf-8")
    failed = call_cli("calibrate", bad, cwd=tmp_path)
    assert failed.returncode == 2 and "Traceback" not in failed.stderr


def test_more_evaluations_resume_the_same_calibration(tmp_path):
    short = load_calibration(tiny_file(tmp_path, 2.0))
    short.spec.method.evaluations = 3
    calibrate(short, tmp_path / "fit", workers=1, progress=False)
    longer = load_calibration(tiny_file(tmp_path, 2.0, evaluations=8))
    resumed = calibrate(longer, tmp_path / "fit", workers=1, progress=False)
    assert resumed.runs_reused > 0
