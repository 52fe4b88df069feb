"""What results folders hold: the names that runs, seed sets and sweeps write and read back.

A run folder holds :data:`RUN_FILES`; a folder of several seeds holds, for each seed,
``seed=<n>/`` with the run's record (:data:`RECORD_FILES`; :data:`SEED_FOLDER`) and, for each
table, a hive-style dataset ``<table>/seed=<n>/part-0.parquet`` (:func:`seed_table`), with
``aggregate.csv`` and ``aggregate.json`` beside them. So ``pandas.read_parquet(folder /
"posts")`` or ``polars.scan_parquet(folder / "posts")`` reads every seed's posts at once, with a
``seed`` column taken from the folder names. A sweep folder holds the files and folders below
(``experiments/executor.py`` writes them).
"""

from __future__ import annotations

import re
from pathlib import Path

RECORD_FILES = ("summary.json", "manifest.json")
"""The record of a run that the figures and the report read."""

TABLES = ("posts", "steps", "feed_mix")
"""Tables of a run that the figures and the report read."""

RUN_FILES = (*RECORD_FILES, *(f"{table}.parquet" for table in TABLES))
"""Files of a run folder that the figures and the report read."""

SEED_FOLDER = re.compile(r"^seed[=-](\d+)$")
"""The record of one seed in a folder of several seeds: ``seed=<n>`` (``seed-<n>``, a run
folder with its tables inside, in folders written before the hive layout)."""

PART = "part-0.parquet"
"""The one file of a seed's partition of a table."""


def seed_folder(seed: int) -> str:
    """The name of one seed's folder, in the record and in each table's dataset."""
    return f"seed={seed}"


def seed_table(folder: Path, table: str, seed: int) -> Path:
    """Where one seed's ``table`` is in a folder of several seeds (hive-style dataset)."""
    return folder / table / seed_folder(seed) / PART


def table_path(run_folder: Path, table: str) -> Path:
    """A run's table: ``<run>/<table>.parquet`` in a run folder, or, for the record of one
    seed (``<folder>/seed=<n>/``), its partition of the dataset ``<folder>/<table>/``."""
    inside = run_folder / f"{table}.parquet"
    match = SEED_FOLDER.match(run_folder.name)
    if inside.exists() or match is None:
        return inside
    return seed_table(run_folder.parent, table, int(match.group(1)))

FORMAT_PREFIX = "engagement-sim "
"""The start of every folder format this program writes: a folder whose marker file
(:data:`MARKER`, or a sweep's :data:`RECORD`) has a ``format`` starting with it is one of
ours, and only such a folder is ever replaced (``--overwrite``)."""
MARKER = "manifest.json"
"""The file whose ``format`` field marks a results folder of a run, of seeds or of effects."""
RUN_FORMAT = "engagement-sim run 1"
"""A run folder's format, in its ``manifest.json``."""
SEEDS_FORMAT = "engagement-sim seeds 1"
"""A folder of several seeds' format, in its top-level ``manifest.json``."""
EFFECTS_FORMAT = "engagement-sim effects 1"
"""The format of the folder of ``effects``, in its ``manifest.json``."""
RUN_FILE_FORMAT = "engagement-sim sweep run 1"
"""A sweep's ``runs/KEY.parquet`` format, in the file's schema metadata."""

FORMAT = "engagement-sim sweep 1"
"""The sweep record's format, written into ``sweep.json``."""
RECORD = "sweep.json"
"""The resolved sweep and its digest; present from the start of a sweep."""
RUNS = "runs"
"""One file per completed run."""
STEPS = "steps"
"""Per-run step tables (``--step-tables``)."""
FAILED = "failed"
"""One file per failed run: its parameters, seed, error and traceback."""
TABLE = "sweep.parquet"
"""One row per run, written when every run has finished: a finished sweep's marker."""
MANIFEST = "manifest.json"
"""What was run, sessions, versions."""
LOCK = ".lock"
"""Held while a session writes the folder."""
