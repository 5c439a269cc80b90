"""ember.special (and ember.erf, Tensor.lgamma, …) against torch.special: values over wide ranges in float64 and
float32 (including ±inf, nan, poles), gradients against torch, float64 gradcheck and gradgradcheck, errors, and
torch.special's aliases."""
from __future__ import annotations

import math

import numpy as np
import pytest
from _oracle import assert_close, torch, raised

import ember
from ember.autograd import gradcheck, gradgradcheck

R = np.random.default_rng(0)
WIDE = np.concatenate([np.linspace(-30, 30, 1201), R.standard_normal(200) * 3,
                       [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, -1e-300, 1e300, -1e300]])
UNIT = np.concatenate([np.linspace(-1.05, 1.05, 421), 1 - np.logspace(-1, -15, 30), -1 + np.logspace(-1, -15, 30), [np.nan]])
PROB = np.concatenate([np.linspace(-0.05, 1.05, 221), np.logspace(-300, -1, 100), 1 - np.logspace(-15, -1, 30), [np.nan]])
POS = np.concatenate([np.linspace(-12.25, 40, 2091), np.logspace(-8, 8, 60), np.arange(-4.0, 3.0), [np.inf, np.nan]])

# name -> (ember function, torch function, inputs)
CASES = {
    "erf": (ember.special.erf, torch.special.erf, WIDE),
    "erfc": (ember.special.erfc, torch.special.erfc, WIDE),
    "erfcx": (ember.special.erfcx, torch.special.erfcx, WIDE[np.abs(WIDE) < 26]),
    "erfinv": (ember.special.erfinv, torch.special.erfinv, UNIT),
    "ndtr": (ember.special.ndtr, torch.special.ndtr, WIDE),
    "ndtri": (ember.special.ndtri, torch.special.ndtri, PROB),
    "log_ndtr": (ember.special.log_ndtr, torch.special.log_ndtr, WIDE),
    "gammaln": (ember.special.gammaln, torch.special.gammaln, POS),
    "digamma": (ember.special.digamma, torch.special.digamma, POS),
    "psi": (ember.special.psi, torch.special.psi, POS),
    "polygamma_1": (lambda t: ember.special.polygamma(1, t), lambda t: torch.special.polygamma(1, t), POS[POS > -12]),
    "polygamma_3": (lambda t: ember.special.polygamma(3, t), lambda t: torch.special.polygamma(3, t), POS[POS > 0]),
    "i0": (ember.special.i0, torch.special.i0, WIDE[np.abs(WIDE) < 700]),
    "i0e": (ember.special.i0e, torch.special.i0e, WIDE),
    "i1": (ember.special.i1, torch.special.i1, WIDE[np.abs(WIDE) < 700]),
    "i1e": (ember.special.i1e, torch.special.i1e, WIDE),
    "modified_bessel_i0": (ember.special.modified_bessel_i0, torch.special.modified_bessel_i0, WIDE[np.abs(WIDE) < 700]),
    "entr": (ember.special.entr, torch.special.entr, WIDE),
    "expit": (ember.special.expit, torch.special.expit, WIDE),
    "multigammaln": (lambda t: ember.special.multigammaln(t, 3), lambda t: torch.special.multigammaln(t, 3), POS[POS > 1.01]),
    "zeta": (lambda t: ember.special.zeta(t * 0 + 2.5, t), lambda t: torch.special.zeta(t * 0 + 2.5, t), POS),
    "zeta_s": (lambda t: ember.special.zeta(t, 1.5), lambda t: torch.special.zeta(t, 1.5), POS),
    "xlog1py": (lambda t: ember.special.xlog1py(t, t * 0.5), lambda t: torch.special.xlog1py(t, t * 0.5), WIDE),
}
# where torch's value is off and ember's is exact: polygamma(1, ·) at the poles 0, −1, … (torch prints ~1e31 instead
# of inf)
POLES_OFF = {"polygamma_1"}


