"""Running a sweep: every planned run once, on Dask or in this process, resumable.

A sweep folder holds::

    sweep.json        the resolved sweep (spec, base scenario, root entropy) and its digest
    sweep-file.txt    the sweep file as it was written (for people)
    scenario.toml     the resolved base scenario, runnable as is
    points.parquet    the design: one row per point, the values of its parameters
    runs/KEY.parquet  one row per completed run (the completion marker), written by the worker:
                      identity and parameter columns, the measures as two lists (names, values)
    steps/KEY.parquet the run's step table (with --step-tables)
    failed/KEY.json   a failed run: parameters, seed, error and traceback
    sweep.parquet     at the end: one row per run, sorted by run key
    manifest.json     at the end: counts, sessions, throughput, versions

Workers write their run's files themselves, atomically (temporary name, fsync,
rename), and send back only a small :class:`RunStatus`; the driver never holds
step data. A run's seed is ``SeedSequence(root, spawn_key)`` with the spawn key
fixed by its position in the plan, so results do not depend on the number of
workers or the order in which runs finish. Running the same sweep into the same
folder again runs only the runs without a ``runs/KEY.parquet`` (failed ones are
retried); a different sweep is refused with what changed.

What a session finds is checked before it runs anything: temporary files of killed
writers are removed, and each run file is read back (readable, the planned run's
identity, complete); a damaged one is removed and its run computed again, and the
session says so. Every session, finished, interrupted (Ctrl-C, SIGTERM, SIGHUP) or
stopped because no Dask worker was left, is recorded in ``manifest.json``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from simulation.config.loading import ScenarioError
from simulation.config.reference import render_toml
from simulation.core.interrupts import exit_status, signal_name
from simulation.experiments.memory import check_memory, estimate_memory
from simulation.experiments.runs import simulate
from simulation.experiments.sweeps import (
    PlannedRun,
    Sweep,
    column_value,
    differences,
    digest,
    scenario_for,
)
from simulation.io.folders import (
    FAILED,
    FORMAT,
    LOCK,
    MANIFEST,
    RECORD,
    RUN_FILE_FORMAT,
    RUNS,
    STEPS,
    TABLE,
)
from simulation.io.outputs import git_commit, step_tables, versions
from simulation.io.storage import (
    CANNOT_WRITE,
    OutputError,
    atomic_path,
    check_output,
    os_reason,
    write_json,
    write_parquet,
    write_text,
)
from simulation.kernels.compiler import cores_shared_by
from simulation.measures.aggregate import flatten

PARAMETER_PREFIX = "param."
"""Parameter columns are ``param.<field path>``, apart from the summary's measures."""


IDENTITY = (("run_key", pa.string()), ("point", pa.int64()), ("arm", pa.string()),
            ("replicate", pa.int64()), ("status", pa.string()), ("error", pa.string()),
            ("seed_entropy", pa.string()), ("seed_spawn_key", pa.string()))
"""The first columns of ``sweep.parquet``, in order."""
_IDENTITY_NAMES = tuple(name for name, _ in IDENTITY)


NOT_MEASURES = ("seed",)
"""Summary keys left out of a run's row: its seed is in ``seed_entropy``/``seed_spawn_key``."""


PARQUET_TYPES = {"bool": pa.bool_(), "int64": pa.int64(), "float64": pa.float64(),
                 "string": pa.string(), "json": pa.string()}


FAULT_VARIABLE = "ENGAGEMENT_SIM_TEST_FAULTS"
"""Fault injection, for tests only: ``KEY=raise,KEY=exit,KEY=exit_writing`` makes those runs
raise an error, end their process with ``os._exit`` before simulating, or end it halfway
through writing the run file (leaving its temporary file), so that tests can check that
failed and killed runs are recorded and nothing partial is kept. Never set it for real work."""


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run, apart from the base scenario (sent once)."""

    key: str
    point: int
    arm: str
    replicate: int
    spawn_key: tuple[int, ...]
    root_entropy: int
    assignments: dict[str, Any]
    parameters: dict[str, Any]
    parameter_types: dict[str, str]
    folder: str
    step_tables: bool


@dataclass(frozen=True)
class RunStatus:
    """What travels back to the driver: a few fields, never the run's data."""

    key: str
    status: str  # "done" or "failed"
    wall_seconds: float = 0.0
    error: str | None = None
    reused: bool = False  # its file existed: the cluster re-ran a task whose result it lost


def _inject_test_fault(key: str, folder: Path) -> None:
    """Fault-injection hook for tests (see FAULT_VARIABLE); does nothing unless it is set."""
    faults = os.environ.get(FAULT_VARIABLE)
    if not faults:
        return
    for item in faults.split(","):
        target, _, mode = item.partition("=")
        if target.strip() == key:
            if mode.strip() == "exit":
                os._exit(70)
            if mode.strip() == "exit_writing":
                with atomic_path(folder / RUNS / f"{key}.parquet") as temporary:
                    temporary.write_bytes(b"PAR1")
                    os._exit(70)
            raise RuntimeError(f"fault injected by {FAULT_VARIABLE} for run {key}")


def _identity(task: RunTask, status: str, error: str | None) -> dict[str, Any]:
    return {"run_key": task.key, "point": task.point, "arm": task.arm,
            "replicate": task.replicate, "status": status, "error": error,
            "seed_entropy": str(task.root_entropy),
            "seed_spawn_key": json.dumps(list(task.spawn_key))}


