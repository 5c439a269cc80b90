"""Shape primitives: reshape/view, permute/transpose, expand, cat/stack, split/chunk, flip, repeat."""
from __future__ import annotations

import numpy as np

from ...tensor import Tensor, _wrap
from ..function import Op
from ._util import dims
from ._xp import xp_of


class Reshape(Op):
    @staticmethod
    def forward(ctx, a, *, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape)


class Permute(Op):
    @staticmethod
    def forward(ctx, a, *, axes):
        ctx.inv = tuple(np.argsort(axes))
        return a.transpose(axes)

    @staticmethod
    def backward(ctx, g):
        return xp_of(g).transpose(g, ctx.inv)


class Expand(Op):
    @staticmethod
    def forward(ctx, a, *, shape):
        return np.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        return g  # the engine sums over the expanded dimensions


class Cat(Op):
    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.axis = axis
        ctx.bounds = tuple(int(b) for b in np.cumsum([a.shape[axis] for a in arrays])[:-1])
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return tuple(xp_of(g).split(g, ctx.bounds, axis=ctx.axis))


class Stack(Op):
    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.axis = axis
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return tuple(xp_of(g).moveaxis(g, ctx.axis, 0))


class Flip(Op):
    @staticmethod
    def forward(ctx, a, *, axes):
        ctx.axes = axes
        return np.flip(a, axes).copy()

    @staticmethod
    def backward(ctx, g):
        return xp_of(g).flip(g, ctx.axes)


class Repeat(Op):
    @staticmethod
    def forward(ctx, a, *, reps):
        ctx.in_shape = (1,) * (len(reps) - a.ndim) + a.shape
        ctx.reps, ctx.shape = reps, a.shape
        return np.tile(a, reps)

    @staticmethod
    def backward(ctx, g):
        # view the output as (r0, s0, r1, s1, ...) and sum the repeat axes
        split = []
        for r, s in zip(ctx.reps, ctx.in_shape):
            split += [r, s]
        g = xp_of(g).sum(g.reshape(split), axis=tuple(range(0, len(split), 2)))
        return g.reshape(ctx.shape)


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def reshape(x, *shape):
    shape = _shape_arg(shape)
    try:
        return Reshape.apply(x, shape=shape)
    except ValueError:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {x._data.size}") from None


def view(x, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)):  # view(dtype)
        from ... import _dtype

        return _wrap(x._data.view(_dtype.np_dtype(shape[0])))
    return reshape(x, *shape)


def view_as(x, other):
    return reshape(x, *other.shape)


def reshape_as(x, other):
    return reshape(x, *other.shape)


def flatten(x, start_dim=0, end_dim=-1):
    nd = x._data.ndim
    if nd == 0:
        return reshape(x, 1)
    s, e = dims(start_dim, nd)[0], dims(end_dim, nd)[0]
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = x._data.shape
    return reshape(x, *shape[:s], int(np.prod(shape[s : e + 1])), *shape[e + 1 :])


def unflatten(x, dim, sizes):
    d = dims(dim, x._data.ndim)[0]
    shape = x._data.shape
    return reshape(x, *shape[:d], *sizes, *shape[d + 1 :])


def squeeze(x, dim=None):
    shape = x._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        ax = dims(dim, x._data.ndim)
        new = tuple(s for i, s in enumerate(shape) if not (i in ax and s == 1))
    return reshape(x, *new) if new != shape else x.view(*shape)


def unsqueeze(x, dim):
    nd = x._data.ndim + 1
    if not -nd <= dim < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})")
    d = dim % nd
    shape = x._data.shape
    return reshape(x, *shape[:d], 1, *shape[d:])


def permute(x, *axes):
    axes = _shape_arg(axes)
    nd = x._data.ndim
    if len(axes) != nd:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
            f"desired ordering of dimensions i.e. input.dim() = {nd} is not equal to len(dims) = {len(axes)}"
        )
    return Permute.apply(x, axes=dims(axes, nd))


def transpose(x, dim0, dim1):
    nd = x._data.ndim
    if nd < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return x.view(*x._data.shape)
    a, b = dims(dim0, nd)[0], dims(dim1, nd)[0]
    axes = list(range(nd))
    axes[a], axes[b] = axes[b], axes[a]
    return Permute.apply(x, axes=tuple(axes))


