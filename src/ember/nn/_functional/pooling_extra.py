"""The rest of torch's pooling: ``avg_pool3d``, ``max_pool3d``, ``adaptive_avg_pool3d``, ``adaptive_max_pool1d/2d/3d``,
``lp_pool1d/2d/3d``, ``max_unpool1d/2d/3d``.

Two compositions carry all of them, so that their derivatives (of any order) come from existing ops:

- an average over boxes is separable: per axis a (n_out, n_in) matrix holding 1/divisor inside each window,
  applied with one matmul per axis (torch's divisor is the product of the per-axis ones, with or without
  count_include_pad, also in ceil mode);
- a max over windows is a gather of the input at the arg-max positions, which are piecewise constant and
  computed on the arrays (the first maximum in scan order, as torch's kernels pick it; NaN counts as the max);
  its gradient scatters into those positions, as torch's does. The same flat indices are what
  ``return_indices`` returns and what ``max_unpool`` scatters into.
"""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ... import _creation, _errors
from ...tensor import _wrap
from . import pooling
from .pooling import adaptive_bins, pool_output_size

__all__ = [
    "avg_pool3d", "max_pool3d", "max_pool3d_with_indices", "adaptive_avg_pool3d", "adaptive_max_pool1d",
    "adaptive_max_pool2d", "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices", "lp_pool1d", "lp_pool2d", "lp_pool3d",
    "max_unpool1d", "max_unpool2d", "max_unpool3d",
]


# ---- shared pieces ---------------------------------------------------------------------------------------------
def _nt(v, n, op, name, either=True):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return (int(v[0]),) * n
        if len(v) != n:
            kind = "either be a single int" if either else "be a single int"
            raise RuntimeError(f"{op}: {name} must {kind}, or a tuple of three ints")
        return tuple(int(a) for a in v)
    return (int(v),) * n


def _batched(input, nd, message):
    """(N, C, *spatial) from a batched or unbatched input, and whether it was unbatched."""
    if input.dim() == nd + 1 and input.numel():
        return input.unsqueeze(0), True
    if input.dim() == nd + 2 and input.numel():
        return input, False
    raise RuntimeError(message)


def _apply_axes(x, mats):
    """x (…, n₁, …, n_k) with each of the last k axes multiplied by its (m_i, n_i) matrix: out = M_k ∘ … ∘ M_1 x."""
    k = len(mats)
    for axis, m in enumerate(mats):  # axis counted among the last k
        back = k - 1 - axis  # how many axes follow it
        if back == 0:
            x = x @ _wrap(np.ascontiguousarray(m.T))
        else:
            lead, tail = tuple(x.shape[:-back - 1]), tuple(x.shape[-back:])
            x = (_wrap(m) @ x.reshape(*lead, x.shape[-back - 1], -1)).reshape(*lead, m.shape[0], *tail)
    return x


