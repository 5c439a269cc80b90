"""Indexing primitives: ``x[idx]`` (basic and advanced), gather/scatter, index_select, masked_fill, one_hot."""
from __future__ import annotations

import numpy as np

from ...tensor import Tensor, _DataTensor, _wrap
from .. import _versions
from ..function import Op
from ._util import as_tensor_arg, broadcast_error, dims
from ._xp import xp_of


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
    from ..grad_mode import _state

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
        raise RuntimeError(f"Index tensor must have the same number of dimensions as input tensor")
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
            f"scatter(): Expected self.dtype to be equal to src.dtype"
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
        raise IndexError("index out of range in self")
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
    """gather after broadcasting input and indices in every dim but ``dim`` (all elements, flattened, when None)."""
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
