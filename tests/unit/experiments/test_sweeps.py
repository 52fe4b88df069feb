"""Sweep files: designs, positional seeds, and one clear error for every kind of bad file."""

import math

import numpy as np
import pytest
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from simulation.config.loading import ScenarioError
from simulation.experiments.sweeps import (
    design_seed,
    load_sweep,
    make_design,
    parse_sweep_document,
    salib_problem,
)
from tests.support.scenarios import SMALL_PLATFORM, call_cli


def design_of(sweep: dict, root: int = 1):
    spec = parse_sweep_document({"scenario": "x.toml", "sweep": sweep}, "test.toml")
    return spec.sweep, make_design(spec.sweep, root)


def test_grid_is_every_combination_of_values_and_levels():
    _, points = design_of({"params": [
        {"path": "ranking.weights.like", "values": [0.0, 2.0, 4.0]},
        {"path": "ranking.weights.lead", "low": 1.0, "high": 100.0, "levels": 3, "scale": "log"},
    ]})
    assert len(points.values) == 9
    assert {p["ranking.weights.like"] for p in points.values} == {0.0, 2.0, 4.0}
    assert sorted({p["ranking.weights.lead"] for p in points.values}) == pytest.approx([1, 10, 100])
    assert points.values[0] == {"ranking.weights.like": 0.0, "ranking.weights.lead": 1.0}


def test_latin_hypercube_has_one_point_in_every_stratum_and_integers_stay_integers():
    _, points = design_of({"method": "lhs", "samples": 10, "params": [
        {"path": "ranking.weights.like", "low": 0.0, "high": 5.0},
        {"path": "ranking.candidates.exploration", "low": 0, "high": 40},
    ]})
    like = np.array([p["ranking.weights.like"] for p in points.values])
    assert sorted(np.floor(like / 5.0 * 10).astype(int)) == list(range(10))
    exploration = [p["ranking.candidates.exploration"] for p in points.values]
    assert all(isinstance(x, int) and 0 <= x <= 40 for x in exploration)


def test_random_log_scale_spreads_by_ratio_and_depends_only_on_the_root():
    sweep = {"method": "random", "samples": 400,
             "params": [{"path": "ranking.temperature", "low": 0.001, "high": 10.0, "scale": "log"}]}
    _, points = design_of(sweep, root=3)
    values = np.array([p["ranking.temperature"] for p in points.values])
    assert values.min() >= 0.001 and values.max() <= 10.0
    # Log-uniform over four decades: about a quarter of the points in each decade.
    per_decade = np.histogram(np.log10(values), bins=[-3, -2, -1, 0, 1])[0]
    assert all(60 <= count <= 140 for count in per_decade), per_decade
    assert design_of(sweep, root=3)[1].values == points.values
    assert design_of(sweep, root=4)[1].values != points.values


def test_sobol_and_morris_designs_are_salib_samples():
    params = [{"path": "ranking.weights.like", "low": 0.0, "high": 8.0},
              {"path": "ranking.temperature", "low": 0.01, "high": 1.0, "scale": "log"},
              {"path": "funnel.like.social_proof", "low": 0.0, "high": 0.3}]
    design, points = design_of({"method": "sobol", "samples": 8, "params": params}, root=5)
    assert len(points.values) == 8 * (3 + 2)  # Saltelli: N (D + 2) without second order
    expected = sobol_sample.sample(salib_problem(design), 8, calc_second_order=False,
                                   seed=int(design_seed(5).generate_state(1)[0]))
    assert np.array_equal(points.matrix, expected)
    assert points.values[3]["ranking.temperature"] == pytest.approx(10 ** expected[3, 1])
    design, points = design_of({"method": "morris", "samples": 4, "params": params}, root=5)
    assert len(points.values) == 4 * (3 + 1)  # trajectories x (D + 1)
    expected = morris_sample.sample(salib_problem(design), 4, num_levels=4,
                                    seed=int(design_seed(5).generate_state(1)[0]))
    assert np.array_equal(points.matrix, expected)


