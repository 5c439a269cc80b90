"""One optimizer step, ember vs torch on the same float32 parameters and gradients, in one run.

Rows: Adam, AdamW, SGD(momentum=0.9, nesterov=True), RMSprop, Adagrad on
    (a) 200 tensors totalling 5M float32      (b) 8 tensors totalling 40M float32.
Columns (median ms per step; benchmarks/_timing.py: alternating samples, each settled so that the other
library's idle worker threads have stopped spinning):
    ember       numba fused kernels (the `fast` extra), one call per group over the flat buffers, gradients from
                backward()
    assigned    the same, with gradients assigned (``p.grad = tensor``, once, before the timed steps)
    ember-np    the NumPy path (numba disabled, as with EMBER_DISABLE_NUMBA=1): in-place NumPy update per L2-sized chunk
    torch       torch's default (on CPU: the per-tensor for-loop)
    fused       torch fused=True (not available for RMSprop)
and the ratios ember/fused, assigned/fused, ember-np/torch, plus the fraction of the memory-bandwidth roofline
reached by ember:
    roofline = bytes moved per parameter × N / copy bandwidth, with the copy bandwidth measured in the same
    interleaved rounds as each row by an np.copyto of N float32 split over 2 threads (2 × 4 bytes per element:
    one read, one write). Bytes per parameter (float32, minimum traffic):
    Adam/AdamW 28 (read θ, g, m, v; write θ, m, v), SGD-momentum 20 (read θ, g, b; write θ, b),
    RMSprop 20 (read θ, g, v; write θ, v), Adagrad 20 (read θ, g, s; write θ, s).

Gradients: "ember" and "ember-np" get theirs from one backward() of sum(θ·g) (so each gradient is g exactly,
accumulated where the autograd engine puts it: the optimizer's flat gradient buffer); "assigned" and torch's get
``p.grad = tensor(g)``, set once before the timed steps.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_optimizers.py [--quick]
          [--only RMSprop,Adagrad] [--case b] [--threads N]
(--only: a subset of the rows by optimizer name; --case a|b: one of the two cases; --threads: both libraries'
intra-op threads, default: their defaults.)
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from _timing import compare  # noqa: E402

import ember  # noqa: E402
import ember.optim as eoptim  # noqa: E402
from ember.optim import _kernels  # noqa: E402

QUICK = "--quick" in sys.argv


def _arg(name, default=None):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


ONLY = _arg("--only")
CASE = _arg("--case")
THREADS = _arg("--threads")
if THREADS is not None:
    torch.set_num_threads(int(THREADS))
    ember.set_num_threads(int(THREADS))
ROUNDS, REPEATS = (3, 3) if QUICK else (7, 5)

OPTIMIZERS = [
    ("Adam", "Adam", dict(lr=1e-3), 28, True),
    ("AdamW", "AdamW", dict(lr=1e-3), 28, True),
    ("SGD(m=0.9, nesterov)", "SGD", dict(lr=1e-2, momentum=0.9, nesterov=True), 20, True),
    ("RMSprop", "RMSprop", dict(lr=1e-3), 20, False),
    ("Adagrad", "Adagrad", dict(lr=1e-2), 20, True),
]


def _sizes(n_tensors, total):
    rng = np.random.default_rng(0)
    w = rng.uniform(0.2, 1.8, n_tensors)
    sizes = np.floor(w / w.sum() * total).astype(int)
    sizes[-1] += total - sizes.sum()
    return sizes


def copy_bandwidth(n=40_000_000):
    a = np.ones(n, np.float32)
    b = np.empty_like(a)
    np.copyto(b, a)
    times = []
    for _ in range(9):
        t0 = time.perf_counter()
        np.copyto(b, a)
        times.append(time.perf_counter() - t0)
    return 2 * a.nbytes / statistics.median(times)


_POOL = ThreadPoolExecutor(2)


def _copy(dst, src):
    """np.copyto of the whole buffer, in two halves on two threads (NumPy releases the GIL), so that the copy,
    like the fused kernels, uses both cores: a single-threaded copy does not reach the machine's bandwidth."""
    h = src.size // 2
    f = _POOL.submit(np.copyto, dst[h:], src[h:])
    np.copyto(dst[:h], src[:h])
    f.result()


