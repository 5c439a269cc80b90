"""Matrix products: ``matmul`` (with torch's 1-D and batched rules), ``linear`` (x·Wᵀ + b, one fused op)."""
from __future__ import annotations

import numpy as np

from ... import _dtype
from ..._threads import note_blas
from ...tensor import Tensor, _wrap
from ..function import Op
from ._util import matmul_dtype_error
from ._xp import dtype_of, xp_of


class MatMul(Op):
    """a @ b; for batched operands the engine sums the gradient over broadcast batch dims."""

    saved_for = {"a": (1,), "b": (0,)}  # a is read only for b's gradient, b for a's (see autograd/_versions.py)

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        note_blas()
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b, xp = ctx.a, ctx.b, xp_of(g)
        note_blas()
        if a.ndim == 1 and b.ndim == 1:
            return g * b, g * a
        if a.ndim == 1:  # (n) @ (..., n, m) -> (..., m)
            ga = xp.matmul(b, g[..., None])[..., 0]
            gb = a[:, None] * g[..., None, :]
            return ga, gb
        if b.ndim == 1:  # (..., n, k) @ (k) -> (..., n)
            ga = g[..., None] * b
            gb = xp.matmul(xp.swapaxes(a, -1, -2), g[..., None])[..., 0]
            return ga, gb
        return xp.matmul(g, xp.swapaxes(b, -1, -2)), xp.matmul(xp.swapaxes(a, -1, -2), g)


def _shape_str(s):
    return "x".join(str(d) for d in s)


def matmul(x, y):
    if not isinstance(x, Tensor) or not isinstance(y, Tensor):
        raise TypeError(f"matmul(): argument 'other' must be Tensor, not {type(y).__name__}")
    if x._data.ndim == 0 or y._data.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {x._data.ndim}D and {y._data.ndim}D"
        )
    if x._data.dtype != y._data.dtype:
        raise matmul_dtype_error(x, y)
    a, b = x, y
    ka = a._data.shape[-1]
    kb = b._data.shape[-2] if b._data.ndim > 1 else b._data.shape[0]
    if ka != kb:
        if a._data.ndim == 1 and b._data.ndim == 1:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{ka}] and src [{kb}] to have the same number of elements, "
                "but got " + f"{ka} and {kb} elements respectively"
            )
        if b._data.ndim == 1 and a._data.ndim == 2:
            raise RuntimeError(
                f"size mismatch, got input ({a._data.shape[0]}), mat ({_shape_str(a._data.shape)}), vec ({kb})"
            )
        sa = a._data.shape if a._data.ndim > 1 else (1,) + a._data.shape
        sb = b._data.shape if b._data.ndim > 1 else b._data.shape + (1,)
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(sa[-2:] if len(sa) == 2 else (int(np.prod(sa[:-1])), sa[-1]))} "
            f"and {_shape_str(sb[-2:])})"
        )
    try:
        return MatMul.apply(a, b)
    except ValueError:
        from ._util import broadcast_error

        raise broadcast_error(a._data.shape[:-2], b._data.shape[:-2]) from None


def mm(x, y):
    if x._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if y._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(x, y)


def bmm(x, y):
    if x._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if y._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    (b, _, k), (b2, k2, _) = x._data.shape, y._data.shape
    if (b, k) != (b2, k2) and x._data.dtype == y._data.dtype:  # bmm does not broadcast
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {k}] but got: [{b2}, {k2}].")
    return matmul(x, y)


def dot(x, y):
    if x._data.ndim != 1 or y._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {x._data.ndim}D and {y._data.ndim}D tensors")
    return matmul(x, y)


