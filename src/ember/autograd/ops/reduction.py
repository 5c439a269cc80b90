"""Reductions over dimensions: sum, mean, var/std, max/min (with indices), prod, norm, logsumexp."""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ... import _dtype, _errors
from ..._grad_mode import is_grad_enabled
from ...tensor import Tensor, _wrap
from ..function import Op
from ._util import dims, not_implemented
from ._xp import cj, xp_of
from .indexing import along, scatter_to

class values_indices(namedtuple("values_indices", ["values", "indices"])):
    """(values, indices) of max/min along a dim; prints like torch's ``torch.return_types.max``."""

    __slots__ = ()
    _name = "max"

    def __repr__(self):
        return f"ember.return_types.{self._name}(\nvalues={self.values!r},\nindices={self.indices!r})"


class _max_result(values_indices):
    __slots__ = ()
    _name = "max"


class _min_result(values_indices):
    __slots__ = ()
    _name = "min"


def _expand_back(g, shape, axes, keepdim):
    """Re-insert reduced axes into ``g`` so that it broadcasts against the input of shape ``shape``."""
    xp = xp_of(g)
    if axes is None:
        return xp.reshape(g, (1,) * len(shape))
    if not keepdim:
        g = xp.expand_dims(g, axes)
    return g


class Sum(Op):
    @staticmethod
    def forward(ctx, a, *, axes, keepdim, dtype):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        return np.asarray(a.sum(axis=axes, keepdims=keepdim, dtype=dtype))

    @staticmethod
    def backward(ctx, g):
        return xp_of(g).broadcast_to(_expand_back(g, ctx.shape, ctx.axes, ctx.keepdim), ctx.shape)


class Mean(Op):
    @staticmethod
    def forward(ctx, a, *, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        n = a.size if axes is None else int(np.prod([a.shape[i] for i in axes]))
        ctx.n = n
        return np.asarray(a.mean(axis=axes, keepdims=keepdim) if a.size else a.sum(axis=axes, keepdims=keepdim) / 0)

    @staticmethod
    def backward(ctx, g):
        n = ctx.n or 1  # n = 0 only for an empty input, whose gradient is empty anyway
        return xp_of(g).broadcast_to(_expand_back(g, ctx.shape, ctx.axes, ctx.keepdim) / n, ctx.shape)


class Var(Op):
    """var = Σ(x − x̄)² / (N − correction); d var/dx = 2(x − x̄)/(N − correction).

    With no degrees of freedom left (N ≤ correction) in a full reduction (dim=None or a 0-d input), the
    derivative is torch's limit instead: +inf, or nan where x = x̄ (inf · 0), times the incoming gradient.
    """

    @staticmethod
    def forward(ctx, a, *, axes, keepdim, correction):
        mean = a.mean(axis=axes, keepdims=True) if a.size else a.sum(axis=axes, keepdims=True) / 0
        d = a - mean
        n = a.size if axes is None else int(np.prod([a.shape[i] for i in axes]))
        denom = n - correction if n > correction else 0  # (this module shadows max)
        ctx.a, ctx.axes, ctx.keepdim, ctx.shape = a, axes, keepdim, a.shape
        ctx.denom = n - correction  # the gradient's, not clamped at 0 (torch's: finite when correction > n)
        ctx.no_dof = _no_dof_derivative(d) if (axes is None or a.ndim == 0) and n <= correction else None
        return np.asarray((d * d).sum(axis=axes, keepdims=keepdim) / a.dtype.type(denom))

    @staticmethod
    def backward(ctx, g):
        a, xp = ctx.a, xp_of(g)
        if not a.size:  # an empty input: an empty gradient (NumPy would warn on the mean of nothing)
            return xp.zeros_like(a)
        d = a - xp.mean(a, axis=ctx.axes, keepdims=True)  # recomputed: x − x̄ is not saved (it depends on x)
        g = _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim)
        if ctx.no_dof is not None:
            return g * ctx.no_dof
        return g * (2 / ctx.denom if ctx.denom else float("inf")) * d


