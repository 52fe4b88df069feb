"""Measures: funnel tables, rates, inequality, like-lead decoupling and dilution.

Everything in ``summary.json`` is computed here from the model's counters
(P posts x E events x S segments x K tiers), never from the scenario's name or
from an expected figure. Keys documented in the README are a contract: add
keys freely, never rename them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from simulation.content import REACH_EVENTS
from simulation.events import ENGAGEMENTS, EVENT_INDEX, EVENTS
from simulation.lever_measures import brand_lever_measures, lever_measures
from simulation.ranking import SOURCES

if TYPE_CHECKING:
    from simulation.model import EngagementModel

RATE_EVENTS = ("likes", "comments", "shares", "saves", "follows", "profile_visits")


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal, 1 = one holds all)."""
    values = np.sort(np.asarray(values, dtype=np.float64))
    n, total = len(values), values.sum()
    if n == 0 or total == 0:
        return math.nan
    cumulative = np.cumsum(values)
    return float((n + 1 - 2 * cumulative.sum() / total) / n)


def top_share(values: np.ndarray, fraction: float) -> float:
    """Share of the total held by the top ``fraction`` of items (at least one item)."""
    values = np.sort(np.asarray(values, dtype=np.float64))[::-1]
    total = values.sum()
    if len(values) == 0 or total == 0:
        return math.nan
    return float(values[: max(1, math.ceil(fraction * len(values)))].sum() / total)


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation; NaN when either side is constant or has < 3 items."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(stats.spearmanr(x, y).statistic)


def top_overlap(x: np.ndarray, y: np.ndarray, fraction: float = 0.1) -> float:
    """Jaccard overlap of the top ``fraction`` of items by ``x`` and by ``y`` (ties by order)."""
    n = len(x)
    if n == 0:
        return math.nan
    k = max(1, math.ceil(fraction * n))
    top_x = set(np.argsort(-np.asarray(x), kind="stable")[:k].tolist())
    top_y = set(np.argsort(-np.asarray(y), kind="stable")[:k].tolist())
    return len(top_x & top_y) / len(top_x | top_y)


def per(numerator: float, denominator: float, scale: float = 1.0) -> float:
    """numerator / denominator x scale, NaN when the denominator is zero."""
    return float(numerator) / float(denominator) * scale if denominator else math.nan


def funnel_rates(counts: np.ndarray) -> dict[str, float]:
    """Rates per view from event totals (E,), with the published benchmark's engagement rate."""
    views = counts[EVENT_INDEX["views"]]
    rates = {"engagement_rate_by_views": per(sum(counts[EVENT_INDEX[e]] for e in ENGAGEMENTS),
                                             views)}
    for event in (*RATE_EVENTS, "link_clicks", "leads", "purchases"):
        rates[f"{event[:-1] if event.endswith('s') else event}_rate"] = per(
            counts[EVENT_INDEX[event]], views)
    rates["view_rate"] = per(views, counts[EVENT_INDEX["impressions"]])
    rates["completion_rate"] = per(counts[EVENT_INDEX["completions"]], views)
    return rates


def event_dict(counts: np.ndarray) -> dict[str, int]:
    return {name: int(counts[index]) for index, name in enumerate(EVENTS)}


