"""A LeNet-style CNN with weights copied from torch gives torch's outputs, loss, gradients and SGD steps."""
from __future__ import annotations

import numpy as np
from _oracle import assert_close, torch

import ember
from ember import nn


def _build(lib_nn):
    return lib_nn.Sequential(
        lib_nn.Conv2d(1, 16, 3), lib_nn.ReLU(), lib_nn.MaxPool2d(2),
        lib_nn.Conv2d(16, 32, 3), lib_nn.ReLU(), lib_nn.MaxPool2d(2),
        lib_nn.Flatten(), lib_nn.Linear(800, 10),
    )


def _models():
    t = _build(torch.nn)
    e = _build(nn)
    e.load_state_dict({k: v.detach().numpy().copy() for k, v in t.state_dict().items()})
    return e, t


def _log_softmax_nll(lib, out, y):
    return -lib.nn.functional.log_softmax(out, dim=1).gather(1, y.reshape(-1, 1)).mean()


def test_lenet_outputs_and_gradients_match_torch(rng):
    e, t = _models()
    x = rng.standard_normal((16, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 16)
    oe, ot = e(ember.tensor(x)), t(torch.tensor(x))
    assert_close(oe, ot, rtol=1e-4, atol=1e-5)
    le, lt = _log_softmax_nll(ember, oe, ember.tensor(y)), _log_softmax_nll(torch, ot, torch.tensor(y))
    assert_close(le, lt, rtol=1e-5, atol=1e-6)
    le.backward()
    lt.backward()
    for (name, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        scale = float(pt.grad.abs().max())
        assert_close(pe.grad, pt.grad, rtol=1e-4, atol=1e-5 * scale, msg=name)


def test_lenet_sgd_training_tracks_torch(rng):
    e, t = _models()
    lr = 0.05
    for step in range(5):
        x = rng.standard_normal((32, 1, 28, 28)).astype(np.float32)
        y = rng.integers(0, 10, 32)
        le = _log_softmax_nll(ember, e(ember.tensor(x)), ember.tensor(y))
        lt = _log_softmax_nll(torch, t(torch.tensor(x)), torch.tensor(y))
        assert_close(le, lt, rtol=1e-4, atol=1e-5, msg=f"loss at step {step}")
        e.zero_grad(), t.zero_grad()
        le.backward(), lt.backward()
        with ember.no_grad():
            for p in e.parameters():
                p.add_(p.grad, alpha=-lr)
        with torch.no_grad():
            for p in t.parameters():
                p.add_(p.grad, alpha=-lr)
    for (name, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        assert_close(pe, pt, rtol=1e-4, atol=1e-5, msg=name)


def test_cnn_with_batchnorm_and_avgpool_matches_torch(rng):
    def build(lib_nn):
        return lib_nn.Sequential(
            lib_nn.Conv2d(3, 8, 3, padding=1, bias=False), lib_nn.BatchNorm2d(8), lib_nn.ReLU(),
            lib_nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=2), lib_nn.BatchNorm2d(8), lib_nn.ReLU(),
            lib_nn.AdaptiveAvgPool2d(1), lib_nn.Flatten(), lib_nn.Linear(8, 4),
        )

    t, e = build(torch.nn), build(nn)
    e.load_state_dict({k: v.detach().numpy().copy() for k, v in t.state_dict().items()})
    x = rng.standard_normal((6, 3, 9, 9)).astype(np.float32)
    oe, ot = e(ember.tensor(x)), t(torch.tensor(x))
    assert_close(oe, ot, rtol=1e-4, atol=1e-5)
    oe.sum().backward()
    ot.sum().backward()
    for (name, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        assert_close(pe.grad, pt.grad, rtol=1e-3, atol=1e-5 * max(1.0, float(pt.grad.abs().max())), msg=name)
    for k, v in t.state_dict().items():
        assert_close(e.state_dict()[k], v, rtol=1e-5, atol=1e-6, msg=k)
