"""Optional numba kernels of the convolution and pooling primitives (the ``fast`` extra).

conv.py states each primitive in NumPy (the reference path); these kernels do the same work in one pass where
NumPy needs several or pays its iterator per short row:

    im2col      cols[c, i, j, n, y, x] = xpad[n, c, y·sh + i·dh, x·sw + j·dw]
    col2im      dxpad[n, c, y·sh + i·dh, x·sw + j·dw] += dcols[c, i, j, n, y, x]      (the adjoint of im2col)
    pool_max    out[n, c, y, x] = the winner of the window at (y·sh, x·sw) by torch's rule: starting from the
                window's first element, a later one wins when it is greater or NaN (the first maximum wins, the
                last NaN wins over everything); arg[n, c, y, x] = the winner's offset i·kw + j
    pool_max_backward   dxpad[n, c, y·sh + i·dh, x·sw + j·dw] += g[n, c, y, x] for the saved offset (i, j)

Arrays are passed as C-contiguous memory: a padded input or its gradient as ``base``, (C, N, Hp, Wp) when
``cm`` (channel-major, as conv outputs are stored) else (N, C, Hp, Wp); pooling takes its planes in memory
order, (P, Q, H, W) = (C, N, ·, ·) or (N, C, ·, ·).

The geometry (kh, kw, sh, sw, dh, dw) is a compile-time constant of each kernel (ember._numba's ``consts``), so
that the loops over a window unroll and the rows vectorize, which run-time sizes do not allow
(benchmarks/bench_cnn.py times the result). Each geometry compiles on first use and is cached on disk;
``supported`` bounds the geometries compiled, others take the NumPy path.

Each kernel is registered in ember._numba against a NumPy reference of the same arguments (``*_reference``
below, bit-identical: the same operations, and sums in the same order); tests/test_kernel_registry.py checks them.
The kernels run on the calling thread (nogil): numba's parallel (OpenMP) version of the pooling kernels stalls
right after a matrix product, while OpenBLAS's worker threads still spin (README, "Threads").
Off with the rest of ember's kernels (EMBER_DISABLE_NUMBA=1, ``ember._numba.set_enabled(False)``).
"""
from __future__ import annotations

import numpy as np

from ... import _numba
from ..._numba import fast_variant_of

KH = KW = SH = SW = DH = DW = 1  # bound per compiled geometry
_GEOMETRY = ("KH", "KW", "SH", "SW", "DH", "DW")


def supported(geometry) -> bool:
    """Windows up to 7×7, strides up to 4, dilations up to 3: the geometries kernels are compiled for."""
    kh, kw, sh, sw, dh, dw = geometry
    return max(kh, kw) <= 7 and max(sh, sw) <= 4 and max(dh, dw) <= 3


def pool_kernels(kernel, stride, dilation, dtype):
    """(pool_max, pool_max_backward) for one geometry, or None (no numba, an unsupported geometry or dtype)."""
    return _kernels((_pool_max, _pool_max_backward), (*kernel, *stride, *dilation), dtype)


def patch_kernels(kernel, stride, dilation, dtype):
    """(im2col, col2im) for one geometry, or None (no numba, an unsupported geometry or dtype)."""
    return _kernels((_im2col, _col2im), (*kernel, *stride, *dilation), dtype)


_BY_GEOMETRY: dict = {}  # (fns, geometry) -> compiled kernels: one lookup per call (convolutions call per layer)


def _kernels(fns, geometry, dtype):
    if not _numba.takes(dtype) or not _numba.available() or not supported(geometry):
        return None
    found = _BY_GEOMETRY.get((fns, geometry))
    if found is None:
        consts = dict(zip(_GEOMETRY, geometry))
        found = _BY_GEOMETRY[(fns, geometry)] = tuple(_numba.compiled(fn, **consts) for fn in fns)
    return found


# ---- references (NumPy, the kernels' arguments, geometry as keywords) and their test inputs -------------------------

def _planes(base, cm):
    """(C, N, H, W) view of a (C, N, ·, ·) base when cm, else of an (N, C, ·, ·) one."""
    return base if cm else base.swapaxes(0, 1)


def _offsets(i, j, ho, wo, KH, KW, SH, SW, DH, DW):
    """The (…, ho, wo) strided slice of a plane that window offset (i, j) reads."""
    return (Ellipsis, slice(i * DH, i * DH + (ho - 1) * SH + 1, SH), slice(j * DW, j * DW + (wo - 1) * SW + 1, SW))


