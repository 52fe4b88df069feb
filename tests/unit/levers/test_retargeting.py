"""Content funnels: viewers advance a stage on the funnel's reaction and get the next stage's posts."""

import numpy as np
import pytest

from simulation.config.loading import ScenarioError
from simulation.levers.retargeting import Retargeting
from simulation.state.creators import CreatorTable
from tests.support.scenarios import small_baseline

FUNNEL = ('creators[7].content_funnel={ stages = ["entertainment", "educational", '
          '"promotional"], engaged_by = "likes", quota = 3 }')


@pytest.fixture
def funnel():
    scenario = small_baseline(FUNNEL)
    creators = CreatorTable.from_scenario(scenario)
    retargeting = Retargeting.build(scenario, creators, None)
    retargeting.allocate(n_viewers=5)
    return retargeting, creators.names.index("glow_skincare"), list(scenario.styles)


def test_off_unless_a_creator_has_a_funnel():
    scenario = small_baseline()
    assert Retargeting.build(scenario, CreatorTable.from_scenario(scenario), None) is None


def test_viewers_advance_on_the_funnels_reaction_only(funnel):
    retargeting, brand, styles = funnel
    entertainment, educational = styles.index("entertainment"), styles.index("educational")
    viewer = np.array([0, 1, 2, 3])
    creator = np.array([brand, brand, brand, 0])
    style = np.array([entertainment, educational, entertainment, educational])
    likes = np.array([True, True, False, True])
    retargeting.advance(viewer, creator, style, {"likes": likes})
    # viewer 2 did not like; viewer 3 liked another creator's post
    assert retargeting.reached[:, 0].tolist() == [0, 1, -1, -1, -1]
    retargeting.advance(np.array([1]), np.array([brand]), np.array([entertainment]),
                       {"likes": np.array([True])})
    assert retargeting.reached[1, 0] == 1  # a stage reached is never lost


def test_draw_offers_the_next_stage_of_the_brand(funnel):
    retargeting, brand, styles = funnel
    retargeting.reached[:, 0] = [0, 1, 2, -1, 0]
    live_ids = np.arange(100, 106)
    author = np.array([brand, brand, brand, 0, brand, brand])
    style = np.array([styles.index(s) for s in ("entertainment", "educational", "promotional",
                                                "educational", "educational", "promotional")])
    drawn = retargeting.draw_next_stage(np.arange(5), live_ids, author, style, np.ones(6),
                             np.random.default_rng(0))
    assert drawn.shape == (5, 3)
    assert set(drawn[0]) <= {101, 104} and set(drawn[4]) <= {101, 104}  # stage 0 -> educational
    assert set(drawn[1]) <= {102, 105} and set(drawn[2]) <= {102, 105}  # -> promotional (last)
    assert (drawn[3] == -1).all()  # never engaged


def test_funnel_stages_must_be_styles():
    with pytest.raises(ScenarioError, match=r"content_funnel.stages\[1\]: unknown style"):
        small_baseline('creators[7].content_funnel={ stages = ["entertainment", "promo"] }')
