"""Indexing primitives: ``x[idx]`` (basic and advanced), gather/scatter, index_select, masked_fill, one_hot."""
from __future__ import annotations

import numpy as np

from ... import _errors
from ..._grad_mode import _state
from ...tensor import Tensor, _DataTensor, _wrap
from .. import _versions
from ..function import Op
from ._util import as_tensor_arg, broadcast_error, checked_scalar, dims
from ._xp import TensorNamespace, xp_of


def _index(idx):
    """Turn a torch-style index (tensors inside) into a NumPy index; report whether it is basic."""
    if isinstance(idx, Tensor):
        return idx._data, False
    if isinstance(idx, tuple):
        out, basic = [], True
        for i in idx:
            if isinstance(i, Tensor):
                out.append(i._data)
                basic = False
            elif isinstance(i, (list, np.ndarray)):
                out.append(np.asarray(i))
                basic = False
            else:
                out.append(i)
        return tuple(out), basic
    if isinstance(idx, (list, np.ndarray)):
        return np.asarray(idx), False
    return idx, True


def _check_bounds(a: np.ndarray, idx):
    items = idx if isinstance(idx, tuple) else (idx,)
    dim = 0
    for i in items:
        if i is None:
            continue
        if i is Ellipsis:
            dim = a.ndim - sum(1 for j in items if j is not None and j is not Ellipsis) + dim
            continue
        if isinstance(i, (int, np.integer)) and dim < a.ndim:
            n = a.shape[dim]
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {n}")
        dim += 1


def scatter_to(shape, idx, g, basic):
    """zeros(shape) with ``g`` placed at ``idx`` (summed where advanced indices repeat): the adjoint of ``a[idx]``."""
    if isinstance(g, Tensor):
        return IndexAdd.apply(g, shape=shape, idx=idx, basic=basic)
    out = np.zeros(shape, dtype=g.dtype)
    if basic:
        out[idx] = g
    else:
        np.add.at(out, idx, g)
    return out


def zero_at(g, idx, vshape, fresh=False):
    """``g`` with zeros at ``idx``: the part of the gradient that an item assignment overwrote
    (``fresh``: ``g`` is an array nothing else holds, zeroed in place)."""
    if isinstance(g, Tensor):
        return IndexPut.apply(g, _wrap(np.zeros(vshape, g._data.dtype)), idx=idx)
    out = g if fresh else g.copy()
    out[idx] = 0
    return out


class GetItem(Op):
    @staticmethod
    def forward(ctx, a, *, idx, basic):
        ctx.shape, ctx.dtype, ctx.idx, ctx.basic = a.shape, a.dtype, idx, basic
        out = a[idx]
        return out if type(out) is np.ndarray else np.asarray(out)  # integer indexing gives a NumPy scalar

    @staticmethod
    def backward(ctx, g):
        return scatter_to(ctx.shape, ctx.idx, g, ctx.basic)

    @staticmethod
    def backward_into(ctx, g, acc):  # acc += backward(g), without its zeros (split, chunk, q/k/v of one projection)
        if ctx.basic:
            acc[ctx.idx] += g
        else:
            np.add.at(acc, ctx.idx, g)


class IndexAdd(Op):
    """zeros(shape) with ``v`` added at ``idx``: ``x[idx]``'s backward, as an op (create_graph)."""

    @staticmethod
    def forward(ctx, v, *, shape, idx, basic):
        ctx.idx = idx
        return scatter_to(shape, idx, v, basic)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.idx]


def getitem(x, idx):
    np_idx, basic = _index(idx)
    if basic:
        _check_bounds(x._data, np_idx)
    try:
        return GetItem.apply(x, idx=np_idx, basic=basic)
    except IndexError as e:
        raise IndexError(str(e)) from None


