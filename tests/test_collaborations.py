"""Collaborations: posts made with a partner are drawn into the partner's followers' candidates."""

import numpy as np
import pytest

from simulation.config.loading import ScenarioError
from simulation.levers.collaborations import Collaborations, creator_pool_entries
from simulation.model import EngagementModel
from simulation.state.creators import CreatorTable
from tests.conftest import small_baseline


def test_pool_entries_list_a_collaboration_under_both_creators():
    keys, ids, weights = creator_pool_entries(np.array([0, 1, 2]), np.array([-1, 3, -1]),
                                              np.array([10, 11, 12]), np.array([1.0, 2.0, 3.0]))
    assert keys.tolist() == [0, 1, 2, 3]
    assert ids.tolist() == [10, 11, 12, 11]
    assert weights.tolist() == [1.0, 2.0, 3.0, 2.0]


def test_assign_makes_the_share_of_posts_with_the_partner():
    scenario = small_baseline('creators[7].collaboration={ partner = "beauty-2", share = 0.3 }')
    creators = CreatorTable.from_scenario(scenario)
    collaborations = Collaborations(scenario, creators)
    brand, partner = creators.names.index("glow_skincare"), creators.names.index("beauty-2")
    assert collaborations.active
    made = collaborations.assign(np.random.default_rng(0), np.full(10_000, brand))
    assert set(np.unique(made)) == {-1, partner}
    assert abs((made == partner).mean() - 0.3) < 0.02
    others = collaborations.assign(np.random.default_rng(0), np.zeros(100, dtype=np.int64))
    assert (others == -1).all()


def test_partners_followers_meet_the_brands_collaboration_posts():
    scenario = small_baseline("steps=6", "population.size=1000",
                              'creators[7].collaboration={ partner = "comic-1", share = 1.0 }',
                              "creators[0].initial_followers=0.3")
    model = EngagementModel(scenario, seed=2)
    for _ in range(scenario.steps):
        model.step()
    brand, partner = model.creators.names.index("glow_skincare"), 0
    posts = np.flatnonzero(model.posts.creator == brand)
    assert (model.posts.partner[posts] == partner).all()
    assert model.posts.counts[posts, 0].sum() > 0


def test_a_partner_must_be_a_creator():
    with pytest.raises(ScenarioError,
                       match=r"creators\[7\].collaboration.partner: unknown creator .beauty.*numbered"):
        small_baseline('creators[7].collaboration={ partner = "beauty", share = 0.5 }')
