"""Forward + backward of three losses, ember vs torch on the same float32 data, in one run.

    CrossEntropyLoss   logits (4096, 1000), class-index targets
    BCEWithLogitsLoss  logits (4096, 100), soft targets
    MSELoss            1,000,000 values

Each timing is one forward and one backward (the gradient of the input reset to None first), timed by
benchmarks/_timing.py (alternating, settled samples); the table prints the medians and the ratio ember / torch
(target: ≤ 1.0). The machine is shared and noisy: compare ratios, rerun to confirm.
EMBER_NUM_THREADS=1 measures ember's single-threaded path. With numba installed, each loss runs its optional
numba kernels; a second row then times the NumPy-only path (EMBER_DISABLE_NUMBA=1 gives that path only).

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_losses.py
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


def _case(name, e_loss, t_loss, x, target):
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    et, tt = ember.tensor(target), torch.tensor(target)

    def e_step():
        ex.grad = None
        e_loss(ex, et).backward()

    def t_step():
        tx.grad = None
        t_loss(tx, tt).backward()

    e_step(), t_step()
    assert np.allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-7), name
    med = compare({"ember": e_step, "torch": t_step})
    e, t = med["ember"] * 1e3, med["torch"] * 1e3
    print(f"| {name:<44} | {e:9.3f} | {t:9.3f} | {e / t:5.2f}x |")


def main():
    rng = np.random.default_rng(0)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}; median ms per "
          "forward+backward")
    print("| loss (float32)                               | ember ms  | torch ms  | ratio |")
    print("|----------------------------------------------|-----------|-----------|-------|")
    from ember.autograd.ops import loss as L
    numba_on = L._load_kernels() is not None
    cases = [
        ("CrossEntropyLoss (4096, 1000)", enn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(),
         lambda: (rng.standard_normal((4096, 1000), dtype=np.float32), rng.integers(0, 1000, 4096))),
        ("BCEWithLogitsLoss (4096, 100)", enn.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss(),
         lambda: (rng.standard_normal((4096, 100), dtype=np.float32), rng.random((4096, 100), dtype=np.float32))),
        ("MSELoss (1,000,000)", enn.MSELoss(), torch.nn.MSELoss(),
         lambda: (rng.standard_normal(1_000_000, dtype=np.float32), rng.standard_normal(1_000_000, dtype=np.float32))),
    ]
    for name, e_loss, t_loss, make in cases:
        _case(name, e_loss, t_loss, *make())
        if numba_on:  # the same loss without the optional numba kernels
            L._set_numba(False)
            _case(name + ", NumPy only", e_loss, t_loss, *make())
            L._set_numba(True)

if __name__ == "__main__":
    main()
