"""Stopping cleanly: SIGTERM and SIGHUP end a command the way Ctrl-C (SIGINT) does.

Python turns SIGINT into KeyboardInterrupt, so every ``finally`` runs: partial results
folders are removed, sweep workers are stopped, completed runs are kept. SIGTERM (``kill``,
a batch scheduler's time limit, ``systemctl stop``) and SIGHUP (the terminal closed) end
the process at once by default, leaving partial files behind. :func:`terminate_as_interrupt`
makes them raise :class:`Terminated`, a KeyboardInterrupt, instead, and
:func:`exit_status` gives the conventional status, 128 + the signal's number.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TERMINATING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
"""Signals that end a command like Ctrl-C, where the platform has them."""

INTERRUPTING = (signal.SIGINT, *TERMINATING)
"""Every signal that stops a command cleanly (compiled kernels hold them until they return)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP received: handled wherever Ctrl-C is."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated(signum)


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Terminated` (main thread only).

    A signal set to be ignored (``nohup`` ignores SIGHUP) stays ignored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for signum in TERMINATING:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            previous[signum] = signal.signal(signum, _raise_terminated)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            # None: a handler installed outside Python, which signal.signal cannot restore
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


def exit_status(interrupt: KeyboardInterrupt) -> int:
    """130 for Ctrl-C, 128 + the signal's number for SIGTERM (143) and SIGHUP (129)."""
    return 128 + getattr(interrupt, "signum", signal.SIGINT)


def signal_name(interrupt: KeyboardInterrupt) -> str:
    """'SIGTERM', 'SIGHUP', or 'Ctrl-C' for a KeyboardInterrupt of SIGINT."""
    signum = getattr(interrupt, "signum", None)
    return "Ctrl-C" if signum is None else signal.Signals(signum).name


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP within the block; they are delivered when it ends.

    For the few steps that create something and record that they did (a temporary folder
    and its name, a lock file, a rename and the next): a signal between the two would
    leave what was created behind. The caller enters its ``try`` before this block, so a
    signal delivered as the block ends finds the cleanup in place. Blocked at the
    operating system's level (``pthread_sigmask``), where available, on the main thread.
    """
    if not hasattr(signal, "pthread_sigmask") or \
            threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, INTERRUPTING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
