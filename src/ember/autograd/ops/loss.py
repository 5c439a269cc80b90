"""Loss primitives: the losses whose naive composition is slow or unstable, each one op with a stable forward and a
closed-form backward beside it.

- ``CrossEntropy`` fuses log-softmax and the negative log-likelihood over class indices (weights, ignore_index,
  label smoothing): the forward keeps one buffer, exp(x − max), which the backward turns into softmax in place, so
  a (4096, 1000) batch costs a handful of passes over memory instead of the dozen a composition needs.
- ``NLL`` picks −w[t]·logp[t]; its backward is a scatter.
- ``BCE`` clamps each log at −100 like torch, and its gradient divides by max(x(1 − x), 1e-12).
- ``BCEWithLogits`` uses softplus(−x) = log1p(e^(−|x|)) − min(x, 0), finite for any finite logit.
- ``MSE`` keeps the difference for the backward and reduces with a BLAS dot product.
- ``ClampGradThrough`` is max(v, ε) with an identity gradient (GaussianNLLLoss clamps var under no_grad in torch).

Reductions: ``reduction`` is 'none', 'sum' or 'mean' (validated by the caller). For class-index losses 'mean'
divides by Σ w[tᵢ] over the non-ignored targets (nan when every target is ignored, as torch).
"""
from __future__ import annotations

import numpy as np

