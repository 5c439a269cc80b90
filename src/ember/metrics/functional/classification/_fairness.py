"""Group fairness of binary predictions: counts tp, fp, tn, fn per group g, then

    group stat rates      (tp, fp, tn, fn)_g / n_g
    demographic parity    DP_{a}_{b} = PR_a / PR_b, PR_g = (tp + fp)_g / n_g  (positive rate), a = argmin, b = argmax
    equal opportunity     EO_{a}_{b} = TPR_a / TPR_b, TPR_g = tp_g / (tp + fn)_g
(a ratio of 1 is parity; a zero denominator gives 0). Groups are the integer ids 0 … num_groups − 1 of each sample.

Torch parity: torchmetrics 1.x values and keys. Deliberate differences: counts go to the slot of their group id
(torchmetrics enumerates the groups present in each batch, so a batch without group 0 adds group 1's counts to
slot 0); the functional forms take num_groups = largest id + 1 (torchmetrics: the number of distinct ids); and a
group id ≥ num_groups raises a ValueError with one message (torchmetrics accepts id = num_groups, then fails to index).

Reference: Hardt, Price & Srebro, "Equality of opportunity in supervised learning", NeurIPS 2016.
"""
from __future__ import annotations

import warnings

import numpy as np

from ...utilities import safe_divide, to_numpy, to_tensor
from . import _inputs as I

FAIRNESS_TASKS = ("demographic_parity", "equal_opportunity", "all")


def check_task(task):
    if task not in FAIRNESS_TASKS:
        raise ValueError("Expected argument `task` to either be ``demographic_parity``,``equal_opportunity`` or "
                         f"``all`` but got {task}.")


def check_num_groups(num_groups):
    if not isinstance(num_groups, int) and num_groups < 2:  # torchmetrics' condition
        raise ValueError(f"Expected argument `num_groups` to be an int larger than 1, but got {num_groups}")


def check_groups(groups, num_groups):
    if groups.size and groups.max() >= num_groups:
        raise ValueError(f"The largest number in the groups tensor is {groups.max()}, which is larger than the "
                         f"specified number of groups {num_groups}. The group identifiers should be ``0, 1, ..., "
                         "(num_groups - 1)``.")
    if groups.dtype != np.int64:
        raise ValueError(f"Expected dtype of argument groups to be long, not {groups.dtype}.")


def _group_stats_update(preds, target, groups, num_groups, threshold=0.5, ignore_index=None,
                        validate_args=True) -> dict:
    """tp, fp, tn, fn per group, each (num_groups,) int64."""
    p, t, g = to_numpy(preds), to_numpy(target), to_numpy(groups)
    if validate_args:
        I.check_threshold(threshold)
        I.check_ignore_index(ignore_index)
        check_groups(g, num_groups)
    p, t, valid = I.binary_labels(p, t, threshold, ignore_index, "auto", validate_args)
    g = np.broadcast_to(g.reshape(g.shape[0], -1)[:, :1], p.shape)  # a group per sample, for all its positions
    valid = np.ones(p.shape, bool) if valid is None else valid
    out = {}
    for name, mask in (("tp", p & t), ("fp", p & ~t), ("tn", ~p & ~t), ("fn", ~p & t)):
        out[name] = np.bincount(g[mask & valid], minlength=num_groups).astype(np.int64)
    return out


def group_rates(tp, fp, tn, fn):
    """{'group_g': (tp, fp, tn, fn)_g / n_g}."""
    stats = np.stack([tp, fp, tn, fn], 1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {f"group_{g}": row / row.sum() for g, row in enumerate(stats)}


def _ratio(rates, key):
    lo, hi = int(np.argmin(rates)), int(np.argmax(rates))
    return {f"{key}_{lo}_{hi}": safe_divide(rates[lo], rates[hi])}


def demographic_parity_ratio(tp, fp, tn, fn):
    """{'DP_a_b': min_g PR_g / max_g PR_g}, PR_g = (tp + fp)_g / n_g."""
    return _ratio(safe_divide(tp + fp, tp + fp + tn + fn), "DP")


def equal_opportunity_ratio(tp, fp, tn, fn):
    """{'EO_a_b': min_g TPR_g / max_g TPR_g}, TPR_g = tp_g / (tp + fn)_g."""
    return _ratio(safe_divide(tp, tp + fn), "EO")


def fairness_compute(stats, task):
    out = {}
    if task in ("demographic_parity", "all"):
        out.update(demographic_parity_ratio(**stats))
    if task in ("equal_opportunity", "all"):
        out.update(equal_opportunity_ratio(**stats))
    return out


def _n_groups(groups):
    g = to_numpy(groups)
    return int(g.max()) + 1 if g.size else 0


def binary_groups_stat_rates(preds, target, groups, num_groups, threshold=0.5, ignore_index=None,
                             validate_args=True):
    """Per group, the fractions of its samples that are tp, fp, tn, fn."""
    return to_tensor(group_rates(**_group_stats_update(preds, target, groups, num_groups, threshold, ignore_index,
                                                       validate_args)))


def binary_fairness(preds, target, groups, task="all", threshold=0.5, ignore_index=None, validate_args=True):
    """Demographic parity and/or equal opportunity ratios between the worst and best treated groups."""
    check_task(task)
    if task == "demographic_parity":
        if target is not None:
            warnings.warn("The task demographic_parity does not require a target.", UserWarning)
        target = np.zeros(to_numpy(preds).shape, np.int64)
    stats = _group_stats_update(preds, target, groups, _n_groups(groups), threshold, ignore_index, validate_args)
    return to_tensor(fairness_compute(stats, task))


def demographic_parity(preds, groups, threshold=0.5, ignore_index=None, validate_args=True):
    """{'DP_a_b': the ratio of the lowest to the highest positive rate among groups}."""
    return binary_fairness(preds, None, groups, "demographic_parity", threshold, ignore_index, validate_args)


def equal_opportunity(preds, target, groups, threshold=0.5, ignore_index=None, validate_args=True):
    """{'EO_a_b': the ratio of the lowest to the highest true positive rate among groups}."""
    return binary_fairness(preds, target, groups, "equal_opportunity", threshold, ignore_index, validate_args)
