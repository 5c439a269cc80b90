"""Single operating points and partial areas read off the threshold curves of `_curves`:

    recall@precision ≥ p₀      max recall over thresholds whose precision ≥ p₀ (ties: higher precision, then
                               higher threshold); threshold nan when that recall is 0
    precision@recall ≥ r₀      max precision over thresholds whose recall ≥ r₀ (ties: higher recall, threshold)
    sensitivity@specificity    max tpr over ROC points with 1 − fpr ≥ s₀ (first maximum); threshold 1e6 if none
    specificity@sensitivity    max 1 − fpr over ROC points with tpr ≥ s₀ (first maximum); threshold 1e6 if none
    EER                        (fpr + fnr)/2 at the ROC point where |fpr − fnr| is smallest, fnr = 1 − tpr
    LogAUC                     ∫ tpr d(log₁₀ fpr) over fpr ∈ [a, b] / (log₁₀ b − log₁₀ a)   (trapezoids; the
                               curve is extended with tpr interpolated at a and b)

Each is a function of the curve of one class or label; multiclass (one-vs-rest) and multilabel apply it per row.

Torch parity: values and thresholds as torchmetrics 1.x, including its quirks (the `min_*` check raises only for a
value that is neither a float nor in [0, 1], and names the argument passed, where torchmetrics' precision at fixed
recall says `min_precision`; no qualifying point gives threshold nan (PR) or 1e6 (ROC)). One
deliberate difference: LogAUC interpolates tpr at the fpr bounds on the ROC sorted stably, so a bound that falls
next to a vertical run of the curve (tied fpr) uses the run's last point; torchmetrics' unstable ``argsort`` may
pick another point of the run, and its result then depends on the sort implementation.

Reference: Mysinger & Shoichet, "Rapid context-dependent ligand desolvation in molecular docking", J. Chem. Inf.
Model. 50 (2010) (LogAUC).
"""
from __future__ import annotations

import warnings

import numpy as np

from ...utilities import to_tensor
from . import _curves as C
from . import _inputs as I


# ------------------------------------------------------------------------------------------ one curve each
def _lexmax_first(keys, mask):
    """Index of the lexicographic maximum of the tuples (keys[0][i], keys[1][i], ...) among ``mask`` (first one)."""
    idx = np.flatnonzero(mask)
    for k in keys:
        if idx.size < 2:
            break
        col = k[idx]
        idx = idx[col == col.max()]
    return idx[0]


def recall_at_precision(precision, recall, thresholds, min_precision):
    """(max recall with precision ≥ min_precision, its threshold); threshold nan when the recall is 0."""
    n = min(len(precision), len(recall), len(thresholds))
    p, r, t = precision[:n], recall[:n], thresholds[:n]
    ok = p >= min_precision
    best_r, best_t = 0.0, np.nan
    if ok.any():
        i = _lexmax_first((r, p, t), ok)
        best_r, best_t = r[i], t[i]
    return best_r, (np.nan if best_r == 0 else best_t)


def precision_at_recall(precision, recall, thresholds, min_recall):
    """(max precision with recall ≥ min_recall, its threshold); threshold nan when the precision is 0."""
    n = min(len(precision), len(recall), len(thresholds))
    p, r, t = precision[:n], recall[:n], thresholds[:n]
    ok = (r >= min_recall) & ~np.isnan(p)
    best_p, best_t = 0.0, np.nan
    if ok.any():
        i = _lexmax_first((p, r, t), ok)
        best_p, best_t = p[i], t[i]
    return best_p, (np.nan if best_p == 0 else best_t)


def _best_where(value, constraint, thresholds, minimum):
    """(first max of ``value`` where ``constraint`` ≥ minimum, its threshold), or (0, 1e6) when none qualifies."""
    ok = constraint >= minimum
    if not ok.any():
        return 0.0, 1e6
    i = np.flatnonzero(ok)[np.argmax(value[ok])]
    return value[i], thresholds[i]


def sensitivity_at_specificity(fpr, tpr, thresholds, min_specificity):
    """(max tpr with 1 − fpr ≥ min_specificity, its threshold)."""
    return _best_where(tpr, 1 - fpr, thresholds, min_specificity)


