"""Stateful curve metrics: precision-recall curve, ROC, AUROC, average precision.

Exact mode (``thresholds=None``) keeps the scores and targets (``cat`` states) and sorts once at compute; binned mode
(``thresholds=`` int, list or array) keeps a constant-memory (T, [C,] 2, 2) count state."""
from __future__ import annotations

import numpy as np

from ... import _errors
from ..functional.classification import _inputs as I
from ..functional.classification import _curves as F
from ..metric import Metric
from ..utilities import dim_zero_cat


class _CurveBase(Metric):
    is_differentiable = False
    full_state_update = False
    _atomic_update = True

    def _create_state(self, thresholds, shape):
        self.thresholds = F._adjust_thresholds(thresholds)
        if self.thresholds is None:
            self.add_state("preds", [], dist_reduce_fx="cat")
            self.add_state("target", [], dist_reduce_fx="cat")
        else:
            self.add_state("confmat", np.zeros((len(self.thresholds),) + shape + (2, 2), np.int64),
                           dist_reduce_fx="sum")

    def _state(self):
        if self.thresholds is not None:
            return {"confmat": self.confmat}
        return {"preds": dim_zero_cat(self.preds), "target": dim_zero_cat(self.target).astype(np.int64, copy=False)}


class BinaryPrecisionRecallCurve(_CurveBase):
    """(precision, recall, thresholds) of binary scores; torchmetrics' arguments, plus ``input_format``."""
    _update_args = ("thresholds", "ignore_index", "validate_args", "input_format")

    def __init__(self, thresholds=None, ignore_index=None, validate_args=True, input_format="auto", **kwargs):
        super().__init__(**kwargs)
        if validate_args:
            F._check_thresholds(thresholds, ignore_index)
            I.check_input_format(input_format)
        self.ignore_index, self.validate_args, self.input_format = ignore_index, validate_args, input_format
        self._create_state(thresholds, ())

    def update(self, preds, target) -> None:
        self._accumulate(F._binary_curve_update(preds, target, self.thresholds, self.ignore_index, self.input_format,
                                                self.validate_args))

    def compute(self):
        return F._binary_pr_compute(self._state(), self.thresholds)


class BinaryROC(BinaryPrecisionRecallCurve):
    """(fpr, tpr, thresholds) of binary scores; torchmetrics' arguments."""
    def compute(self):
        return F._binary_roc_compute(self._state(), self.thresholds)


class BinaryAUROC(BinaryPrecisionRecallCurve):
    """Area under the ROC curve (binary task); torchmetrics' arguments (max_fpr for the McClish partial area)."""
    higher_is_better, plot_lower_bound, plot_upper_bound = True, 0.0, 1.0

    def __init__(self, max_fpr=None, thresholds=None, ignore_index=None, validate_args=True, input_format="auto",
                 **kwargs):
        super().__init__(thresholds, ignore_index, validate_args, input_format, **kwargs)
        if validate_args and max_fpr is not None and not (isinstance(max_fpr, float) and 0 < max_fpr <= 1):
            raise _errors.max_fpr(max_fpr)
        self.max_fpr = max_fpr

    def compute(self):
        return F._binary_auroc_compute(self._state(), self.thresholds, self.max_fpr)


class BinaryAveragePrecision(BinaryPrecisionRecallCurve):
    """Average precision Σ (Rₖ − Rₖ₋₁)·Pₖ (binary task); torchmetrics' arguments."""
    higher_is_better, plot_lower_bound, plot_upper_bound = True, 0.0, 1.0

    def compute(self):
        return F._binary_ap_compute(self._state(), self.thresholds)


class MulticlassPrecisionRecallCurve(_CurveBase):
    """One-vs-rest precision-recall curves (lists when exact), or their micro/macro average."""
    _update_args = ("num_classes", "thresholds", "ignore_index", "validate_args", "input_format", "_curve_average")
    _averages: tuple[str | None, ...] = (None, "micro", "macro")

    def __init__(self, num_classes, thresholds=None, average=None, ignore_index=None, validate_args=True,
                 input_format="auto", **kwargs):
        super().__init__(**kwargs)
        if validate_args:
            F._multiclass_args(num_classes, thresholds, ignore_index, average, self._averages)
            I.check_input_format(input_format)
        self.num_classes, self.average, self.ignore_index = num_classes, average, ignore_index
        self.validate_args, self.input_format = validate_args, input_format
        self._curve_average = average if average == "micro" else None  # micro pools classes in the update
        self._create_state(thresholds, () if self._curve_average == "micro" else (num_classes,))

    def update(self, preds, target) -> None:
        self._accumulate(F._multiclass_curve_update(preds, target, self.num_classes, self.thresholds,
                                                    self.ignore_index, self.input_format, self.validate_args,
                                                    self._curve_average))

    def compute(self):
        return F._multi_curve_compute("pr", self._state(), self.num_classes, self.thresholds, self.average)


