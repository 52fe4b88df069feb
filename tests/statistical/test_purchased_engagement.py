"""Bought likes, their detection, and paid promotion against their controls, over seeds.

The scenarios of scenarios/bought_likes/ and scenarios/promotion/ run on a smaller platform
(SMALL: 1 000 viewers, two days) over seeds 101-106, not the seeds the scenarios were written
with; a criterion must hold in all seeds but at most one, or on counts pooled over the
seeds. Nothing here sets an outcome: the scenarios switch a mechanism on or off, and the
criteria read summary.json. Full-size figures (10 seeds): docs/effects.md.
"""

from __future__ import annotations

import functools

import pytest

from simulation.config.loading import load_scenario
from simulation.experiments.runs import simulate
from tests.support.scenarios import SCENARIOS
from tests.support.statistics import nearly_always

pytestmark = [pytest.mark.slow, pytest.mark.once]  # once: see pyproject.toml

SMALL = ("population.size=1000", "steps=48")
SEEDS = tuple(range(101, 107))
BRAND = "glow_skincare"
LIKES_IGNORED = "ranking.weights.like=0"
EVERYONE_ALIKE = ("creators[7].offer.relevance={buyers=1.0, casual=1.0, niche_fans=1.0}",
                  "population.segments[0].intent={a=4.0, b=4.0}",
                  "population.segments[1].intent={a=4.0, b=4.0}")
"""Every segment as ready to buy the brand's offer as the buyers: targeting has nothing to find."""


@functools.cache
def summaries(name: str, *overrides: str) -> tuple[dict, ...]:
    scenario = load_scenario(SCENARIOS / f"{name}.toml", [*SMALL, *overrides])
    return tuple(simulate(scenario, seed=seed).summary for seed in SEEDS)


def brand(name: str, *overrides: str) -> list[dict]:
    return [summary["brands"][BRAND] for summary in summaries(name, *overrides)]


def pairs(treated: list[dict], control: list[dict], key: str) -> list[tuple[float, float]]:
    return [(t[key], c[key]) for t, c in zip(treated, control, strict=True)]


def mean_tier(measures: dict) -> float:
    """Mean over the brand's posts of the highest tier each reached."""
    reached = measures["by_tier"]
    return sum(v["posts_reached"] for k, v in reached.items() if k != "0") / measures["posts"]


def test_bought_likes_raise_visibility_and_likes_but_not_the_real_conversion_rate():
    buying, control = brand("bought_likes/buying"), brand("bought_likes/not_buying")
    bought = [s["bought_likes"]["creators"][BRAND] for s in summaries("bought_likes/buying")]
    impressions = pairs(buying, control, "impressions")
    # Real viewers reached: at least 30% more, and the brand's posts climb higher.
    nearly_always([t > 1.3 * c for t, c in impressions], impressions)
    nearly_always([mean_tier(t) > mean_tier(c) for t, c in zip(buying, control, strict=True)])
    # Displayed likes at least double.
    nearly_always([b["displayed_likes"] > 2 * c["likes"] for b, c in zip(bought, control,
                                                                          strict=True)])
    # The real viewers reached convert no better (leads per 1 000 real impressions).
    conversion = pairs(buying, control, "leads_per_1k_impressions")
    nearly_always([t < 1.1 * c for t, c in conversion], conversion)
    pooled = [sum(x["leads"] for x in arm) / sum(x["impressions"] for x in arm)
              for arm in (buying, control)]
    assert pooled[0] < pooled[1], pooled


def test_bought_likes_bring_no_visibility_when_the_score_ignores_likes():
    # The control: the same order on a platform whose score gives likes no value.
    impressions = pairs(brand("bought_likes/buying", LIKES_IGNORED),
                        brand("bought_likes/not_buying", LIKES_IGNORED), "impressions")
    nearly_always([t < 1.1 * c for t, c in impressions], impressions)


def test_detection_shrinks_the_advantage_and_rarely_flags_honest_creators():
    control, buying = brand("bought_likes/not_buying"), brand("bought_likes/buying")
    detected = brand("bought_likes/buying_detected")
    gain = [b["impressions"] - c["impressions"] for b, c in zip(buying, control, strict=True)]
    kept = [d["impressions"] - c["impressions"] for d, c in zip(detected, control, strict=True)]
    nearly_always([k < g for k, g in zip(kept, gain, strict=True)], (kept, gain))
    assert sum(kept) < 0.7 * sum(gain), (kept, gain)
    records = [s["detection"] for s in summaries("bought_likes/buying_detected")]
    caught = sum(r["buyer_reviews_flagged"] for r in records)
    assert caught >= 0.9 * sum(r["buyer_reviews"] for r in records), records
    # With nobody buying, every flag is a false positive: at most 3% of the reviews.
    honest = [s["detection"] for s in summaries("bought_likes/not_buying_detected")]
    flagged = sum(r["honest_reviews_flagged"] for r in honest)
    assert flagged <= 0.03 * sum(r["honest_reviews"] for r in honest), honest
    # ...and the honest brand keeps its reach under the detector.
    reach = pairs(brand("bought_likes/not_buying_detected"), control, "impressions")
    assert abs(sum(t for t, _ in reach) / sum(c for _, c in reach) - 1) < 0.1, reach


def campaigns(name: str, *overrides: str) -> list[dict]:
    return [summary["promotion"][BRAND] for summary in summaries(name, *overrides)]


def pooled_cost_per_lead(arm: list[dict]) -> float:
    return sum(c["spent"] for c in arm) / sum(c["paid"]["leads"] for c in arm)


def test_targeted_promotion_costs_far_less_per_lead_though_untargeted_brings_more_likes():
    targeted, untargeted = campaigns("promotion/targeted"), campaigns("promotion/untargeted")
    cost = [(t["cost_per_lead"], u["cost_per_lead"])
            for t, u in zip(targeted, untargeted, strict=True)]
    nearly_always([3 * t < u for t, u in cost], cost)
    likes = [(t["paid"]["likes"], u["paid"]["likes"])
             for t, u in zip(targeted, untargeted, strict=True)]
    nearly_always([u > t for t, u in likes], likes)
    assert all("promoted" not in s["sources"] and "promotion" not in s
               for s in summaries("promotion/none"))


def test_targeting_saves_little_when_every_segment_is_as_ready_to_buy():
    # The control: targeting the buyers when everyone is a buyer saves several times less.
    # With tier budgets per viewer (issue 17) the pooled ratio of the control is 2.2 at these
    # 1 000 viewers and 2.0 at the scenarios' own 2 000 (main comparison: 11.5 and 14.6), so
    # the former absolute bound of 2 sat at the edge of its noise; the criterion is relative.
    main = pooled_cost_per_lead(campaigns("promotion/untargeted")) / pooled_cost_per_lead(
        campaigns("promotion/targeted"))
    alike = pooled_cost_per_lead(campaigns("promotion/untargeted", *EVERYONE_ALIKE)) / \
        pooled_cost_per_lead(campaigns("promotion/targeted", *EVERYONE_ALIKE))
    assert main > 3 and alike < main / 3, (alike, main)
