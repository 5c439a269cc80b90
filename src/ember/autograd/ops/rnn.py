"""The fused recurrent primitive: one Elman-RNN, LSTM or GRU layer (one direction) over a whole sequence as one op.

The sequence is always in *packed time-major layout*: ``x`` is (total, input_size), the rows of time step t are
``x[offset_t : offset_t + batch_sizes[t]]`` and batch sizes never grow with t (a padded (T, N, I) batch is the
special case ``batch_sizes = (N,) * T``; a ``PackedSequence`` is already in this layout). The rows of step t are the
first ``batch_sizes[t]`` sequences, so one state array (N, ·) serves every step: step t updates its first rows,
the others keep the state they reached (forward direction: the sequences that have ended) or their initial state
(reverse direction: the sequences that have not started yet).

Forward: GEMMs project the input of every time step (``x·W_ihᵀ``), then per step one GEMM ``h·W_hhᵀ`` and the
gate math on the (b, G·H) block (the LSTM's in the numba kernels of ``_rnn_kernels.py``). Backward walks the steps
in the opposite order over the saved gates; the gradients of x and of the weights are GEMMs over many steps at
once (``dG·W_ih``, ``dGᵀ·x``, ``dGᵀ·h_prev``). No graph node per time step.

Threads: products of a layer's sizes gain nothing from OpenBLAS's threads (waking them costs more than the
product), so every product runs on one BLAS thread, and the second core gets whole products instead: the steps are
cut into ``GROUPS`` groups, and while this thread runs the steps of one group, a worker projects the input of the
next (forward) or computes the gradient products of the group just finished (backward).

The op's output is one flat array ``[y (total, P), h_n (N, P)]`` (+ ``c_n (N, H)`` for the LSTM), which the layer
splits into views. ``Recurrence.composite`` computes the same array from differentiable ember primitives (the cell
step by step); double backward differentiates it.

Cells (torch's gate order):
- RNN: h' = act(W_ih x + b_ih + W_hh h + b_hh), act = tanh or relu (Elman, 1990).
- LSTM (Hochreiter & Schmidhuber, 1997; Sak et al., 2014 for the projection): [i, f, g, o] = W_ih x + b_ih +
  W_hh h + b_hh; i, f, o = σ(·), g = tanh(·); c' = f·c + i·g; h' = W_hr (o·tanh(c')) (W_hr only with proj_size).
- GRU (Cho et al., 2014): r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
  n = tanh(W_in x + b_in + r·(W_hn h + b_hn)), h' = (1 − z)·n + z·h.
"""
from __future__ import annotations

import numpy as np

from ..._threads import Background, one_blas_thread
from . import _rnn_kernels as K
from ..function import Op

MODES = ("RNN_TANH", "RNN_RELU", "LSTM", "GRU")
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _steps(batch_sizes, reverse):
    """(row offset, batch size) of each time step, in the order the forward pass visits them."""
    offsets = np.concatenate(([0], np.cumsum(batch_sizes)[:-1])).tolist()
    steps = list(zip(offsets, batch_sizes))
    return steps[::-1] if reverse else steps


def _unpack(arrays, mode, has_bias, has_proj):
    """Name the op's inputs: x, h0, c0 (LSTM) or None, w_ih, w_hh, b_ih, b_hh (or None), w_hr (or None)."""
    it = iter(arrays)
    x, h0 = next(it), next(it)
    c0 = next(it) if mode == "LSTM" else None
    w_ih, w_hh = next(it), next(it)
    b_ih, b_hh = (next(it), next(it)) if has_bias else (None, None)
    w_hr = next(it) if has_proj else None
    return x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr


GROUPS = 4  # a layer's steps run in this many groups of consecutive steps (see _groups)


