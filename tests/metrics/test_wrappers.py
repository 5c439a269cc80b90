"""torchmetrics' wrappers (MinMaxMetric, MultioutputWrapper, MultitaskWrapper, BootStrapper, the input transformers)
against torchmetrics on the same batches: forward values, compute, reset and errors."""
import numpy as np
import pytest
from _metric_oracle import assert_close, torch, tt

import ember.metrics as em
import torchmetrics
from torchmetrics import wrappers as tw

from ember.metrics import wrappers as ew

pytestmark = pytest.mark.filterwarnings("ignore")


def _batches(shape=(8,), n=3, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(shape).astype(np.float32), rng.standard_normal(shape).astype(np.float32))
            for _ in range(n)]


def test_minmax_forward_tracks_batch_values_as_torchmetrics():
    ours, ref = ew.MinMaxMetric(em.MeanSquaredError()), tw.MinMaxMetric(torchmetrics.MeanSquaredError())
    for p, t in _batches():
        assert_close(ours(p, t), ref(tt(p), tt(t)), "forward")


def test_minmax_compute_over_updates_matches_torchmetrics():
    ours, ref = ew.MinMaxMetric(em.MeanSquaredError()), tw.MinMaxMetric(torchmetrics.MeanSquaredError())
    for p, t in _batches():
        ours.update(p, t)
        ref.update(tt(p), tt(t))
        assert_close(ours.compute(), ref.compute(), "compute")
    ours.reset()
    ref.reset()
    p, t = _batches(seed=5)[0]
    ours.update(p, t)
    ref.update(tt(p), tt(t))
    assert_close(ours.compute(), ref.compute(), "after reset (min/max kept)")


def test_minmax_compute_after_forward_covers_all_batches_deliberately():
    """torchmetrics' forward resets its base metric (compute then sees the last batch); ember's keeps every batch."""
    batches = _batches()
    ours, ref = ew.MinMaxMetric(em.MeanSquaredError()), tw.MinMaxMetric(torchmetrics.MeanSquaredError())
    for p, t in batches:
        ours(p, t)
        ref(tt(p), tt(t))
    everything = em.functional.mean_squared_error(np.concatenate([b[0] for b in batches]),
                                                  np.concatenate([b[1] for b in batches]))
    assert_close(ours.compute()["raw"], torch.tensor(float(everything)))
    last = torchmetrics.functional.mean_squared_error(tt(batches[-1][0]), tt(batches[-1][1]))
    assert_close(ref.compute()["raw"], last)


def test_minmax_errors_match_torchmetrics():
    with pytest.raises(ValueError, match="base metric"):
        ew.MinMaxMetric(lambda x: x)
    ours = ew.MinMaxMetric(em.MeanSquaredError(num_outputs=2))
    ref = tw.MinMaxMetric(torchmetrics.MeanSquaredError(num_outputs=2))
    p, t = _batches((4, 2))[0]
    ours.update(p, t)
    ref.update(tt(p), tt(t))
    with pytest.raises(RuntimeError) as theirs:
        ref.compute()
    with pytest.raises(RuntimeError, match="scalar tensor"):
        ours.compute()
    assert "scalar tensor" in str(theirs.value)


@pytest.mark.parametrize("remove_nans,output_dim", [(True, -1), (False, -1), (False, 0)])
def test_multioutput_matches_torchmetrics(remove_nans, output_dim):
    shape = (10, 3) if output_dim == -1 else (3, 10)
    batches = _batches(shape)
    if remove_nans:
        batches[1][0][(2, 0) if output_dim == -1 else (0, 2)] = np.nan
    ours = ew.MultioutputWrapper(em.MeanAbsoluteError(), 3, output_dim=output_dim, remove_nans=remove_nans)
    ref = tw.MultioutputWrapper(torchmetrics.MeanAbsoluteError(), 3, output_dim=output_dim, remove_nans=remove_nans)
    for p, t in batches:
        assert_close(ours(p, t), ref(tt(p), tt(t)), "forward")
    assert_close(ours.compute(), ref.compute(), "compute")
    ours.reset()
    ref.reset()
    ours.update(*batches[0])
    ref.update(*map(tt, batches[0]))
    assert_close(ours.compute(), ref.compute(), "after reset")


def test_multioutput_without_squeeze_matches_torchmetrics():
    p, t = _batches((10, 2))[0]
    ours = ew.MultioutputWrapper(em.PearsonCorrCoef(), 2, squeeze_outputs=False)
    ref = tw.MultioutputWrapper(torchmetrics.PearsonCorrCoef(), 2, squeeze_outputs=False)
    ours.update(p, t)
    ref.update(tt(p), tt(t))
    assert_close(ours.compute(), ref.compute())


