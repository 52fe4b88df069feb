"""Figures and reports of sweep folders: every figure drawn, its CSV the analysis tables' numbers.

Three tiny sweeps are run once per module (400 viewers, 8 steps, --workers 1): a grid over
two parameters (one of them text), paired arms over one parameter, and a Morris design.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from simulation.cli import main
from simulation.experiments.analysis import analyze
from simulation.experiments.executor import run_sweep
from simulation.experiments.sweep_results import open_sweep
from simulation.experiments.sweeps import load_sweep
from simulation.io.results import ResultsError
from simulation.viz import sweep_figures as sweep_plots
from simulation.viz.reports import write_report
from simulation.viz.run_figures import Chart
from simulation.viz.run_report import format_ratio
from tests.support.figures import assert_publishable
from tests.support.reports import Document, assert_self_contained
from tests.support.scenarios import TINY_SWEEP_HEADER, call_cli

try:
    import fcntl
except ImportError:  # not POSIX: each xdist worker builds its own folders
    fcntl = None

HOSTILE = "<script>alert('x')</script> & <b>bold</b> | *star*"

GRID = """\
[sweep]
method = "grid"
replicates = 2
seed = 5
[[sweep.params]]
path = "ranking.weights.like"
values = [0.0, 2.0, 8.0]
[[sweep.params]]
path = "ranking.policy"
values = ["foryou", "popularity"]
"""
"""3 x 2 points x 2 replicates = 12 runs; the policy is a text parameter (categories)."""

ARMS = f"""\
description = '''{HOSTILE}'''
[sweep]
replicates = 3
seed = 9
[[sweep.params]]
path = "ranking.weights.like"
values = [1.0, 4.0]
[[arms]]
name = "values_likes"
description = '''{HOSTILE}'''
[[arms]]
name = "values_leads"
set = {{ "ranking.weights.lead" = 500.0 }}
"""
"""2 points x 2 arms x 3 replicates = 12 runs."""

MORRIS = """\
[sweep]
method = "morris"
samples = 4
levels = 4
seed = 3
[[sweep.params]]
path = "ranking.weights.like"
low = 0.0
high = 8.0
[[sweep.params]]
path = "ranking.temperature"
low = 0.005
high = 0.2
scale = "log"
"""
"""4 trajectories x (2 + 1) = 12 runs."""

METRICS = ["totals.leads", "inequality.views_gini"]


def run_tiny_sweep(folder: Path, name: str, body: str) -> Path:
    """Run a tiny sweep in this process (one run after another); returns its folder."""
    path = folder / f"{name}.toml"
    path.write_text(TINY_SWEEP_HEADER + body)
    out = folder / name
    run_sweep(load_sweep(path), out, workers=1, progress=False)
    return out


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str,
               build: Callable[[Path], dict[str, Any]]) -> tuple[Path, dict[str, Any]]:
    """A folder built by ``build(folder)`` once per test session, whatever the xdist workers.

    Workers share the session's temporary folder: the first to take the lock builds, the
    others wait, then read the folder and what ``build`` returned (the pattern of
    pytest-xdist's documentation). Tests only read the folder.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None or fcntl is None:
        place = tmp_path_factory.mktemp(name)
        return place, build(place)
    root = tmp_path_factory.getbasetemp().parent  # this session's, shared by the workers
    place, record = root / name, root / f"{name}.json"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.is_file():
            shutil.rmtree(place, ignore_errors=True)
            place.mkdir()
            record.write_text(json.dumps(build(place)))
    return place, json.loads(record.read_text())


def _outcome(result: subprocess.CompletedProcess) -> dict[str, Any]:
    return {"returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr}


@pytest.fixture(scope="module")
def grid_plotted(tmp_path_factory):
    """The grid sweep, then `plot --metric ... --out figs` through run.py (it analyses first)."""
    def build(place: Path) -> dict[str, Any]:
        folder = run_tiny_sweep(place, "grid", GRID)
        return _outcome(call_cli("plot", folder, "--metric", METRICS[0], "--metric", METRICS[1],
                                "--out", "figs", "--quiet", cwd=place))

    place, result = built_once(tmp_path_factory, "sweep-grid", build)
    return place / "grid", place / "figs", result


@pytest.fixture(scope="module")
def arms_swept(tmp_path_factory):
    """The arms sweep run through run.py with --report: sweep, analysis, report."""
    def build(place: Path) -> dict[str, Any]:
        (place / "arms.toml").write_text(TINY_SWEEP_HEADER + ARMS)
        return _outcome(call_cli("sweep", "arms.toml", "--workers", "1", "--quiet", "--out",
                                "arms", "--report", cwd=place))

    place, result = built_once(tmp_path_factory, "sweep-arms", build)
    return place / "arms", result


@pytest.fixture(scope="module")
def morris_folder(tmp_path_factory):
    """The Morris sweep, analysed."""
    def build(place: Path) -> dict[str, Any]:
        analyze(run_tiny_sweep(place, "morris", MORRIS))
        return {}

    return built_once(tmp_path_factory, "sweep-morris", build)[0] / "morris"


def analysis_table(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / "analysis" / f"{name}.csv")


def assert_image(path: Path) -> None:
    """A valid PNG, 700 pixels wide (3.5 in at 200 dpi), with something drawn on it."""
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size[0] == 700 and image.size[1] > 300
        pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 10 and (pixels < 128).mean() > 0.01, f"{path.name} is (nearly) blank"


def drawn(sweep, kind: str | None = None) -> list[Chart]:
    charts = [chart for k, chart in sweep_plots.draw_sweep_charts(sweep)
              if isinstance(chart, Chart) and kind in (None, k)]
    assert charts
    return charts


# --- a grid over two parameters ----------------------------------------------------------


def test_plot_command_draws_each_metric_against_each_parameter_and_a_heatmap(grid_plotted):
    folder, figures, result = grid_plotted
    assert result["returncode"] == 0, result["stderr"]
    assert "analysis/ is missing: analysed every measure" in result["stdout"]
    assert (folder / "analysis" / "by_point.csv").is_file()
    expected = {f"sweep_{m}_{what}".replace(".", "-") for m in METRICS for what in (
        "vs_ranking.weights.like", "vs_ranking.policy",
        "over_ranking.weights.like_and_ranking.policy")}
    assert {p.name for p in figures.iterdir()} == {f"{n}.{e}" for n in expected
                                                   for e in ("png", "csv")}
    assert f"figures: figs/ ({len(expected)} figures" in result["stdout"]
    for image in figures.glob("*.png"):
        assert_image(image)


def test_grid_figure_csvs_are_the_analysis_means(grid_plotted):
    folder, figures, _ = grid_plotted
    by_point = analysis_table(folder, "by_point").rename(columns={"measure": "metric"})
    for table in figures.glob("*.csv"):
        drawn_rows = pd.read_csv(table)
        assert {"point", "metric", "mean", "ci_low", "ci_high", "n"} <= set(drawn_rows)
        assert len(drawn_rows) == 6  # one row per grid point
        merged = drawn_rows.merge(by_point, on=["point", "metric"], suffixes=("", "_analysis"))
        assert len(merged) == len(drawn_rows)
        for column in ("mean", "ci_low", "ci_high", "n"):
            np.testing.assert_allclose(merged[column], merged[f"{column}_analysis"],
                                       rtol=1e-12, equal_nan=True)
        for parameter in ("ranking.weights.like", "ranking.policy"):
            assert (merged[parameter] == merged[f"param.{parameter}"]).all()


def test_grid_figures_are_publishable(grid_plotted, tmp_path):
    sweep = open_sweep(grid_plotted[0], METRICS)
    assert not sweep.notes  # analysed by the plot command already
    charts = drawn(sweep)
    assert len(charts) == 6
    for chart in charts:
        assert chart.caption.endswith(".")
        assert_publishable(chart, tmp_path)
    heatmap = next(c for c in charts if "_over_" in c.name and "leads" in c.name)
    assert heatmap.figure.axes[0].images[0].get_array().shape == (2, 3)  # policy x like weight
    lines = next(c for c in charts if c.name.endswith("vs_ranking-weights-like")
                 and "leads" in c.name)
    (legend,) = lines.figure.legends
    assert legend.get_title().get_text() == "ranking.policy"
    assert [t.get_text() for t in legend.get_texts()][:2] == ["foryou", "popularity"]


def test_default_metrics_and_unknown_metrics(grid_plotted, capsys):
    folder = grid_plotted[0]
    sweep = open_sweep(folder)
    assert sweep.metrics[:3] == ["rates.engagement_rate_by_views", "totals.likes",
                                 "totals.leads"]
    for brand in ("glow_skincare", "ledger_app"):
        assert f"brands.{brand}.leads_per_1k_impressions" in sweep.metrics
        assert f"brands.{brand}.likes_leads_spearman" in sweep.metrics
    assert "inequality.views_gini" in sweep.metrics
    assert open_sweep(folder, ["totals.lea*"]).metrics == ["totals.leads"]
    assert main(["plot", str(folder), "--metric", "totals.leeds", "--out",
                 str(folder / "nothing")]) == 2
    error = capsys.readouterr().err
    assert "--metric totals.leeds: not a measure" in error and "did you mean totals.leads" in error
    assert "glob patterns" in error and "Traceback" not in error
    assert not (folder / "nothing").exists()


# --- paired arms: `sweep --report` ---------------------------------------------------------


def test_sweep_with_report_writes_a_self_contained_report(arms_swept):
    folder, result = arms_swept
    assert result["returncode"] == 0, result["stderr"]
    assert f"report: {folder.name}/report.html" in result["stdout"]
    assert "next:" not in result["stdout"]
    text = (folder / "report.html").read_text(encoding="utf-8")
    figures = int(re.search(r"(\d+) figures, built in", result["stdout"]).group(1))
    document = assert_self_contained(text, figures)
    # 8 metrics against the like weight and the differences at 2 points, less the metrics
    # that a run this small leaves undefined everywhere (each is named as skipped)
    skipped = re.findall(r"skipped sweep_\S+: (\S+) is undefined", result["stdout"] + result["stderr"])
    assert len(skipped) <= 2 and figures == 8 + 2 - len(skipped)
    assert len(Document(text).all("figure")) == figures
    assert "<script>" not in text and "<b>bold</b>" not in text
    assert html.escape(HOSTILE, quote=False) in text.replace("&#39;", "'")
    body = html.unescape(" ".join(document.text))
    manifest = json.loads((folder / "manifest.json").read_text())
    for expected in ("What was run", "Means by point", "Differences between arms",
                     "root entropy 9", "values_likes", "values_leads",
                     "ranking.weights.lead = 500", f"dask {manifest['versions']['dask']}",
                     "common random numbers", "Paired differences between arms"):
        assert expected in body, expected
    paired = analysis_table(folder, "paired").set_index(["point", "measure"])
    likes = paired.loc[(1, "totals.likes")]
    assert (f"{format_ratio(likes['difference'])} [{format_ratio(likes['paired_ci_low'])}, "
            f"{format_ratio(likes['paired_ci_high'])}]") in body


def test_arm_difference_figures_hold_the_paired_and_unpaired_intervals(arms_swept, tmp_path):
    sweep = open_sweep(arms_swept[0], ["totals.likes", "totals.leads"])
    charts = drawn(sweep, "differences")
    assert [c.name for c in charts] == ["sweep_arm_differences_at_point-0",
                                        "sweep_arm_differences_at_point-1"]
    assert "(point 1, ranking.weights.like = 4)" in charts[1].title
    paired = analysis_table(arms_swept[0], "paired").set_index(["point", "measure", "arm"])
    for chart in charts:
        assert_publishable(chart, tmp_path)
        assert "Welch" in chart.caption and "common random numbers" in chart.caption
        data = pd.read_csv(tmp_path / f"{chart.name}.csv")
        assert len(data) == 2 and set(data["reference"]) == {"values_likes"}
        for row in data.itertuples():
            table = paired.loc[(row.point, row.metric, row.arm)]
            expected = [table["difference"], table["paired_ci_low"], table["paired_ci_high"],
                        table["pairs"], table["unpaired_difference"], table["unpaired_ci_low"],
                        table["unpaired_ci_high"]]
            np.testing.assert_allclose([row.mean, row.ci_low, row.ci_high, row.n,
                                        row.unpaired_mean, row.unpaired_ci_low,
                                        row.unpaired_ci_high], expected, rtol=1e-12)
    lines = drawn(sweep, "parameter")[0]
    assert set(lines.data["arm"]) == {"values_likes", "values_leads"}


# --- a Morris design ----------------------------------------------------------------------


def test_morris_indices_figure_is_the_sensitivity_table(morris_folder, tmp_path):
    sweep = open_sweep(morris_folder, ["totals.likes"])
    sensitivity = analysis_table(morris_folder, "sensitivity")
    sensitivity = sensitivity[sensitivity["measure"] == "totals.likes"].set_index(
        ["parameter", "index"])
    (chart,) = drawn(sweep, "sensitivity")
    assert_publishable(chart, tmp_path)
    assert set(chart.data["index"]) == {"mu_star", "sigma"} and len(chart.data) == 4
    for row in chart.data.itertuples():
        expected = sensitivity.loc[(row.parameter, row.index)]
        assert row.value == pytest.approx(expected["value"])
        assert row.conf == pytest.approx(expected["conf"], nan_ok=True)
    temperature = next(c for c in drawn(sweep, "parameter") if "temperature" in c.name)
    assert temperature.figure.axes[0].get_xscale() == "log"  # scale = "log" in the file


def test_morris_report_in_html_and_markdown(morris_folder, tmp_path):
    html_report = write_report(morris_folder, tmp_path / "morris.html",
                               metrics=["totals.likes", "totals.leads"])
    text = (tmp_path / "morris.html").read_text(encoding="utf-8")
    assert_self_contained(text, html_report.figures)
    assert html_report.figures == 2 * (2 + 1)  # each metric against 2 parameters, indices
    body = html.unescape(" ".join(Document(text).text))
    assert "Sensitivity indices" in body and "mu_star" in body and "Morris" in body
    assert "ranking.temperature" in body and "0.005 to 0.2" in body
    markdown = write_report(morris_folder, tmp_path / "paper" / "morris.md", "md",
                            metrics=["totals.likes"])
    text = markdown.path.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) == markdown.figures == 3
    for link in links:
        assert_image(markdown.path.parent / link)


# --- the analysis behind the figures, and bad input ---------------------------------------


def test_partial_or_stale_analysis_is_analysed_again(morris_folder, tmp_path):
    folder = tmp_path / "morris"
    shutil.copytree(morris_folder, folder)
    analyze(folder, ["totals.*"])
    sweep = open_sweep(folder, ["inequality.views_gini"])
    assert "lacks inequality.views_gini" in sweep.notes[0]
    assert "inequality.views_gini" in set(sweep.tables["by_point"]["measure"])
    record = json.loads((folder / "analysis" / "analysis.json").read_text())
    (folder / "analysis" / "analysis.json").write_text(json.dumps({**record, "done": 3}))
    assert "out of date" in open_sweep(folder, METRICS).notes[0]
    assert not open_sweep(folder, METRICS).notes


def test_folders_that_are_not_finished_sweeps_exit_2(tmp_path, capsys):
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "sweep.json").write_text("{}")  # started: no sweep.parquet yet
    for command in ("plot", "report"):
        assert main([command, str(unfinished)]) == 2
        error = capsys.readouterr().err
        assert "has not finished" in error and "sweep --resume" in error
    with pytest.raises(ResultsError, match="not a sweep folder"):
        open_sweep(tmp_path)
    assert main(["plot", str(tmp_path), "--metric", "totals.leads"]) == 2
    assert "--metric" in capsys.readouterr().err
    assert main(["report", str(tmp_path), "--metric", "totals.leads"]) == 2
    assert "not a sweep folder" in capsys.readouterr().err


