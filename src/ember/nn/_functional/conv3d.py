"""3-d convolutions, composed from the 2-d kernels: ``conv3d``, ``conv_transpose3d``.

conv3d is a sum over the kd depth taps of the kernel of conv2d on depth slices of the input,

    out[n, o, z] = b[o] + Σ_i conv2d(xpad[n, :, z·s_d + i·d_d], W[:, :, i])[o],

each slice batch being (N·D_out, C, H, W); conv_transpose3d is conv3d of the input with s − 1 zeros inserted
between its elements, padded by d·(k − 1) − p (+ output_padding at the end), with the kernel's in/out channels
swapped per group and its taps flipped (Dumoulin & Visin, "A guide to convolution arithmetic for deep learning",
2016, https://arxiv.org/abs/1603.07285). Both are compositions of differentiable ops, so their derivatives of
any order are conv2d's.
"""
from __future__ import annotations

from ... import _errors
from .conv import _batched, _check_conv, _check_geometry, _same_pads, _tuple, conv2d
from .padding import pad

__all__ = ["conv3d", "conv_transpose3d"]


def _conv3d_padded(x, weight, stride, dilation, groups, hw_pad):
    """conv3d of an already depth-padded (N, C, D, H, W) ``x``; ``hw_pad`` (ph, pw) is passed to conv2d."""
    n, c, d = x.shape[:3]
    kd = weight.shape[2]
    (sd, sh, sw), (dd, dh, dw) = stride, dilation
    d_out = (d - dd * (kd - 1) - 1) // sd + 1
    y = None
    for i in range(kd):
        xi = x[:, :, i * dd: i * dd + (d_out - 1) * sd + 1: sd]
        xi = xi.transpose(1, 2).reshape(n * d_out, c, *x.shape[3:])
        yi = conv2d(xi, weight[:, :, i], None, (sh, sw), hw_pad, (dh, dw), groups)
        y = yi if y is None else y + yi
    return y.reshape(n, d_out, *y.shape[1:]).transpose(1, 2)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d cross-correlation over (N, C_in, D, H, W) with weight (C_out, C_in/groups, kd, kh, kw).

        out[n, o, z, y, x] = b[o] + Σ_{c,i,j,l} W[o, c, i, j, l] · xpad[n, g(o)·C_in/groups + c, z·s_d + i·d_d,
                                                                        y·s_h + j·d_h, x·s_w + l·d_w]

    Torch parity: same arguments, padding 'same'/'valid', values, gradients and errors as
    torch.nn.functional.conv3d."""
    input, unbatched = _batched(input, 3, "conv3d")
    _check_conv(input, weight, bias, groups, False, 3)
    stride, dilation = _tuple(stride, 3, "stride"), _tuple(dilation, 3, "dilation")
    kernel = weight.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            pads = [0] * 6
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise _errors.same_padding_strided()
            pads = _same_pads(kernel, dilation)
        else:
            raise _errors.padding_string(padding)
    else:
        pads = [p for v in _tuple(padding, 3, "padding") for p in (v, v)]
    _check_geometry(stride, dilation, pads)
    padded = [n + pads[2 * i] + pads[2 * i + 1] for i, n in enumerate(input.shape[2:])]
    eff = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if any(p < e for p, e in zip(padded, eff)):
        raise _errors.kernel_larger_than_input(padded, eff)
    symmetric_hw = pads[2] == pads[3] and pads[4] == pads[5]
    widths = (0, 0, 0, 0) if symmetric_hw else (pads[4], pads[5], pads[2], pads[3])
    x = input
    if pads[0] or pads[1] or not symmetric_hw:
        x = pad(input, (*widths, pads[0], pads[1]))
    y = _conv3d_padded(x, weight, stride, dilation, groups, (pads[2], pads[4]) if symmetric_hw else (0, 0))
    if bias is not None:
        y = y + bias.reshape(1, -1, 1, 1, 1)
    return y.squeeze(0) if unbatched else y


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-d transposed convolution, the gradient of conv3d with respect to its input; weight
    (C_in, C_out/groups, kd, kh, kw); D_out = (D − 1)·s_d − 2p_d + d_d·(kd − 1) + output_padding_d + 1.

    Torch parity: same arguments, values, gradients and errors as torch.nn.functional.conv_transpose3d."""
    input, unbatched = _batched(input, 3, "conv_transpose3d")
    _check_conv(input, weight, bias, groups, True, 3)
    stride, dilation = _tuple(stride, 3, "stride"), _tuple(dilation, 3, "dilation")
    padding, output_padding = _tuple(padding, 3, "padding"), _tuple(output_padding, 3, "output_padding")
    _check_geometry(stride, dilation, padding)
    if any(p < 0 for p in output_padding):
        raise _errors.negative_output_padding()
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            dims = ("depth", "height", "width")
            parts = [f"output_padding_{n}: {v}" for n, v in zip(dims, output_padding)]
            parts += [f"stride_{n}: {v}" for n, v in zip(dims, stride)]
            parts += [f"dilation_{n}: {v}" for n, v in zip(dims, dilation)]
            raise RuntimeError("output padding must be smaller than either stride or dilation, but got " + " ".join(parts))
    kernel = weight.shape[2:]
    out_sp = [(n - 1) * s - 2 * p + d * (k - 1) + op + 1
              for n, s, p, d, k, op in zip(input.shape[2:], stride, padding, dilation, kernel, output_padding)]
    if any(o <= 0 for o in out_sp):
        raise _errors.conv_output_too_small(" x ".join(map(str, input.shape[2:])), " x ".join(map(str, out_sp)))
    n, c, d, h, w = input.shape
    (sd, sh, sw) = stride
    x = input
    if sd > 1 or sh > 1 or sw > 1:  # s − 1 zeros after each element, then the trailing ones cut
        x = pad(x.reshape(n, c, d, 1, h, 1, w, 1), (0, sw - 1, 0, 0, 0, sh - 1, 0, 0, 0, sd - 1))
        x = x.reshape(n, c, d * sd, h * sh, w * sw)
    widths = []
    for axis in (2, 1, 0):  # F.pad's order: last dim first
        k, s, p, dl, op = kernel[axis], stride[axis], padding[axis], dilation[axis], output_padding[axis]
        lo = dl * (k - 1) - p
        widths += [lo, lo + op - (s - 1)]
    x = pad(x, tuple(widths))
    g = groups
    cin, cout_g = weight.shape[:2]
    wt = weight.reshape(g, cin // g, cout_g, *kernel).transpose(1, 2).reshape(g * cout_g, cin // g, *kernel)
    wt = wt.flip((2, 3, 4))
    y = _conv3d_padded(x, wt, (1, 1, 1), dilation, groups, (0, 0))
    if bias is not None:
        y = y + bias.reshape(1, -1, 1, 1, 1)
    return y.squeeze(0) if unbatched else y