class IndexPut(Op):
    """out = x with out[idx] = v (the recorded form of ``x[idx] = v``)."""

    @staticmethod
    def forward(ctx, a, v, *, idx):
        ctx.idx, ctx.vshape = idx, v.shape
        out = a.copy()
        out[idx] = v
        return out

    @staticmethod
    def backward(ctx, g):
        ga = zero_at(g, ctx.idx, ctx.vshape)
        gv = g[ctx.idx]
        return ga, gv


def setitem(x, idx, value):
    np_idx, _ = _index(idx)

    v = value if isinstance(value, Tensor) else None
    if _state.enabled and (x.requires_grad or (v is not None and v.requires_grad)):
        x._check_inplace()
        vt = as_tensor_arg(value, x)
        if vt._data.dtype != x._data.dtype:
            vt = vt._cast(x._data.dtype)
        x._rebind(IndexPut.apply(x._snapshot(), vt, idx=np_idx))
    else:
        x._data[np_idx] = value._data if v is not None else value
        if type(x) is not _DataTensor:
            _versions.bump(x._data)


class Gather(Op):
    @staticmethod
    def forward(ctx, a, *, axis, index):
        ctx.shape, ctx.axis, ctx.index = a.shape, axis, index
        rows = tuple(slice(None) if d == axis else slice(0, s) for d, s in enumerate(index.shape))
        return np.take_along_axis(a[rows], index, axis)  # out has index's shape (no broadcasting)

    @staticmethod
    def backward(ctx, g):
        return scatter_to(ctx.shape, along(ctx.axis, ctx.index), g, basic=False)


def along(axis, index):
    """The advanced index that ``index`` (values along ``axis``) is for gather/scatter: a[idx] is a[..., index[i], ...]."""
    idx = list(np.indices(index.shape, sparse=True))
    idx[axis] = index
    return tuple(idx)


def _check_index(x, axis, index, name, src=None):
    if index.dtype != np.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    if index.ndim != x._data.ndim and not (index.ndim == 0 and x._data.ndim == 0):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    n = x._data.shape[axis] if x._data.ndim else 1
    if index.size and (index.min() < -n or index.max() >= n):
        bad = index.max() if index.max() >= n else index.min()
        raise RuntimeError(f"index {bad} is out of bounds for dimension {axis} with size {n}")


def gather(x, dim, index, *, sparse_grad=False):
    axis = dims(dim, x._data.ndim)[0]
    ind = index._data if isinstance(index, Tensor) else np.asarray(index)
    _check_index(x, axis, ind, "gather")
    shape = x._data.shape
    if ind.ndim and any(d != axis and i > s for d, (i, s) in enumerate(zip(ind.shape, shape))):
        bad = next(d for d, (i, s) in enumerate(zip(ind.shape, shape)) if d != axis and i > s)
        raise RuntimeError(f"Size does not match at dimension {bad} expected index {list(ind.shape)} to be no larger "
                           f"than self {list(shape)} apart from dimension {axis}")
    return Gather.apply(x, axis=axis, index=ind)


class Scatter(Op):
    """out = x; out[index] = src (or += with reduce='add') along ``axis``."""

    @staticmethod
    def forward(ctx, a, src, *, axis, index, add):
        ctx.axis, ctx.index, ctx.add = axis, index, add
        out = a.copy()
        idx = along(axis, index)
        sub = src[tuple(slice(0, s) for s in index.shape)]
        if add:
            np.add.at(out, idx, sub)
        else:
            out[idx] = sub
        ctx.full_idx, ctx.src_shape = idx, src.shape
        return out

    @staticmethod
    def backward(ctx, g):
        idx, used = ctx.full_idx, tuple(slice(0, s) for s in ctx.index.shape)
        ga = g if ctx.add else zero_at(g, idx, ctx.index.shape)
        return ga, scatter_to(ctx.src_shape, used, g[idx], basic=True)


