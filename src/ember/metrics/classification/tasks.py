"""``Accuracy(task=...)``-style wrappers that build the Binary/Multiclass/Multilabel class, and the legacy
``Accuracy()`` without ``task`` (torchmetrics < 0.11), which infers the task from its first batch (rules in
`ember.metrics.functional.classification._tasks`)."""
from __future__ import annotations

import inspect

from ... import _errors
from ..functional.classification._tasks import TASKS, check_task, resolve_legacy
from ..metric import _KNOWN_KWARGS, Metric
from . import calibration_error as _ce
from . import confusion_matrix as _cm
from . import curve_points as _cp
from . import curves as _cv
from . import exact_match as _em
from . import hinge_ranking as _hr
from . import stat_scores as _ss


def _init_params(cls):
    return set(inspect.signature(cls.__init__).parameters) - {"self", "args", "kwargs"}


class _ClassificationTaskWrapper(Metric):
    """Base of the task wrappers: ``Wrapper(task, **kwargs)`` returns an instance of the task's class."""
    _name = ""
    _classes: tuple = ()
    _defaults: dict = {}

    def __new__(cls, task=None, **kwargs):
        kwargs = {**cls._defaults, **kwargs}
        if task is None:
            return _InferredTaskMetric(cls, kwargs)
        check_task(task, cls._name)
        target_cls = cls._classes[TASKS.index(task)]
        if task == "multiclass" and not isinstance(kwargs.get("num_classes"), int):
            raise _errors.count_not_int("num_classes", type(kwargs.get("num_classes")))
        if task == "multilabel" and not isinstance(kwargs.get("num_labels"), int):
            raise _errors.count_not_int("num_labels", type(kwargs.get("num_labels")))
        accepted = _init_params(target_cls)
        known = set().union(*(_init_params(c) for c in cls._classes if c is not None), {"num_classes", "num_labels"})
        passed = {k: v for k, v in kwargs.items() if k in accepted or k in _KNOWN_KWARGS or k not in known}
        return target_cls(**passed)


class _InferredTaskMetric(Metric):
    """The legacy call: the task (and num_classes / num_labels) is inferred from the first batch and then kept."""
    full_state_update = False
    _atomic_update = True

    def __init__(self, wrapper, kwargs):
        super().__init__(**{k: v for k, v in kwargs.items() if k in _KNOWN_KWARGS})
        self._wrapper, self._kwargs, self.metric, self.task = wrapper, kwargs, None, None
        self.higher_is_better = wrapper._classes[1].higher_is_better
        self.is_differentiable = False

    def _build(self, preds, target):
        if self.metric is None:
            kwargs = dict(self._kwargs)
            task, num_classes, num_labels, kwargs = resolve_legacy(
                self._wrapper._name, preds, target, kwargs.pop("num_classes", None), kwargs.pop("num_labels", None),
                kwargs)
            extra = {"num_classes": num_classes} if task == "multiclass" else \
                {"num_labels": num_labels} if task == "multilabel" else {}
            self.metric = self._wrapper(task=task, **kwargs, **extra)
            self.task = task

    def update(self, preds, target) -> None:
        self._build(preds, target)
        self._delegate(self.metric.update, preds, target)

    def _delegate(self, fn, preds, target):
        try:
            return fn(preds, target)
        except (RuntimeError, ValueError) as err:
            n = getattr(self.metric, "num_classes", getattr(self.metric, "num_labels", None))
            raise type(err)(f"{err} (task inferred from the first batch: task={self.task!r}"
                            + (f", num_classes/num_labels={n}" if n else "") +
                            "; pass task= and num_classes= explicitly if that is wrong)") from err

    def forward(self, preds, target):
        self._build(preds, target)
        value = self._delegate(self.metric.forward, preds, target)
        self._update_count += 1
        return value

    def compute(self):
        if self.metric is None:
            raise RuntimeError(f"{self._wrapper.__name__}() without `task` infers the task from its first update; "
                               "call update() before compute().")
        return self.metric.compute()

    def reset(self) -> None:
        super().reset()
        if self.metric is not None:
            self.metric.reset()

    @property
    def metric_state(self):
        return {} if self.metric is None else self.metric.metric_state

    def merge_state(self, incoming_state) -> None:
        other = incoming_state.metric if isinstance(incoming_state, _InferredTaskMetric) else incoming_state
        self.metric.merge_state(other)
        self._computed = None

    def __repr__(self):
        return f"{self._wrapper.__name__}(task=None -> {self.metric!r})"


