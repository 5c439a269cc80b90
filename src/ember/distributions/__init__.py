"""``ember.distributions``: torch.distributions' API (shapes, validation, sample/rsample, log_prob, entropy,
moments, cdf/icdf, expand, transforms, kl_divergence with ``register_kl``).

Families: Normal, MultivariateNormal, LogNormal, Uniform, Exponential, Laplace, Gamma, Beta, Dirichlet, Bernoulli, Categorical, OneHotCategorical, Poisson,
Binomial, Independent, TransformedDistribution. Reparameterised samples (``rsample``) are ember ops, so their
gradients reach the parameters; samples draw noise through ``distributions/utils.py`` (NumPy's stream, not torch's).
"""
from . import constraints, transforms  # noqa: F401
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical, OneHotCategorical
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exponential import Exponential
from .gamma import Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .laplace import Laplace
from .normal import Normal
from .poisson import Poisson
from .transformed_distribution import LogNormal, TransformedDistribution
from .transforms import (
    AffineTransform, ComposeTransform, ExpTransform, SigmoidTransform, TanhTransform, Transform,
)
from .uniform import Uniform

__all__ = [
    "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "ComposeTransform", "Dirichlet", "Distribution", "ExpTransform",
    "Exponential", "Gamma", "Independent", "Laplace", "LogNormal", "MultivariateNormal", "Normal", "OneHotCategorical", "Poisson",
    "SigmoidTransform", "TanhTransform", "Transform", "TransformedDistribution", "Uniform", "constraints",
    "kl_divergence", "register_kl", "transforms",
]
