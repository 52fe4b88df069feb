"""Staged distribution (traffic pools): tiers with impression budgets and promotion.

A new post starts in tier 0. When it has spent its tier's budget of
impressions, its engagement score is compared with a percentile of the scores
of posts that recently finished the same tier: pass and it moves up; fail and
it stays, its eligibility decaying. Budgets are given per viewer on the platform
unless the scenario says otherwise, so that a platform of any size has the same
pools relative to its audience. Each tier has an affinity bar (who may be
shown the post) and a weight (how often it is drawn as a candidate); higher
tiers lower the bar and raise the weight. The engagement score weighs every
predicted engagement (likes among them, but shares, follows, comments and saves
count more), so likes are one of several signals that move a post up.

Audience dilution comes from the reach that climbing buys, not from the bars: a
post is shown to each viewer once, so once its reach passes the size of the
segment it is for, its further impressions must go to viewers outside it
(docs/effects.md, "Audience dilution": with every bar at 0.4 the effect holds;
with a target segment that does not run out it does not).
"""

from __future__ import annotations

import numpy as np

from simulation.config.ranking import Distribution, Ranking
from simulation.core.events import EVENT_INDEX
from simulation.platform.predictions import PlatformRates, engagement_score
from simulation.state.posts import PostStore, live_posts


class StagedDistribution:
    """Tier table (K tiers) and the recent-finisher history that sets promotion thresholds.

    ``viewers`` is the platform's size (the real viewers, bot accounts aside): per-viewer
    budgets become impressions on it (``Distribution.impression_budgets``), and the ranking
    prior its pseudo-views (``Ranking.prior_pseudo_views``).
    """

    def __init__(self, config: Distribution, viewers: int):
        self.config = config
        self.viewers = viewers
        self.budget = np.array(config.impression_budgets(viewers), dtype=np.float64)
        self.affinity_bar = np.array([t.affinity_bar for t in config.tiers], dtype=np.float32)
        self.weight = np.array([t.weight for t in config.tiers], dtype=np.float64)
        self.percentile = np.array([t.promotion_percentile for t in config.tiers])
        self.history = [np.zeros(0) for _ in config.tiers]
        self.thresholds = np.full(len(config.tiers), np.nan)  # last threshold used per tier

    @property
    def n_tiers(self) -> int:
        return len(self.budget)

    def eligibility(self, posts: PostStore, ids: np.ndarray, hour: float) -> np.ndarray:
        """1 for posts still in play, decaying after a failed promotion (n,).

        A post that failed fades with a half-life of ``failed_half_life_hours`` x
        (score / threshold)^``failed_score_exponent``: a near miss keeps being shown
        for a while, a clear failure disappears quickly.
        """
        failed = posts.failed_hour[ids]
        half_life = self.config.failed_half_life_hours * np.maximum(
            posts.failed_ratio[ids], 0.01) ** self.config.failed_score_exponent
        decay = np.exp2(-(hour - failed) / half_life)
        return np.where(np.isnan(failed), 1.0, decay)

    def in_test(self, posts: PostStore, ids: np.ndarray) -> np.ndarray:
        """Posts still being tested in tier 0 (bool (n,))."""
        return ((posts.tier[ids] == 0) & np.isnan(posts.failed_hour[ids])
                & (posts.tier_impressions[ids] < self.budget[0]))

    def allowance(self, posts: PostStore, ids: np.ndarray) -> np.ndarray:
        """Impressions each post may still get in its tier before it is judged (n,), inf if none.

        Posts that failed promotion, and posts in the last tier, have no budget
        left to spend: their exposure is governed by their decaying eligibility.
        """
        tier = posts.tier[ids].astype(np.int64)
        left = self.budget[tier] - posts.tier_impressions[ids]
        judged = ~np.isnan(posts.failed_hour[ids]) | (tier == self.n_tiers - 1)
        return np.where(judged, np.inf, np.maximum(left, 0.0))

    def evaluate(self, posts: PostStore, ids: np.ndarray, scores: np.ndarray,
                 hour: float) -> tuple[np.ndarray, np.ndarray]:
        """Judge the posts among ``ids`` that spent their tier's budget; returns (promoted, failed) ids.

        ``scores`` (n,) are the engagement scores of ``ids``. Thresholds use the
        last ``threshold_window`` finishers of the same tier, this step's included.
        """
        tier = posts.tier[ids].astype(np.int64)
        due = (np.isnan(posts.failed_hour[ids]) & (tier < self.n_tiers - 1)
               & (posts.tier_impressions[ids] >= self.budget[tier]))
        promoted, failed, ratios = [], [], []
        for k in np.unique(tier[due]):
            finishing = due & (tier == k)
            finisher_ids, finisher_scores = ids[finishing], scores[finishing]
            pool = np.concatenate([self.history[k], finisher_scores])
            threshold = np.percentile(pool, self.percentile[k])
            self.thresholds[k] = threshold
            passed = finisher_scores >= threshold
            promoted.append(finisher_ids[passed])
            failed.append(finisher_ids[~passed])
            ratios.append(np.clip(finisher_scores[~passed] / max(threshold, 1e-12), 0.0, 1.0))
            self.history[k] = pool[-self.config.threshold_window:]
        promoted_ids = np.concatenate(promoted) if promoted else np.zeros(0, dtype=np.int64)
        failed_ids = np.concatenate(failed) if failed else np.zeros(0, dtype=np.int64)
        posts.tier[promoted_ids] += 1
        posts.tier_impressions[promoted_ids] = 0
        posts.reached_tier[promoted_ids] = posts.tier[promoted_ids]
        posts.failed_hour[failed_ids] = hour
        if failed:
            posts.failed_ratio[failed_ids] = np.concatenate(ratios)
        return promoted_ids, failed_ids


def update_tiers(tiers: StagedDistribution, posts: PostStore, rates: PlatformRates,
                 ranking: Ranking, hour: float) -> None:
    """After a step's reactions: displayed likes, then every live post that spent its tier's
    budget judged on its engagement score as it stands (the promotion rule)."""
    posts.displayed_likes[:] = (posts.counts[:, EVENT_INDEX["likes"]].sum(axis=(1, 2))
                                + posts.bot_counts[:, EVENT_INDEX["likes"]])
    live = live_posts(posts, hour, ranking)
    scores = engagement_score(posts, live.ids, ranking.weights, rates,
                              ranking.prior_pseudo_views(tiers.viewers))
    tiers.evaluate(posts, live.ids, scores, hour)
