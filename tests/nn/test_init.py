"""ember.nn.init against torch.nn.init: gains equal, fan computations equal, samples with the right
distribution (moments and bounds within sampling tolerance), in place and without recording."""
from __future__ import annotations

import math

import numpy as np
import pytest

from _oracle import torch

import ember
import ember.nn as enn

EI, TI = enn.init, torch.nn.init

GAINS = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None), ("conv_transpose2d", None),
         ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2),
         ("leaky_relu", 0), ("selu", None)]


@pytest.mark.parametrize("name, param", GAINS)
def test_calculate_gain_equals_torch(name, param):
    assert EI.calculate_gain(name, param) == TI.calculate_gain(name, param)


def test_calculate_gain_errors_like_torch():
    for args in [("swish",), ("leaky_relu", "x"), ("leaky_relu", True)]:
        with pytest.raises(ValueError):
            TI.calculate_gain(*args)
        with pytest.raises(ValueError):
            EI.calculate_gain(*args)


@pytest.mark.parametrize("shape", [(30, 20), (8, 4, 3, 3), (5, 6, 7)])
def test_fan_in_fan_out_equal_torch(shape):
    assert EI._calculate_fan_in_and_fan_out(ember.empty(*shape)) == TI._calculate_fan_in_and_fan_out(torch.empty(*shape))


def _check_uniform(t, bound):
    a = t.numpy().astype(np.float64)
    assert np.abs(a).max() <= bound * (1 + 1e-6)
    assert abs(a.mean()) < 0.03 * bound
    assert abs(a.std() - bound / math.sqrt(3)) < 0.03 * bound


def _check_normal(t, std, mean=0.0):
    a = t.numpy().astype(np.float64)
    assert abs(a.mean() - mean) < 0.03 * std + 1e-12
    assert abs(a.std() - std) < 0.03 * std


SHAPE = (256, 128)
FAN_IN, FAN_OUT = 128, 256


def test_xavier_uniform_and_normal():
    w = ember.empty(*SHAPE)
    assert EI.xavier_uniform_(w, gain=2.0) is w
    _check_uniform(w, 2.0 * math.sqrt(6 / (FAN_IN + FAN_OUT)))
    _check_normal(EI.xavier_normal_(ember.empty(*SHAPE)), math.sqrt(2 / (FAN_IN + FAN_OUT)))


@pytest.mark.parametrize("mode, fan", [("fan_in", FAN_IN), ("fan_out", FAN_OUT)])
@pytest.mark.parametrize("nonlinearity, a", [("relu", 0), ("leaky_relu", 0.1), ("leaky_relu", math.sqrt(5))])
def test_kaiming_uniform_and_normal(mode, fan, nonlinearity, a):
    gain = TI.calculate_gain(nonlinearity, a)
    _check_uniform(EI.kaiming_uniform_(ember.empty(*SHAPE), a=a, mode=mode, nonlinearity=nonlinearity),
                   gain * math.sqrt(3 / fan))
    _check_normal(EI.kaiming_normal_(ember.empty(*SHAPE), a=a, mode=mode, nonlinearity=nonlinearity), gain / math.sqrt(fan))


def test_kaiming_on_conv_weight_uses_receptive_field():
    w = ember.empty(64, 16, 3, 3)
    _check_uniform(EI.kaiming_uniform_(w, nonlinearity="relu"), math.sqrt(2) * math.sqrt(3 / (16 * 9)))


def test_uniform_normal_constant_ones_zeros_eye():
    _check_uniform(EI.uniform_(ember.empty(*SHAPE), -0.5, 0.5), 0.5)
    _check_normal(EI.normal_(ember.empty(*SHAPE), 1.0, 0.2), 0.2, mean=1.0)
    for fn, args, value in [(EI.constant_, (0.3,), 0.3), (EI.ones_, (), 1.0), (EI.zeros_, (), 0.0)]:
        t = ember.empty(3, 2)
        assert fn(t, *args) is t
        np.testing.assert_allclose(t.numpy(), np.full((3, 2), value, np.float32))
    np.testing.assert_array_equal(EI.eye_(ember.empty(3, 4)).numpy(), TI.eye_(torch.empty(3, 4)).numpy())


def test_init_keeps_dtype_and_works_on_parameters_that_require_grad():
    p = enn.Parameter(ember.empty(10, 10, dtype=ember.float64))
    EI.kaiming_uniform_(p)
    assert p.dtype == ember.float64 and p.requires_grad and p.is_leaf and p.grad_fn is None
    EI.normal_(p)
    assert p.dtype == ember.float64


def test_init_errors_like_torch():
    with pytest.raises(ValueError):
        TI.xavier_uniform_(torch.empty(5))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        EI.xavier_uniform_(ember.empty(5))
    with pytest.raises(ValueError):
        EI.kaiming_normal_(ember.empty(3, 3), mode="fan_avg")


def test_init_is_reproducible_with_manual_seed():
    ember.manual_seed(3)
    a = EI.xavier_normal_(ember.empty(4, 4))
    ember.manual_seed(3)
    assert ember.equal(a, EI.xavier_normal_(ember.empty(4, 4)))
