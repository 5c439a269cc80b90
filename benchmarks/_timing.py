"""The one timing harness of the benchmarks: interleaved, settled samples; medians.

Two libraries timed in one process disturb each other through their thread pools. After a call returns,
OpenBLAS's worker threads (NumPy's BLAS) spin for about 0.1 s and torch's OpenMP workers spin too; on a
2-core machine a parallel region of the *other* library then waits for a core that a spinning thread holds.
Measured here (784-256-256-10 MLP step, 2 threads): the first torch step right after a burst of ember steps
took 108 ms instead of 1.3 ms, the first ember step after torch 17 ms instead of 1.2 ms. Timing A and B in
alternation without a pause therefore measures these stalls, not the libraries.

``compare`` keeps the alternation (A, B, A, B, ...: slow drifts of machine load hit all alike) but *settles*
each sample: before its timed calls, a callable runs untimed for ``settle_s`` seconds, long enough for the
other library's idle workers to go to sleep. Every callable gets the same treatment.
"""
from __future__ import annotations

import statistics
import time


def calls_per_sample(fn, min_sample_s: float) -> int:
    """How many calls of ``fn`` last about ``min_sample_s`` seconds (at least one)."""
    fn()
    t0 = time.perf_counter()
    fn()
    return max(1, int(min_sample_s / max(time.perf_counter() - t0, 1e-7)))


def compare(fns: dict, *, repeat: int = 15, number: int | dict | None = None, min_sample_s: float = 0.02,
            settle_s: float = 0.2) -> dict:
    """Median seconds per call of each callable in ``fns`` (name -> callable).

    ``repeat`` samples per callable, taken in alternation; a sample is the mean over ``number`` back-to-back
    calls (an int for all, a dict per name, or None: as many as last ``min_sample_s``), preceded by
    ``settle_s`` seconds of untimed calls of the same callable (see the module docstring).
    """
    if number is None:
        number = {k: calls_per_sample(fn, min_sample_s) for k, fn in fns.items()}
    elif isinstance(number, int):
        number = dict.fromkeys(fns, number)
    samples = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            end = time.perf_counter() + settle_s
            fn()
            while time.perf_counter() < end:
                fn()
            t0 = time.perf_counter()
            for _ in range(number[k]):
                fn()
            samples[k].append((time.perf_counter() - t0) / number[k])
    return {k: statistics.median(v) for k, v in samples.items()}
