"""Multilabel ranking metrics of scores s (n samples, L labels) against relevant labels R = {j : y_j = 1}:

    coverage error          mean over samples of #{j : s_j ≥ min_{k ∈ R} s_k}   (how far down the ranking one must
                            go to cover every relevant label)
    ranking average prec.   mean over samples of mean_{j ∈ R} rank_R(j) / rank(j), rank = #labels scored ≥ s_j
                            (1 for a sample with no or only relevant labels)
    ranking loss            mean over samples of #{(j, k) ∈ R × R̄ : s_j ≤ s_k} / (|R|·|R̄|)  (samples with R or R̄
                            empty count 0 but stay in the mean; with none left the loss is 0)

Logits are squashed with a sigmoid first (torchmetrics' 'auto' rule); an ignored target masks its label (score and
target both set to −4L, as torchmetrics does). The same as sklearn.metrics' coverage_error,
label_ranking_average_precision_score and label_ranking_loss.

Reference: Tsoumakas, Katakis & Vlahavas, "Mining multi-label data", Data Mining and Knowledge Discovery Handbook
(2010).
"""
from __future__ import annotations

import numpy as np

from .... import _errors
from ...utilities import to_tensor
from . import _inputs as I


def _format(preds, target, num_labels, ignore_index, validate_args):
    p, t = I.as_arrays(preds, target)
    if validate_args:
        I.check_same_shape(p, t)
        if p.shape[1] != num_labels:
            raise _errors.num_labels_mismatch(p.shape[1], num_labels)
        I.check_binary_values(t, "target", ignore_index)
        if not I._is_float(p):
            raise ValueError(f"Expected preds tensor to be floating point, but received input with dtype {p.dtype}")
    p = I.to_probs(p, "sigmoid", "auto").astype(np.float64)
    p = np.moveaxis(p, 1, -1).reshape(-1, num_labels)
    t = np.moveaxis(t, 1, -1).reshape(-1, num_labels)
    if ignore_index is not None:
        ignored = t == ignore_index
        p, t = np.where(ignored, -4.0 * num_labels, p), np.where(ignored, -4 * num_labels, t)
    return p, t


def check_args(num_labels, ignore_index):
    I.check_num_classes(num_labels, "num_labels")
    I.check_ignore_index(ignore_index)


def coverage(p, t):
    """Per sample: #labels scored ≥ the lowest-scored relevant label (non-relevant labels are lifted above all)."""
    lifted = p + np.where(t == 0, abs(p.min()) + 10 if p.size else 0, 0)
    return (p >= lifted.min(1, keepdims=True)).sum(1).astype(np.float64)


def _rank_max(x):
    """Rank of each value in a row counting ties upwards: #values ≤ it (scipy's rankdata(method='max'))."""
    s = np.sort(x)
    return np.searchsorted(s, x, side="right")


def ranking_average_precision(p, t):
    """Per sample: mean over relevant labels of (rank among relevant) / (rank among all), ranks of −s."""
    out = np.ones(p.shape[0])
    n_labels = p.shape[1]
    for i in range(p.shape[0]):
        rel = t[i] == 1
        k = int(rel.sum())
        if 0 < k < n_labels:
            out[i] = (_rank_max(-p[i][rel]) / _rank_max(-p[i])[rel]).mean()
    return out


def ranking_loss(p, t):
    """Per sample with 0 < |R| < L: (Σ_{j∈R} (L − rank_j) − |R|(|R|+1)/2) / (|R|(L − |R|)), rank_j the 0-based
    position of s_j in an ascending (stable) sort."""
    n_labels = p.shape[1]
    rel = t == 1
    k = rel.sum(1)
    keep = (k > 0) & (k < n_labels)
    if not keep.any():
        return None
    p, rel, k = p[keep], rel[keep], k[keep]
    pos = np.argsort(np.argsort(p, 1, kind="stable"), 1, kind="stable")
    per = ((n_labels - pos) * rel).sum(1).astype(np.float64)
    return (per - 0.5 * k * (k + 1)) / (k * (n_labels - k))


def _coverage_update(preds, target, num_labels, ignore_index=None, validate_args=True) -> dict:
    c = coverage(*_format(preds, target, num_labels, ignore_index, validate_args))
    return {"measure": c.sum(), "total": np.float64(c.size)}


def _ranking_ap_update(preds, target, num_labels, ignore_index=None, validate_args=True) -> dict:
    s = ranking_average_precision(*_format(preds, target, num_labels, ignore_index, validate_args))
    return {"measure": s.sum(), "total": np.float64(s.size)}


def _ranking_loss_update(preds, target, num_labels, ignore_index=None, validate_args=True) -> dict:
    p, t = _format(preds, target, num_labels, ignore_index, validate_args)
    loss = ranking_loss(p, t)
    if loss is None:  # torchmetrics: no sample with both relevant and irrelevant labels adds 0 over 1 sample
        return {"measure": np.float64(0.0), "total": np.float64(1.0)}
    return {"measure": loss.sum(), "total": np.float64(p.shape[0])}


def _ranking_compute(measure, total):
    return np.float64(measure) / total


def multilabel_coverage_error(preds, target, num_labels, ignore_index=None, validate_args=True):
    """Coverage error: how many top-ranked labels it takes on average to cover every relevant one."""
    if validate_args:
        check_args(num_labels, ignore_index)
    return to_tensor(_ranking_compute(**_coverage_update(preds, target, num_labels, ignore_index, validate_args)))


def multilabel_ranking_average_precision(preds, target, num_labels, ignore_index=None, validate_args=True):
    """Label ranking average precision (higher is better, 1 is a perfect ranking)."""
    if validate_args:
        check_args(num_labels, ignore_index)
    return to_tensor(_ranking_compute(**_ranking_ap_update(preds, target, num_labels, ignore_index, validate_args)))


def multilabel_ranking_loss(preds, target, num_labels, ignore_index=None, validate_args=True):
    """Label ranking loss: the fraction of (relevant, irrelevant) label pairs ranked the wrong way."""
    if validate_args:
        check_args(num_labels, ignore_index)
    return to_tensor(_ranking_compute(**_ranking_loss_update(preds, target, num_labels, ignore_index, validate_args)))
