"""Random sampling: torch's signatures, shapes, dtypes and errors; distributions checked statistically.

The streams differ from torch's (NumPy's PCG64), so values are compared through their distribution: a sample
mean within 5 standard errors of the exact mean (a false failure about once in 1.7 million runs per check).
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from _oracle import torch

import ember

N = 20000


def _errors_off(samples, mean, var):
    """How many standard errors the sample mean lies from ``mean`` (var: the distribution's variance; for var = 0
    the mean must be exact: 0 or inf)."""
    x = np.asarray(samples, dtype=np.float64).ravel()
    gap, se = abs(x.mean() - mean), math.sqrt(var / x.size)
    return 0.0 if gap == 0 else gap / se if se else math.inf


def _outcome(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = fn()
        except Exception as e:  # noqa: BLE001  (compared with torch's)
            return None, (type(e).__name__, str(e))
    return r, None


def _result_kind(fn, lib):
    """fn(lib)'s exception (type and message), or its result's dtype name and shape."""
    value, error = _outcome(lambda: fn(lib))
    return error if error is not None else (str(value.dtype).split(".")[-1], tuple(value.shape))


# ---- signatures, shapes, dtypes and errors vs torch -----------------------------------------------------------
CALLS = {
    "multinomial": lambda m: m.multinomial(m.tensor([0.2, 0.3, 0.5]), 2),
    "multinomial-2d-repl": lambda m: m.multinomial(m.tensor([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]]), 7, True),
    "multinomial-too-many": lambda m: m.multinomial(m.tensor([0.2, 0.3, 0.5]), 5),
    "multinomial-negative": lambda m: m.multinomial(m.tensor([-1.0, 1.0]), 1),
    "multinomial-inf": lambda m: m.multinomial(m.tensor([1.0, float("inf")]), 1),
    "multinomial-zero-sum": lambda m: m.multinomial(m.tensor([0.0, 0.0]), 1),
    "multinomial-3d": lambda m: m.multinomial(m.ones(2, 2, 2), 1),
    "multinomial-long": lambda m: m.multinomial(m.tensor([1, 2]), 1),
    "multinomial-zero-samples": lambda m: m.multinomial(m.tensor([0.5, 0.5]), 0),
    "multinomial-out": lambda m: m.multinomial(m.tensor([0.5, 0.5]), 3, True, out=m.empty(3, dtype=m.int64)),
    "bernoulli": lambda m: m.bernoulli(m.full((3, 2), 0.5)),
    "bernoulli-p": lambda m: m.bernoulli(m.zeros(3, dtype=m.float64), 0.3),
    "bernoulli-bad-p": lambda m: m.bernoulli(m.full((3,), 1.5)),
    "bernoulli-long": lambda m: m.bernoulli(m.ones(3, dtype=m.int64)),
    "bernoulli-out": lambda m: m.bernoulli(m.full((4,), 0.5), out=m.empty(4)),
    "normal-tt": lambda m: m.normal(m.zeros(2, 3), m.ones(3)),
    "normal-tf": lambda m: m.normal(m.zeros(3, dtype=m.float64), 2.0),
    "normal-ft": lambda m: m.normal(1.0, m.ones(4)),
    "normal-ff": lambda m: m.normal(0.0, 1.0, (2, 3)),
    "normal-ff-dtype": lambda m: m.normal(0.0, 1.0, size=(2, 3), dtype=m.float64),
    "normal-ff-out": lambda m: m.normal(0.0, 1.0, (2,), out=m.empty(2)),
    "normal-negative-std-tensor": lambda m: m.normal(m.zeros(3), -m.ones(3)),
    "normal-negative-std": lambda m: m.normal(0.0, -1.0, (2,)),
    "normal-no-broadcast": lambda m: m.normal(m.zeros(2), m.ones(3)),
    "poisson": lambda m: m.poisson(m.ones(2, 3)),
    "poisson-negative": lambda m: m.poisson(-m.ones(3)),
    "poisson-long": lambda m: m.poisson(m.ones(3, dtype=m.int64)),
    "randint-keywords": lambda m: m.randint(low=0, high=5, size=(3,)),
    "randint-high-keyword": lambda m: m.randint(high=5, size=(3, 2)),
    "randint-float": lambda m: m.randint(3, 5, (3,), dtype=m.float32),
    "randint-empty-range": lambda m: m.randint(5, 3, (3,)),
    "randint_like": lambda m: m.randint_like(m.zeros(3), 5),
    "randint_like-low-high": lambda m: m.randint_like(m.zeros(3, dtype=m.int32), low=2, high=5),
    "rand_like-int": lambda m: m.rand_like(m.zeros(3, dtype=m.int32)),
    "randn_like": lambda m: m.randn_like(m.zeros(2, 2, dtype=m.float64)),
    "rand_like": lambda m: m.rand_like(m.zeros(2, 1)),
    "randperm-float": lambda m: m.randperm(5, dtype=m.float32),
    "randperm-negative": lambda m: m.randperm(-1),
    "randperm-empty": lambda m: m.randperm(0),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_sampling_function_matches_torch_in_kind(name):
    fn = CALLS[name]
    assert _result_kind(fn, ember) == _result_kind(fn, torch)


METHODS = {
    "uniform_": (lambda x: x.uniform_(-2, 3)), "uniform_-bad": (lambda x: x.uniform_(2, 1)),
    "normal_": (lambda x: x.normal_(1, 2)), "normal_-bad": (lambda x: x.normal_(0, -1)),
    "exponential_": (lambda x: x.exponential_(2.0)), "exponential_-bad": (lambda x: x.exponential_(0)),
    "geometric_": (lambda x: x.geometric_(0.25)), "geometric_-bad": (lambda x: x.geometric_(1.5)),
    "geometric_-one": (lambda x: x.geometric_(1.0)),
    "cauchy_": (lambda x: x.cauchy_(1, 2)), "cauchy_-bad": (lambda x: x.cauchy_(0, -1)),
    "log_normal_": (lambda x: x.log_normal_(0, 0.5)), "log_normal_-bad": (lambda x: x.log_normal_(1, 0)),
    "random_": (lambda x: x.random_()), "random_-to": (lambda x: x.random_(10)),
    "random_-from-to": (lambda x: x.random_(-5, 5)), "random_-to-keyword": (lambda x: x.random_(to=3)),
    "random_-bad": (lambda x: x.random_(10, 2)), "random_-huge": (lambda x: x.random_(0, 2**40)),
    "random_-from-none": (lambda x: x.random_(5, None)),
    "bernoulli_": (lambda x: x.bernoulli_(0.3)), "bernoulli_-bad": (lambda x: x.bernoulli_(1.5)),
}
DTYPES = ["float32", "float64", "int64", "int32", "uint8", "bool"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(METHODS))
def test_inplace_sampler_matches_torch_in_kind(name, dtype):
    fn = METHODS[name]
    (ve, ee) = _outcome(lambda: fn(ember.zeros(4, 3, dtype=getattr(ember, dtype))))
    (vt, et) = _outcome(lambda: fn(torch.zeros(4, 3, dtype=getattr(torch, dtype))))
    assert ee == et
    if ee is None:
        assert ve.dtype == getattr(ember, dtype) and tuple(ve.shape) == (4, 3)


def test_bernoulli_with_a_tensor_p_that_does_not_expand_raises_as_torch():
    fn = lambda m: m.zeros(3).bernoulli_(m.full((2,), 0.5))
    assert _result_kind(fn, ember) == _result_kind(fn, torch)


def test_out_receives_the_samples():
    out = ember.empty(5)
    r = ember.bernoulli(ember.ones(5), out=out)
    assert r is out and out.tolist() == [1.0] * 5


# ---- distributions within confidence bounds -------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_inplace_samplers_have_the_right_moments(dtype):
    def x():
        return ember.empty(N, dtype=getattr(ember, dtype))

    assert _errors_off(x().uniform_(-2, 3).numpy(), 0.5, 25 / 12) <= 5
    assert _errors_off(x().normal_(1, 2).numpy(), 1, 4) <= 5
    assert _errors_off(x().exponential_(2.0).numpy(), 0.5, 0.25) <= 5
    assert _errors_off(x().geometric_(0.25).numpy(), 4, 0.75 / 0.0625) <= 5
    assert _errors_off(x().log_normal_(0, 0.5).numpy(), math.exp(0.125), (math.exp(0.25) - 1) * math.exp(0.25)) <= 5
    assert _errors_off(x().bernoulli_(0.3).numpy(), 0.3, 0.21) <= 5
    assert _errors_off(x().random_(-5, 5).numpy(), -0.5, (10**2 - 1) / 12) <= 5
    c = x().cauchy_(1, 2).numpy()  # no mean: its median is 1 and its quartiles 1 ± 2
    assert _errors_off(c < 1, 0.5, 0.25) <= 5
    assert _errors_off(c < 3, 0.75, 0.1875) <= 5
    assert set(np.unique(x().random_(3).numpy())) == {0, 1, 2}
    assert (x().geometric_(0.25).numpy() >= 1).all()


def test_random_default_ranges_as_torch():
    f = ember.empty(N).random_().numpy()
    assert f.min() >= 0 and f.max() <= 2**24 and f.max() > 2**23 and (f == np.round(f)).all()
    assert set(np.unique(ember.empty(N, dtype=ember.bool).random_().numpy())) == {False, True}
    u = ember.empty(N, dtype=ember.uint8).random_().numpy()
    assert u.min() == 0 and u.max() == 255
    assert ember.empty(N, dtype=ember.int64).random_().numpy().min() >= 0


def test_normal_overloads_have_the_right_moments():
    mean = ember.tensor([-3.0, 0.0, 5.0])
    std = ember.tensor([0.5, 1.0, 2.0])
    draws = np.stack([ember.normal(mean, std).numpy() for _ in range(4000)])
    for j in range(3):
        assert _errors_off(draws[:, j], mean[j].item(), std[j].item() ** 2) <= 5
    assert _errors_off(ember.normal(ember.full((N,), 2.0), 3.0).numpy(), 2.0, 9.0) <= 5
    assert _errors_off(ember.normal(-1.0, ember.full((N,), 0.5)).numpy(), -1.0, 0.25) <= 5
    assert _errors_off(ember.normal(4.0, 2.0, (N,)).numpy(), 4.0, 4.0) <= 5


def test_poisson_bernoulli_and_randint_moments():
    rate = ember.tensor([0.5, 4.0, 30.0])
    draws = np.stack([ember.poisson(rate).numpy() for _ in range(4000)])
    for j, r in enumerate([0.5, 4.0, 30.0]):
        assert _errors_off(draws[:, j], r, r) <= 5
    p = ember.rand(N)
    hits = ember.bernoulli(p).numpy()
    assert _errors_off(hits - p.numpy(), 0.0, 0.25) <= 5
    assert _errors_off(ember.bernoulli(ember.zeros(N), 0.7).numpy(), 0.7, 0.21) <= 5
    assert _errors_off(ember.randint(low=-3, high=4, size=(N,)).numpy(), 0, (7**2 - 1) / 12) <= 5
    assert _errors_off(ember.randint_like(ember.zeros(N), 2, 6).numpy(), 3.5, (4**2 - 1) / 12) <= 5


@pytest.mark.parametrize("replacement", [True, False])
def test_multinomial_frequencies(replacement):
    w = ember.tensor([[1.0, 0.0, 3.0, 6.0], [5.0, 5.0, 0.0, 0.0]])
    first = np.stack([ember.multinomial(w, 2, replacement).numpy() for _ in range(4000)])
    for row in range(2):
        p = w[row].numpy() / w[row].numpy().sum()
        for k in range(4):
            assert _errors_off(first[:, row, 0] == k, p[k], p[k] * (1 - p[k])) <= 5
        if not replacement:  # no category twice; the second draw follows the remaining weights
            assert (first[:, row, 0] != first[:, row, 1]).all()
    second_given_3 = first[first[:, 0, 0] == 3, 0, 1]
    p2, var2 = (0.75, 0.75 * 0.25) if not replacement else (0.3, 0.21)
    assert _errors_off(second_given_3 == 2, p2, var2) <= 5
    assert ember.multinomial(ember.tensor([1.0, 0.0, 0.0]), 3).tolist()[0] == 0


def test_randperm_is_a_permutation_and_uniform():
    perms = np.stack([ember.randperm(4).numpy() for _ in range(4000)])
    assert (np.sort(perms, axis=1) == np.arange(4)).all()
    assert _errors_off(perms[:, 0] == 2, 0.25, 0.1875) <= 5


def test_generator_makes_samplers_reproducible():
    g = ember.Generator().manual_seed(3)
    a = [ember.empty(5).cauchy_(generator=g), ember.multinomial(ember.ones(4), 2, generator=g),
         ember.normal(0.0, 1.0, (3,), generator=g), ember.poisson(ember.ones(3), generator=g)]
    g.manual_seed(3)
    b = [ember.empty(5).cauchy_(generator=g), ember.multinomial(ember.ones(4), 2, generator=g),
         ember.normal(0.0, 1.0, (3,), generator=g), ember.poisson(ember.ones(3), g)]
    for x, y in zip(a, b):
        assert x.tolist() == y.tolist()
