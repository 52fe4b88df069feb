"""A run's report: one self-contained HTML file, or Markdown with an images folder.

(A sweep folder's report is built by :mod:`simulation.viz.sweep_report` from the same
blocks and rendered by the same templates; :func:`simulation.viz.reports.write_report`
writes either.)

``python run.py report RESULTS_DIR`` writes what was run (scenario, its size and length as
run with the command's overrides, seeds, versions from ``manifest.json``), the headline
measures with their 95% intervals across seeds (from ``aggregate.csv``: each interval by
the measure's kind, with a sentence naming the methods, and a warning under 5 seeds), the
funnel tables and every figure of :mod:`simulation.viz.run_figures` with a one-line caption.
Labels and number formats come from the measure glossary (``measures/glossary.py``).

The report is first built as a list of blocks (headings, paragraphs, tables, figures), then
rendered by a Jinja2 template (``templates/report.html.j2`` or ``report.md.j2``) so that
both say the same thing. HTML is autoescaped, so text from a scenario file or a manifest is
never markup; in Markdown it is escaped by :func:`markdown_text`. The HTML file needs nothing
else to be read: figures are embedded as base64 PNG, the stylesheet is inline, and there are
no scripts, links or fonts to fetch. Wide tables scroll inside the page's column.
"""

from __future__ import annotations

import base64
import html
import math
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import jinja2

from simulation.config.ranking import Distribution
from simulation.io.results import Results
from simulation.measures.glossary import describe, format_value
from simulation.measures.intervals import Interval, method_note
from simulation.viz.run_figures import Chart, draw_charts
from simulation.viz.style import figure_bytes

ReportFormat = Literal["html", "md"]


REPORT_FORMATS: tuple[ReportFormat, ...] = ("html", "md")


TABLE_EVENTS: tuple[str, ...] = ("impressions", "views", "likes", "comments", "shares",
                                 "profile_visits", "follows", "link_clicks", "leads", "purchases")
"""Columns of the funnel table per segment."""


@dataclass
class Heading:
    text: str
    level: int = 2
    kind: ClassVar[str] = "heading"


@dataclass
class Paragraph:
    text: str
    style: str = ""
    """'' for plain text, 'warning' (few runs) or 'method' (how intervals were computed)."""
    kind: ClassVar[str] = "paragraph"


_NUMBER = re.compile(r"^[+-]?[\d,.]+%?( \[.*\])?$|^n/a$")


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    caption: str = ""
    paths: tuple[int, ...] = ()
    """Columns that hold summary.json paths (set in a monospace font that may break anywhere)."""
    kind: ClassVar[str] = "table"

    def cell_class(self, column: int, text: str) -> str:
        """The HTML class of a cell: 'number' (right-aligned), 'path' or ''."""
        if column in self.paths:
            return "path"
        return "number" if _NUMBER.match(str(text)) else ""


@dataclass
class FigureBlock:
    number: int
    name: str
    title: str
    caption: str
    png: bytes
    kind: ClassVar[str] = "figure"

    @property
    def base64(self) -> str:
        return base64.b64encode(self.png).decode("ascii")


@dataclass
class Report:
    """A report's blocks, its title, and the figures that had nothing to draw."""

    title: str
    blocks: list[Any] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def figures(self) -> list[FigureBlock]:
        return [block for block in self.blocks if isinstance(block, FigureBlock)]


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def format_count(value: float) -> str:
    return format_value(value, "thousands")


def format_percent(value: float) -> str:
    return format_value(value, "percent")


def format_ratio(value: float) -> str:
    return format_value(value, "number")


def with_interval(row: Interval | dict[str, float], formatter: Any) -> str:
    """'value' or 'value [low, high]'; 'n/a' when the measure is undefined.

    ``formatter``: a function of a number, or a glossary format name ('percent').
    """
    if isinstance(formatter, str):
        fmt = formatter

        def formatter(value: float) -> str:
            return format_value(value, fmt)  # type: ignore[arg-type]
    mean, low, high = ((row.mean, row.low, row.high) if isinstance(row, Interval)
                       else (row["mean"], row.get("ci_low"), row.get("ci_high")))
    if not _finite(mean):
        return "n/a"
    text = formatter(mean)
    if _finite(low) and _finite(high):
        text += f" [{formatter(low)}, {formatter(high)}]"
    return text


