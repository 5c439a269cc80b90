"""ember.distributions vs torch.distributions on the same parameters: log_prob, entropy, moments, cdf/icdf,
shapes, expand, validation errors, kl_divergence, gradients; samples within confidence bounds; rsample gradients
on the same noise."""
from __future__ import annotations

import math

import numpy as np
import pytest
from _oracle import assert_close, torch

import ember
from ember.distributions import utils as dist_utils

R = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def _validation_on():
    """torch.compile (tests/test_devices.py) turns torch's default validation off process-wide; turn it on."""
    torch.distributions.Distribution.set_default_validate_args(True)
    yield
POS = R.uniform(0.5, 2.0, (3, 2))  # positive parameters
REAL = R.normal(size=(3, 2))
PROB = R.uniform(0.1, 0.9, (3, 2))
SIMPLEX_LOGITS = R.normal(size=(3, 4))
_B = R.normal(size=(3, 3))
SPD = _B @ _B.T + 3 * np.eye(3)  # a covariance (or precision) matrix
TRIL = np.linalg.cholesky(SPD)


def _t(m, a, grad=True):
    """The array as a float64 tensor of module m (ember or torch), a leaf that requires grad."""
    t = m.tensor(np.asarray(a, dtype=np.float64))
    return t.requires_grad_(grad) if grad else t


# name: (constructor(m, params), parameter arrays, values generator(rng), has cdf/icdf)
CASES = {
    "Normal": (lambda m, p: m.distributions.Normal(*p), [REAL, POS], lambda: R.normal(size=(3, 2)), True),
    "Uniform": (lambda m, p: m.distributions.Uniform(p[0], p[0] + p[1]), [REAL, POS],
                lambda: REAL + POS * R.uniform(0.05, 0.95, (3, 2)), True),
    "Exponential": (lambda m, p: m.distributions.Exponential(*p), [POS], lambda: R.exponential(size=(3, 2)), True),
    "Laplace": (lambda m, p: m.distributions.Laplace(*p), [REAL, POS], lambda: R.laplace(size=(3, 2)), True),
    "LogNormal": (lambda m, p: m.distributions.LogNormal(*p), [REAL, POS], lambda: R.lognormal(size=(3, 2)), False),
    "Bernoulli-probs": (lambda m, p: m.distributions.Bernoulli(probs=p[0]), [PROB],
                        lambda: R.integers(0, 2, (3, 2)).astype(float), False),
    "Bernoulli-logits": (lambda m, p: m.distributions.Bernoulli(logits=p[0]), [REAL],
                         lambda: R.integers(0, 2, (3, 2)).astype(float), False),
    "Categorical-probs": (lambda m, p: m.distributions.Categorical(probs=p[0].exp()), [SIMPLEX_LOGITS],
                          lambda: R.integers(0, 4, (3,)).astype(float), False),
    "Categorical-logits": (lambda m, p: m.distributions.Categorical(logits=p[0]), [SIMPLEX_LOGITS],
                           lambda: R.integers(0, 4, (5, 1, 3)).astype(float), False),
    "OneHotCategorical": (lambda m, p: m.distributions.OneHotCategorical(logits=p[0]), [SIMPLEX_LOGITS],
                          lambda: np.eye(4)[R.integers(0, 4, (3,))], False),
    "Poisson": (lambda m, p: m.distributions.Poisson(*p), [POS * 3], lambda: R.poisson(3, (3, 2)).astype(float),
                False),
    "Binomial": (lambda m, p: m.distributions.Binomial(6, probs=p[0]), [PROB],
                 lambda: R.integers(0, 7, (3, 2)).astype(float), False),
    "Binomial-logits": (lambda m, p: m.distributions.Binomial(m.tensor([[4.0], [6.0], [9.0]], dtype=m.float64),
                                                              logits=p[0]), [REAL],
                        lambda: R.integers(0, 5, (3, 2)).astype(float), False),
    "Gamma": (lambda m, p: m.distributions.Gamma(*p), [POS * 2, POS], lambda: R.gamma(2.0, size=(3, 2)), False),
    "Beta": (lambda m, p: m.distributions.Beta(*p), [POS, POS * 2], lambda: R.beta(1.0, 2.0, (3, 2)), False),
    "Beta-below-one": (lambda m, p: m.distributions.Beta(*p), [POS / 3, POS / 2], lambda: R.beta(0.3, 0.5, (3, 2)),
                       False),
    "Dirichlet": (lambda m, p: m.distributions.Dirichlet(p[0]), [POS.T * 2], lambda: R.dirichlet([1, 2, 3], (2,)),
                  False),
    "Dirichlet-below-one": (lambda m, p: m.distributions.Dirichlet(p[0]), [POS.T / 3],
                            lambda: R.dirichlet([0.3, 0.3, 0.3], (2,)), False),
    "MVN-covariance": (lambda m, p: m.distributions.MultivariateNormal(p[0], covariance_matrix=p[1]),
                       [REAL.T, SPD], lambda: R.normal(size=(4, 2, 3)), False),
    "MVN-precision": (lambda m, p: m.distributions.MultivariateNormal(p[0], precision_matrix=p[1]),
                      [REAL.T, SPD], lambda: R.normal(size=(2, 3)), False),
    "MVN-scale_tril": (lambda m, p: m.distributions.MultivariateNormal(p[0], scale_tril=p[1]),
                       [REAL.T, TRIL], lambda: R.normal(size=(2, 3)), False),
    "Independent": (lambda m, p: m.distributions.Independent(m.distributions.Normal(*p), 1), [REAL, POS],
                    lambda: R.normal(size=(3, 2)), False),
    "Transformed-affine-exp": (lambda m, p: m.distributions.TransformedDistribution(
        m.distributions.Normal(*p), [m.distributions.AffineTransform(0.5, 2.0), m.distributions.ExpTransform()]),
        [REAL, POS], lambda: R.lognormal(size=(3, 2)), True),
    "Transformed-sigmoid": (lambda m, p: m.distributions.TransformedDistribution(
        m.distributions.Normal(*p), m.distributions.SigmoidTransform()), [REAL, POS],
        lambda: R.uniform(0.05, 0.95, (3, 2)), True),
    "Transformed-tanh-compose": (lambda m, p: m.distributions.TransformedDistribution(
        m.distributions.Normal(*p), [m.distributions.ComposeTransform(
            [m.distributions.AffineTransform(p[0] * 0 + 0.1, 0.5), m.distributions.TanhTransform()])]),
        [REAL, POS], lambda: R.uniform(-0.9, 0.9, (3, 2)), True),
}
NO_ENTROPY = {"Poisson", "Binomial-logits", "Transformed-affine-exp", "Transformed-sigmoid", "Transformed-tanh-compose"}
NO_MOMENTS = {"Transformed-affine-exp", "Transformed-sigmoid", "Transformed-tanh-compose"}