def scatter(x, dim, index, src=None, *, value=None, reduce=None):
    if src is None:
        src = value
    axis = dims(dim, x._data.ndim)[0]
    ind = index._data if isinstance(index, Tensor) else np.asarray(index)
    _check_index(x, axis, ind, "scatter")
    if reduce not in (None, "add", "sum"):
        raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
    if not isinstance(src, Tensor):
        src = _wrap(np.full(ind.shape, src, dtype=x._data.dtype))
    elif src._data.dtype != x._data.dtype:
        raise RuntimeError(
            "scatter(): Expected self.dtype to be equal to src.dtype"
        )
    return Scatter.apply(x, src, axis=axis, index=ind, add=reduce is not None)


def scatter_add(x, dim, index, src):
    return scatter(x, dim, index, src, reduce="add")


def index_select(x, dim, index):
    ind = index._data if isinstance(index, Tensor) else np.asarray(index)
    if ind.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if ind.dtype.kind not in "i":
        raise IndexError("index_select(): Expected dtype int32/int64 for index")
    axis = dims(dim, x._data.ndim)[0]
    n = x._data.shape[axis]
    if ind.size and n == 0 and x._data.ndim > 1:  # (1-D: the range error below)
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    if ind.size and (ind.min() < 0 or ind.max() >= n):
        if axis == 1:  # torch's kernel for dim 1 words it differently
            bad = ind.reshape(-1)[(ind.reshape(-1) < 0) | (ind.reshape(-1) >= n)][0]
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}")
        raise _errors.index_out_of_range()
    idx = [slice(None)] * x._data.ndim
    idx[axis] = ind.reshape(-1)
    return GetItem.apply(x, idx=tuple(idx), basic=False)


class MaskedFill(Op):
    @staticmethod
    def forward(ctx, a, *, mask, value):
        ctx.mask = mask
        return np.where(mask, np.asarray(value, dtype=a.dtype), a)

    @staticmethod
    def backward(ctx, g):
        return xp_of(g).where(ctx.mask, 0, g)


def masked_fill(x, mask, value):
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {m.dtype}")
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)."
            )
        value = value.item()
    if isinstance(value, (int, float, complex)) and x._data.dtype.kind in "iuf":
        value = checked_scalar(value, x._data.dtype)[()]  # torch's overflow check (−3 wraps into uint8)
    try:
        np.broadcast_shapes(m.shape, x._data.shape)
    except ValueError:
        raise broadcast_error(m.shape, x._data.shape) from None
    return MaskedFill.apply(x, mask=m, value=value)


def masked_select(x, mask):
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    try:
        shape = np.broadcast_shapes(m.shape, x._data.shape)
    except ValueError:
        raise broadcast_error(m.shape, x._data.shape) from None
    return GetItem.apply(x.expand(*shape), idx=np.broadcast_to(m, shape), basic=False)


def one_hot(tensor, num_classes=-1):
    """Integer class indices → a one-hot int64 tensor with a new last dimension of size num_classes."""
    a = tensor._data
    if a.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size and a.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if a.size and a.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(a.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, a[..., None], 1, axis=-1)
    return _wrap(out)


def nonzero(x, *, as_tuple=False):
    if x._data.ndim == 0 and not as_tuple:  # a 0-d tensor: one index row of no coordinates if it is nonzero
        return _wrap(np.zeros((int(bool(x._data)), 0), np.int64))
    nz = np.nonzero(x._data)
    if as_tuple:
        return tuple(_wrap(i.astype(np.int64)) for i in nz)
    return _wrap(np.stack(nz, axis=1).astype(np.int64) if nz else np.zeros((0, 0), np.int64))


