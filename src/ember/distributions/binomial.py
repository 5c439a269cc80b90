"""Binomial(total_count, probs | logits): P(k) = C(n, k)·p^k·(1 − p)^(n−k), k = 0 … n."""
from __future__ import annotations

from .. import _errors
from .._creation import arange, tensor
from .._random import _gen
from . import constraints, utils
from .distribution import Distribution, lazy_property


def _clamp_by_zero(x):
    """max(x, 0) with gradient ½ at 0 (as torch's)."""
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(Distribution):
    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise _errors.probs_xor_logits()
        if probs is not None:
            self.total_count, self.probs = utils.broadcast_all(total_count, probs)
            self.total_count = self.total_count.to(self.probs.dtype)
        else:
            self.total_count, self.logits = utils.broadcast_all(total_count, logits)
            self.total_count = self.total_count.to(self.logits.dtype)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(self._param.shape, validate_args=validate_args)

    @lazy_property
    def logits(self):
        return utils.probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return utils.logits_to_probs(self.logits, is_binary=True)

    def _expand_params(self):
        return ["total_count", "probs" if "probs" in self.__dict__ else "logits"]

    @property
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        n = self.total_count.expand(*shape).detach().numpy().astype("int64")
        p = self.probs.expand(*shape).detach().numpy()
        return tensor(_gen(None).binomial(n, p), dtype=self.probs.dtype)

    def log_prob(self, value):
        """k·logit − log k! − log (n − k)! − (n·max(logit, 0) + n·log(1 + e^(−|logit|)) − log n!)."""
        if self._validate_args:
            self._validate_sample(value)
        log_factorial_n = utils.lgamma_const(self.total_count + 1)
        log_factorial_k = utils.lgamma_const(value + 1)
        log_factorial_nmk = utils.lgamma_const(self.total_count - value + 1)
        normalize_term = (self.total_count * _clamp_by_zero(self.logits)
                          + self.total_count * (-self.logits.abs()).exp().log1p() - log_factorial_n)
        return value * self.logits - log_factorial_k - log_factorial_nmk - normalize_term

    def entropy(self):
        """−Σ_k P(k)·log P(k) over the support (one total_count for the whole batch, as torch)."""
        total_count = int(self.total_count.max().item())
        if not bool((self.total_count == total_count).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total_count = int(self.total_count.max().item())
        if not bool((self.total_count == total_count).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by `enumerate_support`.")
        values = arange(1 + total_count, dtype=self._param.dtype)
        values = values.reshape(-1, *((1,) * len(self._batch_shape)))
        return values.expand(-1, *self._batch_shape) if expand else values
