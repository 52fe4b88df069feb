"""The memory estimate: its parts scale as the arrays do, and a run that cannot fit stops."""

import pytest

from simulation.experiments import memory
from simulation.experiments.memory import (
    InsufficientMemoryError,
    available_memory,
    check_memory,
    estimate_memory,
)
from tests.support.scenarios import small_baseline


def test_the_estimate_grows_with_viewers_posts_and_creators():
    small = estimate_memory(small_baseline("population.size=20000"), resident=0)
    large = estimate_memory(small_baseline("population.size=200000"), resident=0)
    assert large.viewers == pytest.approx(10 * small.viewers, rel=0.1)
    assert large.step > 2 * small.step and large.posts == small.posts
    longer = estimate_memory(small_baseline("population.size=20000", "steps=2000"), resident=0)
    assert longer.posts > 4 * small.posts and longer.viewers == small.viewers
    more = estimate_memory(small_baseline("population.size=20000", "creators[0].count=500"),
                           resident=0)
    assert more.viewers > small.viewers and more.posts > small.posts
    assert small.total == small.resident + small.viewers + small.posts + small.step


def test_available_memory_is_known_here():
    free, source = available_memory()
    assert free is None or (free > 0 and source)


def test_a_run_that_cannot_fit_stops_with_both_numbers(monkeypatch):
    scenario = small_baseline("population.size=2000000")
    monkeypatch.setattr(memory, "available_memory", lambda: (2**30, "available memory"))
    with pytest.raises(InsufficientMemoryError) as caught:
        check_memory(scenario)
    message = str(caught.value)
    assert message.startswith("error: this run needs about ") and message.count("\n") == 0
    assert "2,000,000 viewers" in message and "only 1.0 GiB is free (available memory)" in message
    need = estimate_memory(scenario).run
    monkeypatch.setattr(memory, "available_memory", lambda: (need + 2**20, "available memory"))
    check_memory(scenario)  # fits, alone
    with pytest.raises(InsufficientMemoryError, match=r"2 runs at once x"):
        check_memory(scenario, processes=2)
    monkeypatch.setattr(memory, "available_memory", lambda: (None, "unknown"))
    check_memory(scenario, processes=100)  # nothing known: no refusal


@pytest.mark.parametrize("files", [
    {"memory.max": "6442450944", "memory.current": "1073741824",
     "memory.stat": "anon 1\ninactive_file 536870912\n"},
    {"memory/memory.limit_in_bytes": "6442450944", "memory/memory.usage_in_bytes": "1073741824",
     "memory/memory.stat": "total_inactive_file 536870912\n"}], ids=["v2", "v1"])
def test_a_cgroup_limit_leaves_limit_less_usage_net_of_reclaimable_cache(tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    assert memory._cgroup_free(tmp_path) == (6 * 2**30 - 2**30 + 2**29, "cgroup limit 6.0 GiB")
    (tmp_path / next(iter(files))).write_text("max")  # v2 without a limit
    assert memory._cgroup_free(tmp_path) is None
