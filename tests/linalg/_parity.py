"""One check for a function given as ``f(lib, *tensors)``, run on ember and on torch with the same inputs.

    check_parity(f, arrays, dtype=...)   values, dtypes and shapes (every output of a tuple), and the gradient of a
                                          fixed random projection of the outputs with respect to every input
    check_twice(f, arrays)               float64 gradcheck and gradgradcheck of f on ember
    check_error(f, arrays)               the same exception type and message on both
"""
from __future__ import annotations

import numpy as np
import pytest
from _oracle import assert_close, to_numpy, torch

import ember
from ember.autograd import gradcheck, gradgradcheck


def _outputs(r):
    if isinstance(r, (tuple, list)):
        return [o for o in r if o is not None]
    return [r]


def _make(lib, arrays, dtype, grad):
    ts = []
    for a in arrays:
        a = np.asarray(a)
        t = lib.tensor(a.astype(dtype) if a.dtype.kind == "f" else a)
        if grad and a.dtype.kind == "f":
            t.requires_grad_(True)
        ts.append(t)
    return ts


def _loss(lib, outs, seed=1):
    """Σ wᵢ·outᵢ with fixed random weights (gauge-dependent outputs are projected by the caller)."""
    rng = np.random.default_rng(seed)
    total = 0
    for o in outs:
        if o.dtype.is_floating_point and o.numel():
            w = lib.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype)
            total = total + (o * w).sum()
    return total


def check_parity(f, arrays, dtype=np.float32, rtol=None, atol=None, grad=True, grad_rtol=None, grad_atol=None):
    e_in, t_in = _make(ember, arrays, dtype, grad), _make(torch, arrays, dtype, grad)
    e_out, t_out = _outputs(f(ember, *e_in)), _outputs(f(torch, *t_in))
    assert len(e_out) == len(t_out)
    for a, b in zip(e_out, t_out):
        assert tuple(a.shape) == tuple(b.shape), (a.shape, b.shape)
        assert_close(a, b, rtol=rtol, atol=atol)
    if not grad:
        return
    el, tl = _loss(ember, e_out), _loss(torch, t_out)
    if not isinstance(el, ember.Tensor) or not el.requires_grad:
        return
    wrt = [i for i, a in enumerate(arrays) if np.asarray(a).dtype.kind == "f"]
    eg = ember.autograd.grad(el, [e_in[i] for i in wrt], allow_unused=True)
    tg = torch.autograd.grad(tl, [t_in[i] for i in wrt], allow_unused=True)
    for a, b in zip(eg, tg):
        if a is None or b is None:  # (an unused input: torch may give zeros where ember gives None)
            assert not np.any(to_numpy(a if b is None else b))
            continue
        assert_close(a, b, rtol=grad_rtol or rtol, atol=grad_atol or atol)


def check_twice(f, arrays, **tol):
    ts = [ember.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]

    def fn(*xs):
        return tuple(o for o in _outputs(f(ember, *xs)) if o.dtype.is_floating_point)

    assert gradcheck(fn, tuple(ts), **tol)
    assert gradgradcheck(fn, tuple(ts), **tol)


def check_error(f, arrays=(), dtype=np.float32):
    with pytest.raises(Exception) as want:
        f(torch, *_make(torch, arrays, dtype, False))
    kind = ember.linalg.LinAlgError if want.type is torch.linalg.LinAlgError else want.type
    with pytest.raises(kind) as got:
        f(ember, *_make(ember, arrays, dtype, False))
    assert str(got.value).splitlines()[0] == str(want.value).splitlines()[0], (str(got.value), str(want.value))
