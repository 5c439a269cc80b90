"""glibc malloc settings for array workloads: keep freed array memory for reuse instead of returning it.

A training step allocates and frees the same multi-megabyte arrays every step (activations, their gradients).
glibc's malloc serves blocks above its mmap threshold (128 KiB at start, raised adaptively up to 32 MiB) with
fresh mappings and gives the top of its heap back to the OS once more than its trim threshold (twice the mmap
threshold) lies free there. Freed activations end up returned, so the next step faults every page in again
and the kernel zeroes it: a large part of a small CNN's step (benchmarks/NOTES.md).

``tune()`` starts glibc at the values its own adaptive policy grows to (mmap threshold 32 MiB, trim threshold
64 MiB) with ``mallopt``: arrays up to 32 MiB come from the heap, and up to 64 MiB of freed heap is kept for the
next step. Larger arrays are still mapped and returned on free. It runs once at ``import ember`` on Linux with
glibc, unless ``EMBER_MALLOC_TUNING=0`` or the user set glibc's own ``MALLOC_MMAP_THRESHOLD_`` /
``MALLOC_TRIM_THRESHOLD_`` (then theirs apply). The setting is process-wide: other libraries in the process (a
torch model beside an ember one) allocate under it too.
``benchmarks/bench_cnn.py`` measures the effect (figures in benchmarks/NOTES.md).
"""
from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers (malloc.h)
MMAP_THRESHOLD = 32 << 20  # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
TRIM_THRESHOLD = 64 << 20  # twice that, as glibc's adaptive rule sets it

tuned = False  # whether tune() applied the settings in this process


def tune() -> bool:
    """Apply the settings (see the module docstring); returns whether they were applied."""
    global tuned
    if tuned:
        return True
    if not sys.platform.startswith("linux") or os.environ.get("EMBER_MALLOC_TUNING", "1").strip() == "0":
        return False
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # glibc only: other C libraries' mallopt numbers differ  # noqa: B018
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    tuned = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return tuned
