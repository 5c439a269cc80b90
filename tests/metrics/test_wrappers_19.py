"""FeatureShare against torchmetrics: metrics that name their network in ``feature_network`` share one cached call
per input; values, call counts and errors as torchmetrics'."""
import warnings

import numpy as np
import pytest
from _metric_oracle import assert_close, torch, tt

import ember.metrics as em
import torchmetrics
from torchmetrics import wrappers as tw

from ember.metrics import wrappers as ew


class _TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return x * 2


class _EmberNet:
    def __init__(self):
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        return np.asarray(x) * 2

    def __repr__(self):
        return "_EmberNet()"


def _metric(base, reduce):
    class FeatureMetric(base):
        feature_network = "net"

        def __init__(self, net):
            super().__init__()
            self.net = net
            self.add_state("total", default=torch.tensor(0.0) if base is torchmetrics.Metric else np.zeros(()),
                           dist_reduce_fx="sum")

        def update(self, x):
            self.total = self.total + reduce(self.net(x))

        def compute(self):
            return self.total
    return FeatureMetric


TorchSum = _metric(torchmetrics.Metric, lambda f: f.sum())
TorchMax = _metric(torchmetrics.Metric, lambda f: f.max())
EmberSum = _metric(em.Metric, lambda f: f.sum())
EmberMax = _metric(em.Metric, lambda f: f.max())


def test_feature_share_calls_the_network_once_per_input_as_torchmetrics():
    torch_net, ember_net = _TorchNet(), _EmberNet()
    ref = tw.FeatureShare({"sum": TorchSum(torch_net), "max": TorchMax(torch_net)})
    ours = ew.FeatureShare({"sum": EmberSum(ember_net), "max": EmberMax(ember_net)})
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.standard_normal(6).astype(np.float32)
        xt = tt(x)
        assert_close(ours(x), ref(xt))
    assert_close(ours.compute(), ref.compute())
    assert ember_net.calls == torch_net.calls == 3
    assert isinstance(ours, em.MetricCollection)


def test_feature_share_cache_size_and_errors_match_torchmetrics():
    ember_net = _EmberNet()
    small = ew.FeatureShare({"a": EmberSum(ember_net), "b": EmberMax(ember_net)}, max_cache_size=1)
    x, y = np.ones(3), np.zeros(3)
    small.update(x)
    small.update(y)
    small.update(x)  # evicted: computed again
    assert ember_net.calls == 3
    with pytest.raises(TypeError) as ref:
        tw.FeatureShare([TorchSum(_TorchNet())], max_cache_size=1.5)
    with pytest.raises(TypeError) as ours:
        ew.FeatureShare([EmberSum(_EmberNet())], max_cache_size=1.5)
    assert str(ours.value) == str(ref.value)
    for make_ref, make_ours, err in ((lambda: torchmetrics.MeanMetric(), lambda: em.MeanMetric(), AttributeError),):
        with pytest.raises(err) as ref:
            tw.FeatureShare([make_ref()])
        with pytest.raises(err) as ours:
            ew.FeatureShare([make_ours()])
        assert str(ours.value) == str(ref.value)
    bad_ref, bad_ours = TorchSum(_TorchNet()), EmberSum(_EmberNet())
    bad_ref.feature_network = bad_ours.feature_network = 3
    with pytest.raises(TypeError) as ref:
        tw.FeatureShare([bad_ref])
    with pytest.raises(TypeError) as ours:
        ew.FeatureShare([bad_ours])
    assert str(ours.value) == str(ref.value)
    with pytest.raises(AttributeError) as ref:
        tw.FeatureShare([TorchSum(_TorchNet()), torchmetrics.MeanMetric()])
    with pytest.raises(AttributeError) as ours:
        ew.FeatureShare([EmberSum(_EmberNet()), em.MeanMetric()])
    assert str(ours.value) == str(ref.value)


def test_feature_share_warns_when_networks_differ():
    class Other(_EmberNet):
        def __repr__(self):
            return "Other()"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ew.FeatureShare({"a": EmberSum(_EmberNet()), "b": EmberMax(Other())})
    assert any("not the same for all metrics" in str(w.message) for w in caught)


def test_metric_operators_cover_torchmetrics_and_iteration_raises():
    dunders = [n for n in vars(torchmetrics.Metric) if n.startswith("__") and n.endswith("__") and
               callable(vars(torchmetrics.Metric)[n]) and n not in ("__init__", "__getstate__", "__setstate__",
                                                                   "__setattr__", "__getnewargs__")]
    missing = [n for n in dunders if getattr(em.Metric, n, None) in (None, getattr(object, n, None))]
    assert not missing and em.Metric.__iter__ is None
    with pytest.raises(TypeError) as ref:
        list(torchmetrics.MeanMetric())
    with pytest.raises(TypeError) as ours:
        list(em.MeanMetric())
    assert str(ours.value) == str(ref.value)
    a, b = em.SumMetric(), torchmetrics.SumMetric()
    a.update(np.array([3.0])), b.update(torch.tensor([3.0]))
    inv_a, inv_b = a.__inv__(), b.__inv__()
    assert type(inv_a).__name__ == type(inv_b).__name__ == "CompositionalMetric"
