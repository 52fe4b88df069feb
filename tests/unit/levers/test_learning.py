"""Creators who learn: the bandit's mix follows the evidence and keeps to the allowed styles."""

import numpy as np

from simulation.config.levers import Learning
from simulation.levers.learning import StyleLearners
from simulation.model import EngagementModel
from simulation.state.creators import CreatorTable
from tests.support.scenarios import small_baseline


def learners(**fields) -> StyleLearners:
    settings = ", ".join(f"{k} = {v}" for k, v in fields.items())
    scenario = small_baseline(f"creators[7].learning={{ {settings} }}")
    return StyleLearners(scenario, CreatorTable.from_scenario(scenario), np.random.SeedSequence(1))


def test_thompson_favours_the_style_with_more_kpi_per_post():
    bandit = learners(kpi='"likes"')
    allowed = np.ones(3, dtype=bool)
    mix = bandit._mix(Learning(), allowed, n=np.array([20.0, 20.0, 20.0]),
                      total=np.array([400.0, 100.0, 40.0]))
    assert mix.argmax() == 0 and mix[0] > 0.95 and abs(mix.sum() - 1) < 1e-12
    # little evidence: the mix stays spread
    mix = bandit._mix(Learning(), allowed, n=np.array([1.0, 1.0, 1.0]),
                      total=np.array([3.0, 2.0, 2.0]))
    assert mix.max() < 0.8


def test_epsilon_greedy_and_allowed_styles():
    bandit = learners(method='"epsilon_greedy"', epsilon=0.3)
    learning = Learning(method="epsilon_greedy", epsilon=0.3)
    mix = bandit._mix(learning, np.array([True, True, False]), n=np.array([10.0, 10.0, 10.0]),
                      total=np.array([1.0, 5.0, 50.0]))
    assert np.allclose(mix, [0.15, 0.85, 0.0])


def test_a_learning_run_records_its_mix_and_changes_nothing_else():
    scenario = small_baseline("steps=4", "population.size=500",
                              'creators[7].learning={ kpi = "likes", feedback_hours = 0.0 }')
    model = EngagementModel(scenario, seed=1)
    for _ in range(scenario.steps):
        model.step()
    assert len(model.levers["learning"].mix_history) == 4
    brand = model.creators.names.index("glow_skincare")
    assert abs(model.creators.style_mix[brand].sum() - 1) < 1e-9
    others = np.arange(model.creators.size) != brand
    assert np.allclose(model.creators.style_mix[others],
                       CreatorTable.from_scenario(scenario).style_mix[others])
