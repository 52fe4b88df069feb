"""A run's report: one self-contained HTML file, or Markdown with an images folder.

(A sweep folder's report is built by :mod:`simulation.sweep_report` from the same
blocks and rendered by the same functions; :func:`write_report` writes either.)

``python run.py report RESULTS_DIR`` writes what was run (scenario, key
parameters, seeds, versions from ``manifest.json``), the headline measures with
their 95% intervals across seeds (from ``aggregate.csv``), the funnel tables and
every figure of :mod:`simulation.viz.run_figures` with a one-line caption.

The HTML file needs nothing else to be read: figures are embedded as base64
PNG, the stylesheet is inline, and there are no scripts, links or fonts to
fetch. Every piece of text that comes from a scenario file or a manifest is
escaped (``html.escape``; in Markdown also its punctuation).

The report is first built as a list of blocks (headings, paragraphs, tables,
figures), then rendered as HTML or Markdown, so that both say the same thing.
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from simulation.core.program import PROGRAM
from simulation.io.results import Results
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


@dataclass
class Paragraph:
    text: str


@dataclass
class Code:
    text: str


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    caption: str = ""


@dataclass
class FigureBlock:
    number: int
    name: str
    title: str
    caption: str
    png: bytes


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
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.1f}"


def format_percent(value: float) -> str:
    return f"{100 * value:.3g}%" if abs(value) < 0.1 else f"{100 * value:.1f}%"


def format_ratio(value: float) -> str:
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def format_correlation(value: float) -> str:
    return f"{value:+.2f}"


def format_gini(value: float) -> str:
    return f"{value:.3f}"


def with_interval(row: dict[str, float], formatter: Callable[[float], str]) -> str:
    """'value' or 'value [low, high]'; 'n/a' when the measure is undefined."""
    if not _finite(row["mean"]):
        return "n/a"
    text = formatter(row["mean"])
    if _finite(row.get("ci_low")) and _finite(row.get("ci_high")):
        text += f" [{formatter(row['ci_low'])}, {formatter(row['ci_high'])}]"
    return text


def _runs_text(results: Results) -> str:
    seeds = results.seeds
    if len(seeds) == 1:
        return f"one run, seed {seeds[0]}"
    return f"{len(seeds)} seeds: {', '.join(map(str, seeds))}"


def _mapping_text(values: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value:g}" if _finite(value) else f"{key} {value}"
                     for key, value in values.items())


def scenario_rows(results: Results) -> list[list[str]]:
    """Key parameters of the scenario and of the runs, as (item, value) rows."""
    scenario, summary, manifest = results.scenario, results.first.summary, results.first.manifest
    population = scenario.get("population", {})
    ranking = scenario.get("ranking", {})
    tiers = ranking.get("distribution", {}).get("tiers", [])
    creators = scenario.get("creators", [])
    brands = [c["name"] for c in creators if c.get("offer")]
    rows = [
        ["scenario", str(scenario.get("name", results.name))],
        ["description", str(scenario.get("description", "")) or "(none)"],
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
            f"tier {k}: budget {t.get('budget')}, affinity bar {t.get('affinity_bar')}"
            for k, t in enumerate(tiers)) or "(none)"],
        ["topics", ", ".join(scenario.get("topics", []))],
        ["command", " ".join(map(str, manifest.get("command") or [])) or "(not recorded)"],
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


HEADLINES: tuple[tuple[str, str, Callable[[float], str]], ...] = (
    ("rates.engagement_rate_by_views", "engagement rate by views (likes + comments + shares)",
     format_percent),
    ("rates.like_rate", "likes per view", format_percent),
    ("rates.comment_rate", "comments per view", format_percent),
    ("rates.share_rate", "shares per view", format_percent),
    ("rates.view_rate", "views per impression", format_percent),
    ("rates.lead_rate", "leads per view", format_percent),
    ("inequality.views_gini", "Gini of views across posts", format_gini),
    ("inequality.top20_view_share", "share of views held by the top 20% of posts",
     format_percent),
    ("inequality.likes_gini", "Gini of likes across posts", format_gini),
    ("totals.impressions", "impressions", format_count),
    ("totals.views", "views", format_count),
    ("totals.likes", "likes", format_count),
    ("totals.leads", "leads", format_count),
    ("totals.purchases", "purchases", format_count),
    ("totals.revenue", "revenue", format_count),
)


BRAND_HEADLINES: tuple[tuple[str, str, Callable[[float], str]], ...] = (
    ("likes", "likes", format_count),
    ("leads", "leads", format_count),
    ("purchases", "purchases", format_count),
    ("leads_per_1k_likes", "leads per 1 000 likes", format_ratio),
    ("leads_per_1k_impressions", "leads per 1 000 impressions", format_ratio),
    ("target_share", "target share of impressions", format_percent),
    ("likes_leads_spearman", "Spearman ρ of likes and leads across its posts",
     format_correlation),
    ("top10_likes_leads_jaccard", "overlap of its top 10% of posts by likes and by leads",
     format_percent),
)


def headline_table(results: Results) -> Table:
    """Headline measures with their intervals (the aggregate's mean and 95% t-interval)."""
    rows = [[text, with_interval(results.measure(path), formatter), path]
            for path, text, formatter in HEADLINES]
    for brand in results.vocabulary("brands"):
        rows += [[f"{brand}: {text}", with_interval(results.measure(f"brands.{brand}.{key}"),
                                                    formatter), f"brands.{brand}.{key}"]
                 for key, text, formatter in BRAND_HEADLINES]
    value = "value" if len(results.runs) == 1 else "mean [95% interval]"
    return Table(["measure", value, "summary.json key"], rows)


def segment_funnel_table(results: Results) -> Table:
    """Events per viewer segment (summary.json ``segments``)."""
    rows = []
    for segment in [*results.vocabulary("segments"), None]:
        prefix = f"segments.{segment}" if segment else "totals"
        rows.append([segment or "all viewers", *(
            with_interval(results.measure(f"{prefix}.{event}"), format_count)
            for event in TABLE_EVENTS)])
    return Table(["segment", *(e.replace("_", " ") for e in TABLE_EVENTS)], rows)


def brand_style_table(results: Results) -> Table:
    """Each brand's posts by style (summary.json ``brands.<name>.by_style``)."""
    columns = (("posts", format_count), ("impressions", format_count), ("likes", format_count),
               ("leads", format_count), ("likes_per_post", format_ratio),
               ("leads_per_1k_likes", format_ratio), ("leads_per_1k_impressions", format_ratio))
    rows = []
    for brand in results.vocabulary("brands"):
        for style in results.vocabulary("styles"):
            prefix = f"brands.{brand}.by_style.{style}"
            if results.measure(f"{prefix}.posts")["n"] == 0:
                continue
            rows.append([brand, style, *(with_interval(results.measure(f"{prefix}.{key}"), f)
                                         for key, f in columns)])
    return Table(["brand", "style", *(key.replace("_", " ") for key, _ in columns)], rows)


def brand_tier_table(results: Results) -> Table:
    """Each brand's impressions by tier: the dilution (summary.json ``brands.<name>.by_tier``)."""
    columns = (("impressions", format_count), ("target_share", format_percent),
               ("leads_per_1k_impressions", format_ratio))
    rows = []
    for brand in results.vocabulary("brands"):
        for tier in results.vocabulary("tiers"):
            prefix = f"brands.{brand}.by_tier.{tier}"
            if results.measure(f"{prefix}.impressions")["n"] == 0:
                continue
            rows.append([brand, tier, *(with_interval(results.measure(f"{prefix}.{key}"), f)
                                        for key, f in columns)])
    return Table(["brand", "tier", *(key.replace("_", " ") for key, _ in columns)], rows)


def build_report(results: Results, progress: bool = False) -> Report:
    """Every block of the report of a run or a multi-seed folder (figures drawn as PNG)."""
    several = len(results.runs) > 1
    report = Report(f"{results.name}: simulation report")
    interval_note = (f"Values are means across {len(results.runs)} seeds with their 95% "
                     "t-interval in brackets (aggregate.csv)." if several else
                     "Values are from one run; run with --seeds N for intervals across seeds.")
    blocks = report.blocks
    blocks += [Heading("What was run"), Table(["item", "value"], scenario_rows(results))]
    blocks += [Heading("Headline measures"), Paragraph(interval_note), headline_table(results)]
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
    blocks.append(Heading("Figures"))
    blocks += [Paragraph("The numbers drawn in each figure are written as CSV, with the figure "
                         "as PNG, SVG or PDF, by:"),
               Code(f"{PROGRAM} plot {results.folder} --format pdf")]
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


STYLESHEET = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem;
     border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.85rem; }
