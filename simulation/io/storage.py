"""Writing results so that a crash never leaves something that looks complete, and a user's
files are never lost.

Every file is written to a temporary name in its folder, flushed to disk and
renamed into place. A run's folder is built under a temporary name and renamed
to its final name only when every file in it is complete.

An output path a user names (``--out``) is claimed with :func:`claim_output`: it must be
new, an empty folder, or a results folder of this program (its marker file has a
``format`` starting with ``engagement-sim``), and such a folder is replaced only when the
caller says so (``--overwrite``). Anything else is refused before any work, with one
message (:class:`OutputError`). While a results folder is being built its name is locked
(``.NAME.lock`` beside it), so two runs never write one folder at once; the leftovers of
runs that were killed (``.NAME.partial-*`` and ``.NAME.old-*`` folders, stale lock files)
are removed by the next claim in the same folder, once no live process holds their lock.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from simulation.config.loading import ScenarioError
from simulation.core.interrupts import signals_deferred
from simulation.io.folders import FORMAT_PREFIX, MARKER, RECORD

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: folders are not locked
    fcntl = None


def to_jsonable(value: Any) -> Any:
    """Plain JSON types: numpy scalars and arrays converted, NaN and infinities as null."""
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_directory(path: Path) -> None:
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:  # not every platform can open a directory
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is fsynced and renamed to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary_path = None
    try:
        with signals_deferred():  # the file and its name together, or neither
            descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                                     dir=path.parent)
            temporary_path = Path(temporary)
        os.close(descriptor)
        os.chmod(temporary_path, 0o666 & ~_umask())  # mkstemp makes private files
        yield temporary_path
        with open(temporary_path, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary_path, path)
        _fsync_directory(path.parent)
    finally:
        if temporary_path is not None and temporary_path.exists():
            temporary_path.unlink()


def write_text(path: str | Path, text: str) -> None:
    """Write a text file atomically."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_json(path: str | Path, value: Any) -> None:
    """Write JSON atomically (sorted keys kept in insertion order, NaN as null)."""
    write_text(path, json.dumps(to_jsonable(value), indent=2, allow_nan=False) + "\n")


def write_parquet(path: str | Path, table: pa.Table | Mapping[str, Any], **options: Any) -> None:
    """Write a Parquet file atomically from a pyarrow Table or a mapping of columns.

    ``options`` go to ``pyarrow.parquet.write_table`` (e.g. ``compression="zstd"``).
    """
    if not isinstance(table, pa.Table):
        table = pa.table({name: np.asarray(values) if not isinstance(values, list) else values
                          for name, values in table.items()})
    with atomic_path(path) as temporary:
        pq.write_table(table, temporary, **options)


