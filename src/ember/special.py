"""torch.special: special functions under torch's names.

The functions computed here live in ``autograd/ops/special.py`` (their algorithms and derivatives in the
docstrings); the others are torch.special's aliases of ember functions, resolved by name from one table
(:data:`ALIASES`), so each is stated once.
"""
from __future__ import annotations

import numpy as np

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
    import ember

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


def _float(x):
    from .autograd.ops.special import _float_input

    return _float_input(x)


def _into(out, res):
    if out is None:
        return res
    out._rebind(res) if res.requires_grad else out.copy_(res)
    return out


__all__ = ["digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "gammaln", "i0", "i0e", "i1", "i1e", "log_ndtr",
           "multigammaln", "ndtr", "ndtri", "polygamma", "xlog1py", "zeta", *ALIASES]