def outer(x, y):
    for name, t in (("self", x), ("vec2", y)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return x.reshape(-1, 1) * y.reshape(1, -1)


class Linear(Op):
    """y = x·Wᵀ + b over the last dimension of x."""

    saved_for = {"x": (1,), "w": (0,)}  # x is read only for W's gradient, W for x's (see autograd/_versions.py)

    @staticmethod
    def forward(ctx, x, w, b=None):
        ctx.x, ctx.w, ctx.has_b = x, w, b is not None
        note_blas()
        if x.ndim > 2:  # one GEMM over all leading dims (np.matmul would loop over them)
            out = np.matmul(x.reshape(-1, x.shape[-1]), w.T).reshape(x.shape[:-1] + (w.shape[0],))
        else:
            out = np.matmul(x, w.T)
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx, g):
        x, w, xp = ctx.x, ctx.w, xp_of(g)
        note_blas()
        rows = x.ndim != 2  # 1-d and N-d inputs as a matrix of rows: one GEMM per product
        g2 = g.reshape(-1, g.shape[-1]) if rows else g
        gx = None
        if ctx.inputs[0].requires_grad:  # (no input gradient for the data batch)
            gx = xp.matmul(g2, w)
            gx = gx.reshape(tuple(x.shape)) if rows else gx
        gw = xp.matmul(g2.T, x.reshape(-1, x.shape[-1]) if rows else x)
        gb = xp.sum(g2, axis=0) if ctx.has_b else None
        return (gx, gw, gb) if ctx.has_b else (gx, gw)


def linear(input, weight, bias=None):
    if input._data.ndim == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are 0D and 2D")
    if input._data.shape[-1] != weight._data.shape[-1]:
        rows = int(np.prod(input._data.shape[:-1])) if input._data.ndim > 1 else 1
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input._data.shape[-1]} and "
            f"{weight._data.shape[1] if weight._data.ndim == 2 else weight._data.shape[0]}x{weight._data.shape[0]})"
        )
    dt = input._data.dtype
    if weight._data.dtype != dt or (bias is not None and bias._data.dtype != dt):
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {_dtype.scalar_name(input.dtype)} and "
            f"{_dtype.scalar_name(weight.dtype)}"
        )
    if weight._data.ndim == 1:
        out = matmul(input, weight)
        return out if bias is None else out + bias
    if bias is None:
        return Linear.apply(input, weight)
    return Linear.apply(input, weight, bias)


def einsum(equation, *operands_):
    """einsum over tensors, differentiable by re-expressing each operand's gradient as another einsum."""
    if len(operands_) == 1 and isinstance(operands_[0], (list, tuple)):
        operands_ = tuple(operands_[0])
    equation = equation.replace(" ", "")
    _check_einsum(equation, [t._data for t in operands_])
    return Einsum.apply(*operands_, equation=equation)


def _check_einsum(equation: str, arrays) -> None:
    """torch's einsum errors: operand count, subscripts per operand, sizes per letter, output letters."""
    lhs, arrow, out = equation.partition("->")
    ins = lhs.split(",")
    if len(ins) > len(arrays):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(ins) < len(arrays):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    seen: dict = {}
    for i, (sp, a) in enumerate(zip(ins, arrays)):
        letters = sp.replace("...", "")
        if "..." not in sp and len(letters) != a.ndim:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(letters)}) does not match the number "
                f"of dimensions ({a.ndim}) for operand {i} and no ellipsis was given"
            )
        if "..." in sp and len(letters) > a.ndim:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(letters)}) is more than the number "
                f"of dimensions ({a.ndim}) for operand {i}"
            )
        head, _, tail = sp.partition("...")
        dims_of = list(zip(head, a.shape[: len(head)])) + list(zip(tail, a.shape[a.ndim - len(tail):] if tail else ()))
        mine: dict = {}
        for c, n in dims_of:
            if c in mine and mine[c] != n:
                raise RuntimeError(
                    f"einsum(): subscript {c} is repeated for operand {i} but the sizes don't match, {n} != {mine[c]}"
                )
            mine[c] = n
        for c, n in mine.items():
            if c in seen and n != seen[c] and 1 not in (n, seen[c]):
                raise RuntimeError(
                    f"einsum(): subscript {c} has size {n} for operand {i} which does not broadcast with previously "
                    f"seen size {seen[c]}"
                )
            seen[c] = n if c not in seen or seen[c] == 1 else seen[c]
    for c in out.replace("...", ""):
        if c not in seen:
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input operand")


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _explicit(equation: str, arrays) -> tuple[list, str]:
    """Operand specs with ``...`` spelled out as letters, and the output spec (implicit mode: broadcast
    dims, then the letters that occur once, alphabetically — numpy's and torch's rule)."""
    lhs, arrow, out = equation.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(arrays):
        raise RuntimeError(f"einsum(): {len(ins)} operands specified in the equation, but {len(arrays)} given")
    free = [c for c in _LETTERS if c not in equation]
    n_ell = max([a.ndim - (len(sp) - 3) for sp, a in zip(ins, arrays) if "..." in sp], default=0)
    ell = "".join(free[:n_ell])
    ins = [sp.replace("...", ell[n_ell - (a.ndim - (len(sp) - 3)) :]) if "..." in sp else sp for sp, a in zip(ins, arrays)]
    if arrow:
        return ins, out.replace("...", ell)
    joined = "".join(ins)
    return ins, ell + "".join(sorted(c for c in set(joined) if joined.count(c) == 1 and c not in ell))


