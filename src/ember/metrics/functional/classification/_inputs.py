"""Argument checks and input formatting shared by every classification metric.

Formatting turns (preds, target) into labels or scores with a validity mask, the one place where torchmetrics'
conventions live:
    float preds are probabilities or logits; ``input_format='auto'`` applies sigmoid (binary, multilabel) or
    softmax over dim 1 (multiclass) when some value lies outside [0, 1] (torchmetrics' rule, decided per batch);
    'logits' always applies it, 'probs' never, 'labels' reads preds as hard labels.
    binary / multilabel labels: preds > threshold.  multiclass labels: argmax over dim 1 (top_k: the target if it is
    among the k best scores, else the best one).  Positions whose target equals ignore_index are masked out.
"""
from __future__ import annotations

import math

import numpy as np

from .... import _errors
from ... import _kernels
from ...utilities import to_numpy

INPUT_FORMATS = ("auto", "probs", "logits", "labels")
AVERAGES = ("micro", "macro", "weighted", "none", None)


# ------------------------------------------------------------------------------------------------ argument checks
def check_threshold(threshold) -> None:
    if not (isinstance(threshold, float) and 0 <= threshold <= 1):
        raise ValueError(f"Expected argument `threshold` to be a float in the [0,1] range, but got {threshold}.")


def check_average(average, allowed=AVERAGES) -> None:
    if average not in allowed:
        raise _errors.average_not_allowed(allowed, average)


def check_multidim_average(multidim_average) -> None:
    allowed = ("global", "samplewise")
    if multidim_average not in allowed:
        raise ValueError(f"Expected argument `multidim_average` to be one of {allowed}, but got {multidim_average}")


def check_ignore_index(ignore_index) -> None:
    if ignore_index is not None and not isinstance(ignore_index, int):
        raise ValueError(f"Expected argument `ignore_index` to either be `None` or an integer, but got {ignore_index}")


def check_num_classes(num_classes, name="num_classes") -> None:
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 2:
        raise ValueError(f"Expected argument `{name}` to be an integer larger than 1, but got {num_classes}")


def check_top_k(top_k, num_classes) -> None:
    if not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"Expected argument `top_k` to be an integer larger than or equal to 1, but got {top_k}")
    if top_k > (num_classes if num_classes is not None else 1):
        raise ValueError(f"Expected argument `top_k` to be smaller or equal to `num_classes` but got {top_k} and {num_classes}")


def check_zero_division(zero_division) -> None:
    if zero_division not in (0, 1):
        raise ValueError(f"Expected argument `zero_division` to be 0 or 1, but got {zero_division}.")


def check_input_format(input_format) -> None:
    if input_format not in INPUT_FORMATS:
        raise ValueError(f"Expected argument `input_format` to be one of {INPUT_FORMATS}, but got {input_format}")


# -------------------------------------------------------------------------------------------------- tensor checks
def _is_float(x: np.ndarray) -> bool:
    return x.dtype.kind == "f"


def check_no_nan(preds: np.ndarray) -> None:
    if _is_float(preds) and preds.size and np.isnan(preds.min()):
        raise RuntimeError("Detected NaN values in `preds`; predictions must be finite probabilities or logits.")


def check_same_shape(preds: np.ndarray, target: np.ndarray) -> None:
    if preds.shape != target.shape:
        raise _errors.shapes_differ(preds.shape, target.shape)


def check_binary_values(x: np.ndarray, name: str, ignore_index=None) -> None:
    """Every (non-ignored) value of x is 0 or 1; torchmetrics raises RuntimeError otherwise."""
    if not x.size:
        return
    bad = (x != 0) & (x != 1)
    if ignore_index is not None:
        bad &= x != ignore_index
    if bad.any():
        allowed = [0, 1] if ignore_index is None else [0, 1, ignore_index]
        raise RuntimeError(f"Detected the following values in `{name}`: {np.unique(x)} but expected only the "
                           f"following values {allowed}.")


def check_class_values(x: np.ndarray, name: str, num_classes: int, ignore_index=None) -> None:
    """Every (non-ignored) value of x is an integer class index in [0, num_classes)."""
    if not x.size:
        return
    if _is_float(x) and (x != np.round(x)).any():
        raise RuntimeError(f"Expected `{name}` to hold integer class indices, but got non-integer floats: "
                           f"{np.unique(x)[:10]}")
    lo, hi = x.min(), x.max()
    if lo >= 0 and hi < num_classes:
        return
    bad = (x < 0) | (x >= num_classes)
    if ignore_index is not None:
        bad &= x != ignore_index
    if bad.any():
        raise RuntimeError(f"Detected values in `{name}` outside the range [0, {num_classes - 1}] of "
                           f"`num_classes={num_classes}`: {np.unique(x[bad])[:10]}"
                           + ("" if ignore_index is None else f" (ignore_index={ignore_index})") + ".")


def check_int_target(target: np.ndarray) -> None:
    if _is_float(target):
        raise ValueError("Expected argument `target` to be an int or long tensor with ground truth labels but got "
                         f"tensor with dtype {target.dtype}")


