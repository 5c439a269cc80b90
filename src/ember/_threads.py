"""Intra-op threads: ``set_num_threads`` / ``get_num_threads`` (torch's names), ``row_blocks``, ``parallel_ok``.

NumPy releases the GIL inside its loops, so a large elementwise pass or reduction split into
blocks of rows runs on several cores from a small thread pool. The count is fixed by
``set_num_threads`` (default: the ``EMBER_NUM_THREADS`` environment variable, else the number
of cores, at most 4), never by the machine's momentary load, so results are reproducible.

Matrix products run on OpenBLAS's own threads, and OpenBLAS's idle workers keep spinning for about
0.1 s after a product. A second thread of ember's (or numba's) started in that window waits for a core, and
a small optimizer step right after a product runs several times slower on two threads than on one
(benchmarks/NOTES.md). So ops that multiply matrices call ``note_blas()``, and ``parallel_ok(size)`` keeps work
under ``AFTER_BLAS_MIN`` elements on the calling thread for ``BLAS_SPIN_S`` after one (bigger work still gains
from a second thread). Results do not depend on the split.
"""
from __future__ import annotations

import contextlib
import os
import time
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

PARALLEL_MIN = 1 << 17  # elements: below this, handing rows to another thread costs more than it saves
BLAS_SPIN_S = 0.15  # seconds after a matrix product during which OpenBLAS's workers may still spin
AFTER_BLAS_MIN = 1 << 21  # elements: in that window, smaller work stays on the calling thread
_blas_at = float("-inf")

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


def note_blas() -> None:
    """Record that a (possibly multi-threaded) matrix product just ran; see the module docstring."""
    global _blas_at
    _blas_at = time.perf_counter()


def parallel_ok(size: int) -> bool:
    """Whether work of ``size`` elements may be split over threads now (False for small work right after a
    matrix product, while OpenBLAS's workers still hold the cores)."""
    return _num_threads > 1 and (size >= AFTER_BLAS_MIN or time.perf_counter() - _blas_at > BLAS_SPIN_S)


def row_blocks(fn, x):
    """Run ``fn(rows)`` over slices of axis 0 covering ``x``; return the results in order.

    Arrays of at least ``PARALLEL_MIN`` elements are split into one block per thread (unless ``parallel_ok``
    says no); smaller or 0-dim arrays run as one call with ``rows = slice(None)`` (``Ellipsis`` for 0-dim).
    """
    n = x.shape[0] if x.ndim else 1
    parts = min(n, x.size // (PARALLEL_MIN // 2), _num_threads) if parallel_ok(x.size) else 1
    if parts < 2:
        return [fn(slice(None) if x.ndim else Ellipsis)]
    pool = _worker_pool()
    bounds = [n * k // parts for k in range(parts + 1)]
    futures = [pool.submit(fn, slice(bounds[k], bounds[k + 1])) for k in range(1, parts)]
    return [fn(slice(bounds[0], bounds[1]))] + [f.result() for f in futures]


def copy_rows(dst, src) -> None:
    """``dst[...] = src``, split over axis 0 on ember's threads (``row_blocks``)."""
    row_blocks(lambda rows: np.copyto(dst[rows], src[rows]), src)


def _worker_pool() -> ThreadPoolExecutor:
    """ember's threads besides the calling one (``get_num_threads() - 1`` of them)."""
    global _pool, _pool_key
    key = (os.getpid(), _num_threads)
    if _pool is None or _pool_key != key:  # a forked child has no pool threads; a new count needs a new pool
        from concurrent.futures import ThreadPoolExecutor  # (lazy: with logging, 5 ms of `import ember`)

        _pool, _pool_key = ThreadPoolExecutor(max_workers=_num_threads - 1, thread_name_prefix="ember"), key
    return _pool


class Background:
    """Work handed to ember's other threads while the calling thread goes on (``submit``), joined by ``wait``.

    With one thread (``set_num_threads(1)``) each call runs at once, on the calling thread. The work is split the
    same way either way, so results do not depend on the thread count.
    """

    def __init__(self):
        self._futures = []

    def submit(self, fn, *args):
        """Run ``fn(*args)`` on another thread (now, inline, with one thread); returns a handle to ``wait`` on."""
        if _num_threads < 2:
            fn(*args)
            return None
        future = _worker_pool().submit(fn, *args)
        self._futures.append(future)
        return future

    def wait(self, handle=None):
        """Wait for ``handle`` (None: for everything submitted); re-raises the work's exception."""
        for future in self._futures if handle is None else [handle]:
            future.result()


_controller: Any = None  # threadpoolctl's ThreadpoolController (False: none) view of the loaded BLAS libraries (found once)
_own_blas = None  # without threadpoolctl: (get, set) of the OpenBLAS bundled with NumPy's wheels (found once)


def blas_threads(n: int):
    """A context in which matrix products run on at most ``n`` BLAS threads (the previous count is restored).

    threadpoolctl (the ``fast`` and ``app`` extras) does this for any BLAS. Without it, the OpenBLAS that NumPy's
    wheels bundle (``numpy.libs``) is set through its own ``*_set_num_threads`` entry point, so a core install of
    ember controls its threads too; with neither, nothing changes."""
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
        except Exception:  # not installed, or no BLAS it knows
            _controller = False
    if _controller is not False:
        return _controller.limit(limits=n, user_api="blas")
    get, set_ = _bundled_openblas()
    return _set_for_a_while(get, set_, n) if get else contextlib.nullcontext()


def one_blas_thread():
    """``blas_threads(1)``: for loops of small products, such as the steps of a recurrent layer, where waking a
    second BLAS thread for each costs more than the product (see ``benchmarks/bench_sequence.py``)."""
    return blas_threads(1)


@contextlib.contextmanager
def _set_for_a_while(get, set_, n):
    before = get()
    set_(n)
    try:
        yield
    finally:
        set_(before)


def _bundled_openblas():
    """(get, set) of the thread count of the OpenBLAS in ``numpy.libs`` (scipy-openblas: ``scipy_openblas_*64_``;
    older wheels: ``openblas*``), or (None, None)."""
    global _own_blas
    if _own_blas is None:
        import ctypes
        import glob

        import numpy

        _own_blas = (None, None)
        for path in glob.glob(os.path.join(os.path.dirname(os.path.dirname(numpy.__file__)), "numpy.libs", "*openblas*")):
            lib = ctypes.CDLL(path)  # already loaded by NumPy: the same library, not a second copy
            for prefix, suffix in (("scipy_openblas_", "64_"), ("openblas_", "64_"), ("openblas_", "")):
                get = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
                set_ = getattr(lib, f"{prefix}set_num_threads{suffix}", None)
                if get is not None and set_ is not None:
                    get.restype, set_.argtypes = ctypes.c_int, [ctypes.c_int]
                    _own_blas = (get, set_)
                    return _own_blas
    return _own_blas
