"""Matrix products: ``matmul`` (with torch's 1-D and batched rules), ``linear`` (x·Wᵀ + b, one fused op)."""
from __future__ import annotations

import numpy as np

from ... import _dtype, _errors
from ..._threads import note_blas
from ...tensor import Tensor, _wrap
from ..function import Op
from ._util import matmul_dtype_error
from ._xp import cj, dtype_of, xp_of


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
        a, b, xp = cj(ctx.a), cj(ctx.b), xp_of(g)  # (conjugates: the complex rule, complex.py)
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
        raise _errors.bmm_batch2_size(b, k, b2, k2)
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
        # (xᵀ·g)ᵀ, not gᵀ·x: the same numbers, and OpenBLAS runs some shapes of gᵀ·x several times slower
        # (benchmarks/NOTES.md)
        gw = xp.matmul((x.reshape(-1, x.shape[-1]) if rows else x).T, g2).T
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


def _onto_diagonals(xp, d, spec: str, uniq: str, size: dict, dtype):
    """The array of letters ``spec`` (some repeated) that is ``d`` (letters ``uniq``) on the diagonals and 0 off
    them: each repeat of a letter gets a fresh letter tied to the first by an identity matrix."""
    free = iter(c for c in _LETTERS if c not in spec)
    letters, terms = list(spec), []
    for k, c in enumerate(spec):
        if c in spec[:k]:
            letters[k] = next(free)
            terms.append(c + letters[k])
    eyes = [np.eye(size[t[0]], dtype=dtype) for t in terms]
    return xp.einsum(",".join([uniq, *terms]) + "->" + "".join(letters), d, *eyes)


def einsum(equation, *operands_):
    """einsum over tensors, differentiable by re-expressing each operand's gradient as another einsum."""
    if len(operands_) == 1 and isinstance(operands_[0], (list, tuple)):
        operands_ = tuple(operands_[0])
    equation = equation.replace(" ", "")
    _check_einsum(equation, [t._data for t in operands_])
    return Einsum.apply(*operands_, equation=equation)


