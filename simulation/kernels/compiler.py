"""Optional compiled kernels for the per-step hot path (numba), each with a numpy twin.

The ranking's structural work (drawing candidates, admitting them, picking each
feed's top keys) is per viewer and branchy, which numpy can only do with sorts
over whole (viewers x candidates) matrices. Where numba is installed, those
steps run as compiled loops over viewers, in parallel over the machine's cores;
otherwise their numpy twins run. Both compute the same numbers bit for bit
(``tests/unit/kernels/test_kernels.py`` checks every pair, and whole runs), so numba is
an accelerator, never a different model.

Switch off with the environment variable ``ENGAGEMENT_SIM_NUMBA=0`` (read at
import), or at run time with :func:`use_compiled`.
"""

from __future__ import annotations

import _signal
import os
import signal
import threading
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from simulation.core.interrupts import TERMINATING

# Threads of a parallel kernel that wait for work sleep rather than spin (OpenMP, numba's
# threading layer here; read when the layer starts, so set before any kernel runs). Spinning
# threads take the cores from every other process: two processes of two threads each on two
# cores (a test suite on two workers, two runs at once) ran the small platform 5x slower
# spinning than sleeping (18.9 s against 2.0-3.3 s for two runs, measured on a busy machine).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

try:
    import numba

    AVAILABLE = True
except ImportError:  # pragma: no cover - exercised by the CI job without numba
    numba = None
    AVAILABLE = False


_enabled = AVAILABLE and os.environ.get("ENGAGEMENT_SIM_NUMBA", "1") != "0"


def compiled() -> bool:
    """Whether kernels run compiled (numba installed and not switched off)."""
    return _enabled


@contextmanager
def use_compiled(flag: bool):
    """Run the enclosed code with compiled kernels on (if available) or off."""
    global _enabled
    previous = _enabled
    _enabled = flag and AVAILABLE
    try:
        yield
    finally:
        _enabled = previous


PARALLEL_FROM = 4096
"""Rows (the first argument's length) from which a kernel runs on every core. Below it
the kernel runs on one: waking threads costs more than small work, all the more on a
busy machine."""


if numba is not None:  # kernels without a prange are compiled the same way, on purpose
    # (?s).*: numba may wrap the message in terminal colour codes and line breaks.
    warnings.filterwarnings("ignore", message=r"(?s).*The keyword argument 'parallel=True' was "
                            "specified but no transformation", category=numba.NumbaPerformanceWarning)


_held_depth = 0
_held_signals: list[int] = []
_held_previous: dict[int, Any] = {}


def _hold_signal(signum: int, frame: Any) -> None:
    _held_signals.append(signum)


def _hold() -> bool:
    """Start holding Ctrl-C (and SIGTERM, SIGHUP when they raise); False off the main thread.

    ``_signal``, the C module under ``signal``, swaps handlers without the conversions to
    enums of ``signal.signal``: a kernel call takes microseconds on a small platform,
    and ran about 7 000 times in one small-platform run.
    """
    global _held_depth
    if threading.get_ident() != threading.main_thread().ident:
        return False
    _held_depth += 1
    if _held_depth == 1:  # nested holds leave the outermost's handlers in place
        _held_previous.clear()
        _held_previous[signal.SIGINT] = _signal.signal(signal.SIGINT, _hold_signal)
        for signum in TERMINATING:
            if callable(_signal.getsignal(signum)):
                _held_previous[signum] = _signal.signal(signum, _hold_signal)
    return True


def _release() -> None:
    """Stop holding (the outermost hold only): restore the handlers, deliver the first signal held."""
    global _held_depth
    _held_depth -= 1
    if _held_depth:
        return
    previous = dict(_held_previous)
    for signum, handler in previous.items():
        # None: a handler installed outside Python, which signal.signal cannot restore
        _signal.signal(signum, signal.SIG_DFL if handler is None else handler)
    if _held_signals:
        signum = _held_signals[0]
        _held_signals.clear()
        if callable(previous[signum]):
            # Python's default SIGINT handler raises KeyboardInterrupt; ours raise Terminated
            previous[signum](signum, None)


