"""Calibration and policy contrasts over several seeds on a small platform.

Each assertion is a sign and a rough size, checked in every seed of a few.
"""

import numpy as np
import pytest

from simulation.experiments.runs import simulate
from tests.support.scenarios import small_baseline

pytestmark = [pytest.mark.slow, pytest.mark.once]  # once: see pyproject.toml

SEEDS = (1, 2, 3)


@pytest.fixture(scope="module")
def runs():
    """For-You and random runs of the baseline at 3 000 viewers for two days, same seeds."""
    found = {}
    for policy in ("foryou", "random"):
        scenario = small_baseline("population.size=3000", "steps=48", f"ranking.policy={policy}")
        found[policy] = [simulate(scenario, seed=seed).summary for seed in SEEDS]
    return found


def test_engagement_rates_within_published_ranges(runs):
    # TikTok benchmarks: engagement by views 3-8%, comments 0.1-0.5%, shares 0.2-1%.
    for summary in runs["foryou"]:
        rates = summary["rates"]
        assert 0.03 <= rates["engagement_rate_by_views"] <= 0.08
        assert 0.001 <= rates["comment_rate"] <= 0.005
        assert 0.002 <= rates["share_rate"] <= 0.01
        assert rates["like_rate"] > rates["share_rate"] > 0


def test_foryou_concentrates_views_far_more_than_random(runs):
    foryou = np.array([s["inequality"]["views_gini"] for s in runs["foryou"]])
    random = np.array([s["inequality"]["views_gini"] for s in runs["random"]])
    assert (foryou > random + 0.15).all(), (foryou, random)
    assert (random < 0.5).all()


def test_leads_come_from_the_segments_the_offer_is_relevant_to(runs):
    for summary in runs["foryou"]:
        segments = summary["segments"]
        buyers = segments["buyers"]["leads"] / segments["buyers"]["impressions"]
        casual = segments["casual"]["leads"] / segments["casual"]["impressions"]
        assert buyers > 10 * casual
