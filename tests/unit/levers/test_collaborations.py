"""Collaborations: posts made with a partner are drawn into the partner's followers' candidates."""

import numpy as np
import pytest

from simulation.config.loading import ScenarioError
from simulation.levers.collaborations import Collaborations
from simulation.model import EngagementModel
from simulation.state.creators import CreatorTable
from tests.support.scenarios import post_store, small_baseline


def test_pool_entries_list_a_collaboration_under_its_partner_too():
    posts = post_store(Collaborations, creator=[0, 1, 2], partner=[-1, 3, -1])
    lever = Collaborations.build(small_baseline(
        'creators[7].collaboration={ partner = "beauty-2", share = 0.3 }'),
        CreatorTable.from_scenario(small_baseline()), np.random.SeedSequence(0))
    ids = np.array([0, 1, 2])
    keys, extra_ids, weights = lever.pool_entries("creator", posts, ids, posts.creator[ids],
                                                  np.array([1.0, 2.0, 3.0]))
    assert keys.tolist() == [3] and extra_ids.tolist() == [1] and weights.tolist() == [2.0]
    assert len(lever.pool_entries("topic", posts, ids, ids, np.ones(3))[1]) == 0


def test_on_publish_makes_the_share_of_posts_with_the_partner():
    scenario = small_baseline('creators[7].collaboration={ partner = "beauty-2", share = 0.3 }')
    creators = CreatorTable.from_scenario(scenario)
    collaborations = Collaborations.build(scenario, creators, np.random.SeedSequence(0))
    brand, partner = creators.names.index("glow_skincare"), creators.names.index("beauty-2")
    columns = {"creator": np.full(10_000, brand)}
    collaborations.on_publish(None, columns)
    made = columns["partner"]
    assert set(np.unique(made)) == {-1, partner}
    assert abs((made == partner).mean() - 0.3) < 0.02
    others = {"creator": np.zeros(100, dtype=np.int64)}
    collaborations.on_publish(None, others)
    assert (others["partner"] == -1).all()
    assert Collaborations.build(small_baseline(), creators, None) is None


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
