"""Optional numba kernels of ``grid_sample`` (the ``fast`` extra): bilinear sampling of 4-D input with zero
padding, the spatial transformer's usual case, forward and backward in one pass each. vision.py states the
same sampling as a composition of differentiable ops (the reference, and what create_graph and every other mode
use); the tests check that both agree.

With (ix, iy) = the pixel coordinates of grid[n, l] (``_unnormalize``: ix = (x + 1)/2·(W − 1) with align_corners,
else ((x + 1)·W − 1)/2), x₀ = ⌊ix⌋, y₀ = ⌊iy⌋, fx = ix − x₀, fy = iy − y₀ and v_ab = input[n, c, y₀ + a, x₀ + b]
(0 outside the image):

    out[n, c, l] = (1 − fy)·((1 − fx)·v₀₀ + fx·v₀₁) + fy·((1 − fx)·v₁₀ + fx·v₁₁)
    d input[n, c, y₀ + a, x₀ + b] += w_ab · g[n, c, l]    (w_ab the weight of v_ab above, inside the image only)
    d ix = Σ_c g · ((1 − fy)·(v₀₁ − v₀₀) + fy·(v₁₁ − v₁₀)),  d iy = Σ_c g · ((1 − fx)·(v₁₀ − v₀₀) + fx·(v₁₁ − v₀₁))
    d grid[n, l] = (d ix · sx, d iy · sy),  s = (W − 1)/2 or W/2 (H likewise)

Arrays: input (N, C, H, W) and grid (N, L, 2) C-contiguous; the coordinates are computed in float64. The kernels
run on the calling thread (see ``autograd/ops/_conv_kernels.py``); off with the rest of ember's kernels.
"""
from __future__ import annotations

import types

import numpy as np

from ..._numba import module as _numba_module

_COMPILED: list = []


def bilinear_kernels():
    """(forward, backward) compiled, or None (no numba, or the kernels are disabled)."""
    numba = _numba_module()
    if numba is None:
        return None
    if not _COMPILED:
        jit = numba.njit(nogil=True, cache=True)
        scope = dict(_forward.__globals__, _coords=jit(_coords))  # (the kernels call the compiled _coords)
        _COMPILED.extend(jit(types.FunctionType(fn.__code__, scope, fn.__name__)) for fn in (_forward, _backward))
    return tuple(_COMPILED)


def _coords(gx, gy, h, w, align):
    """Pixel coordinates and the scales d ix/d x, d iy/d y."""
    if align:
        sx, sy = (w - 1) / 2.0, (h - 1) / 2.0
        return (gx + 1.0) * sx, (gy + 1.0) * sy, sx, sy
    return ((gx + 1.0) * w - 1.0) / 2.0, ((gy + 1.0) * h - 1.0) / 2.0, w / 2.0, h / 2.0


def _forward(x, grid, align, out):
    n_, c_, h, w = x.shape
    length = grid.shape[1]
    for n in range(n_):
        for k in range(length):
            ix, iy, _, _ = _coords(np.float64(grid[n, k, 0]), np.float64(grid[n, k, 1]), h, w, align)
            if not (-2.0 < ix < w + 1.0 and -2.0 < iy < h + 1.0):  # outside: zeros; a NaN coordinate: NaN (as torch)
                for c in range(c_):
                    out[n, c, k] = ix + iy if ix != ix or iy != iy else 0.0
                continue
            fx0, fy0 = np.floor(ix), np.floor(iy)
            fx, fy = ix - fx0, iy - fy0
            x0, y0 = int(fx0), int(fy0)
            in_x0, in_x1 = 0 <= x0 < w, 0 <= x0 + 1 < w
            in_y0, in_y1 = 0 <= y0 < h, 0 <= y0 + 1 < h
            w00, w01 = (1 - fx) * (1 - fy), fx * (1 - fy)
            w10, w11 = (1 - fx) * fy, fx * fy
            for c in range(c_):
                p = x[n, c]
                s = 0.0
                if in_y0:
                    if in_x0:
                        s += w00 * p[y0, x0]
                    if in_x1:
                        s += w01 * p[y0, x0 + 1]
                if in_y1:
                    if in_x0:
                        s += w10 * p[y0 + 1, x0]
                    if in_x1:
                        s += w11 * p[y0 + 1, x0 + 1]
                out[n, c, k] = s


def _backward(x, grid, align, g, want_x, dx, dgrid):
    n_, c_, h, w = x.shape
    length = grid.shape[1]
    if want_x:
        dx[...] = 0
    for n in range(n_):
        for k in range(length):
            ix, iy, sx, sy = _coords(np.float64(grid[n, k, 0]), np.float64(grid[n, k, 1]), h, w, align)
            if not (-2.0 < ix < w + 1.0 and -2.0 < iy < h + 1.0):  # (NaN: NaN, no gradient into the input)
                dgrid[n, k, 0] = 0.0 if ix == ix and iy == iy else np.nan
                dgrid[n, k, 1] = dgrid[n, k, 0]
                continue
            fx0, fy0 = np.floor(ix), np.floor(iy)
            fx, fy = ix - fx0, iy - fy0
            x0, y0 = int(fx0), int(fy0)
            in_x0, in_x1 = 0 <= x0 < w, 0 <= x0 + 1 < w
            in_y0, in_y1 = 0 <= y0 < h, 0 <= y0 + 1 < h
            w00, w01 = (1 - fx) * (1 - fy), fx * (1 - fy)
            w10, w11 = (1 - fx) * fy, fx * fy
            gix = 0.0
            giy = 0.0
            for c in range(c_):
                p = x[n, c]
                gv = np.float64(g[n, c, k])
                v00 = p[y0, x0] if in_y0 and in_x0 else 0.0
                v01 = p[y0, x0 + 1] if in_y0 and in_x1 else 0.0
                v10 = p[y0 + 1, x0] if in_y1 and in_x0 else 0.0
                v11 = p[y0 + 1, x0 + 1] if in_y1 and in_x1 else 0.0
                gix += gv * ((1 - fy) * (v01 - v00) + fy * (v11 - v10))
                giy += gv * ((1 - fx) * (v10 - v00) + fx * (v11 - v01))
                if want_x:
                    d = dx[n, c]
                    if in_y0:
                        if in_x0:
                            d[y0, x0] += w00 * gv
                        if in_x1:
                            d[y0, x0 + 1] += w01 * gv
                    if in_y1:
                        if in_x0:
                            d[y0 + 1, x0] += w10 * gv
                        if in_x1:
                            d[y0 + 1, x0 + 1] += w11 * gv
            dgrid[n, k, 0] = gix * sx
            dgrid[n, k, 1] = giy * sy
