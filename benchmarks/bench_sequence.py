"""Forward + backward of sequence layers: ember vs torch, same weights and inputs, one run.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_sequence.py [--threads N]

Cases: LSTM and GRU (T=50, N=32, input 64, hidden 128) and TransformerEncoderLayer (batch 32, length 64,
d_model 128, 4 heads, feed-forward 512, batch_first, dropout 0). A step is zero_grad, forward, a weighted sum of
the output as the loss, backward. Prints the median time per step of each library and the ratio ember/torch
(lower is better). For the LSTM it also prints ember's matrix-product floor: the same products alone, as ember runs
them (the input projection and the three weight/input gradients on every BLAS thread, the 2·T per-step products
on one), so ``floor/torch`` bounds from below what any ember LSTM on this BLAS can reach; likewise for the encoder
layer (its four linear layers and two batched attention products, forward and backward).

Timing: benchmarks/_timing.py (alternating samples, each settled so that the other library's idle BLAS/OpenMP
threads have stopped spinning). On a loaded machine (other processes on the cores) torch's OpenMP threads wait for
each other and its 2-thread times grow tenfold and more; ``--threads 1`` then gives the ratio that still means
something (neither library waits for a thread that is not running).
"""
from __future__ import annotations

import copy
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from _timing import compare  # noqa: E402

import ember  # noqa: E402
import ember.nn as enn  # noqa: E402


def _copy(em, tm):
    em.load_state_dict({k: ember.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})


def _recurrent(name):
    tm = getattr(torch.nn, name)(64, 128)
    em = getattr(enn, name)(64, 128)
    return tm, em, (50, 32, 64), lambda m, x: m(x)[0]


def _encoder_layer():
    kw = dict(dim_feedforward=512, dropout=0.0, batch_first=True)
    tm = torch.nn.TransformerEncoderLayer(128, 4, **kw)
    em = enn.TransformerEncoderLayer(128, 4, **kw)
    return tm, em, (32, 64, 128), lambda m, x: m(x)


def case(build, repeat=15):
    tm, em, shape, run = build()
    _copy(em, tm)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape, dtype=np.float32)
    tx, ex = torch.from_numpy(x).requires_grad_(), ember.from_numpy(x.copy()).requires_grad_()

    def t_step():
        tm.zero_grad()
        tx.grad = None
        (run(tm, tx) * tw).sum().backward()

    def e_step():
        em.zero_grad()
        ex.grad = None
        (run(em, ex) * ew).sum().backward()

    with torch.no_grad():
        w = rng.standard_normal(tuple(run(tm, tx).shape), dtype=np.float32)
    tw, ew = torch.from_numpy(w), ember.from_numpy(w)
    _same_numbers(tm, em, run, x, w)
    return compare({"torch": t_step, "ember": e_step}, repeat=repeat)


def _same_numbers(tm, em, run, x, w):
    """Check that ember and torch compute the same step: input gradients of copies of both models in float64.

    Not the timed float32 steps: a ReLU pre-activation of the feed-forward block that lies within float32 rounding
    of 0 (|z| about 5e-8; in about 1 fresh set of weights in 20) takes the other branch in one library than in the
    other, or than in float64, and the input gradient of that whole sample moves by up to 4e-2. Either library's
    float32 step is then "wrong" by as much against the float64 one, by rounding, not by a different formula."""
    grads = []
    for lib, m in ((torch, copy.deepcopy(tm).double()), (ember, copy.deepcopy(em).double())):
        xr = lib.from_numpy(x.astype(np.float64)).requires_grad_()
        (run(m, xr) * lib.from_numpy(w.astype(np.float64))).sum().backward()
        grads.append(xr.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-7, atol=1e-9)


def lstm_floor(t=50, n=32, inp=64, hid=128, repeat=15):
    """Seconds of the matrix products alone of one ember LSTM forward + backward (see the module docstring)."""
    from ember._threads import one_blas_thread

    rng = np.random.default_rng(0)
    x = rng.standard_normal((t * n, inp), dtype=np.float32)
    w_ih = rng.standard_normal((4 * hid, inp), dtype=np.float32)
    w_hh = rng.standard_normal((4 * hid, hid), dtype=np.float32)
    h = rng.standard_normal((t * n, hid), dtype=np.float32)
    dz = rng.standard_normal((t * n, 4 * hid), dtype=np.float32)
    out_f, out_b = np.empty((n, 4 * hid), np.float32), np.empty((n, hid), np.float32)
    w_t = np.ascontiguousarray(w_hh.T)

    def products():
        x @ w_ih.T
        with one_blas_thread():
            for s in range(t):
                np.matmul(h[s * n:(s + 1) * n], w_t, out=out_f)
            for s in range(t):
                np.matmul(dz[s * n:(s + 1) * n], w_hh, out=out_b)
        dz @ w_ih, dz.T @ x, dz.T @ h

    return compare({"floor": products}, repeat=repeat)["floor"]


def encoder_floor(n=32, length=64, d=128, heads=4, ff=512, repeat=15):
    """Seconds of the matrix products alone of one ember TransformerEncoderLayer forward + backward, as ember's
    matmul runs them: the four linear layers (x·Wᵀ forward, g·W and xᵀ·g backward) and the two batched attention
    products (forward and both gradients)."""
    rng = np.random.default_rng(0)
    m = lambda *s: rng.standard_normal(s, dtype=np.float32)  # noqa: E731
    rows, e = n * length, d // heads
    linears = [(m(rows, i), m(o, i), m(rows, o)) for i, o in ((d, 3 * d), (d, d), (d, ff), (ff, d))]
    q, k, a, v = m(n, heads, length, e), m(n, heads, e, length), m(n, heads, length, length), m(n, heads, length, e)
    g_s, g_o = m(n, heads, length, length), m(n, heads, length, e)

    def products():
        for x, w, g in linears:
            x @ w.T, g @ w, x.T @ g
        q @ k, a @ v
        g_s @ np.swapaxes(k, -1, -2), np.swapaxes(q, -1, -2) @ g_s
        g_o @ np.swapaxes(v, -1, -2), np.swapaxes(a, -1, -2) @ g_o

    return compare({"floor": products}, repeat=repeat)["floor"]


def main():
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads:
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(args.threads)
        ember.set_num_threads(args.threads)
        threadpool_limits(args.threads)
    print(f"torch {torch.__version__}, numpy {np.__version__}, threads {torch.get_num_threads()}")
    print(f"{'forward + backward':<44}{'torch ms':>10}{'ember ms':>10}{'ember/torch':>13}")
    cases = (("LSTM T=50 N=32 in=64 hidden=128", lambda: _recurrent("LSTM")),
             ("GRU T=50 N=32 in=64 hidden=128", lambda: _recurrent("GRU")),
             ("TransformerEncoderLayer 32x64 d=128 h=4 ff=512", _encoder_layer))
    for name, build in cases:
        med = case(build)
        print(f"{name:<44}{med['torch'] * 1e3:>10.3f}{med['ember'] * 1e3:>10.3f}{med['ember'] / med['torch']:>13.2f}")
        floor = lstm_floor() if name.startswith("LSTM") else encoder_floor() if name.startswith("Transf") else None
        if floor is not None:
            print(f"{'  its matrix products alone (ember floor)':<44}{'':>10}{floor * 1e3:>10.3f}"
                  f"{floor / med['torch']:>13.2f}")


if __name__ == "__main__":
    main()
