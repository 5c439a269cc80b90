"""One-pass numba kernels for the metrics' hot updates, each with the NumPy code it replaces as the fallback.

    argmax_confmat(preds (n, C), target (n,)) -> confmat[t, argmax_j preds[i, j]] counts, and a status (C ≤ 64)
        argmax takes the first maximum (torch's tie rule); the same pass flags NaN scores and targets outside
        [0, C) that are not ``ignore_index``, so the inputs are read once instead of once per check.
    sum_squared_difference(p, t) -> Σ (p − t)²    (float32 partial sums over short blocks, float64 across them)
    auroc_rank(scores (L, n) in [0, 1], flags) -> per row the Mann-Whitney U, #positives, #negatives, from a radix
        sort of (score bits << 2 | flag) keys and one scan over tie groups (exact AUROC = U / (P·N))

The callers run the NumPy path whenever a kernel is unavailable or reports a problem (NaN, bad target, scores
outside [0, 1]), so that errors and their messages come from one place. Kernels run single-threaded below
PARALLEL_MIN elements and compile lazily on first use (cached on disk); importing ember never imports numba. ``EMBER_DISABLE_NUMBA=1`` (or ``set_enabled(False)``) turns them off.
Each kernel is registered in ember._numba against a NumPy reference of its math (tests/test_kernel_registry.py
checks them against each other); ``tests/metrics/test_metric_kernels.py`` checks the metrics on both paths.
"""
from __future__ import annotations

import numpy as np

from .. import _numba
from .._numba import fast_variant_of, set_enabled  # noqa: F401  (set_enabled: the shared switch)

PARALLEL_MIN = 1 << 22  # below this many elements a kernel runs single-threaded: waking threads, and waiting
# for a descheduled one on a busy machine, costs more than the serial pass (benchmarks/bench_metrics.py)
FUSED_MAX_CLASSES = 64  # per-thread C×C histograms up to this C; above it the NumPy path is faster

OK, HAS_NAN, BAD_TARGET = 0, 1, 2  # status bits


def numba_available():
    """True when numba imports and has not been disabled."""
    return _numba.available()


def _blocks(parallel):
    return _numba.module().get_num_threads() if parallel else 1


prange = range  # numba.prange in the parallel compilations


# ------------------------------------------------------------------------------------------ multiclass argmax
def argmax_histogram(preds, target, num_classes, ignore_index, n_blocks):
    """Reference: (counts (C·C,) of (tᵢ, aᵢ) over rows with 0 ≤ tᵢ < C and tᵢ ≠ ignore_index, status), where aᵢ is
    the first maximum of row i, NaN never winning (a NaN first element stays the winner); status has HAS_NAN when
    some score is NaN and BAD_TARGET when some target is outside [0, C) and not ignore_index."""
    nan = np.isnan(preds)
    a = np.where(nan[:, 0], 0, np.where(nan, -np.inf, preds).argmax(1))
    ok = (target >= 0) & (target < num_classes)
    keep = ok & (target != ignore_index)
    counts = np.bincount(target[keep] * num_classes + a[keep], minlength=num_classes * num_classes)
    status = (HAS_NAN if nan.any() else 0) | (BAD_TARGET if (~ok & (target != ignore_index)).any() else 0)
    return counts.astype(np.int64), status


def _argmax_example(rng, dtype):
    for n, c, ignore in ((1, 2, -100), (7, 3, 1), (1001, 10, -100), (500, 64, 3)):
        preds = rng.standard_normal((n, c)).astype(dtype)
        target = rng.integers(0, c, n)
        yield (preds, target, np.int64(c), np.int64(ignore), np.int64(min(2, n))), {"parallel": False}
        ties = np.round(preds)  # several equal maxima per row
        target[::5] = ignore
        yield (ties, target, np.int64(c), np.int64(ignore), np.int64(min(2, n))), {"parallel": True}
    bad = rng.standard_normal((9, 4)).astype(dtype)
    bad[2, 0], bad[5, 3] = np.nan, np.nan
    yield (bad, np.array([0, 1, 2, 3, 4, 1, 2, -1, 0]), np.int64(4), np.int64(-100), np.int64(2)), {"parallel": False}


