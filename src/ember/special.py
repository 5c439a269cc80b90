"""torch.special: special functions under torch's names.

The functions computed here live in ``autograd/ops/special.py`` (their algorithms and derivatives in the
docstrings); the others are torch.special's aliases of ember functions, resolved by name from one table
(:data:`ALIASES`), so each is stated once.
"""
from __future__ import annotations

import numpy as np

from . import _dtype
from .autograd.ops.special import (
    digamma, erf, erfc, erfcx, erfinv, i0, i0e, i1, i1e, log_ndtr, multigammaln, ndtr, ndtri, polygamma, zeta,
)
from .autograd.ops.special import lgamma as gammaln
from .tensor import Tensor, _wrap

# torch.special name -> the ember function it is (torch documents each as an alias)
ALIASES = {
    "psi": "digamma", "expit": "sigmoid", "expm1": "expm1", "log1p": "log1p", "round": "round",
    "softmax": "softmax", "log_softmax": "log_softmax", "logsumexp": "logsumexp", "logit": "logit",
    "xlogy": "xlogy", "sinc": "sinc", "exp2": "exp2", "modified_bessel_i0": "i0", "modified_bessel_i1": "i1",
}


def __getattr__(name):
    target = ALIASES.get(name)
    if target is None:
        raise AttributeError(f"module 'ember.special' has no attribute '{name}'")
    import ember  # lazy: an alias names a function of the public namespace, which imports this module

    if target in globals():
        return globals()[target]
    return getattr(ember, target)


def xlog1py(input, other, *, out=None):
    """x·log1p(y), and 0 where x = 0 (unless y is nan)."""
    from .autograd.ops import elementwise as E
    from .autograd.ops._util import as_tensor_arg

    x = as_tensor_arg(input, other if isinstance(other, Tensor) else None)
    y = as_tensor_arg(other, x)
    x, y = _float(x), _float(y)
    prod = x * E.log1p(y)
    res = E.where((x == 0) & ~E.isnan(y), _wrap(np.zeros((), prod._data.dtype)), prod)
    return _into(out, res)


def entr(input, *, out=None):
    """−x·log x for x > 0, 0 at x = 0, −inf for x < 0 (nan stays nan)."""
    from .autograd.ops import elementwise as E

    x = _float(input)
    dt = x._data.dtype
    safe = E.where(x > 0, x, _wrap(np.ones((), dt)))
    res = E.where(x > 0, -safe * E.log(safe), _wrap(np.asarray(0.0, dt)))
    res = E.where(x < 0, _wrap(np.asarray(-np.inf, dt)), res)
    return _into(out, E.where(E.isnan(x), x, res))


def _polynomial(kind: str, name: str):
    from .autograd.ops.special import polynomial_array

    def fn(input, n, *, out=None):
        x = _float(input if isinstance(input, Tensor) else _tensor(input))
        nn = n._data if isinstance(n, Tensor) else np.asarray(n)
        dt = _dtype.result_np_dtype(x._data, nn) if isinstance(n, Tensor) else x._data.dtype
        dt = dt if dt.kind == "f" else x._data.dtype
        return _into(out, _wrap(np.asarray(polynomial_array(kind, x._data, nn), dtype=dt)))

    fn.__name__ = name
    fn.__doc__ = f"The {name.replace('_', ' ')} pₙ(x), elementwise in x and n (no derivative, as torch); " \
                 "see autograd/ops/special.py: polynomial_array."
    return fn


def _shifted(fn, name):
    def shifted(input, n, *, out=None):
        return fn(_float(input) * 2 - 1, n, out=out)

    shifted.__name__ = name
    shifted.__doc__ = f"{fn.__name__}(2x − 1, n)."
    return shifted


