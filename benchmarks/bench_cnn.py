"""Training step of a LeNet-style CNN, ember vs torch, in one run.

Model: Conv2d(1→16, k3) → ReLU → MaxPool2d(2) → Conv2d(16→32, k3) → ReLU → MaxPool2d(2) → Flatten →
Linear(800→10); one step = forward, cross-entropy loss, backward, SGD step, at batch 64 on 1×28×28.
Both libraries get the same weights and data; benchmarks/_timing.py times them (alternating samples, each
settled so that the other library's idle worker threads have stopped spinning). Prints medians and the ratio
ember/torch.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_cnn.py [--repeats 15] [--batch 64]
      [--threads N]   (N threads for torch, OpenBLAS (via threadpoolctl), numba and ember; default: each library's own)

Also timed: the same step without the optimizer (forward + loss + backward), so that the layers'
share and the optimizer's share can be told apart.
"""
from __future__ import annotations

import argparse
import os
import sys
from functools import partial

import numpy as np


def build(nn):
    return nn.Sequential(
        nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(800, 10),
    )


def make_step(lib, model, x, y, lr=0.01):
    F = lib.nn.functional
    ce = getattr(F, "cross_entropy", None)
    params = list(model.parameters())
    opt = lib.optim.SGD(params, lr=lr) if hasattr(getattr(lib, "optim", None), "SGD") else None

    def loss_fn(out):
        if ce is not None:
            return ce(out, y)
        return -F.log_softmax(out, dim=1).gather(1, y.reshape(-1, 1)).mean()

    def step(update=True):
        if opt is not None:
            opt.zero_grad()
        else:
            for p in params:
                p.grad = None
        loss = loss_fn(model(x))
        loss.backward()
        if not update:
            return loss
        if opt is not None:
            opt.step()
        else:
            with lib.no_grad():
                for p in params:
                    p.add_(p.grad, alpha=-lr)
        return loss

    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads:
        os.environ["NUMBA_NUM_THREADS"] = str(args.threads)
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)

    import torch

    sys.path.insert(0, os.path.dirname(__file__))
    from _timing import compare

    import ember
    import ember.nn
    import ember.optim

    if args.threads:
        torch.set_num_threads(args.threads)
        if hasattr(ember, "set_num_threads"):
            ember.set_num_threads(args.threads)
    torch.manual_seed(0)
    tmodel = build(torch.nn)
    emodel = build(ember.nn)
    emodel.load_state_dict({k: v.detach().numpy().copy() for k, v in tmodel.state_dict().items()})
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((args.batch, 1, 28, 28)).astype(np.float32)
    ys = rng.integers(0, 10, args.batch)
    tstep = make_step(torch, tmodel, torch.from_numpy(xs), torch.from_numpy(ys))
    estep = make_step(ember, emodel, ember.from_numpy(xs), ember.from_numpy(ys))

    lt, le = tstep().item(), estep().item()
    assert abs(lt - le) < 1e-4 * max(1.0, abs(lt)), (lt, le)  # same model, same data: same first loss
    for _ in range(5):
        tstep(), estep()
    print(f"LeNet-style CNN, batch {args.batch}, 1x28x28, {args.repeats} samples (torch threads: "
          f"{torch.get_num_threads()})")
    for label, update in (("training step (fwd + CE loss + bwd + SGD)", True), ("fwd + CE loss + bwd only", False)):
        med = compare({"ember": partial(estep, update), "torch": partial(tstep, update)}, repeat=args.repeats)
        me, mt = med["ember"] * 1e3, med["torch"] * 1e3
        print(f"  {label}: ember {me:7.2f} ms   torch {mt:7.2f} ms   ratio ember/torch {me / mt:.2f}")


if __name__ == "__main__":
    main()