th, td { border: 1px solid #d0d0d0; padding: 0.2rem 0.5rem; text-align: left;
         vertical-align: top; }
th { background: #f2f2f2; } td.number { text-align: right; white-space: nowrap; }
caption { caption-side: top; text-align: left; font-style: italic; padding-bottom: 0.3rem; }
figure { margin: 1.5rem 0; } figure img { max-width: 100%; width: 700px; height: auto; }
figcaption { font-size: 0.9rem; max-width: 700px; }
pre { background: #f6f6f6; padding: 0.5rem; overflow-x: auto; }
"""


_NUMBER = re.compile(r"^[+-]?[\d,.]+%?( \[.*\])?$|^n/a$")


def _html_cell(text: str, tag: str = "td") -> str:
    numeric = tag == "td" and _NUMBER.match(text)
    return f'<{tag} class="number">{html.escape(text)}</{tag}>' if numeric else \
        f"<{tag}>{html.escape(text)}</{tag}>"


def render_html(report: Report) -> str:
    """The report as one self-contained HTML document."""
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{html.escape(report.title)}</title>", f"<style>{STYLESHEET}</style>",
             "</head>", "<body>", f"<h1>{html.escape(report.title)}</h1>"]
    for block in report.blocks:
        if isinstance(block, Heading):
            parts.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            parts.append(f"<p>{html.escape(block.text)}</p>")
        elif isinstance(block, Code):
            parts.append(f"<pre>{html.escape(block.text)}</pre>")
        elif isinstance(block, Table):
            parts.append("<table>")
            if block.caption:
                parts.append(f"<caption>{html.escape(block.caption)}</caption>")
            parts.append("<thead><tr>" + "".join(_html_cell(h, "th") for h in block.header)
                         + "</tr></thead><tbody>")
            parts += ["<tr>" + "".join(_html_cell(c) for c in row) + "</tr>"
                      for row in block.rows]
            parts.append("</tbody></table>")
        elif isinstance(block, FigureBlock):
            data = base64.b64encode(block.png).decode("ascii")
            parts.append(
                f'<figure id="{html.escape(block.name)}">'
                f'<img src="data:image/png;base64,{data}" alt="{html.escape(block.title)}">'
                f"<figcaption><strong>Figure {block.number}. {html.escape(block.title)}."
                f"</strong> {html.escape(block.caption)}</figcaption></figure>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def markdown_text(text: str) -> str:
    """Plain text made safe for Markdown: HTML escaped, Markdown punctuation backslashed.

    Quotes stay as they are: their entities (``&#x27;``) hold a ``#``, which would be
    backslashed and then shown literally.
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False)).replace("\n", " ")


def render_markdown(report: Report, images: str) -> str:
    """The report as Markdown; figure ``name`` is linked as ``<images>/<name>.png``."""
    parts = [f"# {markdown_text(report.title)}", ""]
    for block in report.blocks:
        if isinstance(block, Heading):
            parts += [f"{'#' * block.level} {markdown_text(block.text)}", ""]
        elif isinstance(block, Paragraph):
            parts += [markdown_text(block.text), ""]
        elif isinstance(block, Code):
            parts += ["```", block.text.replace("```", "'''"), "```", ""]
        elif isinstance(block, Table):
            if block.caption:
                parts += [f"*{markdown_text(block.caption)}*", ""]
            parts.append("| " + " | ".join(markdown_text(h) for h in block.header) + " |")
            parts.append("|" + "---|" * len(block.header))
            parts += ["| " + " | ".join(markdown_text(c) for c in row) + " |"
                      for row in block.rows]
            parts.append("")
        elif isinstance(block, FigureBlock):
            parts += [f"![{markdown_text(block.title)}]({images}/{block.name}.png)", "",
                      f"**Figure {block.number}. {markdown_text(block.title)}.** "
                      f"{markdown_text(block.caption)}", ""]
    return "\n".join(parts)
