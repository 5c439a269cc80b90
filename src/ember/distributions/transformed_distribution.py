"""TransformedDistribution(base, transforms): the law of y = t_n(… t_1(x)), x ~ base.

log p(y) = log p_base(x) − Σ log|J_i| (each at its intermediate value, x = t⁻¹(y)).
"""
from __future__ import annotations

from .._grad_mode import no_grad
from ..tensor import Tensor
from . import constraints, utils
from .distribution import Distribution
from .transforms import Transform


class TransformedDistribution(Distribution):
    arg_constraints: dict = {}

    def __init__(self, base_distribution, transforms, validate_args=None):
        if isinstance(transforms, Transform):
            transforms = [transforms]
        elif not (isinstance(transforms, list) and all(isinstance(t, Transform) for t in transforms)):
            raise ValueError(f"transforms must be a Transform or a list of Transforms, but got {transforms}")
        self.base_dist, self.transforms = base_distribution, transforms
        event_dim = max([len(base_distribution.event_shape)] + [t.event_dim for t in transforms])
        shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        cut = len(shape) - event_dim
        super().__init__(shape[:cut], shape[cut:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        base = self.base_dist.expand(tuple(batch_shape) + tuple(self.base_dist.event_shape))
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        TransformedDistribution.__init__(new, base, self.transforms, validate_args=False)
        return new

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    @property
    def support(self):
        return self.transforms[-1].codomain if self.transforms else self.base_dist.support

    def sample(self, sample_shape=()):
        with no_grad():
            return self.rsample(sample_shape) if self.base_dist.has_rsample else self._push(self.base_dist.sample(sample_shape))

    def rsample(self, sample_shape=()):
        return self._push(self.base_dist.rsample(sample_shape))

    def _push(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        event_dim = len(self.event_shape)
        log_prob, y = 0.0, value
        for t in reversed(self.transforms):
            x = t.inv(y)
            log_prob = log_prob - utils.sum_rightmost(t.log_abs_det_jacobian(x, y), event_dim - t.event_dim)
            y = x
        return log_prob + utils.sum_rightmost(self.base_dist.log_prob(y),
                                              event_dim - len(self.base_dist.event_shape))

    def _monotone_sign(self):
        sign = 1
        for t in self.transforms:
            sign = sign * t.sign
        if isinstance(sign, Tensor) and not bool((sign == sign.reshape(-1)[0]).all()):
            raise NotImplementedError("Transformed distributions only support cdf/icdf for monotone transforms")
        return float(sign.reshape(-1)[0].item()) if isinstance(sign, Tensor) else sign

    def cdf(self, value):
        """F(y) = F_base(t⁻¹(y)) for an increasing t, 1 − F_base(t⁻¹(y)) for a decreasing one."""
        sign = self._monotone_sign()
        for t in reversed(self.transforms):
            value = t.inv(value)
        value = self.base_dist.cdf(value)
        return value if sign == 1 else 1 - value

    def icdf(self, value):
        if self._monotone_sign() != 1:
            value = 1 - value
        return self._push(self.base_dist.icdf(value))


class LogNormal(TransformedDistribution):
    """exp(X), X ~ Normal(loc, scale)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        from .normal import Normal
        from .transforms import ExpTransform

        base = Normal(loc, scale, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return LogNormal(self.loc.expand(*batch_shape), self.scale.expand(*batch_shape), validate_args=False)

    @property
    def loc(self):
        return self.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mean(self):
        """e^(μ + σ²/2)."""
        return (self.loc + self.scale**2 / 2).exp()

    @property
    def mode(self):
        return (self.loc - self.scale**2).exp()

    @property
    def variance(self):
        """(e^(σ²) − 1)·e^(2μ + σ²)."""
        s2 = self.scale**2
        return s2.expm1() * (2 * self.loc + s2).exp()

    def entropy(self):
        return self.base_dist.entropy() + self.loc