def bench(label, sizes):
    rng = np.random.default_rng(1)
    values = [rng.standard_normal(int(n)).astype(np.float32) for n in sizes]
    grads = [rng.standard_normal(int(n)).astype(np.float32) * 1e-3 for n in sizes]
    n = int(sum(sizes))
    src, dst = np.ones(n, np.float32), np.zeros(n, np.float32)
    rows = []
    for name, cls, kw, nbytes, has_fused in OPTIMIZERS:
        if ONLY is not None and cls not in ONLY.split(",") and name not in ONLY.split(","):
            continue
        def ember_opt(assign=False):
            ps = [ember.tensor(v.copy(), requires_grad=True) for v in values]
            opt = getattr(eoptim, cls)(ps, **kw)
            if assign:
                for p, g in zip(ps, grads):
                    p.grad = ember.tensor(g)
            else:
                sum(((p * ember.tensor(g)).sum() for p, g in zip(ps, grads)), ember.tensor(0.0)).backward()
            return opt

        e_fast, e_np, e_assigned = ember_opt(), ember_opt(), ember_opt(assign=True)
        tps = [torch.tensor(v.copy(), requires_grad=True) for v in values]
        for p, g in zip(tps, grads):
            p.grad = torch.tensor(g)
        t_default = getattr(torch.optim, cls)(tps, **kw)
        fns = {"ember": e_fast.step, "assigned": e_assigned.step, "torch": t_default.step,
               "copy": lambda: _copy(dst, src)}

        def numpy_step(opt=e_np):
            previous = _kernels.set_enabled(False)
            try:
                opt.step()
            finally:
                _kernels.set_enabled(previous)

        fns["ember-np"] = numpy_step
        if has_fused:
            tps_f = [torch.tensor(v.copy(), requires_grad=True) for v in values]
            for p, g in zip(tps_f, grads):
                p.grad = torch.tensor(g)
            fns["fused"] = getattr(torch.optim, cls)(tps_f, fused=True, **kw).step
        t = compare(fns, repeat=ROUNDS, number=REPEATS)
        roof = t["copy"] * nbytes / 8  # the copy moves 8 bytes per element, timed in the same rounds
        rows.append((label, name, t, roof, nbytes * n / t["ember"] / 1e9))
        del e_fast, e_np, e_assigned, t_default, fns
    return rows


def main():
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()} (ember {ember.get_num_threads()}); numba "
          f"{'on' if _kernels.numba_available() else 'OFF'}")
    print(f"copy bandwidth (np.copyto, 160 MB, before the rows): {copy_bandwidth() / 1e9:.1f} GB/s\n")
    head = (f"{'case':<11}{'optimizer':<22}{'ember':>8}{'assigned':>10}{'ember-np':>10}{'torch':>8}{'fused':>8}"
            f"{'ember/fused':>13}{'assigned/fused':>16}{'np/torch':>10}{'GB/s':>7}{'roofline':>10}")
    print(head)
    print("-" * len(head))
    for label, count, total in (("a) 200x5M", 200, 5_000_000), ("b) 8x40M", 8, 40_000_000)):
        if CASE is not None and not label.startswith(CASE):
            continue
        for label_, name, t, roof, gbs in bench(label, _sizes(count, total)):
            fused = t.get("fused")
            ms = lambda x: f"{x * 1e3:8.2f}" if x is not None else f"{'n/a':>8}"  # noqa: E731
            ratio_f = f"{t['ember'] / fused:13.2f}" if fused else f"{'n/a':>13}"
            ratio_a = f"{t['assigned'] / fused:16.2f}" if fused else f"{'n/a':>16}"
            print(f"{label_:<11}{name:<22}{ms(t['ember'])}{ms(t['assigned']):>10}{ms(t['ember-np']):>10}"
                  f"{ms(t['torch'])}{ms(fused)}{ratio_f}{ratio_a}{t['ember-np'] / t['torch']:10.2f}{gbs:7.1f}"
                  f"{roof / t['ember'] * 100:9.0f}%")
    print("\nms per step (median); ember/fused and assigned/fused: target <= 1.0; np/torch (ember without numba vs torch default): "
          "target <= 1.0; GB/s: bytes per parameter x N / ember's time; roofline: that as a fraction of the copy's\n"
          "bandwidth (the copy writes a separate buffer and so also pays a read-for-ownership of it, which an\n"
          "in-place update does not: values above 100% are possible).")


if __name__ == "__main__":
    main()