def _groups(steps):
    """``steps`` (in visiting order) cut into ``GROUPS`` runs of consecutive steps, each with the slice of rows it
    covers. The forward pass projects the input of the next group on a worker thread while this thread runs the
    steps of the current one; the backward pass hands each finished group's gradient products to a worker. The
    cut depends only on the number of steps, so the results do not depend on the thread count."""
    size = -(-len(steps) // GROUPS)
    groups = []
    for start in range(0, len(steps), size):
        run = steps[start: start + size]
        groups.append((slice(min(off for off, _ in run), max(off + b for off, b in run)), run))
    return groups


def _gate_scale(mode, hid, dtype):
    """½ on the rows of the sigmoid gates (LSTM i, f, o; GRU r, z), 1 on the tanh gates (LSTM g, GRU n); None for
    the Elman RNN."""
    if mode not in ("LSTM", "GRU"):
        return None
    scale = np.full(GATES[mode] * hid, 0.5, dtype)
    scale[2 * hid: 3 * hid] = 1
    return scale


class Recurrence(Op):
    """One recurrent layer (one direction) over a packed sequence; see the module docstring.

    Inputs (tensors): x (total, I), h0 (N, P), [c0 (N, H), LSTM], w_ih (G·H, I), w_hh (G·H, P),
    [b_ih (G·H), b_hh (G·H)], [w_hr (P, H)]. Options: mode, batch_sizes (tuple of ints), reverse, has_bias, has_proj.
    """

    @staticmethod
    def forward(ctx, *arrays, **options):
        return Recurrence._forward(ctx, *arrays, **options)

    @staticmethod
    def backward(ctx, grad):
        return Recurrence._backward(ctx, grad)

    @staticmethod
    def _forward(ctx, *arrays, mode, batch_sizes, reverse=False, has_bias=True, has_proj=False):
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr = _unpack(arrays, mode, has_bias, has_proj)
        ctx.options = dict(mode=mode, batch_sizes=batch_sizes, reverse=reverse, has_bias=has_bias, has_proj=has_proj)
        total, n, p = x.shape[0], h0.shape[0], h0.shape[1]
        hid = w_hh.shape[0] // GATES[mode]
        # σ(a) = ½·tanh(a/2) + ½, so the sigmoid gates' rows of the weights and biases are halved (exactly: a power
        # of two) and one tanh covers all the gates of a step (LSTM) or its two sigmoid gates (GRU) (_rnn_kernels.py)
        scale = _gate_scale(mode, hid, x.dtype)
        bias = None
        if has_bias:
            bias = b_ih if mode == "GRU" else b_ih + b_hh  # GRU keeps b_hn inside r·(W_hn h + b_hn)
        w_in = w_ih
        if scale is not None:
            w_in = w_ih * scale[:, None]
            if bias is not None:
                bias = bias * scale
            elif mode == "LSTM":  # the LSTM adds its bias in the step kernel
                bias = np.zeros_like(scale)
        pre = np.empty((total, w_ih.shape[0]), x.dtype)  # the input projection x·W_ihᵀ of every step

        def project(rows):
            np.matmul(x[rows], w_in.T, out=pre[rows])
            if bias is not None and mode != "LSTM":
                pre[rows] += bias

        flat = np.empty(total * p + n * p + (n * hid if mode == "LSTM" else 0), x.dtype)
        y = flat[: total * p].reshape(total, p)
        h = flat[total * p: total * p + n * p].reshape(n, p)
        h[...] = h0
        h_prev = np.empty((total, p), x.dtype)  # h_{t-1} of every row, for dW_hh
        ctx.x, ctx.w_ih, ctx.w_hh, ctx.h_prev, ctx.gates = x, w_ih, w_hh, h_prev, pre
        ctx.n, ctx.hid, ctx.steps = n, hid, _steps(batch_sizes, reverse)
        ctx.b_hh = b_hh if has_bias else None
        groups = _groups(ctx.steps)
        with one_blas_thread():  # products of a layer's sizes: one BLAS thread each for this thread and a worker
            work = Background()
            project(groups[0][0])
            handles = [None] + [work.submit(project, rows) for rows, _ in groups[1:]]

            def steps():  # the steps in order, each group once its projection is there
                for (_, run), handle in zip(groups, handles):
                    if handle is not None:
                        work.wait(handle)
                    yield from run

            Recurrence._steps_forward(ctx, steps(), mode, has_proj, pre, h, y, h_prev, w_hh.T, c0, w_hr, flat,
                                      scale, bias)
        return flat

    @staticmethod
    def _steps_forward(ctx, steps, mode, has_proj, pre, h, y, h_prev, w_hh_t, c0, w_hr, flat, scale, bias):
        total, n, hid, p, dtype = pre.shape[0], h.shape[0], ctx.hid, h.shape[1], pre.dtype
        if mode == "LSTM":
            c = flat[total * p + n * p:].reshape(n, hid)
            c[...] = c0
            c_prev, tanh_c = np.empty((total, hid), dtype), np.empty((total, hid), dtype)
            h_raw = np.empty((total, hid), dtype) if has_proj else None
            w_hr_t = w_hr.T if has_proj else None
            ctx.c_prev, ctx.tanh_c, ctx.h_raw, ctx.w_hr = c_prev, tanh_c, h_raw, w_hr
            w_s = w_hh_t * scale  # (P, 4H), contiguous
            hw = np.empty((n, 4 * hid), dtype)
            for off, b in steps:
                rows = slice(off, off + b)
                z = pre[rows]
                K.add_step(z, bias, np.matmul(h[:b], w_s, out=hw[:b]))
                np.tanh(z, out=z)
                K.lstm_cell(z, c[:b], c_prev[rows])
                tc = np.tanh(c[:b], out=tanh_c[rows])
                if has_proj:
                    hr = np.multiply(z[:, 3 * hid:], tc, out=h_raw[rows])
                    h_prev[rows] = h[:b]
                    np.matmul(hr, w_hr_t, out=h[:b])
                    y[rows] = h[:b]
                else:
                    K.lstm_output(z, tc, h[:b], h_prev[rows], y[rows])
        elif mode == "GRU":
            w_s = w_hh_t * scale  # (P, 3H), contiguous
            b_hh = ctx.b_hh * scale if ctx.b_hh is not None else np.zeros_like(scale)
            gh_n = np.empty((total, hid), dtype)  # W_hn h + b_hn, for dr
            ctx.gh_n = gh_n
            hw = np.empty((n, 3 * hid), dtype)
            for off, b in steps:
                rows = slice(off, off + b)
                z = pre[rows]
                K.gru_add_step(z, np.matmul(h[:b], w_s, out=hw[:b]), b_hh, gh_n[rows])
                np.tanh(z[:, : 2 * hid], out=z[:, : 2 * hid])
                K.gru_gates(z, gh_n[rows])
                np.tanh(z[:, 2 * hid:], out=z[:, 2 * hid:])
                K.gru_output(z, h[:b], h_prev[rows], y[rows])
        else:
            relu = mode == "RNN_RELU"
            for off, b in steps:
                rows = slice(off, off + b)
                z = pre[rows]
                h_prev[rows] = h[:b]
                z += h[:b] @ w_hh_t
                if relu:
                    np.maximum(z, 0, out=z)
                else:
                    np.tanh(z, out=z)
                h[:b] = z
                y[rows] = z

    @staticmethod
    def _backward(ctx, grad):
        o = ctx.options
        mode, has_bias, has_proj = o["mode"], o["has_bias"], o["has_proj"]
        x, w_ih, h_prev, gates = ctx.x, ctx.w_ih, ctx.h_prev, ctx.gates
        total, n, p, hid = x.shape[0], ctx.n, h_prev.shape[1], ctx.hid
        gy = grad[: total * p].reshape(total, p)
        dh = grad[total * p: total * p + n * p].reshape(n, p).copy()
        dc = grad[total * p + n * p:].reshape(n, hid).copy() if mode == "LSTM" else None
        d_gates = np.empty_like(gates)  # ∂/∂(pre-activation) of every step
        # ∂/∂(W_hh h + b_hh): differs from d_gates in the GRU's n block (times r)
        d_hh = np.empty_like(gates) if mode == "GRU" else d_gates
        dh_all = np.empty((total, p), x.dtype) if has_proj else None
        h_raw = ctx.h_raw if mode == "LSTM" else None
        needs = [t.requires_grad for t in ctx.inputs]
        k = 3 if mode == "LSTM" else 2  # position of w_ih among the inputs
        dx = np.empty_like(x) if needs[0] else None
        groups = [(rows, run[::-1]) for rows, run in reversed(_groups(ctx.steps))]  # last step first
        parts = [None] * len(groups)

        def products(g, rows):  # the gradients of x and the weights from the rows of one group of steps
            dz, dzh = d_gates[rows], d_hh[rows]
            if dx is not None:
                np.matmul(dz, w_ih, out=dx[rows])
            parts[g] = (dz.T @ x[rows] if needs[k] else None, dzh.T @ h_prev[rows] if needs[k + 1] else None,
                        dz.sum(0), dzh.sum(0) if dzh is not dz else None,
                        dh_all[rows].T @ h_raw[rows] if has_proj and needs[-1] else None)

        with one_blas_thread():  # one small product per step (see _forward)
            work = Background()

            def steps():  # the steps last first; each finished group's products go to a worker
                for g, (rows, run) in enumerate(groups):
                    yield from run
                    if g < len(groups) - 1:
                        work.submit(products, g, rows)

            Recurrence._steps_backward(ctx, steps(), mode, has_proj, gy, dh, dc, d_gates, d_hh, dh_all)
            products(len(groups) - 1, groups[-1][0])
            work.wait()
        totals = [None if parts[0][j] is None else sum(part[j] for part in parts) for j in range(5)]
        d_w_ih, d_w_hh, d_b_ih, d_b_hh, d_w_hr = totals
        grads = [dx, dh] + ([dc] if mode == "LSTM" else []) + [d_w_ih, d_w_hh]
        if has_bias:
            grads += [d_b_ih, d_b_ih.copy() if d_b_hh is None else d_b_hh]
        if has_proj:
            grads.append(d_w_hr)
        return tuple(grads)

    @staticmethod
    def _steps_backward(ctx, steps, mode, has_proj, gy, dh, dc, d_gates, d_hh, dh_all):
        """The loop over the steps (last first): fills ``d_gates``, ``d_hh`` (GRU) and the carries ``dh``, ``dc``."""
        w_hh, h_prev, gates = ctx.w_hh, ctx.h_prev, ctx.gates
        if mode == "LSTM":
            c_prev, tanh_c, w_hr = ctx.c_prev, ctx.tanh_c, ctx.w_hr
            for off, b in steps:
                rows = slice(off, off + b)
                dz = d_gates[rows]
                if has_proj:
                    d = np.add(dh[:b], gy[rows], out=dh_all[rows])
                    K.lstm_cell_backward(d @ w_hr, None, dc[:b], gates[rows], c_prev[rows], tanh_c[rows], dz)
                else:
                    K.lstm_cell_backward(dh[:b], gy[rows], dc[:b], gates[rows], c_prev[rows], tanh_c[rows], dz)
                np.matmul(dz, w_hh, out=dh[:b])
        elif mode == "GRU":
            gh_n, hw = ctx.gh_n, np.empty_like(dh)
            for off, b in steps:
                rows = slice(off, off + b)
                K.gru_cell_backward(dh[:b], gy[rows], gates[rows], gh_n[rows], h_prev[rows], d_gates[rows], d_hh[rows])
                dh[:b] += np.matmul(d_hh[rows], w_hh, out=hw[:b])
        else:
            relu = mode == "RNN_RELU"
            for off, b in steps:
                rows = slice(off, off + b)
                dz = d_gates[rows]
                np.add(dh[:b], gy[rows], out=dz)
                z = gates[rows]
                if relu:
                    dz *= z > 0
                else:
                    dz *= 1 - z * z
                np.matmul(dz, w_hh, out=dh[:b])

    @staticmethod
    def composite(*inputs, mode, batch_sizes, reverse=False, has_bias=True, has_proj=False):
        """The same flat output from differentiable ember primitives, the cell applied step by step."""
        from .. import ops  # noqa: F401  (Tensor methods)
        from .shape import cat, stack  # noqa: F401

        x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr = _unpack(inputs, mode, has_bias, has_proj)
        hid = w_hh.shape[0] // GATES[mode]
        ys = {}
        for off, b in _steps(batch_sizes, reverse):
            xt, hb = x[off: off + b], h[:b]
            gx, gh = xt @ w_ih.t(), hb @ w_hh.t()
            if has_bias:
                gx, gh = gx + b_ih, gh + b_hh
            if mode == "LSTM":
                a = gx + gh
                i, f = a[:, :hid].sigmoid(), a[:, hid: 2 * hid].sigmoid()
                g, og = a[:, 2 * hid: 3 * hid].tanh(), a[:, 3 * hid:].sigmoid()
                cb = f * c[:b] + i * g
                hb = og * cb.tanh()
                if has_proj:
                    hb = hb @ w_hr.t()
                c = cat([cb, c[b:]]) if b < c.shape[0] else cb
            elif mode == "GRU":
                r = (gx[:, :hid] + gh[:, :hid]).sigmoid()
                u = (gx[:, hid: 2 * hid] + gh[:, hid: 2 * hid]).sigmoid()
                nn_ = (gx[:, 2 * hid:] + r * gh[:, 2 * hid:]).tanh()
                hb = (1 - u) * nn_ + u * hb
            else:
                a = gx + gh
                hb = a.relu() if mode == "RNN_RELU" else a.tanh()
            h = cat([hb, h[b:]]) if b < h.shape[0] else hb
            ys[off] = hb
        pieces = [ys[off].reshape(-1) for off in sorted(ys)] + [h.reshape(-1)]
        if mode == "LSTM":
            pieces.append(c.reshape(-1))
        return cat(pieces)