def run_row(task: RunTask, status: str, error: str | None = None,
            measures: dict[str, float] | None = None) -> pa.Table:
    """One run as a one-row table: identity, ``param.*`` columns, then every measure."""
    fields, values = [], []
    for name, kind in IDENTITY:
        fields.append(pa.field(name, kind))
        values.append(_identity(task, status, error)[name])
    for path, value in task.parameters.items():
        fields.append(pa.field(PARAMETER_PREFIX + path, PARQUET_TYPES[task.parameter_types[path]]))
        values.append(value)
    for name, value in (measures or {}).items():
        fields.append(pa.field(name, pa.float64()))
        values.append(value)
    schema = pa.schema(fields)
    return pa.table([pa.array([value], type=f.type) for f, value in zip(fields, values, strict=True)],
                    schema=schema)


MEASURE_NAMES, MEASURE_VALUES = "measure_names", "measure_values"
"""The list columns of a run file that hold its measures, in the order of its row."""
LIST_COLUMNS = frozenset((MEASURE_NAMES, MEASURE_VALUES))


def run_file_table(row: pa.Table, metadata: dict[str, str]) -> pa.Table:
    """A run's row as its file holds it: identity and ``param.*`` columns as they are, and the
    measures as one list of names and one of values (a wide row of ~1 800 columns is
    mostly Parquet schema, 700 KB; this is ~30 KB). :func:`row_of_run_file` undoes it."""
    kept = [name for name in row.column_names if name in _IDENTITY_NAMES
            or name.startswith(PARAMETER_PREFIX)]
    measures = [name for name in row.column_names if name not in set(kept)]
    values = (pa.concat_arrays([row.column(name).combine_chunks() for name in measures])
              if measures else pa.array([], pa.float64()))
    offsets = pa.array([0, len(measures)], pa.int32())
    table = row.select(kept).append_column(
        MEASURE_NAMES, pa.ListArray.from_arrays(offsets, pa.array(measures, pa.string()))
    ).append_column(MEASURE_VALUES, pa.ListArray.from_arrays(offsets, values))
    return table.replace_schema_metadata(
        {"format": RUN_FILE_FORMAT, "measures": str(len(measures)), **metadata})


def row_of_run_file(table: pa.Table) -> pa.Table:
    """The one-row table of :func:`run_row` back from a run file (either layout, no metadata).

    A file written before run files held their measures as lists is already that row.
    """
    table = table.replace_schema_metadata(None)
    if MEASURE_NAMES not in table.column_names:
        return table
    names = table.column(MEASURE_NAMES).combine_chunks().flatten().to_pylist()
    values = table.column(MEASURE_VALUES).combine_chunks().flatten()
    kept = table.drop_columns([MEASURE_NAMES, MEASURE_VALUES])
    return pa.table([*kept.columns, *(values.slice(i, 1) for i in range(len(names)))],
                    names=[*kept.column_names, *names])


def run_file_problem(path: Path, task: RunTask) -> str | None:
    """Why ``runs/KEY.parquet`` is not the complete result of ``task``, or None if it is.

    Read back in full: it must decode, hold one row of status "done" with the planned
    run's key, point, arm, replicate and seed, and (in the list layout) as many measure
    values as names, as many as its metadata says it was written with.
    """
    try:
        table = pq.read_table(path)
    except Exception as exc:  # truncated or damaged: pyarrow raises several kinds
        return f"cannot be read: {type(exc).__name__}: {str(exc)[:120]}"
    if table.num_rows != 1:
        return f"it holds {table.num_rows} rows, not 1"
    missing = [name for name in _IDENTITY_NAMES if name not in table.column_names]
    if missing:
        return f"no column {missing[0]}"
    found = {name: table.column(name)[0].as_py() for name in _IDENTITY_NAMES}
    expected = {**_identity(task, "done", None), "error": found["error"]}
    wrong = [name for name in _IDENTITY_NAMES if found[name] != expected[name]]
    if wrong:
        return f"{wrong[0]} is {found[wrong[0]]!r}, not {expected[wrong[0]]!r}"
    if MEASURE_NAMES in table.column_names:
        metadata = table.schema.metadata or {}
        if metadata.get(b"format") != RUN_FILE_FORMAT.encode():
            return "not a run file of this program (no format in its metadata)"
        names = table.column(MEASURE_NAMES)[0].as_py() or []
        values = table.column(MEASURE_VALUES)[0].as_py() or []
        if not (len(names) == len(values) == int(metadata.get(b"measures", b"-1"))):
            return (f"incomplete: {len(names)} measure names, {len(values)} values, "
                    f"{metadata.get(b'measures', b'?').decode()} written")
    return None


def _failure_record(task: RunTask, error: str, trace: str) -> dict[str, Any]:
    return {"run_key": task.key, "point": task.point, "arm": task.arm,
            "replicate": task.replicate,
            "seed": {"entropy": str(task.root_entropy), "spawn_key": list(task.spawn_key)},
            "parameters": task.parameters, "assignments": task.assignments,
            "error": error, "traceback": trace, "host": socket.gethostname(),
            "time": datetime.now(UTC).isoformat(timespec="seconds")}


def record_failure(task: RunTask, error: str, trace: str) -> RunStatus:
    """Write ``failed/KEY.json`` (atomically) and return the failed status."""
    write_json(Path(task.folder) / FAILED / f"{task.key}.json", _failure_record(task, error, trace))
    return RunStatus(task.key, "failed", error=error)


