"""Loss functions (functional forms): the single implementation of every ``ember.nn`` loss.

Every loss computes an unreduced, per-element loss ℓ and then applies ``reduction``:

    'none' → ℓ,   'sum' → Σ ℓ,   'mean' → Σ ℓ / (number of elements of ℓ)

with the exceptions torch makes: ``nll_loss``/``cross_entropy`` with class indices divide by Σ w[tᵢ] over the
non-ignored targets (nan when all are ignored); ``kl_div`` also accepts 'batchmean' (Σ ℓ / batch size); the
weighted ``mse_loss``/``l1_loss`` divide by Σ w. The deprecated ``size_average``/``reduce`` arguments override
``reduction`` as in torch (both default True: mean; reduce=False: none; size_average=False: sum), with torch's
warning. An unknown reduction raises ValueError("<value> is not a valid value for reduction").

The delicate losses (cross_entropy, nll_loss, binary_cross_entropy(_with_logits), mse_loss) are single ops with a
stable forward and a closed-form backward (``ember/autograd/ops/loss.py``); the others are compositions of
differentiable tensor ops, so their gradients follow.

Torch parity: same names, signatures, defaults, values and gradients (tests/nn/test_losses.py compares each loss,
reduction and option with torch, and runs a float64 gradcheck). Inputs may also be NumPy arrays. Deliberate
differences: ``soft_margin_loss`` uses a stable softplus, so it is finite where torch's log(1 + exp(−y·x)) gives
inf (|x| ≳ 89 in float32); a class weight of another float dtype is cast to the input's dtype
(torch raises); every invalid reduction uses the one message above (torch words gaussian_nll_loss and
multilabel_soft_margin_loss's message slightly differently).
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ... import _errors
from ..._grad_mode import is_grad_enabled
from ...autograd.ops import _check_castable
from ...autograd.ops import elementwise as E
from ...autograd.ops import loss as L
from ...autograd.ops import nn as N
from ...autograd.ops._util import check_float, operands
from ...tensor import Tensor, _wrap

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cosine_embedding_loss",
    "cross_entropy",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "margin_ranking_loss",
    "mse_loss",
    "multi_margin_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "poisson_nll_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
]

_REDUCTIONS = ("none", "mean", "sum")


# ---- shared helpers -----------------------------------------------------------------------
def _t(x) -> Tensor:
    """A tensor for a loss argument (ember Tensor as is; NumPy arrays and numbers wrapped without a copy)."""
    if isinstance(x, Tensor):
        return x
    from ...tensor import _to_array

    return _wrap(_to_array(x))


def _reduction(size_average, reduce, reduction, allowed=_REDUCTIONS) -> str:
    """The reduction to apply: the legacy ``size_average``/``reduce`` pair overrides ``reduction`` (as torch)."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
        warnings.warn(
            f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
            stacklevel=3,
        )
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.", stacklevel=3)
        reduction = "mean"
    if reduction not in allowed:
        raise _errors.invalid_reduction(reduction)
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """Apply 'none' / 'mean' / 'sum' to an unreduced loss tensor."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if loss._data.size == 0 and loss._data.dtype.kind == "f":  # (an integer loss: mean's own error)
        return loss.sum() * float("nan")
    return loss.mean()


def _size(shape) -> str:
    from ...tensor import Size

    return repr(Size(shape))


def _broadcast_shape(a, b) -> tuple:
    """np.broadcast_shapes, raising torch's RuntimeError (scanning from the last dimension) on a mismatch."""
    a, b = tuple(a), tuple(b)
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            raise _errors.size_mismatch(pa[i], pb[i], i)
    return tuple(max(x, y) for x, y in zip(pa, pb))


def _warn_size(input: Tensor, target: Tensor) -> None:
    if input._data.shape != target._data.shape:
        warnings.warn(
            f"Using a target size ({_size(target._data.shape)}) that is different to the input size "
            f"({_size(input._data.shape)}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=3,
        )
    _broadcast_shape(input._data.shape, target._data.shape)


def _one_dtype(input: Tensor, target: Tensor):
    """input and target cast to their promoted dtype. torch broadcasts the two to one shape first, so a 0-d
    target promotes as a dimensioned one would (float32 with a 0-d float64 target: float64)."""
    dx, dy = input._data.dtype, target._data.dtype
    if dx == dy:
        return input, target
    from ... import _dtype

    dt = _dtype.promote_types(dx, dy).np
    return (input if dx == dt else input._cast(dt)), (target if dy == dt else target._cast(dt))