# ---- average pooling -------------------------------------------------------------------------------------------
def _avg_matrix(n, k, s, p, n_out, count_include_pad, divide, dtype):
    """(n_out, n) matrix of one axis: row o holds 1/divisor over the input positions of window o.

    window o covers [o·s − p, min(o·s − p + k, n + p)), clipped to [0, n); divisor = the unclipped width
    (count_include_pad) or the clipped one; ``divide`` False leaves the ones (divisor_override)."""
    o = np.arange(n_out)
    start = o * s - p
    end = np.minimum(start + k, n + p)
    lo, hi = np.maximum(start, 0), np.minimum(end, n)
    j = np.arange(n)
    inside = ((j >= lo[:, None]) & (j < hi[:, None])).astype(np.float64)
    if divide:
        inside /= np.maximum((end - start) if count_include_pad else (hi - lo), 1)[:, None]
    return inside.astype(dtype)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """3-d average pooling: out[n, c, z, y, x] = Σ_window xpad / divisor, divisor = kd·kh·kw clipped at the padded
    border (count_include_pad), the number of input elements in the window (otherwise), or divisor_override.

    Torch parity: values, gradients, sizes and errors as torch.nn.functional.avg_pool3d (an integer input is
    averaged in float64 and truncated)."""
    op = "avg_pool3d"
    x, unbatched = _batched(input, 3, "non-empty 4D or 5D (batch mode) tensor expected for input")
    kernel = _nt(kernel_size, 3, op, "kernel_size", either=False)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _nt(
        stride, 3, op, "stride", either=False)
    padding = _nt(padding, 3, op, "padding", either=False)
    if any(s == 0 for s in stride):
        raise _errors.pool_stride_zero()
    for p, k in zip(padding, kernel):
        if p > k // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation=1")
    if divisor_override is not None and divisor_override == 0:
        raise _errors.pool_divisor_zero()
    sp = x.shape[2:]
    if any(n + 2 * p < k for n, k, p in zip(sp, kernel, padding)):
        raise RuntimeError(f"input image (T: {sp[0]} H: {sp[1]} W: {sp[2]}) smaller than kernel size "
                           f"(kT: {kernel[0]} kH: {kernel[1]} kW: {kernel[2]})")
    out_sp = [pool_output_size(n, k, s, p, 1, ceil_mode) for n, k, s, p in zip(sp, kernel, stride, padding)]
    integer = x._data.dtype.kind != "f"
    xf = x.double() if integer else x
    dt = xf._data.dtype
    mats = [_avg_matrix(n, k, s, p, o, count_include_pad, divisor_override is None, dt)
            for n, k, s, p, o in zip(sp, kernel, stride, padding, out_sp)]
    y = _apply_axes(xf, mats)
    if divisor_override is not None:
        y = y / float(divisor_override)
    if integer:
        y = _wrap(np.trunc(y._data).astype(x._data.dtype))
    return y.squeeze(0) if unbatched else y


def adaptive_avg_pool3d(input, output_size):
    """Average over adaptive (D_out, H_out, W_out) bins: bin i of an axis of n covers ⌊i·n/m⌋ .. ⌈(i+1)·n/m⌉ − 1;
    None keeps a size. Torch parity: as torch.nn.functional.adaptive_avg_pool3d."""
    if input.dim() not in (4, 5):
        raise RuntimeError(f"adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got {list(input.shape)}")
    sizes = _output_size(output_size, input, 3, "adaptive_avg_pool3d: output_size must be 3")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"adaptive_avg_pool3d_cpu" not implemented for \'{input.dtype}\'')
    dt = input._data.dtype
    return _apply_axes(input, [adaptive_bins(n, m, dt) for n, m in zip(input.shape[-3:], sizes)])


def _output_size(output_size, input, nd, message):
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * nd
    if len(sizes) != nd:
        raise RuntimeError(message)
    return tuple(n if s is None else int(s) for s, n in zip(sizes, input.shape[-nd:]))


# ---- max pooling -----------------------------------------------------------------------------------------------
def _first_argmax(w):
    """Index of the first maximum along the last axis, a NaN winning (torch's `val > max || isnan(val)`)."""
    nan = np.isnan(w)
    return np.where(nan.any(-1), nan.argmax(-1), w.argmax(-1)) if nan.any() else w.argmax(-1)


def _gather_flat(x, idx, nd):
    """out[n, c, *o] = x[n, c].flatten()[idx[n, c, *o]]: the values at flat per-plane indices, differentiably."""
    n, c = x.shape[:2]
    flat = idx.reshape(n, c, -1)
    return x.reshape(n, c, -1).gather(2, _wrap(flat)).reshape(*idx.shape)


def _max_pool_indices(x, kernel, stride, padding, dilation, out_sp):
    """Flat per-plane indices (z·H·W + y·W + x) of each window's first maximum, padding being −∞."""
    nd = len(kernel)
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    hi = [max(p, (o - 1) * s + d * (k - 1) + 1 - n - p)  # (ceil mode: the last window may pass the padding)
          for n, k, s, p, d, o in zip(x.shape[2:], kernel, stride, padding, dilation, out_sp)]
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple(zip(padding, hi)), constant_values=fill)
    st = xp.strides
    view = as_strided(xp, xp.shape[:2] + tuple(out_sp) + tuple(kernel),
                      st[:2] + tuple(st[2 + i] * stride[i] for i in range(nd))
                      + tuple(st[2 + i] * dilation[i] for i in range(nd)), writeable=False)
    arg = _first_argmax(view.reshape(*view.shape[:2 + nd], -1))
    offs = np.unravel_index(arg, kernel)
    flat = np.zeros(arg.shape, np.int64)
    for i in range(nd):
        o = np.arange(out_sp[i]).reshape((-1,) + (1,) * (nd - 1 - i))
        pos = o * stride[i] - padding[i] + offs[i] * dilation[i]
        flat = flat * x.shape[2 + i] + pos
    return flat


