"""Reading scenario files: every kind of bad input gives one message with the field path."""

import pytest

from simulation.config.loading import (
    ScenarioError,
    apply_overrides,
    field_path,
    load_scenario,
    parse_assignment,
    parse_path,
)
from simulation.config.scenario import Scenario


def write(tmp_path, text, name="scenario.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(path, overrides=()):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides)
    return str(caught.value)


def test_paths_round_trip():
    parts = ["population", "segments", 1, "intent", "a"]
    assert field_path(parts) == "population.segments[1].intent.a"
    assert parse_path("population.segments[1].intent.a") == parts


def test_unknown_key_names_the_file_the_path_and_suggests(tmp_path):
    message = error_of(write(tmp_path, "[population]\nsiz = 10\n"))
    assert "population.siz" in message and "did you mean 'size'" in message
    assert str(tmp_path / "scenario.toml") in message


def test_unknown_key_in_an_optional_table_names_the_key(tmp_path):
    # Optional tables (X | None) are not unions of tables: the key is not taken for a branch.
    message = error_of(write(tmp_path, '[[creators]]\nname = "shop"\n[creators.offer]\nprise = 3.0\n'))
    assert "creators[0].offer.prise" in message and "did you mean 'price'" in message


def test_out_of_range_value_names_the_nested_path(tmp_path):
    text = ('[[population.segments]]\nname = "a"\nshare = 0.5\n'
            '[[population.segments]]\nname = "b"\nshare = 0.5\nintent = { a = -1, b = 2 }\n')
    message = error_of(write(tmp_path, text))
    assert "population.segments[1].intent.a" in message and "greater than 0" in message


def test_wrong_type_is_not_coerced(tmp_path):
    message = error_of(write(tmp_path, 'steps = "168"\n'))
    assert "steps" in message and "valid integer" in message


def test_unknown_choice_lists_the_allowed_ones(tmp_path):
    message = error_of(write(tmp_path, '[ranking]\npolicy = "best"\n'))
    assert "'foryou'" in message and "'random'" in message


def test_malformed_toml(tmp_path):
    message = error_of(write(tmp_path, "name = \n"))
    assert "not valid TOML" in message and "line 1" in message


def test_missing_file(tmp_path):
    assert "no such file" in error_of(tmp_path / "nope.toml")


def test_shares_must_sum_to_one(tmp_path):
    text = '[[population.segments]]\nname = "a"\nshare = 0.5\n'
    assert "shares sum to 0.5" in error_of(write(tmp_path, text))


def test_relevance_to_unknown_segment(tmp_path):
    text = ('[[creators]]\nname = "shop"\n[creators.offer]\nrelevance = { byers = 1.0 }\n')
    message = error_of(write(tmp_path, text))
    assert "creators[0].offer.relevance.byers" in message and "did you mean 'buyers'" in message


def test_yaml_is_read_safely(tmp_path):
    path = write(tmp_path, "seed: 5\npopulation:\n  size: 300\n", "scenario.yaml")
    assert load_scenario(path).population.size == 300
    unsafe = write(tmp_path, "seed: !!python/object/apply:os.system ['true']\n", "bad.yaml")
    assert "not valid YAML" in error_of(unsafe)


def test_overrides_are_validated_like_files():
    scenario = apply_overrides(Scenario(), ["ranking.policy=random", "ranking.weights.like=2.5"])
    assert scenario.ranking.policy == "random" and scenario.ranking.weights.like == 2.5
    with pytest.raises(ScenarioError, match="did you mean 'like'"):
        apply_overrides(Scenario(), ["ranking.weights.likes=2"])
    with pytest.raises(ScenarioError, match=r"no item 9"):
        apply_overrides(Scenario(), ["population.segments[9].share=0.1"])


def test_override_values_are_toml():
    assert parse_assignment("a.b=2")[1] == 2
    assert parse_assignment("a.b=2.5")[1] == 2.5
    assert parse_assignment("a.b=true")[1] is True
    assert parse_assignment("a.b=random")[1] == "random"
    assert parse_assignment('a.b=[1, 2]')[1] == [1, 2]


def test_extends_merges_tables_replaces_lists_and_set_assigns_by_path(tmp_path):
    write(tmp_path, '[population]\nsize = 500\n[ranking.weights]\nlike = 3.0\n'
          '[[trends]]\nname = "a"\ntopic = "dance"\n', "base.toml")
    child = write(tmp_path, 'extends = "base.toml"\n[ranking.weights]\nshare = 9.0\n'
                  '[styles.entertainment]\ntrend_riding = 0.9\n'
                  '[set]\n"trends[0].topic" = "comedy"\n', "child.toml")
    scenario = load_scenario(child)
    assert scenario.population.size == 500
    assert (scenario.ranking.weights.like, scenario.ranking.weights.share) == (3.0, 9.0)
    assert [t.topic for t in scenario.trends] == ["comedy"]
    # A partial style table keeps that style's other defaults and the other styles.
    defaults = Scenario()
    assert scenario.styles["entertainment"].trend_riding == 0.9
    assert scenario.styles["entertainment"].entertainment == defaults.styles["entertainment"
                                                                             ].entertainment
    assert set(scenario.styles) == set(defaults.styles)


def test_extends_cycles_and_bad_set_paths_are_reported(tmp_path):
    write(tmp_path, 'extends = "b.toml"\n', "a.toml")
    write(tmp_path, 'extends = "a.toml"\n', "b.toml")
    assert "circle" in error_of(tmp_path / "a.toml")
    bad = write(tmp_path, '[set]\n"trends[5].topic" = "comedy"\n', "c.toml")
    assert "trends[5]" in error_of(bad)


def test_a_byte_order_mark_is_not_an_error(tmp_path):
    from simulation.config.loading import load_scenario

    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbfsteps = 7\n")
    assert load_scenario(path).steps == 7
