"""Embedding vs torch: lookup, gradients (padding_idx, scale_grad_by_freq), max_norm, from_pretrained, errors."""
from __future__ import annotations

import numpy as np
import pytest
from _oracle import assert_close, torch

import ember
import ember.nn.functional as F
from ember import nn


def _pair(*args, **kwargs):
    t = torch.nn.Embedding(*args, **kwargs)
    e = nn.Embedding(*args, **kwargs)
    e.load_state_dict({k: v.detach().numpy().copy() for k, v in t.state_dict().items()})
    return e, t


@pytest.mark.parametrize("kwargs", [
    {}, dict(padding_idx=0), dict(padding_idx=-2), dict(scale_grad_by_freq=True),
    dict(max_norm=1.0), dict(max_norm=0.5, norm_type=1.0, padding_idx=3),
])
def test_embedding_matches_torch(kwargs, rng):
    e, t = _pair(10, 4, **kwargs)
    idx = rng.integers(0, 10, (3, 5))
    idx[0, :3] = 3  # repeated indices
    oe, ot = e(ember.tensor(idx)), t(torch.tensor(idx))
    assert_close(oe, ot)
    g = rng.standard_normal(tuple(ot.shape)).astype(np.float32)
    oe.backward(ember.tensor(g))
    ot.backward(torch.tensor(g))
    assert_close(e.weight.grad, t.weight.grad)
    assert_close(e.weight, t.weight)  # max_norm renormalises rows in place, as torch
    assert repr(e) == repr(t)


def test_embedding_init_padding_row_zero_and_state_dict():
    e = nn.Embedding(20, 3, padding_idx=4)
    w = e.weight.detach().numpy()
    assert np.all(w[4] == 0)
    assert 0.5 < w.std() < 1.5  # N(0, 1)
    assert list(e.state_dict()) == ["weight"]


def test_embedding_int32_indices_and_functional(rng):
    w = rng.standard_normal((6, 3)).astype(np.float32)
    idx = np.array([[1, 5], [0, 0]], np.int32)
    we, wt = ember.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    oe, ot = F.embedding(ember.tensor(idx), we, padding_idx=0), torch.nn.functional.embedding(torch.tensor(idx), wt, padding_idx=0)
    assert_close(oe, ot)
    (oe * 2).sum().backward()
    (ot * 2).sum().backward()
    assert_close(we.grad, wt.grad)


def test_from_pretrained_matches_torch(rng):
    w = rng.standard_normal((5, 2)).astype(np.float32)
    for freeze in (True, False):
        e = nn.Embedding.from_pretrained(ember.tensor(w), freeze=freeze, padding_idx=1)
        t = torch.nn.Embedding.from_pretrained(torch.tensor(w), freeze=freeze, padding_idx=1)
        assert e.weight.requires_grad == t.weight.requires_grad
        assert_close(e(ember.tensor([1, 4])), t(torch.tensor([1, 4])))
        assert repr(e) == repr(t)


def _assert_same_error(fe, ft):
    with pytest.raises(Exception) as te:
        ft()
    with pytest.raises(type(te.value)) as ee:
        fe()
    assert str(ee.value) == str(te.value)


def test_embedding_errors_match_torch():
    _assert_same_error(lambda: nn.Embedding(5, 3)(ember.tensor([5])), lambda: torch.nn.Embedding(5, 3)(torch.tensor([5])))
    _assert_same_error(lambda: nn.Embedding(5, 3)(ember.tensor([-1])), lambda: torch.nn.Embedding(5, 3)(torch.tensor([-1])))
    _assert_same_error(lambda: nn.Embedding(5, 3)(ember.tensor([1.0])), lambda: torch.nn.Embedding(5, 3)(torch.tensor([1.0])))
    _assert_same_error(lambda: nn.Embedding(5, 3, padding_idx=5), lambda: torch.nn.Embedding(5, 3, padding_idx=5))
    _assert_same_error(lambda: nn.Embedding(5, 3, padding_idx=-6), lambda: torch.nn.Embedding(5, 3, padding_idx=-6))
    _assert_same_error(lambda: nn.Embedding.from_pretrained(ember.zeros(3)), lambda: torch.nn.Embedding.from_pretrained(torch.zeros(3)))


def test_embedding_gradcheck_float64(rng):
    w = ember.tensor(rng.standard_normal((6, 3)), requires_grad=True)
    idx = ember.tensor([[0, 2, 2], [5, 1, 0]])
    # padding_idx and scale_grad_by_freq deliberately alter the gradient (checked against torch above)
    assert ember.autograd.gradcheck(lambda w: F.embedding(idx, w), [w])
