"""The numba kernels of ember.metrics give exactly what the NumPy path gives (counts equal, sums to float32
precision), including ties (first maximum wins, as in torch), ignore_index, classes above the fused-histogram
limit, and inputs the NumPy path rejects (NaN scores, targets out of range), which must raise the same errors."""
import numpy as np
import pytest
from _metric_oracle import assert_close, torch

import ember.metrics as em
import ember.metrics.functional as EF
from ember.metrics import _kernels

pytest.importorskip("numba")
pytestmark = pytest.mark.filterwarnings("ignore:.*NaN values found in confusion matrix")


@pytest.fixture(autouse=True)
def _kernels_on():
    """These tests compare the kernels with NumPy, so they turn them on even under EMBER_DISABLE_NUMBA=1."""
    previous = _kernels.set_enabled(True)
    yield
    _kernels.set_enabled(previous)


def _both(fn):
    """fn() with the numba kernels, then with NumPy only."""
    previous = _kernels.set_enabled(True)
    try:
        fast = fn()
        _kernels.set_enabled(False)
        slow = fn()
    finally:
        _kernels.set_enabled(previous)
    return fast, slow


def _scores(n, c, seed=0, dtype=np.float32, ties=False):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c)).astype(dtype)
    if ties:  # few distinct values: many rows with several equal maxima
        x = np.round(x).astype(dtype)
    return x, rng.integers(0, c, n)


@pytest.mark.parametrize("n, c", [(1, 2), (7, 3), (1000, 10), (70000, 10), (3000, 64)])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("ignore_index", [None, 1, -100])
def test_argmax_confmat_equals_numpy(n, c, ties, ignore_index):
    x, t = _scores(n, c, seed=n + c, ties=ties)
    if ignore_index is not None:
        t[::5] = ignore_index
    assert _kernels.numba_available()
    confmat, status = _kernels.argmax_confmat(x, t, c, ignore_index)
    keep = t != ignore_index if ignore_index is not None else np.ones(n, bool)
    expected = np.bincount(t[keep] * c + x.argmax(1)[keep], minlength=c * c).reshape(c, c)
    assert status == _kernels.OK
    np.testing.assert_array_equal(confmat, expected)


def test_argmax_confmat_leaves_many_classes_to_numpy():
    x, t = _scores(300, 65, seed=3)
    assert _kernels.argmax_confmat(x, t, 65) is None


def test_argmax_first_maximum_like_torch():
    x = np.array([[1, 3, 3, 0], [2, 2, 2, 2], [0, 0, 0, 5], [-1, -1, -2, -1]], np.float32)
    t = np.array([0, 0, 0, 0])
    confmat, _ = _kernels.argmax_confmat(x, t, 4)
    np.testing.assert_array_equal(confmat[0], np.bincount(torch.from_numpy(x).argmax(1).numpy(), minlength=4))


@pytest.mark.parametrize("bad", ["nan", "high", "negative"])
def test_kernel_reports_bad_inputs_and_metric_raises_same_error(bad):
    x, t = _scores(2000, 5)
    if bad == "nan":
        x[1234, 2] = np.nan
    else:
        t[999] = 5 if bad == "high" else -3
    _, status = _kernels.argmax_confmat(x, t, 5)
    assert status == (_kernels.HAS_NAN if bad == "nan" else _kernels.BAD_TARGET)
    errors = []
    for enabled in (True, False):
        previous = _kernels.set_enabled(enabled)
        try:
            with pytest.raises(RuntimeError) as info:
                EF.multiclass_confusion_matrix(x, t, num_classes=5)
            errors.append(str(info.value))
        finally:
            _kernels.set_enabled(previous)
    assert errors[0] == errors[1]


