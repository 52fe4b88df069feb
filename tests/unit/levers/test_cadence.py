"""Posting schedules: regular and bursty creators keep their rate; Poisson creators are untouched."""

import numpy as np

from simulation.levers.cadence import PostingSchedule
from simulation.state.creators import CreatorTable
from tests.support.scenarios import small_baseline


def schedule_of(kind: str, **fields) -> tuple[PostingSchedule, int]:
    """The small baseline with the skincare brand (creators[7], 6 posts a day) on ``kind``."""
    extra = "".join(f", {k} = {v}" for k, v in fields.items())
    scenario = small_baseline(f'creators[7].schedule={{ kind = "{kind}"{extra} }}')
    creators = CreatorTable.from_scenario(scenario)
    return PostingSchedule(scenario, creators), creators.names.index("glow_skincare")


def posts_per_step(schedule: PostingSchedule, hours: range) -> np.ndarray:
    """Posts of every creator in each one-hour step (steps, C), with Poisson counts zero."""
    drawn = np.zeros(len(schedule.kind), dtype=np.int64)
    return np.array([schedule.publishing_counts(drawn, float(h), 1.0) for h in hours])


def test_regular_and_bursty_publish_the_rate_over_whole_periods():
    for kind in ("regular", "bursty"):
        schedule, brand = schedule_of(kind)
        counts = posts_per_step(schedule, range(-24, 72))[:, brand]
        assert counts.sum() == 4 * 6, kind  # four days of 6 posts a day
        assert (counts.reshape(4, 24).sum(axis=1) == 6).all(), kind


def test_regular_spaces_posts_and_bursty_groups_them():
    regular, brand = schedule_of("regular")
    assert set(posts_per_step(regular, range(48))[:, brand]) == {0, 1}
    assert np.flatnonzero(posts_per_step(regular, range(24))[:, brand]).tolist() == [0, 4, 8, 12,
                                                                                    16, 20]
    bursty, brand = schedule_of("bursty", burst_every_hours=12.0, offset_hours=5.0)
    counts = posts_per_step(bursty, range(48))[:, brand]
    assert np.flatnonzero(counts).tolist() == [5, 17, 29, 41]
    assert (counts[counts > 0] == 3).all()


def test_poisson_creators_keep_their_draws():
    schedule, brand = schedule_of("regular")
    drawn = np.arange(len(schedule.kind))
    counts = schedule.publishing_counts(drawn, 0.0, 1.0)
    others = np.arange(len(drawn)) != brand
    assert (counts[others] == drawn[others]).all()
    assert PostingSchedule.build(small_baseline(), CreatorTable.from_scenario(small_baseline()),
                                 None) is None  # all Poisson: the lever is off
