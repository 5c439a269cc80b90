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

The geometry (kh, kw, sh, sw, dh, dw) is a compile-time constant of each kernel, so that the loops over a
window unroll and the rows vectorize; with run-time sizes the same loops measured 3-10× slower than with
constants. Measured on one core (float32): LeNet's 2×2/2 max pool of (64, 16, 26, 26), forward 0.18 ms and
backward 0.16 ms (NumPy path 0.4 and 2-3 ms); im2col and col2im of a 3×3 conv over (64, 16, 13, 13) 0.25 ms
each (NumPy 0.5 and 1.1 ms). Each geometry compiles on first use (about 0.3 s) and is cached on disk;
``supported`` bounds the geometries compiled, others take the NumPy path.

The kernels run on the calling thread. numba's parallel (OpenMP) version of the pooling kernels was 2× faster
alone but 30× slower right after a matrix product: OpenBLAS's worker threads keep spinning for a while after
a GEMM, and on a 2-core machine the second OpenMP thread then waits for a core (8-9 ms instead of 0.1 ms).
Off with the rest of ember's kernels (EMBER_DISABLE_NUMBA=1, ``ember._numba.set_enabled(False)``).
"""
from __future__ import annotations

import types

from ..._numba import module as _numba_module

KH = KW = SH = SW = DH = DW = 1  # rebound per compiled variant (see _variant)
_COMPILED: dict = {}


def supported(geometry) -> bool:
    """Windows up to 7×7, strides up to 4, dilations up to 3: the geometries kernels are compiled for."""
    kh, kw, sh, sw, dh, dw = geometry
    return max(kh, kw) <= 7 and max(sh, sw) <= 4 and max(dh, dw) <= 3


def pool_kernels(kernel, stride, dilation):
    """(pool_max, pool_max_backward) for one geometry, or None (no numba, or an unsupported geometry)."""
    return _kernels((_pool_max, _pool_max_backward), (*kernel, *stride, *dilation))


def patch_kernels(kernel, stride, dilation):
    """(im2col, col2im) for one geometry, or None (no numba, or an unsupported geometry)."""
    return _kernels((_im2col, _col2im), (*kernel, *stride, *dilation))


def _kernels(fns, geometry):
    numba = _numba_module()
    if numba is None or not supported(geometry):
        return None
    key = (fns, geometry)
    pair = _COMPILED.get(key)
    if pair is None:
        pair = _COMPILED[key] = tuple(_variant(numba, fn, geometry) for fn in fns)
    return pair


def _variant(numba, fn, geometry):
    """``fn`` compiled with KH, KW, SH, SW, DH, DW bound to ``geometry`` (a distinct name per geometry: numba's
    disk cache keys on the function's name)."""
    name = fn.__name__ + "_" + "_".join(map(str, geometry))
    consts = dict(zip(("KH", "KW", "SH", "SW", "DH", "DW"), geometry))
    py = types.FunctionType(fn.__code__, dict(fn.__globals__, **consts), name)
    py.__qualname__ = name
    return numba.njit(nogil=True, cache=True)(py)


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
    numba = _numba_module()
    if numba is None:
        return None
    fns = _COMPILED.get("winograd")
    if fns is None:
        jit = numba.njit(nogil=True, cache=True)
        fns = _COMPILED["winograd"] = tuple(jit(f) for f in (_wino_input, _wino_output, _wino_grad, _wino_input_adjoint))
    return fns


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
