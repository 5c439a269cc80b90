"""Shape primitives: reshape/view, permute/transpose, expand, cat/stack, split/chunk, flip, repeat."""
from __future__ import annotations

import numpy as np

from ... import _errors
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
        raise _errors.dim_out_of_range(dim, nd)
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
            raise _errors.expand_size_mismatch(want, have, i, list(shape), list(x._data.shape))
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
            raise _errors.stack_sizes_differ(shape, t._data.shape, i)
    nd = len(shape) + 1
    if not -nd <= dim < nd:
        raise _errors.dim_out_of_range(dim, nd)
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


# ---- more shape ops (issue #18), composed of the primitives above and of indexing --------------------------
def _slice_along(x, axis, s):
    idx = [slice(None)] * x._data.ndim
    idx[axis] = s
    return x[tuple(idx)]


def roll(input, shifts, dims=None):
    """Elements shifted by ``shifts`` along ``dims``, wrapping around (all elements, flattened, when dims is None)."""
    from ._util import dims as _dims

    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return roll(input.reshape(-1), shifts, 0).reshape(input.shape)
    axes = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(axes):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(axes)}")
    out = input
    for s, d in zip(shifts, axes):
        axis = _dims(d, input._data.ndim)[0]
        n = input._data.shape[axis]
        if n == 0 or s % n == 0:
            continue
        k = s % n
        out = cat([_slice_along(out, axis, slice(n - k, n)), _slice_along(out, axis, slice(0, n - k))], axis)
    return out if out is not input else input.clone()


def fliplr(input):
    """Columns in reverse order (flip along dim 1)."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input):
    """Rows in reverse order (flip along dim 0)."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def rot90(input, k=1, dims=(0, 1)):
    """Rotation by k·90° in the plane of ``dims``, from the first towards the second axis."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    n = input._data.ndim
    if n < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {n}")
    if dims[0] == dims[1] or (dims[0] - dims[1]) % n == 0:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    for d in dims:
        if not -n <= d < n:
            raise RuntimeError(f"Rotation dim0 out of range, dim0 = {dims[0]}" if d == dims[0]
                               else f"Rotation dim1 out of range, dim1 = {dims[1]}")
    k %= 4
    if k == 1:
        return transpose(flip(input, (dims[1],)), dims[0], dims[1])
    if k == 2:
        return flip(input, dims)
    if k == 3:
        return flip(transpose(input, dims[0], dims[1]), (dims[1],))
    return input.clone()


def narrow(input, dim, start, length):
    """The slice start:start+length along ``dim`` (start may be negative or a 0-d tensor)."""
    from ._util import dims as _dims

    if input._data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    axis = _dims(dim, input._data.ndim)[0]
    start = int(start.item()) if isinstance(start, Tensor) else start
    n = input._data.shape[axis]
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return _slice_along(input, axis, slice(start, start + length))


def tile(input, *reps, dims=None):
    """``input`` repeated dims[i] times along each dimension (dims padded with ones on the left); dims as one
    sequence, a keyword, or several ints (``x.tile(2, 2)``)."""
    if dims is not None:
        reps = (dims,)
    reps = tuple(reps[0]) if len(reps) == 1 and isinstance(reps[0], (tuple, list)) else tuple(reps)
    n = input._data.ndim
    if len(reps) < n:
        reps = (1,) * (n - len(reps)) + reps
    return repeat(input, *reps)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (slice along ``dim``) repeated ``repeats`` times in place; ``repeat_interleave(counts)``
    alone gives the indices 0, 0, …, 1, … each repeated counts[i] times."""
    from ._util import dims as _dims

    if repeats is None:  # torch.repeat_interleave(repeats)
        r = input._data
        if r.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        return _wrap(np.repeat(np.arange(r.size, dtype=np.int64), r))
    x = input if dim is not None else input.reshape(-1)
    axis = _dims(dim, x._data.ndim)[0] if dim is not None else 0
    r = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)
    if r.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    n = x._data.shape[axis] if x._data.ndim else 1
    if r.ndim == 1 and r.size not in (1, n):
        raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                           f"{r.size} and input.size({axis}) = {n}")
    if (r < 0).any():
        raise RuntimeError("repeats can not be negative")
    idx = np.repeat(np.arange(n), np.broadcast_to(r.reshape(-1), (n,)))
    if output_size is not None and output_size != idx.size:
        raise RuntimeError("allocated size does not match required size")
    from .indexing import index_select

    return index_select(x if x._data.ndim else x.reshape(1), axis, _wrap(idx.astype(np.int64)))