@contextmanager
def result_folder(path: str | Path) -> Iterator[Path]:
    """Build a results folder under a temporary name; rename it to ``path`` only on success.

    An existing folder at ``path`` is replaced only once the new one is complete.
    On any error or Ctrl-C the temporary folder is removed and nothing is left behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    building = retired = None
    try:
        with signals_deferred():  # the folder and its name together, or neither
            building = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
        os.chmod(building, 0o777 & ~_umask())  # mkdtemp makes private folders
        yield building
        _fsync_directory(building)
        with signals_deferred():  # the swap is not cut in half by Ctrl-C or SIGTERM
            if path.exists():
                retired = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
                os.replace(path, retired / path.name)
            os.replace(building, path)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
        _fsync_directory(path.parent)
    finally:
        if building is not None and building.exists():
            shutil.rmtree(building, ignore_errors=True)


# --- claiming an output folder ---------------------------------------------------------


CANNOT_WRITE = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)
"""Errors of a place that cannot take more files: a full disk, a quota, a read-only mount."""


def os_reason(error: OSError) -> str:
    """'No space left on device': the system's words for an OSError (pyarrow's are longer)."""
    return os.strerror(error.errno) if error.errno else str(error)


class OutputError(ScenarioError):
    """An output path that cannot or must not be written; ``str(error)`` is the whole message.

    Raised before any work when the path is checked (nothing is written), or when the
    results cannot be written (nothing partial is kept). Exit status 2.
    """


_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>partial|old)-[a-z0-9_]{8}$")
"""A folder :func:`result_folder` builds in (``partial``) or retires the replaced folder to
(``old``): what a killed run leaves beside its results folder."""
_LOCK_FILE = re.compile(r"^\.(?P<name>.+)\.lock$")


def folder_format(path: str | Path) -> str | None:
    """The format of a results folder this program wrote (``engagement-sim run 1``, ...), else None.

    A folder is recognised by its marker only: ``manifest.json`` (runs, seeds, effects) or
    ``sweep.json`` (sweeps) holding a ``format`` that starts with ``engagement-sim``.
    """
    folder = Path(path)
    for name in (MARKER, RECORD):
        marker = folder / name
        try:
            if not marker.is_file() or marker.stat().st_size > 100_000_000:
                continue
            value = json.loads(marker.read_text(encoding="utf-8")).get("format")
        except (OSError, ValueError, AttributeError):  # unreadable, not JSON, not a table
            continue
        if isinstance(value, str) and value.startswith(FORMAT_PREFIX):
            return value
    return None


def _kind(format_name: str) -> str:
    """'engagement-sim seeds 1' -> 'seeds'."""
    return format_name.removeprefix(FORMAT_PREFIX).rsplit(" ", 1)[0]


def check_output(path: str | Path, overwrite: bool = False, replaces: Iterable[str] = (),
                 option: str = "--out") -> None:
    """Raise :class:`OutputError` unless a results folder may be written at ``path``; writes nothing.

    Allowed: a path that does not exist (its missing parents can be created), an empty
    folder, and, with ``overwrite``, a results folder of this program whose format is one
    of ``replaces``. Refused: the current folder or one holding it, a file, any other
    folder, and a place that cannot be written.
    """
    path = Path(path)
    shown = f"error: {option} {path}"
    absolute = Path(os.path.abspath(path))
    here = Path.cwd()
    if path.name in ("", ".", "..") or absolute == here or absolute in here.parents:
        raise OutputError(f"{shown}: is the current folder or holds it; give the name of a new "
                          "folder, e.g. --out results/NAME. Nothing was written.")
    if path.is_symlink() or path.exists():
        if path.is_symlink() or not path.is_dir():
            raise OutputError(f"{shown}: exists and is not a folder; nothing was written. "
                              "Choose another --out (a new folder's name).")
        found = folder_format(path)
        if found is None:
            try:
                empty = not any(path.iterdir())
            except OSError as exc:
                raise OutputError(f"{shown}: cannot be read ({exc.strerror}); nothing was "
                                  "written. Choose another --out.") from None
            if not empty:
                raise OutputError(
                    f"{shown}: exists and is not a results folder of engagement-sim (no "
                    f"{MARKER} with its format); nothing was written and nothing in it was "
                    "touched. Choose another --out (a new folder), or move that folder away.")
        elif found not in set(replaces):
            raise OutputError(f"{shown}: is a {_kind(found)} folder of engagement-sim, which "
                              "this command does not replace; nothing was written. Choose another "
                              "--out.")
        elif not overwrite:
            raise OutputError(f"{shown}: already holds results (a {_kind(found)} folder of "
                              "engagement-sim); nothing was run. Add --overwrite to replace it "
                              "once the new results are complete, or choose another --out to "
                              "keep both.")
    _check_writable(absolute.parent, shown, "; choose another --out")


def check_file_output(path: str | Path, overwrite: bool = False, option: str = "--out",
                      folder: bool = False) -> None:
    """Raise :class:`OutputError` unless files may be written at ``path``; writes nothing.

    For outputs written file by file (a report, a folder of figures): ``path`` must not
    exist, or be an empty folder (``folder``), unless ``overwrite`` (then files of the same
    names are replaced, nothing else); it must be a file (a folder, with ``folder``), and
    its place must be writable.
    """
    path = Path(path)
    shown = f"error: {option} {path}"
    absolute = Path(os.path.abspath(path))
    if path.name in ("", ".", "..") and not folder:
        raise OutputError(f"{shown}: is a folder; give a file name. Nothing was written.")
    if path.exists() or path.is_symlink():
        if folder != path.is_dir():
            what = "not a folder" if folder else "a folder, not a file"
            raise OutputError(f"{shown}: exists and is {what}. Nothing was written.")
        empty = folder and not any(path.iterdir())
        if not empty and not overwrite:
            what = "holds files" if folder else "exists"
            raise OutputError(f"{shown}: {what}; nothing was written. Add --overwrite to replace "
                              f"{'files of the same names in it' if folder else 'it'}, or choose "
                              f"another {option}.")
    _check_writable(absolute if folder and path.is_dir() else absolute.parent, shown)


def _check_writable(where: Path, shown: str, advice: str = "") -> None:
    """Stop unless the nearest existing folder at or above ``where`` is one we may write in."""
    ancestor = where
    while not ancestor.exists() and not ancestor.is_symlink() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(f"{shown}: cannot be created: {ancestor} is not a folder. "
                          "Nothing was written.")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(f"{shown}: cannot be written: no permission to write in {ancestor} "
                          f"(or it is read-only). Nothing was written{advice}.")


def _make_parents(folder: Path, shown: str) -> list[Path]:
    """Create ``folder`` and its missing parents; return those created, outermost first."""
    missing = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{shown}: cannot create {folder} ({exc.strerror}). Nothing was "
                          "written; choose another --out.") from None
    return missing[::-1]


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders a claim created, innermost first, if nothing else went into them."""
    for folder in reversed(folders):
        try:
            folder.rmdir()
        except OSError:  # not empty (someone else wrote there) or already gone
            return


