"""The effect checker: criteria read the summary as docs/effects.md states them, claims are
judged as the issue asks, and `run.py effects` writes its tables (tiny runs: no effect)."""

import math

import pandas as pd
import pytest

from simulation.experiments import effects as fx
from tests.support.scenarios import call_cli


def made_up_summary(composition: float = -0.4, conversion: float = -0.3) -> dict:
    """A summary with both brands alike: entertainment 40 likes/post vs educational 10 (ratio
    4); leads per 1k likes 5 vs 50 (0.1); tiers 0..2 reached by 30, 6 and 2 posts, so the
    highest tier reached by 5 posts is 1: target share 0.2 / 0.5 = 0.4, leads per 1k
    impressions 1.5 / 3 = 0.5; the entertainment-educational gap split as given."""
    brand = {"likes_leads_spearman": 0.1, "by_style": {
        "entertainment": {"likes_per_post": 40.0, "leads_per_1k_likes": 5.0},
        "educational": {"likes_per_post": 10.0, "leads_per_1k_likes": 50.0}},
        "by_tier": {"0": {"posts_reached": 30, "target_share": 0.5,
                          "leads_per_1k_impressions": 3.0},
                    "1": {"posts_reached": 6, "target_share": 0.2,
                          "leads_per_1k_impressions": 1.5},
                    "2": {"posts_reached": 2, "target_share": 0.0,
                          "leads_per_1k_impressions": 0.0}}}
    split = {"ratio": 1 + composition + conversion, "ratio_composition": composition,
             "ratio_conversion": conversion,
             "composition_share": composition / (composition + conversion)}
    parts = {"style_splits": {"entertainment_vs_educational": split},
             "tier_splits": {"1_vs_0": split, "2_vs_0": split}}
    return {"brands": {"glow_skincare": brand, "ledger_app": brand},
            "decomposition": {"glow_skincare": parts, "ledger_app": parts}}


def test_criteria_read_the_summary_as_stated():
    summary = made_up_summary()
    mismatch, dilution = fx.VIRAL_MISMATCH, fx.AUDIENCE_DILUTION
    values, holds = fx.evaluate(mismatch, summary)
    assert values["like_ratio"] == pytest.approx(4.0)
    assert values["leads_per_1k_likes_ratio"] == pytest.approx(0.1)
    assert values["composition_share"] == pytest.approx(0.4 / 0.7)
    assert fx.shows(mismatch, holds)
    assert not fx.controlled(mismatch, holds)  # Spearman 0.1 fails the control's bound
    values, holds = fx.evaluate(dilution, summary)
    assert fx.highest_tier(summary, "ledger_app") == 1
    assert values["target_share_ratio"] == pytest.approx(0.4)
    assert values["leads_per_1k_impressions_ratio"] == pytest.approx(0.5)
    assert fx.dilution_parts(summary)["ratio_composition"] == pytest.approx(-0.4)
    assert fx.shows(dilution, holds)


def test_composition_must_carry_the_mismatch():
    # The same outcome ratios with the gap carried by conversion (content) alone: not shown.
    values, holds = fx.evaluate(fx.VIRAL_MISMATCH, made_up_summary(-0.02, -0.68))
    assert values["composition_share"] == pytest.approx(0.02 / 0.7)
    assert holds["like_ratio"] and holds["spearman"] and not holds["composition_share"]
    assert not fx.shows(fx.VIRAL_MISMATCH, holds)


def test_undefined_values_fail():
    summary = made_up_summary()
    summary["brands"]["ledger_app"]["by_tier"]["1"]["posts_reached"] = 4  # nothing climbed
    values, holds = fx.evaluate(fx.AUDIENCE_DILUTION, summary)
    assert math.isnan(values["target_share_ratio"]) and not holds["target_share_ratio"]
    assert not fx.shows(fx.AUDIENCE_DILUTION, holds)
    assert not fx.VIRAL_MISMATCH.criteria[0].holds(math.nan)


def rows_for(effect: fx.Effect, condition: str, shows: list[bool], control: list[bool]
             ) -> list[dict]:
    return [{"effect": effect.key, "condition": condition, "seed": seed, "kind": "verdict",
             "role": role, "name": name, "value": math.nan, "bound": math.nan, "direction": "",
             "holds": flag}
            for seed, (a, b) in enumerate(zip(shows, control, strict=True))
            for role, name, flag in (("effect", "effect_shows", a),
                                     ("control", "control_holds", b))]