def _diag_index(n_rows, n_cols, offset):
    """Row and column indices of the ``offset``-th diagonal of an n_rows × n_cols matrix."""
    i = np.arange(max(0, min(n_rows + min(offset, 0), n_cols - max(offset, 0))))
    return i - min(offset, 0), i + max(offset, 0)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The ``offset``-th diagonal of the matrices in the plane (dim1, dim2), as a new last dimension."""
    from ._util import dims as _dims

    a1, a2 = _dims(dim1, input._data.ndim)[0], _dims(dim2, input._data.ndim)[0]
    if a1 == a2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    rest = [d for d in range(input._data.ndim) if d not in (a1, a2)]
    m = permute(input, *rest, a1, a2)
    rows, cols = _diag_index(input._data.shape[a1], input._data.shape[a2], offset)
    return m[(Ellipsis, rows, cols)]


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices whose ``offset``-th diagonal in the plane (dim1, dim2) holds the last dimension of ``input``."""
    from ._util import dims as _dims

    n = input._data.shape[-1] if input._data.ndim else 1
    size = n + abs(offset)
    nd = input._data.ndim + 1
    a1, a2 = _dims(dim1, nd)[0], _dims(dim2, nd)[0]
    if a1 == a2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    x = input.reshape(1) if input._data.ndim == 0 else input
    rows, cols = _diag_index(size, size, offset)
    where_ = np.full((size, size), n, dtype=np.int64)  # n points at an appended zero
    where_[rows, cols] = np.arange(n)
    zero = _wrap(np.zeros(x._data.shape[:-1] + (1,), x._data.dtype))
    m = cat([x, zero], -1)[(Ellipsis, where_)]  # (..., size, size)
    order = list(range(nd - 2))
    out = [None] * nd
    out[a1], out[a2] = nd - 2, nd - 1
    it = iter(order)
    out = [next(it) if o is None else o for o in out]
    return permute(m, *out)


_diagonal = diagonal


def diag(input, diagonal=0):
    """A 1-D input as the ``diagonal``-th diagonal of a square matrix; a 2-D input's ``diagonal``-th diagonal."""
    if input._data.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input._data.ndim == 2:
        return _diagonal(input, diagonal)
    raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " + f"{input._data.ndim}D")


def diagflat(input, offset=0):
    """The flattened input as the ``offset``-th diagonal of a square matrix."""
    return diag_embed(input.reshape(-1), offset, 0, 1)


def trace(input):
    """The sum of the main diagonal of a 2-D tensor."""
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    d = diagonal(input)
    return d.sum() if d._data.dtype.kind == "f" else _wrap(np.asarray(d._data.sum(), dtype=np.int64))


def _triangle_indices(row, col, offset, dtype, lower):
    from ... import _dtype

    r, c = (np.tril_indices if lower else np.triu_indices)(row, offset, col)
    return _wrap(np.stack([r, c]).astype(_dtype.np_dtype(dtype) or np.int64).reshape(2, -1))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (row, column) coordinates of the lower triangle (on and below the ``offset``-th diagonal), 2 × N."""
    return _triangle_indices(row, col, offset, dtype, True)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (row, column) coordinates of the upper triangle (on and above the ``offset``-th diagonal), 2 × N."""
    return _triangle_indices(row, col, offset, dtype, False)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors: indexing='ij' (the default) gives shape (len₀, len₁, …); 'xy' swaps the
    first two dimensions."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        import warnings

        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
    vecs = [t.reshape(-1) for t in tensors]
    shape = [v._data.shape[0] for v in vecs]
    grids = []
    for i, v in enumerate(vecs):
        view_shape = [1] * len(vecs)
        view_shape[i] = shape[i]
        grids.append(expand(v.reshape(*view_shape), *shape))
    if indexing == "xy" and len(grids) >= 2:
        grids = [transpose(g, 0, 1) for g in grids]
    return tuple(grids)


