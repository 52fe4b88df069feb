"""The core sections of ``summary.json``: the run, the funnel, inequality, breakdowns, brands.

Everything here is computed from the model's counters (P posts x E events x S segments
x K tiers), never from the scenario's name or from an expected figure. Keys are a
contract (docs/outputs.md): add keys freely, never rename them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.core.events import ENGAGEMENTS, EVENT_INDEX, EVENTS, REACH_EVENTS
from simulation.core.sources import SOURCES
from simulation.core.statistics import gini, per, spearman, top_overlap, top_share
from simulation.measures.marketing import brand_marketing_measures
from simulation.measures.registry import section

if TYPE_CHECKING:
    from simulation.model import EngagementModel


RATE_EVENTS = ("likes", "comments", "shares", "saves", "follows", "profile_visits")


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
    for tier in range(model.tiers.n_tiers):
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
        **brand_marketing_measures(model, creator, ids, counts),
        **{key: value for lever in model.levers.values()
           for key, value in lever.brand_measures(model.state, creator, ids, counts,
                                                  target).items()},
    }


@section("scenario", "seed", "policy", "steps", "hours", "viewers", "creators", "posts")
def run_identity(model: EngagementModel) -> dict[str, Any]:
    """What was run: scenario, seed, policy, length and the platform's size."""
    config = model.config
    return {
        "scenario": config.name,
        "seed": model.seed_value,
        "policy": config.ranking.policy,
        "steps": int(model.steps),
        "hours": float(model.steps * config.step_hours),
        "viewers": int((~model.population.is_bot).sum()),
        "creators": int(model.creators.size),
        "posts": int(model.posts.size),
    }


@section("totals", "rates", "inequality")
def platform_totals(model: EngagementModel) -> dict[str, Any]:
    """Event totals, funnel rates per view, and inequality of views and likes across posts."""
    posts = model.posts
    per_post = posts.events()  # (P, E)
    totals = per_post.sum(axis=0)
    views = per_post[:, EVENT_INDEX["views"]]
    likes = per_post[:, EVENT_INDEX["likes"]]
    return {
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
    }


@section("segments", "styles", "tiers", "sources", "slots", "followers")
def breakdowns(model: EngagementModel) -> dict[str, Any]:
    """The funnel by viewer segment, post style, tier, candidate source and feed slot."""
    posts = model.posts
    per_post = posts.events()  # (P, E)
    by_segment = posts.counts.sum(axis=(0, 3))  # (E, S)
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
    for k in range(model.tiers.n_tiers):
        reached = int((posts.reached_tier >= k).sum())
        if reached == 0 and tier_counts[EVENT_INDEX["impressions"], k] == 0:
            continue
        tiers[str(k)] = {"posts_reached": reached,
                         "impressions": int(tier_counts[EVENT_INDEX["impressions"], k]),
                         "likes": int(tier_counts[EVENT_INDEX["likes"], k]),
                         "leads": int(tier_counts[EVENT_INDEX["leads"], k]),
                         "threshold": float(model.tiers.thresholds[k])}

    by_source = model.tallies.sources
    sources = {name: {"impressions": int(by_source[EVENT_INDEX["impressions"], i]),
                      "likes": int(by_source[EVENT_INDEX["likes"], i]),
                      "leads": int(by_source[EVENT_INDEX["leads"], i])}
               for i, name in enumerate(SOURCES) if by_source[0, i]}
    by_slot = model.tallies.slots
    slot_width = int(np.flatnonzero(by_slot[0]).max(initial=-1) + 1)
    slots = {name: by_slot[EVENT_INDEX[name], :slot_width].tolist()
             for name in ("impressions", "views", "likes", "leads")}
    return {
        "segments": segments,
        "styles": styles,
        "tiers": tiers,
        "sources": sources,
        "slots": slots,
        "followers": {"start": int(model.initial_followers.sum()),
                      "end": int(model.follows.count.sum())},
    }


@section("brands")
def brands(model: EngagementModel) -> dict[str, Any]:
    """Like-lead decoupling and dilution measures of every brand (a creator with an offer)."""
    return {"brands": {model.creators.names[c]: brand_measures(model, c)
                       for c in np.flatnonzero(model.creators.is_brand)}}
