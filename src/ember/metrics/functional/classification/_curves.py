"""Threshold curves and their areas: precision-recall curve, ROC, average precision, AUROC.

For scores s and binary targets y, at each threshold τ (descending): tp(τ) = #{s ≥ τ, y = 1}, fp(τ) = #{s ≥ τ, y = 0}
    precision = tp / (tp + fp)     recall = tpr = tp / P     fpr = fp / N
    AUROC = ∫ tpr d(fpr)  (trapezoids)                    AP = Σₖ (Rₖ − Rₖ₋₁)·Pₖ  (step rule, no interpolation)
Exact mode keeps every score (a sort per class at compute); binned mode (``thresholds=`` int, list or array) keeps
a constant-memory (T, [C,] 2, 2) confusion matrix per threshold, filled by one searchsorted + bincount per batch.

The exact sort packs each label into the low bits of the float32 score's bit pattern (order preserving for
non-negative floats), so one ``np.sort`` of uint32 replaces an argsort.

References: Fawcett, "An introduction to ROC analysis", Pattern Recognition Letters 27 (2006);
Davis & Goadrich, "The relationship between precision-recall and ROC curves", ICML 2006.
"""
from __future__ import annotations

import warnings

import numpy as np

from .... import _errors
from ... import _kernels
from ...utilities import safe_divide, to_numpy, to_tensor
from . import _inputs as I

IGNORED, NEG, POS = 0, 1, 2  # per-sample flags packed into the sort key


# ----------------------------------------------------------------------------------------------- thresholds
def _adjust_thresholds(thresholds):
    """None (exact) or a float32 1-D array of thresholds (int → linspace(0, 1, T))."""
    if thresholds is None:
        return None
    if isinstance(thresholds, int):
        return np.linspace(0, 1, thresholds, dtype=np.float32)
    return np.asarray(to_numpy(thresholds), dtype=np.float32)


def _check_thresholds(thresholds, ignore_index=None):
    if thresholds is not None and not isinstance(thresholds, (list, int)) and to_numpy(thresholds).ndim != 1:
        raise ValueError("If argument `thresholds` is an tensor, expected the tensor to be 1d")
    if isinstance(thresholds, bool) or (thresholds is not None and not isinstance(thresholds, (list, int))
                                        and not hasattr(thresholds, "__array__") and not hasattr(thresholds, "_data")):
        raise ValueError("Expected argument `thresholds` to either be an integer, list of floats or tensor of floats,"
                         f" but got {thresholds}")
    if isinstance(thresholds, int) and thresholds < 2:
        raise ValueError(f"If argument `thresholds` is an integer, expected it to be larger than 1, but got {thresholds}")
    if isinstance(thresholds, list) and not all(isinstance(t, float) and 0 <= t <= 1 for t in thresholds):
        raise ValueError("If argument `thresholds` is a list, expected all elements to be floats in the [0,1] range, "
                         f"but got {thresholds}")
    I.check_ignore_index(ignore_index)


# ------------------------------------------------------------------------------------------------- updates
def _binned_update(scores, flags, thresholds):
    """(T, L, 2, 2) counts [[tn, fp], [fn, tp]] at each threshold (score ≥ τ is positive), for scores (n, L)."""
    n_t, n_l = len(thresholds), scores.shape[1]
    order = np.argsort(thresholds, kind="stable")
    k = np.searchsorted(thresholds[order], scores, side="right")  # number of thresholds ≤ score
    k = k + (n_t + 1) * np.arange(n_l)
    hist = [np.bincount(k[flags == f], minlength=n_l * (n_t + 1)).reshape(n_l, n_t + 1) for f in (NEG, POS)]
    neg, pos = (np.cumsum(h[:, ::-1], axis=1)[:, ::-1][:, 1:] for h in hist)  # (L, T): #scores ≥ τ_j
    fn, tn = hist[1].sum(1, keepdims=True) - pos, hist[0].sum(1, keepdims=True) - neg
    cm = np.stack([np.stack([tn, neg], -1), np.stack([fn, pos], -1)], -2)  # (L, T, 2, 2)
    out = np.empty_like(cm)
    out[:, order] = cm
    return out.transpose(1, 0, 2, 3)


