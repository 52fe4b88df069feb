"""Hashtags: a tagged post is filed under its hashtag's topic as well as its own."""

import numpy as np
import pytest

from simulation.config.loading import ScenarioError
from simulation.levers.hashtags import Hashtags, topic_pool_entries
from simulation.state.creators import CreatorTable
from tests.conftest import small_baseline


def test_pool_entries_file_tagged_posts_under_the_tag_too():
    keys, ids, weights = topic_pool_entries(np.array([3, 3, 5]), np.array([-1, 2, 5]),
                                            np.array([7, 8, 9]), np.array([1.0, 2.0, 3.0]))
    # the third post's tag is its own topic: filed once
    assert keys.tolist() == [3, 3, 5, 2] and ids.tolist() == [7, 8, 9, 8]
    assert weights.tolist() == [1.0, 2.0, 3.0, 2.0]


def test_assign_tags_the_share_of_a_creators_posts():
    scenario = small_baseline('creators[7].hashtag={ topic = "dance", share = 0.25 }')
    creators = CreatorTable.from_scenario(scenario)
    hashtags = Hashtags(scenario, creators)
    brand = creators.names.index("glow_skincare")
    tags = hashtags.assign(np.random.default_rng(3), np.full(8000, brand))
    assert set(np.unique(tags)) == {-1, scenario.topics.index("dance")}
    assert abs((tags >= 0).mean() - 0.25) < 0.02
    assert not Hashtags(small_baseline(), creators).active


def test_a_hashtag_names_a_topic():
    with pytest.raises(ScenarioError, match=r"creators\[7\].hashtag.topic: unknown topic 'dancing'"):
        small_baseline('creators[7].hashtag={ topic = "dancing" }')