def _max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode):
    op = "max_pool3d"
    x, unbatched = _batched(input, 3, "non-empty 4D or 5D (batch mode) tensor expected for input")
    kernel = _nt(kernel_size, 3, op, "kernel_size")
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _nt(
        stride, 3, op, "stride")
    padding, dilation = _nt(padding, 3, op, "padding"), _nt(dilation, 3, op, "dilation")
    if any(s == 0 for s in stride):
        raise _errors.pool_stride_zero()
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationT: {dilation[0]} dilationH: "
                           f"{dilation[1]} dilationW: {dilation[2]}")
    for p, k, d in zip(padding, kernel, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise _errors.pool_pad_too_large(p, k, d)
    sp = x.shape[2:]
    out_sp = [pool_output_size(n, k, s, p, d, ceil_mode) for n, k, s, p, d in zip(sp, kernel, stride, padding, dilation)]
    if any(o < 1 for o in out_sp):
        raise _errors.pool_output_too_small("x".join(map(str, x.shape[1:])), "x".join(map(str, [x.shape[1], *out_sp])))
    idx = _max_pool_indices(x._data, kernel, stride, padding, dilation, out_sp)
    out = _gather_flat(x, idx, 3)
    if unbatched:
        return out.squeeze(0), _wrap(idx[0])
    return out, _wrap(idx)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """3-d max pooling: out[n, c, z, y, x] = max over the window of xpad (padding −∞); with return_indices also the
    flat per-volume index z·H·W + y·W + x of each (first) maximum.

    Torch parity: values, gradients, indices, sizes and errors as torch.nn.functional.max_pool3d."""
    out, idx = _max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return _max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode)


