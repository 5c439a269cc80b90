"""Shared timing helper for the benchmarks: interleaved repeats, medians."""
from __future__ import annotations

import statistics
import time


def median_time(fn, *, repeat: int = 30, number: int = 10, warmup: int = 3) -> float:
    """Median over ``repeat`` runs of the mean time of ``number`` calls of ``fn`` (seconds)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def compare(fns: dict, *, repeat: int = 30, number: int = 10) -> dict:
    """Time several callables interleaved (A B A B ...) so machine noise hits all alike; medians in seconds."""
    for fn in fns.values():
        for _ in range(3):
            fn()
    samples = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            samples[k].append((time.perf_counter() - t0) / number)
    return {k: statistics.median(v) for k, v in samples.items()}
