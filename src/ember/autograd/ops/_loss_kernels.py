"""Optional numba kernels of the loss primitives (loss.py), each registered in ember._numba against the NumPy
reference of its math below (tests/test_kernel_registry.py checks each pair).

A numba exp or log per element is scalar libm, several times slower than NumPy's SIMD loops, so the exponentials
stay in NumPy and the kernels do the passes around them. ``fastmath={"reassoc"}`` lets LLVM vectorize the sums;
without nnan/ninf, inf and NaN behave as in NumPy. ``error_model="numpy"``: a division by zero gives inf or NaN,
as in NumPy, instead of raising.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..._numba import fast_variant_of

_SUMS: dict[str, Any] = dict(rtol={"float32": 2e-5, "float64": 1e-12},
             why="the kernels' float sums run in vectorized partial sums (reassoc), the references' in NumPy's order")


def _flags(reassoc) -> dict[str, Any]:
    return dict(nogil=True, error_model="numpy", fastmath={"reassoc"} if reassoc else False)


# ---- BCEWithLogits (flat arrays) ----------------------------------------------------------------------------------

def bce_logits_forward_reference(x, y, e, acc, one):
    """Given e = e^(−|x|): e ← σ(x) = (1 if x ≥ 0 else e) / (1 + e) in place (as the NumPy path computes it, in x's
    dtype); returns Σ max(x, 0) − x·y + log(1 + e) in float64. ``acc`` is the kernel's work space."""
    d = e + one
    total = np.sum(np.maximum(x, 0) - x * y, dtype=np.float64) + np.sum(np.log(d.astype(np.float64)))
    e[...] = np.where(x >= 0, one, e) / d
    return total


def _bce_example(rng, dtype):
    for n in (5, 1000, 256 * 70 + 13):  # a tail only; rows of 256 lanes; several groups of 64 rows
        x = (4 * rng.standard_normal(n)).astype(dtype)
        yield (x, rng.random(n).astype(dtype), np.exp(-np.abs(x)), np.empty(256, dtype), dtype.type(1)), {}


@fast_variant_of(bce_logits_forward_reference, **_flags(True), example=_bce_example, scratch=(3,), **_SUMS)
def bce_logits_forward(x, y, e, acc, one):
    """The logs are taken of products of 64 factors 1 + e ∈ [1, 2], kept in the len(acc) lanes of acc (as loss.py's
    ``_sum_log`` does)."""
    zero = one - one
    n, w = x.size, acc.size
    total = 0.0  # Σ max(x, 0) − x·y
    logs = 0.0  # Σ log(1 + e)
    rows = n // w
    for r0 in range(0, rows, 64):
        acc[:] = one
        for r in range(r0, min(r0 + 64, rows)):
            xr, yr, er = x[r * w:(r + 1) * w], y[r * w:(r + 1) * w], e[r * w:(r + 1) * w]
            for k in range(w):
                xi, ei = xr[k], er[k]
                di = ei + one
                acc[k] *= di
                total += max(xi, zero) - xi * yr[k]
                er[k] = (one if xi >= zero else ei) / di
        for k in range(w):
            logs += np.log(np.float64(acc[k]))
    for i in range(rows * w, n):
        xi, ei = x[i], e[i]
        di = ei + one
        logs += np.log(np.float64(di))
        total += max(xi, zero) - xi * y[i]
        e[i] = (one if xi >= zero else ei) / di
    return total + logs


def scaled_difference_reference(a, b, out, r):
    """out = (a − b)·r (the BCEWithLogits gradient (σ(x) − y)·r; the MSE gradient (x − y)·r)."""
    np.multiply(np.subtract(a, b), r, out=out)


def _difference_example(rng, dtype):
    for n in (1, 1000):
        yield (*(rng.standard_normal((2, n)).astype(dtype)), np.full(n, np.nan, dtype), dtype.type(0.37)), {}


@fast_variant_of(scaled_difference_reference, **_flags(False), example=_difference_example)
def scaled_difference(a, b, out, r):
    for i in range(a.size):
        out[i] = (a[i] - b[i]) * r


# ---- plain CrossEntropy ((N, C) rows, int64 targets) ---------------------------------------------------------------

def shift_rows_reference(x, e, m):
    """e[i] = x[i] − mᵢ (mᵢ = max_c x[i, c], NumPy's amax on the same chunk just before)."""
    np.subtract(x, m[:, None], out=e)


def row_sums_reference(x, e, m, t, s):
    """sᵢ = Σ_c e[i, c]; returns Σᵢ mᵢ + log sᵢ − x[i, tᵢ] in float64 (the summed −log softmax(x)[tᵢ])."""
    s[...] = e.sum(axis=1)
    rows = np.arange(x.shape[0])
    return np.sum(m.astype(np.float64) + np.log(s.astype(np.float64)) - x[rows, t].astype(np.float64))


