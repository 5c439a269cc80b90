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
``tests/metrics/test_kernels.py`` checks every kernel against the NumPy path.
"""
from __future__ import annotations


import numpy as np

from .._numba import module as _numba_module, set_enabled  # noqa: F401  (set_enabled: the shared switch)

_COMPILED: dict = {}

PARALLEL_MIN = 1 << 22  # below this many elements a kernel runs single-threaded: waking threads, and waiting
# for a descheduled one on a busy machine, costs more than the serial pass (measured: 1M floats, 2 cores)
FUSED_MAX_CLASSES = 64  # per-thread C×C histograms up to this C; above it the NumPy path is faster

OK, HAS_NAN, BAD_TARGET = 0, 1, 2  # status bits


def numba_available():
    """True when numba imports and has not been disabled."""
    return _numba_module() is not None


def _compiled(py, parallel, **flags):
    key = (py.__name__, parallel)
    fn = _COMPILED.get(key)
    if fn is None:
        import types
        scope = dict(py.__globals__, prange=_numba_module().prange if parallel else range)
        variant = f"{py.__name__}_{'parallel' if parallel else 'serial'}"
        fn = types.FunctionType(py.__code__, scope, variant, py.__defaults__)
        fn.__qualname__ = variant
        fn = _COMPILED[key] = _numba_module().njit(parallel=parallel, cache=True, **flags)(fn)
    return fn


def _blocks(parallel):
    return _numba_module().get_num_threads() if parallel else 1


prange = range  # rebound per compiled variant


# ------------------------------------------------------------------------------------------ multiclass argmax
def _argmax_hist_kernel(preds, target, num_classes, ignore_index, n_blocks):
    """Per row: argmax (first maximum) and C×C counts of (target, argmax) in one histogram per block of rows,
    flagging NaN scores and targets outside [0, C) that are not ignore_index. Returns (counts (C·C,), status).

    Two rows go through the column loop together (branch-free selects): their dependency chains interleave,
    about 1.3x faster than one row at a time (measured, C = 10). Full pairs of rows, then the odd last row of a
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
    counts, status = _compiled(_argmax_hist_kernel, parallel)(preds, target, np.int64(num_classes), ignore, n_blocks)
    if status:
        return None, status
    return counts.reshape(num_classes, num_classes), OK


# ----------------------------------------------------------------------------------------- squared difference
_BLOCK = 2048  # elements per float32 partial sum


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
    kernel = _compiled(_ssd_kernel, p.size >= PARALLEL_MIN, fastmath={"reassoc", "nsz", "arcp", "contract"})
    return np.float64(kernel(np.ascontiguousarray(p).reshape(-1), np.ascontiguousarray(t).reshape(-1)))


# ------------------------------------------------------------------------------------------------ exact AUROC
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
    ok = _compiled(_auroc_rank_kernel, False)(bits, np.ascontiguousarray(flags, dtype=np.uint8), u, n_pos, n_neg)
    return (u, n_pos, n_neg) if ok else None
