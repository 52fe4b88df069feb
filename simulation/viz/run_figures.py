"""Figures of one run, or of several seeds with 95% bands: ``python run.py plot``.

Each figure is a :class:`Chart`: a file name, a title, a one-line caption, the
tidy table of exactly the numbers drawn (written beside the image as
``<name>.csv``), and the matplotlib figure. A chart function first builds that
table from the results folder, then draws only from the table, so the CSV and
the picture cannot disagree.

Tables share one layout. Per-seed numbers are combined by
:func:`simulation.io.results.across_seeds`: ``value`` is the mean across seeds (the
run's own number for one run), ``ci_low``/``ci_high`` its 95% interval across seeds
(empty for one run), computed by the quantity's kind so that it stays in its range (a
count's above zero, a share's in [0, 1], a correlation's in [-1, 1];
``measures/intervals.py``), ``method`` how, and ``seeds`` how many seeds had the number.
Every figure with a band or error bars says so in its legend, and warns on the figure when
the intervals come from fewer than 5 seeds. The per-post scatter (viral mismatch) and the
Lorenz curve of a single run list their points as they are, each with its ``seed``.

Figures (file names): ``funnel_segments``, ``funnel_brands``,
``events_over_time``, ``viral_mismatch``, ``audience_dilution``,
``views_lorenz``, ``views_distribution``, ``feed_mix``; and ``revenue_vs_likes`` when the
scenario switches money on (``MONEY_CHARTS``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, PercentFormatter
from tqdm.auto import tqdm

from simulation.core.sources import SOURCES
from simulation.core.statistics import gini, spearman
from simulation.io.results import Results, across_seeds, seed_interval
from simulation.io.storage import write_text
from simulation.measures.intervals import CORRELATION, POSITIVE, UNIT
from simulation.viz.style import (
    BAND_ALPHA,
    REFERENCE_COLOUR,
    SERIES_COLOURS,
    FigureFormat,
    few_runs_note,
    figure_style,
    interval_label,
    new_figure,
    save_figure,
    series_colours,
    series_markers,
    set_title,
    warn_few_runs,
)

FUNNEL_STAGES: tuple[str, ...] = ("impressions", "views", "likes", "profile_visits",
                                  "link_clicks", "leads", "purchases")
"""The funnel drawn: from a post placed in a feed to a purchase (likes for comparison)."""


TIME_EVENTS: tuple[str, ...] = ("views", "likes", "leads")


MAX_TIME_BINS = 48
"""Steps are grouped into at most this many time bins, so that rare events (leads) are legible."""


MAX_BRAND_PANELS = 6
"""Brands beyond this many (by number of posts) are left out of per-brand figures."""


ALL_BRANDS = "all brands"


LORENZ_GRID = 101
"""Points of the Lorenz curve averaged across seeds (share of posts 0, 1%, ..., 100%)."""


FEED_DIMENSIONS: tuple[str, ...] = ("style", "tier", "source")


class NothingToDraw(Exception):  # noqa: N818 - a condition, not a failure
    """The results hold nothing for this figure (e.g. no brands); the message says why."""


@dataclass
class Chart:
    """One figure: file name, title, one-line caption, the numbers drawn, and the figure."""

    name: str
    title: str
    caption: str
    data: pd.DataFrame
    figure: Figure


MARKERS_PER_LINE = 12
"""A line of many points carries a marker every so many points, so that markers do not crowd."""


JITTER_DECADES = 0.06
"""Scatter of counts on log axes: each point moved by up to this many decades (x and y), so
that posts with the same integer counts do not hide each other; fixed seed."""


def label(name: str) -> str:
    """A column or event name as text: 'profile_visits' -> 'profile visits'."""
    return str(name).replace("_", " ")


def _seeds_note(results: Results, what: str = "bands") -> str:
    if len(results.runs) == 1:
        return f"One run (seed {results.seeds[0]}): no interval."
    note = few_runs_note(len(results.runs))
    return (f"Mean of {len(results.runs)} seeds ({results.seeds[0]}..{results.seeds[-1]}); "
            f"{what}: {interval_label(len(results.runs))} (by the quantity's kind: column "
            f"method of the CSV).{' ' + note if note else ''}")


def _has_interval(frame: pd.DataFrame) -> bool:
    return bool(np.isfinite(frame["ci_low"].to_numpy(dtype=float)).any())


def _interval_handle(results: Results, bars: bool = False) -> list:
    """A legend entry for the bands (or error bars), when there are any."""
    if len(results.runs) == 1:
        return []
    text = interval_label(len(results.runs))
    if bars:
        return [Line2D([], [], color=REFERENCE_COLOUR, marker="|", markersize=8,
                       linestyle="none", label=text)]
    return [Patch(facecolor=REFERENCE_COLOUR, alpha=BAND_ALPHA + 0.15, label=text)]


def _markevery(n: int) -> int:
    return max(1, math.ceil(n / MARKERS_PER_LINE))


def _draw_line(ax: Axes, x: np.ndarray, part: pd.DataFrame, colour: str, marker: str,
               text: str, *, band: bool = True, log: bool = False) -> None:
    """A series from a tidy part (value, ci_low, ci_high): a line with a band or error bars.

    ``band=False`` draws error bars (categorical axes). On a log axis a zero value is not
    drawn (captions say so), and an interval whose lower end is zero is drawn to the bottom
    of the axis with a downward triangle there: the interval reaches zero, and the log axis
    cannot show where.
    """
    y = part["value"].to_numpy(dtype=float)
    low = part["ci_low"].to_numpy(dtype=float)
    high = part["ci_high"].to_numpy(dtype=float)
    cut = np.zeros(len(y), dtype=bool)
    if log:
        y = np.where(y > 0, y, np.nan)
        cut = np.isfinite(low) & (low <= 0) & np.isfinite(y)
        low = np.where(cut, np.nan, low)
    every = _markevery(len(y))
    if not _has_interval(part):
        ax.plot(x, y, color=colour, marker=marker, markevery=every, label=text)
    elif band:
        ax.plot(x, y, color=colour, marker=marker, markevery=every, label=text)
        ax.fill_between(x, low, high, color=colour, alpha=BAND_ALPHA, linewidth=0)
    else:
        ax.errorbar(x, y, yerr=np.vstack([y - np.where(np.isfinite(low), low, y), high - y]),
                    color=colour, marker=marker, label=text, capsize=2, elinewidth=0.8)
    for position, value in zip(x[cut], y[cut], strict=True):  # down to the axis, an arrow
        ax.annotate("", xy=(position, 0), xycoords=("data", "axes fraction"),
                    xytext=(position, value), textcoords="data",
                    arrowprops={"arrowstyle": "-|>", "color": colour, "linewidth": 0.8,
                                "shrinkA": 0, "shrinkB": 0})


def _cut_handle(data: pd.DataFrame) -> list[Line2D]:
    """A legend entry for intervals that reach zero on a log axis, when there are any."""
    low = data["ci_low"].to_numpy(dtype=float)
    if not (np.isfinite(low) & (low <= 0) & (data["value"].to_numpy(dtype=float) > 0)).any():
        return []
    return [Line2D([], [], linestyle="none", marker="v", color=REFERENCE_COLOUR,
                   label="interval reaches 0 (arrow to the axis)")]


def _categorical_x(ax: Axes, labels: Sequence[str]) -> None:
    """Category names under their ticks, unrotated: every other one a line lower, so that
    long names do not run into each other."""
    ax.set_xticks(range(len(labels)), [("\n" if i % 2 else "") + label(t)
                                       for i, t in enumerate(labels)])
    ax.grid(False, axis="x")


def _jittered(values: np.ndarray, generator: np.random.Generator) -> np.ndarray:
    """Positive values moved at random by up to :data:`JITTER_DECADES` on a log scale."""
    return values * 10 ** generator.uniform(-JITTER_DECADES, JITTER_DECADES, len(values))


def _style_legend(figure: Figure, styles: Sequence[str], present: set[str],
                  lines: bool = True, extra: Sequence = ()) -> None:
    """One legend of content styles for all panels, under the title (and ``extra`` entries)."""
    colours, markers = series_colours(styles), series_markers(styles)
    handles = [Line2D([], [], linestyle="-" if lines else "none", marker=markers[s],
                      color=colours[s], label=label(s)) for s in styles if s in present]
    _figure_legend(figure, [*handles, *extra], "content style")


def _zeros_note(data: pd.DataFrame, by: str) -> str:
    """Which zero counts the log axis leaves out, or '' if none."""
    zero = data[data["value"] <= 0]
    if zero.empty:
        return ""
    items = [f"{label(row[by])} {label(row['event'])}" for _, row in zero.iterrows()]
    shown = ", ".join(items[:8]) + (f" and {len(items) - 8} more" if len(items) > 8 else "")
    return f"Zero on average, so not on the log axis: {shown}. "


def _figure_legend(figure: Figure, handles: Sequence, title: str, ncols: int = 3) -> None:
    """One legend for all panels of a figure, below them."""
    figure.legend(handles=list(handles), title=title, loc="outside lower center",
                  ncols=max(1, min(ncols, len(handles))))


def _percent_format(value: float, _position: float) -> str:
    return f"{100 * value:.4g}%"


def _count_format(value: float, _position: float) -> str:
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def funnel_segments(results: Results) -> Chart:
    """Funnel per viewer segment, from summary.json's ``segments`` (log scale)."""
    segments = results.vocabulary("segments")
    rows = [{"seed": run.seed, "segment": segment, "event": event,
             "value": run.summary["segments"][segment][event]}
            for run in results.runs for segment in segments for event in FUNNEL_STAGES]
    data = across_seeds(pd.DataFrame(rows), ["segment", "event"], bounds=POSITIVE)
    title = "Funnel per viewer segment: impressions to purchases"
    with figure_style():
        figure, (ax,) = new_figure(3.6)
        colours, markers = series_colours(segments), series_markers(segments)
        offsets = np.linspace(-0.15, 0.15, len(segments)) if len(segments) > 1 else [0.0]
        for offset, segment in zip(offsets, segments, strict=True):
            part = data[data["segment"] == segment].set_index("event").loc[list(FUNNEL_STAGES)]
            _draw_line(ax, np.arange(len(FUNNEL_STAGES)) + offset, part, colours[segment],
                       markers[segment], label(segment), band=False, log=True)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(_count_format))
        _categorical_x(ax, FUNNEL_STAGES)
        ax.set_xlabel("funnel stage")
        ax.set_ylabel("events (count, log scale)")
        _figure_legend(figure, [*ax.get_legend_handles_labels()[0],
                                *_interval_handle(results, bars=True), *_cut_handle(data)],
                       "viewer segment", ncols=2)
        set_title(figure, title)
        warn_few_runs(figure, len(results.runs))
    caption = (f"Events from all posts, per viewer segment. {_zeros_note(data, 'segment')}"
               f"{_seeds_note(results, 'error bars')}")
    return Chart("funnel_segments", title, caption, data, figure)