def _no_dof_derivative(d):
    """d var/dx of a full reduction with N ≤ correction, as torch defines it: nan where x − x̄ = 0, else +inf."""
    return np.where(d == 0, np.nan, np.inf).astype(d.dtype)


class Prod(Op):
    """out = Π aᵢ over ``axis`` (all elements when None);  ∂out/∂aⱼ = Π_{i≠j} aᵢ. As torch: out/aⱼ when no element
    of the input is 0 (so NaN at an infinite aⱼ), else the product of the elements before j times the product of
    those after it (exact with zeros: one zero gets the product of the others, several zeros give 0 everywhere)."""

    @staticmethod
    def forward(ctx, a, *, axis, keepdim):
        out = np.asarray(a.prod(axis=axis, keepdims=keepdim))
        ctx.a, ctx.axis, ctx.keepdim, ctx.out = a, axis, keepdim, out
        return out

    @staticmethod
    def backward(ctx, g):
        a, axis, xp = ctx.a, ctx.axis, xp_of(g)
        shape = tuple(a.shape)
        axes = None if axis is None else (axis,)
        g = _expand_back(g, shape, axes, ctx.keepdim)
        flat = xp.reshape(a, (-1,)) if axis is None else xp.moveaxis(a, axis, -1)
        if flat.shape[-1] == 0:
            return xp.zeros_like(a)
        if not bool((a == 0).any()):
            return g * cj(_expand_back(ctx.out, shape, axes, ctx.keepdim) / a)
        one = xp.ones_like(flat[..., :1])
        left = xp.cumprod(xp.concatenate([one, flat[..., :-1]], -1), -1)  # Π_{i<j} aᵢ
        right = xp.flip(xp.cumprod(xp.concatenate([one, xp.flip(flat, -1)[..., :-1]], -1), -1), -1)  # Π_{i>j} aᵢ
        others = left * right
        others = xp.reshape(others, shape) if axis is None else xp.moveaxis(others, -1, axis)
        return g * cj(others)


class MaxMinDim(Op):
    """Values of max/min along one dim; the gradient goes to the selected index."""

    @staticmethod
    def forward(ctx, a, *, axis, keepdim, largest):
        idx = (np.argmax if largest else np.argmin)(a, axis=axis)
        idx_k = np.expand_dims(idx, axis)
        vals = np.take_along_axis(a, idx_k, axis)
        ctx.idx, ctx.axis, ctx.shape, ctx.keepdim = idx_k, axis, a.shape, keepdim
        ctx.indices = idx_k if keepdim else idx
        return vals if keepdim else np.squeeze(vals, axis)

    @staticmethod
    def backward(ctx, g):
        if not ctx.keepdim:
            g = xp_of(g).expand_dims(g, ctx.axis)
        return scatter_to(ctx.shape, along(ctx.axis, ctx.idx), g, basic=False)  # (one index per row: no sums)


class AMaxMin(Op):
    """amax/amin (and max()/min() with no dim): ties share the gradient evenly, as torch. At a NaN result torch's
    max()/min() (``whole=True``) give the gradient to the NaN elements; its amax/amin find no element equal to the
    result and give NaN everywhere (0/0)."""

    @staticmethod
    def forward(ctx, a, *, axes, keepdim, largest, whole=False):
        out = np.asarray((np.amax if largest else np.amin)(a, axis=axes, keepdims=keepdim))
        ctx.a, ctx.out, ctx.axes, ctx.keepdim, ctx.whole = a, out, axes, keepdim, whole
        return out

    @staticmethod
    def backward(ctx, g):
        a = ctx.a
        out = _expand_back(ctx.out, a.shape, ctx.axes, ctx.keepdim)
        g = _expand_back(g, a.shape, ctx.axes, ctx.keepdim)
        mask = a == out
        if ctx.whole:
            mask = mask | ((a != a) & (out != out))
        count = xp_of(g).sum(mask, axis=ctx.axes, keepdims=True)
        return g * mask / count


