"""Hashtags: a tagged post is filed under its hashtag's topic as well as its own."""

import numpy as np
import pytest

from simulation.config.loading import ScenarioError
from simulation.levers.hashtags import Hashtags
from simulation.state.creators import CreatorTable
from tests.support.scenarios import post_store, small_baseline

TAGGED = 'creators[7].hashtag={ topic = "dance", share = 0.25 }'


def test_pool_entries_file_tagged_posts_under_the_tag_too():
    posts = post_store(Hashtags, primary_topic=[3, 3, 5], hashtag=[-1, 2, 5])
    lever = Hashtags.build(small_baseline(TAGGED), CreatorTable.from_scenario(small_baseline()),
                           np.random.SeedSequence(0))
    ids = np.array([0, 1, 2])
    keys, extra_ids, weights = lever.pool_entries("topic", posts, ids,
                                                  posts.primary_topic[ids].astype(np.int64),
                                                  np.array([1.0, 2.0, 3.0]))
    # the third post's tag is its own topic: filed once
    assert keys.tolist() == [2] and extra_ids.tolist() == [1] and weights.tolist() == [2.0]


def test_on_publish_tags_the_share_of_a_creators_posts():
    scenario = small_baseline(TAGGED)
    creators = CreatorTable.from_scenario(scenario)
    hashtags = Hashtags.build(scenario, creators, np.random.SeedSequence(3))
    brand = creators.names.index("glow_skincare")
    columns = {"creator": np.full(8000, brand)}
    hashtags.on_publish(None, columns)
    tags = columns["hashtag"]
    assert set(np.unique(tags)) == {-1, scenario.topics.index("dance")}
    assert abs((tags >= 0).mean() - 0.25) < 0.02
    assert Hashtags.build(small_baseline(), creators, None) is None


def test_a_hashtag_names_a_topic():
    with pytest.raises(ScenarioError, match=r"creators\[7\].hashtag.topic: unknown topic 'dancing'"):
        small_baseline('creators[7].hashtag={ topic = "dancing" }')
