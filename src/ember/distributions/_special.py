"""Gamma sampling with an implicit reparameterisation gradient, for Gamma, Beta and Dirichlet; the special functions
the distributions use (erf, erfinv, lgamma, digamma, polygamma) are ember's (``autograd/ops/special.py``).
"""
from __future__ import annotations

import numpy as np

from ember._random import _gen
from ember.autograd.function import Op
from ember.autograd.ops import special as _ops

erf, erfinv, lgamma, digamma, polygamma = _ops.erf, _ops.erfinv, _ops.lgamma, _ops.digamma, _ops.polygamma
_lgamma = _ops.lgamma_array


# ---- Gamma samples with an implicit reparameterisation gradient --------------------------------------------------
def _gammainc_array(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """P(a, x) = γ(a, x)/Γ(a), regularized lower incomplete gamma: series for x < a + 1, else continued fraction."""
    a, x = np.broadcast_arrays(a.astype(np.float64), x.astype(np.float64))
    out = np.empty_like(a)
    log_front = a * np.log(np.maximum(x, 1e-300)) - x - _lgamma(a)
    ser = x < a + 1
    # series: e^(−x)·x^a/Γ(a + 1) · Σ x^k / ((a + 1)…(a + k))
    term = np.ones_like(a) / a
    total = term.copy()
    ap = a.copy()
    for _ in range(500):
        ap = ap + 1
        term = term * x / ap
        total = total + term
        if np.all(np.abs(term[ser]) <= np.abs(total[ser]) * 1e-16):
            break
    out[ser] = (total * np.exp(log_front))[ser]
    # continued fraction (Lentz) for Q = 1 − P
    b = x + 1 - a
    c = np.full_like(a, 1e300)
    d = 1 / np.where(b == 0, 1e-300, b)
    h = d.copy()
    for i in range(1, 500):
        an = -i * (i - a)
        b = b + 2
        d = an * d + b
        d = 1 / np.where(np.abs(d) < 1e-300, 1e-300, d)
        c = b + an / np.where(np.abs(c) < 1e-300, 1e-300, c)
        delta = c * d
        h = h * delta
        if np.all(np.abs(delta[~ser] - 1) <= 1e-16):
            break
    out[~ser] = (1 - np.exp(log_front) * h)[~ser]
    return out


def standard_gamma_grad(alpha: np.ndarray, z: np.ndarray) -> np.ndarray:
    """dz/dα of z ~ Gamma(α, 1) at fixed CDF value (implicit reparameterisation, Figurnov et al., NeurIPS 2018,
    https://arxiv.org/abs/1805.08498): dz/dα = −(∂P(α, z)/∂α) / p(z; α), ∂P/∂α by a central difference."""
    alpha, z = alpha.astype(np.float64), z.astype(np.float64)
    h = 1e-5 * np.maximum(alpha, 1e-3)
    dP = (_gammainc_array(alpha + h, z) - _gammainc_array(alpha - h, z)) / (2 * h)
    log_density = (alpha - 1) * np.log(z) - z - _lgamma(alpha)
    return -dP / np.exp(log_density)


class StandardGamma(Op):
    """z ~ Gamma(α, 1), drawn by NumPy; backward g·dz/dα (``standard_gamma_grad``), as torch's _standard_gamma.

    Its gradient is a first-order formula only (as torch's, whose _standard_gamma_grad has no derivative):
    create_graph raises.
    """

    once_differentiable = True

    @staticmethod
    def forward(ctx, a, generator=None):
        z = _gen(generator).standard_gamma(a).astype(a.dtype)
        z = np.maximum(z, np.finfo(a.dtype).tiny)
        ctx.dz = standard_gamma_grad(a, z).astype(a.dtype)
        return z

    @staticmethod
    def backward(ctx, g):
        return g * ctx.dz


def standard_gamma(alpha):
    return StandardGamma.apply(alpha)