def _binary_curve_update(preds, target, thresholds=None, ignore_index=None, input_format="auto",
                         validate_args=True) -> dict:
    p, t = I.binary_scores(*I.as_arrays(preds, target), ignore_index, input_format, validate_args)
    if thresholds is None:
        return {"preds": p, "target": t}
    return {"confmat": _binned_update(p[:, None], np.where(t == 1, POS, NEG)[:, None], thresholds)[:, 0]}


def _multiclass_curve_update(preds, target, num_classes, thresholds=None, ignore_index=None, input_format="auto",
                             validate_args=True, average=None) -> dict:
    p, t = I.multiclass_scores(*I.as_arrays(preds, target), num_classes, ignore_index, input_format, validate_args)
    if average == "micro":
        t = (t[:, None] == np.arange(num_classes)).astype(np.int64).ravel()
        p = p.ravel()
        if thresholds is None:
            return {"preds": p, "target": t}
        return {"confmat": _binned_update(p[:, None], np.where(t == 1, POS, NEG)[:, None], thresholds)[:, 0]}
    if thresholds is None:
        return {"preds": p, "target": t}
    flags = np.where(t[:, None] == np.arange(num_classes), POS, NEG)
    return {"confmat": _binned_update(p, flags, thresholds)}


def _multilabel_curve_update(preds, target, num_labels, thresholds=None, ignore_index=None, input_format="auto",
                             validate_args=True) -> dict:
    p, t = I.multilabel_scores(*I.as_arrays(preds, target), num_labels, ignore_index, input_format, validate_args)
    if thresholds is None:
        return {"preds": p, "target": t}
    return {"confmat": _binned_update(p, np.where(t == 1, POS, np.where(t == 0, NEG, IGNORED)), thresholds)}


# ------------------------------------------------------------------------------------------- exact curves
def _packed_keys(scores, flags):
    """Sorted uint32 keys (score bits << 2 | flag) per row, or None when scores are not float32 in [0, 1].

    For non-negative floats the bit pattern orders like the value, and floats in [0, 1] are below 2**30, so two
    low bits are free for the flag (the shift also maps -0.0 onto 0.0). One np.sort of these keys replaces an
    argsort plus two gathers."""
    if scores.dtype != np.float32 or not scores.size or scores.min() < 0 or scores.max() > 1:
        return None
    key = np.left_shift(scores.view(np.uint32), 2)
    np.bitwise_or(key, flags.astype(np.uint8, copy=False), out=key)
    key.sort(axis=1)
    return key


def _sort_desc(scores, flags):
    """Rows of scores sorted descending with their flags carried along; scores, flags (L, n)."""
    key = _packed_keys(scores, flags)
    if key is not None:
        key = key[:, ::-1]
        return (key >> 2).view(np.float32), (key & 3).astype(np.int8)
    order = np.argsort(-scores, axis=1, kind="stable")
    return np.take_along_axis(scores, order, 1), np.take_along_axis(flags, order, 1)


def _clf_curve(scores, flags):
    """Per row: (fps, tps, thresholds) at each distinct score, descending (torchmetrics' _binary_clf_curve)."""
    s, f = _sort_desc(scores, flags)
    out = []
    for srow, frow in zip(s, f):
        keep = frow != IGNORED
        srow, frow = (srow[keep], frow[keep]) if not keep.all() else (srow, frow)
        idx = np.append(np.flatnonzero(np.diff(srow)), srow.size - 1) if srow.size else np.zeros(0, np.int64)
        tps = np.cumsum(frow == POS)[idx]
        out.append((idx + 1 - tps, tps, srow[idx]))
    return out


