"""Hinge loss of probability scores p (torchmetrics' HingeLoss; logits are squashed first by the 'auto' rule).

    binary:          margin = p if y = 1 else −p                  loss = mean over samples of max(0, 1 − margin)ᵏ
    crammer-singer:  margin = p_y − max_{c ≠ y} p_c                (one value)
    one-vs-all:      margin_c = p_c if c = y else −p_c             (one value per class)
with k = 2 when ``squared`` else 1.

Reference: Crammer & Singer, "On the algorithmic implementation of multiclass kernel-based vector machines",
JMLR 2 (2001).
"""
from __future__ import annotations

import numpy as np

from .... import _errors
from ...utilities import to_tensor
from . import _inputs as I

MODES = ("crammer-singer", "one-vs-all")


def hinge(margin, squared):
    """max(0, 1 − margin), squared if asked."""
    h = np.maximum(1 - margin, 0)
    return h * h if squared else h


def check_args(squared, ignore_index, num_classes=None, multiclass_mode=None, multiclass=False):
    if not isinstance(squared, bool):
        raise ValueError(f"Expected argument `squared` to be an bool but got {squared}")
    I.check_ignore_index(ignore_index)
    if multiclass:
        if not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(f"Expected argument `num_classes` to be an integer larger than 1, but got {num_classes}")
        if multiclass_mode not in MODES:
            raise ValueError(f"Expected argument `multiclass_mode` to be one of {MODES}, but got {multiclass_mode}.")


def _check_float(preds):
    if not I._is_float(preds):
        raise _errors.preds_not_float(preds.dtype)


def _binary_hinge_update(preds, target, squared, ignore_index=None, validate_args=True) -> dict:
    p, t = I.as_arrays(preds, target)
    if validate_args:
        I.check_same_shape(p, t)
        I.check_binary_values(t, "target", ignore_index)
        _check_float(p)
    p, t = I.binary_scores(p, t, ignore_index, "auto", False)
    margin = np.where(t == 1, p, -p).astype(np.float64)
    return {"measures": hinge(margin, squared).sum(), "total": np.int64(t.size)}


def _multiclass_hinge_update(preds, target, num_classes, squared, multiclass_mode, ignore_index=None,
                             validate_args=True) -> dict:
    p, t = I.as_arrays(preds, target)
    if validate_args:
        _check_float(p)
    p, t = I.multiclass_scores(p, t, num_classes, ignore_index, "auto", validate_args)
    p = p.astype(np.float64)
    hit = t[:, None] == np.arange(p.shape[1])
    if multiclass_mode == "crammer-singer":
        others = np.where(hit, -np.inf, p).max(1) if p.size else np.zeros(0)
        margin = p[np.arange(t.size), t] - others
        return {"measures": hinge(margin, squared).sum(), "total": np.int64(t.size)}
    return {"measures": hinge(np.where(hit, p, -p), squared).sum(0), "total": np.int64(t.size)}


def _hinge_compute(measures, total):
    return np.asarray(measures, np.float64) / total


def binary_hinge_loss(preds, target, squared=False, ignore_index=None, validate_args=False):
    """Mean (squared) hinge loss of binary scores."""
    if validate_args:
        check_args(squared, ignore_index)
    return to_tensor(_hinge_compute(**_binary_hinge_update(preds, target, squared, ignore_index, validate_args)))


def multiclass_hinge_loss(preds, target, num_classes, squared=False, multiclass_mode="crammer-singer",
                          ignore_index=None, validate_args=False):
    """Mean (squared) multiclass hinge loss: Crammer-Singer (a scalar) or one-vs-all (one value per class)."""
    if validate_args:
        check_args(squared, ignore_index, num_classes, multiclass_mode, multiclass=True)
    return to_tensor(_hinge_compute(**_multiclass_hinge_update(preds, target, num_classes, squared, multiclass_mode,
                                                               ignore_index, validate_args)))