def run_task(task: RunTask, base_document: dict[str, Any]) -> RunStatus:
    """Run one planned run wherever this is called and write its files; never raises an Exception.

    The run's row goes to ``runs/KEY.parquet`` (written last: it marks the run complete);
    its step table, if asked, to ``steps/KEY.parquet``. A run whose file exists is not
    run again (a cluster may re-run a task whose result it lost).
    """
    folder = Path(task.folder)
    done = folder / RUNS / f"{task.key}.parquet"
    if done.exists():
        return RunStatus(task.key, "done", reused=True)
    started = time.perf_counter()
    try:
        _inject_test_fault(task.key, folder)
        scenario = scenario_for(base_document, task.assignments, source=f"run {task.key}")
        seed = np.random.SeedSequence(task.root_entropy, spawn_key=task.spawn_key)
        result = simulate(scenario, seed=seed)
        measures = {k: v for k, v in flatten(result.summary).items() if k not in NOT_MEASURES}
        if task.step_tables:
            steps = step_tables(result.model)["segments"]
            for index, (name, value) in enumerate((("run_key", task.key), ("point", task.point),
                                                   ("arm", task.arm),
                                                   ("replicate", task.replicate))):
                steps = steps.add_column(index, name, pa.array([value] * steps.num_rows))
            write_parquet(folder / STEPS / f"{task.key}.parquet", steps)
        wall = time.perf_counter() - started
        row = run_file_table(run_row(task, "done", measures=measures), {
            "wall_seconds": f"{wall:.3f}", "host": socket.gethostname(), "pid": str(os.getpid())})
        write_parquet(done, row, compression="zstd")
        (folder / FAILED / f"{task.key}.json").unlink(missing_ok=True)
        return RunStatus(task.key, "done", wall_seconds=wall)
    except OSError as exc:
        if exc.errno in CANNOT_WRITE:  # not the run's failure: the sweep stops and says so
            raise
        return record_failure(task, f"{type(exc).__name__}: {exc}", traceback.format_exc())
    except Exception as exc:  # recorded, and the sweep goes on
        return record_failure(task, f"{type(exc).__name__}: {exc}", traceback.format_exc())


