"""Regression and aggregation metrics against torchmetrics (and scikit-learn), table-driven: functional value,
batch-by-batch forward values, final compute and merge_state."""
import numpy as np
import pytest
from _metric_oracle import assert_close, torch, tt

import ember.metrics as em
import ember.metrics.functional as EF
import torchmetrics
import torchmetrics.functional as TF

pytestmark = pytest.mark.filterwarnings("ignore")
SPLITS = (slice(0, 25), slice(25, 45), slice(45, 60))


def _data(kind, seed=0, n=60, d=3):
    rng = np.random.default_rng(seed)
    shape = (n,) if kind == "1d" else (n, d)
    target = rng.standard_normal(shape).astype(np.float32)
    preds = (target + 0.5 * rng.standard_normal(shape)).astype(np.float32)
    if kind == "pos":  # for log errors and KL: positive values
        preds, target = np.abs(preds) + 0.1, np.abs(target) + 0.1
    return preds, target


# (class, functional, constructor kwargs, functional kwargs, data kind)
CASES = [
    ("MeanSquaredError", "mean_squared_error", {}, {}, "1d"),
    ("MeanSquaredError", "mean_squared_error", {"squared": False}, {"squared": False}, "1d"),
    ("MeanSquaredError", "mean_squared_error", {"num_outputs": 3}, {"num_outputs": 3}, "2d"),
    ("MeanAbsoluteError", "mean_absolute_error", {}, {}, "1d"),
    ("MeanAbsoluteError", "mean_absolute_error", {"num_outputs": 3}, {"num_outputs": 3}, "2d"),
    ("MeanAbsolutePercentageError", "mean_absolute_percentage_error", {}, {}, "1d"),
    ("SymmetricMeanAbsolutePercentageError", "symmetric_mean_absolute_percentage_error", {}, {}, "2d"),
    ("MeanSquaredLogError", "mean_squared_log_error", {}, {}, "pos"),
    ("R2Score", "r2_score", {}, {}, "1d"),
    ("R2Score", "r2_score", {"adjusted": 2}, {"adjusted": 2}, "1d"),
    ("R2Score", "r2_score", {"multioutput": "raw_values"}, {"multioutput": "raw_values"}, "2d"),
    ("R2Score", "r2_score", {"multioutput": "variance_weighted"}, {"multioutput": "variance_weighted"}, "2d"),
    ("ExplainedVariance", "explained_variance", {}, {}, "1d"),
    ("ExplainedVariance", "explained_variance", {"multioutput": "raw_values"}, {"multioutput": "raw_values"}, "2d"),
    ("ExplainedVariance", "explained_variance", {"multioutput": "variance_weighted"},
     {"multioutput": "variance_weighted"}, "2d"),
    ("PearsonCorrCoef", "pearson_corrcoef", {}, {}, "1d"),
    ("PearsonCorrCoef", "pearson_corrcoef", {"num_outputs": 3}, {}, "2d"),
    ("SpearmanCorrCoef", "spearman_corrcoef", {}, {}, "1d"),
    ("SpearmanCorrCoef", "spearman_corrcoef", {"num_outputs": 3}, {}, "2d"),
    ("CosineSimilarity", "cosine_similarity", {}, {}, "2d"),
    ("CosineSimilarity", "cosine_similarity", {"reduction": "mean"}, {"reduction": "mean"}, "2d"),
    ("CosineSimilarity", "cosine_similarity", {"reduction": "none"}, {"reduction": "none"}, "2d"),
    ("KLDivergence", "kl_divergence", {}, {}, "pos"),
    ("KLDivergence", "kl_divergence", {"reduction": "sum"}, {"reduction": "sum"}, "pos"),
    ("KLDivergence", "kl_divergence", {"reduction": "none"}, {"reduction": "none"}, "pos"),
    ("KLDivergence", "kl_divergence", {"log_prob": True}, {"log_prob": True}, "logp"),
    ("LogCoshError", "log_cosh_error", {}, {}, "1d"),
    ("LogCoshError", "log_cosh_error", {"num_outputs": 3}, {}, "2d"),
]


