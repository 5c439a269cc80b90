"""Sorting, selection and cumulative ops: sort, topk, kthvalue, median, mode, unique, searchsorted, cumprod, ...

The selections are NumPy index computations (piecewise constant) followed by ``gather``, so their values
and gradients, first and second order, come from ``Gather``: the gradient of a selected value goes to the
element it was taken from. Two cumulative ops are primitives of their own, each with its derivative once:
``CumProd`` (zero-safe) and ``LogCumSumExp`` (stable).
"""
from __future__ import annotations

import numpy as np

from ..._grad_mode import _state
from ...tensor import Tensor, _wrap
from .. import _versions
from ..function import Op
from ._util import _C_NAMES, dims, not_implemented
from ._xp import xp_of
from .indexing import gather
from .reduction import accumulation_dtype, values_indices


def _result(name):
    """A (values, indices) namedtuple class that prints as ``ember.return_types.<name>``."""
    return type(name, (values_indices,), {"__slots__": (), "_name": name})


_sort_result, _topk_result, _kthvalue_result = _result("sort"), _result("topk"), _result("kthvalue")
_median_result, _nanmedian_result, _mode_result = _result("median"), _result("nanmedian"), _result("mode")
_cummax_result, _cummin_result = _result("cummax"), _result("cummin")


def _axis(x, dim):
    return dims(dim, x._data.ndim)[0] if x._data.ndim else 0


def _long(a):
    return _wrap(np.asarray(a, dtype=np.int64))


def _argsort(a, axis, descending):
    """Stable order along ``axis``: ascending, or descending with ties kept in their original order; NaN is the
    largest value (last ascending, first descending), as torch."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    n = a.shape[axis]
    rev = np.flip(np.argsort(np.flip(a, axis), axis=axis, kind="stable"), axis)
    return n - 1 - rev


def _select(x, axis, idx):
    """Values of ``x`` at ``idx`` along ``axis`` (differentiable through gather)."""
    if x._data.ndim == 0:
        return x.clone()
    return gather(x, axis, _long(idx))


# ---- sorting and selection ---------------------------------------------------------------
def sort(input, dim=-1, descending=False, stable=False, *, out=None):
    """Values sorted along ``dim`` and the indices they came from (stable: ties keep their order)."""
    axis = _axis(input, dim)
    idx = _argsort(input._data, axis, descending) if input._data.ndim else np.zeros((), np.int64)
    return _out(_sort_result(_select(input, axis, idx), _long(idx)), out, "sort")


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort ``input`` along ``dim``."""
    return sort(input, dim, descending, stable).indices


def msort(input):
    """``input`` sorted along its first dimension."""
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    """The ``k`` largest (or smallest) values along ``dim`` and their indices."""
    axis = _axis(input, dim)
    n = input._data.shape[axis] if input._data.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    order = _argsort(input._data, axis, largest) if input._data.ndim else np.zeros((), np.int64)
    idx = np.take(order, np.arange(k), axis=axis) if input._data.ndim else order
    return _out(_topk_result(_select(input, axis, idx), _long(idx)), out, "topk")


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    """The ``k``-th smallest value along ``dim`` (k from 1) and its index."""
    axis = _axis(input, dim)
    n = input._data.shape[axis] if input._data.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    return _out(_kth(input, axis, np.asarray(k - 1), keepdim, _kthvalue_result), out)


def _kth(x, axis, pos, keepdim, result):
    """The element at sorted position ``pos`` along ``axis`` (``pos`` broadcasts against the other dims)."""
    if x._data.ndim == 0:
        return result(x.clone(), _long(0))
    order = _argsort(x._data, axis, False)
    pos = np.expand_dims(np.broadcast_to(pos, tuple(np.delete(x._data.shape, axis))), axis)
    idx = np.take_along_axis(order, pos, axis)
    vals, ind = gather(x, axis, _long(idx)), _long(idx)
    if not keepdim:
        vals, ind = vals.squeeze(axis), ind.squeeze(axis)
    return result(vals, ind)


def _check_reduce_dim(name, x, axis):
    if x._data.ndim and x._data.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")


def median(input, dim=None, keepdim=False, *, out=None):
    """The lower median (element at sorted position (n − 1) // 2) of all elements, or along ``dim`` with its
    index; NaN if the values hold a NaN."""
    return _median(input, dim, keepdim, out, ignore_nan=False)


