"""Bernoulli(probs | logits): P(1) = p, P(0) = 1 − p, with p = sigmoid(logits)."""
from __future__ import annotations

from .. import _errors
from .._creation import arange, bernoulli
from .._grad_mode import no_grad
from ..autograd.ops.elementwise import where
from ..nn import functional as F
from . import constraints, utils
from .distribution import Distribution, lazy_property


class Bernoulli(Distribution):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise _errors.probs_xor_logits()
        if probs is not None:
            (self.probs,) = utils.broadcast_all(probs)
            shape = self.probs.shape
        else:
            (self.logits,) = utils.broadcast_all(logits)
            shape = self.logits.shape
        self._param = self.probs if probs is not None else self.logits
        super().__init__(shape, validate_args=validate_args)

    @lazy_property
    def logits(self):
        return utils.probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return utils.logits_to_probs(self.logits, is_binary=True)

    def _expand_params(self):
        return ["probs" if "probs" in self.__dict__ else "logits"]

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        """1 where p > ½, 0 where p < ½, nan at p = ½."""
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return where(self.probs == 0.5, float("nan"), mode)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return bernoulli(self.probs.expand(*shape))

    def log_prob(self, value):
        """x·log p + (1 − x)·log(1 − p) = −BCE_with_logits(logits, x)."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = utils.broadcast_all(self.logits, value)
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand=True):
        values = arange(2, dtype=self._param.dtype).reshape(2, *((1,) * len(self._batch_shape)))
        return values.expand(2, *self._batch_shape) if expand else values