def scale_rows_reference(e, s, t, r):
    """e[i] ← e[i]·(r / sᵢ), then e[i, tᵢ] −= r: the gradient (softmax(x) − onehot(t))·r, in place."""
    e *= (r / s)[:, None]
    e[np.arange(e.shape[0]), t] -= r


def _ce_example(rng, dtype, which):
    for n, c in ((1, 1), (7, 10), (64, 1000)):
        x = (3 * rng.standard_normal((n, c))).astype(dtype)
        m = x.max(axis=1)
        e = np.exp(x - m[:, None])
        t = rng.integers(0, c, n)
        if which == "shift":
            yield (x, np.full_like(x, np.nan), m), {}
        elif which == "sums":
            yield (x, e, m, t, np.full(n, np.nan, dtype)), {}
        else:
            yield (e, e.sum(axis=1), t, dtype.type(1 / n)), {}


@fast_variant_of(shift_rows_reference, **_flags(True), example=lambda rng, dtype: _ce_example(rng, dtype, "shift"))
def shift_rows(x, e, m):
    for i in range(x.shape[0]):
        mi = m[i]
        for c in range(x.shape[1]):
            e[i, c] = x[i, c] - mi


@fast_variant_of(row_sums_reference, **_flags(True), example=lambda rng, dtype: _ce_example(rng, dtype, "sums"),
                 **_SUMS)
def row_sums(x, e, m, t, s):
    total = 0.0
    for i in range(x.shape[0]):
        si = e[i, 0] - e[i, 0]
        for c in range(x.shape[1]):
            si += e[i, c]
        s[i] = si
        total += np.float64(m[i]) + np.log(np.float64(si)) - np.float64(x[i, t[i]])
    return total


@fast_variant_of(scale_rows_reference, **_flags(True), example=lambda rng, dtype: _ce_example(rng, dtype, "scale"),
                 rtol={"float32": 3e-7, "float64": 6e-16}, why="reassoc lets LLVM regroup e·(r / s): an ulp")
def scale_rows(e, s, t, r):
    for i in range(e.shape[0]):
        k = r / s[i]
        for c in range(e.shape[1]):
            e[i, c] *= k
        e[i, t[i]] -= r


# ---- reduced MSE (flat arrays) --------------------------------------------------------------------------------------

def squared_error_sum_reference(x, y):
    """Σ (x − y)² in float64 (the difference in x's dtype)."""
    d = x - y
    return np.sum(d * d, dtype=np.float64)


def squared_error_sum_grad_reference(x, y, out, r):
    """out = (x − y)·r; returns Σ (x − y)² in float64."""
    scaled_difference_reference(x, y, out, r)
    return squared_error_sum_reference(x, y)


def _mse_example(rng, dtype, grad):
    for n in (1, 1000, 3 * 4096 + 5):
        x, y = rng.standard_normal((2, n)).astype(dtype)
        x[0] = -np.inf  # (an infinite first term: the partial sums start from a typed zero, not from it)
        yield ((x, y, np.full(n, np.nan, dtype), dtype.type(2 / n)) if grad else (x, y)), {}


@fast_variant_of(squared_error_sum_reference, **_flags(True), **_SUMS,
                 example=lambda rng, dtype: _mse_example(rng, dtype, False))
def squared_error_sum(x, y):
    """Partial sums of 4096 terms in x's dtype (vectorized), added in float64; the difference is not stored."""
    total = 0.0
    n = x.size
    for a in range(0, n, 4096):
        xs, ys = x[a:a + 4096], y[a:a + 4096]  # indices from 0: no wraparound check, so LLVM vectorizes
        part = xs.dtype.type(0)  # (a zero of x's dtype; xs[0] − xs[0] is NaN at an infinite xs[0])
        for i in range(xs.size):
            d = xs[i] - ys[i]
            part += d * d
        total += part
    return total


@fast_variant_of(squared_error_sum_grad_reference, **_flags(True),
                 example=lambda rng, dtype: _mse_example(rng, dtype, True), **_SUMS)
def squared_error_sum_grad(x, y, out, r):
    """Forward and backward in one pass (the forward under grad mode writes the gradient for g = 1, so the usual
    ``loss.backward()`` costs no pass)."""
    total = 0.0
    n = x.size
    for a in range(0, n, 4096):
        xs, ys, os = x[a:a + 4096], y[a:a + 4096], out[a:a + 4096]
        part = xs.dtype.type(0)  # (a zero of x's dtype; xs[0] − xs[0] is NaN at an infinite xs[0])
        for i in range(xs.size):
            d = xs[i] - ys[i]
            part += d * d
            os[i] = d * r
        total += part
    return total
