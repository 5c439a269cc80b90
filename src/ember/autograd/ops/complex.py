"""Complex tensors: conjugation, real and imaginary parts, the real view of a complex tensor and back, angle, polar.

Gradients follow torch's convention ("Autograd for Complex Numbers" in torch's docs): for a real loss L of a
complex z = x + iy, ``z.grad`` is ∂L/∂x + i·∂L/∂y (= 2·∂L/∂z̄). A backward receives g in that form for its output
and returns it for each input, so for a holomorphic f the rule is grad_z = g·conj(f′(z)) (``_xp.cj``: Mul, Div,
Exp, MatMul ... conjugate their saved factors), and a real input's gradient is the real part of what reaches it
(the engine's ``_fit``).

Deliberate differences from torch: ``conj`` returns a conjugated copy rather than a lazy view with the conjugate
bit set, so ``is_conj()`` is always False and ``resolve_conj``/``resolve_neg`` return their input; ``real``,
``imag`` and ``view_as_real``/``view_as_complex`` share memory with their input (NumPy views), as in torch.
"""
from __future__ import annotations

import numpy as np

from ... import _dtype
from ...tensor import Tensor, _wrap
from ..function import Op
from ._util import broadcast_error, not_implemented
from ._xp import cj, dtype_of, xp_of


class Conj(Op):
    """y = z̄;  grad_z = conj(g)."""

    @staticmethod
    def forward(ctx, a):
        return np.conj(a)

    @staticmethod
    def backward(ctx, g):
        return cj(g)


class Real(Op):
    """y = Re z (a view);  grad_z = g (real; the engine stores it as g + 0i)."""

    @staticmethod
    def forward(ctx, a):
        return a.real

    @staticmethod
    def backward(ctx, g):
        return g


class Imag(Op):
    """y = Im z (a view);  grad_z = i·g."""

    @staticmethod
    def forward(ctx, a):
        return a.imag

    @staticmethod
    def backward(ctx, g):
        return g * 1j


class Complex(Op):
    """z = re + i·im;  grad_re = Re g, grad_im = Im g."""

    @staticmethod
    def forward(ctx, re, im):
        return (re + 1j * im).astype(np.result_type(re.dtype, np.complex64), copy=False)

    @staticmethod
    def backward(ctx, g):
        return g.real, g.imag


class ViewAsReal(Op):
    """The (…, 2) float view of a complex tensor: y[…, 0] = Re z, y[…, 1] = Im z;  grad_z = g[…, 0] + i·g[…, 1]."""

    @staticmethod
    def forward(ctx, a):
        return a[..., None].view(a.real.dtype)

    @staticmethod
    def backward(ctx, g):
        return _complex_of(g[..., 0], g[..., 1])


class ViewAsComplex(Op):
    """The complex view of a (…, 2) float tensor: z = x[…, 0] + i·x[…, 1];  grad_x = (Re g, Im g) stacked last."""

    @staticmethod
    def forward(ctx, a):
        return a.view(np.result_type(a.dtype, np.complex64))[..., 0]

    @staticmethod
    def backward(ctx, g):
        return _real_view_of(g)


