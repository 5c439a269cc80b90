"""Helpers shared by the distributions: broadcasting parameters, probabilities ↔ logits, the noise sources.

The noise functions (``standard_normal``, ``uniform01``, ``standard_exponential``) are the only places a
reparameterised sample draws randomness, so a test can hand in torch's noise and compare gradients.
"""
from __future__ import annotations

import math

import numpy as np

from .._creation import empty, rand, randn, tensor
from .._dtype import get_default_dtype
from .._typeinfo import finfo
from ..autograd.ops.nn import softmax
from ..tensor import Tensor, _wrap


def broadcast_all(*values):
    """Numbers become tensors of the default dtype (or of the tensors' dtype); all broadcast to one shape."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    dtype = tensors[0].dtype if tensors else get_default_dtype()
    values = [v if isinstance(v, Tensor) else tensor(v, dtype=dtype) for v in values]
    shape = np.broadcast_shapes(*(tuple(v.shape) for v in values))
    return tuple(v if tuple(v.shape) == shape else v.expand(shape) for v in values)


def clamp_probs(probs):
    """probs clamped to [eps, 1 − eps] of their dtype (so that logits stay finite)."""
    eps = finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """logit(p) = log p − log(1 − p) for binary; log p for categorical (p clamped)."""
    ps = clamp_probs(probs)
    return ps.log() - (-ps).log1p() if is_binary else ps.log()


def logits_to_probs(logits, is_binary=False):
    """sigmoid(logits) for binary; softmax over the last dim for categorical."""
    return logits.sigmoid() if is_binary else softmax(logits, dim=-1)


def sum_rightmost(value, dim: int):
    """Sum over the ``dim`` rightmost dims of value."""
    return value.reshape(*value.shape[: value.dim() - dim], -1).sum(-1) if dim > 0 else value


def lgamma_const(value):
    """log Γ(x) of a value that needs no gradient (a count), elementwise."""
    data = value._data if isinstance(value, Tensor) else np.asarray(value)
    return _wrap(np.vectorize(math.lgamma, otypes=[data.dtype])(data))


def standard_normal(shape, dtype):
    """N(0, 1) noise of ``shape``."""
    return randn(*shape, dtype=dtype)


def uniform01(shape, dtype):
    """U[0, 1) noise of ``shape``."""
    return rand(*shape, dtype=dtype)


def standard_exponential(shape, dtype):
    """Exp(1) noise of ``shape``."""
    return empty(*shape, dtype=dtype).exponential_()
