"""CNN training steps, ember vs torch, in one run.

Models (both libraries get the same weights and data; benchmarks/_timing.py times them in alternating,
settled samples and prints medians and the ratio ember/torch):

- LeNet-style (conv16-conv32-fc10): Conv2d(1→16, k3) → ReLU → MaxPool2d(2) → Conv2d(16→32, k3) → ReLU →
  MaxPool2d(2) → Flatten → Linear(800→10), batch 64 on 1×28×28; a step with SGD, a step with Adam, and
  forward + cross-entropy + backward alone (the layers' share without the optimizer's).
- 1-d CNN: Conv1d(1→25, k5) → ReLU → Conv1d(25→25, k3) → ReLU → Conv1d(25→25, k3) → ReLU (all stride 2,
  padding 1) → Flatten → Linear(125→10), batch 100 on length 40; a step with Adam.
- Residual block: x → Conv2d(64→64, 3×3, pad 1, no bias) → BatchNorm2d → ReLU → Conv2d → BatchNorm2d → + x →
  ReLU, batch 32 on 64×32×32 (train mode); forward + mean + backward.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_cnn.py [--repeats 15] [--batch 64]
      [--threads N]   (N threads for torch, OpenBLAS (via threadpoolctl), numba and ember; default: each library's own)
      [--only lenet|conv1d|resblock]
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


def build_conv1d(nn):
    return nn.Sequential(
        nn.Conv1d(1, 25, 5, stride=2, padding=1), nn.ReLU(),
        nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(125, 10),
    )


def build_resblock(nn):
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU()
            self.conv2 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(64)

        def forward(self, x):
            y = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(y)) + x)

    return Block()


def make_step(lib, model, x, y, lr=0.01, optimizer="SGD"):
    F = lib.nn.functional
    params = list(model.parameters())
    opt = getattr(lib.optim, optimizer)(params, lr=lr)

    def loss_fn(out):
        return out.mean() if y is None else F.cross_entropy(out, y)

    def step(update=True):
        opt.zero_grad()
        loss = loss_fn(model(x))
        loss.backward()
        if update:
            opt.step()
        return loss

    return step


def pair(torch, ember, build_fn, xs, ys, optimizer):
    torch.manual_seed(0)
    tmodel = build_fn(torch.nn)
    emodel = build_fn(ember.nn)
    emodel.load_state_dict({k: v.detach().numpy().copy() for k, v in tmodel.state_dict().items()})
    ty = None if ys is None else torch.from_numpy(ys)
    ey = None if ys is None else ember.from_numpy(ys)
    tstep = make_step(torch, tmodel, torch.from_numpy(xs), ty, optimizer=optimizer)
    estep = make_step(ember, emodel, ember.from_numpy(xs), ey, optimizer=optimizer)
    lt, le = tstep(False).item(), estep(False).item()
    assert abs(lt - le) < 1e-4 * max(1.0, abs(lt)), (lt, le)  # same model, same data: same first loss
    for _ in range(3):
        tstep(), estep()
    return tstep, estep


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--only", default=None)
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
    rng = np.random.default_rng(0)

    def report(label, estep, tstep, update):
        med = compare({"ember": partial(estep, update), "torch": partial(tstep, update)}, repeat=args.repeats)
        me, mt = med["ember"] * 1e3, med["torch"] * 1e3
        print(f"  {label}: ember {me:7.2f} ms   torch {mt:7.2f} ms   ratio ember/torch {me / mt:.2f}", flush=True)

    print(f"{args.repeats} samples each (torch threads: {torch.get_num_threads()})")
    if args.only in (None, "lenet"):
        xs = rng.standard_normal((args.batch, 1, 28, 28)).astype(np.float32)
        ys = rng.integers(0, 10, args.batch)
        print(f"LeNet-style CNN (conv16-conv32-fc10), batch {args.batch}, 1x28x28")
        tstep, estep = pair(torch, ember, build, xs, ys, "SGD")
        report("training step (fwd + CE loss + bwd + SGD)", estep, tstep, True)
        report("fwd + CE loss + bwd only", estep, tstep, False)
        tstep, estep = pair(torch, ember, build, xs, ys, "Adam")
        report("training step (fwd + CE loss + bwd + Adam)", estep, tstep, True)
    if args.only in (None, "conv1d"):
        xs = rng.standard_normal((100, 1, 40)).astype(np.float32)
        ys = rng.integers(0, 10, 100)
        print("1-d CNN (Conv1d 1-25-25-25, k 5/3/3, stride 2, pad 1, + Linear), batch 100, length 40")
        tstep, estep = pair(torch, ember, build_conv1d, xs, ys, "Adam")
        report("training step (fwd + CE loss + bwd + Adam)", estep, tstep, True)
    if args.only in (None, "resblock"):
        xs = rng.standard_normal((32, 64, 32, 32)).astype(np.float32)
        print("residual block (conv3x3 64-64, BN, ReLU, conv3x3, BN, add, ReLU), batch 32, 64x32x32")
        tstep, estep = pair(torch, ember, build_resblock, xs, None, "SGD")
        report("fwd + mean + bwd", estep, tstep, False)
        # the matmul floor of im2col + GEMM: the five products of the step (two forward, two weight gradients,
        # one input gradient; x needs none) in NumPy alone, no im2col/col2im, BatchNorm or ReLU (ember's
        # numba path runs these convolutions as Winograd F(2x2, 3x3), with 2.25x fewer multiplications)
        w = rng.standard_normal((64, 576)).astype(np.float32)
        cols = rng.standard_normal((576, 32 * 32 * 32)).astype(np.float32)
        g = rng.standard_normal((64, 32 * 32 * 32)).astype(np.float32)

        def floor(update=False):
            for _ in range(2):
                np.matmul(w, cols)
                np.matmul(g, cols.T)
            np.matmul(w.T, g)

        report("its 5 im2col GEMMs alone in NumPy (floor)", floor, tstep, False)


if __name__ == "__main__":
    main()