def check_float_preds(preds: np.ndarray) -> None:
    if not _is_float(preds):
        raise ValueError("Expected argument `preds` to be an floating tensor with probability/logit scores, but got "
                         f"tensor with dtype {preds.dtype}")


# ---------------------------------------------------------------------------------------------------- normalizing
def sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def softmax(x: np.ndarray, axis: int = 1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def to_probs(preds: np.ndarray, kind: str, input_format: str) -> np.ndarray:
    """Probabilities from float preds: sigmoid/softmax for logits (always, or under 'auto' if outside [0, 1])."""
    if input_format == "probs" or input_format == "labels" or not preds.size:
        return preds
    if input_format == "auto" and preds.min() >= 0 and preds.max() <= 1:
        return preds
    return sigmoid(preds) if kind == "sigmoid" else softmax(preds, 1)


def _rows(x, *lead):
    """x reshaped to (*lead, rest) without -1 (which numpy refuses for empty arrays)."""
    return x.reshape(*lead, math.prod(x.shape[len(lead):]))


def as_arrays(preds, target) -> tuple[np.ndarray, np.ndarray]:
    return to_numpy(preds), to_numpy(target)


# --------------------------------------------------------------------------------------------- labels (stat scores)
def binary_labels(preds, target, threshold=0.5, ignore_index=None, input_format="auto", validate_args=True,
                  multidim_average="global"):
    """(preds > threshold as bool, target == 1, valid mask), each shaped (N, -1)."""
    if validate_args:
        check_same_shape(preds, target)
        check_binary_values(target, "target", ignore_index)
        if not _is_float(preds) or input_format == "labels":
            check_binary_values(preds, "preds")
        check_no_nan(preds)
        if multidim_average != "global" and preds.ndim < 2:
            raise ValueError("Expected input to be at least 2D when multidim_average is set to `samplewise`")
    n = preds.shape[0] if preds.ndim else 1
    if _is_float(preds) and input_format != "labels":
        preds = to_probs(preds, "sigmoid", input_format) > threshold
    p = _rows(preds, n).astype(bool, copy=False)
    t = _rows(target, n)
    valid = None if ignore_index is None else t != ignore_index
    return p, t == 1, valid


def _topk_labels(probs: np.ndarray, target: np.ndarray, k: int) -> np.ndarray:
    """The target where it is among the k highest scores (axis 1), else the argmax: torchmetrics' top_k rule."""
    top = np.argpartition(-probs, k - 1, axis=1)[:, :k]
    hit = (top == target[:, None]).any(axis=1)
    return np.where(hit, target, probs.argmax(axis=1))


def multiclass_confmat_fast(preds, target, num_classes, top_k=1, ignore_index=None, multidim_average="global"):
    """The (C, C) confusion matrix of (target, argmax preds) from one numba pass, or None where the general path
    must run: no numba, shapes other than float (N, C) with integer (N,), top_k > 1, samplewise, or inputs the
    general path rejects (NaN scores, targets out of range; its checks then raise the error)."""
    if (top_k != 1 or multidim_average != "global" or preds.ndim != 2 or target.ndim != 1
            or preds.dtype.kind != "f" or target.dtype.kind not in "iu" or not target.size
            or preds.shape != (target.shape[0], num_classes) or not _kernels.numba_available()):
        return None
    result = _kernels.argmax_confmat(preds, target, num_classes, ignore_index)
    return result[0] if result is not None and result[1] == _kernels.OK else None


def multiclass_labels(preds, target, num_classes, top_k=1, ignore_index=None, input_format="auto",
                      validate_args=True, multidim_average="global"):
    """(predicted class, target class, valid mask), each shaped (N, -1); masked positions hold class 0."""
    if validate_args:
        if preds.ndim == target.ndim + 1:
            if not _is_float(preds):
                raise ValueError("If `preds` have one dimension more than `target`, `preds` should be a float tensor.")
            if num_classes is not None and preds.shape[1] != num_classes:
                raise ValueError("If `preds` have one dimension more than `target`, `preds.shape[1]` should be equal "
                                 f"to number of classes, but got preds.shape[1]={preds.shape[1]} and "
                                 f"num_classes={num_classes}.")
            if preds.shape[2:] != target.shape[1:]:
                raise ValueError("If `preds` have one dimension more than `target`, the shape of `preds` should be "
                                 "(N, C, ...), and the shape of `target` should be (N, ...).")
            if preds.shape[0] != target.shape[0]:
                raise RuntimeError(f"`preds` and `target` disagree on the batch size: {preds.shape} and {target.shape}.")
            if multidim_average != "global" and preds.ndim < 3:
                raise ValueError("If `preds` have one dimension more than `target`, the shape of `preds` should be at "
                                 "least 3D when multidim_average is set to `samplewise`")
        elif preds.ndim == target.ndim:
            if preds.shape != target.shape:
                raise ValueError("The `preds` and `target` should have the same shape, got `preds` with shape="
                                 f"{preds.shape} and `target` with shape={target.shape}.")
            if multidim_average != "global" and preds.ndim < 2:
                raise ValueError("When `preds` and `target` have the same shape, the shape of `preds` should be at "
                                 "least 2D when multidim_average is set to `samplewise`")
            check_class_values(preds, "preds", num_classes)
        else:
            raise ValueError("Either `preds` and `target` both should have the (same) shape (N, ...), or `target` "
                             "should be (N, ...) and `preds` should be (N, C, ...).")
        check_class_values(target, "target", num_classes, ignore_index)
        check_no_nan(preds)
    n = target.shape[0] if target.ndim else 1
    t = _rows(target, n).astype(np.int64, copy=False)
    valid = None
    if ignore_index is not None:
        valid = t != ignore_index
        t = np.where(valid, t, 0)
    if preds.ndim == target.ndim + 1:
        c = preds.shape[1]
        if top_k == 1:
            p = _rows(preds.argmax(axis=1), n)
        else:
            scores = np.moveaxis(_rows(preds, n, c), 1, -1).reshape(-1, c)
            p = _topk_labels(scores, t.reshape(-1), top_k).reshape(t.shape)
    else:
        p = _rows(preds, n).astype(np.int64, copy=False)
    return p, t, valid


def multilabel_labels(preds, target, num_labels, threshold=0.5, ignore_index=None, input_format="auto",
                      validate_args=True, multidim_average="global"):
    """(preds > threshold, target == 1, valid mask), each shaped (N, L, -1)."""
    if validate_args:
        check_same_shape(preds, target)
        if preds.ndim < 2 or preds.shape[1] != num_labels:
            raise _errors.num_labels_mismatch(preds.shape[1] if preds.ndim > 1 else None, num_labels)
        check_binary_values(target, "target", ignore_index)
        if not _is_float(preds) or input_format == "labels":
            check_binary_values(preds, "preds")
        check_no_nan(preds)
        if multidim_average != "global" and preds.ndim < 3:
            raise ValueError("Expected input to be at least 3D when multidim_average is set to `samplewise`")
    if _is_float(preds) and input_format != "labels":
        preds = to_probs(preds, "sigmoid", input_format) > threshold
    n = preds.shape[0]
    p = _rows(preds, n, num_labels).astype(bool, copy=False)
    t = _rows(target, n, num_labels)
    valid = None if ignore_index is None else t != ignore_index
    return p, t == 1, valid


# ----------------------------------------------------------------------------------------------- scores (curves)
def binary_scores(preds, target, ignore_index=None, input_format="auto", validate_args=True):
    """Flat probabilities and 0/1 targets with ignored positions removed."""
    if validate_args:
        check_same_shape(preds, target)
        check_int_target(target)
        check_float_preds(preds)
        check_binary_values(target, "target", ignore_index)
        check_no_nan(preds)
    p, t = preds.reshape(-1), target.reshape(-1)
    if ignore_index is not None:
        keep = t != ignore_index
        p, t = p[keep], t[keep]
    return to_probs(p, "sigmoid", input_format), t


def multiclass_scores(preds, target, num_classes, ignore_index=None, input_format="auto", validate_args=True):
    """Probabilities (n, C) and class targets (n,) with ignored positions removed."""
    if validate_args:
        if preds.ndim != target.ndim + 1:
            raise ValueError(f"Expected `preds` to have one more dimension than `target` but got {preds.ndim} and "
                             f"{target.ndim}")
        check_int_target(target)
        if not _is_float(preds):
            raise ValueError(f"Expected `preds` to be a float tensor, but got {preds.dtype}")
        if preds.shape[1] != num_classes:
            raise ValueError("Expected `preds.shape[1]` to be equal to the number of classes but got "
                             f"{preds.shape[1]} and {num_classes}.")
        if preds.shape[0] != target.shape[0] or preds.shape[2:] != target.shape[1:]:
            raise ValueError("Expected the shape of `preds` should be (N, C, ...) and the shape of `target` should be "
                             f"(N, ...) but got {preds.shape} and {target.shape}")
        check_class_values(target, "target", num_classes, ignore_index)
        check_no_nan(preds)
    p = np.moveaxis(preds, 1, -1).reshape(-1, num_classes) if preds.ndim > 2 else preds
    t = target.reshape(-1)
    if ignore_index is not None:
        keep = t != ignore_index
        p, t = p[keep], t[keep]
    return to_probs(p, "softmax", input_format), t


def multilabel_scores(preds, target, num_labels, ignore_index=None, input_format="auto", validate_args=True):
    """Probabilities and targets shaped (n, L); ignored targets become -1 (kept, filtered per label later)."""
    if validate_args:
        check_same_shape(preds, target)
        check_int_target(target)
        check_float_preds(preds)
        check_binary_values(target, "target", ignore_index)
        if preds.shape[1] != num_labels:
            raise _errors.num_labels_mismatch(preds.shape[1], num_labels)
        check_no_nan(preds)
    p = np.moveaxis(preds, 1, -1).reshape(-1, num_labels) if preds.ndim > 2 else preds
    t = np.moveaxis(target, 1, -1).reshape(-1, num_labels) if target.ndim > 2 else target
    if ignore_index is not None:
        t = np.where(t == ignore_index, -1, t)
    return to_probs(p, "sigmoid", input_format), t
