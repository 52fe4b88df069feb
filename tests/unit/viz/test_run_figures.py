"""Figures: each is a legible column-wide image, and its CSV holds the run's own numbers."""

from __future__ import annotations

import json
import math
import shutil
import xml.etree.ElementTree as ElementTree

import numpy as np
import pandas as pd
import pytest

from simulation.io.results import ResultsError, open_results, seed_interval
from simulation.viz import run_figures as plots
from simulation.viz import sweep_figures as sweep_plots
from tests.support.figures import assert_publishable
from tests.support.scenarios import BASELINE

CHART_NAMES = [function.__name__ for function in plots.CHARTS]


@pytest.fixture(scope="module")
def run_results(run_folder):
    return open_results(run_folder)


@pytest.fixture(scope="module")
def seeds_results(seeds_folder):
    return open_results(seeds_folder)


@pytest.mark.parametrize("name", CHART_NAMES)
def test_every_figure_of_a_run_is_publishable(run_results, name, tmp_path):
    chart = getattr(plots, name)(run_results)
    assert chart.name and chart.caption.endswith(".")
    assert_publishable(chart, tmp_path)


@pytest.mark.parametrize("name", CHART_NAMES)
def test_every_figure_of_several_seeds_has_intervals(seeds_results, name, tmp_path):
    chart = getattr(plots, name)(seeds_results)
    assert_publishable(chart, tmp_path)
    assert "2 seeds" in chart.caption
    interval = [c for c in chart.data.columns if c.endswith("ci_low")]
    assert interval and np.isfinite(chart.data[interval[0]]).any()


def test_funnel_is_the_summary_segment_counts(run_results):
    data = plots.funnel_segments(run_results).data
    summary = run_results.first.summary
    assert len(data) == len(summary["segments"]) * len(plots.FUNNEL_STAGES)
    for row in data.itertuples():
        assert row.value == summary["segments"][row.segment][row.event]
        assert row.seeds == 1 and math.isnan(row.ci_low)


def test_funnel_of_several_seeds_is_the_aggregate(seeds_results, seeds_folder):
    data = plots.funnel_segments(seeds_results).data
    aggregate = pd.read_csv(seeds_folder / "aggregate.csv").set_index("measure")
    for row in data.itertuples():
        expected = aggregate.loc[f"segments.{row.segment}.{row.event}"]
        assert row.seeds == expected["n"] == 2
        assert row.value == pytest.approx(expected["mean"])
        assert (row.ci_low, row.ci_high) == pytest.approx((expected["ci_low"],
                                                           expected["ci_high"]), nan_ok=True)


def test_brand_funnel_adds_up_to_each_brand_and_style(run_results):
    data = plots.funnel_brands(run_results).data
    brands = run_results.first.summary["brands"]
    assert set(data["brand"]) == set(brands)
    for (brand, event), part in data.groupby(["brand", "event"]):
        assert part["value"].sum() == brands[brand][event]
    for (brand, style), part in data.groupby(["brand", "style"]):
        measures = brands[brand]["by_style"][style]
        counts = part.set_index("event")["value"]
        assert (counts["impressions"], counts["likes"], counts["leads"]) == (
            measures["impressions"], measures["likes"], measures["leads"])


def test_events_over_time_add_up_to_segment_totals(run_results):
    data = plots.events_over_time(run_results).data
    summary = run_results.first.summary
    hours = data["hour_to"] - data["hour_from"]
    assert (hours > 0).all() and data["hour"].between(data["hour_from"], data["hour_to"]).all()
    assert data.groupby(["event", "segment"]).size().max() <= plots.MAX_TIME_BINS
    totals = (data["value"] * hours).groupby([data["event"], data["segment"]]).sum()
    for (event, segment), total in totals.items():
        assert total == pytest.approx(summary["segments"][segment][event])


def test_time_bins_cover_every_step_in_at_most_48_bins():
    steps = pd.DataFrame({"step": np.arange(1, 101), "hour": np.arange(100) * 0.5})
    bins = plots.time_bins(steps, 0.5)
    assert bins["bin"].nunique() == 34 and bins["bin"].max() == 33  # 3 steps a bin
    assert bins["hour_from"].iloc[0] == 0 and bins["hour_to"].iloc[-1] == 50
    assert (bins["hour_to"] - bins["hour_from"]).iloc[-1] == 0.5  # the last bin is short


