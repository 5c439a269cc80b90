"""Activations, dropout, ``linear``, ``bilinear`` and ``one_hot`` (functional forms).

Deliberate differences, at special values only: at a NaN input torch's CPU kernels for hardtanh, relu6, hardshrink,
softshrink, elu, selu, celu and hardswish give one gradient in their vectorised loop (0 for the first four, NaN for
the others) and the incoming gradient in the scalar loop that handles small tensors and the last elements of a
large one; ember always gives the vectorised loop's answer. ``gelu(+inf)`` is +inf, as torch's scalar and float64
kernels (its float32 vectorised kernel gives NaN). ``tests/fuzz/_fuzz.py`` (ALLOWED) lists these once; the test
``test_where_torchs_kernels_disagree_at_nan_ember_gives_the_vectorised_answer`` pins them.
"""
from __future__ import annotations

import numpy as np

from ... import _errors
from ..._random import _gen
from ...autograd.ops import elementwise as E, indexing as I, linalg as L, nn as N
from ...autograd.ops._util import check_float
from ..._grad_mode import is_grad_enabled
from ...tensor import _wrap

__all__ = [
    "relu", "relu_", "relu6", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softmax", "log_softmax",
    "softmin", "softplus", "hardtanh", "logsigmoid", "mish", "dropout", "alpha_dropout", "linear", "one_hot",
    "normalize", "bilinear", "elu_", "leaky_relu_", "hardtanh_", "selu", "selu_", "celu", "celu_", "glu", "hardsigmoid",
    "hardswish", "hardshrink", "softshrink", "softsign", "tanhshrink", "threshold", "threshold_", "prelu", "rrelu",
    "rrelu_", "gumbel_softmax",
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
    if input._data.dtype.kind == "u" and (min_val < 0 or max_val < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    return _maybe_inplace(input, lambda x: N.Hardtanh.apply(x, lo=min_val, hi=max_val), inplace)


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise _errors.dropout_probability(p)


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


def bilinear(input1, input2, weight, bias=None):
    """yₖ = x₁ᵀ·Wₖ·x₂ + bₖ, W of shape (out, in1, in2); leading dims of x₁ and x₂ are batch dims.

    Computed as one matmul x₁·W' (W' the (in1, out·in2) view of W) and a product-sum with x₂."""
    out, n1, n2 = weight.shape
    if input1.shape[-1] != n1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but "
                           f"expected {n1}")
    if input2.shape[-1] != n2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but "
                           f"expected {n2}")
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    for d, (a, b) in enumerate(zip(input1.shape[:-1], input2.shape[:-1])):
        if a != b:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: got {a} and {b}")
    lead = tuple(input1.shape[:-1])
    t = input1.reshape(-1, n1) @ weight.permute(1, 0, 2).reshape(n1, out * n2)
    y = (t.reshape(-1, out, n2) * input2.reshape(-1, 1, n2)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(*lead, out)


def one_hot(tensor, num_classes=-1):
    return I.one_hot(tensor, num_classes)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """x / max(‖x‖_p, ε) along ``dim``."""
    n = input.norm(p, dim, keepdim=True).clamp(min=eps)
    return input / n


# ---- the rest of torch's activations (#19), each composed from differentiable ops ---------------------------
def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """SELU(x) = λ·ELU(x; α), α ≈ 1.6733, λ ≈ 1.0507 (Klambauer et al., "Self-Normalizing Neural Networks",
    NeurIPS 2017, https://arxiv.org/abs/1706.02515)."""
    check_float("elu_cpu", input)
    return _maybe_inplace(input, lambda x: N.Elu.apply(x, alpha=_SELU_ALPHA) * _SELU_SCALE, inplace)


def selu_(input):
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    """CELU(x) = max(0, x) + min(0, α(e^(x/α) − 1)) (Barron, 2017, https://arxiv.org/abs/1704.07483)."""
    check_float("elu_cpu", input)
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _maybe_inplace(input, lambda x: N.Elu.apply(x, alpha=alpha, scale=alpha), inplace)


def celu_(input, alpha=1.0):
    return celu(input, alpha, inplace=True)


def glu(input, dim=-1):
    """GLU(a, b) = a ⊗ σ(b), with a, b the two halves of ``input`` along ``dim`` (Dauphin et al., 2017)."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.dim()} is size {n}")
    a, b = input.chunk(2, dim)
    return a * E.sigmoid(b)


def hardsigmoid(input, inplace=False):
    """hardsigmoid(x) = 0 if x ≤ −3, 1 if x ≥ 3, else x/6 + 1/2."""
    check_float("hardsigmoid_cpu", input)
    return _maybe_inplace(input, lambda x: N.Hardtanh.apply(x + 3.0, lo=0.0, hi=6.0) / 6.0, inplace)


def hardswish(input, inplace=False):
    """hardswish(x) = x·hardsigmoid(x) (Howard et al., "Searching for MobileNetV3", 2019)."""
    check_float("hardswish_cpu", input)
    return _maybe_inplace(input, N.Hardswish.apply, inplace)


def _check_lambd(input, lambd):
    dt = input._data.dtype
    if dt.kind == "f" and not 0 <= lambd <= np.finfo(dt).max:
        raise RuntimeError(f"lambda must be in range [0, {float(np.finfo(dt).max):g}] for input dtype "
                           f"{'Double' if dt == np.float64 else 'Float' if dt == np.float32 else 'Half'}, "
                           f"but found {lambd:g}")


def hardshrink(input, lambd=0.5):
    """hardshrink(x) = x if |x| > λ else 0."""
    check_float("hardshrink_cpu", input)
    return E.where((input > lambd) | (input < -lambd), input, input * 0)  # (NaN: NaN, gradient 0, as torch)


def softshrink(input, lambd=0.5):
    """softshrink(x) = x − λ if x > λ, x + λ if x < −λ, else 0  (= x − clamp(x, −λ, λ))."""
    check_float("softshrink_cpu", input)
    _check_lambd(input, lambd)
    return E.where(input > lambd, input - lambd, E.where(input < -lambd, input + lambd, input * 0))  # (NaN: NaN)


def softsign(input):
    """softsign(x) = x / (1 + |x|)."""
    return input / (E.abs(input) + 1)


def tanhshrink(input):
    """tanhshrink(x) = x − tanh(x)."""
    return input - E.tanh(input)


def threshold(input, threshold, value, inplace=False):
    """y = x if x > threshold else value."""
    return _maybe_inplace(input, lambda x: E.where(x <= threshold, value, x), inplace)  # (NaN stays NaN, as torch)


_threshold = threshold  # (threshold_'s argument of the same name hides the function)


def threshold_(input, threshold, value):
    return _threshold(input, threshold, value, inplace=True)


def prelu(input, weight):
    """PReLU(x) = x if x > 0 else a·x, with one learnt slope a per channel (dim 1; a 1-d input has one channel) or
    one shared by all (He et al., "Delving Deep into Rectifiers", ICCV 2015, https://arxiv.org/abs/1502.01852)."""
    check_float("prelu_cpu", input)
    n = weight._data.size
    if input.dim() == 0 and n != 1:
        raise RuntimeError("Not allow zero-dim input tensor.")
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    if n != 1:
        c = input.shape[1] if input.dim() >= 2 else 1
        if n != c:
            raise _errors.prelu_parameter_count(n, c)
        w = weight.reshape((c,) + (1,) * (input.dim() - 2))
    else:
        w = weight.reshape(())
    return E.where(input > 0, input, w * input)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: y = x if x ≥ 0 else a·x, a ~ U(lower, upper) drawn per element in training,
    a = (lower + upper)/2 in evaluation (Xu et al., "Empirical Evaluation of Rectified Activations", 2015,
    https://arxiv.org/abs/1505.00853).

    Torch parity: eval values and gradients equal torch's; training slopes come from ember's generator."""
    check_float("leaky_relu_cpu", input)
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    x = input._data
    a = _gen(None).uniform(lower, upper, size=x.shape).astype(x.dtype)
    mask = np.where(x >= 0, x.dtype.type(1), a)
    return _maybe_inplace(input, lambda t: N.MulMask.apply(t, mask=mask), inplace)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, inplace=True)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """Sample from the Gumbel-softmax (Concrete) distribution:

        y = softmax((logits + g)/τ) along ``dim``,   g = −log(E), E ~ Exp(1) i.i.d.

    With ``hard`` the result is the one-hot of argmax y in value and y in gradient (straight-through:
    one_hot − y.detach() + y). ``eps`` is accepted and unused, as in torch.
    Torch parity: same arguments and semantics as torch.nn.functional.gumbel_softmax (random streams differ).
    Reference: Jang, Gu & Poole, "Categorical Reparameterization with Gumbel-Softmax", ICLR 2017,
    https://arxiv.org/abs/1611.01144; Maddison, Mnih & Teh, "The Concrete Distribution", ICLR 2017.
    """
    x = logits._data
    if x.dtype.kind != "f":
        raise RuntimeError(f"Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {_TORCH_NAME.get(x.dtype.name, x.dtype.name)}")
    gumbels = -np.log(_gen(None).exponential(size=x.shape)).astype(x.dtype)
    y = softmax((logits + _wrap(gumbels)) / tau, dim)
    if not hard:
        return y
    axis = dim % max(x.ndim, 1)
    index = np.expand_dims(np.argmax(y._data, axis=axis), axis)
    one_hot_ = np.zeros_like(y._data)
    np.put_along_axis(one_hot_, index, 1, axis=axis)
    return _wrap(one_hot_) - y.detach() + y


_TORCH_NAME = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
