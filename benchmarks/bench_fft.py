"""Forward + backward of Fourier transforms, ember vs torch on the same float32 data, in one run.

    fft    complex64 (64, 4096) along the last dim        loss Σ |fft(x)|²
    rfft   float32 (64, 4096)                              loss Σ |rfft(x)|²
    irfft  complex64 (64, 2049) → float32 (64, 4096)       loss Σ irfft(x)²
    fft2   complex64 (16, 256, 256)                        loss Σ |fft2(x)|²
    small  rfft of float32 (8, 64): per-call overhead

Each timing is one forward and one backward (the input's gradient reset to None first), timed by
benchmarks/_timing.py (alternating, settled samples); the table prints the medians and the ratio ember / torch.
ember's transforms are NumPy's pocketfft, torch's are MKL's. The machine is shared and noisy: compare ratios,
rerun to confirm.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_fft.py
"""
from __future__ import annotations

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from _timing import compare  # noqa: E402

import ember  # noqa: E402


def _loss(lib, out):
    return (out.abs() ** 2).sum() if out.is_complex() else (out ** 2).sum()


def _case(name, fn, x):
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)

    def e_step():
        ex.grad = None
        _loss(ember, fn(ember, ex)).backward()

    def t_step():
        tx.grad = None
        _loss(torch, fn(torch, tx)).backward()

    t = compare({"ember": e_step, "torch": t_step}, repeat=7)
    print(f"| {name} | {t['ember'] * 1e3:.3f} | {t['torch'] * 1e3:.3f} | {t['ember'] / t['torch']:.2f} |")


def main():
    rng = np.random.default_rng(0)
    c = lambda *s: (rng.standard_normal(s) + 1j * rng.standard_normal(s)).astype(np.complex64)  # noqa: E731
    print(f"ember vs torch {torch.__version__}, threads: torch {torch.get_num_threads()}")
    print("| case | ember ms | torch ms | ratio |")
    print("| --- | ---: | ---: | ---: |")
    _case("fft (64, 4096)", lambda L, x: L.fft.fft(x), c(64, 4096))
    _case("rfft (64, 4096)", lambda L, x: L.fft.rfft(x), rng.standard_normal((64, 4096)).astype(np.float32))
    _case("irfft (64, 2049) -> 4096", lambda L, x: L.fft.irfft(x), c(64, 2049))
    _case("fft2 (16, 256, 256)", lambda L, x: L.fft.fft2(x), c(16, 256, 256))
    _case("small rfft (8, 64)", lambda L, x: L.fft.rfft(x), rng.standard_normal((8, 64)).astype(np.float32))


if __name__ == "__main__":
    main()
