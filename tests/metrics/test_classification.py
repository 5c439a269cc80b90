"""Every classification metric × task × average × option against torchmetrics 1.x, table-driven.

For each case: the functional form on all data, the stateful form's batch-by-batch ``forward`` values and final
``compute``, and ``merge_state`` of two metrics fed disjoint batches — all equal torchmetrics'."""
import warnings

import numpy as np
import pytest
from _metric_oracle import assert_close, make_inputs, torchmetrics, tt, with_ignore

import ember.metrics as em
import ember.metrics.functional as EF
import torchmetrics.classification as TC
import torchmetrics.functional.classification as TF

pytestmark = pytest.mark.filterwarnings("ignore")
TASKS = ("Binary", "Multiclass", "Multilabel")
AVGS = ("micro", "macro", "weighted", "none")
SPLITS = (slice(0, 25), slice(25, 45), slice(45, 60))
LABELS = ("probs", "logits", "labels")
SCORES = ("probs", "logits")


def _snake(name):
    special = {"FBetaScore": "fbeta_score", "MatthewsCorrCoef": "matthews_corrcoef", "F1Score": "f1_score", "AUROC": "auroc", "ROC": "roc"}
    return special.get(name) or "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def _stat_options(task):
    if task == "Binary":
        return [{}, {"threshold": 0.3}, {"ignore_index": -1}, {"multidim_average": "samplewise"}]
    opts = []
    for avg in AVGS:
        opts += [{"average": avg}, {"average": avg, "ignore_index": -1}, {"average": avg,
                                                                           "multidim_average": "samplewise"}]
        if task == "Multiclass":
            opts += [{"average": avg, "top_k": 2}, {"average": avg, "ignore_index": 1}]
    return opts + ([{"threshold": 0.3}] if task == "Multilabel" else [])


def _cases():
    cases = []

    def add(name, task, opts, kinds=LABELS, extra=None, variants=True):
        for o in opts:
            for kind in kinds:
                if o.get("top_k", 1) > 1 and kind == "labels":
                    continue
                cases.append((name, task, {**(extra or {}), **o}, kind, "random"))
        if variants:
            for variant in ("absent", "single"):
                base = {"average": "macro"} if any("average" in o for o in opts) else {}
                cases.append((name, task, {**(extra or {}), **base}, kinds[0], variant))

    for name in ("Accuracy", "Precision", "Recall", "F1Score", "Specificity", "NegativePredictiveValue",
                 "HammingDistance", "StatScores"):
        for task in TASKS:
            add(name, task, _stat_options(task))
    for task in TASKS:
        add("FBetaScore", task, [{}, {"average": "weighted"} if task != "Binary" else {"threshold": 0.3}],
            extra={"beta": 2.0})
    for task in TASKS:
        ig = [{"ignore_index": -1}] + ([{"ignore_index": 1}] if task == "Multiclass" else [])
        add("ConfusionMatrix", task, [{}, {"normalize": "true"}, {"normalize": "pred"}, {"normalize": "all"}] + ig)
        add("MatthewsCorrCoef", task, [{}] + ig)
        avg = [{}] if task == "Binary" else [{"average": a} for a in AVGS]
        add("JaccardIndex", task, avg + ig)
        if task != "Multilabel":
            add("CohenKappa", task, [{}, {"weights": "linear"}, {"weights": "quadratic"}] + ig)
            add("CalibrationError", task, [{}, {"norm": "l2"}, {"norm": "max"}, {"n_bins": 5}] + ig[:1], SCORES)
        if task != "Binary":
            add("ExactMatch", task, [{}, {"ignore_index": -1}, {"multidim_average": "samplewise"}])
        thr = [{"thresholds": 5}, {"thresholds": [0.1, 0.5, 0.9, 0.3]}, {"ignore_index": -1}]
        if task == "Binary":
            add("AUROC", task, [{}, {"max_fpr": 0.5}, {"max_fpr": 0.5, "thresholds": 7}] + thr, SCORES)
            add("AveragePrecision", task, [{}] + thr, SCORES)
            curve_opts = [{}] + thr
        else:
            avgs = ("macro", "weighted", "none") + (("micro",) if task == "Multilabel" else ())
            for metric in ("AUROC", "AveragePrecision"):
                add(metric, task, [{"average": a} for a in avgs] + [{"average": a, **t} for a in avgs[:2]
                                                                    for t in thr], SCORES)
            curve_opts = [{}] + thr + ([{"average": "micro"}, {"average": "macro"}, {"average": "macro", "thresholds": 5},
                                        {"average": "micro", "thresholds": 5}] if task == "Multiclass" else [])
        add("ROC", task, curve_opts, SCORES, variants=False)
        add("PrecisionRecallCurve", task, curve_opts, SCORES, variants=False)
    return cases


CASES = _cases()


