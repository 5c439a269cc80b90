"""OpenBLAS on one thread against two, on the matrix products of the sequence layers (issue #13).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_blas_threads.py

The products are those of benchmarks/bench_sequence.py: an LSTM step's h·W_hhᵀ (32, 128)·(128, 512) and its
backward dG·W_hh (32, 512)·(512, 128); the TransformerEncoderLayer's input projection (2048, 128)·(128, 384), its
first feed-forward product (2048, 128)·(128, 512) and a weight gradient xᵀ·g (128, 2048)·(2048, 512). Each product
runs in a loop under ``ember._threads.blas_threads(n)`` for n = 1 and 2, the two alternating 7 times; prints the
medians and the ratio two/one (above 1: the second thread costs more than it gives).
"""
from __future__ import annotations

import time

import numpy as np

from ember._threads import blas_threads


def cases(rng):
    f = np.float32
    m = lambda *s: rng.standard_normal(s, dtype=f)  # noqa: E731
    return {
        "LSTM step h·W_hhᵀ (32x128)·(128x512)": (m(32, 128), m(128, 512), 200),
        "LSTM step dG·W_hh (32x512)·(512x128)": (m(32, 512), m(512, 128), 200),
        "encoder q,k,v (2048x128)·(128x384)": (m(2048, 128), m(128, 384), 10),
        "encoder ff1 (2048x128)·(128x512)": (m(2048, 128), m(128, 512), 10),
        "encoder xᵀ·g (128x2048)·(2048x512)": (m(2048, 128).T, m(2048, 512), 10),
    }


def per_product(a, b, reps, n):
    out = np.empty((a.shape[0], b.shape[1]), a.dtype)
    with blas_threads(n):
        np.matmul(a, b, out=out)
        start = time.perf_counter()
        for _ in range(reps):
            np.matmul(a, b, out=out)
        return (time.perf_counter() - start) / reps


def main():
    print(f"{'product':<40}{'1 thread us':>13}{'2 threads us':>14}{'2/1':>7}")
    for name, (a, b, reps) in cases(np.random.default_rng(0)).items():
        times = {1: [], 2: []}
        for _ in range(7):
            for n in (1, 2):
                times[n].append(per_product(a, b, reps, n))
        one, two = np.median(times[1]) * 1e6, np.median(times[2]) * 1e6
        print(f"{name:<40}{one:>13.1f}{two:>14.1f}{two / one:>7.2f}")


if __name__ == "__main__":
    main()
