"""``pad``: constant, reflect, replicate and circular padding of the last dimensions."""
from __future__ import annotations

import numpy as np

from ...autograd.function import Op
from ...autograd.ops.indexing import scatter_to

__all__ = ["pad"]

_NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


class Pad(Op):
    """Constant padding (negative widths crop) or index-map padding (reflect/replicate/circular).

    For the index-map modes, along each padded axis out = x.take(idx) with
    idx = numpy.pad(arange(n), (lo, hi), mode); the backward scatters g back with add.at.
    """

    @staticmethod
    def forward(ctx, x, *, widths, mode, value):
        ctx.widths, ctx.mode, ctx.shape = widths, mode, x.shape
        if mode == "constant":
            inner_out, inner_in, shape = [], [], []
            for n, (lo, hi) in zip(x.shape, widths):
                shape.append(n + lo + hi)
                inner_out.append(slice(max(lo, 0), max(lo, 0) + n + min(lo, 0) + min(hi, 0)))
                inner_in.append(slice(max(-lo, 0), n - max(-hi, 0)))
            out = np.full(shape, value, dtype=x.dtype)
            out[tuple(inner_out)] = x[tuple(inner_in)]
            ctx.slices = tuple(inner_out), tuple(inner_in)
            return out
        ctx.maps = []
        out = x
        for axis, (n, (lo, hi)) in enumerate(zip(x.shape, widths)):
            if lo or hi:
                idx = np.pad(np.arange(n), (lo, hi), mode=_NP_MODE[mode])
                ctx.maps.append((axis, idx))
                out = np.take(out, idx, axis=axis)
        return out

    @staticmethod
    def backward(ctx, g):
        if ctx.mode == "constant":
            inner_out, inner_in = ctx.slices
            return scatter_to(ctx.shape, inner_in, g[inner_out], basic=True)
        for axis, idx in reversed(ctx.maps):
            shape = list(g.shape)
            shape[axis] = ctx.shape[axis]
            g = scatter_to(tuple(shape), (slice(None),) * axis + (idx,), g, basic=False)
        return g


def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad)/2 dimensions: pad = (last_lo, last_hi, second_last_lo, second_last_hi, …).

    mode 'constant' fills with ``value`` (default 0; negative widths crop); 'reflect' mirrors
    without repeating the edge, 'replicate' repeats the edge, 'circular' wraps around.

    Torch parity: same argument order, values, gradients and errors for the length and mode
    checks; reflect/replicate/circular accept any rank here (torch restricts them to the ranks
    its kernels exist for).
    """
    pad = [int(p) for p in pad]
    x = input._data
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > x.ndim:
        raise RuntimeError(
            f"Padding length should be less than or equal to two times the input dimension but got padding length "
            f"{len(pad)} and input of dimension {x.ndim}"
        )
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    if mode != "constant":
        if value is not None and value != 0:
            raise AssertionError(f'Padding mode "{mode}"" doesn\'t take in value argument')
        for axis, (lo, hi) in enumerate(widths):
            n = x.shape[axis]
            if lo < 0 or hi < 0:
                raise RuntimeError(f"{mode} padding does not support negative padding, got {(lo, hi)}")
            if mode == "reflect" and (lo >= n or hi >= n) and (lo or hi):
                raise RuntimeError(
                    f"Argument #4: Padding size should be less than the corresponding input dimension, but got: "
                    f"padding ({lo}, {hi}) at dimension {axis} of input {list(x.shape)}"
                )
            if mode == "circular" and (lo > n or hi > n):
                raise RuntimeError("Padding value causes wrapping around more than once.")
    for axis, (lo, hi) in enumerate(widths):
        if x.shape[axis] + lo + hi < 0:
            raise RuntimeError(
                f"The input size {x.shape[axis]}, plus negative padding {lo} and {hi} resulted in a negative output "
                f"size, which is invalid. Check dimension {axis} of your input."
            )
    return Pad.apply(input, widths=tuple(widths), mode=mode, value=0 if value is None else value)
