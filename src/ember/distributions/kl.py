"""``kl_divergence(p, q)`` = E_p[log p(x) − log q(x)], looked up in a registry filled with ``register_kl``.

The lookup takes the most specific registered pair for (type(p), type(q)) along both classes' MROs, as torch's;
an unregistered pair raises torch's NotImplementedError.
"""
from __future__ import annotations

import math

from .._creation import full_like
from ..autograd.ops.elementwise import where
from ..nn import functional as F
from . import utils
from .bernoulli import Bernoulli
from .binomial import Binomial
from .categorical import Categorical, OneHotCategorical
from .exponential import Exponential
from .independent import Independent
from .laplace import Laplace
from .normal import Normal
from .poisson import Poisson
from .uniform import Uniform

_KL_REGISTRY: dict = {}


def register_kl(type_p, type_q):
    """Decorator: ``@register_kl(Normal, Normal) def kl(p, q): ...``."""
    if not isinstance(type_p, type) or not isinstance(type_q, type):
        raise TypeError("Expected type_p and type_q to be subclasses of Distribution")

    def decorator(fun):
        _KL_REGISTRY[type_p, type_q] = fun
        return fun

    return decorator


def _dispatch(type_p, type_q):
    matches = [(super_p, super_q) for super_p, super_q in _KL_REGISTRY
               if issubclass(type_p, super_p) and issubclass(type_q, super_q)]
    if not matches:
        return None
    rank = {}
    for sp, sq in matches:  # distance along each MRO: smaller is more specific
        rank[sp, sq] = (type_p.__mro__.index(sp), type_q.__mro__.index(sq))
    return _KL_REGISTRY[min(matches, key=lambda m: rank[m])]


def kl_divergence(p, q):
    """KL(p ‖ q), batched over the distributions' batch shape."""
    fun = _dispatch(type(p), type(q))
    if fun is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type {type(p).__name__} "
                                  f"and q type {type(q).__name__}")
    return fun(p, q)


def _infinite_like(t):
    return full_like(t, math.inf)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    """½·((σp/σq)² + ((μp − μq)/σq)² − 1) − log(σp/σq)."""
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    """p·(softplus(−lq) − softplus(−lp)) + (1 − p)·(softplus(lq) − softplus(lp)), l the logits (p = 0, 1 handled)."""
    t1 = p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
    t1 = where(q.probs == 0, math.inf, t1)
    t1 = where(p.probs == 0, 0.0, t1)
    t2 = (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))
    t2 = where(q.probs == 1, math.inf, t2)
    t2 = where(p.probs == 1, 0.0, t2)
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    """Σ_k p_k·(log p_k − log q_k); inf where q_k = 0 < p_k, terms with p_k = 0 dropped."""
    t = p.probs * (p.logits - q.logits)
    t = where(q.probs == 0, math.inf, t)
    t = where(p.probs == 0, 0.0, t)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehotcategorical_onehotcategorical(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    """λq/λp − log(λq/λp) − 1."""
    rate_ratio = q.rate / p.rate
    return rate_ratio - rate_ratio.log() - 1


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    """log(bq/bp) + |μp − μq|/bq + (bp/bq)·e^(−|μp − μq|/bp) − 1."""
    scale_ratio = p.scale / q.scale
    loc_abs_diff = (p.loc - q.loc).abs()
    t1 = -scale_ratio.log()
    t2 = loc_abs_diff / q.scale
    t3 = scale_ratio * (-loc_abs_diff / p.scale).exp()
    return t1 + t2 + t3 - 1


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    """λp·(log λp − log λq) − (λp − λq)."""
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    """log((hq − lq)/(hp − lp)) when [lp, hp] ⊂ [lq, hq], else inf."""
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return where((q.low > p.low) | (q.high < p.high), math.inf, result)


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    """n·(p·(logit p − logit q) + log(1 − p) − log(1 − q)), for equal total counts (as torch)."""
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError("KL between Binomials where q.total_count > p.total_count is not implemented")
    kl = p.total_count * (p.probs * (p.logits - q.logits) + (-p.probs).log1p() - (-q.probs).log1p())
    return where(p.total_count > q.total_count, math.inf, kl)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    return utils.sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


from . import _special  # noqa: E402
from .beta import Beta  # noqa: E402
from .dirichlet import Dirichlet  # noqa: E402
from .gamma import Gamma  # noqa: E402


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    """(αp − αq)ψ(αp) − log Γ(αp) + log Γ(αq) + αq(log βp − log βq) + αp(βq − βp)/βp."""
    t1 = q.concentration * (p.rate / q.rate).log()
    t2 = _special.lgamma(q.concentration) - _special.lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * _special.digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    """log Γ(Σαp) − Σ log Γ(αp) − log Γ(Σαq) + Σ log Γ(αq) + Σ (αp − αq)(ψ(αp) − ψ(Σαp))."""
    sum_p = p.concentration.sum(-1)
    sum_q = q.concentration.sum(-1)
    t1 = _special.lgamma(sum_p) - _special.lgamma(sum_q)
    t2 = (_special.lgamma(p.concentration) - _special.lgamma(q.concentration)).sum(-1)
    t3 = p.concentration - q.concentration
    t4 = _special.digamma(p.concentration) - _special.digamma(sum_p).unsqueeze(-1)
    return t1 - t2 + (t3 * t4).sum(-1)


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    return _kl_dirichlet_dirichlet(p._dirichlet, q._dirichlet)


from .multivariate_normal import MultivariateNormal, _diag, _solve_tril  # noqa: E402


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_multivariatenormal_multivariatenormal(p, q):
    """Σ log Lq,ᵢᵢ − Σ log Lp,ᵢᵢ + ½·(‖Lq⁻¹Lp‖²_F + ‖Lq⁻¹(μq − μp)‖² − D)."""
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different event shapes cannot be "
                         "computed")
    Lp, Lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = _diag(Lq).log().sum(-1) - _diag(Lp).log().sum(-1)
    n = p.event_shape[0]
    cols = [_solve_tril(Lq, Lp[..., :, j]) for j in range(n)]
    term2 = sum((c**2).sum(-1) for c in cols)
    term3 = (_solve_tril(Lq, q.loc - p.loc) ** 2).sum(-1)
    return half_term1 + 0.5 * (term2 + term3 - n)
