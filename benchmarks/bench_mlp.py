"""Forward + backward of an MLP (Linear/ReLU, cross-entropy loss): ember vs torch, same weights, one run.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_mlp.py [--threads N]

``--threads`` sets both libraries' intra-op threads (torch.set_num_threads and NumPy's BLAS pool via
threadpoolctl); the default is each library's own default (all cores).

Prints the median time per step of each library and the ratio ember/torch (lower is better), and the
"matmul floor": the same step's matrix products alone, in NumPy (forward x·Wᵀ per layer; backward gᵀ·x per
layer and g·W for every layer but the first), timed in the same rounds. No implementation on this BLAS can
run the step faster than its products; floor/torch is the lowest ratio ember could reach.

A second table times the whole training step with an Adam update (not part of the issue's target).

Timing: benchmarks/_timing.py (alternating samples, each settled so that the other library's idle BLAS/OpenMP
threads have stopped spinning).
"""
from __future__ import annotations

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from _timing import compare  # noqa: E402

import ember  # noqa: E402
import ember.nn as enn  # noqa: E402
import ember.optim  # noqa: E402


def build(sizes, lib):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(lib.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(lib.ReLU())
    return lib.Sequential(*layers)


def cross_entropy(logits, target, F):
    return F.cross_entropy(logits, target)


def case(sizes, batch, repeat=25):
    rng = np.random.default_rng(0)
    tm = build(sizes, torch.nn)
    em = build(sizes, enn)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = rng.standard_normal((batch, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], batch)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    ex, ey = ember.from_numpy(x), ember.from_numpy(y)
    tF = torch.nn.functional
    eF = ember.nn.functional
    if not hasattr(eF, "cross_entropy"):  # until the losses land: the same composite in both libraries
        def ce(logits, target, F):
            return -F.log_softmax(logits, 1).gather(1, target.reshape(-1, 1)).mean()
    else:
        ce = cross_entropy

    def t_step():
        tm.zero_grad()
        ce(tm(tx), ty, tF).backward()

    def e_step():
        em.zero_grad()
        ce(em(ex), ey, eF).backward()

    # same numbers first
    t_step(), e_step()
    for (n, tp), ep in zip(tm.named_parameters(), em.parameters()):
        np.testing.assert_allclose(ep.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=n)
    weights = [tp.detach().numpy().copy() for n, tp in tm.named_parameters() if n.endswith("weight")]
    acts, grads = [x], []
    for w in weights:
        acts.append(np.maximum(acts[-1] @ w.T, 0))
        grads.append(rng.standard_normal(acts[-1].shape, dtype=np.float32))

    def products():
        for a, w in zip(acts, weights):
            a @ w.T
        for i, (a, g, w) in enumerate(zip(acts, grads, weights)):
            g.T @ a
            if i:
                g @ w

    grad_only = compare({"torch": t_step, "ember": e_step, "floor": products}, repeat=repeat)

    t_opt, e_opt = torch.optim.Adam(tm.parameters(), lr=1e-3), ember.optim.Adam(em.parameters(), lr=1e-3)

    def t_train():
        t_step()
        t_opt.step()

    def e_train():
        e_step()
        e_opt.step()

    return grad_only, compare({"torch": t_train, "ember": e_train}, repeat=repeat)


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
    print(f"{'model':<22}{'batch':>6}{'torch ms':>10}{'ember ms':>10}{'ember/torch':>13}{'floor ms':>10}"
          f"{'floor/torch':>13}")
    train = []
    for sizes, batch in (((784, 256, 256, 10), 128), ((64, 64, 64, 10), 32)):
        med, med_train = case(sizes, batch)
        name = "-".join(map(str, sizes))
        train.append((name, batch, med_train))
        print(f"{name:<22}{batch:>6}{med['torch'] * 1e3:>10.3f}{med['ember'] * 1e3:>10.3f}{med['ember'] / med['torch']:>13.2f}"
              f"{med['floor'] * 1e3:>10.3f}{med['floor'] / med['torch']:>13.2f}")
    print("\nwhole training step: zero_grad, forward, cross-entropy, backward, Adam(lr=1e-3).step() (torch's default "
          "foreach Adam)")
    for name, batch, med in train:
        print(f"{name:<22}{batch:>6}{med['torch'] * 1e3:>10.3f}{med['ember'] * 1e3:>10.3f}{med['ember'] / med['torch']:>13.2f}")


if __name__ == "__main__":
    main()