def test_viral_mismatch_points_and_spearman_are_the_run(run_results):
    data = plots.viral_mismatch(run_results).data
    summary, posts = run_results.first.summary, run_results.first.table("posts")
    brands = summary["brands"]
    assert set(data["panel"]) == {*brands, plots.ALL_BRANDS}
    everything = data[data["panel"] == plots.ALL_BRANDS]
    assert len(everything) == int(posts["is_brand"].sum())
    for brand, measures in brands.items():
        mine = data[data["panel"] == brand].set_index("post_id")
        theirs = posts[posts["creator"] == brand].set_index("post_id")
        assert len(mine) == measures["posts"]
        pd.testing.assert_series_equal(mine["likes"], theirs["likes"], check_dtype=False)
        pd.testing.assert_series_equal(mine["leads"], theirs["leads"], check_dtype=False)
        expected = measures["likes_leads_spearman"]
        rho = mine["spearman"].iloc[0]
        assert (math.isnan(rho) and expected is None) or rho == pytest.approx(expected)


def test_dilution_is_the_summary_by_tier_and_by_reach(run_results):
    data = plots.audience_dilution(run_results).data
    brands = run_results.first.summary["brands"]
    checked = 0
    for row in data.itertuples():
        key = "by_tier" if row.axis == "tier" else "by_reach"
        expected = brands[row.brand][key][str(row.x)][row.measure]
        assert (expected is None and math.isnan(row.value)) or row.value == pytest.approx(expected)
        checked += 1
    assert checked == sum(2 * (len(m["by_tier"]) + len(m["by_reach"])) for m in brands.values())


def test_lorenz_curve_gives_the_summary_gini(run_results):
    data = plots.views_lorenz(run_results).data
    expected = run_results.first.summary["inequality"]["views_gini"]
    x, y = data["post_share"].to_numpy(), data["view_share"].to_numpy()
    assert (x[0], y[0], x[-1], y[-1]) == (0, 0, 1, pytest.approx(1))
    assert (np.diff(y) >= 0).all()
    area = np.sum((y[1:] + y[:-1]) / 2 * np.diff(x))
    assert 1 - 2 * area == pytest.approx(expected, abs=1e-9)
    assert data["gini"].iloc[0] == pytest.approx(expected)
    assert len(data) == run_results.first.summary["posts"] + 1


def test_lorenz_of_several_seeds_shows_the_aggregate_gini(seeds_results):
    data = plots.views_lorenz(seeds_results).data
    measure = seeds_results.measure("inequality.views_gini")
    assert len(data) == plots.LORENZ_GRID and (data["seeds"] == 2).all()
    assert (data["gini"].iloc[0], data["gini_ci_low"].iloc[0]) == pytest.approx(
        (measure["mean"], measure["ci_low"]))


def test_views_distribution_is_the_share_of_posts_with_at_least_x_views(run_results):
    data = plots.views_distribution(run_results).data
    views = run_results.first.table("posts")["views"].to_numpy()
    assert data["views"].is_monotonic_increasing and (data["views"] > 0).all()
    assert data["value"].is_monotonic_decreasing
    for x in data["views"].sample(20, random_state=1, replace=True):
        share = data.loc[data["views"] == x, "value"].iloc[0]
        assert share == pytest.approx((views >= x).mean())
    assert data["value"].iloc[-1] == pytest.approx((views == views.max()).mean())


def test_feed_mix_is_the_share_of_each_bins_impressions(run_results):
    data = plots.feed_mix(run_results).data
    assert set(data["dimension"]) == set(plots.FEED_DIMENSIONS)
    sums = data.groupby(["dimension", "hour_from"])["value"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)
    mix = run_results.first.table("feed_mix")
    first = mix[(mix["dimension"] == "style") & (mix["hour"] < data["hour_to"].min())]
    expected = first.groupby("value")["impressions"].sum() / first["impressions"].sum()
    drawn = data[(data["dimension"] == "style") & (data["hour_from"] == 0)].set_index("category")
    for style, share in expected.items():
        if share > 0:
            assert drawn.loc[style, "value"] == pytest.approx(share)


def test_seed_interval_is_the_aggregate_statistic():
    estimate = seed_interval([1.0, 2.0, 4.0, float("nan")])
    assert (estimate.mean, estimate.n) == (pytest.approx(7 / 3), 3)
    half = 4.303 * np.std([1, 2, 4], ddof=1) / 3 ** 0.5
    assert estimate.high - estimate.mean == pytest.approx(half, rel=1e-3)  # unbounded: t
    assert math.isnan(seed_interval([5.0]).low) and seed_interval([]).n == 0


def test_vector_formats(run_results, tmp_path):
    chart = plots.views_lorenz(run_results)
    svg = plots.write_chart(chart, tmp_path, "svg")[0]
    root = ElementTree.parse(svg).getroot()
    assert root.tag.endswith("svg") and root.get("width") == "252pt"  # 3.5 in
    pdf = plots.write_chart(chart, tmp_path, "pdf")[0]
    assert pdf.read_bytes().startswith(b"%PDF") and b"/Type3" not in pdf.read_bytes()


