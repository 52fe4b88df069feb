"""The marketing levers, each against its control, over several seeds (scenarios/levers/).

Every scenario runs on a smaller platform than its file (SMALL_LEVERS: 1 000 viewers,
two days) so that each lever's runs take well under a minute; a criterion must hold
in all seeds but at most one. The full-size figures are in docs/effects.md ("Marketing levers").
Nothing here sets an outcome: the scenarios switch a mechanism on or off, and the
criteria read summary.json.
"""

from __future__ import annotations

import functools

import pytest

from simulation.config.loading import load_scenario
from simulation.experiments.runs import simulate
from tests.support.scenarios import SCENARIOS
from tests.support.statistics import nearly_always

pytestmark = [pytest.mark.slow, pytest.mark.once]  # once: see pyproject.toml

LEVERS = SCENARIOS / "levers"
SMALL_LEVERS = ("population.size=1000", "steps=48")
SEEDS = tuple(range(1, 7))
BRAND = "glow_skincare"


@functools.cache
def summaries(name: str, *overrides: str) -> tuple[dict, ...]:
    """Summaries of scenarios/levers/<name>.toml on the small platform, one per seed."""
    scenario = load_scenario(LEVERS / f"{name}.toml", [*SMALL_LEVERS, *overrides])
    return tuple(simulate(scenario, seed=seed).summary for seed in SEEDS)


def brand(name: str, *overrides: str) -> list[dict]:
    return [summary["brands"][BRAND] for summary in summaries(name, *overrides)]


def test_call_to_action_raises_profile_visits_and_profile_quality_link_clicks():
    strong, none, poor = (brand(name) for name in ("call_to_action", "call_to_action_none",
                                                   "profile_quality_poor"))
    visit = [[b["funnel_steps"]["conversion"]["profile_visit"] for b in arm]
             for arm in (strong, none, poor)]
    click = [[b["funnel_steps"]["conversion"]["link_click"] for b in arm]
             for arm in (strong, none, poor)]
    # A call to action at least doubles the share of views that visit the profile...
    nearly_always([s > 2 * n for s, n in zip(visit[0], visit[1], strict=True)], visit)
    # ...and a poor profile at least halves the share of visits that click the link,
    nearly_always([s > 2 * p for s, p in zip(click[0], click[2], strict=True)], click)
    # while the visits themselves are those of the same posts (common random numbers).
    assert visit[0] == visit[2]
    nearly_always([s["leads"] > n["leads"] and s["leads"] > p["leads"]
                   for s, n, p in zip(strong, none, poor, strict=True)])


def test_familiarity_raises_conversion_with_prior_exposures():
    def lift(summary: dict) -> float:
        curve = summary["familiarity"]["brands"]
        often = curve["6+"]["profile_visits_per_1k_views"]
        return often / curve["0"]["profile_visits_per_1k_views"]

    on = [lift(s) for s in summaries("familiarity")]
    off = [lift(s) for s in summaries("familiarity_control")]
    nearly_always([a > b for a, b in zip(on, off, strict=True)], (on, off))


def pooled(arm: list[dict], numerator: str, denominator: str, scale: float = 1000.0) -> float:
    """A ratio over all seeds' counts (steadier than the mean of per-seed ratios)."""
    return scale * sum(b[numerator] for b in arm) / sum(b[denominator] for b in arm)


def test_posting_cadence_keeps_the_posts_and_leaves_leads_and_followers_about_equal():
    regular, bursty = brand("cadence_regular"), brand("cadence_bursty")
    assert [b["posts"] for b in regular] == [b["posts"] for b in bursty]
    # Measured at full size: no difference in leads or follower growth (docs/effects.md, "Posting cadence").
    for measure in ("leads", "follower_gain"):
        ratio = sum(b[measure] for b in bursty) / sum(b[measure] for b in regular)
        assert 0.7 < ratio < 1 / 0.7, (measure, ratio)


