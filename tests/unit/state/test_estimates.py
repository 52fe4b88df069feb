"""The platform's interest estimates learn and stay on the simplex."""

import numpy as np

from simulation.config.ranking import Platform
from simulation.state.estimates import InterestEstimates


def test_initial_knowledge_blends_uniform_and_truth():
    truth = np.array([[1.0, 0.0, 0.0, 0.0]])
    estimates = InterestEstimates(truth, Platform(initial_knowledge=0.5))
    assert np.allclose(estimates.estimate, [[0.625, 0.125, 0.125, 0.125]])


def test_learning_moves_toward_watched_topics_and_stays_a_distribution():
    truth = np.full((2, 3), 1 / 3)
    estimates = InterestEstimates(truth, Platform(initial_knowledge=0.0, learning_rate=1.0))
    topics = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    estimates.learn(np.array([0, 0]), topics, np.array([1.0, 1.0]))
    # (1/3 + 1 x 2 x [1, 0, 0]) / (1 + 1 x 2) = [7/9, 1/9, 1/9]
    assert np.allclose(estimates.estimate[0], [7 / 9, 1 / 9, 1 / 9], atol=1e-6)
    assert np.allclose(estimates.estimate[1], 1 / 3)
    assert np.allclose(estimates.unit[0], estimates.estimate[0] / np.linalg.norm(
        estimates.estimate[0]), atol=1e-6)
