"""F.ctc_loss / nn.CTCLoss against torch: values and gradients for every reduction, padded and concatenated
targets, unbatched input, zero_infinity, unnormalised log_probs (torch's gradient formula), argument errors; float64
gradcheck and gradgradcheck."""
from __future__ import annotations

import numpy as np
import pytest

from _oracle import assert_close, torch

import ember
import ember.nn as enn
import ember.nn.functional as EF
from ember.autograd import gradcheck, gradgradcheck

TF = torch.nn.functional
TARGETS = np.array([[1, 2, 2, 3], [3, 1, 0, 0], [4, 4, 0, 0], [2, 0, 0, 0]])
IN_LEN, TGT_LEN = np.array([9, 7, 9, 3]), np.array([4, 2, 2, 1])


def _both(x, normalise=True):
    e = ember.tensor(x.copy())
    t = torch.tensor(x.copy())
    if normalise:
        e, t = e.log_softmax(-1), t.log_softmax(-1)
    return e.detach().requires_grad_(), t.detach().requires_grad_()


def _compare(x, targets, il, tl, normalise=True, rtol=None, atol=None, **kw):
    e, t = _both(x, normalise)
    le = EF.ctc_loss(e, ember.tensor(targets), ember.tensor(il), ember.tensor(tl), **kw)
    lt = TF.ctc_loss(t, torch.tensor(targets), torch.tensor(il), torch.tensor(tl), **kw)
    assert_close(le, lt, rtol=rtol, atol=atol)
    v = np.random.default_rng(1).standard_normal(tuple(lt.shape)).astype(x.dtype)
    (le * ember.tensor(v)).sum().backward()
    (lt * torch.tensor(v)).sum().backward()
    assert_close(e.grad, t.grad, rtol=rtol, atol=atol or 1e-6)


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ctc_loss_matches_torch_for_each_reduction(reduction, dtype, rng):
    x = rng.standard_normal((9, 4, 5)).astype(dtype)
    _compare(x, TARGETS, IN_LEN, TGT_LEN, reduction=reduction)


def test_ctc_loss_concatenated_targets_match_torch(rng):
    x = rng.standard_normal((9, 4, 5)).astype(np.float32)
    flat = np.concatenate([row[:k] for row, k in zip(TARGETS, TGT_LEN)])
    _compare(x, flat, IN_LEN, TGT_LEN, reduction="none")


def test_ctc_loss_blank_elsewhere_and_repeated_labels_match_torch(rng):
    x = rng.standard_normal((12, 3, 6)).astype(np.float32)
    tg = np.array([[1, 1, 2, 2, 0], [5, 5, 5, 1, 1], [3, 0, 0, 0, 0]])
    _compare(x, tg, np.array([12, 10, 4]), np.array([5, 5, 0]), blank=4, reduction="none")


def test_ctc_loss_gradient_of_unnormalised_log_probs_is_torchs(rng):
    x = rng.standard_normal((9, 4, 5)).astype(np.float32)
    _compare(x, TARGETS, IN_LEN, TGT_LEN, normalise=False, reduction="sum")


def test_ctc_loss_unbatched_matches_torch(rng):
    x = rng.standard_normal((7, 5)).astype(np.float32)
    for red in ("none", "mean"):
        _compare(x, np.array([1, 3, 3]), np.array([7]), np.array([3]), reduction=red)
    e, t = _both(x)
    assert_close(EF.ctc_loss(e, ember.tensor([1, 3]), ember.tensor(7), ember.tensor(2)),
                 TF.ctc_loss(t, torch.tensor([1, 3]), torch.tensor(7), torch.tensor(2)))


def test_ctc_loss_lengths_as_tuples_and_int32(rng):
    x = rng.standard_normal((9, 4, 5)).astype(np.float32)
    e, t = _both(x)
    got = EF.ctc_loss(e, ember.tensor(TARGETS.astype(np.int32)), tuple(IN_LEN.tolist()), list(TGT_LEN.tolist()))
    assert_close(got, TF.ctc_loss(t, torch.tensor(TARGETS), tuple(IN_LEN.tolist()), tuple(TGT_LEN.tolist())))


def test_ctc_loss_impossible_target_is_inf_with_nan_grad_or_zero_with_zero_infinity(rng):
    x = rng.standard_normal((3, 2, 5))  # target 1 1 1 needs 5 frames: no alignment in 3
    tg, il, tl = np.array([[1, 1, 1], [2, 3, 0]]), np.array([3, 3]), np.array([3, 2])
    for zi in (False, True):
        e, t = _both(x)
        le = EF.ctc_loss(e, ember.tensor(tg), ember.tensor(il), ember.tensor(tl), reduction="none", zero_infinity=zi)
        lt = TF.ctc_loss(t, torch.tensor(tg), torch.tensor(il), torch.tensor(tl), reduction="none", zero_infinity=zi)
        assert_close(le, lt)
        le.sum().backward(), lt.sum().backward()
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-7, atol=1e-10)  # (nan where torch's are)
    assert np.isinf(le.detach().numpy()).sum() == 0 and np.isnan(e.grad.numpy()).sum() == 0