def test_trend_riding_posts_win_likes_and_early_riders_win_most():
    arm = brand("trends")
    riding = [b["trends"]["riding"]["likes_per_post"] for b in arm]
    # against the brand's posts published while the trend was hot that did not ride it
    not_riding = [b["trends"]["not_riding_while_hot"]["likes_per_post"] for b in arm]
    nearly_always([r > n for r, n in zip(riding, not_riding, strict=True)], (riding, not_riding))
    # Timing, over every creator's riders: published by one half-life after the peak against later.
    early, late = [], []
    for summary in summaries("trends"):
        phases = summary["trend_posts"]["by_phase"]
        before = [phases[p] for p in ("rising", "peak_to_1_half_life") if p in phases]
        early.append(sum(p["likes"] for p in before) / sum(p["posts"] for p in before))
        late.append(phases["1_to_3_half_lives"]["likes_per_post"])
    nearly_always([e > late_ for e, late_ in zip(early, late, strict=True)], (early, late))
    assert all(b["trends"]["riding"]["posts"] == 0 for b in brand("trends_control"))


AT_FILE_SIZE = ("population.size=2000", "steps=72")
"""The scenario files' own size (2 000 viewers, three days), for the tests whose effect is
within noise on the smaller platform: the content funnel's leads (see its test) and the
collaboration's leads per 1 000 impressions: on 1 000 viewers over two days each arm has
about 120 leads in 6 seeds, and since the attention curve over feed slots (issue 7, about
6% fewer views) the pooled comparison is within noise there (seeds 1-6: 4.48 against
4.72; seeds 7-16: 6.13 against 4.92). At the files' size, seeds 1-6: 5.49 against 4.00."""


def test_a_matched_influencer_brings_more_buyers_than_an_unmatched_one():
    matched, unmatched = (brand(name, *AT_FILE_SIZE)
                          for name in ("collaboration_matched", "collaboration_unmatched"))
    share = [[b["collaboration"]["with_partner"]["target_share"] for b in arm]
             for arm in (matched, unmatched)]
    nearly_always([m > u for m, u in zip(*share, strict=True)], share)
    parts = [[b["collaboration"]["with_partner"] for b in arm] for arm in (matched, unmatched)]
    assert pooled(parts[0], "leads", "impressions") > pooled(parts[1], "leads", "impressions")


def test_a_content_funnel_brings_more_leads_than_the_same_posts_unsequenced():
    # At the files' size: on 1 000 viewers for two days the brand has 30-50 leads an arm and
    # the funnel won 7 of 10 seeds; at 2 000 viewers for three days it wins 10 of 10 (mean 106
    # against 72 leads, seeds 1-10, measured when the ranking's draws changed).
    funnel, control = (brand(name, *AT_FILE_SIZE)
                       for name in ("content_funnel", "content_funnel_control"))
    nearly_always([f["leads"] > c["leads"] for f, c in zip(funnel, control, strict=True)],
                  [(f["leads"], c["leads"]) for f, c in zip(funnel, control, strict=True)])
    assert all(s["sources"]["retargeting"]["impressions"] > 0
               for s in summaries("content_funnel", *AT_FILE_SIZE))
    assert all("retargeting" not in s["sources"]
               for s in summaries("content_funnel_control", *AT_FILE_SIZE))


def test_a_creator_that_learns_from_likes_drifts_to_entertainment_and_loses_leads():
    def learner(name: str) -> list[dict]:
        return [s["learning"][BRAND] for s in summaries(name)]

    likes, leads = learner("learning_likes"), learner("learning_leads")
    drift = [[x["mean_mix"]["entertainment"] for x in arm] for arm in (likes, leads)]
    nearly_always([a > 0.6 and a > b for a, b in zip(*drift, strict=True)], drift)
    assert sum(x["leads"] for x in likes) < sum(x["leads"] for x in leads)
    assert sum(x["likes"] for x in likes) > sum(x["likes"] for x in leads)


def test_a_hashtag_widens_reach_beyond_the_target_audience():
    tagged, untagged = ([b["hashtag"][group] for b in brand("hashtag")]
                        for group in ("tagged", "untagged"))

    def target_share(arm: list[dict]) -> float:
        return sum(g["target_share"] * g["impressions"] for g in arm) / sum(
            g["impressions"] for g in arm)

    assert pooled(tagged, "impressions", "posts", 1) > pooled(untagged, "impressions", "posts", 1)
    assert target_share(tagged) < target_share(untagged)