def _auroc_exact(scores, flags):
    """Area under each row's ROC curve, all rows at once, from one sort.

    The trapezoid area equals the rank statistic U/(P·N) (Mann & Whitney 1947; Hanley & McNeil 1982):
        U = Σ over positives of (#negatives scored lower + ½·#negatives scored equal).
    In the sorted keys a tie group lists its negatives before its positives, so a running count of negatives gives
    the first term plus all tied negatives; the rare tie groups are then corrected by ½·pos_g·neg_g each.
    With numba, one kernel does the same from a radix sort (no comparison sort, no index arrays)."""
    fast = _kernels.auroc_rank(scores, flags)
    if fast is not None:
        u, n_pos, n_neg = fast
        return safe_divide(u, n_pos * n_neg)
    key = _packed_keys(scores, flags)
    if key is None:  # scores outside [0, 1] or not float32: trapezoids over the argsorted curve
        return _auroc_trapezoids(scores, flags)
    flag = key & 3
    pos = flag == POS
    n_rows, n = key.shape
    if (flag != IGNORED).all():  # U = Σ (0-based rank of each positive) − P(P−1)/2
        r, j = np.nonzero(pos)
        n_pos = np.bincount(r, minlength=n_rows).astype(np.float64)
        u = np.bincount(r, weights=j, minlength=n_rows) - n_pos * (n_pos - 1) / 2
        n_neg = n - n_pos
    else:  # ignored entries hold ranks too: count the negatives below each positive directly
        neg_upto = np.cumsum(flag == NEG, axis=1, dtype=np.int64)
        u = np.where(pos, neg_upto, 0).sum(1).astype(np.float64)
        n_pos, n_neg = pos.sum(1).astype(np.float64), neg_upto[:, -1].astype(np.float64)
    tie = (key[:, 1:] ^ key[:, :-1]) < 4  # same score bits: element j+1 ties with element j
    if tie.any():
        r, j = np.nonzero(tie)
        start = np.ones(j.size, bool)
        start[1:] = (j[1:] != j[:-1] + 1) | (r[1:] != r[:-1])
        group = np.cumsum(start) - 1
        rows, cols = np.concatenate([r, r[start]]), np.concatenate([j + 1, j[start]])
        members, f = np.concatenate([group, group[start]]), flag[rows, cols]
        pos_g = np.bincount(members, weights=f == POS)
        neg_g = np.bincount(members, weights=f == NEG)
        u -= 0.5 * np.bincount(r[start], weights=pos_g * neg_g, minlength=n_rows)
    return safe_divide(u, n_pos * n_neg)


def _auroc_trapezoids(scores, flags):
    """Area under each row's ROC curve via trapezoids over the distinct sorted scores."""
    s, f = _sort_desc(scores, flags)
    end = np.ones(s.shape, bool)
    end[:, :-1] = s[:, 1:] != s[:, :-1]
    tp, fp = np.cumsum(f == POS, axis=1), np.cumsum(f == NEG, axis=1)
    n_pos, n_neg = tp[:, -1].astype(np.float64), fp[:, -1].astype(np.float64)
    rows = np.repeat(np.arange(s.shape[0]), end.sum(1))
    tp, fp = tp[end].astype(np.float64), fp[end].astype(np.float64)
    first = np.ones(tp.size, bool)
    first[1:] = rows[1:] != rows[:-1]
    prev_tp, prev_fp = np.where(first, 0, np.roll(tp, 1)), np.where(first, 0, np.roll(fp, 1))
    area = np.bincount(rows, weights=(fp - prev_fp) * (tp + prev_tp), minlength=s.shape[0]) / 2
    return safe_divide(area, n_pos * n_neg)


def _ap_exact(scores, flags):
    """Average precision of each row: Σₖ (tpₖ − tpₖ₋₁)/P · tpₖ/(tpₖ + fpₖ) over distinct descending scores."""
    s, f = _sort_desc(scores, flags)
    end = np.ones(s.shape, bool)
    end[:, :-1] = s[:, 1:] != s[:, :-1]
    tp, fp = np.cumsum(f == POS, axis=1), np.cumsum(f == NEG, axis=1)
    n_pos = tp[:, -1].astype(np.float64)
    rows = np.repeat(np.arange(s.shape[0]), end.sum(1))
    tp, fp = tp[end].astype(np.float64), fp[end].astype(np.float64)
    first = np.ones(tp.size, bool)
    first[1:] = rows[1:] != rows[:-1]
    d_tp = tp - np.where(first, 0, np.roll(tp, 1))
    total = np.bincount(rows, weights=d_tp * safe_divide(tp, tp + fp), minlength=s.shape[0])
    return safe_divide(total, n_pos)


def _pr_from_curve(fps, tps, thr, recall_one_if_no_positive=True):
    """Precision/recall at ascending thresholds, ending in (1, 0). torchmetrics sets recall to 1 when the target is
    all zeros, which for one-vs-rest classes only happens when every target is class 0 (else recall is nan)."""
    precision = safe_divide(tps, tps + fps, np.nan)
    if recall_one_if_no_positive and (tps.size == 0 or tps[-1] == 0):
        warnings.warn("No positive samples found in target, recall is undefined. Setting recall to one for all "
                      "thresholds.", UserWarning)
        recall = np.ones(tps.shape)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            recall = tps / tps[-1]
    return (np.append(precision[::-1], 1.0), np.append(recall[::-1], 0.0), thr[::-1].copy())


