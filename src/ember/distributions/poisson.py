"""Poisson(rate): P(k) = λ^k·e^(−λ) / k!, k = 0, 1, …"""
from __future__ import annotations

from .._creation import poisson
from .._grad_mode import no_grad
from ..autograd.ops.elementwise import where
from . import constraints, utils
from .distribution import Distribution


class Poisson(Distribution):
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = utils.broadcast_all(rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=()):
        with no_grad():
            return poisson(self.rate.expand(*self._extended_shape(sample_shape)))

    def log_prob(self, value):
        """k·log λ − λ − log k! (k·log λ read as 0 at k = 0, as torch's xlogy)."""
        if self._validate_args:
            self._validate_sample(value)
        rate, value = utils.broadcast_all(self.rate, value)
        k_log_rate = where(value == 0, 0.0, value * rate.log())
        return k_log_rate - rate - utils.lgamma_const(value + 1)
