"""Measures of social proof and of likes versus followers; the across-seed aggregate."""

import json
import math

import numpy as np
import pytest

from simulation.core.events import EVENT_INDEX
from simulation.experiments.runs import run_seeds, simulate
from simulation.measures.social import across_seed_measures, share_unpredictability
from tests.support.scenarios import small_catalog


def test_unpredictability_is_the_mean_absolute_difference_between_pairs_of_worlds():
    # Post 0 has shares 0.5, 1.0 and 0.75 in three worlds: pairs differ by 0.5, 0.25 and 0.25,
    # mean 1/3; post 1 (0.5, 0.0, 0.25) the same. One world has no pairs: undefined.
    shares = np.array([[0.5, 0.5], [1.0, 0.0], [0.75, 0.25]])
    assert share_unpredictability(shares) == pytest.approx([1 / 3, 1 / 3])
    assert share_unpredictability(np.ones((4, 3)) / 3) == pytest.approx([0, 0, 0])
    assert np.isnan(share_unpredictability(shares[:1])).all()


def catalog_summary(like_shares: list[float]) -> dict:
    return {"catalog": {"by_post": {f"p{i}": {"like_share": s, "view_share": 1 / len(like_shares)}
                                    for i, s in enumerate(like_shares)}}}


def test_across_seed_measures_compare_the_same_posts_only():
    worlds = [catalog_summary([0.5, 0.5]), catalog_summary([1.0, 0.0]),
              catalog_summary([0.75, 0.25])]
    measures = across_seed_measures(worlds)["catalog"]
    assert measures["worlds"] == 3
    assert measures["like_share_unpredictability"] == pytest.approx(1 / 3)
    assert measures["view_share_unpredictability"] == 0
    assert measures["by_post"]["p0"]["mean_like_share"] == pytest.approx(0.75)
    assert across_seed_measures(worlds[:1]) == {}  # one world: nothing to compare
    assert across_seed_measures([*worlds, {"totals": {}}]) == {}  # not all catalog runs
    assert across_seed_measures([*worlds, catalog_summary([0.2, 0.3, 0.5])]) == {}


@pytest.fixture(scope="module")
def catalog_summary_run():
    return simulate(small_catalog(), seed=6).summary


def test_catalog_shares_and_inequality_read_the_counters(catalog_summary_run):
    catalog = catalog_summary_run["catalog"]
    by_post = catalog["by_post"]
    assert len(by_post) == catalog["posts"] == 48 and catalog["visitors"] == 400
    for event in ("like", "view"):
        assert sum(p[f"{event}_share"] for p in by_post.values()) == pytest.approx(1.0)
    likes = np.array([p["likes"] for p in by_post.values()])
    assert likes.sum() == catalog_summary_run["totals"]["likes"]
    assert catalog["likes_per_visitor"] == pytest.approx(likes.sum() / 400)
    # Every post is a catalog post: the platform-wide inequality is the catalog's.
    assert catalog["likes_gini"] == pytest.approx(catalog_summary_run["inequality"]["likes_gini"])
    top = np.sort(likes)[::-1]
    assert catalog["top10_like_share"] == pytest.approx(top[:5].sum() / top.sum())  # 5 of 48
    assert -1 <= catalog["quality_spearman"]["likes"] <= 1


def test_the_aggregate_of_several_worlds_has_their_unpredictability(tmp_path):
    rows = run_seeds(small_catalog("population.size=200", "steps=4"), [1, 2, 3],
                     tmp_path / "worlds", progress=False)
    found = {row["measure"]: row for row in rows}
    key = "across_seeds.catalog.like_share_unpredictability"
    assert found[key]["n"] == 3 and found[key]["mean"] > 0 and math.isnan(found[key]["sd"])
    data = json.loads((tmp_path / "worlds" / "aggregate.json").read_text())
    assert data["across_seeds"]["catalog"]["worlds"] == 3
    assert data["across_seeds"]["catalog"]["like_share_unpredictability"] == found[key]["mean"]
    assert key in (tmp_path / "worlds" / "aggregate.csv").read_text()


def test_no_across_seed_measures_without_a_catalog(seeds_folder):
    data = json.loads((seeds_folder / "aggregate.json").read_text())
    assert data["across_seeds"] == {}
    assert not any(r["measure"].startswith("across_seeds") for r in data["measures"])


def test_likes_followers_measures_add_up(small_run):
    model, summary = small_run.model, small_run.summary["likes_followers"]
    per_post = model.posts.events()
    likes, follows = (per_post[:, EVENT_INDEX[e]].sum() for e in ("likes", "follows"))
    everyone = summary["all_creators"]
    assert everyone["likes"] == likes and everyone["follows"] == follows
    # Followers gained are the follows counted; each creator's too.
    assert everyone["follower_gain"] == follows
    for name, creator in summary["creators"].items():
        c = model.creators.names.index(name)
        assert creator["follower_gain"] == model.follows.count[c] - model.initial_followers[c]
        assert creator["follower_gain"] == creator["follows"]
    assert sum(g["likes"] for g in summary["by_creator_group"].values()) == likes
    assert sum(s["follows"] for s in summary["by_style"].values()) == follows
    assert summary["follows_per_1k_likes"] == pytest.approx(1000 * follows / likes)
    comic = summary["by_creator_group"]["comic"]
    assert comic["like_to_follower_ratio"] == pytest.approx(comic["likes"] / comic["followers_end"])
    assert 0 < summary["likes_from_followers_share"] < 1
    assert -1 <= summary["spearman"]["likes_follower_gain"] <= 1


def test_the_follower_ledger_splits_the_counters_by_follower_status(small_run):
    model = small_run.model
    per_creator = np.zeros((model.creators.size, model.followers.counts.shape[2]), int)
    np.add.at(per_creator, model.posts.creator, model.posts.events())
    assert np.array_equal(model.followers.counts.sum(axis=1), per_creator)
    # A viewer who already follows a creator cannot follow it again.
    assert (model.followers.counts[:, 1, EVENT_INDEX["follows"]] == 0).all()