def _pair(name):
    make, params, values, _ = CASES[name]
    pe = [_t(ember, a) for a in params]
    pt = [_t(torch, a) for a in params]
    return make(ember, pe), make(torch, pt), pe, pt, values()


def _grads(out, params):
    out.sum().backward() if hasattr(out, "sum") else None
    return [p.grad for p in params]


@pytest.mark.parametrize("name", list(CASES))
def test_log_prob_and_its_gradient_match_torch(name):
    de, dt, pe, pt, v = _pair(name)
    le, lt = de.log_prob(ember.tensor(v)), dt.log_prob(torch.tensor(v))
    assert_close(le, lt)
    le.sum().backward()
    lt.sum().backward()
    for a, b in zip(pe, pt):
        assert_close(a.grad, b.grad)


@pytest.mark.parametrize("name", [n for n in CASES if n not in NO_ENTROPY])
def test_entropy_and_its_gradient_match_torch(name):
    de, dt, pe, pt, _ = _pair(name)
    ee, et = de.entropy(), dt.entropy()
    assert_close(ee, et)
    (ee * ember.tensor(np.arange(1.0, 1 + ee.numel()).reshape(tuple(ee.shape)))).sum().backward()
    (et * torch.arange(1.0, 1 + et.numel(), dtype=torch.float64).reshape(et.shape)).sum().backward()
    # torch's trigamma is accurate to about 5e-10 (ours to 1e-15, both measured against SciPy), and the
    # entropy gradients of concentrations below one cancel terms of size 1/α², so those get rtol 1e-6
    rtol = 1e-6 if name.endswith("below-one") else None
    for a, b in zip(pe, pt):
        assert_close(a.grad, b.grad, rtol=rtol)
    if name.endswith("below-one"):
        make, params, *_ = CASES[name]
        assert ember.autograd.gradcheck(lambda *p: make(ember, list(p)).entropy(), [_t(ember, a) for a in params])