def take_along_dim(x, indices, dim=None):
    """gather after broadcasting input and indices in every dim but ``dim`` (all elements, flattened, when None).
    Deliberate difference: an index out of range raises gather's RuntimeError; torch's take_along_dim does not check
    and reads outside the tensor."""
    if dim is None:
        return gather(x.reshape(-1), 0, indices.reshape(-1))
    if x._data.ndim != indices._data.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of dimensions, but got "
            f"{x._data.ndim} dimensions for input, and {indices._data.ndim} dimensions for indices"
        )
    axis = dims(dim, x._data.ndim)[0] if x._data.ndim else 0
    xs, js = list(x._data.shape), list(indices._data.shape)
    if xs:
        xs[axis] = js[axis] = 1
    try:
        common = list(np.broadcast_shapes(tuple(xs), tuple(js)))
    except ValueError:
        from ._util import broadcast_error

        raise broadcast_error(xs, js) from None
    if not common:
        return gather(x, dim, indices)
    xs, js = list(common), list(common)
    xs[axis], js[axis] = x._data.shape[axis], indices._data.shape[axis]
    return gather(x.expand(*xs), dim, indices.expand(*js))


# ---- more indexing (issue #18), composed of the primitives above --------------------------------------
# torch's errors for an index of index_add / index_copy / index_fill that is not a 0-d or 1-d integer tensor
_INDEX_ERRORS = {
    "index_add_": (lambda i: IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {i.ndim} with "
                                        f"type: {_scalar(i.dtype)} and size: {list(i.shape)}"),
                   lambda i: RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: "
                                          f"{_scalar(i.dtype)}")),
    "index_copy_": (lambda i: IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {i.ndim})"),
                    lambda i: RuntimeError(f"index_copy_(): Expected a long tensor for index, but got "
                                           f"{_scalar(i.dtype)}")),
    "index_fill_": (lambda i: RuntimeError("Index has to be a vector/scalar"),
                    lambda i: IndexError("index_fill_(): Expected dtype int64 for index.")),
}


def _index_vector(index, name):
    ind = index._data if isinstance(index, Tensor) else np.asarray(index)
    not_vector, not_integer = _INDEX_ERRORS[name]
    if ind.ndim > 1:
        raise not_vector(ind)
    if ind.dtype.kind != "i":
        raise not_integer(ind)
    return ind.reshape(-1).astype(np.int64)


def _along_dim(index, axis, shape):
    """A 1-D index along ``axis`` broadcast to ``shape`` (the gather/scatter form of an index_* index)."""
    view = [1] * len(shape)
    if shape:
        view[axis] = index.size
    return np.broadcast_to(index.reshape(view), shape).copy()


def _check_index_source(name, x, axis, ind, source):
    nsrc = source._data.shape[axis] if source._data.ndim else 1
    if ind.size != nsrc:
        raise RuntimeError(f"{name}(): Number of indices ({ind.size}) should be equal to source.size(dim): "
                           f"({nsrc}), for dim: {axis}")
    n = x._data.shape[axis] if x._data.ndim else 1
    if ind.size and (ind.min() < -n or ind.max() >= n):
        raise _errors.index_out_of_range()


def take(input, index):
    """Elements of the flattened input at ``index`` (the result has index's shape)."""
    ind = index._data
    n = input._data.size
    if ind.size and (ind.min() < -n or ind.max() >= n):
        bad = ind.max() if ind.max() >= n else ind.min()
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return getitem(input.reshape(-1), ind.reshape(-1) % max(n, 1)).reshape(ind.shape)


def index_add(input, dim, index, source, *, alpha=1):
    """input with alpha·source[j] added to input[index[j]] along ``dim`` (repeated indices accumulate)."""
    axis = dims(dim, input._data.ndim)[0] if input._data.ndim else 0
    ind = _index_vector(index, "index_add_")
    _check_index_source("index_add_", input, axis, ind, source)
    src = source * alpha if alpha != 1 else source
    if input._data.ndim == 0:
        return input + src.sum()
    return scatter_add(input, axis, _wrap(_along_dim(ind % input._data.shape[axis], axis, src._data.shape)), src)


