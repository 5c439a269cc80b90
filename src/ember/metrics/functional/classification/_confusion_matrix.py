"""Confusion matrix and the metrics computed from it: Matthews correlation, Cohen's kappa, Jaccard index.

    confmat[i, j] = #{target = i, pred = j}            (binary 2×2, multiclass C×C, multilabel L×2×2)
    MCC   = (c·s − Σₖ tₖpₖ) / √((s² − Σₖ pₖ²)(s² − Σₖ tₖ²))   c = trace, s = total, tₖ/pₖ row/column sums
    kappa = 1 − Σ wᵢⱼ·confmatᵢⱼ / Σ wᵢⱼ·expectedᵢⱼ,   expected = rowsum ⊗ colsum / s,  w = 1 − I | |i−j| | (i−j)²
    IoU   = tp / (tp + fp + fn)

References: Matthews, Biochim. Biophys. Acta 405 (1975); Cohen, Educ. Psychol. Meas. 20 (1960);
Jaccard, New Phytologist 11 (1912).
"""
from __future__ import annotations

import warnings

import numpy as np

from ...utilities import safe_divide, to_tensor
from . import _inputs as I
from ._stat_scores import _binary_args, _multilabel_args


# ----------------------------------------------------------------------------------------------------- updates
def _binary_confusion_matrix_update(preds, target, threshold=0.5, ignore_index=None, input_format="auto",
                                    validate_args=True) -> dict:
    p, t, valid = I.binary_labels(*I.as_arrays(preds, target), threshold, ignore_index, input_format, validate_args)
    idx = 2 * t.ravel() + p.ravel()
    if valid is not None:
        idx = idx[valid.ravel()]
    return {"confmat": np.bincount(idx, minlength=4).reshape(2, 2)}


def _multiclass_confusion_matrix_update(preds, target, num_classes, ignore_index=None, input_format="auto",
                                        validate_args=True) -> dict:
    preds, target = I.as_arrays(preds, target)
    confmat = I.multiclass_confmat_fast(preds, target, num_classes, 1, ignore_index)
    if confmat is not None:
        return {"confmat": confmat}
    p, t, valid = I.multiclass_labels(preds, target, num_classes, 1, ignore_index, input_format, validate_args)
    idx = t * num_classes + p
    idx = idx[valid] if valid is not None else idx.ravel()
    return {"confmat": np.bincount(idx, minlength=num_classes * num_classes).reshape(num_classes, num_classes)}


def _multilabel_confusion_matrix_update(preds, target, num_labels, threshold=0.5, ignore_index=None,
                                        input_format="auto", validate_args=True) -> dict:
    p, t, valid = I.multilabel_labels(*I.as_arrays(preds, target), num_labels, threshold, ignore_index,
                                      input_format, validate_args)
    idx = 2 * t + p + 4 * np.arange(num_labels)[None, :, None]
    idx = idx[valid] if valid is not None else idx.ravel()
    return {"confmat": np.bincount(idx, minlength=4 * num_labels).reshape(num_labels, 2, 2)}


# ------------------------------------------------------------------------------------------------- reductions
def _confusion_matrix_reduce(confmat, normalize=None):
    """Counts, or rates over true rows ('true'), predicted columns ('pred') or everything ('all'); 0/0 -> 0."""
    allowed = ("true", "pred", "all", "none", None)
    if normalize not in allowed:
        raise ValueError(f"Argument `normalize` needs to one of the following: {allowed}")
    if normalize in (None, "none"):
        return confmat
    axis = {"true": (-1,), "pred": (-2,), "all": (-2, -1)}[normalize]
    out = safe_divide(confmat, confmat.sum(axis=axis, keepdims=True), np.nan)
    n_nan = int(np.isnan(out).sum())
    if n_nan:
        warnings.warn(f"{n_nan} NaN values found in confusion matrix have been replaced with zeros.", UserWarning)
        out = np.nan_to_num(out, nan=0.0)
    return out


def _matthews_corrcoef_reduce(confmat):
    """MCC of a (summed) confusion matrix, with torchmetrics' conventions for degenerate 2×2 matrices."""
    confmat = confmat.sum(0) if confmat.ndim == 3 else confmat
    confmat = confmat.astype(np.float64)
    if confmat.size == 4:
        tn, fp, fn, tp = confmat.ravel()
        if tp + tn != 0 and fp + fn == 0:
            return np.float64(1.0)
        if tp + tn == 0 and fp + fn != 0:
            return np.float64(-1.0)
    tk, pk = confmat.sum(-1), confmat.sum(-2)
    c, s = np.trace(confmat), confmat.sum()
    numerator = c * s - (tk * pk).sum()
    denom = (s ** 2 - (pk * pk).sum()) * (s ** 2 - (tk * tk).sum())
    if denom == 0 and confmat.size == 4:
        eps = np.finfo(np.float32).eps
        if fn == 0 and tn == 0:
            numerator = np.sqrt(eps) * (tp - fp)
        elif fp == 0 and tn == 0:
            numerator = np.sqrt(eps) * (tp - fn)
        elif tp == 0 and fn == 0:
            numerator = np.sqrt(eps) * (tn - fp)
        elif tp == 0 and fp == 0:
            numerator = np.sqrt(eps) * (tn - fn)
        elif tp == 0:
            numerator = tn - fp * fn
        elif tn == 0:
            numerator = tp - fp * fn
        elif fp == 0 or fn == 0:
            numerator = tp * tn
        else:
            return np.float64(0.0)
        denom = (tp + fp + eps) * (tp + fn + eps) * (tn + fp + eps) * (tn + fn + eps)
    elif denom == 0:
        return np.float64(0.0)
    return numerator / np.sqrt(denom)


