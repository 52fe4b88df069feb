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


# --- claiming an output folder ----------------------------------------------------------

RUN = "engagement-sim run 1"


def _results(folder, format_name=RUN):
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"format": format_name}))
    return folder


def test_folder_format_reads_the_marker_only():
    from simulation.io.storage import folder_format

    assert folder_format("/nonexistent") is None


def test_a_claim_refuses_what_it_did_not_write_and_replaces_its_own_only_when_asked(
        tmp_path, monkeypatch):
    from simulation.io.storage import OutputError, check_output, claim_output

    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "mine"
    (mine / "notes.txt").parent.mkdir()
    (mine / "notes.txt").write_text("mine")
    for path, overwrite, expected in [
            (mine, True, "exists and is not a results folder of engagement-sim"),
            (tmp_path / "mine" / "notes.txt", True, "exists and is not a folder"),
            (tmp_path, False, "is the current folder or holds it"),
            (tmp_path.parent, False, "is the current folder or holds it")]:
        with pytest.raises(OutputError, match=expected):
            check_output(path, overwrite, (RUN,))
    old = _results(tmp_path / "old")
    with pytest.raises(OutputError, match=r"already holds results .* Add --overwrite"):
        check_output(old, False, (RUN,))
    with pytest.raises(OutputError, match="is a sweep folder of engagement-sim"):
        check_output(_results(tmp_path / "sweep", "engagement-sim sweep 1"), True, (RUN,))
    (tmp_path / "empty").mkdir()
    check_output(tmp_path / "empty")  # an empty folder holds nothing to lose
    with claim_output(old, overwrite=True, replaces=(RUN,)) as building:
        (building / "manifest.json").write_text(json.dumps({"format": RUN, "new": True}))
        assert json.loads((old / "manifest.json").read_text()) == {"format": RUN}
    assert json.loads((old / "manifest.json").read_text())["new"] is True
    assert (mine / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "mine", "old", "sweep"]


def test_a_failed_claim_leaves_nothing_not_even_the_parents_it_made(tmp_path):
    from simulation.io.storage import claim_output

    with pytest.raises(RuntimeError), claim_output(tmp_path / "a" / "b" / "out") as building:
        (building / "summary.json").write_text("{}")
        raise RuntimeError("crash")
    assert list(tmp_path.iterdir()) == []


def test_one_claim_at_a_time_per_folder(tmp_path):
    from simulation.io.storage import OutputError, claim_output

    with claim_output(tmp_path / "out"):
        assert (tmp_path / ".out.lock").read_text().strip().isdigit()
        with pytest.raises(OutputError, match="another run is writing this folder now"), \
                claim_output(tmp_path / "out"):
            pass
        with claim_output(tmp_path / "other"):  # another name is not locked
            pass
    assert not (tmp_path / ".out.lock").exists()


def test_leftovers_of_killed_runs_are_removed_and_a_retired_folder_is_put_back(tmp_path):
    from simulation.io.storage import claim_output, remove_leftovers

    (tmp_path / ".a.partial-abcd1234" / "x").mkdir(parents=True)
    (tmp_path / ".a.lock").write_text("4242\n")
    _results(tmp_path / ".b.old-abcd1234" / "b")  # killed between the two renames of a swap
    (tmp_path / ".c.partial-abcd1234").mkdir()
    (tmp_path / ".notes.partial-of-mine").mkdir()  # not a name this program makes
    (tmp_path / ".hidden.lock").write_text("user data")
    removed = sorted(p.name for p in remove_leftovers(tmp_path))
    assert removed == [".a.partial-abcd1234", ".b.old-abcd1234", ".c.partial-abcd1234"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".hidden.lock", ".notes.partial-of-mine",
                                                          "b"]
    (tmp_path / ".d.partial-abcd1234").mkdir()
    with claim_output(tmp_path / "d"):  # a claim removes what killed runs left first
        assert not (tmp_path / ".d.partial-abcd1234").exists()
    assert json.loads((tmp_path / "b" / "manifest.json").read_text()) == {"format": RUN}


def test_leftovers_of_a_live_writer_are_left_alone(tmp_path):
    from simulation.io.storage import claim_output, remove_leftovers

    with claim_output(tmp_path / "busy") as building:
        (building / "summary.json").write_text("{}")
        assert remove_leftovers(tmp_path) == []
        assert building.exists()
