"""Pooling (functional forms): max, average and adaptive average pooling in 1-D and 2-D.

The kernels live in ``ember.autograd.ops.conv`` and work on (N, C, H, W); 1-D pooling runs
them with a height of 1. Output sizes, ceil_mode, padding rules and error messages are torch's.
"""
from __future__ import annotations

import numpy as np

from ... import _errors
from ...autograd.ops import conv as C
from ...tensor import _wrap

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "max_pool1d",
    "max_pool1d_with_indices",
    "max_pool2d",
    "max_pool2d_with_indices",
]


def _ints(v, n, what):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return (int(v[0]),) * n
        if len(v) != n:
            if n == 2:
                raise RuntimeError(f"{what}: {_WHAT[what]} must either be a single int, or a tuple of two ints")
            raise RuntimeError(f"{what}: {_WHAT[what]} must be a single int")
        return tuple(int(x) for x in v)
    return (int(v),) * n


_WHAT: dict = {}


def _arg(v, n, op, name):
    _WHAT[op] = name
    return _ints(v, n, op)


def pool_output_size(n, k, s, p, d, ceil_mode):
    """torch's pooling_output_shape: ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1, or the ceiling, where the last
    window must still start inside the input or its left padding."""
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _to4d(input, nd, opname):
    """(N, C, *spatial) or unbatched (C, *spatial) → (N', C, H, W) and a function undoing it."""
    x = input
    unbatched = input._data.ndim == nd + 1
    if unbatched:
        x = x.unsqueeze(0)
    if nd == 1:
        x = x.unsqueeze(2)

    def back(y):
        if nd == 1:
            y = y.squeeze(2)
        return y.squeeze(0) if unbatched else y

    return x, back


def _geometry(input, kernel_size, stride, padding, dilation, nd, op):
    kernel = _arg(kernel_size, nd, op, "kernel_size")
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _arg(stride, nd, op, "stride")
    padding = _arg(padding, nd, op, "padding")
    dilation = _arg(dilation, nd, op, "dilation")
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_size={list(kernel)}")
    if any(s <= 0 for s in stride):
        raise _errors.pool_stride_zero()
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation={list(dilation)}")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(padding)}")
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            if nd == 1 and op.startswith("max"):
                raise RuntimeError(
                    f"max_pool1d() padding should be at most half of kernel size, but got padding={p} and kernel_size={k}"
                )
            raise _errors.pool_pad_too_large(p, k, d)
    return kernel, stride, padding, dilation


def _out_sizes(input, kernel, stride, padding, dilation, ceil_mode, nd, op):
    sp = input._data.shape[-nd:]
    out = tuple(pool_output_size(n, k, s, p, d, ceil_mode) for n, k, s, p, d in zip(sp, kernel, stride, padding, dilation))
    if any(o <= 0 for o in out):
        if nd == 1 and op.startswith("max"):
            raise RuntimeError(f"max_pool1d() Invalid computed output size: {out[0]}")
        lead = input._data.shape[-nd - 1]
        insz = "x".join(map(str, (lead, *((1,) if nd == 1 else ()), *sp)))
        outsz = "x".join(map(str, (lead, *((1,) if nd == 1 else ()), *out)))
        raise _errors.pool_output_too_small(insz, outsz)
    return out


