"""The ``task=`` entry points (``accuracy(preds, target, task='multiclass', num_classes=5)``) and the legacy call
without ``task`` that torchmetrics < 0.11 accepted, which infers the task from the inputs.

Task inference (``task=None``), the rules of torchmetrics 0.x:
    1. preds has one more dimension than target and is float      -> 'multiclass', num_classes = preds.shape[1]
    2. same shape, float preds, target in {0, 1}: 1-D              -> 'binary'
                                                   2-D or more      -> 'multilabel', num_labels = preds.shape[1]
    3. same shape, integer preds (labels): some label > 1           -> 'multiclass', num_classes = max label + 1
                                           all labels in {0, 1}     -> 'binary' for accuracy, hamming distance and
                                           exact match (every reading gives the same number); otherwise ambiguous:
                                           a ValueError asks for task='binary' or task='multiclass', num_classes=2
    Anything else raises a ValueError that says which ``task=`` to pass.
The stateful classes infer once, from the first batch, and keep that task (a later batch with a label beyond the
inferred num_classes raises and asks for ``num_classes=``).
"""
from __future__ import annotations

import inspect
from functools import lru_cache


from .... import _errors
from ...utilities import to_numpy
from . import _calibration_error as _ce
from . import _confusion_matrix as _cm
from . import _curve_points as _cp
from . import _curves as _cv
from . import _exact_match as _em
from . import _hinge as _hi
from . import _stat_scores as _ss

TASKS = ("binary", "multiclass", "multilabel")
# metrics whose value is the same under every reading of 0/1 label inputs (no ambiguity to resolve)
_LABEL_AGNOSTIC = ("accuracy", "hamming_distance", "exact_match")

TASK_FUNCTIONS = {
    "accuracy": (_ss.binary_accuracy, _ss.multiclass_accuracy, _ss.multilabel_accuracy),
    "precision": (_ss.binary_precision, _ss.multiclass_precision, _ss.multilabel_precision),
    "recall": (_ss.binary_recall, _ss.multiclass_recall, _ss.multilabel_recall),
    "f1_score": (_ss.binary_f1_score, _ss.multiclass_f1_score, _ss.multilabel_f1_score),
    "fbeta_score": (_ss.binary_fbeta_score, _ss.multiclass_fbeta_score, _ss.multilabel_fbeta_score),
    "specificity": (_ss.binary_specificity, _ss.multiclass_specificity, _ss.multilabel_specificity),
    "negative_predictive_value": (_ss.binary_negative_predictive_value, _ss.multiclass_negative_predictive_value,
                                  _ss.multilabel_negative_predictive_value),
    "stat_scores": (_ss.binary_stat_scores, _ss.multiclass_stat_scores, _ss.multilabel_stat_scores),
    "hamming_distance": (_ss.binary_hamming_distance, _ss.multiclass_hamming_distance,
                         _ss.multilabel_hamming_distance),
    "confusion_matrix": (_cm.binary_confusion_matrix, _cm.multiclass_confusion_matrix,
                         _cm.multilabel_confusion_matrix),
    "matthews_corrcoef": (_cm.binary_matthews_corrcoef, _cm.multiclass_matthews_corrcoef,
                          _cm.multilabel_matthews_corrcoef),
    "cohen_kappa": (_cm.binary_cohen_kappa, _cm.multiclass_cohen_kappa, None),
    "jaccard_index": (_cm.binary_jaccard_index, _cm.multiclass_jaccard_index, _cm.multilabel_jaccard_index),
    "exact_match": (None, _em.multiclass_exact_match, _em.multilabel_exact_match),
    "calibration_error": (_ce.binary_calibration_error, _ce.multiclass_calibration_error, None),
    "auroc": (_cv.binary_auroc, _cv.multiclass_auroc, _cv.multilabel_auroc),
    "average_precision": (_cv.binary_average_precision, _cv.multiclass_average_precision,
                          _cv.multilabel_average_precision),
    "roc": (_cv.binary_roc, _cv.multiclass_roc, _cv.multilabel_roc),
    "precision_recall_curve": (_cv.binary_precision_recall_curve, _cv.multiclass_precision_recall_curve,
                               _cv.multilabel_precision_recall_curve),
    "recall_at_fixed_precision": (_cp.binary_recall_at_fixed_precision, _cp.multiclass_recall_at_fixed_precision,
                                  _cp.multilabel_recall_at_fixed_precision),
    "precision_at_fixed_recall": (_cp.binary_precision_at_fixed_recall, _cp.multiclass_precision_at_fixed_recall,
                                  _cp.multilabel_precision_at_fixed_recall),
    "sensitivity_at_specificity": (_cp.binary_sensitivity_at_specificity, _cp.multiclass_sensitivity_at_specificity,
                                   _cp.multilabel_sensitivity_at_specificity),
    "specificity_at_sensitivity": (_cp.binary_specificity_at_sensitivity, _cp.multiclass_specificity_at_sensitivity,
                                   _cp.multilabel_specificity_at_sensitivity),
    "hinge_loss": (_hi.binary_hinge_loss, _hi.multiclass_hinge_loss, None),
    "eer": (_cp.binary_eer, _cp.multiclass_eer, _cp.multilabel_eer),
    "logauc": (_cp.binary_logauc, _cp.multiclass_logauc, _cp.multilabel_logauc),
}