class LogSumExp(Op):
    """log Σ exp(x), stabilised by the max: m + log Σ exp(x − m); gradient softmax(x) = exp(x − logsumexp(x))."""

    @staticmethod
    def forward(ctx, a, *, axes, keepdim):
        m = np.amax(a, axis=axes, keepdims=True) if a.size else a.sum(axis=axes, keepdims=True)  # (empty: no max)
        m = np.where(np.isfinite(m), m, 0)
        e = np.exp(a - m)
        s = e.sum(axis=axes, keepdims=True)
        out = np.log(s) + m
        out = out if keepdim else np.squeeze(out, axis=axes)
        ctx.a, ctx.out, ctx.axes, ctx.keepdim, ctx.shape = a, out, axes, keepdim, a.shape
        return out

    @staticmethod
    def backward(ctx, g):
        soft = xp_of(g).exp(ctx.a - _expand_back(ctx.out, ctx.shape, ctx.axes, ctx.keepdim))
        return _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim) * soft


# ---- the functions (torch names) ------------------------------------------------------
def _no_grad_dtype(x, dtype):
    """torch refuses a differentiable reduction into an integer dtype."""

    if dtype is not None and x.requires_grad and _dtype.np_dtype(dtype).kind not in "fc" and is_grad_enabled():
        raise RuntimeError(f"Autograd not support dtype: {_dtype.scalar_name(dtype)}")


def _reduce_dtype(x, dtype):
    if dtype is not None:
        _no_grad_dtype(x, dtype)
        return _dtype.np_dtype(dtype)
    if x._data.dtype.kind in "biu":
        return np.dtype(np.int64)
    return None


def sum(x, dim=None, keepdim=False, *, dtype=None):
    axes = dims(dim, x._data.ndim)
    if axes == () and dim is not None and isinstance(dim, (list, tuple)) and len(dim) == 0:
        axes = None
    return Sum.apply(x, axes=axes, keepdim=keepdim, dtype=_reduce_dtype(x, dtype))


def mean(x, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None and _dtype.np_dtype(dtype).kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Optional dtype must be either a floating point or complex dtype. "
            f"Got: {_dtype.scalar_name(dtype)}"
        )
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
            f"Got: {_dtype.scalar_name(x.dtype)}"
        )
    return Mean.apply(x, axes=dims(dim, x._data.ndim), keepdim=keepdim)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):
        unbiased, dim = dim, None
    if x._data.dtype.kind == "c":  # Σ|z − z̄|²/(N − c): the variances of the two parts add (a real result, as torch)
        return var(x.real, dim, unbiased, keepdim, correction=correction) + \
            var(x.imag, dim, unbiased, keepdim, correction=correction)
    if x._data.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    wide = accumulation_dtype(x._data.dtype)
    if wide is not None:  # as torch's CPU kernel: Σ(x − x̄)² in the wider dtype, the result rounded
        return var(x.to(wide), dim, unbiased, keepdim, correction=correction).to(x.dtype)
    return Var.apply(x, axes=dims(dim, x._data.ndim), keepdim=keepdim, correction=_correction(unbiased, correction))


def accumulation_dtype(dtype: np.dtype):
    """The wider dtype torch's CPU reductions var, std, cumsum and cumprod accumulate a float32 (float64) or float16
    (float32) input in, or None (float64): so that, as in torch, the std of [1e30, −1e30] is finite in float32."""
    return {"f": np.float64, "e": np.float32}.get(dtype.char)


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    wide = accumulation_dtype(x._data.dtype) if x._data.dtype.kind == "f" else None
    if wide is not None:  # the root of the wide variance, rounded once (as torch)
        return std(x.to(wide), dim, unbiased, keepdim, correction=correction).to(x.dtype)
    return _safe_sqrt(var(x, dim, unbiased, keepdim, correction=correction))  # torch's gradient is 0 where std = 0


def var_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(x, dim, unbiased, keepdim, correction=correction), mean(x, dim, keepdim)


def std_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(x, dim, unbiased, keepdim, correction=correction), mean(x, dim, keepdim)


