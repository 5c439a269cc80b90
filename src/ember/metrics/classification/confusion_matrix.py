"""Stateful confusion matrix and the metrics reduced from it (Matthews correlation, Cohen's kappa, Jaccard index).
State: ``confmat`` (2×2, C×C or L×2×2 counts), summed over updates."""
from __future__ import annotations

import numpy as np

from ..functional.classification import _inputs as I
from ..functional.classification import _confusion_matrix as F
from ..functional.classification._stat_scores import _binary_args, _multilabel_args
from ..metric import Metric


class _ConfusionMatrixBase(Metric):
    is_differentiable = False
    full_state_update = False
    _atomic_update = True

    def compute(self):
        return F._confusion_matrix_reduce(self.confmat, self.normalize)


class BinaryConfusionMatrix(_ConfusionMatrixBase):
    """2×2 confusion matrix [[tn, fp], [fn, tp]]; torchmetrics' arguments, plus ``input_format``."""
    _update_args = ("threshold", "ignore_index", "validate_args", "input_format")

    def __init__(self, threshold=0.5, ignore_index=None, normalize=None, validate_args=True, input_format="auto",
                 **kwargs):
        super().__init__(**kwargs)
        if validate_args:
            _binary_args(threshold, "global", ignore_index, input_format)
            F._check_normalize(normalize)
        self.threshold, self.ignore_index, self.normalize = threshold, ignore_index, normalize
        self.validate_args, self.input_format = validate_args, input_format
        self.add_state("confmat", np.zeros((2, 2), np.int64), dist_reduce_fx="sum")

    def update(self, preds, target) -> None:
        self._accumulate(F._binary_confusion_matrix_update(preds, target, self.threshold, self.ignore_index,
                                                           self.input_format, self.validate_args))


class MulticlassConfusionMatrix(_ConfusionMatrixBase):
    """C×C confusion matrix (rows: target, columns: prediction); torchmetrics' arguments."""
    _update_args = ("num_classes", "ignore_index", "validate_args", "input_format")

    def __init__(self, num_classes, ignore_index=None, normalize=None, validate_args=True, input_format="auto",
                 **kwargs):
        super().__init__(**kwargs)
        if validate_args:
            F._multiclass_cm_args(num_classes, ignore_index, input_format)
            F._check_normalize(normalize)
        self.num_classes, self.ignore_index, self.normalize = num_classes, ignore_index, normalize
        self.validate_args, self.input_format = validate_args, input_format
        self.add_state("confmat", np.zeros((num_classes, num_classes), np.int64), dist_reduce_fx="sum")

    def update(self, preds, target) -> None:
        self._accumulate(F._multiclass_confusion_matrix_update(preds, target, self.num_classes, self.ignore_index,
                                                               self.input_format, self.validate_args))


class MultilabelConfusionMatrix(_ConfusionMatrixBase):
    """One 2×2 confusion matrix per label, (L, 2, 2); torchmetrics' arguments."""
    _update_args = ("num_labels", "threshold", "ignore_index", "validate_args", "input_format")

    def __init__(self, num_labels, threshold=0.5, ignore_index=None, normalize=None, validate_args=True,
                 input_format="auto", **kwargs):
        super().__init__(**kwargs)
        if validate_args:
            _multilabel_args(num_labels, threshold, "macro", "global", ignore_index, input_format)
            F._check_normalize(normalize)
        self.num_labels, self.threshold, self.ignore_index = num_labels, threshold, ignore_index
        self.normalize, self.validate_args, self.input_format = normalize, validate_args, input_format
        self.add_state("confmat", np.zeros((num_labels, 2, 2), np.int64), dist_reduce_fx="sum")

    def update(self, preds, target) -> None:
        self._accumulate(F._multilabel_confusion_matrix_update(preds, target, self.num_labels, self.threshold,
                                                               self.ignore_index, self.input_format,
                                                               self.validate_args))


class BinaryMatthewsCorrCoef(BinaryConfusionMatrix):
    """Matthews correlation coefficient (binary task); torchmetrics' arguments."""
    higher_is_better, plot_lower_bound, plot_upper_bound = True, -1.0, 1.0

    def __init__(self, threshold=0.5, ignore_index=None, validate_args=True, input_format="auto", **kwargs):
        super().__init__(threshold, ignore_index, None, validate_args, input_format, **kwargs)

    def compute(self):
        return F._matthews_corrcoef_reduce(self.confmat)


