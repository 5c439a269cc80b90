"""Margin losses over label sets and learned distances: ``multilabel_margin_loss`` and
``triplet_margin_with_distance_loss``, compositions of differentiable ops (their gradients follow)."""
from __future__ import annotations

import numpy as np

from ...autograd.ops import elementwise as E
from ...autograd.ops._util import check_float
from ...tensor import _wrap
from .loss import _check_triplet, _reduce, _reduction, _t
from ... import _errors

__all__ = ["multilabel_margin_loss", "triplet_margin_with_distance_loss"]


def _label_sets(target: np.ndarray, C: int):
    """(used, member): used[n, j] — the j-th entry is a label (it precedes the first −1); member[n, c] — c is one
    of sample n's labels."""
    stop = np.cumsum(target == -1, axis=1) > 0
    used = ~stop
    member = np.zeros(target.shape, bool)
    rows, cols = np.nonzero(used)
    member[rows, target[rows, cols]] = True
    return used, member


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-class multi-label hinge loss. For a sample x ∈ ℝᶜ with label set {y₀, y₁, …} (the entries of target
    before the first −1):

        ℓ = Σⱼ Σ_{i ∉ labels} max(0, 1 − (x[yⱼ] − x[i])) / C

    Args:
        input: (C) or (N, C) scores.  target: int64 of the same shape, labels padded with −1.
        reduction: 'none' | 'mean' | 'sum'. Default: 'mean'.

    Torch parity: values, gradients and errors (target shape, dtype, labels outside [−1, C)) as
    torch.nn.functional.multilabel_margin_loss.
    Example:  >>> F.multilabel_margin_loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([[3, 0, -1, 1]]))
    """
    reduction = _reduction(size_average, reduce, reduction)
    x, y = _t(input), _t(target)
    xs, ys = x._data.shape, y._data.shape
    if x._data.ndim > 2 or x._data.ndim == 2 and xs[1] == 0:
        raise _errors.empty_margin_input(xs)
    if ys != xs:
        raise RuntimeError(f"inconsistent target size: {list(ys)} for input of size: {list(xs)}")
    if y._data.dtype != np.int64:
        raise _errors.long_target_expected(_type(y._data.dtype))
    check_float("multilabel_margin_loss_forward_out_frame", x)
    one = x._data.ndim < 2
    rows = (1, xs[0] if xs else 1) if one else xs
    x2, t = x.reshape(*rows), y._data.reshape(rows)
    C = x2.shape[1]
    if t.size and (t.min() < -1 or t.max() >= C):
        raise RuntimeError("argument #2 'target' is out of range")
    used, member = _label_sets(t, C)
    x_label = x2.gather(1, _wrap(np.where(used, t, 0)))  # x[yⱼ] per entry j
    hinge = (1 - x_label[:, :, None] + x2[:, None, :]).clamp(min=0)
    pairs = _wrap((used[:, :, None] & ~member[:, None, :]).astype(x._data.dtype))
    loss = (hinge * pairs).sum((1, 2)) / C
    if one:
        loss = loss[0]
    return _reduce(loss, reduction)


def _type(dt) -> str:
    return {"float32": "Float", "float64": "Double", "int32": "Int", "bool": "Bool", "int16": "Short",
            "uint8": "Byte", "int8": "Char", "float16": "Half"}.get(str(dt), str(dt))


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """Triplet loss with any distance d (default: ``pairwise_distance``, the 2-norm of a − b + 1e-6):

        ℓ = max(0, margin + d(a, p) − d(a, n)),   with swap: d(a, n) ← min(d(a, n), d(p, n))

    Args:
        anchor, positive, negative: tensors of one number of dimensions.
        distance_function: callable of two tensors giving non-negative distances. Default: pairwise_distance.
        margin: > 0. Default: 1.  swap: the distance swap of Balntas et al. Default: False.
        reduction: 'none' | 'mean' | 'sum'. Default: 'mean'.

    Torch parity: values, gradients and errors as torch.nn.functional.triplet_margin_with_distance_loss.
    Reference: Balntas et al., "Learning local feature descriptors with triplets and shallow convolutional neural
    networks", BMVC 2016.
    Example:  >>> F.triplet_margin_with_distance_loss(ember.randn(4, 3), ember.randn(4, 3), ember.randn(4, 3))
    """
    if reduction not in ("mean", "sum", "none"):
        raise _errors.invalid_reduction(reduction)
    anchor, positive, negative = _t(anchor), _t(positive), _t(negative)
    _check_triplet(anchor, positive, negative, margin)
    if distance_function is None:
        from .distance import pairwise_distance as distance_function
    d_pos = distance_function(anchor, positive)
    d_neg = distance_function(anchor, negative)
    if swap:
        d_neg = E.minimum(d_neg, distance_function(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction)

