"""A Metric inside an nn.Module, as torchmetrics': it is a submodule, its persistent states follow the model's
state_dict (same keys as torchmetrics), load_state_dict restores them (strict key checks included), and
non-persistent states stay out.

Known difference: a few ember states are scalars where torchmetrics keeps a (num_outputs,) vector (MSE's
sum_squared_error), so values are compared by content and torch reads those keys only after a reshape."""
import numpy as np
import pytest
from _metric_oracle import assert_close, torch, torchmetrics, tt

import ember
import ember.metrics as em
import ember.nn as nn


def _models(persistent):
    class Ours(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 2)
            self.mse = em.MeanSquaredError()
            self.acc = em.MulticlassAccuracy(num_classes=3, average="macro")
            self.minmax = em.wrappers.MinMaxMetric(em.MeanMetric())

    class Ref(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(3, 2)
            self.mse = torchmetrics.MeanSquaredError()
            self.acc = torchmetrics.classification.MulticlassAccuracy(num_classes=3, average="macro")
            self.minmax = torchmetrics.wrappers.MinMaxMetric(torchmetrics.MeanMetric())
    ours, ref = Ours(), Ref()
    for model in (ours, ref):
        for name in ("mse", "acc", "minmax"):
            getattr(model, name).persistent(persistent)
    return ours, ref


def _feed(ours, ref, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(2):
        p, t = rng.standard_normal(8).astype(np.float32), rng.standard_normal(8).astype(np.float32)
        ours.mse.update(p, t), ref.mse.update(tt(p), tt(t))
        logits, labels = rng.standard_normal((8, 3)).astype(np.float32), rng.integers(0, 3, 8)
        ours.acc.update(logits, labels), ref.acc.update(tt(logits), tt(labels))
        ours.minmax(p), ref.minmax(tt(p))


@pytest.mark.parametrize("persistent", [False, True])
def test_state_dict_keys_match_torchmetrics(persistent):
    ours, ref = _models(persistent)
    _feed(ours, ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in ref.named_modules()]
    if persistent:
        for key, value in ref.state_dict().items():
            if not key.startswith("lin."):
                mine = np.asarray(ours.state_dict()[key])
                assert mine.size == value.numel(), key
                assert_close(mine.reshape(tuple(value.shape)), value, key)


def test_load_state_dict_restores_metric_states():
    ours, ref = _models(True)
    _feed(ours, ref)
    fresh, fresh_ref = _models(True)
    fresh.load_state_dict(ours.state_dict())
    fresh_ref.load_state_dict(ref.state_dict())
    for name in ("mse", "acc"):
        assert_close(getattr(fresh, name).compute(), getattr(fresh_ref, name).compute(), name)
    assigned, _ = _models(True)
    assigned.load_state_dict(ours.state_dict(), assign=True)
    assert_close(assigned.mse.compute(), ref.mse.compute())
    before = fresh.mse.compute()  # a cached value does not survive a later load
    fresh.load_state_dict(_models(True)[0].state_dict())
    assert float(fresh.mse.sum_squared_error) == 0.0 and float(before) != 0.0
    partial = {k: v for k, v in ours.state_dict().items() if not k.startswith("mse.")}
    with pytest.raises(RuntimeError, match="Missing key"):
        _models(True)[0].load_state_dict(partial)
    with pytest.raises(RuntimeError, match="Unexpected key"):
        _models(False)[0].load_state_dict(ours.state_dict())


def test_metric_is_a_module_and_round_trips_through_ember_save(tmp_path):
    ours, ref = _models(True)
    _feed(ours, ref)
    assert isinstance(ours.mse, nn.Module) and isinstance(em.MeanMetric(), nn.Module)
    path = tmp_path / "model.pt"
    ember.save(ours.state_dict(), path)
    loaded, _ = _models(True)
    loaded.load_state_dict(ember.load(path))
    assert_close(loaded.mse.compute(), ref.mse.compute())
    torch_loaded = torch.load(path)  # torch reads ember's file: the states are tensors under torchmetrics' keys
    fresh_ref = _models(True)[1]
    shapes = {k: v.shape for k, v in fresh_ref.state_dict().items()}
    fresh_ref.load_state_dict({k: v.reshape(shapes[k]) for k, v in torch_loaded.items()})
    assert_close(loaded.mse.compute(), fresh_ref.mse.compute())
    assert_close(loaded.acc.compute(), fresh_ref.acc.compute())


def test_metric_collection_inside_a_model_matches_torchmetrics():
    class Ours(nn.Module):
        def __init__(self):
            super().__init__()
            self.metrics = em.MetricCollection([em.MeanMetric(), em.SumMetric()], prefix="val_")

    class Ref(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.metrics = torchmetrics.MetricCollection([torchmetrics.MeanMetric(), torchmetrics.SumMetric()],
                                                         prefix="val_")
    ours, ref = Ours(), Ref()
    assert list(ours.state_dict()) == list(ref.state_dict()) == []
    ours.metrics.persistent(True), ref.metrics.persistent(True)
    for x in (np.array([1.0, 2.0]), np.array([5.0])):
        assert_close(ours.metrics(x), ref.metrics(tt(x)))
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in ref.named_modules()]
    fresh = Ours()
    fresh.metrics.persistent(True)
    fresh.load_state_dict(ours.state_dict())
    assert_close(fresh.metrics.compute(), ref.metrics.compute())
    assert isinstance(ours.metrics, nn.Module)
