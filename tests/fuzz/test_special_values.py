"""IEEE special values against torch: every elementwise op, activation, reduction and pointwise loss at NaN, ±inf
and ±0, and at the break points of the piecewise ops (±0.5, ±1, ±3, 6).

A unary op gets one array of all the values; a binary op (and a loss of input and target) gets every pair of them.
The comparison is the fuzzer's (``_fuzz.check``: values, dtypes, no NumPy warning, gradients of Σ w·out), so the
deliberate differences are the ones ``_fuzz.ALLOWED`` lists with their reasons. Overflow of intermediate results
(|x| near float32's limit) is not covered here (README, "IEEE special values").
"""
import os
import sys

import numpy as np
import pytest

pytest.importorskip("torch")
sys.path.insert(0, os.path.dirname(__file__))

import _fuzz  # noqa: E402

VALUES = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 6.0, -3.0, 3.0, 0.5, -0.5, 2.0, 4.0])
PAIRS = np.repeat(VALUES, VALUES.size), np.tile(VALUES, VALUES.size)


def _f(name, **kw):
    return lambda M, x: getattr(M.nn.functional, name)(x, **kw)


def _t(name):
    return lambda M, x: getattr(M, name)(x)


def _rows(name, *args, **kw):
    return lambda M, x: getattr(x.reshape(2, -1), name)(*args, **kw)


def _pair_rows(name, *args, **kw):
    return lambda M, x, y: getattr(M.stack([x, y], 1), name)(*args, **kw)


UNARY = {f"F.{n}": _f(n) for n in ("relu relu6 elu selu celu gelu silu mish softplus hardswish hardsigmoid hardtanh "
                                   "leaky_relu logsigmoid tanhshrink softsign sigmoid tanh hardshrink "
                                   "softshrink").split()}
UNARY.update({"F.gelu_tanh": _f("gelu", approximate="tanh"), "F.threshold": _f("threshold", threshold=0.5, value=2.0),
              "F.rrelu": _f("rrelu", training=False), "F.softplus_beta": _f("softplus", beta=2, threshold=5)})
UNARY.update({n: _t(n) for n in ("abs neg exp log sqrt sigmoid tanh relu sin cos tan floor ceil round sign reciprocal "
                                 "square log1p expm1 rsqrt trunc log2 log10 exp2 sinh cosh asin acos atan asinh acosh "
                                 "atanh erf erfc erfinv lgamma digamma frac sinc logit nan_to_num i0 deg2rad rad2deg "
                                 "positive").split()})
UNARY.update({n: _rows(n, 1) for n in ("sum mean prod amax amin var std logsumexp softmax log_softmax cumsum "
                                       "cumprod nansum nanmean argmax argmin").split()})
UNARY["norm"] = _rows("norm", dim=1)

BINARY = {n: (lambda n: lambda M, x, y: getattr(M, n)(x, y))(n) for n in (
    "add sub mul div pow maximum minimum fmax fmin remainder fmod atan2 hypot xlogy copysign logaddexp logaddexp2 eq "
    "lt ge true_divide float_power").split()}
for _n in ("mse_loss l1_loss smooth_l1_loss huber_loss binary_cross_entropy_with_logits soft_margin_loss kl_div "
           "poisson_nll_loss").split():
    for _red in ("none", "sum"):
        BINARY[f"F.{_n}.{_red}"] = (lambda n, red: lambda M, x, y: getattr(M.nn.functional, n)(x, y, reduction=red))(
            _n, _red)
BINARY.update({
    "F.gaussian_nll_loss": lambda M, x, y: M.nn.functional.gaussian_nll_loss(x, y, x * 0 + 1, reduction="none"),
    "F.kl_div.log_target": lambda M, x, y: M.nn.functional.kl_div(x, y, reduction="none", log_target=True),
    "F.poisson_nll_loss.full": lambda M, x, y: M.nn.functional.poisson_nll_loss(x, y, reduction="none", full=True),
    "F.poisson_nll_loss.lambda": lambda M, x, y: M.nn.functional.poisson_nll_loss(x, y, reduction="none",
                                                                                  log_input=False, full=True),
    "F.binary_cross_entropy": lambda M, x, y: M.nn.functional.binary_cross_entropy(x.sigmoid(), y.clamp(0, 1),
                                                                                   reduction="none"),
    "F.binary_cross_entropy_with_logits.pos_weight": lambda M, x, y: M.nn.functional.binary_cross_entropy_with_logits(
        x, y, reduction="none", pos_weight=M.tensor([2.0], dtype=x.dtype)),
    "F.normalize": lambda M, x, y: M.nn.functional.normalize(M.stack([x, y], 1), dim=1),
    "F.cosine_similarity": lambda M, x, y: M.nn.functional.cosine_similarity(x.reshape(-1, 1), y.reshape(-1, 1)),
    "F.pairwise_distance": lambda M, x, y: M.nn.functional.pairwise_distance(x.reshape(-1, 1), y.reshape(-1, 1)),
    "F.cross_entropy": lambda M, x, y: M.nn.functional.cross_entropy(M.stack([x, y], 1),
                                                                     M.zeros(x.shape[0], dtype=M.int64),
                                                                     reduction="none"),
    "F.linear": lambda M, x, y: M.nn.functional.linear(M.stack([x, y], 1), M.ones(3, 2, dtype=x.dtype)),
    "F.layer_norm": lambda M, x, y: M.nn.functional.layer_norm(M.stack([x, y, x * 0 + 1], 1), (3,)),
    "matmul": lambda M, x, y: M.stack([x, y], 1) @ M.ones(2, 3, dtype=x.dtype),
    "where": lambda M, x, y: M.where(x > y, x, y),
    "clamp": lambda M, x, y: x.clamp(min=y, max=y + 1),
    "lerp": lambda M, x, y: M.lerp(x, y, 0.3),
    "addcmul": lambda M, x, y: M.addcmul(x, x, y),
    "cdist": lambda M, x, y: M.cdist(x.reshape(-1, 1, 1), y.reshape(-1, 1, 1)),
})
BINARY.update({f"rows.{n}": _pair_rows(n, 1) for n in ("var std logsumexp softmax log_softmax prod cumprod amax sum "
                                                       "mean").split()})
BINARY["rows.max"] = lambda M, x, y: M.stack([x, y], 1).max(1)[0]
BINARY["rows.norm"] = _pair_rows("norm", dim=1)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_at_special_values(name, dtype):
    _fuzz.check(_fuzz.Case(0, name, [VALUES.astype(dtype)], UNARY[name]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_at_special_values(name, dtype):
    _fuzz.check(_fuzz.Case(0, name, [a.astype(dtype) for a in PAIRS], BINARY[name]))
