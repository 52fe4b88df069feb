"""Trend heat: linear rise to the peak, then exponential fade."""

import numpy as np

from simulation.config.content import Trend
from simulation.config.scenario import Scenario
from simulation.state.trends import Trends


def test_heat_curve_analytic_values():
    scenario = Scenario(trends=[Trend(name="t", topic="comedy", start_hour=10, rise_hours=4,
                                      half_life_hours=8, peak_heat=2.0)])
    trends = Trends(scenario)
    # Before the start 0; halfway up the rise 1.0 (= 2.0 x 2/4); the peak at 14 h; one
    # half-life after the peak 1.0; two half-lives 0.5.
    for hour, expected in [(0, 0.0), (12, 1.0), (14, 2.0), (22, 1.0), (30, 0.5)]:
        assert np.isclose(trends.heat(hour)[0], expected)


def test_posts_ride_only_hot_trends():
    scenario = Scenario(trends=[Trend(name="t", topic="comedy", start_hour=100)])
    trends = Trends(scenario)
    rng = np.random.default_rng(0)
    assert (trends.pick(rng, np.ones(5, dtype=bool), hour=50.0) == -1).all()
    assert (trends.pick(rng, np.array([True, False]), hour=110.0) == [0, -1]).all()
