"""Metrics from true/false positive/negative counts: stat scores, accuracy, precision, recall, F-beta, specificity,
Hamming distance. One update per task (inputs -> tp, fp, tn, fn), one reduction per metric (counts -> value).

    accuracy = (tp + tn) / (tp + fp + tn + fn)  (binary, multilabel)   or   tp / (tp + fn)  (multiclass)
    precision = tp / (tp + fp)     recall = tp / (tp + fn)     specificity = tn / (tn + fp)
    negative predictive value = tn / (tn + fn)
    F_β = (1 + β²)·tp / ((1 + β²)·tp + β²·fn + fp)             hamming = 1 − accuracy
    average: 'micro' sums the counts over classes first; 'macro' is the mean of per-class scores over classes that
    occur (tp + fp + fn > 0; multilabel: all labels); 'weighted' weights each class by its support tp + fn.
"""
from __future__ import annotations

import numpy as np

from ...utilities import safe_divide, to_tensor
from . import _inputs as I


# ----------------------------------------------------------------------------------------------------- updates
def _count(p, t, valid, axis, n_per):
    """tp, fp, tn, fn of boolean predictions p and targets t (valid: mask or None) summed over axis."""
    if valid is not None:
        p, t = p & valid, t & valid
        n_per = np.count_nonzero(valid, axis=axis)
    tp = np.count_nonzero(p & t, axis=axis)
    fp = np.count_nonzero(p, axis=axis) - tp
    fn = np.count_nonzero(t, axis=axis) - tp
    return {"tp": np.asarray(tp, np.int64), "fp": np.asarray(fp, np.int64),
            "tn": np.asarray(n_per - tp - fp - fn, np.int64), "fn": np.asarray(fn, np.int64)}


def _binary_stat_scores_update(preds, target, threshold=0.5, multidim_average="global", ignore_index=None,
                               input_format="auto", validate_args=True) -> dict:
    """Counts for binary inputs: scalars (global) or one per sample (samplewise)."""
    p, t, valid = I.binary_labels(*I.as_arrays(preds, target), threshold, ignore_index, input_format,
                                  validate_args, multidim_average)
    axis = None if multidim_average == "global" else 1
    return _count(p, t, valid, axis, p.size if axis is None else p.shape[1])


def _multilabel_stat_scores_update(preds, target, num_labels, threshold=0.5, multidim_average="global",
                                   ignore_index=None, input_format="auto", validate_args=True) -> dict:
    """Counts per label (global) or per sample and label (samplewise)."""
    p, t, valid = I.multilabel_labels(*I.as_arrays(preds, target), num_labels, threshold, ignore_index,
                                      input_format, validate_args, multidim_average)
    axis = (0, 2) if multidim_average == "global" else 2
    return _count(p, t, valid, axis, p.shape[0] * p.shape[2] if axis == (0, 2) else p.shape[2])


def _multiclass_stat_scores_update(preds, target, num_classes, top_k=1, multidim_average="global",
                                   ignore_index=None, input_format="auto", validate_args=True) -> dict:
    """Counts per class (global) or per sample and class (samplewise), from three bincounts (or from the
    confusion matrix of one numba pass). ``num_classes=None`` (micro accuracy): the counts summed over classes."""
    preds, target = I.as_arrays(preds, target)
    if num_classes is None:
        if preds.ndim == target.ndim + 1:
            c = preds.shape[1]
        else:
            labels = target if ignore_index is None else target[target != ignore_index]
            c = int(max(preds.max(initial=0), labels.max(initial=0))) + 1
        counts = _multiclass_stat_scores_update(preds, target, max(c, 2), top_k, multidim_average,
                                                ignore_index, input_format, validate_args)
        return {k: v.sum(-1, keepdims=True) for k, v in counts.items()}
    confmat = I.multiclass_confmat_fast(preds, target, num_classes, top_k, ignore_index, multidim_average)
    if confmat is not None:
        tp = np.diagonal(confmat).copy()
        fp, fn = confmat.sum(0) - tp, confmat.sum(1) - tp
        return {"tp": tp, "fp": fp, "tn": confmat.sum() - tp - fp - fn, "fn": fn}
    p, t, valid = I.multiclass_labels(preds, target, num_classes, top_k, ignore_index, input_format,
                                      validate_args, multidim_average)
    c = num_classes
    if multidim_average == "global":
        if valid is not None:
            p, t = p[valid], t[valid]
        p, t = p.ravel(), t.ravel()
        tp = np.bincount(t[p == t], minlength=c)
        fp = np.bincount(p, minlength=c) - tp
        fn = np.bincount(t, minlength=c) - tp
        tn = t.size - tp - fp - fn
    else:
        n = t.shape[0]
        offset = (np.arange(n) * c)[:, None]
        t_idx, p_idx = (t + offset), (p + offset)
        n_valid = np.full(n, t.shape[1]) if valid is None else np.count_nonzero(valid, axis=1)
        if valid is not None:
            t_idx, p_idx = t_idx[valid], p_idx[valid]
            hit = p[valid] == t[valid]
        else:
            hit = (p == t).ravel()
        t_idx, p_idx = t_idx.ravel(), p_idx.ravel()
        tp = np.bincount(t_idx[hit], minlength=n * c).reshape(n, c)
        fp = np.bincount(p_idx, minlength=n * c).reshape(n, c) - tp
        fn = np.bincount(t_idx, minlength=n * c).reshape(n, c) - tp
        tn = n_valid[:, None] - tp - fp - fn
    return {"tp": tp.astype(np.int64), "fp": fp.astype(np.int64), "tn": np.asarray(tn, np.int64),
            "fn": fn.astype(np.int64)}


