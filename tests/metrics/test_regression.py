"""Regression and aggregation metrics against torchmetrics (and scikit-learn), table-driven: functional value,
batch-by-batch forward values, final compute and merge_state."""
import numpy as np
import pytest
from _metric_oracle import assert_close, torch, tt

import ember.metrics as em
import ember.metrics.functional as EF
import torchmetrics
import torchmetrics.regression
import torchmetrics.functional.regression as TF

pytestmark = pytest.mark.filterwarnings("ignore")
SPLITS = (slice(0, 25), slice(25, 45), slice(45, 60))


def _data(kind, seed=0, n=60, d=3):
    rng = np.random.default_rng(seed)
    shape = (n,) if kind in ("1d", "ties", "ens") else (n, d)
    target = rng.standard_normal(shape).astype(np.float32)
    preds = (target + 0.5 * rng.standard_normal(shape)).astype(np.float32)
    if kind in ("pos", "pos2d"):  # for log errors, KL, Tweedie: positive values
        preds, target = np.abs(preds) + 0.1, np.abs(target) + 0.1
    if kind == "ties":  # rank metrics with tied values
        preds, target = np.round(preds * 2), np.round(target * 2)
    if kind == "ens":  # ensemble forecasts (n, members) of a 1-d target
        preds = (target[:, None] + rng.standard_normal((n, 5))).astype(np.float32)
    if kind == "unit":  # thresholded metrics
        preds, target = rng.random(shape).astype(np.float32), rng.random(shape).astype(np.float32)
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
    ("WeightedMeanAbsolutePercentageError", "weighted_mean_absolute_percentage_error", {}, {}, "2d"),
    *[("NormalizedRootMeanSquaredError", "normalized_root_mean_squared_error", {"normalization": n},
       {"normalization": n}, "1d") for n in ("mean", "range", "std", "l2")],
    ("NormalizedRootMeanSquaredError", "normalized_root_mean_squared_error", {"normalization": "std", "num_outputs": 3},
     {"normalization": "std", "num_outputs": 3}, "2d"),
    ("RelativeSquaredError", "relative_squared_error", {}, {}, "1d"),
    ("RelativeSquaredError", "relative_squared_error", {"num_outputs": 3, "squared": False}, {"squared": False}, "2d"),
    ("MinkowskiDistance", "minkowski_distance", {"p": 3}, {"p": 3}, "1d"),
    ("MinkowskiDistance", "minkowski_distance", {"p": 1.5}, {"p": 1.5}, "2d"),
    *[("TweedieDevianceScore", "tweedie_deviance_score", {"power": p}, {"power": p}, "pos")
      for p in (0.0, 1, 1.5, 2, 3, -1)],
    ("ConcordanceCorrCoef", "concordance_corrcoef", {}, {}, "1d"),
    ("ConcordanceCorrCoef", "concordance_corrcoef", {"num_outputs": 3}, {}, "2d"),
    ("JensenShannonDivergence", "jensen_shannon_divergence", {}, {}, "pos2d"),
    ("JensenShannonDivergence", "jensen_shannon_divergence", {"reduction": "none"}, {"reduction": "none"}, "pos2d"),
    ("JensenShannonDivergence", "jensen_shannon_divergence", {"log_prob": True, "reduction": "sum"},
     {"log_prob": True, "reduction": "sum"}, "logp"),
    ("CriticalSuccessIndex", "critical_success_index", {"threshold": 0.5}, {"threshold": 0.5}, "unit"),
    ("CriticalSuccessIndex", "critical_success_index", {"threshold": 0.3, "keep_sequence_dim": 1},
     {"threshold": 0.3, "keep_sequence_dim": 1}, "unit2d"),
    ("ContinuousRankedProbabilityScore", "continuous_ranked_probability_score", {}, {}, "ens"),
    *[("KendallRankCorrCoef", "kendall_rank_corrcoef", {"variant": v}, {"variant": v}, "ties") for v in "abc"],
    ("KendallRankCorrCoef", "kendall_rank_corrcoef", {"num_outputs": 3}, {}, "2d"),
]


