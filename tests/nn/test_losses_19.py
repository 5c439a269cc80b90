"""The losses of #19 against torch: multilabel_margin_loss, triplet_margin_with_distance_loss, linear_cross_entropy
(and their modules), AdaptiveLogSoftmaxWithLoss. Values, gradients, repr, state_dict keys, errors; float64 gradcheck
and gradgradcheck of each functional."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from _oracle import assert_close, torch

import ember
import ember.nn as enn
import ember.nn.functional as EF
from ember.autograd import gradcheck, gradgradcheck

tnn, TF = torch.nn, torch.nn.functional
ML_TARGET = np.array([[1, 2, -1, 0, 3], [0, -1, 2, 2, 1], [3, 2, 1, 0, 4], [-1, 0, 1, 2, 3]])


def _pairs(rng, *shapes, dtype=np.float32):
    out = []
    for s in shapes:
        a = rng.standard_normal(s).astype(dtype)
        out.append((ember.tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True)))
    return out


def _check(fe, ft, pairs, rtol=None, atol=None):
    ye, yt = fe(*[p[0] for p in pairs]), ft(*[p[1] for p in pairs])
    assert_close(ye, yt, rtol=rtol, atol=atol)
    v = np.random.default_rng(5).standard_normal(tuple(yt.shape)).astype(np.float32)
    (ye * ember.tensor(v)).sum().backward()
    (yt * torch.tensor(v)).sum().backward()
    for pe, pt in pairs:
        assert_close(pe.grad, pt.grad, rtol=rtol, atol=atol or 1e-6)


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value).replace("torch.Size", "ember.Size")  # (each library's Size repr)


# ---- multilabel_margin_loss ---------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_multilabel_margin_loss_matches_torch(reduction, rng):
    pairs = _pairs(rng, (4, 5))
    _check(lambda x: EF.multilabel_margin_loss(x, ember.tensor(ML_TARGET), reduction=reduction),
           lambda x: TF.multilabel_margin_loss(x, torch.tensor(ML_TARGET), reduction=reduction), pairs)


def test_multilabel_margin_loss_one_sample_and_module(rng):
    for red in ("none", "mean"):
        pairs = _pairs(rng, (5,))
        _check(lambda x: EF.multilabel_margin_loss(x, ember.tensor(ML_TARGET[1]), reduction=red),
               lambda x: TF.multilabel_margin_loss(x, torch.tensor(ML_TARGET[1]), reduction=red), pairs)
    me, mt = enn.MultiLabelMarginLoss(reduction="sum"), tnn.MultiLabelMarginLoss(reduction="sum")
    assert repr(me) == repr(mt)
    _check(lambda x: me(x, ember.tensor(ML_TARGET)), lambda x: mt(x, torch.tensor(ML_TARGET)), _pairs(rng, (4, 5)))


@pytest.mark.parametrize("case", [
    lambda L, x: L.nn.functional.multilabel_margin_loss(x, L.tensor(ML_TARGET[:, :3])),
    lambda L, x: L.nn.functional.multilabel_margin_loss(x, L.tensor(np.where(ML_TARGET == 4, 5, ML_TARGET))),
    lambda L, x: L.nn.functional.multilabel_margin_loss(x, L.tensor(np.where(ML_TARGET == 4, -2, ML_TARGET))),
    lambda L, x: L.nn.functional.multilabel_margin_loss(x, L.tensor(ML_TARGET).float()),
    lambda L, x: L.nn.functional.multilabel_margin_loss(x[None], L.tensor(ML_TARGET)[None]),
    lambda L, x: L.nn.functional.multilabel_margin_loss(x, L.tensor(ML_TARGET), reduction="bad"),
])
def test_multilabel_margin_loss_errors_match_torch(case, rng):
    (e, t), = _pairs(rng, (4, 5))
    assert _error(lambda: case(ember, e)) == _error(lambda: case(torch, t))


def test_multilabel_margin_loss_gradcheck(rng):
    x = ember.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    f = lambda a: EF.multilabel_margin_loss(a * 0.3, ember.tensor(ML_TARGET), reduction="none")  # noqa: E731
    assert gradcheck(f, (x,)) and gradgradcheck(f, (x,))


# ---- triplet_margin_with_distance_loss ----------------------------------------------------------------------
def _l1(lib):
    return lambda a, b: (a - b).abs().sum(-1)


@pytest.mark.parametrize("kw", [{}, dict(margin=0.5, swap=True), dict(reduction="none"), dict(reduction="sum", swap=True),
                                dict(distance_function="l1"), dict(distance_function="cos", margin=0.3)])
def test_triplet_margin_with_distance_loss_matches_torch(kw, rng):
    def make(lib):
        k = dict(kw)
        if k.get("distance_function") == "l1":
            k["distance_function"] = _l1(lib)
        elif k.get("distance_function") == "cos":
            k["distance_function"] = lambda a, b: 1 - lib.nn.functional.cosine_similarity(a, b)
        return k
    pairs = _pairs(rng, (6, 4), (6, 4), (6, 4))
    _check(lambda a, p, n: EF.triplet_margin_with_distance_loss(a, p, n, **make(ember)),
           lambda a, p, n: TF.triplet_margin_with_distance_loss(a, p, n, **make(torch)), pairs)
    me, mt = enn.TripletMarginWithDistanceLoss(**make(ember)), tnn.TripletMarginWithDistanceLoss(**make(torch))
    assert repr(me) == repr(mt) and list(me.state_dict()) == list(mt.state_dict())
    pairs = _pairs(rng, (6, 4), (6, 4), (6, 4))
    _check(me, mt, pairs)


@pytest.mark.parametrize("case", [
    lambda L, a: L.nn.functional.triplet_margin_with_distance_loss(a, a, a, margin=0),
    lambda L, a: L.nn.functional.triplet_margin_with_distance_loss(a, a[0], a),
    lambda L, a: L.nn.functional.triplet_margin_with_distance_loss(a, a, a, reduction="x"),
    lambda L, a: L.nn.TripletMarginWithDistanceLoss(margin=-1.0),
])
def test_triplet_margin_with_distance_loss_errors_match_torch(case, rng):
    (e, t), = _pairs(rng, (3, 4))
    assert _error(lambda: case(ember, e)) == _error(lambda: case(torch, t))


def test_triplet_margin_with_distance_loss_gradcheck(rng):
    xs = [ember.tensor(rng.standard_normal((5, 3)), requires_grad=True) for _ in range(3)]
    f = lambda a, p, n: EF.triplet_margin_with_distance_loss(a, p, n, swap=True, margin=2.0)  # noqa: E731
    assert gradcheck(f, xs) and gradgradcheck(f, xs)


# ---- linear_cross_entropy -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [{}, dict(reduction="none"), dict(reduction="sum", label_smoothing=0.2),
                                dict(ignore_index=2), dict(weight=True)])
def test_linear_cross_entropy_matches_torch(kw, rng):
    target = np.array([0, 4, 2, 1, 2, 3])
    w = rng.uniform(0.5, 2, 5).astype(np.float32)

    def args(lib):
        k = dict(kw)
        if k.pop("weight", None):
            k["weight"] = lib.tensor(w)
        return k
    pairs = _pairs(rng, (6, 3), (5, 3), (5,))
    _check(lambda x, W, b: EF.linear_cross_entropy(x, W, ember.tensor(target), linear_bias=b, **args(ember)),
           lambda x, W, b: TF.linear_cross_entropy(x, W, torch.tensor(target), linear_bias=b, **args(torch)), pairs)


def test_linear_cross_entropy_k_dimensional_probabilities_and_unbatched(rng):
    pairs = _pairs(rng, (2, 3), (5, 4, 2, 3))
    tgt = rng.integers(0, 5, (2, 4, 2))
    _check(lambda x, W: EF.linear_cross_entropy(x, W, ember.tensor(tgt)),
           lambda x, W: TF.linear_cross_entropy(x, W, torch.tensor(tgt)), pairs)
    probs = rng.dirichlet(np.ones(5), 6).astype(np.float32)
    pairs = _pairs(rng, (6, 3), (5, 3))
    _check(lambda x, W: EF.linear_cross_entropy(x, W, ember.tensor(probs), reduction="none"),
           lambda x, W: TF.linear_cross_entropy(x, W, torch.tensor(probs), reduction="none"), pairs)
    pairs = _pairs(rng, (3,), (5, 3))
    _check(lambda x, W: EF.linear_cross_entropy(x, W, ember.tensor(4)),
           lambda x, W: TF.linear_cross_entropy(x, W, torch.tensor(4)), pairs)


@pytest.mark.parametrize("case", [
    lambda L, x, W: L.nn.functional.linear_cross_entropy(x[None], W, L.tensor([1])),
    lambda L, x, W: L.nn.functional.linear_cross_entropy(x, W[0], L.tensor([1, 2, 3, 4, 0, 1])),
    lambda L, x, W: L.nn.functional.linear_cross_entropy(x, W[:, :2], L.tensor([1, 2, 3, 4, 0, 1])),
    lambda L, x, W: L.nn.functional.linear_cross_entropy(x, W, L.tensor([1, 2, 3, 4, 0, 1]), linear_bias=W[:, 0:2]),
    lambda L, x, W: L.nn.functional.linear_cross_entropy(x[0], W.reshape(5, 3, 1).expand(5, 3, 3), L.tensor(1)),
    lambda L, x, W: L.nn.functional.linear_cross_entropy(x, W, L.ones(6, 5) / 5, ignore_index=1),
    lambda L, x, W: L.nn.LinearCrossEntropyLoss(3, 5, weight=L.ones(4)),
    lambda L, x, W: L.nn.LinearCrossEntropyLoss(3, 5, label_smoothing=1.5),
    lambda L, x, W: L.nn.LinearCrossEntropyOptions(acc_policy="fast"),
    lambda L, x, W: L.nn.LinearCrossEntropyOptions(chunking_method="rows"),
    lambda L, x, W: L.nn.LinearCrossEntropyOptions(batch_chunk_size=0),
])
def test_linear_cross_entropy_errors_match_torch(case, rng):
    (xe, xt), (we, wt) = _pairs(rng, (6, 3), (5, 3))
    assert _error(lambda: case(ember, xe, we)) == _error(lambda: case(torch, xt, wt))


def test_linear_cross_entropy_options_give_the_same_numbers_and_warn_alike(rng):
    opts = (enn.LinearCrossEntropyOptions(batch_chunk_size=2), tnn.LinearCrossEntropyOptions(batch_chunk_size=2))
    assert repr(opts[0]) == repr(opts[1])
    pairs = _pairs(rng, (6, 3), (5, 3))
    tgt = np.array([0, 4, 2, 1, 2, 3])
    _check(lambda x, W: EF.linear_cross_entropy(x, W, ember.tensor(tgt), options=opts[0]),
           lambda x, W: TF.linear_cross_entropy(x, W, torch.tensor(tgt), options=opts[1]), pairs, rtol=1e-5, atol=1e-6)
    for lib, o in ((ember, opts[0]), (torch, opts[1])):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.nn.functional.linear_cross_entropy(lib.ones(6, 3), lib.ones(5, 3), lib.tensor(tgt), label_smoothing=0.1,
                                                   options=o)
        assert len(w) == 1 and "options`` ignored" in str(w[0].message)


@pytest.mark.parametrize("kw", [{}, dict(out_features=(2, 3), bias=True, reduction="sum", ignore_index=1),
                                dict(label_smoothing=0.1, reduction="none")])
def test_linear_cross_entropy_loss_module_matches_torch(kw, rng):
    me, mt = enn.LinearCrossEntropyLoss(4, 5, **kw), tnn.LinearCrossEntropyLoss(4, 5, **kw)
    assert repr(me) == repr(mt) and list(me.state_dict()) == list(mt.state_dict())
    assert me.linear.weight.shape == mt.linear.weight.shape
    me.load_state_dict({k: ember.tensor(v.detach().numpy().copy()) for k, v in mt.state_dict().items()})
    tgt = rng.integers(0, 5, (3, *kw.get("out_features", ())))
    _check(lambda x: me(x, ember.tensor(tgt)), lambda x: mt(x, torch.tensor(tgt)), _pairs(rng, (3, 4)))
    for (n, pe), (_, pt) in zip(me.named_parameters(), mt.named_parameters()):
        assert_close(pe.grad, pt.grad, atol=1e-6, msg=n)


def test_linear_cross_entropy_gradcheck(rng):
    xs = [ember.tensor(rng.standard_normal(s), requires_grad=True) for s in ((4, 3), (5, 3), (5,))]
    f = lambda x, W, b: EF.linear_cross_entropy(x, W, ember.tensor([0, 4, 2, 1]), linear_bias=b,  # noqa: E731
                                                label_smoothing=0.1, reduction="none")
    assert gradcheck(f, xs) and gradgradcheck(f, xs)


# ---- AdaptiveLogSoftmaxWithLoss -----------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [dict(cutoffs=[5, 10]), dict(cutoffs=[3], div_value=2.0, head_bias=True)])
def test_adaptive_log_softmax_matches_torch(kw, rng):
    me, mt = enn.AdaptiveLogSoftmaxWithLoss(16, 20, **kw), tnn.AdaptiveLogSoftmaxWithLoss(16, 20, **kw)
    assert repr(me) == repr(mt) and list(me.state_dict()) == list(mt.state_dict())
    for (n, pe), (_, pt) in zip(me.named_parameters(), mt.named_parameters()):
        assert pe.shape == pt.shape, n
    me.load_state_dict({k: ember.tensor(v.detach().numpy().copy()) for k, v in mt.state_dict().items()})
    (xe, xt), = _pairs(rng, (8, 16))
    tgt = np.array([1, 7, 19, 0, 12, 4, 5, 10])
    oe, ot = me(xe, ember.tensor(tgt)), mt(xt, torch.tensor(tgt))
    assert type(oe).__name__ == "_ASMoutput" and oe._fields == ("output", "loss")
    assert_close(oe.output, ot.output), assert_close(oe.loss, ot.loss)
    (oe.output.sum() + oe.loss).backward(), (ot.output.sum() + ot.loss).backward()
    assert_close(xe.grad, xt.grad, atol=1e-6)
    for (n, pe), (_, pt) in zip(me.named_parameters(), mt.named_parameters()):
        assert_close(pe.grad, pt.grad, atol=1e-6, msg=n)
    assert_close(me.log_prob(xe), mt.log_prob(xt))
    for scale in (1.0, 8.0):
        assert_close(me.predict(xe.detach() * scale), mt.predict(xt.detach() * scale))
    one_e, one_t = me(xe[0], ember.tensor(tgt[0])), mt(xt[0], torch.tensor(tgt[0]))
    assert_close(one_e.output, one_t.output), assert_close(one_e.loss, one_t.loss)


@pytest.mark.parametrize("case", [
    lambda L, x: L.nn.AdaptiveLogSoftmaxWithLoss(16, 20, []),
    lambda L, x: L.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [10, 5]),
    lambda L, x: L.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [5, 20]),
    lambda L, x: L.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [5, 5]),
    lambda L, x: L.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [5, 10])(x, L.tensor([1, 2])),
    lambda L, x: L.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [5, 10])(x, L.tensor([1, 2, 3, 20])),
    lambda L, x: L.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [5, 10])(x, L.tensor([[1, 2, 3, 4]])),
    lambda L, x: L.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [5, 10])(x, L.tensor(1)),
    lambda L, x: L.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [5, 10])(x[None], L.tensor([1, 2, 3, 4])),
])
def test_adaptive_log_softmax_errors_match_torch(case, rng):
    (e, t), = _pairs(rng, (4, 16))
    assert _error(lambda: case(ember, e)) == _error(lambda: case(torch, t))


def test_adaptive_log_softmax_gradcheck(rng):
    ember.manual_seed(0)
    m = enn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, dtype=ember.float64)
    x = ember.tensor(rng.standard_normal((5, 8)), requires_grad=True)
    f = lambda a: m(a, ember.tensor([0, 4, 9, 2, 7])).output  # noqa: E731
    assert gradcheck(f, (x,)) and gradgradcheck(f, (x,))
