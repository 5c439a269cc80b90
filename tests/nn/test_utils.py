"""ember.nn.utils against torch.nn.utils: clip_grad_norm_, clip_grad_value_, parameters_to_vector,
vector_to_parameters."""
from __future__ import annotations

import numpy as np
import pytest

from _oracle import assert_close, torch

import ember
import ember.nn as enn

EU, TU = enn.utils, torch.nn.utils


def _params_with_grads(seed=0, scale=1.0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    shapes = [(4, 3), (3,), (2, 2, 2)]
    values = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [(rng.standard_normal(s) * scale).astype(dtype) for s in shapes]
    ep = [enn.Parameter(ember.tensor(v)) for v in values]
    tp = [torch.nn.Parameter(torch.tensor(v)) for v in values]
    for p, g in zip(ep, grads):
        p.grad = ember.tensor(g)
    for p, g in zip(tp, grads):
        p.grad = torch.tensor(g)
    return ep, tp


@pytest.mark.parametrize("max_norm", [0.5, 1e3])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.0, float("inf")])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    ep, tp = _params_with_grads()
    en = EU.clip_grad_norm_(ep, max_norm, norm_type=norm_type)
    tn = TU.clip_grad_norm_(tp, max_norm, norm_type=norm_type)
    assert_close(en, tn)
    for a, b in zip(ep, tp):
        assert_close(a.grad, b.grad)


def test_clip_grad_norm_skips_params_without_grad_and_accepts_a_tensor():
    ep, tp = _params_with_grads(1, scale=5.0)
    ep[1].grad, tp[1].grad = None, None
    assert_close(EU.clip_grad_norm_(iter(ep), 1.0), TU.clip_grad_norm_(iter(tp), 1.0))
    assert ep[1].grad is None
    for a, b in zip(ep, tp):
        if b.grad is not None:
            assert_close(a.grad, b.grad)
    assert_close(EU.clip_grad_norm_(ep[0], 0.1), TU.clip_grad_norm_(tp[0], 0.1))
    assert_close(ep[0].grad, tp[0].grad)


def test_clip_grad_norm_float64_and_nonfinite():
    ep, tp = _params_with_grads(2, dtype=np.float64)
    assert_close(EU.clip_grad_norm_(ep, 0.3), TU.clip_grad_norm_(tp, 0.3))
    ep[0].grad.numpy()[0, 0] = float("inf")
    tp[0].grad[0, 0] = float("inf")
    with pytest.raises(RuntimeError):
        TU.clip_grad_norm_(tp, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        EU.clip_grad_norm_(ep, 1.0, error_if_nonfinite=True)


@pytest.mark.parametrize("clip", [0.1, 1.0, 10])
def test_clip_grad_value_matches_torch(clip):
    ep, tp = _params_with_grads(3)
    assert EU.clip_grad_value_(ep, clip) is None
    TU.clip_grad_value_(tp, clip)
    for a, b in zip(ep, tp):
        assert_close(a.grad, b.grad)


def test_parameters_to_vector_and_back_match_torch():
    ep, tp = _params_with_grads(4)
    ev, tv = EU.parameters_to_vector(ep), TU.parameters_to_vector(tp)
    assert_close(ev, tv)
    (ev * ev).sum().backward()  # differentiable, like torch
    (tv * tv).sum().backward()
    for a, b in zip(ep, tp):
        assert_close(a.grad, b.grad)
    new = np.arange(ev.numel(), dtype=np.float32)
    EU.vector_to_parameters(ember.tensor(new), ep)
    TU.vector_to_parameters(torch.tensor(new), tp)
    for a, b in zip(ep, tp):
        assert_close(a, b)
        assert a.requires_grad and a.is_leaf
    with pytest.raises(TypeError):
        EU.vector_to_parameters(new, ep)
    with pytest.raises(TypeError):
        TU.vector_to_parameters(new, tp)


def test_vector_to_parameters_keeps_parameter_storage():
    """ember copies into each parameter's existing array (optimizers may hold views of it); torch rebinds .data."""
    ep, _ = _params_with_grads(5)
    arrays = [p.numpy(force=True) for p in ep]
    EU.vector_to_parameters(ember.zeros(sum(p.numel() for p in ep)), ep)
    assert all(not a.any() for a in arrays)