def _brand_posts(results: Results) -> pd.DataFrame:
    """Posts of brands, all seeds, with a ``seed`` column."""
    frames = []
    for run in results.runs:
        posts = run.table("posts")
        brand = posts[posts["is_brand"].astype(bool)].copy()
        brand.insert(0, "seed", run.seed)
        frames.append(brand)
    posts = pd.concat(frames, ignore_index=True)
    if posts.empty:
        raise NothingToDraw("no brand has posts (the scenario has no creator with an offer)")
    return posts


def _shown_brands(results: Results, posts: pd.DataFrame) -> list[str]:
    """Brands in scenario order, at most :data:`MAX_BRAND_PANELS` (those with most posts)."""
    counts = posts.groupby("creator").size()
    brands = [b for b in results.vocabulary("brands") if b in counts.index]
    keep = set(counts.loc[brands].sort_values(ascending=False, kind="stable")
               .index[:MAX_BRAND_PANELS])
    return [b for b in brands if b in keep]


def _left_out(results: Results, shown: Sequence[str]) -> str:
    hidden = len(results.vocabulary("brands")) - len(shown)
    return f" {hidden} further brand(s) with fewer posts are not drawn." if hidden > 0 else ""


def funnel_brands(results: Results) -> Chart:
    """Funnel of each brand's posts, by content style (log scale)."""
    posts = _brand_posts(results)
    brands, styles = _shown_brands(results, posts), results.vocabulary("styles")
    per_seed = posts.groupby(["seed", "creator", "style"], sort=False)[list(FUNNEL_STAGES)].sum()
    # Every (brand, style) a brand ever used, in every seed: a style with no posts counts zero.
    combos = posts[["creator", "style"]].drop_duplicates()
    rows = []
    for seed in results.seeds:
        for brand, style in combos.itertuples(index=False):
            key = (seed, brand, style)
            counts = per_seed.loc[key] if key in per_seed.index else pd.Series(0, FUNNEL_STAGES)
            rows += [{"seed": seed, "brand": brand, "style": style, "event": event,
                      "value": int(counts[event])} for event in FUNNEL_STAGES]
    frame = pd.DataFrame(rows)
    frame = frame[frame["brand"].isin(brands)]
    frame["brand"] = pd.Categorical(frame["brand"], brands)
    frame["style"] = pd.Categorical(frame["style"], styles)
    frame = frame.sort_values(["brand", "style", "seed"], kind="stable")
    frame["brand"], frame["style"] = frame["brand"].astype(str), frame["style"].astype(str)
    data = across_seeds(frame, ["brand", "style", "event"], bounds=POSITIVE)
    title = "Funnel of each brand's posts, by content style"
    with figure_style():
        figure, axes = new_figure(0.6 + 2.1 * len(brands), len(brands), 1, sharex=True,
                                  sharey=True)
        colours, markers = series_colours(styles), series_markers(styles)
        for ax, brand in zip(axes, brands, strict=True):
            mine = data[data["brand"] == brand]
            used = [s for s in styles if s in set(mine["style"])]
            offsets = np.linspace(-0.12, 0.12, len(used)) if len(used) > 1 else [0.0]
            for offset, style in zip(offsets, used, strict=True):
                part = mine[mine["style"] == style].set_index("event").loc[list(FUNNEL_STAGES)]
                _draw_line(ax, np.arange(len(FUNNEL_STAGES)) + offset, part, colours[style],
                           markers[style], label(style), band=False, log=True)
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(_count_format))
            ax.set_title(f"brand: {brand}", loc="left")
            ax.set_ylabel("events (count, log scale)")
        _categorical_x(axes[-1], FUNNEL_STAGES)
        _style_legend(figure, styles, set(data["style"]),
                      extra=[*_interval_handle(results, bars=True), *_cut_handle(data)])
        axes[-1].set_xlabel("funnel stage")
        set_title(figure, title)
        warn_few_runs(figure, len(results.runs))
    used_by = {brand: set(data.loc[data["brand"] == brand, "style"]) for brand in brands}
    unused = [f"{brand}: {', '.join(s for s in styles if s not in used_by[brand])}"
              for brand in brands if set(styles) - used_by[brand]]
    caption = ("Events from each brand's posts, per content style. "
               + (f"Styles a brand never posted are not drawn ({'; '.join(unused)}). "
                  if unused else "")
               + f"{_zeros_note(data, 'style')}{_left_out(results, brands)} "
               f"{_seeds_note(results, 'error bars')}").replace("  ", " ")
    return Chart("funnel_brands", title, caption, data, figure)