class Einsum(Op):
    """einsum; the gradient of each operand is another einsum of the output gradient with the other
    operands, summed over broadcast dims and written back onto repeated-letter diagonals (an einsum
    with identity matrices), so the same formula serves create_graph (``xp.einsum``)."""

    @staticmethod
    def forward(ctx, *arrays, equation):
        ins, out = _explicit(equation, arrays)
        ctx.ins, ctx.spec_out = ins, out
        return np.asarray(np.einsum(f"{','.join(ins)}->{out}", *arrays, optimize=len(arrays) > 2))

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        arrays = ctx.inputs if xp is not np else [t._data for t in ctx.inputs]
        grads = []
        for i, (spec, a) in enumerate(zip(ctx.ins, arrays)):
            if not ctx.inputs[i].requires_grad:
                grads.append(None)
                continue
            others = [sp for j, sp in enumerate(ctx.ins) if j != i]
            arrs = [x for j, x in enumerate(arrays) if j != i]
            uniq = "".join(dict.fromkeys(spec))  # letters in first-occurrence order
            size = {c: a.shape[spec.index(c)] for c in uniq}
            present = set(ctx.spec_out).union(*others)
            target = "".join(c for c in uniq if c in present)
            gi = xp.einsum(",".join([ctx.spec_out] + others) + "->" + target, g, *arrs)
            for k, c in enumerate(uniq):  # letters summed away in the forward come back by broadcasting
                if c not in present:
                    gi = xp.expand_dims(gi, k)
            shrink = tuple(k for k, c in enumerate(uniq) if size[c] == 1 and gi.shape[k] != 1)
            if shrink:  # this operand was broadcast along these dims
                gi = xp.sum(gi, axis=shrink, keepdims=True)
            gi = xp.broadcast_to(gi, tuple(size[c] for c in uniq))
            if len(uniq) != len(spec):  # repeated letters: the gradient lives on the diagonal
                free = iter(c for c in _LETTERS if c not in spec)
                full, deltas, seen = "", [], set()
                for c in spec:
                    if c in seen:
                        f = next(free)
                        full += f
                        deltas.append((c + f, np.eye(size[c], dtype=dtype_of(g))))
                    else:
                        seen.add(c)
                        full += c
                eyes = [e if xp is np else _wrap(e) for _, e in deltas]
                gi = xp.einsum(",".join([uniq] + [d for d, _ in deltas]) + "->" + full, gi, *eyes)
            grads.append(gi)
        return tuple(grads)


# ---- products composed of matmul, einsum and elementwise ops (their derivatives come from those) ----------


def _scaled_sum(input, product, beta, alpha):
    """β·input + α·product, where β = 0 ignores input (nan and inf in it do not propagate), as torch's BLAS-style
    functions; the result has product's shape (input is broadcast to it)."""
    from . import shape as S

    shape = product._data.shape
    _check_expand(input, shape)
    out = product if alpha == 1 else product * alpha
    if beta == 0:
        return out
    scaled = input if beta == 1 else input * beta
    return scaled + out if scaled._data.shape == shape else S.expand(scaled, *shape) + out


def _check_expand(input, shape) -> None:
    """torch's error for an ``input`` that cannot be expanded to ``shape``."""
    small = input._data.shape
    off = len(shape) - len(small)
    for d, n in enumerate(small):
        if n != 1 and (d + off < 0 or n != shape[d + off]):
            raise RuntimeError(
                f"The expanded size of the tensor ({shape[d + off] if d + off >= 0 else n}) must match the existing "
                f"size ({n}) at non-singleton dimension {d + off}.  Target sizes: {list(shape)}.  "
                f"Tensor sizes: {list(small)}"
            )


