"""Rearrangements of channels and pixels: ``pixel_shuffle``, ``pixel_unshuffle``, ``channel_shuffle`` (a reshape,
a permutation and a reshape each); spatial transformers: ``affine_grid``, ``grid_sample`` (matmuls, gathers and
elementwise weights). All are compositions of differentiable ops, so their gradients of any order come free;
bilinear 4-D sampling with zero padding also has a fused op, ``GridSampleBilinear`` (numba kernels, the ``fast``
extra), that create_graph differentiates through that composition.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ... import _errors
from ..._threads import copy_rows, row_blocks
from ...autograd.function import Op
from ...autograd.ops._xp import xp_of
from ...autograd.ops.elementwise import where
from ...tensor import Tensor, _wrap
from ...autograd.ops.shape import stack
from . import _vision_kernels

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "affine_grid",
           "grid_sample"]


def _check_rank(name, input):
    if input.dim() < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input with {input.dim()} "
                           f"dimension(s)")


def pixel_shuffle(input, upscale_factor):
    """(*, C·r², H, W) → (*, C, H·r, W·r):  out[c, h·r + i, w·r + j] = in[c·r² + i·r + j, h, w]
    (Shi et al., "Real-Time Single Image and Video Super-Resolution ...", CVPR 2016,
    https://arxiv.org/abs/1609.05158)."""
    _check_rank("pixel_shuffle", input)
    r = int(upscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    b = math.prod(batch)
    return Rearrange.apply(input, split=(b, c // (r * r), r, r, h, w), perm=(0, 1, 4, 2, 5, 3),
                           out_shape=(*batch, c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H·r, W·r) → (*, C·r², H, W), the inverse of :func:`pixel_shuffle`."""
    _check_rank("pixel_unshuffle", input)
    r = int(downscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *batch, c, h, w = input.shape
    for name, n, d in (("height", h, -2), ("width", w, -1)):
        if n % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                               f"input.size({d})={n} is not divisible by {r}")
    b = math.prod(batch)
    return Rearrange.apply(input, split=(b, c, h // r, r, w // r, r), perm=(0, 1, 3, 5, 2, 4),
                           out_shape=(*batch, c * r * r, h // r, w // r))


class Rearrange(Op):
    """out = x.reshape(split).transpose(perm).reshape(out_shape) as one copy (pixel shuffle and unshuffle);
    backward: the inverse permutation of g, g.reshape(split permuted).transpose(perm⁻¹).reshape(x.shape), one copy
    into a fresh array (so that a leaf adopts it as its gradient uncopied)."""

    @staticmethod
    def forward(ctx, x, *, split, perm, out_shape):
        ctx.split, ctx.perm, ctx.x_shape = split, perm, x.shape
        out = np.empty(out_shape, x.dtype)
        copy_rows(out.reshape([split[p] for p in perm]), x.reshape(split).transpose(perm))
        return out

    @staticmethod
    def backward(ctx, g):
        split, perm, xp = ctx.split, ctx.perm, xp_of(g)
        inverse = tuple(int(i) for i in np.argsort(perm))
        gp = xp.transpose(g.reshape([split[p] for p in perm]), inverse)
        if xp is not np:
            return gp.reshape(ctx.x_shape)
        dx = np.empty(ctx.x_shape, g.dtype)
        copy_rows(dx.reshape(split), gp)
        return dx


def channel_shuffle(input, groups):
    """(N, g·m, *) → (N, m·g, *): view the channels as (g, m), transpose to (m, g), flatten back
    (Zhang et al., "ShuffleNet", CVPR 2018, https://arxiv.org/abs/1707.01083)."""
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes {list(input.shape)}")
    g = int(groups)
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{g}")
    n, c, *rest = input.shape
    if c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {g} groups.")
    return input.reshape(n, g, c // g, *rest).transpose(1, 2).reshape(n, c, *rest)


native_channel_shuffle = channel_shuffle


_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                  "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                  "grid_sample for details.")


def _linspace_from_neg_one(n, align_corners, dtype):
    """The normalised coordinates of n pixels: linspace(−1, 1, n), scaled by (n − 1)/n unless align_corners."""
    if n <= 1:
        return np.zeros(max(n, 1), dtype)
    r = np.linspace(-1.0, 1.0, n)
    return (r if align_corners else r * (n - 1) / n).astype(dtype)


def affine_grid(theta, size, align_corners=None):
    """Sampling grid of an affine map: grid[n, …, :] = θₙ · (x, y[, z], 1) over the normalised output coordinates
    of ``size`` (N, C, H, W) or (N, C, D, H, W); θ is (N, 2, 3) or (N, 3, 4) (Jaderberg et al., "Spatial Transformer
    Networks", NeurIPS 2015, https://arxiv.org/abs/1506.02025).

    Torch parity: values, gradients, warnings and errors as torch.nn.functional.affine_grid."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if theta._data.dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = [int(v) for v in size]
    if len(size) == 4:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got "
                             f"torch.Size({list(theta.shape)}).")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got "
                             f"torch.Size({list(theta.shape)}).")
        spatial = size[-3:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    dt = theta._data.dtype
    axes = [_linspace_from_neg_one(n, align_corners, dt) for n in spatial]  # (D,) H, W
    mesh = np.meshgrid(*axes, indexing="ij")
    base = np.stack([*reversed(mesh), np.ones_like(mesh[0])], axis=-1)  # (…, x, y[, z], 1)
    n = size[0]
    flat = _wrap(np.ascontiguousarray(base.reshape(-1, base.shape[-1])))
    return (flat @ theta.transpose(1, 2)).reshape(n, *spatial, len(spatial))


def _unnormalize(c, n, align_corners):
    """Normalised coordinate in [−1, 1] → pixel coordinate: (c + 1)/2·(n − 1), or ((c + 1)·n − 1)/2."""
    return (c + 1) * ((n - 1) / 2) if align_corners else ((c + 1) * n - 1) / 2


def _reflect(c, twice_low, twice_high):
    """Reflect c into [low, high] (bounds given doubled): torch's reflect_coordinates, built from abs and a
    piecewise-constant number of flips."""
    if twice_low == twice_high:
        return c * 0
    lo, span = twice_low / 2, (twice_high - twice_low) / 2
    a = (c - lo).abs()
    flips = np.floor(a._data / span)
    extra = a - _wrap((flips * span).astype(a._data.dtype))
    even = _wrap(flips % 2 == 0)
    return where(even, extra + lo, (extra * -1) + (span + lo))


def _source_index(c, n, padding_mode, align_corners):
    c = _unnormalize(c, n, align_corners)
    if padding_mode == "border":
        c = c.clamp(0, n - 1)
    elif padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (n - 1)) if align_corners else _reflect(c, -1, 2 * n - 1)
        c = c.clamp(0, n - 1)
    return c


class PlaneGather(Op):
    """out[n, c, l] = x[n, c, idx[n, l]] (x of shape (N, C, P), one index set shared by the channels);
    backward: PlaneScatter of g (its adjoint)."""

    @staticmethod
    def forward(ctx, x, *, idx):
        ctx.idx, ctx.size = idx, x.shape[2]
        return np.take_along_axis(x, idx[:, None, :], axis=2)

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):
            return PlaneScatter.apply(g, idx=ctx.idx, size=ctx.size)
        return _scatter_planes(g, ctx.idx, ctx.size)


class PlaneScatter(Op):
    """out[n, c, p] = Σ_{l : idx[n, l] = p} x[n, c, l], the adjoint of PlaneGather; backward: PlaneGather of g."""

    @staticmethod
    def forward(ctx, x, *, idx, size):
        ctx.idx = idx
        return _scatter_planes(x, idx, size)

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):
            return PlaneGather.apply(g, idx=ctx.idx)
        return np.take_along_axis(g, ctx.idx[:, None, :], axis=2)


def _scatter_planes(g, idx, size):
    """Σ of g (N, C, L) into (N, C, size) at idx (N, L), one bincount (much faster than ufunc.add.at)."""
    n, c, length = g.shape
    base = (np.arange(n * c).reshape(n, c, 1) * size)
    flat = (base + idx[:, None, :]).ravel()
    return np.bincount(flat, weights=g.ravel().astype(np.float64, copy=False) if g.dtype != np.float64 else g.ravel(),
                       minlength=n * c * size).astype(g.dtype, copy=False).reshape(n, c, size)


def _gather(input, flat_idx, valid):
    """input (N, C, *sp) read at flat spatial indices (N, L), zero where not ``valid``: (N, C, L)."""
    n, c = input.shape[:2]
    idx = np.where(valid, flat_idx, 0)
    vals = PlaneGather.apply(input.reshape(n, c, -1), idx=np.ascontiguousarray(idx))
    return vals * _wrap(valid[:, None, :].astype(input._data.dtype))


def _cubic_weights(t):
    """Keys' cubic convolution weights (A = −0.75) of the four taps at offsets −1, 0, 1, 2 for fraction t."""
    a = -0.75

    def near(x):  # |x| ≤ 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` (N, C, H, W) or (N, C, D, H, W) at the normalised locations ``grid`` (N, H_out, W_out, 2)
    or (N, D_out, H_out, W_out, 3) (last dim (x, y[, z]), −1 and 1 the edge pixels' centres with align_corners,
    else their outer edges).

    mode 'bilinear' (trilinear on 5-D input) weighs the 2ᵈ neighbours by the products of (1 − |Δ|), 'nearest'
    takes the nearest pixel (ties to even), 'bicubic' (4-D only) Keys' cubic convolution over 4 × 4 (A = −0.75);
    padding_mode 'zeros' reads 0 outside, 'border' clamps the location, 'reflection' mirrors it at the border.

    Torch parity: values, gradients (input and grid), warnings and errors as torch.nn.functional.grid_sample.
    Reference: Jaderberg et al., "Spatial Transformer Networks", NeurIPS 2015. https://arxiv.org/abs/1506.02025
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    nd = input.dim() - 2
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if grid.shape[-1] != nd:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {nd} in last dimension, but got grid with "
                           f"sizes {list(grid.shape)}")
    if nd not in (2, 3) or grid.dim() != input.dim():
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but "
                           f"got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if mode == "bicubic" and nd != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input._data.dtype != grid._data.dtype:
        names = {"float32": "Float", "float64": "Double", "float16": "Half"}
        a, b = input._data.dtype.name, grid._data.dtype.name
        raise _errors.scalar_type_mismatch(names.get(a, a), names.get(b, b))
    if mode == "bilinear" and padding_mode == "zeros" and nd == 2:
        kernels = _vision_kernels.bilinear_kernels(input._data.dtype)
        if kernels is not None:
            return GridSampleBilinear.apply(input, grid, align_corners=align_corners, kernels=kernels)
    return _grid_sample(input, grid, mode, padding_mode, align_corners)


class GridSampleBilinear(Op):
    """grid_sample, bilinear, 4-D, zero padding, by the one-pass kernels of ``_vision_kernels.py`` (which state
    the sampling and its derivatives); create_graph differentiates ``composite``, the same sampling composed of
    differentiable ops."""

    @staticmethod
    def forward(ctx, x, grid, *, align_corners, kernels):
        n, c = x.shape[:2]
        x, g3 = np.ascontiguousarray(x), np.ascontiguousarray(grid.reshape(n, -1, 2))
        out = np.empty((n, c, g3.shape[1]), x.dtype)
        row_blocks(lambda rows: kernels[0](x[rows], g3[rows], align_corners, out[rows]), out)
        ctx.x, ctx.grid, ctx.options = x, g3, dict(align_corners=align_corners)
        ctx.kernels, ctx.grid_shape = kernels, grid.shape
        return out.reshape(n, c, *grid.shape[1:-1])

    @staticmethod
    def backward(ctx, g):
        """On arrays (first order)."""
        x, grid = ctx.x, ctx.grid
        want_x = ctx.inputs[0].requires_grad
        dx = np.empty_like(x) if want_x else np.empty((1, 1, 1, 1), x.dtype)
        dgrid = np.empty(grid.shape, grid.dtype)
        g3, align = np.ascontiguousarray(g.reshape(*x.shape[:2], -1)), ctx.options["align_corners"]
        row_blocks(lambda rows: ctx.kernels[1](x[rows], grid[rows], align, g3[rows], want_x,
                                               dx[rows] if want_x else dx, dgrid[rows]), g3)
        return (dx if want_x else None), dgrid.reshape(ctx.grid_shape)

    @staticmethod
    def composite(x, grid, *, align_corners):
        return _grid_sample(x, grid, "bilinear", "zeros", align_corners)


def _grid_sample(input, grid, mode, padding_mode, align_corners):
    """grid_sample as a composition of differentiable ops (arguments checked)."""
    nd = input.dim() - 2
    n = input.shape[0]
    sp = tuple(input.shape[2:])  # (D,) H, W
    out_sp = tuple(grid.shape[1:-1])
    g = grid.reshape(n, -1, nd)
    coords = [g[..., nd - 1 - k] for k in range(nd)]  # per spatial dim, outermost first (grid's last entry: D or H)
    strides = [int(math.prod(sp[k + 1:])) for k in range(nd)]
    if mode == "bicubic":
        ix = _unnormalize(coords[1], sp[1], align_corners)
        iy = _unnormalize(coords[0], sp[0], align_corners)
        x0, y0 = np.floor(ix._data), np.floor(iy._data)
        wx = _cubic_weights(ix - _wrap(x0))
        wy = _cubic_weights(iy - _wrap(y0))
        out = None
        for a in range(4):
            for b in range(4):
                yy, xx = y0 - 1 + a, x0 - 1 + b
                yy, xx = (_tap(yy, sp[0], padding_mode, align_corners), _tap(xx, sp[1], padding_mode, align_corners))
                valid = (yy >= 0) & (yy < sp[0]) & (xx >= 0) & (xx < sp[1])
                flat = (yy * strides[0] + xx * strides[1]).astype(np.int64)
                term = _gather(input, flat, valid) * (wy[a] * wx[b]).unsqueeze(1)
                out = term if out is None else out + term
        return out.reshape(n, input.shape[1], *out_sp)
    src = [_source_index(c, m, padding_mode, align_corners) for c, m in zip(coords, sp)]
    if mode == "nearest":
        idx = [np.round(s._data) for s in src]  # (NumPy rounds half to even, as nearbyint)
        valid = np.logical_and.reduce([(i >= 0) & (i < m) for i, m in zip(idx, sp)])
        flat = sum(i * st for i, st in zip(idx, strides)).astype(np.int64)
        return _gather(input, flat, valid).reshape(n, input.shape[1], *out_sp)
    lo = [np.floor(s._data) for s in src]
    frac = [s - _wrap(l.astype(s._data.dtype)) for s, l in zip(src, lo)]
    flats, valids, weights = [], [], []
    for corner in np.ndindex(*(2,) * nd):  # the 2ᵈ neighbours, read with one gather
        pos = [l + c for l, c in zip(lo, corner)]
        valids.append(np.logical_and.reduce([(p >= 0) & (p < m) for p, m in zip(pos, sp)]))
        flats.append(sum(p * st for p, st in zip(pos, strides)).astype(np.int64))
        w = None
        for f, c in zip(frac, corner):
            wk = f if c else 1 - f
            w = wk if w is None else w * wk
        weights.append(w)
    k, length = len(flats), flats[0].shape[1]
    vals = _gather(input, np.concatenate(flats, 1), np.concatenate(valids, 1))  # (N, C, k·L)
    w = stack(weights, 1)  # (N, k, L)
    out = (vals.reshape(n, input.shape[1], k, length) * w.unsqueeze(1)).sum(2)
    return out.reshape(n, input.shape[1], *out_sp)


def _tap(i, m, padding_mode, align_corners):
    """A bicubic tap's integer index after the padding mode (torch's get_value_bounded)."""
    if padding_mode == "border":
        return np.clip(i, 0, m - 1)
    if padding_mode == "reflection":
        t = _reflect(_wrap(i), 0, 2 * (m - 1)) if align_corners else _reflect(_wrap(i), -1, 2 * m - 1)
        return np.clip(t._data, 0, m - 1)
    return i