def im2col_reference(base, cm, cols, **geometry):
    """cols[c, i, j, n, y, x] = plane(c, n)[y·sh + i·dh, x·sw + j·dw]."""
    ho, wo = cols.shape[-2:]
    for i in range(geometry["KH"]):
        for j in range(geometry["KW"]):
            cols[:, i, j] = _planes(base, cm)[_offsets(i, j, ho, wo, **geometry)]


def col2im_reference(dcols, cm, base, **geometry):
    """base = 0, then plane(c, n)[y·sh + i·dh, x·sw + j·dw] += dcols[c, i, j, n, y, x], offsets (i, j) in order."""
    ho, wo = dcols.shape[-2:]
    base[...] = 0
    for i in range(geometry["KH"]):
        for j in range(geometry["KW"]):
            _planes(base, cm)[_offsets(i, j, ho, wo, **geometry)] += dcols[:, i, j]


def pool_max_reference(xp, out, arg, **geometry):
    """out = each window's winner, arg = its offset i·kw + j: from the first element, a later one wins when it is
    greater or NaN (torch's rule)."""
    ho, wo = out.shape[-2:]
    kw = geometry["KW"]
    out[...] = xp[_offsets(0, 0, ho, wo, **geometry)]
    arg[...] = 0
    for k in range(geometry["KH"] * kw):
        v = xp[_offsets(k // kw, k % kw, ho, wo, **geometry)]
        win = (v > out) | np.isnan(v)
        out[win], arg[win] = v[win], k


def pool_max_backward_reference(g, arg, dxp, KH, KW, SH, SW, DH, DW):
    """dxp = 0, then dxp[p, q, y·sh + (k // kw)·dh, x·sw + (k % kw)·dw] += g[p, q, y, x] (k = arg[p, q, y, x]), in
    the order of (p, q, y, x)."""
    p, q, y, x = np.indices(g.shape, sparse=True)
    dxp[...] = 0
    np.add.at(dxp, (p, q, y * SH + (arg // KW) * DH, x * SW + (arg % KW) * DW), g)


_EXAMPLE_GEOMETRIES = ((3, 3, 1, 1, 1, 1), (2, 2, 2, 2, 1, 1), (3, 2, 2, 1, 2, 3), (5, 3, 4, 3, 1, 2))


def _patch_example(rng, dtype, adjoint):
    for cm in (True, False):
        for geometry in _EXAMPLE_GEOMETRIES:
            kh, kw, sh, sw, dh, dw = geometry
            (n, c), (ho, wo) = (2, 3), (4, 5)
            hp, wp = (ho - 1) * sh + dh * (kh - 1) + 1 + (1 - cm), (wo - 1) * sw + dw * (kw - 1) + 1
            base = rng.standard_normal((c, n, hp, wp) if cm else (n, c, hp, wp)).astype(dtype)
            cols = rng.standard_normal((c, kh, kw, n, ho, wo)).astype(dtype)
            (base if adjoint else cols)[...] = np.nan  # the output: every element must be written
            args = (cols, cm, base) if adjoint else (base, cm, cols)
            yield args, dict(zip(_GEOMETRY, geometry))


def _pool_example(rng, dtype, backward):
    for geometry in _EXAMPLE_GEOMETRIES:
        kh, kw, sh, sw, dh, dw = geometry
        ho, wo = 4, 5
        xp = np.round(rng.standard_normal((2, 3, (ho - 1) * sh + dh * (kh - 1) + 1, (wo - 1) * sw + dw * (kw - 1) + 1)))
        xp = xp.astype(dtype)  # rounded: ties between window elements
        xp[0, 1, 1, ::3] = np.nan
        consts = dict(zip(_GEOMETRY, geometry))
        if backward:
            g = rng.standard_normal((2, 3, ho, wo)).astype(dtype)
            arg = rng.integers(0, kh * kw, g.shape).astype(np.uint8)
            yield (g, arg, np.full(xp.shape, np.nan, dtype)), consts
        else:
            yield (xp, np.empty((2, 3, ho, wo), dtype), np.empty((2, 3, ho, wo), np.uint8)), consts


@fast_variant_of(im2col_reference, nogil=True, example=lambda rng, dtype: _patch_example(rng, dtype, False))
def _im2col(base, cm, cols):
    c_, _, _, n_, ho, wo = cols.shape
    for c in range(c_):
        for n in range(n_):
            plane = base[c, n] if cm else base[n, c]
            for i in range(KH):
                for j in range(KW):
                    dst = cols[c, i, j, n]
                    for y in range(ho):
                        r = y * SH + i * DH
                        for x in range(wo):
                            dst[y, x] = plane[r, x * SW + j * DW]


@fast_variant_of(col2im_reference, nogil=True, example=lambda rng, dtype: _patch_example(rng, dtype, True))
def _col2im(dcols, cm, base):
    c_, _, _, n_, ho, wo = dcols.shape
    base[...] = 0
    for c in range(c_):
        for n in range(n_):
            plane = base[c, n] if cm else base[n, c]
            for i in range(KH):
                for j in range(KW):
                    src = dcols[c, i, j, n]
                    for y in range(ho):
                        r = y * SH + i * DH
                        for x in range(wo):
                            plane[r, x * SW + j * DW] += src[y, x]


@fast_variant_of(pool_max_reference, nogil=True, example=lambda rng, dtype: _pool_example(rng, dtype, False))
def _pool_max(xp, out, arg):
    p_, q_, ho, wo = out.shape
    for pq in range(p_ * q_):
        plane, o, a = xp[pq // q_, pq % q_], out[pq // q_, pq % q_], arg[pq // q_, pq % q_]
        for y in range(ho):
            for x in range(wo):
                r, c = y * SH, x * SW
                best = plane[r, c]
                k_best = 0
                for i in range(KH):
                    for j in range(KW):
                        v = plane[r + i * DH, c + j * DW]
                        win = (v > best) | (v != v)  # selects, not branches: random data mispredicts
                        best = v if win else best
                        k_best = i * KW + j if win else k_best
                o[y, x] = best
                a[y, x] = k_best


@fast_variant_of(pool_max_backward_reference, nogil=True,
                 example=lambda rng, dtype: _pool_example(rng, dtype, True))
def _pool_max_backward(g, arg, dxp):
    p_, q_, ho, wo = g.shape
    dxp[...] = 0
    for pq in range(p_ * q_):
        gp, a, d = g[pq // q_, pq % q_], arg[pq // q_, pq % q_], dxp[pq // q_, pq % q_]
        for y in range(ho):
            for x in range(wo):
                k = a[y, x]
                d[y * SH + (k // KW) * DH, x * SW + (k % KW) * DW] += gp[y, x]


# ---- Winograd F(2×2, 3×3) transforms (conv.py's Winograd path) -------------------------------------------------------
# With Bᵀ = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]], Aᵀ = [[1,1,1,0],[0,1,-1,-1]] and d the 4×4 input tile at
# (2·ty, 2·tx) of the padded input, each 2×2 output tile is Aᵀ[(G·W·Gᵀ) ⊙ (Bᵀ·d·B)]A (Lavin & Gray, "Fast
# Algorithms for Convolutional Neural Networks", CVPR 2016, https://arxiv.org/abs/1509.09308). Tiles are numbered
# t = (n·th + ty)·tw + tx; the transformed arrays are (16, channels, tiles), position a·4 + b first.

def winograd_kernels():
    """(input, output, grad, input_adjoint) transforms compiled by numba, or None without numba."""
    if not _numba.available():
        return None
    return tuple(_numba.compiled(f) for f in (_wino_input, _wino_output, _wino_grad, _wino_input_adjoint))


def _tiles(planes, th, tw, size):
    """(…, th, tw, size, size) view: tile (ty, tx) of each plane starts at (2·ty, 2·tx)."""
    *lead, _, _ = planes.shape
    st = planes.strides
    return np.lib.stride_tricks.as_strided(planes, (*lead, th, tw, size, size), (*st[:-2], 2 * st[-2], 2 * st[-1],
                                                                               st[-2], st[-1]))


def _bt_rows(d):
    """Bᵀ·d over the second-last axis (rows 0..3 of d)."""
    d0, d1, d2, d3 = (d[..., r, :] for r in range(4))
    return np.stack([d0 - d2, d1 + d2, d2 - d1, d1 - d3], axis=-2)


def wino_input_reference(base, cm, th, tw, v):
    """v[a·4+b, c, t] = (Bᵀ·d·B)[a, b], d the 4×4 tile of plane (c, n) at (2ty, 2tx), t = (n·th + ty)·tw + tx."""
    a = _bt_rows(_tiles(_planes(base, cm), th, tw, 4))  # Bᵀ·d
    vt = _bt_rows(a.swapaxes(-1, -2)).swapaxes(-1, -2)  # (Bᵀ·d)·B
    c = vt.shape[0]
    v[...] = vt.transpose(4, 5, 0, 1, 2, 3).reshape(16, c, -1)


def wino_output_reference(m, th, tw, bias, out):
    """out[o, n, 2ty + i, 2tx + j] = (Aᵀ·M·A)[i, j] + bias[o], M[a, b] = m[a·4+b, o, t], cropped to out's size."""
    o, n, ho, wo = out.shape
    mm = m.reshape(4, 4, o, n, th, tw)
    s, u = mm[0] + mm[1] + mm[2], mm[1] - mm[2] - mm[3]  # rows of Aᵀ·M, by column b
    b = bias[:, None, None, None]
    y = np.empty((2, 2, o, n, th, tw), out.dtype)
    y[0, 0], y[0, 1] = s[0] + s[1] + s[2] + b, s[1] - s[2] - s[3] + b
    y[1, 0], y[1, 1] = u[0] + u[1] + u[2] + b, u[1] - u[2] - u[3] + b
    out[...] = y.transpose(2, 3, 4, 0, 5, 1).reshape(o, n, 2 * th, 2 * tw)[:, :, :ho, :wo]


def wino_grad_reference(gbase, cm, th, tw, dm):
    """dm[a·4+b, o, t] = (A·g·Aᵀ)[a, b] for the 2×2 tile g of the output gradient (zero past its edge)."""
    planes = _planes(gbase, cm)
    padded = np.zeros((*planes.shape[:2], 2 * th, 2 * tw), gbase.dtype)
    padded[:, :, :planes.shape[2], :planes.shape[3]] = planes
    g = padded.reshape(*planes.shape[:2], th, 2, tw, 2).transpose(0, 1, 2, 4, 3, 5)  # (O, N, th, tw, 2, 2)

    def a_rows(x):  # A·x over the second-last axis, A = [[1,0],[1,1],[1,-1],[0,-1]]
        x0, x1 = x[..., 0, :], x[..., 1, :]
        return np.stack([x0, x0 + x1, x0 - x1, -x1], axis=-2)

    h = a_rows(g)
    dmt = a_rows(h.swapaxes(-1, -2)).swapaxes(-1, -2)
    dm[...] = dmt.transpose(4, 5, 0, 1, 2, 3).reshape(16, planes.shape[0], -1)


def wino_input_adjoint_reference(dv, th, tw, cm, base):
    """The adjoint of the input transform: base = 0, then B·dV·Bᵀ added at each tile's 4×4 window, tiles in order."""
    planes = _planes(base, cm)
    c, n = planes.shape[:2]
    d = dv.reshape(4, 4, c, n, th, tw).transpose(2, 3, 4, 5, 0, 1)  # (C, N, th, tw, 4, 4) = dV per tile

    def b_rows(x):  # B·x over the second-last axis, B = (Bᵀ)ᵀ
        x0, x1, x2, x3 = (x[..., r, :] for r in range(4))
        return np.stack([x0, x1 - x2 + x3, -x0 + x1 + x2, -x3], axis=-2)

    e = b_rows(d)  # e[i] = Σ_a B[i, a] dV[a, ·]
    w = b_rows(e.swapaxes(-1, -2)).swapaxes(-1, -2)
    ci, ni, ty, tx, i, k = np.indices(w.shape, sparse=True)
    base[...] = 0
    np.add.at(planes, (ci, ni, 2 * ty + i, 2 * tx + k), w)


def _wino_example(rng, dtype, which):
    for cm in (True, False):
        for ho, wo in ((4, 6), (5, 3)):
            th, tw, c, n = (ho + 1) // 2, (wo + 1) // 2, 3, 2
            plane_shape = lambda h, w: (c, n, h, w) if cm else (n, c, h, w)  # noqa: E731
            tiles = rng.standard_normal((16, c, n * th * tw)).astype(dtype)
            if which == "input":
                yield (rng.standard_normal(plane_shape(2 * th + 2, 2 * tw + 2)).astype(dtype), cm, th, tw,
                       np.full(tiles.shape, np.nan, dtype)), {}
            elif which == "adjoint":
                yield (tiles, th, tw, cm, np.full(plane_shape(2 * th + 2, 2 * tw + 2), np.nan, dtype)), {}
            elif which == "grad":
                yield (rng.standard_normal(plane_shape(ho, wo)).astype(dtype), cm, th, tw,
                       np.full(tiles.shape, np.nan, dtype)), {}
            elif cm:  # output: (O, N, Ho, Wo)
                yield (tiles, th, tw, rng.standard_normal(c).astype(dtype), np.full((c, n, ho, wo), np.nan, dtype)), {}


@fast_variant_of(wino_input_reference, nogil=True, example=lambda rng, dtype: _wino_example(rng, dtype, "input"))
def _wino_input(base, cm, th, tw, v):
    """v[a·4+b, c, t] = (Bᵀ·d·B)[a, b], d = plane[2ty : 2ty+4, 2tx : 2tx+4] (plane = base[c, n] or base[n, c])."""
    p_, q_ = base.shape[0], base.shape[1]
    c_, n_ = (p_, q_) if cm else (q_, p_)
    for c in range(c_):
        for n in range(n_):
            plane = base[c, n] if cm else base[n, c]
            for ty in range(th):
                r = 2 * ty
                t0 = (n * th + ty) * tw
                for tx in range(tw):
                    s = 2 * tx
                    for j in range(4):  # rows: Bᵀ·d, column j
                        d0, d1, d2, d3 = plane[r, s + j], plane[r + 1, s + j], plane[r + 2, s + j], plane[r + 3, s + j]
                        if j == 0:
                            a00, a10, a20, a30 = d0 - d2, d1 + d2, d2 - d1, d1 - d3
                        elif j == 1:
                            a01, a11, a21, a31 = d0 - d2, d1 + d2, d2 - d1, d1 - d3
                        elif j == 2:
                            a02, a12, a22, a32 = d0 - d2, d1 + d2, d2 - d1, d1 - d3
                        else:
                            a03, a13, a23, a33 = d0 - d2, d1 + d2, d2 - d1, d1 - d3
                    t = t0 + tx
                    v[0, c, t], v[1, c, t], v[2, c, t], v[3, c, t] = a00 - a02, a01 + a02, a02 - a01, a01 - a03
                    v[4, c, t], v[5, c, t], v[6, c, t], v[7, c, t] = a10 - a12, a11 + a12, a12 - a11, a11 - a13
                    v[8, c, t], v[9, c, t], v[10, c, t], v[11, c, t] = a20 - a22, a21 + a22, a22 - a21, a21 - a23
                    v[12, c, t], v[13, c, t], v[14, c, t], v[15, c, t] = a30 - a32, a31 + a32, a32 - a31, a31 - a33


@fast_variant_of(wino_output_reference, nogil=True, example=lambda rng, dtype: _wino_example(rng, dtype, "output"))
def _wino_output(m, th, tw, bias, out):
    """out[o, n, 2ty + i, 2tx + j] = (Aᵀ·M·A)[i, j] + bias[o], M[a, b] = m[a·4+b, o, t]; out is (O, N, Ho, Wo)."""
    o_, n_, ho, wo = out.shape
    for o in range(o_):
        b = bias[o]
        for n in range(n_):
            plane = out[o, n]
            for ty in range(th):
                r = 2 * ty
                t0 = (n * th + ty) * tw
                for tx in range(tw):
                    t = t0 + tx
                    s0, s1, s2, s3 = (m[0, o, t] + m[4, o, t] + m[8, o, t], m[1, o, t] + m[5, o, t] + m[9, o, t],
                                      m[2, o, t] + m[6, o, t] + m[10, o, t], m[3, o, t] + m[7, o, t] + m[11, o, t])
                    u0, u1, u2, u3 = (m[4, o, t] - m[8, o, t] - m[12, o, t], m[5, o, t] - m[9, o, t] - m[13, o, t],
                                      m[6, o, t] - m[10, o, t] - m[14, o, t], m[7, o, t] - m[11, o, t] - m[15, o, t])
                    s = 2 * tx
                    plane[r, s] = s0 + s1 + s2 + b
                    if s + 1 < wo:
                        plane[r, s + 1] = s1 - s2 - s3 + b
                    if r + 1 < ho:
                        plane[r + 1, s] = u0 + u1 + u2 + b
                        if s + 1 < wo:
                            plane[r + 1, s + 1] = u1 - u2 - u3 + b


@fast_variant_of(wino_grad_reference, nogil=True, example=lambda rng, dtype: _wino_example(rng, dtype, "grad"))
def _wino_grad(gbase, cm, th, tw, dm):
    """dm[a·4+b, o, t] = (A·g·Aᵀ)[a, b] for the 2×2 tile g of the output gradient (zero past its edge);
    gbase holds the (Ho, Wo) planes as (O, N, ·, ·) when cm else (N, O, ·, ·)."""
    p_, q_, ho, wo = gbase.shape
    o_, n_ = (p_, q_) if cm else (q_, p_)
    zero = gbase.dtype.type(0)
    for o in range(o_):
        for n in range(n_):
            plane = gbase[o, n] if cm else gbase[n, o]
            for ty in range(th):
                r = 2 * ty
                t0 = (n * th + ty) * tw
                for tx in range(tw):
                    s = 2 * tx
                    g00 = plane[r, s]
                    g01 = plane[r, s + 1] if s + 1 < wo else zero
                    g10 = plane[r + 1, s] if r + 1 < ho else zero
                    g11 = plane[r + 1, s + 1] if (r + 1 < ho and s + 1 < wo) else zero
                    # rows: h_a = Σ_i A[a, i] g[i, ·] with A = [[1,0],[1,1],[1,-1],[0,-1]]
                    h00, h01 = g00, g01
                    h10, h11 = g00 + g10, g01 + g11
                    h20, h21 = g00 - g10, g01 - g11
                    h30, h31 = -g10, -g11
                    t = t0 + tx
                    dm[0, o, t], dm[1, o, t], dm[2, o, t], dm[3, o, t] = h00, h00 + h01, h00 - h01, -h01
                    dm[4, o, t], dm[5, o, t], dm[6, o, t], dm[7, o, t] = h10, h10 + h11, h10 - h11, -h11
                    dm[8, o, t], dm[9, o, t], dm[10, o, t], dm[11, o, t] = h20, h20 + h21, h20 - h21, -h21
                    dm[12, o, t], dm[13, o, t], dm[14, o, t], dm[15, o, t] = h30, h30 + h31, h30 - h31, -h31


@fast_variant_of(wino_input_adjoint_reference, nogil=True,
                 example=lambda rng, dtype: _wino_example(rng, dtype, "adjoint"))
def _wino_input_adjoint(dv, th, tw, cm, base):
    """The adjoint of _wino_input: base (zeroed here) gets Σ over tiles of B·dV·Bᵀ added at each tile's 4×4 window."""
    base[...] = 0
    p_, q_ = base.shape[0], base.shape[1]
    c_, n_ = (p_, q_) if cm else (q_, p_)
    for c in range(c_):
        for n in range(n_):
            plane = base[c, n] if cm else base[n, c]
            for ty in range(th):
                r = 2 * ty
                t0 = (n * th + ty) * tw
                for tx in range(tw):
                    t = t0 + tx
                    s = 2 * tx
                    for i in range(4):  # e_i = Σ_a B[i, a] dV[a, ·] with B = (Bᵀ)ᵀ
                        if i == 0:
                            e0, e1, e2, e3 = dv[0, c, t], dv[1, c, t], dv[2, c, t], dv[3, c, t]
                        elif i == 1:
                            e0 = dv[4, c, t] - dv[8, c, t] + dv[12, c, t]
                            e1 = dv[5, c, t] - dv[9, c, t] + dv[13, c, t]
                            e2 = dv[6, c, t] - dv[10, c, t] + dv[14, c, t]
                            e3 = dv[7, c, t] - dv[11, c, t] + dv[15, c, t]
                        elif i == 2:
                            e0 = -dv[0, c, t] + dv[4, c, t] + dv[8, c, t]
                            e1 = -dv[1, c, t] + dv[5, c, t] + dv[9, c, t]
                            e2 = -dv[2, c, t] + dv[6, c, t] + dv[10, c, t]
                            e3 = -dv[3, c, t] + dv[7, c, t] + dv[11, c, t]
                        else:
                            e0, e1, e2, e3 = -dv[12, c, t], -dv[13, c, t], -dv[14, c, t], -dv[15, c, t]
                        plane[r + i, s] += e0
                        plane[r + i, s + 1] += e1 - e2 + e3
                        plane[r + i, s + 2] += -e0 + e1 + e2
                        plane[r + i, s + 3] += -e3