def nanmedian(input, dim=None, keepdim=False, *, out=None):
    """The lower median of the non-NaN values (NaN only where all are NaN)."""
    return _median(input, dim, keepdim, out, ignore_nan=True)


def _median(x, dim, keepdim, out, ignore_nan):
    name = "nanmedian" if ignore_nan else "median"
    if dim is None:
        if x._data.size == 0:
            return _wrap(np.asarray(np.nan, x._data.dtype)) if x._data.dtype.kind == "f" else x.reshape(-1).sum()
        flat = x.reshape(-1)
        return _median_along(flat, 0, False, ignore_nan, _median_result).values
    axis = _axis(x, dim)
    _check_reduce_dim(name, x, axis)
    return _out(_median_along(x, axis, keepdim, ignore_nan, _nanmedian_result if ignore_nan else _median_result), out)


def _median_along(x, axis, keepdim, ignore_nan, result):
    a = x._data
    if a.ndim == 0:
        return result(x.clone(), _long(0))
    n = a.shape[axis]
    nan = np.isnan(a) if a.dtype.kind == "f" else np.zeros(a.shape, bool)
    count = n - nan.sum(axis)  # the non-NaN values: NaN sorts last
    if ignore_nan:
        pos = np.maximum(count - 1, 0) // 2
    else:  # a NaN makes the median NaN: the first NaN, at sorted position count
        pos = np.where(count < n, count, (n - 1) // 2)
    return _kth(x, axis, np.asarray(pos), keepdim, result)


def mode(input, dim=-1, keepdim=False, *, out=None):
    """The most frequent value along ``dim`` (the smallest of equally frequent ones) and the index of its last
    occurrence."""
    x = input
    axis = _axis(x, dim)
    _check_reduce_dim("mode", x, axis)
    if x._data.ndim == 0:
        return _mode_result(x.clone(), _long(0))
    a = np.moveaxis(x._data, axis, -1)
    idx = _mode_index(a.reshape(-1, a.shape[-1]))
    idx = np.expand_dims(idx.reshape(a.shape[:-1]), axis)
    vals, ind = gather(x, axis, _long(idx)), _long(idx)
    if not keepdim:
        vals, ind = vals.squeeze(axis), ind.squeeze(axis)
    return _out(_mode_result(vals, ind), out)


def _mode_index(rows):
    """Per row: the index of the last occurrence of the smallest most frequent value (NaNs count as equal)."""
    R, n = rows.shape
    order = np.argsort(rows, axis=1, kind="stable")
    s = np.take_along_axis(rows, order, 1)
    same = s[:, 1:] == s[:, :-1]
    if s.dtype.kind == "f":
        same |= np.isnan(s[:, 1:]) & np.isnan(s[:, :-1])
    start = np.ones((R, n), bool)
    start[:, 1:] = ~same
    run = np.cumsum(start, 1)  # run ids of equal values, from 1
    counts = np.bincount((run + np.arange(R)[:, None] * (n + 1)).ravel(), minlength=R * (n + 1)).reshape(R, n + 1)
    best = np.argmax(np.take_along_axis(counts, run, 1), 1)  # the first (smallest) most frequent value
    best_run = run[np.arange(R), best]
    end = np.where(run == best_run[:, None], np.arange(n), -1).max(1)  # its run's end: the latest original index
    return order[np.arange(R), end]


def _out(result, out, name=""):
    """Write ``result`` (a tensor, or a tuple of them) into ``out`` as torch's ``out=`` does: same dtype, resized
    to the result's shape, no autograd; returns ``out``."""
    if out is None:
        return result

    pairs = zip(out, result) if isinstance(result, tuple) else [(out, result)]
    for dst, src in pairs:
        if _state.enabled and src.requires_grad:
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                               "differentiation, but one of the arguments requires grad.")
        if dst._data.dtype != src._data.dtype:
            raise RuntimeError(f"Expected out tensor to have dtype {_C_NAMES[src._data.dtype.name]}, but got "
                               f"{_C_NAMES[dst._data.dtype.name]} instead")
        if dst._data.shape == src._data.shape:
            np.copyto(dst._data, src._data)
        else:
            dst._relocate(src._data.copy())
        _versions.bump(dst._data)
    return type(result)(*out) if isinstance(result, tuple) else out


