"""Fractional max pooling (Graham 2014): max over windows of a fixed size placed at pseudo-random fractional strides.

Along a dimension of input size n, output size o and window k, with u ~ U[0, 1) drawn per (sample, channel,
dimension) (``_random_samples``), the windows start at

    sᵢ = ⌊(i + u)·α⌋ − ⌊u·α⌋  (i < o − 1),   s_{o−1} = n − k,     α = (n − k)/(o − 1)

(computed in the input's float type, as torch does), and out[i, …] = max of the window [sᵢ, sᵢ + k) × ….
The output is a ``gather`` of the input at the argmax of each window, so gradients of any order follow.

Reference: B. Graham, "Fractional Max-Pooling", 2014. https://arxiv.org/abs/1412.6071
"""
from __future__ import annotations

import numpy as np

from ... import _creation
from ...autograd.ops._util import check_float
from ...tensor import _wrap
from ... import _errors

__all__ = ["fractional_max_pool2d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
           "fractional_max_pool3d_with_indices"]

_DIMS = {2: ("height", "width"), 3: ("time", "height", "width")}


def _tuple(v, nd, fn, name):
    if isinstance(v, int):
        return (v,) * nd
    if isinstance(v, (tuple, list)) and len(v) in (1, nd) and all(isinstance(a, int) for a in v):
        return tuple(v) * (nd // len(v)) if len(v) == 1 else tuple(v)
    raise RuntimeError(f"{fn}: {name} must either be a single Int or tuple of Ints")


def _starts(u: np.ndarray, n: int, o: int, k: int) -> np.ndarray:
    """Window starts for samples u (any shape) → (…, o), in u's float type (see the module docstring)."""
    s = np.empty(u.shape + (o,), np.int64)
    if o > 1:
        dt = u.dtype.type
        alpha = dt(n - k) / dt(o - 1)
        i = np.arange(o - 1).astype(u.dtype)
        s[..., :-1] = ((i + u[..., None]) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)[..., None]
    if o > 0:
        s[..., -1] = n - k
    return s


def _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, nd):
    """(input as (N, C, …), flat argmax index of each window or None for empty windows, output size, unbatched) of
    fractional max pooling over the last ``nd`` dims of (N, C, …) or (C, …)."""
    fn = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{fn} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if not isinstance(output_ratio, (tuple, list)):  # (torch's functional takes a sequence; its module pairs a float)
            raise TypeError(f"object of type '{type(output_ratio).__name__}' has no len()")
        output_size = [int(input.shape[-nd + i] * output_ratio[i]) for i in range(nd)]
    k = _tuple(kernel_size, nd, fn, "kernel_size")
    o = _tuple(output_size, nd, fn, "output_size")
    check_float("check_uniform_bounds", input)
    if input.dim() not in (nd + 1, nd + 2):
        raise _errors.pool_input_dims(fn, nd, input.shape)
    x = input if input.dim() == nd + 2 else input.unsqueeze(0)
    N, C, sizes = x.shape[0], x.shape[1], tuple(x.shape[2:])
    if _random_samples is None:
        u = _creation.rand(N, C, nd, dtype=input.dtype)._data
    else:
        u = _random_samples._data
        if u.dtype != x._data.dtype:
            raise RuntimeError("Expect _random_samples to have the same dtype as input")
        if u.ndim != 3:
            raise RuntimeError(f"Expect _random_samples to be 3D tensor, got {u.ndim}D tensor.")
        if u.shape[2] != nd:
            raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got {u.shape[2]}.")
        if u.shape[1] != C:
            raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
        if u.shape[0] < N:
            raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    where = "_out" if nd == 3 else ""
    for name, n, oo, kk in zip(_DIMS[nd], sizes, o, k):
        if oo + kk - 1 > n:
            raise RuntimeError(f"{fn}{where}(): pool {name} {kk} too large relative to input {name} {n}")
    dim_of_sample = (1, 0) if nd == 2 else (0, 1, 2)  # torch's sample order: 2-d (width, height), 3-d (t, h, w)
    stride = np.cumprod((1,) + sizes[::-1])[:-1][::-1]  # row-major strides of a plane
    window = 0  # flat index of every window element in its plane: (N, C, o…, k…)
    for d in range(nd):
        start = _starts(u[:N, :, dim_of_sample[d]], sizes[d], o[d], k[d])  # (N, C, o_d)
        shape = [N, C] + [1] * (2 * nd)
        shape[2 + d], shape[2 + nd + d] = o[d], k[d]
        window = window + (start[..., :, None] + np.arange(k[d])).reshape(shape) * stride[d]
    window = np.broadcast_to(window, (N, C) + o + k).reshape((N, C) + o + (int(np.prod(k)),))
    if window.shape[-1] == 0:  # (an empty window: −inf, as torch)
        return x, None, o, input.dim() == nd + 1
    picked = np.take_along_axis(x._data.reshape(N, C, -1), window.reshape(N, C, -1), 2).reshape(window.shape)
    arg = np.argmax(np.where(np.isnan(picked), np.inf, picked), axis=-1)  # (the first maximum; a nan wins)
    return x, np.take_along_axis(window, arg[..., None], -1)[..., 0], o, input.dim() == nd + 1