@contextmanager
def interrupts_held():
    """Hold Ctrl-C (and SIGTERM, SIGHUP when they raise) until the enclosed code ends, then deliver it.

    Compiled code calls back into Python (llvmlite's ctypes callbacks while it compiles or
    loads a kernel from the disk cache, ``_numba_unpickle`` while it runs); a
    KeyboardInterrupt raised inside a callback surfaces as a SystemError, or crashes the
    interpreter (SIGSEGV), instead of stopping the run cleanly. SIGTERM and SIGHUP are
    held when the command line made them raise too (``core/interrupts.py``); left at
    their default they end the process without Python. Only the main thread receives
    signals.
    """
    held = _hold()
    try:
        yield
    finally:
        if held:
            _release()


class Kernel:
    """A compiled kernel that runs its ``prange`` loops on every core for large inputs only."""

    def __init__(self, function: Callable[..., Any]):
        self.compiled = numba.njit(cache=True, nogil=True, parallel=True,
                                   error_model="numpy")(function)
        self.__name__, self.__doc__ = function.__name__, function.__doc__

    def __call__(self, *args: Any) -> Any:
        if not _hold():  # signals are held on the main thread only (interrupts_held)
            return self.run(*args)
        try:
            return self.run(*args)
        finally:
            _release()

    def run(self, *args: Any) -> Any:
        """Call the compiled function, on one thread if the input is small."""
        rows = len(args[0]) if hasattr(args[0], "__len__") else 0
        threads = numba.get_num_threads()
        if rows >= PARALLEL_FROM or threads == 1:
            return self.compiled(*args)
        numba.set_num_threads(1)
        try:
            return self.compiled(*args)
        finally:
            numba.set_num_threads(threads)


def kernel(inline: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any] | None]:
    """Decorator: compile with numba (cached on disk), or None when numba is missing.

    A kernel is called from Python (:class:`Kernel`), which runs its ``prange`` loops
    on every core for large inputs and on one thread for small ones. ``inline`` marks
    instead a small helper
    that kernels call per element: numba copies it into its callers rather than
    calling it (a call passing several arrays costs more than the work). Every kernel
    is compiled with numba's parallel pipeline, which optimises loops over arrays
    several times better than its default one (measured: 4x on the candidate draws),
    whether or not it has a ``prange``. Kernels never use fast-math: their
    floating-point operations must match the numpy twin's exactly; division follows
    numpy's rules (no exception on zero).
    """
    def wrap(function: Callable[..., Any]) -> Callable[..., Any] | None:
        if numba is None:
            return None
        if inline:
            return numba.njit(cache=True, nogil=True, error_model="numpy",
                              inline="always")(function)
        return Kernel(function)
    return wrap


prange = numba.prange if numba is not None else range
"""``numba.prange`` inside kernels: numba recognises its own object (plain range without numba)."""


def cores_per_worker(workers: int) -> int:
    """Threads each of ``workers`` processes on this machine should give its kernels."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def share_cores(workers: int) -> None:
    """In one of ``workers`` processes: run this thread's kernels on its share of the cores.

    Without it, each process would use every core and the processes would fight for them.
    """
    if numba is not None:
        numba.set_num_threads(min(numba.config.NUMBA_NUM_THREADS, cores_per_worker(workers)))


@contextmanager
def cores_shared_by(workers: int):
    """Processes started inside give their kernels ``cores_per_worker(workers)`` threads.

    Sets ``NUMBA_NUM_THREADS`` for child processes that start a fresh interpreter
    (a local Dask cluster), unless the user set it; restores it after.
    """
    previous = os.environ.get("NUMBA_NUM_THREADS")
    if previous is None:
        os.environ["NUMBA_NUM_THREADS"] = str(cores_per_worker(workers))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("NUMBA_NUM_THREADS", None)