def specificity_at_sensitivity(fpr, tpr, thresholds, min_sensitivity):
    """(max 1 − fpr with tpr ≥ min_sensitivity, its threshold)."""
    return _best_where(1 - fpr, tpr, thresholds, min_sensitivity)


def equal_error_rate(fpr, tpr):
    """EER = (fpr + 1 − tpr)/2 at the first ROC point minimising |fpr − (1 − tpr)|.

    In float32, as torchmetrics: two points equally far from the diagonal are then told apart the same way."""
    fpr, tpr = np.asarray(fpr, np.float32), np.asarray(tpr, np.float32)
    i = np.argmin(np.abs(fpr - (1 - tpr)))
    return (fpr[i] + (1 - tpr[i])) / 2


def _interp_segments(x, xp, fp):
    """Linear interpolation like np.interp inside the data (xp sorted first, stably); outside it the end segments
    are extended: fp[i] + (fp[i+1] − fp[i])/(xp[i+1] − xp[i])·(x − xp[i]), i = (#xp < x) − 1 clipped to the
    segments (torchmetrics.utilities.data.interp, which LogAUC uses)."""
    order = np.argsort(xp, kind="stable")
    xp, fp = xp[order], fp[order]
    with np.errstate(divide="ignore", invalid="ignore"):
        slopes = (fp[1:] - fp[:-1]) / (xp[1:] - xp[:-1])
        i = np.clip(np.searchsorted(xp, x, side="left") - 1, 0, len(slopes) - 1)
        return fp[i] + slopes[i] * (x - xp[i])


def log_auc(fpr, tpr, fpr_range):
    """∫ tpr d(log₁₀ fpr) over [a, b], divided by log₁₀(b/a) (fpr and tpr extended at a and b, each sorted)."""
    if fpr.size < 2 or tpr.size < 2:
        warnings.warn("At least two values on for the fpr and tpr are required to compute the log AUC. Returns 0 "
                      "score.", UserWarning)
        return 0.0
    bounds = np.asarray(fpr_range, np.float32).astype(np.float64)
    tpr = np.sort(np.concatenate([tpr, _interp_segments(bounds, fpr, tpr)]))
    fpr = np.sort(np.concatenate([fpr, bounds]))
    lo, hi = (np.flatnonzero(fpr == b)[-1] for b in bounds)
    with np.errstate(divide="ignore"):
        log_fpr = np.log10(fpr[lo:hi + 1])
    log_b = np.log10(bounds)
    return C._trapz(tpr[lo:hi + 1], log_fpr) / (log_b[1] - log_b[0])


# ------------------------------------------------------------------------------------- argument checks
def check_min_value(value, name) -> None:
    """torchmetrics' check, which raises only for a value that is neither a float nor in [0, 1]."""
    if not isinstance(value, float) and not (0 <= value <= 1):
        raise ValueError(f"Expected argument `{name}` to be an float in the [0,1] range, but got {value}")


def check_fpr_range(fpr_range) -> None:
    if not isinstance(fpr_range, tuple) and not len(fpr_range) == 2:
        raise ValueError(f"The `fpr_range` should be a tuple of two floats, but got {type(fpr_range)}.")
    if not 0 <= fpr_range[0] < fpr_range[1] <= 1:
        raise ValueError(f"The `fpr_range` should be a tuple of two floats in the range [0, 1], but got {fpr_range}.")


# ------------------------------------------------------------------------------------ per-row application
POINTS = {  # name -> (curve kind, per-curve function, its argument)
    "recall_at_fixed_precision": ("pr", recall_at_precision, "min_precision"),
    "precision_at_fixed_recall": ("pr", precision_at_recall, "min_recall"),
    "sensitivity_at_specificity": ("roc", sensitivity_at_specificity, "min_specificity"),
    "specificity_at_sensitivity": ("roc", specificity_at_sensitivity, "min_sensitivity"),
}


def _rows(curve):
    """[(x, y, thresholds)] of one curve per row, from a binary curve or a per-class list / stacked array."""
    xs, ys, thr = curve
    if not isinstance(xs, list) and np.ndim(xs) == 1:
        return [(xs, ys, thr)]
    thrs = thr if isinstance(thr, list) else [thr] * len(xs)  # binned: one threshold grid shared by all rows
    return list(zip(xs, ys, thrs))