def _with_indices(input, kernel_size, output_size, output_ratio, _random_samples, nd):
    x, flat, o, unbatched = _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, nd)
    N, C = x.shape[0], x.shape[1]
    if flat is None:
        out, idx = _wrap(np.full((N, C) + o, -np.inf, x._data.dtype)), _wrap(np.full((N, C) + o, -1, np.int64))
    else:
        out = x.reshape(N, C, -1).gather(2, _wrap(flat.reshape(N, C, -1))).reshape(*flat.shape)
        idx = _wrap(flat)
    return (out[0], idx[0]) if unbatched else (out, idx)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                                       _random_samples=None):
    """(output, indices) of 2-d fractional max pooling of (N, C, H, W) or (C, H, W); see the module docstring.

    Args:
        kernel_size: window (kH, kW) or one int.  output_size: (oH, oW) or one int; or output_ratio: (rH, rW),
            oH = ⌊H·rH⌋.  _random_samples: (N, C, 2) floats in [0, 1), the (width, height) sample of each plane;
            drawn with ember.rand when None.
    Torch parity: the windows, values, indices (flat h·W + w in each plane), gradients and errors of
    torch.nn.functional.fractional_max_pool2d given the same _random_samples (the random stream differs).
    """
    return _with_indices(input, kernel_size, output_size, output_ratio, _random_samples, 2)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """2-d fractional max pooling; the output, or (output, indices) with return_indices. See
    ``fractional_max_pool2d_with_indices``.
    Example:  >>> F.fractional_max_pool2d(ember.randn(1, 2, 9, 9), 3, output_size=5).shape  # (1, 2, 5, 5)
    """
    out = _with_indices(input, kernel_size, output_size, output_ratio, _random_samples, 2)
    return out if return_indices else out[0]


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                                       _random_samples=None):
    """(output, indices) of 3-d fractional max pooling of (N, C, T, H, W) or (C, T, H, W); _random_samples:
    (N, C, 3), the (time, height, width) samples; indices flat t·H·W + h·W + w. Torch parity as the 2-d form."""
    return _with_indices(input, kernel_size, output_size, output_ratio, _random_samples, 3)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """3-d fractional max pooling; the output, or (output, indices) with return_indices. See
    ``fractional_max_pool3d_with_indices``.
    Example:  >>> F.fractional_max_pool3d(ember.randn(1, 2, 9, 9, 9), 2, output_ratio=(0.5,) * 3).shape  # (1, 2, 4, 4, 4)
    """
    out = _with_indices(input, kernel_size, output_size, output_ratio, _random_samples, 3)
    return out if return_indices else out[0]
