"""Staged distribution: promotion by percentile of recent finishers, decay after failure."""

import numpy as np

from simulation.config.ranking import Distribution, Tier
from simulation.model import EngagementModel
from simulation.platform.tiers import StagedDistribution
from simulation.state.posts import PostStore
from tests.support.scenarios import purchase_scenario


def make(n_posts: int, percentile: float = 50.0):
    config = Distribution(tiers=[Tier(budget=10, promotion_percentile=percentile),
                                 Tier(budget=100, promotion_percentile=percentile),
                                 Tier(budget="unlimited")], threshold_window=4,
                          budget_unit="impressions")
    posts = PostStore(n_topics=1, n_segments=1, n_tiers=3, n_reach_bins=2)
    posts.add(creator=np.zeros(n_posts, dtype=np.int64), created_hour=np.zeros(n_posts))
    return StagedDistribution(config, viewers=1_000), posts


def test_posts_that_spent_their_budget_are_judged_against_the_percentile():
    tiers, posts = make(4)
    posts.tier_impressions[:] = [10, 12, 10, 3]  # the last has budget left: not judged
    ids = np.arange(4)
    promoted, failed = tiers.evaluate(posts, ids, np.array([0.1, 0.3, 0.2, 0.9]), hour=5.0)
    # Median of the three finishers (0.1, 0.3, 0.2) is 0.2: 0.3 and 0.2 pass.
    assert sorted(promoted.tolist()) == [1, 2] and failed.tolist() == [0]
    assert posts.tier.tolist() == [0, 1, 1, 0]
    assert posts.tier_impressions.tolist() == [10, 0, 0, 3]
    assert posts.reached_tier.tolist() == [0, 1, 1, 0]
    assert posts.failed_hour[0] == 5.0 and np.isnan(posts.failed_hour[1])


def test_thresholds_remember_recent_finishers_only():
    tiers, posts = make(6)
    posts.tier_impressions[:] = 10
    scores = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.5])
    tiers.evaluate(posts, np.arange(4), scores[:4], hour=0.0)
    # History holds four 1.0s; with two more finishers the window keeps the last four.
    promoted, _ = tiers.evaluate(posts, np.arange(4, 6), scores[4:], hour=1.0)
    assert promoted.size == 0
    assert np.allclose(tiers.history[0], [1.0, 1.0, 0.0, 0.5])


def test_eligibility_fades_faster_the_clearer_the_failure():
    tiers, posts = make(3)
    posts.failed_hour[:2] = 10.0
    posts.failed_ratio[:2] = [1.0, 0.5]  # a near miss, and half the threshold
    half_life = tiers.config.failed_half_life_hours
    exponent = tiers.config.failed_score_exponent
    # Half-lives: h x 1^k and h x 0.5^k. After 2h hours: 2^-2 and 2^(-2 / 0.5^k).
    assert np.allclose(tiers.eligibility(posts, np.arange(3), 10.0 + 2 * half_life),
                       [0.25, 2.0 ** (-2 / 0.5**exponent), 1.0])


def test_allowance_is_what_is_left_of_the_budget():
    tiers, posts = make(3)
    posts.tier_impressions[:] = [4, 10, 0]
    posts.tier[2] = 2  # last tier: no budget to spend
    assert tiers.allowance(posts, np.arange(3)).tolist() == [6.0, 0.0, np.inf]


def test_the_model_sizes_budgets_by_its_real_viewers_not_its_bot_accounts():
    model = EngagementModel(purchase_scenario("bought_likes/buying"), seed=1)
    assert model.population.size > model.config.population.size  # bots were added
    distribution = model.config.ranking.distribution
    assert model.tiers.budget.tolist() == distribution.impression_budgets(
        model.config.population.size)
