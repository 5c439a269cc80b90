"""Forward + backward of CTCLoss, EmbeddingBag and FractionalMaxPool2d (issue #19), ember vs torch, float32, in one run.

    CTCLoss                          log_softmax of (100, 16, 30) logits, padded targets of length 10..20
    EmbeddingBag(10000, 64, 'mean')  256 bags of 20 indices (2-D input)
    FractionalMaxPool2d(3, ½)        input (16, 16, 32, 32), fixed _random_samples

Each timing is one forward and one backward (gradients reset to None first), timed by benchmarks/_timing.py
(alternating, settled samples); the table prints the medians and the ratio ember / torch. The machine is shared
and noisy: compare ratios, rerun to confirm.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_ctc_bags.py
"""
from __future__ import annotations

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from _timing import compare  # noqa: E402

import ember  # noqa: E402


def _ctc(lib, rng):
    T, N, C = 100, 16, 30
    x = lib.tensor(rng.standard_normal((T, N, C), dtype=np.float32), requires_grad=True)
    tg, il, tl = lib.tensor(rng.integers(1, C, (N, 20))), lib.tensor(np.full(N, T)), lib.tensor(rng.integers(10, 21, N))

    def step():
        x.grad = None
        lib.nn.functional.ctc_loss(x.log_softmax(2), tg, il, tl).backward()
    return step, lambda: x.grad


def _bag(lib, rng):
    w = lib.tensor(rng.standard_normal((10000, 64), dtype=np.float32), requires_grad=True)
    idx = lib.tensor(rng.integers(0, 10000, (256, 20)))
    v = lib.tensor(rng.standard_normal((256, 64), dtype=np.float32))

    def step():
        w.grad = None
        (lib.nn.functional.embedding_bag(idx, w, mode="mean") * v).sum().backward()
    return step, lambda: w.grad


def _fractional(lib, rng):
    x = lib.tensor(rng.standard_normal((16, 16, 32, 32), dtype=np.float32), requires_grad=True)
    u = lib.tensor(rng.random((16, 16, 2), dtype=np.float32))
    v = lib.tensor(rng.standard_normal((16, 16, 16, 16), dtype=np.float32))

    def step():
        x.grad = None
        (lib.nn.functional.fractional_max_pool2d(x, 3, output_ratio=(0.5, 0.5), _random_samples=u) * v).sum().backward()
    return step, lambda: x.grad


def main():
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}; median ms per "
          "forward+backward")
    print("| case (float32)                              | ember ms  | torch ms  | ratio |")
    print("|---------------------------------------------|-----------|-----------|-------|")
    for name, make in (("CTCLoss (100, 16, 30), targets 10..20", _ctc), ("EmbeddingBag(10000, 64) 256 bags x 20", _bag),
                       ("FractionalMaxPool2d(3, 1/2) (16, 16, 32, 32)", _fractional)):
        (e_step, e_grad), (t_step, t_grad) = make(ember, np.random.default_rng(0)), make(torch, np.random.default_rng(0))
        e_step(), t_step()
        assert np.allclose(e_grad().numpy(), t_grad().numpy(), rtol=1e-3, atol=1e-5), name
        med = compare({"ember": e_step, "torch": t_step}, repeat=7)
        e, t = med["ember"] * 1e3, med["torch"] * 1e3
        print(f"| {name:<43} | {e:9.3f} | {t:9.3f} | {e / t:5.2f}x |", flush=True)


if __name__ == "__main__":
    main()