def _float_operands(kernel: str, input: Tensor, target: Tensor):
    """input and target in torch's promoted dtype, with torch's NotImplementedError naming ``kernel`` (a loss
    kernel with float versions only) when that dtype is an integer or bool."""
    input, target = _one_dtype(input, target)
    check_float(kernel, input)
    return input, target


def _no_integral(input: Tensor, target: Tensor):
    """torch's rule for kl_div/poisson-like losses: float inputs only, promoted to one dtype."""
    if input._data.dtype.kind != "f" or target._data.dtype.kind != "f":
        raise RuntimeError("kl_div: Integral inputs not supported.")
    return operands(input, target)


def _same_float(x: Tensor, y: Tensor) -> Tensor:
    """``y`` cast (differentiably) to ``x``'s float dtype when it differs."""
    if y._data.dtype != x._data.dtype and x._data.dtype.kind == "f":
        return y.to(x.dtype)
    return y


def _no_grad_arg(fn_name: str, arg_name: str, t) -> None:
    if isinstance(t, Tensor) and t.requires_grad:
        raise RuntimeError(
            f"The function '{fn_name}' is not differentiable with respect to argument '{arg_name}'. This input "
            "cannot have requires_grad True."
        )


def _array_arg(t, dtype):
    """The array of an optional non-differentiable tensor argument, in ``dtype``."""
    if t is None:
        return None
    return np.asarray(_t(t)._data, dtype=dtype)


def _class_weight(weight, n_classes: int, dtype, prefix: str = ""):
    if weight is None:
        return None
    w = np.asarray(_t(weight)._data, dtype=dtype)
    if w.ndim != 1 or w.shape[0] != n_classes:
        raise RuntimeError(
            f"{prefix}weight tensor should be defined either for all {n_classes} classes or no classes but got "
            f"weight tensor of shape: {list(w.shape)}"
        )
    return w


def _class_layout(input: Tensor, target: Tensor):
    """Validate class-index targets for an (N, C, d₁, ...) or (C,) input: (input, target array, batch-of-one flag)."""
    x, t = input._data, target._data
    if x.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")
    if x.ndim == 1:
        if t.ndim > 1 or t.size != 1:
            raise RuntimeError(f"0D or 1D target tensor expected, multi-target not supported (got {list(t.shape)})")
        _check_index_dtype(t)
        return input.unsqueeze(0), t.reshape(1), True
    n = x.shape[0]
    if t.ndim == 0 or t.shape[0] != n:
        raise ValueError(f"Expected input batch_size ({n}) to match target batch_size ({t.shape[0] if t.ndim else 0}).")
    if x.ndim == 2 and t.ndim != 1:
        raise _errors.multi_target()
    expected = (n,) + x.shape[2:]
    if x.ndim > 2 and t.shape != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(t.shape)}")
    _check_index_dtype(t)
    return input, t, False


def _check_index_dtype(t: np.ndarray) -> None:
    if t.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {L.torch_dtype_name(t.dtype)}")


def _unbatch(out: Tensor, target: Tensor, single: bool, reduction: str) -> Tensor:
    return out.reshape(target._data.shape) if single and reduction == "none" else out


