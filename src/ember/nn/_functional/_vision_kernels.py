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
        scope = dict(_forward.__globals__, _coords=jit(_coords))  # (the kernels call compiled helpers)
        scope["_corners"] = jit(types.FunctionType(_corners.__code__, scope, "_corners"))
        _COMPILED.extend(jit(types.FunctionType(fn.__code__, scope, fn.__name__)) for fn in (_forward, _backward))
    return tuple(_COMPILED)


def _coords(gx, gy, h, w, align):
    """Pixel coordinates and the scales d ix/d x, d iy/d y."""
    if align:
        sx, sy = (w - 1) / 2.0, (h - 1) / 2.0
        return (gx + 1.0) * sx, (gy + 1.0) * sy, sx, sy
    return ((gx + 1.0) * w - 1.0) / 2.0, ((gy + 1.0) * h - 1.0) / 2.0, w / 2.0, h / 2.0


def _corners(grid, n, h, w, align, off, wt, frac):
    """For each point k of sample n: the flat offsets y·W + x of its 4 neighbours (−1 where outside), their
    weights (0 where outside; NaN for a NaN coordinate, as torch's), and (fx, fy, sx, sy) for the grid's gradient.
    Returns whether any coordinate was NaN."""
    nan = False
    for k in range(grid.shape[1]):
        ix, iy, sx, sy = _coords(np.float64(grid[n, k, 0]), np.float64(grid[n, k, 1]), h, w, align)
        frac[k, 2], frac[k, 3] = sx, sy
        if not (-2.0 < ix < w + 1.0 and -2.0 < iy < h + 1.0):  # far outside (or NaN): no neighbour inside
            bad = ix != ix or iy != iy
            nan |= bad
            for j in range(4):
                off[k, j] = -1
                wt[k, j] = np.nan if bad else 0.0
            frac[k, 0], frac[k, 1] = (np.nan, np.nan) if bad else (0.0, 0.0)
            continue
        fx0, fy0 = np.floor(ix), np.floor(iy)
        fx, fy = ix - fx0, iy - fy0
        x0, y0 = int(fx0), int(fy0)
        frac[k, 0], frac[k, 1] = fx, fy
        j = 0
        for a in range(2):
            for b in range(2):
                yy, xx = y0 + a, x0 + b
                inside = 0 <= yy < h and 0 <= xx < w
                off[k, j] = yy * w + xx if inside else -1
                wt[k, j] = ((fy if a else 1 - fy) * (fx if b else 1 - fx)) if inside else 0.0
                j += 1
    return nan


def _forward(x, grid, align, out):
    n_, c_, h, w = x.shape
    length = grid.shape[1]
    off = np.empty((length, 4), np.int64)
    wt = np.empty((length, 4))
    frac = np.empty((length, 4))
    for n in range(n_):
        _corners(grid, n, h, w, align, off, wt, frac)
        for c in range(c_):
            p = x[n, c].ravel()
            o = out[n, c]
            for k in range(length):
                s = 0.0
                for j in range(4):
                    s += wt[k, j] * p[max(off[k, j], 0)]  # (outside: weight 0)
                o[k] = s


def _backward(x, grid, align, g, want_x, dx, dgrid):
    n_, c_, h, w = x.shape
    length = grid.shape[1]
    off = np.empty((length, 4), np.int64)
    wt = np.empty((length, 4))
    frac = np.empty((length, 4))
    gix = np.empty(length)
    giy = np.empty(length)
    if want_x:
        dx[...] = 0
    for n in range(n_):
        _corners(grid, n, h, w, align, off, wt, frac)
        gix[:] = 0.0
        giy[:] = 0.0
        for c in range(c_):
            p = x[n, c].ravel()
            gc = g[n, c]
            d = dx[n, c].ravel() if want_x else dx[0, 0].ravel()
            for k in range(length):
                gv = np.float64(gc[k])
                v00 = p[off[k, 0]] if off[k, 0] >= 0 else 0.0  # (an outside neighbour reads 0)
                v01 = p[off[k, 1]] if off[k, 1] >= 0 else 0.0
                v10 = p[off[k, 2]] if off[k, 2] >= 0 else 0.0
                v11 = p[off[k, 3]] if off[k, 3] >= 0 else 0.0
                fx, fy = frac[k, 0], frac[k, 1]
                gix[k] += gv * ((1 - fy) * (v01 - v00) + fy * (v11 - v10))
                giy[k] += gv * ((1 - fx) * (v10 - v00) + fx * (v11 - v01))
                if want_x:
                    for j in range(4):
                        if off[k, j] >= 0:
                            d[off[k, j]] += wt[k, j] * gv
        for k in range(length):
            dgrid[n, k, 0] = gix[k] * frac[k, 2]
            dgrid[n, k, 1] = giy[k] * frac[k, 3]