@pytest.mark.parametrize("name, kwargs", [
    ("MulticlassAccuracy", {"average": "micro"}), ("MulticlassAccuracy", {"average": "macro"}),
    ("MulticlassF1Score", {"average": "macro"}), ("MulticlassF1Score", {"average": "weighted"}),
    ("MulticlassPrecision", {"average": "none", "ignore_index": 2}), ("MulticlassStatScores", {"average": None}),
    ("MulticlassConfusionMatrix", {}), ("MulticlassConfusionMatrix", {"ignore_index": 0, "normalize": "true"}),
    ("MulticlassJaccardIndex", {}), ("MulticlassMatthewsCorrCoef", {}),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_metrics_same_with_and_without_numba_and_match_torchmetrics(name, kwargs, dtype):
    import torchmetrics.classification as TC
    c = 7
    x, t = _scores(90000, c, seed=3, dtype=dtype, ties=True)

    def run():
        metric = getattr(em, name)(num_classes=c, **kwargs)
        batch = metric(x[:50000], t[:50000])
        metric.update(x[50000:], t[50000:].astype(np.int32))
        return np.asarray(batch), np.asarray(metric.compute())

    (b_fast, v_fast), (b_slow, v_slow) = _both(run)
    np.testing.assert_array_equal(b_fast, b_slow)
    np.testing.assert_array_equal(v_fast, v_slow)
    ref = getattr(TC, name)(num_classes=c, **kwargs)
    ref.update(torch.from_numpy(x), torch.from_numpy(t))
    assert_close(v_fast, ref.compute())


@pytest.mark.parametrize("n", [1, 1000, 70000, 300001])
@pytest.mark.parametrize("shape", ["1d", "2d"])
def test_mean_squared_error_kernel(n, shape):
    rng = np.random.default_rng(n)
    p = rng.standard_normal(n if shape == "1d" else (n, 3)).astype(np.float32)
    t = rng.standard_normal(p.shape).astype(np.float32)
    fast = _kernels.sum_squared_difference(p.ravel(), t.ravel())
    expected = np.sum((p.astype(np.float64) - t) ** 2)
    np.testing.assert_allclose(fast, expected, rtol=2e-6)
    v_fast, v_slow = _both(lambda: np.asarray(EF.mean_squared_error(p, t)))
    np.testing.assert_allclose(v_fast, v_slow, rtol=2e-6)
    ref = torch.nn.functional.mse_loss(torch.from_numpy(p), torch.from_numpy(t))
    assert_close(v_fast, ref)


@pytest.mark.parametrize("n", [1, 2, 1000, 100000])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("ignored", [False, True])
def test_auroc_rank_kernel_equals_numpy(n, ties, ignored):
    from ember.metrics.functional.classification import _curves
    rng = np.random.default_rng(n)
    scores = rng.random((3, n)).astype(np.float32)
    if ties:
        scores = np.round(scores * 20) / 20
        scores[0, : n // 2] = 0.0
        scores[1, : n // 3] = -0.0
        scores[2, n // 2:] = 1.0
    flags = rng.integers(0 if ignored else 1, 3, (3, n)).astype(np.uint8)
    fast, slow = _both(lambda: _curves._auroc_exact(scores.astype(np.float32), flags))
    np.testing.assert_array_equal(fast, slow)


def test_auroc_rank_kernel_declines_scores_outside_unit_interval():
    scores = np.array([[0.2, 1.5, 0.3]], np.float32)
    assert _kernels.auroc_rank(scores, np.array([[1, 2, 1]], np.uint8)) is None
    scores[0, 1] = np.nan
    assert _kernels.auroc_rank(scores, np.array([[1, 2, 1]], np.uint8)) is None


@pytest.mark.parametrize("name, kwargs", [("BinaryAUROC", {}), ("BinaryAUROC", {"ignore_index": -1}),
                                          ("MulticlassAUROC", {"num_classes": 5}),
                                          ("MulticlassAUROC", {"num_classes": 5, "average": "weighted"}),
                                          ("MultilabelAUROC", {"num_labels": 5, "ignore_index": -1})])
def test_auroc_same_with_and_without_numba_and_matches_torchmetrics(name, kwargs):
    import torchmetrics.classification as TC
    rng = np.random.default_rng(1)
    n = 20000
    if name == "BinaryAUROC":
        x, t = np.round(rng.random(n), 3).astype(np.float32), rng.integers(0, 2, n)
    elif name == "MulticlassAUROC":
        x, t = rng.random((n, 5)).astype(np.float32), rng.integers(0, 5, n)
        x /= x.sum(1, keepdims=True)
    else:
        x, t = np.round(rng.random((n, 5)), 2).astype(np.float32), rng.integers(0, 2, (n, 5))
    if "ignore_index" in kwargs:
        t[::7] = -1

    def run():
        metric = getattr(em, name)(**kwargs)
        metric.update(x[: n // 2], t[: n // 2])
        metric.update(x[n // 2:], t[n // 2:])
        return np.asarray(metric.compute())

    fast, slow = _both(run)
    np.testing.assert_array_equal(fast, slow)
    ref = getattr(TC, name)(**kwargs)
    ref.update(torch.from_numpy(x), torch.from_numpy(t))
    assert_close(fast, ref.compute())
