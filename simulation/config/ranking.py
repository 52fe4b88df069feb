"""The ranking: policy, weights, candidate quotas, distribution tiers, and the platform's learning.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field

from simulation.config.base import Section


class RankingWeights(Section):
    """Value of each predicted engagement in the For-You score (the leaked 'Algo 101' V terms).

    Values are not negative: the score is scaled by the viewer's affinity, cut by the
    same-author penalty and by an integrity lever's score multiplier, all of which assume
    a score >= 0 (a negative one would rank the least affine posts first and reward the
    penalty). To value an engagement less, lower its weight towards 0.
    """

    like: float = Field(1.0, ge=0, le=100, description="Value of a predicted like.")
    comment: float = Field(2.0, ge=0, le=100, description="Value of a predicted comment.")
    share: float = Field(4.0, ge=0, le=100, description="Value of a predicted share.")
    save: float = Field(2.0, ge=0, le=100, description="Value of a predicted save.")
    follow: float = Field(4.0, ge=0, le=100, description="Value of a predicted follow.")
    playtime: float = Field(0.1, ge=0, le=100,
                            description="Value of the expected share of the video watched.")
    view: float = Field(0.0, ge=0, le=100, description="Value of a predicted view (Pplay).")
    profile_visit: float = Field(0.0, ge=0, le=100,
                                 description="Value of a predicted profile visit.")
    lead: float = Field(0.0, ge=0, le=1000, description="Value of a predicted lead.")


class CandidateQuotas(Section):
    """Candidates drawn per viewer and step from each source, before scoring."""

    following: int = Field(8, ge=0, le=500, description="Posts of followed creators.")
    interest: int = Field(30, ge=0, le=500,
                          description="Posts on topics the platform thinks the viewer likes.")
    exploration: int = Field(8, ge=0, le=500,
                             description="New posts in their test pool (tier 0).")
    trending: int = Field(20, ge=0, le=500, description="Posts promoted to wide tiers.")
    shared: int = Field(4, ge=0, le=100, description="Posts friends shared with the viewer.")


class Tier(Section):
    """One stage of staged distribution (a traffic pool)."""

    budget: Annotated[float, Field(gt=0)] | Literal["unlimited"] = Field(
        0.0075,
        description='Impressions in this tier before promotion is judged: per viewer on the platform '
                    '(ranking.distribution.budget_unit = "per_viewer", the default: 0.0075 on 20 000 '
                    'viewers is 150 impressions) or in impressions (budget_unit = "impressions"); '
                    'or "unlimited".',
    )
    affinity_bar: float = Field(
        0.0, ge=0, le=1, description="Least estimated viewer-post affinity to be shown this post."
    )
    weight: float = Field(
        1.0, gt=0, description="Relative chance of a post in this tier to be drawn as a candidate."
    )
    promotion_percentile: float = Field(
        70.0, ge=0, le=100,
        description="A post moves up if its engagement score reaches this percentile of recent finishers.",
    )


def _default_tiers() -> list[Tier]:
    # Per viewer on the platform: 150, 750, 4 000, 20 000 and 100 000 impressions on the
    # baseline's 20 000 viewers (the specification's TikTok-style pools of 300 to 200 000
    # impressions, halved and brought to that size so that posts climb several tiers in a week).
    return [
        Tier(budget=0.0075, affinity_bar=0.75, weight=1.0, promotion_percentile=85),
        Tier(budget=0.0375, affinity_bar=0.6, weight=4.0, promotion_percentile=40),
        Tier(budget=0.2, affinity_bar=0.4, weight=40.0, promotion_percentile=50),
        Tier(budget=1.0, affinity_bar=0.2, weight=160.0, promotion_percentile=50),
        Tier(budget=5.0, affinity_bar=0.1, weight=400.0, promotion_percentile=50),
        Tier(budget="unlimited", affinity_bar=0.0, weight=800.0, promotion_percentile=50),
    ]


MAX_BUDGET_PER_VIEWER = 100.0
"""Largest tier budget accepted per viewer: a week of the baseline shows each viewer about
500 posts spread over thousands, so a larger budget is an absolute one missing its unit."""


class Distribution(Section):
    """Staged distribution: tiers, promotion thresholds, decay of posts that fail.

    Tier budgets are per viewer by default, so that a scenario run at another size is the
    same platform with more or fewer people: on N viewers a tier's budget is
    max(1, round(budget x N)) impressions. A scenario that wants budgets in impressions,
    whatever its size, says so with ``budget_unit = "impressions"``.
    """

    tiers: list[Tier] = Field(default_factory=_default_tiers, min_length=1,
                              description="Traffic pools, from the test pool (tier 0) upward.")
    budget_unit: Literal["per_viewer", "impressions"] = Field(
        "per_viewer",
        description="Unit of the tiers' budgets: impressions per viewer on the platform (they "
                    "scale with population.size) or impressions (fixed whatever the size).",
    )
    threshold_window: int = Field(
        200, ge=1, le=100_000, description="How many recent finishers of a tier set its threshold."
    )
    trending_min_tier: int = Field(
        2, ge=0, description="Lowest tier whose posts enter the trending candidate source."
    )
    failed_half_life_hours: float = Field(
        12.0, gt=0,
        description="Half-life of the eligibility of a post that failed promotion by a hair.",
    )
    failed_score_exponent: float = Field(
        10.0, ge=0, le=20,
        description="The half-life scales with (score / threshold) to this power: clear failures fade fast.",
    )

    def impression_budgets(self, viewers: int) -> list[float]:
        """Each tier's budget in impressions on a platform of ``viewers`` (K,); inf if unlimited.

        Per-viewer budgets are rounded to whole impressions, at least one, so that the
        baseline's 0.0075 on 20 000 viewers is exactly its 150 impressions.
        """
        budgets = []
        for tier in self.tiers:
            if tier.budget == "unlimited":
                budgets.append(math.inf)
            elif self.budget_unit == "impressions":
                budgets.append(float(tier.budget))
            else:
                budgets.append(float(max(1, round(tier.budget * viewers))))
        return budgets


class Ranking(Section):
    """The ranking policy that builds each viewer's feed."""

    policy: Literal["foryou", "chronological", "random", "popularity"] = Field(
        "foryou", description="foryou (two-stage model) or a control policy."
    )
    weights: RankingWeights = Field(default_factory=RankingWeights,
                                    description="Values of predicted engagements in the score.")
    candidates: CandidateQuotas = Field(default_factory=CandidateQuotas,
                                        description="Candidate quotas per source.")
    temperature: float = Field(
        0.02, ge=0, le=100, description="Softmax temperature over scores (0 = greedy)."
    )
    same_author_penalty: float = Field(
        0.5, ge=0, le=1,
        description="Score multiplier for a second post of an author already in the feed.",
    )
    freshness_half_life_hours: float = Field(
        36.0, gt=0, description="Half-life of a post's score and candidate weight with age."
    )
    max_age_hours: float = Field(
        168.0, gt=0, description="Posts older than this are no longer recommended."
    )
    affinity_exponent: float = Field(
        2.0, ge=0, le=10, description="How strongly viewer-post affinity scales predictions."
    )
    prior_strength: float = Field(
        200.0, ge=0,
        description="Pseudo-views m in the smoothed rates (count + prior m)/(views + m), on a "
                    "platform of prior_reference_viewers viewers.",
    )
    prior_scaling: Literal["sqrt_viewers", "fixed"] = Field(
        "sqrt_viewers",
        description="How the prior follows the platform's size: sqrt_viewers (prior_strength x "
                    "sqrt(population.size / prior_reference_viewers), which keeps the spread of "
                    "posts' estimated rates the same at every size; docs/calibration.md, 'Size') "
                    "or fixed (prior_strength whatever the size).",
    )
    prior_reference_viewers: int = Field(
        20_000, ge=1, le=50_000_000,
        description="Platform size at which prior_strength applies as written.",
    )
    retrieval_rounds: int = Field(
        2, ge=0, le=10,
        description="Extra candidate draws for viewers whose feed the first draw cannot fill.",
    )
    max_feed_length: int = Field(
        48, ge=1, le=1000, description="Most posts one viewer sees in one step."
    )
    distribution: Distribution = Field(default_factory=Distribution,
                                       description="Staged distribution (traffic pools).")

    def prior_pseudo_views(self, viewers: int) -> float:
        """The prior's pseudo-views on a platform of ``viewers``.

        A post's views grow with the platform (tier budgets are per viewer), and while the
        prior outweighs them the spread of smoothed rates across posts is about
        views x rate / prior^2: scaling the prior with sqrt(viewers) keeps that spread, and
        with it how selective ranking and promotion are, the same at every size.
        """
        if self.prior_scaling == "fixed":
            return self.prior_strength
        return self.prior_strength * math.sqrt(viewers / self.prior_reference_viewers)


class InterestSignal(Section):
    """How much each reaction tells the platform about a viewer's interests."""

    watch: float = Field(
        1.0, ge=0, description="Weight of watching past half: 0 at half the video, 1 when complete."
    )
    like: float = Field(1.0, ge=0, description="Weight of a like.")
    comment: float = Field(1.0, ge=0, description="Weight of a comment.")
    share: float = Field(2.0, ge=0, description="Weight of a share.")
    save: float = Field(2.0, ge=0, description="Weight of a save.")
    follow: float = Field(2.0, ge=0, description="Weight of a follow.")


class Platform(Section):
    """What the platform knows about viewers and how it learns."""

    initial_knowledge: float = Field(
        0.7, ge=0, le=1,
        description="How much of viewers' true interests the platform knows at the start, 0..1.",
    )
    learning_rate: float = Field(
        0.005, ge=0, le=10, description="Weight of one unit of signal in the interest estimate."
    )
    signal: InterestSignal = Field(default_factory=InterestSignal,
                                   description="Reactions that teach the platform.")
