"""Loss primitives: the losses whose naive composition is slow or unstable, each one op with a stable forward and a
closed-form backward beside it.

- ``CrossEntropy`` fuses log-softmax and the negative log-likelihood over class indices (weights, ignore_index,
  label smoothing): the forward keeps one buffer, exp(x − max), which the backward turns into softmax in place, so
  a (4096, 1000) batch costs a handful of passes over memory instead of the dozen a composition needs.
- ``NLL`` picks −w[t]·logp[t]; its backward is a scatter.
- ``BCE`` clamps each log at −100 like torch, and its gradient divides by max(x(1 − x), 1e-12).
- ``BCEWithLogits`` uses softplus(−x) = log1p(e^(−|x|)) − min(x, 0), finite for any finite logit.
- ``MSE`` keeps the difference for the backward and reduces with a BLAS dot product.

Optional numba kernels (``_loss_kernels.py``, loaded by ``_load_kernels``; cached on disk, off with
EMBER_DISABLE_NUMBA=1; tests/nn/test_losses.py checks each against the NumPy path and torch): the reduced
unweighted BCEWithLogits; the plain CrossEntropy (2-D, no weights, smoothing or ignored targets), which keeps one
exp(x − m) buffer written in cache-sized chunks of rows and turns it into the gradient in one pass; the reduced MSE,
which sums (x − y)² without storing x − y and writes the gradient in one pass. The exponential stays NumPy's.
- ``ClampGradThrough`` is max(v, ε) with an identity gradient (GaussianNLLLoss clamps var under no_grad in torch).

Speed: the big passes of CrossEntropy, BCEWithLogits and MSE write into preallocated buffers (``out=``) and run
over blocks of rows on up to 4 threads (``row_blocks``; NumPy releases the GIL inside its loops), so a large batch
uses the cores as torch's kernels use theirs (``ember.set_num_threads``; ``EMBER_NUM_THREADS``; 1 turns threading
off). Results do not depend on the number of threads beyond the float rounding of partial sums
(tests/nn/test_losses.py checks 1 vs 4 threads).

Reductions: ``reduction`` is 'none', 'sum' or 'mean' (validated by the caller). For class-index losses 'mean'
divides by Σ w[tᵢ] over the non-ignored targets (nan when every target is ignored, as torch).
"""
from __future__ import annotations

import numpy as np

from ... import _numba
from ..._threads import row_blocks
from ..function import Op
from ..._grad_mode import is_grad_enabled
from ...tensor import _wrap
from . import _loss_kernels as K
from ._xp import dtype_of, xp_of


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """a·b through BLAS in chunks of 2¹⁶ terms added in float64: one BLAS float32 dot of 10⁶ terms loses up to
    2e-6 relative on some CPUs (its kernel's accumulation order depends on the CPU); 2¹⁶-term chunks keep it
    near 1e-8 at about 1.2x the time of one call."""
    fa, fb = a.reshape(-1), b.reshape(-1)
    step = 1 << 16
    return sum((float(np.dot(fa[i:i + step], fb[i:i + step])) for i in range(0, fa.size, step)), 0.0)


def _sum_log(d: np.ndarray) -> float:
    """Σ log dᵢ for dᵢ ∈ [1, 2] with one log per 64 values: products of 64 factors stay below 2⁶⁴ (no overflow)."""
    flat = d.reshape(-1)
    head = flat.size - flat.size % 64
    total = float(np.log(np.prod(flat[:head].reshape(64, -1), axis=0)).sum(dtype=np.float64)) if head else 0.0
    return total + float(np.log(flat[head:]).sum(dtype=np.float64))


_TORCH_DTYPE_NAMES = {
    "float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int", "int16": "Short",
    "int8": "Char", "uint8": "Byte", "bool": "Bool",
}


def torch_dtype_name(dtype) -> str:
    """torch's ScalarType name of a numpy dtype ('Float', 'Long', ...), for error messages."""
    return _TORCH_DTYPE_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)


def class_targets(target: np.ndarray, n_classes: int, ignore_index: int):
    """(target with ignored entries set to 0, mask of non-ignored entries or None when none is ignored).

    Raises torch's IndexError for a non-ignored index outside [0, C)."""
    target = target.astype(np.int64, copy=False)
    valid = target != ignore_index
    all_valid = bool(valid.all())
    checked = target if all_valid else target[valid]
    if checked.size and (checked.min() < 0 or checked.max() >= n_classes):
        bad = checked[(checked < 0) | (checked >= n_classes)][0]
        raise IndexError(f"Target {int(bad)} is out of bounds.")
    if all_valid:
        return target, None
    return np.where(valid, target, 0), valid