class MulticlassMatthewsCorrCoef(MulticlassConfusionMatrix):
    """Matthews correlation coefficient (multiclass task); torchmetrics' arguments."""
    higher_is_better, plot_lower_bound, plot_upper_bound = True, -1.0, 1.0

    def __init__(self, num_classes, ignore_index=None, validate_args=True, input_format="auto", **kwargs):
        super().__init__(num_classes, ignore_index, None, validate_args, input_format, **kwargs)

    def compute(self):
        return F._matthews_corrcoef_reduce(self.confmat)


class MultilabelMatthewsCorrCoef(MultilabelConfusionMatrix):
    """Matthews correlation coefficient of the label-summed 2×2 matrix (multilabel task); torchmetrics' arguments."""
    higher_is_better, plot_lower_bound, plot_upper_bound = True, -1.0, 1.0

    def __init__(self, num_labels, threshold=0.5, ignore_index=None, validate_args=True, input_format="auto",
                 **kwargs):
        super().__init__(num_labels, threshold, ignore_index, None, validate_args, input_format, **kwargs)

    def compute(self):
        return F._matthews_corrcoef_reduce(self.confmat)


class BinaryCohenKappa(BinaryConfusionMatrix):
    """Cohen's kappa (binary task); torchmetrics' arguments."""
    higher_is_better, plot_lower_bound, plot_upper_bound = True, -1.0, 1.0

    def __init__(self, threshold=0.5, ignore_index=None, weights=None, validate_args=True, input_format="auto",
                 **kwargs):
        super().__init__(threshold, ignore_index, None, validate_args, input_format, **kwargs)
        if validate_args:
            F._check_weights(weights)
        self.weights = weights

    def compute(self):
        return F._cohen_kappa_reduce(self.confmat, self.weights)


class MulticlassCohenKappa(MulticlassConfusionMatrix):
    """Cohen's kappa (multiclass task); torchmetrics' arguments."""
    higher_is_better, plot_lower_bound, plot_upper_bound = True, -1.0, 1.0

    def __init__(self, num_classes, ignore_index=None, weights=None, validate_args=True, input_format="auto",
                 **kwargs):
        super().__init__(num_classes, ignore_index, None, validate_args, input_format, **kwargs)
        if validate_args:
            F._check_weights(weights)
        self.weights = weights

    def compute(self):
        return F._cohen_kappa_reduce(self.confmat, self.weights)


class BinaryJaccardIndex(BinaryConfusionMatrix):
    """Jaccard index / IoU of the positive class (binary task); torchmetrics' arguments."""
    higher_is_better, plot_lower_bound, plot_upper_bound = True, 0.0, 1.0

    def __init__(self, threshold=0.5, ignore_index=None, validate_args=True, zero_division=0, input_format="auto",
                 **kwargs):
        super().__init__(threshold, ignore_index, None, validate_args, input_format, **kwargs)
        self.zero_division = zero_division

    def compute(self):
        return F._jaccard_index_reduce(self.confmat, "binary", zero_division=self.zero_division)


class MulticlassJaccardIndex(MulticlassConfusionMatrix):
    """Jaccard index / IoU per class, averaged (multiclass task); torchmetrics' arguments."""
    higher_is_better, plot_lower_bound, plot_upper_bound = True, 0.0, 1.0

    def __init__(self, num_classes, average="macro", ignore_index=None, validate_args=True, zero_division=0,
                 input_format="auto", **kwargs):
        super().__init__(num_classes, ignore_index, None, validate_args, input_format, **kwargs)
        if validate_args:
            I.check_average(average)
        self.average, self.zero_division = average, zero_division

    def compute(self):
        return F._jaccard_index_reduce(self.confmat, self.average, self.ignore_index, self.zero_division)


class MultilabelJaccardIndex(MultilabelConfusionMatrix):
    """Jaccard index / IoU per label, averaged (multilabel task); torchmetrics' arguments."""
    higher_is_better, plot_lower_bound, plot_upper_bound = True, 0.0, 1.0

    def __init__(self, num_labels, threshold=0.5, average="macro", ignore_index=None, validate_args=True,
                 zero_division=0, input_format="auto", **kwargs):
        super().__init__(num_labels, threshold, ignore_index, None, validate_args, input_format, **kwargs)
        if validate_args:
            I.check_average(average)
        self.average, self.zero_division = average, zero_division

    def compute(self):
        return F._jaccard_index_reduce(self.confmat, self.average, self.ignore_index, self.zero_division)