def check_task(task, name):
    supported = tuple(t for t, fn in zip(TASKS, TASK_FUNCTIONS[name]) if fn is not None)
    if task not in supported:
        raise ValueError(f"Invalid Classification: expected one of {supported} for `task` of {name}, but got {task!r}")


def infer_task(preds, target, name="accuracy", multiclass=None):
    """(task, num_classes or num_labels) from the inputs, by the rules in this module's docstring.

    ``multiclass`` (torchmetrics 0.x): False reads 0/1 labels as binary, True as 2-class multiclass."""
    p, t = to_numpy(preds), to_numpy(target)
    hint = ("pass task='binary', task='multiclass' with num_classes=..., or task='multilabel' with num_labels=... "
            "explicitly")
    if p.ndim == t.ndim + 1 and p.dtype.kind == "f":
        return "multiclass", p.shape[1]
    if p.shape != t.shape:
        raise ValueError(f"Could not infer the task of {name} from preds of shape {p.shape} and target of shape "
                         f"{t.shape}: {hint}.")
    t_max = int(t.max()) if t.size else 0
    if p.dtype.kind == "f":
        if t_max > 1:
            raise ValueError(f"Could not infer the task of {name}: float preds with the shape of target need a "
                             f"binary target, but target has values up to {t_max}. For class-index targets pass "
                             "preds of shape (N, C) or task='multiclass', num_classes=...")
        return ("binary", None) if p.ndim == 1 else ("multilabel", p.shape[1])
    top = max(t_max, int(p.max()) if p.size else 0)
    if top > 1:
        return "multiclass", top + 1
    if multiclass is not None:
        return ("multiclass", 2) if multiclass else ("binary", None)
    if name in _LABEL_AGNOSTIC or p.ndim == 0:
        return "binary", None
    raise ValueError(f"The task of {name} is ambiguous for integer labels in {{0, 1}}: they may be binary, "
                     f"2-class multiclass or multilabel data, which give different values. Pass task='binary', "
                     f"task='multiclass' with num_classes=2, or task='multilabel' with num_labels={p.shape[-1]}.")


@lru_cache(maxsize=None)
def _params(fn):
    return frozenset(inspect.signature(fn).parameters)


def task_kwargs(fn, kwargs):
    """The subset of a task wrapper's keyword arguments that the task-specific function accepts."""
    names = _params(fn)
    return {k: v for k, v in kwargs.items() if k in names}


