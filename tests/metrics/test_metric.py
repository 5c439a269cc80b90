"""The Metric base contract, MetricCollection, wrappers, the legacy task-less call and bad-input errors, against
torchmetrics."""
import numpy as np
import pytest
from _metric_oracle import assert_close, make_inputs, torch, tt

import ember
import ember.metrics as em
import ember.metrics.functional as EF
import torchmetrics
import torchmetrics.classification as TC
import torchmetrics.functional.classification as TF

pytestmark = pytest.mark.filterwarnings("ignore")


# ------------------------------------------------------------------------------------------- a custom metric
def _custom(lib):
    """The same user-written metric for ember (NumPy states) and torchmetrics (torch states)."""
    xp = np if lib is em else torch

    class Stats(lib.Metric):
        full_state_update = False

        def __init__(self):
            super().__init__()
            zero = np.zeros(()) if lib is em else torch.tensor(0.0)
            self.add_state("total", zero, dist_reduce_fx="sum")
            self.add_state("avg", zero + 0, dist_reduce_fx="mean")
            self.add_state("hi", zero - np.inf, dist_reduce_fx="max")
            self.add_state("lo", zero + np.inf, dist_reduce_fx="min")
            self.add_state("vals", [], dist_reduce_fx="cat")
            self.add_state("spread", zero + 0, dist_reduce_fx=lambda s: s.sum(0) * 1.0)

        def update(self, x):
            if (x < -100).any():
                self.total = self.total + 1.0  # mutate first, then fail: the base must restore the states
                raise ValueError("value below -100")
            self.total = self.total + x.sum()
            self.avg = x.mean()
            self.hi = xp.maximum(self.hi, x.max())
            self.lo = xp.minimum(self.lo, x.min())
            self.vals.append(x)
            self.spread = self.spread + (x.max() - x.min())

        def compute(self):
            vals = xp.concatenate(self.vals) if lib is em else torch.cat(self.vals)
            return [self.total, self.avg, self.hi, self.lo, vals.sum(), self.spread]

    return Stats


def test_custom_metric_states_reduce_like_torchmetrics():
    rng = np.random.default_rng(0)
    batches = [rng.standard_normal(n).astype(np.float32) for n in (4, 7, 2)]
    ours, ref = _custom(em)(), _custom(torchmetrics)()
    for b in batches:
        assert_close(ours(b), ref(tt(b)), "forward")
    assert_close(ours.compute(), ref.compute(), "compute")
    assert ours.update_count == ref.update_count == 3
    before = [np.asarray(v) for v in ours.compute()]
    with pytest.raises(ValueError, match="below"):
        ours.update(np.array([-1000.0], np.float32))
    assert ours.update_count == 3
    assert_close(ours.compute(), [torch.as_tensor(v) for v in before], "state untouched after a failing update")


def test_failing_builtin_update_keeps_state():
    preds, target = make_inputs("multiclass", "probs")
    metric = em.MulticlassAccuracy(num_classes=5)
    metric.update(preds, target)
    value = float(metric.compute())
    bad = target.copy()
    bad[3] = 7
    for args in ((preds, bad), (preds[:10], target[:9]), (np.full_like(preds, np.nan), target)):
        with pytest.raises((RuntimeError, ValueError)):
            metric.update(*args)
        with pytest.raises((RuntimeError, ValueError)):
            metric(*args)
    assert float(metric.compute()) == value and metric.update_count == 1


def test_reset_clone_state_dict_and_warning():
    preds, target = make_inputs("multiclass", "probs")
    metric = em.MulticlassConfusionMatrix(num_classes=5)
    with pytest.warns(UserWarning, match="before the ``update``"):
        metric.compute()
    metric.update(preds, target)
    twin = metric.clone()
    twin.update(preds, target)
    assert int(np.asarray(twin.compute()).sum()) == 2 * int(np.asarray(metric.compute()).sum()) == 120
    assert metric.state_dict() == {}
    metric.persistent(True)
    state = metric.state_dict(prefix="cm.")
    assert list(state) == ["cm.confmat"] and isinstance(state["cm.confmat"], ember.Tensor)
    fresh = em.MulticlassConfusionMatrix(num_classes=5)
    fresh.load_state_dict({"confmat": state["cm.confmat"]})
    assert_close(fresh.compute(), TF.multiclass_confusion_matrix(tt(preds), tt(target), 5))
    metric.reset()
    assert metric.update_count == 0 and np.asarray(metric.confmat).sum() == 0
    with pytest.raises(ValueError, match="Unexpected keyword arguments"):
        em.MeanMetric(foo=1)
    with pytest.raises(ValueError, match="dist_reduce_fx"):
        em.Metric().add_state("x", np.zeros(()), dist_reduce_fx="median")


