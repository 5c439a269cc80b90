"""The classification metrics of issue 19 against torchmetrics 1.x, table-driven: operating points on the threshold
curves (recall at fixed precision, precision at fixed recall, sensitivity at specificity, specificity at
sensitivity), equal error rate and LogAUC, for each task, exact and binned, with ignore_index.

For each case: the functional form on all data, the stateful form's batch-by-batch ``forward`` values and final
``compute``, ``merge_state`` of metrics fed disjoint batches, and the ``task=`` wrappers; then argument errors."""
import numpy as np
import pytest
from _metric_oracle import assert_close, make_inputs, tt, with_ignore

import ember.metrics as em
import ember.metrics.functional as EF
import torchmetrics.classification as TC
import torchmetrics.functional.classification as TF

pytestmark = pytest.mark.filterwarnings("ignore")
TASKS = ("Binary", "Multiclass", "Multilabel")
SPLITS = (slice(0, 25), slice(25, 45), slice(45, 60))
THRESHOLDS = ({}, {"thresholds": 7}, {"thresholds": [0.1, 0.5, 0.9, 0.3]}, {"ignore_index": -1})
POINTS = {"RecallAtFixedPrecision": ("recall_at_fixed_precision", "min_precision"),
          "PrecisionAtFixedRecall": ("precision_at_fixed_recall", "min_recall"),
          "SensitivityAtSpecificity": ("sensitivity_at_specificity", "min_specificity"),
          "SpecificityAtSensitivity": ("specificity_at_sensitivity", "min_sensitivity")}
SNAKE = {**{k: v[0] for k, v in POINTS.items()}, "EER": "eer", "LogAUC": "logauc"}


@pytest.fixture(autouse=True)
def stable_logauc_reference(monkeypatch):
    """torchmetrics' LogAUC interpolates on ``torch.argsort(fpr)``, which is not stable: on a vertical run of the
    ROC (tied fpr) the point it picks depends on the sort. The reference here sorts stably, as ember does (the
    deliberate difference stated in `_curve_points`); everything else is torchmetrics' own code."""
    import importlib

    import torch
    logauc = importlib.import_module("torchmetrics.functional.classification.logauc")

    def stable_interp(x, xp, fp):  # torchmetrics.utilities.data.interp with a stable sort
        order = torch.argsort(xp, stable=True)
        xp, fp = xp[order], fp[order]
        slopes = (fp[1:] - fp[:-1]) / (xp[1:] - xp[:-1])
        i = torch.clamp(torch.searchsorted(xp, x) - 1, 0, len(slopes) - 1)
        return fp[i] + slopes[i] * (x - xp[i])
    monkeypatch.setattr(logauc, "interp", stable_interp)


def _task_args(task):
    return {"Multiclass": {"num_classes": 5}, "Multilabel": {"num_labels": 4}}.get(task, {})


def _cases():
    cases = []
    for task in TASKS:
        for name, (_, arg) in POINTS.items():
            for value in (0.3, 0.8, 0.999):
                for opt in THRESHOLDS:
                    cases.append((name, task, {arg: value, **opt}))
        for opt in THRESHOLDS:
            cases.append(("EER", task, dict(opt)))
            if task == "Multiclass":
                cases += [("EER", task, {"average": a, **opt}) for a in ("micro", "macro")]
            for fpr_range in ((0.001, 0.1), (0.05, 0.5)):
                if task == "Binary":
                    cases.append(("LogAUC", task, {"fpr_range": fpr_range, **opt}))
                else:
                    cases += [("LogAUC", task, {"fpr_range": fpr_range, "average": a, **opt})
                              for a in (None, "macro", "none")]
    return cases


CASES = _cases()


def _data(task, kwargs, kind, seed):
    preds, target = make_inputs(task.lower(), kind, seed=seed)
    if "ignore_index" in kwargs:
        target = with_ignore(target, kwargs["ignore_index"])
    return preds, target


