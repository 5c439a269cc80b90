"""Pooling and interpolation vs torch: values, gradients, indices, gradcheck, modules, errors."""
from __future__ import annotations

import numpy as np
import pytest
from _oracle import assert_close, torch

import ember
import ember.nn.functional as F
from ember import nn

TF = torch.nn.functional


def _assert_parity(fe, ft, x, rng, rtol=1e-5, atol=1e-6):
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    oe, ot = fe(xe), ft(xt)
    if isinstance(ot, tuple):
        assert_close(oe[1], ot[1], msg="indices")
        oe, ot = oe[0], ot[0]
    assert_close(oe, ot, rtol=rtol, atol=atol, msg="forward")
    g = rng.standard_normal(tuple(ot.shape)).astype(x.dtype)
    oe.backward(ember.tensor(g))
    ot.backward(torch.tensor(g))
    assert_close(xe.grad, xt.grad, rtol=rtol, atol=atol, msg="grad")


# shape, kernel, stride, padding, dilation, ceil_mode
MAX2D = [
    ((2, 3, 8, 8), 2, None, 0, 1, False),
    ((2, 3, 7, 9), 3, 2, 1, 1, True),
    ((1, 2, 9, 7), (3, 2), (1, 2), (1, 1), (2, 1), False),
    ((2, 2, 10, 10), 3, 1, 1, 1, False),  # overlapping windows
    ((1, 3, 11, 8), (2, 4), (3, 2), (1, 2), (3, 1), True),
    ((3, 5, 5), 2, 1, 0, 1, False),  # unbatched
]


@pytest.mark.parametrize("shape,k,s,p,d,ceil", MAX2D)
def test_max_pool2d_values_indices_gradients_match_torch(shape, k, s, p, d, ceil, rng, conv_path):
    x = rng.standard_normal(shape).astype(np.float32)
    kw = dict(stride=s, padding=p, dilation=d, ceil_mode=ceil, return_indices=True)
    _assert_parity(lambda a: F.max_pool2d(a, k, **kw), lambda a: TF.max_pool2d(a, k, **kw), x, rng)


@pytest.mark.parametrize("shape,k,s,p,d,ceil", [
    ((2, 3, 10), 2, None, 0, 1, False), ((2, 3, 11), 3, 2, 1, 2, True), ((3, 9), 4, 1, 2, 1, False),
])
def test_max_pool1d_values_indices_gradients_match_torch(shape, k, s, p, d, ceil, rng, conv_path):
    x = rng.standard_normal(shape).astype(np.float32)
    kw = dict(stride=s, padding=p, dilation=d, ceil_mode=ceil, return_indices=True)
    _assert_parity(lambda a: F.max_pool1d(a, k, **kw), lambda a: TF.max_pool1d(a, k, **kw), x, rng)


def test_max_pool_ties_go_to_the_first_maximum_like_torch(rng, conv_path):
    x = rng.integers(0, 3, (2, 2, 6, 6)).astype(np.float32)  # many ties
    for kw in [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)]:
        _assert_parity(lambda a: F.max_pool2d(a, return_indices=True, **kw),
                lambda a: TF.max_pool2d(a, return_indices=True, **kw), x, rng)


def test_max_pool_nan_propagates_like_torch(rng, conv_path):
    x = rng.standard_normal((1, 1, 4, 4)).astype(np.float32)
    x[0, 0, 1, 0] = np.nan
    x[0, 0, 3, 3] = np.nan
    _assert_parity(lambda a: F.max_pool2d(a, 2, return_indices=True), lambda a: TF.max_pool2d(a, 2, return_indices=True),
            x, rng)


# shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
AVG2D = [
    ((2, 3, 8, 8), 2, None, 0, False, True, None),
    ((2, 3, 7, 9), 3, 2, 1, True, True, None),
    ((2, 3, 7, 9), 3, 2, 1, True, False, None),
    ((1, 2, 9, 7), (3, 2), (1, 2), (1, 1), False, False, None),
    ((1, 2, 6, 6), 3, 2, 1, False, True, 4),
    ((3, 5, 5), 2, 1, 0, False, True, None),
]