# ---- classification -----------------------------------------------------------------------
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """Cross entropy between logits and class indices or class probabilities.

    Class indices t (shape (N), (N, d₁, ...) or () for an input (N, C), (N, C, d₁, ...) or (C)), weights w,
    label smoothing ε:

        logp = log_softmax(x, dim=1)
        ℓᵢ = (1 − ε)·(−w[tᵢ]·logp[i, tᵢ]) + (ε/C)·Σ_c (−w_c·logp[i, c])    (ℓᵢ = 0 where tᵢ = ignore_index)
        'mean' = Σ ℓᵢ / Σ_{i not ignored} w[tᵢ]                            (nan if every target is ignored)

    Class probabilities P (float, same shape as the input; ignore_index not allowed):

        ℓᵢ = −Σ_c w_c·P̃[i, c]·logp[i, c],  P̃ = (1 − ε)·P + ε/C;   'mean' = Σ ℓᵢ / (number of ℓᵢ)

    Args:
        input: logits, (N, C), (N, C, d₁, ..., d_K) or (C).
        target: int64/uint8 class indices in [0, C), or float class probabilities shaped like ``input``.
        weight: per-class weights, shape (C). Default: None (all 1).
        ignore_index: class-index targets equal to it contribute neither loss nor gradient. Default: -100.
        reduction: 'none' | 'mean' | 'sum'. Default: 'mean'.
        label_smoothing: ε in [0, 1]. Default: 0.
        size_average, reduce: deprecated, see the module docstring.

    Torch parity: values and gradients (w.r.t. input, and w.r.t. probability targets) match
    torch.nn.functional.cross_entropy to float32 precision, finite for logits of ±1e4; same exceptions (a target
    index out of range raises IndexError, a float target not shaped like the input or an int32 target raises
    RuntimeError). Class indices use one fused op (stable log-softmax + NLL, closed-form backward).

    Reference: Szegedy et al., "Rethinking the Inception Architecture for Computer Vision" (label smoothing),
    CVPR 2016. https://arxiv.org/abs/1512.00567
    Example:  >>> loss = cross_entropy(ember.randn(8, 5), ember.tensor([0, 1, 2, 3, 4, 0, 1, 2]))
    """
    input, target = _t(input), _t(target)
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    x = input._data
    if x.ndim >= 1 and target._data.shape == x.shape:
        return _cross_entropy_probs(input, target, weight, ignore_index, reduction, label_smoothing)
    input, t, single = _class_layout(input, target)
    w = _class_weight(weight, input._data.shape[1], input._data.dtype)
    out = L.CrossEntropy.apply(input, target=t, weight=w, ignore_index=ignore_index,
                               label_smoothing=label_smoothing, reduction=reduction)
    return _unbatch(out, target, single, reduction)