def test_figures_without_brands_are_skipped_with_a_reason(run_folder, tmp_path):
    results = open_results(run_folder)
    run = results.first
    run.summary = {**run.summary, "brands": {}}
    run._tables["posts"] = run.table("posts").assign(is_brand=False)
    written, skipped = plots.plot_results(results, tmp_path / "figures")
    assert {name for name, _ in skipped} == {"funnel_brands", "viral_mismatch",
                                             "audience_dilution"}
    assert all("brand" in reason for _, reason in skipped)
    assert len(written) == 2 * (len(plots.CHARTS) - 3)


@pytest.fixture(scope="module")
def money_results(tmp_path_factory):
    """Two seeds of the monetization scenario at 600 viewers and 12 steps."""
    from simulation.config.loading import load_scenario
    from simulation.experiments.runs import run_seeds
    from tests.support.scenarios import SCENARIOS

    folder = tmp_path_factory.mktemp("results") / "money-2seeds"
    scenario = load_scenario(SCENARIOS / "monetization.toml", ["population.size=600", "steps=12"])
    run_seeds(scenario, [1, 2], folder, progress=False)
    return open_results(folder)


def test_revenue_against_likes_is_each_creators_summary(money_results, tmp_path):
    chart = plots.revenue_vs_likes(money_results)
    assert_publishable(chart, tmp_path)
    data = chart.data
    for run in money_results.runs:
        money = run.summary["money"]
        for channel in money["channels"]:
            rows = data[(data["seed"] == run.seed) & (data["channel"] == channel)]
            earners = {n: c for n, c in money["creators"].items() if channel in c["can_earn"]}
            assert set(rows["creator"]) == set(earners)
            for row in rows.itertuples():
                assert row.likes == earners[row.creator]["likes"]
                assert row.revenue == earners[row.creator]["revenue"][channel]
    for channel in money_results.first.summary["money"]["channels"]:
        rho = seed_interval([run.summary["money"]["spearman"]["likes"][channel]
                             for run in money_results.runs])
        rows = data[data["channel"] == channel]
        assert rows["spearman"].iloc[0] == pytest.approx(rho.mean, nan_ok=True)


def test_money_figures_only_when_money_is_on(money_results, run_results):
    assert plots.charts_for(money_results)[-1] is plots.revenue_vs_likes
    assert plots.charts_for(run_results) == plots.CHARTS
    with pytest.raises(plots.NothingToDraw):
        plots.revenue_vs_likes(run_results)


def test_folders_that_are_not_results_are_refused(tmp_path, run_folder):
    with pytest.raises(ResultsError, match="no such folder"):
        open_results(tmp_path / "nope")
    with pytest.raises(ResultsError, match="not a folder"):
        open_results(BASELINE)
    with pytest.raises(ResultsError, match="not a results folder"):
        open_results(tmp_path)
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "sweep.parquet").write_bytes(b"")
    with pytest.raises(ResultsError, match="sweep folder"):
        open_results(sweep)
    broken = tmp_path / "broken"
    shutil.copytree(run_folder, broken)
    (broken / "posts.parquet").unlink()
    with pytest.raises(ResultsError, match=r"missing posts\.parquet"):
        open_results(broken)
    (broken / "posts.parquet").write_text("not parquet")
    (broken / "summary.json").write_text("{")
    with pytest.raises(ResultsError, match="cannot be read as JSON"):
        open_results(broken)


def test_aggregate_is_recomputed_when_missing(seeds_folder, tmp_path):
    copy = tmp_path / "seeds"
    shutil.copytree(seeds_folder, copy)
    (copy / "aggregate.csv").unlink()
    recomputed = open_results(copy).measure("totals.likes")
    written = open_results(seeds_folder).measure("totals.likes")
    assert recomputed == pytest.approx(written)
    assert json.loads((copy / "aggregate.json").read_text())["seeds"] == [1, 2]


# --- sweep figures from synthetic tables (the input contract) ------------------------


@pytest.fixture(scope="module")
def sweep_points() -> pd.DataFrame:
    rows, point = [], 0
    for like in (0.5, 1.0, 2.0, 4.0):
        for lead in (0.0, 10.0, 50.0):
            mean = 100 - 5 * like + 0.5 * lead
            rows.append({"point": point, "metric": "totals.leads", "mean": mean,
                         "ci_low": mean - 3, "ci_high": mean + 3, "n": 5,
                         "ranking.weights.like": like, "ranking.weights.lead": lead})
            rows.append({**rows[-1], "metric": "totals.likes", "mean": 1000 * like})
            point += 1
    return pd.DataFrame(rows)


def test_sweep_metric_against_a_parameter(sweep_points, tmp_path):
    chart = sweep_plots.metric_against_parameter(sweep_points, "ranking.weights.like",
                                                 "totals.leads", by="ranking.weights.lead")
    assert_publishable(chart, tmp_path)
    assert len(chart.data) == 12 and set(chart.data["metric"]) == {"totals.leads"}
    assert len(chart.figure.legends[0].get_texts()) == 4  # 3 lines and the band


