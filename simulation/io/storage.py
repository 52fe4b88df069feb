"""Writing results so that a crash never leaves something that looks complete.

Every file is written to a temporary name in its folder, flushed to disk and
renamed into place. A run's folder is built under a temporary name and renamed
to its final name only when every file in it is complete.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


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
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                             dir=path.parent)
    os.close(descriptor)
    temporary_path = Path(temporary)
    os.chmod(temporary_path, 0o666 & ~_umask())  # mkstemp makes private files
    try:
        yield temporary_path
        with open(temporary_path, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary_path, path)
        _fsync_directory(path.parent)
    finally:
        if temporary_path.exists():
            temporary_path.unlink()


def write_text(path: str | Path, text: str) -> None:
    """Write a text file atomically."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_json(path: str | Path, value: Any) -> None:
    """Write JSON atomically (sorted keys kept in insertion order, NaN as null)."""
    write_text(path, json.dumps(to_jsonable(value), indent=2, allow_nan=False) + "\n")


def write_parquet(path: str | Path, table: pa.Table | Mapping[str, Any]) -> None:
    """Write a Parquet file atomically from a pyarrow Table or a mapping of columns."""
    if not isinstance(table, pa.Table):
        table = pa.table({name: np.asarray(values) if not isinstance(values, list) else values
                          for name, values in table.items()})
    with atomic_path(path) as temporary:
        pq.write_table(table, temporary)


@contextmanager
def result_folder(path: str | Path) -> Iterator[Path]:
    """Build a results folder under a temporary name; rename it to ``path`` only on success.

    An existing folder at ``path`` is replaced only once the new one is complete.
    On any error or Ctrl-C the temporary folder is removed and nothing is left behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    os.chmod(building, 0o777 & ~_umask())  # mkdtemp makes private folders
    try:
        yield building
        _fsync_directory(building)
        if path.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
            os.replace(path, retired / path.name)
            os.replace(building, path)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(building, path)
        _fsync_directory(path.parent)
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)