def _functional_args(name, task, kwargs):
    """torchmetrics' per-task functions default LogAUC's average to 'macro', its classes to None."""
    args = dict(kwargs)
    if name == "LogAUC" and task != "Binary" and args.get("average") is None:
        args["average"] = "macro"
    return args


class _FunctionalReference:
    """torchmetrics' functional form on each batch (forward) and on all batches seen (compute)."""

    def __init__(self, fn, args):
        self.fn, self.args, self.seen = fn, args, []

    def __call__(self, preds, target):
        self.seen.append((preds, target))
        return self.fn(preds, target, **self.args)

    def compute(self):
        import torch
        return self.fn(torch.cat([p for p, _ in self.seen]), torch.cat([t for _, t in self.seen]), **self.args)


@pytest.mark.parametrize("kind", ["probs", "logits"])
@pytest.mark.parametrize("name,task,kwargs", CASES, ids=[f"{t}{n}-{o}" for n, t, o in CASES])
def test_matches_torchmetrics(name, task, kwargs, kind):
    preds, target = _data(task, kwargs, kind, seed=len(name) + len(str(kwargs)))
    args = {**_task_args(task), **kwargs}
    fn, cls = f"{task.lower()}_{SNAKE[name]}", task + name
    fargs = _functional_args(name, task, args)
    assert_close(getattr(EF, fn)(preds, target, **fargs), getattr(TF, fn)(tt(preds), tt(target), **fargs), fn)
    ours, ref = getattr(em, cls)(**args), getattr(TC, cls)(**args)
    if kwargs.get("average") == "micro" and "thresholds" in kwargs and task == "Multiclass":
        ref = _FunctionalReference(getattr(TF, fn), fargs)  # torchmetrics' stateful binned micro ROC is broken
    for s in SPLITS:
        assert_close(ours(preds[s], target[s]), ref(tt(preds[s]), tt(target[s])), f"{cls}.forward")
    assert_close(ours.compute(), ref.compute(), f"{cls}.compute")
    first, rest = getattr(em, cls)(**args), getattr(em, cls)(**args)
    first.update(preds[SPLITS[0]], target[SPLITS[0]])
    for s in SPLITS[1:]:
        rest.update(preds[s], target[s])
    rest.merge_state(first)
    assert_close(rest.compute(), ref.compute(), f"{cls}.merge_state")


@pytest.mark.parametrize("name", sorted(SNAKE))
def test_task_wrappers_match_torchmetrics(name):
    """``Metric(task=...)`` builds the task's class and ``fn(preds, target, task=...)`` dispatches, as torchmetrics."""
    extra = {POINTS[name][1]: 0.5} if name in POINTS else {}
    for task in TASKS:
        preds, target = make_inputs(task.lower(), "probs", n=120)
        args = {"task": task.lower(), **_task_args(task), **extra, "thresholds": 11}
        ours, ref = getattr(em, name)(**args), getattr(TC, name)(**args)
        assert type(ours).__name__ == type(ref).__name__
        assert_close(ours(preds, target), ref(tt(preds), tt(target)), f"{name}({task})")
        fn = SNAKE[name]
        assert_close(getattr(EF, fn)(preds, target, **args),
                     getattr(TF, fn)(tt(preds), tt(target), **args), fn)


def test_no_qualifying_point_gives_torchmetrics_fallbacks():
    """Nothing reaches the constraint: value 0 with threshold nan (PR points) or 1e6 (ROC points)."""
    preds = np.array([0.9, 0.8, 0.1, 0.2], np.float32)
    target = np.array([0, 0, 1, 1])
    for name, (snake, arg) in POINTS.items():
        fn = f"binary_{snake}"
        ours = getattr(EF, fn)(preds, target, **{arg: 1.0})
        ref = getattr(TF, fn)(tt(preds), tt(target), **{arg: 1.0})
        assert_close(ours, ref, fn)