def _curve(kind, state, thresholds, num_classes=None, multilabel=False):
    if num_classes is None:
        return (C._binary_pr_compute if kind == "pr" else C._binary_roc_compute)(state, thresholds)
    return C._multi_curve_compute(kind, state, num_classes, thresholds, multilabel=multilabel)


def point_compute(name, state, thresholds, minimum, num_classes=None, multilabel=False):
    """The operating point ``name`` (a key of POINTS) on each curve: (value, threshold), scalars for binary
    (``num_classes=None``), else one per class or label."""
    kind, fn, _ = POINTS[name]
    res = [fn(x, y, t, minimum) for x, y, t in _rows(_curve(kind, state, thresholds, num_classes, multilabel))]
    value = np.array([r[0] for r in res], np.float64)
    thr = np.array([r[1] for r in res], np.float32)
    return (value[0], thr[0]) if num_classes is None else (value, thr)


def eer_compute(state, thresholds, num_classes=None, multilabel=False, average=None):
    """EER of the binary curve, of each class's / label's curve, or of their micro/macro-averaged ROC."""
    if num_classes is None:
        curve = C._binary_roc_compute(state, thresholds)
    else:
        curve = C._multi_curve_compute("roc", state, num_classes, thresholds, average, multilabel)
    rows = _rows(curve)
    res = np.array([equal_error_rate(x, y) for x, y, _ in rows])
    return res[0] if num_classes is None or average in ("micro", "macro") else res


def logauc_compute(state, thresholds, fpr_range, num_classes=None, multilabel=False, average="macro"):
    """LogAUC of the binary ROC, or per class/label reduced by ``average`` ('macro' skips nan, 'none'/None)."""
    rows = _rows(_curve("roc", state, thresholds, num_classes, multilabel))
    scores = np.array([log_auc(x, y, fpr_range) for x, y, _ in rows], np.float64)
    if num_classes is None:
        return scores[0]
    if np.isnan(scores).any():
        warnings.warn("LogAUC score for one or more classes/labels was `nan`. Ignoring these classes in "
                      "{average}-average.", UserWarning)
    if average is None or average == "none":
        return scores
    if average == "macro":
        return scores[~np.isnan(scores)].mean()
    raise ValueError(f"Got unknown average parameter: {average}. Please choose one of ['macro', 'weighted', 'none'].")


# ---------------------------------------------------------------------------------------- functional forms
def _state(task, preds, target, thresholds, num_classes, ignore_index, validate_args, input_format="auto",
           average=None):
    if task == "binary":
        return C._binary_curve_update(preds, target, thresholds, ignore_index, input_format, validate_args)
    if task == "multiclass":  # 'micro' pools the one-vs-rest scores into one binary state
        return C._multiclass_curve_update(preds, target, num_classes, thresholds, ignore_index, input_format,
                                          validate_args, "micro" if average == "micro" else None)
    return C._multilabel_curve_update(preds, target, num_classes, thresholds, ignore_index, input_format,
                                      validate_args)


def _check(task, num_classes, thresholds, ignore_index):
    if task == "multiclass":
        C._multiclass_args(num_classes, thresholds, ignore_index)
    else:
        if task == "multilabel":
            I.check_num_classes(num_classes, "num_labels")
        C._check_thresholds(thresholds, ignore_index)


def _point(name, task, preds, target, minimum, num_classes=None, thresholds=None, ignore_index=None,
           validate_args=True, input_format="auto"):
    if validate_args:
        _check(task, num_classes, thresholds, ignore_index)
        check_min_value(minimum, POINTS[name][2])
    thr = C._adjust_thresholds(thresholds)
    state = _state(task, preds, target, thr, num_classes, ignore_index, validate_args, input_format)
    n = None if task == "binary" else num_classes
    return to_tensor(point_compute(name, state, thr, minimum, n, task == "multilabel"))


