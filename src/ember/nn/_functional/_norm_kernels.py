"""Optional numba kernels of instance and layer normalisation (the ``fast`` extra); normalization.py's ``InstanceNorm`` states
the op in NumPy (the reference path) and the tests check that both agree.

One row is one (sample, channel) pair, its M spatial values contiguous; a row fits in L1, so each kernel reads
memory once however many times it walks the row:

    forward   μ = Σx/M, σ² = Σ(x − μ)²/M (two passes over the row, no E[x²] − μ² cancellation),
              r = 1/√(σ² + ε), y = x·(γ·r) + (β − μ·γ·r)
    backward  S₁ = Σg, S₂ = Σ g·x̂ (x̂ = (x − μ)·r), dx = γ·r·(g − S₁/M − x̂·S₂/M); dγ = Σₙ S₂, dβ = Σₙ S₁ are
              summed by the caller from the per-row S₁, S₂

Arrays are passed as C-contiguous (P, Q, M) memory: (C, N, M) when ``cm`` (channel-major, as conv outputs are
stored) else (N, C, M); input and gradient may differ, the output and dx take the input's. Sums are float64 (``fastmath`` only reassociates them, so
that they vectorize; NaN and inf propagate as in NumPy).

The references are the NumPy path itself (``instance_norm_reference``, ``instance_norm_grad``: normalization.py
runs them without numba, the backward one also against ``xp`` for create_graph); each loop is registered in
ember._numba against one of them, and tests/test_kernel_registry.py checks that they agree. The kernels run on the calling thread (see
``autograd/ops/_conv_kernels.py`` for why ember's kernels are single-threaded). Off with the rest of ember's
kernels (EMBER_DISABLE_NUMBA=1, ``ember._numba.set_enabled(False)``).
"""
from __future__ import annotations

import numpy as np

from ... import _numba
from ..._numba import fast_variant_of


def instance_norm_kernels(dtype):
    """(forward, backward) compiled, or None (no numba, the kernels are disabled, or ``dtype`` is not theirs)."""
    if not _numba.takes(dtype) or not _numba.available():
        return None
    if not _COMPILED:  # (compiled once: InstanceNorm looks them up on every call)
        _COMPILED.extend((_numba.compiled(_forward), _numba.compiled(_backward)))
    return tuple(_COMPILED)


_COMPILED: list = []


def instance_norm_reference(x, w, b, eps):
    """(y, μ, σ²) of (N, C, *) ``x``, μ and σ² with kept dims: μ = mean(x), σ² = mean((x − μ)²) over the spatial
    axes, y = (x − μ)·γ/√(σ² + ε) + β (γ = ``w``, β = ``b``, None: absent). One scratch array serves (x − μ)² and
    then y."""
    axes, shape = tuple(range(2, x.ndim)), (1, x.shape[1]) + (1,) * (x.ndim - 2)
    mean = x.mean(axis=axes, keepdims=True)
    xc = x - mean
    y = np.multiply(xc, xc)
    var = y.mean(axis=axes, keepdims=True)
    scale = 1.0 / np.sqrt(var + eps)
    if w is not None:
        scale = scale * w.reshape(shape)
    np.multiply(xc, scale.astype(x.dtype, copy=False), out=y)
    if b is not None:
        y += b.reshape(shape)
    return y, mean, var


def instance_norm_grad(xp, x, g, mean, invstd, w):
    """(dx, S₁, S₂) of instance normalisation, against ``xp`` (Tensors under create_graph), μ and r = 1/√(σ² + ε)
    with kept dims: x̂ = (x − μ)·r, S₁ = Σ g, S₂ = Σ g·x̂ over the M spatial values, dx = γ·r·(g − S₁/M − x̂·S₂/M)
    (γ = ``w``, None: 1)."""
    axes, shape = tuple(range(2, x.ndim)), (1, x.shape[1]) + (1,) * (x.ndim - 2)
    m = int(np.prod(x.shape[2:]))
    xhat = (x - mean) * invstd
    s1 = xp.sum(g, axis=axes, keepdims=True)
    s2 = xp.sum(g * xhat, axis=axes, keepdims=True)
    k = invstd if w is None else invstd * w.reshape(shape)
    return (g - s1 / m - xhat * (s2 / m)) * k, s1, s2


def _nc(base, cm):
    """The (N, C, M) view of a row base ((C, N, M) when cm)."""
    return base.swapaxes(0, 1) if cm else base


def _forward_call(reference, args, consts):
    """The forward reference on the kernel's arguments, its results written into them."""
    base, cm, gamma, beta, eps, y, mean, var = args
    out, mu, v = reference(_nc(base, cm), gamma, beta, eps)
    _nc(y, cm)[...] = out
    mean[...], var[...] = mu.reshape(mean.shape), v.reshape(var.shape)


