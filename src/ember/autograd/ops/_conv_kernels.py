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
