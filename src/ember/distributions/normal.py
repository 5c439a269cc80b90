"""Normal(loc, scale): density exp(−(x − μ)²/(2σ²)) / (σ√(2π)); rsample μ + σ·ε, ε ~ N(0, 1)."""
from __future__ import annotations

import math

from . import constraints, utils
from .distribution import Distribution


class Normal(Distribution):
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
        return self.scale

    @property
    def variance(self):
        return self.scale**2

    def rsample(self, sample_shape=()):
        eps = utils.standard_normal(self._extended_shape(sample_shape), self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        """−(x − μ)²/(2σ²) − log σ − log √(2π)."""
        if self._validate_args:
            self._validate_sample(value)
        return -((value - self.loc) ** 2) / (2 * self.variance) - self.scale.log() - math.log(math.sqrt(2 * math.pi))

    def entropy(self):
        """½ + ½·log(2π) + log σ."""
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()

    def cdf(self, value):
        """½·(1 + erf((x − μ)/(σ√2)))."""
        from ._special import erf

        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def icdf(self, value):
        """μ + σ·√2·erfinv(2p − 1)."""
        from ._special import erfinv

        return self.loc + self.scale * erfinv(2 * value - 1) * math.sqrt(2)