def test_logauc_multiclass_exact_matches_a_stable_interpolation():
    """Exact multiclass ROC curves have vertical runs (tied fpr); LogAUC interpolates on the stably sorted curve
    (the run's last point), here checked against a float64 NumPy reference built on np.interp."""
    preds, target = make_inputs("multiclass", "probs", n=200)
    fpr, tpr, _ = EF.multiclass_roc(preds, target, num_classes=5)
    expected = []
    for f, t in zip(fpr, tpr):
        f, t = np.asarray(f, np.float64), np.asarray(t, np.float64)
        a, b = np.float32(0.001).astype(np.float64), np.float32(0.1).astype(np.float64)
        inside = (f > a) & (f < b)
        xs = np.concatenate([[a], f[inside], [b]])
        ys = np.concatenate([[np.interp(a, f, t)], t[inside], [np.interp(b, f, t)]])
        expected.append(np.trapezoid(ys, np.log10(xs)) / (np.log10(b) - np.log10(a)))
    ours = EF.multiclass_logauc(preds, target, num_classes=5, average="none")
    np.testing.assert_allclose(np.asarray(ours), expected, rtol=1e-5, atol=1e-7)


def test_argument_errors_match_torchmetrics():
    preds, target = make_inputs("binary", "probs")
    cases = [("binary_recall_at_fixed_precision", {"min_precision": 2}),
             ("binary_precision_at_fixed_recall", {"min_recall": -1}),
             ("binary_sensitivity_at_specificity", {"min_specificity": 3}),
             ("binary_specificity_at_sensitivity", {"min_sensitivity": 5}),
             ("binary_recall_at_fixed_precision", {"min_precision": 0.5, "thresholds": 1}),
             ("binary_eer", {"thresholds": [0.5, 2.0]}),
             ("binary_logauc", {"fpr_range": (0.2, 0.1)}),
             ("binary_logauc", {"fpr_range": (0.0, 1.5)})]
    for fn, kwargs in cases:
        with pytest.raises(ValueError) as ref:
            getattr(TF, fn)(tt(preds), tt(target), **kwargs)
        with pytest.raises(ValueError) as ours:
            getattr(EF, fn)(preds, target, **kwargs)
        expected = str(ref.value)
        if "precision_at_fixed_recall" in fn:  # torchmetrics names min_precision there; ember the argument passed
            expected = expected.replace("min_precision", "min_recall")
        assert str(ours.value) == expected, fn
    for name, kwargs in (("BinaryRecallAtFixedPrecision", {"min_precision": 2}),
                         ("MulticlassSpecificityAtSensitivity", {"num_classes": 1, "min_sensitivity": 0.5}),
                         ("MultilabelEER", {"num_labels": 3, "thresholds": 1}),
                         ("MulticlassLogAUC", {"num_classes": 3, "fpr_range": (0.5, 0.1)})):
        with pytest.raises(ValueError) as ref:
            getattr(TC, name)(**kwargs)
        with pytest.raises(ValueError) as ours:
            getattr(em, name)(**kwargs)
        assert str(ours.value) == str(ref.value), name
    with pytest.raises(ValueError, match="num_classes"):
        em.RecallAtFixedPrecision(task="multiclass", min_precision=0.5)


# ------------------------------------------------------------------------------ hinge loss and ranking metrics
OTHER = ([("BinaryHingeLoss", "binary_hinge_loss", {}, o) for o in ({}, {"squared": True}, {"ignore_index": -1})]
         + [("MulticlassHingeLoss", "multiclass_hinge_loss", {"num_classes": 5}, {"multiclass_mode": m, **o})
            for m in ("crammer-singer", "one-vs-all") for o in ({}, {"squared": True}, {"ignore_index": -1})]
         + [(cls, fn, {"num_labels": 4}, o) for cls, fn in (
             ("MultilabelCoverageError", "multilabel_coverage_error"),
             ("MultilabelRankingAveragePrecision", "multilabel_ranking_average_precision"),
             ("MultilabelRankingLoss", "multilabel_ranking_loss")) for o in ({}, {"ignore_index": -1})])