def test_sync_hook_reduces_states_across_processes():
    """Rank 0 gathers every state from two 'processes' through dist_sync_fn (an all-gather), computes the metric
    over all data with each state's dist_reduce_fx, and gets its local states back afterwards."""
    from ember.metrics.utilities import dim_zero_cat

    preds, target = make_inputs("multiclass", "probs")
    for cls, ref in ((em.MulticlassF1Score, TF.multiclass_f1_score), (em.MulticlassAUROC, TF.multiclass_auroc),
                     (em.MulticlassExactMatch, None)):
        if ref is None:
            continue
        ranks = [cls(num_classes=5), cls(num_classes=5)]
        ranks[0].update(preds[:30], target[:30])
        ranks[1].update(preds[30:], target[30:])
        other = [dim_zero_cat(v) if isinstance(v, list) else np.asarray(v) for v in ranks[1].metric_state.values()]
        calls = iter(range(len(other)))
        ranks[0].dist_sync_fn = lambda arr: [arr, other[next(calls)]]
        local = {k: (list(v) if isinstance(v, list) else v.copy()) for k, v in ranks[0].metric_state.items()}
        assert_close(ranks[0].compute(), ref(tt(preds), tt(target), 5), f"{cls.__name__} synced")
        for k, v in ranks[0].metric_state.items():  # unsynced: the local states are back
            assert np.array_equal(dim_zero_cat(v), dim_zero_cat(local[k]))


def test_plot_returns_figure_and_axes():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    preds, target = make_inputs("multiclass", "probs")
    metric = em.MulticlassAccuracy(num_classes=5, average=None)
    metric.update(preds, target)
    fig, ax = metric.plot()
    assert fig is not None and len(ax.patches) == 5
    fig2, ax2 = em.MeanMetric().plot([ember.tensor(0.5), ember.tensor(0.7)])
    assert len(ax2.lines) == 1


# ------------------------------------------------------------------------------------------------ collections
def _collection(lib_cls, **kw):
    return {"acc": lib_cls.MulticlassAccuracy(num_classes=5), "prec": lib_cls.MulticlassPrecision(num_classes=5),
            "rec": lib_cls.MulticlassRecall(num_classes=5, average="micro"),
            "f1": lib_cls.MulticlassF1Score(num_classes=5, average="weighted"),
            "f1_ignore": lib_cls.MulticlassF1Score(num_classes=5, ignore_index=0),
            "auroc": lib_cls.MulticlassAUROC(num_classes=5), "cm": lib_cls.MulticlassConfusionMatrix(num_classes=5)}


def test_metric_collection_matches_torchmetrics_and_groups_strictly():
    preds, target = make_inputs("multiclass", "logits")
    ours = em.MetricCollection(_collection(em), prefix="val_", postfix="_1")
    ref = torchmetrics.MetricCollection(_collection(TC), prefix="val_", postfix="_1")
    for s in (slice(0, 20), slice(20, 60)):
        assert_close(ours(preds[s], target[s]), ref(tt(preds[s]), tt(target[s])), "forward")
    for s in (slice(0, 30), slice(30, 60)):
        ours.update(preds[s], target[s])
        ref.update(tt(preds[s]), tt(target[s]))
    assert_close(ours.compute(), ref.compute(), "compute")
    groups = sorted(sorted(g) for g in ours.compute_groups.values())
    assert ["acc", "f1", "prec", "rec"] in groups  # same update class and arguments: one shared update
    assert ["f1_ignore"] in groups and ["auroc"] in groups and ["cm"] in groups
    assert ours.keys()[0] == "val_acc_1" and ours["acc"] is ours["val_acc_1"]
    with pytest.raises(ValueError, match="cannot share a compute group"):
        em.MetricCollection(_collection(em), compute_groups=[["acc", "f1_ignore"]])
    no_groups = em.MetricCollection([em.MulticlassAccuracy(num_classes=5), em.MulticlassRecall(num_classes=5)],
                                    compute_groups=False)
    no_groups.update(preds, target)
    assert set(no_groups.compute()) == {"MulticlassAccuracy", "MulticlassRecall"}
    with pytest.raises(ValueError, match="two metrics both named"):
        em.MetricCollection([em.MeanMetric(), em.MeanMetric()])
    clone = ours.clone(prefix="test_")
    assert all(k.startswith("test_") for k in clone.keys())