def brand_measures(model: EngagementModel, creator: int) -> dict[str, Any]:
    """Like-lead decoupling and dilution measures of one brand's posts."""
    posts = model.posts
    threshold = model.config.metrics.target_relevance
    target = model.creators.target_segments(creator, threshold)  # (S,)
    ids = np.flatnonzero(posts.creator == creator)
    counts = posts.counts[ids]  # (n, E, S, K)
    totals = counts.sum(axis=(2, 3))  # (n, E)
    likes, leads = totals[:, EVENT_INDEX["likes"]], totals[:, EVENT_INDEX["leads"]]
    impressions = totals[:, EVENT_INDEX["impressions"]]
    segment_names = model.population.segment_names

    by_style = {}
    for style_index, style in enumerate(model.styles.names):
        mine = posts.style[ids] == style_index
        if not mine.any():
            continue
        style_likes, style_leads = likes[mine].sum(), leads[mine].sum()
        by_style[style] = {
            "posts": int(mine.sum()),
            "impressions": int(impressions[mine].sum()),
            "likes": int(style_likes),
            "leads": int(style_leads),
            "likes_per_post": per(style_likes, mine.sum()),
            "leads_per_post": per(style_leads, mine.sum()),
            "leads_per_1k_likes": per(style_leads, style_likes, 1000),
            "leads_per_1k_impressions": per(style_leads, impressions[mine].sum(), 1000),
        }

    tier_impressions = counts[:, EVENT_INDEX["impressions"]].sum(axis=0)  # (S, K)
    tier_leads = counts[:, EVENT_INDEX["leads"]].sum(axis=0)
    tier_likes = counts[:, EVENT_INDEX["likes"]].sum(axis=0)
    by_tier = {}
    for tier in range(model.distribution.n_tiers):
        shown = tier_impressions[:, tier].sum()
        if shown == 0:
            continue
        by_tier[str(tier)] = {
            "posts_reached": int((posts.reached_tier[ids] >= tier).sum()),
            "impressions": int(shown),
            "likes": int(tier_likes[:, tier].sum()),
            "leads": int(tier_leads[:, tier].sum()),
            "target_share": per(tier_impressions[target, tier].sum(), shown),
            "leads_per_1k_impressions": per(tier_leads[:, tier].sum(), shown, 1000),
        }

    reach = posts.reach_counts[ids].sum(axis=0)  # (len(REACH_EVENTS), B, S)
    edges = model.config.metrics.reach_bins
    by_reach = {}
    for index, start in enumerate(edges):
        shown = reach[REACH_EVENTS.index("impressions"), index].sum()
        if shown == 0:
            continue
        by_reach[str(start)] = {
            "reach_from": start,
            "reach_to": edges[index + 1] if index + 1 < len(edges) else None,
            "impressions": int(shown),
            "target_share": per(reach[REACH_EVENTS.index("impressions"), index, target].sum(),
                                shown),
            "likes_per_1k_impressions": per(reach[REACH_EVENTS.index("likes"), index].sum(),
                                            shown, 1000),
            "leads_per_1k_impressions": per(reach[REACH_EVENTS.index("leads"), index].sum(),
                                            shown, 1000),
        }

    segment_impressions = tier_impressions.sum(axis=1)  # (S,)
    return {
        "posts": len(ids),
        "target_segments": [s for s, t in zip(segment_names, target, strict=True) if t],
        "followers_start": int(model.initial_followers[creator]),
        "followers_end": int(model.follows.count[creator]),
        **{name: int(totals[:, index].sum()) for index, name in enumerate(EVENTS)},
        "revenue": float(posts.revenue[ids].sum()),
        "target_share": per(segment_impressions[target].sum(), segment_impressions.sum()),
        "leads_per_1k_likes": per(leads.sum(), likes.sum(), 1000),
        "leads_per_1k_impressions": per(leads.sum(), impressions.sum(), 1000),
        "likes_leads_spearman": spearman(likes, leads),
        "top10_likes_leads_jaccard": top_overlap(likes, leads, 0.1),
        "by_style": by_style,
        "by_tier": by_tier,
        "by_reach": by_reach,
        **brand_lever_measures(model, creator, ids, counts, target),
    }


