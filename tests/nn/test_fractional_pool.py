"""F.fractional_max_pool2d/3d (and _with_indices), nn.FractionalMaxPool2d/3d against torch given the same
_random_samples: values, indices, gradients, output_size and output_ratio, unbatched input, repr, buffers, errors;
float64 gradcheck and gradgradcheck."""
from __future__ import annotations

import numpy as np
import pytest

from _oracle import assert_close, torch

import ember
import ember.nn as enn
import ember.nn.functional as EF
from ember.autograd import gradcheck, gradgradcheck

TF = torch.nn.functional


def _inputs(rng, shape, nd, dtype=np.float32):
    x = rng.standard_normal(shape).astype(dtype)
    n = 1 if len(shape) == nd + 1 else shape[0]
    u = rng.random((n, shape[-nd - 1], nd)).astype(dtype)
    return x, u


CASES = [
    (2, (2, 3, 7, 8), 3, dict(output_size=(4, 5))),
    (2, (2, 3, 9, 9), (2, 3), dict(output_size=5)),
    (2, (3, 10, 11), 2, dict(output_ratio=(0.5, 0.5))),
    (2, (1, 2, 12, 7), (3, 2), dict(output_ratio=(0.7, 0.4))),
    (2, (2, 2, 6, 6), 2, dict(output_size=(5, 1))),
    (3, (2, 3, 5, 6, 7), 2, dict(output_size=(3, 4, 5))),
    (3, (2, 6, 7, 8), (2, 3, 2), dict(output_ratio=[0.6, 0.6, 0.6])),
]


@pytest.mark.parametrize("nd, shape, k, kw", CASES)
def test_fractional_max_pool_matches_torch(nd, shape, k, kw, rng):
    x, u = _inputs(rng, shape, nd)
    fe, ft = getattr(EF, f"fractional_max_pool{nd}d"), getattr(TF, f"fractional_max_pool{nd}d")
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, ie = fe(xe, k, return_indices=True, _random_samples=ember.tensor(u), **kw)
    yt, it = ft(xt, k, return_indices=True, _random_samples=torch.tensor(u), **kw)
    assert_close(ye, yt), assert_close(ie, it)
    v = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    (ye * ember.tensor(v)).sum().backward(), (yt * torch.tensor(v)).sum().backward()
    assert_close(xe.grad, xt.grad)
    we, wt = getattr(EF, f"fractional_max_pool{nd}d_with_indices"), getattr(TF, f"fractional_max_pool{nd}d_with_indices")
    for a, b in zip(we(xe, k, _random_samples=ember.tensor(u), **kw), wt(xt, k, _random_samples=torch.tensor(u), **kw)):
        assert_close(a, b)
    assert_close(fe(xe, k, _random_samples=ember.tensor(u), **kw), ft(xt, k, _random_samples=torch.tensor(u), **kw))


def test_fractional_max_pool_float64_samples_and_empty_window_match_torch(rng):
    x, u = _inputs(rng, (2, 3, 9, 8), 2, np.float64)
    for k, o in ((3, (5, 4)), (0, 2)):
        assert_close(EF.fractional_max_pool2d(ember.tensor(x), k, o, _random_samples=ember.tensor(u)),
                     TF.fractional_max_pool2d(torch.tensor(x), k, o, _random_samples=torch.tensor(u)))


def test_fractional_max_pool_draws_samples_when_none_given(rng):
    x = ember.tensor(rng.standard_normal((2, 3, 9, 9)).astype(np.float32))
    y, idx = EF.fractional_max_pool2d(x, 2, output_size=4, return_indices=True)
    plane = x.reshape(2, 3, -1)
    assert y.shape == (2, 3, 4, 4) and np.array_equal(plane.gather(2, idx.reshape(2, 3, -1)).reshape(2, 3, 4, 4).numpy(),
                                                       y.numpy())


@pytest.mark.parametrize("kw", [dict(kernel_size=3, output_size=4), dict(kernel_size=(2, 3), output_ratio=0.5,
                                                                         return_indices=True)])
