"""Laplace(loc, scale): density exp(−|x − μ|/b) / (2b); rsample μ − b·sign(u)·log(1 − |u|), u ~ U(−1, 1)."""
from __future__ import annotations

import math

from .._typeinfo import finfo
from . import constraints, utils
from .distribution import Distribution


class Laplace(Distribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = utils.broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return math.sqrt(2) * self.scale

    @property
    def variance(self):
        return 2 * self.scale**2

    def rsample(self, sample_shape=()):
        eps = finfo(self.loc.dtype).eps
        u = utils.uniform01(self._extended_shape(sample_shape), self.loc.dtype) * (2 - eps) - (1 - eps)
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value):
        """−log(2b) − |x − μ|/b."""
        if self._validate_args:
            self._validate_sample(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        """½ − ½·sign(x − μ)·(e^(−|x − μ|/b) − 1)."""
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 - 0.5 * (value - self.loc).sign() * (-(value - self.loc).abs() / self.scale).expm1()

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self):
        """1 + log(2b)."""
        return 1 + (2 * self.scale).log()
