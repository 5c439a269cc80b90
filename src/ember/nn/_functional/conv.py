"""Convolutions (functional forms): ``conv1d``, ``conv2d``, ``conv_transpose1d``, ``conv_transpose2d``, ``conv_tbc``.

All of them run on the 2-D kernels of ``ember.autograd.ops.conv`` (im2col + one matmul per
group); 1-D inputs are given a height of 1. The checks and their messages are torch's.
"""
from __future__ import annotations

from ... import _errors
from ..._grad_mode import is_grad_enabled
from ...autograd.ops import conv as C

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "conv_tbc"]


def _tuple(v, n, name="value"):
    """torch's _single/_pair: an int (or 1-sequence) repeated n times, or an n-sequence."""
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return tuple(int(v[0]) for _ in range(n))
        if len(v) != n:
            raise RuntimeError(
                f"expected {name} to be a single integer value or a list of {n} values to match the convolution "
                f"dimensions, but got {name}={list(v)}"
            )
        return tuple(int(x) for x in v)
    return (int(v),) * n


_SCALAR = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int", "bool": "Bool",
           "uint8": "Byte", "int8": "Char", "int16": "Short"}


def _shape(a) -> str:
    return "[" + ", ".join(str(s) for s in a) + "]"


def _batched(input, nd, opname):
    """Add the batch dim to an unbatched input; raise torch's error for a wrong rank."""
    dim = input._data.ndim
    if dim == nd + 2:
        return input, False
    if dim == nd + 1:
        return input.unsqueeze(0), True
    raise _errors.conv_input_dims(nd, opname, _shape(input._data.shape))


def _check_conv(input, weight, bias, groups, transposed, nd):
    x, w = input._data, weight._data
    if w.ndim != nd + 2:
        raise RuntimeError(
            f"weight should have {nd + 2} dimensions (out_channels, in_channels/groups, *kernel_size), but got "
            f"weight of size {_shape(w.shape)}"
        )
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    expect = w.shape[0] if transposed else w.shape[1] * groups
    if x.shape[1] != expect:
        lead = "Given transposed=1, weight" if transposed else f"Given groups={groups}, weight"
        raise RuntimeError(
            f"{lead} of size {_shape(w.shape)}, expected input{_shape(x.shape)} to have {expect} channels, but got "
            f"{x.shape[1]} channels instead"
        )
    if not transposed and w.shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of "
            f"size {_shape(w.shape)} instead"
        )
    if bias is not None:
        n_out = w.shape[1] * groups if transposed else w.shape[0]
        if bias._data.ndim != 1 or bias._data.shape[0] != n_out:
            raise RuntimeError(
                f"Given weight of size {_shape(w.shape)}, expected bias to be 1-dimensional with {n_out} elements, "
                f"but got bias of size {_shape(bias._data.shape)} instead"
            )
    for other in (w, None if bias is None else bias._data):
        if other is not None and other.dtype != x.dtype:
            raise _errors.scalar_type_mismatch(_SCALAR[x.dtype.name], _SCALAR[other.dtype.name])


def _check_geometry(stride, dilation, padding_lr):
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if any(p < 0 for p in padding_lr):
        raise RuntimeError("negative padding is not supported")