def test_classwise_wrapper_and_tracker_match_torchmetrics():
    preds, target = make_inputs("multiclass", "probs")
    for kwargs in ({}, {"labels": list("abcde")}, {"prefix": "acc_"}):
        ours = em.ClasswiseWrapper(em.MulticlassAccuracy(num_classes=5, average=None), **kwargs)
        ref = torchmetrics.ClasswiseWrapper(TC.MulticlassAccuracy(num_classes=5, average=None), **kwargs)
        assert_close(ours(preds[:30], target[:30]), ref(tt(preds[:30]), tt(target[:30])))
        ours.update(preds[30:], target[30:])
        ref.update(tt(preds[30:]), tt(target[30:]))
        assert_close(ours.compute(), ref.compute())
    ours, ref = em.MetricTracker(em.MulticlassAccuracy(num_classes=5)), torchmetrics.MetricTracker(
        TC.MulticlassAccuracy(num_classes=5))
    for step in range(3):
        ours.increment()
        ref.increment()
        s = slice(step * 20, step * 20 + 20)
        ours.update(preds[s], target[s])
        ref.update(tt(preds[s]), tt(target[s]))
    assert ours.n_steps == ref.n_steps == 3
    assert_close(ours.compute_all(), ref.compute_all())
    value, step = ours.best_metric(return_step=True)
    ref_value, ref_step = ref.best_metric(return_step=True)
    assert step == ref_step and np.isclose(value, ref_value)
    with pytest.raises(ValueError, match="increment"):
        em.MetricTracker(em.MeanSquaredError()).update(np.zeros(2), np.zeros(2))


# ------------------------------------------------------------------------------------------- legacy call
def test_legacy_seed_code_runs_with_ember_as_torch():
    import ember as torch_  # the seed code, verbatim apart from the module names
    import ember.metrics as torchmetrics_

    preds = torch_.randn(10, 5).softmax(dim=1)
    target = torch_.randint(5, (10,))
    acc = torchmetrics_.functional.accuracy(preds, target)
    expected = TF.multiclass_accuracy(tt(preds.numpy()), tt(target.numpy()), 5, average="micro")
    assert isinstance(acc, ember.Tensor)
    assert_close(acc, expected)
    metric = torchmetrics_.Accuracy()
    for i in range(10):
        acc = metric(preds[i:i + 1], target[i:i + 1])
        assert_close(acc, TF.multiclass_accuracy(tt(preds.numpy()[i:i + 1]), tt(target.numpy()[i:i + 1]), 5,
                                                 average="micro"))
    assert_close(metric.compute(), expected)


LEGACY = [  # (task the inputs imply, kwargs of the explicit torchmetrics call, input builder)
    ("multiclass", {"num_classes": 5}, lambda: make_inputs("multiclass", "probs")),
    ("binary", {}, lambda: make_inputs("binary", "probs")),
    ("multilabel", {"num_labels": 4}, lambda: make_inputs("multilabel", "logits")),
    ("multiclass", {"num_classes": 5}, lambda: make_inputs("multiclass", "labels")),
    ("binary", {}, lambda: make_inputs("binary", "labels")),
]


@pytest.mark.parametrize("task,kwargs,build", LEGACY, ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(LEGACY)])
def test_legacy_call_infers_the_task(task, kwargs, build):
    preds, target = build()
    ref = getattr(TF, f"{task}_accuracy")(tt(preds), tt(target), **kwargs, **(
        {"average": "micro"} if task != "binary" else {}))
    assert_close(EF.accuracy(preds, target), ref)
    metric = em.Accuracy()
    metric.update(preds[:30], target[:30])
    metric.update(preds[30:], target[30:])
    assert_close(metric.compute(), ref)
    assert metric.task == task
    if task != "binary" or preds.dtype.kind == "f":
        ref_auc = None if preds.dtype.kind != "f" else getattr(TF, f"{task}_auroc")(tt(preds), tt(target), **kwargs)
        if ref_auc is not None:
            assert_close(EF.auroc(preds, target), ref_auc)


def test_legacy_ambiguous_inputs_say_which_task_to_pass():
    preds, target = make_inputs("binary", "labels")
    with pytest.raises(ValueError, match="task='binary'"):
        EF.precision(preds, target)
    with pytest.raises(ValueError, match="task="):
        EF.accuracy(np.zeros((4, 3, 2), np.float32), np.zeros(4, np.int64))
    with pytest.raises(ValueError, match="task="):
        EF.f1_score(np.random.default_rng(0).random(6).astype(np.float32), np.array([0, 1, 2, 3, 1, 0]))
    metric = em.Accuracy()
    metric.update(np.array([0, 1, 2]), np.array([0, 2, 2]))
    with pytest.raises(RuntimeError, match="num_classes"):
        metric.update(np.array([0, 1, 7]), np.array([0, 5, 2]))
    assert_close(metric.compute(), torch.tensor(2 / 3))