def time_bins(steps: pd.DataFrame, step_hours: float) -> pd.DataFrame:
    """Each step's time bin: ``bin``, ``hour_from``, ``hour_to`` (at most MAX_TIME_BINS bins).

    ``steps`` has ``step`` and ``hour`` (the hour at the start of the step). A bin
    spans whole steps; the last one may be shorter, which is why figures show
    events per hour rather than per bin.
    """
    step_numbers = np.sort(steps["step"].unique())
    width = max(1, math.ceil(len(step_numbers) / MAX_TIME_BINS))
    first = step_numbers[0] if len(step_numbers) else 0
    frame = pd.DataFrame({"step": steps["step"].to_numpy(), "hour": steps["hour"].to_numpy()})
    frame["bin"] = (frame["step"] - first) // width
    bounds = frame.groupby("bin")["hour"].agg(["min", "max"])
    frame["hour_from"] = frame["bin"].map(bounds["min"])
    frame["hour_to"] = frame["bin"].map(bounds["max"]) + step_hours
    return frame[["bin", "hour_from", "hour_to"]]


def _step_hours(results: Results) -> float:
    return float(results.scenario.get("step_hours", 1.0))


def _bin_note(data: pd.DataFrame) -> str:
    widths = (data["hour_to"] - data["hour_from"]).unique()
    return f"{max(widths):g}-hour bins" if len(widths) else "time bins"