class MulticlassROC(MulticlassPrecisionRecallCurve):
    """One-vs-rest ROC curves (lists when exact), or their micro/macro average."""
    def compute(self):
        return F._multi_curve_compute("roc", self._state(), self.num_classes, self.thresholds, self.average)


class MulticlassAUROC(MulticlassPrecisionRecallCurve):
    """One-vs-rest AUROC per class, averaged ('macro', 'weighted' by support, 'none'); torchmetrics' arguments."""
    higher_is_better, plot_lower_bound, plot_upper_bound = True, 0.0, 1.0
    _averages = ("macro", "weighted", "none", None)

    def __init__(self, num_classes, average="macro", thresholds=None, ignore_index=None, validate_args=True,
                 input_format="auto", **kwargs):
        super().__init__(num_classes, thresholds, average, ignore_index, validate_args, input_format, **kwargs)

    def compute(self):
        return F._multi_auroc_compute(self._state(), self.num_classes, self.average, self.thresholds)


class MulticlassAveragePrecision(MulticlassAUROC):
    """One-vs-rest average precision per class, averaged; torchmetrics' arguments."""
    def compute(self):
        return F._multi_ap_compute(self._state(), self.num_classes, self.average, self.thresholds)


class MultilabelPrecisionRecallCurve(_CurveBase):
    """Precision-recall curve per label (lists when exact, (L, T+1) arrays when binned)."""
    _update_args = ("num_labels", "thresholds", "ignore_index", "validate_args", "input_format")

    def __init__(self, num_labels, thresholds=None, ignore_index=None, validate_args=True, input_format="auto",
                 **kwargs):
        super().__init__(**kwargs)
        if validate_args:
            I.check_num_classes(num_labels, "num_labels")
            F._check_thresholds(thresholds, ignore_index)
            I.check_input_format(input_format)
        self.num_labels, self.ignore_index = num_labels, ignore_index
        self.validate_args, self.input_format = validate_args, input_format
        self._create_state(thresholds, (num_labels,))

    def update(self, preds, target) -> None:
        self._accumulate(F._multilabel_curve_update(preds, target, self.num_labels, self.thresholds,
                                                    self.ignore_index, self.input_format, self.validate_args))

    def compute(self):
        return F._multi_curve_compute("pr", self._state(), self.num_labels, self.thresholds, multilabel=True)


class MultilabelROC(MultilabelPrecisionRecallCurve):
    """ROC per label (lists when exact, (L, T) arrays when binned)."""
    def compute(self):
        return F._multi_curve_compute("roc", self._state(), self.num_labels, self.thresholds, multilabel=True)


class MultilabelAUROC(MultilabelPrecisionRecallCurve):
    """AUROC per label, averaged ('micro' pools all labels); torchmetrics' arguments."""
    higher_is_better, plot_lower_bound, plot_upper_bound = True, 0.0, 1.0

    def __init__(self, num_labels, average="macro", thresholds=None, ignore_index=None, validate_args=True,
                 input_format="auto", **kwargs):
        super().__init__(num_labels, thresholds, ignore_index, validate_args, input_format, **kwargs)
        if validate_args:
            I.check_average(average, ("micro", "macro", "weighted", "none", None))
        self.average = average

    def compute(self):
        return F._multi_auroc_compute(self._state(), self.num_labels, self.average, self.thresholds, multilabel=True)


class MultilabelAveragePrecision(MultilabelAUROC):
    """Average precision per label, averaged ('micro' pools all labels); torchmetrics' arguments."""
    def compute(self):
        return F._multi_ap_compute(self._state(), self.num_labels, self.average, self.thresholds, multilabel=True)