def index_copy(input, dim, index, source):
    """input with input[index[j]] = source[j] along ``dim``."""
    axis = dims(dim, input._data.ndim)[0] if input._data.ndim else 0
    ind = _index_vector(index, "index_copy_")
    _check_index_source("index_copy_", input, axis, ind, source)
    if input._data.ndim == 0:
        return source.reshape(()).clone()
    return scatter(input, axis, _wrap(_along_dim(ind, axis, source._data.shape)), source)


def index_fill(input, dim, index, value):
    """input with the slices at ``index`` along ``dim`` set to ``value``."""
    axis = dims(dim, input._data.ndim)[0] if input._data.ndim else 0
    ind = _index_vector(index, "index_fill_")
    mask = np.zeros(input._data.shape[axis] if input._data.ndim else 1, bool)
    mask[ind] = True
    view = [1] * input._data.ndim
    if view:
        view[axis] = mask.size
    return masked_fill(input, _wrap(mask.reshape(view) if view else mask.reshape(())), value)


_SCATTER_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """out = input, then out[index[i]] ⊕= src[i] along ``dim`` for ⊕ = sum, prod, mean, amax or amin (input's
    value counted only when include_self). Gradients (torch's): sum passes g; mean g/count; amax/amin split g
    evenly among the values equal to the result; prod g·out/x (the product of the others where x = 0)."""
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # (torch accepts the two old names too)
    if reduce not in _SCATTER_REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    axis = dims(dim, input._data.ndim)[0]
    ind = index._data
    _check_index(input, axis, ind, "scatter_reduce")
    if src._data.dtype != input._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    s = src[tuple(slice(0, k) for k in ind.shape)]
    full = along(axis, ind)
    hit = np.zeros(input._data.shape, bool)
    hit[full] = True
    keep = ~hit | include_self  # where input's own value takes part
    if reduce == "sum":
        base = input if include_self else masked_fill(input, _wrap(hit), 0)
        return scatter_add(base, axis, _wrap(ind), s)
    if reduce == "mean":
        count = np.zeros(input._data.shape, np.int64)
        np.add.at(count, full, 1)
        count = count + keep
        base = input if include_self else masked_fill(input, _wrap(hit), 0)
        total = scatter_add(base, axis, _wrap(ind), s)
        if total._data.dtype.kind == "f":
            return total / _wrap(np.maximum(count, 1).astype(total._data.dtype))
        return _wrap(np.floor_divide(total._data, np.maximum(count, 1)).astype(total._data.dtype))
    return _scatter_extreme_or_prod(input, axis, ind, s, full, keep, reduce)


def _scatter_extreme_or_prod(x, axis, ind, s, full, keep, reduce):
    if reduce == "prod":
        return ScatterProd.apply(x, s, full=full, keep=keep)
    return ScatterExtreme.apply(x, s, full=full, keep=keep, largest=reduce == "amax")


class ScatterExtreme(Op):
    """out = x (where keep), then out[full[i]] = max (min) of it and s[i].  The gradient of each result is split
    evenly among the values equal to it (input's and src's), as torch."""

    @staticmethod
    def forward(ctx, a, sa, *, full, keep, largest):
        out = np.where(keep, a, _lowest(a.dtype) if largest else _highest(a.dtype)).astype(a.dtype)
        (np.maximum if largest else np.minimum).at(out, full, sa)
        tie_x, tie_s = keep & (a == out), sa == out[full]
        count = tie_x.astype(np.int64)
        np.add.at(count, full, tie_s)
        cnt = np.maximum(count, 1)
        ctx.full = full
        ctx.wx = np.where(tie_x, 1 / cnt, 0).astype(a.dtype)
        ctx.ws = np.where(tie_s, 1 / cnt[full], 0).astype(a.dtype)
        return out

    @staticmethod
    def backward(ctx, g):
        return g * ctx.wx, g[ctx.full] * ctx.ws