def _roc_from_curve(fps, tps, thr):
    tps, fps = np.append(0, tps), np.append(0, fps)
    thr = np.append(np.float32(1.0), thr).astype(thr.dtype)
    if fps[-1] <= 0:
        warnings.warn("No negative samples in targets, false positive value should be meaningless. Returning zero "
                      "tensor in false positive score", UserWarning)
        fpr = np.zeros(thr.shape)
    else:
        fpr = fps / fps[-1]
    if tps[-1] <= 0:
        warnings.warn("No positive samples in targets, true positive value should be meaningless. Returning zero "
                      "tensor in true positive score", UserWarning)
        tpr = np.zeros(thr.shape)
    else:
        tpr = tps / tps[-1]
    return fpr, tpr, thr


# ------------------------------------------------------------------------------------------ binned curves
def _binned_pr(cm, thresholds):
    """cm (T, L, 2, 2) -> precision, recall (L, T+1) and thresholds (T,)."""
    tp, fp, fn = cm[..., 1, 1], cm[..., 0, 1], cm[..., 1, 0]
    precision = np.concatenate([safe_divide(tp, tp + fp, np.nan), np.ones((1, tp.shape[1]))]).T
    recall = np.concatenate([safe_divide(tp, tp + fn, np.nan), np.zeros((1, tp.shape[1]))]).T
    return precision, recall, thresholds


def _binned_roc(cm, thresholds):
    """cm (T, L, 2, 2) -> fpr, tpr (L, T) in ascending fpr order and thresholds descending."""
    tp, fp, fn, tn = cm[..., 1, 1], cm[..., 0, 1], cm[..., 1, 0], cm[..., 0, 0]
    return safe_divide(fp, fp + tn)[::-1].T, safe_divide(tp, tp + fn)[::-1].T, thresholds[::-1]


def _trapz(y, x):
    return ((x[..., 1:] - x[..., :-1]) * (y[..., 1:] + y[..., :-1]) / 2).sum(-1)


def _interp(x, xp, fp):
    """torchmetrics' piecewise-linear interpolation (extrapolates with the end segments)."""
    m = safe_divide(fp[1:] - fp[:-1], xp[1:] - xp[:-1])
    b = fp[:-1] - m * xp[:-1]
    idx = np.clip(np.sum(x[:, None] >= xp[None, :], 1) - 1, 0, len(m) - 1)
    return m[idx] * x + b[idx]


# ------------------------------------------------------------------------------------------- reductions
def _flags_binary(t):
    return (t == 1).astype(np.uint8) + np.uint8(NEG)


def _per_class(preds, target, num_classes, multilabel):
    """Scores (L, n) and flags (L, n) per class (one-vs-rest) or per label (ignored -> IGNORED)."""
    scores = np.ascontiguousarray(preds.T)  # row-wise sorts and scans need contiguous rows
    if multilabel:
        return scores, np.ascontiguousarray(np.where(target == 1, POS, np.where(target == 0, NEG, IGNORED)).T)
    return scores, (target[None, :] == np.arange(num_classes)[:, None]).astype(np.uint8) + np.uint8(NEG)


def _reduce_average(res, average, weights):
    if average is None or average == "none":
        return res
    if np.isnan(res).any():
        warnings.warn(f"Average precision score for one or more classes was `nan`. Ignoring these classes in "
                      f"{average}-average", UserWarning)
    keep = ~np.isnan(res)
    if average == "macro":
        return res[keep].mean()
    if average == "weighted" and weights is not None:
        w = safe_divide(weights[keep], weights[keep].sum())
        return (res[keep] * w).sum()
    raise ValueError("Received an incompatible combinations of inputs to make reduction.")


def _binary_roc_compute(state, thresholds):
    if thresholds is not None:
        fpr, tpr, thr = _binned_roc(state["confmat"][:, None], thresholds)
        return fpr[0], tpr[0], thr
    p, t = state["preds"], state["target"]
    return _roc_from_curve(*_clf_curve(p[None], _flags_binary(t)[None])[0])


