"""Private erf / erfinv for Normal.cdf and Normal.icdf — to be replaced by ember.erf / ember.erfinv when part C
of issue #18 (autograd/ops/special.py) is merged.

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
