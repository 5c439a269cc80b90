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
are serial (nogil): vision.py runs them on blocks of samples over ember's threads (``row_blocks``); off with the
rest of ember's kernels.
"""
from __future__ import annotations

import numpy as np

from ... import _numba
from ..._numba import fast_variant_of


def bilinear_kernels(dtype):
    """(forward, backward) compiled, or None (no numba, the kernels are disabled, or ``dtype`` is not theirs)."""
    if not _numba.takes(dtype) or not _numba.available():
        return None
    if not _COMPILED:  # (compiled once: grid_sample looks them up on every call)
        _COMPILED.extend((_numba.compiled(_forward), _numba.compiled(_backward)))
    return tuple(_COMPILED)


_COMPILED: list = []


def sample_reference(x, grid, align, out):
    """out[n, c, l] = the bilinear sample of x[n, c] at grid[n, l] (formula above), by vision.py's composite of
    differentiable ops (imported here, vision.py imports this module)."""
    import ember
    from .vision import _grid_sample
    out[...] = _grid_sample(ember.tensor(x), ember.tensor(grid[:, :, None]), "bilinear", "zeros", align)._data[..., 0]


def sample_grad_reference(x, grid, align, g, want_x, dx, dgrid):
    """d input (when want_x) and d grid of ``sample_reference`` for the output gradient g, by ember's autograd."""
    import ember
    from .vision import _grid_sample
    xt, gt = ember.tensor(x, requires_grad=bool(want_x)), ember.tensor(grid[:, :, None], requires_grad=True)
    _grid_sample(xt, gt, "bilinear", "zeros", align).backward(ember.tensor(g[..., None]))
    if want_x:
        dx[...] = xt.grad._data
    dgrid[...] = gt.grad._data[:, :, 0]


def _example(rng, dtype, backward=False):
    for align in (False, True):
        x = rng.standard_normal((2, 3, 5, 6)).astype(dtype)
        grid = rng.uniform(-1.2, 1.2, (2, 17, 2)).astype(dtype)
        if not backward:
            yield (x, grid, align, np.empty((2, 3, 17), dtype)), {}
            continue
        for want_x in (False, True):
            g = rng.standard_normal((2, 3, 17)).astype(dtype)
            dx = np.zeros_like(x) if want_x else np.zeros((1, 1, 1, 1), dtype)
            yield (x, grid, align, g, want_x, dx, np.empty_like(grid)), {}


_WHY = "the kernel computes coordinates and sums in float64, the composite in the input's dtype"


def _corners(grid, n, h, w, align, off, wt, frac):
    """For each point k of sample n: the flat offsets y·W + x of its 4 neighbours (−1 where outside), their
    weights (0 where outside; NaN for a NaN coordinate, as torch's), and (fx, fy, sx, sy) for the grid's gradient.
    Returns whether any coordinate was NaN."""
    nan = False
    for k in range(grid.shape[1]):
        gx, gy = np.float64(grid[n, k, 0]), np.float64(grid[n, k, 1])
        if align:  # (ember._numba inlines one helper level: the pixel coordinates and d ix/d x, d iy/d y here)
            sx, sy = (w - 1) / 2.0, (h - 1) / 2.0
            ix, iy = (gx + 1.0) * sx, (gy + 1.0) * sy
        else:
            sx, sy = w / 2.0, h / 2.0
            ix, iy = ((gx + 1.0) * w - 1.0) / 2.0, ((gy + 1.0) * h - 1.0) / 2.0
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


@fast_variant_of(sample_reference, example=_example, nogil=True, helpers=(_corners,),
                 rtol={"float32": 1e-2, "float64": 1e-9}, why=_WHY)
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


@fast_variant_of(sample_grad_reference, example=lambda rng, dtype: _example(rng, dtype, True), nogil=True,
                 helpers=(_corners,), rtol={"float32": 1e-2, "float64": 1e-9}, why=_WHY)
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
