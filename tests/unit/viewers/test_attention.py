"""Attention over feed slots: the curve's analytic values and its effect on watching."""

import numpy as np
import pytest

from simulation.config.funnel import Attention, Funnel
from simulation.config.loading import ScenarioError
from simulation.core.events import PROPENSITY_EVENTS
from simulation.viewers.attention import attention
from simulation.viewers.funnel import react, sigmoid
from tests.support.records import impressions
from tests.support.scenarios import small_baseline


def test_default_curve_decays_gently_to_its_floor():
    # floor 0.8, half-life 12 slots: 0.8 + 0.2 x 2^(-s / 12) -> 1 at slot 0, 0.9 at slot 12,
    # 0.85 at slot 24, and never below 0.8.
    curve = attention(Attention(), np.array([0, 12, 24, 47, 10_000]))
    assert curve[:3] == pytest.approx([1.0, 0.9, 0.85])
    assert (np.diff(curve) < 0).all() and curve[-1] == pytest.approx(0.8)


def test_a_curve_given_slot_by_slot_repeats_its_last_value():
    curve = attention(Attention(by_slot=[1.0, 0.5, 0.25]), np.array([0, 1, 2, 3, 40]))
    assert curve.tolist() == [1.0, 0.5, 0.25, 0.25, 0.25]


def test_floor_one_makes_position_irrelevant():
    assert (attention(Attention(floor=1.0), np.arange(100)) == 1.0).all()


def test_the_chance_of_watching_is_attention_times_the_view_probability():
    # No appeal noise, appeal weight 0 at the view stage: P(view at slot s) is exactly
    # attention(s) x sigmoid(view.intercept) = (0.8 + 0.2 x 2^(-s/12)) x sigmoid(0.5).
    config = Funnel.model_validate({"view": {"intercept": 0.5, "appeal": 0.0}})
    n_per_slot, slots = 40_000, np.array([0, 12, 36])
    imp = impressions(3 * n_per_slot, slot=0,
                      log_propensity=np.zeros(len(PROPENSITY_EVENTS), dtype=np.float32))
    imp.slot = np.repeat(slots, n_per_slot)
    viewed = react(config, imp, np.random.default_rng(1)).events["views"].reshape(3, -1)
    expected = attention(config.attention, slots) * sigmoid(0.5)
    tolerance = 4 * np.sqrt(expected * (1 - expected) / n_per_slot)
    assert (np.abs(viewed.mean(axis=1) - expected) < tolerance).all()


@pytest.mark.parametrize("override, path", [
    ("funnel.attention.floor=1.5", "funnel.attention.floor"),
    ("funnel.attention.half_life_slots=0", "funnel.attention.half_life_slots"),
    ("funnel.attention.by_slot=[1.0, 2.0]", "funnel.attention.by_slot[1]"),
])
def test_bad_attention_names_the_field(override, path):
    with pytest.raises(ScenarioError) as caught:
        small_baseline(override)
    assert path in str(caught.value)
