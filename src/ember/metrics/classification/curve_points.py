"""Stateful operating points and partial areas of the threshold curves (formulas in
`ember.metrics.functional.classification._curve_points`): recall at fixed precision, precision at fixed recall,
sensitivity at specificity, specificity at sensitivity, equal error rate, LogAUC. Each keeps the state of the curve
metric it derives from (exact scores, or binned counts with ``thresholds=``)."""
from __future__ import annotations

from ..functional.classification import _curve_points as P
from .curves import BinaryPrecisionRecallCurve, MulticlassPrecisionRecallCurve, MultilabelPrecisionRecallCurve


class _PointMixin:
    """compute() of an operating point: ``_point`` names it in `POINTS`, whose argument (min_precision, ...) the
    constructor stored under its torchmetrics name."""
    _point = ""
    higher_is_better: bool | None = True
    plot_lower_bound: float | None = 0.0
    plot_upper_bound: float | None = 1.0

    def _store_minimum(self, value, validate_args):
        if validate_args:
            P.check_min_value(value, P.POINTS[self._point][2])
        setattr(self, P.POINTS[self._point][2], value)

    def compute(self):
        n = getattr(self, "num_classes", getattr(self, "num_labels", None))
        return P.point_compute(self._point, self._state(), self.thresholds, getattr(self, P.POINTS[self._point][2]),
                               n, hasattr(self, "num_labels"))


class BinaryRecallAtFixedPrecision(_PointMixin, BinaryPrecisionRecallCurve):
    """Highest recall with precision ≥ min_precision, and its threshold (binary task); torchmetrics' arguments."""
    _point = "recall_at_fixed_precision"

    def __init__(self, min_precision, thresholds=None, ignore_index=None, validate_args=True, input_format="auto",
                 **kwargs):
        super().__init__(thresholds, ignore_index, validate_args, input_format, **kwargs)
        self._store_minimum(min_precision, validate_args)


class MulticlassRecallAtFixedPrecision(_PointMixin, MulticlassPrecisionRecallCurve):
    """Highest recall with precision ≥ min_precision, and its threshold, per class (one-vs-rest); torchmetrics' arguments."""
    _point = "recall_at_fixed_precision"

    def __init__(self, num_classes, min_precision, thresholds=None, ignore_index=None, validate_args=True,
                 input_format="auto", **kwargs):
        super().__init__(num_classes, thresholds, None, ignore_index, validate_args, input_format, **kwargs)
        self._store_minimum(min_precision, validate_args)


class MultilabelRecallAtFixedPrecision(_PointMixin, MultilabelPrecisionRecallCurve):
    """Highest recall with precision ≥ min_precision, and its threshold, per label; torchmetrics' arguments."""
    _point = "recall_at_fixed_precision"

    def __init__(self, num_labels, min_precision, thresholds=None, ignore_index=None, validate_args=True,
                 input_format="auto", **kwargs):
        super().__init__(num_labels, thresholds, ignore_index, validate_args, input_format, **kwargs)
        self._store_minimum(min_precision, validate_args)


class BinaryPrecisionAtFixedRecall(_PointMixin, BinaryPrecisionRecallCurve):
    """Highest precision with recall ≥ min_recall, and its threshold (binary task); torchmetrics' arguments."""
    _point = "precision_at_fixed_recall"

    def __init__(self, min_recall, thresholds=None, ignore_index=None, validate_args=True, input_format="auto",
                 **kwargs):
        super().__init__(thresholds, ignore_index, validate_args, input_format, **kwargs)
        self._store_minimum(min_recall, validate_args)


class MulticlassPrecisionAtFixedRecall(_PointMixin, MulticlassPrecisionRecallCurve):
    """Highest precision with recall ≥ min_recall, and its threshold, per class (one-vs-rest); torchmetrics' arguments."""
    _point = "precision_at_fixed_recall"

    def __init__(self, num_classes, min_recall, thresholds=None, ignore_index=None, validate_args=True,
                 input_format="auto", **kwargs):
        super().__init__(num_classes, thresholds, None, ignore_index, validate_args, input_format, **kwargs)
        self._store_minimum(min_recall, validate_args)


class MultilabelPrecisionAtFixedRecall(_PointMixin, MultilabelPrecisionRecallCurve):
    """Highest precision with recall ≥ min_recall, and its threshold, per label; torchmetrics' arguments."""
    _point = "precision_at_fixed_recall"

    def __init__(self, num_labels, min_recall, thresholds=None, ignore_index=None, validate_args=True,
                 input_format="auto", **kwargs):
        super().__init__(num_labels, thresholds, ignore_index, validate_args, input_format, **kwargs)
        self._store_minimum(min_recall, validate_args)


class BinarySensitivityAtSpecificity(_PointMixin, BinaryPrecisionRecallCurve):
    """Highest sensitivity with specificity ≥ min_specificity, and its threshold (binary task); torchmetrics' arguments."""
    _point = "sensitivity_at_specificity"

    def __init__(self, min_specificity, thresholds=None, ignore_index=None, validate_args=True, input_format="auto",
                 **kwargs):
        super().__init__(thresholds, ignore_index, validate_args, input_format, **kwargs)
        self._store_minimum(min_specificity, validate_args)


class MulticlassSensitivityAtSpecificity(_PointMixin, MulticlassPrecisionRecallCurve):
    """Highest sensitivity with specificity ≥ min_specificity, and its threshold, per class (one-vs-rest); torchmetrics' arguments."""
    _point = "sensitivity_at_specificity"

    def __init__(self, num_classes, min_specificity, thresholds=None, ignore_index=None, validate_args=True,
                 input_format="auto", **kwargs):
        super().__init__(num_classes, thresholds, None, ignore_index, validate_args, input_format, **kwargs)
        self._store_minimum(min_specificity, validate_args)


