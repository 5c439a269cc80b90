"""Neural-network primitives: softmax / log_softmax (stable), dropout, and the activation functions."""
from __future__ import annotations

import functools
import math

import numpy as np

from ... import _errors
from ..function import Op
from . import _softmax_kernels
from ._xp import masked, xp_of


@functools.cache
def _erf():
    """The exact erf for GELU: SciPy's when installed (imported on first use: importing SciPy takes longer than
    importing ember), else ember.special's float64 series (slower, as exact)."""
    try:
        from scipy.special import erf
    except ImportError:  # pragma: no cover - exercised only without scipy
        from .special import erf_array as erf
    return erf


def _sigmoid(xp, a):
    """σ(a) = 1/(1 + e^(−a)) without overflow: e^(−|a|)/(1 + e^(−|a|)) for a < 0."""
    e = xp.exp(-abs(a))
    return xp.where(a >= 0, 1 / (1 + e), e / (1 + e))


class Softmax(Op):
    """softmax(x)ᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m), m = max x; backward s·(g − Σ g·s)."""

    @staticmethod
    def forward(ctx, a, *, axis):
        ctx.axis = axis
        if _rows(a, axis):  # (the last axis of contiguous rows: _softmax_kernels.py)
            ctx.out = _softmax_kernels.softmax_rows(a)
            return ctx.out
        m = a.max(axis=axis, keepdims=True) if a.size else a.sum(axis=axis, keepdims=True)  # (empty: no max)
        e = np.subtract(a, m)
        np.exp(e, out=e)
        e /= e.sum(axis=axis, keepdims=True)
        ctx.out = e
        return e

    @staticmethod
    def backward(ctx, g):
        s = ctx.out
        if type(g) is np.ndarray and _rows(s, ctx.axis) and g.flags.c_contiguous and g.shape == s.shape:
            return _softmax_kernels.softmax_rows_backward(s, g)
        return s * (g - xp_of(g).sum(g * s, axis=ctx.axis, keepdims=True))


def _rows(a, axis) -> bool:
    """Whether softmax over ``axis`` of ``a`` is softmax over the last axis of C-contiguous, non-empty rows."""
    return a.size > 0 and a.ndim > 0 and axis in (-1, a.ndim - 1) and a.flags.c_contiguous and a.dtype.kind == "f"


class LogSoftmax(Op):
    """log_softmax(x) = x − m − log Σ exp(x − m): no overflow for any finite logits; backward g − softmax·Σg."""

    @staticmethod
    def forward(ctx, a, *, axis):
        m = a.max(axis=axis, keepdims=True) if a.size else a.sum(axis=axis, keepdims=True)  # (empty: no max)
        shifted = a - m
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.out, ctx.axis = out, axis
        return out

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        return g - xp.exp(ctx.out) * xp.sum(g, axis=ctx.axis, keepdims=True)


class MulMask(Op):
    """x · mask for a constant mask (dropout's scaled keep-mask)."""

    @staticmethod
    def forward(ctx, a, *, mask):
        ctx.mask = mask
        return a * mask

    @staticmethod
    def backward(ctx, g):
        return g * ctx.mask


class LeakyRelu(Op):
    @staticmethod
    def forward(ctx, a, *, slope):
        ctx.pos, ctx.slope = a > 0, slope
        return np.where(ctx.pos, a, a * a.dtype.type(slope))

    @staticmethod
    def backward(ctx, g):
        return xp_of(g).where(ctx.pos, g, g * ctx.slope)


class Elu(Op):
    """ELU(x) = x if x > 0 else α(e^(x/s) − 1), s = 1 (Clevert et al. 2015) or s = α for CELU (Barron 2017);
    derivative 1 if x > 0 else (ELU(x) + α)/s (NaN at NaN, as torch's vectorised kernel)."""

    @staticmethod
    def forward(ctx, a, *, alpha, scale=1.0):
        out = np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0) / scale)).astype(a.dtype, copy=False)
        ctx.a, ctx.alpha, ctx.scale, ctx.out = a, alpha, scale, out
        return out

    @staticmethod
    def backward(ctx, g):
        return xp_of(g).where(ctx.a > 0, g, g * ((ctx.out + ctx.alpha) / ctx.scale))


class NormalCdf(Op):
    """Φ(x) = (1 + erf(x/√2))/2, dΦ/dx = φ(x) = e^(−x²/2)/√(2π): GELU's factor, as an op for create_graph."""

    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return _normal_cdf(a)

    @staticmethod
    def backward(ctx, g):
        a = ctx.a
        return g * (xp_of(g).exp(a * a * -0.5) * (1 / math.sqrt(2 * math.pi)))


def _normal_cdf(a):
    return (0.5 * (1 + _erf()(a / math.sqrt(2)))).astype(a.dtype, copy=False)


class Gelu(Op):
    """GELU(x) = x·Φ(x), Φ(x) = (1 + erf(x/√2))/2; approximate='tanh': 0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))."""

    @staticmethod
    def forward(ctx, a, *, tanh):
        ctx.a, ctx.tanh = a, tanh
        if tanh:
            k = math.sqrt(2 / math.pi)
            t = np.tanh(k * (a + 0.044715 * a**3))
            ctx.t = t
            return (0.5 * a * (1 + t)).astype(a.dtype, copy=False)
        cdf = _normal_cdf(a)
        ctx.cdf = cdf
        return (a * cdf).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        """tanh: GELU' = 0.5(1 + t) + 0.5x(1 − t²)·k(1 + 3c·x²); exact: GELU' = Φ(x) + x·φ(x). The saved t and Φ(x)
        depend on x: under create_graph they are computed again, as Tensors."""
        a, xp = ctx.a, xp_of(g)
        if ctx.tanh:
            k = math.sqrt(2 / math.pi)
            t = ctx.t if xp is np else (k * (a + 0.044715 * a**3)).tanh()
            d = 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * k * (1 + 3 * 0.044715 * a * a)
            return g * d
        cdf = ctx.cdf if xp is np else NormalCdf.apply(a)
        pdf = xp.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
        return g * (cdf + a * pdf)


