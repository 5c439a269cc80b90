"""Stateful count-based classification metrics: states tp, fp, tn, fn (per class / label; lists per sample when
``multidim_average='samplewise'``), reduced by the same `_stat_reduce` as the functional forms."""
from __future__ import annotations

import numpy as np

from ..functional.classification import _stat_scores as F
from ..metric import Metric
from ..utilities import dim_zero_cat


class _AbstractStatScores(Metric):
    is_differentiable = False
    full_state_update = False
    _atomic_update = True
    _metric = "stat_scores"
    _task = "binary"

    def _create_state(self, size, multidim_average):
        for name in ("tp", "fp", "tn", "fn"):
            if multidim_average == "samplewise":
                self.add_state(name, [], dist_reduce_fx="cat")
            else:
                self.add_state(name, np.zeros(size, np.int64) if size else np.zeros((), np.int64), dist_reduce_fx="sum")

    def _final_state(self):
        return tuple(dim_zero_cat(getattr(self, n)) if isinstance(getattr(self, n), list) else getattr(self, n)
                     for n in ("tp", "fp", "tn", "fn"))

    def compute(self):
        tp, fp, tn, fn = self._final_state()
        if self._metric == "stat_scores":
            return F._stat_scores_reduce(tp, fp, tn, fn, getattr(self, "average", "binary"), self.multidim_average,
                                         self._task)
        return F._stat_reduce(self._metric, tp, fp, tn, fn, getattr(self, "average", "binary"), self.multidim_average,
                              multilabel=self._task == "multilabel", top_k=getattr(self, "top_k", 1),
                              zero_division=self.zero_division, beta=getattr(self, "beta", 1.0))


class BinaryStatScores(_AbstractStatScores):
    """tp, fp, tn, fn and support of binary predictions (preds > threshold after sigmoid when logits).

    Torch parity: torchmetrics.classification.BinaryStatScores (same arguments and values); extra ``input_format``.
    """
    _update_args = ("threshold", "multidim_average", "ignore_index", "validate_args", "input_format")

    def __init__(self, threshold=0.5, multidim_average="global", ignore_index=None, validate_args=True,
                 zero_division=0.0, input_format="auto", **kwargs):
        super().__init__(**kwargs)
        if validate_args:
            F._binary_args(threshold, multidim_average, ignore_index, input_format, zero_division)
        self.threshold, self.multidim_average, self.ignore_index = threshold, multidim_average, ignore_index
        self.validate_args, self.zero_division, self.input_format = validate_args, zero_division, input_format
        self._create_state(0, multidim_average)

    def update(self, preds, target) -> None:
        self._accumulate(F._binary_stat_scores_update(preds, target, self.threshold, self.multidim_average,
                                                      self.ignore_index, self.input_format, self.validate_args))


class MulticlassStatScores(_AbstractStatScores):
    """Per-class tp, fp, tn, fn and support of multiclass predictions (argmax of scores, or labels).

    Torch parity: torchmetrics.classification.MulticlassStatScores; ``num_classes=None`` only with global
    ``average='micro'`` and not for metrics built on tn (see `_stat_scores._check_no_num_classes`).
    """
    _task = "multiclass"
    _update_args = ("num_classes", "top_k", "multidim_average", "ignore_index", "validate_args", "input_format")

    def __init__(self, num_classes=None, top_k=1, average="macro", multidim_average="global", ignore_index=None,
                 validate_args=True, zero_division=0.0, input_format="auto", **kwargs):
        super().__init__(**kwargs)
        if validate_args:
            F._multiclass_args(num_classes, top_k, average, multidim_average, ignore_index, input_format,
                               zero_division, self._metric)
        self.num_classes, self.top_k, self.average = num_classes, top_k, average
        self.multidim_average, self.ignore_index, self.validate_args = multidim_average, ignore_index, validate_args
        self.zero_division, self.input_format = zero_division, input_format
        self._create_state(num_classes or 1, multidim_average)

    def update(self, preds, target) -> None:
        self._accumulate(F._multiclass_stat_scores_update(preds, target, self.num_classes, self.top_k,
                                                          self.multidim_average, self.ignore_index, self.input_format,
                                                          self.validate_args))


