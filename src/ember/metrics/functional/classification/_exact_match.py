"""Exact match (subset accuracy): the fraction of samples whose every position/label is predicted correctly.

    exact_match = #{samples with ŷ = y everywhere} / #samples
"""
from __future__ import annotations

import numpy as np

from ...utilities import safe_divide, to_tensor
from . import _inputs as I
from ._stat_scores import _multiclass_args, _multilabel_args


def _multiclass_exact_match_update(preds, target, num_classes, multidim_average="global", ignore_index=None,
                                   input_format="auto", validate_args=True) -> dict:
    p, t, valid = I.multiclass_labels(*I.as_arrays(preds, target), num_classes, 1, ignore_index, input_format,
                                      validate_args, multidim_average)
    ok = p == t
    if valid is not None:
        ok |= ~valid
    correct = ok.all(axis=1)
    if multidim_average == "samplewise":
        return {"correct": correct.astype(np.int64), "total": np.int64(1)}
    return {"correct": np.int64(correct.sum()), "total": np.int64(correct.size)}


def _multilabel_exact_match_update(preds, target, num_labels, threshold=0.5, multidim_average="global",
                                   ignore_index=None, input_format="auto", validate_args=True) -> dict:
    p, t, valid = I.multilabel_labels(*I.as_arrays(preds, target), num_labels, threshold, ignore_index,
                                      input_format, validate_args, multidim_average)
    ok = p == t
    if valid is not None:
        ok |= ~valid
    correct = ok.all(axis=1)  # (N, positions)
    if multidim_average == "samplewise":
        return {"correct": correct.sum(1).astype(np.int64), "total": np.int64(correct.shape[1])}
    return {"correct": np.int64(correct.sum()), "total": np.int64(correct.size)}


def _exact_match_reduce(correct, total):
    return safe_divide(correct, total)


def multiclass_exact_match(preds, target, num_classes, multidim_average="global", ignore_index=None,
                           validate_args=True, input_format="auto"):
    """Exact match over all positions of each sample (multiclass task); torchmetrics' arguments."""
    if validate_args:
        _multiclass_args(num_classes, 1, None, multidim_average, ignore_index, input_format)
    s = _multiclass_exact_match_update(preds, target, num_classes, multidim_average, ignore_index, input_format,
                                       validate_args)
    return to_tensor(_exact_match_reduce(**s))


def multilabel_exact_match(preds, target, num_labels, threshold=0.5, multidim_average="global", ignore_index=None,
                           validate_args=True, input_format="auto"):
    """Exact match over all labels (multilabel task); torchmetrics' arguments."""
    if validate_args:
        _multilabel_args(num_labels, threshold, None, multidim_average, ignore_index, input_format)
    s = _multilabel_exact_match_update(preds, target, num_labels, threshold, multidim_average, ignore_index,
                                       input_format, validate_args)
    return to_tensor(_exact_match_reduce(**s))