def _check_einsum(equation: str, arrays) -> None:
    """torch's einsum errors: operand count, subscripts per operand, sizes per letter, output letters."""
    lhs, _, out = equation.partition("->")
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
    operands, summed over broadcast dims and written back onto repeated-letter diagonals (an einsum with
    identity matrices: a_{..i..i..} = d_{..i..} δ_{ii'})."""

    @staticmethod
    def forward(ctx, *arrays, equation):
        ins, out = _explicit(equation, arrays)
        ctx.ins, ctx.out, ctx.arrays = ins, out, arrays
        return np.asarray(np.einsum(f"{','.join(ins)}->{out}", *arrays))

    @staticmethod
    def backward(ctx, g):
        grads, xp = [], xp_of(g)
        for i, (spec, a) in enumerate(zip(ctx.ins, ctx.arrays)):
            others = [sp for j, sp in enumerate(ctx.ins) if j != i]
            arrs = [x for j, x in enumerate(ctx.arrays) if j != i]
            uniq = "".join(dict.fromkeys(spec))  # letters in first-occurrence order
            size = {c: a.shape[spec.index(c)] for c in uniq}
            present = set(ctx.out).union(*others)
            target = "".join(c for c in uniq if c in present)
            gi = xp.einsum(",".join([ctx.out] + others) + "->" + target, g, *arrs)
            for k, c in enumerate(uniq):  # letters summed away in the forward come back by broadcasting
                if c not in present:
                    gi = xp.expand_dims(gi, k)
            shrink = tuple(k for k, c in enumerate(uniq) if size[c] == 1 and gi.shape[k] != 1)
            if shrink:  # this operand was broadcast along these dims
                gi = xp.sum(gi, axis=shrink, keepdims=True)
            gi = xp.broadcast_to(gi, tuple(size[c] for c in uniq))
            if len(uniq) != len(spec):  # repeated letters: the gradient lives on the diagonal
                gi = _onto_diagonals(xp, gi, spec, uniq, size, dtype_of(g))
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
            raise _errors.expand_size_mismatch(shape[d + off] if d + off >= 0 else n, n, d + off, list(shape),
                                               list(small))


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


# ---- torch.linalg primitives (the public functions are in ember/linalg.py) ------------------------------------
# Outputs made of several arrays (eigh, svd, qr) are packed into one array along the last axis, and the public
# function slices them back out: slicing is differentiable, so each decomposition is one op with one backward.


def _mT(x):
    """The matrix transpose of the last two dims (an array or a Tensor)."""
    return x.swapaxes(-1, -2) if isinstance(x, np.ndarray) else x.transpose(-1, -2)


def _const(xp, a):
    """A constant array as the namespace's kind (a Tensor under create_graph)."""
    return a if xp is np else _wrap(np.asarray(a))


def _data(x):
    return x._data if isinstance(x, Tensor) else x


def _right_solve(xp, x, a):
    """x·a⁻¹ = (a⁻ᵀ·xᵀ)ᵀ."""
    return _mT(xp.linalg.solve(_mT(a), _mT(x)))


class Solve(Op):
    """X = A⁻¹B for B of shape (…, n, k).  B̄ = A⁻ᴴ·X̄,  Ā = −B̄·Xᴴ (ᴴ: the conjugate transpose; ᵀ for real A)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a = a
        ctx.out = np.linalg.solve(a, b)
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        gb = xp.linalg.solve(_mT(cj(ctx.a)), g)
        return -xp.matmul(gb, _mT(cj(ctx.out))), gb


class Eig(Op):
    """A = V·diag(λ)·V⁻¹ (any square A; λ and V complex, V's columns of unit norm), packed as out[…, 0, :] = λ,
    out[…, 1:, :] = V.  With E_ij = conj(λ_j − λ_i) (1 on the diagonal) and ∘ the elementwise product:

        M = VᴴV̄ − Vᴴ·V·diag(Re diag(VᴴV̄)),   Ā = V⁻ᴴ·(diag(λ̄) + M∘(1 − I)/E)·Vᴴ

    (torch's ``linalg_eig_backward``; a real A keeps the real part). The loss must not depend on the eigenvectors'
    phases, which are arbitrary (torch checks this; ember does not).

    Reference: Giles, "An extended collection of matrix derivative results for forward and reverse mode automatic
    differentiation", 2008; the complex form as in torch's FunctionsManual.cpp.
    """

    @staticmethod
    def forward(ctx, a):
        lam, v = np.linalg.eig(a)  # (LAPACK geev, as torch: the real routine for a real A)
        cdt = np.result_type(a.dtype, np.complex64)
        out = np.concatenate([lam.astype(cdt)[..., None, :], v.astype(cdt)], -2)
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        n = ctx.out.shape[-1]
        lam, v = ctx.out[..., 0, :], ctx.out[..., 1:, :]
        gl, gv = g[..., 0, :], g[..., 1:, :]
        vh = _mT(cj(v))
        vhgv = xp.matmul(vh, gv)
        eye = np.eye(n)
        re_diag = ((vhgv * eye).sum(-2)).real  # Re diag(VᴴV̄)
        m = vhgv - xp.matmul(vh, v * xp.expand_dims(re_diag, -2))
        e = cj(xp.expand_dims(lam, -2) - xp.expand_dims(lam, -1)) + eye
        inner = m / e * (1 - eye) + xp.expand_dims(gl, -2) * eye
        return xp.linalg.solve(vh, xp.matmul(inner, vh))


class LogAbsDet(Op):
    """log|det A|;  Ā = ḡ·A⁻ᵀ."""

    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return np.asarray(np.linalg.slogdet(a)[1])

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        return g.reshape(tuple(g.shape) + (1, 1)) * _mT(xp.linalg.inv(ctx.a))


class Det(Op):
    """det A;  Ā = ḡ·adj(A)ᵀ = ḡ·det(A)·A⁻ᵀ when A is invertible, and for a singular A (where A⁻¹ does not exist)
    ḡ·det(U)det(Vᵀ)·U·diag(πᵢ)·Vᵀ from A = U·diag(s)·Vᵀ with πᵢ = Π_{j≠i} s_j (the cofactor matrix through the SVD,
    as torch's linalg_det_backward)."""

    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        ctx.out = np.asarray(np.linalg.det(a))
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        a, gg = ctx.a, g.reshape(tuple(g.shape) + (1, 1))
        if np.all(np.linalg.cond(_data(a)) < np.finfo(_data(a).dtype).eps ** -0.5):  # well conditioned
            return gg * ctx.out.reshape(tuple(g.shape) + (1, 1)) * _mT(xp.linalg.inv(a))
        u, s, vh = _svd_parts(xp, a)
        n = s.shape[-1]
        sign = np.linalg.det(_data(u)) * np.linalg.det(_data(vh))  # ±1, piecewise constant
        pi = 0
        for i in range(n):
            p = 1
            for j in range(n):
                if j != i:
                    p = p * s[..., j : j + 1]
            pi = pi + p * _const(xp, np.eye(n, dtype=_data(a).dtype)[i])
        cof = xp.matmul(u * pi.reshape(tuple(pi.shape[:-1]) + (1, n)), vh)
        return gg * cof * _const(xp, sign.reshape(sign.shape + (1, 1)))


def _svd_parts(xp, a):
    """(U, S, Vh) of the reduced SVD, through the differentiable op under create_graph."""
    if xp is np:
        return np.linalg.svd(a, full_matrices=False)
    from ... import linalg

    return linalg.svd(a, full_matrices=False)


class Cholesky(Op):
    """A = L·Lᵀ with L lower triangular.  With Φ(X) = the lower triangle of X with its diagonal halved and
    S = L⁻ᵀ·Φ(Lᵀ·tril(L̄))·L⁻¹:  Ā = (S + Sᵀ)/2  (Murray, "Differentiation of the Cholesky decomposition",
    arXiv:1602.07527, 2016)."""

    @staticmethod
    def forward(ctx, a):
        ctx.out = np.linalg.cholesky(a)
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        lo = ctx.out
        n = lo.shape[-1]
        mask = np.tril(np.ones((n, n), dtype=dtype_of(g)))
        phi = _const(xp, mask - 0.5 * np.eye(n, dtype=dtype_of(g)))
        p = xp.matmul(_mT(lo), g * _const(xp, mask)) * phi
        s = _right_solve(xp, xp.linalg.solve(_mT(lo), p), lo)
        return (s + _mT(s)) * 0.5


class Eigh(Op):
    """A = V·diag(λ)·Vᵀ (symmetric A, one triangle read), packed as out[…, 0, :] = λ, out[…, 1:, :] = V.
    With E_ij = λ_j − λ_i (E_ii = 1) and K = skew(Vᵀ·V̄)/2:  Ā = V·(K / E + diag(λ̄))·Vᵀ  (Giles, "An extended
    collection of matrix derivative results for forward and reverse mode AD", 2008; Seeger et al., "Auto-
    differentiating linear algebra", arXiv:1710.08717, 2017)."""

    @staticmethod
    def forward(ctx, a, UPLO="L"):
        w, v = np.linalg.eigh(a, UPLO=UPLO)
        ctx.out = np.concatenate([w[..., None, :], v], axis=-2)
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        n = ctx.out.shape[-1]
        w, v = ctx.out[..., 0:1, :], ctx.out[..., 1:, :]
        gw, gv = g[..., 0:1, :], g[..., 1:, :]
        eye = _const(xp, np.eye(n, dtype=dtype_of(g)))
        k = xp.matmul(_mT(v), gv)
        k = (k - _mT(k)) * 0.5
        e = w - _mT(w) + eye
        inner = k / e + gw * eye
        return xp.matmul(xp.matmul(v, inner), _mT(v))


def unpack(x, lead, shapes):
    """The parts of trailing ``shapes`` of an array or Tensor whose last axis joins them, flattened."""
    out, at = [], 0
    for s in shapes:
        size = int(np.prod(s))
        out.append(x[..., at : at + size].reshape(tuple(lead) + tuple(s)))
        at += size
    return out


class Svd(Op):
    """A = U·diag(S)·Vᵀ, packed (U, S, Vh).  With F_ij = 1/(s_j² − s_i²) (0 on the diagonal), J = F∘(UᵀŪ − ŪᵀU),
    K = F∘(VᵀV̄ − V̄ᵀV) (V̄ = V̄hᵀ):
        Ā = U·(J·S + diag(S̄) + S·K)·Vᵀ + (I − UUᵀ)·Ū·S⁻¹·Vᵀ + U·S⁻¹·V̄ᵀ·(I − VVᵀ)
    (Townsend, "Differentiating the singular value decomposition", 2016; Seeger et al. 2017). With full_matrices
    the columns of U and rows of Vh past min(m, n) carry no gradient (as torch)."""

    @staticmethod
    def forward(ctx, a, full_matrices=True):
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        m, n = a.shape[-2:]
        ctx.lead, ctx.shapes = a.shape[:-2], ((m, u.shape[-1]), (s.shape[-1],), (vh.shape[-2], n))
        ctx.out = np.concatenate([u.reshape(a.shape[:-2] + (-1,)), s, vh.reshape(a.shape[:-2] + (-1,))], axis=-1)
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        u, s, vh = unpack(ctx.out, ctx.lead, ctx.shapes)
        gu, gs, gvh = unpack(g, ctx.lead, ctx.shapes)
        k = s.shape[-1]
        u, gu, vh, gvh = u[..., :k], gu[..., :k], vh[..., :k, :], gvh[..., :k, :]
        m, n = u.shape[-2], vh.shape[-1]
        dt = dtype_of(g)
        eye = _const(xp, np.eye(k, dtype=dt))
        srow, scol = s.reshape(tuple(ctx.lead) + (1, k)), s.reshape(tuple(ctx.lead) + (k, 1))
        s2 = srow * srow
        f = (1 - eye) / (s2 - _mT(s2) + eye)
        v, gv = _mT(vh), _mT(gvh)
        utgu, vtgv = xp.matmul(_mT(u), gu), xp.matmul(vh, gv)
        j = f * (utgu - _mT(utgu))
        kk = f * (vtgv - _mT(vtgv))
        inner = j * srow + gs.reshape(tuple(ctx.lead) + (1, k)) * eye + scol * kk
        ga = xp.matmul(xp.matmul(u, inner), vh)
        if m > k:
            ga = ga + xp.matmul((gu - xp.matmul(u, utgu)) / srow, vh)
        if n > k:
            ga = ga + xp.matmul(u, _mT((gv - xp.matmul(v, vtgv)) / srow))
        return ga


class Qr(Op):
    """A = Q·R, packed (Q, R).  For m ≥ n, with M = R·R̄ᵀ − Q̄ᵀ·Q and copyltu(M) = tril(M) + tril(M, −1)ᵀ:
        Ā = (Q̄ + Q·copyltu(M))·R⁻ᵀ
    (Liao et al., "Differentiable programming tensor networks", PRX 9, 031041, 2019); for m < n, A = [X | Y] and
    R = [U | V]: Ā = [X̄ | Q·V̄] with X̄ the square case for (Q, U) at Q̄ + Y·V̄ᵀ, Ū."""

    @staticmethod
    def forward(ctx, a, mode="reduced"):
        q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        ctx.mode, ctx.lead, ctx.shapes, ctx.a = mode, a.shape[:-2], (q.shape[-2:], r.shape[-2:]), a
        ctx.out = np.concatenate([q.reshape(a.shape[:-2] + (-1,)), r.reshape(a.shape[:-2] + (-1,))], axis=-1)
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        if ctx.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
                "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr."
            )
        xp = xp_of(g)
        q, r = unpack(ctx.out, ctx.lead, ctx.shapes)
        gq, gr = unpack(g, ctx.lead, ctx.shapes)
        m, n = ctx.a.shape[-2], ctx.a.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if m >= n:
            return _qr_square_back(xp, q, r, gq, gr)
        y, u, gu, gv = ctx.a[..., m:], r[..., :m], gr[..., :m], gr[..., m:]
        gx = _qr_square_back(xp, q, u, gq + xp.matmul(y, _mT(gv)), gu)
        gy = xp.matmul(q, gv)
        return xp.concatenate([gx, gy], axis=-1)


def _qr_square_back(xp, q, r, gq, gr):
    n = r.shape[-1]
    low = np.tril(np.ones((n, n), dtype=dtype_of(gq)))
    mm_ = xp.matmul(r, _mT(gr)) - xp.matmul(_mT(gq), q)
    tl = mm_ * _const(xp, low)
    sym = tl + _mT(tl) - tl * _const(xp, np.eye(n, dtype=dtype_of(gq)))
    return _right_solve(xp, gq + xp.matmul(q, sym), _mT(r))


class Pinv(Op):
    """A⁺ (the Moore–Penrose inverse).  With P = A⁺, Ḡ the output gradient and, for m ≤ n, K = Ḡᵀ·P:
        Ā = −(P·K)ᵀ + K·Pᵀ − A·P·K·Pᵀ + Pᵀ·P·(Ḡᵀ − K·A)
    and for m > n, K = P·Ḡᵀ:  Ā = −(K·P)ᵀ + (Ḡᵀ − A·K)·P·Pᵀ + Pᵀ·K − Pᵀ·K·P·A  (Golub & Pereyra, "The
    differentiation of pseudo-inverses and nonlinear least squares problems", SIAM J. Numer. Anal. 10, 1973;
    the gradient torch's pinv_backward computes)."""

    @staticmethod
    def forward(ctx, a, atol=None, rtol=None, hermitian=False):
        ctx.a = a
        ctx.out = _pinv_array(a, atol, rtol, hermitian)
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        a, p = ctx.a, ctx.out
        m, n = a.shape[-2], a.shape[-1]
        ph, gh = _mT(p), _mT(g)
        if m <= n:
            k = xp.matmul(gh, p)
            kph = xp.matmul(k, ph)
            res = (-_mT(xp.matmul(p, k)) + kph - xp.matmul(xp.matmul(a, p), kph)
                   + xp.matmul(xp.matmul(ph, p), gh - xp.matmul(k, a)))
        else:
            k = xp.matmul(p, gh)
            phk = xp.matmul(ph, k)
            res = (-_mT(xp.matmul(k, p)) + xp.matmul(xp.matmul(gh - xp.matmul(a, k), p), ph) + phk
                   - xp.matmul(xp.matmul(phk, p), a))
        return res


def _pinv_array(a, atol, rtol, hermitian):
    """A⁺ = V·diag(1/σᵢ for σᵢ > max(atol, rtol·σ_max), else 0)·Uᵀ; default rtol = eps·max(m, n) when neither
    tolerance is given, 0 when only atol is (torch's rule); hermitian uses the eigendecomposition (σ = |λ|)."""
    m, n = a.shape[-2:]
    if rtol is None:
        rtol = np.finfo(a.dtype).eps * max(m, n) if atol is None or np.all(np.asarray(atol) <= 0) else 0.0
    atol = 0.0 if atol is None else atol
    if hermitian:
        w, v = np.linalg.eigh(a)
        s, u, vh = np.abs(w), v * np.sign(w)[..., None, :], _mT(v)
    else:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
    smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else s
    cut = np.maximum(np.asarray(atol, dtype=a.dtype)[..., None], np.asarray(rtol, dtype=a.dtype)[..., None] * smax)
    with np.errstate(divide="ignore"):
        inv = np.where(s > cut, 1 / s, 0).astype(a.dtype)
    return np.matmul(_mT(vh) * inv[..., None, :], _mT(u))


class LuFactor(Op):
    """P·A = L·U by Gaussian elimination with partial pivoting (LAPACK getrf's choices: the first largest |pivot|),
    L unit lower and U upper packed in one matrix.  For a square A, with L̄ = tril(Ḡ, −1), Ū = triu(Ḡ):
        Ā = Pᵀ·L⁻ᵀ·(tril(Lᵀ·L̄, −1) + triu(Ū·Uᵀ))·U⁻ᵀ
    (de Hoog, Anderssen & Lukas, "Differentiation of matrix functionals using triangular factorization", Math.
    Comp. 80, 2011)."""

    @staticmethod
    def forward(ctx, a):
        ctx.out, piv = lu_array(a)
        ctx.perm = pivots_to_perm(piv, a.shape[-2])
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        lu = ctx.out
        n = lu.shape[-1]
        dt = dtype_of(g)
        strict, up, eye = np.tril(np.ones((n, n), dt), -1), np.triu(np.ones((n, n), dt)), np.eye(n, dtype=dt)
        lo = lu * _const(xp, strict) + _const(xp, eye)
        u = lu * _const(xp, up)
        inner = xp.matmul(_mT(lo), g * _const(xp, strict)) * _const(xp, strict) + xp.matmul(
            g * _const(xp, up), _mT(u)) * _const(xp, up)
        x = _right_solve(xp, xp.linalg.solve(_mT(lo), inner), _mT(u))
        inv_perm = np.argsort(ctx.perm, axis=-1)  # rows of P·A back to A's order
        return _take_rows(x, inv_perm)


def _take_rows(x, perm):
    """x[..., perm[..., i], :] for a batch of row permutations (an array or a Tensor)."""
    if isinstance(x, np.ndarray):
        return np.take_along_axis(x, perm[..., :, None], axis=-2)
    from . import indexing as I

    return I.take_along_dim(x, _wrap(np.broadcast_to(perm[..., :, None], tuple(x.shape))), -2)


def lu_array(a):
    """(LU packed, pivots) of P·A = L·U, batched: pivots are LAPACK's (1-based, int32: row i was swapped with row
    pivots[i] − 1 at step i)."""
    lu = np.array(a, dtype=a.dtype, copy=True)
    m, n = lu.shape[-2:]
    lead = lu.shape[:-2]
    piv = np.empty(lead + (min(m, n),), dtype=np.int32)
    for k in range(min(m, n)):
        p = k + np.argmax(np.abs(lu[..., k:, k]), axis=-1)
        piv[..., k] = p + 1
        if np.any(p != k):
            pr = np.broadcast_to(np.asarray(p)[..., None, None], lead + (1, n))
            rows_p = np.take_along_axis(lu, pr, -2)
            np.put_along_axis(lu, pr, lu[..., k : k + 1, :].copy(), -2)
            lu[..., k : k + 1, :] = rows_p
        pivot = lu[..., k, k]
        with np.errstate(divide="ignore", invalid="ignore"):
            mult = np.where(pivot[..., None] != 0, lu[..., k + 1 :, k] / pivot[..., None], 0)
        lu[..., k + 1 :, k] = mult
        lu[..., k + 1 :, k + 1 :] -= mult[..., :, None] * lu[..., k : k + 1, k + 1 :]
    return lu, piv


def pivots_to_perm(piv, m):
    """perm with (P·A)[i] = A[perm[i]] for LAPACK's 1-based pivots over m rows."""
    perm = np.broadcast_to(np.arange(m), piv.shape[:-1] + (m,)).copy()
    for i in range(piv.shape[-1]):
        j = (piv[..., i] - 1).astype(np.int64)[..., None]
        pi = perm[..., i : i + 1].copy()
        perm[..., i : i + 1] = np.take_along_axis(perm, j, -1)
        np.put_along_axis(perm, j, pi, -1)
    return perm


_BK_ALPHA = (1 + 17 ** 0.5) / 8  # Bunch–Kaufman's pivoting threshold


def ldl_array(a):
    """(LD, pivots, info) of A = P·L·D·Lᵀ·Pᵀ for one symmetric matrix (its lower triangle read), by Bunch–Kaufman
    diagonal pivoting with 1×1 and 2×2 blocks (Bunch & Kaufman, "Some stable methods for calculating inertia and
    solving symmetric linear systems", Math. Comp. 31, 1977), in LAPACK dsytf2's order and storage: L's multipliers
    below the diagonal, D on it (2×2 blocks with their off-diagonal below), pivots 1-based (negative for a 2×2
    block), info the first zero pivot."""
    A = np.tril(np.array(a, dtype=a.dtype, copy=True))
    A = A + np.tril(A, -1).T  # symmetric working copy; the lower triangle is what counts
    n = A.shape[0]
    piv = np.zeros(n, dtype=np.int32)
    info, k = 0, 0
    while k < n:
        kstep = 1
        absakk = abs(A[k, k])
        if k < n - 1:
            imax = k + 1 + int(np.argmax(np.abs(A[k + 1 :, k])))
            colmax = abs(A[imax, k])
        else:
            imax, colmax = k, 0.0
        if max(absakk, colmax) == 0 or np.isnan(absakk):
            info = info or k + 1
            kp = k
        else:
            if absakk >= _BK_ALPHA * colmax:
                kp = k
            else:
                row = np.abs(A[imax, k:imax])
                rowmax = row.max() if row.size else 0.0
                if imax < n - 1:
                    rowmax = max(rowmax, np.abs(A[imax + 1 :, imax]).max())
                if absakk >= _BK_ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif abs(A[imax, imax]) >= _BK_ALPHA * rowmax:
                    kp = imax
                else:
                    kp, kstep = imax, 2
            kk = k + kstep - 1
            if kp != kk:  # symmetric interchange of rows/columns kk and kp in the trailing matrix only
                T = A[k:, k:]
                T[[kk - k, kp - k], :] = T[[kp - k, kk - k], :]
                T[:, [kk - k, kp - k]] = T[:, [kp - k, kk - k]]
            if kstep == 1:
                if k < n - 1:
                    x = A[k + 1 :, k].copy()
                    A[k + 1 :, k + 1 :] -= np.outer(x, x) / A[k, k]
                    A[k + 1 :, k] = x / A[k, k]
                    A[k, k + 1 :] = A[k + 1 :, k]
            else:
                if k < n - 2:
                    d21 = A[k + 1, k]
                    d11 = A[k + 1, k + 1] / d21
                    d22 = A[k, k] / d21
                    t = 1 / (d11 * d22 - 1)
                    d21 = t / d21
                    wk = d21 * (d11 * A[k + 2 :, k] - A[k + 2 :, k + 1])
                    wkp1 = d21 * (d22 * A[k + 2 :, k + 1] - A[k + 2 :, k])
                    A[k + 2 :, k + 2 :] -= np.outer(A[k + 2 :, k], wk) + np.outer(A[k + 2 :, k + 1], wkp1)
                    A[k + 2 :, k], A[k + 2 :, k + 1] = wk, wkp1
                    A[k, k + 2 :], A[k + 1, k + 2 :] = wk, wkp1
        if kstep == 1:
            piv[k] = kp + 1
        else:
            piv[k] = piv[k + 1] = -(kp + 1)
        k += kstep
    return np.tril(A), piv, info


def ldl_solve_array(ld, piv, b):
    """X with A·X = B from :func:`ldl_array`'s factors (LAPACK dsytrs, lower): L·D·Lᵀ solved with the interchanges."""
    x = np.array(b, dtype=np.result_type(ld, b), copy=True)
    n = ld.shape[0]
    k = 0
    while k < n:  # solve L·D·Y = P·B
        if piv[k] > 0:
            kp = piv[k] - 1
            x[[k, kp]] = x[[kp, k]]
            x[k + 1 :] -= np.outer(ld[k + 1 :, k], x[k])
            x[k] /= ld[k, k]
            k += 1
        else:
            kp = -piv[k] - 1
            x[[k + 1, kp]] = x[[kp, k + 1]]
            x[k + 2 :] -= np.outer(ld[k + 2 :, k], x[k]) + np.outer(ld[k + 2 :, k + 1], x[k + 1])
            akm1k = ld[k + 1, k]
            akm1, ak = ld[k, k] / akm1k, ld[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1
            bkm1, bk = x[k] / akm1k, x[k + 1] / akm1k
            x[k], x[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:  # solve Lᵀ·Pᵀ·X = Y
        if piv[k] > 0:
            x[k] -= ld[k + 1 :, k] @ x[k + 1 :]
            kp = piv[k] - 1
            x[[k, kp]] = x[[kp, k]]
            k -= 1
        else:
            x[k] -= ld[k + 1 :, k] @ x[k + 1 :]
            x[k - 1] -= ld[k + 1 :, k - 1] @ x[k + 1 :]
            kp = -piv[k] - 1
            x[[k, kp]] = x[[kp, k]]
            k -= 2
    return x
