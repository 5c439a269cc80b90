"""The per-step elementwise work of the LSTM primitive (rnn.py), in NumPy and, with the ``fast`` extra, in numba.

A step of rnn.py's LSTM is one matrix product plus the gate math below. In NumPy the gate math is about twenty
calls on (b, H) blocks, each paying NumPy's per-call cost; here it is two functions per direction, each one pass
(numba) or a few calls (NumPy, the reference and the path without numba). Both compute the same numbers, in the
same order of operations.

The forward step receives the pre-activations with the sigmoid gates' columns already halved and ``tanh``
applied to the whole (b, 4H) block, since σ(a) = ½·tanh(a/2) + ½ (the transcendental runs in NumPy's vectorised
``tanh``, once per step, where numba would call libm per element):

    add_step      z ← (z + bias) + hw             (the input projection, the bias, the step's product)
    lstm_cell     z = [tanh(a_i/2), tanh(a_f/2), tanh(a_g), tanh(a_o/2)] → z = [i, f, g, o] (in place);
                  c_prev ← c;  c ← f·c + i·g
    lstm_output   h_prev ← h;  h ← o·tc;  y ← h          (tc = tanh(c), from NumPy)
    lstm_cell_backward
                  d = dh (+ gy);  dc ← dc + d·o·(1 − tc²)
                  ∂a_i = dc·g·i(1 − i),  ∂a_f = dc·c_prev·f(1 − f),  ∂a_g = dc·i·(1 − g²),  ∂a_o = d·tc·o(1 − o)
                  dc ← dc·f  (the carry to the previous step)

The kernels run on the calling thread with the GIL released; each compiles on first use and is cached on disk.
Off with the rest of ember's kernels (EMBER_DISABLE_NUMBA=1, ``ember._numba.set_enabled(False)``).
"""
from __future__ import annotations

import numpy as np

from ..._numba import module as _numba_module

_COMPILED: dict = {}


def _kernel(fn):
    numba = _numba_module()
    if numba is None:
        return None
    kernel = _COMPILED.get(fn)
    if kernel is None:
        kernel = _COMPILED[fn] = numba.njit(nogil=True, cache=True)(fn)
    return kernel


def add_step(z, bias, hw):
    """z = (z + bias) + hw in place: a step's pre-activations from its input projection, bias and product."""
    kernel = _kernel(_add_step)
    if kernel is not None:
        return kernel(z, bias, hw)
    z += bias
    z += hw


def lstm_cell(z, c, c_prev):
    """The gates and the cell state of one step; see the module docstring."""
    kernel = _kernel(_lstm_cell)
    if kernel is not None:
        return kernel(z, c, c_prev, z.dtype.type(0.5))
    hid = c.shape[1]
    for gate in (z[:, : 2 * hid], z[:, 3 * hid:]):
        gate *= 0.5
        gate += 0.5
    c_prev[...] = c
    c *= z[:, hid: 2 * hid]
    c += z[:, :hid] * z[:, 2 * hid: 3 * hid]


def lstm_output(z, tc, h, h_prev, y):
    """h = o·tanh(c) of one step, saving the previous h and writing the step's output rows."""
    kernel = _kernel(_lstm_output)
    if kernel is not None:
        return kernel(z, tc, h, h_prev, y)
    h_prev[...] = h
    np.multiply(z[:, 3 * tc.shape[1]:], tc, out=h)
    y[...] = h


def lstm_cell_backward(d, gy, dc, z, c_prev, tc, dz):
    """The gradient of one step's pre-activations (into ``dz``) and the cell-state carry (``dc``, in place), from
    ``d`` (the gradient of o·tanh(c)) plus ``gy`` (None: already included)."""
    kernel = _kernel(_lstm_cell_backward)
    if kernel is not None:
        return kernel(d, np.zeros_like(d) if gy is None else gy, dc, z, c_prev, tc, dz, dc.dtype.type(1))
    if gy is not None:
        d = d + gy
    hid = dc.shape[1]
    i, f, g, o = z[:, :hid], z[:, hid: 2 * hid], z[:, 2 * hid: 3 * hid], z[:, 3 * hid:]
    dc += d * o * (1 - tc * tc)
    np.multiply(d, tc, out=dz[:, 3 * hid:])
    np.multiply(dc, g, out=dz[:, :hid])
    np.multiply(dc, c_prev, out=dz[:, hid: 2 * hid])
    np.multiply(dc, i, out=dz[:, 2 * hid: 3 * hid])
    dc *= f
    sig = z[:, : 2 * hid]
    dz[:, : 2 * hid] *= sig * (1 - sig)
    dz[:, 3 * hid:] *= o * (1 - o)
    dz[:, 2 * hid: 3 * hid] *= 1 - g * g


# The loops take 1-d row views first: on 2-d indexing numba's loops did not vectorise (5× slower).
def _add_step(z, bias, hw):
    for r in range(z.shape[0]):
        zr, hr = z[r], hw[r]
        for j in range(zr.shape[0]):
            zr[j] = (zr[j] + bias[j]) + hr[j]


def _lstm_cell(z, c, c_prev, half):  # half: ½ in the arrays' dtype (a literal would promote float32 to float64)
    b, hid = c.shape
    for r in range(b):
        zi, zf, zg, zo = z[r, :hid], z[r, hid: 2 * hid], z[r, 2 * hid: 3 * hid], z[r, 3 * hid:]
        cr, cpr = c[r], c_prev[r]
        for j in range(hid):
            i = zi[j] * half + half
            f = zf[j] * half + half
            zi[j] = i
            zf[j] = f
            zo[j] = zo[j] * half + half
            cp = cr[j]
            cpr[j] = cp
            cr[j] = cp * f + i * zg[j]


def _lstm_output(z, tc, h, h_prev, y):
    b, hid = tc.shape
    for r in range(b):
        zo, tr, hr, hpr, yr = z[r, 3 * hid:], tc[r], h[r], h_prev[r], y[r]
        for j in range(hid):
            hpr[j] = hr[j]
            v = zo[j] * tr[j]
            hr[j] = v
            yr[j] = v


def _lstm_cell_backward(d, gy, dc, z, c_prev, tc, dz, one):  # one: 1 in the arrays' dtype
    b, hid = dc.shape
    for r in range(b):
        zi, zf, zg, zo = z[r, :hid], z[r, hid: 2 * hid], z[r, 2 * hid: 3 * hid], z[r, 3 * hid:]
        di, df, dg, do = dz[r, :hid], dz[r, hid: 2 * hid], dz[r, 2 * hid: 3 * hid], dz[r, 3 * hid:]
        dr_, gyr, dcr_, cpr, tr = d[r], gy[r], dc[r], c_prev[r], tc[r]
        for j in range(hid):
            dr = dr_[j] + gyr[j]
            i, f, g, o, t = zi[j], zf[j], zg[j], zo[j], tr[j]
            dcr = dcr_[j] + dr * o * (one - t * t)
            di[j] = dcr * g * (i * (one - i))
            df[j] = dcr * cpr[j] * (f * (one - f))
            dg[j] = dcr * i * (one - g * g)
            do[j] = dr * t * (o * (one - o))
            dcr_[j] = dcr * f