def _check_rank(input, nd, op):
    dim = input._data.ndim
    if dim in (nd + 1, nd + 2):
        return
    if op == "max_pool1d":
        raise RuntimeError(
            f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but "
            f"got:{list(input._data.shape)}"
        )
    if op == "max_pool2d":
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    if nd == 1:
        raise _errors.pool_dims(dim, op)
    raise RuntimeError(
        f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:"
        f"{list(input._data.shape)}"
    )


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd):
    op = f"max_pool{nd}d"
    _check_rank(input, nd, op)
    kernel, stride, padding, dilation = _geometry(input, kernel_size, stride, padding, dilation, nd, op)
    out_sp = _out_sizes(input, kernel, stride, padding, dilation, ceil_mode, nd, op)
    x, back = _to4d(input, nd, op)
    if nd == 1:
        kernel, stride, dilation, out_sp = ((1, *t) for t in (kernel, stride, dilation, out_sp))
        padding = (0, *padding)
    box = {} if return_indices else None
    out = C.MaxPool2d.apply(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation, out_hw=out_sp, box=box)
    out = back(out)
    if not return_indices:
        return out
    idx = C.max_indices(box["arg"], x._data.shape[2:], kernel, stride, padding, dilation)
    return out, back(_wrap(idx))


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-D max pooling over (N, C, L): out[n, c, x] = max_j xpad[n, c, x·s + j·d] (padding is −∞).

    Torch parity: same arguments, output size (ceil_mode), errors and, with return_indices, the
    flat indices torch returns (position of the first maximum in each window).
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling over (N, C, H, W): out[n, c, y, x] = max_{i,j} xpad[n, c, y·sh + i·dh, x·sw + j·dw].

    Backward routes each gradient to the saved arg-max position. Torch parity: same arguments,
    output size (ceil_mode), errors and indices (flat y·W + x per plane) as torch.
    Example:  >>> F.max_pool2d(ember.randn(1, 1, 4, 4), 2).shape  # (1, 1, 2, 2)
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True):
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, True, 1)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True):
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, True, 2)


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd):
    op = f"avg_pool{nd}d"
    _check_rank(input, nd, op)
    kernel, stride, padding, _ = _geometry(input, kernel_size, stride, padding, 1, nd, op)
    if divisor_override is not None and divisor_override == 0:
        raise _errors.pool_divisor_zero()
    out_sp = _out_sizes(input, kernel, stride, padding, (1,) * nd, ceil_mode, nd, op)
    if input._data.dtype.kind != "f":
        raise _errors.not_implemented_for(op, input.dtype)
    x, back = _to4d(input, nd, op)
    if nd == 1:
        kernel, stride, out_sp = ((1, *t) for t in (kernel, stride, out_sp))
        padding = (0, *padding)
    out = C.AvgPool2d.apply(
        x, kernel=kernel, stride=stride, padding=padding, out_hw=out_sp, count_include_pad=count_include_pad,
        divisor_override=divisor_override,
    )
    return back(out)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling: out[n, c, x] = Σ_j xpad[n, c, x·s + j] / divisor (zero padding).

    divisor = k, clipped at the padded end in ceil mode; without count_include_pad, only the
    input elements are counted. Torch parity: same arguments, sizes, divisors and errors.
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    """2-D average pooling: out[n, c, y, x] = Σ_{i,j} xpad[n, c, y·sh + i, x·sw + j] / divisor[y, x].

    divisor: kh·kw clipped at the padded border (count_include_pad=True), the number of input
    elements in the window (False), or divisor_override. Torch parity: as torch.nn.functional.avg_pool2d.
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2)


def adaptive_bins(n_in: int, n_out: int, dtype) -> np.ndarray:
    """(n_out, n_in) averaging matrix: row i averages inputs ⌊i·n_in/n_out⌋ .. ⌈(i+1)·n_in/n_out⌉ − 1."""
    i = np.arange(n_out)
    start = (i * n_in) // n_out
    end = -((-(i + 1) * n_in) // n_out)
    j = np.arange(n_in)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _adaptive_avg(input, output_size, nd):
    op = f"adaptive_avg_pool{nd}d"
    dim = input._data.ndim
    if nd == 1 and dim not in (2, 3):
        raise _errors.pool_dims(dim, op)
    if nd == 2 and dim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input._data.shape)}")
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * nd
    if len(sizes) != nd:
        if nd == 1:
            raise RuntimeError(f"adaptive_avg_pool1d() argument 'output_size' should contain one int (got {len(sizes)})")
        raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
    sp = input._data.shape[-nd:]
    for k, n in enumerate(sp):
        if n == 0:
            raise RuntimeError(
                f"{op}(): Expected input to have non-zero size for non-batch dimensions, but input has sizes "
                f"{list(input._data.shape)} with dimension {dim - nd + k} being empty"
            )
    sizes = tuple(n if s is None else int(s) for s, n in zip(sizes, sp))
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 but received {list(sizes)}")
    if input._data.dtype.kind != "f":
        raise _errors.not_implemented_for(op, input.dtype)
    dt = input._data.dtype
    if nd == 1:
        a_h, a_w = np.ones((1, 1), dt), adaptive_bins(sp[0], sizes[0], dt)
        x = input.unsqueeze(-2)
        return C.SpatialLinear.apply(x, a_h=a_h, a_w=a_w).squeeze(-2)
    a_h, a_w = adaptive_bins(sp[0], sizes[0], dt), adaptive_bins(sp[1], sizes[1], dt)
    return C.SpatialLinear.apply(input, a_h=a_h, a_w=a_w)


def adaptive_avg_pool1d(input, output_size):
    """Average over L adaptive bins: bin i covers inputs ⌊i·L/L_out⌋ .. ⌈(i+1)·L/L_out⌉ − 1.

    Torch parity: same bins, values, gradients and errors as torch.nn.functional.adaptive_avg_pool1d.
    """
    return _adaptive_avg(input, output_size, 1)


def adaptive_avg_pool2d(input, output_size):
    """Average over adaptive (H_out, W_out) bins (see adaptive_avg_pool1d, per axis); None keeps a size.

    Torch parity: as torch.nn.functional.adaptive_avg_pool2d.
    Example:  >>> F.adaptive_avg_pool2d(ember.randn(2, 8, 7, 7), 1).shape  # (2, 8, 1, 1)
    """
    return _adaptive_avg(input, output_size, 2)
