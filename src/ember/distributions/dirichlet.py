"""Dirichlet(concentration α) on the simplex: density Γ(α₀)/Π Γ(αᵢ) · Π xᵢ^(αᵢ−1), α₀ = Σ αᵢ.

rsample: Gᵢ/Σ G with Gᵢ ~ Gamma(αᵢ, 1), each reparameterised implicitly (``_special.StandardGamma``). Deliberate
difference: torch differentiates the normalised sample with its own Dirichlet formula; both are pathwise
gradients of the same sample, but they differ sample by sample (equal in expectation).
"""
from __future__ import annotations

from .._creation import zeros
from .._dtype import int64
from ..autograd.ops.elementwise import where
from ..nn import functional as F
from . import _special, constraints
from .distribution import Distribution
from .gamma import _xlogy


class Dirichlet(Distribution):
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args=validate_args)

    def _param_event_shape(self, name):
        return tuple(self.event_shape)

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        """(αᵢ − 1)⁺ / Σ (α − 1)⁺; where every αᵢ < 1 (the density peaks at the corners), the first corner
        e₁, as torch (its argmax over that row's nan values picks index 0)."""
        cm1 = (self.concentration - 1).clamp(min=0.0)
        all_below_one = (self.concentration < 1).all(-1, keepdim=True)
        total = cm1.sum(-1, keepdim=True)
        mode = cm1 / where(all_below_one, 1.0, total)
        corner = F.one_hot(zeros(*cm1.shape[:-1], dtype=int64), cm1.shape[-1]).to(mode.dtype)
        return where(all_below_one, corner, mode)

    @property
    def variance(self):
        """αᵢ(α₀ − αᵢ) / (α₀²(α₀ + 1))."""
        a0 = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (a0 - self.concentration) / (a0**2 * (a0 + 1))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        g = _special.standard_gamma(self.concentration.expand(*shape))
        return g / g.sum(-1, keepdim=True)

    def log_prob(self, value):
        """Σ (αᵢ − 1)·log xᵢ + log Γ(α₀) − Σ log Γ(αᵢ)."""
        if self._validate_args:
            self._validate_sample(value)
        a = self.concentration
        return _xlogy(a - 1.0, value).sum(-1) + _special.lgamma(a.sum(-1)) - _special.lgamma(a).sum(-1)

    def entropy(self):
        """Σ log Γ(αᵢ) − log Γ(α₀) − (k − α₀)·ψ(α₀) − Σ (αᵢ − 1)·ψ(αᵢ)."""
        a = self.concentration
        k = a.shape[-1]
        a0 = a.sum(-1)
        return (_special.lgamma(a).sum(-1) - _special.lgamma(a0) - (k - a0) * _special.digamma(a0)
                - ((a - 1.0) * _special.digamma(a)).sum(-1))