def summarize(model: EngagementModel) -> dict[str, Any]:
    """Every headline measure of a finished run (the ``summary.json`` contract)."""
    # Imported here: social_measures builds on this module's statistics (gini, spearman, ...).
    from simulation.social_measures import social_measures

    posts, config = model.posts, model.config
    per_post = posts.events()  # (P, E)
    totals = per_post.sum(axis=0)
    by_segment = posts.counts.sum(axis=(0, 3))  # (E, S)
    views = per_post[:, EVENT_INDEX["views"]]
    likes = per_post[:, EVENT_INDEX["likes"]]

    segments = {}
    viewers = np.bincount(model.population.segment.astype(np.int64),
                          minlength=len(model.population.segment_names))
    for s, name in enumerate(model.population.segment_names):
        counts = by_segment[:, s]
        segments[name] = {"viewers": int(viewers[s]), **event_dict(counts),
                          "engagement_rate_by_views": funnel_rates(counts)[
                              "engagement_rate_by_views"],
                          "leads_per_1k_impressions": per(counts[EVENT_INDEX["leads"]],
                                                          counts[EVENT_INDEX["impressions"]],
                                                          1000)}

    styles = {}
    for y, name in enumerate(model.styles.names):
        mine = posts.style == y
        if not mine.any():
            continue
        counts = per_post[mine].sum(axis=0)
        styles[name] = {"posts": int(mine.sum()), **event_dict(counts),
                        "likes_per_post": per(counts[EVENT_INDEX["likes"]], mine.sum()),
                        "engagement_rate_by_views": funnel_rates(counts)[
                            "engagement_rate_by_views"],
                        "leads_per_1k_likes": per(counts[EVENT_INDEX["leads"]],
                                                  counts[EVENT_INDEX["likes"]], 1000)}

    tier_counts = posts.counts.sum(axis=(0, 2))  # (E, K)
    tiers = {}
    for k in range(model.distribution.n_tiers):
        reached = int((posts.reached_tier >= k).sum())
        if reached == 0 and tier_counts[EVENT_INDEX["impressions"], k] == 0:
            continue
        tiers[str(k)] = {"posts_reached": reached,
                         "impressions": int(tier_counts[EVENT_INDEX["impressions"], k]),
                         "likes": int(tier_counts[EVENT_INDEX["likes"], k]),
                         "leads": int(tier_counts[EVENT_INDEX["leads"], k]),
                         "threshold": float(model.distribution.thresholds[k])}

    sources = {name: {"impressions": int(model.source_counts[EVENT_INDEX["impressions"], i]),
                      "likes": int(model.source_counts[EVENT_INDEX["likes"], i]),
                      "leads": int(model.source_counts[EVENT_INDEX["leads"], i])}
               for i, name in enumerate(SOURCES) if model.source_counts[0, i]}
    slot_width = int(np.flatnonzero(model.slot_counts[0]).max(initial=-1) + 1)
    slots = {name: model.slot_counts[EVENT_INDEX[name], :slot_width].tolist()
             for name in ("impressions", "views", "likes", "leads")}

    brands = {model.creators.names[c]: brand_measures(model, c)
              for c in np.flatnonzero(model.creators.is_brand)}
    return {
        "scenario": config.name,
        "seed": model.seed_value,
        "policy": config.ranking.policy,
        "steps": int(model.steps),
        "hours": float(model.steps * config.step_hours),
        "viewers": int((~model.population.is_bot).sum()),
        "creators": int(model.creators.size),
        "posts": int(posts.size),
        "totals": {**event_dict(totals), "revenue": float(posts.revenue.sum())},
        "rates": funnel_rates(totals),
        "inequality": {
            "views_gini": gini(views),
            "top20_view_share": top_share(views, 0.2),
            "top1_view_share": top_share(views, 0.01),
            "likes_gini": gini(likes),
            "top20_like_share": top_share(likes, 0.2),
            "top1_like_share": top_share(likes, 0.01),
            "median_views_per_post": float(np.median(views)) if len(views) else math.nan,
            "max_views_per_post": int(views.max(initial=0)),
        },
        "segments": segments,
        "styles": styles,
        "tiers": tiers,
        "sources": sources,
        "slots": slots,
        "followers": {"start": int(model.initial_followers.sum()),
                      "end": int(model.follows.count.sum())},
        "brands": brands,
        **({"money": model.money.summarize(model)} if model.money is not None else {}),
        **({"bought_likes": model.bots.summarize(model)} if model.bots is not None else {}),
        **({"detection": model.detector.summarize()} if model.detector is not None else {}),
        **({"promotion": model.promotions.summarize(model)}
           if model.promotions is not None else {}),
        **lever_measures(model),
        **social_measures(model),
    }


