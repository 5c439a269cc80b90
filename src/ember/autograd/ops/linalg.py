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
    return Einsum.apply(*operands_, equation=equation.replace(" ", ""))


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
