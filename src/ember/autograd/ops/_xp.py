"""The array namespace a backward formula is written against, so that each derivative is stated once.

An op's ``backward(ctx, g)`` runs in two ways (``function.run_backward``):

- first order (``backward()``, ``autograd.grad``): ``g`` and the values saved on ``ctx`` are NumPy
  arrays; nothing is recorded and no Tensor is made;
- ``create_graph=True``: ``g`` is a Tensor and the saved values are Tensors too (the op's inputs and
  output as the Tensors of the graph, any other saved array as a constant), so the same formula,
  evaluated with ember's differentiable ops, records the graph of the gradient.

Arithmetic operators (``g * ctx.b``, ``-g / ctx.a``), comparisons (masks) and ``.reshape`` read the
same on both. Everything else a formula calls goes through ``xp = xp_of(g)``: ``numpy`` itself for
arrays, :class:`TensorNamespace` (the NumPy functions' names and signatures, computed with ember
ops) for Tensors. This is the array-API style of NumPy/CuPy code (``xp``) rather than Tensor
implementing ``__array_function__``: the protocol would change what ``np.exp(tensor)`` returns in
user code, the namespace changes nothing outside backward formulas, and the first-order pass pays
one type test per call.
"""
from __future__ import annotations

import numpy as np

from ... import _numba
from ...tensor import Tensor, _wrap


def xp_of(g):
    """The namespace of differentiable Tensor ops when ``g`` is a Tensor (create_graph), else ``numpy``."""
    return TensorNamespace if isinstance(g, Tensor) else np


def cj(a):
    """conj(a) for a complex array or Tensor (a formula's conjugate, ``complex.py``); ``a`` itself when it is real,
    so that real backward passes pay one dtype test and no copy."""
    dt = getattr(a, "dtype", None)
    if dt is None or not (dt.is_complex if isinstance(a, Tensor) else dt.kind == "c"):
        return a
    return a.conj() if isinstance(a, Tensor) else np.conj(a)


def masked(g, mask):
    """g where ``mask``, 0 elsewhere: the gradient of a piecewise op (relu, clamp, hardtanh), selected as torch's
    backward kernels do, so that a NaN or inf of ``g`` where ``mask`` is False gives 0 (``g·mask`` would give NaN).
    One pass of ``_select`` (numba) for same-shape float32/float64 arrays; otherwise ``g·mask``, one SIMD pass several
    times faster than ``np.where`` on a random mask, which is that selection whenever its sum is finite, and
    ``where`` when it is not (and for Tensors, under create_graph)."""
    if isinstance(g, Tensor):
        return TensorNamespace.where(mask, g, 0)
    out = _one_pass(_select, g, mask)
    if out is not None:
        return out
    with np.errstate(invalid="ignore"):  # (inf·0: the case ``where`` then decides)
        out = g * mask
    return out if np.isfinite(out.sum()) else np.where(mask, g, np.zeros((), g.dtype))


def threshold_grad(g, out):
    """The gradient of relu: g, but 0 where the output is ≤ 0, as torch's threshold_backward (so a NaN output passes
    g). One pass of ``_threshold_select`` (numba) for same-shape float32/float64 arrays, else ``masked``."""
    res = None if isinstance(g, Tensor) or g.dtype != out.dtype else _one_pass(_threshold_select, g, out)
    return res if res is not None else masked(g, ~(out <= 0))


def _one_pass(kernel_fn, g, other):
    """``kernel_fn(g, other, result)`` over the flattened arrays, compiled (numba), for same-shape C-contiguous
    float32/float64 ``g``; None where that does not apply (and without numba)."""
    if g.shape != other.shape or not _numba.takes(g.dtype) or not (g.flags.c_contiguous and other.flags.c_contiguous):
        return None
    kernel = _numba.compiled(kernel_fn)
    if kernel is None:
        return None
    res = np.empty_like(g)
    kernel(g.reshape(-1), other.reshape(-1), res.reshape(-1))
    return res


def _threshold_select_reference(g, out, res):
    res[...] = np.where(out <= 0, np.zeros((), g.dtype), g)


def _threshold_select_example(rng, dtype):
    g = rng.standard_normal(64).astype(dtype)
    out = np.maximum(rng.standard_normal(64), 0).astype(dtype)
    g[[3, 9, 20]] = np.nan, np.inf, -np.inf
    out[[3, 9, 30, 31]] = 0, 0, np.nan, -0.0
    yield (g, out, np.empty_like(g)), {}


@_numba.fast_variant_of(_threshold_select_reference, nogil=True, example=_threshold_select_example)
def _threshold_select(g, out, res):
    for i in range(g.shape[0]):
        res[i] = 0 if out[i] <= 0 else g[i]


def sign_array(a: np.ndarray) -> np.ndarray:
    """sign(a) as torch's: −1, 0 or 1, and 0 at NaN (NumPy's sign gives NaN there); z/|z| for complex z."""
    s = np.sign(a)
    if s.dtype.kind == "f" and np.isnan(s).any():
        s = np.where(np.isnan(s), s.dtype.type(0), s)
    return s


def _select_reference(g, mask, out):
    out[...] = np.where(mask, g, np.zeros((), g.dtype))