class ScatterProd(Op):
    """out = x (where keep), then out[full[i]] *= s[i].  ∂out/∂f = the product of the other factors of f's target:
    out/f, or for f = 0 the product of the nonzero others when f is the target's only zero. Under create_graph
    the product is differentiated through ``composite``."""

    @staticmethod
    def forward(ctx, a, sa, *, full, keep):
        ctx.options = dict(full=full, keep=keep)
        out = np.where(keep, a, 1).astype(a.dtype)
        np.multiply.at(out, full, sa)
        zeros = np.where(keep, a == 0, False).astype(np.int64)
        np.add.at(zeros, full, sa == 0)
        rest = np.where(keep & (a != 0), a, 1).astype(a.dtype)  # the product of the nonzero factors
        np.multiply.at(rest, full, np.where(sa != 0, sa, 1))

        def others(f, z, o, r):
            return np.where(f != 0, o / np.where(f != 0, f, 1), np.where(z == 1, r, 0)).astype(a.dtype)

        ctx.full = full
        ctx.wx = np.where(keep, others(a, zeros, out, rest), 0).astype(a.dtype)
        ctx.ws = others(sa, zeros[full], out[full], rest[full])
        return out

    @staticmethod
    def backward(ctx, g):
        return g * ctx.wx, g[ctx.full] * ctx.ws

    @staticmethod
    def composite(a, sa, *, full, keep):
        """The same product from twice-differentiable primitives: src's factors grouped by target into a
        (targets, most factors) block padded with ones, multiplied along each row (Prod, exact with zeros), and
        scattered onto the input's kept values (ones elsewhere)."""
        flat = np.ravel_multi_index(full, a._data.shape).reshape(-1)
        order = np.argsort(flat, kind="stable")
        targets, start, count = np.unique(flat[order], return_index=True, return_counts=True)
        cols = np.arange(count.max() if count.size else 0)
        pick = order[np.minimum(start[:, None] + cols, flat.size - 1)]  # (padding columns: any index; masked)
        one = _wrap(np.ones((), a._data.dtype))
        where = TensorNamespace.where
        prods = where(_wrap(cols < count[:, None]), sa.reshape(-1)[_wrap(pick)], one).prod(1)
        spread = scatter_add(_wrap(np.zeros(a._data.size, a._data.dtype)), 0, _wrap(targets), prods - one) + one
        return where(_wrap(keep), a, one) * spread.reshape(a._data.shape)


def _lowest(dt):
    return -np.inf if dt.kind == "f" else np.iinfo(dt).min if dt.kind in "iu" else False


def _highest(dt):
    return np.inf if dt.kind == "f" else np.iinfo(dt).max if dt.kind in "iu" else True


def masked_scatter(input, mask, source):
    """input with the positions where ``mask`` is True filled, in order, with the leading elements of source."""
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {_scalar(m.dtype)}")
    shape = np.broadcast_shapes(m.shape, input._data.shape)
    m = np.broadcast_to(m, shape)
    k = int(m.sum())
    if k > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    pos = (np.cumsum(m.reshape(-1)) - 1).clip(0).reshape(shape)
    flat = source.reshape(-1)
    picked = getitem(flat, pos) if flat._data.size else _wrap(np.zeros(shape, input._data.dtype))
    from .elementwise import where

    return where(_wrap(m), picked, input.expand(*shape))


def argwhere(input):
    """The coordinates of the nonzero elements, one row each."""
    return nonzero(input)