def _inputs(name, dtype):
    x = CASES[name][2]
    if name in POLES_OFF:
        x = x[~((x <= 0) & (x == np.floor(x)))]
    with np.errstate(over="ignore"):  # (±1e300 become ±inf in float32)
        return x.astype(dtype)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch_in_float64(name):
    fe, ft, _ = CASES[name]
    x = _inputs(name, np.float64)
    assert_close(fe(ember.tensor(x)), ft(torch.tensor(x)), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch_in_float32(name):
    fe, ft, _ = CASES[name]
    x = _inputs(name, np.float32)
    with np.errstate(all="ignore"):
        want = ft(torch.tensor(x))
    tol = dict(rtol=2e-4, atol=1e-6) if name.startswith("polygamma") else dict(rtol=2e-5, atol=1e-6)  # (near poles)
    assert_close(fe(ember.tensor(x)), want, **tol)


def test_integer_inputs_compute_in_the_default_float_dtype():
    for name in ("erf", "gammaln", "i0", "digamma", "ndtr"):
        fe, ft, _ = CASES[name]
        assert_close(fe(ember.tensor([1, 2, 3])), ft(torch.tensor([1, 2, 3])))


SMOOTH = {  # name -> (function of lib, a point set where it is smooth)
    "erf": (lambda lib, t: lib.special.erf(t), R.standard_normal(6)),
    "erfc": (lambda lib, t: lib.special.erfc(t), R.standard_normal(6) * 2),
    "erfcx": (lambda lib, t: lib.special.erfcx(t), R.standard_normal(6) * 3),
    "erfinv": (lambda lib, t: lib.special.erfinv(t), R.uniform(-0.95, 0.95, 6)),
    "ndtr": (lambda lib, t: lib.special.ndtr(t), R.standard_normal(6)),
    "ndtri": (lambda lib, t: lib.special.ndtri(t), R.uniform(0.02, 0.98, 6)),
    "log_ndtr": (lambda lib, t: lib.special.log_ndtr(t), R.standard_normal(6) * 4),
    "gammaln": (lambda lib, t: lib.special.gammaln(t), np.array([0.3, 1.7, 4.2, 12.5, -0.5, -2.3])),
    "digamma": (lambda lib, t: lib.special.digamma(t), np.array([0.3, 1.7, 4.2, 12.5, -0.5, -2.3])),
    "polygamma_2": (lambda lib, t: lib.special.polygamma(2, t), np.array([0.3, 1.7, 4.2, 12.5, -0.5])),
    "i0": (lambda lib, t: lib.special.i0(t), np.array([-3.0, -0.4, 0.0, 0.7, 5.0, 35.0])),
    "i0e": (lambda lib, t: lib.special.i0e(t), np.array([-3.0, -0.4, 0.7, 5.0, 35.0])),
    "i1": (lambda lib, t: lib.special.i1(t), np.array([-3.0, -0.4, 0.0, 0.7, 5.0, 35.0])),
    "i1e": (lambda lib, t: lib.special.i1e(t), np.array([-3.0, -0.4, 0.7, 5.0, 35.0])),
    "zeta_q": (lambda lib, t: lib.special.zeta(3.5, t), np.array([0.4, 1.7, 6.0, 15.0])),
    "multigammaln": (lambda lib, t: lib.special.multigammaln(t, 4), np.array([1.7, 3.2, 9.0])),
    "entr": (lambda lib, t: lib.special.entr(t), np.array([0.2, 1.5, 3.0])),
    "xlog1py": (lambda lib, t: lib.special.xlog1py(t, t * t), np.array([0.2, -1.5, 3.0])),
    "methods": (lambda lib, t: t.erf() + t.erfc() + (t * t + 1).lgamma() + (t * t + 1).digamma()
                + (t * t + 1).polygamma(1) + t.i0() + t.erfinv(), R.uniform(-0.9, 0.9, 5)),
}


@pytest.mark.parametrize("name", sorted(SMOOTH))
def test_gradients_match_torch(name):
    f, x = SMOOTH[name]
    xe = ember.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    ge = ember.autograd.grad(f(ember, xe).sum(), xe)[0]
    gt = torch.autograd.grad(f(torch, xt).sum(), xt)[0]
    assert_close(ge, gt, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(SMOOTH))
def test_gradcheck_and_gradgradcheck(name):
    f, x = SMOOTH[name]
    xe = ember.tensor(x, requires_grad=True)
    assert gradcheck(lambda t: f(ember, t), (xe,))
    assert gradgradcheck(lambda t: f(ember, t), (xe,))


def test_i1_gradient_at_zero_is_one_half():
    for lib in (ember, torch):
        x = lib.tensor([0.0], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(lib.special.i1(x).sum(), x)
        assert float(g[0]) == 0.5


def test_zeta_has_no_derivative_in_its_first_argument_as_torch():
    for lib in (ember, torch):
        x = lib.tensor([2.5], dtype=lib.float64, requires_grad=True)
        with pytest.raises(RuntimeError, match="not implemented"):
            lib.special.zeta(x, 1.5).sum().backward()


@pytest.mark.parametrize("case", [lambda lib: lib.special.polygamma(-1, lib.tensor([1.0])),
                                  lambda lib: lib.special.multigammaln(lib.tensor([1.0]), 0)],
                         ids=["polygamma-negative-n", "multigammaln-p-0"])
def test_errors_match_torch(case):
    want, got = raised(lambda: case(torch)), raised(lambda: case(ember))
    assert isinstance(want, Exception) and isinstance(got, type(want)), (got, want)
    assert str(got) == str(want)


def test_every_alias_is_torchs_function():
    """Each entry of ember.special.ALIASES resolves to the ember function of that name and agrees with torch.special."""
    x = R.standard_normal((2, 3)) * 0.9
    missing = {t for t in ember.special.ALIASES.values() if not hasattr(ember, t) and t not in vars(ember.special)}
    assert not missing
    for name, target in ember.special.ALIASES.items():
        if target in missing:
            continue
        fe = getattr(ember.special, name)
        assert fe is (getattr(ember.special, target) if target in vars(ember.special) else getattr(ember, target))
        ft = getattr(torch.special, name)
        args = (1,) if name in ("softmax", "log_softmax", "logsumexp") else ()
        if name == "xlogy":  # the one binary alias: xlogy(x, y) with y > 0
            e_args, t_args = (ember.tensor(np.abs(x) + 0.1),), (torch.tensor(np.abs(x) + 0.1),)
        else:
            e_args, t_args = args, args
        assert_close(fe(ember.tensor(x), *e_args), ft(torch.tensor(x), *t_args), rtol=1e-9, atol=1e-12)


POLY = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
        "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
        "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
        "legendre_polynomial_p"]


@pytest.mark.parametrize("name", POLY)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_polynomials_match_torch(name, dtype):
    x = np.concatenate([np.linspace(-3, 3, 61), [np.inf, -np.inf, 1.0, -1.0, 0.5]])  # (torch gives inf at nan)
    X, N = np.meshgrid(x, np.array([-1, 0, 1, 2, 3, 5, 8, 12.7]))
    fe, ft = getattr(ember.special, name), getattr(torch.special, name)
    got, want = fe(ember.tensor(X.astype(dtype)), ember.tensor(N)), ft(torch.tensor(X.astype(dtype)), torch.tensor(N))
    assert_close(got, want, rtol=1e-9 if dtype == np.float64 else 2e-5, atol=1e-9 if dtype == np.float64 else 1e-4)
    assert_close(fe(ember.tensor(X.astype(dtype)), 3), ft(torch.tensor(X.astype(dtype)), 3), rtol=2e-5, atol=1e-4)
    assert not fe(ember.tensor([0.5], requires_grad=True), 2).requires_grad  # no derivative, as torch


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_incomplete_gamma_matches_torch(name):
    """torch's large-a asymptotic expansion is good to ~1e-9; ember's series/continued fraction to ~1e-15 (an integer
    a has the closed form 1 − e^(−x)·Σ xʲ/j!, checked below)."""
    a = np.abs(R.standard_normal(300)) * np.array([0.1, 1, 10, 100, 1000])[R.integers(0, 5, 300)]
    x = np.abs(R.standard_normal(300)) * a * R.uniform(0.2, 2, 300)
    a = np.concatenate([a, [0.0, 1.0, -1.0, 1.0, 1.0, 2.0, 0.0]])
    x = np.concatenate([x, [1.0, 0.0, 1.0, -1.0, np.inf, np.nan, 0.0]])
    fe, ft = getattr(ember.special, name), getattr(torch.special, name)
    assert_close(fe(ember.tensor(a), ember.tensor(x)), ft(torch.tensor(a), torch.tensor(x)), rtol=1e-8, atol=1e-9)
    assert_close(fe(ember.tensor(a.astype(np.float32)), ember.tensor(x.astype(np.float32))),
                 ft(torch.tensor(a.astype(np.float32)), torch.tensor(x.astype(np.float32))), rtol=2e-5, atol=2e-6)
    k, xx = 7, 5.3
    p = 1 - np.exp(-xx) * sum(xx ** j / math.factorial(j) for j in range(k))
    got = fe(ember.tensor([float(k)], dtype=ember.float64), ember.tensor([xx], dtype=ember.float64)).item()
    assert abs(got - (p if name == "gammainc" else 1 - p)) < 1e-15


def test_incomplete_gamma_gradient_in_x_and_none_in_a():
    a = np.array([0.5, 2.0, 7.5])
    x = np.array([0.3, 2.5, 9.0])
    for name in ("gammainc", "gammaincc"):
        xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ge = ember.autograd.grad(getattr(ember.special, name)(ember.tensor(a), xe).sum(), xe)[0]
        gt = torch.autograd.grad(getattr(torch.special, name)(torch.tensor(a), xt).sum(), xt)[0]
        assert_close(ge, gt, rtol=1e-9, atol=1e-12)
        f = getattr(ember.special, name)
        assert gradcheck(lambda t, f=f: f(ember.tensor(a), t), (xe,))
        assert gradgradcheck(lambda t, f=f: f(ember.tensor(a), t), (xe,))
        for lib in (ember, torch):
            aa = lib.tensor(a, requires_grad=True)
            with pytest.raises(RuntimeError, match="not implemented"):
                getattr(lib.special, name)(aa, lib.tensor(x)).sum().backward()


def test_spherical_bessel_j0_matches_torch():
    s = np.concatenate([np.linspace(-20, 20, 81), [0.0, np.inf, -np.inf, np.nan]])
    assert_close(ember.special.spherical_bessel_j0(ember.tensor(s)), torch.special.spherical_bessel_j0(torch.tensor(s)))


@pytest.mark.parametrize("kind", ["j0", "j1", "y0", "y1"])
def test_bessel_functions_match_torch_and_the_integral(kind):
    """torch's bessel_j0 is off by up to 6e-8 near x = 6 (Cephes' float64 rational fits as torch ports them), so the
    comparison with torch is at 1e-6; exactness is checked against Bessel's integral
    Jₙ(x) = (1/π)∫₀^π cos(nt − x sin t) dt (the trapezoid rule is spectrally accurate for it)."""
    x = np.concatenate([np.linspace(-40, 40, 801), [0.0, np.inf, -np.inf, np.nan, 1e5]])
    fe, ft = getattr(ember.special, "bessel_" + kind), getattr(torch.special, "bessel_" + kind)
    assert_close(fe(ember.tensor(x)), ft(torch.tensor(x)), rtol=1e-6, atol=1e-6)
    assert_close(fe(ember.tensor(x.astype(np.float32))), ft(torch.tensor(x.astype(np.float32))), rtol=1e-4, atol=1e-5)
    if kind.startswith("j"):
        n = int(kind[1])
        t = np.linspace(0, np.pi, 20001)
        for xx in (0.7, 3.0, 6.0, 9.35, 11.9, 12.5, 25.0):
            ref = np.trapezoid(np.cos(n * t - xx * np.sin(t)), t) / np.pi
            assert abs(fe(ember.tensor([xx], dtype=ember.float64)).item() - ref) < 1e-12
    assert not fe(ember.tensor([0.5], requires_grad=True)).requires_grad


@pytest.mark.parametrize("name", ["modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
                                  "scaled_modified_bessel_k1"])
def test_modified_bessel_k_matches_torch(name):
    x = np.concatenate([np.linspace(-1, 60, 611), np.logspace(-300, 0, 50), np.logspace(1, 5, 50), [0.0, np.inf, np.nan]])
    fe, ft = getattr(ember.special, name), getattr(torch.special, name)
    assert_close(fe(ember.tensor(x)), ft(torch.tensor(x)), rtol=1e-12, atol=0)
    x32 = x[(x > 1e-30) | (x <= 0)].astype(np.float32)
    assert_close(fe(ember.tensor(x32)), ft(torch.tensor(x32)), rtol=2e-6, atol=1e-30)
    assert not fe(ember.tensor([0.5], requires_grad=True)).requires_grad


def test_airy_ai_matches_torch_and_mpmath():
    """torch's airy_ai is off by up to 3e-6 near x = −2.1 (the seam of its Cephes regions), so torch is compared at
    1e-5 and exactness against mpmath's arbitrary-precision Ai (installed with torch, through sympy)."""
    mpmath = pytest.importorskip("mpmath")
    x = np.concatenate([np.linspace(-60, 40, 501), [-2.1, -6.9, 2.0, 0.0, np.inf, -np.inf, np.nan]])
    assert_close(ember.special.airy_ai(ember.tensor(x)), torch.special.airy_ai(torch.tensor(x)), rtol=1e-5, atol=1e-5)
    assert_close(ember.special.airy_ai(ember.tensor(x.astype(np.float32))),
                 torch.special.airy_ai(torch.tensor(x.astype(np.float32))), rtol=1e-4, atol=1e-5)
    fin = x[np.isfinite(x)]
    ref = np.array([float(mpmath.airyai(v)) for v in fin])
    np.testing.assert_allclose(ember.special.airy_ai(ember.tensor(fin)).numpy(), ref, rtol=1e-11, atol=1e-12)
    assert not ember.special.airy_ai(ember.tensor([0.5], requires_grad=True)).requires_grad