def sweep_versions() -> dict[str, str | None]:
    """The versions a run records, and those of the libraries that run and design sweeps."""
    from importlib import metadata

    found = versions()
    for package in ("dask", "distributed", "SALib"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def read_record(folder: Path) -> dict[str, Any] | None:
    """The ``sweep.json`` of a sweep folder, or None if there is none."""
    path = Path(folder) / RECORD
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        record.get("format")
    except (OSError, ValueError, AttributeError) as exc:
        raise ScenarioError(f"error: {path}: cannot be read ({type(exc).__name__}: {exc}); without "
                            "it the sweep cannot be resumed. Start it again in a new --out "
                            "folder (its completed runs stay in this one's runs/).") from None
    if record.get("format") != FORMAT:
        raise ScenarioError(f"error: {path}: not a sweep record of this version "
                            f"(format {record.get('format')!r}); use a new --out folder")
    return record


def new_record(sweep: Sweep, step_tables: bool, command: list[str] | None,
               seed_from: str) -> dict[str, Any]:
    resolved = sweep.resolved()
    return {"format": FORMAT, "name": sweep.name, "source": sweep.source,
            "root_entropy": str(sweep.root_entropy), "seed_from": seed_from,
            "resolved": resolved, "digest": digest(resolved),
            "design_digest": sweep.design_digest(), "step_tables": step_tables,
            "method": sweep.spec.sweep.method, "points": len(sweep.design.values),
            "arms": [arm.name for arm in sweep.arms], "replicates": sweep.spec.sweep.replicates,
            "runs": len(sweep.runs),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": sweep_versions(), "git_commit": git_commit(), "command": command}


def check_same_sweep(record: dict[str, Any], sweep: Sweep, step_tables: bool | None,
                     folder: Path) -> None:
    """Refuse to continue a folder that holds a different sweep, saying what changed."""
    resolved = sweep.resolved()
    if record["digest"] != digest(resolved):
        changes = differences(record["resolved"], resolved, limit=1000)
        shown = 12
        lines = "\n".join(f"  {change}" for change in changes[:shown])
        if len(changes) > shown:
            lines += f"\n  ... and {len(changes) - shown} more"
        raise ScenarioError(
            f"error: {folder} holds a different sweep (started from {record['source']}); "
            f"what changed (in the folder -> now):\n{lines}\n"
            f"Undo the change to resume that sweep, or choose a new --out folder.")
    if record["design_digest"] != sweep.design_digest():
        raise ScenarioError(
            f"error: {folder}: the same sweep file now gives different design points "
            f"(was the library that samples them, SALib or NumPy, upgraded? versions then: "
            f"{record['versions']}). Resume with the same versions, or choose a new --out folder.")
    if step_tables is not None and step_tables != record["step_tables"]:
        was = "with" if record["step_tables"] else "without"
        raise ScenarioError(f"error: {folder} was started {was} --step-tables; "
                            f"resume it {was} --step-tables, or choose a new --out folder.")


def points_table(sweep: Sweep) -> pa.Table:
    """The design: one row per point with its parameter values (and SALib's matrix)."""
    columns: dict[str, Any] = {"point": np.arange(len(sweep.design.values))}
    for param in sweep.spec.sweep.params:
        kind = sweep.parameter_types[param.path]
        columns[PARAMETER_PREFIX + param.path] = pa.array(
            [column_value(point[param.path], kind) for point in sweep.design.values],
            type=PARQUET_TYPES[kind])
    if sweep.design.matrix is not None:
        for d, param in enumerate(sweep.spec.sweep.params):
            columns[f"design.{param.path}"] = sweep.design.matrix[:, d]
    return pa.table(columns)


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on a sweep folder, so that two drivers never share one."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: no lock
        yield
        return
    handle = open(folder / LOCK, "w")  # noqa: SIM115 (held for the whole block)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ScenarioError(f"error: {folder} is in use by another sweep process; "
                                "wait for it to finish, or stop it first") from None
        yield
    finally:
        handle.close()


def _remove_partial_files(folder: Path, key: str = "*") -> None:
    """Temporary files left by processes killed while writing (the caller holds the lock);
    only those of run ``key`` if given."""
    for place in (folder, folder / RUNS, folder / STEPS, folder / FAILED):
        if place.is_dir():
            for path in place.glob(f".{key}.*.tmp"):
                path.unlink(missing_ok=True)


def completed_keys(folder: Path) -> set[str]:
    """Keys of the run files present (not checked: see :func:`verified_runs`)."""
    return {path.stem for path in (Path(folder) / RUNS).glob("*.parquet")}


def verified_runs(sweep: Sweep, folder: Path,
                  notify: Callable[[str], None]) -> tuple[set[str], list[str]]:
    """Keys of the planned runs whose file is complete, and of those whose file was damaged
    and removed (with a note), to be computed again.

    A run file is checked by :func:`run_file_problem`; a failure record that cannot be
    read is removed too (its run is tried again, as every failed run is).
    """
    present = completed_keys(folder)
    done, damaged = set(), []
    for run in sweep.runs:
        if run.key not in present:
            continue
        path = folder / RUNS / f"{run.key}.parquet"
        problem = run_file_problem(path, task_of(sweep, run, folder, False))
        if problem is None:
            done.add(run.key)
        else:
            path.unlink(missing_ok=True)
            damaged.append(run.key)
            notify(f"note: {path} was damaged ({problem}); removed, its run will be computed again")
    for path in sorted((folder / FAILED).glob("*.json")):
        try:
            json.loads(path.read_text(encoding="utf-8"))["error"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            path.unlink(missing_ok=True)
            notify(f"note: {path} was damaged ({type(exc).__name__}); removed, its run will be "
                   "tried again")
    return done, damaged


def failed_keys(folder: Path) -> set[str]:
    return {path.stem for path in (Path(folder) / FAILED).glob("*.json")}


def task_of(sweep: Sweep, run: PlannedRun, folder: Path, step_tables: bool) -> RunTask:
    return RunTask(run.key, run.point, run.arm, run.replicate, run.spawn_key, sweep.root_entropy,
                   run.assignments, run.parameters, sweep.parameter_types, str(folder.resolve()),
                   step_tables)


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def execute_in_process(tasks: list[RunTask], base_document: dict[str, Any],
                       on_status: Callable[[RunStatus], None]) -> None:
    """Run tasks one after another in this process (``--workers 1``)."""
    for task in tasks:
        on_status(run_task(task, base_document))


def _ignore_interrupts_plugin() -> Any:
    """A worker plugin that makes a local worker process ignore Ctrl-C (SIGINT) and a closed
    terminal (SIGHUP): the driver receives them too, and stops its workers itself."""
    from distributed import WorkerPlugin

    class IgnoreInterrupts(WorkerPlugin):
        name = "engagement-sim-ignore-interrupts"

        def setup(self, worker: Any) -> None:
            import signal
            import threading

            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                if hasattr(signal, "SIGHUP"):
                    signal.signal(signal.SIGHUP, signal.SIG_IGN)

    return IgnoreInterrupts()


@contextlib.contextmanager
def dask_client(workers: int, scheduler: str | None) -> Iterator[Any]:
    """A client of an existing scheduler, or of a new local cluster of single-threaded processes.

    The local cluster marks a task as failed the first time its worker dies
    (``allowed-failures = 0``): the sweep decides what to try again (``execute_on_dask``).
    """
    import dask
    from distributed import Client, LocalCluster

    settings = {"distributed.scheduler.allowed-failures": 0}
    with dask.config.set(settings), dask.config.set(LOCAL_CLUSTER if not scheduler else {}):
        if scheduler:
            try:
                client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError, ValueError) as exc:  # ValueError: not an address
                raise ScenarioError(
                    f"error: --scheduler {scheduler}: cannot connect ({exc}). Check that the "
                    "scheduler is running and the address (tcp://host:8786) is right.") from None
            try:
                yield client
            finally:
                client.close()
            return
        # Dead workers, lost results and a shutdown after Ctrl-C are handled and reported by
        # the sweep itself; Dask's own log lines about them would only alarm.
        logger = logging.getLogger("distributed")
        level = logger.level
        logger.setLevel(logging.CRITICAL)
        # Ctrl-C (and a closed terminal's SIGHUP) is the driver's to handle: it stops the
        # workers itself. Worker processes started while they are ignored keep ignoring them,
        # and so do restarted ones (plugin). SIGTERM is left to end a worker.
        ignored = [signal.SIGINT] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
        previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in ignored}
        try:
            # Any free port for the scheduler's web server: several sweeps may run at once.
            with cores_shared_by(workers):  # each worker's kernels get its share of the cores
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=logging.CRITICAL)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        client = Client(cluster)
        client.register_plugin(_ignore_interrupts_plugin())
        try:
            yield client
        finally:
            client.close()
            cluster.close()
            logger.setLevel(level)