swapaxes = transpose


def t(x):
    if x._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x._data.ndim}D")
    return transpose(x, 0, -1) if x._data.ndim == 2 else x.view(*x._data.shape)


def expand(x, *shape):
    shape = _shape_arg(shape)
    cur = (1,) * (len(shape) - x._data.ndim) + x._data.shape
    if len(shape) < x._data.ndim:
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(x._data.shape)}}}, size={list(shape)}): the number of sizes provided "
            f"({len(shape)}) must be greater or equal to the number of dimensions in the tensor ({x._data.ndim})"
        )
    target = []
    for i, (want, have) in enumerate(zip(shape, cur)):
        if want == -1:
            want = have
        elif have != 1 and want != have:
            raise RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({have}) at non-singleton "
                f"dimension {i}.  Target sizes: {list(shape)}.  Tensor sizes: {list(x._data.shape)}"
            )
        target.append(want)
    return Expand.apply(x, shape=tuple(target))


def expand_as(x, other):
    return expand(x, *other.shape)


def broadcast_to(x, shape):
    return expand(x, *shape)


def _seq(tensors, name):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name}(): expected a non-empty list of Tensors")
    from ._util import operands

    first = tensors[0]
    dt = first._data.dtype
    if any(t._data.dtype != dt for t in tensors):
        from ... import _dtype

        for t in tensors[1:]:
            dt = _dtype.result_np_dtype(np.empty((1,), dt), np.empty((1,), t._data.dtype))
        tensors = [t if t._data.dtype == dt else t._cast(dt) for t in tensors]
    return tensors


def cat(tensors, dim=0):
    tensors = _seq(tensors, "cat")
    ref = next((t for t in tensors if t._data.shape != (0,)), tensors[0])
    axis = dims(dim, ref._data.ndim)[0]
    if ref._data.ndim != 1:  # torch's legacy rule: 1-D empty tensors are skipped beside tensors of other dims
        tensors = [t for t in tensors if t._data.shape != (0,) or t is ref]
    for i, t in enumerate(tensors):
        if t._data.ndim != ref._data.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref._data.ndim} and {t._data.ndim}"
            )
        for d in range(ref._data.ndim):
            if d != axis and t._data.shape[d] != ref._data.shape[d]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {axis}. Expected size {ref._data.shape[d]} but "
                    f"got size {t._data.shape[d]} for tensor number {i} in the list."
                )
    return Cat.apply(*tensors, axis=axis)


concat = concatenate = cat


def stack(tensors, dim=0):
    tensors = _seq(tensors, "stack")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                f"{list(t._data.shape)} at entry {i}"
            )
    nd = len(shape) + 1
    if not -nd <= dim < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})")
    return Stack.apply(*tensors, axis=dim % nd)


def hstack(tensors):
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    return cat([t if t._data.ndim > 1 else t.reshape(1, -1) for t in tensors], 0)


def split(x, split_size_or_sections, dim=0):
    axis = dims(dim, x._data.ndim)[0]
    n = x._data.shape[axis]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        sizes = [min(step, n - s) for s in range(0, n, step)] if n else [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at dimension "
                f"{dim}), but got split_sizes={sizes}"
            )
    out, start = [], 0
    for s in sizes:
        idx = [slice(None)] * x._data.ndim
        idx[axis] = slice(start, start + s)
        out.append(x[tuple(idx)])
        start += s
    return tuple(out)


def chunk(x, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = x._data.shape[dims(dim, x._data.ndim)[0]]
    if n == 0:  # an empty dim: `chunks` empty pieces, as torch
        return tuple(x[(slice(None),) * (dim % x._data.ndim)] for _ in range(chunks))
    return split(x, max(-(-n // chunks), 1), dim)


def unbind(x, dim=0):
    axis = dims(dim, x._data.ndim)[0]
    idx = [slice(None)] * x._data.ndim
    out = []
    for i in range(x._data.shape[axis]):
        idx[axis] = i
        out.append(x[tuple(idx)])
    return tuple(out)


def flip(x, dims_):
    return Flip.apply(x, axes=dims(dims_, x._data.ndim))


def repeat(x, *reps):
    reps = _shape_arg(reps)
    if len(reps) < x._data.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"
        )
    return Repeat.apply(x, reps=reps)


def contiguous(x, memory_format=None):
    return x