def _check_dtypes(name: str, *ts) -> None:
    if len({t._data.dtype for t in ts}) > 1:
        raise RuntimeError(
            f"{name} input tensors must have the same dtype, but got "
            + ", ".join(_dtype.scalar_name(t.dtype) for t in ts[:-1]) + f", and {_dtype.scalar_name(ts[-1].dtype)}"
        )


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """β·input + α·(mat1 @ mat2)."""
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha)


def mv(input, vec):
    """input @ vec for a matrix and a vector."""
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, {vec._data.ndim}")
    if input._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({input._data.shape[0]}), mat ({_shape_str(input._data.shape)}), "
            f"vec ({vec._data.shape[0]})"
        )
    return matmul(input, vec)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """β·input + α·(mat @ vec)."""
    if mat._data.ndim == 2 and vec._data.ndim == 1 and mat._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({input._data.shape[0] if input._data.ndim else 1}), "
            f"mat ({_shape_str(mat._data.shape)}), vec ({vec._data.shape[0]})"
        )
    _check_dtypes("addmv", input, mat, vec)
    return _scaled_sum(input, mv(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """β·input + α·(vec1 ⊗ vec2)."""
    for name, t in (("vec1", vec1), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return _scaled_sum(input, outer(vec1, vec2), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """β·input + α·(batch1 @ batch2), matrix by matrix over the batch."""
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """β·input + α·Σ_b batch1[b] @ batch2[b]."""
    if batch1._data.ndim >= 2 and batch2._data.ndim >= 3:  # (torch expands input before it checks the batches)
        _check_expand(input, (batch1._data.shape[1], batch2._data.shape[2]))
    return _scaled_sum(input, bmm(batch1, batch2).sum(0), beta, alpha)


def vdot(input, other):
    """Σ conj(input)·other over two vectors (the conjugate is the identity for real tensors)."""
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors")
    return matmul(input, other)


def inner(input, other):
    """Σ over the last dimension of both: out[i…, j…] = Σ_k input[i…, k]·other[j…, k] (a product if one is 0-d)."""
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        return input * other
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(
            f"inner() the last dimension must match on both input tensors but got shapes {list(a.shape)} and {list(b.shape)}"
        )
    return tensordot(input, other, dims=([-1], [-1]))


def tensordot(a, b, dims=2, out=None):
    """Σ over the dimension pairs ``dims`` (the last ``dims`` of a with the first ``dims`` of b, or two lists)."""
    from . import shape as S

    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(na, nb):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        da, db = dims
        da, db = ([da], [db]) if isinstance(da, int) else (list(da), list(db))
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
    da, db = [d % max(na, 1) for d in da], [d % max(nb, 1) for d in db]
    for x, y in zip(da, db):
        if a._data.shape[x] != b._data.shape[y]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a._data.shape[x]} in dim {x - na if x == na - 1 else x} "
                f"and second has size {b._data.shape[y]} in dim {y}"
            )
    keep_a = [d for d in range(na) if d not in da]
    keep_b = [d for d in range(nb) if d not in db]
    k = int(np.prod([a._data.shape[d] for d in da]))
    left = S.permute(a, *keep_a, *da).reshape(-1, k)
    right = S.permute(b, *db, *keep_b).reshape(k, -1)
    res = matmul(left, right).reshape(*[a._data.shape[d] for d in keep_a], *[b._data.shape[d] for d in keep_b])
    return _into(out, res)


def _into(out, res):
    if out is None:
        return res
    out._rebind(res) if res.requires_grad else out.copy_(res)
    return out


def kron(input, other):
    """Kronecker product: out[i·q + k, j·r + l] = input[i, j]·other[k, l] (for any number of dims)."""
    nd = max(input._data.ndim, other._data.ndim)
    a = input.reshape(*(1,) * (nd - input._data.ndim), *input._data.shape)
    b = other.reshape(*(1,) * (nd - other._data.ndim), *other._data.shape)
    sa, sb = a._data.shape, b._data.shape
    prod = a.reshape(*[x for n in sa for x in (n, 1)]) * b.reshape(*[x for n in sb for x in (1, n)])
    return prod.reshape(*[m * n for m, n in zip(sa, sb)])


def cross(input, other, dim=None):
    """torch.cross: the cross product along ``dim`` (default: the first dimension of size 3)."""
    if dim is None:
        import warnings

        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.", UserWarning, stacklevel=2)
        shape = np.broadcast_shapes(input._data.shape, other._data.shape)
        dim = next((d for d, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return linalg_cross(input, other, dim=dim)


def linalg_cross(input, other, *, dim=-1):
    """a × b along ``dim`` (broadcast over the others): (a₂b₃ − a₃b₂, a₃b₁ − a₁b₃, a₁b₂ − a₂b₁)."""
    from . import shape as S
    from ._util import broadcast_error, dims

    na, nb = input._data.ndim, other._data.ndim
    if na != nb:
        raise RuntimeError(
            f"linalg.cross: inputs must have the same number of dimensions. Got {na} and {nb}"
        )
    (d,) = dims(dim, na)
    if input._data.shape[d] != 3 or other._data.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {input._data.shape[d]} and {other._data.shape[d]}"
        )
    try:
        np.broadcast_shapes(input._data.shape, other._data.shape)
    except ValueError:
        raise broadcast_error(input._data.shape, other._data.shape) from None
    a = S.unbind(input, d)
    b = S.unbind(other, d)
    return S.stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]], d)


