"""The platform's predicted engagement per post: smoothed observed rates and their weighted sum.

Each prediction is a Bayesian-smoothed rate, (count + prior x m) / (exposures + m),
whose prior is the platform-wide rate so far. The weighted sum of predictions
(the 'Algo 101' score: Plike x Vlike + Pcomment x Vcomment + ...) is both the
For-You ranking score, before the viewer's affinity, and the engagement score
that decides promotion between distribution tiers.
"""

from __future__ import annotations

import numpy as np

from simulation.config.ranking import RankingWeights
from simulation.core.events import EVENT_INDEX
from simulation.state.posts import PostStore
from simulation.state.rates import PREDICTED_EVENTS, PlatformRates


def observed_events(posts: PostStore, ids: np.ndarray) -> np.ndarray:
    """Event totals the platform observes for posts ``ids`` (n,) -> (n, E): real viewers' and
    bot accounts' together, since the platform cannot tell them apart."""
    return posts.counts[ids].sum(axis=(2, 3)) + posts.bot_counts[ids]


def engagement_score(
    posts: PostStore,
    ids: np.ndarray,
    weights: RankingWeights,
    platform: PlatformRates,
    prior_strength: float,
) -> np.ndarray:
    """Weighted sum of smoothed predicted engagements of posts ``ids`` (n,) -> (n,).

    Rates are of what the platform observes (bot traffic included); a post's likes count
    ``like_credit`` times and its score ``score_multiplier`` times (both 1 unless the
    detector of bought likes acts on its creator, ``levers/detection.py``).
    """
    totals = observed_events(posts, ids).astype(np.float64)  # (n, E)
    views = totals[:, EVENT_INDEX["views"]]
    impressions = totals[:, EVENT_INDEX["impressions"]]
    m = prior_strength
    score = np.zeros(len(ids))
    for name, weight in weights.model_dump().items():
        if weight == 0:
            continue
        prior = platform.rate(name)
        if name == "playtime":
            observed = posts.watch_fraction_sum[ids] + posts.bot_watch_fraction_sum[ids]
            exposures = views
        elif name == "view":
            observed, exposures = views, impressions
        else:
            observed, exposures = totals[:, EVENT_INDEX[PREDICTED_EVENTS[name]]], views
            if name == "like":
                observed = observed * posts.like_credit[ids]
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = (observed + prior * m) / (exposures + m)
        score += weight * np.nan_to_num(rate)
    return score * posts.score_multiplier[ids]