from ..function import Op

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
        return loss
    total = loss.sum(dtype=loss.dtype)
    if reduction == "sum":
        return np.asarray(total, dtype=loss.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(total / (loss.size if denom is None else denom), dtype=loss.dtype)


def _grad_scale(g: np.ndarray, reduction: str, denom):
    """∂(reduced)/∂(lossᵢ) · g: the array g for 'none', g for 'sum', g / denom for 'mean' (0 when denom = 0)."""
    if reduction == "none":
        return g
    if reduction == "sum":
        return g
    if denom == 0:
        return np.zeros_like(g)
    return g / denom


def _gather_class(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """x[i, tᵢ, ...] for an (N, C, ...) array and an (N, ...) index array."""
    if x.ndim == 2:
        return x[np.arange(x.shape[0]), t]
    return np.take_along_axis(x, t[:, None], axis=1)[:, 0]


def _add_at_class(x: np.ndarray, t: np.ndarray, values: np.ndarray) -> None:
    """x[i, tᵢ, ...] += valuesᵢ in place (each (i, ...) position has one target, so no index repeats)."""
    if x.ndim == 2:
        x[np.arange(x.shape[0]), t] += values
    else:
        t1 = t[:, None]
        np.put_along_axis(x, t1, np.take_along_axis(x, t1, axis=1) + values[:, None], axis=1)


class CrossEntropy(Op):
    """Cross entropy of logits x (N, C, d₁, ...) and class indices t (N, d₁, ...), with class weights w,
    ignore_index and label smoothing ε:

        logp = x − m − log Σ_c exp(x_c − m),  m = max_c x_c                (stable log-softmax)
        ℓᵢ = (1 − ε)·(−w[tᵢ]·logp[tᵢ]) + (ε/C)·(−Σ_c w_c·logp_c)           (0 for ignored targets)
        mean = Σ ℓᵢ / Σ w[tᵢ]   (non-ignored i)

        ∂ℓᵢ/∂x = ((1 − ε)·w[tᵢ] + (ε/C)·Σ_c w_c)·softmax(x) − (1 − ε)·w[tᵢ]·onehot(tᵢ) − (ε/C)·w

    The backward turns the saved exp(x − m) into the gradient in place (no new N×C temporary).
    """

    @staticmethod
    def forward(ctx, x, *, target, weight, ignore_index, label_smoothing, reduction):
        n_classes = x.shape[1]
        t, valid = class_targets(target, n_classes, ignore_index)
        wt = target_weights(t, valid, weight, x.dtype)
        m = x.max(axis=1, keepdims=True)
        buf = np.subtract(x, m)
        eps = float(label_smoothing)
        w_b = None if weight is None else _class_axis_view(weight.astype(x.dtype, copy=False), x.ndim)
        if eps > 0:
            smooth_shift = (buf.sum(axis=1) if w_b is None else (buf * w_b).sum(axis=1))  # Σ_c w_c (x_c − m)
        np.exp(buf, out=buf)
        s = buf.sum(axis=1, keepdims=True)
        log_s = np.log(s)[:, 0]
        logp_t = _gather_class(x, t) - m[:, 0] - log_s
        loss = logp_t
        np.multiply(loss, -wt, out=loss)  # −w[t]·logp[t]
        if valid is not None:
            loss[~valid] = 0  # also where logp[t] is not finite
        w_sum = float(n_classes) if weight is None else float(weight.sum())
        if eps > 0:
            smooth = w_sum * log_s - smooth_shift  # −Σ_c w_c logp_c
            if valid is not None:
                smooth[~valid] = 0
            loss = (1 - eps) * loss + (eps / n_classes) * smooth
        denom = wt.sum(dtype=np.float64) if reduction == "mean" else None
        ctx.buf, ctx.s, ctx.m, ctx.x, ctx.t, ctx.valid, ctx.wt = buf, s, m, x, t, valid, wt
        ctx.w_b, ctx.w_sum, ctx.eps, ctx.reduction, ctx.denom = w_b, w_sum, eps, reduction, denom
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction, denom)

    @staticmethod
    def backward(ctx, g):
        eps, wt, valid, n_classes = ctx.eps, ctx.wt, ctx.valid, ctx.x.shape[1]
        r = _grad_scale(g, ctx.reduction, ctx.denom)
        buf = ctx.buf
        if buf is None:  # a second backward (retain_graph=True): the first consumed the buffer
            buf = np.exp(ctx.x - ctx.m)
        ctx.buf = None
        coef = (1 - eps) * wt
        if eps > 0:
            coef = coef + (eps * ctx.w_sum / n_classes) * (1.0 if valid is None else valid)
        coef = (r * coef).astype(buf.dtype, copy=False)
        row = coef[:, None] / ctx.s
        np.multiply(buf, row, out=buf)  # ((1 − ε)w[t] + εW/C)·softmax, scaled by the reduction
        _add_at_class(buf, ctx.t, -(r * (1 - eps) * wt).astype(buf.dtype, copy=False))
        if eps > 0:
            smooth_r = r * (eps / n_classes) * (1.0 if valid is None else valid)
            smooth_r = np.asarray(smooth_r, dtype=buf.dtype)
            if smooth_r.ndim:
                smooth_r = smooth_r[:, None]
            buf -= smooth_r * (1.0 if ctx.w_b is None else ctx.w_b)
        return buf


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
    def backward(ctx, g):
        r = _grad_scale(g, ctx.reduction, ctx.denom)
        grad = np.zeros(ctx.shape, ctx.dtype)
        _add_at_class(grad, ctx.t, -(r * ctx.wt).astype(ctx.dtype, copy=False))
        return grad


class BCE(Op):
    """Binary cross entropy of probabilities x and targets y, each log clamped at −100 (as torch):

        ℓ = −w·(y·max(log x, −100) + (1 − y)·max(log(1 − x), −100))
        ∂ℓ/∂x = w·(x − y) / max(x·(1 − x), 1e-12),   ∂ℓ/∂y = −w·logit(x)
    """

    @staticmethod
    def forward(ctx, x, y, *, weight, reduction):
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
        loss = (y - 1) * log_1mx - y * log_x
        if weight is not None:
            loss = loss * weight
        ctx.x, ctx.y, ctx.weight, ctx.reduction, ctx.n = x, y, weight, reduction, loss.size
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        x, y, w = ctx.x, ctx.y, ctx.weight
        r = _grad_scale(g, ctx.reduction, ctx.n)
        if w is not None:
            r = r * w
        gx = r * (x - y) / np.maximum((1 - x) * x, 1e-12)
        gy = None
        if ctx.inputs[1].requires_grad:
            with np.errstate(divide="ignore"):
                gy = -r * (np.log(x) - np.log1p(-x))
        return gx, gy


class BCEWithLogits(Op):
    """Binary cross entropy of logits x and targets y, with weight w and positive-class weight p:

        ℓ = w·((1 − y)·x + L·softplus(−x)),  L = 1 + (p − 1)·y,  softplus(−x) = log1p(e^(−|x|)) − min(x, 0)
        ∂ℓ/∂x = w·(L·σ(x) − p·y)   (= w·(σ(x) − y) without p),   ∂ℓ/∂y = w·(−x + (p − 1)·softplus(−x))

    Finite for every finite x (|x| = 1e4 gives torch's answer, not inf or nan).
    """

    @staticmethod
    def forward(ctx, x, y, *, weight, pos_weight, reduction):
        sp = np.abs(x)
        np.negative(sp, out=sp)
        np.exp(sp, out=sp)
        np.log1p(sp, out=sp)
        sp -= np.minimum(x, 0)  # softplus(−x) = −log σ(x)
        loss = np.subtract(1, y, dtype=x.dtype)
        loss *= x
        if pos_weight is None:
            loss += sp
        else:
            loss = loss + (1 + (pos_weight - 1) * y) * sp
        if weight is not None:
            loss = loss * weight
        ctx.x, ctx.y, ctx.sp, ctx.weight, ctx.pos_weight = x, y, sp, weight, pos_weight
        ctx.reduction, ctx.n = reduction, loss.size
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        x, y, sp, w, pw = ctx.x, ctx.y, ctx.sp, ctx.weight, ctx.pos_weight
        r = _grad_scale(g, ctx.reduction, ctx.n)
        if w is not None:
            r = r * w
        sig = np.negative(sp)
        np.exp(sig, out=sig)  # σ(x) = exp(−softplus(−x))
        if pw is None:
            gx = sig - y
        else:
            gx = (1 + (pw - 1) * y) * sig - pw * y
        if np.ndim(r) == 0 or np.shape(r) == gx.shape:
            gx *= r
        else:
            gx = gx * r
        gy = None
        if ctx.inputs[1].requires_grad:
            gy = -x if pw is None else (pw - 1) * sp - x
            gy = gy * r
        return gx, gy


class MSE(Op):
    """Mean squared error: ℓ = (x − y)²;  ∂ℓ/∂x = 2(x − y) = −∂ℓ/∂y.  'sum'/'mean' reduce with a dot product."""

    @staticmethod
    def forward(ctx, x, y, *, reduction):
        d = np.subtract(x, y)
        ctx.d, ctx.x, ctx.y, ctx.reduction = d, x, y, reduction
        if reduction == "none":
            return d * d
        flat = d.reshape(-1)
        total = np.dot(flat, flat) if d.dtype.kind == "f" else (flat * flat).sum()
        if reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                total = total / flat.size if flat.size else np.float64("nan")
        return np.asarray(total, dtype=d.dtype)

    @staticmethod
    def backward(ctx, g):
        d = ctx.d
        if d is None:  # second backward after retain_graph: the first one consumed d
            d = np.subtract(ctx.x, ctx.y)
        ctx.d = None
        if ctx.reduction == "none":
            gx = np.multiply(d, g, out=d)
            gx *= 2
        else:
            scale = 2 * g / d.size if ctx.reduction == "mean" else 2 * g
            gx = np.multiply(d, scale.astype(d.dtype), out=d)
        gy = -gx if ctx.inputs[1].requires_grad else None
        return gx, gy


class ClampGradThrough(Op):
    """max(v, ε) in the forward, identity in the backward (torch clamps GaussianNLLLoss's var under no_grad)."""

    @staticmethod
    def forward(ctx, v, *, eps):
        return np.maximum(v, v.dtype.type(eps))

    @staticmethod
    def backward(ctx, g):
        return g
