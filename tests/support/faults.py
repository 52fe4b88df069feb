"""Helpers of the fault-injection tests: processes to kill, folders to compare, a full disk."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.support.scenarios import ROOT

VOLATILE = ("wall_seconds", "peak_memory_mb", "command")
"""Manifest fields that differ between two runs of the same scenario and seed."""


def start(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``python run.py ARGS`` started in its own process group (signals reach it alone)."""
    return subprocess.Popen([sys.executable, str(ROOT / "run.py"), *map(str, args)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ, **(env or {})})


def wait_until(condition: Callable[[], bool], process: subprocess.Popen | None = None,
               timeout: float = 180, poll: float = 0.01) -> bool:
    """Wait for ``condition``; False if ``process`` ended first. Fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if process is not None and process.poll() is not None:
            return False
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(poll)
    return True


def kill_group(process: subprocess.Popen, signum: int = signal.SIGKILL) -> tuple[str, str]:
    """Send ``signum`` to the process group of ``process``; wait for it and return its output."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
    return process.communicate(timeout=120)


def tree(folder: Path) -> dict[str, str]:
    """Every entry under ``folder`` (hidden ones too): path -> digest of its bytes, or 'dir'."""
    found = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            found[key] = f"link to {os.readlink(path)}"
        else:
            found[key] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def run_folder_contents(folder: Path) -> dict[str, object]:
    """A run folder's files as bytes, the manifest without what varies between two runs."""
    found: dict[str, object] = {}
    for path in sorted(folder.iterdir()):
        if path.name == "manifest.json":
            manifest = json.loads(path.read_text())
            found[path.name] = {k: v for k, v in manifest.items() if k not in VOLATILE}
        else:
            found[path.name] = path.read_bytes()
    return found


@contextlib.contextmanager
def small_tmpfs(size: str) -> Iterator[Path | None]:
    """A tmpfs of ``size`` mounted on a fresh folder (a disk that fills up), or None when this
    process may not mount one (not root): the caller then simulates a full disk instead."""
    mount = Path(tempfile.mkdtemp(prefix="engagement-sim-full-disk-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
                             capture_output=True).returncode == 0 if hasattr(os, "geteuid") \
        and os.geteuid() == 0 else False
    try:
        yield mount if mounted else None
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True)
        with contextlib.suppress(OSError):
            mount.rmdir()


def grow_tmpfs(mount: Path, size: str) -> None:
    """Give a mounted tmpfs more room (space freed)."""
    subprocess.run(["mount", "-o", f"remount,size={size}", str(mount)], check=True)


def disk_full_after(budget: int) -> Callable[..., None]:
    """A stand-in for ``os.fsync`` that fails with ENOSPC once ``budget`` bytes were synced:
    every atomic write of the storage layer syncs its file before renaming it."""
    written = [0]
    real = os.fsync

    def fsync(descriptor: int) -> None:
        written[0] += os.fstat(descriptor).st_size
        if written[0] > budget:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(descriptor)
    return fsync