def binary_recall_at_fixed_precision(preds, target, min_precision, thresholds=None, ignore_index=None, validate_args=True,
                                     input_format="auto"):
    """Highest recall with precision ≥ min_precision of binary scores: (value, threshold)."""
    return _point("recall_at_fixed_precision", "binary", preds, target, min_precision, None, thresholds, ignore_index, validate_args, input_format)


def multiclass_recall_at_fixed_precision(preds, target, num_classes, min_precision, thresholds=None, ignore_index=None,
                                         validate_args=True, input_format="auto"):
    """Highest recall with precision ≥ min_precision of each class (one-vs-rest): (values, thresholds), each (C,)."""
    return _point("recall_at_fixed_precision", "multiclass", preds, target, min_precision, num_classes, thresholds, ignore_index, validate_args,
                  input_format)


def multilabel_recall_at_fixed_precision(preds, target, num_labels, min_precision, thresholds=None, ignore_index=None,
                                         validate_args=True, input_format="auto"):
    """Highest recall with precision ≥ min_precision of each label: (values, thresholds), each (L,)."""
    return _point("recall_at_fixed_precision", "multilabel", preds, target, min_precision, num_labels, thresholds, ignore_index, validate_args,
                  input_format)


def binary_precision_at_fixed_recall(preds, target, min_recall, thresholds=None, ignore_index=None, validate_args=True,
                                     input_format="auto"):
    """Highest precision with recall ≥ min_recall of binary scores: (value, threshold)."""
    return _point("precision_at_fixed_recall", "binary", preds, target, min_recall, None, thresholds, ignore_index, validate_args, input_format)


def multiclass_precision_at_fixed_recall(preds, target, num_classes, min_recall, thresholds=None, ignore_index=None,
                                         validate_args=True, input_format="auto"):
    """Highest precision with recall ≥ min_recall of each class (one-vs-rest): (values, thresholds), each (C,)."""
    return _point("precision_at_fixed_recall", "multiclass", preds, target, min_recall, num_classes, thresholds, ignore_index, validate_args,
                  input_format)


def multilabel_precision_at_fixed_recall(preds, target, num_labels, min_recall, thresholds=None, ignore_index=None,
                                         validate_args=True, input_format="auto"):
    """Highest precision with recall ≥ min_recall of each label: (values, thresholds), each (L,)."""
    return _point("precision_at_fixed_recall", "multilabel", preds, target, min_recall, num_labels, thresholds, ignore_index, validate_args,
                  input_format)


def binary_sensitivity_at_specificity(preds, target, min_specificity, thresholds=None, ignore_index=None, validate_args=True,
                                      input_format="auto"):
    """Highest sensitivity (tpr) with specificity ≥ min_specificity of binary scores: (value, threshold)."""
    return _point("sensitivity_at_specificity", "binary", preds, target, min_specificity, None, thresholds, ignore_index, validate_args, input_format)


def multiclass_sensitivity_at_specificity(preds, target, num_classes, min_specificity, thresholds=None, ignore_index=None,
                                          validate_args=True, input_format="auto"):
    """Highest sensitivity (tpr) with specificity ≥ min_specificity of each class (one-vs-rest): (values, thresholds), each (C,)."""
    return _point("sensitivity_at_specificity", "multiclass", preds, target, min_specificity, num_classes, thresholds, ignore_index, validate_args,
                  input_format)


def multilabel_sensitivity_at_specificity(preds, target, num_labels, min_specificity, thresholds=None, ignore_index=None,
                                          validate_args=True, input_format="auto"):
    """Highest sensitivity (tpr) with specificity ≥ min_specificity of each label: (values, thresholds), each (L,)."""
    return _point("sensitivity_at_specificity", "multilabel", preds, target, min_specificity, num_labels, thresholds, ignore_index, validate_args,
                  input_format)


def binary_specificity_at_sensitivity(preds, target, min_sensitivity, thresholds=None, ignore_index=None, validate_args=True,
                                      input_format="auto"):
    """Highest specificity (1 − fpr) with sensitivity ≥ min_sensitivity of binary scores: (value, threshold)."""
    return _point("specificity_at_sensitivity", "binary", preds, target, min_sensitivity, None, thresholds, ignore_index, validate_args, input_format)