class Angle(Op):
    """θ = atan2(Im z, Re z) (0 or π for real z, NaN for NaN);  grad_z = g·i·z/|z|² (0 at z = 0), and 0 for real z."""

    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return np.angle(a).astype(a.real.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a, xp = ctx.a, xp_of(g)
        if dtype_of(a).kind != "c":
            return xp.zeros_like(a)
        r = g * 1j * a / (a * cj(a))
        return xp.where(a == 0, 0, r)


def _complex_of(re, im):
    """re + i·im, recorded when they are Tensors (a backward's formula under create_graph)."""
    if isinstance(re, Tensor):
        return Complex.apply(re, im)
    return Complex.forward(None, re, im)


def _real_view_of(z):
    """view_as_real(z) for an array or (recorded) a Tensor; a non-contiguous array is copied."""
    if isinstance(z, Tensor):
        return ViewAsReal.apply(z)
    return np.stack((z.real, z.imag), -1)


# ---- the functions (torch names) ------------------------------------------------------
def _is_complex(x) -> bool:
    return x._data.dtype.kind == "c"


def real(input):
    """The real part (a view); a real tensor itself."""
    return Real.apply(input) if _is_complex(input) else input


def imag(input):
    """The imaginary part (a view) of a complex tensor."""
    if not _is_complex(input):
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return Imag.apply(input)


def conj_physical(input):
    """The complex conjugate; a real tensor itself."""
    return Conj.apply(input) if _is_complex(input) else input


conj = conj_physical  # (torch's conj is lazy: a view with the conjugate bit; ember conjugates at once)


def resolve_conj(input):
    return input  # (ember's conj is never lazy)


def resolve_neg(input):
    return input  # (ember has no lazy negation)


def is_conj(input) -> bool:
    return False


def angle(input):
    """The argument of each element, atan2(Im, Re), in the real dtype of its parts (integers: the default float)."""
    if input._data.dtype.kind in "iub":
        input = input._cast(_dtype.get_default_dtype().np)
    return Angle.apply(input)


def _check_parts(re, im, who):
    """torch's dtype checks of ``complex``/``polar``: two float tensors (float32 or float64) of one dtype."""
    for t in (re, im):
        if not isinstance(t, Tensor):
            raise TypeError(f"{who}(): argument 'real' must be Tensor, not {type(t).__name__}")
    dr, di = re._data.dtype, im._data.dtype
    if dr.kind != "f" or di.kind != "f" or dr == np.float16:
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_dtype.scalar_name(dr)} and {_dtype.scalar_name(di)}")
    if dr != di:
        raise RuntimeError(f"Expected object of scalar type {_dtype.scalar_name(dr)} but got scalar type "
                           f"{_dtype.scalar_name(di)} for second argument")
    try:
        np.broadcast_shapes(re._data.shape, im._data.shape)
    except ValueError:
        raise broadcast_error(re._data.shape, im._data.shape) from None


def complex(real, imag, *, out=None):
    """real + i·imag, for two float tensors of one dtype (float32 → complex64, float64 → complex128)."""
    _check_parts(real, imag, "complex")
    return _out(Complex.apply(real, imag), out)


def polar(abs, angle, *, out=None):
    """abs·(cos θ + i·sin θ) for θ = angle."""
    _check_parts(abs, angle, "polar")
    return _out(Complex.apply(abs * angle.cos(), abs * angle.sin()), out)


def _out(result, out):
    if out is None:
        return result
    out._data = result._data
    return out


def view_as_real(input):
    """The (…, 2) float view of a complex tensor (Re, Im in the last dimension)."""
    if not _is_complex(input):
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return ViewAsReal.apply(input)


def view_as_complex(input):
    """The complex view of a float tensor whose last dimension has size 2 and stride 1."""
    a = input._data
    if a.dtype.kind != "f":
        raise RuntimeError("view_as_complex is only supported for half, float and double tensors, but got a tensor "
                           f"of scalar type: {_dtype.scalar_name(a.dtype)}")
    if a.dtype == np.float16:
        raise not_implemented("view_as_complex", a.dtype)  # (ember has no complex32)
    if a.ndim == 0 or a.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if a.strides[-1] != a.itemsize:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % (2 * a.itemsize) for s, n in zip(a.strides[:-1], a.shape[:-1]) if n > 1):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    return ViewAsComplex.apply(input)


def sgn(input):
    """z/|z| for complex z (0 at 0); sign(x) for real x. Composed (z / |z|, with |z| replaced by 1 where it is
    0), so at z = 0 the gradient is the incoming one where torch's is 0."""
    if not _is_complex(input):
        from .elementwise import sign

        return sign(input)
    a = input.abs()
    return input / _nonzero(a)


def _nonzero(a):
    """|z| with 1 where it is 0 (so that z/|z| is 0 there)."""
    from .elementwise import where

    return where(a == 0, _wrap(np.ones((), a._data.dtype)), a)


def no_complex(kernel: str, x) -> None:
    """torch's NotImplementedError for a kernel that has no complex version (comparisons, max/min ...)."""
    if x._data.dtype.kind == "c":
        raise not_implemented(kernel, x._data.dtype)