@fast_variant_of(argmax_histogram, parallel=None, example=_argmax_example)
def _argmax_hist_kernel(preds, target, num_classes, ignore_index, n_blocks):
    """Per row: argmax (first maximum) and C×C counts of (target, argmax) in one histogram per block of rows,
    flagging NaN scores and targets outside [0, C) that are not ignore_index. Returns (counts (C·C,), status).

    Two rows go through the column loop together (branch-free selects): their dependency chains interleave
    (faster than one row at a time: benchmarks/bench_metrics.py). Full pairs of rows, then the odd last row of a
    block as a pair with itself, counted once."""
    n, c = preds.shape
    size = num_classes * num_classes
    hist = np.zeros((n_blocks, size), np.int64)
    status = np.zeros(n_blocks, np.int64)
    for b in prange(n_blocks):
        lo, hi = b * n // n_blocks, (b + 1) * n // n_blocks
        h = np.zeros(size, np.int64)
        flag = 0
        n_pairs = (hi - lo + 1) // 2
        for k in range(n_pairs):
            i0 = lo + 2 * k
            last = i0 + 1 >= hi
            i1 = i0 if last else i0 + 1
            r0, r1 = preds[i0], preds[i1]
            b0, b1 = r0[0], r1[0]
            a0, a1 = 0, 0
            nan = (b0 != b0) | (b1 != b1)
            for j in range(1, c):
                v0, v1 = r0[j], r1[j]
                nan |= (v0 != v0) | (v1 != v1)
                u0, u1 = v0 > b0, v1 > b1
                b0 = v0 if u0 else b0
                a0 = j if u0 else a0
                b1 = v1 if u1 else b1
                a1 = j if u1 else a1
            if nan:
                flag |= 1
            t0, t1 = target[i0], target[i1]
            ok0, ok1 = 0 <= t0 < num_classes, 0 <= t1 < num_classes
            if not (ok0 and ok1):  # rare: out of range (an error unless it is ignore_index)
                if not ((ok0 or t0 == ignore_index) and (ok1 or t1 == ignore_index)):
                    flag |= 2
            if ok0 and t0 != ignore_index:
                h[t0 * num_classes + a0] += 1
            if ok1 and t1 != ignore_index and not last:
                h[t1 * num_classes + a1] += 1
        hist[b] = h
        status[b] = flag
    total = np.zeros(size, np.int64)
    s = 0
    for b in range(n_blocks):
        total += hist[b]
        s |= status[b]
    return total, s


def argmax_confmat(preds, target, num_classes, ignore_index=None):
    """(confmat (C, C) int64 of (target, first-argmax) pairs over rows whose target is not ignore_index, status)
    for float preds (n, C) and integer targets (n,); None when numba is unavailable or C > FUSED_MAX_CLASSES
    (there NumPy's argmax + bincount is faster than per-thread C×C histograms)."""
    if not numba_available() or num_classes > FUSED_MAX_CLASSES:
        return None
    preds = np.ascontiguousarray(preds)
    target = np.ascontiguousarray(target)
    parallel = preds.size >= PARALLEL_MIN
    ignore = np.int64(ignore_index) if ignore_index is not None else np.int64(np.iinfo(np.int64).min)
    n_blocks = min(_blocks(parallel), preds.shape[0])
    kernel = _numba.compiled(_argmax_hist_kernel, parallel=parallel)
    counts, status = kernel(preds, target, np.int64(num_classes), ignore, n_blocks)
    if status:
        return None, status
    return counts.reshape(num_classes, num_classes), OK


# ----------------------------------------------------------------------------------------- squared difference
_BLOCK = 2048  # elements per float32 partial sum


def squared_difference_sum(p, t):
    """Reference: Σ (p − t)² (float64)."""
    d = (p - t).astype(np.float64)
    return np.dot(d, d)


def _ssd_example(rng, dtype):
    for n, parallel in ((1, False), (5000, False), (100_003, True)):
        yield (rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)), {"parallel": parallel}


@fast_variant_of(squared_difference_sum, parallel=None, fastmath={"reassoc", "nsz", "arcp", "contract"},
                 example=_ssd_example, dtypes=("float32",), rtol={"float32": 1e-5},
                 why="float32 partial sums of 2048 squares in any order (reassoc) against one float64 sum")
def _ssd_kernel(p, t):
    n = p.size
    n_blocks = (n + _BLOCK - 1) // _BLOCK
    partial = np.zeros(n_blocks, np.float64)
    for b in prange(n_blocks):
        ps, ts = p[b * _BLOCK:(b + 1) * _BLOCK], t[b * _BLOCK:(b + 1) * _BLOCK]
        acc = np.float32(0)
        for i in range(ps.size):  # from 0: no negative-index wraparound, so LLVM vectorizes the reduction
            d = ps[i] - ts[i]
            acc += d * d
        partial[b] = acc
    return partial.sum()


def sum_squared_difference(p, t):
    """Σ (p − t)² of two float32 arrays as float64, or None when numba is unavailable (or not float32)."""
    if not numba_available() or p.dtype != np.float32 or t.dtype != np.float32:
        return None
    kernel = _numba.compiled(_ssd_kernel, parallel=p.size >= PARALLEL_MIN)
    return np.float64(kernel(np.ascontiguousarray(p).reshape(-1), np.ascontiguousarray(t).reshape(-1)))