# ---- unique, searchsorted, bucketize ----------------------------------------------------
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), optionally with the inverse indices (input = unique[inverse]) and counts;
    with ``dim``, the distinct slices along it."""
    a = input._data
    if dim is None:
        vals, inv, cnt = np.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        inv = inv.reshape(a.shape)
    else:
        axis = _axis(input, dim)
        vals, inv, cnt = np.unique(a, return_inverse=True, return_counts=True, axis=axis)
        inv = inv.reshape(-1)
    return _unique_result(vals, inv, cnt, return_inverse, return_counts)


def _unique_result(vals, inv, cnt, return_inverse, return_counts):
    out = [_wrap(np.ascontiguousarray(vals))]
    if return_inverse:
        out.append(_long(inv))
    if return_counts:
        out.append(_long(cnt))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse each run of equal consecutive values (or slices along ``dim``) to one."""
    a = input._data
    if dim is None:
        flat = a.reshape(-1)
        change = np.ones(flat.size, bool)
        change[1:] = flat[1:] != flat[:-1]
        vals = flat[change]
        inv = (np.cumsum(change) - 1).reshape(a.shape)
    else:
        axis = _axis(input, dim)
        m = np.moveaxis(a, axis, 0).reshape(a.shape[axis], -1)
        change = np.ones(m.shape[0], bool)
        change[1:] = (m[1:] != m[:-1]).any(axis=1)
        vals = np.compress(change, a, axis=axis)
        inv = np.cumsum(change) - 1
    starts = np.flatnonzero(change)
    cnt = np.diff(np.append(starts, change.size))
    return _unique_result(vals, inv, cnt, return_inverse, return_counts)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None, out=None):
    """For each value of ``input``, the index in the innermost rows of ``sorted_sequence`` where it would be
    inserted to keep them sorted (left: first such index; right or side='right': last)."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    scalar = not isinstance(input, Tensor)
    v = np.asarray(input) if scalar else input._data
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter._data, -1)
    how = "right" if right else "left"
    if seq.ndim <= 1:
        res = np.searchsorted(seq, v, side=how)
    else:
        if seq.shape[:-1] != v.shape[:-1]:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of "
                f"boundaries tensor and input value tensor must match, but we got boundaries tensor "
                f"{list(seq.shape)} and input value tensor {list(v.shape)}")
        s2, v2 = seq.reshape(-1, seq.shape[-1]), v.reshape(-1, v.shape[-1])
        res = np.stack([np.searchsorted(s, r, side=how) for s, r in zip(s2, v2)]).reshape(v.shape)
    res = _wrap(np.asarray(res, dtype=np.int32 if out_int32 else np.int64))
    return _out(res, out, "searchsorted")


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """The bucket of each value of ``input`` among the 1-D sorted ``boundaries`` (right=False:
    boundaries[i-1] < x ≤ boundaries[i]; right=True: boundaries[i-1] ≤ x < boundaries[i])."""
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


# ---- cumulative ops ---------------------------------------------------------------------------
class CumProd(Op):
    """yᵢ = Πₖ≤ᵢ xₖ along ``axis``.  ∂L/∂xᵢ = Σⱼ≥ᵢ gⱼ·Πₖ≤ⱼ,ₖ≠ᵢ xₖ.

    Without zeros this is revcumsum(g·y)/x; with a zero the products are formed without dividing:
    Πₖ≤ⱼ,ₖ≠ᵢ xₖ = yᵢ₋₁ · Πᵢ<ₖ≤ⱼ xₖ, the second factor a cumprod of x with ones at k ≤ i (n² values per row),
    except, first order, before a slice's first zero (where torch divides too) and after it (0, as torch)."""

    @staticmethod
    def forward(ctx, a, *, axis):
        ctx.a, ctx.axis = a, axis
        ctx.out = np.cumprod(a, axis=axis, dtype=np.int64 if a.dtype.kind in "biu" else None)
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        a, out, axis, xp = ctx.a, ctx.out, ctx.axis, xp_of(g)
        raw = a._data if isinstance(a, Tensor) else a
        if raw.size == 0:
            return g
        if not (raw == 0).any():
            return xp.flip(xp.cumsum(xp.flip(g * out, axis), axis=axis), axis) / a
        n = raw.shape[axis]
        am, gm = xp.moveaxis(a, axis, -1), xp.moveaxis(g, axis, -1)
        upper = np.triu(np.ones((n, n), bool), 1)  # upper[i, k]: k > i
        rows = xp.where(upper, xp.expand_dims(am, -2), 1.0)  # rows[..., i, k] = x_k for k > i, else 1
        tail = xp.cumprod(rows, -1)  # tail[..., i, j] = Π_{i<k≤j} x_k (j ≥ i)
        head = xp.moveaxis(_exclusive(out, a, axis, xp), axis, -1)  # y_{i-1}, with y_{-1} = 1
        inner = xp.sum(xp.where(upper | np.eye(n, dtype=bool), tail * xp.expand_dims(gm, -2), 0.0), -1)
        exact = xp.moveaxis(head * inner, -1, axis)
        if xp is not np:
            return exact
        # First order, torch divides before a slice's first zero and writes 0 after it (so a NaN or inf spreads as
        # in torch; with finite values both give the exact products):
        zero = raw == 0
        seen = np.cumsum(zero, axis=axis)
        divided = np.flip(np.cumsum(np.flip(g * out, axis), axis=axis), axis) / a
        return np.where(seen == 0, divided, np.where(seen - zero > 0, np.zeros((), exact.dtype), exact))


