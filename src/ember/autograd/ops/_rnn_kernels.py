"""The per-step elementwise work of the LSTM and GRU primitive (rnn.py), in NumPy and, with the ``fast`` extra,
in numba.

A step of rnn.py's LSTM or GRU is one matrix product plus the gate math below. In NumPy the gate math is about
twenty calls on (b, H) blocks, each paying NumPy's per-call cost; here it is a few functions per step, each one
pass (numba) or a few calls (NumPy, the reference and the path without numba). Both compute the same numbers, in
the same order of operations.

The one transcendental is ``tanh``, applied by rnn.py between the kernels with NumPy's ``np.tanh`` (SIMD in
NumPy's float32 and float64 loops, in place or not): the sigmoid gates' weights and biases arrive halved, since
σ(a) = ½·tanh(a/2) + ½, so one ``tanh`` covers every gate of an LSTM step.

LSTM (z holds the (b, 4H) pre-activations of the step, then its gates):

    add_step      z ← (z + bias) + hw             (the input projection, the bias, the step's product)
    lstm_cell     z = [tanh(a_i/2), tanh(a_f/2), tanh(a_g), tanh(a_o/2)] → z = [i, f, g, o] (in place);
                  c_prev ← c;  c ← f·c + i·g
    lstm_output   h_prev ← h;  h ← o·tc;  y ← h          (tc = tanh(c), from NumPy)
    lstm_cell_backward
                  d = dh (+ gy);  dc ← dc + d·o·(1 − tc²)
                  ∂a_i = dc·g·i(1 − i),  ∂a_f = dc·c_prev·f(1 − f),  ∂a_g = dc·i·(1 − g²),  ∂a_o = d·tc·o(1 − o)
                  dc ← dc·f  (the carry to the previous step)

GRU (z: (b, 3H); hw = h·W_hhᵀ with the r, z rows halved, as b_hh):

    gru_add_step  z[r, z] ← z[r, z] + (hw + b_hh)[r, z];  gh_n ← (hw + b_hh)[n]
    gru_gates     (after tanh of z[r, z]) r, u = ½·t + ½ (in place);  z[n] ← z[n] + r·gh_n
    gru_output    (after tanh of z[n]) h_prev ← h;  h ← (h − n)·u + n;  y ← h
    gru_cell_backward
                  d = dh + gy;  ∂n = d·(1 − u)·(1 − n²);  ∂r = ∂n·gh_n·r(1 − r);  ∂u = d·(h_prev − n)·u(1 − u)
                  dz = [∂r, ∂u, ∂n] (the input side), dzh = [∂r, ∂u, ∂n·r] (the hidden side);  dh ← d·u

The kernels run on the calling thread with the GIL released; each compiles on first use and is cached on disk.
Off with the rest of ember's kernels (EMBER_DISABLE_NUMBA=1, ``ember._numba.set_enabled(False)``).
"""
from __future__ import annotations

import numpy as np

from ... import _numba
from ..._numba import fast_variant_of


def _kernel(fn, a):
    """``fn`` compiled (registered at the end of this file), or None: no numba, or ``a``'s dtype is not the kernels'."""
    return _numba.compiled(fn) if _numba.takes(a.dtype) else None


def add_step(z, bias, hw):
    """z = (z + bias) + hw in place: a step's pre-activations from its input projection, bias and product."""
    kernel = _kernel(_add_step, z)
    if kernel is not None:
        return kernel(z, bias, hw)
    z += bias
    z += hw


def lstm_cell(z, c, c_prev):
    """The gates and the cell state of one step; see the module docstring."""
    kernel = _kernel(_lstm_cell, z)
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
    kernel = _kernel(_lstm_output, z)
    if kernel is not None:
        return kernel(z, tc, h, h_prev, y)
    h_prev[...] = h
    np.multiply(z[:, 3 * tc.shape[1]:], tc, out=h)
    y[...] = h


def lstm_cell_backward(d, gy, dc, z, c_prev, tc, dz):
    """The gradient of one step's pre-activations (into ``dz``) and the cell-state carry (``dc``, in place), from
    ``d`` (the gradient of o·tanh(c)) plus ``gy`` (None: already included)."""
    kernel = _kernel(_lstm_cell_backward, d)
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


def gru_add_step(z, hw, b_hh, gh_n):
    """A GRU step's hidden projection into its sigmoid gates' pre-activations, and its n part into ``gh_n``."""
    kernel = _kernel(_gru_add_step, z)
    if kernel is not None:
        return kernel(z, hw, b_hh, gh_n)
    hid = gh_n.shape[1]
    hw += b_hh
    z[:, : 2 * hid] += hw[:, : 2 * hid]
    gh_n[...] = hw[:, 2 * hid:]


