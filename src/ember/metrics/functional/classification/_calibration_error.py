"""Expected / maximum / RMS calibration error: how far confidence is from accuracy, over equal-width bins.

    ECE (l1) = Σ_b (n_b/n)·|acc_b − conf_b|     MCE (max) = max_b |acc_b − conf_b|     RMSCE (l2) = √(Σ_b (n_b/n)(acc_b − conf_b)²)
Reference: Naeini, Cooper & Hauskrecht, "Obtaining Well Calibrated Probabilities Using Bayesian Binning", AAAI 2015;
Guo et al., "On Calibration of Modern Neural Networks", ICML 2017.
"""
from __future__ import annotations

import numpy as np

from .... import _errors
from ...utilities import to_tensor
from . import _inputs as I


def _binary_calibration_error_update(preds, target, ignore_index=None, input_format="auto",
                                     validate_args=True) -> dict:
    p, t = I.as_arrays(preds, target)
    if validate_args:
        I.check_same_shape(p, t)
        I.check_binary_values(t, "target", ignore_index)
        if p.dtype.kind != "f":
            raise _errors.preds_not_float(p.dtype)
        I.check_no_nan(p)
    p, t = p.reshape(-1), t.reshape(-1)
    if ignore_index is not None:
        keep = t != ignore_index
        p, t = p[keep], t[keep]
    return {"confidences": I.to_probs(p, "sigmoid", input_format), "accuracies": t.astype(p.dtype)}


def _multiclass_calibration_error_update(preds, target, num_classes, ignore_index=None, input_format="auto",
                                         validate_args=True) -> dict:
    p, t = I.as_arrays(preds, target)
    if validate_args and p.dtype.kind != "f":
        raise _errors.preds_not_float(p.dtype)
    probs, t = I.multiclass_scores(p, t, num_classes, ignore_index, input_format, validate_args) if validate_args \
        else I.multiclass_scores(p, t, num_classes, ignore_index, input_format, False)
    return {"confidences": probs.max(1).astype(np.float32), "accuracies": (probs.argmax(1) == t).astype(np.float32)}


def _ce_compute(confidences, accuracies, n_bins, norm="l1", debias=False):
    """Calibration error from per-sample confidences and 0/1 correctness, bins [0, 1/B), …, [(B−1)/B, 1]."""
    if norm not in ("l1", "l2", "max"):
        raise ValueError(f"Argument `norm` is expected to be one of 'l1', 'l2', 'max' but got {norm}")
    conf = np.asarray(confidences, dtype=np.float32)
    boundaries = np.linspace(0, 1, n_bins + 1, dtype=np.float32)
    idx = np.searchsorted(boundaries, conf, side="right") - 1
    count = np.bincount(idx, minlength=n_bins + 1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        conf_bin = np.nan_to_num(np.bincount(idx, weights=conf, minlength=n_bins + 1) / count)
        acc_bin = np.nan_to_num(np.bincount(idx, weights=accuracies, minlength=n_bins + 1) / count)
        prop = count / count.sum()
    if norm == "l1":
        return np.sum(np.abs(acc_bin - conf_bin) * prop)
    if norm == "max":
        return np.max(np.abs(acc_bin - conf_bin))
    ce = np.sum((acc_bin - conf_bin) ** 2 * prop)
    if debias:
        with np.errstate(divide="ignore", invalid="ignore"):
            ce += np.sum(np.nan_to_num(acc_bin * (acc_bin - 1) * prop / (prop * len(conf) - 1)))
    return np.sqrt(ce) if ce > 0 else 0.0


def _check_args(n_bins, norm, ignore_index, input_format):
    if not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"Expected argument `n_bins` to be an integer larger than 0, but got {n_bins}")
    if norm not in ("l1", "l2", "max"):
        raise ValueError(f"Expected argument `norm` to be one of ('l1', 'l2', 'max'), but got {norm}.")
    I.check_ignore_index(ignore_index)
    I.check_input_format(input_format)


def binary_calibration_error(preds, target, n_bins=15, norm="l1", ignore_index=None, validate_args=True,
                             input_format="auto"):
    """Calibration error of binary probabilities (confidence = p, accuracy = target)."""
    if validate_args:
        _check_args(n_bins, norm, ignore_index, input_format)
    s = _binary_calibration_error_update(preds, target, ignore_index, input_format, validate_args)
    return to_tensor(_ce_compute(s["confidences"], s["accuracies"], n_bins, norm))


def multiclass_calibration_error(preds, target, num_classes, n_bins=15, norm="l1", ignore_index=None,
                                 validate_args=True, input_format="auto"):
    """Calibration error of the top-1 class (confidence = max prob, accuracy = argmax == target)."""
    if validate_args:
        I.check_num_classes(num_classes)
        _check_args(n_bins, norm, ignore_index, input_format)
    s = _multiclass_calibration_error_update(preds, target, num_classes, ignore_index, input_format, validate_args)
    return to_tensor(_ce_compute(s["confidences"], s["accuracies"], n_bins, norm))