def resolve_legacy(name, preds, target, num_classes, num_labels, kwargs):
    """(task, num_classes, num_labels, kwargs) for a call without ``task``: the task is inferred, a num_classes or
    num_labels the caller gave is kept, and torchmetrics 0.x arguments are translated (top_k=None -> 1,
    multiclass=True/False for 0/1 labels, mdmc_average='global'); those with no 1.x equivalent raise."""
    kwargs = dict(kwargs)
    multiclass = kwargs.pop("multiclass", None)
    mdmc = kwargs.pop("mdmc_average", None)
    if mdmc not in (None, "global"):
        raise ValueError(f"`mdmc_average={mdmc!r}` of torchmetrics 0.x is not supported; pass task= with "
                         "multidim_average='samplewise' for per-sample values.")
    if kwargs.pop("subset_accuracy", False):
        raise ValueError("`subset_accuracy=True` of torchmetrics 0.x is the exact match: use "
                         "ember.metrics.functional.exact_match(preds, target, task='multilabel', num_labels=...).")
    if "top_k" in kwargs and kwargs["top_k"] is None:
        kwargs["top_k"] = 1
    task, n = infer_task(preds, target, name, multiclass)
    if task == "multiclass":
        num_classes = num_classes or n
    elif task == "multilabel":
        num_labels = num_labels or n
    return task, num_classes, num_labels, kwargs


def call_task(name, preds, target, task, num_classes=None, num_labels=None, **kwargs):
    """Dispatch ``name`` to its binary/multiclass/multilabel function (inferring the task when it is None)."""
    if task is None:
        task, num_classes, num_labels, kwargs = resolve_legacy(name, preds, target, num_classes, num_labels, kwargs)
    for legacy in ("multiclass", "mdmc_average", "subset_accuracy"):
        kwargs.pop(legacy, None)
    check_task(task, name)
    fn = TASK_FUNCTIONS[name][TASKS.index(task)]
    if task == "multiclass":
        if not isinstance(num_classes, int):
            raise _errors.count_not_int("num_classes", type(num_classes))
        kwargs["num_classes"] = num_classes
    elif task == "multilabel":
        if not isinstance(num_labels, int):
            raise _errors.count_not_int("num_labels", type(num_labels))
        kwargs["num_labels"] = num_labels
    return fn(preds, target, **task_kwargs(fn, kwargs))


def accuracy(preds, target, task=None, threshold=0.5, num_classes=None, num_labels=None, average="micro",
             multidim_average="global", top_k=1, ignore_index=None, validate_args=True, input_format="auto",
             multiclass=None, mdmc_average=None, subset_accuracy=False):
    """Accuracy for ``task`` 'binary' | 'multiclass' | 'multilabel' (None: inferred, the legacy 0.x call).

    ``multiclass``, ``mdmc_average`` and ``subset_accuracy`` are torchmetrics 0.x arguments, read only without
    ``task`` (see `resolve_legacy`).

    Example:
        >>> preds = ember.randn(10, 5).softmax(dim=1); target = ember.randint(5, (10,))
        >>> accuracy(preds, target)   # inferred: multiclass, num_classes=5, average='micro'
    """
    return call_task("accuracy", preds, target, task, num_classes, num_labels, threshold=threshold, average=average,
                     multidim_average=multidim_average, top_k=top_k, ignore_index=ignore_index,
                     validate_args=validate_args, input_format=input_format, multiclass=multiclass,
                     mdmc_average=mdmc_average, subset_accuracy=subset_accuracy)


def precision(preds, target, task=None, threshold=0.5, num_classes=None, num_labels=None, average="micro",
              multidim_average="global", top_k=1, ignore_index=None, validate_args=True, zero_division=0,
              input_format="auto"):
    """Precision tp / (tp + fp) for the given (or inferred) task."""
    return call_task("precision", preds, target, task, num_classes, num_labels, threshold=threshold, average=average,
                     multidim_average=multidim_average, top_k=top_k, ignore_index=ignore_index,
                     validate_args=validate_args, zero_division=zero_division, input_format=input_format)


def recall(preds, target, task=None, threshold=0.5, num_classes=None, num_labels=None, average="micro",
           multidim_average="global", top_k=1, ignore_index=None, validate_args=True, zero_division=0,
           input_format="auto"):
    """Recall tp / (tp + fn) for the given (or inferred) task."""
    return call_task("recall", preds, target, task, num_classes, num_labels, threshold=threshold, average=average,
                     multidim_average=multidim_average, top_k=top_k, ignore_index=ignore_index,
                     validate_args=validate_args, zero_division=zero_division, input_format=input_format)