def _binary_pr_compute(state, thresholds):
    if thresholds is not None:
        precision, recall, thr = _binned_pr(state["confmat"][:, None], thresholds)
        return precision[0], recall[0], thr
    p, t = state["preds"], state["target"]
    return _pr_from_curve(*_clf_curve(p[None], _flags_binary(t)[None])[0])


def _binary_auroc_compute(state, thresholds, max_fpr=None):
    if thresholds is None and (max_fpr is None or max_fpr == 1):
        return _auroc_exact(state["preds"][None], _flags_binary(state["target"])[None])[0]
    fpr, tpr, _ = _binary_roc_compute(state, thresholds)
    if max_fpr is None or max_fpr == 1 or fpr.sum() == 0 or tpr.sum() == 0:
        return _trapz(tpr, fpr)
    stop = np.searchsorted(fpr, max_fpr, side="right")
    weight = (max_fpr - fpr[stop - 1]) / (fpr[stop] - fpr[stop - 1])
    tpr = np.append(tpr[:stop], tpr[stop - 1] + weight * (tpr[stop] - tpr[stop - 1]))
    fpr = np.append(fpr[:stop], max_fpr)
    partial, min_area = _trapz(tpr, fpr), 0.5 * max_fpr ** 2
    return 0.5 * (1 + (partial - min_area) / (max_fpr - min_area))


def _binary_ap_compute(state, thresholds):
    if thresholds is None:
        return _ap_exact(state["preds"][None], _flags_binary(state["target"])[None])[0]
    precision, recall, _ = _binary_pr_compute(state, thresholds)
    precision, recall = np.nan_to_num(precision), np.nan_to_num(recall)
    return -np.sum((recall[1:] - recall[:-1]) * precision[:-1])


def _support(state, num_classes, thresholds, multilabel):
    if thresholds is not None:
        return state["confmat"][0, :, 1, :].sum(-1).astype(np.float64)
    t = state["target"]
    return (t == 1).sum(0).astype(np.float64) if multilabel else np.bincount(t, minlength=num_classes).astype(float)


def _multi_auroc_compute(state, num_classes, average, thresholds, multilabel=False):
    if multilabel and average == "micro":
        if thresholds is not None:
            return _binary_auroc_compute({"confmat": state["confmat"].sum(1)}, thresholds)
        p, t = state["preds"].ravel(), state["target"].ravel()
        keep = t != -1
        return _binary_auroc_compute({"preds": p[keep], "target": t[keep]}, None)
    if thresholds is None:
        res = _auroc_exact(*_per_class(state["preds"], state["target"], num_classes, multilabel))
    else:
        fpr, tpr, _ = _binned_roc(state["confmat"], thresholds)
        res = _trapz(tpr, fpr)
    return _reduce_average(res, average, _support(state, num_classes, thresholds, multilabel))


def _multi_ap_compute(state, num_classes, average, thresholds, multilabel=False):
    if multilabel and average == "micro":
        if thresholds is not None:
            return _binary_ap_compute({"confmat": state["confmat"].sum(1)}, thresholds)
        p, t = state["preds"].ravel(), state["target"].ravel()
        keep = t != -1
        return _binary_ap_compute({"preds": p[keep], "target": t[keep]}, None)
    if thresholds is None:
        res = _ap_exact(*_per_class(state["preds"], state["target"], num_classes, multilabel))
        if not multilabel and not (state["target"] == 0).all():  # an absent class has an undefined (nan) AP
            res = np.where(np.bincount(state["target"], minlength=num_classes) == 0, np.nan, res)
    else:
        precision, recall, _ = _binned_pr(state["confmat"], thresholds)
        precision, recall = np.nan_to_num(precision), np.nan_to_num(recall)
        res = -np.sum((recall[:, 1:] - recall[:, :-1]) * precision[:, :-1], 1)
    return _reduce_average(res, average, _support(state, num_classes, thresholds, multilabel))


