"""Private erf / erfinv / lgamma / digamma / polygamma for the distributions — to be replaced by ember.erf,
ember.erfinv, ember.lgamma, ember.digamma, ember.polygamma when part C of issue #18 (autograd/ops/special.py) is
merged.

lgamma(x) = log|Γ(x)|               d/dx = ψ(x) = polygamma(0, x)
polygamma(n, x) = dⁿ⁺¹/dxⁿ⁺¹ log Γ(x)  d/dx = polygamma(n + 1, x)
polygamma: shift x up with ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) − (−1)ⁿ·n!/xⁿ⁺¹ until x ≥ 20, then the asymptotic series
(Abramowitz & Stegun 6.3.18, 6.4.11); for x > 0 (the distributions' parameters), float64-accurate.

erf(x) = 2/√π ∫₀ˣ e^(−t²) dt      d/dx = 2/√π · e^(−x²)
erfinv(y) = x with erf(x) = y     d/dy = √π/2 · e^(erfinv(y)²)
Forward: Python's math.erf per element (exact in float64); erfinv by Newton steps on it. Each backward is
written with operators and ``xp.exp`` on the saved input/output, so it serves both orders.
"""
from __future__ import annotations

import math

import numpy as np

from ember.autograd.function import Op
from ember.autograd.ops._xp import xp_of

_erf = np.vectorize(math.erf, otypes=[np.float64])


class Erf(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return _erf(a).astype(a.dtype)

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        return g * (2 / math.sqrt(math.pi)) * xp.exp(-(ctx.a * ctx.a))


def _erfinv_array(y: np.ndarray) -> np.ndarray:
    y64 = y.astype(np.float64)
    # start: Giles' single-precision approximation's first term, then Newton on erf(x) − y
    w = -np.log(np.clip((1 - y64) * (1 + y64), 1e-300, None))
    x = np.sign(y64) * np.sqrt(np.maximum(w, 0)) * 0.9
    x = np.where(np.abs(y64) < 0.9, y64 * math.sqrt(math.pi) / 2, x)
    for _ in range(60):
        step = (_erf(x) - y64) / (2 / math.sqrt(math.pi) * np.exp(-x * x))
        x = x - step
        if np.all(np.abs(step) <= 1e-15 * np.maximum(1, np.abs(x))):
            break
    x = np.where(y64 == 1, np.inf, np.where(y64 == -1, -np.inf, x))
    return np.where(np.abs(y64) > 1, np.nan, x).astype(y.dtype)


class Erfinv(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.out = _erfinv_array(a)
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        return g * (math.sqrt(math.pi) / 2) * xp.exp(ctx.out * ctx.out)


def erf(x):
    return Erf.apply(x)


def erfinv(x):
    return Erfinv.apply(x)


_lgamma = np.vectorize(math.lgamma, otypes=[np.float64])
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)  # B₂, B₄, …, B₁₆


def _polygamma_array(n: int, x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    acc = np.zeros_like(x)
    sign = -1.0 if n % 2 == 0 else 1.0  # (−1)ⁿ⁺¹
    fact_n = math.factorial(n)
    while True:  # ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) + (−1)ⁿ⁺¹·n!/xⁿ⁺¹
        small = x < 20
        if not small.any():
            break
        acc = acc + np.where(small, sign * fact_n / np.where(small, x, 1.0) ** (n + 1), 0.0)
        x = np.where(small, x + 1, x)
    if n == 0:
        series = np.log(x) - 1 / (2 * x)
        for k, b in enumerate(_BERNOULLI, start=1):
            series = series - b / (2 * k * x ** (2 * k))
        return series + acc
    series = math.factorial(n - 1) / x**n + fact_n / (2 * x ** (n + 1))
    for k, b in enumerate(_BERNOULLI, start=1):
        series = series + b * math.factorial(2 * k + n - 1) / (math.factorial(2 * k) * x ** (2 * k + n))
    return sign * series + acc


class Lgamma(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return _lgamma(a).astype(a.dtype)

    @staticmethod
    def backward(ctx, g):
        return g * polygamma(0, ctx.a)


class Polygamma(Op):
    @staticmethod
    def forward(ctx, a, n=0):
        ctx.a, ctx.n = a, n
        return _polygamma_array(n, a).astype(a.dtype)

    @staticmethod
    def backward(ctx, g):
        return g * polygamma(ctx.n + 1, ctx.a)


def lgamma(x):
    return Lgamma.apply(x)


def polygamma(n, x):
    """ψ⁽ⁿ⁾(x) of a Tensor (a NumPy array under the engine's first-order backward)."""
    if isinstance(x, np.ndarray):
        return _polygamma_array(n, x).astype(x.dtype)
    return Polygamma.apply(x, n=n)


def digamma(x):
    return polygamma(0, x)


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
        from ember._random import _gen

        z = _gen(generator).standard_gamma(a).astype(a.dtype)
        z = np.maximum(z, np.finfo(a.dtype).tiny)
        ctx.dz = standard_gamma_grad(a, z).astype(a.dtype)
        return z

    @staticmethod
    def backward(ctx, g):
        return g * ctx.dz


def standard_gamma(alpha):
    return StandardGamma.apply(alpha)