def prod(x, dim=None, keepdim=False, *, dtype=None):
    axis = None if dim is None or not dims(dim, x._data.ndim) else dims(dim, x._data.ndim)[0]  # (0-d: no axis)
    _no_grad_dtype(x, dtype)
    if dtype is not None:
        x = x.to(dtype)
    elif x._data.dtype.kind in "biu":  # torch multiplies bool and integers in int64
        x = x._cast(np.dtype(np.int64))
    return Prod.apply(x, axis=axis, keepdim=keepdim)


def _no_dim_for_empty(name, suffix=" Specify the reduction dim with the 'dim' argument."):
    """torch's error for a full reduction with no identity (max, amax, argmax...) of an empty tensor."""
    cls = IndexError if name.startswith("arg") else RuntimeError
    return cls(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.{suffix}")


def _empty_dim(name, dim):
    return IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")


def _maxmin(x, dim, keepdim, largest, name):
    if isinstance(dim, Tensor):  # max(a, b) is the elementwise maximum
        from .elementwise import maximum, minimum

        return (maximum if largest else minimum)(x, dim)
    complex_input = x._data.dtype.kind == "c"  # (refused after the checks of dim and size, as torch orders them)
    if dim is None:
        if x._data.size == 0:
            raise _no_dim_for_empty(name)
        if complex_input:
            raise not_implemented(f"{name}_all", x._data.dtype)
        return AMaxMin.apply(x, axes=None, keepdim=False, largest=largest, whole=True)
    axis = dims(dim, x._data.ndim)
    if x._data.ndim == 0 and not complex_input:
        return (_max_result if largest else _min_result)(x.clone(), _wrap(np.asarray(0, dtype=np.int64)))
    if x._data.ndim and x._data.shape[axis[0]] == 0:
        raise _empty_dim(name, axis[0])
    if complex_input:
        raise RuntimeError(f"{name}(): does not support complex input")
    vals = MaxMinDim.apply(x, axis=axis[0], keepdim=keepdim, largest=largest)
    idx = (np.argmax if largest else np.argmin)(x._data, axis=axis[0])
    if keepdim:
        idx = np.expand_dims(idx, axis[0])
    return (_max_result if largest else _min_result)(vals, _wrap(idx.astype(np.int64)))


def max(x, dim=None, keepdim=False):
    return _maxmin(x, dim, keepdim, True, "max")


def min(x, dim=None, keepdim=False):
    return _maxmin(x, dim, keepdim, False, "min")


def _amaxmin(x, dim, keepdim, largest, name):
    axes = None if dim is None or isinstance(dim, (tuple, list)) and not len(dim) else dims(dim, x._data.ndim)
    if x._data.size == 0:
        if axes is None:
            raise _no_dim_for_empty(name)
        for d, a in zip(dim if isinstance(dim, (tuple, list)) else (dim,), axes):
            if x._data.shape[a] == 0:
                raise _empty_dim(name, a if isinstance(dim, (tuple, list)) else d)
    if x._data.dtype.kind == "c":
        if x._data.size:
            raise not_implemented(f"{'max' if largest else 'min'}_values_cpu", x._data.dtype)
        if x.requires_grad and is_grad_enabled():  # (an empty result runs no kernel: torch's autograd check decides)
            raise RuntimeError(f"{name} does not support automatic differentiation for outputs with complex dtype.")
        return _wrap(np.amax(x._data, axis=axes, keepdims=keepdim))  # (empty)
    return AMaxMin.apply(x, axes=axes, keepdim=keepdim, largest=largest)


def amax(x, dim=(), keepdim=False):
    return _amaxmin(x, dim, keepdim, True, "amax")


def amin(x, dim=(), keepdim=False):
    return _amaxmin(x, dim, keepdim, False, "amin")


def _arg(fn, x, dim, keepdim):
    if x._data.dtype.kind in "bc":
        raise RuntimeError(f"{fn.__name__}(): does not support {'bool' if x._data.dtype.kind == 'b' else 'complex'} "
                           "input")
    if x._data.size == 0:
        if dim is None:
            raise _no_dim_for_empty(fn.__name__, suffix="")
        if x._data.ndim and x._data.shape[dims(dim, x._data.ndim)[0]] == 0:
            raise _empty_dim(fn.__name__, dims(dim, x._data.ndim)[0])
    if dim is None:
        out = fn(x._data.reshape(-1))
        return _wrap(np.asarray(out, dtype=np.int64).reshape((1,) * x._data.ndim if keepdim else ()))
    axes = dims(dim, x._data.ndim)  # (checks dim for a 0-d tensor too)
    axis = axes[0] if x._data.ndim else None
    out = fn(x._data, axis=axis)
    if keepdim and axis is not None:
        out = np.expand_dims(out, axis)
    return _wrap(np.asarray(out, dtype=np.int64))


def argmax(x, dim=None, keepdim=False):
    return _arg(np.argmax, x, dim, keepdim)


def argmin(x, dim=None, keepdim=False):
    return _arg(np.argmin, x, dim, keepdim)


def logsumexp(x, dim, keepdim=False):
    if x._data.dtype.kind != "f":
        x = x._cast(_dtype.get_default_dtype().np)
    return LogSumExp.apply(x, axes=dims(dim, x._data.ndim), keepdim=keepdim)


def norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector p-norm over ``dim`` (all elements by default): (Σ|x|ᵖ)^(1/p); p = inf/−inf give max/min |x|."""
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind == "c":  # the norm of |z| (a real result, as torch)
        x = x.abs()
    if x._data.dtype.kind != "f":
        raise _errors.vector_norm_needs_float(_dtype.scalar_name(x.dtype))
    if p == "fro" or p == 2 or p is None:
        s = (x * x).sum(dim, keepdim)
        return _safe_sqrt(s)
    if p == float("inf"):
        return amax(x.abs(), dim if dim is not None else (), keepdim)
    if p == float("-inf"):
        return amin(x.abs(), dim if dim is not None else (), keepdim)
    if p == 0:
        return (x != 0).sum(dim, keepdim).to(x.dtype)
    if p == 1:
        return x.abs().sum(dim, keepdim)
    return (x.abs() ** p).sum(dim, keepdim) ** (1.0 / p)


class _SafeSqrt(Op):
    """√s whose derivative at s = 0 is 0 (the subgradient torch uses for the 2-norm of a zero vector)."""

    @staticmethod
    def forward(ctx, s):
        ctx.out = np.sqrt(s)
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        out = ctx.out
        return xp_of(g).where(out == 0, 0, g / (2 * out))


def _safe_sqrt(s):
    return _SafeSqrt.apply(s)


def cumsum(x, dim, *, dtype=None):
    _no_grad_dtype(x, dtype)
    if dtype is not None:
        x = x.to(dtype)
    if x._data.ndim == 0:
        dims(dim, 0)
        return _CumSum.apply(x.reshape(1), axis=0).reshape(())
    wide = accumulation_dtype(x._data.dtype)
    if wide is not None:
        return _CumSum.apply(x.to(wide), axis=dims(dim, x._data.ndim)[0]).to(x.dtype)
    return _CumSum.apply(x, axis=dims(dim, x._data.ndim)[0])


class _CumSum(Op):
    @staticmethod
    def forward(ctx, a, *, axis):
        ctx.axis = axis
        return np.cumsum(a, axis=axis, dtype=np.int64 if a.dtype.kind in "biu" else None)

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        return xp.flip(xp.cumsum(xp.flip(g, ctx.axis), axis=ctx.axis), ctx.axis)


def all(x, dim=None, keepdim=False):
    return _logical_reduction(np.all, x, dim, keepdim)


def any(x, dim=None, keepdim=False):
    return _logical_reduction(np.any, x, dim, keepdim)


def _logical_reduction(fn, x, dim, keepdim):
    """all/any: bool, except that torch keeps uint8 for a uint8 input (its legacy byte masks)."""
    out = np.asarray(fn(x._data, axis=None if dim is None else dims(dim, x._data.ndim), keepdims=keepdim))
    return _wrap(out.astype(np.uint8) if x._data.dtype == np.uint8 else out)


def count_nonzero(x, dim=None):
    return _wrap(np.asarray(np.count_nonzero(x._data, axis=None if dim is None else dims(dim, x._data.ndim)), dtype=np.int64))


# ---- NaN-ignoring reductions and aminmax (issue #18), composed of the ops above --------------------------
def _without_nan(x):
    from .elementwise import where

    if x._data.dtype.kind != "f":
        return x, None
    nan = np.isnan(x._data)
    return where(_wrap(nan), 0.0, x), nan


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """The sum with NaN counted as zero (the gradient is 0 at the NaNs)."""
    return sum(_without_nan(input)[0], dim, keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """The mean of the non-NaN values."""
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{_dtype.scalar_name(input._data.dtype)}")
    x, nan = _without_nan(input)
    axes = None if dim is None else dims(dim, x._data.ndim)
    count = np.sum(~nan, axis=axes, keepdims=keepdim)
    return sum(x, dim, keepdim, dtype=dtype) / _wrap(np.asarray(count, dtype=x._data.dtype))


class _aminmax_result(namedtuple("aminmax", ["min", "max"])):
    __slots__ = ()

    def __repr__(self):
        return f"ember.return_types.aminmax(\nmin={self.min!r},\nmax={self.max!r})"


def aminmax(input, *, dim=None, keepdim=False):
    """(amin, amax) over ``dim`` (all elements when None)."""
    if dim is None:
        if input._data.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                               "identity.")
        return _aminmax_result(amin(input, (), keepdim), amax(input, (), keepdim))
    return _aminmax_result(amin(input, dim, keepdim), amax(input, dim, keepdim))


def renorm(input, p, dim, maxnorm):
    """Each slice along ``dim`` whose p-norm exceeds maxnorm scaled to norm maxnorm: x · maxnorm/(‖x‖ₚ + 1e-7)."""
    from .elementwise import where

    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    axis = dims(dim, input._data.ndim)[0]
    others = tuple(d for d in range(input._data.ndim) if d != axis)
    n = norm(input, p, others, keepdim=True)
    big = _wrap(n._data > maxnorm)
    return input * where(big, maxnorm / (n + 1e-7), 1.0)


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance of the variables in the rows of ``input`` (observations in the columns):
    C = (X − x̄)·diag(w)·(X − x̄)ᵀ / (Σw − correction·Σ(w·a)/Σw), w = fweights·aweights (x̄ weighted by w)."""
    x = input.reshape(1, -1) if input._data.ndim < 2 else input
    if input._data.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input._data.ndim} dimensions")
    if x._data.dtype.kind != "f":
        x = x._cast(_dtype.get_default_dtype().np)
    n_obs = x._data.shape[1]
    w = None
    if fweights is not None:
        w = fweights._cast(x._data.dtype)
    if aweights is not None:
        w = aweights if w is None else w * aweights
    if w is None:
        avg = x.mean(1, keepdim=True)
        w_sum = float(n_obs)
        factor = w_sum - correction
        xc = x - avg
        c = (xc @ xc.t()) / (factor if factor > 0 else 0.0)
    else:
        w_sum = w.sum()
        avg = (x * w).sum(1, keepdim=True) / w_sum
        factor = w_sum - correction * ((w * aweights).sum() / w_sum) if aweights is not None else w_sum - correction
        xc = x - avg
        c = ((xc * w) @ xc.t()) / factor.clamp(min=0)
    return c.reshape(()) if input._data.ndim < 2 else c


def corrcoef(input):
    """Pearson correlation coefficients of the rows: C_ij / √(C_ii·C_jj), clipped to [−1, 1]."""
    c = cov(input)
    if c._data.ndim == 0:
        return c / c
    d = c.diagonal() if hasattr(c, "diagonal") else None
    s = d.sqrt()
    return (c / s.reshape(-1, 1) / s.reshape(1, -1)).clamp(-1, 1)