@pytest.mark.parametrize("shape,k,s,p,ceil,cip,div", AVG2D)
def test_avg_pool2d_values_and_gradients_match_torch(shape, k, s, p, ceil, cip, div, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    kw = dict(stride=s, padding=p, ceil_mode=ceil, count_include_pad=cip, divisor_override=div)
    _assert_parity(lambda a: F.avg_pool2d(a, k, **kw), lambda a: TF.avg_pool2d(a, k, **kw), x, rng)


@pytest.mark.parametrize("shape,k,s,p,ceil,cip", [
    ((2, 3, 10), 2, None, 0, False, True), ((2, 3, 11), 3, 2, 1, True, False), ((3, 9), 4, 3, 2, True, True),
])
def test_avg_pool1d_values_and_gradients_match_torch(shape, k, s, p, ceil, cip, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    kw = dict(stride=s, padding=p, ceil_mode=ceil, count_include_pad=cip)
    _assert_parity(lambda a: F.avg_pool1d(a, k, **kw), lambda a: TF.avg_pool1d(a, k, **kw), x, rng)


@pytest.mark.parametrize("shape,size", [
    ((2, 3, 7, 9), (3, 4)), ((2, 3, 8, 8), 1), ((3, 5, 7), (None, 3)), ((1, 2, 5, 5), (7, 6)), ((2, 3, 6, 6), 6),
])
def test_adaptive_avg_pool2d_matches_torch(shape, size, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    _assert_parity(lambda a: F.adaptive_avg_pool2d(a, size), lambda a: TF.adaptive_avg_pool2d(a, size), x, rng)


@pytest.mark.parametrize("shape,size", [((2, 3, 7), 3), ((3, 10), 4), ((2, 2, 4), 6)])
def test_adaptive_avg_pool1d_matches_torch(shape, size, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    _assert_parity(lambda a: F.adaptive_avg_pool1d(a, size), lambda a: TF.adaptive_avg_pool1d(a, size), x, rng)


@pytest.mark.parametrize("fn", [
    lambda a: F.max_pool2d(a, 3, 2, 1, ceil_mode=True),
    lambda a: F.avg_pool2d(a, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    lambda a: F.adaptive_avg_pool2d(a, (2, 3)),
    lambda a: F.interpolate(a, scale_factor=2),
    lambda a: F.interpolate(a, size=(4, 7), mode="bilinear"),
])
def test_pooling_gradcheck_float64(fn, rng, conv_path):
    x = ember.tensor(rng.standard_normal((2, 2, 5, 6)), requires_grad=True)
    assert ember.autograd.gradcheck(fn, [x])


def test_max_pool_of_a_convolution_output_matches_torch(rng, conv_path):
    """Conv outputs are stored channel-major; pooling them keeps that layout and torch's numbers."""
    x = rng.standard_normal((4, 3, 12, 12)).astype(np.float32)
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    oe = F.max_pool2d(F.conv2d(xe, ember.tensor(w)), 3, 2, 1)
    ot = TF.max_pool2d(TF.conv2d(xt, torch.tensor(w)), 3, 2, 1)
    assert_close(oe, ot, rtol=1e-5, atol=1e-5)
    g = rng.standard_normal(tuple(ot.shape)).astype(np.float32)
    oe.backward(ember.tensor(g))
    ot.backward(torch.tensor(g))
    assert_close(xe.grad, xt.grad, rtol=1e-4, atol=1e-4)


def test_max_pool_windows_of_minus_infinity_route_the_gradient_like_torch(rng, conv_path):
    x = np.full((1, 2, 5, 5), -np.inf, np.float32)
    x[0, 1, 2:, 2:] = rng.standard_normal((3, 3))
    _assert_parity(lambda a: F.max_pool2d(a, 3, 2, 1, return_indices=True),
                   lambda a: TF.max_pool2d(a, 3, 2, 1, return_indices=True), x, rng)


def test_max_pool_numba_and_numpy_paths_agree(rng):
    """Same values and indices bit for bit; gradients to float64 rounding (overlapping windows add their
    contributions to one input element in a different order)."""
    from ember import _numba
    from ember.autograd.ops import _conv_kernels

    if _conv_kernels.pool_kernels((2, 2), (2, 2), (1, 1), np.dtype(np.float64)) is None:
        pytest.skip("numba is not installed (the `fast` extra) or EMBER_DISABLE_NUMBA is set")
    x = rng.integers(0, 4, (3, 4, 9, 10)).astype(np.float64)  # ties
    x[0, 0, 1, 1] = x[1, 2, 5, 5] = np.nan
    g = rng.standard_normal((3, 4, 5, 5))
    results = []
    for enabled in (True, False):
        previous = _numba.set_enabled(enabled)
        try:
            xe = ember.tensor(x, requires_grad=True)
            out, idx = F.max_pool2d(xe, 3, 2, 1, dilation=(1, 2), ceil_mode=True, return_indices=True)
            out.backward(ember.tensor(g[:, :, : out.shape[2], : out.shape[3]]))
            results.append((out.detach().numpy(), idx.numpy(), xe.grad.numpy()))
        finally:
            _numba.set_enabled(previous)
    (out_a, idx_a, grad_a), (out_b, idx_b, grad_b) = results
    np.testing.assert_array_equal(out_a, out_b)
    np.testing.assert_array_equal(idx_a, idx_b)
    np.testing.assert_allclose(grad_a, grad_b, rtol=1e-13, atol=1e-15)


# ---- interpolate ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,kw", [
    ((2, 3, 4, 5), dict(scale_factor=2)),
    ((2, 3, 4, 5), dict(size=(7, 3))),
    ((2, 3, 5, 5), dict(scale_factor=(1.5, 0.5))),
    ((2, 3, 5, 5), dict(scale_factor=1.7, recompute_scale_factor=True)),
    ((2, 3, 6), dict(size=13)),
    ((2, 3, 4, 5), dict(size=(9, 7), mode="nearest-exact")),
    ((2, 3, 4, 5), dict(size=(9, 7), mode="bilinear")),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="bilinear", align_corners=True)),
    ((2, 3, 4, 5), dict(size=(3, 2), mode="bilinear")),
    ((2, 3, 6), dict(scale_factor=2.5, mode="linear")),
    ((2, 3, 7, 9), dict(size=(3, 4), mode="area")),
])
def test_interpolate_matches_torch(shape, kw, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    _assert_parity(lambda a: F.interpolate(a, **kw), lambda a: TF.interpolate(a, **kw), x, rng)


def test_upsample_modules_match_torch(rng):
    x = rng.standard_normal((1, 2, 3, 4)).astype(np.float32)
    for e, t in [
        (nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)),
        (nn.Upsample(size=(5, 5), mode="bilinear"), torch.nn.Upsample(size=(5, 5), mode="bilinear")),
        (nn.UpsamplingNearest2d(scale_factor=3), torch.nn.UpsamplingNearest2d(scale_factor=3)),
        (nn.UpsamplingBilinear2d(size=(4, 6)), torch.nn.UpsamplingBilinear2d(size=(4, 6))),
    ]:
        assert_close(e(ember.tensor(x)), t(torch.tensor(x)))
        assert repr(e) == repr(t)


def _assert_same_error(fe, ft):
    with pytest.raises(Exception) as te:
        ft()
    with pytest.raises(type(te.value)) as ee:
        fe()
    assert str(ee.value) == str(te.value)


@pytest.mark.parametrize("shape,kw", [
    ((1, 1, 4), dict(size=3, scale_factor=2)), ((1, 1, 4), dict()), ((1, 1, 4), dict(size=3, mode="foo")),
    ((4,), dict(size=3)), ((1, 1, 4), dict(size=3, align_corners=True)), ((1, 1, 4, 4), dict(size=(3, 3, 3))),
])
def test_interpolate_errors_match_torch(shape, kw):
    x = np.zeros(shape, np.float32)
    _assert_same_error(lambda: F.interpolate(ember.tensor(x), **kw), lambda: TF.interpolate(torch.tensor(x), **kw))


# ---- modules and errors ----------------------------------------------------------------------------
def test_pool_modules_match_torch_and_repr(rng):
    x = rng.standard_normal((2, 3, 9, 9)).astype(np.float32)
    x1 = rng.standard_normal((2, 3, 9)).astype(np.float32)
    pairs = [
        (nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True), x),
        (nn.AvgPool2d(2, count_include_pad=False), torch.nn.AvgPool2d(2, count_include_pad=False), x),
        (nn.AdaptiveAvgPool2d((2, None)), torch.nn.AdaptiveAvgPool2d((2, None)), x),
        (nn.MaxPool1d(2, dilation=2), torch.nn.MaxPool1d(2, dilation=2), x1),
        (nn.AvgPool1d(3, 2, 1), torch.nn.AvgPool1d(3, 2, 1), x1),
        (nn.AdaptiveAvgPool1d(4), torch.nn.AdaptiveAvgPool1d(4), x1),
    ]
    for e, t, a in pairs:
        assert_close(e(ember.tensor(a)), t(torch.tensor(a)))
        assert repr(e) == repr(t)
    out, idx = nn.MaxPool2d(2, return_indices=True)(ember.tensor(x))
    tout, tidx = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    assert_close(idx, tidx)