def _exclusive(out, a, axis, xp):
    """y_{i-1} along ``axis`` with y_{-1} = 1: the cumulative product before each element."""
    n = a.shape[axis]
    keep = [slice(None)] * len(a.shape)
    keep[axis] = slice(0, n - 1)
    shape = list(a.shape)
    shape[axis] = 1
    one = np.ones(shape, dtype=(a._data if isinstance(a, Tensor) else a).dtype)
    if isinstance(out, Tensor):
        from .shape import cat

        return cat([_wrap(one), out[tuple(keep)]], axis)
    return np.concatenate([one, out[tuple(keep)]], axis)


def cumprod(input, dim, *, dtype=None, out=None):
    """Cumulative product along ``dim``; integer and bool inputs give int64 (as torch)."""
    x = input if dtype is None else input.to(dtype)
    if x._data.ndim == 0:
        dims(dim, 0)
        return CumProd.apply(x.reshape(1), axis=0).reshape(())
    wide = accumulation_dtype(x._data.dtype)
    if wide is not None:  # (as cumsum)
        return CumProd.apply(x.to(wide), axis=dims(dim, x._data.ndim)[0]).to(x.dtype)
    return CumProd.apply(x, axis=dims(dim, x._data.ndim)[0])


def _cumextreme(x, dim, largest, result):
    """Running max (min) along ``dim`` and the index of the last element that attains it; from the first NaN on,
    the values are NaN and the index is the latest NaN's."""
    axis = _axis(x, dim)
    a = x._data
    if a.ndim == 0:
        return result(x.clone(), _long(0))
    m = np.moveaxis(a, axis, -1)
    idx = np.zeros(m.shape, np.int64)
    if m.shape[-1]:
        with np.errstate(invalid="ignore"):
            run = (np.maximum if largest else np.minimum).accumulate(m, axis=-1)  # (NaN propagates)
            prev = run[..., :-1]
            nxt = m[..., 1:]
            update = (nxt >= prev) if largest else (nxt <= prev)  # x_j attains the running extreme
            if a.dtype.kind == "f":
                update = update | np.isnan(nxt)  # (each NaN takes the index, as torch)
        pos = np.where(update, np.arange(1, m.shape[-1]), 0)
        idx[..., 1:] = np.maximum.accumulate(pos, axis=-1)  # the last update at or before j
    idx = np.moveaxis(idx, -1, axis)
    return result(gather(x, axis, _long(idx)), _long(idx))


def cummax(input, dim, *, out=None):
    return _out(_cumextreme(input, dim, True, _cummax_result), out)


def cummin(input, dim, *, out=None):
    return _out(_cumextreme(input, dim, False, _cummin_result), out)


class LogCumSumExp(Op):
    """yᵢ = log Σₖ≤ᵢ exp xₖ (np.logaddexp.accumulate: no overflow).  ∂L/∂xᵢ = Σⱼ≥ᵢ gⱼ·exp(xᵢ − yⱼ), each
    exp ≤ 1 (computed on the n × n pairs of each row)."""

    @staticmethod
    def forward(ctx, a, *, axis):
        ctx.a, ctx.axis = a, axis
        ctx.out = np.logaddexp.accumulate(a, axis=axis) if a.shape[axis] else a.copy()
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        a, out, axis, xp = ctx.a, ctx.out, ctx.axis, xp_of(g)
        n = a.shape[axis]
        if n == 0:
            return g
        am, ym, gm = (xp.moveaxis(t, axis, -1) for t in (a, out, g))
        later = np.triu(np.ones((n, n), bool))  # later[i, j]: j ≥ i
        diff = xp.where(later, xp.expand_dims(am, -1) - xp.expand_dims(ym, -2), -np.inf)
        w = xp.exp(diff) * xp.expand_dims(gm, -2)
        return xp.moveaxis(xp.sum(xp.where(later, w, 0.0), -1), -1, axis)