def multiclass_specificity_at_sensitivity(preds, target, num_classes, min_sensitivity, thresholds=None, ignore_index=None,
                                          validate_args=True, input_format="auto"):
    """Highest specificity (1 − fpr) with sensitivity ≥ min_sensitivity of each class (one-vs-rest): (values, thresholds), each (C,)."""
    return _point("specificity_at_sensitivity", "multiclass", preds, target, min_sensitivity, num_classes, thresholds, ignore_index, validate_args,
                  input_format)


def multilabel_specificity_at_sensitivity(preds, target, num_labels, min_sensitivity, thresholds=None, ignore_index=None,
                                          validate_args=True, input_format="auto"):
    """Highest specificity (1 − fpr) with sensitivity ≥ min_sensitivity of each label: (values, thresholds), each (L,)."""
    return _point("specificity_at_sensitivity", "multilabel", preds, target, min_sensitivity, num_labels, thresholds, ignore_index, validate_args,
                  input_format)


def _roc_state(task, preds, target, thresholds, num_classes, ignore_index, validate_args, input_format,
               average=None):
    if validate_args:
        _check(task, num_classes, thresholds, ignore_index)
    thr = C._adjust_thresholds(thresholds)
    return _state(task, preds, target, thr, num_classes, ignore_index, validate_args, input_format, average), thr


def binary_eer(preds, target, thresholds=None, ignore_index=None, validate_args=True, input_format="auto"):
    """Equal error rate of binary scores (where false positive and false negative rates meet)."""
    state, thr = _roc_state("binary", preds, target, thresholds, None, ignore_index, validate_args, input_format)
    return to_tensor(eer_compute(state, thr))


def multiclass_eer(preds, target, num_classes, thresholds=None, average=None, ignore_index=None, validate_args=True,
                   input_format="auto"):
    """Equal error rate per class (one-vs-rest), or of the micro/macro-averaged ROC."""
    if validate_args:
        I.check_average(average, (None, "micro", "macro"))
    state, thr = _roc_state("multiclass", preds, target, thresholds, num_classes, ignore_index, validate_args,
                            input_format, average)
    return to_tensor(eer_compute(state, thr, num_classes, average=average))


def multilabel_eer(preds, target, num_labels, thresholds=None, ignore_index=None, validate_args=True,
                   input_format="auto"):
    """Equal error rate per label."""
    state, thr = _roc_state("multilabel", preds, target, thresholds, num_labels, ignore_index, validate_args,
                            input_format)
    return to_tensor(eer_compute(state, thr, num_labels, multilabel=True))


def binary_logauc(preds, target, fpr_range=(0.001, 0.1), thresholds=None, ignore_index=None, validate_args=True,
                  input_format="auto"):
    """LogAUC: area under tpr against log₁₀ fpr over ``fpr_range``, normalised to [0, 1]."""
    check_fpr_range(fpr_range)
    state, thr = _roc_state("binary", preds, target, thresholds, None, ignore_index, validate_args, input_format)
    return to_tensor(logauc_compute(state, thr, fpr_range))


def multiclass_logauc(preds, target, num_classes, fpr_range=(0.001, 0.1), average="macro", thresholds=None,
                      ignore_index=None, validate_args=True, input_format="auto"):
    """LogAUC per class (one-vs-rest), averaged ('macro' over non-nan classes, or 'none')."""
    if validate_args:
        check_fpr_range(fpr_range)
    state, thr = _roc_state("multiclass", preds, target, thresholds, num_classes, ignore_index, validate_args,
                            input_format)
    return to_tensor(logauc_compute(state, thr, fpr_range, num_classes, average=average))


def multilabel_logauc(preds, target, num_labels, fpr_range=(0.001, 0.1), average="macro", thresholds=None,
                      ignore_index=None, validate_args=True, input_format="auto"):
    """LogAUC per label, averaged ('macro' over non-nan labels, or 'none')."""
    state, thr = _roc_state("multilabel", preds, target, thresholds, num_labels, ignore_index, validate_args,
                            input_format)
    return to_tensor(logauc_compute(state, thr, fpr_range, num_labels, True, average))