def events_over_time(results: Results) -> Chart:
    """Views, likes and leads per hour, per viewer segment, over the run."""
    segments, step_hours = results.vocabulary("segments"), _step_hours(results)
    frames = []
    for run in results.runs:
        steps = run.table("steps")
        binned = pd.concat([steps[["segment", *TIME_EVENTS]].reset_index(drop=True),
                            time_bins(steps, step_hours).reset_index(drop=True)], axis=1)
        sums = binned.groupby(["hour_from", "hour_to", "segment"], sort=True)[
            list(TIME_EVENTS)].sum().reset_index()
        long = sums.melt(id_vars=["hour_from", "hour_to", "segment"], var_name="event",
                         value_name="count")
        long["value"] = long["count"] / (long["hour_to"] - long["hour_from"])
        long.insert(0, "seed", run.seed)
        frames.append(long)
    frame = pd.concat(frames, ignore_index=True)
    frame["hour"] = (frame["hour_from"] + frame["hour_to"]) / 2
    frame["event"] = pd.Categorical(frame["event"], TIME_EVENTS)
    frame["segment"] = pd.Categorical(frame["segment"], segments)
    frame = frame.sort_values(["event", "segment", "hour", "seed"], kind="stable")
    frame["event"], frame["segment"] = frame["event"].astype(str), frame["segment"].astype(str)
    data = across_seeds(frame, ["event", "segment", "hour_from", "hour_to", "hour"],
                        bounds=POSITIVE)
    title = "Views, likes and leads over time, per viewer segment"
    with figure_style():
        figure, axes = new_figure(4.6, len(TIME_EVENTS), 1, sharex=True)
        colours, markers = series_colours(segments), series_markers(segments)
        for ax, event in zip(axes, TIME_EVENTS, strict=True):
            for segment in segments:
                part = data[(data["event"] == event) & (data["segment"] == segment)]
                _draw_line(ax, part["hour"].to_numpy(), part, colours[segment],
                           markers[segment], label(segment))
            ax.set_ylabel(f"{event} per hour")
            ax.set_ylim(bottom=0)
        _figure_legend(figure, [*axes[0].get_legend_handles_labels()[0],
                                *_interval_handle(results)], "viewer segment", ncols=2)
        axes[-1].set_xlabel("platform time (hours since start)")
        set_title(figure, title)
        warn_few_runs(figure, len(results.runs))
    caption = (f"Events per hour in {_bin_note(data)}, drawn at each bin's midpoint (a marker "
               f"every {_markevery(data.groupby(['event', 'segment']).size().max())} bins). "
               f"{_seeds_note(results)}")
    return Chart("events_over_time", title, caption, data, figure)


def viral_mismatch(results: Results) -> Chart:
    """Likes against leads per brand post (log-log, +1), by style, with Spearman's rho."""
    posts = _brand_posts(results)
    brands, styles = _shown_brands(results, posts), results.vocabulary("styles")
    panels = [*brands, ALL_BRANDS] if len(results.vocabulary("brands")) > 1 else brands
    frames = []
    for panel in panels:
        mine = posts if panel == ALL_BRANDS else posts[posts["creator"] == panel]
        rhos = [spearman(group["likes"].to_numpy(), group["leads"].to_numpy())
                for _, group in mine.groupby("seed", sort=False)]
        rho = seed_interval(rhos, CORRELATION)
        frame = mine[["seed", "post_id", "creator", "style", "likes", "leads"]].copy()
        frame.insert(0, "panel", panel)
        frame["spearman"], frame["spearman_ci_low"] = rho.mean, rho.low
        frame["spearman_ci_high"], frame["spearman_seeds"] = rho.high, rho.n
        frame["spearman_method"] = rho.method
        frames.append(frame)
    data = pd.concat(frames, ignore_index=True)
    title = "Viral mismatch: likes against leads, per brand post"
    with figure_style():
        figure, axes = new_figure(0.9 + 2.15 * len(panels), len(panels), 1, sharex=True,
                                  sharey=True)
        colours, markers = series_colours(styles), series_markers(styles)
        generator = np.random.default_rng(JITTER_SEED)
        for ax, panel in zip(axes, panels, strict=True):
            mine = data[data["panel"] == panel]
            for style in styles:
                points = mine[mine["style"] == style]
                if points.empty:
                    continue
                ax.scatter(_jittered(points["likes"].to_numpy(float) + 1, generator),
                           _jittered(points["leads"].to_numpy(float) + 1, generator), s=7,
                           alpha=0.35, color=colours[style], marker=markers[style],
                           linewidths=0, label=label(style))
            ax.set_xscale("log")
            ax.set_yscale("log")
            for axis in (ax.xaxis, ax.yaxis):
                axis.set_major_locator(LogLocator(base=10))
                axis.set_major_formatter(FuncFormatter(_count_format))
            ax.set_title(panel if panel == ALL_BRANDS else f"brand: {panel}", loc="left")
            ax.set_ylabel("leads + 1 (log scale)")
            ax.legend(handles=[_rho_handle(mine, len(results.runs))], loc="upper left",
                      handlelength=0, handletextpad=0)
        # Head room above the highest point for the legend (the y axis is shared).
        top = float((data["leads"] + 1).max())
        axes[0].set_ylim(0.7, top * (top / 0.7) ** 0.6)
        axes[-1].set_xlabel("likes + 1 (log scale)")
        _style_legend(figure, styles, set(data["style"]), lines=False)
        set_title(figure, title)
        warn_few_runs(figure, len(results.runs))
    seeds = results.seeds
    pooled = (f"Posts of all {len(seeds)} seeds ({seeds[0]}..{seeds[-1]}) are pooled; ρ is the "
              f"mean of the per-seed values with its {interval_label(len(seeds))} (t on "
              f"Fisher's z scale). {few_runs_note(len(seeds))}" if len(seeds) > 1
              else f"One run (seed {seeds[0]}).")
    caption = ("Each point is one brand post; 1 is added to likes and leads so that posts "
               "without any appear on the log scales, and each point is moved at random by up "
               f"to {JITTER_DECADES:g} decades so that posts with equal counts do not hide each "
               "other (the CSV has the exact counts). Spearman's ρ is the rank correlation "
               f"of likes and leads.{_left_out(results, brands)} {pooled}").strip()
    return Chart("viral_mismatch", title, caption, data, figure)