def _wrapper(name, classes, defaults, doc):
    attrs = {"_name": name, "_classes": classes, "_defaults": defaults, "__module__": __name__,
             "__doc__": f"{doc}\n\n    ``task`` is 'binary', 'multiclass' or 'multilabel' (the Binary*/Multiclass*/"
                        "Multilabel* class is returned); without ``task`` the legacy torchmetrics 0.x behaviour: the "
                        "task is inferred from the first batch."}
    cls_name = "".join(part.capitalize() for part in name.split("_"))
    return type(cls_name, (_ClassificationTaskWrapper,), attrs)


_STAT = {"average": "micro"}
Accuracy = _wrapper("accuracy", (_ss.BinaryAccuracy, _ss.MulticlassAccuracy, _ss.MultilabelAccuracy), _STAT,
                    "Accuracy (torchmetrics.Accuracy).")
Precision = _wrapper("precision", (_ss.BinaryPrecision, _ss.MulticlassPrecision, _ss.MultilabelPrecision), _STAT,
                     "Precision (torchmetrics.Precision).")
Recall = _wrapper("recall", (_ss.BinaryRecall, _ss.MulticlassRecall, _ss.MultilabelRecall), _STAT,
                  "Recall (torchmetrics.Recall).")
F1Score = _wrapper("f1_score", (_ss.BinaryF1Score, _ss.MulticlassF1Score, _ss.MultilabelF1Score), _STAT,
                   "F1 score (torchmetrics.F1Score).")
F1Score.__name__ = F1Score.__qualname__ = "F1Score"
FBetaScore = _wrapper("fbeta_score", (_ss.BinaryFBetaScore, _ss.MulticlassFBetaScore, _ss.MultilabelFBetaScore),
                      {**_STAT, "beta": 1.0}, "F-beta score (torchmetrics.FBetaScore).")
FBetaScore.__name__ = FBetaScore.__qualname__ = "FBetaScore"
Specificity = _wrapper("specificity", (_ss.BinarySpecificity, _ss.MulticlassSpecificity,
                                       _ss.MultilabelSpecificity), _STAT, "Specificity (torchmetrics.Specificity).")
NegativePredictiveValue = _wrapper("negative_predictive_value", (_ss.BinaryNegativePredictiveValue,
                                                               _ss.MulticlassNegativePredictiveValue,
                                                               _ss.MultilabelNegativePredictiveValue), _STAT,
                                   "Negative predictive value (torchmetrics.NegativePredictiveValue).")
StatScores = _wrapper("stat_scores", (_ss.BinaryStatScores, _ss.MulticlassStatScores, _ss.MultilabelStatScores),
                      _STAT, "Stat scores (torchmetrics.StatScores).")
HammingDistance = _wrapper("hamming_distance", (_ss.BinaryHammingDistance, _ss.MulticlassHammingDistance,
                                                _ss.MultilabelHammingDistance), _STAT,
                           "Hamming distance (torchmetrics.HammingDistance).")
ConfusionMatrix = _wrapper("confusion_matrix", (_cm.BinaryConfusionMatrix, _cm.MulticlassConfusionMatrix,
                                                _cm.MultilabelConfusionMatrix), {},
                           "Confusion matrix (torchmetrics.ConfusionMatrix).")
MatthewsCorrCoef = _wrapper("matthews_corrcoef", (_cm.BinaryMatthewsCorrCoef, _cm.MulticlassMatthewsCorrCoef,
                                                  _cm.MultilabelMatthewsCorrCoef), {},
                            "Matthews correlation coefficient (torchmetrics.MatthewsCorrCoef).")
MatthewsCorrCoef.__name__ = MatthewsCorrCoef.__qualname__ = "MatthewsCorrCoef"
CohenKappa = _wrapper("cohen_kappa", (_cm.BinaryCohenKappa, _cm.MulticlassCohenKappa, None), {},
                      "Cohen's kappa (torchmetrics.CohenKappa).")