def _multi_curve_compute(kind, state, num_classes, thresholds, average=None, multilabel=False):
    """Per-class ROC ('roc') or PR ('pr') curves: lists (exact) or (C, T[+1]) arrays (binned); micro/macro."""
    if average == "micro":
        return (_binary_roc_compute if kind == "roc" else _binary_pr_compute)(state, thresholds)
    if thresholds is not None:
        xs, ys, thr = (_binned_roc if kind == "roc" else _binned_pr)(state["confmat"], thresholds)
        stacked = True
    else:
        ones = multilabel or (state["target"] == 0).all()
        make = _roc_from_curve if kind == "roc" else (lambda *c: _pr_from_curve(*c, recall_one_if_no_positive=ones))
        curves = [make(*c) for c in _clf_curve(*_per_class(state["preds"], state["target"], num_classes, multilabel))]
        xs, ys, thr = (list(z) for z in zip(*curves))
        stacked = False
    if average == "macro":
        all_thr = np.tile(thr, num_classes) if stacked else np.concatenate(thr)
        all_thr = np.sort(all_thr)[::-1] if kind == "roc" else np.sort(all_thr)
        grid = np.sort(np.ravel(xs) if stacked else np.concatenate(xs))
        mean_y = sum(_interp(grid, xs[i], ys[i]) for i in range(num_classes)) / num_classes
        return grid, mean_y, all_thr
    return xs, ys, thr


# --------------------------------------------------------------------------------------- functional forms
def _multiclass_args(num_classes, thresholds, ignore_index, average=None, allowed=(None, "micro", "macro")):
    I.check_num_classes(num_classes)
    if average not in allowed:
        raise _errors.average_not_allowed(allowed, average)
    _check_thresholds(thresholds, ignore_index)


def _out_curve(res):
    return to_tensor(tuple(res))


def binary_precision_recall_curve(preds, target, thresholds=None, ignore_index=None, validate_args=True,
                                  input_format="auto"):
    """(precision, recall, thresholds) of binary scores; exact, or binned with ``thresholds=``."""
    if validate_args:
        _check_thresholds(thresholds, ignore_index)
    thr = _adjust_thresholds(thresholds)
    return _out_curve(_binary_pr_compute(_binary_curve_update(preds, target, thr, ignore_index, input_format,
                                                              validate_args), thr))


def multiclass_precision_recall_curve(preds, target, num_classes, thresholds=None, average=None, ignore_index=None,
                                      validate_args=True, input_format="auto"):
    """One-vs-rest precision-recall curve per class (lists when exact), or their micro/macro average."""
    if validate_args:
        _multiclass_args(num_classes, thresholds, ignore_index, average)
    thr = _adjust_thresholds(thresholds)
    state = _multiclass_curve_update(preds, target, num_classes, thr, ignore_index, input_format, validate_args,
                                     average)
    return _out_curve(_multi_curve_compute("pr", state, num_classes, thr, average))


def multilabel_precision_recall_curve(preds, target, num_labels, thresholds=None, ignore_index=None,
                                      validate_args=True, input_format="auto"):
    """Precision-recall curve per label (lists when exact, (L, T+1) arrays when binned)."""
    if validate_args:
        I.check_num_classes(num_labels, "num_labels")
        _check_thresholds(thresholds, ignore_index)
    thr = _adjust_thresholds(thresholds)
    state = _multilabel_curve_update(preds, target, num_labels, thr, ignore_index, input_format, validate_args)
    return _out_curve(_multi_curve_compute("pr", state, num_labels, thr, multilabel=True))


def binary_roc(preds, target, thresholds=None, ignore_index=None, validate_args=True, input_format="auto"):
    """(fpr, tpr, thresholds) of binary scores; exact, or binned with ``thresholds=``."""
    if validate_args:
        _check_thresholds(thresholds, ignore_index)
    thr = _adjust_thresholds(thresholds)
    return _out_curve(_binary_roc_compute(_binary_curve_update(preds, target, thr, ignore_index, input_format,
                                                               validate_args), thr))


def multiclass_roc(preds, target, num_classes, thresholds=None, average=None, ignore_index=None, validate_args=True,
                   input_format="auto"):
    """One-vs-rest ROC per class (lists when exact), or their micro/macro average."""
    if validate_args:
        _multiclass_args(num_classes, thresholds, ignore_index, average)
    thr = _adjust_thresholds(thresholds)
    state = _multiclass_curve_update(preds, target, num_classes, thr, ignore_index, input_format, validate_args,
                                     average)
    return _out_curve(_multi_curve_compute("roc", state, num_classes, thr, average))