def _adaptive_max(input, output_size, nd):
    op = f"adaptive_max_pool{nd}d"
    if nd == 1:
        if input.dim() not in (2, 3):
            raise _errors.pool_dims(input.dim(), op)
        sizes = _output_size(output_size, input, 1, f"{op}() argument 'output_size' should contain one int")
    else:
        if input.dim() not in (nd + 1, nd + 2):
            raise _errors.pool_input_dims(op, nd, input.shape)
        sizes = _output_size(output_size, input, nd, f"{op}(): internal error: output_size.size() must be {nd}")
    unbatched = input.dim() == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    a, sp = x._data, x.shape[2:]
    bins = []
    for n, m in zip(sp, sizes):
        i = np.arange(m)
        bins.append(list(zip((i * n) // m, -((-(i + 1) * n) // m))))
    idx = np.zeros(a.shape[:2] + tuple(sizes), np.int64)
    for out_pos in np.ndindex(*sizes):  # one reduction per output bin
        box = tuple(slice(*bins[k][o]) for k, o in enumerate(out_pos))
        block = a[(slice(None), slice(None)) + box]
        arg = _first_argmax(block.reshape(*a.shape[:2], -1))
        local = np.unravel_index(arg, block.shape[2:])
        flat = np.zeros(arg.shape, np.int64)
        for k in range(nd):
            flat = flat * sp[k] + bins[k][out_pos[k]][0] + local[k]
        idx[(slice(None), slice(None)) + out_pos] = flat
    out = _gather_flat(x, idx, nd)
    if unbatched:
        return out.squeeze(0), _wrap(idx[0])
    return out, _wrap(idx)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over adaptive bins of L (bin i covers ⌊i·L/m⌋ .. ⌈(i+1)·L/m⌉ − 1); with return_indices also the arg-max
    positions. Torch parity: values, gradients, indices and errors as torch.nn.functional.adaptive_max_pool1d."""
    out, idx = _adaptive_max(input, output_size, 1)
    return (out, idx) if return_indices else out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over adaptive (H_out, W_out) bins; indices are flat per plane (y·W + x). Torch parity: as
    torch.nn.functional.adaptive_max_pool2d."""
    out, idx = _adaptive_max(input, output_size, 2)
    return (out, idx) if return_indices else out


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max over adaptive (D_out, H_out, W_out) bins; indices flat per volume. Torch parity: as
    torch.nn.functional.adaptive_max_pool3d."""
    out, idx = _adaptive_max(input, output_size, 3)
    return (out, idx) if return_indices else out


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return _adaptive_max(input, output_size, 1)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return _adaptive_max(input, output_size, 2)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    return _adaptive_max(input, output_size, 3)


# ---- power-average pooling -------------------------------------------------------------------------------------
def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, nd):
    """(Σ_window xᵖ)^(1/p), computed as torch: (sign(s)·relu(|s|)·K)^(1/p), s the window average of xᵖ."""
    kernel = _nt(kernel_size, nd, f"lp_pool{nd}d", "kernel_size")
    stride = kernel if stride is None else _nt(stride, nd, f"lp_pool{nd}d", "stride")
    if norm_type in (math.inf, -math.inf):  # the limits: the largest (smallest) |x| of each window
        pool = (pooling.max_pool1d, pooling.max_pool2d, max_pool3d)[nd - 1]
        sign = 1.0 if norm_type > 0 else -1.0
        return pool(input.abs() * sign, kernel, stride, 0, 1, ceil_mode) * sign
    x, unbatched = _batched(input, nd, f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
    sp = x.shape[2:]
    out_sp = [pool_output_size(n, k, s, 0, 1, ceil_mode) for n, k, s in zip(sp, kernel, stride)]
    xp = x ** norm_type
    dt = xp._data.dtype
    s = _apply_axes(xp, [_avg_matrix(n, k, st, 0, o, True, True, dt) for n, k, st, o in zip(sp, kernel, stride, out_sp)])
    y = (s.sign() * s.abs().relu() * float(math.prod(kernel))) ** (1.0 / norm_type)
    return y.squeeze(0) if unbatched else y


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over L: (Σ_window xᵖ)^(1/p), p = norm_type (p = ∞ is max pooling's limit, p = 1 sum
    pooling). Torch parity: as torch.nn.functional.lp_pool1d."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over (H, W). Torch parity: as torch.nn.functional.lp_pool2d."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over (D, H, W). Torch parity: as torch.nn.functional.lp_pool3d."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3)


# ---- unpooling -------------------------------------------------------------------------------------------------
def _max_unpool(input, indices, kernel_size, stride, padding, output_size, nd):
    kernel = _nt(kernel_size, nd, f"max_unpool{nd}d", "kernel_size")
    stride = kernel if stride is None else _nt(stride, nd, f"max_unpool{nd}d", "stride")
    padding = _nt(padding, nd, f"max_unpool{nd}d", "padding")
    sp = input.shape[-nd:]
    default = [(n - 1) * s + k - 2 * p for n, s, k, p in zip(sp, stride, kernel, padding)]
    if output_size is None:
        out_sp = default
    else:
        if len(output_size) == nd + 2:
            output_size = output_size[2:]
        if len(output_size) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has a "
                             f"length of '{len(output_size)}'")
        for d, (o, dflt) in enumerate(zip(output_size, default)):
            lo, hi = dflt - stride[d], dflt + stride[d]
            if not lo < o < hi:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {lo} and {hi})')
        out_sp = [int(o) for o in output_size]
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) "
                           f"but got indices tensor with shape: {list(indices.shape)}")
    lead = tuple(input.shape[:-nd])
    plane = int(math.prod(out_sp))
    idx = indices._data.reshape(*lead, -1)
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        bad = int(idx[(idx < 0) | (idx >= plane)].flat[0])
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           f"{'x'.join(map(str, out_sp))})")
    base = _creation.zeros(*lead, plane, dtype=input.dtype)
    out = base.scatter(-1, _wrap(idx), input.reshape(*lead, -1))
    return out.reshape(*lead, *out_sp)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool1d: each value placed at its index in a zero output of length
    (L − 1)·s + k − 2p (or output_size). Torch parity: as torch.nn.functional.max_unpool1d."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool2d (flat per-plane indices). Torch parity: as torch.nn.functional.max_unpool2d."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool3d (flat per-volume indices). Torch parity: as torch.nn.functional.max_unpool3d."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3)