def bincount(input, weights=None, minlength=0):
    """The count (or summed weight) of each value 0, 1, … of a 1-D non-negative integer tensor."""
    a = input._data
    if a.dtype.kind not in "iu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{_scalar(a.dtype)}'")
    if a.ndim != 1 or (a.size and a.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return _wrap(np.bincount(a, minlength=minlength).astype(np.int64))
    w = weights._data
    if w.shape != a.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    dt = w.dtype if w.dtype.kind == "f" else np.float64
    return _wrap(np.bincount(a, weights=w, minlength=minlength).astype(dt))


def _range_of(a, lo, hi):
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    return lo, hi


def histc(input, bins=100, min=0, max=0):
    """Counts of the values in ``bins`` equal-width bins over [min, max] (the data's range when min = max);
    values outside are ignored."""
    a = input._data
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{_scalar(a.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if min > max:
        raise RuntimeError("torch.histc: max must be larger than min")
    lo, hi = _range_of(a[np.isfinite(a)], float(min), float(max))
    return _wrap(np.histogram(a, bins=bins, range=(lo, hi))[0].astype(a.dtype))


def histogram(input, bins, *, range=None, weight=None, density=False):
    """(hist, bin_edges): counts (or weights; a density when density=True) over ``bins`` equal bins of ``range``
    (the data's range by default) or over the given edges."""
    from collections import namedtuple

    a = input._data
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{_scalar(a.dtype)}'")
    w = None if weight is None else weight._data
    if isinstance(bins, Tensor):
        edges = bins._data
        hist, edges = np.histogram(a, bins=edges, weights=w, density=density)
    else:
        lo, hi = _range_of(a, *(range if range is not None else (0.0, 0.0)))
        hist, edges = np.histogram(a, bins=bins, range=(lo, hi), weights=w, density=density)
    result = namedtuple("histogram", ["hist", "bin_edges"])
    return result(_wrap(hist.astype(a.dtype)), _wrap(edges.astype(a.dtype)))


def _scalar(dt):
    from ... import _dtype

    return _dtype.scalar_name(dt)


def _scattered(input, idx, src):
    """A copy of ``input`` with ``src`` written at ``idx`` (differentiable in both)."""
    out = input.clone()
    setitem(out, idx, src)
    return out


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of input with input[..., start:end:step, ...] (along ``dim``) replaced by src."""
    axis = dims(dim, input._data.ndim)[0]
    idx = [slice(None)] * input._data.ndim
    idx[axis] = slice(start, end, step)
    want = input._data[tuple(idx)].shape
    if tuple(src._data.shape) != want:
        raise _errors.src_size_mismatch(list(src._data.shape), list(want))
    return _scattered(input, tuple(idx), src)


def select_scatter(input, src, dim, index):
    """A copy of input with the slice at ``index`` along ``dim`` replaced by src."""
    axis = dims(dim, input._data.ndim)[0]
    idx = [slice(None)] * input._data.ndim
    idx[axis] = index
    want = input._data[tuple(idx)].shape
    if tuple(src._data.shape) != want:
        raise _errors.src_size_mismatch(list(src._data.shape), list(want))
    return _scattered(input, tuple(idx), src)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of input with its ``offset``-th diagonal in the plane (dim1, dim2) replaced by src (the diagonal
    as the last dimension, as ``diagonal`` returns it)."""
    from .shape import _diag_index, diagonal, permute

    n = input._data.ndim
    a1, a2 = dims(dim1, n)[0], dims(dim2, n)[0]
    want = diagonal(_wrap(input._data), offset, a1, a2)._data.shape
    if tuple(src._data.shape) != want:
        raise _errors.src_size_mismatch(list(src._data.shape), list(want))
    rest = [d for d in range(n) if d not in (a1, a2)]
    order = rest + [a1, a2]
    m = permute(input, *order).clone()
    rows, cols = _diag_index(input._data.shape[a1], input._data.shape[a2], offset)
    setitem(m, (Ellipsis, rows, cols), src)
    return permute(m, *np.argsort(order).tolist())


def index_put(input, indices, values, accumulate=False):
    """A copy of input with input[indices] = values (or += values, repeated indices adding up, when accumulate)."""
    idx = tuple(i._data if isinstance(i, Tensor) else i for i in indices)
    if not accumulate:
        return _scattered(input, idx, values)
    lead = input._data.shape[:len(idx)]
    flat = np.ravel_multi_index(np.broadcast_arrays(*[np.asarray(i) % s for i, s in zip(idx, lead)]), lead)
    rest = input._data.shape[len(idx):]
    vals = values.expand(*(flat.shape + rest)) if tuple(values._data.shape) != flat.shape + rest else values
    base = input.reshape(-1, *rest)
    return index_add(base, 0, _wrap(flat.reshape(-1)), vals.reshape(-1, *rest)).reshape(*input._data.shape)


def put(input, index, source, accumulate=False):
    """A copy of input with its flattened elements at ``index`` replaced by (or, accumulating, increased by)
    source."""
    n = input._data.size
    ind = index._data.reshape(-1)
    if ind.size and (ind.min() < -n or ind.max() >= n):
        bad = ind.max() if ind.max() >= n else ind.min()
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    if ind.size != source._data.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                           f"source.numel() = {source._data.size}, index.numel() = {ind.size}")
    flat = input.reshape(-1)
    src = source.reshape(-1)
    out = index_add(flat, 0, _wrap(ind % max(n, 1)), src) if accumulate else _scattered(flat, ind % max(n, 1), src)
    return out.reshape(*input._data.shape)


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """input with source[j] folded into input[index[j]] along ``dim`` by prod, mean, amax or amin
    (scatter_reduce along an index vector)."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    axis = dims(dim, input._data.ndim)[0] if input._data.ndim else 0
    ind = _index_vector(index, "index_add_")
    _check_index_source("index_reduce_", input, axis, ind, source)
    full = _wrap(_along_dim(ind % input._data.shape[axis], axis, source._data.shape))
    return scatter_reduce(input, axis, full, source, reduce, include_self=include_self)


def fill_diagonal_(self, fill_value, wrap=False):
    """Set the main diagonal (all indices equal) of a matrix or of an all-equal-sizes tensor to fill_value, in
    place; wrap=True continues it below a tall matrix every (columns + 1) rows."""
    shape = self._data.shape
    if len(shape) < 2:
        raise RuntimeError("dimensions must larger than 1")
    if len(shape) > 2 and len(set(shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    n = min(shape)
    step = int(np.sum(np.cumprod((1,) + shape[:0:-1])))  # 1 + cols (+ cols·rows …): one step along every dim
    stop = self._data.size if wrap and len(shape) == 2 else n * step
    mask = np.zeros(self._data.size, bool)
    mask[np.arange(0, stop, step)] = True
    return self.masked_fill_(_wrap(mask.reshape(shape)), fill_value)


def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """(hist, bin_edges) of the points in the rows of ``input`` (N × D): ``bins`` per dimension as counts or edge
    tensors, ``range`` as D (min, max) pairs flattened (the data's range by default)."""
    from collections import namedtuple

    a = input._data
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{_scalar(a.dtype)}'")
    pts = a.reshape(-1, a.shape[-1])
    k = pts.shape[1]
    if isinstance(bins, int):
        bins = [bins] * k
    if isinstance(bins[0], Tensor):
        edges = [b._data for b in bins]
    else:
        spans = [(range[2 * j], range[2 * j + 1]) for j in _builtin_range(k)] if range is not None else [
            _range_of(pts[:, j], 0.0, 0.0) for j in _builtin_range(k)]
        edges = [np.linspace(lo, hi, n + 1) for (lo, hi), n in zip(spans, bins)]
    w = None if weight is None else weight._data.reshape(-1)
    hist, edges = np.histogramdd(pts, bins=edges, weights=w, density=density)
    result = namedtuple("histogramdd", ["hist", "bin_edges"])
    return result(_wrap(hist.astype(a.dtype)), tuple(_wrap(np.asarray(e, a.dtype)) for e in edges))


def _builtin_range(n):  # (``range`` is histogramdd's argument name, as torch's)
    import builtins

    return builtins.range(n)