def movedim(input, source, destination):
    """Dimensions ``source`` moved to positions ``destination`` (the others keep their order)."""
    from ._util import dims as _dims

    n = input._data.ndim
    src = _dims(tuple(source) if isinstance(source, (tuple, list)) else (source,), n)
    dst = _dims(tuple(destination) if isinstance(destination, (tuple, list)) else (destination,), n)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
                           f"contain the same number of dims as destination ({list(dst)} dims)")
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, *order)


moveaxis = movedim
swapdims = transpose


def ravel(input):
    return reshape(input, -1)


_ATLEAST = {  # the shape a tensor of fewer dims takes: n -> {ndim: f(shape)}
    1: {0: lambda s: (1,)},
    2: {0: lambda s: (1, 1), 1: lambda s: (1, *s)},
    3: {0: lambda s: (1, 1, 1), 1: lambda s: (1, *s, 1), 2: lambda s: (*s, 1)},
}


def _atleast(n, tensors):
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    seq = tuple(tensors[0]) if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    out = [reshape(t, *_ATLEAST[n][t._data.ndim](t._data.shape)) if t._data.ndim < n else t for t in seq]
    return out[0] if single else tuple(out)


def atleast_1d(*tensors):
    return _atleast(1, tensors)


def atleast_2d(*tensors):
    return _atleast(2, tensors)


def atleast_3d(*tensors):
    return _atleast(3, tensors)


def column_stack(tensors):
    """1-D tensors as columns, then hstack."""
    return hstack([t.reshape(-1, 1) if t._data.ndim <= 1 else t for t in tensors])


def row_stack(tensors):
    return vstack(tensors)


def dstack(tensors):
    return cat([atleast_3d(t) for t in tensors], 2)


def tensor_split(input, indices_or_sections, dim=0):
    """``input`` split along ``dim`` into n nearly equal parts (the first n mod size one longer), or at the given
    indices."""
    from ._util import dims as _dims

    axis = _dims(dim, input._data.ndim)[0]
    size = input._data.shape[axis]
    s = indices_or_sections
    if isinstance(s, Tensor):
        s = s.tolist()
    if isinstance(s, int):
        if s <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {s}")
        q, r = divmod(size, s)
        bounds = np.cumsum([0] + [q + 1] * r + [q] * (s - r))
        pairs = zip(bounds[:-1], bounds[1:])
    else:
        idx = [0, *s, size]
        pairs = zip(idx[:-1], idx[1:])
    return tuple(_slice_along(input, axis, slice(int(a), max(int(a), int(b)))) for a, b in pairs)


def _split_n(name, min_dim, axis):
    def fn(input, indices_or_sections):
        if input._data.ndim < min_dim:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dim} dimension, but got a tensor "
                               f"with {input._data.ndim} dimensions!")
        ax = axis if input._data.ndim > 1 or name != "hsplit" else 0
        if isinstance(indices_or_sections, int) and input._data.shape[ax] % indices_or_sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {ax}, but the size of the dimension "
                               f"{input._data.shape[ax]} is not divisible by the split_size "
                               f"{indices_or_sections}!")
        return tensor_split(input, indices_or_sections, ax)

    fn.__name__ = name
    return fn


hsplit = _split_n("hsplit", 1, 1)
vsplit = _split_n("vsplit", 2, 0)
dsplit = _split_n("dsplit", 3, 2)