def target_weights(t: np.ndarray, valid, weight, dtype) -> np.ndarray:
    """w[tᵢ] for each target (1 without class weights), 0 where the target is ignored."""
    if weight is None:
        return np.ones(t.shape, dtype) if valid is None else valid.astype(dtype)
    wt = weight.astype(dtype, copy=False)[t]
    if valid is not None:
        wt *= valid
    return wt


def _class_axis_view(arr: np.ndarray, ndim: int) -> np.ndarray:
    """A per-class vector reshaped to broadcast along axis 1 of an ``ndim``-dimensional input: (1, C, 1, ...)."""
    return arr.reshape((1, -1) + (1,) * (ndim - 2))


def _reduce_array(loss: np.ndarray, reduction: str, denom=None) -> np.ndarray:
    if reduction == "none":
        return np.asarray(loss)  # 0-dim arithmetic gives NumPy scalars
    total = loss.sum(dtype=loss.dtype)
    if reduction == "sum":
        return np.asarray(total, dtype=loss.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(total / (loss.size if denom is None else denom), dtype=loss.dtype)


def _total(total: float, n: int, reduction: str, dtype) -> np.ndarray:
    """A Python-float sum as the 0-dim result of 'sum' or 'mean' (nan for the mean of nothing, as torch)."""
    if reduction == "mean":
        total = total / n if n else float("nan")
    return np.asarray(total, dtype=dtype)


def _grad_scale(g, reduction: str, denom):
    """∂(reduced)/∂(lossᵢ) · g: the array g for 'none', g for 'sum', g / denom for 'mean' (0 when denom = 0)."""
    if reduction == "none":
        return g
    if reduction == "sum":
        return g
    if denom == 0:
        return xp_of(g).zeros_like(g)
    return g / denom if xp_of(g) is np else g / float(denom)  # (a Python float keeps a Tensor's dtype)


def _gather_class(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """x[i, tᵢ, ...] for an (N, C, ...) array and an (N, ...) index array."""
    if x.ndim == 2:
        return x[np.arange(x.shape[0]), t]
    return np.take_along_axis(x, t[:, None], axis=1)[:, 0]


def _add_at_class(x, t: np.ndarray, values):
    """x[i, tᵢ, ...] += valuesᵢ (each (i, ...) position has one target, so no index repeats): in place on an array
    (returned), as a recorded ``scatter_add`` on a Tensor (create_graph)."""
    if xp_of(x) is not np:
        return x.scatter_add(1, _wrap(t[:, None]), values.unsqueeze(1))
    if x.ndim == 2:
        x[np.arange(x.shape[0]), t] += values
    else:
        t1 = t[:, None]
        np.put_along_axis(x, t1, np.take_along_axis(x, t1, axis=1) + values[:, None], axis=1)
    return x


class CrossEntropy(Op):
    """Cross entropy of logits x (N, C, d₁, ...) and class indices t (N, d₁, ...), with class weights w,
    ignore_index and label smoothing ε:

        logp = x − m − log Σ_c exp(x_c − m),  m = max_c x_c                (stable log-softmax)
        ℓᵢ = (1 − ε)·(−w[tᵢ]·logp[tᵢ]) + (ε/C)·(−Σ_c w_c·logp_c)           (0 for ignored targets)
        mean = Σ ℓᵢ / Σ w[tᵢ]   (non-ignored i)

        ∂ℓᵢ/∂x = ((1 − ε)·w[tᵢ] + (ε/C)·Σ_c w_c)·softmax(x) − (1 − ε)·w[tᵢ]·onehot(tᵢ) − (ε/C)·w

    The backward (``_ce_grad``) turns the saved exp(x − m) into the gradient in place (no new N×C temporary); under
    create_graph the same formula runs on Tensors with softmax(x) recorded. The plain case runs on numba kernels
    when numba is installed (``_fused_ce_forward``), or in few NumPy calls when small (``_plain_forward``), each
    with its own first-order backward of the same formula (ε = 0, w = 1).
    """

    @staticmethod
    def forward(ctx, x, *, target, weight, ignore_index, label_smoothing, reduction):
        n_classes = x.shape[1]
        ctx.options = (target, weight, ignore_index, label_smoothing, reduction)  # (create_graph reads them)
        ctx.fused = False
        if x.ndim == 2 and weight is None and not label_smoothing and reduction != "none":
            kernels = _fused_kernels(x)
            if kernels is not None:
                out = _fused_ce_forward(ctx, kernels, x, target, n_classes, ignore_index, reduction)
                if out is not None:
                    return out
        if x.ndim == 2 and weight is None and not label_smoothing and reduction != "none" and x.size < _SMALL:
            out = _plain_forward(ctx, x, target, n_classes, ignore_index, reduction)
            if out is not None:
                return out
        ctx.plain = False
        t, valid, wt, w_b, w_sum, denom = _ce_terms(x.shape, x.dtype, ctx.options)
        eps = float(label_smoothing)
        row_shape = (x.shape[0], 1) + x.shape[2:]
        buf, m, s = np.empty_like(x), np.empty(row_shape, x.dtype), np.empty(row_shape, x.dtype)
        smooth_shift = np.empty(row_shape, x.dtype) if eps > 0 else None

        def block(rows):  # buf = exp(x − m), s = Σ_c buf; with smoothing Σ_c w_c (x_c − m)
            xb, bb = x[rows], buf[rows]
            mb = m[rows]
            np.amax(xb, axis=1, keepdims=True, out=mb)
            np.subtract(xb, mb, out=bb)
            if eps > 0:
                np.sum(bb if w_b is None else bb * w_b, axis=1, keepdims=True, out=smooth_shift[rows])
            np.exp(bb, out=bb)
            np.sum(bb, axis=1, keepdims=True, out=s[rows])

        row_blocks(block, x)
        log_s = np.log(s)[:, 0]
        loss = _gather_class(x, t) - m[:, 0] - log_s  # logp[t]
        np.multiply(loss, -wt, out=loss)  # −w[t]·logp[t]
        if valid is not None:
            loss[~valid] = 0  # also where logp[t] is not finite
        if eps > 0:
            smooth = w_sum * log_s - smooth_shift[:, 0]  # −Σ_c w_c logp_c
            if valid is not None:
                smooth[~valid] = 0
            loss = (1 - eps) * loss + (eps / n_classes) * smooth
        ctx.buf, ctx.s, ctx.m, ctx.x, ctx.t, ctx.valid, ctx.wt = buf, s, m, x, t, valid, wt
        ctx.w_b, ctx.w_sum, ctx.denom = w_b, w_sum, denom
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction, denom)

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        if xp is np and ctx.fused:
            return _fused_ce_backward(ctx, g)
        if xp is np and ctx.plain:
            return _plain_backward(ctx, g)
        return _ce_grad(ctx, g, xp)


def _ce_terms(shape, dtype, options):
    """The per-target constants of a cross entropy: (t with ignored entries 0, mask of non-ignored or None, w[tᵢ]
    (0 where ignored), w as (1, C, 1, ...) or None, Σ_c w_c, Σ w[tᵢ] for 'mean' or None)."""
    target, weight, ignore_index, _, reduction = options
    t, valid = class_targets(target, shape[1], ignore_index)
    wt = target_weights(t, valid, weight, dtype)
    w_b = None if weight is None else _class_axis_view(weight.astype(dtype, copy=False), len(shape))
    w_sum = float(shape[1]) if weight is None else float(weight.sum())
    return t, valid, wt, w_b, w_sum, (wt.sum(dtype=np.float64) if reduction == "mean" else None)


def _ce_grad(ctx, g, xp):
    """∂ℓᵢ/∂x·g = rᵢ·(((1 − ε)·w[tᵢ] + (ε/C)·Σ_c w_c)·softmax(x) − (1 − ε)·w[tᵢ]·onehot(tᵢ) − (ε/C)·w), rᵢ = g's
    reduction scale (``_grad_scale``), 0 for ignored targets. First order it is built in the forward's buffer
    exp(x − m), in place; on Tensors (create_graph) softmax(x) is recorded (m, a row maximum, is a constant)."""
    x, (_, _, _, eps, reduction), n_classes, dt = ctx.x, ctx.options, ctx.x.shape[1], dtype_of(ctx.x)
    if xp is np:
        t, valid, wt, w_b, w_sum, denom = ctx.t, ctx.valid, ctx.wt, ctx.w_b, ctx.w_sum, ctx.denom
        e = np.exp(x - ctx.m) if ctx.buf is None else ctx.buf  # (None: a second backward, retain_graph=True)
        s, ctx.buf = ctx.s, None
    else:
        t, valid, wt, w_b, w_sum, denom = _ce_terms(tuple(x.shape), dt, ctx.options)
        e = xp.exp(x - xp.asarray(np.amax(x._data, axis=1, keepdims=True)))
        s = xp.sum(e, axis=1, keepdims=True)
    r, keep, eps = _grad_scale(g, reduction, denom), (1.0 if valid is None else valid.astype(dt)), float(eps)
    row = xp.expand_dims(_as(r * ((1 - eps) * wt + (eps * w_sum / n_classes) * keep), dt), 1) / s
    shift = None
    if eps > 0:  # (ε/C)·r·w
        shift = _as(r * (eps / n_classes) * keep, dt)
        shift = (xp.expand_dims(shift, 1) if shift.ndim else shift) * (1.0 if w_b is None else w_b)
    return _add_at_class(_scaled_rows(e, row, shift), t, _as(-(r * (1 - eps) * wt), dt))


def _as(v, dtype):
    """An array in ``dtype`` (a Tensor, under create_graph, as it is)."""
    return v if xp_of(v) is not np else np.asarray(v).astype(dtype, copy=False)


def _scaled_rows(e, row, shift):
    """e·row − shift (shift may be None): in place, over blocks of rows, on an array; recorded on a Tensor."""
    if xp_of(e) is not np:
        return e * row if shift is None else e * row - shift

    def block(rows):
        bb = e[rows]
        np.multiply(bb, row[rows], out=bb)
        if shift is not None:
            bb -= shift[rows] if shift.ndim and shift.shape[0] == e.shape[0] else shift

    row_blocks(block, e)
    return e


_SMALL = 1 << 16  # elements: below this, the plain path's fewer NumPy calls beat the general one


def _plain_forward(ctx, x, target, n_classes, ignore_index, reduction):
    """The common case in few NumPy calls: (N, C) logits, no class weights, no smoothing, no ignored target,
    'mean' or 'sum'. Returns None (use the general path) when some target is ignored or out of range."""
    t = target if target.dtype == np.int64 else target.astype(np.int64)
    n = t.shape[0]
    if n == 0:
        return None
    lo, hi = t.min(), t.max()
    if lo < 0 or hi >= n_classes or lo <= ignore_index <= hi:
        return None  # an ignored or invalid target: the general path handles (and reports) it
    m = x.max(axis=1, keepdims=True)
    e = x - m
    np.exp(e, out=e)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    total = (m[:, 0] + np.log(s[:, 0]) - x[rows, t]).sum(dtype=np.float64)  # Σ −logp[t]
    ctx.plain, ctx.x, ctx.m, ctx.e, ctx.s, ctx.t, ctx.rows = True, x, m, e, s, t, rows
    ctx.scale = 1.0 / n if reduction == "mean" else 1.0
    return np.asarray(total * ctx.scale, dtype=x.dtype)


def _plain_backward(ctx, g):
    """∂ℓ/∂x = (softmax(x) − onehot(t))·g·scale, built in the saved exp buffer."""
    e, r = ctx.e, float(g) * ctx.scale
    if e is None:  # a second backward (retain_graph=True): the first consumed the buffer
        e = np.exp(ctx.x - ctx.m)
    ctx.e = None
    e *= (r / ctx.s).astype(e.dtype, copy=False)
    e[ctx.rows, ctx.t] -= e.dtype.type(r)
    return e


# elements per chunk of rows of the numba path (2 MB of float32, mostly still cached between its four passes).
# Smaller chunks lose on 2 threads, as each NumPy/numba call retakes the GIL (benchmarks/NOTES.md).
CE_CHUNK = 1 << 19


def _fused_ce_forward(ctx, kernels, x, target, n_classes, ignore_index, reduction):
    """The plain case (no weights, smoothing or ignored targets; 'mean' or 'sum') with numba, in chunks of rows
    that stay in cache: per chunk, m = row max (NumPy), e = x − m (numba), e = exp(e) (NumPy's SIMD exp),
    s = Σ e and Σ m + log s − x[t] (numba). e is kept for the backward, which scales it in one pass. Returns None
    (use another path) when some target is ignored or out of range."""
    t = target if target.dtype == np.int64 else target.astype(np.int64)
    n = t.shape[0]
    if n == 0 or t.ndim != 1:
        return None
    lo, hi = t.min(), t.max()
    if lo < 0 or hi >= n_classes or lo <= ignore_index <= hi:
        return None
    e, m, s = np.empty_like(x), np.empty(n, x.dtype), np.empty(n, x.dtype)
    shift_rows, row_sums = kernels["ce"]
    step = max(1, CE_CHUNK // max(n_classes, 1))

    def block(rows):
        start, stop, _ = rows.indices(n)
        total = 0.0
        for a in range(start, stop, step):
            b = min(a + step, stop)
            xb, eb, mb = x[a:b], e[a:b], m[a:b]
            np.amax(xb, axis=1, out=mb)  # NumPy's SIMD max (numba's max reduction does not vectorize)
            shift_rows(xb, eb, mb)
            np.exp(eb, out=eb)
            total += row_sums(x[a:b], eb, m[a:b], t[a:b], s[a:b])
        return total

    total = sum(row_blocks(block, x))  # Σ −logp[t]
    ctx.fused, ctx.plain, ctx.kernels = True, True, kernels
    ctx.x, ctx.m, ctx.e, ctx.s, ctx.t = x, m, e, s, t
    ctx.scale = 1.0 / n if reduction == "mean" else 1.0
    return np.asarray(total * ctx.scale, dtype=x.dtype)


def _fused_ce_backward(ctx, g):
    """∂ℓ/∂x = (e·(r / s) − r·onehot(t)) with r = g·scale, one numba pass over the saved e (in place)."""
    e, r = ctx.e, ctx.x.dtype.type(float(g) * ctx.scale)
    if e is None:  # a second backward (retain_graph=True): the first consumed the buffer
        e = np.exp(ctx.x - ctx.m[:, None])
    ctx.e = None
    scale_rows = ctx.kernels["ce_backward"]
    s, t = ctx.s, ctx.t

    def block(rows):
        scale_rows(e[rows], s[rows], t[rows], r)

    row_blocks(block, e)
    return e


class NLL(Op):
    """Negative log-likelihood of log-probabilities x (N, C, d₁, ...) and class indices t:

        ℓᵢ = −w[tᵢ]·x[i, tᵢ]  (0 for ignored targets),  mean = Σ ℓᵢ / Σ w[tᵢ];   ∂ℓᵢ/∂x[i, c] = −w[tᵢ]·[c = tᵢ]
    """

    @staticmethod
    def forward(ctx, x, *, target, weight, ignore_index, reduction):
        t, valid = class_targets(target, x.shape[1], ignore_index)
        wt = target_weights(t, valid, weight, x.dtype)
        loss = _gather_class(x, t) * -wt
        if valid is not None:
            loss[~valid] = 0
        denom = wt.sum(dtype=np.float64) if reduction == "mean" else None
        ctx.shape, ctx.dtype, ctx.t, ctx.wt, ctx.reduction, ctx.denom = x.shape, x.dtype, t, wt, reduction, denom
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction, denom)

    @staticmethod
    def backward(ctx, g):  # linear in x: the gradient depends on g only
        v = _as(-(_grad_scale(g, ctx.reduction, ctx.denom) * ctx.wt), ctx.dtype)
        return _add_at_class(xp_of(g).asarray(np.zeros(ctx.shape, ctx.dtype)), ctx.t, v)


class BCE(Op):
    """Binary cross entropy of probabilities x and targets y, each log clamped at −100 (as torch):

        ℓ = −w·(y·max(log x, −100) + (1 − y)·max(log(1 − x), −100))
        ∂ℓ/∂x = w·(x − y) / max(x·(1 − x), 1e-12),   ∂ℓ/∂y = −w·logit(x)
    """

    @staticmethod
    def forward(ctx, x, y, *, weight, reduction):
        log_x = np.maximum(np.log(x), -100)
        log_1mx = np.maximum(np.log1p(-x), -100)
        loss = (y - 1) * log_1mx - y * log_x
        if weight is not None:
            loss = loss * weight
        ctx.x, ctx.y, ctx.weight, ctx.reduction, ctx.n = x, y, weight, reduction, loss.size
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        x, y, w, xp = ctx.x, ctx.y, ctx.weight, xp_of(g)
        r = _grad_scale(g, ctx.reduction, ctx.n)
        if w is not None:
            r = r * w
        gx = r * (x - y) / xp.maximum((1 - x) * x, 1e-12)
        gy = None
        if ctx.inputs[1].requires_grad:
            gy = -r * (xp.log(x) - xp.log1p(-x))
        return gx, gy


class BCEWithLogits(Op):
    """Binary cross entropy of logits x and targets y, with weight w and positive-class weight p:

        ℓ = w·((1 − y)·x + L·softplus(−x)),  L = 1 + (p − 1)·y,  softplus(−x) = log1p(e^(−|x|)) − min(x, 0)
        ∂ℓ/∂x = w·(L·σ(x) − p·y)   (= w·(σ(x) − y) without p),   ∂ℓ/∂y = w·(−x + (p − 1)·softplus(−x))
        σ(x) = max(e^(−|x|), [x ≥ 0]) / (1 + e^(−|x|))   (no cancellation for either sign of x)

    Finite for every finite x (|x| = 1e4 gives torch's answer, not inf or nan). Without weights, a reduced loss
    is Σ max(x, 0) − x·y + log(1 + e^(−|x|)), with the logs taken of products of 64 factors (``_sum_log``).

    Passes over memory (unweighted, reduced): the forward writes −|x| by setting the sign bit, exponentiates it in
    place, and turns it into σ(x), kept as the only saved buffer; the backward is one pass (σ(x) − y)·r. With numba
    (optional) the sums, the log-sum and σ(x) are one fused pass per block (``_bce_logits_kernels``); −|x| and the
    exponential stay NumPy passes either way.
    ``need_grad=False`` (no gradient will be recorded) skips σ(x) on the NumPy path.
    """

    @staticmethod
    def forward(ctx, x, y, *, weight, pos_weight, reduction, need_grad=True):
        fast = weight is None and pos_weight is None and reduction != "none"
        ctx.x, ctx.y, ctx.weight, ctx.pos_weight = x, y, weight, pos_weight
        ctx.reduction, ctx.n = reduction, x.size
        if fast:
            s = np.empty_like(x)
            kernels = None
            if x.dtype in (np.float32, np.float64) and x.flags.c_contiguous and y.flags.c_contiguous:
                kernels = _bce_logits_kernels()

            def block(rows):  # s = σ(x); returns the block's Σ ℓ
                xb, yb, sb = x[rows], y[rows], s[rows]
                _neg_abs(xb, sb)
                if kernels is not None:
                    np.exp(sb, out=sb)  # e = e^(−|x|)
                    acc = np.empty(256, x.dtype)
                    return kernels[0](xb.reshape(-1), yb.reshape(-1), sb.reshape(-1), acc, x.dtype.type(1))
                np.exp(sb, out=sb)
                d = np.add(sb, 1)
                num = np.greater_equal(xb, 0, out=np.empty_like(sb))  # [x ≥ 0]
                total = _dot(xb, num) - _dot(xb, yb) + _sum_log(d)  # Σ max(x, 0) − x·y + log d
                if need_grad:
                    np.maximum(num, sb, out=num)
                    np.divide(num, d, out=sb)
                return total

            ctx.s, ctx.kernels = s, kernels
            total = sum(_blocks(block, x, kernels))
            if not np.isfinite(total):  # an infinite term: summed as torch associates it, (1 − y)·x + softplus(−x)
                e = np.exp(-np.abs(x))
                return _reduce_array(np.subtract(1, y, dtype=x.dtype) * x + _softplus_neg(x, e), reduction)
            return _total(total, x.size, reduction, x.dtype)
        e = np.empty_like(x)
        _neg_abs(x, e)
        np.exp(e, out=e)
        ctx.s = _sigmoid(x, e) if need_grad else None
        sp = ctx.sp = _softplus_neg(x, e)
        loss = np.subtract(1, y, dtype=x.dtype)
        loss *= x
        if pos_weight is None:
            loss += sp
        else:
            loss = loss + (1 + (pos_weight - 1) * y) * sp
        if weight is not None:
            loss = loss * weight
        ctx.n = loss.size
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        x, y, w, pw, xp = ctx.x, ctx.y, ctx.weight, ctx.pos_weight, xp_of(g)
        s = ctx.s if xp is np else x.sigmoid()  # σ(x): the forward's (first order) or recorded (create_graph)
        r = _grad_scale(g, ctx.reduction, ctx.n)
        if w is not None:
            r = r * w
        if xp is np and np.ndim(r) == 0 and pw is None:  # gx = (σ(x) − y)·r in one pass
            r = x.dtype.type(r)
            gx = np.empty_like(x)
            kernels = getattr(ctx, "kernels", None)

            def block(rows):
                if kernels is not None:
                    kernels[1](s[rows].reshape(-1), y[rows].reshape(-1), gx[rows].reshape(-1), r)
                else:
                    gb = np.subtract(s[rows], y[rows], out=gx[rows])
                    if r != 1:
                        np.multiply(gb, r, out=gb)

            _blocks(block, x, kernels)
        elif pw is None:
            gx = (s - y) * r
        else:
            gx = ((1 + (pw - 1) * y) * s - pw * y) * r
        gy = None
        if ctx.inputs[1].requires_grad:
            # softplus(−x) (with pos_weight): the forward's (first order) or recorded
            sp = None if pw is None else ctx.sp if xp is np else xp.log1p(xp.exp(-xp.abs(x))) - xp.minimum(x, 0)
            gy = (-x if pw is None else (pw - 1) * sp - x) * r
        return gx, gy


FUSED_PARALLEL_MIN = 1 << 20  # elements: below this the numba path of BCEWithLogits runs on one thread


def _blocks(fn, x, kernels):
    """``row_blocks(fn, x)``, except that the numba path stays on the calling thread below ``FUSED_PARALLEL_MIN``
    elements: there, handing half of the pass to a second thread saved less than it cost whenever the 2-core machine
    had other work (benchmarks/NOTES.md)."""
    if kernels is not None and x.size < FUSED_PARALLEL_MIN:
        return [fn(slice(None) if x.ndim else Ellipsis)]
    return row_blocks(fn, x)


def _neg_abs(x: np.ndarray, out: np.ndarray) -> None:
    """out = −|x|, by setting the sign bit of each float (one pass instead of abs and negate)."""
    if x.dtype.kind == "f" and x.dtype.itemsize in (2, 4, 8) and out.dtype == x.dtype:
        u = np.dtype(f"u{x.dtype.itemsize}")
        np.bitwise_or(x.view(u), u.type(1 << (8 * x.dtype.itemsize - 1)), out=out.view(u))
    else:
        np.negative(np.abs(x, out=out), out=out)


def _sigmoid(x: np.ndarray, e: np.ndarray) -> np.ndarray:
    """σ(x) = max(e, [x ≥ 0]) / (1 + e), given e = e^(−|x|): relative precision for both signs of x."""
    num = np.greater_equal(x, 0, out=np.empty_like(x))
    np.maximum(num, e, out=num)
    np.divide(num, np.add(e, 1), out=num)
    return num


_KERNELS = None


def _fused_kernels(*arrays):
    """The numba kernels (a dict: 'bce', 'ce', 'ce_backward', 'mse') when numba is usable and every array is a
    C-contiguous float32/float64 array of one dtype; else None (the NumPy path)."""
    dtype = arrays[0].dtype
    if dtype not in (np.float32, np.float64):
        return None
    if any(a.dtype != dtype or not a.flags.c_contiguous for a in arrays):
        return None
    return _load_kernels()


def _bce_logits_kernels():
    """The (forward, backward) kernels of BCEWithLogits, or None without numba."""
    kernels = _load_kernels()
    return None if kernels is None else kernels["bce"]


def _load_kernels():
    """The loss kernels of ``_loss_kernels.py`` compiled (once; cached on disk), or None without numba:
    'bce' (forward, backward), 'ce' (shift_rows, row_sums), 'ce_backward', 'mse' (forward, backward, forward_grad).
    Disabled by EMBER_DISABLE_NUMBA=1 (or ``_set_numba(False)``; one switch for all of ember, ``ember._numba``)."""
    global _KERNELS
    if not _numba.available():
        return None
    if _KERNELS is None:
        c = _numba.compiled
        _KERNELS = {"bce": (c(K.bce_logits_forward), c(K.scaled_difference)),
                    "ce": (c(K.shift_rows), c(K.row_sums)), "ce_backward": c(K.scale_rows),
                    "mse": (c(K.squared_error_sum), c(K.scaled_difference), c(K.squared_error_sum_grad))}
    return _KERNELS


def _set_numba(flag: bool) -> None:
    """Use (True) or bypass (False) the numba kernels; for tests and benchmarks (the switch shared with optim and
    metrics, ``ember._numba``); EMBER_DISABLE_NUMBA=1 still wins over True."""
    _numba.set_enabled(flag and _numba.ALLOWED_BY_ENV)


def _softplus_neg(x: np.ndarray, e: np.ndarray) -> np.ndarray:
    """softplus(−x) = −log σ(x) = log1p(e^(−|x|)) − min(x, 0), given e = e^(−|x|)."""
    sp = np.log1p(e)
    sp -= np.minimum(x, x.dtype.type(0))
    return sp


class MSE(Op):
    """Mean squared error: ℓ = (x − y)²;  ∂ℓ/∂x = 2(x − y) = −∂ℓ/∂y.  'sum'/'mean' reduce with dot products, or
    with numba (``_loss_kernels.py``) one pass each for the forward and the backward, on one thread below
    ``FUSED_PARALLEL_MIN`` elements."""

    @staticmethod
    def forward(ctx, x, y, *, reduction):
        ctx.x, ctx.y, ctx.reduction = x, y, reduction
        if x.shape != y.shape or reduction == "none" or x.dtype.kind != "f" or x.dtype != y.dtype:
            d = ctx.d = np.asarray(np.subtract(x, y))
            return _reduce_array(d * d, reduction)
        kernels = _fused_kernels(x, y) if x.ndim else None
        ctx.kernels = kernels
        if kernels is not None:  # one pass: Σ (x − y)², and with grad mode on the gradient for g = 1
            ctx.d = None
            fwd, fwd_grad = kernels["mse"][0], kernels["mse"][2]
            gx = ctx.gx = np.empty_like(x) if is_grad_enabled() else None
            c = _mse_scale(np.ones((), x.dtype), reduction, x.size)[()]

            def block(rows):
                xb, yb = x[rows].reshape(-1), y[rows].reshape(-1)
                return fwd(xb, yb) if gx is None else fwd_grad(xb, yb, gx[rows].reshape(-1), c)

            return _total(sum(_blocks(block, x, kernels)), x.size, reduction, x.dtype)
        d = ctx.d = np.empty_like(x)

        def block(rows):
            db = d[rows]
            np.subtract(x[rows], y[rows], out=db)
            return _dot(db, db)

        return _total(sum(row_blocks(block, x)), x.size, reduction, x.dtype)

    @staticmethod
    def backward(ctx, g):
        """∂ℓ/∂x = (x − y)·s = −∂ℓ/∂y, s = ``_mse_scale(g)``: one numba pass, or in the forward's x − y in place (first
        order), or recorded (create_graph)."""
        xp, kernels = xp_of(g), getattr(ctx, "kernels", None)
        if xp is np and kernels is not None:
            x, y, gx = ctx.x, ctx.y, ctx.gx
            ctx.gx = None
            if gx is None or g != 1:  # gx = (x − y)·2g/n in one pass (the forward wrote it for g = 1)
                scale = _mse_scale(g, ctx.reduction, x.size)
                gx = np.empty_like(x)
                bwd = kernels["mse"][1]

                def block(rows):
                    bwd(x[rows].reshape(-1), y[rows].reshape(-1), gx[rows].reshape(-1), scale[()])

                _blocks(block, x, kernels)
            return gx, (-gx if ctx.inputs[1].requires_grad else None)
        d = ctx.d if xp is np and ctx.d is not None else xp.asarray(ctx.x - ctx.y)  # (None: a backward consumed it)
        ctx.d = None
        scale = _mse_scale(g, ctx.reduction, int(np.prod(d.shape)))
        if xp is not np:
            gx = d * scale
        elif scale.ndim:  # 'none'
            gx = np.multiply(d, scale, out=d)
        else:
            def block(rows):
                np.multiply(d[rows], scale, out=d[rows])

            row_blocks(block, d)
            gx = d
        return gx, (-gx if ctx.inputs[1].requires_grad else None)


def _mse_scale(g, reduction: str, n: int):
    """∂(reduced MSE)/∂(x − y) per element: 2g/n for 'mean', 2g otherwise, in g's dtype (every path uses it, so their
    gradients agree bit for bit)."""
    s = 2 * g / max(n, 1) if reduction == "mean" else 2 * g
    return s.astype(g.dtype) if xp_of(g) is np else s


class ClampGradThrough(Op):
    """max(v, ε) in the forward, identity in the backward (torch clamps GaussianNLLLoss's var under no_grad)."""

    @staticmethod
    def forward(ctx, v, *, eps):
        return np.maximum(v, v.dtype.type(eps))

    @staticmethod
    def backward(ctx, g):
        return g


class SmoothL1(Op):
    """The smooth L1 loss (Girshick, Fast R-CNN, 2015) or the Huber loss (Huber 1964) of d = x − y, elementwise:

        smooth L1:  ℓ = 0.5·d²/β if |d| < β else |d| − 0.5·β        ∂ℓ/∂x = clamp(d/β, −1, 1) = −∂ℓ/∂y
        Huber:      ℓ = 0.5·d²   if |d| < δ else δ·(|d| − 0.5·δ)    ∂ℓ/∂x = clamp(d, −δ, δ)

    (Huber's is δ times smooth L1's with β = δ.) The gradient is the clamp, as torch's kernels compute it, so an
    infinite d gives ±1 (±δ), not the NaN of differentiating the unused quadratic branch at infinity."""

    @staticmethod
    def forward(ctx, x, y, *, beta, huber):
        ctx.x, ctx.y, ctx.beta, ctx.huber = x, y, beta, huber
        d = x - y
        z = np.abs(d)
        if huber:
            return np.where(z < beta, 0.5 * d * d, beta * (z - 0.5 * beta))
        return np.where(z < beta, 0.5 * d * d / beta, z - 0.5 * beta)

    @staticmethod
    def backward(ctx, g):
        xp, b = xp_of(g), ctx.beta
        d = ctx.x - ctx.y
        hi, lo = (b, -b) if ctx.huber else (1, -1)
        gd = g * xp.where(d < -b, lo, xp.where(d > b, hi, d if ctx.huber else d / b))
        return gd, -gd
