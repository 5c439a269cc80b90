"""Optional numba kernels of instance normalisation (the ``fast`` extra); normalization.py's ``InstanceNorm`` states
the op in NumPy (the reference path) and the tests check that both agree.

One row is one (sample, channel) pair, its M spatial values contiguous; a row fits in L1, so each kernel reads
memory once however many times it walks the row:

    forward   μ = Σx/M, σ² = Σ(x − μ)²/M (two passes over the row, no E[x²] − μ² cancellation),
              r = 1/√(σ² + ε), y = x·(γ·r) + (β − μ·γ·r)
    backward  S₁ = Σg, S₂ = Σ g·x̂ (x̂ = (x − μ)·r), dx = γ·r·(g − S₁/M − x̂·S₂/M); dγ = Σₙ S₂, dβ = Σₙ S₁ are
              summed by the caller from the per-row S₁, S₂

Arrays are passed as C-contiguous (P, Q, M) memory: (C, N, M) when ``cm`` (channel-major, as conv outputs are
stored) else (N, C, M); input and gradient may differ, the output and dx take the input's. Sums are float64 (``fastmath`` only reassociates them, so
that they vectorize; NaN and inf propagate as in NumPy). The kernels run on the calling thread (see
``autograd/ops/_conv_kernels.py`` for why ember's kernels are single-threaded). Off with the rest of ember's
kernels (EMBER_DISABLE_NUMBA=1, ``ember._numba.set_enabled(False)``).
"""
from __future__ import annotations

import numpy as np

from ..._numba import module as _numba_module

_COMPILED: list = []


def instance_norm_kernels():
    """(forward, backward) compiled, or None (no numba, or the kernels are disabled)."""
    numba = _numba_module()
    if numba is None:
        return None
    if not _COMPILED:
        jit = numba.njit(nogil=True, cache=True, fastmath={"reassoc", "contract"})
        _COMPILED.extend((jit(_forward), jit(_backward)))
    return tuple(_COMPILED)


def _forward(x, cm, gamma, beta, eps, y, mean, var):
    p_, q_, m = x.shape
    for p in range(p_):
        for q in range(q_):
            n, c = (q, p) if cm else (p, q)
            row = x[p, q]
            s = 0.0
            for j in range(m):
                s += row[j]
            mu = s / m
            v = 0.0
            for j in range(m):
                d = row[j] - mu
                v += d * d
            v /= m
            a = gamma[c] / np.sqrt(v + eps)
            b = beta[c] - mu * a
            out = y[p, q]
            for j in range(m):
                out[j] = row[j] * a + b
            mean[n, c] = mu
            var[n, c] = v


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
