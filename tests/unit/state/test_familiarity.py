"""Familiarity decays with its half-life."""

import numpy as np

from simulation.state.familiarity import Familiarity


def test_exposures_decay_with_half_life():
    familiarity = Familiarity(2, 2, half_life_hours=72)
    familiarity.expose(np.array([0, 0]), np.array([1, 1]), hour=0.0)
    # Two exposures at hour 0 are worth 2 then, 1 after one half-life, 0.5 after two.
    for hour, expected in [(0.0, 2.0), (72.0, 1.0), (144.0, 0.5)]:
        assert np.isclose(familiarity.read(np.array([0]), np.array([1]), hour)[0], expected,
                          rtol=1e-5)
    assert familiarity.read(np.array([1]), np.array([0]), 10.0)[0] == 0


def test_rescaling_keeps_values():
    familiarity = Familiarity(1, 1, half_life_hours=1)
    familiarity.expose(np.array([0]), np.array([0]), hour=0.0)
    familiarity.expose(np.array([0]), np.array([0]), hour=45.0)  # forces a rescale (2^45)
    # 2^-45 left of the first exposure, plus 1 for the new one.
    assert np.isclose(familiarity.read(np.array([0]), np.array([0]), 45.0)[0], 1.0, rtol=1e-5)
    assert np.isclose(familiarity.read(np.array([0]), np.array([0]), 46.0)[0], 0.5, rtol=1e-5)


def test_exposure_counts_bucket_prior_views_and_saturate():
    from simulation.state.familiarity import EXPOSURE_BUCKETS, ExposureCounts

    counts = ExposureCounts(3, 2)
    labels = [label for label, _ in EXPOSURE_BUCKETS]
    seen = []
    for _ in range(7):
        seen.append(labels[int(counts.bucket(np.array([0]), np.array([1]))[0])])
        counts.expose(np.array([0, 2]), np.array([1, 0]))
    assert seen == ["0", "1", "2", "3-5", "3-5", "3-5", "6+"]
    counts.expose(np.array([1] * 300), np.array([0] * 300))  # repeats within one call add up
    assert counts.count[1, 0] == 250 and counts.count[0, 0] == 0