def test_seeds_are_positional_and_shared_by_paired_arms(write_sweep):
    arms = ('[[arms]]\nname = "likes"\nset = { "ranking.weights.like" = 4.0 }\n'
            '[[arms]]\nname = "leads"\nset = { "ranking.weights.lead" = 50.0 }\n')
    body = ('[sweep]\nreplicates = 3\nseed = 9\n[[sweep.params]]\npath = "ranking.temperature"\n'
            'values = [0.01, 0.1]\n')
    sweep = load_sweep(write_sweep(body + arms))
    assert len(sweep.runs) == 2 * 2 * 3 and sweep.root_entropy == 9
    assert len({r.key for r in sweep.runs}) == len(sweep.runs)
    by_key = {r.key: r for r in sweep.runs}
    assert by_key["p0001-likes-r02"].spawn_key == by_key["p0001-leads-r02"].spawn_key == (1, 2)
    assert by_key["p0001-leads-r02"].assignments == {"ranking.temperature": 0.1,
                                                     "ranking.weights.lead": 50.0}
    # Parameter columns: swept paths, and every path an arm sets (the base value elsewhere).
    assert by_key["p0000-likes-r00"].parameters == {"ranking.temperature": 0.01,
                                                    "ranking.weights.like": 4.0,
                                                    "ranking.weights.lead": 0.0}
    unpaired = load_sweep(write_sweep(body.replace("seed = 9", "seed = 9\npaired = false") + arms,
                                      name="unpaired.toml"))
    keys = {r.key: r.spawn_key for r in unpaired.runs}
    assert keys["p0001-likes-r02"] == (1, 2, 0) and keys["p0001-leads-r02"] == (1, 2, 1)


def test_an_unquoted_dotted_key_is_a_path_not_a_new_section(write_sweep):
    # In TOML, ranking.weights.lead = 50 inside [arms.set] is a nested table.
    sweep = load_sweep(write_sweep('[[arms]]\nname = "a"\n[arms.set]\nranking.weights.lead = 50.0\n'))
    assert sweep.runs[0].assignments == {"ranking.weights.lead": 50.0}


def test_no_seed_draws_one_and_records_it(write_sweep):
    first = load_sweep(write_sweep("[sweep]\nreplicates = 2\n"))
    assert 0 <= first.root_entropy < 2**63
    again = load_sweep(write_sweep("[sweep]\nreplicates = 2\n"), root_entropy=first.root_entropy)
    assert again.root_entropy == first.root_entropy


BAD_SWEEPS = [
    ("[sweep]\nmethd = 'grid'\n", "sweep.methd: unknown key 'methd' (did you mean 'method'?)"),
    ("[sweep]\nreplicates = 0\n", "sweep.replicates: input should be greater than or equal to 1"),
    ("[sweep]\nreplicates = '3'\n", "sweep.replicates: input should be a valid integer"),
    ("[[sweep.params]]\npath = 'ranking.weights.likes'\nvalues = [1.0]\n",
     "sweep.params[0].path: 'ranking.weights.likes' is not a scenario field: ranking.weights has "
     "no field 'likes' (did you mean 'like'?)"),
    ("[[sweep.params]]\npath = 'population.segmnts[2].share'\nvalues = [0.1]\n",
     "population has no field 'segmnts' (did you mean 'segments'?)"),
    ("[[sweep.params]]\npath = 'styles.entertainmnt.trend_riding'\nvalues = [0.1]\n",
     "sweep.params[0].path: styles.entertainmnt is not in the base scenario (did you mean "
     "'entertainment'?)"),
    ("[[sweep.params]]\npath = 'population.segments[7].share'\nvalues = [0.1]\n",
     "sweep.params[0].path: population.segments[7]: the base scenario's list has 3 item(s)"),
    ("[sweep]\nmethod = 'random'\nsamples = 4\n[[sweep.params]]\npath = 'ranking.weights.like'\n"
     "low = 4.0\nhigh = 1.0\n", "sweep.params[0].high: must be greater than low"),
    ("[sweep]\nmethod = 'random'\nsamples = 4\n[[sweep.params]]\npath = 'ranking.temperature'\n"
     "low = 0.0\nhigh = 1.0\nscale = 'log'\n", "sweep.params[0].low: a log scale needs low > 0"),
    ("[[sweep.params]]\npath = 'ranking.weights.like'\nvalues = [1.0, 500.0]\n",
     "sweep.params[0].values[1]: ranking.weights.like = 500.0: ranking.weights.like: input should "
     "be less than or equal to 100"),
    ("[sweep]\nmethod = 'lhs'\nsamples = 4\n[[sweep.params]]\npath = 'ranking.policy'\n"
     "low = 0.0\nhigh = 1.0\n", "sweep.params[0].path: ranking.policy is not a number"),
    ("[sweep]\nmethod = 'sobol'\nsamples = 6\n[[sweep.params]]\npath = 'ranking.weights.like'\n"
     "low = 0.0\nhigh = 1.0\n", "sweep.samples: sobol needs a power of 2 (got 6; try 4 or 8)"),
    ("[sweep]\nmethod = 'lhs'\n[[sweep.params]]\npath = 'ranking.weights.like'\nvalues = [1.0]\n",
     "sweep.samples: lhs needs samples"),
    ("[sweep]\nmethod = 'morris'\nsamples = 2\n[[sweep.params]]\npath = 'ranking.weights.like'\n"
     "values = [1.0, 2.0]\n[[sweep.params]]\npath = 'ranking.weights.lead'\nlow = 0.0\nhigh = 9.0\n",
     "sweep.params[0].values: morris needs a range"),
    ("[[sweep.params]]\npath = 'population.segments[0].share'\nvalues = [0.5]\n",
     "sweep.params[0].values[0]: population.segments[0].share = 0.5: population.segments: "
     "segment shares sum to 0.8"),
    # Each value is fine alone; one combination is not (generated points are checked too).
    ("[[sweep.params]]\npath = 'metrics.reach_bins[1]'\nvalues = [100, 250]\n"
     "[[sweep.params]]\npath = 'metrics.reach_bins[2]'\nvalues = [300, 200]\n",
     "point 3 (metrics.reach_bins[1] = 250, metrics.reach_bins[2] = 200): metrics.reach_bins: "
     "must start at 0 and increase strictly"),
    ("[[arms]]\nname = 'a'\nset = { 'ranking.weights.leed' = 1.0 }\n",
     "arms[0].set.ranking.weights.leed: 'ranking.weights.leed' is not a scenario field"),
    ("[[arms]]\nname = 'a'\n[[arms]]\nname = 'a'\n", "arms[1].name: duplicate arm name 'a'"),
    ("[[sweep.params]]\npath = 'ranking.weights.like'\nvalues = [1.0]\n[[arms]]\nname = 'a'\n"
     "set = { 'ranking.weights.like' = 2.0 }\n",
     "arms[0].set.ranking.weights.like: ranking.weights.like is varied by sweep.params[0]"),
]