@pytest.mark.parametrize("cls,fn,ckw,fkw,kind", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_regression_matches_torchmetrics(cls, fn, ckw, fkw, kind):
    if kind == "logp":
        p, q = _data("pos", d=4)
        p, q = np.log(p / p.sum(1, keepdims=True)), np.log(q / q.sum(1, keepdims=True))
        preds, target = p.astype(np.float32), q.astype(np.float32)
    else:
        preds, target = _data(kind)
    assert_close(getattr(EF, fn)(preds, target, **fkw), getattr(TF, fn)(tt(preds), tt(target), **fkw), fn)
    ours, ref = getattr(em, cls)(**ckw), getattr(torchmetrics, cls)(**ckw)
    for s in SPLITS:
        assert_close(ours(preds[s], target[s]), ref(tt(preds[s]), tt(target[s])), f"{cls}.forward")
    assert_close(ours.compute(), ref.compute(), f"{cls}.compute")
    first, rest = getattr(em, cls)(**ckw), getattr(em, cls)(**ckw)
    first.update(preds[SPLITS[0]], target[SPLITS[0]])
    for s in SPLITS[1:]:
        rest.update(preds[s], target[s])
    rest.merge_state(first)
    assert_close(rest.compute(), ref.compute(), f"{cls}.merge_state")


def test_regression_matches_sklearn():
    sk = pytest.importorskip("sklearn.metrics")
    preds, target = _data("2d")
    pairs = [(EF.r2_score(preds, target), sk.r2_score(target, preds)),
             (EF.r2_score(preds, target, multioutput="raw_values"), sk.r2_score(target, preds, multioutput="raw_values")),
             (EF.explained_variance(preds, target), sk.explained_variance_score(target, preds)),
             (EF.mean_squared_error(preds, target), sk.mean_squared_error(target, preds)),
             (EF.mean_absolute_error(preds, target), sk.mean_absolute_error(target, preds)),
             (EF.mean_absolute_percentage_error(preds, target), sk.mean_absolute_percentage_error(target, preds))]
    for ours, ref in pairs:
        np.testing.assert_allclose(np.asarray(ours), ref, rtol=1e-4, atol=1e-6)


def test_regression_errors_match_torchmetrics():
    a, b = np.zeros(4, np.float32), np.zeros(5, np.float32)
    for ours, ref in ((lambda: EF.mean_squared_error(a, b), lambda: TF.mean_squared_error(tt(a), tt(b))),
                      (lambda: em.R2Score(multioutput="bad"), lambda: torchmetrics.R2Score(multioutput="bad")),
                      (lambda: EF.r2_score(a[:1], a[:1]), lambda: TF.r2_score(tt(a[:1]), tt(a[:1]))),
                      (lambda: EF.cosine_similarity(a, a), lambda: TF.cosine_similarity(tt(a), tt(a))),
                      (lambda: em.MeanSquaredError(num_outputs=0), lambda: torchmetrics.MeanSquaredError(num_outputs=0)),
                      (lambda: EF.spearman_corrcoef(a.astype(int), a.astype(int)),
                       lambda: TF.spearman_corrcoef(tt(a.astype(int)), tt(a.astype(int))))):
        with pytest.raises(Exception) as theirs:
            ref()
        with pytest.raises(type(theirs.value)):
            ours()


AGG = [("SumMetric", {}), ("MeanMetric", {}), ("MaxMetric", {}), ("MinMetric", {}), ("CatMetric", {}),
       ("MeanMetric", {"nan_strategy": "ignore"}), ("SumMetric", {"nan_strategy": 0.5}),
       ("RunningMean", {"window": 2}), ("RunningSum", {"window": 3})]


@pytest.mark.parametrize("cls,kwargs", AGG, ids=[f"{a}-{b}" for a, b in AGG])
def test_aggregation_matches_torchmetrics(cls, kwargs):
    rng = np.random.default_rng(0)
    batches = [rng.standard_normal(n).astype(np.float32) for n in (5, 1, 7, 3)]
    if "nan_strategy" in kwargs:
        batches[1][0] = np.nan
    ours, ref = getattr(em, cls)(**kwargs), getattr(torchmetrics, cls)(**kwargs)
    for b in batches:
        assert_close(ours(b), ref(tt(b)), f"{cls}.forward")
    assert_close(ours.compute(), ref.compute(), f"{cls}.compute")
    weighted, tw = em.MeanMetric(), torchmetrics.MeanMetric()
    weighted.update(batches[0], np.arange(5.0))
    tw.update(tt(batches[0]), torch.arange(5.0))
    assert_close(weighted.compute(), tw.compute())


def test_aggregation_nan_error_and_state_untouched():
    metric = em.MeanMetric(nan_strategy="error")
    metric.update(np.array([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="nan"):
        metric.update(np.array([np.nan]))
    assert float(metric.compute()) == 1.5
    with pytest.raises(ValueError, match="nan_strategy"):
        em.SumMetric(nan_strategy="drop")


def test_long_inputs_take_the_chunked_path():
    rng = np.random.default_rng(1)
    preds, target = rng.random(300_001).astype(np.float32), rng.random(300_001).astype(np.float32)
    metric = em.MeanSquaredError(squared=False)
    metric.update(preds, target)
    assert_close(metric.compute(), TF.mean_squared_error(tt(preds), tt(target), squared=False))
