"""The shift-share (Kitagawa) split of a brand's leads per impression: hand-worked and on a run."""

import math

import numpy as np
import pytest

from simulation.measures.decomposition import kitagawa, split


def test_split_matches_a_hand_worked_example():
    # Group a: 100 target impressions with 10 leads, 900 others with 9 (19 per 1 000).
    # Group b: 500 target impressions with 40 leads, 500 others with 5 (45 per 1 000).
    # Shares (0.1, 0.9) against (0.5, 0.5); rates per 1 000 (100, 10) against (80, 10).
    # composition = (0.1 - 0.5)(100 + 80)/2 + (0.9 - 0.5)(10 + 10)/2 = -36 + 4 = -32
    # conversion  = (100 - 80)(0.1 + 0.5)/2 + (10 - 10)(0.9 + 0.5)/2 = 6
    # difference  = 19 - 45 = -26 = -32 + 6; ratio 19/45 = 1 - 32/45 + 6/45.
    parts = split(np.array([100, 900]), np.array([10, 9]), np.array([500, 500]),
                  np.array([40, 5]))
    assert parts["leads_per_1k_impressions"] == pytest.approx(19.0)
    assert parts["reference_leads_per_1k_impressions"] == pytest.approx(45.0)
    assert parts["difference"] == pytest.approx(-26.0)
    assert parts["composition"] == pytest.approx(-32.0)
    assert parts["conversion"] == pytest.approx(6.0)
    assert parts["composition_share"] == pytest.approx(32 / 26)
    assert parts["ratio"] == pytest.approx(19 / 45)
    assert parts["ratio_composition"] == pytest.approx(-32 / 45)
    assert parts["ratio_conversion"] == pytest.approx(6 / 45)
    assert 1 + parts["ratio_composition"] + parts["ratio_conversion"] == pytest.approx(
        parts["ratio"])


def test_an_audience_missing_on_one_side_is_all_composition():
    # a reaches only target viewers (100 impressions, 10 leads: 100 per 1 000); b as above.
    # The other audience's rate in a is taken from b (10), so it adds no conversion:
    # composition = (1 - 0.5)(100 + 80)/2 + (0 - 0.5)(10 + 10)/2 = 45 - 5 = 40
    # conversion  = (100 - 80)(1 + 0.5)/2 = 15; difference 100 - 45 = 55.
    parts = split(np.array([100, 0]), np.array([10, 0]), np.array([500, 500]), np.array([40, 5]))
    assert (parts["composition"], parts["conversion"]) == pytest.approx((40.0, 15.0))
    assert parts["difference"] == pytest.approx(55.0)


def test_no_leads_or_no_impressions_give_undefined_parts_not_errors():
    empty = split(np.array([0, 0]), np.array([0, 0]), np.array([10, 10]), np.array([1, 0]))
    assert math.isnan(empty["composition"]) and math.isnan(empty["ratio"])
    no_leads = split(np.array([10, 10]), np.array([0, 0]), np.array([10, 10]), np.array([0, 0]))
    assert no_leads["difference"] == 0 and math.isnan(no_leads["composition_share"])
    assert math.isnan(no_leads["ratio"]) and no_leads["composition"] == 0


def test_parts_sum_to_the_difference_for_any_counts():
    rng = np.random.default_rng(4)
    for _ in range(200):
        shares_a, shares_b = rng.dirichlet([1, 1, 1]), rng.dirichlet([1, 1, 1])
        rates_a, rates_b = rng.random(3) * 50, rng.random(3) * 50
        composition, conversion = kitagawa(shares_a, rates_a, shares_b, rates_b)
        assert composition + conversion == pytest.approx(shares_a @ rates_a - shares_b @ rates_b)


def test_every_run_splits_each_brand_by_style_tier_and_reach(small_run):
    summary = small_run.summary
    for brand, parts in summary["decomposition"].items():
        measures = summary["brands"][brand]
        for style, row in parts["by_style"].items():
            # the two audiences recombine into the brand's own leads per impression
            assert row["impressions"] == measures["by_style"][style]["impressions"]
            assert row["leads"] == measures["by_style"][style]["leads"]
            if row["leads_per_1k_target_impressions"] == row["leads_per_1k_target_impressions"]:
                recombined = (row["target_share"] * row["leads_per_1k_target_impressions"]
                              + (1 - row["target_share"]) * np.nan_to_num(
                                  row["leads_per_1k_other_impressions"]))
                assert recombined == pytest.approx(row["leads_per_1k_impressions"])
        for tier, row in parts["by_tier"].items():
            assert row["target_share"] == pytest.approx(measures["by_tier"][tier]["target_share"])
        for splits in (parts["style_splits"], parts["tier_splits"], parts["reach_splits"]):
            for name, values in splits.items():
                if not math.isnan(values["composition"]):
                    assert values["composition"] + values["conversion"] == pytest.approx(
                        values["difference"], abs=1e-9), name
        assert set(parts["tier_splits"]) == {f"{k}_vs_0" for k in parts["by_tier"] if k != "0"}
