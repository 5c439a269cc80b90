"""ember: PyTorch's training API on NumPy.

``import ember as torch`` gives tensors with autograd, creation functions, dtypes and grad
modes under torch's names; ``ember.nn``, ``ember.optim``, ``ember.utils.data`` and
``ember.metrics`` (torchmetrics' API) hold the rest.
"""
from __future__ import annotations

from . import _memory

_memory.tune()  # keep freed array memory for reuse (glibc; EMBER_MALLOC_TUNING=0 to skip): see ember/_memory.py

from ._dtype import (
    bool, double, dtype, float, float16, float32, float64, get_default_dtype, half, int, int8, int16, int32,
    int64, long, promote_types, set_default_dtype, short, uint8,
)
from ._backend import device
from .tensor import Size, Tensor
from . import autograd
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.ops import elementwise as _E, indexing as _I, linalg as _L, nn as _N, reduction as _R, shape as _S
from ._random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from ._creation import (
    arange, as_tensor, bernoulli, empty, empty_like, eye, from_numpy, full, full_like, is_tensor, linspace,
    logspace, multinomial, normal, numel, ones, ones_like, rand, rand_like, randint, randint_like, randn,
    randn_like, randperm, tensor, tril, triu, zeros, zeros_like,
)

# ---- functions with torch's names ----------------------------------------------------------
add, sub, subtract, mul, multiply, div, divide, true_divide = _E.add, _E.sub, _E.sub, _E.mul, _E.mul, _E.div, _E.div, _E.div
neg, negative, pow, exp, log, log1p, log2, log10, expm1 = _E.neg, _E.neg, _E.pow, _E.exp, _E.log, _E.log1p, _E.log2, _E.log10, _E.expm1
sqrt, rsqrt, reciprocal, abs, absolute, sign, sin, cos = _E.sqrt, _E.rsqrt, _E.reciprocal, _E.abs, _E.abs, _E.sign, _E.sin, _E.cos
sigmoid, tanh, relu, square, floor, ceil, trunc, round = _E.sigmoid, _E.tanh, _E.relu, _E.square, _E.floor, _E.ceil, _E.trunc, _E.round
clamp, clip, maximum, minimum, where, clone = _E.clamp, _E.clamp, _E.maximum, _E.minimum, _E.where, _E.clone
eq, ne, lt, le, gt, ge, isnan, isinf, isfinite = _E.eq, _E.ne, _E.lt, _E.le, _E.gt, _E.ge, _E.isnan, _E.isinf, _E.isfinite
logical_not, logical_and, logical_or, logical_xor = _E.logical_not, _E.logical_and, _E.logical_or, _E.logical_xor
remainder, floor_divide, allclose, isclose, equal = _E.remainder, _E.floor_divide, _E.allclose, _E.isclose, _E.equal
sum, mean, var, std, var_mean, std_mean, prod = _R.sum, _R.mean, _R.var, _R.std, _R.var_mean, _R.std_mean, _R.prod
max, min, amax, amin, argmax, argmin, logsumexp, norm = _R.max, _R.min, _R.amax, _R.amin, _R.argmax, _R.argmin, _R.logsumexp, _R.norm
cumsum, all, any, count_nonzero = _R.cumsum, _R.all, _R.any, _R.count_nonzero
reshape, flatten, unflatten, squeeze, unsqueeze, permute = _S.reshape, _S.flatten, _S.unflatten, _S.squeeze, _S.unsqueeze, _S.permute
transpose, swapaxes, t, cat, concat, concatenate, stack = _S.transpose, _S.transpose, _S.t, _S.cat, _S.cat, _S.cat, _S.stack
hstack, vstack, split, chunk, unbind, flip, broadcast_to = _S.hstack, _S.vstack, _S.split, _S.chunk, _S.unbind, _S.flip, _S.broadcast_to
gather, scatter, scatter_add, index_select, masked_fill = _I.gather, _I.scatter, _I.scatter_add, _I.index_select, _I.masked_fill
masked_select, nonzero, take_along_dim = _I.masked_select, _I.nonzero, _I.take_along_dim
matmul, mm, bmm, dot, outer, einsum = _L.matmul, _L.mm, _L.bmm, _L.dot, _L.outer, _L.einsum
addmm, addmv, addr, baddbmm, addbmm, mv = _L.addmm, _L.addmv, _L.addr, _L.baddbmm, _L.addbmm, _L.mv
vdot, inner, tensordot, kron, ger, cross = _L.vdot, _L.inner, _L.tensordot, _L.kron, _L.outer, _L.cross
cdist, dist, chain_matmul = _L.cdist, _L.dist, _L.chain_matmul
from .autograd.ops.special import (  # noqa: E402
    digamma, erf, erfc, erfinv, i0, lgamma, polygamma,
)
from .linalg import det, logdet, matrix_exp, matrix_power, slogdet  # noqa: E402  (torch's top-level aliases)
from .linalg import inv as inverse, pinv as _pinv  # noqa: E402
from .linalg import _cholesky_old as cholesky, _qr_old as qr, _svd_old as svd  # noqa: E402
from .linalg import cholesky_inverse, cholesky_solve, triangular_solve  # noqa: E402


def pinverse(input, rcond=1e-15):
    """The pseudo-inverse dropping singular values ≤ rcond·σ_max (torch.pinverse: linalg.pinv with rtol=rcond)."""
    return _pinv(input, rtol=rcond)
softmax, log_softmax = _N.softmax, _N.log_softmax


def lerp(input, end, weight):
    """input + weight·(end − input)."""
    return input + (end - input) * weight


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value·tensor1·tensor2."""
    return input + tensor1 * tensor2 * value


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value·tensor1/tensor2."""
    return input + tensor1 / tensor2 * value


def is_floating_point(input) -> bool:
    return input.is_floating_point()


from .serialization import load, save  # noqa: E402
from ._threads import get_num_threads, set_num_threads  # noqa: E402

__version__ = "0.1.0"

from . import nn, optim, special, utils  # noqa: E402  (subpackages, as torch.nn / torch.optim / torch.special / torch.utils)