def multilabel_roc(preds, target, num_labels, thresholds=None, ignore_index=None, validate_args=True,
                   input_format="auto"):
    """ROC per label (lists when exact, (L, T) arrays when binned)."""
    if validate_args:
        I.check_num_classes(num_labels, "num_labels")
        _check_thresholds(thresholds, ignore_index)
    thr = _adjust_thresholds(thresholds)
    state = _multilabel_curve_update(preds, target, num_labels, thr, ignore_index, input_format, validate_args)
    return _out_curve(_multi_curve_compute("roc", state, num_labels, thr, multilabel=True))


def binary_auroc(preds, target, max_fpr=None, thresholds=None, ignore_index=None, validate_args=True,
                 input_format="auto"):
    """Area under the ROC curve (standardized partial area with ``max_fpr``, McClish 1989)."""
    if validate_args:
        _check_thresholds(thresholds, ignore_index)
        if max_fpr is not None and not (isinstance(max_fpr, float) and 0 < max_fpr <= 1):
            raise _errors.max_fpr(max_fpr)
    thr = _adjust_thresholds(thresholds)
    state = _binary_curve_update(preds, target, thr, ignore_index, input_format, validate_args)
    return to_tensor(_binary_auroc_compute(state, thr, max_fpr))


def multiclass_auroc(preds, target, num_classes, average="macro", thresholds=None, ignore_index=None,
                     validate_args=True, input_format="auto"):
    """One-vs-rest AUROC per class, averaged ('macro', 'weighted' by support, or 'none')."""
    if validate_args:
        _multiclass_args(num_classes, thresholds, ignore_index, average, ("macro", "weighted", "none", None))
    thr = _adjust_thresholds(thresholds)
    state = _multiclass_curve_update(preds, target, num_classes, thr, ignore_index, input_format, validate_args)
    return to_tensor(_multi_auroc_compute(state, num_classes, average, thr))


def multilabel_auroc(preds, target, num_labels, average="macro", thresholds=None, ignore_index=None,
                     validate_args=True, input_format="auto"):
    """AUROC per label, averaged ('micro' pools all labels)."""
    if validate_args:
        I.check_num_classes(num_labels, "num_labels")
        I.check_average(average, ("micro", "macro", "weighted", "none", None))
        _check_thresholds(thresholds, ignore_index)
    thr = _adjust_thresholds(thresholds)
    state = _multilabel_curve_update(preds, target, num_labels, thr, ignore_index, input_format, validate_args)
    return to_tensor(_multi_auroc_compute(state, num_labels, average, thr, multilabel=True))


def binary_average_precision(preds, target, thresholds=None, ignore_index=None, validate_args=True,
                             input_format="auto"):
    """Average precision: Σₖ (Rₖ − Rₖ₋₁)·Pₖ over descending thresholds."""
    if validate_args:
        _check_thresholds(thresholds, ignore_index)
    thr = _adjust_thresholds(thresholds)
    state = _binary_curve_update(preds, target, thr, ignore_index, input_format, validate_args)
    return to_tensor(_binary_ap_compute(state, thr))


def multiclass_average_precision(preds, target, num_classes, average="macro", thresholds=None, ignore_index=None,
                                 validate_args=True, input_format="auto"):
    """One-vs-rest average precision per class, averaged ('macro', 'weighted' by support, or 'none')."""
    if validate_args:
        _multiclass_args(num_classes, thresholds, ignore_index, average, ("macro", "weighted", "none", None))
    thr = _adjust_thresholds(thresholds)
    state = _multiclass_curve_update(preds, target, num_classes, thr, ignore_index, input_format, validate_args)
    return to_tensor(_multi_ap_compute(state, num_classes, average, thr))


def multilabel_average_precision(preds, target, num_labels, average="macro", thresholds=None, ignore_index=None,
                                 validate_args=True, input_format="auto"):
    """Average precision per label, averaged ('micro' pools all labels)."""
    if validate_args:
        I.check_num_classes(num_labels, "num_labels")
        I.check_average(average, ("micro", "macro", "weighted", "none", None))
        _check_thresholds(thresholds, ignore_index)
    thr = _adjust_thresholds(thresholds)
    state = _multilabel_curve_update(preds, target, num_labels, thr, ignore_index, input_format, validate_args)
    return to_tensor(_multi_ap_compute(state, num_labels, average, thr, multilabel=True))