_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """out[..., i, j] = ‖x1[..., i, :] − x2[..., j, :]‖_p over batched row sets (the p-norm of each difference; its
    gradient at a zero difference is 0, as torch's).

    Torch parity: ``compute_mode`` is validated; ember always takes the differences directly (torch's matrix-product
    form for p = 2 agrees to float32 rounding)."""
    from . import reduction as R

    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t._data.ndim}D")
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {_dtype.scalar_name(t.dtype)}")
    if x1._data.shape[-1] != x2._data.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1._data.shape[-1]} X2: {x2._data.shape[-1]}"
        )
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return R.norm(diff, p, dim=-1)


def dist(input, other, p=2):
    """‖input − other‖_p over all elements (broadcast)."""
    from . import reduction as R

    return R.norm(input - other, p)


def multi_dot(tensors, *, out=None, _name="multi_dot"):
    """A chain of matrix products (the first may be 1-D, the last too), multiplied in the cheapest order."""
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    if ts[0]._data.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {ts[0]._data.ndim}D")
    if ts[-1]._data.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {ts[-1]._data.ndim}D")
    for i, t in enumerate(ts[1:-1], 1):
        if t._data.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t._data.ndim}D")
    first_vec, last_vec = ts[0]._data.ndim == 1, ts[-1]._data.ndim == 1
    mats = [ts[0].unsqueeze(0) if first_vec else ts[0], *ts[1:-1], ts[-1].unsqueeze(-1) if last_vec else ts[-1]]
    for i in range(len(mats) - 1):
        if mats[i]._data.shape[1] != mats[i + 1]._data.shape[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes {list(ts[i]._data.shape)} and "
                f"{list(ts[i + 1]._data.shape)} cannot be multiplied"
            )
    res = _chain(mats, _order([m._data.shape[0] for m in mats] + [mats[-1]._data.shape[1]]), 0, len(mats) - 1)
    if first_vec:
        res = res.squeeze(0)
    if last_vec:
        res = res.squeeze(-1)
    return _into(out, res)


def _order(p):
    """The matrix-chain dynamic programme (Cormen et al., §15.2): split[i][j] = the best k for mats[i..j] of sizes
    p[i]×p[i+1] … p[j]×p[j+1], minimising the scalar multiplications."""
    n = len(p) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j], split[i][j] = min(
                (cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1], k) for k in range(i, j)
            )
    return split


def _chain(mats, split, i, j):
    if i == j:
        return mats[i]
    k = split[i][j]
    return matmul(_chain(mats, split, i, k), _chain(mats, split, k + 1, j))


def chain_matmul(*matrices, out=None):
    """The product of 2-D matrices in the cheapest order (deprecated in torch in favour of linalg.multi_dot)."""
    if len(matrices) == 1:
        if matrices[0]._data.ndim != 2:
            raise RuntimeError(f"chain_matmul(): Expected 2D tensor but got {matrices[0]._data.ndim}D tensor")
        return _into(out, matrices[0].clone())
    return multi_dot(matrices, out=out)
