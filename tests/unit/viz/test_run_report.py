"""The report: valid, self-contained HTML (or Markdown) that holds every figure and the numbers."""

from __future__ import annotations

import html
import json
import re
import shutil

import pandas as pd
import pytest
from PIL import Image

from simulation.io.results import open_results
from simulation.viz import run_figures as plots
from simulation.viz.reports import write_report
from simulation.viz.run_report import (
    Paragraph,
    Report,
    Table,
    brand_style_table,
    brand_tier_table,
    headline_table,
    render_html,
    render_markdown,
    scenario_rows,
    segment_funnel_table,
)
from tests.support.reports import Document, assert_self_contained
from tests.support.scenarios import BASELINE

HOSTILE = "<script>alert('x')</script> & <b>bold</b> | *star* [link](http://evil.example)"


@pytest.fixture(scope="module")
def run_report(run_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    written = write_report(run_folder, out)
    return written, out.read_text(encoding="utf-8")


def test_report_of_a_run_is_self_contained_html_with_every_figure(run_report):
    written, text = run_report
    assert written.figures == len(plots.CHARTS) and not written.skipped
    assert written.size_bytes == len(text.encode())
    document = assert_self_contained(text, len(plots.CHARTS))
    captions = " ".join(document.text)
    for function in plots.CHARTS:
        assert f'id="{function.__name__}"' in text
    assert captions.count("Figure ") >= len(plots.CHARTS)


def test_report_states_what_was_run_and_the_run_numbers(run_report, run_folder):
    _, text = run_report
    summary = json.loads((run_folder / "summary.json").read_text())
    manifest = json.loads((run_folder / "manifest.json").read_text())
    body = html.unescape(" ".join(Document(text).text))
    assert "one run, seed 11" in body
    assert f"mesa {manifest['versions']['mesa']}" in body
    assert f"{summary['inequality']['views_gini']:.3f}" in body
    assert f"{summary['totals']['impressions']:,}" in body
    for segment, counts in summary["segments"].items():
        assert segment in body and f"{counts['views']:,}" in body
    for brand in summary["brands"]:
        assert brand in body


def test_report_of_several_seeds_shows_the_aggregate_intervals(seeds_folder):
    results = open_results(seeds_folder)
    aggregate = pd.read_csv(seeds_folder / "aggregate.csv").set_index("measure")
    rows = {row[2]: row[1] for row in headline_table(results).rows}
    gini = aggregate.loc["inequality.views_gini"]
    assert rows["inequality.views_gini"] == (f"{gini['mean']:.3f} [{gini['ci_low']:.3f}, "
                                             f"{gini['ci_high']:.3f}]")
    assert headline_table(results).header[1] == "mean [95% interval]"
    buyers = next(row for row in segment_funnel_table(results).rows if row[0] == "buyers")
    views = aggregate.loc["segments.buyers.views"]
    assert buyers[2] == f"{views['mean']:,.0f} [{views['ci_low']:,.0f}, {views['ci_high']:,.0f}]"
    assert ["runs", "2 seeds: 1, 2"] in scenario_rows(results)
    assert brand_style_table(results).rows and brand_tier_table(results).rows


def test_text_from_the_scenario_is_escaped(run_folder, tmp_path):
    folder = tmp_path / "hostile"
    shutil.copytree(run_folder, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["scenario"]["description"] = HOSTILE
    manifest["scenario"]["name"] = "<i>name</i>"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    report = Report("<i>title</i>", [Table(["item", "value"], scenario_rows(open_results(folder))),
                                      Paragraph(HOSTILE)])
    text = render_html(report)
    assert "<script>" not in text and "<b>bold</b>" not in text and "<i>" not in text
    assert html.escape(HOSTILE, quote=False) in text.replace("&#39;", "'")
    assert html.escape("<i>name</i>") in text
    assert not Document(text).all("a") and not Document(text).all("script")
    markdown = render_markdown(report, "images")
    row = next(line for line in markdown.splitlines() if line.startswith("| description"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 3, "a | in the text would split the table row"
    assert "<script>" not in markdown and "\\*star\\*" in markdown
    assert "\\[link\\](http://evil.example)" in markdown  # no longer a link
    assert "alert('x')" in markdown  # quotes as they are, not as entities


def test_markdown_report_through_the_command_line(cli, run_folder):
    result = cli("report", run_folder, "--format", "md", "--out", "paper/baseline.md", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "report: paper/baseline.md and paper/baseline_figures/" in result.stdout
    paper = cli.cwd / "paper"
    markdown = (paper / "baseline.md").read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert len(links) == len(plots.CHARTS)
    assert {p.name for p in (paper / "baseline_figures").iterdir()} == {
        f"{function.__name__}.png" for function in plots.CHARTS}
    for link in links:
        assert link.startswith("baseline_figures/")
        with Image.open(paper / link) as image:
            assert image.format == "PNG"
    assert "## Headline measures" in markdown and "## Funnel tables" in markdown


def test_run_with_report(cli):
    run = cli("run", BASELINE, "--viewers", "1500", "--steps", "12", "--quiet", "--report",
              "--out", "fresh")
    assert run.returncode == 0, run.stderr
    assert "report: fresh/report.html" in run.stdout and "8 figures" in run.stdout
    assert_self_contained((cli.cwd / "fresh" / "report.html").read_text(encoding="utf-8"),
                          len(plots.CHARTS))