JITTER_SEED = 7
"""Seed of the jitter of scatter plots: the same results give the same picture."""


def _rho_handle(panel: pd.DataFrame, n_runs: int, items: str = "posts") -> Line2D:
    rho, low, high = (float(panel[c].iloc[0]) for c in ("spearman", "spearman_ci_low",
                                                       "spearman_ci_high"))
    posts = len(panel) if n_runs == 1 else len(panel) / n_runs
    if not math.isfinite(rho):
        text = ("Spearman ρ undefined (constant likes or leads)" if items == "posts" else
                "Spearman ρ undefined (constant values)")
    elif math.isfinite(low):
        text = f"Spearman ρ = {rho:+.2f}, 95% interval [{low:+.2f}, {high:+.2f}]"
    else:
        text = f"Spearman ρ = {rho:+.2f}"
    per_run = items if n_runs == 1 else f"{items} per seed"
    return Line2D([], [], linestyle="none", label=f"{text}\n{posts:,.0f} {per_run}")


DILUTION_MEASURES = {"target_share": "target share (%)",
                     "leads_per_1k_impressions": "leads per 1 000\nimpressions"}


def _reach_label(start: float) -> str:
    start = int(start)
    return f"{start // 1000}k" if start >= 1000 and start % 1000 == 0 else f"{start:,}"


def audience_dilution(results: Results) -> Chart:
    """Target share and leads per 1 000 impressions against tier and cumulative reach."""
    brands = results.vocabulary("brands")[:MAX_BRAND_PANELS]
    if not brands:
        raise NothingToDraw("the scenario has no brands, so no audience to dilute")
    rows = []
    for run in results.runs:
        for brand in brands:
            measures = run.summary["brands"].get(brand)
            if measures is None:
                continue
            for axis, key, position in (("tier", "by_tier", int), ("reach", "by_reach", int)):
                for start, cell in measures[key].items():
                    for measure in DILUTION_MEASURES:
                        value = cell.get(measure)
                        rows.append({"seed": run.seed, "brand": brand, "axis": axis,
                                     "x": position(start), "measure": measure,
                                     "value": math.nan if value is None else value})
    frame = pd.DataFrame(rows)
    if frame.empty:
        raise NothingToDraw("no brand post had an impression")
    frame["brand"] = pd.Categorical(frame["brand"], brands)
    frame = frame.sort_values(["brand", "axis", "x", "measure", "seed"], kind="stable")
    frame["brand"] = frame["brand"].astype(str)
    data = pd.concat([across_seeds(frame[frame["measure"] == measure],
                                   ["brand", "axis", "x", "measure"],
                                   bounds=UNIT if measure == "target_share" else POSITIVE)
                      for measure in DILUTION_MEASURES])
    order = {brand: i for i, brand in enumerate(brands)}
    data = data.sort_values(["brand", "axis", "x", "measure"], kind="stable",
                            key=lambda c: c.map(order) if c.name == "brand" else c)
    data = data.reset_index(drop=True)
    title = "Audience dilution: target share and leads per 1 000 impressions, by tier and reach"
    with figure_style():
        figure, axes = new_figure(4.0, 2, 2, sharex="col", sharey="row")
        colours, markers = series_colours(brands), series_markers(brands)
        dodge = dict(zip(brands, np.linspace(-0.08, 0.08, len(brands)) if len(brands) > 1
                         else [0.0], strict=True))
        reach_positions = {x: i for i, x in enumerate(sorted(data.loc[data["axis"] == "reach",
                                                                      "x"].unique()))}
        for row, measure in enumerate(DILUTION_MEASURES):
            for column, axis in enumerate(("tier", "reach")):
                ax = axes[2 * row + column]
                for brand in brands:
                    part = data[(data["brand"] == brand) & (data["axis"] == axis)
                                & (data["measure"] == measure)].sort_values("x")
                    if part.empty:
                        continue
                    x = part["x"].to_numpy() if axis == "tier" else np.array(
                        [reach_positions[v] for v in part["x"]])
                    _draw_line(ax, x + dodge[brand], part, colours[brand], markers[brand],
                               brand, band=False)
                ax.set_ylim(bottom=0)
                if measure == "target_share":
                    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
                    ax.set_ylim(top=1)
                if column == 0:
                    ax.set_ylabel(DILUTION_MEASURES[measure])
        tiers = sorted(data.loc[data["axis"] == "tier", "x"].unique())
        axes[2].set_xticks(tiers, [str(int(t)) for t in tiers])
        axes[2].set_xlabel("distribution tier")
        step = max(1, math.ceil(len(reach_positions) / 4))  # at most 4 labels: no rotation
        axes[3].set_xticks(list(reach_positions.values())[::step],
                           [_reach_label(x) for x in reach_positions][::step])
        axes[3].set_xlabel("cumulative reach\n(impressions, bin start)")
        axes[0].set_title("by tier", loc="left")
        axes[1].set_title("by cumulative reach", loc="left")
        _figure_legend(figure, [*axes[0].get_legend_handles_labels()[0],
                                *_interval_handle(results, bars=True)], "brand", ncols=2)
        set_title(figure, title)
        warn_few_runs(figure, len(results.runs))
    caption = ("Target share: share of a brand's impressions that went to the segments its offer "
               "is relevant to (summary.json, brands.<name>.by_tier and by_reach). "
               f"{_seeds_note(results, 'error bars')}")
    return Chart("audience_dilution", title, caption, data, figure)