def f1_score(preds, target, task=None, threshold=0.5, num_classes=None, num_labels=None, average="micro",
             multidim_average="global", top_k=1, ignore_index=None, validate_args=True, zero_division=0,
             input_format="auto"):
    """F1 score 2·tp / (2·tp + fp + fn) for the given (or inferred) task."""
    return call_task("f1_score", preds, target, task, num_classes, num_labels, threshold=threshold, average=average,
                     multidim_average=multidim_average, top_k=top_k, ignore_index=ignore_index,
                     validate_args=validate_args, zero_division=zero_division, input_format=input_format)


def fbeta_score(preds, target, task=None, beta=1.0, threshold=0.5, num_classes=None, num_labels=None,
                average="micro", multidim_average="global", top_k=1, ignore_index=None, validate_args=True,
                zero_division=0, input_format="auto"):
    """F-beta score for the given (or inferred) task."""
    return call_task("fbeta_score", preds, target, task, num_classes, num_labels, beta=beta, threshold=threshold,
                     average=average, multidim_average=multidim_average, top_k=top_k, ignore_index=ignore_index,
                     validate_args=validate_args, zero_division=zero_division, input_format=input_format)


def specificity(preds, target, task=None, threshold=0.5, num_classes=None, num_labels=None, average="micro",
                multidim_average="global", top_k=1, ignore_index=None, validate_args=True, input_format="auto"):
    """Specificity tn / (tn + fp) for the given (or inferred) task."""
    return call_task("specificity", preds, target, task, num_classes, num_labels, threshold=threshold,
                     average=average, multidim_average=multidim_average, top_k=top_k, ignore_index=ignore_index,
                     validate_args=validate_args, input_format=input_format)


def negative_predictive_value(preds, target, task=None, threshold=0.5, num_classes=None, num_labels=None,
                              average="micro", multidim_average="global", top_k=1, ignore_index=None,
                              validate_args=True, zero_division=0, input_format="auto"):
    """Negative predictive value tn / (tn + fn) for the given (or inferred) task."""
    return call_task("negative_predictive_value", preds, target, task, num_classes, num_labels, threshold=threshold,
                     average=average, multidim_average=multidim_average, top_k=top_k, ignore_index=ignore_index,
                     validate_args=validate_args, zero_division=zero_division, input_format=input_format)


def stat_scores(preds, target, task=None, threshold=0.5, num_classes=None, num_labels=None, average="micro",
                multidim_average="global", top_k=1, ignore_index=None, validate_args=True, input_format="auto"):
    """[tp, fp, tn, fn, support] for the given (or inferred) task."""
    return call_task("stat_scores", preds, target, task, num_classes, num_labels, threshold=threshold,
                     average=average, multidim_average=multidim_average, top_k=top_k, ignore_index=ignore_index,
                     validate_args=validate_args, input_format=input_format)


def hamming_distance(preds, target, task=None, threshold=0.5, num_classes=None, num_labels=None, average="micro",
                     multidim_average="global", top_k=1, ignore_index=None, validate_args=True, input_format="auto"):
    """Hamming distance 1 − accuracy for the given (or inferred) task."""
    return call_task("hamming_distance", preds, target, task, num_classes, num_labels, threshold=threshold,
                     average=average, multidim_average=multidim_average, top_k=top_k, ignore_index=ignore_index,
                     validate_args=validate_args, input_format=input_format)


def confusion_matrix(preds, target, task=None, threshold=0.5, num_classes=None, num_labels=None, normalize=None,
                     ignore_index=None, validate_args=True, input_format="auto"):
    """Confusion matrix for the given (or inferred) task."""
    return call_task("confusion_matrix", preds, target, task, num_classes, num_labels, threshold=threshold,
                     normalize=normalize, ignore_index=ignore_index, validate_args=validate_args,
                     input_format=input_format)