@pytest.mark.parametrize("name", [n for n in CASES if n not in NO_MOMENTS])
@pytest.mark.parametrize("moment", ["mean", "variance", "stddev", "mode"])
def test_moments_match_torch(name, moment):
    de, dt, *_ = _pair(name)
    assert_close(getattr(de, moment), getattr(dt, moment), check_dtype=False)


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n][3]])
def test_cdf_and_icdf_and_their_gradients_match_torch(name):
    de, dt, pe, pt, v = _pair(name)
    ce, ct = de.cdf(ember.tensor(v)), dt.cdf(torch.tensor(v))
    assert_close(ce, ct)
    q = R.uniform(0.05, 0.95, (3, 2))
    ie, it = de.icdf(ember.tensor(q)), dt.icdf(torch.tensor(q))
    assert_close(ie, it)
    (ce.sum() + ie.sum()).backward()
    (ct.sum() + it.sum()).backward()
    for a, b in zip(pe, pt):
        assert_close(a.grad, b.grad)


def test_binomial_entropy_with_mixed_total_counts_raises_as_torch():
    de, dt, *_ = _pair("Binomial-logits")
    with pytest.raises(NotImplementedError) as te:
        dt.entropy()
    with pytest.raises(NotImplementedError) as ee:
        de.entropy()
    assert str(ee.value) == str(te.value)


def test_private_erf_and_erfinv_match_torch_and_pass_gradcheck():
    from ember.autograd import gradcheck, gradgradcheck
    from ember.distributions._special import erf, erfinv

    x = ember.tensor(np.linspace(-3, 3, 13), requires_grad=True)
    y = ember.tensor(np.linspace(-0.999, 0.999, 13), requires_grad=True)
    assert_close(erf(x), torch.erf(torch.tensor(x.detach().numpy())))
    assert_close(erfinv(y), torch.erfinv(torch.tensor(y.detach().numpy())))
    assert gradcheck(erf, (x,)) and gradgradcheck(erf, (x,))
    assert gradcheck(erfinv, (y,)) and gradgradcheck(erfinv, (y,))


def test_private_lgamma_and_polygamma_match_torch_and_pass_gradcheck():
    from ember.autograd import gradcheck, gradgradcheck
    from ember.distributions._special import digamma, lgamma, polygamma

    x = ember.tensor([0.05, 0.3, 1.0, 2.5, 7.0, 30.0, 100.0], dtype=ember.float64, requires_grad=True)
    xt = torch.tensor(x.detach().numpy())
    assert_close(lgamma(x), torch.lgamma(xt))
    assert_close(digamma(x), torch.digamma(xt))
    for n in (1, 2, 3):
        assert_close(polygamma(n, x), torch.polygamma(n, xt), rtol=1e-9)
    for fn in (lgamma, digamma, lambda t: polygamma(1, t)):
        assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))


@pytest.mark.parametrize("name", list(CASES))
def test_shapes_samples_and_expand_match_torch(name):
    de, dt, *_ = _pair(name)
    assert tuple(de.batch_shape) == tuple(dt.batch_shape)
    assert tuple(de.event_shape) == tuple(dt.event_shape)
    assert de.has_rsample == dt.has_rsample
    assert repr(de).replace("ember.", "torch.") == repr(dt)
    s = de.sample((5,))
    assert tuple(s.shape) == tuple(dt.sample((5,)).shape) and s.dtype == ember.float64 or s.dtype == ember.int64
    assert not s.requires_grad
    assert bool(de.support.check(s).all())
    big = (4,) + tuple(de.batch_shape)
    ee, et = de.expand(big), dt.expand(torch.Size(big))
    assert tuple(ee.batch_shape) == tuple(et.batch_shape) and tuple(ee.sample().shape) == tuple(et.sample().shape)
    assert repr(de).replace("ember.", "torch.") == repr(dt)
    v = CASES[name][2]()
    assert_close(ee.log_prob(ember.tensor(v)), et.log_prob(torch.tensor(v)))


