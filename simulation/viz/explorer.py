"""The interactive explorer: the engagement model in Mesa's SolaraViz, in the browser.

``python run.py explore [SCENARIO]`` (or ``solara run simulation.viz.explorer_app``)
serves it. The sidebar holds Mesa's controls (Reset, play/pause, Step) and sliders for
the key parameters: the ranking's value of a predicted like, share and lead, the tier
budgets, the viewers' purchase intent, how much entertainment rides trends, and whether
like counts are displayed. Sliders take effect on Reset (Mesa's convention: a new model
is built from them). Every step redraws:

- the funnel per segment: events per 1 000 impressions, so far;
- likes against leads of each brand post, by style (viral mismatch);
- each brand's share of impressions that reach its target segments, by tier (dilution);
- the distribution of views per post;
- the feed's mix of styles over the steps.

This module builds the parts (the explorer's model, its scenario and the charts); the
Solara page is :mod:`simulation.viz.explorer_app`. Solara is imported only by the page.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from simulation.config.loading import apply_overrides, load_scenario
from simulation.config.scenario import Scenario
from simulation.config.shipped import find_file, shipped_names
from simulation.core.events import EVENT_INDEX
from simulation.core.statistics import gini
from simulation.model import EngagementModel
from simulation.viz.style import figure_style, new_figure, series_colours, set_title

DEFAULT_VIEWERS = 5_000
"""The explorer's platform size when the scenario's is larger: a step and the redrawing of
every chart take about a second at this size (docs/mesa.md gives the measured times)."""


FUNNEL_EVENTS = ("views", "likes", "shares", "link_clicks", "leads", "purchases")


def _trend_style(scenario: Scenario) -> str:
    """The style whose trend riding the slider sets: entertainment, or the most trend-riding."""
    if "entertainment" in scenario.styles:
        return "entertainment"
    return max(scenario.styles, key=lambda name: scenario.styles[name].trend_riding)


def explorer_scenario(scenario: str | Path = "baseline", viewers: int | None = None,
                      like_weight: float | None = None, share_weight: float | None = None,
                      lead_weight: float | None = None, tier_budgets: float = 1.0,
                      intent: float = 1.0, trend_riding: float | None = None,
                      show_like_counts: bool | None = None) -> Scenario:
    """The scenario the explorer runs: a scenario file or shipped name with the sliders' values.

    ``viewers`` sets ``population.size`` (default: the scenario's, at most
    :data:`DEFAULT_VIEWERS`); tier budgets follow the platform's size (per-viewer budgets
    do by themselves; budgets in impressions are scaled) and are multiplied by
    ``tier_budgets``; ``intent`` multiplies every segment's mean purchase intent (its Beta
    keeps its concentration a + b; the mean is kept below 0.95). A value left at None keeps
    the scenario's.
    """
    base = load_scenario(scenario)
    size = min(base.population.size, DEFAULT_VIEWERS) if viewers is None else int(viewers)
    changes = [f"population.size={size}"]
    distribution = base.ranking.distribution
    per_viewer = distribution.budget_unit == "per_viewer"  # these scale with the platform
    for index, tier in enumerate(distribution.tiers):
        if tier.budget == "unlimited":
            continue
        budget = (tier.budget * tier_budgets if per_viewer else
                  max(1, round(tier.budget * size / base.population.size * tier_budgets)))
        changes.append(f"ranking.distribution.tiers[{index}].budget={budget!r}")
    for name, value in (("like", like_weight), ("share", share_weight), ("lead", lead_weight)):
        if value is not None:
            changes.append(f"ranking.weights.{name}={float(value)!r}")
    for index, segment in enumerate(base.population.segments):
        concentration = segment.intent.a + segment.intent.b
        mean = min(0.95, segment.intent.mean * intent)
        changes += [f"population.segments[{index}].intent.a={mean * concentration!r}",
                    f"population.segments[{index}].intent.b={(1 - mean) * concentration!r}"]
    if trend_riding is not None:
        changes.append(f"styles.{_trend_style(base)}.trend_riding={float(trend_riding)!r}")
    if show_like_counts is not None:
        changes.append(f"funnel.show_like_counts={str(bool(show_like_counts)).lower()}")
    return apply_overrides(base, changes, source=f"explorer ({scenario})")


class ExplorerModel(EngagementModel):
    """The engagement model built from the explorer's sliders (keyword arguments, as Mesa's
    SolaraViz builds a model on Reset); it times its steps."""

    def __init__(self, scenario: str = "baseline", viewers: int | None = None,
                 like_weight: float | None = None, share_weight: float | None = None,
                 lead_weight: float | None = None, tier_budgets: float = 1.0,
                 intent: float = 1.0, trend_riding: float | None = None,
                 show_like_counts: bool | None = None, seed: int = 1):
        config = explorer_scenario(scenario, viewers, like_weight, share_weight, lead_weight,
                                   tier_budgets, intent, trend_riding, show_like_counts)
        super().__init__(config, seed=int(seed))
        self.scenario_name = str(scenario)
        self.step_seconds: list[float] = []
        """Wall time of each step so far (the model's work, not the redrawing)."""

    def step(self) -> None:
        started = time.perf_counter()
        super().step()
        self.step_seconds.append(time.perf_counter() - started)


def explorer_parameters(scenario: str | Path = "baseline") -> dict[str, Any]:
    """SolaraViz's ``model_params``: a picker of shipped scenarios and the sliders, starting
    from the scenario's own values."""
    path = find_file(scenario)
    base = load_scenario(path)
    names = shipped_names()
    chosen = next((n for n in names if find_file(n).resolve() == Path(path).resolve()), str(path))
    weights = base.ranking.weights
    size = min(base.population.size, DEFAULT_VIEWERS)
    return {
        "scenario": {"type": "Select", "value": chosen, "label": "Scenario",
                     "values": names if chosen in names else [chosen, *names]},
        "viewers": {"type": "SliderInt", "value": size, "label": "Viewers", "min": 500,
                    "max": 50_000, "step": 500},
        "seed": {"type": "SliderInt", "value": 1, "label": "Seed", "min": 0, "max": 99,
                 "step": 1},
        "like_weight": {"type": "SliderFloat", "value": weights.like, "min": 0.0, "max": 10.0,
                        "step": 0.5, "label": "Ranking: value of a like"},
        "share_weight": {"type": "SliderFloat", "value": weights.share, "min": 0.0,
                         "max": 10.0, "step": 0.5, "label": "Ranking: value of a share"},
        "lead_weight": {"type": "SliderFloat", "value": weights.lead, "min": 0.0, "max": 200.0,
                        "step": 10.0, "label": "Ranking: value of a lead"},
        "tier_budgets": {"type": "SliderFloat", "value": 1.0, "min": 0.25, "max": 4.0,
                         "step": 0.25, "label": "Tier budgets (x, scaled to the viewers)"},
        "intent": {"type": "SliderFloat", "value": 1.0, "min": 0.25, "max": 4.0, "step": 0.25,
                   "label": "Purchase intent of every segment (x)"},
        "trend_riding": {"type": "SliderFloat",
                         "value": base.styles[_trend_style(base)].trend_riding, "min": 0.0,
                         "max": 1.0, "step": 0.05,
                         "label": f"Trend riding of {_trend_style(base)}"},
        "show_like_counts": {"type": "Checkbox", "value": base.funnel.show_like_counts,
                             "label": "Display like counts"},
    }


# --- the charts: each a Figure drawn from the model as it is now ---------------------


def _figure(height: float, title: str) -> tuple[Figure, Any]:
    figure, (ax,) = new_figure(height)
    set_title(figure, title)
    return figure, ax


def funnel_figure(model: EngagementModel) -> Figure:
    """Events per 1 000 impressions, per viewer segment, over the run so far (log scale)."""
    counts = model.posts.counts.sum(axis=(0, 3))  # (E, S)
    segments = model.population.segment_names
    impressions = counts[EVENT_INDEX["impressions"]].astype(np.float64)
    colours = series_colours(list(FUNNEL_EVENTS))
    with figure_style():
        figure, ax = _figure(2.6, "Funnel per segment: events per 1 000 impressions")
        width = 0.8 / len(FUNNEL_EVENTS)
        x = np.arange(len(segments))
        for number, event in enumerate(FUNNEL_EVENTS):
            rate = np.divide(1000 * counts[EVENT_INDEX[event]], impressions,
                             out=np.zeros(len(segments)), where=impressions > 0)
            ax.bar(x + (number - (len(FUNNEL_EVENTS) - 1) / 2) * width, rate, width,
                   label=event.replace("_", " "), color=colours[event])
        ax.set_xticks(x, segments)
        ax.set_yscale("symlog", linthresh=0.1)
        ax.set_ylabel("per 1 000 impressions")
        ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure


def likes_leads_figure(model: EngagementModel) -> Figure:
    """Each brand post's likes against its leads, coloured by style (symmetric log axes)."""
    posts = model.posts
    brand_posts = np.flatnonzero(model.creators.is_brand[posts.creator])
    totals = posts.counts[brand_posts].sum(axis=(2, 3))
    styles = model.styles.names
    colours = series_colours(styles)
    with figure_style():
        figure, ax = _figure(2.6, "Brand posts: likes against leads, by style")
        for index, style in enumerate(styles):
            mine = posts.style[brand_posts] == index
            if mine.any():
                ax.scatter(totals[mine, EVENT_INDEX["likes"]], totals[mine, EVENT_INDEX["leads"]],
                           s=6, alpha=0.7, color=colours[style], label=style)
        ax.set_xscale("symlog", linthresh=1)
        ax.set_yscale("symlog", linthresh=1)
        ax.set_xlabel("likes")
        ax.set_ylabel("leads")
        if len(brand_posts):
            ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        else:
            ax.text(0.5, 0.5, "no brand posts yet", transform=ax.transAxes, ha="center")
    return figure


def target_share_figure(model: EngagementModel) -> Figure:
    """Each brand's share of its impressions that reach its target segments, per tier."""
    posts, creators = model.posts, model.creators
    brands = np.flatnonzero(creators.is_brand)
    names = [creators.names[b] for b in brands]
    colours = series_colours(names)
    n_tiers = model.tiers.n_tiers
    with figure_style():
        figure, ax = _figure(2.6, "Brands' target share of impressions, by tier")
        width = 0.8 / max(1, len(brands))
        for number, brand in enumerate(brands):
            target = creators.target_segments(brand, model.config.metrics.target_relevance)
            shown = posts.counts[posts.creator == brand, EVENT_INDEX["impressions"]].sum(axis=0)
            per_tier = shown.sum(axis=0).astype(np.float64)  # (K,)
            share = np.divide(shown[target].sum(axis=0), per_tier, out=np.full(n_tiers, np.nan),
                              where=per_tier > 0)
            ax.bar(np.arange(n_tiers) + (number - (len(brands) - 1) / 2) * width, share, width,
                   label=creators.names[brand], color=colours[creators.names[brand]])
        ax.set_xticks(np.arange(n_tiers), [str(k) for k in range(n_tiers)])
        ax.set_xlabel("distribution tier")
        ax.set_ylabel("share in target segments")
        ax.set_ylim(0, 1)
        if len(brands):
            ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure


def views_figure(model: EngagementModel) -> Figure:
    """How views are spread over posts: a histogram on logarithmic bins."""
    views = model.posts.counts[:, EVENT_INDEX["views"]].sum(axis=(1, 2))
    value = gini(views)
    with figure_style():
        figure, ax = _figure(2.6, "Views per post" + ("" if np.isnan(value) else
                                                      f" (Gini {value:.2f})"))
        top = max(1, int(views.max(initial=0)))
        bins = np.unique(np.concatenate([[0, 1], np.geomspace(1, top + 1, 30)]).round())
        ax.hist(views, bins=bins, color=series_colours(["views"])["views"])
        ax.set_xscale("symlog", linthresh=1)
        ax.set_yscale("log")
        ax.set_xlabel("views of a post")
        ax.set_ylabel("posts")
    return figure


def feed_mix_figure(model: EngagementModel) -> Figure:
    """The share of each style in the feed's impressions, step by step (stacked)."""
    table = model.step_records.get_table_dataframe("feed_mix")
    styles = model.styles.names
    colours = series_colours(styles)
    with figure_style():
        figure, ax = _figure(2.6, "The feed's mix of styles")
        rows = table[table["dimension"] == "style"]
        if rows.empty:
            ax.text(0.5, 0.5, "press Step", transform=ax.transAxes, ha="center")
        else:
            wide = rows.pivot_table(index="step", columns="value", values="impressions",
                                    aggfunc="sum").reindex(columns=styles, fill_value=0)
            shares = wide.div(wide.sum(axis=1).where(lambda s: s > 0), axis=0).fillna(0.0)
            ax.stackplot(shares.index, *[shares[s] for s in styles], labels=styles,
                         colors=[colours[s] for s in styles])
            ax.set_ylim(0, 1)
            ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.set_xlabel("step")
        ax.set_ylabel("share of impressions")
    return figure


CHARTS = (funnel_figure, likes_leads_figure, target_share_figure, views_figure,
          feed_mix_figure)
"""The explorer's charts, in the order they are laid out."""


def status_text(model: ExplorerModel) -> str:
    """A line of Markdown: where the run is and its headline measures so far."""
    steps = model.config.steps
    totals = model.posts.counts.sum(axis=(0, 2, 3))
    views = totals[EVENT_INDEX["views"]]
    last = f", last step {model.step_seconds[-1]:.2f} s" if model.step_seconds else ""
    rate = (totals[EVENT_INDEX["likes"]] + totals[EVENT_INDEX["comments"]]
            + totals[EVENT_INDEX["shares"]]) / views if views else float("nan")
    return (f"**{model.config.name}**: step {model.steps} of {steps} (hour "
            f"{model.steps * model.config.step_hours:g}){last}; "
            f"{model.population.size:,} viewers, {model.posts.size:,} posts; "
            f"{int(totals[EVENT_INDEX['impressions']]):,} impressions, "
            f"{int(totals[EVENT_INDEX['likes']]):,} likes, "
            f"{int(totals[EVENT_INDEX['leads']]):,} leads; engagement rate {rate:.2%}")