def measure_text(results: Results, path: str) -> str:
    """A measure's mean and interval across the runs, in its glossary format."""
    return with_interval(results.measure(path), describe(path).format)


def _runs_text(results: Results) -> str:
    seeds = results.seeds
    if len(seeds) == 1:
        return f"one run, seed {seeds[0]}"
    return f"{len(seeds)} seeds: {', '.join(map(str, seeds))}"


def _mapping_text(values: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value:g}" if _finite(value) else f"{key} {value}"
                     for key, value in values.items())


def _budget_text(tier: dict[str, Any], impressions: float, distribution: dict[str, Any]) -> str:
    """'150 impressions (0.0075 per viewer)', '150 impressions' or 'unlimited'."""
    if not math.isfinite(impressions):
        return "unlimited"
    per_viewer = distribution.get("budget_unit", "per_viewer") == "per_viewer"
    return f"{impressions:,.0f} impressions" + (f" ({tier['budget']:g} per viewer)"
                                                 if per_viewer else "")


def _overrides(command: list[str]) -> str:
    """The options of a recorded command that changed the scenario file's values."""
    found, position = [], 0
    while position < len(command):
        word = str(command[position])
        if word in ("--viewers", "--steps", "--set", "--seed") and position + 1 < len(command):
            found.append(f"{word} {command[position + 1]}")
            position += 2
            continue
        if word.startswith(("--viewers=", "--steps=", "--set=", "--seed=")):
            found.append(word)
        position += 1
    return " ".join(found)


def run_size_text(results: Results) -> str:
    """The size and length of the runs as run: viewers, creators, steps, hours, seeds."""
    scenario, summary = results.scenario, results.first.summary
    return (f"{summary['viewers']:,} viewers, {summary['creators']:,} creators, "
            f"{summary['steps']} steps of {scenario.get('step_hours', 1):g} h "
            f"({summary['hours']:g} hours), {_runs_text(results)}")


def scenario_rows(results: Results) -> list[list[str]]:
    """Key parameters of the scenario and of the runs, as (item, value) rows."""
    scenario, summary, manifest = results.scenario, results.first.summary, results.first.manifest
    population = scenario.get("population", {})
    ranking = scenario.get("ranking", {})
    distribution = ranking.get("distribution", {})
    tiers = distribution.get("tiers", [])
    budgets = (Distribution.model_validate(distribution).impression_budgets(
        population.get("size", summary["viewers"])) if tiers else [])
    creators = scenario.get("creators", [])
    brands = [c["name"] for c in creators if c.get("offer")]
    command = [str(word) for word in manifest.get("command") or []]
    overrides = _overrides(command)
    rows = [
        ["scenario", str(scenario.get("name", results.name))],
        ["as run", run_size_text(results)],
        ["changed from the scenario file",
         overrides or ("nothing" if command else "(not recorded)")],
        ["description (from the scenario file)",
         str(scenario.get("description", "")) or "(none)"],
        ["runs", _runs_text(results)],
        ["results folder", str(results.folder)],
        ["time", f"{summary['steps']} steps of {scenario.get('step_hours', 1):g} h "
                 f"({summary['hours']:g} hours), after a backlog of "
                 f"{scenario.get('backlog_hours', 0):g} hours of posts"],
        ["viewers", f"{summary['viewers']:,} in segments "
                    + ", ".join(f"{s['name']} ({100 * s['share']:g}%)"
                                for s in population.get("segments", []))],
        ["creators", f"{summary['creators']:,} in {len(creators)} group(s); brands: "
                     + (", ".join(brands) if brands else "none")],
        ["posts", ", ".join(f"{run.summary['posts']:,}" for run in results.runs)
                  + (" (per seed)" if len(results.runs) > 1 else "")],
        ["ranking", f"policy {ranking.get('policy', '?')}, temperature "
                    f"{ranking.get('temperature', math.nan):g}"],
        ["ranking weights", _mapping_text(ranking.get("weights", {}))],
        ["distribution tiers", "; ".join(
            f"tier {k}: budget {_budget_text(t, budget, distribution)}, affinity bar "
            f"{t.get('affinity_bar')}" for k, (t, budget) in enumerate(zip(tiers, budgets, strict=True)))
         or "(none)"],
        ["topics", ", ".join(scenario.get("topics", []))],
        ["command", " ".join(command) or "(not recorded)"],
        ["git commit", str(manifest.get("git_commit") or "(not recorded)")],
        ["versions", _mapping_text({k: v for k, v in manifest.get("versions", {}).items()
                                    if k != "platform" and v})],
        ["platform", str(manifest.get("versions", {}).get("platform", "?"))],
        ["wall time and peak memory" + (" per seed" if len(results.runs) > 1 else ""),
         "; ".join(f"{run.manifest.get('wall_seconds', math.nan):.1f} s and "
                   f"{run.manifest.get('peak_memory_mb', math.nan):.0f} MiB"
                   for run in results.runs)],
    ]
    return rows