chebyshev_polynomial_t = _polynomial("T", "chebyshev_polynomial_t")
chebyshev_polynomial_u = _polynomial("U", "chebyshev_polynomial_u")
chebyshev_polynomial_v = _polynomial("V", "chebyshev_polynomial_v")
chebyshev_polynomial_w = _polynomial("W", "chebyshev_polynomial_w")
shifted_chebyshev_polynomial_t = _shifted(chebyshev_polynomial_t, "shifted_chebyshev_polynomial_t")
shifted_chebyshev_polynomial_u = _shifted(chebyshev_polynomial_u, "shifted_chebyshev_polynomial_u")
shifted_chebyshev_polynomial_v = _shifted(chebyshev_polynomial_v, "shifted_chebyshev_polynomial_v")
shifted_chebyshev_polynomial_w = _shifted(chebyshev_polynomial_w, "shifted_chebyshev_polynomial_w")
hermite_polynomial_h = _polynomial("H", "hermite_polynomial_h")
hermite_polynomial_he = _polynomial("He", "hermite_polynomial_he")
laguerre_polynomial_l = _polynomial("L", "laguerre_polynomial_l")
legendre_polynomial_p = _polynomial("P", "legendre_polynomial_p")


def gammainc(input, other, *, out=None):
    """The regularised lower incomplete gamma P(a, x) = γ(a, x)/Γ(a) (a = input, x = other)."""
    return _into(out, _gammainc(input, other, True))


def gammaincc(input, other, *, out=None):
    """The regularised upper incomplete gamma Q(a, x) = 1 − P(a, x)."""
    return _into(out, _gammainc(input, other, False))


def _gammainc(a, x, lower):
    from .autograd.ops._util import as_tensor_arg, operands
    from .autograd.ops.special import Gammainc

    a = as_tensor_arg(a, x if isinstance(x, Tensor) else None)
    a, x = operands(a, x)
    return Gammainc.apply(_float(a), _float(x), lower=lower)


def _bessel(kind: str):
    from .autograd.ops import special as _K

    kernel = getattr(_K, f"{kind}_array" if "_" in kind else f"bessel_{kind}_array")

    def fn(input, *, out=None):
        x = _float(input)._data
        with np.errstate(all="ignore"):
            return _into(out, _wrap(np.asarray(kernel(x), dtype=x.dtype)))

    fn.__name__ = kind if "_" in kind else f"bessel_{kind}"
    fn.__doc__ = f"The Bessel function {kind} (no derivative, as torch); its method: autograd/ops/special.py."
    return fn


bessel_j0, bessel_j1, bessel_y0, bessel_y1 = _bessel("j0"), _bessel("j1"), _bessel("y0"), _bessel("y1")
modified_bessel_k0, modified_bessel_k1 = _bessel("modified_bessel_k0"), _bessel("modified_bessel_k1")
scaled_modified_bessel_k0 = _bessel("scaled_modified_bessel_k0")
scaled_modified_bessel_k1 = _bessel("scaled_modified_bessel_k1")
airy_ai = _bessel("airy_ai")


def spherical_bessel_j0(input, *, out=None):
    """j₀(x) = sin(x)/x (1 at x = 0; no derivative, as torch)."""
    x = _float(input)._data
    with np.errstate(all="ignore"):
        res = np.where(x == 0, 1.0, np.sin(x) / np.where(x == 0, 1.0, x)).astype(x.dtype)
    return _into(out, _wrap(np.where(np.isinf(x), 0.0, res).astype(x.dtype)))


def _tensor(x):
    from .autograd.ops._util import as_tensor_arg

    return as_tensor_arg(x)


def _float(x):
    from .autograd.ops.special import _float_input

    return _float_input(x)


def _into(out, res):
    if out is None:
        return res
    out._rebind(res) if res.requires_grad else out.copy_(res)
    return out


__all__ = [
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t", "chebyshev_polynomial_u",
    "chebyshev_polynomial_v", "chebyshev_polynomial_w", "digamma", "entr", "erf", "erfc", "erfcx", "erfinv",
    "gammainc", "gammaincc", "gammaln", "hermite_polynomial_h", "hermite_polynomial_he", "i0", "i0e", "i1", "i1e",
    "laguerre_polynomial_l", "legendre_polynomial_p", "log_ndtr", "modified_bessel_k0", "modified_bessel_k1",
    "multigammaln", "ndtr", "ndtri", "polygamma", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w", "spherical_bessel_j0", "xlog1py", "zeta",
] + list(ALIASES)