# ------------------------------------------------------------------------------------------------- reductions
def _weighted_mean(score, average, multilabel, tp, fp, fn, top_k=1):
    """Average per-class scores over the last axis: torchmetrics' _adjust_weights_safe_divide."""
    if average is None or average == "none":
        return score
    if average == "weighted":
        weights = (tp + fn).astype(np.float64)
    else:
        weights = np.ones_like(score, dtype=np.float64)
        if not multilabel:
            weights[(tp + fp + fn == 0) if top_k == 1 else (tp + fn == 0)] = 0.0
    return safe_divide(weights * score, weights.sum(-1, keepdims=True)).sum(-1)


def _stat_reduce(metric, tp, fp, tn, fn, average, multidim_average="global", multilabel=False, top_k=1,
                 zero_division=0.0, beta=1.0):
    """The value of ``metric`` ('accuracy', 'precision', 'recall', 'fbeta', 'specificity', 'npv', 'hamming')."""
    if average == "micro":
        axis = 0 if multidim_average == "global" else 1
        tp, fp, tn, fn = (x.sum(axis=axis) for x in (tp, fp, tn, fn))
    top_k = top_k if metric in ("accuracy", "precision", "recall", "npv") else 1
    if metric in ("accuracy", "hamming"):
        if multilabel or average == "binary":
            score = safe_divide(tp + tn, tp + tn + fp + fn)
        else:
            score = safe_divide(tp, tp + fn)
        score = 1 - score if metric == "hamming" else score
    elif metric == "precision":
        score = safe_divide(tp, tp + fp, zero_division)
    elif metric == "recall":
        score = safe_divide(tp, tp + fn, zero_division)
    elif metric == "specificity":
        score = safe_divide(tn, tn + fp)
    elif metric == "npv":
        score = safe_divide(tn, tn + fn, zero_division)
    else:  # fbeta
        b2 = beta ** 2
        score = safe_divide((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp, zero_division)
    if average in ("binary", "micro"):
        return score
    return _weighted_mean(score, average, multilabel, tp, fp, fn, top_k)


def _stat_scores_reduce(tp, fp, tn, fn, average="macro", multidim_average="global", task="multiclass"):
    """Stack [tp, fp, tn, fn, support] on the last axis and average over classes as asked."""
    res = np.stack([tp, fp, tn, fn, tp + fn], axis=-1)
    if task == "binary":
        return res
    axis = 0 if multidim_average == "global" else 1
    if average == "micro":
        return res.sum(axis)
    if average == "macro":
        return res.astype(np.float64).mean(axis)
    if average == "weighted":
        w = (tp + fn).astype(np.float64)
        # torchmetrics normalizes multilabel weights over all samples and labels, multiclass ones per sample
        w = safe_divide(w, w.sum() if task == "multilabel" else w.sum(-1, keepdims=True))
        return (res * w[..., None]).sum(axis)
    return res


# ------------------------------------------------------------------------------------------- argument checks
def _binary_args(threshold, multidim_average, ignore_index, input_format, zero_division=0):
    I.check_threshold(threshold)
    I.check_multidim_average(multidim_average)
    I.check_ignore_index(ignore_index)
    I.check_input_format(input_format)
    I.check_zero_division(zero_division)


_NEEDS_TN = ("specificity", "npv", "stat_scores")  # their micro value depends on the number of classes


def _check_no_num_classes(average, multidim_average, metric):
    """num_classes=None: as torchmetrics, only with average='micro' (the counts summed over the classes seen).
    Deliberately also refused where torchmetrics returns nonsense: metrics built on tn (its tn is then negative)
    and samplewise averaging (where it fails inside one_hot with a RuntimeError)."""
    if average != "micro":
        raise ValueError(f"Argument `num_classes` can only be `None` for `average='micro'`, but got `average={average}`.")
    if metric in _NEEDS_TN or multidim_average != "global":
        raise ValueError(f"Argument `num_classes` is required (an integer larger than 1) for {metric} with "
                         f"multidim_average={multidim_average!r}: `None` is only supported for global micro "
                         "accuracy, precision, recall, F-scores and Hamming distance, but got None.")


def _multiclass_args(num_classes, top_k, average, multidim_average, ignore_index, input_format, zero_division=0,
                     metric="stat_scores"):
    if num_classes is None:
        _check_no_num_classes(average, multidim_average, metric)
    if num_classes is not None:
        I.check_num_classes(num_classes)
    I.check_top_k(top_k, num_classes)
    I.check_average(average)
    I.check_multidim_average(multidim_average)
    I.check_ignore_index(ignore_index)
    I.check_input_format(input_format)
    I.check_zero_division(zero_division)


def _multilabel_args(num_labels, threshold, average, multidim_average, ignore_index, input_format, zero_division=0):
    I.check_num_classes(num_labels, "num_labels")
    I.check_threshold(threshold)
    I.check_average(average)
    I.check_multidim_average(multidim_average)
    I.check_ignore_index(ignore_index)
    I.check_input_format(input_format)
    I.check_zero_division(zero_division)


def _check_beta(beta):
    if not (isinstance(beta, float) and beta > 0):
        raise ValueError(f"Expected argument `beta` to be a float larger than 0, but got {beta}.")


# ------------------------------------------------------------------------------------------ functional forms
def _binary(metric, preds, target, threshold, multidim_average, ignore_index, validate_args, input_format,
            zero_division=0.0, beta=1.0):
    if validate_args:
        _binary_args(threshold, multidim_average, ignore_index, input_format, zero_division)
    s = _binary_stat_scores_update(preds, target, threshold, multidim_average, ignore_index, input_format,
                                   validate_args)
    if metric == "stat_scores":
        return to_tensor(_stat_scores_reduce(**s, task="binary"))
    return to_tensor(_stat_reduce(metric, **s, average="binary", multidim_average=multidim_average,
                                  zero_division=zero_division, beta=beta))


def _multiclass(metric, preds, target, num_classes, average, top_k, multidim_average, ignore_index, validate_args,
                input_format, zero_division=0.0, beta=1.0):
    if validate_args:
        _multiclass_args(num_classes, top_k, average, multidim_average, ignore_index, input_format, zero_division,
                         metric)
    s = _multiclass_stat_scores_update(preds, target, num_classes, top_k, multidim_average, ignore_index,
                                       input_format, validate_args)
    if metric == "stat_scores":
        return to_tensor(_stat_scores_reduce(**s, average=average, multidim_average=multidim_average))
    return to_tensor(_stat_reduce(metric, **s, average=average, multidim_average=multidim_average, top_k=top_k,
                                  zero_division=zero_division, beta=beta))


def _multilabel(metric, preds, target, num_labels, threshold, average, multidim_average, ignore_index,
                validate_args, input_format, zero_division=0.0, beta=1.0):
    if validate_args:
        _multilabel_args(num_labels, threshold, average, multidim_average, ignore_index, input_format, zero_division)
    s = _multilabel_stat_scores_update(preds, target, num_labels, threshold, multidim_average, ignore_index,
                                       input_format, validate_args)
    if metric == "stat_scores":
        return to_tensor(_stat_scores_reduce(**s, average=average, multidim_average=multidim_average,
                                             task="multilabel"))
    return to_tensor(_stat_reduce(metric, **s, average=average, multidim_average=multidim_average, multilabel=True,
                                  zero_division=zero_division, beta=beta))


def _make_functionals(metric, doc):
    """Binary/multiclass/multilabel functional forms of one count-based metric (same signatures as torchmetrics)."""
    def binary_fn(preds, target, threshold=0.5, multidim_average="global", ignore_index=None, validate_args=True,
                  zero_division=0.0, input_format="auto"):
        return _binary(metric, preds, target, threshold, multidim_average, ignore_index, validate_args, input_format,
                       zero_division)

    def multiclass_fn(preds, target, num_classes, average="macro", top_k=1, multidim_average="global",
                      ignore_index=None, validate_args=True, zero_division=0.0, input_format="auto"):
        return _multiclass(metric, preds, target, num_classes, average, top_k, multidim_average, ignore_index,
                           validate_args, input_format, zero_division)

    def multilabel_fn(preds, target, num_labels, threshold=0.5, average="macro", multidim_average="global",
                      ignore_index=None, validate_args=True, zero_division=0.0, input_format="auto"):
        return _multilabel(metric, preds, target, num_labels, threshold, average, multidim_average, ignore_index,
                           validate_args, input_format, zero_division)

    for fn, task in ((binary_fn, "binary"), (multiclass_fn, "multiclass"), (multilabel_fn, "multilabel")):
        fn.__name__ = fn.__qualname__ = f"{task}_{metric}"
        fn.__doc__ = (f"{doc} ({task} task).\n\n    Torch parity: same arguments, defaults and values as "
                      f"torchmetrics.functional.{task}_{metric}; extra `input_format` "
                      "('auto' | 'probs' | 'logits' | 'labels'). NaN preds raise RuntimeError.")
    return binary_fn, multiclass_fn, multilabel_fn


binary_stat_scores, multiclass_stat_scores, multilabel_stat_scores = _make_functionals(
    "stat_scores", "[tp, fp, tn, fn, support] counts")
binary_accuracy, multiclass_accuracy, multilabel_accuracy = _make_functionals(
    "accuracy", "Accuracy: (tp + tn) / all (binary, multilabel), tp / (tp + fn) (multiclass)")
binary_precision, multiclass_precision, multilabel_precision = _make_functionals(
    "precision", "Precision: tp / (tp + fp)")
binary_recall, multiclass_recall, multilabel_recall = _make_functionals("recall", "Recall: tp / (tp + fn)")
binary_f1_score, multiclass_f1_score, multilabel_f1_score = _make_functionals(
    "fbeta", "F1 score: 2·tp / (2·tp + fn + fp)")
binary_specificity, multiclass_specificity, multilabel_specificity = _make_functionals(
    "specificity", "Specificity: tn / (tn + fp)")
binary_hamming_distance, multiclass_hamming_distance, multilabel_hamming_distance = _make_functionals(
    "hamming", "Hamming distance: 1 − accuracy")
binary_negative_predictive_value, multiclass_negative_predictive_value, multilabel_negative_predictive_value = \
    _make_functionals("npv", "Negative predictive value: tn / (tn + fn)")
for _name, _fns in (("f1_score", (binary_f1_score, multiclass_f1_score, multilabel_f1_score)),
                    ("negative_predictive_value", (binary_negative_predictive_value,
                                                   multiclass_negative_predictive_value,
                                                   multilabel_negative_predictive_value))):
    for _fn, _task in zip(_fns, ("binary", "multiclass", "multilabel")):
        _fn.__name__ = _fn.__qualname__ = f"{_task}_{_name}"


def binary_fbeta_score(preds, target, beta, threshold=0.5, multidim_average="global", ignore_index=None,
                       validate_args=True, zero_division=0.0, input_format="auto"):
    """F-beta score: (1 + β²)·tp / ((1 + β²)·tp + β²·fn + fp) (binary task); torchmetrics' arguments."""
    if validate_args:
        _check_beta(beta)
    return _binary("fbeta", preds, target, threshold, multidim_average, ignore_index, validate_args, input_format,
                   zero_division, beta)


def multiclass_fbeta_score(preds, target, beta, num_classes, average="macro", top_k=1, multidim_average="global",
                           ignore_index=None, validate_args=True, zero_division=0.0, input_format="auto"):
    """F-beta score (multiclass task); torchmetrics' arguments."""
    if validate_args:
        _check_beta(beta)
    return _multiclass("fbeta", preds, target, num_classes, average, top_k, multidim_average, ignore_index,
                       validate_args, input_format, zero_division, beta)


def multilabel_fbeta_score(preds, target, beta, num_labels, threshold=0.5, average="macro",
                           multidim_average="global", ignore_index=None, validate_args=True, zero_division=0.0,
                           input_format="auto"):
    """F-beta score (multilabel task); torchmetrics' arguments."""
    if validate_args:
        _check_beta(beta)
    return _multilabel("fbeta", preds, target, num_labels, threshold, average, multidim_average, ignore_index,
                       validate_args, input_format, zero_division, beta)