def test_multitask_matches_torchmetrics():
    (p1, t1), (p2, t2) = _batches((6,), 2)
    labels = (p2 > 0).astype(np.int64)
    ours = ew.MultitaskWrapper({"reg": em.MeanSquaredError(),
                                "cls": em.MetricCollection([em.BinaryAccuracy(), em.BinaryF1Score()])}, prefix="p_")
    ref = tw.MultitaskWrapper({"reg": torchmetrics.MeanSquaredError(),
                               "cls": torchmetrics.MetricCollection([torchmetrics.classification.BinaryAccuracy(),
                                                                    torchmetrics.classification.BinaryF1Score()])},
                              prefix="p_")
    for _ in range(2):
        preds, target = {"reg": p1, "cls": p2}, {"reg": t1, "cls": labels}
        assert_close(ours(preds, target), ref({k: tt(v) for k, v in preds.items()},
                                              {k: tt(v) for k, v in target.items()}), "forward")
    assert_close(ours.compute(), ref.compute(), "compute")
    assert list(ours.keys()) == list(ref.keys())
    assert list(ours.keys(flatten=False)) == list(ref.keys(flatten=False))
    assert list(ours.clone(postfix="_x").keys()) == list(ref.clone(postfix="_x").keys())
    with pytest.raises(ValueError, match="same keys"):
        ours.update({"reg": p1}, {"reg": t1})
    with pytest.raises(TypeError, match="dict"):
        ew.MultitaskWrapper([em.MeanSquaredError()])
    with pytest.raises(TypeError, match="Metric or a MetricCollection"):
        ew.MultitaskWrapper({"a": 3})


@pytest.mark.parametrize("strategy", ["poisson", "multinomial"])
def test_bootstrapper_matches_torchmetrics_on_the_same_resamples(strategy, monkeypatch):
    """Random streams differ, so both libraries are given the same resample indices."""
    rng = np.random.default_rng(7)
    draws = [rng.integers(0, 8, 8) for _ in range(40)]
    ours_it, ref_it = iter(draws), iter(draws)
    monkeypatch.setattr(ew, "_bootstrap_indices", lambda size, s, g: next(ours_it))
    import torchmetrics.wrappers.bootstrapping as tb

    monkeypatch.setattr(tb, "_bootstrap_sampler", lambda size, sampling_strategy: torch.from_numpy(next(ref_it)))
    kw = dict(num_bootstraps=5, mean=True, std=True, quantile=torch.tensor([0.25, 0.75]), raw=True,
              sampling_strategy=strategy)
    ours = ew.BootStrapper(em.MeanSquaredError(), **{**kw, "quantile": np.array([0.25, 0.75])})
    ref = tw.BootStrapper(torchmetrics.MeanSquaredError(), **kw)
    for p, t in _batches():
        ours.update(p, t)
        ref.update(tt(p), tt(t))
    assert_close(ours.compute(), ref.compute())


def test_bootstrapper_statistics_and_errors():
    rng = np.random.default_rng(0)
    p, t = rng.standard_normal(2000).astype(np.float32), rng.standard_normal(2000).astype(np.float32)
    boot = ew.BootStrapper(em.MeanSquaredError(), num_bootstraps=50)
    boot.update(p, t)
    out = boot.compute()
    true = float(np.mean((p - t) ** 2))
    assert abs(float(out["mean"]) - true) < 4 * float(out["std"]) / np.sqrt(50) + 1e-3
    assert 0 < float(out["std"]) < 0.2 * true  # bootstrap std of a mean of 2000 terms: ≈ true·√2/√2000
    with pytest.raises(ValueError, match="sampling_strategy"):
        ew.BootStrapper(em.MeanSquaredError(), sampling_strategy="jackknife")
    with pytest.raises(ValueError, match="base metric"):
        ew.BootStrapper(3)
    with pytest.raises(ValueError, match="sampling size"):
        boot.update(threshold=0.5)


def test_input_transformers_match_torchmetrics():
    (p, t), = _batches((12,), 1)
    ours = ew.LambdaInputTransformer(em.BinaryAccuracy(), transform_pred=lambda x: 1 / (1 + np.exp(-np.asarray(x))))
    ref = tw.LambdaInputTransformer(torchmetrics.classification.BinaryAccuracy(), transform_pred=torch.sigmoid)
    labels = (t > 0).astype(np.int64)
    assert_close(ours(p, labels), ref(tt(p), tt(labels)))
    assert_close(ours.compute(), ref.compute())
    ours = ew.BinaryTargetTransformer(em.MeanAbsoluteError(), threshold=0.2)
    ref = tw.BinaryTargetTransformer(torchmetrics.MeanAbsoluteError(), threshold=0.2)
    ours.update(p, t)
    ref.update(tt(p), tt(t))
    assert_close(ours.compute(), ref.compute())
    ours.reset()
    ref.reset()
    coll = ew.BinaryTargetTransformer(em.MetricCollection([em.MeanSquaredError()]), threshold=0.0)
    tcoll = tw.BinaryTargetTransformer(torchmetrics.MetricCollection([torchmetrics.MeanSquaredError()]), threshold=0.0)
    assert_close(coll(p, t), tcoll(tt(p), tt(t)))
    for bad, err in ((lambda: ew.BinaryTargetTransformer(em.MeanSquaredError(), threshold="0"), TypeError),
                     (lambda: ew.LambdaInputTransformer(em.MeanSquaredError(), transform_pred=3), TypeError),
                     (lambda: ew.LambdaInputTransformer(3), TypeError)):
        with pytest.raises(err):
            bad()