def _same_pads(kernel, dilation):
    """padding='same': total d·(k − 1) per dim, the odd one extra on the end (as torch)."""
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads += [total // 2, total - total // 2]
    return pads


def _conv(input, weight, bias, stride, padding, dilation, groups, nd):
    name = f"conv{nd}d"
    input, unbatched = _batched(input, nd, name)
    _check_conv(input, weight, bias, groups, False, nd)
    stride, dilation = _tuple(stride, nd, "stride"), _tuple(dilation, nd, "dilation")
    kernel = weight._data.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            pads = [0] * (2 * nd)
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise _errors.same_padding_strided()
            pads = _same_pads(kernel, dilation)
        else:
            raise _errors.padding_string(padding)
    else:
        pads = [p for v in _tuple(padding, nd, "padding") for p in (v, v)]
    _check_geometry(stride, dilation, pads)
    in_sp = input._data.shape[2:]
    padded = [n + pads[2 * i] + pads[2 * i + 1] for i, n in enumerate(in_sp)]
    eff = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if any(p < e for p, e in zip(padded, eff)):
        raise _errors.kernel_larger_than_input(padded, eff)
    if err := _errors.conv_kernel_size(kernel):
        raise err
    op = C.Conv2d
    if nd == 1:  # the op takes the (N, C, L) arrays and views them with a height of 1
        op, stride, dilation, pads = C.Conv1d, (1, *stride), (1, *dilation), (0, 0, *pads)
    args = (input, weight) if bias is None else (input, weight, bias)
    recorded = is_grad_enabled() and any(t.requires_grad for t in args)
    out = op.apply(*args, stride=stride, pads=tuple(pads), dilation=dilation, groups=groups, recorded=recorded)
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation over (N, C_in, L) with weight (C_out, C_in/groups, k).

        out[n, o, x] = b[o] + Σ_{c, j} W[o, c, j] · xpad[n, g(o)·C_in/groups + c, x·s + j·d]

    Torch parity: same arguments, padding 'same'/'valid', errors as torch.nn.functional.conv1d.
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation over (N, C_in, H, W) with weight (C_out, C_in/groups, kh, kw).

        out[n, o, y, x] = b[o] + Σ_{c, i, j} W[o, c, i, j] · xpad[n, g(o)·C_in/groups + c, y·sh + i·dh, x·sw + j·dw]

    Computed as im2col + one BLAS matmul per group; the result is stored channel-major (see
    ``ember.autograd.ops.conv``), so ``is_contiguous()`` is False where torch's is True; values,
    shape and gradients are torch's.

    Torch parity: same arguments, padding 'same'/'valid', errors as torch.nn.functional.conv2d.
    Example:  >>> F.conv2d(ember.randn(1, 3, 8, 8), ember.randn(4, 3, 3, 3), padding=1).shape  # (1, 4, 8, 8)
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nd):
    name = f"conv_transpose{nd}d"
    input, unbatched = _batched(input, nd, name)
    _check_conv(input, weight, bias, groups, True, nd)
    stride, dilation = _tuple(stride, nd, "stride"), _tuple(dilation, nd, "dilation")
    padding, output_padding = _tuple(padding, nd, "padding"), _tuple(output_padding, nd, "output_padding")
    _check_geometry(stride, dilation, padding)
    if any(p < 0 for p in output_padding):
        raise _errors.negative_output_padding()
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            dims = ("height", "width") if nd == 2 else ("width",)
            parts = [f"output_padding_{n}: {v}" for n, v in zip(dims, output_padding)]
            parts += [f"stride_{n}: {v}" for n, v in zip(dims, stride)]
            parts += [f"dilation_{n}: {v}" for n, v in zip(dims, dilation)]
            raise RuntimeError("output padding must be smaller than either stride or dilation, but got " + " ".join(parts))
    kernel = weight._data.shape[2:]
    if err := _errors.conv_kernel_size(kernel):
        raise err
    out_sp = [
        (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        for n, s, p, d, k, op in zip(input._data.shape[2:], stride, padding, dilation, kernel, output_padding)
    ]
    if any(o <= 0 for o in out_sp):
        raise _errors.conv_output_too_small(" x ".join(map(str, input._data.shape[2:])), " x ".join(map(str, out_sp)))
    if nd == 1:
        x4, w4 = input.unsqueeze(2), weight.unsqueeze(2)
        stride, dilation, padding, output_padding = (1, *stride), (1, *dilation), (0, *padding), (0, *output_padding)
    else:
        x4, w4 = input, weight
    args = (x4, w4) if bias is None else (x4, w4, bias)
    out = C.ConvTranspose2d.apply(
        *args, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, groups=groups
    )
    if nd == 1:
        out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution, the gradient of conv1d with respect to its input; weight (C_in, C_out/groups, k).

    L_out = (L − 1)·s − 2p + d·(k − 1) + output_padding + 1.
    Torch parity: same arguments and errors as torch.nn.functional.conv_transpose1d.
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution ("deconvolution"), the gradient of conv2d with respect to its input.

    weight (C_in, C_out/groups, kh, kw); H_out = (H − 1)·sh − 2ph + dh·(kh − 1) + output_padding_h + 1.
    Torch parity: same arguments and errors as torch.nn.functional.conv_transpose2d.
    Reference: Dumoulin & Visin, "A guide to convolution arithmetic for deep learning", 2016.
    https://arxiv.org/abs/1603.07285
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2)


def conv_tbc(input, weight, bias, pad=0):
    """1-D convolution of a (time, batch, channels) sequence: with x padded by ``pad`` steps of zeros at each end
    (a negative pad crops),

        out[t] = bias + Σₖ x[t + k] · weight[k],   weight (kernel width, C_in, C_out),  t < T + 2·pad − K + 1

    one matmul per kernel tap, so gradients of any order follow.

    Torch parity: values, gradients, shapes and errors as torch.conv_tbc (the same as conv1d on the permuted input).
    Example:  >>> F.conv_tbc(ember.randn(7, 2, 3), ember.randn(3, 3, 4), ember.randn(4), 1).shape  # (7, 2, 4)
    """
    from .padding import pad as _pad

    if input.dim() != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.dim() != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, out_channels.")
    if bias.dim() != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    x = _pad(input, (0, 0, 0, 0, pad, pad)) if pad else input
    K = weight.shape[0]
    steps = max(x.shape[0] - K + 1, 0)
    out = bias.expand(steps, input.shape[1], weight.shape[2])
    for k in range(K):
        out = out + x[k:k + steps] @ weight[k]
    return out