@pytest.mark.parametrize("cls,fn,ckw,fkw,kind", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_regression_matches_torchmetrics(cls, fn, ckw, fkw, kind):
    if kind == "logp":
        p, q = _data("pos", d=4)
        p, q = np.log(p / p.sum(1, keepdims=True)), np.log(q / q.sum(1, keepdims=True))
        preds, target = p.astype(np.float32), q.astype(np.float32)
    elif kind == "unit2d":
        preds, target = _data("unit", d=4)
        preds, target = preds.reshape(12, 5, 4), target.reshape(12, 5, 4)
    else:
        preds, target = _data(kind)
    assert_close(getattr(EF, fn)(preds, target, **fkw), getattr(TF, fn)(tt(preds), tt(target), **fkw), fn)
    ours, ref = getattr(em, cls)(**ckw), getattr(torchmetrics.regression, cls)(**ckw)
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


@pytest.mark.parametrize("variant", ["a", "b", "c"])
@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_kendall_t_test_matches_torchmetrics(variant, alternative):
    preds, target = _data("ties")
    ours = EF.kendall_rank_corrcoef(preds, target, variant, t_test=True, alternative=alternative)
    ref = TF.kendall_rank_corrcoef(tt(preds), tt(target), variant, t_test=True, alternative=alternative)
    assert_close(ours[0], ref[0], "tau")
    # ember's p-value is Φ in float64 (erfc); torchmetrics' float32 ½(1 + erf) keeps ~3 digits at p ~ 1e-5
    assert_close(ours[1], ref[1], "p-value", rtol=2e-3, atol=1e-7)
    metric = em.KendallRankCorrCoef(variant, t_test=True, alternative=alternative)
    metric.update(preds[:30], target[:30])
    metric.update(preds[30:], target[30:])
    assert_close(metric.compute(), ref, "KendallRankCorrCoef", rtol=2e-3, atol=1e-7)


def test_kendall_pair_counts_over_several_blocks():
    rng = np.random.default_rng(3)
    preds = rng.integers(0, 50, 1300).astype(np.float64)
    target = (preds + rng.integers(0, 30, 1300)).astype(np.float64)
    assert_close(EF.kendall_rank_corrcoef(preds, target), TF.kendall_rank_corrcoef(tt(preds), tt(target)))


def test_crps_closed_form_spread_matches_pairwise_sum():
    """The ensemble spread Σ|x_j − x_k| is computed from sorted members in O(M log M); check it against O(M²)."""
    rng = np.random.default_rng(4)
    preds, target = rng.standard_normal((7, 9)), rng.standard_normal(7)
    pairwise = np.abs(preds[:, :, None] - preds[:, None, :]).sum((1, 2)) / (2 * 81)
    direct = (np.abs(preds - target[:, None]).sum(1) / 9 - pairwise).mean()
    np.testing.assert_allclose(float(EF.continuous_ranked_probability_score(preds, target)), direct, rtol=1e-6)


def test_regression_errors_match_torchmetrics():
    a, b = np.zeros(4, np.float32), np.zeros(5, np.float32)
    for ours, ref in ((lambda: EF.mean_squared_error(a, b), lambda: TF.mean_squared_error(tt(a), tt(b))),
                      (lambda: em.R2Score(multioutput="bad"), lambda: torchmetrics.R2Score(multioutput="bad")),
                      (lambda: EF.r2_score(a[:1], a[:1]), lambda: TF.r2_score(tt(a[:1]), tt(a[:1]))),
                      (lambda: EF.cosine_similarity(a, a), lambda: TF.cosine_similarity(tt(a), tt(a))),
                      (lambda: em.MeanSquaredError(num_outputs=0), lambda: torchmetrics.MeanSquaredError(num_outputs=0)),
                      (lambda: EF.spearman_corrcoef(a.astype(int), a.astype(int)),
                       lambda: TF.spearman_corrcoef(tt(a.astype(int)), tt(a.astype(int)))),
                      (lambda: em.TweedieDevianceScore(power=0.5), lambda: torchmetrics.TweedieDevianceScore(power=0.5)),
                      (lambda: EF.tweedie_deviance_score(-a - 1, a + 1, 2),
                       lambda: TF.tweedie_deviance_score(tt(-a - 1), tt(a + 1), 2)),
                      (lambda: EF.tweedie_deviance_score(a, a, 1), lambda: TF.tweedie_deviance_score(tt(a), tt(a), 1)),
                      (lambda: em.MinkowskiDistance(p=0.5), lambda: torchmetrics.MinkowskiDistance(p=0.5)),
                      (lambda: em.NormalizedRootMeanSquaredError(normalization="max"),
                       lambda: torchmetrics.NormalizedRootMeanSquaredError(normalization="max")),
                      (lambda: EF.jensen_shannon_divergence(a, a), lambda: TF.jensen_shannon_divergence(tt(a), tt(a))),
                      (lambda: EF.critical_success_index(a, a, 0.5, 3), lambda: TF.critical_success_index(tt(a), tt(a), 0.5, 3)),
                      (lambda: EF.continuous_ranked_probability_score(a[:, None], a),
                       lambda: TF.continuous_ranked_probability_score(tt(a[:, None]), tt(a))),
                      (lambda: em.KendallRankCorrCoef(variant="d"), lambda: torchmetrics.KendallRankCorrCoef(variant="d")),
                      (lambda: em.KendallRankCorrCoef(t_test=1), lambda: torchmetrics.KendallRankCorrCoef(t_test=1)),
                      (lambda: em.KendallRankCorrCoef(t_test=True, alternative=None),
                       lambda: torchmetrics.KendallRankCorrCoef(t_test=True, alternative=None))):
        with pytest.raises(Exception) as theirs:
            ref()
        with pytest.raises(Exception) as mine:
            ours()
        assert type(mine.value).__name__ == type(theirs.value).__name__, (mine.value, theirs.value)


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
