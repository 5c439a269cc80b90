"""Intra-op threads: ``set_num_threads`` / ``get_num_threads`` (torch's names) and ``row_blocks``.

NumPy releases the GIL inside its loops, so a large elementwise pass or reduction split into
blocks of rows runs on several cores from a small thread pool. The count is fixed by
``set_num_threads`` (default: the ``EMBER_NUM_THREADS`` environment variable, else the number
of cores, at most 4), never by the machine's momentary load, so results are reproducible.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

PARALLEL_MIN = 1 << 17  # elements: below this, handing rows to another thread costs more than it saves

_num_threads = int(os.environ.get("EMBER_NUM_THREADS", "0") or 0) or max(1, min(os.cpu_count() or 1, 4))
_pool: ThreadPoolExecutor | None = None
_pool_key = None


def get_num_threads() -> int:
    """The number of threads ember's parallel kernels use."""
    return _num_threads


def set_num_threads(n: int) -> None:
    """Set the number of threads ember's parallel kernels use (also numba's, when it is installed)."""
    global _num_threads
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, but got {n!r}")
    _num_threads = n
    try:  # the optimizers' fused kernels run on numba's thread pool
        import numba

        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    except ImportError:
        pass


def row_blocks(fn, x):
    """Run ``fn(rows)`` over slices of axis 0 covering ``x``; return the results in order.

    Arrays of at least ``PARALLEL_MIN`` elements are split into one block per thread; smaller or
    0-dim arrays run as one call with ``rows = slice(None)`` (``Ellipsis`` for 0-dim).
    """
    global _pool, _pool_key
    n = x.shape[0] if x.ndim else 1
    parts = min(n, x.size // (PARALLEL_MIN // 2), _num_threads)
    if parts < 2:
        return [fn(slice(None) if x.ndim else Ellipsis)]
    key = (os.getpid(), _num_threads)
    if _pool is None or _pool_key != key:  # a forked child has no pool threads; a new count needs a new pool
        _pool, _pool_key = ThreadPoolExecutor(max_workers=_num_threads - 1, thread_name_prefix="ember"), key
    bounds = [n * k // parts for k in range(parts + 1)]
    futures = [_pool.submit(fn, slice(bounds[k], bounds[k + 1])) for k in range(1, parts)]
    return [fn(slice(bounds[0], bounds[1]))] + [f.result() for f in futures]