# ---- rsample gradients on the same noise ----------------------------------------------------------------------
NOISE = {"Normal": ("standard_normal", "normal_"), "MVN-covariance": ("standard_normal", "normal_"),
         "MVN-scale_tril": ("standard_normal", "normal_"), "LogNormal": ("standard_normal", "normal_"),
         "Independent": ("standard_normal", "normal_"), "Uniform": ("uniform01", "rand"),
         "Exponential": ("standard_exponential", "exponential_"), "Laplace": ("uniform01", "uniform_"),
         "Transformed-affine-exp": ("standard_normal", "normal_"),
         "Transformed-sigmoid": ("standard_normal", "normal_"),
         "Transformed-tanh-compose": ("standard_normal", "normal_")}


@pytest.mark.parametrize("name", list(NOISE))
def test_rsample_and_its_gradient_match_torch_on_the_same_noise(name, monkeypatch):
    ember_fn, torch_method = NOISE[name]
    torch.manual_seed(0)
    de, dt, pe, pt, _ = _pair(name)
    drawn = []

    def record(self, *args, **kwargs):  # torch draws its noise in place; keep a copy
        out = original(self, *args, **kwargs)
        drawn.append(out.detach().clone())
        return out

    owner = torch if torch_method == "rand" else torch.Tensor  # torch's Uniform draws with torch.rand

    def record_function(*args, **kwargs):
        out = original(*args, **kwargs)
        drawn.append(out.detach().clone())
        return out

    original = getattr(owner, torch_method)
    monkeypatch.setattr(owner, torch_method, record if owner is torch.Tensor else record_function)
    st = dt.rsample((4,))
    monkeypatch.undo()
    assert drawn, "torch drew no noise through Tensor." + torch_method
    eps = drawn[-1].numpy()
    if name == "Laplace":  # torch draws u on (−1 + eps, 1) directly; ember maps U[0, 1) onto it
        tiny = np.finfo(np.float64).eps
        eps = (eps + (1 - tiny)) / (2 - tiny)
    monkeypatch.setattr(dist_utils, ember_fn, lambda shape, dtype: ember.tensor(eps.reshape(shape), dtype=dtype))
    se = de.rsample((4,))
    assert_close(se, st)
    w = np.arange(1.0, 1 + st.numel()).reshape(tuple(st.shape))
    (se * ember.tensor(w)).sum().backward()
    (st * torch.tensor(w)).sum().backward()
    for a, b in zip(pe, pt):
        assert_close(a.grad, b.grad)


# ---- sample statistics ----------------------------------------------------------------------------------------
N = 20000


@pytest.mark.parametrize("name", [n for n in CASES if n not in NO_MOMENTS and n != "OneHotCategorical"
                                  and not n.startswith("Categorical")])
def test_sample_mean_is_within_five_standard_errors(name):
    de, *_ = _pair(name)
    s = de.sample((N,)).numpy()
    mean, var = de.mean.detach().numpy(), de.variance.detach().numpy()
    if name == "LogNormal":  # heavy tailed: check log x instead
        s, mean, var = np.log(s), de.loc.detach().numpy(), de.scale.detach().numpy() ** 2
    assert (np.abs(s.mean(0) - mean) <= 5 * np.sqrt(var / N)).all()


def test_categorical_sample_frequencies():
    logits = ember.tensor(SIMPLEX_LOGITS)
    for d in (ember.distributions.Categorical(logits=logits), ember.distributions.OneHotCategorical(logits=logits)):
        s = d.sample((N,)).numpy()
        counts = np.stack([(s == k).mean(0) for k in range(4)], -1) if s.ndim == 2 else s.mean(0)
        p = d.probs.numpy()
        assert (np.abs(counts - p) <= 5 * np.sqrt(p * (1 - p) / N)).all()


# ---- kl_divergence --------------------------------------------------------------------------------------------
KL_PAIRS = ["MVN-covariance", "MVN-scale_tril", "Gamma", "Beta", "Dirichlet", "Normal", "Bernoulli-probs", "Bernoulli-logits", "Categorical-logits", "OneHotCategorical",
            "Exponential", "Laplace", "Poisson", "Independent", "Binomial"]