def gru_gates(z, gh_n):
    """r and u from their tanh (in place), then n's pre-activation."""
    kernel = _kernel(_gru_gates, z)
    if kernel is not None:
        return kernel(z, gh_n, z.dtype.type(0.5))
    hid = gh_n.shape[1]
    sig = z[:, : 2 * hid]
    sig *= 0.5
    sig += 0.5
    z[:, 2 * hid:] += z[:, :hid] * gh_n


def gru_output(z, h, h_prev, y):
    """h' = (h − n)·u + n, saving the previous h and writing the step's output rows."""
    kernel = _kernel(_gru_output, z)
    if kernel is not None:
        return kernel(z, h, h_prev, y)
    hid = h.shape[1]
    h_prev[...] = h
    h -= z[:, 2 * hid:]
    h *= z[:, hid: 2 * hid]
    h += z[:, 2 * hid:]
    y[...] = h


def gru_cell_backward(dh, gy, z, gh_n, h_prev, dz, dzh):
    """A GRU step's pre-activation gradients (input side ``dz``, hidden side ``dzh``); ``dh`` ← (dh + gy)·u, the
    direct part of the carry (rnn.py adds dzh·W_hh)."""
    kernel = _kernel(_gru_cell_backward, dh)
    if kernel is not None:
        return kernel(dh, gy, z, gh_n, h_prev, dz, dzh, dh.dtype.type(1))
    hid = dh.shape[1]
    d = dh + gy
    r, u, n = z[:, :hid], z[:, hid: 2 * hid], z[:, 2 * hid:]
    dn = d * (1 - u) * (1 - n * n)
    dz[:, 2 * hid:] = dn
    np.multiply(dn, gh_n, out=dz[:, :hid])
    dz[:, :hid] *= r * (1 - r)
    np.multiply(d, h_prev - n, out=dz[:, hid: 2 * hid])
    dz[:, hid: 2 * hid] *= u * (1 - u)
    dzh[:, : 2 * hid] = dz[:, : 2 * hid]
    np.multiply(dn, r, out=dzh[:, 2 * hid:])
    np.multiply(d, u, out=dh)


# The loops take 1-d row views first: on 2-d indexing numba's loops did not vectorise (benchmarks/NOTES.md).
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


def _gru_add_step(z, hw, b_hh, gh_n):
    b, hid = gh_n.shape
    for r in range(b):
        zr, hr, gr = z[r], hw[r], gh_n[r]
        for j in range(2 * hid):
            zr[j] = zr[j] + (hr[j] + b_hh[j])
        for j in range(hid):
            gr[j] = hr[2 * hid + j] + b_hh[2 * hid + j]


def _gru_gates(z, gh_n, half):
    b, hid = gh_n.shape
    for r in range(b):
        zr, zu, zn, gr = z[r, :hid], z[r, hid: 2 * hid], z[r, 2 * hid:], gh_n[r]
        for j in range(hid):
            rv = zr[j] * half + half
            zr[j] = rv
            zu[j] = zu[j] * half + half
            zn[j] = zn[j] + rv * gr[j]


def _gru_output(z, h, h_prev, y):
    b, hid = h.shape
    for r in range(b):
        zu, zn, hr, hpr, yr = z[r, hid: 2 * hid], z[r, 2 * hid:], h[r], h_prev[r], y[r]
        for j in range(hid):
            hv = hr[j]
            hpr[j] = hv
            v = (hv - zn[j]) * zu[j] + zn[j]
            hr[j] = v
            yr[j] = v


def _gru_cell_backward(dh, gy, z, gh_n, h_prev, dz, dzh, one):
    b, hid = dh.shape
    for r in range(b):
        zr, zu, zn = z[r, :hid], z[r, hid: 2 * hid], z[r, 2 * hid:]
        dr_, du, dn_ = dz[r, :hid], dz[r, hid: 2 * hid], dz[r, 2 * hid:]
        hr_, hu, hn = dzh[r, :hid], dzh[r, hid: 2 * hid], dzh[r, 2 * hid:]
        dhr, gyr, ghr, hpr = dh[r], gy[r], gh_n[r], h_prev[r]
        for j in range(hid):
            d = dhr[j] + gyr[j]
            rv, u, n = zr[j], zu[j], zn[j]
            dn = d * (one - u) * (one - n * n)
            dr = dn * ghr[j] * (rv * (one - rv))
            dv = d * (hpr[j] - n) * (u * (one - u))
            dr_[j] = dr
            du[j] = dv
            dn_[j] = dn
            hr_[j] = dr
            hu[j] = dv
            hn[j] = dn * rv
            dhr[j] = d * u


