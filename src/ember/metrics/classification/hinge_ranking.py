"""Stateful hinge loss and multilabel ranking metrics: a summed ``measure(s)`` and a ``total`` count (formulas in
`ember.metrics.functional.classification._hinge` and `_ranking`)."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..functional.classification import _hinge as H
from ..functional.classification import _ranking as R
from ..metric import Metric


class BinaryHingeLoss(Metric):
    """Mean (squared) hinge loss of binary scores; torchmetrics' arguments and states (measures, total)."""
    is_differentiable, higher_is_better, full_state_update = True, False, False
    plot_lower_bound, plot_upper_bound = 0.0, 1.0
    _atomic_update = True

    def __init__(self, squared=False, ignore_index=None, validate_args=True, **kwargs):
        super().__init__(**kwargs)
        if validate_args:
            H.check_args(squared, ignore_index)
        self.squared, self.ignore_index, self.validate_args = squared, ignore_index, validate_args
        self.add_state("measures", np.zeros(()), dist_reduce_fx="sum")
        self.add_state("total", np.zeros((), np.int64), dist_reduce_fx="sum")

    def update(self, preds, target) -> None:
        self._accumulate(H._binary_hinge_update(preds, target, self.squared, self.ignore_index, self.validate_args))

    def compute(self):
        return H._hinge_compute(self.measures, self.total)


class MulticlassHingeLoss(Metric):
    """Mean (squared) multiclass hinge loss, Crammer-Singer or one-vs-all (per class); torchmetrics' arguments."""
    is_differentiable, higher_is_better, full_state_update = True, False, False
    plot_lower_bound, plot_upper_bound = 0.0, 1.0
    _atomic_update = True

    def __init__(self, num_classes, squared=False, multiclass_mode="crammer-singer", ignore_index=None,
                 validate_args=True, **kwargs):
        super().__init__(**kwargs)
        if validate_args:
            H.check_args(squared, ignore_index, num_classes, multiclass_mode, multiclass=True)
        self.num_classes, self.squared, self.multiclass_mode = num_classes, squared, multiclass_mode
        self.ignore_index, self.validate_args = ignore_index, validate_args
        shape = (num_classes,) if multiclass_mode == "one-vs-all" else ()
        self.add_state("measures", np.zeros(shape), dist_reduce_fx="sum")
        self.add_state("total", np.zeros((), np.int64), dist_reduce_fx="sum")

    def update(self, preds, target) -> None:
        self._accumulate(H._multiclass_hinge_update(preds, target, self.num_classes, self.squared,
                                                    self.multiclass_mode, self.ignore_index, self.validate_args))

    def compute(self):
        return H._hinge_compute(self.measures, self.total)


class _RankingBase(Metric):
    is_differentiable, higher_is_better, full_state_update = False, False, False
    plot_lower_bound, plot_upper_bound = 0.0, 1.0
    _atomic_update = True
    _update_fn: Callable[..., dict]  # (preds, target, num_labels, ignore_index, validate_args) -> states; per class

    def __init__(self, num_labels, ignore_index=None, validate_args=True, **kwargs):
        super().__init__(**kwargs)
        if validate_args:
            R.check_args(num_labels, ignore_index)
        self.num_labels, self.ignore_index, self.validate_args = num_labels, ignore_index, validate_args
        self.add_state("measure", np.zeros(()), dist_reduce_fx="sum")
        self.add_state("total", np.zeros(()), dist_reduce_fx="sum")

    def update(self, preds, target) -> None:
        self._accumulate(type(self)._update_fn(preds, target, self.num_labels, self.ignore_index,
                                               self.validate_args))

    def compute(self):
        return R._ranking_compute(self.measure, self.total)


class MultilabelCoverageError(_RankingBase):
    """Coverage error of multilabel scores; torchmetrics' arguments."""
    _update_fn = staticmethod(R._coverage_update)


class MultilabelRankingAveragePrecision(_RankingBase):
    """Label ranking average precision; torchmetrics' arguments."""
    higher_is_better = True
    _update_fn = staticmethod(R._ranking_ap_update)


class MultilabelRankingLoss(_RankingBase):
    """Label ranking loss; torchmetrics' arguments."""
    _update_fn = staticmethod(R._ranking_loss_update)