HEADLINES: tuple[str, ...] = (
    "rates.engagement_rate_by_views", "rates.like_rate", "rates.comment_rate",
    "rates.share_rate", "rates.view_rate", "rates.lead_rate", "inequality.views_gini",
    "inequality.top20_view_share", "inequality.likes_gini", "totals.impressions",
    "totals.views", "totals.likes", "totals.leads", "totals.purchases", "totals.revenue")
"""Headline measures of the whole run (labels and formats from the glossary)."""


BRAND_HEADLINES: tuple[str, ...] = (
    "likes", "leads", "purchases", "leads_per_1k_likes", "leads_per_1k_impressions",
    "target_share", "likes_leads_spearman", "top10_likes_leads_jaccard")
"""Headline measures of each brand (``brands.<name>.<key>``)."""


def headline_table(results: Results) -> Table:
    """Headline measures with their intervals (the aggregate's mean and 95% interval)."""
    paths = [*HEADLINES, *(f"brands.{brand}.{key}" for brand in results.vocabulary("brands")
                           for key in BRAND_HEADLINES)]
    rows = [[describe(path).label, measure_text(results, path), path] for path in paths]
    value = "value" if len(results.runs) == 1 else "mean [95% interval]"
    return Table(["measure", value, "summary.json key"], rows, paths=(2,))


def interval_blocks(results: Results, paths: list[str]) -> list[Paragraph]:
    """The sentence naming how the intervals were computed, and the warning for few runs."""
    if len(results.runs) == 1:
        return [Paragraph("Values are from one run (one seed), so they have no interval.")]
    intervals = [results.measure(path) for path in paths]
    note = method_note(intervals)
    sentence, _, warning = note.partition(" Warning: ")
    blocks = [Paragraph(f"Values are means across {len(results.runs)} seeds with their 95% "
                        "interval in brackets (aggregate.csv, which names each interval's "
                        "method). Each interval is computed by the measure's kind so that it "
                        "stays in its range: counts and ratios on the log scale, shares and "
                        "rates on the logit scale, correlations on Fisher's z scale. "
                        f"Here: {sentence}", "method")]
    if warning:
        blocks.append(Paragraph("Warning: " + warning, "warning"))
    return blocks


def segment_funnel_table(results: Results) -> Table:
    """Events per viewer segment (summary.json ``segments``)."""
    rows = []
    for segment in [*results.vocabulary("segments"), None]:
        prefix = f"segments.{segment}" if segment else "totals"
        rows.append([segment or "all viewers", *(
            measure_text(results, f"{prefix}.{event}") for event in TABLE_EVENTS)])
    return Table(["segment", *(e.replace("_", " ") for e in TABLE_EVENTS)], rows)