def select(input, dim, index):
    """The slice at ``index`` along ``dim``, without that dimension."""
    from ._util import dims as _dims

    if input._data.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    axis = _dims(dim, input._data.ndim)[0]
    n = input._data.shape[axis]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input._data.shape)} at "
                         f"dimension {axis}")
    return _slice_along(input, axis, index)


def broadcast_shapes(*shapes):
    """The shape the given shapes broadcast to (torch's error names the first shape that does not fit)."""
    from ...tensor import Size

    result: list = []
    for k, s in enumerate((s,) if isinstance(s, int) else tuple(s) for s in shapes):
        if len(s) > len(result):
            result = [1] * (len(s) - len(result)) + result
        for j in range(1, len(s) + 1):
            a, b = result[-j], s[-j]
            if a != b and a != 1 and b != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {b} at {-j}! Mismatching argument "
                                   f"at index {k} had {tuple(s)}; but expected shape should be broadcastable to "
                                   f"{result}")
            if a == 1:
                result[-j] = b
    return Size(result)


def broadcast_tensors(*tensors):
    shape = broadcast_shapes(*(t._data.shape for t in tensors))
    return tuple(expand(t, *shape) for t in tensors)


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D tensor, as rows (a 1-D result for one input)."""
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """The length-r combinations of the elements of a 1-D tensor, as rows (itertools.combinations' order)."""
    import itertools

    if input._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input._data.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    fn = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(fn(range(input._data.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    if r == 0:
        return _wrap(np.empty((0,), input._data.dtype))
    return input[idx.reshape(-1)].reshape(-1, r) if idx.size else _wrap(np.empty((0, r), input._data.dtype))


def block_diag(*tensors):
    """The tensors (0-, 1- or 2-D) placed along the diagonal of one matrix, zeros elsewhere."""
    mats = [t.reshape(1, 1) if t._data.ndim == 0 else t.reshape(1, -1) if t._data.ndim == 1 else t for t in tensors]
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t._data.ndim} dimensions")
    if not mats:
        return _wrap(np.zeros((1, 0), np.float32))
    dt = mats[0]._data.dtype
    for m in mats[1:]:
        dt = np.result_type(dt, m._data.dtype)
    cols = [m._data.shape[1] for m in mats]
    total, rows, left = sum(cols), [], 0
    for m, c in zip(mats, cols):
        m = m if m._data.dtype == dt else m._cast(dt)
        parts = [_wrap(np.zeros((m._data.shape[0], left), dt)), m, _wrap(np.zeros((m._data.shape[0], total - left - c), dt))]
        rows.append(cat(parts, 1))
        left += c
    return cat(rows, 0)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference along ``dim``: out[i] = x[i+1] − x[i], applied n times (prepend/append are
    concatenated first)."""
    from ._util import dims as _dims

    axis = _dims(dim, input._data.ndim)[0]
    x = input
    if prepend is not None or append is not None:
        x = cat([t for t in (prepend, input, append) if t is not None], axis)
    for _ in range(n):
        m = x._data.shape[axis]
        hi, lo = _slice_along(x, axis, slice(1, m)), _slice_along(x, axis, slice(0, max(m - 1, 0)))
        x = (hi != lo) if x._data.dtype.kind == "b" else hi - lo
    return x


def unfold(input, dimension, size, step):
    """All windows of ``size`` elements, ``step`` apart, along ``dimension``: that dimension becomes the number
    of windows and a new last dimension of length ``size`` holds each window."""
    from ._util import dims as _dims
    from .indexing import index_select

    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    x = input.reshape(1) if input._data.ndim == 0 else input
    axis = _dims(dimension, x._data.ndim)[0]
    n = x._data.shape[axis]
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {axis} is {n} but size is {size}")
    starts = np.arange(0, n - size + 1, step)
    idx = (starts[:, None] + np.arange(size)).reshape(-1)
    y = index_select(x, axis, _wrap(idx.astype(np.int64)))
    shape = list(x._data.shape)
    shape[axis : axis + 1] = [len(starts), size]
    return movedim(y.reshape(*shape), axis + 1, -1)


def sum_to_size(input, *size):
    """``input`` summed over the dimensions in which it was broadcast from ``size``."""
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    x_shape = input._data.shape
    lead = len(x_shape) - len(shape)
    if lead < 0 or any(s != 1 and s != xs for s, xs in zip(shape, x_shape[lead:])):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(x_shape)}}}.")
    out = input.sum(tuple(range(lead))) if lead else input
    axes = tuple(d for d, (s, xs) in enumerate(zip(shape, x_shape[lead:])) if s == 1 and xs != 1)
    return out.sum(axes, keepdim=True) if axes else out


def narrow_copy(input, dim, start, length):
    return narrow(input, dim, start, length).clone()


def adjoint(input):
    """The conjugate transpose of the last two dimensions (the transpose, for real tensors)."""
    if input._data.ndim < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return transpose(input, -2, -1)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix: columns x^(N−1), …, x, 1 (or increasing powers)."""
    if x._data.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x._data.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    powers = range(n) if increasing else range(n - 1, -1, -1)
    y = x if x._data.dtype.kind != "b" else x._cast(np.dtype(np.int64))
    if y._data.dtype.kind in "iu" and y._data.dtype != np.int64:
        y = y._cast(np.dtype(np.int64))
    cols = [y ** p if p else _wrap(np.ones(y._data.shape, y._data.dtype)) for p in powers]
    return stack(cols, 1) if cols else _wrap(np.empty((y._data.shape[0], 0), y._data.dtype))


def _dx_diff(y, x, dx, axis):
    """The spacing of the samples along ``axis``: diff(x) broadcast, or the constant dx."""
    if x is None:
        return 1.0 if dx is None else dx
    if x._data.ndim == 1:
        d = diff(x)
        view = [1] * y._data.ndim
        view[axis] = d._data.shape[0]
        return d.reshape(*view)
    return diff(x, dim=axis)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """∫y by the trapezoid rule along ``dim``: Σ (yᵢ + yᵢ₊₁)/2 · Δxᵢ (Δx = dx, or diff(x))."""
    from ._util import dims as _dims

    axis = _dims(dim, y._data.ndim)[0]
    n = y._data.shape[axis]
    if n == 0:
        return y.sum(axis)
    mid = (_slice_along(y, axis, slice(1, n)) + _slice_along(y, axis, slice(0, n - 1))) * 0.5
    return (mid * _dx_diff(y, x, dx, axis)).sum(axis)


def trapz(y, x=None, *, dx=None, dim=-1):
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoid-rule integral along ``dim`` (one element shorter than y there)."""
    from ._util import dims as _dims

    axis = _dims(dim, y._data.ndim)[0]
    n = y._data.shape[axis]
    mid = (_slice_along(y, axis, slice(1, n)) + _slice_along(y, axis, slice(0, max(n - 1, 0)))) * 0.5
    return (mid * _dx_diff(y, x, dx, axis)).cumsum(axis)


def _strided_positions(input, size, stride, storage_offset):
    """The flat positions (row-major order of input) that as_strided(size, stride, storage_offset) reads."""
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    n = input._data.size
    need = storage_offset + 1 + sum((s - 1) * st for s, st in zip(size, stride)) if all(size) else 0
    if need > n:
        item = input._data.dtype.itemsize
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {storage_offset}, "
                           f"and itemsize {item} requiring a storage size of {need * item} are out of bounds for "
                           f"storage of size {n * item}")
    pos = np.full(size, storage_offset, dtype=np.int64)
    for d, (s, st) in enumerate(zip(size, stride)):
        view = [1] * len(size)
        view[d] = s
        pos = pos + (np.arange(s) * st).reshape(view)
    return pos


def as_strided(input, size, stride, storage_offset=None):
    """The view with the given size and strides (in elements) over input's elements in row-major order.

    Torch parity: torch reads the tensor's storage; for a contiguous tensor that is its row-major order, as here
    (a transposed or sliced tensor's storage differs: ember reads its values, not the storage behind them)."""
    pos = _strided_positions(input, size, stride, storage_offset or 0)
    return input.reshape(-1)[pos]


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """A copy of input with the elements that as_strided(size, stride, storage_offset) reads replaced by src.

    Torch parity: input's gradient is zero at the replaced elements and passes elsewhere; torch 2.13's is the
    reverse (a torch bug this does not copy)."""
    pos = _strided_positions(input, size, stride, storage_offset or 0)
    if tuple(src._data.shape) != pos.shape:
        raise _errors.src_size_mismatch(list(src._data.shape), list(pos.shape))
    from .indexing import setitem

    out = input.reshape(-1).clone()
    setitem(out, pos, src)
    return out.reshape(*input._data.shape)


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Finite-difference derivative estimates along each of ``dim`` (all dims when None), one tensor per dim:
    central differences inside, (a·f₀ + b·f₁ + c·f₂)-style one-sided ones of order ``edge_order`` at the ends
    (NumPy's formulas; spacing is a number, one number per dim, or the coordinates of the samples per dim)."""
    from ._util import dims as _dims

    axes = tuple(range(input._data.ndim)) if dim is None else _dims(dim if isinstance(dim, (list, tuple)) else (dim,),
                                                                      input._data.ndim)
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    for a in axes:
        if input._data.shape[a] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(axes):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                               f"arguments to have the same length, but got a spacing argument of length "
                               f"{len(spacing)} and a dim argument of length {len(axes)}.")
        spacings = list(spacing)
    else:
        spacings = [spacing] * len(axes)
    x = input if input._data.dtype.kind == "f" else input._cast(np.dtype(np.float32))
    return tuple(_gradient_along(x, a, h, edge_order) for a, h in zip(axes, spacings))


def _gradient_along(f, axis, h, edge_order):
    n = f._data.shape[axis]
    s = lambda a, b: _slice_along(f, axis, slice(a, b))
    view = [1] * f._data.ndim
    if isinstance(h, Tensor):  # sample coordinates
        dx = np.diff(h._data.astype(f._data.dtype))
        view[axis] = n - 2
        d1, d2 = dx[:-1].reshape(view), dx[1:].reshape(view)
        w = lambda v: _wrap(np.asarray(v, dtype=f._data.dtype))
        inner = (s(0, n - 2) * w(-d2 / (d1 * (d1 + d2))) + s(1, n - 1) * w((d2 - d1) / (d1 * d2))
                 + s(2, n) * w(d1 / (d2 * (d1 + d2))))
        if edge_order == 1:
            first, last = (s(1, 2) - s(0, 1)) / float(dx[0]), (s(n - 1, n) - s(n - 2, n - 1)) / float(dx[-1])
        else:
            a1, a2 = float(dx[0]), float(dx[1])
            first = (s(0, 1) * (-(2 * a1 + a2) / (a1 * (a1 + a2))) + s(1, 2) * ((a1 + a2) / (a1 * a2))
                     + s(2, 3) * (-a1 / (a2 * (a1 + a2))))
            b1, b2 = float(dx[-2]), float(dx[-1])
            last = (s(n - 3, n - 2) * (b2 / (b1 * (b1 + b2))) + s(n - 2, n - 1) * (-(b2 + b1) / (b1 * b2))
                    + s(n - 1, n) * ((2 * b2 + b1) / (b2 * (b1 + b2))))
    else:
        h = float(h)
        inner = (s(2, n) - s(0, n - 2)) / (2 * h)
        if edge_order == 1:
            first, last = (s(1, 2) - s(0, 1)) / h, (s(n - 1, n) - s(n - 2, n - 1)) / h
        else:
            first = (s(0, 1) * -3 + s(1, 2) * 4 - s(2, 3)) / (2 * h)
            last = (s(n - 1, n) * 3 - s(n - 2, n - 1) * 4 + s(n - 3, n - 2)) / (2 * h)
    return cat([first, inner, last], axis)
