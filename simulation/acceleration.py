"""Optional compiled kernels for the per-step hot path (numba), each with a numpy twin.

The ranking's structural work (drawing candidates, admitting them, picking each
feed's top keys) is per viewer and branchy, which numpy can only do with sorts
over whole (viewers x candidates) matrices. Where numba is installed, those
steps run as compiled loops over viewers, in parallel over the machine's cores;
otherwise their numpy twins run. Both compute the same numbers bit for bit
(``tests/test_acceleration.py`` checks every pair, and whole runs), so numba is
an accelerator, never a different model.

Switch off with the environment variable ``ENGAGEMENT_SIM_NUMBA=0`` (read at
import), or at run time with :func:`use_compiled`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

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


def kernel(parallel: bool = False,
           inline: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any] | None]:
    """Decorator: compile with numba (cached on disk), or None when numba is missing.

    ``inline`` marks a small helper that kernels call per element: numba then
    copies it into its callers instead of calling it (a call passing several
    arrays costs more than the work). Kernels never use fast-math: their
    floating-point operations must match the numpy twin's exactly.
    """
    def wrap(function: Callable[..., Any]) -> Callable[..., Any] | None:
        if numba is None:
            return None
        return numba.njit(cache=True, nogil=True, parallel=parallel,
                          inline="always" if inline else "never")(function)
    return wrap


prange = numba.prange if numba is not None else range
"""``numba.prange`` inside kernels: numba recognises its own object (plain range without numba)."""


def thread_blocks(n_rows: int, block: int = 2048) -> int:
    """Number of row blocks for a parallel kernel (each block allocates its scratch once)."""
    return max(1, -(-n_rows // block))