def brand_style_table(results: Results) -> Table:
    """Each brand's posts by style (summary.json ``brands.<name>.by_style``)."""
    columns = ("posts", "impressions", "likes", "leads", "likes_per_post", "leads_per_1k_likes",
               "leads_per_1k_impressions")
    rows = []
    for brand in results.vocabulary("brands"):
        for style in results.vocabulary("styles"):
            prefix = f"brands.{brand}.by_style.{style}"
            if results.measure(f"{prefix}.posts").n == 0:
                continue
            rows.append([brand, style, *(measure_text(results, f"{prefix}.{key}")
                                         for key in columns)])
    return Table(["brand", "style", *(key.replace("_", " ") for key in columns)], rows)


def brand_tier_table(results: Results) -> Table:
    """Each brand's impressions by tier: the dilution (summary.json ``brands.<name>.by_tier``)."""
    columns = ("impressions", "target_share", "leads_per_1k_impressions")
    rows = []
    for brand in results.vocabulary("brands"):
        for tier in results.vocabulary("tiers"):
            prefix = f"brands.{brand}.by_tier.{tier}"
            if results.measure(f"{prefix}.impressions").n == 0:
                continue
            rows.append([brand, tier, *(measure_text(results, f"{prefix}.{key}")
                                        for key in columns)])
    return Table(["brand", "tier", *(key.replace("_", " ") for key in columns)], rows)


def build_report(results: Results, progress: bool = False) -> Report:
    """Every block of the report of a run or a multi-seed folder (figures drawn as PNG)."""
    report = Report(f"{results.name}: simulation report")
    blocks = report.blocks
    blocks += [Heading("What was run"),
               Paragraph(f"{results.name} as run: {run_size_text(results)}."),
               Table(["item", "value"], scenario_rows(results))]
    headlines = headline_table(results)
    blocks += [Heading("Headline measures"),
               *interval_blocks(results, [row[2] for row in headlines.rows]), headlines]
    segments = segment_funnel_table(results)
    segments.caption = "Events per viewer segment, from impressions to purchases."
    blocks += [Heading("Funnel tables"), segments]
    if results.vocabulary("brands"):
        styles, tiers = brand_style_table(results), brand_tier_table(results)
        styles.caption = ("Each brand's posts by content style: likes per post against leads "
                          "per 1 000 likes (viral mismatch).")
        tiers.caption = ("Each brand's impressions by distribution tier: target share and leads "
                         "per 1 000 impressions (audience dilution).")
        blocks += [styles, tiers]
    blocks += [Heading("Figures"),
               Paragraph("The numbers drawn in each figure are in a CSV file beside it when the "
                         "figures are written on their own (as PNG, SVG or PDF).")]
    number = 0
    for chart in draw_charts(results, progress=progress):
        if isinstance(chart, Chart):
            number += 1
            blocks.append(FigureBlock(number, chart.name, chart.title, chart.caption,
                                      figure_bytes(chart.figure, "png")))
        else:
            report.skipped.append(chart)
            blocks.append(Paragraph(f"Figure {chart[0]} is omitted: {chart[1]}."))
    return report


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def markdown_text(text: str) -> str:
    """Plain text made safe for Markdown: HTML escaped, Markdown punctuation backslashed.

    Quotes stay as they are: their entities (``&#x27;``) hold a ``#``, which would be
    backslashed and then shown literally.
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False)).replace("\n", " ")


_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("simulation.viz", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"),
                                        default_for_string=True),
    undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
_ENVIRONMENT.filters["md"] = markdown_text


def render_html(report: Report) -> str:
    """The report as one self-contained HTML document (``templates/report.html.j2``)."""
    return _ENVIRONMENT.get_template("report.html.j2").render(report=report)


def render_markdown(report: Report, images: str) -> str:
    """The report as Markdown; figure ``name`` is linked as ``<images>/<name>.png``."""
    text = _ENVIRONMENT.get_template("report.md.j2").render(report=report, images=images)
    return re.sub(r"\n{3,}", "\n\n", text)
