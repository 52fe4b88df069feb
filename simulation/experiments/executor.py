"""Running a sweep: every planned run once, on Dask or in this process, resumable.

A sweep folder holds::

    sweep.json        the resolved sweep (spec, base scenario, root entropy) and its digest
    sweep-file.txt    the sweep file as it was written (for people)
    scenario.toml     the resolved base scenario, runnable as is
    points.parquet    the design: one row per point, the values of its parameters
    runs/KEY.parquet  one row per completed run (the completion marker), written by the worker
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
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from simulation.config.loading import ScenarioError
from simulation.config.reference import render_toml
from simulation.experiments.runs import simulate
from simulation.experiments.sweeps import (
    PlannedRun,
    Sweep,
    column_value,
    differences,
    digest,
    scenario_for,
)
from simulation.io.folders import FAILED, FORMAT, LOCK, MANIFEST, RECORD, RUNS, STEPS, TABLE
from simulation.io.outputs import git_commit, step_tables, versions
from simulation.io.storage import write_json, write_parquet, write_text
from simulation.kernels.compiler import cores_shared_by
from simulation.measures.aggregate import flatten

PARAMETER_PREFIX = "param."
"""Parameter columns are ``param.<field path>``, apart from the summary's measures."""


IDENTITY = (("run_key", pa.string()), ("point", pa.int64()), ("arm", pa.string()),
            ("replicate", pa.int64()), ("status", pa.string()), ("error", pa.string()),
            ("seed_entropy", pa.string()), ("seed_spawn_key", pa.string()))
"""The first columns of ``sweep.parquet``, in order."""


NOT_MEASURES = ("seed",)
"""Summary keys left out of a run's row: its seed is in ``seed_entropy``/``seed_spawn_key``."""


PARQUET_TYPES = {"bool": pa.bool_(), "int64": pa.int64(), "float64": pa.float64(),
                 "string": pa.string(), "json": pa.string()}


FAULT_VARIABLE = "ENGAGEMENT_SIM_TEST_FAULTS"
"""Fault injection, for tests only: ``KEY=raise,KEY=exit`` makes those runs raise an error or
end their process with ``os._exit`` before simulating, so that tests can check that failed and
killed runs are recorded. Never set it for real work."""


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


def _inject_test_fault(key: str) -> None:
    """Fault-injection hook for tests (see FAULT_VARIABLE); does nothing unless it is set."""
    faults = os.environ.get(FAULT_VARIABLE)
    if not faults:
        return
    for item in faults.split(","):
        target, _, mode = item.partition("=")
        if target.strip() == key:
            if mode.strip() == "exit":
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
        _inject_test_fault(task.key)
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
        row = run_row(task, "done", measures=measures).replace_schema_metadata(
            {"wall_seconds": f"{wall:.3f}", "host": socket.gethostname(), "pid": str(os.getpid())})
        write_parquet(done, row)
        (folder / FAILED / f"{task.key}.json").unlink(missing_ok=True)
        return RunStatus(task.key, "done", wall_seconds=wall)
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
    record = json.loads(path.read_text(encoding="utf-8"))
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


def _remove_partial_files(folder: Path) -> None:
    """Temporary files left by a process that was killed while writing (we hold the lock)."""
    for place in (folder, folder / RUNS, folder / STEPS, folder / FAILED):
        if place.is_dir():
            for path in place.glob(".*.tmp"):
                path.unlink(missing_ok=True)


def completed_keys(folder: Path) -> set[str]:
    return {path.stem for path in (Path(folder) / RUNS).glob("*.parquet")}


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
    """A worker plugin that makes a local worker process ignore Ctrl-C (SIGINT)."""
    from distributed import WorkerPlugin

    class IgnoreInterrupts(WorkerPlugin):
        name = "engagement-sim-ignore-interrupts"

        def setup(self, worker: Any) -> None:
            import signal
            import threading

            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, signal.SIG_IGN)

    return IgnoreInterrupts()