@pytest.mark.parametrize("body, expected", BAD_SWEEPS)
def test_bad_sweep_file_gives_one_message_with_the_file_and_field_path(write_sweep, body, expected):
    path = write_sweep(body)
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    message = str(caught.value)
    assert message.startswith(f"error: {path}:") and expected in message, message
    assert "docs/sweeps.md describes sweep files" in message


def test_missing_base_scenario_and_bad_base_override(write_sweep):
    with pytest.raises(ScenarioError, match=r"scenario: no such file 'nope.toml'"):
        load_sweep(write_sweep("", header='scenario = "nope.toml"\n'))
    header = f'scenario = "{SMALL_PLATFORM.as_posix()}"\nset = {{ "population.size" = 5 }}\n'
    with pytest.raises(ScenarioError, match=r"set: population.size: input should be greater"):
        load_sweep(write_sweep("", header=header))


@pytest.mark.parametrize("body, expected", [BAD_SWEEPS[3], BAD_SWEEPS[9]])
def test_bad_sweep_file_exits_2_without_traceback_and_writes_nothing(write_sweep, body, expected):
    path = write_sweep(body)
    result = call_cli("sweep", path, cwd=path.parent)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr
    assert not (path.parent / "results").exists()


def test_example_sweeps_are_valid_and_small():
    examples = sorted(SMALL_PLATFORM.parent.glob("*.toml"))
    sweeps = [load_sweep(path) for path in examples if path != SMALL_PLATFORM]
    methods = {sweep.spec.sweep.method for sweep in sweeps}
    assert "morris" in methods and any(sweep.has_arms for sweep in sweeps)
    morris = next(s for s in sweeps if s.spec.sweep.method == "morris")
    assert len(morris.spec.sweep.params) >= 6
    for sweep in sweeps:
        assert sweep.base.population.size <= 5000 and len(sweep.runs) <= 200
        assert math.isfinite(sweep.root_entropy)


@pytest.mark.parametrize("command", ["sweep", "analyze"])
def test_sweep_commands_have_help_with_examples(tmp_path, command):
    result = call_cli(command, "--help", cwd=tmp_path)
    assert result.returncode == 0 and "examples:" in result.stdout


def test_sweep_needs_a_file_or_a_folder_to_resume(tmp_path):
    result = call_cli("sweep", cwd=tmp_path)
    assert result.returncode == 2 and "give a sweep file or --resume DIR" in result.stderr
    result = call_cli("sweep", "--resume", tmp_path / "nothing", cwd=tmp_path)
    assert result.returncode == 2 and "not a sweep folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_yaml_sweep_files_read_like_toml(write_sweep):
    toml = load_sweep(write_sweep('[sweep]\nreplicates = 2\nseed = 4\n[[sweep.params]]\n'
                                  'path = "ranking.weights.like"\nvalues = [1.0, 2.0]\n'))
    header = (f"scenario: {SMALL_PLATFORM.as_posix()}\n"
              "set: {population.size: 400, steps: 8}\n")
    yaml = load_sweep(write_sweep("sweep:\n  replicates: 2\n  seed: 4\n  params:\n"
                                  "    - {path: ranking.weights.like, values: [1.0, 2.0]}\n",
                                  name="sweep.yaml", header=header))
    assert yaml.resolved() == toml.resolved() and yaml.design_digest() == toml.design_digest()
