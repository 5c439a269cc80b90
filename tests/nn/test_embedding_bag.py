"""F.embedding_bag / nn.EmbeddingBag against torch: each mode, 2-D bags and 1-D bags with offsets (empty bags,
include_last_offset), per_sample_weights, padding_idx, max_norm, scale_grad_by_freq; values, gradients of weight
and per_sample_weights, repr, state_dict, init statistics, errors; float64 gradcheck and gradgradcheck."""
from __future__ import annotations

import numpy as np
import pytest

from _oracle import assert_close, torch

import ember
import ember.nn as enn
import ember.nn.functional as EF
from ember.autograd import gradcheck, gradgradcheck

TF = torch.nn.functional
IDX = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 7])
OFFSETS = np.array([0, 2, 2, 5, 9])  # (bag 1 is empty)


def _weights(rng, n=10, d=3, dtype=np.float32):
    w = rng.standard_normal((n, d)).astype(dtype)
    return ember.tensor(w.copy(), requires_grad=True), torch.tensor(w.copy(), requires_grad=True)


def _compare(rng, inp, offsets=None, psw=None, grad=True, **kw):
    we, wt = _weights(rng)
    pe = pt = None
    if psw is not None:
        pe, pt = ember.tensor(psw.copy(), requires_grad=True), torch.tensor(psw.copy(), requires_grad=True)
    oe = ember.tensor(offsets) if offsets is not None else None
    ot = torch.tensor(offsets) if offsets is not None else None
    ye = EF.embedding_bag(ember.tensor(inp), we, oe, per_sample_weights=pe, **kw)
    yt = TF.embedding_bag(torch.tensor(inp), wt, ot, per_sample_weights=pt, **kw)
    assert_close(ye, yt)
    if not grad:
        return
    v = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    (ye * ember.tensor(v)).sum().backward()
    (yt * torch.tensor(v)).sum().backward()
    assert_close(we.grad, wt.grad, atol=1e-6)
    if psw is not None:
        assert_close(pe.grad, pt.grad, atol=1e-6)
    assert_close(we.detach(), wt.detach())  # (max_norm renormalises in place alike)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_offsets_match_torch(mode, rng):
    _compare(rng, IDX, OFFSETS, mode=mode)
    _compare(rng, IDX, np.append(OFFSETS, 10), mode=mode, include_last_offset=True)
    _compare(rng, IDX, OFFSETS, mode=mode, padding_idx=4)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_entries_past_the_last_offset_as_torch(mode, rng):
    """include_last_offset with entries past the last offset: torch's sum leaves them out, its mean counts them in
    the bag size, its max takes them in; ember gives the same values, and the gradient of those values (torch's
    gradients there are not comparable: its mean's reaches the left-out entries, its sum's reads unset memory; nor
    are its values with a padding_idx as well, which match neither reading)."""
    _compare(rng, IDX, OFFSETS, mode=mode, include_last_offset=True, grad=False)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_2d_input_matches_torch(mode, rng):
    _compare(rng, IDX.reshape(2, 5), mode=mode)
    _compare(rng, IDX.reshape(5, 2), mode=mode, padding_idx=-1)  # (index 9: the last row)


def test_embedding_bag_per_sample_weights_match_torch(rng):
    psw = rng.standard_normal(IDX.shape).astype(np.float32)
    _compare(rng, IDX, OFFSETS, psw=psw, mode="sum")
    _compare(rng, IDX.reshape(2, 5), psw=psw.reshape(2, 5), mode="sum", padding_idx=2)


def test_embedding_bag_max_norm_and_scale_grad_by_freq_match_torch(rng):
    _compare(rng, IDX, OFFSETS, mode="mean", max_norm=1.0)
    _compare(rng, IDX, OFFSETS, mode="sum", max_norm=0.5, norm_type=1.0)


def test_embedding_bag_scale_grad_by_freq_is_embeddings(rng):
    """torch's CPU embedding_bag scales the rows' gradients by frequencies it assigns to the wrong rows (for IDX:
    rows 3, 5, 7 halved, row 4 not); ember divides by each index's frequency as torch's F.embedding does, checked
    against F.embedding followed by torch's own bag sum."""
    we, wt = _weights(rng)
    bag = torch.tensor(np.searchsorted(OFFSETS, np.arange(10), side="right") - 1)
    for mode in ("sum", "mean"):
        ye = EF.embedding_bag(ember.tensor(IDX), we, ember.tensor(OFFSETS), mode=mode, scale_grad_by_freq=True)
        rows = TF.embedding(torch.tensor(IDX), wt, scale_grad_by_freq=True)
        yt = torch.zeros(5, 3).index_add(0, bag, rows)
        if mode == "mean":
            yt = yt / torch.bincount(bag, minlength=5).clamp(min=1)[:, None]
        assert_close(ye, yt)
        v = rng.standard_normal((5, 3)).astype(np.float32)
        (ye * ember.tensor(v)).sum().backward(), (yt * torch.tensor(v)).sum().backward()
        assert_close(we.grad, wt.grad, atol=1e-6)
        we.grad = wt.grad = None


def test_embedding_bag_empty_input_and_int32_offsets(rng):
    _compare(rng, np.zeros(0, np.int64), np.array([0, 0]))
    _compare(rng, IDX.astype(np.int32), OFFSETS.astype(np.int32), mode="sum")


