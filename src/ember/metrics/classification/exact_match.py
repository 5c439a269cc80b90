"""Stateful exact match: ``correct`` and ``total`` counts (per-sample list when samplewise)."""
from __future__ import annotations

import numpy as np

from ..functional.classification import _exact_match as F
from ..functional.classification._stat_scores import _multiclass_args, _multilabel_args
from ..metric import Metric
from ..utilities import dim_zero_cat


class _ExactMatchBase(Metric):
    is_differentiable, higher_is_better, full_state_update = False, True, False
    plot_lower_bound, plot_upper_bound = 0.0, 1.0
    _atomic_update = True

    def _create_state(self):
        if self.multidim_average == "global":
            self.add_state("correct", np.zeros((), np.int64), dist_reduce_fx="sum")
            self.add_state("total", np.zeros((), np.int64), dist_reduce_fx="sum")
        else:
            self.add_state("correct", [], dist_reduce_fx="cat")
            self.add_state("total", np.zeros((), np.int64), dist_reduce_fx="mean")

    def compute(self):
        correct = dim_zero_cat(self.correct) if isinstance(self.correct, list) else self.correct
        return F._exact_match_reduce(correct, self.total)


class MulticlassExactMatch(_ExactMatchBase):
    """Fraction of samples predicted correctly at every position (multiclass task); torchmetrics' arguments."""
    _update_args = ("num_classes", "multidim_average", "ignore_index", "validate_args", "input_format")

    def __init__(self, num_classes, multidim_average="global", ignore_index=None, validate_args=True,
                 input_format="auto", **kwargs):
        super().__init__(**kwargs)
        if validate_args:
            _multiclass_args(num_classes, 1, None, multidim_average, ignore_index, input_format)
        self.num_classes, self.multidim_average, self.ignore_index = num_classes, multidim_average, ignore_index
        self.validate_args, self.input_format = validate_args, input_format
        self._create_state()

    def update(self, preds, target) -> None:
        self._accumulate(F._multiclass_exact_match_update(preds, target, self.num_classes, self.multidim_average,
                                                          self.ignore_index, self.input_format, self.validate_args))


class MultilabelExactMatch(_ExactMatchBase):
    """Fraction of samples with every label predicted correctly (multilabel task); torchmetrics' arguments."""
    _update_args = ("num_labels", "threshold", "multidim_average", "ignore_index", "validate_args", "input_format")

    def __init__(self, num_labels, threshold=0.5, multidim_average="global", ignore_index=None, validate_args=True,
                 input_format="auto", **kwargs):
        super().__init__(**kwargs)
        if validate_args:
            _multilabel_args(num_labels, threshold, None, multidim_average, ignore_index, input_format)
        self.num_labels, self.threshold, self.multidim_average = num_labels, threshold, multidim_average
        self.ignore_index, self.validate_args, self.input_format = ignore_index, validate_args, input_format
        self._create_state()

    def update(self, preds, target) -> None:
        self._accumulate(F._multilabel_exact_match_update(preds, target, self.num_labels, self.threshold,
                                                          self.multidim_average, self.ignore_index,
                                                          self.input_format, self.validate_args))
