"""``interpolate`` / ``upsample``: resizing (N, C, L) and (N, C, H, W) inputs.

Every supported mode is separable, out = A_h · x · A_wᵀ per plane, with a fixed matrix per
axis: 'nearest'/'nearest-exact' pick one source per output (a gather), 'linear'/'bilinear'
mix two neighbours, 'area' is adaptive average pooling.
"""
from __future__ import annotations

import math

import numpy as np

from ...autograd.ops import conv as C
from .pooling import adaptive_bins

__all__ = ["interpolate", "upsample", "upsample_bilinear", "upsample_nearest"]

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"


def _nearest_src(n_in, n_out, scale, exact):
    """torch's nearest source index: ⌊dst·s⌋ ('nearest') or ⌊(dst + ½)·s⌋ ('nearest-exact'), clipped."""
    dst, s = np.arange(n_out, dtype=np.float32), np.float32(scale)  # float32 arithmetic, as torch's kernel
    src = np.floor((dst + np.float32(0.5)) * s if exact else dst * s)
    return np.minimum(src.astype(np.int64), n_in - 1)


def _linear_matrix(n_in, n_out, scale, align_corners, dtype):
    """(n_out, n_in) linear-interpolation weights (torch's source-index rule, align_corners or half-pixel)."""
    dst = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = dst * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
    else:
        src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = src - i0
    a = np.zeros((n_out, n_in))
    np.add.at(a, (np.arange(n_out), i0), 1 - lam)
    np.add.at(a, (np.arange(n_out), i1), lam)
    return a.astype(dtype)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of (N, C, L) or (N, C, H, W).

    Output size: ``size``, or ⌊n·scale_factor⌋. Source position of output index d along an axis with
    scale s = n_in/n_out (or 1/scale_factor when given and not recomputed):
        nearest: ⌊d·s⌋;  nearest-exact: ⌊(d + ½)·s⌋;
        linear/bilinear: (d + ½)·s − ½ (clamped at 0), or d·(n_in − 1)/(n_out − 1) with align_corners,
        mixing the two neighbours linearly;  area: adaptive average pooling.

    Torch parity: values, gradients, sizes and argument errors as torch.nn.functional.interpolate for
    these modes on 3-D/4-D inputs; 'bicubic', 'trilinear', 5-D inputs and antialias are not implemented
    (NotImplementedError).
    """
    nd = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | "
                "trilinear"
            )
    elif align_corners is None:
        align_corners = False
    if nd not in (1, 2) or mode not in ("nearest", "nearest-exact", "linear", "bilinear", "area"):
        if mode in ("bicubic", "trilinear", "lanczos") or (nd == 3 and mode in ("nearest", "nearest-exact", "area")):
            raise NotImplementedError(f"ember's interpolate does not implement mode={mode!r} for {nd + 2}D input")
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the modes: {_MODES} "
            f"(got {mode})"
        )
    if mode == "linear" and nd != 1:
        raise NotImplementedError(f"Got {input.dim()}D input, but linear mode needs 3D input")
    if mode == "bilinear" and nd != 2:
        raise NotImplementedError(f"Got {input.dim()}D input, but bilinear mode needs 4D input")
    if antialias:
        raise NotImplementedError("ember's interpolate does not implement antialias=True")
    in_sp = tuple(input.shape[2:])
    if size is not None:
        sizes = list(size) if isinstance(size, (tuple, list)) else [size] * nd
        if len(sizes) != nd:
            raise ValueError(
                f"Input and output must have the same number of spatial dimensions, but got input with spatial "
                f"dimensions of {list(in_sp)} and output size of {size}. Please provide input tensor in "
                "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format."
            )
        sizes = [int(s) for s in sizes]
        scales = [n / o for n, o in zip(in_sp, sizes)]
    else:
        factors = list(scale_factor) if isinstance(scale_factor, (tuple, list)) else [scale_factor] * nd
        if len(factors) != nd:
            raise ValueError(
                f"Input and scale_factor must have the same number of spatial dimensions, but got input with spatial "
                f"dimensions of {list(in_sp)} and scale_factor of shape {scale_factor}. Please provide input tensor "
                "in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format."
            )
        sizes = [math.floor(n * float(f)) for n, f in zip(in_sp, factors)]
        if recompute_scale_factor:
            scales = [n / o for n, o in zip(in_sp, sizes)]
        else:
            scales = [1.0 / float(f) for f in factors]
    if any(s <= 0 for s in sizes):
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input size {list(in_sp)} and "
                           f"output size {sizes}")
    dt = input._data.dtype
    x = input.unsqueeze(-2) if nd == 1 else input
    sp = (1, *in_sp) if nd == 1 else in_sp
    out_sp = (1, *sizes) if nd == 1 else tuple(sizes)
    sc = (1.0, *scales) if nd == 1 else tuple(scales)
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        rows, cols = (_nearest_src(n, o, s, exact) for n, o, s in zip(sp, out_sp, sc))
        out = C.NearestGather.apply(x, rows=rows, cols=cols)
    else:
        if mode == "area":
            a_h, a_w = (adaptive_bins(n, o, dt) for n, o in zip(sp, out_sp))
        else:
            a_h, a_w = (_linear_matrix(n, o, s, align_corners, dt) for n, o, s in zip(sp, out_sp, sc))
        out = C.SpatialLinear.apply(x, a_h=a_h, a_w=a_w)
    return out.squeeze(-2) if nd == 1 else out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate`` (as torch.nn.functional.upsample)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """``interpolate(..., mode='nearest')`` (torch's deprecated alias)."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """``interpolate(..., mode='bilinear', align_corners=True)`` (torch's deprecated alias)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