def render_summary(summary: dict[str, Any]) -> str:
    """A readable table of a run's headline figures, for the terminal."""
    lines = []
    totals, rates, inequality = summary["totals"], summary["rates"], summary["inequality"]
    lines.append(f"{summary['scenario']} (seed {summary['seed']}, policy {summary['policy']}): "
                 f"{summary['viewers']:,} viewers, {summary['creators']} creators, "
                 f"{summary['posts']:,} posts, {summary['hours']:g} hours")
    columns = ("impressions", "views", "likes", "comments", "shares", "profile_visits",
               "link_clicks", "leads", "purchases")
    header = f"{'segment':<14}" + "".join(f"{c.replace('_', ' '):>15}" for c in columns)
    lines += ["", "Funnel per segment", header, "-" * len(header)]
    for name, counts in [*summary["segments"].items(), ("all", totals)]:
        lines.append(f"{name:<14}" + "".join(f"{counts[c]:>15,}" for c in columns))

    def pct(value: float | None) -> str:
        return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) \
            else f"{100 * value:.2f}%"

    lines += ["",
              f"Engagement rate by views {pct(rates['engagement_rate_by_views'])} "
              f"(likes {pct(rates['like_rate'])}, comments {pct(rates['comment_rate'])}, "
              f"shares {pct(rates['share_rate'])}, saves {pct(rates['save_rate'])})",
              f"Views across posts: Gini {inequality['views_gini']:.3f}, "
              f"top 20% of posts hold {pct(inequality['top20_view_share'])}, "
              f"median {inequality['median_views_per_post']:,.0f}, "
              f"max {inequality['max_views_per_post']:,}"]
    for brand, measures in summary["brands"].items():
        rho = measures["likes_leads_spearman"]
        rho_text = "n/a" if rho is None or math.isnan(rho) else f"{rho:+.2f}"
        lines.append(f"Brand {brand}: {measures['likes']:,} likes, {measures['leads']:,} leads, "
                     f"{measures['purchases']:,} purchases, revenue {measures['revenue']:,.0f}; "
                     f"Spearman(likes, leads) across its {measures['posts']} posts {rho_text}")
    if "money" in summary:
        lines += render_money(summary["money"])
    lines += render_purchased_engagement(summary)
    return "\n".join(lines)


def render_purchased_engagement(summary: dict[str, Any]) -> list[str]:
    """Lines for bought likes, the detector and paid promotion, when the run has them."""
    def number(value: float | None, digits: int = 2) -> str:
        return "n/a" if value is None or math.isnan(value) else f"{value:,.{digits}f}"

    lines = []
    for name, order in summary.get("bought_likes", {}).get("creators", {}).items():
        real = order["real"]
        lines.append(f"Bought likes {name}: {order['bought']['likes']:,} bought of "
                     f"{order['displayed_likes']:,} displayed; {real['impressions']:,} real "
                     f"impressions, {real['leads']:,} leads "
                     f"({number(order['leads_per_1k_real_impressions'])} per 1 000 real "
                     f"impressions)")
    if "detection" in summary:
        detection = summary["detection"]
        lines.append(f"Detection ({detection['action']}): {detection['reviews']} reviews, "
                     f"detection rate {number(detection['detection_rate'])}, false-positive "
                     f"rate {number(detection['false_positive_rate'], 4)} "
                     f"({detection['honest_reviews_flagged']} of {detection['honest_reviews']} "
                     f"honest reviews)")
    for name, campaign in summary.get("promotion", {}).items():
        paid = campaign["paid"]
        lines.append(f"Promotion {name}: spent {campaign['spent']:,.2f} of "
                     f"{campaign['budget']:,.2f}; {paid['impressions']:,} paid impressions, "
                     f"{paid['likes']:,} likes, {paid['leads']:,} leads, cost per lead "
                     f"{number(campaign['cost_per_lead'])}; organic leads "
                     f"{campaign['organic']['leads']:,}")
    return lines


def render_money(money: dict[str, Any]) -> list[str]:
    """Lines for the money section of a summary: revenue by channel, what tracks likes, goals."""
    def rho(value: float | None) -> str:
        return "n/a" if value is None or math.isnan(value) else f"{value:+.2f}"

    totals, lines = money["totals"], []
    if money["channels"]:
        per_likes = totals["revenue_per_1k_likes"]["total"]
        lines += ["", "Revenue by channel: " + ", ".join(
            f"{channel.replace('_', ' ')} {totals[channel]:,.2f}" for channel in money["channels"])
            + f"; total {totals['total']:,.2f}"
            + ("" if per_likes is None or math.isnan(per_likes) else
               f" ({per_likes:,.2f} per 1 000 likes)"),
            "Spearman(likes, revenue) across creators: " + ", ".join(
                f"{channel.replace('_', ' ')} {rho(money['spearman']['likes'][channel])}"
                for channel in money["channels"])]
    for name, goal in money["goals"].items():
        reached = f", reached at step {goal['step_reached']}" if goal["step_reached"] else ""
        lines.append(f"Goal {name} ({goal['creator']}: {goal['metric']} "
                     f"{'>=' if goal['direction'] == 'at_least' else '<='} {goal['target']:g} "
                     f"by step {goal['deadline_step']}): {goal['status']}{reached}")
    return lines
