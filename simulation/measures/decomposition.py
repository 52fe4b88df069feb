"""Who saw a brand's posts, and how they converted: a shift-share split of leads per impression.

A brand's leads per impression in any group of its impressions (a post style, a
distribution tier, a bin of cumulative reach) is the mix of two audiences:

    rate = c x r_target + (1 - c) x r_other

with c the share of the group's impressions that went to *target* viewers (segments whose
relevance to the offer is at least ``metrics.target_relevance``), r_target and r_other the
leads per target and per other impression. Two groups a and b differ by

    rate_a - rate_b = sum_j (c_aj - c_bj) (r_aj + r_bj) / 2    composition: who was shown the post
                    + sum_j (r_aj - r_bj) (c_aj + c_bj) / 2    conversion: how each audience converted

over the two audiences j (Kitagawa 1955, "Components of a difference between two rates"; the
symmetric shift-share split). The two parts sum to the difference exactly. Divided by rate_b
they split the ratio: rate_a / rate_b = 1 + composition / rate_b + conversion / rate_b.

Viral mismatch is a composition effect when the ranking sends a brand's entertainment to
viewers who could not buy; a conversion effect when the same viewers convert less on
entertainment (fewer calls to action). Audience dilution is a composition effect when
higher tiers reach fewer target viewers. The split tells them apart; it computes nothing
that feeds back into a run.

Rates are leads per 1 000 impressions. A group with no impressions of one audience on one
side has no rate there: that audience's rate is taken from the other side, so that it adds
nothing to the conversion part (all of its difference is composition). A quantity whose
denominator is zero is NaN (null in summary.json).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.core.events import EVENT_INDEX, REACH_EVENTS
from simulation.core.statistics import per
from simulation.measures.registry import section

if TYPE_CHECKING:
    from simulation.model import EngagementModel

PER = 1000.0
"""Rates are per 1 000 impressions."""


def kitagawa(shares_a: np.ndarray, rates_a: np.ndarray, shares_b: np.ndarray,
             rates_b: np.ndarray) -> tuple[float, float]:
    """(composition, conversion) parts of sum(shares_a x rates_a) - sum(shares_b x rates_b).

    ``shares_*`` (J,) are each side's shares of impressions by audience (summing to 1),
    ``rates_*`` (J,) the rates per audience, NaN where a side has no impression of that
    audience (then the other side's rate is used: no conversion difference). Audiences
    absent from both sides add nothing. The two parts sum to the difference exactly.
    """
    rates_a = np.where(np.isnan(rates_a), rates_b, rates_a)
    rates_b = np.where(np.isnan(rates_b), rates_a, rates_b)
    present = ~np.isnan(rates_a)
    shares_a, shares_b = shares_a[present], shares_b[present]
    rates_a, rates_b = rates_a[present], rates_b[present]
    composition = float(np.sum((shares_a - shares_b) * (rates_a + rates_b) / 2.0))
    conversion = float(np.sum((rates_a - rates_b) * (shares_a + shares_b) / 2.0))
    return composition, conversion


def audience_rates(impressions: np.ndarray, leads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shares of impressions (J,) and leads per 1 000 impressions (J,), NaN for an empty audience.

    ``impressions`` and ``leads`` (J,) are counts by audience (target, other).
    """
    total = impressions.sum()
    shares = impressions / total if total else np.full(len(impressions), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.where(impressions > 0, leads / np.maximum(impressions, 1) * PER, np.nan)
    return shares, rates


def group_row(impressions: np.ndarray, leads: np.ndarray) -> dict[str, Any]:
    """One group's audiences: impressions (J=2: target, other) and leads (J=2) as a summary row."""
    shares, rates = audience_rates(impressions, leads)
    return {
        "impressions": int(impressions.sum()),
        "leads": int(leads.sum()),
        "target_share": float(shares[0]) if impressions.sum() else float("nan"),
        "leads_per_1k_impressions": per(leads.sum(), impressions.sum(), PER),
        "leads_per_1k_target_impressions": float(rates[0]),
        "leads_per_1k_other_impressions": float(rates[1]),
    }


def split(impressions_a: np.ndarray, leads_a: np.ndarray, impressions_b: np.ndarray,
          leads_b: np.ndarray) -> dict[str, float]:
    """Group a against reference group b: the difference and ratio of leads per 1 000
    impressions, each split into its composition and conversion parts.

    Inputs are counts by audience (J=2: target, other). ``composition_share`` is the
    composition part over the difference: the fraction of the gap that who was shown the
    posts accounts for (above 1 when conversion works the other way).
    """
    nan = float("nan")
    rate_a = per(leads_a.sum(), impressions_a.sum(), PER)
    rate_b = per(leads_b.sum(), impressions_b.sum(), PER)
    if not (impressions_a.sum() and impressions_b.sum()):
        composition = conversion = nan
    else:
        composition, conversion = kitagawa(*audience_rates(impressions_a, leads_a),
                                           *audience_rates(impressions_b, leads_b))
    difference = rate_a - rate_b
    return {
        "leads_per_1k_impressions": rate_a,
        "reference_leads_per_1k_impressions": rate_b,
        "difference": difference,
        "composition": composition,
        "conversion": conversion,
        "composition_share": composition / difference if difference else nan,
        "ratio": per(rate_a, rate_b),
        "ratio_composition": per(composition, rate_b),
        "ratio_conversion": per(conversion, rate_b),
    }


def by_audience(counts: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Counts by segment (..., S) summed into audiences (..., 2): target, other."""
    return np.stack([counts[..., target].sum(axis=-1), counts[..., ~target].sum(axis=-1)], axis=-1)


def brand_decomposition(model: EngagementModel, creator: int) -> dict[str, Any]:
    """One brand's groups (by style, tier, reach bin) and the splits between them."""
    posts = model.posts
    target = model.creators.target_segments(creator, model.config.metrics.target_relevance)
    ids = np.flatnonzero(posts.creator == creator)
    counts = posts.counts[ids]  # (n, E, S, K)
    impressions = counts[:, EVENT_INDEX["impressions"]]  # (n, S, K)
    leads = counts[:, EVENT_INDEX["leads"]]

    style = posts.style[ids]
    styles = {name: (by_audience(impressions[style == y].sum(axis=(0, 2)), target),
                     by_audience(leads[style == y].sum(axis=(0, 2)), target))
              for y, name in enumerate(model.styles.names) if (style == y).any()}
    tier_impressions = by_audience(np.moveaxis(impressions.sum(axis=0), 0, -1), target)  # (K, 2)
    tier_leads = by_audience(np.moveaxis(leads.sum(axis=0), 0, -1), target)
    tiers = {str(k): (tier_impressions[k], tier_leads[k]) for k in range(posts.n_tiers)
             if tier_impressions[k].sum()}
    reach = posts.reach_counts[ids].sum(axis=0)  # (len(REACH_EVENTS), B, S)
    reach_impressions = by_audience(reach[REACH_EVENTS.index("impressions")], target)  # (B, 2)
    reach_leads = by_audience(reach[REACH_EVENTS.index("leads")], target)
    bins = {str(start): (reach_impressions[b], reach_leads[b])
            for b, start in enumerate(model.config.metrics.reach_bins) if reach_impressions[b].sum()}

    def rows(groups: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, Any]:
        return {name: group_row(*group) for name, group in groups.items()}

    names = list(styles)
    first_tier, first_bin = next(iter(tiers), None), next(iter(bins), None)
    return {
        "by_style": rows(styles),
        "by_tier": rows(tiers),
        "by_reach": rows(bins),
        "style_splits": {f"{a}_vs_{b}": split(*styles[a], *styles[b])
                         for i, a in enumerate(names) for b in names[i + 1:]},
        "tier_splits": {f"{k}_vs_{first_tier}": split(*tiers[k], *tiers[first_tier])
                        for k in tiers if k != first_tier},
        "reach_splits": {f"{start}_vs_{first_bin}": split(*bins[start], *bins[first_bin])
                         for start in bins if start != first_bin},
    }


@section("decomposition")
def decomposition(model: EngagementModel) -> dict[str, Any]:
    """Every brand's leads per impression split into who saw its posts and how they converted."""
    return {"decomposition": {model.creators.names[c]: brand_decomposition(model, c)
                              for c in np.flatnonzero(model.creators.is_brand)}}