@contextlib.contextmanager
def dask_client(workers: int, scheduler: str | None) -> Iterator[Any]:
    """A client of an existing scheduler, or of a new local cluster of single-threaded processes.

    The local cluster marks a task as failed the first time its worker dies
    (``allowed-failures = 0``), and sends each worker one task at a time
    (``worker-saturation = 1.0``), so that a dying worker takes only its own run down.
    """
    import dask
    from distributed import Client, LocalCluster

    settings = {"distributed.scheduler.allowed-failures": 0,
                "distributed.scheduler.worker-saturation": 1.0}
    with dask.config.set(settings):
        if scheduler:
            try:
                client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
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
        # Ctrl-C is the driver's to handle: it stops the workers itself. Worker processes
        # started while SIGINT is ignored keep ignoring it, and so do restarted ones (plugin).
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            # Any free port for the scheduler's web server: several sweeps may run at once.
            with cores_shared_by(workers):  # each worker's kernels get its share of the cores
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=logging.CRITICAL)
        finally:
            signal.signal(signal.SIGINT, previous)
        client = Client(cluster)
        client.register_plugin(_ignore_interrupts_plugin())
        try:
            yield client
        finally:
            client.close()
            cluster.close()
            logger.setLevel(level)


def execute_on_dask(tasks: list[RunTask], base_document: dict[str, Any], client: Any,
                    on_status: Callable[[RunStatus], None]) -> None:
    """Submit tasks to a Dask cluster a window at a time; record dead workers' runs as failed.

    There are never more tasks in flight than worker threads (the window follows the
    cluster as it grows or shrinks): a new run is submitted when one finishes, so the
    scheduler gives it to the worker just freed, a worker holds one run at a time, and a
    dying worker takes only its own run down. Ctrl-C has little to cancel. A run whose
    worker died is tried once more (it may only have been waiting on that worker); if its
    worker dies again it is recorded as failed: a run that kills its process is never
    retried forever.
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
    checked, window = 0.0, 0

    def top_up() -> None:
        nonlocal checked, window
        if time.monotonic() - checked > 2:
            window, checked = max(1, sum(client.nthreads().values())), time.monotonic()
        while len(in_flight) < window and queue:
            task = queue.pop()
            future = client.submit(run_task, task, base_document, pure=False, retries=0,
                                   key=f"sweep-run-{os.urandom(8).hex()}")
            in_flight[future.key] = (future, task)
            completed.add(future)

    try:
        top_up()
        for future in completed:
            _, task = in_flight.pop(future.key)
            try:
                status = future.result()
            except KilledWorker as exc:
                if (Path(task.folder) / RUNS / f"{task.key}.parquet").exists():
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

    @property
    def pending(self) -> int:
        return self.total - self.done - self.failed

    @property
    def runs_per_minute(self) -> float:
        return 60.0 * self.ran / self.wall_seconds if self.wall_seconds > 0 else float("nan")


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep, after the workers stopped; ``outcome`` says how far it got."""

    def __init__(self, outcome: SweepOutcome):
        super().__init__("interrupted")
        self.outcome = outcome


def assemble(sweep: Sweep, folder: Path) -> pa.Table:
    """One row per run, sorted by run key: completed runs' rows and failed runs' identities."""
    tables = []
    for run in sorted(sweep.runs, key=lambda r: r.key):
        done = folder / RUNS / f"{run.key}.parquet"
        failed = folder / FAILED / f"{run.key}.json"
        if done.exists():
            tables.append(pq.read_table(done).replace_schema_metadata(None))
        elif failed.exists():
            record = json.loads(failed.read_text(encoding="utf-8"))
            task = task_of(sweep, run, folder, False)
            tables.append(run_row(task, "failed", record["error"]))
    if not tables:
        return pa.table({name: pa.array([], type=kind) for name, kind in IDENTITY})
    return pa.concat_tables(tables, promote_options="default")