# ---- registration (ember._numba): each loop against a NumPy reference of its arithmetic, and its test inputs -------

def _add_step_reference(z, bias, hw):
    z += bias
    z += hw


def _lstm_cell_reference(z, c, c_prev, half):
    hid = c.shape[1]
    for gate in (z[:, : 2 * hid], z[:, 3 * hid:]):
        gate *= half
        gate += half
    c_prev[...] = c
    c *= z[:, hid: 2 * hid]
    c += z[:, :hid] * z[:, 2 * hid: 3 * hid]


def _lstm_output_reference(z, tc, h, h_prev, y):
    h_prev[...] = h
    np.multiply(z[:, 3 * tc.shape[1]:], tc, out=h)
    y[...] = h


def _lstm_cell_backward_reference(d, gy, dc, z, c_prev, tc, dz, one):
    hid = dc.shape[1]
    i, f, g, o = z[:, :hid], z[:, hid: 2 * hid], z[:, 2 * hid: 3 * hid], z[:, 3 * hid:]
    d = d + gy
    dc += d * o * (one - tc * tc)
    dz[:, :hid] = dc * g * (i * (one - i))
    dz[:, hid: 2 * hid] = dc * c_prev * (f * (one - f))
    dz[:, 2 * hid: 3 * hid] = dc * i * (one - g * g)
    dz[:, 3 * hid:] = d * tc * (o * (one - o))
    dc *= f


def _gru_add_step_reference(z, hw, b_hh, gh_n):
    hid = gh_n.shape[1]
    z[:, : 2 * hid] += hw[:, : 2 * hid] + b_hh[: 2 * hid]
    gh_n[...] = hw[:, 2 * hid:] + b_hh[2 * hid:]


def _gru_gates_reference(z, gh_n, half):
    hid = gh_n.shape[1]
    sig = z[:, : 2 * hid]
    sig *= half
    sig += half
    z[:, 2 * hid:] += z[:, :hid] * gh_n


def _gru_output_reference(z, h, h_prev, y):
    hid = h.shape[1]
    h_prev[...] = h
    h[...] = (h - z[:, 2 * hid:]) * z[:, hid: 2 * hid] + z[:, 2 * hid:]
    y[...] = h


def _gru_cell_backward_reference(dh, gy, z, gh_n, h_prev, dz, dzh, one):
    hid = dh.shape[1]
    d = dh + gy
    r, u, n = z[:, :hid], z[:, hid: 2 * hid], z[:, 2 * hid:]
    dn = d * (one - u) * (one - n * n)
    dz[:, :hid] = dzh[:, :hid] = dn * gh_n * (r * (one - r))
    dz[:, hid: 2 * hid] = dzh[:, hid: 2 * hid] = d * (h_prev - n) * (u * (one - u))
    dz[:, 2 * hid:] = dn
    dzh[:, 2 * hid:] = dn * r
    dh[...] = d * u


_B, _H = 3, 5
_SHAPES = {  # argument -> shape, for each kernel; "half"/"one": the scalar in the arrays' dtype
    _add_step: ("z4", "b4", "z4"), _lstm_cell: ("z4", "h", "h", "half"), _lstm_output: ("z4", "h", "h", "h", "h"),
    _lstm_cell_backward: ("h", "h", "h", "z4", "h", "h", "z4", "one"), _gru_add_step: ("z3", "z3", "b3", "h"),
    _gru_gates: ("z3", "h", "half"), _gru_output: ("z3", "h", "h", "h"),
    _gru_cell_backward: ("h", "h", "z3", "h", "h", "z3", "z3", "one"),
}


def _example(fast):
    def make(rng, dtype):
        dims = {"z4": (_B, 4 * _H), "z3": (_B, 3 * _H), "b4": (4 * _H,), "b3": (3 * _H,), "h": (_B, _H)}
        scalars = {"half": dtype.type(0.5), "one": dtype.type(1)}
        yield tuple(scalars[k] if k in scalars else rng.uniform(-1, 1, dims[k]).astype(dtype)
                    for k in _SHAPES[fast]), {}
    return make


for _fast, _reference in ((_add_step, _add_step_reference), (_lstm_cell, _lstm_cell_reference),
                          (_lstm_output, _lstm_output_reference), (_lstm_cell_backward, _lstm_cell_backward_reference),
                          (_gru_add_step, _gru_add_step_reference), (_gru_gates, _gru_gates_reference),
                          (_gru_output, _gru_output_reference), (_gru_cell_backward, _gru_cell_backward_reference)):
    fast_variant_of(_reference, nogil=True, example=_example(_fast))(_fast)
