"""F.conv_tbc against torch.conv_tbc: values and gradients for each padding (negative crops), errors; float64
gradcheck and gradgradcheck."""
from __future__ import annotations

import numpy as np
import pytest

from _oracle import assert_close, torch

import ember
import ember.nn.functional as EF
from ember.autograd import gradcheck, gradgradcheck


def _pairs(rng, *shapes):
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    return [(ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)) for a in arrays]


@pytest.mark.parametrize("pad", [0, 1, 2, -1])
def test_conv_tbc_matches_torch(pad, rng):
    pairs = _pairs(rng, (7, 2, 3), (3, 3, 4), (4,))
    ye = EF.conv_tbc(*[p[0] for p in pairs], pad)
    yt = torch.nn.functional.conv_tbc(*[p[1] for p in pairs], pad)
    assert_close(ye, yt, atol=1e-5)
    v = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    (ye * ember.tensor(v)).sum().backward(), (yt * torch.tensor(v)).sum().backward()
    for pe, pt in pairs:
        assert_close(pe.grad, pt.grad, atol=1e-5)


def test_conv_tbc_shorter_than_the_kernel_matches_torch(rng):
    (x, xt), (w, wt), (b, bt) = _pairs(rng, (2, 2, 3), (3, 3, 4), (4,))
    assert_close(EF.conv_tbc(x, w, b), torch.conv_tbc(xt, wt, bt))


@pytest.mark.parametrize("case", [
    lambda L, x, w, b: L.conv_tbc(x[0], w, b) if L is torch else EF.conv_tbc(x[0], w, b),
    lambda L, x, w, b: L.conv_tbc(x, w[0], b) if L is torch else EF.conv_tbc(x, w[0], b),
    lambda L, x, w, b: L.conv_tbc(x, w, b[None]) if L is torch else EF.conv_tbc(x, w, b[None]),
    lambda L, x, w, b: L.conv_tbc(x, w[:, :2], b) if L is torch else EF.conv_tbc(x, w[:, :2], b),
    lambda L, x, w, b: L.conv_tbc(x, w, b[:3]) if L is torch else EF.conv_tbc(x, w, b[:3]),
])
def test_conv_tbc_errors_match_torch(case, rng):
    (x, xt), (w, wt), (b, bt) = _pairs(rng, (7, 2, 3), (3, 3, 4), (4,))
    errors = []
    for lib, args in ((ember, (x, w, b)), (torch, (xt, wt, bt))):
        with pytest.raises(RuntimeError) as info:
            case(lib, *args)
        errors.append(str(info.value))
    assert errors[0] == errors[1]


def test_conv_tbc_gradcheck_and_gradgradcheck(rng):
    xs = [ember.tensor(rng.standard_normal(s), requires_grad=True) for s in ((5, 2, 3), (2, 3, 2), (2,))]
    for pad in (0, 1):
        assert gradcheck(lambda x, w, b: EF.conv_tbc(x, w, b, pad), xs)
        assert gradgradcheck(lambda x, w, b: EF.conv_tbc(x, w, b, pad), xs)