@pytest.mark.parametrize("call", [
    lambda F_, x: F_.max_pool2d(x(1, 1, 2, 2), 3),
    lambda F_, x: F_.max_pool2d(x(1, 1, 5, 5), 3, padding=2),
    lambda F_, x: F_.max_pool2d(x(1, 2), 2),
    lambda F_, x: F_.max_pool2d(x(1, 1, 5, 5), 2, stride=0),
    lambda F_, x: F_.max_pool2d(x(1, 1, 5, 5), (2, 2, 2)),
    lambda F_, x: F_.max_pool1d(x(1, 2, 2, 2), 2),
    lambda F_, x: F_.max_pool1d(x(1, 2, 2), 3),
    lambda F_, x: F_.max_pool1d(x(1, 1, 5), 2, padding=2),
    lambda F_, x: F_.avg_pool2d(x(1, 1, 2, 2), 3),
    lambda F_, x: F_.avg_pool2d(x(1, 1, 5, 5), 3, padding=2),
    lambda F_, x: F_.avg_pool2d(x(1, 1, 1, 5, 5), 2),
    lambda F_, x: F_.avg_pool1d(x(2, 2, 2, 2), 2),
    lambda F_, x: F_.avg_pool1d(x(1, 1, 1), 2),
    lambda F_, x: F_.adaptive_avg_pool2d(x(2), 2),
    lambda F_, x: F_.adaptive_avg_pool2d(x(1, 2, 0, 3), 2),
    lambda F_, x: F_.adaptive_avg_pool1d(x(1, 1, 1, 5), 2),
    lambda F_, x: F_.adaptive_avg_pool1d(x(1, 1, 5), (2, 2)),
])
def test_pooling_errors_match_torch(call):
    _assert_same_error(lambda: call(F, lambda *s: ember.zeros(*s)), lambda: call(TF, lambda *s: torch.zeros(*s)))
