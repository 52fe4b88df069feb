"""Results computed once per test session and shared by every pytest-xdist worker.

A session-scoped fixture runs once per *worker*; with ``-n 2`` two workers that need the
same ten runs would each run them. :func:`shared` keeps one copy per session on disk,
under a lock: the first worker to ask computes, the others wait and read it.
"""

from __future__ import annotations

import fcntl
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")


def session_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder shared by every worker of this session (and only this session)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # pytest-of-user/pytest-N/popen-gwK -> pytest-N, one per session
    folder = base / "shared-runs"
    folder.mkdir(exist_ok=True)
    return folder


def shared(folder: Path, name: str, compute: Callable[[], T]) -> T:
    """``compute()`` once per session, whichever worker asks first; later calls read it."""
    path, lock = folder / f"{name}.pickle", folder / f"{name}.lock"
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        if path.exists():
            return pickle.loads(path.read_bytes())
        value = compute()
        temporary = path.with_suffix(".partial")
        temporary.write_bytes(pickle.dumps(value))
        temporary.replace(path)
        return value