@pytest.mark.parametrize("name", KL_PAIRS)
def test_kl_divergence_and_its_gradient_match_torch(name):
    de, dt, pe, pt, _ = _pair(name)
    make, params, _, _ = CASES[name]
    # q's parameters: p's shifted along the batch (a square matrix, SPD or Cholesky factor, scaled instead)
    other = [a * 1.3 if a.shape == (3, 3) else np.roll(a, 1, axis=0) * 0.9 + 0.05 for a in params]
    qe, qt = make(ember, [_t(ember, a, False) for a in other]), make(torch, [_t(torch, a, False) for a in other])
    ke, kt = ember.distributions.kl_divergence(de, qe), torch.distributions.kl_divergence(dt, qt)
    assert_close(ke, kt)
    ke.sum().backward()
    kt.sum().backward()
    for a, b in zip(pe, pt):
        assert_close(a.grad, b.grad)


def test_kl_uniform_inside_and_outside():
    p = (ember.tensor([0.0, 0.0]), ember.tensor([1.0, 3.0]))
    q = (ember.tensor([-1.0, 0.5]), ember.tensor([2.0, 2.0]))
    E, T = ember.distributions, torch.distributions
    assert_close(E.kl_divergence(E.Uniform(*p), E.Uniform(*q)),
                 T.kl_divergence(T.Uniform(*map(torch.tensor, [a.numpy() for a in p])),
                                 T.Uniform(*map(torch.tensor, [a.numpy() for a in q]))))


def test_register_kl_dispatches_to_the_most_specific_pair_and_unknown_pairs_raise():
    E = ember.distributions

    class MyNormal(E.Normal):
        pass

    @E.register_kl(MyNormal, E.Normal)
    def _kl(p, q):
        return ember.tensor(42.0)

    assert E.kl_divergence(MyNormal(0.0, 1.0), E.Normal(0.0, 1.0)).item() == 42.0
    assert E.kl_divergence(E.Normal(0.0, 1.0), MyNormal(0.0, 1.0)).item() == 0.0
    with pytest.raises(NotImplementedError) as te:
        torch.distributions.kl_divergence(torch.distributions.Laplace(0.0, 1.0), torch.distributions.Poisson(1.0))
    with pytest.raises(NotImplementedError) as ee:
        E.kl_divergence(E.Laplace(0.0, 1.0), E.Poisson(1.0))
    assert str(ee.value) == str(te.value)


# ---- validation -----------------------------------------------------------------------------------------------
BAD = {
    "normal-nan-loc": lambda m: m.distributions.Normal(m.tensor([math.nan, 0.0]), m.tensor([1.0, 1.0])),
    "normal-negative-scale": lambda m: m.distributions.Normal(0.0, -1.0),
    "normal-value-nan": lambda m: m.distributions.Normal(m.zeros(2), m.ones(2)).log_prob(m.tensor([math.nan, 1.0])),
    "uniform-low-above-high": lambda m: m.distributions.Uniform(1.0, 0.0),
    "uniform-value-outside": lambda m: m.distributions.Uniform(0.0, 1.0).log_prob(m.tensor(2.0)),
    "exponential-zero-rate": lambda m: m.distributions.Exponential(m.tensor([0.0, 1.0])),
    "bernoulli-both": lambda m: m.distributions.Bernoulli(probs=0.5, logits=0.0),
    "bernoulli-prob-above-one": lambda m: m.distributions.Bernoulli(probs=m.tensor([1.5])),
    "bernoulli-value-two": lambda m: m.distributions.Bernoulli(probs=m.tensor([0.5])).log_prob(m.tensor([2.0])),
    "categorical-0d": lambda m: m.distributions.Categorical(m.tensor(0.5)),
    "categorical-value-out-of-range": lambda m: m.distributions.Categorical(m.ones(3)).log_prob(m.tensor(3)),
    "poisson-negative": lambda m: m.distributions.Poisson(m.tensor([-1.0])),
    "laplace-bad-scale": lambda m: m.distributions.Laplace(0.0, 0.0),
    "independent-too-many": lambda m: m.distributions.Independent(m.distributions.Normal(m.zeros(2), 1.0), 2),
    "mvn-not-positive-definite": lambda m: m.distributions.MultivariateNormal(
        m.zeros(2), m.tensor([[1.0, 2.0], [2.0, 1.0]])),
    "mvn-bad-scale-tril": lambda m: m.distributions.MultivariateNormal(
        m.zeros(2), scale_tril=m.tensor([[1.0, 0.0], [2.0, -1.0]])),
    "mvn-two-parameters": lambda m: m.distributions.MultivariateNormal(m.zeros(2), m.eye(2), scale_tril=m.eye(2)),
    "mvn-0d-loc": lambda m: m.distributions.MultivariateNormal(m.tensor(0.0), m.eye(1)),
    "mvn-1d-covariance": lambda m: m.distributions.MultivariateNormal(m.zeros(2), m.ones(2)),
    "log-prob-wrong-event-shape": lambda m: m.distributions.OneHotCategorical(m.ones(3)).log_prob(m.ones(2)),
}