def _select_example(rng, dtype):
    g = rng.standard_normal(64).astype(dtype)
    g[[3, 9, 20]] = np.nan, np.inf, -np.inf
    mask = rng.random(64) < 0.5
    mask[[3, 9]] = False
    yield (g, mask, np.empty_like(g)), {}


@_numba.fast_variant_of(_select_reference, nogil=True, example=_select_example)
def _select(g, mask, out):
    for i in range(g.shape[0]):
        out[i] = g[i] if mask[i] else 0


def dtype_of(a) -> np.dtype:
    """The NumPy dtype of an array or of a Tensor's array."""
    return a._data.dtype if isinstance(a, Tensor) else a.dtype


class TensorNamespace:
    """The NumPy functions that backward formulas use, on Tensors, recorded in the graph."""

    errstate = staticmethod(np.errstate)

    @staticmethod
    def _e():
        from . import elementwise

        return elementwise

    @staticmethod
    def exp(a):
        return a.exp()

    @staticmethod
    def log(a):
        return a.log()

    @staticmethod
    def sin(a):
        return a.sin()

    @staticmethod
    def cos(a):
        return a.cos()

    @staticmethod
    def sign(a):
        return a.sgn()  # (NumPy's sign of a complex z is z/|z|: torch's sgn)

    @staticmethod
    def sqrt(a):
        return a.sqrt()

    @staticmethod
    def abs(a):
        return a.abs()

    @staticmethod
    def log1p(a):
        return a.log1p()

    @staticmethod
    def maximum(a, b):
        return TensorNamespace._e().maximum(*TensorNamespace._pair(a, b))

    @staticmethod
    def minimum(a, b):
        return TensorNamespace._e().minimum(*TensorNamespace._pair(a, b))

    @staticmethod
    def _pair(a, b):
        """Both operands as Tensors, a non-Tensor one a constant of the other's dtype."""
        a = a if isinstance(a, Tensor) else _wrap(np.asarray(a, dtype=b._data.dtype))
        return a, (b if isinstance(b, Tensor) else _wrap(np.asarray(b, dtype=a._data.dtype)))

    @staticmethod
    def power(a, b):
        return a ** b

    @staticmethod
    def where(cond, a, b):
        cond = cond if isinstance(cond, Tensor) else _wrap(np.asarray(cond))
        return TensorNamespace._e().where(cond, *TensorNamespace._pair(a, b))

    @staticmethod
    def matmul(a, b):
        return a @ b

    @staticmethod
    def swapaxes(a, axis1, axis2):
        return a.transpose(axis1, axis2)

    @staticmethod
    def mean(a, axis=None, keepdims=False):
        return a.mean(tuple(range(a.dim())) if axis is None else axis, keepdim=keepdims)

    @staticmethod
    def asarray(a, dtype=None):
        """A constant Tensor of an array (no gradient flows into it)."""
        return a if isinstance(a, Tensor) else _wrap(np.asarray(a, dtype))

    @staticmethod
    def zeros_like(a):
        return _wrap(np.zeros(a._data.shape, a._data.dtype))

    @staticmethod
    def sum(a, axis=None, keepdims=False):
        return a.sum(tuple(range(a.dim())) if axis is None else axis, keepdim=keepdims)

    @staticmethod
    def reshape(a, shape):
        return a.reshape(tuple(shape))

    @staticmethod
    def expand_dims(a, axis):
        axes = sorted(x % (a.dim() + len(axis)) for x in axis) if isinstance(axis, (tuple, list)) else [axis]
        for x in axes:
            a = a.unsqueeze(x)
        return a

    @staticmethod
    def broadcast_to(a, shape):
        return a.expand(*shape)

    @staticmethod
    def transpose(a, axes):
        return a.permute(*axes)

    @staticmethod
    def flip(a, axis):
        return a.flip(axis if isinstance(axis, (tuple, list)) else (axis,))

    @staticmethod
    def cumsum(a, axis):  # (keyword or not, as NumPy's)
        return a.cumsum(axis)

    @staticmethod
    def split(a, bounds, axis):
        ends = (*(int(b) for b in bounds), a.shape[axis])
        starts = (0, *ends[:-1])
        return [a[(slice(None),) * (axis % a.dim()) + (slice(s, e),)] for s, e in zip(starts, ends)]

    @staticmethod
    def concatenate(arrays, axis=0):
        from .shape import cat

        return cat(list(arrays), axis)

    @staticmethod
    def ones_like(a):
        return _wrap(np.ones(a._data.shape, a._data.dtype))

    @staticmethod
    def einsum(subscripts, *operands):
        from .linalg import Einsum

        return Einsum.apply(*(TensorNamespace.asarray(o) for o in operands), equation=subscripts)

    @staticmethod
    def moveaxis(a, source, destination):
        order = [i for i in range(a.dim()) if i != source % a.dim()]
        order.insert(destination % a.dim(), source % a.dim())
        return a.permute(*order)

    @staticmethod
    def cumprod(a, axis):
        return a.cumprod(axis)

    class linalg:
        """The ``numpy.linalg`` functions that backward formulas use, on Tensors (``ember.linalg``)."""

        @staticmethod
        def solve(a, b):
            from ... import linalg

            return linalg.solve(a, b)

        @staticmethod
        def inv(a):
            from ... import linalg

            return linalg.inv(a)

