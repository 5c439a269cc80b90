"""Gamma(concentration α, rate β): density β^α·x^(α−1)·e^(−βx)/Γ(α), x > 0.

rsample: z/β with z ~ Gamma(α, 1) from NumPy and dz/dα by implicit reparameterisation (``_special.StandardGamma``;
torch's ``_standard_gamma`` uses an approximation of the same derivative, agreeing to about 1e-4).
"""
from __future__ import annotations

from .._typeinfo import finfo
from ..autograd.ops.elementwise import where
from . import _special, constraints, utils
from .distribution import Distribution


class Gamma(Distribution):
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = utils.broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate**2

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        z = _special.standard_gamma(self.concentration.expand(*shape)) / self.rate.expand(*shape)
        return z.clamp(min=finfo(z.dtype).tiny)

    def log_prob(self, value):
        """α·log β + (α − 1)·log x − βx − log Γ(α)."""
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration, self.rate
        return _xlogy(a, b) + _xlogy(a - 1, value) - b * value - _special.lgamma(a)

    def entropy(self):
        """α − log β + log Γ(α) + (1 − α)·ψ(α)."""
        a = self.concentration
        return a - self.rate.log() + _special.lgamma(a) + (1.0 - a) * _special.digamma(a)


def _xlogy(x, y):
    """x·log y, read as 0 where x = 0 (torch's xlogy)."""
    x, y = utils.broadcast_all(x, y)
    return where(x == 0, 0.0, x * y.log())