class MultilabelSensitivityAtSpecificity(_PointMixin, MultilabelPrecisionRecallCurve):
    """Highest sensitivity with specificity ≥ min_specificity, and its threshold, per label; torchmetrics' arguments."""
    _point = "sensitivity_at_specificity"

    def __init__(self, num_labels, min_specificity, thresholds=None, ignore_index=None, validate_args=True,
                 input_format="auto", **kwargs):
        super().__init__(num_labels, thresholds, ignore_index, validate_args, input_format, **kwargs)
        self._store_minimum(min_specificity, validate_args)


class BinarySpecificityAtSensitivity(_PointMixin, BinaryPrecisionRecallCurve):
    """Highest specificity with sensitivity ≥ min_sensitivity, and its threshold (binary task); torchmetrics' arguments."""
    _point = "specificity_at_sensitivity"

    def __init__(self, min_sensitivity, thresholds=None, ignore_index=None, validate_args=True, input_format="auto",
                 **kwargs):
        super().__init__(thresholds, ignore_index, validate_args, input_format, **kwargs)
        self._store_minimum(min_sensitivity, validate_args)


class MulticlassSpecificityAtSensitivity(_PointMixin, MulticlassPrecisionRecallCurve):
    """Highest specificity with sensitivity ≥ min_sensitivity, and its threshold, per class (one-vs-rest); torchmetrics' arguments."""
    _point = "specificity_at_sensitivity"

    def __init__(self, num_classes, min_sensitivity, thresholds=None, ignore_index=None, validate_args=True,
                 input_format="auto", **kwargs):
        super().__init__(num_classes, thresholds, None, ignore_index, validate_args, input_format, **kwargs)
        self._store_minimum(min_sensitivity, validate_args)


class MultilabelSpecificityAtSensitivity(_PointMixin, MultilabelPrecisionRecallCurve):
    """Highest specificity with sensitivity ≥ min_sensitivity, and its threshold, per label; torchmetrics' arguments."""
    _point = "specificity_at_sensitivity"

    def __init__(self, num_labels, min_sensitivity, thresholds=None, ignore_index=None, validate_args=True,
                 input_format="auto", **kwargs):
        super().__init__(num_labels, thresholds, ignore_index, validate_args, input_format, **kwargs)
        self._store_minimum(min_sensitivity, validate_args)


class BinaryEER(BinaryPrecisionRecallCurve):
    """Equal error rate of binary scores; torchmetrics' arguments."""
    higher_is_better, plot_lower_bound, plot_upper_bound = False, 0.0, 1.0

    def compute(self):
        return P.eer_compute(self._state(), self.thresholds)


class MulticlassEER(MulticlassPrecisionRecallCurve):
    """Equal error rate per class, or of the micro/macro-averaged ROC; torchmetrics' arguments."""
    higher_is_better, plot_lower_bound, plot_upper_bound = False, 0.0, 1.0

    def compute(self):
        return P.eer_compute(self._state(), self.thresholds, self.num_classes, average=self.average)


class MultilabelEER(MultilabelPrecisionRecallCurve):
    """Equal error rate per label; torchmetrics' arguments."""
    higher_is_better, plot_lower_bound, plot_upper_bound = False, 0.0, 1.0

    def compute(self):
        return P.eer_compute(self._state(), self.thresholds, self.num_labels, multilabel=True)


class BinaryLogAUC(BinaryPrecisionRecallCurve):
    """LogAUC over ``fpr_range`` (binary task); torchmetrics' arguments (validate_args defaults to False there)."""
    higher_is_better, plot_lower_bound, plot_upper_bound = True, 0.0, 1.0

    def __init__(self, fpr_range=(0.001, 0.1), thresholds=None, ignore_index=None, validate_args=False,
                 input_format="auto", **kwargs):
        super().__init__(thresholds, ignore_index, validate_args, input_format, **kwargs)
        if validate_args:
            P.check_fpr_range(fpr_range)
        self.fpr_range = fpr_range

    def compute(self):
        return P.logauc_compute(self._state(), self.thresholds, self.fpr_range)


class MulticlassLogAUC(MulticlassPrecisionRecallCurve):
    """LogAUC per class (one-vs-rest), averaged ('macro') or not (None, 'none'); torchmetrics' arguments."""
    higher_is_better, plot_lower_bound, plot_upper_bound = True, 0.0, 1.0

    def __init__(self, num_classes, fpr_range=(0.001, 0.1), average=None, thresholds=None, ignore_index=None,
                 validate_args=True, input_format="auto", **kwargs):
        super().__init__(num_classes, thresholds, None, ignore_index, validate_args, input_format, **kwargs)
        if validate_args:
            P.check_fpr_range(fpr_range)
        self.fpr_range, self.average2 = fpr_range, average

    def compute(self):
        return P.logauc_compute(self._state(), self.thresholds, self.fpr_range, self.num_classes,
                                average=self.average2)


class MultilabelLogAUC(MultilabelPrecisionRecallCurve):
    """LogAUC per label, averaged ('macro') or not (None, 'none'); torchmetrics' arguments."""
    higher_is_better, plot_lower_bound, plot_upper_bound = True, 0.0, 1.0

    def __init__(self, num_labels, fpr_range=(0.001, 0.1), average=None, thresholds=None, ignore_index=None,
                 validate_args=True, input_format="auto", **kwargs):
        if validate_args:
            P.check_fpr_range(fpr_range)
        super().__init__(num_labels, thresholds, ignore_index, validate_args, input_format, **kwargs)
        self.fpr_range, self.average2 = fpr_range, average

    def compute(self):
        return P.logauc_compute(self._state(), self.thresholds, self.fpr_range, self.num_labels, True, self.average2)