JaccardIndex = _wrapper("jaccard_index", (_cm.BinaryJaccardIndex, _cm.MulticlassJaccardIndex,
                                          _cm.MultilabelJaccardIndex), {"average": "macro"},
                        "Jaccard index (torchmetrics.JaccardIndex).")
ExactMatch = _wrapper("exact_match", (None, _em.MulticlassExactMatch, _em.MultilabelExactMatch), {},
                      "Exact match (torchmetrics.ExactMatch).")
CalibrationError = _wrapper("calibration_error", (_ce.BinaryCalibrationError, _ce.MulticlassCalibrationError, None),
                            {}, "Calibration error (torchmetrics.CalibrationError).")
AUROC = _wrapper("auroc", (_cv.BinaryAUROC, _cv.MulticlassAUROC, _cv.MultilabelAUROC), {"average": "macro"},
                 "Area under the ROC curve (torchmetrics.AUROC).")
AUROC.__name__ = AUROC.__qualname__ = "AUROC"
AveragePrecision = _wrapper("average_precision", (_cv.BinaryAveragePrecision, _cv.MulticlassAveragePrecision,
                                                  _cv.MultilabelAveragePrecision), {"average": "macro"},
                            "Average precision (torchmetrics.AveragePrecision).")
ROC = _wrapper("roc", (_cv.BinaryROC, _cv.MulticlassROC, _cv.MultilabelROC), {}, "ROC curve (torchmetrics.ROC).")
ROC.__name__ = ROC.__qualname__ = "ROC"
PrecisionRecallCurve = _wrapper("precision_recall_curve", (_cv.BinaryPrecisionRecallCurve,
                                                           _cv.MulticlassPrecisionRecallCurve,
                                                           _cv.MultilabelPrecisionRecallCurve), {},
                                "Precision-recall curve (torchmetrics.PrecisionRecallCurve).")
RecallAtFixedPrecision = _wrapper("recall_at_fixed_precision", (_cp.BinaryRecallAtFixedPrecision,
                                                             _cp.MulticlassRecallAtFixedPrecision,
                                                             _cp.MultilabelRecallAtFixedPrecision), {},
                                  "Recall at fixed precision (torchmetrics.RecallAtFixedPrecision).")
PrecisionAtFixedRecall = _wrapper("precision_at_fixed_recall", (_cp.BinaryPrecisionAtFixedRecall,
                                                             _cp.MulticlassPrecisionAtFixedRecall,
                                                             _cp.MultilabelPrecisionAtFixedRecall), {},
                                  "Precision at fixed recall (torchmetrics.PrecisionAtFixedRecall).")
SensitivityAtSpecificity = _wrapper("sensitivity_at_specificity", (_cp.BinarySensitivityAtSpecificity,
                                                                   _cp.MulticlassSensitivityAtSpecificity,
                                                                   _cp.MultilabelSensitivityAtSpecificity), {},
                                    "Sensitivity at specificity (torchmetrics.SensitivityAtSpecificity).")
SpecificityAtSensitivity = _wrapper("specificity_at_sensitivity", (_cp.BinarySpecificityAtSensitivity,
                                                                   _cp.MulticlassSpecificityAtSensitivity,
                                                                   _cp.MultilabelSpecificityAtSensitivity), {},
                                    "Specificity at sensitivity (torchmetrics.SpecificityAtSensitivity).")
EER = _wrapper("eer", (_cp.BinaryEER, _cp.MulticlassEER, _cp.MultilabelEER), {},
               "Equal error rate (torchmetrics.EER).")
EER.__name__ = EER.__qualname__ = "EER"
LogAUC = _wrapper("logauc", (_cp.BinaryLogAUC, _cp.MulticlassLogAUC, _cp.MultilabelLogAUC), {},
                  "LogAUC (torchmetrics.LogAUC).")
LogAUC.__name__ = LogAUC.__qualname__ = "LogAUC"
HingeLoss = _wrapper("hinge_loss", (_hr.BinaryHingeLoss, _hr.MulticlassHingeLoss, None), {},
                     "Hinge loss (torchmetrics.HingeLoss).")