def _backward_call(reference, args, consts):
    """The backward reference on the kernel's arguments, its results written into them."""
    base, cm, g, gcm, mean, var, gamma, eps, dx, s1, s2 = args
    x = _nc(base, cm)
    invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)[..., None]
    d, a1, a2 = reference(np, x, _nc(g, gcm), mean[..., None], invstd, gamma)
    _nc(dx, cm)[...] = d
    s1[...], s2[...] = a1.reshape(s1.shape), a2.reshape(s2.shape)


def _rows_example(rng, dtype, n=3, c=4, m=37):
    """Rows of (N, C, M) values, away from 0 on average, stored either way round."""
    for cm in (False, True):
        x = (rng.standard_normal((n, c, m)) * 2 + 1.5).astype(dtype)
        yield (np.ascontiguousarray(x.swapaxes(0, 1)) if cm else x), cm, x


def _forward_example(rng, dtype):
    for base, cm, x in _rows_example(rng, dtype):
        n, c = x.shape[:2]
        gamma, beta = rng.standard_normal(c).astype(dtype), rng.standard_normal(c).astype(dtype)
        yield (base, cm, gamma, beta, 1e-5, np.empty_like(base), np.empty((n, c)), np.empty((n, c))), {}


def _backward_example(rng, dtype):
    for base, cm, x in _rows_example(rng, dtype):
        n, c = x.shape[:2]
        for gcm in (False, True):
            g = rng.standard_normal(x.shape).astype(dtype)
            gbase = np.ascontiguousarray(g.swapaxes(0, 1)) if gcm else g
            mean, var = x.mean(axis=2, dtype=np.float64), x.var(axis=2, dtype=np.float64)
            gamma = rng.standard_normal(c).astype(dtype)
            yield (base, cm, gbase, gcm, mean, var, gamma, 1e-5, np.empty_like(base), np.empty((n, c)),
                   np.empty((n, c))), {}


_WHY = ("the kernel sums in float64 reassociated (fastmath), the NumPy reference in the input's dtype by "
        "pairwise summation; values near 0 by cancellation carry the statistics' absolute error")


def _row_moments(row, m):
    """(μ, σ²) of the first ``m`` values of ``row``, summed in float64 in two passes (the forward kernels' statistics)."""
    s = 0.0
    for j in range(m):
        s += row[j]
    mu = s / m
    v = 0.0
    for j in range(m):
        d = row[j] - mu
        v += d * d
    return mu, v / m


@fast_variant_of(instance_norm_reference, example=_forward_example, nogil=True, fastmath={"reassoc", "contract"},
                 helpers=(_row_moments,), call=_forward_call, rtol={"float32": 1e-2, "float64": 1e-9}, why=_WHY)
def _forward(x, cm, gamma, beta, eps, y, mean, var):
    p_, q_, m = x.shape
    for p in range(p_):
        for q in range(q_):
            n, c = (q, p) if cm else (p, q)
            row = x[p, q]
            mu, v = _row_moments(row, m)
            a = gamma[c] / np.sqrt(v + eps)
            b = beta[c] - mu * a
            out = y[p, q]
            for j in range(m):
                out[j] = row[j] * a + b
            mean[n, c] = mu
            var[n, c] = v


@fast_variant_of(instance_norm_grad, example=_backward_example, nogil=True, fastmath={"reassoc", "contract"},
                 call=_backward_call, rtol={"float32": 1e-2, "float64": 1e-9}, why=_WHY)
def _backward(x, cm, g, gcm, mean, var, gamma, eps, dx, s1, s2):
    p_, q_, m = x.shape
    for p in range(p_):
        for q in range(q_):
            n, c = (q, p) if cm else (p, q)
            row = x[p, q]
            grow = g[c, n] if gcm else g[n, c]
            mu = mean[n, c]
            r = 1.0 / np.sqrt(var[n, c] + eps)
            a1 = 0.0
            a2 = 0.0
            for j in range(m):
                gj = grow[j]
                a1 += gj
                a2 += gj * (row[j] - mu)
            a2 *= r
            k = gamma[c] * r
            c1 = a1 / m
            c2 = a2 * r / m
            out = dx[p, q]
            for j in range(m):
                out[j] = k * (grow[j] - c1 - (row[j] - mu) * c2)
            s1[n, c] = a1
            s2[n, c] = a2


# Layer normalisation: one row is one sample's M = prod(normalized_shape) values (contiguous), γ and β per column.
#
#     forward   μ, σ² per row as above, r = 1/√(σ² + ε), y = (x − μ)·r·γ + β
#     backward  h = g·γ, A₁ = Σh, A₂ = Σ h·x̂ per row, dx = r·(h − A₁/M − x̂·A₂/M); dγ = Σ_rows g·x̂, dβ = Σ_rows g
#               (the kernel adds each row into float64 dγ, dβ that the caller zeroes)