def logcumsumexp(input, dim, *, out=None):
    if input._data.dtype.kind != "f":
        raise not_implemented("logcumsumexp_out_cpu", input._data.dtype)
    if input._data.ndim == 0:
        dims(dim, 0)
        return input.clone()
    return LogCumSumExp.apply(input, axis=dims(dim, input._data.ndim)[0])


# ---- quantiles ----------------------------------------------------------------------------------------
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """The q-th quantiles along ``dim`` (of all elements when None): with the sorted values v₀ ≤ … ≤ vₙ₋₁ and
    r = q·(n − 1), linear gives v⌊r⌋ + (r − ⌊r⌋)·(v⌈r⌉ − v⌊r⌋); lower/higher/nearest/midpoint pick v⌊r⌋, v⌈r⌉,
    v_round(r) or their mean. NaN where the values hold a NaN. A tensor q puts its dimension first."""
    return _out(_quantile(input, q, dim, keepdim, interpolation, "quantile", ignore_nan=False), out, "quantile")


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """quantile of the non-NaN values (NaN only where all are NaN)."""
    return _out(_quantile(input, q, dim, keepdim, interpolation, "nanquantile", ignore_nan=True), out, "nanquantile")


def _quantile(x, q, dim, keepdim, interpolation, name, ignore_nan):
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    qa = q._data if isinstance(q, Tensor) else np.asarray(q, dtype=x._data.dtype)
    if qa.ndim > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
    if isinstance(q, Tensor) and q._data.dtype != x._data.dtype:
        raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
    if qa.size and (qa.min() < 0 or qa.max() > 1):
        if qa.ndim == 0:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {float(qa):g}")
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, "
                           f"but got {interpolation}")
    if x._data.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    flat = dim is None
    v = x.reshape(-1) if flat else (x.reshape(1) if x._data.ndim == 0 else x)
    axis = 0 if flat else _axis(v, dim)
    s = sort(v, axis).values  # NaN sorts last
    vm = _moved(s, axis)  # (..., n)
    a = vm._data
    n = a.shape[-1]
    nan = np.isnan(a)
    count = (n - nan.sum(-1)) if ignore_nan else np.full(a.shape[:-1], n)
    qs = qa.reshape(-1)
    rank = qs[:, None] * np.maximum(count.reshape(1, -1) - 1, 0)  # (len q, rows)
    lo, hi = np.floor(rank), np.ceil(rank)
    if interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    elif interpolation == "nearest":
        lo = hi = np.round(rank)
    w = np.where(lo == hi, 0.0, 0.5 if interpolation == "midpoint" else rank - lo).astype(a.dtype)
    rows = vm.reshape(-1, n)
    take = lambda k: gather(rows, 1, _long(k.T.astype(np.int64)))  # (rows, len q)
    lo_v, hi_v = take(lo), take(hi)
    res = lo_v + (hi_v - lo_v) * _wrap(w.T)
    bad = (nan.reshape(-1, n).any(-1) if not ignore_nan else count.reshape(-1) == 0)[:, None]
    if bad.any():
        from .elementwise import where

        res = where(_wrap(np.broadcast_to(bad, res._data.shape)), float("nan"), res)
    res = res.t().reshape(len(qs), *a.shape[:-1])  # (len q, ... rest)
    if keepdim:
        if flat:
            res = res.reshape(len(qs), *([1] * x._data.ndim))
        else:
            res = res.unsqueeze(axis + 1)
    if not isinstance(q, Tensor) or q._data.ndim == 0:
        res = res.squeeze(0)
    return res


def _moved(t, axis):
    """``t`` with ``axis`` moved last."""
    order = [d for d in range(t._data.ndim) if d != axis] + [axis]
    return t.permute(*order) if order != list(range(t._data.ndim)) else t
