"""What results folders hold: the names that runs, seed sets and sweeps write and read back.

A run folder holds :data:`RUN_FILES`; a folder of several seeds holds ``seed-<n>/`` run
folders (:data:`SEED_FOLDER`) and the aggregate; a sweep folder holds the files and
folders below (``experiments/executor.py`` writes them).
"""

from __future__ import annotations

import re

RUN_FILES = ("summary.json", "manifest.json", "posts.parquet", "steps.parquet",
             "feed_mix.parquet")
"""Files of a run folder that the figures and the report read."""

SEED_FOLDER = re.compile(r"^seed-(\d+)$")
"""The run folder of one seed in a folder of several seeds."""

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