def test_claims_need_nine_seeds_in_ten():
    effect = fx.VIRAL_MISMATCH
    rows = (rows_for(effect, "for_you", [True] * 9 + [False], [False] * 10)
            + rows_for(effect, "random", [False] * 8 + [True] * 2, [False] * 10)
            + rows_for(effect, "control", [False] * 10, [True] * 8 + [False] * 2))
    verdicts = {v["condition"]: v for v in fx.verdicts(rows, [effect])}
    assert verdicts["for_you"]["ok"]  # shows in 9 of 10, as claimed
    assert not verdicts["random"]["ok"]  # claimed absent, shows in 2 of 10
    assert not verdicts["control"]["ok"]  # effect absent, but its own criteria hold in 8 only
    assert not fx.all_claims_hold(rows, [effect])
    assert fx.needed(10) == 9 and fx.needed(3) == 3


def test_every_condition_names_a_claim_and_a_real_scenario():
    for effect in fx.EFFECTS:
        keys = [c.key for c in effect.conditions]
        assert keys[:2] == ["for_you", "control"] and len(set(keys)) == len(keys)
        assert effect.conditions[0].claim is True and effect.conditions[1].claim is False
        jobs = fx.plan([1], effects=[effect])  # loads every condition's scenario
        assert len(jobs) == len(effect.conditions)


def test_sweep_criteria_rebuild_the_summary_from_flat_measures():
    summary = made_up_summary()
    from simulation.measures.aggregate import flatten

    flat = flatten(summary)
    frame = pd.DataFrame([flat, {**flat, "brands.glow_skincare.likes_leads_spearman": 0.9}])
    table = fx.sweep_criteria(frame, list(flat), fx.VIRAL_MISMATCH)
    assert list(table["like_ratio"]) == pytest.approx([4.0, 4.0])
    assert list(table["effect_shows"]) == [1.0, 0.0]  # Spearman 0.9 > 0.3 in the second run


def effects_command(*args, cwd) -> tuple[int, str]:
    """``run.py effects ARGS`` in this process: (exit status, standard error)."""
    result = call_cli("effects", *args, cwd=cwd)
    return result.returncode, result.stderr


def test_effects_command_writes_its_tables_and_fails_when_a_claim_fails(tmp_path):
    # One seed of a tiny platform: nothing climbs and few leads, so claims fail (exit 1),
    # but every table and both figures are written.
    status, errors = effects_command("--seeds", "1", "--viewers", "200", "--steps", "4",
                                     "--quiet", "--workers", "1", "--condition", "for_you",
                                     "random", "--out", tmp_path / "effects", cwd=tmp_path)
    assert status == 1, errors
    assert "viral_mismatch:for_you" in errors and "Traceback" not in errors
    folder = tmp_path / "effects"
    criteria = len(fx.VIRAL_MISMATCH.criteria) + len(fx.VIRAL_MISMATCH.control_criteria)
    per_seed = pd.read_csv(folder / "per_seed.csv")
    criteria += len(fx.AUDIENCE_DILUTION.criteria) + len(fx.AUDIENCE_DILUTION.control_criteria)
    assert len(per_seed[per_seed["kind"] == "criterion"]) == 2 * criteria
    conditions = pd.read_csv(folder / "conditions.csv")
    assert list(conditions["condition"]) == [effect.condition(k).label for effect in fx.EFFECTS
                                             for k in ("for_you", "random")]
    assert {"spearman", "target_share_ratio"} <= set(conditions.columns)  # both effects' criteria
    assert (folder / "conditions.png").stat().st_size > 0
    assert (folder / "parts.png").stat().st_size > 0
    assert "| random ranking" in (folder / "conditions.md").read_text()


def test_effects_command_rejects_bad_input_before_running(tmp_path):
    status, errors = effects_command("--set", "ranking.wieghts.like=1", "--out", tmp_path / "e",
                                     cwd=tmp_path)
    assert status == 2 and "ranking.wieghts" in errors
    assert "Traceback" not in errors and not (tmp_path / "e").exists()
    status, errors = effects_command("--condition", "sideways", cwd=tmp_path)
    assert status == 2 and "sideways" in errors