def matthews_corrcoef(preds, target, task=None, threshold=0.5, num_classes=None, num_labels=None, ignore_index=None,
                      validate_args=True, input_format="auto"):
    """Matthews correlation coefficient for the given (or inferred) task."""
    return call_task("matthews_corrcoef", preds, target, task, num_classes, num_labels, threshold=threshold,
                     ignore_index=ignore_index, validate_args=validate_args, input_format=input_format)


def cohen_kappa(preds, target, task=None, threshold=0.5, num_classes=None, weights=None, ignore_index=None,
                validate_args=True, input_format="auto"):
    """Cohen's kappa for task 'binary' or 'multiclass'."""
    return call_task("cohen_kappa", preds, target, task, num_classes, None, threshold=threshold, weights=weights,
                     ignore_index=ignore_index, validate_args=validate_args, input_format=input_format)


def jaccard_index(preds, target, task=None, threshold=0.5, num_classes=None, num_labels=None, average="macro",
                  ignore_index=None, validate_args=True, zero_division=0, input_format="auto"):
    """Jaccard index (IoU) for the given (or inferred) task."""
    return call_task("jaccard_index", preds, target, task, num_classes, num_labels, threshold=threshold,
                     average=average, ignore_index=ignore_index, validate_args=validate_args,
                     zero_division=zero_division, input_format=input_format)


def exact_match(preds, target, task=None, num_classes=None, num_labels=None, threshold=0.5,
                multidim_average="global", ignore_index=None, validate_args=True, input_format="auto"):
    """Exact match for task 'multiclass' or 'multilabel'."""
    return call_task("exact_match", preds, target, task, num_classes, num_labels, threshold=threshold,
                     multidim_average=multidim_average, ignore_index=ignore_index, validate_args=validate_args,
                     input_format=input_format)


def calibration_error(preds, target, task=None, n_bins=15, norm="l1", num_classes=None, ignore_index=None,
                      validate_args=True, input_format="auto"):
    """Calibration error for task 'binary' or 'multiclass'."""
    return call_task("calibration_error", preds, target, task, num_classes, None, n_bins=n_bins, norm=norm,
                     ignore_index=ignore_index, validate_args=validate_args, input_format=input_format)


def auroc(preds, target, task=None, thresholds=None, num_classes=None, num_labels=None, average="macro",
          max_fpr=None, ignore_index=None, validate_args=True, input_format="auto"):
    """Area under the ROC curve for the given (or inferred) task."""
    return call_task("auroc", preds, target, task, num_classes, num_labels, thresholds=thresholds, average=average,
                     max_fpr=max_fpr, ignore_index=ignore_index, validate_args=validate_args,
                     input_format=input_format)


def average_precision(preds, target, task=None, thresholds=None, num_classes=None, num_labels=None,
                      average="macro", ignore_index=None, validate_args=True, input_format="auto"):
    """Average precision for the given (or inferred) task."""
    return call_task("average_precision", preds, target, task, num_classes, num_labels, thresholds=thresholds,
                     average=average, ignore_index=ignore_index, validate_args=validate_args,
                     input_format=input_format)


def roc(preds, target, task=None, thresholds=None, num_classes=None, num_labels=None, ignore_index=None,
        validate_args=True, input_format="auto"):
    """ROC curve (fpr, tpr, thresholds) for the given (or inferred) task."""
    return call_task("roc", preds, target, task, num_classes, num_labels, thresholds=thresholds,
                     ignore_index=ignore_index, validate_args=validate_args, input_format=input_format)


def precision_recall_curve(preds, target, task=None, thresholds=None, num_classes=None, num_labels=None,
                           ignore_index=None, validate_args=True, input_format="auto"):
    """Precision-recall curve (precision, recall, thresholds) for the given (or inferred) task."""
    return call_task("precision_recall_curve", preds, target, task, num_classes, num_labels, thresholds=thresholds,
                     ignore_index=ignore_index, validate_args=validate_args, input_format=input_format)


def recall_at_fixed_precision(preds, target, task=None, min_precision=None, thresholds=None, num_classes=None,
                              num_labels=None, ignore_index=None, validate_args=True, input_format="auto"):
    """Highest recall with precision ≥ min_precision, and its threshold, for the given (or inferred) task."""
    return call_task("recall_at_fixed_precision", preds, target, task, num_classes, num_labels,
                     min_precision=min_precision, thresholds=thresholds, ignore_index=ignore_index,
                     validate_args=validate_args, input_format=input_format)


