"""Elementwise numpy work over a step's impressions, split into row ranges run in threads.

numpy releases the GIL inside its loops, so a pass that treats each impression on its
own (the funnel) runs on every core when its rows are cut into contiguous parts, one
per thread, and the parts' results joined in order. The numbers are those of one pass:
every row is computed by the same operations, whichever part it falls in.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from simulation.kernels.compiler import numba

Part = TypeVar("Part")

ROWS_PER_PART = 1 << 18
"""Fewest rows per part: below two parts' worth, the work runs in one piece, on this thread."""

_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def threads() -> int:
    """Threads this process gives its hot path: numba's count (``share_cores`` sets it), else 1."""
    return numba.get_num_threads() if numba is not None else 1


def part_count(n_rows: int) -> int:
    """How many parts ``n_rows`` rows are cut into (1: not cut)."""
    return max(1, min(threads(), n_rows // ROWS_PER_PART))


def in_row_parts(n_rows: int, work: Callable[[slice], Part],
                 join: Callable[[list[Part]], Part]) -> Part:
    """``work`` on contiguous row ranges (slices of ``range(n_rows)``) in threads, ``join``ed in order."""
    global _pool, _pool_size
    parts = part_count(n_rows)
    if parts == 1:
        return work(slice(0, n_rows))
    size = -(-n_rows // parts)
    ranges = [slice(start, min(n_rows, start + size)) for start in range(0, n_rows, size)]
    if _pool is None or _pool_size < len(ranges):
        _pool, _pool_size = ThreadPoolExecutor(len(ranges), thread_name_prefix="row-part"), len(ranges)
    return join(list(_pool.map(work, ranges)))