def fabricated_sweep(folder, sweep, like_ratio, undefined_points=()):
    """A finished sweep folder whose runs' summaries give the mismatch brand a like ratio of
    ``like_ratio(point values)`` (undefined at ``undefined_points``: no educational likes)
    and every other criterion a value that holds."""
    from simulation.experiments.executor import IDENTITY, PARAMETER_PREFIX, TABLE, prepare_folder

    prepare_folder(sweep, folder, None, None, None)
    style = "brands.glow_skincare.by_style"
    rows = []
    for run in sweep.runs:
        rows.append({"run_key": run.key, "point": run.point, "arm": run.arm,
                     "replicate": run.replicate, "status": "done", "error": None,
                     "seed_entropy": "1", "seed_spawn_key": "[]",
                     **{PARAMETER_PREFIX + k: v for k, v in run.parameters.items()},
                     f"{style}.entertainment.likes_per_post": 10.0 * like_ratio(
                         sweep.design.values[run.point]),
                     f"{style}.educational.likes_per_post":
                         0.0 if run.point in undefined_points else 10.0,
                     f"{style}.entertainment.leads_per_1k_likes": 5.0,
                     f"{style}.educational.leads_per_1k_likes": 50.0,
                     "brands.glow_skincare.likes_leads_spearman": 0.1,
                     "decomposition.glow_skincare.style_splits.entertainment_vs_educational."
                     "composition_share": 0.6})
    assert [name for name, _ in IDENTITY] == list(rows[0])[:8]
    pd.DataFrame(rows).to_parquet(folder / TABLE)


def test_sweep_effect_screens_criteria_and_maps_where_the_effect_shows(write_sweep, tmp_path):
    from simulation.experiments.sweeps import load_sweep

    # Morris: the like ratio equals the like weight (range 0..8), so its elementary effect
    # is 8 per unit of the normalised range; the temperature does nothing.
    path = write_sweep("[sweep]\nmethod = 'morris'\nsamples = 4\nseed = 4\n"
                       "[[sweep.params]]\npath = 'ranking.weights.like'\nlow = 0.0\nhigh = 8.0\n"
                       "[[sweep.params]]\npath = 'ranking.temperature'\nlow = 0.01\nhigh = 1.0\n")
    fabricated_sweep(tmp_path / "morris", load_sweep(path), lambda p: p["ranking.weights.like"])
    result = fx.sweep_effect(tmp_path / "morris", fx.VIRAL_MISMATCH)
    indices = result.table.set_index(["measure", "parameter", "index"])["value"]
    assert indices["like_ratio", "ranking.weights.like", "mu_star"] == pytest.approx(8.0)
    assert indices["like_ratio", "ranking.temperature", "mu_star"] == pytest.approx(0.0, abs=1e-9)
    assert "like_ratio" in result.render()
    # Undefined at a point of the second trajectory (points 3-5): screened on the other three.
    fabricated_sweep(tmp_path / "morris_gap", load_sweep(path),
                     lambda p: p["ranking.weights.like"], undefined_points=(4,))
    result = fx.sweep_effect(tmp_path / "morris_gap", fx.VIRAL_MISMATCH)
    like = result.table[(result.table["measure"] == "like_ratio")
                        & (result.table["index"] == "mu_star")]
    assert set(like["trajectories"]) == {3} and "3 of 4 trajectories" in result.render()
    assert like.set_index("parameter")["value"]["ranking.weights.like"] == pytest.approx(8.0)
    # Grid: the effect shows (like ratio >= 3) at like weight 4, not at 1, in both replicates.
    path = write_sweep("[sweep]\nmethod = 'grid'\nreplicates = 2\nseed = 4\n"
                       "[[sweep.params]]\npath = 'ranking.weights.like'\nvalues = [1.0, 4.0]\n"
                       "[[sweep.params]]\npath = 'ranking.temperature'\nvalues = [0.01, 0.1]\n",
                       name="grid.toml")
    fabricated_sweep(tmp_path / "grid", load_sweep(path), lambda p: p["ranking.weights.like"])
    result = fx.sweep_effect(tmp_path / "grid", fx.VIRAL_MISMATCH)
    shares = dict(zip(result.table["param.ranking.weights.like"], result.table["share"],
                      strict=False))
    assert shares == {1.0: 0.0, 4.0: 1.0} and set(result.table["replicates"]) == {2}
    status, errors = effects_command("--sweep", tmp_path / "grid", "--effect", "viral_mismatch",
                                     cwd=tmp_path)
    assert status == 0, errors
    assert (tmp_path / "grid" / "effect_viral_mismatch" / "grid.png").stat().st_size > 0
    status, errors = effects_command("--sweep", tmp_path / "grid", "--effect", "viral_mismatch",
                                     cwd=tmp_path)  # its own folder in the sweep: replaced
    assert status == 0, errors