def test_sweep_scattered_design_draws_points_with_error_bars(sweep_points, tmp_path):
    chart = sweep_plots.metric_against_parameter(sweep_points, "ranking.weights.like",
                                                 "totals.leads")
    assert_publishable(chart, tmp_path)
    assert not chart.figure.axes[0].collections or all(
        len(c.get_paths()) for c in chart.figure.axes[0].collections)


def test_sweep_heatmap_holds_the_grid(sweep_points, tmp_path):
    chart = sweep_plots.metric_heatmap(sweep_points, "ranking.weights.like",
                                       "ranking.weights.lead", "totals.leads")
    assert_publishable(chart, tmp_path)
    image = chart.figure.axes[0].images[0].get_array()
    assert image.shape == (3, 4) and image[0, 0] == pytest.approx(97.5)
    with pytest.raises(ValueError, match="grid of two parameters"):
        sweep_plots.metric_heatmap(sweep_points, "ranking.weights.like", "n", "totals.leads")


def test_sweep_arm_differences(tmp_path):
    differences = pd.DataFrame([
        {"metric": metric, "arm": arm, "reference": "likes_first", "mean": mean,
         "ci_low": mean - 1, "ci_high": mean + 1.5, "n": 10}
        for metric in ("totals.leads", "totals.likes") for arm, mean in (("leads_first", 3.0),
                                                                         ("mixed", 0.5))])
    chart = sweep_plots.arm_differences(differences)
    assert_publishable(chart, tmp_path)
    assert len(chart.figure.axes) == 2 and len(chart.data) == 4


def test_sweep_sensitivity_indices_sorted_by_total_effect(tmp_path):
    indices = pd.DataFrame([
        {"metric": "totals.leads", "parameter": parameter, "index": index,
         "value": value + (0.1 if index == "ST" else 0), "conf": 0.05}
        for parameter, value in (("population.size", 0.05), ("ranking.weights.like", 0.4),
                                 ("funnel.lead.intent", 0.3)) for index in ("S1", "ST")])
    chart = sweep_plots.sensitivity_indices(indices, "totals.leads")
    assert_publishable(chart, tmp_path)
    assert list(dict.fromkeys(chart.data["parameter"])) == [
        "ranking.weights.like", "funnel.lead.intent", "population.size"]
    with pytest.raises(ValueError, match="lacks column"):
        sweep_plots.sensitivity_indices(indices.drop(columns="conf"), "totals.leads")
    with pytest.raises(ValueError, match="no rows for metric"):
        sweep_plots.sensitivity_indices(indices, "totals.likes")


# --- the command line ----------------------------------------------------------------


def test_plot_command_writes_every_figure_and_its_csv(cli, run_folder):
    result = cli("plot", run_folder, "--out", "figs", "--format", "svg", "--quiet")
    assert result.returncode == 0, result.stderr
    names = {p.name for p in (cli.cwd / "figs").iterdir()}
    assert names == {f"{n}.{ext}" for n in CHART_NAMES for ext in ("svg", "csv")}
    assert "8 figures" in result.stdout


def test_plot_command_on_several_seeds_defaults_to_a_figures_folder(seeds_folder, tmp_path,
                                                                    capsys):
    from simulation.cli import main

    copy = tmp_path / "seeds"
    shutil.copytree(seeds_folder, copy)
    assert main(["plot", str(copy)]) == 0
    assert f"figures: {copy / 'figures'}/ (8 figures" in capsys.readouterr().out
    assert len(list((copy / "figures").glob("*.png"))) == len(CHART_NAMES)
    assert open_results(copy).kind == "seeds"  # the figures folder does not confuse it


def test_bad_folders_exit_2_with_a_message_and_no_traceback(cli, capsys):
    from simulation.cli import main

    missing = cli("plot", "nowhere")  # as a user runs it: a message, no traceback
    assert missing.returncode == 2 and "no such folder" in missing.stderr
    assert "Traceback" not in missing.stderr
    (cli.cwd / "empty").mkdir()
    assert main(["report", str(cli.cwd / "empty")]) == 2
    assert "not a results folder" in capsys.readouterr().err
    assert list((cli.cwd / "empty").iterdir()) == []
    (cli.cwd / "sweep").mkdir()
    (cli.cwd / "sweep" / "sweep.parquet").write_bytes(b"")
    assert main(["plot", str(cli.cwd / "sweep")]) == 2
    assert "sweep folder" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["plot", "report"])
def test_figure_commands_have_help_with_examples(command, capsys):
    from simulation.cli import main

    with pytest.raises(SystemExit) as exit_status:
        main([command, "--help"])
    assert exit_status.value.code == 0 and "examples:" in capsys.readouterr().out
