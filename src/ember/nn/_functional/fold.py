"""``unfold`` (im2col: sliding blocks to columns) and ``fold`` (col2im: columns summed back into an image).

The two are adjoint linear maps, so each one's backward is the other: the ops below call ``fold``/``unfold``
on the gradient, which under ``create_graph`` records the other op and gives derivatives of any order.
The array work is conv's own ``im2col``/``col2im`` (numba kernels with the ``fast`` extra).
"""
from __future__ import annotations

import numpy as np

from ...autograd.function import Op
from ...autograd.ops._util import check_float
from ...autograd.ops.conv import col2im, im2col, pad2d
from ...tensor import Tensor

__all__ = ["unfold", "fold"]


def _pair(v, name):
    if isinstance(v, int):
        return (v, v)
    v = tuple(int(a) for a in v)
    if len(v) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(v)}")
    return v


def _blocks(n, k, d, p, s):
    """L = ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1 sliding blocks along one dim."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _geometry(kernel_size, dilation, padding, stride):
    g = [_pair(kernel_size, "kernel_size"), _pair(dilation, "dilation"), _pair(padding, "padding"),
         _pair(stride, "stride")]
    for (a, b), what, low in zip(g, ("kernel size", "dilation", "padding", "stride"), (1, 1, 0, 1)):
        if a < low or b < low:
            short = {"kernel size": "kernel", "dilation": "dilation", "padding": "pad", "stride": "stride"}[what]
            rule = "non-negative" if low == 0 else "greater than zero"
            raise RuntimeError(f"{what} should be {rule}, but got {short}_height: {a} {short}_width: {b}")
    return g


def _unfold_array(x, kernel, dilation, padding, stride, out_hw):
    """(N, C, H, W) → (N, C·kh·kw, L) (a transposed view of conv's C-major column matrix)."""
    n, c = x.shape[:2]
    (ph, pw) = padding
    cols = im2col(pad2d(x, (ph, ph, pw, pw)), kernel, stride, dilation, out_hw)  # (C, kh, kw, N, Ho, Wo)
    return cols.reshape(c * kernel[0] * kernel[1], n, out_hw[0] * out_hw[1]).transpose(1, 0, 2)


def _fold_array(x, out_size, kernel, dilation, padding, stride, blocks):
    """(N, C·kh·kw, L) → (N, C, H, W), overlapping blocks summed."""
    n, ck = x.shape[:2]
    kh, kw = kernel
    c = ck // (kh * kw)
    cols = np.ascontiguousarray(x.reshape(n, c, kh, kw, *blocks).transpose(1, 2, 3, 0, 4, 5))
    (ph, pw), (h, w) = padding, out_size
    img = col2im(cols, (n, c, h + 2 * ph, w + 2 * pw), stride, dilation, channel_major=False)
    return np.ascontiguousarray(img[:, :, ph:ph + h, pw:pw + w])


class Unfold(Op):
    """cols[n, (c, i, j), (y, x)] = x_padded[n, c, y·sh + i·dh, x·sw + j·dw]; backward: fold of g."""

    @staticmethod
    def forward(ctx, x, *, kernel, dilation, padding, stride, out_hw):
        ctx.geometry, ctx.size = (kernel, dilation, padding, stride), tuple(x.shape[2:])
        return _unfold_array(x, kernel, dilation, padding, stride, out_hw)

    @staticmethod
    def backward(ctx, g):
        kernel, dilation, padding, stride = ctx.geometry
        if isinstance(g, Tensor):  # create_graph: the adjoint as a recorded op
            return fold(g, ctx.size, kernel, dilation, padding, stride)
        blocks = (_blocks(ctx.size[0], kernel[0], dilation[0], padding[0], stride[0]),
                  _blocks(ctx.size[1], kernel[1], dilation[1], padding[1], stride[1]))
        return _fold_array(g, ctx.size, kernel, dilation, padding, stride, blocks)


class Fold(Op):
    """img[n, c, y·sh + i·dh − ph, x·sw + j·dw − pw] += cols[n, (c, i, j), (y, x)]; backward: unfold of g."""

    @staticmethod
    def forward(ctx, x, *, out_size, kernel, dilation, padding, stride, blocks):
        ctx.geometry, ctx.blocks = (kernel, dilation, padding, stride), blocks
        return _fold_array(x, out_size, kernel, dilation, padding, stride, blocks)

    @staticmethod
    def backward(ctx, g):
        kernel, dilation, padding, stride = ctx.geometry
        if isinstance(g, Tensor):
            return unfold(g, kernel, dilation, padding, stride)
        return _unfold_array(g, kernel, dilation, padding, stride, ctx.blocks)


def _fmt(t):
    return f"({t[0]}, {t[1]})"


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding blocks: (N, C, H, W) → (N, C·kh·kw, L), L the number of blocks (an unbatched
    (C, H, W) input gives (C·kh·kw, L)).

    Torch parity: values, gradients, shapes and errors as torch.nn.functional.unfold."""
    kernel, dilation, padding, stride = _geometry(kernel_size, dilation, padding, stride)
    shape = tuple(input.shape)
    if input.dim() not in (3, 4) or any(s == 0 for s in shape[-3:]):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    check_float("im2col_out_cpu", input)
    h, w = shape[-2:]
    out_hw = tuple(_blocks(n, k, d, p, s) for n, k, d, p, s in zip((h, w), kernel, dilation, padding, stride))
    if out_hw[0] < 1 or out_hw[1] < 1:
        raise RuntimeError(f"Given input with spatial size {_fmt((h, w))}, kernel_size={_fmt(kernel)}, "
                           f"dilation={_fmt(dilation)}, padding={_fmt(padding)}, calculated shape of the array of "
                           f"sliding blocks as {_fmt(out_hw)}, but its components must be at least one.")
    x = input if input.dim() == 4 else input.unsqueeze(0)
    y = Unfold.apply(x, kernel=kernel, dilation=dilation, padding=padding, stride=stride, out_hw=out_hw)
    return y if input.dim() == 4 else y.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding blocks back into an image: (N, C·kh·kw, L) → (N, C, H, W), (H, W) = output_size
    (an unbatched (C·kh·kw, L) input gives (C, H, W)); the adjoint of :func:`unfold`.

    Torch parity: values, gradients, shapes and errors as torch.nn.functional.fold."""
    out_size = _pair(output_size, "output_size")
    kernel, dilation, padding, stride = _geometry(kernel_size, dilation, padding, stride)
    shape = tuple(input.shape)
    if input.dim() not in (2, 3) or any(s == 0 for s in shape[-2:]):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
                           f"non-zero dimensions for input, but got: {list(shape)}")
    check_float("col2im_out_cpu", input)
    ck, length = shape[-2:]
    k = kernel[0] * kernel[1]
    if ck % k:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={ck} and kernel_size={_fmt(kernel)}.")
    blocks = tuple(_blocks(n, kk, d, p, s) for n, kk, d, p, s in zip(out_size, kernel, dilation, padding, stride))
    if blocks[0] * blocks[1] != length or blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(
            f"Given output_size={_fmt(out_size)}, kernel_size={_fmt(kernel)}, dilation={_fmt(dilation)}, "
            f"padding={_fmt(padding)}, stride={_fmt(stride)}, expected size of input's dimension 2 to match the "
            f"calculated number of sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
            f"input.size(2)={length}.")
    x = input if input.dim() == 3 else input.unsqueeze(0)
    y = Fold.apply(x, out_size=out_size, kernel=kernel, dilation=dilation, padding=padding, stride=stride,
                   blocks=blocks)
    return y if input.dim() == 3 else y.squeeze(0)