def _cohen_kappa_reduce(confmat, weights=None):
    """1 − Σ w·observed / Σ w·expected."""
    confmat = confmat.astype(np.float64)
    c = confmat.shape[0]
    sum0, sum1 = confmat.sum(0, keepdims=True), confmat.sum(1, keepdims=True)
    expected = sum1 @ sum0 / sum0.sum()
    grid = np.arange(c, dtype=np.float64)
    if weights is None or weights == "none":
        w = 1.0 - np.eye(c)
    elif weights == "linear":
        w = np.abs(grid[None, :] - grid[:, None])
    elif weights == "quadratic":
        w = (grid[None, :] - grid[:, None]) ** 2
    else:
        raise ValueError(f"Received {weights} for argument ``weights`` but should be either None, 'linear' or 'quadratic'")
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1 - (w * confmat).sum() / (w * expected).sum()


def _jaccard_index_reduce(confmat, average, ignore_index=None, zero_division=0.0):
    """IoU per class, averaged like torchmetrics (macro skips absent classes and ignore_index)."""
    allowed = ["binary", "micro", "macro", "weighted", "none", None]
    if average not in allowed:
        raise ValueError(f"The `average` has to be one of {allowed}, got {average}.")
    confmat = confmat.astype(np.float64)
    if average == "binary":
        return safe_divide(confmat[1, 1], confmat[0, 1] + confmat[1, 0] + confmat[1, 1], zero_division)
    ignore_in = ignore_index is not None and 0 <= ignore_index < confmat.shape[0]
    multilabel = confmat.ndim == 3
    if multilabel:
        num = confmat[:, 1, 1]
        denom = confmat[:, 1, 1] + confmat[:, 0, 1] + confmat[:, 1, 0]
    else:
        num = np.diag(confmat)
        denom = confmat.sum(0) + confmat.sum(1) - num
    if average == "micro":
        num, denom = num.sum(), denom.sum() - (denom[ignore_index] if ignore_in else 0.0)
    jaccard = safe_divide(num, denom, zero_division)
    if average in (None, "none", "micro"):
        return jaccard
    if average == "weighted":
        weights = confmat[:, 1, 1] + confmat[:, 1, 0] if multilabel else confmat.sum(1)
    else:
        weights = np.ones_like(jaccard)
        if ignore_in:
            weights[ignore_index] = 0.0
        if not multilabel:
            weights[confmat.sum(1) + confmat.sum(0) == 0] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return (weights * jaccard / weights.sum()).sum()


# ------------------------------------------------------------------------------------------- argument checks
def _check_normalize(normalize):
    allowed = ("true", "pred", "all", "none", None)
    if normalize not in allowed:
        raise ValueError(f"Expected argument `normalize` to be one of {allowed}, but got {normalize}.")


def _check_weights(weights):
    allowed = ("linear", "quadratic", "none", None)
    if weights not in allowed:
        raise ValueError(f"Expected argument `weight` to be one of {allowed}, but got {weights}.")


def _multiclass_cm_args(num_classes, ignore_index, input_format):
    I.check_num_classes(num_classes)
    I.check_ignore_index(ignore_index)
    I.check_input_format(input_format)


# ------------------------------------------------------------------------------------------ functional forms
def binary_confusion_matrix(preds, target, threshold=0.5, normalize=None, ignore_index=None, validate_args=True,
                            input_format="auto"):
    """2×2 confusion matrix [[tn, fp], [fn, tp]]; torchmetrics' arguments."""
    if validate_args:
        _binary_args(threshold, "global", ignore_index, input_format)
        _check_normalize(normalize)
    cm = _binary_confusion_matrix_update(preds, target, threshold, ignore_index, input_format, validate_args)
    return to_tensor(_confusion_matrix_reduce(cm["confmat"], normalize))


def multiclass_confusion_matrix(preds, target, num_classes, normalize=None, ignore_index=None, validate_args=True,
                                input_format="auto"):
    """C×C confusion matrix, rows = target, columns = prediction; torchmetrics' arguments."""
    if validate_args:
        _multiclass_cm_args(num_classes, ignore_index, input_format)
        _check_normalize(normalize)
    cm = _multiclass_confusion_matrix_update(preds, target, num_classes, ignore_index, input_format, validate_args)
    return to_tensor(_confusion_matrix_reduce(cm["confmat"], normalize))