class Silu(Op):
    """SiLU(x) = x·σ(x); derivative σ(x)(1 + x(1 − σ(x)))."""

    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return a * _sigmoid(np, a)

    @staticmethod
    def backward(ctx, g):
        a = ctx.a
        s = _sigmoid(xp_of(g), a)  # recomputed: σ(x) is not saved (it depends on x)
        return g * s * (1 + a * (1 - s))


class Softplus(Op):
    """softplus(x) = log(1 + e^(βx))/β, linear where βx > threshold (as torch)."""

    @staticmethod
    def forward(ctx, a, *, beta, threshold):
        z = a * beta
        ctx.a, ctx.threshold, ctx.beta = a, threshold, beta
        return np.where(z > threshold, a, np.logaddexp(0, z) / beta).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        xp, z = xp_of(g), ctx.a * ctx.beta
        return xp.where(z > ctx.threshold, g, g * _sigmoid(xp, z))


class Hardtanh(Op):
    @staticmethod
    def forward(ctx, a, *, lo, hi):
        ctx.a, ctx.lo, ctx.hi = a, lo, hi
        return np.clip(a, lo, hi).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a = ctx.a
        return masked(g, (a > ctx.lo) & (a < ctx.hi))  # (0 at NaN: torch's vectorised kernel; _fuzz.ALLOWED)


class Hardswish(Op):
    """hardswish(x) = x·relu6(x + 3)/6 (Howard et al. 2019, MobileNetV3); derivative 0 for x < −3, x/3 + 1/2 up to
    x = 3, 1 beyond (NaN at NaN, as torch's vectorised kernel)."""

    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return (a * np.clip(a + 3, 0, 6) / 6).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a, xp = ctx.a, xp_of(g)
        return xp.where(a > 3, g, xp.where(a < -3, 0, g * (a / 3 + 0.5)))


def _axis(dim, ndim, name):
    if dim is None:  # torch's legacy implicit dim choice
        dim = 0 if ndim in (0, 1, 3) else 1
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise _errors.dim_out_of_range(dim, n)
    return dim % n if ndim else None


def _float(x, dtype, axis, name):
    """x in ``dtype``; torch has no integer softmax kernels (its error names the kernel, by the dim's place)."""
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind != "f" and x._data.size:  # (an empty tensor is returned as it is, as torch)
        from ._util import not_implemented

        last = axis is None or axis == x._data.ndim - 1
        raise not_implemented(f"{name}_lastdim_kernel_impl" if last else f"{name}_kernel_impl", x._data.dtype)
    return x


def softmax(x, dim=None, dtype=None):
    axis = _axis(dim, x._data.ndim, "softmax")
    x = _float(x, dtype, axis, "softmax")
    if x._data.dtype == np.float16:  # computed in float32 and rounded, as torch's half kernel (and its backward)
        return Softmax.apply(x.float(), axis=axis).half()
    return Softmax.apply(x, axis=axis) if x._data.dtype.kind == "f" else x.clone()


def log_softmax(x, dim=None, dtype=None):
    axis = _axis(dim, x._data.ndim, "log_softmax")
    x = _float(x, dtype, axis, "log_softmax")
    if x._data.dtype == np.float16:  # (as softmax)
        return LogSoftmax.apply(x.float(), axis=axis).half()
    return LogSoftmax.apply(x, axis=axis) if x._data.dtype.kind == "f" else x.clone()


# ---- torch.* activations (issue #18), composed of Elu and where ----------------------------------------
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def selu(input):
    """SELU(x) = λ·ELU(x; α) with α ≈ 1.6733, λ ≈ 1.0507 (Klambauer et al., "Self-Normalizing Neural Networks",
    NeurIPS 2017, https://arxiv.org/abs/1706.02515)."""
    from ._util import check_float

    check_float("elu_cpu", input)
    return Elu.apply(input, alpha=_SELU_ALPHA) * _SELU_SCALE


def celu(input, alpha=1.0):
    """CELU(x) = max(0, x) + min(0, α(e^(x/α) − 1)) = α·ELU(x/α; 1) (Barron, "Continuously Differentiable
    Exponential Linear Units", 2017, https://arxiv.org/abs/1704.07483)."""
    from ._util import check_float

    check_float("elu_cpu", input)
    if alpha == 0:
        raise _errors.integer_division_by_zero()
    return Elu.apply(input * (1.0 / alpha), alpha=1.0) * alpha


def threshold(input, threshold, value):
    """x where x > threshold, else value."""
    from ...tensor import _wrap
    from .elementwise import where

    return where(_wrap(input._data > threshold), input, value)


def prelu(input, weight):
    """x where x > 0, else a·x, with one slope a per channel (dim 1) or one for all."""
    from ...tensor import _wrap
    from .elementwise import where

    n = weight._data.size
    channels = input._data.shape[1] if input._data.ndim >= 2 else 1
    if n != 1 and n != channels:
        raise _errors.prelu_parameter_count(n, channels)
    w = weight.reshape(-1)
    if n > 1 and input._data.ndim >= 2:
        w = w.reshape(n, *([1] * (input._data.ndim - 2)))
    return where(_wrap(input._data > 0), input, w * input)