def layer_norm_kernels(dtype):
    """(forward, backward) of layer normalisation compiled, or None (as ``instance_norm_kernels``)."""
    if not _numba.takes(dtype) or not _numba.available():
        return None
    if not _LAYER_COMPILED:
        _LAYER_COMPILED.extend((_numba.compiled(_layer_forward), _numba.compiled(_layer_backward)))
    return tuple(_LAYER_COMPILED)


_LAYER_COMPILED: list = []


def layer_norm_reference(x, w, b, eps):
    """(y, μ, σ²) of (R, M) rows ``x``, μ and σ² (R, 1): y = (x − μ)·γ/√(σ² + ε) + β (γ = ``w``, β = ``b``, (M,)
    or None: absent)."""
    mean = x.mean(axis=-1, keepdims=True)
    xc = x - mean
    y = np.multiply(xc, xc)
    var = y.mean(axis=-1, keepdims=True)
    np.multiply(xc, (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False), out=y)
    if w is not None:
        y *= w
    if b is not None:
        y += b
    return y, mean, var


def layer_norm_grad(xp, x, g, mean, invstd, w):
    """(dx, dγ, dβ) of layer normalisation of (R, M) rows, against ``xp`` (Tensors under create_graph); μ and
    r = 1/√(σ² + ε) are (R, 1): x̂ = (x − μ)·r, h = g·γ (γ = ``w``, None: 1), dx = r·(h − mean h − x̂·mean(h·x̂)),
    dγ = Σ_rows g·x̂, dβ = Σ_rows g."""
    xhat = (x - mean) * invstd
    h = g if w is None else g * w
    dx = (h - xp.mean(h, axis=-1, keepdims=True) - xhat * xp.mean(h * xhat, axis=-1, keepdims=True)) * invstd
    return dx, xp.sum(g * xhat, axis=0), xp.sum(g, axis=0)


def _layer_forward_call(reference, args, consts):
    x, gamma, beta, eps, y, mean, var = args
    y[...], mu, v = reference(x, gamma, beta, eps)
    mean[...], var[...] = mu[:, 0], v[:, 0]


def _layer_backward_call(reference, args, consts):
    x, g, mean, var, gamma, eps, dx, dgamma, dbeta = args
    invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)[:, None]
    dx[...], dg, db = reference(np, x, g, mean[:, None].astype(x.dtype), invstd, gamma)
    dgamma[...], dbeta[...] = dg, db


def _layer_rows(rng, dtype, r=5, m=37):
    return (rng.standard_normal((r, m)) * 2 + 1.5).astype(dtype)


def _layer_forward_example(rng, dtype):
    x = _layer_rows(rng, dtype)
    r, m = x.shape
    gamma, beta = rng.standard_normal(m).astype(dtype), rng.standard_normal(m).astype(dtype)
    yield (x, gamma, beta, 1e-5, np.empty_like(x), np.empty(r), np.empty(r)), {}


def _layer_backward_example(rng, dtype):
    x = _layer_rows(rng, dtype)
    r, m = x.shape
    g = rng.standard_normal(x.shape).astype(dtype)
    gamma = rng.standard_normal(m).astype(dtype)
    yield (x, g, x.mean(axis=1, dtype=np.float64), x.var(axis=1, dtype=np.float64), gamma, 1e-5, np.empty_like(x),
           np.zeros(m), np.zeros(m)), {}


@fast_variant_of(layer_norm_reference, example=_layer_forward_example, nogil=True, fastmath={"reassoc", "contract"},
                 helpers=(_row_moments,), call=_layer_forward_call, rtol={"float32": 1e-2, "float64": 1e-9}, why=_WHY)
def _layer_forward(x, gamma, beta, eps, y, mean, var):
    r_, m = x.shape
    for i in range(r_):
        row = x[i]
        mu, v = _row_moments(row, m)
        r = 1.0 / np.sqrt(v + eps)
        out = y[i]
        for j in range(m):
            out[j] = (row[j] - mu) * r * gamma[j] + beta[j]
        mean[i] = mu
        var[i] = v


@fast_variant_of(layer_norm_grad, example=_layer_backward_example, nogil=True, fastmath={"reassoc", "contract"},
                 call=_layer_backward_call, rtol={"float32": 1e-2, "float64": 1e-9}, why=_WHY)
def _layer_backward(x, g, mean, var, gamma, eps, dx, dgamma, dbeta):
    r_, m = x.shape
    for i in range(r_):
        row = x[i]
        grow = g[i]
        mu = mean[i]
        r = 1.0 / np.sqrt(var[i] + eps)
        a1 = 0.0
        a2 = 0.0
        for j in range(m):
            xh = (row[j] - mu) * r
            gj = grow[j]
            h = gj * gamma[j]
            a1 += h
            a2 += h * xh
            dgamma[j] += gj * xh
            dbeta[j] += gj
        c1 = a1 / m
        c2 = a2 / m
        out = dx[i]
        for j in range(m):
            out[j] = r * (grow[j] * gamma[j] - c1 - (row[j] - mu) * r * c2)
