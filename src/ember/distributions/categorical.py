"""Categorical(probs | logits) over {0, …, K−1} along the last dim, and OneHotCategorical (its one-hot samples)."""
from __future__ import annotations

import numpy as np

from .. import _errors
from .._creation import arange, eye, full, multinomial
from .._grad_mode import no_grad
from .._typeinfo import finfo
from ..autograd.ops.reduction import logsumexp
from ..nn import functional as F
from . import constraints, utils
from .distribution import Distribution, lazy_property


class Categorical(Distribution):
    """P(k) = p_k / Σ p (probs) = softmax(logits)_k."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise _errors.probs_xor_logits()
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logsumexp(logits, dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        super().__init__(self._param.shape[:-1], validate_args=validate_args)

    @lazy_property
    def logits(self):
        return utils.probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return utils.logits_to_probs(self.logits)

    def _expand_params(self):
        return ["probs" if "probs" in self.__dict__ else "logits"]

    def _param_event_shape(self, name):
        return (self._num_events,)

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape)
        new._param = getattr(new, self._expand_params()[0])
        return new

    @property
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def mean(self):
        return full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    @property
    def mode(self):
        return self.probs.argmax(-1)

    @property
    def variance(self):
        return full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    def sample(self, sample_shape=()):
        n = 1
        for s in sample_shape:
            n *= s
        probs_2d = self.probs.reshape(-1, self._num_events)
        with no_grad():
            samples = multinomial(probs_2d, n, True).t()
        return samples.reshape(*self._extended_shape(sample_shape))

    def log_prob(self, value):
        """log p_value."""
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        batch = np.broadcast_shapes(tuple(value.shape[:-1]), tuple(self.logits.shape[:-1]))  # value with the batch
        value = value.expand(*batch, 1)
        log_pmf = self.logits.expand(*batch, self._num_events)
        return log_pmf.gather(-1, value).squeeze(-1)

    def entropy(self):
        """−Σ p_k log p_k (logits clamped at the dtype's min, so 0·log 0 = 0)."""
        logits = self.logits.clamp(min=finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = arange(self._num_events).reshape(-1, *((1,) * len(self._batch_shape)))
        return values.expand(-1, *self._batch_shape) if expand else values


class OneHotCategorical(Distribution):
    """Categorical with one-hot vectors of length K as values (event_shape (K,))."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = object.__new__(OneHotCategorical)
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def mean(self):
        return self._categorical.probs

    @property
    def mode(self):
        return F.one_hot(self._categorical.mode, self._event_shape[0]).to(self.probs.dtype)

    @property
    def variance(self):
        return self._categorical.probs * (1 - self._categorical.probs)

    def sample(self, sample_shape=()):
        indices = self._categorical.sample(sample_shape)
        return F.one_hot(indices, self._event_shape[0]).to(self.probs.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        n = self._event_shape[0]
        values = eye(n, dtype=self.probs.dtype).reshape(n, *((1,) * len(self._batch_shape)), n)
        return values.expand(n, *self._batch_shape, n) if expand else values