@contextmanager
def _name_lock(path: Path, blocking_message: str | None) -> Iterator[bool]:
    """Hold the lock of the results folder ``path`` (``.NAME.lock`` beside it).

    With a ``blocking_message`` a lock held by another process raises OutputError with it
    (and the holder's pid); without one, yields False instead. The lock file is removed on
    release. A lock file removed by its previous holder between our open and lock is not a
    lock: then it is opened again.
    """
    if fcntl is None:  # pragma: no cover
        yield True
        return
    lock = path.parent / f".{path.name}.lock"
    handle = None
    try:
        with signals_deferred():  # a lock file is never left without its holder's pid
            holder = _acquire(lock)
            if isinstance(holder, str):
                if blocking_message is not None:
                    who = f" (process {holder})" if holder.isdigit() else ""
                    raise OutputError(blocking_message.format(who=who))
            else:
                handle = holder
        yield handle is not None
    finally:
        if handle is not None:
            lock.unlink(missing_ok=True)
            handle.close()


def _acquire(lock: Path) -> Any:
    """The open lock file, locked and holding this process's id; or, if another process
    holds it, what that process wrote (its id)."""
    while True:
        handle = open(lock, "a+")  # noqa: SIM115 (held by the caller)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read(32).strip()
            handle.close()
            return holder
        try:
            current = os.stat(lock).st_ino == os.fstat(handle.fileno()).st_ino
        except FileNotFoundError:
            current = False
        if current:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            return handle
        handle.close()  # its holder removed it as we opened it: open the new one


def remove_leftovers(parent: str | Path, holding: str | None = None) -> list[Path]:
    """Remove what killed runs left in ``parent``; returns what was removed.

    Only names this program makes (``.NAME.partial-XXXXXXXX``, ``.NAME.old-XXXXXXXX``
    folders, and ``.NAME.lock`` files holding a process id), and only for names that no
    live process is writing (their lock is free; ``holding`` is the name whose lock the
    caller holds). A results folder retired by a run killed while swapping it for the
    new one (``.NAME.old-*/NAME`` with no ``NAME``) is put back, not removed.
    """
    parent = Path(parent)
    found: dict[str, list[tuple[str, Path]]] = {}
    try:
        entries = list(parent.iterdir())
    except OSError:
        return []
    for entry in entries:
        if (match := _LEFTOVER.match(entry.name)) and entry.is_dir() and not entry.is_symlink():
            found.setdefault(match["name"], []).append((match["kind"], entry))
        elif (match := _LOCK_FILE.match(entry.name)) and entry.is_file():
            try:
                stale = entry.stat().st_size < 32 and entry.read_text().strip().isdigit()
            except (OSError, UnicodeDecodeError):
                stale = False
            if stale:
                found.setdefault(match["name"], [])
    removed: list[Path] = []
    for name, leftovers in found.items():
        with (_held() if name == holding else _name_lock(parent / name, None)) as free:
            if not free:
                continue  # a live process is writing that folder
            for kind, entry in sorted(leftovers, key=lambda item: item[0] != "old"):
                retired = entry / name
                if kind == "old" and retired.is_dir() and not (parent / name).exists():
                    os.replace(retired, parent / name)
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    return removed


@contextmanager
def _held() -> Iterator[bool]:
    yield True


@contextmanager
def claim_output(path: str | Path, overwrite: bool = False, replaces: Iterable[str] = (),
                 option: str = "--out") -> Iterator[Path]:
    """Check, lock and build a results folder at ``path``; yields the folder to write into.

    Refuses (:class:`OutputError`, before anything is written) what :func:`check_output`
    refuses, and a folder another process is writing now. Leftovers of killed runs in the
    same place are removed first. The folder is built under a temporary name and appears
    (replacing the old one, if ``overwrite`` allowed it) only when the block ends without
    an error; otherwise nothing is left, not even the parent folders the claim created. An
    OSError while writing (a full disk, a read-only file system) becomes an OutputError.
    """
    path = Path(path)
    replaces = tuple(replaces)
    shown = f"error: {option} {path}"
    check_output(path, overwrite, replaces, option)
    created: list[Path] = []
    try:
        with signals_deferred():  # the folders made and their list together
            created = _make_parents(path.parent, shown)
        busy = (f"{shown}: another run is writing this folder now{{who}}; wait for it to end, "
                "or choose another --out. Nothing was written.")
        with _name_lock(path, busy):
            check_output(path, overwrite, replaces, option)  # again, now that no one else can
            remove_leftovers(path.parent, holding=path.name)
            try:
                with result_folder(path) as building:
                    yield building
            except OSError as exc:
                raise OutputError(f"{shown}: cannot write the results ({os_reason(exc)}). "
                                  "Nothing was kept (the partial folder was removed); free some "
                                  "space or choose another --out.") from None
    except BaseException:
        _remove_empty(created)
        raise
