"""Stateful group fairness: tp, fp, tn, fn per group (formulas and parity notes in
`ember.metrics.functional.classification._fairness`)."""
from __future__ import annotations

import warnings

import numpy as np

from ..functional.classification import _fairness as F
from ..functional.classification import _inputs as I
from ..metric import Metric


class _GroupStatScores(Metric):
    is_differentiable, higher_is_better, full_state_update = False, False, False
    plot_lower_bound, plot_upper_bound = 0.0, 1.0
    _atomic_update = True

    def _setup(self, num_groups, threshold, ignore_index, validate_args):
        if validate_args:
            I.check_threshold(threshold)
            I.check_ignore_index(ignore_index)
        F.check_num_groups(num_groups)
        self.num_groups, self.threshold = num_groups, threshold
        self.ignore_index, self.validate_args = ignore_index, validate_args
        for name in ("tp", "fp", "tn", "fn"):
            self.add_state(name, np.zeros(num_groups, np.int64), dist_reduce_fx="sum")

    def update(self, preds, target, groups) -> None:
        self._accumulate(F._group_stats_update(preds, target, groups, self.num_groups, self.threshold,
                                               self.ignore_index, self.validate_args))

    def _stats(self):
        return {"tp": self.tp, "fp": self.fp, "tn": self.tn, "fn": self.fn}


class BinaryGroupStatRates(_GroupStatScores):
    """Per group, the fractions of its samples that are tp, fp, tn, fn; torchmetrics' arguments."""

    def __init__(self, num_groups, threshold=0.5, ignore_index=None, validate_args=True, **kwargs):
        super().__init__(**kwargs)
        self._setup(num_groups, threshold, ignore_index, validate_args)

    def compute(self):
        return F.group_rates(**self._stats())


class BinaryFairness(_GroupStatScores):
    """Demographic parity and/or equal opportunity ratios; torchmetrics' arguments (update takes groups)."""

    def __init__(self, num_groups, task="all", threshold=0.5, ignore_index=None, validate_args=True, **kwargs):
        super().__init__(**kwargs)
        F.check_task(task)
        self.task = task
        self._setup(num_groups, threshold, ignore_index, validate_args)

    def update(self, preds, target, groups) -> None:
        if self.task == "demographic_parity":
            if target is not None:
                warnings.warn("The task demographic_parity does not require a target.", UserWarning)
            target = np.zeros(np.shape(preds), np.int64)
        super().update(preds, target, groups)

    def compute(self):
        return F.fairness_compute(self._stats(), self.task)