LOCAL_CLUSTER = {
    # Dask's sampling profiler takes the GIL every 10 ms to walk the task thread's stack:
    # small runs took 0.72-0.76 s inside the workers with it, 0.58 s without (0.60-0.62 s
    # alone; benchmarks/sweep_speed.py, docs/performance.md). A sweep does not read it.
    "distributed.worker.profile.enabled": False,
    # A worker is sent one run at a time; runs submitted beyond that wait at the scheduler,
    # which hands the next to a worker as soon as its run ends, without the driver's round
    # trip (execute_on_dask, ``queued_per_thread``). A run waiting there is on no worker, so
    # a dying worker takes only its own run down.
    "distributed.scheduler.worker-saturation": 1.0,
}
"""Dask settings of the local cluster a sweep starts (an existing cluster keeps its own)."""

NO_WORKERS_SECONDS = 60.0
"""How long a Dask cluster may have no worker at all before the sweep stops and says so."""


class NoWorkersError(RuntimeError):
    """Every Dask worker has gone, for longer than the sweep waits for one to come back."""


def execute_on_dask(tasks: list[RunTask], base_document: dict[str, Any], client: Any,
                    on_status: Callable[[RunStatus], None],
                    no_workers_seconds: float = NO_WORKERS_SECONDS,
                    queued_per_thread: int = 1) -> None:
    """Submit tasks to a Dask cluster a window at a time; record dead workers' runs as failed.

    There are never more tasks in flight than worker threads (the window follows the
    cluster as it grows or shrinks): a new run is submitted when one finishes, so the
    scheduler gives it to the worker just freed, a worker holds one run at a time, and a
    dying worker takes only its own run down (its temporary files are removed). Two runs
    per thread would save about 15 ms of hand-over a small run, but a run queued behind
    one that kills its worker dies with it, and again on its second chance if it lands
    behind the same run: it would be recorded as failed. Ctrl-C has little to cancel. A run
    whose worker died is tried once more (it may only have been waiting on that worker);
    if its worker dies again it is recorded as failed: a run that kills its process is
    never retried forever. A cluster left with no worker for ``no_workers_seconds`` raises
    :class:`NoWorkersError` rather than waiting forever.

    ``queued_per_thread`` runs per worker thread are submitted at once on a cluster whose
    scheduler sends each worker one run at a time (the local cluster: ``LOCAL_CLUSTER``'s
    worker saturation 1.0); the extra ones wait at the scheduler, which starts the next run
    on a freed worker itself (about 35 ms a run of hand-over less, measured in
    docs/performance.md). A cluster given with ``--scheduler`` keeps 1: its saturation is
    its own.
    """
    from distributed import as_completed

    try:
        from distributed import KilledWorker
    except ImportError:  # older distributed
        from distributed.scheduler import KilledWorker

    # The base scenario (a few kB) travels with every task rather than being scattered
    # once: scattered data lost with every worker that held it cannot be recomputed.
    queue: list[RunTask] = list(reversed(tasks))  # pop() from the end: plan order
    in_flight: dict[str, tuple[Any, RunTask]] = {}
    second_chance: set[str] = set()
    completed = as_completed()
    checked, window, threads = 0.0, 0, 0
    without_workers_since: float | None = None

    def look_at_workers() -> None:
        nonlocal checked, window, threads, without_workers_since
        now = time.monotonic()
        if now - checked <= 2:
            return
        try:
            threads = sum(client.nthreads().values())
        except OSError:  # the scheduler cannot be reached: no worker either
            threads = 0
        checked = now
        window = max(1, threads) * queued_per_thread
        if threads:
            without_workers_since = None
        elif without_workers_since is None:
            without_workers_since = now
        elif now - without_workers_since > no_workers_seconds:
            raise NoWorkersError(f"no Dask worker for {now - without_workers_since:.0f} s")

    def top_up() -> None:
        look_at_workers()
        while len(in_flight) < window and queue:
            task = queue.pop()
            future = client.submit(run_task, task, base_document, pure=False, retries=0,
                                   key=f"sweep-run-{os.urandom(8).hex()}")
            in_flight[future.key] = (future, task)
            completed.add(future)

    def next_finished() -> Any:
        while not completed.has_ready():
            look_at_workers()
            # A finished run's worker waits for the next task until this loop sees it: 10 ms
            # at most (100 ms cost small runs 2-5% of their time), for about 1% of a core.
            time.sleep(0.01)
        return next(completed)

    try:
        top_up()
        while not completed.is_empty():
            future = next_finished()
            _, task = in_flight.pop(future.key)
            try:
                status = future.result()
            except KilledWorker as exc:
                folder = Path(task.folder)
                _remove_partial_files(folder, task.key)  # what the dead worker was writing
                if (folder / RUNS / f"{task.key}.parquet").exists():
                    status = RunStatus(task.key, "done")  # it finished before its worker died
                elif task.key not in second_chance:
                    second_chance.add(task.key)
                    queue.append(task)  # next to be submitted
                    future.release()
                    top_up()
                    continue
                else:
                    status = record_failure(task, "the worker process died while running this "
                                                  f"run, twice (KilledWorker: {exc})", "")
            except Exception as exc:  # e.g. the package cannot be imported on the workers
                if isinstance(exc, OSError) and exc.errno in CANNOT_WRITE:
                    raise  # the sweep folder is full or read-only: stop (run_sweep says so)
                status = record_failure(task, f"{type(exc).__name__}: {exc}",
                                        "".join(traceback.format_exception(exc)))
            future.release()
            on_status(status)
            top_up()
    finally:
        if in_flight:
            client.cancel([future for future, _ in in_flight.values()], force=True)