# --------------------------------------------------------------------------------------------- bad input
def _errors():
    p, t = make_inputs("multiclass", "probs")
    pb, tb = make_inputs("binary", "probs")
    t_big = t.copy()
    t_big[0] = 9
    tb_bad = tb.copy()
    tb_bad[0] = 2
    return [
        ("binary shape mismatch", "binary_accuracy", (pb[:10], tb[:9]), {}),
        ("multiclass target >= num_classes", "multiclass_accuracy", (p, t_big), {"num_classes": 5}),
        ("multiclass cm target >= num_classes", "multiclass_confusion_matrix", (p, t_big), {"num_classes": 5}),
        ("binary target not 0/1", "binary_f1_score", (pb, tb_bad), {}),
        ("curve float target", "binary_auroc", (pb, tb.astype(np.float32)), {}),
        ("curve int preds", "binary_average_precision", (tb, tb), {}),
        ("multiclass wrong average", "multiclass_precision", (p, t), {"num_classes": 5, "average": "mean"}),
        ("multiclass wrong num_classes", "multiclass_recall", (p, t), {"num_classes": 4}),
        ("num_classes < 2", "multiclass_accuracy", (p, t), {"num_classes": 1}),
        ("threshold out of range", "binary_accuracy", (pb, tb), {"threshold": 2.0}),
        ("top_k > num_classes", "multiclass_accuracy", (p, t), {"num_classes": 5, "top_k": 6}),
        ("multiclass curve wrong average", "multiclass_auroc", (p, t), {"num_classes": 5, "average": "micro"}),
        ("bad thresholds", "binary_roc", (pb, tb), {"thresholds": 1}),
        ("bad normalize", "binary_confusion_matrix", (pb, tb), {"normalize": "rows"}),
        ("multilabel num_labels", "multilabel_accuracy", make_inputs("multilabel", "probs"), {"num_labels": 3}),
    ]


@pytest.mark.parametrize("what,fn,args,kwargs", _errors(), ids=[e[0] for e in _errors()])
def test_bad_input_raises_torchmetrics_error_type(what, fn, args, kwargs):
    with pytest.raises(Exception) as theirs:
        getattr(TF, fn)(*(tt(a) for a in args), **kwargs)
    with pytest.raises(type(theirs.value)) as ours:
        getattr(EF, fn)(*args, **kwargs)
    assert len(str(ours.value)) > 20


def test_errors_beyond_torchmetrics():
    """Cases torchmetrics lets through silently: NaN predictions and fractional class targets."""
    p, t = make_inputs("multiclass", "probs")
    with pytest.raises(RuntimeError, match="NaN"):
        EF.multiclass_accuracy(np.full_like(p, np.nan), t, num_classes=5)
    with pytest.raises(RuntimeError, match="NaN"):
        em.BinaryAUROC().update(np.array([0.1, np.nan], np.float32), np.array([0, 1]))
    with pytest.raises(RuntimeError, match="integer"):
        EF.multiclass_accuracy(p, t + 0.5, num_classes=5)
    with pytest.raises(ValueError, match="Invalid Classification"):
        EF.accuracy(p, t, task="multi")
    with pytest.raises(ValueError, match="num_classes"):
        em.Accuracy(task="multiclass")


def test_legacy_keyword_arguments_of_torchmetrics_0x():
    """0.x calls: explicit num_classes is kept, top_k=None means 1, multiclass=True/False settles 0/1 labels."""
    preds, target = make_inputs("multiclass", "probs")
    assert_close(EF.accuracy(preds, target, num_classes=5, average="macro", top_k=None, mdmc_average="global"),
                 TF.multiclass_accuracy(tt(preds), tt(target), 5, average="macro"))
    metric = em.Accuracy(num_classes=7, average="macro")
    labels, truth = np.array([0, 1, 2, 1]), np.array([0, 1, 6, 2])
    metric.update(labels, truth)
    assert metric.metric.num_classes == 7
    assert_close(metric.compute(), TF.multiclass_accuracy(tt(labels), tt(truth), 7, average="macro"))
    zero_one, truth01 = np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])
    assert_close(EF.accuracy(zero_one, truth01, multiclass=True),
                 TF.multiclass_accuracy(tt(zero_one), tt(truth01), 2, average="micro"))
    with pytest.raises(ValueError, match="exact match"):
        EF.accuracy(preds, target, subset_accuracy=True)
    with pytest.raises(ValueError, match="mdmc_average"):
        EF.accuracy(preds, target, mdmc_average="samplewise")
