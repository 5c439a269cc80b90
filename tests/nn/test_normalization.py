"""BatchNorm / LayerNorm / GroupNorm / channel dropout vs torch: values, gradients, running statistics, errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from _oracle import assert_close, torch

import ember
import ember.nn.functional as F
from ember import nn

TF = torch.nn.functional
TOL = dict(rtol=1e-4, atol=1e-5)


def _pair(e_cls, t_cls, *args, **kwargs):
    t = t_cls(*args, **kwargs)
    e = e_cls(*args, **kwargs)
    with torch.no_grad():  # non-trivial affine parameters
        for p in t.parameters():
            p.copy_(torch.randn_like(p))
    e.load_state_dict({k: v.detach().numpy().copy() for k, v in t.state_dict().items()})
    return e, t


def _step(e, t, x, rng):
    """One forward + backward; compare output, input gradient and parameter gradients."""
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    oe, ot = e(xe), t(xt)
    assert_close(oe, ot, **TOL)
    g = rng.standard_normal(tuple(ot.shape)).astype(np.float32)
    oe.backward(ember.tensor(g))
    ot.backward(torch.tensor(g))
    assert_close(xe.grad, xt.grad, **TOL)
    for (n, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        assert_close(pe.grad, pt.grad, **TOL, msg=n)


def _same_state(e, t):
    es, ts = e.state_dict(), t.state_dict()
    assert list(es) == list(ts)
    for k in ts:
        assert_close(es[k], ts[k], **TOL, msg=k)


@pytest.mark.parametrize("cls,shape", [
    ("BatchNorm1d", (8, 5)), ("BatchNorm1d", (4, 5, 7)), ("BatchNorm2d", (4, 5, 3, 6)),
])
@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
def test_batchnorm_training_and_running_stats_match_torch(cls, shape, momentum, rng):
    e, t = _pair(getattr(nn, cls), getattr(torch.nn, cls), shape[1], momentum=momentum)
    for _ in range(4):
        x = (rng.standard_normal(shape) * 3 + 1.5).astype(np.float32)
        _step(e, t, x, rng)
        _same_state(e, t)
    assert int(e.num_batches_tracked.item()) == 4
    e.eval(), t.eval()
    _step(e, t, rng.standard_normal(shape).astype(np.float32), rng)
    _same_state(e, t)


@pytest.mark.parametrize("kwargs", [dict(affine=False), dict(track_running_stats=False),
                                    dict(affine=False, track_running_stats=False), dict(eps=1e-2)])
def test_batchnorm_options_match_torch(kwargs, rng):
    e, t = _pair(nn.BatchNorm2d, torch.nn.BatchNorm2d, 3, **kwargs)
    assert list(e.state_dict()) == list(t.state_dict())
    assert repr(e) == repr(t)
    for mode in ("train", "eval"):
        getattr(e, mode)(), getattr(t, mode)()
        _step(e, t, rng.standard_normal((4, 3, 5, 5)).astype(np.float32), rng)
        _same_state(e, t)


def test_batchnorm_reset_running_stats_and_defaults():
    e = nn.BatchNorm1d(3)
    e(ember.randn(6, 3) * 4)
    assert e.num_batches_tracked.dtype == ember.int64
    e.reset_running_stats()
    _same_state(e, torch.nn.BatchNorm1d(3))
    assert isinstance(e, nn.modules.normalization._BatchNorm)
    assert isinstance(e, nn.modules.normalization._NormBase)


def test_batchnorm_update_under_no_grad_like_torch(rng):
    e, t = _pair(nn.BatchNorm1d, torch.nn.BatchNorm1d, 4)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    with ember.no_grad():
        oe = e(ember.tensor(x))
    with torch.no_grad():
        ot = t(torch.tensor(x))
    assert_close(oe, ot, **TOL)
    _same_state(e, t)


def test_functional_batch_norm_matches_torch(rng):
    x = rng.standard_normal((6, 3, 4)).astype(np.float32)
    rm, rv = rng.standard_normal(3).astype(np.float32), rng.random(3).astype(np.float32) + 0.5
    w, b = rng.standard_normal(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    for training in (True, False):
        erm, erv, trm, trv = ember.tensor(rm), ember.tensor(rv), torch.tensor(rm), torch.tensor(rv)
        oe = F.batch_norm(ember.tensor(x), erm, erv, ember.tensor(w), ember.tensor(b), training, 0.2, 1e-3)
        ot = TF.batch_norm(torch.tensor(x), trm, trv, torch.tensor(w), torch.tensor(b), training, 0.2, 1e-3)
        assert_close(oe, ot, **TOL)
        assert_close(erm, trm, **TOL)
        assert_close(erv, trv, **TOL)


def test_batchnorm_gradcheck_float64(rng):
    x = ember.tensor(rng.standard_normal((4, 3, 2, 2)), requires_grad=True)
    w = ember.tensor(rng.standard_normal(3), requires_grad=True)
    b = ember.tensor(rng.standard_normal(3), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), [x, w, b])
    rm, rv = ember.tensor(rng.standard_normal(3)), ember.tensor(rng.random(3) + 0.5)
    assert ember.autograd.gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, False), [x, w, b])


def _assert_same_error(fe, ft):
    with pytest.raises(Exception) as te:
        ft()
    with pytest.raises(type(te.value)) as ee:
        fe()
    assert str(ee.value).replace("ember", "torch") == str(te.value)


@pytest.mark.parametrize("cls,n,shape", [
    ("BatchNorm1d", 3, (1, 3)), ("BatchNorm2d", 3, (1, 3, 1, 1)),  # one value per channel in training
    ("BatchNorm2d", 3, (1, 3, 1)), ("BatchNorm1d", 3, (1, 3, 4, 5)),  # wrong rank
    ("BatchNorm2d", 3, (2, 4, 2, 2)), ("BatchNorm1d", 3, (2, 4)),  # wrong channel count
])
def test_batchnorm_errors_match_torch(cls, n, shape):
    x = np.ones(shape, np.float32)
    _assert_same_error(lambda: getattr(nn, cls)(n)(ember.tensor(x)), lambda: getattr(torch.nn, cls)(n)(torch.tensor(x)))


def test_batchnorm_error_leaves_running_stats_untouched_in_eval_mode_one_value_ok():
    e, t = nn.BatchNorm1d(3).eval(), torch.nn.BatchNorm1d(3).eval()
    x = np.ones((1, 3), np.float32)
    assert_close(e(ember.tensor(x)), t(torch.tensor(x)))


# ---- LayerNorm / GroupNorm --------------------------------------------------------------------------
@pytest.mark.parametrize("shape,norm,kwargs", [
    ((4, 7), 7, {}), ((2, 3, 4, 5), (4, 5), {}), ((3, 6), 6, dict(elementwise_affine=False)),
    ((3, 2, 6), 6, dict(bias=False)), ((2, 5), [5], dict(eps=1e-2)),
])
def test_layernorm_matches_torch(shape, norm, kwargs, rng):
    e, t = _pair(nn.LayerNorm, torch.nn.LayerNorm, norm, **kwargs)
    assert repr(e) == repr(t)
    _step(e, t, (rng.standard_normal(shape) * 2 + 1).astype(np.float32), rng)


@pytest.mark.parametrize("groups,shape,kwargs", [
    (2, (3, 4, 5), {}), (3, (2, 6, 3, 4), {}), (1, (2, 4, 3), dict(affine=False)), (4, (2, 4, 2, 2), dict(eps=1e-3)),
])
def test_groupnorm_matches_torch(groups, shape, kwargs, rng):
    e, t = _pair(nn.GroupNorm, torch.nn.GroupNorm, groups, shape[1], **kwargs)
    assert repr(e) == repr(t)
    _step(e, t, (rng.standard_normal(shape) * 2 - 1).astype(np.float32), rng)


def test_layer_and_group_norm_gradcheck_float64(rng):
    x = ember.tensor(rng.standard_normal((2, 4, 3)), requires_grad=True)
    w = ember.tensor(rng.standard_normal(3), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x, w: F.layer_norm(x, (3,), w, w * 0.5), [x, w])
    w4 = ember.tensor(rng.standard_normal(4), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x, w: F.group_norm(x, 2, w, w * 2), [x, w4])


def test_layer_and_group_norm_errors_match_torch():
    x = np.zeros((2, 4), np.float32)
    _assert_same_error(lambda: nn.LayerNorm(3)(ember.tensor(x)), lambda: torch.nn.LayerNorm(3)(torch.tensor(x)))
    _assert_same_error(lambda: nn.GroupNorm(3, 4), lambda: torch.nn.GroupNorm(3, 4))
    x = np.zeros((2, 3, 5), np.float32)
    _assert_same_error(lambda: F.group_norm(ember.tensor(x), 2), lambda: TF.group_norm(torch.tensor(x), 2))


# ---- channel dropout ------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,shape", [("Dropout1d", (8, 16, 5)), ("Dropout1d", (16, 5)),
                                       ("Dropout2d", (8, 16, 3, 3)), ("Dropout2d", (16, 4, 3))])
def test_channel_dropout_zeroes_whole_channels_and_scales(cls, shape):
    m = getattr(nn, cls)(0.25)
    x = ember.ones(*shape, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = m(x)
    a = out.detach().numpy()
    lead = 1 if len(shape) == 2 else 2
    per_channel = a.reshape(*shape[:lead], -1)
    assert np.all((per_channel == 0).all(-1) | np.isclose(per_channel, 1 / 0.75).all(-1))
    frac = (per_channel[..., 0] == 0).mean()
    assert 0.05 < frac < 0.5
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), a)  # gradient is the same mask
    m.eval()
    assert m(x) is x
    assert repr(m) == repr(getattr(torch.nn, cls)(0.25))


def test_channel_dropout_errors_and_warnings_match_torch():
    _assert_same_error(lambda: nn.Dropout1d(0.5)(ember.zeros(2, 3, 4, 5)), lambda: torch.nn.Dropout1d(0.5)(torch.zeros(2, 3, 4, 5)))
    _assert_same_error(lambda: nn.Dropout2d(1.5), lambda: torch.nn.Dropout2d(1.5))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F.dropout2d(ember.ones(2, 3, 4))
    with pytest.warns(UserWarning):
        with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions"):
            F.dropout2d(ember.ones(3))
    assert F.dropout2d(ember.ones(2, 3, 4, 4), p=1.0).abs().sum().item() == 0


def test_swa_update_bn_recomputes_statistics_like_torch(rng):
    """swa_utils.update_bn resets BN statistics and averages them cumulatively (momentum=None)."""
    from ember.optim import swa_utils

    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4, momentum=0.3))
    e = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, momentum=0.3))
    e.load_state_dict({k: v.detach().numpy().copy() for k, v in t.state_dict().items()})
    batches = [rng.standard_normal((5, 3)).astype(np.float32) for _ in range(3)]
    torch.optim.swa_utils.update_bn([torch.tensor(b) for b in batches], t)
    swa_utils.update_bn([ember.tensor(b) for b in batches], e)
    _same_state(e, t)
    assert e[1].momentum == 0.3
