"""Bijective transforms y = f(x) with log|det ∂y/∂x|, for ``TransformedDistribution`` (torch's names)."""
from __future__ import annotations

import math

from .._creation import full_like, zeros_like
from .._typeinfo import finfo
from ..tensor import Tensor
from ..nn import functional as F
from . import constraints


class Transform:
    """y = t(x); ``t.inv(y)``; ``log_abs_det_jacobian(x, y)``; ``domain``/``codomain`` constraints."""

    bijective = True
    sign = 1
    domain: constraints.Constraint = constraints.real
    codomain: constraints.Constraint = constraints.real

    def __call__(self, x):
        return self._call(x)

    @property
    def inv(self):
        return _InverseTransform(self)

    @property
    def event_dim(self):
        return self.domain.event_dim

    def forward_shape(self, shape):
        return shape

    def inverse_shape(self, shape):
        return shape

    def __repr__(self):
        return type(self).__name__ + "()"


class _InverseTransform(Transform):
    def __init__(self, transform):
        self._inv = transform
        self.domain, self.codomain = transform.codomain, transform.domain

    @property
    def inv(self):
        return self._inv

    @property
    def sign(self):
        return self._inv.sign

    def __call__(self, x):
        return self._inv._inverse(x)

    def _inverse(self, y):
        return self._inv(y)

    def log_abs_det_jacobian(self, x, y):
        return -self._inv.log_abs_det_jacobian(y, x)


class ExpTransform(Transform):
    """y = eˣ; log|J| = x."""

    codomain = constraints.positive

    def _call(self, x):
        return x.exp()

    def _inverse(self, y):
        return y.log()

    def log_abs_det_jacobian(self, x, y):
        return x


class AffineTransform(Transform):
    """y = loc + scale·x; log|J| = log|scale| (summed over ``event_dim`` rightmost dims)."""

    def __init__(self, loc, scale, event_dim=0, cache_size=0):
        self.loc, self.scale, self._event_dim = loc, scale, event_dim

    @property
    def event_dim(self):
        return self._event_dim

    @property
    def domain(self):
        return constraints.real if self._event_dim == 0 else constraints.independent(constraints.real, self._event_dim)

    codomain = domain

    @property
    def sign(self):
        return self.scale.sign() if isinstance(self.scale, Tensor) else (1 if self.scale > 0 else -1)

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        scale = self.scale
        result = scale.abs().log() if isinstance(scale, Tensor) else full_like(x, math.log(abs(scale)))
        result = result.expand(*x.shape) if tuple(result.shape) != tuple(x.shape) else result
        if self._event_dim:
            result = result.reshape(*result.shape[: result.dim() - self._event_dim], -1).sum(-1)
        return result


class SigmoidTransform(Transform):
    """y = 1/(1 + e^(−x)); log|J| = −softplus(−x) − softplus(x)."""

    codomain = constraints.unit_interval

    def _call(self, x):
        eps = finfo(x.dtype)
        return x.sigmoid().clamp(min=eps.tiny, max=1 - eps.eps)

    def _inverse(self, y):
        eps = finfo(y.dtype)
        y = y.clamp(min=eps.tiny, max=1 - eps.eps)
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x, y):
        return -F.softplus(-x) - F.softplus(x)


class TanhTransform(Transform):
    """y = tanh x; log|J| = 2·(log 2 − x − softplus(−2x))."""

    codomain = constraints.interval(-1.0, 1.0)

    def _call(self, x):
        return x.tanh()

    def _inverse(self, y):
        return 0.5 * ((1 + y).log() - (1 - y).log())  # atanh

    def log_abs_det_jacobian(self, x, y):
        return 2.0 * (math.log(2.0) - x - F.softplus(-2.0 * x))


class ComposeTransform(Transform):
    """parts applied left to right: y = t_n(… t_1(x)); log|J| = Σ log|J_i| at each intermediate value."""

    def __init__(self, parts, cache_size=0):
        self.parts = list(parts)

    @property
    def domain(self):
        return self.parts[0].domain if self.parts else constraints.real

    @property
    def codomain(self):
        return self.parts[-1].codomain if self.parts else constraints.real

    @property
    def event_dim(self):
        return max((p.event_dim for p in self.parts), default=0)

    @property
    def sign(self):
        s = 1
        for p in self.parts:
            s = s * p.sign
        return s

    def _call(self, x):
        for p in self.parts:
            x = p(x)
        return x

    def _inverse(self, y):
        for p in reversed(self.parts):
            y = p.inv(y)
        return y

    def log_abs_det_jacobian(self, x, y):
        if not self.parts:
            return zeros_like(x)
        total = 0
        for p in self.parts:
            x_next = p(x)
            term = p.log_abs_det_jacobian(x, x_next)
            extra = self.event_dim - p.event_dim
            total = total + (term.reshape(*term.shape[: term.dim() - extra], -1).sum(-1) if extra else term)
            x = x_next
        return total


identity_transform = ComposeTransform([])