def precision_at_fixed_recall(preds, target, task=None, min_recall=None, thresholds=None, num_classes=None,
                              num_labels=None, ignore_index=None, validate_args=True, input_format="auto"):
    """Highest precision with recall ≥ min_recall, and its threshold, for the given (or inferred) task."""
    return call_task("precision_at_fixed_recall", preds, target, task, num_classes, num_labels, min_recall=min_recall,
                     thresholds=thresholds, ignore_index=ignore_index, validate_args=validate_args,
                     input_format=input_format)


def sensitivity_at_specificity(preds, target, task=None, min_specificity=None, thresholds=None, num_classes=None,
                               num_labels=None, ignore_index=None, validate_args=True, input_format="auto"):
    """Highest sensitivity with specificity ≥ min_specificity, and its threshold, for the given (or inferred) task."""
    return call_task("sensitivity_at_specificity", preds, target, task, num_classes, num_labels,
                     min_specificity=min_specificity, thresholds=thresholds, ignore_index=ignore_index,
                     validate_args=validate_args, input_format=input_format)


def specificity_at_sensitivity(preds, target, task=None, min_sensitivity=None, thresholds=None, num_classes=None,
                               num_labels=None, ignore_index=None, validate_args=True, input_format="auto"):
    """Highest specificity with sensitivity ≥ min_sensitivity, and its threshold, for the given (or inferred) task."""
    return call_task("specificity_at_sensitivity", preds, target, task, num_classes, num_labels,
                     min_sensitivity=min_sensitivity, thresholds=thresholds, ignore_index=ignore_index,
                     validate_args=validate_args, input_format=input_format)


def hinge_loss(preds, target, task=None, num_classes=None, squared=False, multiclass_mode="crammer-singer",
               ignore_index=None, validate_args=True):
    """Mean (squared) hinge loss for ``task`` 'binary' | 'multiclass' (None: inferred)."""
    return call_task("hinge_loss", preds, target, task, num_classes, None, squared=squared,
                     multiclass_mode=multiclass_mode, ignore_index=ignore_index, validate_args=validate_args)


def eer(preds, target, task=None, thresholds=None, num_classes=None, num_labels=None, average=None,
        ignore_index=None, validate_args=True, input_format="auto"):
    """Equal error rate for the given (or inferred) task."""
    return call_task("eer", preds, target, task, num_classes, num_labels, thresholds=thresholds, average=average,
                     ignore_index=ignore_index, validate_args=validate_args, input_format=input_format)


def logauc(preds, target, task=None, thresholds=None, num_classes=None, num_labels=None, fpr_range=(0.001, 0.1),
           average=None, ignore_index=None, validate_args=True, input_format="auto"):
    """LogAUC over ``fpr_range`` for the given (or inferred) task (multiclass/multilabel: average None gives one
    value per class, as torchmetrics' task function)."""
    return call_task("logauc", preds, target, task, num_classes, num_labels, thresholds=thresholds,
                     fpr_range=fpr_range, average=average, ignore_index=ignore_index, validate_args=validate_args,
                     input_format=input_format)


_RULES = __doc__.split("Task inference (``task=None``), the rules of torchmetrics 0.x:")[1]
for _fn in (accuracy, precision, recall, f1_score, fbeta_score, specificity, negative_predictive_value, stat_scores, hamming_distance,
            confusion_matrix, matthews_corrcoef, cohen_kappa, jaccard_index, exact_match, calibration_error, auroc,
            average_precision, roc, precision_recall_curve, recall_at_fixed_precision, precision_at_fixed_recall,
            sensitivity_at_specificity, specificity_at_sensitivity, eer, logauc, hinge_loss):
    _fn.__doc__ = (_fn.__doc__ or "") + ("\n\n    Torch parity: torchmetrics.functional." + _fn.__name__ + " with ``task``; without it (the "
                    "legacy 0.x call) the task is inferred:" + _RULES)
