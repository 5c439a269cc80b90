"""torch.fft on NumPy: discrete Fourier transforms of complex, real and Hermitian signals, and their helpers.

Every transform is one of three primitives of ``autograd/ops/fft.py`` (complex → complex, real → half spectrum,
half spectrum → real; their gradients are stated there), after torch's argument rules:

- ``n``/``s`` crop or zero-pad the transformed dimensions (``-1`` in ``s``: keep the size); ``dim`` picks them
  (the fftn family: all dimensions, or the last ``len(s)`` when only ``s`` is given);
- ``norm``: "backward" (default; the inverse scales by 1/N), "forward" (the forward transform scales by 1/N) or
  "ortho" (both by 1/√N);
- a real input of a complex transform is promoted (float32 → complex64, float64 → complex128, integers → the
  default dtype's complex type); the output keeps the input's precision.

The Hermitian transforms are the real ones of the conjugate with the other scale: for a real result,
hfftn(x, norm) = irfftn(conj(x), ADJOINT[norm]) and ihfftn(x, norm) = conj(rfftn(x, ADJOINT[norm])).

Torch parity: values, dtypes, shapes, errors and gradients as torch.fft (tests/test_fft.py). NumPy's pocketfft
computes in the input's precision, so float32 results agree with torch's MKL ones to float32 rounding. Half
precision is refused ("Unsupported dtype Half", as torch on the CPU).
"""
from __future__ import annotations

import builtins

import numpy as np

from . import _dtype
from .autograd.ops import complex as _C
from .autograd.ops.fft import ADJOINT, C2C, C2R, R2C
from .autograd.ops._util import dims as _dims
from .autograd.ops.shape import roll as _roll
from .tensor import Tensor, _wrap

__all__ = [
    "fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn", "hfft",
    "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift",
]


# ---- torch's argument rules ---------------------------------------------------------------------------------
def _norm(norm, name: str) -> str:
    if norm is None:
        return "backward"
    if not isinstance(norm, str):
        raise TypeError(f"fft_{name}(): argument 'norm' must be str, not {type(norm).__name__}")
    if norm not in ADJOINT:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _check_int(v, what: str, name: str, where: str = "") -> None:
    if not isinstance(v, (builtins.int, np.integer)) or isinstance(v, builtins.bool):
        raise TypeError(f"fft_{name}(): argument '{what}'{where} must be int, not {type(v).__name__}")


def _no_dims(ndim: int, dim) -> None:
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")


def _one_dim(x: Tensor, n, dim, name: str):
    """(axes, sizes) of a one-dimensional transform; a size None is the default."""
    if n is not None:
        _check_int(n, "n", name)
    _check_int(dim, "dim", name)
    _no_dims(x._data.ndim, dim)
    return _dims(dim, x._data.ndim), [None if n is None else builtins.int(n)]


def _many_dims(x: Tensor, s, dim):
    """(axes, sizes) of an n-dimensional transform (torch's rules for ``s`` and ``dim``); -1 in s is None."""
    ndim = x._data.ndim
    if dim is not None:
        dim = (dim,) if isinstance(dim, (builtins.int, np.integer)) else tuple(dim)
        if ndim == 0 and dim:
            _no_dims(ndim, dim[0])
        axes = tuple(_dims(d, ndim)[0] for d in dim)
        if len(set(axes)) != len(axes):
            raise RuntimeError("FFT dims must be unique")
    if s is None:
        axes = tuple(range(ndim)) if dim is None else axes
        return axes, [None] * len(axes)
    s = [builtins.int(v) for v in s]
    if dim is None:
        if len(s) > ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {ndim} dimensions.")
        axes = tuple(range(ndim - len(s), ndim))
    elif len(s) != len(axes):
        raise RuntimeError("When given, dim and shape arguments must have the same length")
    return axes, [None if v == -1 else v for v in s]


def _sizes(x: Tensor, axes, sizes, half_last: bool = False) -> list:
    """The transform's sizes: a default is the input's size (``half_last``: the last one 2·(m − 1), the signal a
    half spectrum of m bins stands for); each must be positive."""
    shape = x._data.shape
    out = [shape[a] if v is None else v for a, v in zip(axes, sizes)]
    if half_last and axes and sizes[-1] is None:
        out[-1] = 2 * (shape[axes[-1]] - 1)
    for v in out:
        if v < 1:
            raise RuntimeError(f"Invalid number of data points ({v}) specified")
    return out


def _no_half(x: Tensor) -> None:
    if x._data.dtype == np.float16:
        raise RuntimeError("Unsupported dtype Half")


def _as_complex(x: Tensor) -> Tensor:
    """The input of a complex transform: integers → the default float, then floats → their complex type."""
    _no_half(x)
    k = x._data.dtype.kind
    if k in "iub":
        x = x._cast(_dtype.get_default_dtype().np)
    if k != "c":
        x = x._cast(_dtype.to_dtype(x._data.dtype).to_complex().np)
    return x