def write_results(sweep: Sweep, folder: Path, session: dict[str, Any]) -> None:
    """``sweep.parquet`` and ``manifest.json``, from the run files (both written atomically)."""
    table = assemble(sweep, folder)
    write_parquet(folder / TABLE, table)
    statuses = table.column("status").to_pylist()
    failed = [key for key, status in zip(table.column("run_key").to_pylist(), statuses,
                                          strict=True) if status == "failed"]
    previous = folder / MANIFEST
    sessions = json.loads(previous.read_text())["sessions"] if previous.is_file() else []
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
        "done": statuses.count("done"), "failed": len(failed), "failed_runs": failed,
        "parameters": [{"path": path, "column": PARAMETER_PREFIX + path, "type": kind}
                       for path, kind in sweep.parameter_types.items()],
        "step_tables": record["step_tables"],
        "sessions": [*sessions, session],
        "versions": sweep_versions(), "git_commit": git_commit(),
        "files": {
            TABLE: "one row per run: run_key, point, arm, replicate, status, error, seed_entropy, "
                   "seed_spawn_key, param.<path>..., then every summary measure",
            "points.parquet": "one row per design point: its parameter values",
            RECORD: "the resolved sweep: spec, base scenario, root entropy (for resuming)",
            "scenario.toml": "the resolved base scenario",
            f"{RUNS}/": "one file per completed run (the same row as in sweep.parquet)",
            f"{STEPS}/": "per run: its step table (one row per step and segment)",
            f"{FAILED}/": "per failed run: parameters, seed, error, traceback",
        },
    })


def prepare_folder(sweep: Sweep, folder: Path, step_tables: bool | None,
                   command: list[str] | None, source_text: str | None) -> bool:
    """Create a sweep folder, or check that an existing one holds this sweep. True if resuming."""
    record = read_record(folder)
    if record is not None:
        check_same_sweep(record, sweep, step_tables, folder)
        return True
    if folder.exists() and any(p.name != LOCK for p in folder.iterdir()):
        raise ScenarioError(f"error: {folder} exists and is not a sweep folder; "
                            "choose a new --out folder")
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


def run_sweep(sweep: Sweep, folder: str | Path, workers: int | None = None,
              scheduler: str | None = None, step_tables: bool | None = None,
              progress: bool = True, command: list[str] | None = None,
              source_text: str | None = None) -> SweepOutcome:
    """Run every run of ``sweep`` that has no completed file in ``folder``; write the results.

    ``workers``: 1 runs in this process, more start a local Dask cluster of that many
    single-threaded worker processes (default: one per core); ``scheduler`` uses an
    existing Dask cluster instead. Raises SweepInterrupted on Ctrl-C (after stopping the
    workers) and ScenarioError if the folder holds a different sweep.
    """
    folder = Path(folder)
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ScenarioError("error: --workers: must be at least 1")
    if read_record(folder) is None and folder.exists() and any(p.name != LOCK
                                                               for p in folder.iterdir()):
        raise ScenarioError(f"error: {folder} exists and is not a sweep folder; "
                            "choose a new --out folder")
    with contextlib.ExitStack() as stack:
        # An existing cluster is connected to first: a wrong address writes nothing.
        client = stack.enter_context(dask_client(workers, scheduler)) if scheduler else None
        folder.mkdir(parents=True, exist_ok=True)
        stack.enter_context(folder_lock(folder))
        resumed = prepare_folder(sweep, folder, step_tables, command, source_text)
        record = read_record(folder)
        _remove_partial_files(folder)
        done = completed_keys(folder)
        failed = failed_keys(folder) - done
        tasks = [task_of(sweep, run, folder, record["step_tables"])
                 for run in sweep.runs if run.key not in done]
        outcome = SweepOutcome(folder, len(sweep.runs), len(done), len(failed))
        base_document = sweep.base.model_dump(mode="json", exclude_none=True)
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

        try:
            if not tasks:
                pass
            elif client is None and workers == 1:
                execute_in_process(tasks, base_document, on_status)
            else:
                if client is None:
                    client = stack.enter_context(dask_client(workers, None))
                outcome.workers = sum(client.nthreads().values())
                execute_on_dask(tasks, base_document, client, on_status)
            bar.close()
        except KeyboardInterrupt:
            bar.close()
            stack.close()  # stop the workers before counting what they finished
            outcome.wall_seconds = time.perf_counter() - started
            outcome.interrupted = True
            outcome.done = len(completed_keys(folder))
            outcome.failed = len(failed_keys(folder) - completed_keys(folder))
            raise SweepInterrupted(outcome) from None
        outcome.wall_seconds = time.perf_counter() - started
        session = {"started": started_at, "resumed": resumed, "ran": outcome.ran,
                   "wall_seconds": round(outcome.wall_seconds, 3),
                   "runs_per_minute": round(outcome.runs_per_minute, 2) if outcome.ran else None,
                   "workers": outcome.workers, "scheduler": scheduler, "command": command}
        write_results(sweep, folder, session)
    return outcome