def test_fractional_max_pool_modules_match_torch(kw, rng):
    for nd in (2, 3):
        if nd == 3 and isinstance(kw["kernel_size"], tuple):
            kw = dict(kw, kernel_size=(2, 3, 2))
        x, u = _inputs(rng, (2, 3) + (8,) * nd, nd)
        name = f"FractionalMaxPool{nd}d"
        me, mt = getattr(enn, name)(**kw, _random_samples=ember.tensor(u)), getattr(torch.nn, name)(
            **kw, _random_samples=torch.tensor(u))
        assert repr(me) == repr(mt) and list(me.state_dict()) == list(mt.state_dict()) == ["_random_samples"]
        assert (me.kernel_size, me.output_size, me.output_ratio) == (mt.kernel_size, mt.output_size, mt.output_ratio)
        ye, yt = me(ember.tensor(x)), mt(torch.tensor(x))
        for a, b in zip(ye if isinstance(ye, tuple) else [ye], yt if isinstance(yt, tuple) else [yt]):
            assert_close(a, b)
        assert list(getattr(enn, name)(**kw).state_dict()) == []


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("case", [
    lambda L, x, u: L.nn.functional.fractional_max_pool2d(x, 3, output_size=6, _random_samples=u),
    lambda L, x, u: L.nn.functional.fractional_max_pool2d(x, 3, output_size=(5, 7), _random_samples=u),
    lambda L, x, u: L.nn.functional.fractional_max_pool2d(x, 3),
    lambda L, x, u: L.nn.functional.fractional_max_pool2d(x, 3, output_size=2, _random_samples=u[..., :1]),
    lambda L, x, u: L.nn.functional.fractional_max_pool2d(x, 3, output_size=2, _random_samples=u[:1]),
    lambda L, x, u: L.nn.functional.fractional_max_pool2d(x, 3, output_size=2, _random_samples=u.double()),
    lambda L, x, u: L.nn.functional.fractional_max_pool2d(x.long(), 3, output_size=2),
    lambda L, x, u: L.nn.functional.fractional_max_pool2d(x, (3, 2, 1), output_size=2, _random_samples=u),
    lambda L, x, u: L.nn.functional.fractional_max_pool2d(x, 3, output_size=(2, 2, 2), _random_samples=u),
    lambda L, x, u: L.nn.functional.fractional_max_pool3d(x[None], 6, output_size=2),
    lambda L, x, u: L.nn.functional.fractional_max_pool2d(x, 3, output_ratio=0.5),
    lambda L, x, u: L.nn.FractionalMaxPool2d(3),
    lambda L, x, u: L.nn.FractionalMaxPool2d(3, output_size=2, output_ratio=0.5),
    lambda L, x, u: L.nn.FractionalMaxPool3d(3, output_ratio=1.5),
])
def test_fractional_max_pool_errors_match_torch(case, rng):
    x, u = _inputs(rng, (2, 3, 7, 8), 2)
    got = _error(lambda: case(ember, ember.tensor(x), ember.tensor(u)))
    assert got == _error(lambda: case(torch, torch.tensor(x), torch.tensor(u)))


def test_fractional_max_pool_gradcheck_and_gradgradcheck(rng):
    x, u = _inputs(rng, (2, 2, 7, 6), 2, np.float64)
    xe = ember.tensor(x, requires_grad=True)
    f = lambda a: EF.fractional_max_pool2d(a * a, (2, 3), output_size=(4, 3), _random_samples=ember.tensor(u))  # noqa: E731
    assert gradcheck(f, (xe,)) and gradgradcheck(f, (xe,))
    x3, u3 = _inputs(rng, (1, 2, 5, 4, 4), 3, np.float64)
    xe = ember.tensor(x3, requires_grad=True)
    f = lambda a: EF.fractional_max_pool3d(a * a, 2, output_size=(3, 2, 2), _random_samples=ember.tensor(u3))  # noqa: E731
    assert gradcheck(f, (xe,)) and gradgradcheck(f, (xe,))