@pytest.mark.parametrize("multidim", [False, True])
@pytest.mark.parametrize("kind", ["probs", "logits"])
@pytest.mark.parametrize("cls,fn,task_args,kwargs", OTHER, ids=[f"{c}-{o}" for c, _, _, o in OTHER])
def test_hinge_and_ranking_match_torchmetrics(cls, fn, task_args, kwargs, kind, multidim):
    task = "binary" if cls.startswith("Binary") else "multiclass" if cls.startswith("Multiclass") else "multilabel"
    preds, target = make_inputs(task, kind, multidim=multidim, seed=len(cls) + len(kwargs))
    if "ignore_index" in kwargs:
        target = with_ignore(target, kwargs["ignore_index"])
    args = {**task_args, **kwargs}
    for validate in (True, False):
        assert_close(getattr(EF, fn)(preds, target, **args, validate_args=validate),
                     getattr(TF, fn)(tt(preds), tt(target), **args, validate_args=validate), fn)
    ours, ref = getattr(em, cls)(**args), getattr(TC, cls)(**args)
    for s in SPLITS:
        assert_close(ours(preds[s], target[s]), ref(tt(preds[s]), tt(target[s])), f"{cls}.forward")
    assert_close(ours.compute(), ref.compute(), f"{cls}.compute")
    assert set(ours.metric_state) == set(ref.metric_state)
    first, rest = getattr(em, cls)(**args), getattr(em, cls)(**args)
    first.update(preds[SPLITS[0]], target[SPLITS[0]])
    for s in SPLITS[1:]:
        rest.update(preds[s], target[s])
    rest.merge_state(first)
    assert_close(rest.compute(), ref.compute(), f"{cls}.merge_state")


def test_ranking_metrics_match_sklearn():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    preds, target = make_inputs("multilabel", "probs", n=300)
    target[:5] = 0  # samples without relevant labels, and with only relevant ones
    target[5:10] = 1
    preds[10:20] = np.round(preds[10:20], 1)  # ties
    for ours, ref in ((EF.multilabel_coverage_error, sklearn_metrics.coverage_error),
                      (EF.multilabel_ranking_average_precision, sklearn_metrics.label_ranking_average_precision_score)):
        np.testing.assert_allclose(float(ours(preds, target, num_labels=4)), ref(target, preds), rtol=1e-5)
    keep = slice(20, None)  # sklearn's ranking loss counts tied pairs as half-wrong; without ties they agree
    np.testing.assert_allclose(float(EF.multilabel_ranking_loss(preds[keep], target[keep], num_labels=4)),
                               sklearn_metrics.label_ranking_loss(target[keep], preds[keep]), rtol=1e-5)


def test_ranking_loss_without_mixed_samples_is_zero():
    preds, target = make_inputs("multilabel", "probs")
    target[:] = 1
    assert float(EF.multilabel_ranking_loss(preds, target, num_labels=4)) == 0.0
    assert_close(EF.multilabel_ranking_loss(preds, target, num_labels=4),
                 TF.multilabel_ranking_loss(tt(preds), tt(target), num_labels=4))