def _cross_entropy_probs(input, target, weight, ignore_index, reduction, label_smoothing):
    td = target._data
    if td.dtype.kind != "f":
        raise RuntimeError(
            f"Expected floating point type for target with class probabilities, got {L.torch_dtype_name(td.dtype)}"
        )
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    class_dim = 1 if input._data.ndim >= 2 else 0
    n_classes = input._data.shape[class_dim]
    w = _class_weight(weight, n_classes, input._data.dtype, prefix="cross_entropy: ")
    target = _same_float(input, target)
    logp = N.log_softmax(input, class_dim)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if w is not None:
        prod = prod * _wrap(w.reshape((-1,) + (1,) * (input._data.ndim - class_dim - 1)))
    if reduction == "none":
        return -prod.sum(class_dim)
    if reduction == "sum":
        return -prod.sum()
    rows = input._data.size // n_classes if n_classes else 0
    return -prod.sum() / rows if rows else prod.sum() * float("nan")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of log-probabilities and class indices.

        ℓᵢ = −w[tᵢ]·x[i, tᵢ]   (0 where tᵢ = ignore_index);   'mean' = Σ ℓᵢ / Σ_{i not ignored} w[tᵢ]

    Args:
        input: log-probabilities, (N, C), (N, C, d₁, ..., d_K) or (C).
        target: int64/uint8 class indices in [0, C), shape (N), (N, d₁, ..., d_K) or ().
        weight: per-class weights, shape (C). Default: None.
        ignore_index: targets equal to it are skipped. Default: -100.
        reduction: 'none' | 'mean' | 'sum'. Default: 'mean' (nan when every target is ignored, as torch).

    Torch parity: matches torch.nn.functional.nll_loss (values, gradients, exceptions).
    Example:  >>> nll_loss(log_softmax(ember.randn(3, 5), 1), ember.tensor([1, 0, 4]))
    """
    input, target = _t(input), _t(target)
    reduction = _reduction(size_average, reduce, reduction)
    input, t, single = _class_layout(input, target)
    w = _class_weight(weight, input._data.shape[1], input._data.dtype)
    out = L.NLL.apply(input, target=t, weight=w, ignore_index=ignore_index, reduction=reduction)
    return _unbatch(out, target, single, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross entropy of probabilities x ∈ [0, 1] and targets y ∈ [0, 1]:

        ℓ = −w·(y·max(log x, −100) + (1 − y)·max(log(1 − x), −100))

    Args:
        input: probabilities, any shape.  target: same shape, values in [0, 1].
        weight: rescaling weight, broadcast to the target's shape. Default: None.
        reduction: 'none' | 'mean' | 'sum'. Default: 'mean'.

    Torch parity: matches torch.nn.functional.binary_cross_entropy, including the −100 clamp (finite loss at
    x = 0 or 1) and the gradient w·(x − y)/max(x(1 − x), 1e-12); differentiable w.r.t. the target too.
    A target of another size raises ValueError; input or target outside [0, 1] raises RuntimeError.
    Example:  >>> binary_cross_entropy(ember.tensor([0.2, 0.9]), ember.tensor([0., 1.]))
    """
    input, target = _t(input), _t(target)
    reduction = _reduction(size_average, reduce, reduction)
    if target._data.shape != input._data.shape:
        raise ValueError(
            f"Using a target size ({_size(target._data.shape)}) that is different to the input size "
            f"({_size(input._data.shape)}) is deprecated. Please ensure they have the same size."
        )
    _no_grad_arg("binary_cross_entropy", "weight", weight)
    if target._data.dtype != input._data.dtype:  # torch's kernel takes one dtype (no promotion)
        from ... import _dtype

        raise RuntimeError(
            f"Found dtype {_dtype.scalar_name(target._data.dtype)} but expected {_dtype.scalar_name(input._data.dtype)}"
        )
    check_float("binary_cross_entropy", input)
    x, y = input._data, target._data
    if not ((x >= 0) & (x <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    if not ((y >= 0) & (y <= 1)).all():
        raise RuntimeError("all elements of target should be between 0 and 1")
    w = _array_arg(weight, x.dtype)
    if w is not None:
        try:
            w = np.broadcast_to(w, np.broadcast_shapes(y.shape, w.shape))
        except ValueError:
            _broadcast_shape(y.shape, w.shape)
            raise
    return L.BCE.apply(input, target, weight=w, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """Binary cross entropy on logits (sigmoid + BCE in one stable formula):

        ℓ = −w·(p·y·log σ(x) + (1 − y)·log(1 − σ(x)))
          = w·((1 − y)·x + (1 + (p − 1)·y)·softplus(−x)),   softplus(−x) = log1p(e^(−|x|)) − min(x, 0)

    Args:
        input: logits, any shape.  target: same shape, values in [0, 1] (soft labels allowed).
        weight: rescaling weight broadcast with the input. Default: None.
        reduction: 'none' | 'mean' | 'sum'. Default: 'mean'.
        pos_weight: p, weight of the positive class, broadcast with the target (e.g. shape (C)). Default: None.

    Torch parity: matches torch.nn.functional.binary_cross_entropy_with_logits (values and gradients w.r.t. input
    and target), finite for logits of ±1e4. weight/pos_weight are not differentiable (RuntimeError, as torch).
    Example:  >>> binary_cross_entropy_with_logits(ember.randn(4, 3), ember.rand(4, 3))
    """
    input, target = _t(input), _t(target)
    reduction = _reduction(size_average, reduce, reduction)
    if target._data.shape != input._data.shape:
        raise ValueError(
            f"Target size ({_size(target._data.shape)}) must be the same as input size ({_size(input._data.shape)})"
        )
    _no_grad_arg("binary_cross_entropy_with_logits", "weight", weight)
    _no_grad_arg("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    check_float("log_sigmoid_cpu", input)  # torch's kernel for integer logits
    out_dtype = target.dtype  # torch computes (1 − y)·x in the target's dtype
    if target._data.dtype.kind == "b":
        E._no_bool_sub(two=True)
    if target._data.dtype != input._data.dtype:
        input, target = operands(input, target)
        _check_castable(input._data.dtype, out_dtype.np)
    dt = input._data.dtype
    w, pw = _array_arg(weight, dt), _array_arg(pos_weight, dt)
    for extra in (w, pw):
        if extra is not None:
            _broadcast_shape(input._data.shape, extra.shape)
    need_grad = is_grad_enabled() and (input.requires_grad or target.requires_grad)  # else skip σ(x) for backward
    loss = L.BCEWithLogits.apply(input, target, weight=w, pos_weight=pw, reduction=reduction, need_grad=need_grad)
    return loss if loss.dtype is out_dtype else loss.to(out_dtype)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """One-versus-all logistic loss over C labels, averaged over the labels:

        ℓᵢ = −(1/C)·Σ_c w_c·(y_ic·log σ(x_ic) + (1 − y_ic)·log σ(−x_ic))

    Args:
        input: (N, C) or (C) scores.  target: same shape, 0/1 labels.
        weight: per-class weight, shape (C). Default: None.
        reduction: 'none' (shape (N)) | 'mean' | 'sum'. Default: 'mean'.

    Torch parity: matches torch.nn.functional.multilabel_soft_margin_loss (stable log-sigmoid).
    """
    input, target = _t(input), _t(target)
    reduction = _reduction(size_average, reduce, reduction)
    _broadcast_shape(input._data.shape, target._data.shape)
    check_float("log_sigmoid_cpu", input)
    if target._data.dtype.kind == "b":  # torch computes 1 − y
        E._no_bool_sub()
    loss = -(target * _logsigmoid(input) + (1 - target) * _logsigmoid(-input))
    if weight is not None:
        loss = loss * _t(weight)
    class_dim = input._data.ndim - 1
    loss = loss.sum(class_dim) / input._data.shape[class_dim]
    return _reduce(loss, reduction)


def _logsigmoid(x: Tensor) -> Tensor:
    """log σ(x) = −softplus(−x), stable for any finite x."""
    return -N.Softplus.apply(-x, beta=1.0, threshold=20.0)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Multi-class hinge loss:

        ℓᵢ = (1/C)·Σ_{j ≠ yᵢ} (w[yᵢ]·max(0, margin − x[i, yᵢ] + x[i, j]))ᵖ     (p ∈ {1, 2};
                                                                                torch applies w after the power)

    Args:
        input: (N, C) or (C) scores.  target: int64 class indices, shape (N) or ().
        p: 1 or 2. Default: 1.  margin: Default: 1.
        weight: per-class weight, shape (C). Default: None.
        reduction: 'none' | 'mean' | 'sum'. Default: 'mean'.

    Torch parity: matches torch.nn.functional.multi_margin_loss, with w[y]·max(0, ·)ᵖ (weight outside the power).
    """
    input, target = _t(input), _t(target)
    reduction = _reduction(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise _errors.margin_p()
    x, t = input._data, target._data
    if weight is not None and _t(weight)._data.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    if t.dtype.kind not in "iu":
        raise _errors.long_target_expected(L.torch_dtype_name(t.dtype))
    if x.ndim == 0 or x.ndim > 2:
        raise _errors.empty_margin_input(x.shape)
    single = x.ndim == 1
    if single:
        input = input.unsqueeze(0)
    n, c = input._data.shape
    t = t.reshape(-1).astype(np.int64)
    if t.shape[0] != n or (target._data.ndim > 1):
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of input samples (batch "
            f"size). Expected target size [{n}], but got {list(target._data.shape)}. Input has shape {list(x.shape)}."
        )
    if t.size and (t.min() < 0 or t.max() >= c):
        raise RuntimeError("target out of range")
    w = None
    if weight is not None:
        w = _t(weight)
        if w._data.shape[0] != c:
            raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(w._data.shape)}")
    x_y = input.gather(1, _wrap(t[:, None]))
    h = (margin - x_y + input).clamp(min=0)
    if p == 2:
        h = h * h
    if w is not None:
        h = h * w.index_select(0, _wrap(t)).unsqueeze(1).to(input.dtype)
    others = np.ones((n, c), dtype=input._data.dtype)
    others[np.arange(n), t] = 0
    loss = (h * _wrap(others)).sum(1) / c
    if single:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


# ---- regression -----------------------------------------------------------------------------
def _weighted(loss: Tensor, weight, input: Tensor, reduction: str) -> Tensor:
    """torch 2.x's optional per-element weight of mse/l1/huber: w·ℓ, and 'mean' = Σ w·ℓ / Σ w."""
    weight = _t(weight)
    if weight._data.shape != input._data.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / weight.sum()


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error: ℓ = (x − y)².

    Args:
        input, target: same shape (a broadcastable target warns, as torch).
        reduction: 'none' | 'mean' | 'sum'. Default: 'mean'.
        weight: optional per-element weight (torch 2.x); 'mean' is then Σ w·ℓ / Σ w. Default: None.

    Torch parity: matches torch.nn.functional.mse_loss; one op (forward: a subtraction and a dot product;
    backward: one scaled pass).
    """
    input, target = _t(input), _t(target)
    reduction = _reduction(size_average, reduce, reduction)
    _warn_size(input, target)
    if weight is not None:
        d = input - target
        return _weighted(d * d, weight, input, reduction)
    input, target = _float_operands("mse_cpu", input, target)  # torch's promotion (int64 with float32: float32)
    return L.MSE.apply(input, target, reduction=reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error: ℓ = |x − y| (gradient sign(x − y), 0 at a tie).

    Args:
        input, target: same shape.  reduction: 'none' | 'mean' | 'sum'. Default: 'mean'.
        weight: optional per-element weight (torch 2.x); 'mean' is then Σ w·ℓ / Σ w. Default: None.

    Torch parity: matches torch.nn.functional.l1_loss.
    """
    input, target = _t(input), _t(target)
    reduction = _reduction(size_average, reduce, reduction)
    _warn_size(input, target)
    if "b" not in (input._data.dtype.kind, target._data.dtype.kind):  # (a bool operand: the subtraction's error)
        input, target = _one_dtype(input, target)
    loss = (input - target).abs()
    if weight is not None:
        return _weighted(loss, weight, input, reduction)
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Smooth L1 loss (Girshick, Fast R-CNN, 2015), z = |x − y|:

        ℓ = 0.5·z²/β if z < β else z − 0.5·β      (β = 0: the L1 loss)

    Args:
        input, target: same shape.  reduction: 'none' | 'mean' | 'sum'. Default: 'mean'.
        beta: β ≥ 0, where the loss turns from quadratic to linear. Default: 1.

    Torch parity: matches torch.nn.functional.smooth_l1_loss; β < 0 raises RuntimeError.
    Reference: Girshick, "Fast R-CNN", ICCV 2015. https://arxiv.org/abs/1504.08083
    """
    input, target = _t(input), _t(target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _warn_size(input, target)
    if beta == 0:  # torch's l1_loss
        return _reduce((input - target).abs(), reduction)
    input, target = _float_operands("smooth_l1_cpu", input, target)  # (a bool input with a float target: float)
    return _reduce(L.SmoothL1.apply(*operands(input, target), beta=beta, huber=False), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Huber loss, z = |x − y|:

        ℓ = 0.5·z² if z < δ else δ·(z − 0.5·δ)

    Args:
        input, target: same shape.  reduction: 'none' | 'mean' | 'sum'. Default: 'mean'.
        delta: δ > 0. Default: 1.
        weight: optional per-element weight (torch 2.x); 'mean' is then the mean of w·ℓ. Default: None.

    Torch parity: matches torch.nn.functional.huber_loss (the output has the input's dtype); δ ≤ 0 raises
    RuntimeError. Deliberate difference: with a target of another dtype torch's backward raises ("Found dtype
    Double but expected Float"); ember's gives the gradient.
    Reference: Huber, "Robust Estimation of a Location Parameter", Ann. Math. Statist. 1964.
    """
    input, target = _t(input), _t(target)
    reduction = _reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _warn_size(input, target)
    x, y = _one_dtype(input, target)
    _check_castable(x._data.dtype, input._data.dtype)  # torch's output has the input's dtype
    check_float("huber_cpu", x)
    loss = L.SmoothL1.apply(*operands(x, y), beta=delta, huber=True)
    if loss._data.dtype != input._data.dtype:
        loss = loss.to(input.dtype)
    if weight is not None:
        weight = _t(weight)
        if weight._data.shape != input._data.shape:
            raise ValueError("Weights and input must have the same size.")
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence of the target from the input; the input holds log-probabilities:

        ℓ = y·(log y − x)            (y log y := 0 at y = 0)
        ℓ = e^y·(y − x)              (log_target=True: the target holds log-probabilities)
        'batchmean' = Σ ℓ / (batch size = input.shape[0]),  the true KL divergence per sample

    Args:
        input: log-probabilities.  target: probabilities (or log-probabilities with log_target), same shape.
        reduction: 'none' | 'batchmean' | 'sum' | 'mean' (the mean over all elements; torch warns). Default: 'mean'.
        log_target: the target is given in log space. Default: False.

    Torch parity: matches torch.nn.functional.kl_div (values and gradients w.r.t. input and target; the target's
    gradient is NaN at y = 0, as torch's, from ``xlogy``'s ∂/∂y = x/y).
    Reference: Kullback & Leibler, "On Information and Sufficiency", Ann. Math. Statist. 1951.
    """
    input, target = _t(input), _t(target)
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, reduction)
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the support size."
                "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                stacklevel=2,
            )
        reduction = _reduction(None, None, reduction, allowed=_REDUCTIONS + ("batchmean",))
    _broadcast_shape(input._data.shape, target._data.shape)
    input, target = _no_integral(input, target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = E.xlogy(target, target) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input._data.shape[0] if input._data.ndim else total
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Negative log-likelihood of a Poisson target:

        ℓ = eˣ − y·x                      (log_input=True: the input is log λ)
        ℓ = x − y·log(x + eps)            (log_input=False: the input is λ)
        + y·log y − y + 0.5·log(2πy)      (full=True: Stirling's term, only where y > 1)

    Args:
        input: log λ or λ.  target: counts, same shape.
        log_input, full, eps: see above. Defaults: True, False, 1e-8.
        reduction: 'none' | 'mean' | 'sum'. Default: 'mean'.

    Torch parity: matches torch.nn.functional.poisson_nll_loss (values and gradients w.r.t. input and target). As
    torch, the Stirling term is computed everywhere and then set to 0 where y ≤ 1, so the target's gradient is NaN
    where the term is not finite (0·log 0 at y = 0).
    """
    input, target = _t(input), _t(target)
    reduction = _reduction(size_average, reduce, reduction)
    _broadcast_shape(input._data.shape, target._data.shape)
    if full and target._data.dtype.kind == "b":  # torch's Stirling term subtracts the target
        E._no_bool_sub()
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + E.where(target <= 1, 0.0, stirling)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of a Gaussian target with predicted mean and variance:

        ℓ = 0.5·(log max(var, eps) + (x − y)² / max(var, eps)) (+ 0.5·log 2π if full)

    The clamp passes the gradient through unchanged (torch clamps var under no_grad).

    Args:
        input: predicted means.  target: samples, same shape.
        var: variances: the input's shape, the input's shape without its last dimension, a shape with one
            dimension of size 1 (homoscedastic), or a float.
        full: add the constant. Default: False.  eps: clamp for var. Default: 1e-6.
        reduction: 'none' | 'mean' | 'sum'. Default: 'mean'.

    Torch parity: matches torch.nn.functional.gaussian_nll_loss (values; gradients w.r.t. input, target and var);
    negative var or a var of incompatible size raises ValueError.
    Reference: Nix & Weigend, "Estimating the mean and variance of the target probability distribution", 1994.
    """
    input, target = _t(input), _t(target)
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = _wrap(np.full(input._data.shape, var, dtype=input._data.dtype))
    else:
        var = _t(var)
        if (var._data < 0).any():
            raise ValueError("var has negative entry/entries")
    vs, xs = var._data.shape, input._data.shape
    if vs != xs:
        if xs[:-1] == vs:
            var = var.unsqueeze(-1)
        elif not (len(vs) == len(xs) and sum(v for x, v in zip(xs, vs) if x != v) == 1):
            raise ValueError("var is of incorrect size")
    reduction = _reduction(None, None, reduction)
    var = L.ClampGradThrough.apply(var, eps=eps)
    d = input - target
    loss = 0.5 * (var.log() + d * d / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ---- ranking and embedding --------------------------------------------------------------------
def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """Ranking hinge loss, target y ∈ {1, −1} says which input should rank higher:

        ℓ = max(0, −y·(x₁ − x₂) + margin)

    Torch parity: matches torch.nn.functional.margin_ranking_loss (inputs of different dimensionality raise
    RuntimeError).
    """
    input1, input2, target = _t(input1), _t(input2), _t(target)
    reduction = _reduction(size_average, reduce, reduction)
    if not input1._data.ndim == input2._data.ndim == target._data.ndim:
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {_size(input1._data.shape)}, input2: {_size(input2._data.shape)}, "
            f"target: {_size(target._data.shape)} "
        )
    _broadcast_shape(_broadcast_shape(input1._data.shape, input2._data.shape), target._data.shape)
    loss = (-target * (input1 - input2) + margin).clamp(min=0)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """Hinge embedding loss for targets y ∈ {1, −1} (x is typically a distance):

        ℓ = x if y = 1,   max(0, margin − x) if y = −1

    Torch parity: matches torch.nn.functional.hinge_embedding_loss (other target values add both terms, as torch;
    an integer input keeps its dtype and truncates the margin to it, as torch).
    """
    input, target = _t(input), _t(target)
    reduction = _reduction(size_average, reduce, reduction)
    _broadcast_shape(input._data.shape, target._data.shape)
    kind = input._data.dtype.kind
    if kind == "b":
        E._no_bool_sub(two=True)
    if kind in "iu":
        margin = int(margin)
    t, zero = target, 0.0 if kind == "f" else 0  # (tensor comparisons: −1 wraps into a uint8 target, as torch's)
    margin_term = E.where(t != 1, (margin - input).clamp(min=0), zero)
    self_term = E.where(t != -1, input, zero)
    return _reduce(margin_term + self_term, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Two-class logistic loss for targets y ∈ {1, −1}:

        ℓ = log(1 + exp(−y·x)) = softplus(−y·x)

    Torch parity: matches torch.nn.functional.soft_margin_loss where torch is finite; deliberate difference: the
    softplus is stable, so ember gives the finite value (≈ −y·x) where torch's log1p(exp(−y·x)) overflows to inf.
    """
    input, target = _t(input), _t(target)
    reduction = _reduction(size_average, reduce, reduction)
    _broadcast_shape(input._data.shape, target._data.shape)
    _no_grad_arg("soft_margin_loss", "target", target)
    if input._data.dtype.kind == "b":
        -input  # noqa: B018 - torch's error for negating a bool tensor
    if input._data.dtype.kind in "iu":  # torch writes the float result into a tensor of the input's dtype
        from ... import _dtype

        _check_castable(target._data.dtype if target._data.dtype.kind == "f" else _dtype.get_default_dtype().np,
                        input._data.dtype)
    target = _same_float(input, target)
    loss = N.Softplus.apply(-target * input, beta=1.0, threshold=20.0)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """Cosine embedding loss for targets y ∈ {1, −1}:

        cos = x₁·x₂ / √((‖x₁‖² + 1e-12)(‖x₂‖² + 1e-12))
        ℓ = 1 − cos if y = 1,   max(0, cos − margin) if y = −1

    Args:
        input1, input2: (N, D) with target (N), or (D) with a 0-dim target.
        margin: in [−1, 1]. Default: 0.

    Torch parity: matches torch.nn.functional.cosine_embedding_loss (same 1e-12 guard, same shape errors).
    """
    input1, input2, target = _t(input1), _t(input2), _t(target)
    reduction = _reduction(size_average, reduce, reduction)
    td, d1, d2 = target._data.ndim, input1._data.ndim, input2._data.ndim
    if td > 1:
        raise RuntimeError("1D target tensor expected, multi-target not supported")
    if td == 1 and not (d1 == 2 and d2 == 2):
        raise RuntimeError(
            f"1D target tensor expects 2D input tensors, but found inputs with sizes {list(input1._data.shape)} and "
            f"{list(input2._data.shape)}."
        )
    if td == 0 and not (d1 == 1 and d2 == 1):
        raise RuntimeError(
            f"0D target tensor expects 1D input tensors, but found inputs with sizes {list(input1._data.shape)} and "
            f"{list(input2._data.shape)}."
        )
    shape = _broadcast_shape(input1._data.shape, input2._data.shape)
    _broadcast_shape(target._data.shape, shape[:-1])
    dim = d1 - 1
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + 1e-12
    mag2 = (input2 * input2).sum(dim) + 1e-12
    cos = prod / (mag1 * mag2).sqrt()
    t = target._data
    loss = E.where(t == 1, 1 - cos, 0.0) + E.where(t == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduce(loss, reduction)


def _pairwise_distance(x1: Tensor, x2: Tensor, p: float, eps: float) -> Tensor:
    """‖x₁ − x₂ + eps‖_p over the last dimension (torch.nn.functional.pairwise_distance)."""
    return (x1 - x2 + eps).norm(p, -1)


def _check_triplet(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float) -> None:
    """torch's checks of a triplet loss: margin > 0, and the three inputs of one number of dimensions."""
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    da, dp, dn = anchor._data.ndim, positive._data.ndim, negative._data.ndim
    if not da == dp == dn:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but "
            f"got: anchor {da}D, positive {dp}D, and negative {dn}D inputs"
        )


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """Triplet loss with distance d(a, b) = ‖a − b + eps‖_p over the last dimension:

        ℓ = max(0, margin + d(a, p) − d(a, n)),   with swap: d(a, n) ← min(d(a, n), d(p, n))

    Args:
        anchor, positive, negative: (N, D) or (D).
        margin: > 0. Default: 1.  p: norm degree. Default: 2.  eps: Default: 1e-6.
        swap: the distance swap of Balntas et al. Default: False.

    Torch parity: matches torch.nn.functional.triplet_margin_loss; margin ≤ 0 raises ValueError.
    Reference: Balntas et al., "Learning local feature descriptors with triplets and shallow convolutional neural
    networks", BMVC 2016.
    """
    anchor, positive, negative = _t(anchor), _t(positive), _t(negative)
    reduction = _reduction(size_average, reduce, reduction)
    _check_triplet(anchor, positive, negative, margin)
    _broadcast_shape(_broadcast_shape(anchor._data.shape, positive._data.shape), negative._data.shape)
    d_pos = _pairwise_distance(anchor, positive, p, eps)
    d_neg = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = E.minimum(d_neg, _pairwise_distance(positive, negative, p, eps))
    loss = (margin + d_pos - d_neg).clamp(min=0)
    return _reduce(loss, reduction)