def test_ctc_loss_with_no_input_frames_matches_torch(rng):
    """No frames: the empty target's loss is 0, any other's inf (0 with zero_infinity); no gradient reaches them."""
    x = rng.standard_normal((4, 3, 5))
    args = (np.array([[1, 2], [0, 0], [3, 0]]), np.array([4, 0, 0]), np.array([2, 0, 1]))
    _compare(x, *args, reduction="none", zero_infinity=True)
    e, t = _both(x)
    assert_close(EF.ctc_loss(e, *map(ember.tensor, args), reduction="none"),
                 TF.ctc_loss(t, *map(torch.tensor, args), reduction="none"))


def test_ctc_loss_module_matches_torch(rng):
    x = rng.standard_normal((9, 4, 5)).astype(np.float32)
    for kw in ({}, dict(blank=4, reduction="sum", zero_infinity=True)):
        me, mt = enn.CTCLoss(**kw), torch.nn.CTCLoss(**kw)
        assert repr(me) == repr(mt) and list(me.state_dict()) == list(mt.state_dict()) == []
        tg = np.where(TARGETS == kw.get("blank", 0), 1, TARGETS)
        e, t = _both(x)
        assert_close(me(e, ember.tensor(tg), ember.tensor(IN_LEN), ember.tensor(TGT_LEN)),
                     mt(t, torch.tensor(tg), torch.tensor(IN_LEN), torch.tensor(TGT_LEN)))


def _error(lib, fn):
    with pytest.raises(Exception) as info:
        fn(lib)
    return type(info.value), str(info.value)


@pytest.mark.parametrize("case", [
    lambda L, lp: L.nn.functional.ctc_loss(lp, L.tensor(TARGETS), L.tensor(IN_LEN), L.tensor(TGT_LEN), reduction="x"),
    lambda L, lp: L.nn.functional.ctc_loss(lp, L.tensor(TARGETS), L.tensor([10, 7, 9, 3]), L.tensor(TGT_LEN)),
    lambda L, lp: L.nn.functional.ctc_loss(lp, L.tensor(TARGETS), L.tensor([-1, 7, 9, 3]), L.tensor(TGT_LEN)),
    lambda L, lp: L.nn.functional.ctc_loss(lp, L.tensor(TARGETS), L.tensor(IN_LEN), L.tensor([5, 1, 1, 1])),
    lambda L, lp: L.nn.functional.ctc_loss(lp, L.tensor(TARGETS), L.tensor(IN_LEN), L.tensor([-1, 1, 1, 1])),
    lambda L, lp: L.nn.functional.ctc_loss(lp, L.tensor(TARGETS), L.tensor(IN_LEN[:3]), L.tensor(TGT_LEN)),
    lambda L, lp: L.nn.functional.ctc_loss(lp, L.tensor(TARGETS), L.tensor(IN_LEN), L.tensor(TGT_LEN[:2])),
    lambda L, lp: L.nn.functional.ctc_loss(lp, L.tensor(TARGETS), L.tensor(IN_LEN * 1.0), L.tensor(TGT_LEN)),
    lambda L, lp: L.nn.functional.ctc_loss(lp, L.tensor(TARGETS), L.tensor(IN_LEN), L.tensor(TGT_LEN), blank=5),
    lambda L, lp: L.nn.functional.ctc_loss(lp, L.tensor(TARGETS), L.tensor(IN_LEN), L.tensor(TGT_LEN), blank=-1),
    lambda L, lp: L.nn.functional.ctc_loss(lp, L.tensor([1, 2, 3]), L.tensor(IN_LEN), L.tensor(TGT_LEN)),
    lambda L, lp: L.nn.functional.ctc_loss(lp, L.tensor(TARGETS[:, :3]), L.tensor(IN_LEN), L.tensor(TGT_LEN)),
])
def test_ctc_loss_errors_match_torch(case, rng):
    x = rng.standard_normal((9, 4, 5)).astype(np.float32)
    e, t = _both(x)
    assert _error(ember, lambda L: case(L, e)) == _error(torch, lambda L: case(L, t))


def test_ctc_loss_gradcheck_and_gradgradcheck(rng):
    x = ember.tensor(rng.standard_normal((5, 2, 3)), requires_grad=True)
    tg, il, tl = ember.tensor([[1, 2, 2], [2, 0, 0]]), ember.tensor([5, 4]), ember.tensor([3, 1])
    for red in ("none", "mean"):
        def f(a):
            return EF.ctc_loss(a.log_softmax(2), tg, il, tl, reduction=red)
        assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))