def test_hinge_task_wrapper_and_errors_match_torchmetrics():
    for task, args in (("binary", {}), ("multiclass", {"num_classes": 5, "multiclass_mode": "one-vs-all"})):
        preds, target = make_inputs(task, "logits")
        ours, ref = em.HingeLoss(task=task, **args), TC.HingeLoss(task=task, **args)
        assert type(ours).__name__ == type(ref).__name__
        assert_close(ours(preds, target), ref(tt(preds), tt(target)))
        assert_close(EF.hinge_loss(preds, target, task=task, **args),
                     TF.hinge_loss(tt(preds), tt(target), task=task, **args))
    with pytest.raises(ValueError, match="task"):
        em.HingeLoss(task="multilabel", num_labels=3)
    for build in (lambda m: m.BinaryHingeLoss(squared=1), lambda m: m.MulticlassHingeLoss(5, multiclass_mode="x"),
                  lambda m: m.MulticlassHingeLoss(1), lambda m: m.BinaryHingeLoss(ignore_index=0.5),
                  lambda m: m.MultilabelRankingLoss(1), lambda m: m.MultilabelCoverageError(3, ignore_index="a")):
        with pytest.raises(ValueError) as ref:
            build(TC)
        with pytest.raises(ValueError) as ours:
            build(em)
        assert str(ours.value) == str(ref.value)
    labels, target = make_inputs("binary", "labels")
    for fn, args in (("binary_hinge_loss", {}), ("multilabel_ranking_loss", {"num_labels": 4})):
        p, t = (labels, target) if fn.startswith("binary") else make_inputs("multilabel", "labels")
        with pytest.raises(ValueError) as ref:
            getattr(TF, fn)(tt(p), tt(t), **args, validate_args=True)
        with pytest.raises(ValueError) as ours:
            getattr(EF, fn)(p, t, **args, validate_args=True)
        assert str(ours.value) == str(ref.value).replace("torch.", "")  # NumPy's dtype names


# ---------------------------------------------------------------------------------------------- group fairness
def _fair_data(seed=0, n=60, num_groups=3, multidim=False):
    preds, target = make_inputs("binary", "probs", multidim=multidim, seed=seed, n=n)
    groups = np.random.default_rng(seed).integers(0, num_groups, n)
    groups[:num_groups] = np.arange(num_groups)
    return preds, target, groups


@pytest.mark.parametrize("options", [{}, {"threshold": 0.3}, {"ignore_index": -1}])
@pytest.mark.parametrize("name", ["BinaryGroupStatRates", "BinaryFairness-all", "BinaryFairness-demographic_parity",
                                  "BinaryFairness-equal_opportunity"])
def test_fairness_matches_torchmetrics(name, options):
    cls, _, task = name.partition("-")
    preds, target, groups = _fair_data(seed=len(name))
    if "ignore_index" in options:
        target = with_ignore(target, -1)
    args = {"num_groups": 3, **({"task": task} if task else {}), **options}
    splits = (slice(0, 25), slice(25, 60))  # every group occurs in every batch (see _fairness: slots by group id)
    for s in splits[1:]:
        groups[s][:3] = np.arange(3)
    ours, ref = getattr(em, cls)(**args), getattr(TC, cls)(**args)
    for s in splits:
        assert_close(ours(preds[s], target[s], groups[s]), ref(tt(preds[s]), tt(target[s]), tt(groups[s])),
                     f"{cls}.forward")
    assert_close(ours.compute(), ref.compute(), f"{cls}.compute")
    fn_args = {k: v for k, v in args.items() if k != "num_groups"}
    if cls == "BinaryGroupStatRates":
        assert_close(EF.binary_groups_stat_rates(preds, target, groups, **args),
                     TF.binary_groups_stat_rates(tt(preds), tt(target), tt(groups), **args))
    else:
        assert_close(EF.binary_fairness(preds, target, groups, **fn_args),
                     TF.binary_fairness(tt(preds), tt(target), tt(groups), **fn_args))
    assert_close(EF.demographic_parity(preds, groups, **options),
                 TF.demographic_parity(tt(preds), tt(groups), **options))
    assert_close(EF.equal_opportunity(preds, target, groups, **options),
                 TF.equal_opportunity(tt(preds), tt(target), tt(groups), **options))