def multilabel_confusion_matrix(preds, target, num_labels, threshold=0.5, normalize=None, ignore_index=None,
                                validate_args=True, input_format="auto"):
    """One 2×2 confusion matrix per label, shape (L, 2, 2); torchmetrics' arguments."""
    if validate_args:
        _multilabel_args(num_labels, threshold, "macro", "global", ignore_index, input_format)
        _check_normalize(normalize)
    cm = _multilabel_confusion_matrix_update(preds, target, num_labels, threshold, ignore_index, input_format,
                                             validate_args)
    return to_tensor(_confusion_matrix_reduce(cm["confmat"], normalize))


def binary_matthews_corrcoef(preds, target, threshold=0.5, ignore_index=None, validate_args=True,
                             input_format="auto"):
    """Matthews correlation coefficient (binary task)."""
    if validate_args:
        _binary_args(threshold, "global", ignore_index, input_format)
    cm = _binary_confusion_matrix_update(preds, target, threshold, ignore_index, input_format, validate_args)
    return to_tensor(_matthews_corrcoef_reduce(cm["confmat"]))


def multiclass_matthews_corrcoef(preds, target, num_classes, ignore_index=None, validate_args=True,
                                 input_format="auto"):
    """Matthews correlation coefficient (multiclass task)."""
    if validate_args:
        _multiclass_cm_args(num_classes, ignore_index, input_format)
    cm = _multiclass_confusion_matrix_update(preds, target, num_classes, ignore_index, input_format, validate_args)
    return to_tensor(_matthews_corrcoef_reduce(cm["confmat"]))


def multilabel_matthews_corrcoef(preds, target, num_labels, threshold=0.5, ignore_index=None, validate_args=True,
                                 input_format="auto"):
    """Matthews correlation coefficient of the label-summed 2×2 matrix (multilabel task)."""
    if validate_args:
        _multilabel_args(num_labels, threshold, "macro", "global", ignore_index, input_format)
    cm = _multilabel_confusion_matrix_update(preds, target, num_labels, threshold, ignore_index, input_format,
                                             validate_args)
    return to_tensor(_matthews_corrcoef_reduce(cm["confmat"]))


def binary_cohen_kappa(preds, target, threshold=0.5, weights=None, ignore_index=None, validate_args=True,
                       input_format="auto"):
    """Cohen's kappa (binary task)."""
    if validate_args:
        _binary_args(threshold, "global", ignore_index, input_format)
        _check_weights(weights)
    cm = _binary_confusion_matrix_update(preds, target, threshold, ignore_index, input_format, validate_args)
    return to_tensor(_cohen_kappa_reduce(cm["confmat"], weights))


def multiclass_cohen_kappa(preds, target, num_classes, weights=None, ignore_index=None, validate_args=True,
                           input_format="auto"):
    """Cohen's kappa (multiclass task)."""
    if validate_args:
        _multiclass_cm_args(num_classes, ignore_index, input_format)
        _check_weights(weights)
    cm = _multiclass_confusion_matrix_update(preds, target, num_classes, ignore_index, input_format, validate_args)
    return to_tensor(_cohen_kappa_reduce(cm["confmat"], weights))


def binary_jaccard_index(preds, target, threshold=0.5, ignore_index=None, validate_args=True, zero_division=0.0,
                         input_format="auto"):
    """Jaccard index / IoU of the positive class (binary task)."""
    if validate_args:
        _binary_args(threshold, "global", ignore_index, input_format, zero_division)
    cm = _binary_confusion_matrix_update(preds, target, threshold, ignore_index, input_format, validate_args)
    return to_tensor(_jaccard_index_reduce(cm["confmat"], "binary", zero_division=zero_division))


def multiclass_jaccard_index(preds, target, num_classes, average="macro", ignore_index=None, validate_args=True,
                             zero_division=0.0, input_format="auto"):
    """Jaccard index / IoU per class, averaged (multiclass task)."""
    if validate_args:
        _multiclass_cm_args(num_classes, ignore_index, input_format)
        I.check_average(average)
    cm = _multiclass_confusion_matrix_update(preds, target, num_classes, ignore_index, input_format, validate_args)
    return to_tensor(_jaccard_index_reduce(cm["confmat"], average, ignore_index, zero_division))


def multilabel_jaccard_index(preds, target, num_labels, threshold=0.5, average="macro", ignore_index=None,
                             validate_args=True, zero_division=0.0, input_format="auto"):
    """Jaccard index / IoU per label, averaged (multilabel task)."""
    if validate_args:
        _multilabel_args(num_labels, threshold, average, "global", ignore_index, input_format)
    cm = _multilabel_confusion_matrix_update(preds, target, num_labels, threshold, ignore_index, input_format,
                                             validate_args)
    return to_tensor(_jaccard_index_reduce(cm["confmat"], average, ignore_index, zero_division))