@dataclass
class SweepOutcome:
    """How a sweep session went: counts over all runs, and what this session did."""

    folder: Path
    total: int
    done: int
    failed: int
    ran: int = 0
    wall_seconds: float = 0.0
    workers: int = 1
    interrupted: bool = False
    recomputed: list[str] = field(default_factory=list)
    """Runs whose file was damaged and was removed, to be computed again."""

    @property
    def pending(self) -> int:
        return self.total - self.done - self.failed

    @property
    def runs_per_minute(self) -> float:
        return 60.0 * self.ran / self.wall_seconds if self.wall_seconds > 0 else float("nan")


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C, SIGTERM or SIGHUP during a sweep, after the workers stopped and the session was
    recorded; ``outcome`` says how far it got, ``exit_status`` is 130, 143 or 129."""

    def __init__(self, outcome: SweepOutcome, stop: KeyboardInterrupt | None = None):
        super().__init__("interrupted")
        self.outcome = outcome
        self.signal = signal_name(stop) if stop is not None else "Ctrl-C"
        self.exit_status = exit_status(stop) if stop is not None else 130


class SweepStalledError(Exception):
    """Every Dask worker has gone and none came back: the session stopped and was recorded."""

    exit_status = 3

    def __init__(self, outcome: SweepOutcome, reason: str):
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


def assemble(sweep: Sweep, folder: Path) -> pa.Table:
    """One row per run, sorted by run key: completed runs' rows and failed runs' identities."""
    tables = []
    for run in sorted(sweep.runs, key=lambda r: r.key):
        done = folder / RUNS / f"{run.key}.parquet"
        failed = folder / FAILED / f"{run.key}.json"
        try:
            if done.exists():
                tables.append(pq.read_table(done))
            elif failed.exists():
                record = json.loads(failed.read_text(encoding="utf-8"))
                task = task_of(sweep, run, folder, False)
                tables.append(run_row(task, "failed", record["error"]))
        except Exception as exc:  # damaged since this session checked it, from outside
            raise ScenarioError(
                f"error: {done if done.exists() else failed}: cannot be read ({type(exc).__name__}); "
                f"run the sweep again (`python run.py sweep --resume {folder}`): it checks every "
                "run file and computes damaged ones again.") from None
    if not tables:
        return pa.table({name: pa.array([], type=kind) for name, kind in IDENTITY})
    return rows_together(tables)


def rows_together(tables: list[pa.Table]) -> pa.Table:
    """One-row tables of runs (run files as read, or failed runs' rows) as one table, in order.

    Row by row, each is widened (:func:`row_of_run_file`) and the rows concatenated, with
    nulls where a row lacks a column: ~2 000 one-value columns built per run, 1.5 s for 100
    runs at the end of a sweep. When every row is a run file in the list layout with the
    same identity and parameter columns (a sweep whose runs all completed, the usual case),
    the measures of all rows are instead laid out at once in a (runs x measures) matrix,
    each measure a column in order of first appearance, null where a run has no such
    measure: the same table.
    """
    kept_names = [[name for name in table.column_names if name not in LIST_COLUMNS]
                  for table in tables]
    if not all(set(table.column_names) >= LIST_COLUMNS for table in tables) or any(
            names != kept_names[0] for names in kept_names[1:]):
        return pa.concat_tables([row_of_run_file(table) for table in tables],
                                promote_options="default")
    kept = pa.concat_tables([table.drop_columns(list(LIST_COLUMNS)).replace_schema_metadata(None)
                             for table in tables])
    column_of: dict[str, int] = {}
    rows = []
    for table in tables:
        names = table.column(MEASURE_NAMES).combine_chunks().flatten().to_pylist()
        values = table.column(MEASURE_VALUES).combine_chunks().flatten()
        rows.append(([column_of.setdefault(name, len(column_of)) for name in names],
                     values.to_numpy(zero_copy_only=False), values.is_null().to_numpy(
                         zero_copy_only=False)))
    matrix = np.full((len(tables), len(column_of)), np.nan)
    missing = np.ones(matrix.shape, dtype=bool)
    for row, (columns, values, nulls) in enumerate(rows):
        matrix[row, columns], missing[row, columns] = values, nulls
    measures = [pa.array(matrix[:, j], pa.float64(), mask=missing[:, j] if missing[:, j].any()
                         else None) for j in range(matrix.shape[1])]
    return pa.table([*kept.columns, *measures], names=[*kept.column_names, *column_of])


def _previous_sessions(folder: Path, notify: Callable[[str], None]) -> list[dict[str, Any]]:
    path = folder / MANIFEST
    if not path.is_file():
        return []
    try:
        sessions = json.loads(path.read_text(encoding="utf-8"))["sessions"]
        if isinstance(sessions, list):
            return sessions
    except (OSError, ValueError, KeyError, TypeError):
        pass
    notify(f"note: {path} could not be read; the sessions before this one are not listed in "
           "the new one")
    return []


def write_manifest(sweep: Sweep, folder: Path, session: dict[str, Any], done: int,
                   failed: list[str], notify: Callable[[str], None]) -> None:
    """``manifest.json``: what the sweep is, its counts now, and every session so far."""
    record = read_record(folder)
    write_json(folder / MANIFEST, {
        "sweep": sweep.name, "source": sweep.source, "description": sweep.spec.description,
        "method": sweep.spec.sweep.method, "root_entropy": str(sweep.root_entropy),
        "seed_from": record["seed_from"], "seeds": "SeedSequence(root_entropy, spawn_key="
        "(point, replicate)) for every arm when paired, (point, replicate, arm index) if not",
        "paired": sweep.spec.sweep.paired,
        "points": len(sweep.design.values), "arms": [arm.name for arm in sweep.arms],
        "reference_arm": sweep.arms[0].name if sweep.arms else None,
        "replicates": sweep.spec.sweep.replicates, "runs": len(sweep.runs),
        "done": done, "failed": len(failed), "failed_runs": failed,
        "pending": len(sweep.runs) - done - len(failed),
        "parameters": [{"path": path, "column": PARAMETER_PREFIX + path, "type": kind}
                       for path, kind in sweep.parameter_types.items()],
        "step_tables": record["step_tables"],
        "sessions": [*_previous_sessions(folder, notify), session],
        "versions": sweep_versions(), "git_commit": git_commit(),
        "files": {
            TABLE: "one row per run: run_key, point, arm, replicate, status, error, seed_entropy, "
                   "seed_spawn_key, param.<path>..., then every summary measure; written when a "
                   "session ends with every run done or failed",
            "points.parquet": "one row per design point: its parameter values",
            RECORD: "the resolved sweep: spec, base scenario, root entropy (for resuming)",
            "scenario.toml": "the resolved base scenario",
            f"{RUNS}/": f"one file per completed run: the columns of {TABLE} up to the parameters, "
                        f"then the measures as two lists, {MEASURE_NAMES} and {MEASURE_VALUES}",
            f"{STEPS}/": "per run: its step table (one row per step and segment)",
            f"{FAILED}/": "per failed run: parameters, seed, error, traceback",
        },
    })


def write_results(sweep: Sweep, folder: Path, session: dict[str, Any],
                  notify: Callable[[str], None] = print) -> None:
    """``sweep.parquet`` and ``manifest.json``, from the run files (both written atomically)."""
    table = assemble(sweep, folder)
    write_parquet(folder / TABLE, table)
    statuses = table.column("status").to_pylist()
    failed = [key for key, status in zip(table.column("run_key").to_pylist(), statuses,
                                          strict=True) if status == "failed"]
    write_manifest(sweep, folder, session, statuses.count("done"), failed, notify)


def prepare_folder(sweep: Sweep, folder: Path, step_tables: bool | None,
                   command: list[str] | None, source_text: str | None) -> bool:
    """Create a sweep folder, or check that an existing one holds this sweep. True if resuming."""
    record = read_record(folder)
    if record is not None:
        check_same_sweep(record, sweep, step_tables, folder)
        return True
    _check_new_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for place in (RUNS, STEPS, FAILED):
        (folder / place).mkdir(exist_ok=True)
    if source_text is not None:
        write_text(folder / "sweep-file.txt", source_text)
    write_text(folder / "scenario.toml", render_toml(sweep.base, comments=False))
    write_parquet(folder / "points.parquet", points_table(sweep))
    seed_from = "file" if sweep.spec.sweep.seed is not None else "drawn"
    write_json(folder / RECORD, new_record(sweep, bool(step_tables), command, seed_from))
    return False


_STARTED = {LOCK, RUNS, STEPS, FAILED, "sweep-file.txt", "scenario.toml", "points.parquet"}
"""What :func:`prepare_folder` writes before the sweep record: all a sweep folder holds when
its first session was stopped before it wrote ``sweep.json``."""


def _check_new_folder(folder: Path) -> None:
    """A folder with no sweep record must be one :func:`check_output` allows (new or empty),
    or one whose first session stopped before it wrote the record (its lock, its empty
    subfolders and the files written before the record: it is started again)."""
    if folder.is_dir() and not folder.is_symlink():
        try:
            entries = [path for path in folder.iterdir() if not path.name.endswith(".tmp")]
            names = {path.name for path in entries}
            files = names - {LOCK, RUNS, STEPS, FAILED}
            if LOCK in names and (not files or {RUNS, STEPS, FAILED} <= names) and all(
                    path.name in _STARTED and not (path.is_dir() and any(path.iterdir()))
                    for path in entries):
                return
        except OSError:
            pass
    check_output(folder)


def _note(message: str) -> None:
    tqdm.write(message, file=sys.stderr)


def _memory_check(sweep: Sweep, processes: int) -> None:
    """Stop before anything runs if the largest run, ``processes`` at once, cannot fit."""
    base_document = sweep.base.model_dump(mode="json", exclude_none=True)
    largest, size = sweep.base, -1
    for run in {(run.point, run.arm): run for run in sweep.runs}.values():
        if not any(path.startswith(("population.", "steps", "creators", "topics", "network",
                                    "backlog", "step_hours", "metrics", "ranking.distribution",
                                    "ranking.max_age"))
                   for path in run.assignments):
            continue
        scenario = scenario_for(base_document, run.assignments, source=f"run {run.key}")
        footprint = estimate_memory(scenario, resident=0).run
        if footprint > size:
            largest, size = scenario, footprint
    check_memory(largest, processes, what=f"the sweep's largest run ({processes} at once)"
                 if processes > 1 else "the sweep's largest run")


def run_sweep(sweep: Sweep, folder: str | Path, workers: int | None = None,
              scheduler: str | None = None, step_tables: bool | None = None,
              progress: bool = True, command: list[str] | None = None,
              source_text: str | None = None, notify: Callable[[str], None] = _note,
              no_workers_seconds: float = NO_WORKERS_SECONDS) -> SweepOutcome:
    """Run every run of ``sweep`` that has no completed file in ``folder``; write the results.

    ``workers``: 1 runs in this process, more start a local Dask cluster of that many
    single-threaded worker processes (default: one per core); ``scheduler`` uses an
    existing Dask cluster instead. Raises SweepInterrupted on Ctrl-C, SIGTERM or SIGHUP
    (after stopping the workers), SweepStalledError when no Dask worker is left, ScenarioError if
    the folder holds a different sweep or is not a sweep folder, InsufficientMemory if
    the local runs cannot fit. ``notify`` receives notes for the user (damaged run files).
    """
    folder = Path(folder)
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ScenarioError("error: --workers: must be at least 1")
    if read_record(folder) is None:
        _check_new_folder(folder)
    if scheduler is None:
        _memory_check(sweep, min(workers, len(sweep.runs)))
    with contextlib.ExitStack() as stack:
        # An existing cluster is connected to first: a wrong address writes nothing.
        client = stack.enter_context(dask_client(workers, scheduler)) if scheduler else None
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"error: --out {folder}: cannot be created ({exc.strerror}). "
                              "Nothing was written; choose another --out.") from None
        stack.enter_context(folder_lock(folder))
        resumed = prepare_folder(sweep, folder, step_tables, command, source_text)
        record = read_record(folder)
        _remove_partial_files(folder)
        done, damaged = verified_runs(sweep, folder, notify)
        failed = failed_keys(folder) - done
        tasks = [task_of(sweep, run, folder, record["step_tables"])
                 for run in sweep.runs if run.key not in done]
        outcome = SweepOutcome(folder, len(sweep.runs), len(done), len(failed),
                               recomputed=damaged)
        base_document = sweep.base.model_dump(mode="json", exclude_none=True)
        local = stack.enter_context(contextlib.ExitStack())  # a local cluster: closed first
        bar = stack.enter_context(tqdm(
            total=len(sweep.runs), initial=len(done), desc=sweep.name, unit="run",
            disable=None if progress else True, dynamic_ncols=True, smoothing=0.05))
        started_at = datetime.now(UTC).isoformat(timespec="seconds")
        started = time.perf_counter()
        known_failed = set(failed)

        def on_status(status: RunStatus) -> None:
            if status.status == "done":
                outcome.done += 1
                if status.key in known_failed:
                    known_failed.discard(status.key)
                    outcome.failed -= 1
            elif status.key not in known_failed:
                known_failed.add(status.key)
                outcome.failed += 1
            outcome.ran += 1
            bar.update()
            bar.set_postfix(failed=outcome.failed, refresh=False)

        def session(stopped: str | None) -> dict[str, Any]:
            return {"started": started_at,
                    "ended": datetime.now(UTC).isoformat(timespec="seconds"),
                    "resumed": resumed, "ran": outcome.ran,
                    "wall_seconds": round(outcome.wall_seconds, 3),
                    "runs_per_minute": round(outcome.runs_per_minute, 2) if outcome.ran else None,
                    "workers": outcome.workers, "scheduler": scheduler, "command": command,
                    "recomputed_damaged": outcome.recomputed, "stopped": stopped}

        stop: BaseException | None = None
        try:
            if not tasks:
                pass
            elif client is None and workers == 1:
                execute_in_process(tasks, base_document, on_status)
            else:
                queued = 1 if client is not None else 2  # a local cluster queues at its scheduler
                if client is None:
                    client = local.enter_context(dask_client(workers, None))
                outcome.workers = sum(client.nthreads().values())
                execute_on_dask(tasks, base_document, client, on_status, no_workers_seconds,
                                queued)
        except (KeyboardInterrupt, NoWorkersError, OSError) as exc:
            stop = exc  # OSError: a failed run could not even be recorded (a full disk)
        bar.close()
        outcome.wall_seconds = time.perf_counter() - started
        if stop is None:
            # Every run is done or failed: nothing writes to the folder any more, so the
            # local cluster closes (about a second) while the results are written.
            closing = threading.Thread(target=local.close, name="close-cluster")
            closing.start()
            try:
                write_results(sweep, folder, session(None), notify)
            except OSError as exc:
                raise _write_error(folder, exc) from None
            finally:
                closing.join()
                if scheduler is None:
                    _remove_partial_files(folder)  # of workers that died, if any
            return outcome
        # Stopped: the workers first (a local cluster), then count and record, under the lock.
        with contextlib.suppress(Exception):  # a broken cluster: its processes are gone anyway
            local.close()
        if scheduler is None:
            _remove_partial_files(folder)
        present = completed_keys(folder)
        planned = {run.key for run in sweep.runs}
        outcome.done = len(present & planned)
        failed_now = sorted((failed_keys(folder) & planned) - present)
        outcome.failed = len(failed_now)
        outcome.interrupted = True
        reason = (signal_name(stop) if isinstance(stop, KeyboardInterrupt) else
                  f"cannot write: {os_reason(stop)}" if isinstance(stop, OSError) else
                  f"no workers ({stop})")
        try:
            write_manifest(sweep, folder, session(reason), outcome.done, failed_now, notify)
        except OSError as exc:
            notify(f"note: this session could not be recorded in {folder / MANIFEST} "
                   f"({os_reason(exc)})")
        if isinstance(stop, KeyboardInterrupt):
            raise SweepInterrupted(outcome, stop) from None
        if isinstance(stop, OSError):
            raise _write_error(folder, stop) from None
        raise SweepStalledError(outcome, str(stop)) from None


def _write_error(folder: Path, exc: OSError) -> OutputError:
    return OutputError(f"error: {folder}: cannot write: {os_reason(exc)}. Completed runs "
                       "are kept; free some space (or fix the permission), then resume with: "
                       f"python run.py sweep --resume {folder}")
