"""Activations, dropout, ``linear`` and ``one_hot`` (functional forms)."""
from __future__ import annotations

import numpy as np

from ..._random import _gen
from ...autograd.ops import elementwise as E, indexing as I, linalg as L, nn as N
from ...autograd.ops._util import check_float
from ...autograd.grad_mode import is_grad_enabled
from ...tensor import Tensor, _wrap

__all__ = [
    "relu", "relu_", "relu6", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softmax", "log_softmax",
    "softmin", "softplus", "hardtanh", "logsigmoid", "mish", "dropout", "alpha_dropout", "linear", "one_hot",
    "normalize",
]


def _maybe_inplace(x, fn, inplace):
    """fn(x), or with ``inplace`` the same result written into ``x`` (recorded on a snapshot of x's history,
    so that the graph stays acyclic)."""
    if not inplace:
        return fn(x)
    if x.requires_grad and is_grad_enabled():
        x._check_inplace()
        return x._rebind(fn(x._snapshot()))
    out = fn(_wrap(x._data))
    np.copyto(x._data, out._data, casting="unsafe")
    return x


def relu(input, inplace=False):
    if not inplace:  # the hot path: one call
        return E.relu(input)
    return _maybe_inplace(input, E.relu, inplace)


def relu_(input):
    return relu(input, inplace=True)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    check_float("leaky_relu_cpu", input)
    return _maybe_inplace(input, lambda x: N.LeakyRelu.apply(x, slope=negative_slope), inplace)


def elu(input, alpha=1.0, inplace=False):
    check_float("elu_cpu", input)
    return _maybe_inplace(input, lambda x: N.Elu.apply(x, alpha=alpha), inplace)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    check_float("GeluKernelImpl", input)
    return N.Gelu.apply(input, tanh=approximate == "tanh")


def silu(input, inplace=False):
    check_float("silu_cpu", input)
    return _maybe_inplace(input, N.Silu.apply, inplace)


def mish(input, inplace=False):
    check_float("mish_cpu", input)
    return _maybe_inplace(input, lambda x: x * E.tanh(softplus(x)), inplace)


def sigmoid(input):
    return E.sigmoid(input)


def tanh(input):
    return E.tanh(input)


def logsigmoid(input):
    check_float("log_sigmoid_cpu", input)
    return -softplus(-input)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    return N.softmax(input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return N.softmax(-input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    return N.log_softmax(input, dim, dtype)


def softplus(input, beta=1.0, threshold=20.0):
    check_float("softplus_cpu", input)
    return N.Softplus.apply(input, beta=beta, threshold=threshold)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input._data.dtype.kind == "b":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    return _maybe_inplace(input, lambda x: N.Hardtanh.apply(x, lo=min_val, hi=max_val), inplace)


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True, inplace=False, *, generator=None):
    """Zero each element with probability p and scale the rest by 1/(1 − p) (training mode only)."""
    _check_p(p)
    if not training or p == 0:
        return input
    if p == 1:
        return _maybe_inplace(input, lambda x: x * 0, inplace)
    keep = _gen(generator).random(input._data.shape, dtype=np.float32) >= p
    mask = keep.astype(input._data.dtype) * input._data.dtype.type(1.0 / (1.0 - p))
    return _maybe_inplace(input, lambda x: N.MulMask.apply(x, mask=mask), inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps SELU's zero mean and unit variance (Klambauer et al., 2017)."""
    _check_p(p)
    if not training or p == 0:
        return input
    alpha = -1.7580993408473766
    keep = _gen(None).random(input._data.shape) >= p
    a = (1 / np.sqrt((alpha * alpha * p + 1) * (1 - p)))
    b = -a * alpha * p
    keep_t = _wrap(keep.astype(input._data.dtype))
    return _maybe_inplace(input, lambda x: (x * keep_t + alpha * (1 - keep_t)) * float(a) + float(b), inplace)


def linear(input, weight, bias=None):
    """y = x·Wᵀ + b."""
    return L.linear(input, weight, bias)


def one_hot(tensor, num_classes=-1):
    return I.one_hot(tensor, num_classes)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """x / max(‖x‖_p, ε) along ``dim``."""
    n = input.norm(p, dim, keepdim=True).clamp(min=eps)
    return input / n