# ------------------------------------------------------------------------------------------------ exact AUROC
def auroc_ranks(bits, flags, u, n_pos, n_neg):
    """Reference: per row, u = Σ over positives (flag 2) of (#negatives (flag 1) scored lower + ½·#scored equal),
    n_pos and n_neg their counts, into the given arrays row by row; False at the first row with a score (the
    float32 of ``bits``) outside [0, 1] or NaN."""
    scores = bits.view(np.float32)
    for row in range(bits.shape[0]):
        if not ((scores[row] >= 0) & (scores[row] <= 1)).all():
            return False
        neg = np.sort(scores[row][flags[row] == 1])
        pos = scores[row][flags[row] == 2]
        below, upto = np.searchsorted(neg, pos, "left"), np.searchsorted(neg, pos, "right")
        u[row], n_pos[row], n_neg[row] = below.sum() + 0.5 * (upto - below).sum(), pos.size, neg.size
    return True


def _auroc_example(rng, dtype):
    for rows, n, levels in ((1, 1, 0), (3, 500, 0), (2, 3000, 20)):
        scores = rng.random((rows, n)).astype(np.float32)
        if levels:
            scores = np.round(scores * levels) / levels  # ties
        scores[:, ::7] = -0.0 if n > 7 else scores[:, ::7]
        flags = rng.integers(0, 3, (rows, n)).astype(np.uint8)
        yield (scores.view(np.uint32), flags, *np.zeros((3, rows))), {}
    bad = rng.random((2, 50)).astype(np.float32)
    bad[1, 3] = 1.5
    yield (bad.view(np.uint32), np.ones((2, 50), np.uint8), *np.zeros((3, 2))), {}


@fast_variant_of(auroc_ranks, example=_auroc_example, dtypes=("float32",))
def _auroc_rank_kernel(bits, flags, u, n_pos, n_neg):
    """Per row of float32 score bits (scores in [0, 1]) and flags (0 ignored, 1 negative, 2 positive):
    U = Σ over positives of (#negatives scored lower + ½·#negatives scored equal), the counts of positives and
    negatives. Keys (bits << 2 | flag) are sorted by a 3-pass LSD radix sort (11 + 11 + 10 bits), then one scan
    over tie groups. Returns False when some score is outside [0, 1] or NaN (the caller takes the NumPy path)."""
    n_rows, n = bits.shape
    key = np.empty(n, np.uint32)
    tmp = np.empty(n, np.uint32)
    count = np.empty((3, 2048), np.int64)
    for row in range(n_rows):
        count[:] = 0
        for i in range(n):  # keys and the histograms of all three digits in one pass
            b = bits[row, i]
            if b > np.uint32(0x3F800000) and b != np.uint32(0x80000000):  # > 1.0, NaN or negative (−0.0 is 0)
                return False
            k = np.uint32((b << np.uint32(2)) | np.uint32(flags[row, i]))  # uint32 wraps: −0.0 → 0
            key[i] = k
            count[0, k & 2047] += 1
            count[1, (k >> 11) & 2047] += 1
            count[2, (k >> 22) & 2047] += 1
        src, dst = key, tmp
        for pass_ in range(3):
            shift = 11 * pass_
            total = 0
            for d in range(2048):
                c = count[pass_, d]
                count[pass_, d] = total
                total += c
            for i in range(n):
                k = src[i]
                d = (k >> shift) & 2047
                dst[count[pass_, d]] = k
                count[pass_, d] += 1
            src, dst = dst, src
        neg_below = 0.0
        acc = 0.0
        pos_total = 0.0
        pos_g = 0.0
        neg_g = 0.0
        prev = src[0] >> np.uint32(2) if n else np.uint32(0)
        for i in range(n):  # tie groups: equal score bits are adjacent
            k = src[i]
            score = k >> np.uint32(2)
            if score != prev:
                acc += pos_g * neg_below + 0.5 * pos_g * neg_g
                neg_below += neg_g
                pos_total += pos_g
                pos_g = 0.0
                neg_g = 0.0
                prev = score
            f = k & np.uint32(3)
            pos_g += 1.0 if f == 2 else 0.0
            neg_g += 1.0 if f == 1 else 0.0
        acc += pos_g * neg_below + 0.5 * pos_g * neg_g
        neg_below += neg_g
        pos_total += pos_g
        u[row], n_pos[row], n_neg[row] = acc, pos_total, neg_below
    return True


def auroc_rank(scores, flags):
    """(U, P, N) per row (float64 arrays) for float32 scores (L, n) in [0, 1] and uint8 flags (L, n), or None
    (no numba, other dtypes, or a score outside [0, 1])."""
    if not numba_available() or scores.dtype != np.float32 or scores.ndim != 2 or not scores.size:
        return None
    bits = np.ascontiguousarray(scores).view(np.uint32)
    n_rows = scores.shape[0]
    u, n_pos, n_neg = (np.zeros(n_rows) for _ in range(3))
    ok = _numba.compiled(_auroc_rank_kernel)(bits, np.ascontiguousarray(flags, dtype=np.uint8), u, n_pos, n_neg)
    return (u, n_pos, n_neg) if ok else None