def _data(name, task, kwargs, kind, variant):
    multidim = kwargs.get("multidim_average") == "samplewise" or name == "ExactMatch"
    preds, target = make_inputs(task.lower(), kind, variant, multidim=multidim, seed=len(name) + len(kwargs))
    if "ignore_index" in kwargs:
        target = with_ignore(target, kwargs["ignore_index"])
    return preds, target


def _task_args(task, name):
    if task == "Multiclass":
        return {"num_classes": 5}
    if task == "Multilabel":
        return {"num_labels": 4}
    return {}


class _FunctionalReference:
    """torchmetrics' functional form applied to each batch (forward) and to all batches seen (compute)."""

    def __init__(self, fn, args):
        self.fn, self.args, self.seen = fn, args, []

    def __call__(self, preds, target):
        self.seen.append((preds, target))
        return self.fn(preds, target, **self.args)

    def compute(self):
        import torch
        return self.fn(torch.cat([p for p, _ in self.seen]), torch.cat([t for _, t in self.seen]), **self.args)


@pytest.mark.parametrize("name,task,kwargs,kind,variant", CASES,
                         ids=[f"{t}{n}-{k}-{v}-{o}" for n, t, o, k, v in CASES])
def test_matches_torchmetrics(name, task, kwargs, kind, variant):
    preds, target = _data(name, task, kwargs, kind, variant)
    args = {**_task_args(task, name), **kwargs}
    cls = task + name
    # functional
    fn = f"{task.lower()}_{_snake(name)}"
    assert_close(getattr(EF, fn)(preds, target, **args), getattr(TF, fn)(tt(preds), tt(target), **args), fn)
    # stateful: forward per batch, compute at the end
    ours, ref = getattr(em, cls)(**args), getattr(TC, cls)(**args)
    if kwargs.get("average") == "micro" and "thresholds" in kwargs and cls.startswith("Multiclass"):
        ref = _FunctionalReference(getattr(TF, fn), args)  # torchmetrics' stateful binned micro curves are broken
    for s in SPLITS:
        assert_close(ours(preds[s], target[s]), ref(tt(preds[s]), tt(target[s])), f"{cls}.forward")
    assert_close(ours.compute(), ref.compute(), f"{cls}.compute")
    # merge_state: a metric fed the first batch merged into one fed the rest == one fed everything
    first, rest = getattr(em, cls)(**args), getattr(em, cls)(**args)
    first.update(preds[SPLITS[0]], target[SPLITS[0]])
    for s in SPLITS[1:]:
        rest.update(preds[s], target[s])
    rest.merge_state(first)
    assert_close(rest.compute(), ref.compute(), f"{cls}.merge_state")


WRAPPED = [("Accuracy", {}), ("Precision", {}), ("Recall", {}), ("F1Score", {}), ("FBetaScore", {"beta": 0.5}),
           ("Specificity", {}), ("NegativePredictiveValue", {}), ("StatScores", {}), ("HammingDistance", {}), ("ConfusionMatrix", {}),
           ("MatthewsCorrCoef", {}), ("CohenKappa", {}), ("JaccardIndex", {}), ("ExactMatch", {}),
           ("CalibrationError", {}), ("AUROC", {}), ("AveragePrecision", {}), ("ROC", {}),
           ("PrecisionRecallCurve", {})]


@pytest.mark.parametrize("name,extra", WRAPPED, ids=[w[0] for w in WRAPPED])
def test_task_wrappers_match_torchmetrics(name, extra):
    """``Metric(task=...)`` builds the task's class and ``metric(preds, target, task=...)`` dispatches, as torchmetrics."""
    for task in TASKS:
        if (name, task) in (("CohenKappa", "Multilabel"), ("CalibrationError", "Multilabel"), ("ExactMatch", "Binary")):
            continue
        preds, target = make_inputs(task.lower(), "probs", multidim=name == "ExactMatch")
        args = {"task": task.lower(), **_task_args(task, name), **extra}
        ours, ref = getattr(em, name)(**args), getattr(torchmetrics, name)(**args)
        assert type(ours).__name__ == type(ref).__name__
        assert_close(ours(preds, target), ref(tt(preds), tt(target)), f"{name}({task})")
        fn = _snake(name)
        assert_close(getattr(EF, fn)(preds, target, **args),
                     getattr(torchmetrics.functional, fn)(tt(preds), tt(target), **args), fn)


def test_empty_updates_change_nothing():
    """An empty batch leaves the result unchanged (reference: torchmetrics without the empty batches)."""
    preds, target = make_inputs("multiclass", "probs")
    for cls, args in (("MulticlassAccuracy", {"num_classes": 5}), ("MulticlassF1Score", {"num_classes": 5}),
                      ("MulticlassConfusionMatrix", {"num_classes": 5}), ("MulticlassAUROC", {"num_classes": 5})):
        ours, ref = getattr(em, cls)(**args), getattr(TC, cls)(**args)
        for s in SPLITS:
            ours.update(preds[s], target[s])
            ref.update(tt(preds[s]), tt(target[s]))
            ours.update(preds[:0], target[:0])  # torchmetrics raises on some empty batches; ours is a no-op
        assert_close(ours.compute(), ref.compute(), cls)


