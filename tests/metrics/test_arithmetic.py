"""Metric arithmetic (``m1 + m2``, ``2 * m``, ``abs(m)``, ``m[i]``, comparisons) against torchmetrics'
CompositionalMetric on the same batches: forward and compute values, reset, kwargs routing."""
import operator

import numpy as np
import pytest
from _metric_oracle import assert_close, torch, tt

import ember.metrics as em
import torchmetrics

pytestmark = pytest.mark.filterwarnings("ignore")

BINARY = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv, operator.mod, operator.pow,
          operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne]


def _pair(lib):
    return lib.MeanSquaredError(), lib.MeanAbsoluteError()


def _batches():
    rng = np.random.default_rng(0)
    return [(rng.standard_normal(9).astype(np.float32), rng.standard_normal(9).astype(np.float32)) for _ in range(3)]


def _run(ours, ref):
    for p, t in _batches():
        assert_close(ours(p, t), ref(tt(p), tt(t)), "forward")
    assert_close(ours.compute(), ref.compute(), "compute")
    ours.reset()
    ref.reset()
    for p, t in _batches()[:2]:
        ours.update(p, t)
        ref.update(tt(p), tt(t))
    assert_close(ours.compute(), ref.compute(), "compute after reset")


@pytest.mark.parametrize("op", BINARY, ids=[o.__name__ for o in BINARY])
def test_binary_operators_between_metrics_and_numbers_match_torchmetrics(op):
    (a, b), (ta, tb) = _pair(em), _pair(torchmetrics)
    _run(op(a, b), op(ta, tb))
    (a, _), (ta, _) = _pair(em), _pair(torchmetrics)
    _run(op(a, 1.5), op(ta, 1.5))
    (a, _), (ta, _) = _pair(em), _pair(torchmetrics)
    if op is not operator.mod:
        _run(op(2.0, a), op(2.0, ta))
        return
    # torch.fmod(2.0, tensor) raises TypeError inside torchmetrics; ember computes it (documented in _arithmetic.py)
    ours, ref = 2.0 % a, ta
    p, t = _batches()[0]
    ours.update(p, t)
    ref.update(tt(p), tt(t))
    assert_close(ours.compute(), torch.fmod(torch.tensor(2.0), ref.compute()))


@pytest.mark.parametrize("op", [operator.abs, operator.neg, operator.pos], ids=["abs", "neg", "pos"])
def test_unary_operators_match_torchmetrics(op):
    _run(op(em.MeanSquaredError()), op(torchmetrics.MeanSquaredError()))
    # a mean squared error is never negative, so on it abs looks like the identity and -abs like plain negation;
    # a negative mean tells them apart.
    # As in torchmetrics, +m is abs(m) and -m is -abs(m) (ember's _arithmetic.py says so).
    values = _batches()[0][0] - 2.0
    ours, ref = op(em.MeanMetric()), op(torchmetrics.MeanMetric())
    ours.update(values)
    ref.update(tt(values))
    mean = float(np.mean(values, dtype=np.float64))
    assert mean < 0
    expected = {operator.abs: abs(mean), operator.pos: abs(mean), operator.neg: -abs(mean)}[op]
    assert_close(ours.compute(), ref.compute(), "signed compute")
    assert_close(ours.compute(), np.float32(expected), "signed compute against torchmetrics' definition")


def test_indexing_and_bitwise_match_torchmetrics():
    rng = np.random.default_rng(1)
    p, t = rng.standard_normal((9, 3)).astype(np.float32), rng.standard_normal((9, 3)).astype(np.float32)
    ours, ref = em.MeanSquaredError(num_outputs=3)[1], torchmetrics.MeanSquaredError(num_outputs=3)[1]
    assert_close(ours(p, t), ref(tt(p), tt(t)))
    labels_p, labels_t = rng.integers(0, 2, 20), rng.integers(0, 2, 20)
    for op in (operator.and_, operator.or_, operator.xor):  # on the booleans that comparisons compute
        ours = op(em.SumMetric() > 5, em.SumMetric() < 8)
        ref = op(torchmetrics.SumMetric() > 5, torchmetrics.SumMetric() < 8)
        ours.update(labels_p)
        ref.update(tt(labels_p))
        assert_close(ours.compute(), ref.compute(), op.__name__)
    ours, ref = ~(em.SumMetric() > 100), ~(torchmetrics.SumMetric() > 100)
    ours.update(labels_t)
    ref.update(tt(labels_t))
    assert_close(ours.compute(), ref.compute(), "invert")


def test_composition_nests_and_routes_keyword_arguments():
    p, t = _batches()[0]
    w = np.linspace(0.1, 1, 9).astype(np.float32)
    ours = (em.MeanSquaredError() + em.MeanMetric()) * 2
    ref = (torchmetrics.MeanSquaredError() + torchmetrics.MeanMetric()) * 2
    ours.update(p, t)  # MeanMetric.update(value, weight): t arrives as the weight
    ref.update(tt(p), tt(t))
    assert_close(ours.compute(), ref.compute())
    ours, ref = em.MeanMetric() * 3, torchmetrics.MeanMetric() * 3
    ours.update(p, weight=w)
    ref.update(tt(p), weight=tt(w))
    assert_close(ours.compute(), ref.compute())
    assert isinstance(ours, em.metric.CompositionalMetric) and "multiply" in repr(ours)