@pytest.mark.parametrize("command, expected", [("plot", "--metric"), ("report", "--metric"),
                                               ("sweep", "--report")])
def test_help_shows_the_sweep_options(command, expected, capsys):
    with pytest.raises(SystemExit) as exit_status:
        main([command, "--help"])
    text = capsys.readouterr().out
    assert exit_status.value.code == 0 and expected in text and "sweep" in text


def test_sweep_figure_names_are_file_names():
    name = sweep_plots.chart_name("sweep", "brands.glow_skincare.leads", "vs",
                                  "ranking.distribution.tiers[1].affinity_bar",
                                  subset={"arm": "values_leads", "ranking.weights.like": 0.5})
    assert name == ("sweep_brands-glow_skincare-leads_vs_ranking-distribution-tiers-1-"
                    "affinity_bar_at_arm-values_leads_at_ranking-weights-like-0-5")
    assert sweep_plots.chart_name("sweep_arm_differences", subset={
        "point": 3, "ranking.weights.like": 0.5}) == "sweep_arm_differences_at_point-3"


def test_heatmap_has_a_panel_per_arm_and_value_of_a_third_parameter(tmp_path):
    rows = [{"point": point, "arm": arm, "metric": "totals.leads", "mean": mean,
             "ci_low": mean - 1, "ci_high": mean + 1, "n": 3, "ranking.weights.like": like,
             "ranking.policy": policy, "ranking.temperature": temperature}
            for point, (like, policy, temperature) in enumerate(
                (like, policy, temperature) for like in (0.0, 2.0, 8.0)
                for policy in ("foryou", "random") for temperature in (0.01, 0.1))
            for arm, mean in (("values_likes", 10.0 + point), ("values_leads", 20.0 - point))]
    chart = sweep_plots.metric_heatmap(pd.DataFrame(rows), "ranking.weights.like",
                                       "ranking.policy", "totals.leads",
                                       facets=["arm", "ranking.temperature"])
    assert_publishable(chart, tmp_path)
    panels = [ax for ax in chart.figure.axes if ax.images]
    assert len(panels) == 4 and all(ax.images[0].get_array().shape == (2, 3) for ax in panels)
    assert panels[0].get_title() == "arm values_likes\ntemperature = 0.01"
    assert len(chart.data) == len(rows) and "facets" not in chart.data
    with pytest.raises(ValueError, match="several rows per"):
        sweep_plots.metric_heatmap(pd.DataFrame(rows), "ranking.weights.like",
                                   "ranking.policy", "totals.leads", facets=["arm"])