@pytest.mark.parametrize("name", list(BAD))
def test_invalid_arguments_raise_as_torch(name):
    with pytest.raises(ValueError) as te:
        BAD[name](torch)
    with pytest.raises(ValueError) as ee:
        BAD[name](ember)
    assert str(ee.value).replace("ember.", "torch.") == str(te.value)


def test_validate_args_false_skips_the_checks():
    d = ember.distributions.Normal(0.0, -1.0, validate_args=False)
    assert d.scale.item() == -1.0


# ---- Gamma's implicit reparameterisation gradient -----------------------------------------------------------
def test_standard_gamma_gradient_matches_the_exact_derivative_and_torch():
    """dz/dα at fixed CDF value: exact against SciPy's inverse incomplete gamma (1e-7), against torch's
    approximation (torch._standard_gamma_grad) to 5e-4."""
    sp = pytest.importorskip("scipy.special")
    alpha = ember.tensor(np.repeat([0.3, 1.0, 2.5, 7.0, 30.0], 200), requires_grad=True)
    z = ember.distributions._special.standard_gamma(alpha)
    z.sum().backward()
    a, zv, g = alpha.detach().numpy(), z.detach().numpy(), alpha.grad.numpy()
    u = sp.gammainc(a, zv)
    h = 1e-6 * a
    exact = (sp.gammaincinv(a + h, u) - sp.gammaincinv(a - h, u)) / (2 * h)
    ok = np.isfinite(exact) & (u > 1e-12) & (u < 1 - 1e-12)
    np.testing.assert_allclose(g[ok], exact[ok], rtol=1e-6)
    np.testing.assert_allclose(g, torch._standard_gamma_grad(torch.tensor(a), torch.tensor(zv)).numpy(), rtol=5e-4)


def test_gamma_rsample_gradient_reaches_concentration_and_rate():
    a = ember.tensor([2.0, 3.0], dtype=ember.float64, requires_grad=True)
    b = ember.tensor([1.0, 0.5], dtype=ember.float64, requires_grad=True)
    x = ember.distributions.Gamma(a, b).rsample((4000,))
    x.mean(0).sum().backward()
    # E[x] = a/b: d/da = 1/b, d/db = −a/b²  (the pathwise estimator's mean, within 5 standard errors)
    np.testing.assert_allclose(a.grad.numpy(), [1.0, 2.0], rtol=0.1)
    np.testing.assert_allclose(b.grad.numpy(), [-2.0, -12.0], rtol=0.1)


# ---- what a family lacks, and enumerate_support --------------------------------------------------------------
MISSING = {"bernoulli-rsample": lambda m: m.distributions.Bernoulli(0.5).rsample(),
           "poisson-entropy": lambda m: m.distributions.Poisson(1.0).entropy(),
           "poisson-cdf": lambda m: m.distributions.Poisson(1.0).cdf(m.tensor(1.0)),
           "gamma-icdf": lambda m: m.distributions.Gamma(1.0, 1.0).icdf(m.tensor(0.5)),
           "poisson-enumerate": lambda m: m.distributions.Poisson(1.0).enumerate_support()}


@pytest.mark.parametrize("name", list(MISSING))
def test_what_a_family_lacks_raises_as_torch(name):
    with pytest.raises(NotImplementedError):
        MISSING[name](torch)
    with pytest.raises(NotImplementedError):
        MISSING[name](ember)


@pytest.mark.parametrize("name", ["Bernoulli-probs", "Categorical-logits", "OneHotCategorical", "Binomial"])
@pytest.mark.parametrize("expand", [True, False])
def test_enumerate_support_matches_torch(name, expand):
    de, dt, *_ = _pair(name)
    assert de.has_enumerate_support is dt.has_enumerate_support is True
    assert_close(de.enumerate_support(expand), dt.enumerate_support(expand), check_dtype=False)
