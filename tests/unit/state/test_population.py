"""Viewers: segment sizes, attribute distributions, sessions."""

import numpy as np

from simulation.config.scenario import Scenario
from simulation.state.population import Population, segment_sizes
from simulation.viewers.sessions import open_sessions


def test_segment_sizes_are_exact_shares():
    assert segment_sizes([0.7, 0.2, 0.1], 1000).tolist() == [700, 200, 100]
    sizes = segment_sizes([1 / 3, 1 / 3, 1 / 3], 100)
    assert sizes.sum() == 100 and sizes.max() - sizes.min() <= 1


def test_attributes_follow_their_segment():
    scenario = Scenario()
    population = Population.draw(scenario, np.random.default_rng(0))
    assert np.allclose(population.interests.sum(axis=1), 1.0, atol=1e-5)
    for index, segment in enumerate(scenario.population.segments):
        members = population.segment == index
        assert members.sum() == round(segment.share * scenario.population.size)
        # Beta(a, b) has mean a / (a + b); 2 000+ members give a standard error below 0.01.
        assert abs(population.intent[members].mean() - segment.intent.mean) < 0.02
        assert abs(population.activity[members].mean() - segment.activity.mean) < 0.3


def test_sessions_are_poisson_in_activity():
    scenario = Scenario()
    population = Population.draw(scenario, np.random.default_rng(1))
    rng = np.random.default_rng(2)
    active_counts = [len(open_sessions(population, rng, 1.0, 48)[0]) for _ in range(20)]
    # P(active in an hour) = 1 - exp(-activity / 24), averaged over viewers.
    expected = (1 - np.exp(-population.activity / 24)).sum()
    assert abs(np.mean(active_counts) - expected) < 0.03 * expected
    viewers, lengths = open_sessions(population, rng, 1.0, 10)
    assert lengths.min() >= 1 and lengths.max() <= 10
    assert len(np.unique(viewers)) == len(viewers)