class MultilabelStatScores(_AbstractStatScores):
    """Per-label tp, fp, tn, fn and support of multilabel predictions.

    Torch parity: torchmetrics.classification.MultilabelStatScores (same arguments and values).
    """
    _task = "multilabel"
    _update_args = ("num_labels", "threshold", "multidim_average", "ignore_index", "validate_args", "input_format")

    def __init__(self, num_labels, threshold=0.5, average="macro", multidim_average="global", ignore_index=None,
                 validate_args=True, zero_division=0.0, input_format="auto", **kwargs):
        super().__init__(**kwargs)
        if validate_args:
            F._multilabel_args(num_labels, threshold, average, multidim_average, ignore_index, input_format,
                               zero_division)
        self.num_labels, self.threshold, self.average = num_labels, threshold, average
        self.multidim_average, self.ignore_index, self.validate_args = multidim_average, ignore_index, validate_args
        self.zero_division, self.input_format = zero_division, input_format
        self._create_state(num_labels, multidim_average)

    def update(self, preds, target) -> None:
        self._accumulate(F._multilabel_stat_scores_update(preds, target, self.num_labels, self.threshold,
                                                          self.multidim_average, self.ignore_index, self.input_format,
                                                          self.validate_args))


def _family(metric, stem, doc, higher_is_better, bounds=(0.0, 1.0)):
    """Binary/Multiclass/Multilabel classes of one count-based metric, sharing the StatScores updates."""
    made = []
    for base in (BinaryStatScores, MulticlassStatScores, MultilabelStatScores):
        attrs = {"_metric": metric, "higher_is_better": higher_is_better, "plot_lower_bound": bounds[0],
                 "plot_upper_bound": bounds[1], "__module__": __name__,
                 "__doc__": f"{doc} ({base._task} task); torchmetrics' arguments, values and states, plus "
                            "``input_format``."}
        made.append(type(base.__name__.replace("StatScores", stem), (base,), attrs))
    return made


BinaryAccuracy, MulticlassAccuracy, MultilabelAccuracy = _family("accuracy", "Accuracy", "Accuracy", True)
BinaryPrecision, MulticlassPrecision, MultilabelPrecision = _family(
    "precision", "Precision", "Precision tp / (tp + fp)", True)
BinaryRecall, MulticlassRecall, MultilabelRecall = _family("recall", "Recall", "Recall tp / (tp + fn)", True)
BinarySpecificity, MulticlassSpecificity, MultilabelSpecificity = _family(
    "specificity", "Specificity", "Specificity tn / (tn + fp)", True)
BinaryHammingDistance, MulticlassHammingDistance, MultilabelHammingDistance = _family(
    "hamming", "HammingDistance", "Hamming distance 1 − accuracy", False)
BinaryNegativePredictiveValue, MulticlassNegativePredictiveValue, MultilabelNegativePredictiveValue = _family(
    "npv", "NegativePredictiveValue", "Negative predictive value tn / (tn + fn)", True)
BinaryF1Score, MulticlassF1Score, MultilabelF1Score = _family(
    "fbeta", "F1Score", "F1 score 2·tp / (2·tp + fp + fn)", True)


class BinaryFBetaScore(BinaryStatScores):
    """F-beta score (1 + β²)·tp / ((1 + β²)·tp + β²·fn + fp) (binary task); torchmetrics' arguments."""
    _metric, higher_is_better, plot_lower_bound, plot_upper_bound = "fbeta", True, 0.0, 1.0

    def __init__(self, beta, threshold=0.5, multidim_average="global", ignore_index=None, validate_args=True,
                 zero_division=0.0, input_format="auto", **kwargs):
        if validate_args:
            F._check_beta(beta)
        super().__init__(threshold, multidim_average, ignore_index, validate_args, zero_division, input_format,
                         **kwargs)
        self.beta = beta


class MulticlassFBetaScore(MulticlassStatScores):
    """F-beta score (multiclass task); torchmetrics' arguments."""
    _metric, higher_is_better, plot_lower_bound, plot_upper_bound = "fbeta", True, 0.0, 1.0

    def __init__(self, beta, num_classes, top_k=1, average="macro", multidim_average="global", ignore_index=None,
                 validate_args=True, zero_division=0.0, input_format="auto", **kwargs):
        if validate_args:
            F._check_beta(beta)
        super().__init__(num_classes, top_k, average, multidim_average, ignore_index, validate_args, zero_division,
                         input_format, **kwargs)
        self.beta = beta


class MultilabelFBetaScore(MultilabelStatScores):
    """F-beta score (multilabel task); torchmetrics' arguments."""
    _metric, higher_is_better, plot_lower_bound, plot_upper_bound = "fbeta", True, 0.0, 1.0

    def __init__(self, beta, num_labels, threshold=0.5, average="macro", multidim_average="global",
                 ignore_index=None, validate_args=True, zero_division=0.0, input_format="auto", **kwargs):
        if validate_args:
            F._check_beta(beta)
        super().__init__(num_labels, threshold, average, multidim_average, ignore_index, validate_args,
                         zero_division, input_format, **kwargs)
        self.beta = beta
