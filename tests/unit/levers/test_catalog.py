"""A fixed catalog: its schema checks, who visits when, and the orders a visit shows."""

import numpy as np
import pytest

from simulation.config.loading import ScenarioError, load_scenario
from simulation.experiments.runs import simulate
from simulation.levers.catalog import FixedCatalog
from simulation.model import EngagementModel
from tests.support.scenarios import SOCIAL_PROOF, call_cli, small_catalog


def test_shipped_social_proof_scenarios_are_valid():
    files = sorted(SOCIAL_PROOF.glob("*.toml"))
    assert len(files) >= 7
    for path in files:
        load_scenario(path)


@pytest.fixture(scope="module", params=["popularity", "random"])
def catalog_run(request):
    return simulate(small_catalog(f"ranking.policy={request.param}"), seed=2)


def test_every_viewer_visits_once_and_sees_the_whole_catalog(catalog_run):
    model = catalog_run.model
    n_posts, n_viewers = model.levers["catalog"].size, model.population.size
    assert model.posts.size == n_posts  # no new posts, no backlog
    impressions = model.posts.events()[:, 0]
    assert impressions.sum() == n_viewers * n_posts
    assert (impressions == n_viewers).all()  # each post shown once to every visitor
    steps = model.datacollector.get_table_dataframe("segments")
    assert (steps["active_viewers"] == n_viewers // model.config.steps).all()
    assert model.history.seen(np.arange(n_viewers)[:, None], model.levers["catalog"].ids[None, :]).all()


def test_visitors_are_split_evenly_over_the_steps():
    # 10 viewers over 4 steps: groups of floor(k x 10 / 4) - floor((k - 1) x 10 / 4) = 2, 3, 2, 3.
    scenario = small_catalog("population.size=10", "steps=4")
    model = EngagementModel(scenario, seed=1)
    groups = [model.levers["catalog"].visitors(step, model.population.is_bot)[0] for step in (1, 2, 3, 4)]
    assert [len(g) for g in groups] == [2, 3, 2, 3]
    assert sorted(np.concatenate(groups).tolist()) == list(range(10))
    assert all((np.diff(g) > 0).all() for g in groups)  # sorted, as the ranking expects


def feeds_at(policy: str, steps_before: int = 3):
    """A catalog model after a few steps, and the feeds it builds for the next visitors."""
    model = EngagementModel(small_catalog(f"ranking.policy={policy}"), seed=4)
    for _ in range(steps_before):
        model.step()
    viewers, lengths = model.levers["catalog"].visitors(steps_before + 1, model.population.is_bot)
    return model, model.policy.build_feeds(model.state, viewers, lengths, np.random.default_rng(5))


def test_popularity_order_is_most_liked_first_and_random_order_differs_per_visitor():
    model, feed = feeds_at("popularity")
    likes = model.posts.displayed_likes[feed.posts]
    assert (np.diff(likes, axis=1) <= 0).all() and likes.max() > 0
    assert (np.sort(feed.posts, axis=1) == model.levers["catalog"].ids).all()  # the whole catalog
    model, feed = feeds_at("random")
    assert (np.sort(feed.posts, axis=1) == model.levers["catalog"].ids).all()
    assert len({tuple(row) for row in feed.posts}) == len(feed.posts)  # a fresh order each


def test_catalog_posts_carry_the_files_attributes():
    scenario = small_catalog()
    model = EngagementModel(scenario, seed=1)
    posts = scenario.catalog.posts
    assert model.posts.quality.tolist() == pytest.approx([p.quality for p in posts])
    assert [model.creators.names[c] for c in model.posts.creator] == [p.creator for p in posts]
    catalog = model.levers["catalog"]
    assert isinstance(catalog, FixedCatalog) and catalog.names[0] == posts[0].name


def test_a_catalog_run_is_reproducible():
    scenario = small_catalog()
    first, again = (simulate(scenario, seed=3).summary["catalog"] for _ in range(2))
    assert first == again


@pytest.mark.parametrize("override, path, words", [
    ('catalog.posts[0].creator="bnad-1"', "catalog.posts[0].creator", "did you mean 'band-1'"),
    ('catalog.posts[1].style="vlog"', "catalog.posts[1].style", "unknown style 'vlog'"),
    ("catalog.posts[2].topic_mix={ jazz = 1.0 }", "catalog.posts[2].topic_mix.jazz",
     "unknown topic 'jazz'"),
    ('catalog.posts[3].name="song_01"', "catalog.posts[3].name", "duplicate post name"),
    ("catalog.posts[4].quality=1.5", "catalog.posts[4].quality", "less than or equal to 1"),
    ("ranking.max_feed_length=40", "catalog.posts", "must be at least 48"),
    ("ranking.policy=foryou", "ranking.policy", "random or popularity"),
])
def test_bad_catalog_names_the_field(override, path, words):
    with pytest.raises(ScenarioError) as caught:
        small_catalog(override)
    message = str(caught.value)
    assert path in message and words in message, message


def test_bad_catalog_exits_with_status_2_before_running(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(f'extends = "{(SOCIAL_PROOF / "musiclab.toml").as_posix()}"\n'
                   '[set]\n"catalog.posts[0].creator" = "nobody"\n')
    result = call_cli("run", bad, "--quiet", "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 2 and "catalog.posts[0].creator" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()