def _as_real(x: Tensor, message: str) -> Tensor:
    """The input of a real transform (integers → the default float); ``message`` is torch's error for a complex
    one, with ``{}`` for its dtype."""
    if x._data.dtype.kind == "c":
        raise RuntimeError(message.format(_dtype.scalar_name(x._data.dtype)))
    _no_half(x)
    if x._data.dtype.kind in "iub":
        x = x._cast(_dtype.get_default_dtype().np)
    return x


def _into(out, res: Tensor, name: str, kernel: str) -> Tensor:
    """The result, or written into ``out`` (torch's errors: a wrong kind of dtype, an input that requires grad;
    ``kernel`` is torch's name of the transform, c2c, r2c or c2r)."""
    if out is None:
        return res
    want_complex = res._data.dtype.kind == "c"
    if (out._data.dtype.kind == "c") != want_complex:
        kind = "complex" if want_complex else "floating point"
        raise RuntimeError(f"{name} expects a {kind} output tensor, but got {_dtype.scalar_name(out._data.dtype)}")
    if res.requires_grad:
        raise RuntimeError(f"_fft_{kernel}(): functions with out=... arguments don't "
                           "support automatic differentiation, but one of the arguments requires grad.")
    out._data = res._data.astype(out._data.dtype, copy=False)
    return out


def _need_axes(axes, name: str) -> None:
    if not axes:
        raise RuntimeError(f"{name} must transform at least one axis")


# ---- the three kinds of transform ------------------------------------------------------------------------------
def _c2c(x, axes, sizes, norm, inverse, name, out):
    kernel = "c2c" if x._data.dtype.kind == "c" else "r2c"
    x = _as_complex(x)
    norm = _norm(norm, name)
    if not axes:
        return _into(out, x, name, kernel)
    res = C2C.apply(x, axes=tuple(axes), sizes=_sizes(x, axes, sizes), norm=norm, inverse=inverse)
    return _into(out, res, name, kernel)


def _r2c(x, axes, sizes, norm, name, message, out, hermitian=False):
    x = _as_real(x, message)
    norm = _norm(norm, name)
    _need_axes(axes, name)
    sizes = _sizes(x, axes, sizes)
    if hermitian:  # ihfft: conj(rfft(x)) with the other scale
        return _into(out, _C.conj(R2C.apply(x, axes=tuple(axes), sizes=sizes, norm=ADJOINT[norm])), name, "r2c")
    return _into(out, R2C.apply(x, axes=tuple(axes), sizes=sizes, norm=norm), name, "r2c")


def _c2r(x, axes, sizes, norm, name, out, hermitian=False):
    x = _as_complex(x)
    norm = _norm(norm, name)
    _need_axes(axes, name)
    sizes = _sizes(x, axes, sizes, half_last=True)
    if hermitian:  # hfft: irfft(conj(x)) with the other scale
        x, norm = _C.conj(x), ADJOINT[norm]
    return _into(out, C2R.apply(x, axes=tuple(axes), sizes=sizes, norm=norm), name, "c2r")


# ---- torch.fft's functions --------------------------------------------------------------------------------------
def fft(input, n=None, dim=-1, norm=None, *, out=None):
    """The one-dimensional DFT: X_k = Σ_t x_t·e^{−2πikt/n} over ``dim`` (``n``: crop or zero-pad to n points)."""
    return _c2c(input, *_one_dim(input, n, dim, "fft"), norm, False, "fft", out)


def ifft(input, n=None, dim=-1, norm=None, *, out=None):
    """The one-dimensional inverse DFT: x_t = (1/n)·Σ_k X_k·e^{2πikt/n} (for norm="backward")."""
    return _c2c(input, *_one_dim(input, n, dim, "ifft"), norm, True, "ifft", out)


def fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The DFT over two dimensions (the last two by default)."""
    return _c2c(input, *_many_dims(input, s, dim), norm, False, "fft2", out)


def ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The inverse DFT over two dimensions (the last two by default)."""
    return _c2c(input, *_many_dims(input, s, dim), norm, True, "ifft2", out)


def fftn(input, s=None, dim=None, norm=None, *, out=None):
    """The DFT over ``dim`` (all dimensions by default, or the last len(s))."""
    return _c2c(input, *_many_dims(input, s, dim), norm, False, "fftn", out)


def ifftn(input, s=None, dim=None, norm=None, *, out=None):
    """The inverse DFT over ``dim`` (all dimensions by default, or the last len(s))."""
    return _c2c(input, *_many_dims(input, s, dim), norm, True, "ifftn", out)


_RFFT_1D = "rfft expects a real input tensor, but got {}"
_RFFT_ND = "rfftn expects a real-valued input tensor, but got {}"
_IHFFT_1D = "ihfft expects a real input tensor, but got {}"
_IHFFT_ND = "Only supports floating-point dtypes, but found: {}"


def rfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The DFT of a real signal, bins 0 … ⌊n/2⌋ (the others are their mirror images' conjugates)."""
    return _r2c(input, *_one_dim(input, n, dim, "rfft"), norm, "rfft", _RFFT_1D, out)


def rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """rfftn over two dimensions (the last two by default)."""
    return _r2c(input, *_many_dims(input, s, dim), norm, "rfft2", _RFFT_ND, out)


def rfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The DFT of a real signal over ``dim``, the last of which keeps bins 0 … ⌊n/2⌋."""
    return _r2c(input, *_many_dims(input, s, dim), norm, "rfftn", _RFFT_ND, out)


def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The real signal of n points (default 2·(m − 1) for m bins) whose rfft is ``input``."""
    return _c2r(input, *_one_dim(input, n, dim, "irfft"), norm, "irfft", out)


def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """irfftn over two dimensions (the last two by default)."""
    return _c2r(input, *_many_dims(input, s, dim), norm, "irfft2", out)


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The real signal whose rfftn is ``input`` (the last dimension: 2·(m − 1) points by default)."""
    return _c2r(input, *_many_dims(input, s, dim), norm, "irfftn", out)


def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The DFT (real, n points) of a Hermitian-symmetric signal given by its first half."""
    return _c2r(input, *_one_dim(input, n, dim, "hfft"), norm, "hfft", out, hermitian=True)


def hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """hfftn over two dimensions (the last two by default)."""
    return _c2r(input, *_many_dims(input, s, dim), norm, "hfft2", out, hermitian=True)


def hfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The n-dimensional DFT (real) of a Hermitian-symmetric signal given by its first half along the last dim."""
    return _c2r(input, *_many_dims(input, s, dim), norm, "hfftn", out, hermitian=True)


def ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of hfft: bins 0 … ⌊n/2⌋ of the inverse DFT of a real signal."""
    return _r2c(input, *_one_dim(input, n, dim, "ihfft"), norm, "ihfft", _IHFFT_1D, out, hermitian=True)


def ihfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """ihfftn over two dimensions (the last two by default)."""
    return _r2c(input, *_many_dims(input, s, dim), norm, "ihfft2", _IHFFT_ND, out, hermitian=True)


def ihfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The inverse of hfftn: the inverse DFT of a real signal, the last dimension keeping bins 0 … ⌊n/2⌋."""
    return _r2c(input, *_many_dims(input, s, dim), norm, "ihfftn", _IHFFT_ND, out, hermitian=True)


# ---- sample frequencies and shifts --------------------------------------------------------------------------
def _freq(values, n, d, name, out, dtype, requires_grad):
    """``values``/(n·d) as a tensor of ``dtype`` (a floating-point dtype; the default one by default)."""
    _check_int(n, "n", name, " (position 1)")
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dt = _dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)
    if dt.is_complex:
        from .autograd.ops._util import not_implemented

        raise not_implemented("arange_cpu", dt.np)
    if not dt.is_floating_point:
        raise RuntimeError(f"{name} requires a floating point or complex dtype")
    d = builtins.float(d.item() if isinstance(d, Tensor) else d)
    with np.errstate(divide="ignore", invalid="ignore"):  # (rfftfreq(0) is [nan], as torch)
        data = values.astype(dt.np) * (np.float64(1.0) / np.float64(n * d)).astype(dt.np)
    res = _wrap(data)
    if out is not None:
        out._data = data.astype(out._data.dtype, copy=False)
        res = out
    return res.requires_grad_(True) if requires_grad else res


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of an n-point DFT: [0, 1, …, ⌈n/2⌉ − 1, −⌊n/2⌋, …, −1] / (n·d)."""
    from ._backend import check_device

    check_device(device)
    k = np.arange(n if isinstance(n, (builtins.int, np.integer)) and n > 0 else 0)
    return _freq(np.where(k < (k.size + 1) // 2, k, k - k.size), n, d, "fftfreq", out, dtype, requires_grad)


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of rfft's bins: [0, 1, …, ⌊n/2⌋] / (n·d)."""
    from ._backend import check_device

    check_device(device)
    size = n // 2 + 1 if isinstance(n, (builtins.int, np.integer)) and n >= 0 else 0
    return _freq(np.arange(size), n, d, "rfftfreq", out, dtype, requires_grad)


def _shift(input, dim, sign):
    axes = tuple(range(input._data.ndim)) if dim is None else _dims(dim, input._data.ndim)
    if not axes:
        return input
    shifts = [input._data.shape[a] // 2 * sign for a in axes]
    return _roll(input, shifts, axes)


def fftshift(input, dim=None):
    """The zero frequency moved to the centre: a roll by ⌊n/2⌋ along ``dim`` (all dimensions by default)."""
    return _shift(input, dim, 1)


def ifftshift(input, dim=None):
    """The inverse of fftshift: a roll by −⌊n/2⌋ along ``dim``."""
    return _shift(input, dim, -1)