def test_fairness_counts_follow_group_ids_and_errors():
    preds, target, groups = _fair_data()
    metric = em.BinaryGroupStatRates(num_groups=3)
    metric.update(preds[groups != 0], target[groups != 0], groups[groups != 0])  # a batch without group 0
    assert metric.tp[0] == metric.fp[0] == metric.tn[0] == metric.fn[0] == 0
    metric.update(preds[groups == 0], target[groups == 0], groups[groups == 0])
    assert_close(metric.compute(), TC.BinaryGroupStatRates(num_groups=3)(tt(preds), tt(target), tt(groups)))
    with pytest.raises(ValueError, match="larger than the specified number of groups 3"):
        em.BinaryGroupStatRates(num_groups=3).update(preds, target, groups + 1)
    for bad in (groups.astype(np.int32),):
        with pytest.raises(ValueError) as ours:
            EF.binary_groups_stat_rates(preds, target, bad, 3)
        with pytest.raises(ValueError) as ref:
            TF.binary_groups_stat_rates(tt(preds), tt(target), tt(bad), 3)
        assert str(ours.value) == str(ref.value).replace("torch.", "")
    for build in (lambda m: m.BinaryFairness(3, task="x"), lambda m: m.BinaryGroupStatRates(3, threshold=2.0),
                  lambda m: m.BinaryFairness(3, ignore_index="a")):
        with pytest.raises(ValueError) as ref:
            build(TC)
        with pytest.raises(ValueError) as ours:
            build(em)
        assert str(ours.value) == str(ref.value)


# --------------------------------------------------------------------------------------------- num_classes=None
NONE_OK = ("Accuracy", "Precision", "Recall", "F1Score", "FBetaScore", "HammingDistance")


@pytest.mark.parametrize("ignore_index", [None, -1, 1])
@pytest.mark.parametrize("kind", ["probs", "labels"])
@pytest.mark.parametrize("name", NONE_OK)
def test_num_classes_none_with_micro_matches_torchmetrics(name, kind, ignore_index):
    rng = np.random.default_rng(len(name))
    kwargs = {"num_classes": None, "average": "micro", "ignore_index": ignore_index,
              **({"beta": 2.0} if name == "FBetaScore" else {})}
    ours, ref = getattr(em, "Multiclass" + name)(**kwargs), getattr(TC, "Multiclass" + name)(**kwargs)
    for _ in range(3):
        target = rng.integers(0, 4, 12)
        if ignore_index is not None:
            target = np.where(rng.random(12) < 0.2, ignore_index, target)
        preds = rng.random((12, 4)).astype(np.float32) if kind == "probs" else rng.integers(0, 4, 12)
        batch = ref(tt(preds), tt(target))
        assert_close(ours(preds, target), batch, name)
        fn = "multiclass_" + _snake_stat(name)  # torchmetrics' functional form fails on None (None * int)
        assert_close(getattr(EF, fn)(preds, target, **kwargs), batch, fn)
    assert_close(ours.compute(), ref.compute(), name)


def _snake_stat(name):
    return {"F1Score": "f1_score", "FBetaScore": "fbeta_score", "HammingDistance": "hamming_distance"}.get(
        name, name.lower())


def test_num_classes_none_refusals():
    """As torchmetrics: only average='micro'. Deliberately also refused: metrics built on tn (torchmetrics then
    returns negative tn) and samplewise averaging (torchmetrics fails inside one_hot)."""
    with pytest.raises(ValueError) as ref:
        TC.MulticlassPrecision(num_classes=None, average="macro")
    with pytest.raises(ValueError) as ours:
        em.MulticlassPrecision(num_classes=None, average="macro")
    assert str(ours.value) == str(ref.value)
    for name in ("Specificity", "NegativePredictiveValue", "StatScores"):
        with pytest.raises(ValueError, match="num_classes"):
            getattr(em, "Multiclass" + name)(num_classes=None, average="micro")
    with pytest.raises(ValueError, match="samplewise"):
        em.MulticlassAccuracy(num_classes=None, average="micro", multidim_average="samplewise")
