"""Size is a free choice: tier budgets are per viewer and the ranking prior follows the
size by its square root, unless a scenario says otherwise."""

import math

import pytest

from simulation.config.loading import ScenarioError, load_scenario
from simulation.config.ranking import Distribution, Ranking, Tier
from tests.support.scenarios import BASELINE, SMALL_PLATFORM


def test_per_viewer_budgets_become_whole_impressions_of_the_platform():
    distribution = Distribution(tiers=[Tier(budget=0.0075), Tier(budget=0.0375),
                                       Tier(budget="unlimited")])
    assert distribution.impression_budgets(20_000) == [150.0, 750.0, math.inf]
    assert distribution.impression_budgets(5_000) == [38.0, 188.0, math.inf]
    # Never below one impression, however small the platform.
    assert distribution.impression_budgets(10) == [1.0, 1.0, math.inf]


def test_budgets_in_impressions_ignore_the_size():
    distribution = Distribution(tiers=[Tier(budget=150), Tier(budget="unlimited")],
                                budget_unit="impressions")
    assert distribution.impression_budgets(2_000) == distribution.impression_budgets(200_000)
    assert distribution.impression_budgets(2_000)[0] == 150.0


@pytest.mark.parametrize("path", [BASELINE, SMALL_PLATFORM])
def test_shipped_platforms_keep_their_budgets_at_their_own_size_and_scale_at_others(path):
    scenario = load_scenario(path)
    own = scenario.population.size
    budgets = scenario.ranking.distribution.impression_budgets(own)
    known = {20_000: [150, 750, 4_000, 20_000, 100_000], 2_000: [30, 150, 800, 4_000, 20_000]}
    assert budgets[:-1] == known[own] and budgets[-1] == math.inf
    tenfold = scenario.ranking.distribution.impression_budgets(10 * own)
    assert tenfold[:-1] == [10 * budget for budget in known[own]]


def test_the_default_tiers_are_the_baselines():
    assert load_scenario(BASELINE).ranking.distribution == Distribution()


def test_an_absolute_budget_without_its_unit_is_refused_with_the_fix():
    with pytest.raises(ScenarioError) as error:
        load_scenario(BASELINE, ["ranking.distribution.tiers[1].budget=750"])
    message = str(error.value)
    assert "ranking.distribution.tiers[1].budget" in message
    assert 'budget_unit = "impressions"' in message
    absolute = load_scenario(BASELINE, ["ranking.distribution.tiers[1].budget=750",
                                        "ranking.distribution.budget_unit=impressions"])
    assert absolute.ranking.distribution.impression_budgets(5_000)[1] == 750.0


def test_only_the_last_tier_may_be_unlimited():
    with pytest.raises(ScenarioError, match="only the last tier may be unlimited"):
        load_scenario(BASELINE, ['ranking.distribution.tiers[0].budget="unlimited"'])


def test_the_prior_grows_with_the_square_root_of_the_size():
    ranking = Ranking(prior_strength=200.0, prior_reference_viewers=20_000)
    assert ranking.prior_pseudo_views(20_000) == 200.0
    assert ranking.prior_pseudo_views(5_000) == pytest.approx(100.0)
    assert ranking.prior_pseudo_views(80_000) == pytest.approx(400.0)


def test_a_fixed_prior_ignores_the_size():
    ranking = Ranking(prior_strength=200.0, prior_scaling="fixed")
    assert ranking.prior_pseudo_views(2_000) == ranking.prior_pseudo_views(200_000) == 200.0


@pytest.mark.parametrize("path", [BASELINE, SMALL_PLATFORM])
def test_shipped_platforms_keep_their_prior_at_their_own_size(path):
    scenario = load_scenario(path)
    own = scenario.population.size
    assert scenario.ranking.prior_pseudo_views(own) == scenario.ranking.prior_strength == 200.0
