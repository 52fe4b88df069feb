"""Atomic writes: complete files or none; results folders appear only when complete."""

import json

import pytest

from simulation.io.storage import atomic_path, result_folder, to_jsonable, write_json


def test_json_has_no_nan():
    assert to_jsonable({"a": float("nan"), "b": [float("inf"), 1]}) == {"a": None, "b": [None, 1]}


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "out.json"
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("crash")
    assert list(tmp_path.iterdir()) == []


def test_written_file_replaces_old_one(tmp_path):
    target = tmp_path / "out.json"
    write_json(target, {"x": 1})
    write_json(target, {"x": 2})
    assert json.loads(target.read_text()) == {"x": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_results_folder_appears_only_when_complete(tmp_path):
    final = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt), result_folder(final) as building:
        (building / "summary.json").write_text("{}")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
    with result_folder(final) as building:
        (building / "summary.json").write_text("{}")
        assert not final.exists()
    assert (final / "summary.json").exists()
    with result_folder(final) as building:  # replacing an old folder
        (building / "other.json").write_text("{}")
    assert [p.name for p in final.iterdir()] == ["other.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