def lorenz_points(views: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Lorenz curve of views (share of posts, share of views), from (0, 0) to (1, 1).

    Its trapezoid area A gives the Gini exactly as :func:`simulation.core.statistics.gini`:
    Gini = 1 - 2A.
    """
    ordered = np.sort(np.asarray(views, dtype=np.float64))
    cumulative = np.concatenate([[0.0], np.cumsum(ordered)])
    total = cumulative[-1]
    share = cumulative / total if total > 0 else np.linspace(0, 1, len(cumulative))
    return np.linspace(0.0, 1.0, len(cumulative)), share


def views_lorenz(results: Results) -> Chart:
    """Lorenz curve of views across posts, with the Gini coefficient."""
    frames, ginis = [], []
    for run in results.runs:
        views = run.table("posts")["views"].to_numpy()
        if views.sum() == 0:
            continue
        ginis.append(gini(views))
        x, y = lorenz_points(views)
        if len(results.runs) > 1:  # a common grid, to average across seeds
            grid = np.linspace(0, 1, LORENZ_GRID)
            x, y = grid, np.interp(grid, x, y)
        frames.append(pd.DataFrame({"seed": run.seed, "post_share": x, "value": y}))
    if not frames:
        raise NothingToDraw("no post has a view")
    data = across_seeds(pd.concat(frames, ignore_index=True), ["post_share"], bounds=UNIT)
    data = data.rename(columns={"value": "view_share"})
    gini_interval = seed_interval(ginis, UNIT)
    g, g_low, g_high = gini_interval.mean, gini_interval.low, gini_interval.high
    data["gini"], data["gini_ci_low"], data["gini_ci_high"] = g, g_low, g_high
    data["gini_method"] = gini_interval.method
    title = "Concentration of views across posts: Lorenz curve and Gini"
    gini_text = f"Gini = {g:.3f}" + (f" [{g_low:.3f}, {g_high:.3f}]" if math.isfinite(g_low)
                                     else "")
    with figure_style():
        figure, (ax,) = new_figure(3.4)
        ax.plot([0, 1], [0, 1], color=REFERENCE_COLOUR, linestyle="--", linewidth=0.8,
                label="equal views (Gini = 0)")
        _draw_line(ax, data["post_share"].to_numpy(),
                   data.rename(columns={"view_share": "value"}), SERIES_COLOURS[0], "o",
                   f"views across posts\n{gini_text}")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel("share of posts, fewest views first (%)")
        ax.set_ylabel("share of all views (%)")
        ax.legend(handles=[*ax.get_legend_handles_labels()[0], *_interval_handle(results)],
                  loc="upper left")
        set_title(figure, title)
        warn_few_runs(figure, len(results.runs))
    caption = ("How unequally views are spread across posts: the curve lies further below the "
               "diagonal the more the feed concentrates views on few posts. "
               f"{_seeds_note(results)}")
    return Chart("views_lorenz", title, caption, data, figure)


def views_distribution(results: Results) -> Chart:
    """Complementary cumulative distribution of views per post (log-log)."""
    per_seed = {run.seed: np.sort(run.table("posts")["views"].to_numpy()) for run in results.runs}
    grid = np.unique(np.concatenate([v[v > 0] for v in per_seed.values()]))
    if len(grid) == 0:
        raise NothingToDraw("no post has a view")
    frames = []
    for seed, views in per_seed.items():
        at_least = (len(views) - np.searchsorted(views, grid, side="left")) / len(views)
        frames.append(pd.DataFrame({"seed": seed, "views": grid, "value": at_least}))
    data = across_seeds(pd.concat(frames, ignore_index=True), ["views"], bounds=UNIT)
    zero = np.mean([np.mean(v == 0) for v in per_seed.values()])
    title = "Distribution of views per post (complementary cumulative)"
    posts = np.mean([len(v) for v in per_seed.values()])
    with figure_style():
        figure, (ax,) = new_figure(3.0)
        text = (f"all posts ({posts:,.0f})" if len(results.runs) == 1
                else f"all posts ({posts:,.0f} per seed, mean)")
        _draw_line(ax, data["views"].to_numpy(), data, SERIES_COLOURS[0], "o", text, log=True)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(_count_format))
        ax.yaxis.set_major_formatter(FuncFormatter(_percent_format))
        ax.set_xlabel("views per post, x (log scale)")
        ax.set_ylabel("share of posts with at least x views (%)")
        ax.legend(handles=[*ax.get_legend_handles_labels()[0], *_interval_handle(results),
                           *_cut_handle(data)], loc="lower left")
        set_title(figure, title)
        warn_few_runs(figure, len(results.runs))
    unseen = (f"{100 * zero:.1f}% of posts had no view and are not on the log scale."
              if zero > 0 else "Every post had at least one view.")
    caption = (f"A long, slowly falling tail means a few posts take a large share of views. "
               f"{unseen} {_seeds_note(results)}")
    return Chart("views_distribution", title, caption, data, figure)


def feed_mix(results: Results) -> Chart:
    """Share of impressions taken by each style, tier and candidate source, over time.

    One panel per dimension, its categories stacked (mean shares across seeds add up to 1 in
    every bin); the 95% intervals of each share are in the CSV.
    """
    step_hours = _step_hours(results)
    frames = []
    for run in results.runs:
        mix = run.table("feed_mix").rename(columns={"value": "category"})
        binned = pd.concat([mix[["dimension", "category", "impressions"]].reset_index(drop=True),
                            time_bins(mix, step_hours).reset_index(drop=True)], axis=1)
        sums = binned.groupby(["dimension", "hour_from", "hour_to", "category"], sort=False)[
            "impressions"].sum().reset_index()
        totals = sums.groupby(["dimension", "hour_from"])["impressions"].transform("sum")
        sums["value"] = np.where(totals > 0, sums["impressions"] / totals.where(totals > 0, 1),
                                 np.nan)
        sums.insert(0, "seed", run.seed)
        frames.append(sums)
    frame = pd.concat(frames, ignore_index=True)
    frame["category"] = frame["category"].astype(str)
    order = {"style": results.vocabulary("styles"), "tier": results.vocabulary("tiers"),
             "source": list(SOURCES)}
    reached = frame.groupby(["dimension", "category"])["impressions"].sum()
    never = {dimension: [c for c in order.get(dimension, []) if reached.get((dimension, c), 0) == 0]
             for dimension in FEED_DIMENSIONS}
    frame = frame[frame.groupby(["dimension", "category"])["impressions"].transform("sum") > 0]
    frame = frame.copy()
    frame["hour"] = (frame["hour_from"] + frame["hour_to"]) / 2
    frame = frame.sort_values(["dimension", "hour", "seed"], kind="stable")
    data = across_seeds(frame, ["dimension", "category", "hour_from", "hour_to", "hour"],
                        bounds=UNIT)
    data["dimension"] = pd.Categorical(data["dimension"], FEED_DIMENSIONS)
    data = data.sort_values(["dimension"], kind="stable")
    data["dimension"] = data["dimension"].astype(str)
    title = "What the feed is made of: share of impressions by style, tier and source over time"
    dimensions = [d for d in FEED_DIMENSIONS if d in set(data["dimension"])]
    names = {"style": "content style", "tier": "distribution tier", "source": "candidate source"}
    with figure_style():
        figure, axes = new_figure(1.2 + 1.75 * len(dimensions), len(dimensions), 1, sharex=True)
        for ax, dimension in zip(axes, dimensions, strict=True):
            mine = data[data["dimension"] == dimension]
            present = set(mine["category"])
            vocabulary = order[dimension] + sorted(present - set(order[dimension]))
            categories = [c for c in vocabulary if c in present]
            wide = mine.pivot_table(index="hour", columns="category", values="value",
                                    aggfunc="first").reindex(columns=categories).fillna(0.0)
            colours = [SERIES_COLOURS[i % len(SERIES_COLOURS)] for i in range(len(categories))]
            hatches = ["" if i < len(SERIES_COLOURS) else "////" for i in range(len(categories))]
            layers = ax.stackplot(wide.index.to_numpy(), wide.to_numpy().T, colors=colours,
                                  labels=[label(c) for c in categories], linewidth=0.3,
                                  edgecolor="white")
            for layer, hatch in zip(layers, hatches, strict=True):
                layer.set_hatch(hatch)
            ax.set_xlim(wide.index.min(), wide.index.max())
            ax.set_ylim(0, 1)
            ax.grid(False)
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            ax.set_ylabel("share of\nimpressions (%)")
            handles, labels = ax.get_legend_handles_labels()
            ax.legend(handles[::-1], labels[::-1], title=names[dimension], loc="center left",
                      bbox_to_anchor=(1.0, 0.5), ncols=1 + (len(categories) > 6))
        axes[-1].set_xlabel("platform time (hours since start)")
        set_title(figure, title)
    left_out = "; ".join(f"{names[d]}: {', '.join(label(c) for c in never[d])}"
                         for d in dimensions if never[d])
    caption = (f"Share of the impressions in each time bin ({_bin_note(data)}), each panel's "
               "categories stacked to 100% (mean across seeds; their 95% intervals are in the "
               "CSV). " + (f"Never in a feed, so not drawn: {left_out}. " if left_out else "")
               + _seeds_note(results, "intervals (CSV)"))
    return Chart("feed_mix", title, caption, data, figure)


REVENUE_LINEAR_BELOW = 0.1
"""The revenue axis is logarithmic above this and linear below it (symlog), so zeros show."""


def _creator_entries(scenario: dict) -> dict[str, dict]:
    """Each creator's name as in the outputs (comic-3) -> its scenario entry."""
    found = {}
    for entry in scenario.get("creators", []):
        count = int(entry.get("count", 1))
        for number in range(count):
            found[entry["name"] if count == 1 else f"{entry['name']}-{number + 1}"] = entry
    return found


def revenue_vs_likes(results: Results) -> Chart:
    """Revenue of each creator in each channel against its likes, with Spearman's rho."""
    money = [run.summary.get("money") for run in results.runs]
    channels = money[0]["channels"] if money[0] else []
    if not channels:
        raise NothingToDraw("the scenario switches no money channel on ([money] in the scenario)")
    entries = _creator_entries(results.scenario)
    rows = []
    for run, summary in zip(results.runs, money, strict=True):
        for name, creator in summary["creators"].items():
            entry = entries.get(name, {})
            strategy = entry.get("strategy") or {"entertainment": 1.0}
            style = max(strategy, key=strategy.get)
            for channel in channels:
                if channel in creator.get("can_earn", channels):
                    rows.append({"channel": channel, "seed": run.seed, "creator": name,
                                 "entry": entry.get("name", name), "main_style": style,
                                 "likes": creator["likes"],
                                 "revenue": creator["revenue"][channel]})
    data = pd.DataFrame(rows)
    for channel in channels:
        rho = seed_interval([summary["spearman"]["likes"][channel] for summary in money],
                            CORRELATION)
        mine = data["channel"] == channel
        data.loc[mine, "spearman"], data.loc[mine, "spearman_ci_low"] = rho.mean, rho.low
        data.loc[mine, "spearman_ci_high"], data.loc[mine, "spearman_seeds"] = rho.high, rho.n
        data.loc[mine, "spearman_method"] = rho.method
    styles = [s for s in results.vocabulary("styles") if s in set(data["main_style"])]
    title = "Likes to money: each creator's revenue by channel against its likes"
    with figure_style():
        figure, axes = new_figure(0.9 + 1.9 * len(channels), len(channels), 1, sharex=True)
        colours, markers = series_colours(styles), series_markers(styles)
        generator = np.random.default_rng(JITTER_SEED)
        for ax, channel in zip(axes, channels, strict=True):
            mine = data[data["channel"] == channel]
            for style in styles:
                points = mine[mine["main_style"] == style]
                if not points.empty:
                    ax.scatter(_jittered(points["likes"].to_numpy(float) + 1, generator),
                               points["revenue"], s=9, alpha=0.45, color=colours[style],
                               marker=markers[style], linewidths=0)
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(LogLocator(base=10))
            ax.xaxis.set_major_formatter(FuncFormatter(_count_format))
            ax.set_yscale("symlog", linthresh=REVENUE_LINEAR_BELOW, linscale=0.5)
            ax.set_ylim(bottom=0)
            ax.set_title(label(channel), loc="left")
            ax.set_ylabel("revenue")
            ax.legend(handles=[_rho_handle(mine, len(results.runs), "creators")],
                      loc="upper left", handlelength=0, handletextpad=0)
        axes[-1].set_xlabel("likes + 1 (log scale)")
        _figure_legend(figure, [Line2D([], [], linestyle="none", marker=markers[s],
                                       color=colours[s], label=label(s)) for s in styles],
                       "creator's main content style")
        set_title(figure, title)
        warn_few_runs(figure, len(results.runs))
    seeds = results.seeds
    pooled = (f"Creators of all {len(seeds)} seeds ({seeds[0]}..{seeds[-1]}) are pooled; ρ is "
              "the mean of the per-seed values (summary.json money.spearman.likes) with its "
              f"{interval_label(len(seeds))} (t on Fisher's z scale). {few_runs_note(len(seeds))}"
              if len(seeds) > 1 else f"One run (seed {seeds[0]}).")
    caption = ("Each point is one creator that can earn from the channel (sellers for sales), "
               f"moved at random along the likes axis by up to {JITTER_DECADES:g} decades so "
               "that equal counts do not hide each other; Spearman's ρ is the rank correlation "
               "across them of likes and the channel's "
               f"revenue. Revenue is on a log scale above {REVENUE_LINEAR_BELOW:g} and linear "
               f"below, so that creators who earned nothing show. {pooled}").strip()
    return Chart("revenue_vs_likes", title, caption, data, figure)


CHARTS: tuple[Callable[[Results], Chart], ...] = (
    funnel_segments, funnel_brands, events_over_time, viral_mismatch, audience_dilution,
    views_lorenz, views_distribution, feed_mix)
"""Every figure of a run or a multi-seed folder, in report order."""


MONEY_CHARTS: tuple[Callable[[Results], Chart], ...] = (revenue_vs_likes,)
"""Figures drawn after the others when the runs have a ``money`` section (money switched on)."""


def charts_for(results: Results) -> tuple[Callable[[Results], Chart], ...]:
    """The figures of these results: every figure, and the money figures if money is on."""
    return CHARTS + (MONEY_CHARTS if "money" in results.first.summary else ())


def draw_charts(results: Results, progress: bool = False,
                ) -> Iterator[Chart | tuple[str, str]]:
    """Yield each chart in turn, or a (name, reason) pair for a chart with nothing to draw.

    One figure is alive at a time, so memory stays flat however many there are.
    """
    bar = tqdm(charts_for(results), desc="figures", unit="figure", disable=None if progress else True,
               leave=False, dynamic_ncols=True)
    for function in bar:
        bar.set_postfix_str(function.__name__)
        try:
            yield function(results)
        except NothingToDraw as reason:
            yield function.__name__, str(reason)


def write_chart(chart: Chart, folder: str | Path, fmt: FigureFormat = "png") -> list[Path]:
    """Write ``<name>.<fmt>`` and ``<name>.csv`` (the numbers drawn) into ``folder``, atomically."""
    folder = Path(folder)
    image = save_figure(chart.figure, folder / f"{chart.name}.{fmt}", fmt)
    table = folder / f"{chart.name}.csv"
    write_text(table, chart.data.to_csv(index=False))
    return [image, table]


def plot_results(results: Results, folder: str | Path, fmt: FigureFormat = "png",
                 progress: bool = False) -> tuple[list[Path], list[tuple[str, str]]]:
    """Draw every figure into ``folder``; returns the files written and the figures skipped."""
    written, skipped = [], []
    for chart in draw_charts(results, progress=progress):
        if isinstance(chart, Chart):
            written += write_chart(chart, folder, fmt)
        else:
            skipped.append(chart)
    return written, skipped