def test_input_format_decides_once_for_all_batches():
    """'auto' (torchmetrics) applies sigmoid only to batches with values outside [0, 1]; 'logits' always does."""
    rng = np.random.default_rng(3)
    logits = np.concatenate([rng.uniform(0.05, 0.95, 20), rng.standard_normal(20) * 3]).astype(np.float32)
    target = rng.integers(0, 2, 40)
    auto, explicit = em.BinaryAccuracy(), em.BinaryAccuracy(input_format="logits")
    ref = TC.BinaryAccuracy()
    for s in (slice(0, 20), slice(20, 40)):
        auto.update(logits[s], target[s])
        explicit.update(logits[s], target[s])
        ref.update(tt(logits[s]), tt(target[s]))
    assert_close(auto.compute(), ref.compute())
    expected = ((1 / (1 + np.exp(-logits)) > 0.5) == target).mean()
    assert np.isclose(float(explicit.compute()), expected)
    labels = em.functional.binary_accuracy(np.array([0.0, 1.0, 1.0]), np.array([0, 1, 0]), input_format="labels")
    assert np.isclose(float(labels), 2 / 3)
    with pytest.raises(ValueError, match="input_format"):
        em.BinaryAccuracy(input_format="scores")


def test_binned_curves_use_constant_memory():
    preds, target = make_inputs("multiclass", "probs")
    metric = em.MulticlassAUROC(num_classes=5, thresholds=11)
    for _ in range(3):
        metric.update(preds, target)
    assert metric.confmat.shape == (11, 5, 2, 2) and metric.confmat.sum() == 3 * 60 * 5 * 11
    ref = TC.MulticlassAUROC(num_classes=5, thresholds=11)
    for _ in range(3):
        ref.update(tt(preds), tt(target))
    assert_close(metric.compute(), ref.compute())


def test_float64_inputs_and_numpy_or_tensor_inputs_agree():
    import ember

    preds, target = make_inputs("binary", "probs")
    a = EF.binary_auroc(preds.astype(np.float64), target)
    b = EF.binary_auroc(ember.tensor(preds), ember.tensor(target))
    assert_close(a, TF.binary_auroc(tt(preds), tt(target)))
    assert_close(b, TF.binary_auroc(tt(preds), tt(target)))
    assert isinstance(b, ember.Tensor) and b.dtype == ember.float32
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert EF.multiclass_stat_scores(*make_inputs("multiclass", "labels"), num_classes=5, average="micro").dtype == ember.int64


@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_curves_with_tied_scores(task):
    """Quantized scores (many ties) take the tie-aware path of the exact curves."""
    preds, target = make_inputs(task, "probs", n=200)
    preds = np.round(preds, 1).astype(np.float32)
    args = _task_args(task.capitalize(), "")
    for fn in ("auroc", "average_precision", "roc", "precision_recall_curve"):
        name = f"{task}_{fn}"
        assert_close(getattr(EF, name)(preds, target, **args), getattr(TF, name)(tt(preds), tt(target), **args), name)


def test_multiclass_accuracy_micro_without_num_classes_matches_torchmetrics():
    """torchmetrics' test for its issue #1691: num_classes may be None with average='micro'."""
    tm = pytest.importorskip("torchmetrics")
    import torch

    from ember.metrics.classification import MulticlassAccuracy
    from ember.metrics.functional.classification import multiclass_accuracy

    rng = np.random.default_rng(0)
    batches = [(rng.integers(0, 4, 20), rng.integers(0, 4, 20)), (rng.random((20, 5)), rng.integers(0, 5, 20))]
    for ignore_index in (None, 1, -1):
        ours = MulticlassAccuracy(num_classes=None, average="micro", ignore_index=ignore_index)
        ref = tm.classification.MulticlassAccuracy(num_classes=None, average="micro", ignore_index=ignore_index)
        for p, t in batches:
            t = np.where(rng.random(t.shape) < 0.2, -1, t) if ignore_index == -1 else t
            batch = ours(p, t)
            np.testing.assert_allclose(batch.item(), ref(torch.tensor(p), torch.tensor(t)).item(), rtol=1e-6)
            np.testing.assert_allclose(multiclass_accuracy(p, t, None, "micro", ignore_index=ignore_index).item(),
                                       batch.item(), rtol=1e-6)
        np.testing.assert_allclose(ours.compute().item(), ref.compute().item(), rtol=1e-6)
    with pytest.raises(ValueError, match="can only be `None` for `average='micro'`"):
        MulticlassAccuracy(num_classes=None, average="macro")