@pytest.mark.parametrize("kw", [dict(mode="mean"), dict(mode="sum", padding_idx=2, max_norm=1.5, norm_type=1.0),
                                dict(mode="max", include_last_offset=True)])
def test_embedding_bag_module_matches_torch(kw, rng):
    me, mt = enn.EmbeddingBag(10, 4, **kw), torch.nn.EmbeddingBag(10, 4, **kw)
    assert repr(me) == repr(mt) and list(me.state_dict()) == list(mt.state_dict())
    w = me.weight.detach().numpy()
    assert abs(w.std() - 1) < 0.35 and (kw.get("padding_idx") is None or not w[2].any())
    me.load_state_dict({"weight": ember.tensor(mt.weight.detach().numpy().copy())})
    ye, yt = me(ember.tensor(IDX), ember.tensor(OFFSETS)), mt(torch.tensor(IDX), torch.tensor(OFFSETS))
    assert_close(ye, yt)
    ye.sum().backward(), yt.sum().backward()
    assert_close(me.weight.grad, mt.weight.grad, atol=1e-6)


def test_embedding_bag_repr_with_every_option_matches_torch():
    kw = dict(max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, mode="sum", padding_idx=-2)
    assert repr(enn.EmbeddingBag(5, 3, **kw)) == repr(torch.nn.EmbeddingBag(5, 3, **kw))


def test_embedding_bag_from_pretrained_matches_torch(rng):
    w = rng.standard_normal((10, 3)).astype(np.float32)
    me = enn.EmbeddingBag.from_pretrained(ember.tensor(w), mode="sum")
    mt = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(w), mode="sum")
    assert repr(me) == repr(mt) and me.weight.requires_grad is False
    assert_close(me(ember.tensor(IDX.reshape(2, 5))), mt(torch.tensor(IDX.reshape(2, 5))))


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    msg = str(info.value).split("\n[ torch.")[0]  # (torch's C++ checks append the offending tensor's type)
    return type(info.value), msg.replace("torch.Size", "ember.Size").replace("'torch.Tensor'", "'ember.tensor.Tensor'")


@pytest.mark.parametrize("case", [
    lambda L, w: L.nn.functional.embedding_bag(L.tensor(IDX), w, L.tensor([1, 2])),
    lambda L, w: L.nn.functional.embedding_bag(L.tensor(IDX), w, L.tensor([0, 11])),
    lambda L, w: L.nn.functional.embedding_bag(L.tensor(IDX), w),
    lambda L, w: L.nn.functional.embedding_bag(L.tensor(IDX), w, L.tensor([[0, 2]])),
    lambda L, w: L.nn.functional.embedding_bag(L.tensor(IDX.reshape(2, 5)), w, L.tensor([0, 2])),
    lambda L, w: L.nn.functional.embedding_bag(L.tensor(IDX.reshape(1, 2, 5)), w),
    lambda L, w: L.nn.functional.embedding_bag(L.tensor(IDX), w[0], L.tensor([0, 2])),
    lambda L, w: L.nn.functional.embedding_bag(L.tensor(IDX), w, L.tensor([0, 2]), mode="min"),
    lambda L, w: L.nn.functional.embedding_bag(L.tensor(IDX), w, L.tensor([0, 2]), mode="max", scale_grad_by_freq=True),
    lambda L, w: L.nn.functional.embedding_bag(L.tensor(IDX), w, L.tensor([0, 2]), mode="max", sparse=True),
    lambda L, w: L.nn.functional.embedding_bag(L.tensor(IDX), w, L.tensor([0, 2]), per_sample_weights=L.ones(10)),
    lambda L, w: L.nn.functional.embedding_bag(L.tensor(IDX), w, L.tensor([0, 2]), mode="sum",
                                               per_sample_weights=L.ones(9)),
    lambda L, w: L.nn.functional.embedding_bag(L.tensor(IDX), w, L.tensor([0, 2]), mode="sum",
                                               per_sample_weights=L.ones(10, dtype=L.float64)),
    lambda L, w: L.nn.functional.embedding_bag(L.tensor(IDX * 1.0), w.detach().double(), L.tensor([0, 2])),
    lambda L, w: L.nn.functional.embedding_bag(L.tensor(IDX + 1), w, L.tensor([0, 2])),
    lambda L, w: L.nn.functional.embedding_bag(L.tensor(IDX), w, L.tensor([0, 2]), padding_idx=10),
    lambda L, w: L.nn.EmbeddingBag(10, 3, padding_idx=-11),
    lambda L, w: L.nn.EmbeddingBag(10, 3, _weight=L.ones(3, 10)),
])
def test_embedding_bag_errors_match_torch(case, rng):
    we, wt = _weights(rng)
    assert _error(lambda: case(ember, we)) == _error(lambda: case(torch, wt))


def test_embedding_bag_gradcheck_and_gradgradcheck(rng):
    w = ember.tensor(rng.standard_normal((10, 3)), requires_grad=True)
    psw = ember.tensor(rng.standard_normal(IDX.shape), requires_grad=True)
    for mode in ("sum", "mean", "max"):
        def f(a, p):
            p = p if mode == "sum" else None
            return EF.embedding_bag(ember.tensor(IDX), a * a, ember.tensor(OFFSETS), mode=mode, per_sample_weights=p)
        assert gradcheck(f, (w, psw)) and gradgradcheck(f, (w, psw))
