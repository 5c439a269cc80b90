"""Softmax over the last axis of (R, M) rows, in NumPy and, with the ``fast`` extra, in numba (nn.py's ``Softmax``
runs these when its axis is the last and the rows are contiguous, as attention's scores are).

    forward   e = x − max(x)         (shift_by_row_max: one pass, where NumPy's max over a short last axis is slow)
              e ← exp(e)             (NumPy's SIMD exp, in place: numba's exp is a scalar libm call)
              e ← e / Σe             (scale_rows_to_unit_sum: one pass over rows that are still in cache)
    backward  dx = s·(g − Σ g·s)     (softmax_rows_grad: one pass)

Each kernel is registered against its NumPy reference (the path without numba) and tests/test_kernel_registry.py
checks that they agree. The kernels run on the calling thread with the GIL released; off with the rest of
ember's kernels (EMBER_DISABLE_NUMBA=1, ``ember._numba.set_enabled(False)``).
"""
from __future__ import annotations

import numpy as np

from ... import _numba
from ..._numba import fast_variant_of


def softmax_rows(x: np.ndarray) -> np.ndarray:
    """softmax over the last axis of C-contiguous ``x`` (any number of leading dims), as a new array."""
    out = np.empty_like(x)
    rows, e = x.reshape(-1, x.shape[-1]), out.reshape(-1, x.shape[-1])
    _run(_shift_by_row_max, shift_by_row_max, x, rows, e)
    np.exp(e, out=e)
    _run(_scale_rows_to_unit_sum, scale_rows_to_unit_sum, x, e)
    return out


def softmax_rows_backward(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    """The gradient of softmax over the last axis from its output ``s`` and the output's gradient ``g`` (both
    C-contiguous, one shape), as a new array."""
    out = np.empty_like(s)
    m = s.shape[-1]
    _run(_softmax_rows_grad, softmax_rows_grad, s, s.reshape(-1, m), g.reshape(-1, m), out.reshape(-1, m))
    return out


def _run(fast, reference, like, *args):
    kernel = _numba.compiled(fast) if _numba.takes(like.dtype) else None
    (kernel or reference)(*args)


def shift_by_row_max(x, out):
    """out = x − max(x) per row of (R, M) ``x``."""
    np.subtract(x, x.max(axis=1, keepdims=True), out=out)


def scale_rows_to_unit_sum(e):
    """e ← e / Σe per row of (R, M) ``e``, in place."""
    e /= e.sum(axis=1, keepdims=True)


def softmax_rows_grad(s, g, out):
    """out = s·(g − Σ g·s) per row of (R, M) ``s`` (softmax's output) and ``g`` (its gradient)."""
    np.multiply(s, g - np.sum(g * s, axis=1, keepdims=True), out=out)


def _rows_example(rng, dtype, r=6, m=37):
    return rng.standard_normal((r, m)).astype(dtype)


def _shift_example(rng, dtype):
    x = _rows_example(rng, dtype)
    yield (x, np.empty_like(x)), {}


def _scale_example(rng, dtype):
    yield (np.exp(_rows_example(rng, dtype)),), {}


def _grad_example(rng, dtype):
    s = np.exp(_rows_example(rng, dtype))
    s /= s.sum(axis=1, keepdims=True)
    yield (s, _rows_example(rng, dtype), np.empty_like(s)), {}


_WHY = "the kernel sums each row in float64 (fastmath reassociates), NumPy in the rows' dtype by pairwise summation"


@fast_variant_of(shift_by_row_max, example=_shift_example, nogil=True, fastmath={"reassoc"})
def _shift_by_row_max(x, out):
    r_, m = x.shape
    for i in range(r_):
        row = x[i]
        top = row[0]
        check = 0.0  # v − v: NaN once the row holds a NaN or an infinity
        for j in range(1, m):
            v = row[j]
            top = v if v > top else top
            check += v - v
        if check != check:  # NumPy's max is NaN when the row holds one
            for j in range(m):
                if row[j] != row[j]:
                    top = row[j]
                    break
        o = out[i]
        for j in range(m):
            o[j] = row[j] - top


@fast_variant_of(scale_rows_to_unit_sum, example=_scale_example, nogil=True, fastmath={"reassoc", "contract"},
                 rtol={"float32": 1e-6, "float64": 1e-14}, why=_WHY)
def _scale_rows_to_unit_sum(e):
    r_, m = e.shape
    for i in range(r_):
        row = e[i]
        s = 0.0
        for j in range(m):
            s += row[j]
        for j in range(m):
            row[j] = row[j] / s


@fast_variant_of(softmax_rows_grad, example=_grad_example, nogil=True, fastmath={"reassoc", "contract"},
                 rtol={"float32": 1e-5, "float64": 1e-12}, why=_WHY)
def _softmax_rows_grad(s, g, out):
    r_, m = s.shape
    for i in range(r_):
        srow, grow, o = s[i], g[i], out[i]
        d = 0.0
        for j in range(m):
            d += grow[j] * srow[j]
        for j in range(m):
            o[j] = srow[j] * (grow[j] - d)
