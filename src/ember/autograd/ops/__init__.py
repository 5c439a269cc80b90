"""The differentiable primitives, grouped by kind, and their attachment to ``Tensor`` as methods."""
from __future__ import annotations

import numpy as np

from ... import _dtype
from ...tensor import Tensor, _DataTensor, _wrap
from .. import _versions
from ..grad_mode import _state
from . import elementwise as E, indexing as I, linalg as L, nn as N, reduction as R, shape as S, special as X
from ._util import as_tensor_arg, broadcast_error

# ---- operators ----------------------------------------------------------------------
_OPERATORS = {
    "__add__": E.add,
    "__radd__": lambda x, y: E.add(x, y),
    "__sub__": E.sub,
    "__rsub__": E.rsub,
    "__mul__": E.mul,
    "__rmul__": lambda x, y: E.mul(x, y),
    "__truediv__": E.div,
    "__rtruediv__": E.rdiv,
    "__floordiv__": E.floor_divide,
    "__rfloordiv__": lambda x, y: E.floor_divide(as_tensor_arg(y, x), x),
    "__mod__": E.remainder,
    "__rmod__": E.rremainder,
    "__pow__": E.pow,
    "__rpow__": E.rpow,
    "__matmul__": L.matmul,
    "__rmatmul__": lambda x, y: NotImplemented if isinstance(y, (bool, int, float)) else L.matmul(as_tensor_arg(y), x),
    "__neg__": E.neg,
    "__pos__": lambda x: x,
    "__abs__": E.abs,
    "__invert__": E.bitwise_not,
    "__and__": E.bitwise_and,
    "__or__": E.bitwise_or,
    "__xor__": E.bitwise_xor,
    "__rand__": E.bitwise_and,
    "__ror__": E.bitwise_or,
    "__rxor__": E.bitwise_xor,
    "__eq__": E.eq,
    "__ne__": E.ne,
    "__lt__": E.lt,
    "__le__": E.le,
    "__gt__": E.gt,
    "__ge__": E.ge,
    "__getitem__": I.getitem,
    "__setitem__": I.setitem,
}

# ---- methods with torch's names -------------------------------------------------------
_METHODS = {
    "add": E.add, "sub": E.sub, "subtract": E.sub, "mul": E.mul, "multiply": E.mul, "div": E.div,
    "divide": E.div, "true_divide": E.div, "neg": E.neg, "negative": E.neg, "pow": E.pow, "exp": E.exp,
    "log": E.log, "log1p": E.log1p, "log2": E.log2, "log10": E.log10, "expm1": E.expm1, "sqrt": E.sqrt,
    "rsqrt": E.rsqrt, "reciprocal": E.reciprocal, "abs": E.abs, "absolute": E.abs, "sign": E.sign,
    "sin": E.sin, "cos": E.cos, "sigmoid": E.sigmoid, "tanh": E.tanh, "relu": E.relu, "square": E.square,
    "floor": E.floor, "ceil": E.ceil, "trunc": E.trunc, "round": E.round, "clamp": E.clamp, "clip": E.clamp,
    "maximum": E.maximum, "minimum": E.minimum, "eq": E.eq, "ne": E.ne, "lt": E.lt, "le": E.le, "gt": E.gt,
    "ge": E.ge, "greater": E.gt, "less": E.lt, "isnan": E.isnan, "isinf": E.isinf, "isfinite": E.isfinite,
    "logical_not": E.logical_not, "logical_and": E.logical_and, "logical_or": E.logical_or,
    "logical_xor": E.logical_xor, "remainder": E.remainder, "floor_divide": E.floor_divide,
    "allclose": E.allclose, "isclose": E.isclose, "equal": E.equal, "clone": E.clone,
    "where": lambda x, condition, y: E.where(condition, x, y),
    "sum": R.sum, "mean": R.mean, "var": R.var, "std": R.std, "prod": R.prod, "max": R.max, "min": R.min,
    "amax": R.amax, "amin": R.amin, "argmax": R.argmax, "argmin": R.argmin, "logsumexp": R.logsumexp,
    "norm": R.norm, "cumsum": R.cumsum, "all": R.all, "any": R.any, "count_nonzero": R.count_nonzero,
    "reshape": S.reshape, "view": S.view, "view_as": S.view_as, "reshape_as": S.reshape_as,
    "flatten": S.flatten, "unflatten": S.unflatten, "squeeze": S.squeeze, "unsqueeze": S.unsqueeze,
    "permute": S.permute, "transpose": S.transpose, "swapaxes": S.transpose, "t": S.t, "expand": S.expand,
    "expand_as": S.expand_as, "split": S.split, "chunk": S.chunk, "unbind": S.unbind, "flip": S.flip,
    "repeat": S.repeat, "contiguous": S.contiguous,
    "gather": I.gather, "scatter": I.scatter, "scatter_add": I.scatter_add, "index_select": I.index_select,
    "masked_fill": I.masked_fill, "masked_select": I.masked_select, "nonzero": I.nonzero,
    "take_along_dim": I.take_along_dim,
    "matmul": L.matmul, "mm": L.mm, "bmm": L.bmm, "dot": L.dot, "outer": L.outer,
    "addmm": L.addmm, "addmv": L.addmv, "addr": L.addr, "baddbmm": L.baddbmm, "addbmm": L.addbmm, "mv": L.mv,
    "det": lambda self: _linalg().det(self), "logdet": lambda self: _linalg().logdet(self),
    "slogdet": lambda self: _linalg().slogdet(self), "inverse": lambda self: _linalg().inv(self),
    "pinverse": lambda self, rcond=1e-15: _linalg().pinv(self, rtol=rcond),
    "matrix_power": lambda self, n: _linalg().matrix_power(self, n), "matrix_exp": lambda self: _linalg().matrix_exp(self),
    "svd": lambda self, some=True, compute_uv=True: _linalg()._svd_old(self, some, compute_uv),
    "qr": lambda self, some=True: _linalg()._qr_old(self, some),
    "cholesky": lambda self, upper=False: _linalg()._cholesky_old(self, upper),
    "cholesky_solve": lambda self, input2, upper=False: _linalg().cholesky_solve(self, input2, upper),
    "cholesky_inverse": lambda self, upper=False: _linalg().cholesky_inverse(self, upper),
    "triangular_solve": lambda self, A, upper=True, transpose=False, unitriangular=False:
        _linalg().triangular_solve(self, A, upper, transpose, unitriangular),
    "addmm_": lambda self, mat1, mat2, *, beta=1, alpha=1: self.copy_(L.addmm(self, mat1, mat2, beta=beta, alpha=alpha)),
    "addmv_": lambda self, mat, vec, *, beta=1, alpha=1: self.copy_(L.addmv(self, mat, vec, beta=beta, alpha=alpha)),
    "addr_": lambda self, vec1, vec2, *, beta=1, alpha=1: self.copy_(L.addr(self, vec1, vec2, beta=beta, alpha=alpha)),
    "baddbmm_": lambda self, b1, b2, *, beta=1, alpha=1: self.copy_(L.baddbmm(self, b1, b2, beta=beta, alpha=alpha)),
    "addbmm_": lambda self, b1, b2, *, beta=1, alpha=1: self.copy_(L.addbmm(self, b1, b2, beta=beta, alpha=alpha)),
    "vdot": L.vdot, "inner": L.inner, "kron": L.kron, "cross": L.cross, "dist": L.dist, "ger": L.outer,
    "softmax": N.softmax, "log_softmax": N.log_softmax,
    "erf": X.erf, "erfc": X.erfc, "erfinv": X.erfinv, "lgamma": X.lgamma, "digamma": X.digamma,
    "polygamma": lambda self, n: X.polygamma(n, self), "i0": X.i0,
}


def _linalg():
    from ... import linalg

    return linalg


# ---- in-place methods -----------------------------------------------------------------
def _needs_graph(self, *others) -> bool:
    if not _state.enabled:
        return False
    return self.requires_grad or any(isinstance(o, Tensor) and o.requires_grad for o in others)


def _record(self, out):
    """Finish an in-place op recorded as out-of-place: cast back to self's dtype and rebind."""
    if out._data.dtype != self._data.dtype:
        _check_castable(out._data.dtype, self._data.dtype)
        out = out._cast(self._data.dtype)
    if out._data.shape != self._data.shape:
        raise RuntimeError(
            f"output with shape {list(self._data.shape)} doesn't match the broadcast shape {list(out._data.shape)}"
        )
    return self._rebind(out)


def _arr(v):
    return v._data if isinstance(v, Tensor) else v


def _changed(self):
    """Record that ``self``'s memory was changed in place (``.data`` tensors are not tracked, as in torch)."""
    if type(self) is not _DataTensor:
        _versions.bump(self._data)
    return self


def _check_castable(src, dst):
    """torch's rule for an in-place result: no float into an integer or bool tensor, no integer into a bool one."""
    if src.kind == "f" and dst.kind in "iub" or src.kind in "iu" and dst.kind == "b":
        raise RuntimeError(
            f"result type {_dtype.scalar_name(src)} can't be cast to the desired output type {_dtype.scalar_name(dst)}"
        )


def _store(self, value):
    """self[...] = value, with torch's rule that the result type must be castable to self's dtype."""
    d = self._data
    value = np.asarray(value)
    if value.dtype != d.dtype and np.result_type(value.dtype, d.dtype) != d.dtype:
        _check_castable(value.dtype, d.dtype)
    try:
        np.copyto(d, value, casting="unsafe")
    except ValueError:
        raise RuntimeError(
            f"output with shape {list(d.shape)} doesn't match the broadcast shape "
            f"{list(np.broadcast_shapes(d.shape, value.shape))}"
        ) from None
    return _changed(self)


def _binary_inplace(outofplace, ufunc):
    def method(self, other, *, alpha=1):
        if _needs_graph(self, other):
            self._check_inplace()
            s = self._snapshot()
            return _record(self, outofplace(s, other, alpha=alpha) if alpha != 1 else outofplace(s, other))
        o = _arr(other)
        if alpha != 1:
            o = o * alpha
        d = self._data
        try:
            ufunc(d, o, out=d, casting="same_kind")
        except TypeError:
            src = _dtype.result_np_dtype(d, _arr(other))
            if ufunc is np.true_divide and src.kind != "f":
                src = _dtype.get_default_dtype().np
            raise RuntimeError(
                f"result type {_dtype.scalar_name(src)} can't be cast to the desired output type "
                f"{_dtype.scalar_name(d.dtype)}"
            ) from None
        except ValueError:
            try:
                target = np.broadcast_shapes(d.shape, np.shape(o))
            except ValueError:
                raise broadcast_error(d.shape, np.shape(o)) from None
            raise RuntimeError(
                f"output with shape {list(d.shape)} doesn't match the broadcast shape {list(target)}"
            ) from None
        return _changed(self)

    return method


def _unary_inplace(outofplace, fn, float_result=False):
    def method(self, *args, **kwargs):
        if float_result and self._data.dtype.kind != "f":  # sqrt_ of an integer tensor: torch's cast error
            _check_castable(_dtype.get_default_dtype().np, self._data.dtype)
        if _needs_graph(self):
            self._check_inplace()
            return _record(self, outofplace(self._snapshot(), *args, **kwargs))
        return _store(self, fn(self._data, *args, **kwargs))

    return method


def _mul_nograd(a, b):
    return a * b


def addcmul_(self, tensor1, tensor2, *, value=1):
    """self += value · tensor1 · tensor2."""
    if _needs_graph(self, tensor1, tensor2):
        self._check_inplace()
        return _record(self, self._snapshot() + tensor1 * tensor2 * value)
    d = self._data
    prod = _arr(tensor1) * _arr(tensor2)
    if value != 1:
        prod *= value
    return _store(self, d + prod)


def addcdiv_(self, tensor1, tensor2, *, value=1):
    """self += value · tensor1 / tensor2."""
    if _needs_graph(self, tensor1, tensor2):
        self._check_inplace()
        return _record(self, self._snapshot() + tensor1 / tensor2 * value)
    q = _arr(tensor1) / _arr(tensor2)
    if value != 1:
        q *= value
    return _store(self, self._data + q)


def lerp_(self, end, weight):
    """self += weight · (end − self)."""
    if _needs_graph(self, end, weight):
        self._check_inplace()
        s = self._snapshot()
        return _record(self, s + (end - s) * weight)
    d = self._data
    return _store(self, d + _arr(weight) * (_arr(end) - d))


def lerp(self, end, weight):
    return self + (end - self) * weight


def addcmul(self, tensor1, tensor2, *, value=1):
    return self + tensor1 * tensor2 * value


def addcdiv(self, tensor1, tensor2, *, value=1):
    return self + tensor1 / tensor2 * value


def copy_(self, src, non_blocking=False):
    if _needs_graph(self, src):
        self._check_inplace()
        s = as_tensor_arg(src)
        out = S.expand(s, *self._data.shape) if s._data.shape != self._data.shape else s
        if out._data.dtype != self._data.dtype:
            out = out._cast(self._data.dtype)
        # where(True, src, self): src's gradient passes, and self's overwritten values get a zero gradient (as torch)
        return _record(self, E.Where.apply(out, self._snapshot(), cond=np.ones(self._data.shape, bool)))
    np.copyto(self._data, _arr(src), casting="unsafe")
    return _changed(self)


def _fill(self, value):
    if _needs_graph(self, value):
        self._check_inplace()
        if isinstance(value, Tensor):
            return _record(self, E.clone(S.expand(value, *self._data.shape)))
        return _record(self, I.MaskedFill.apply(self._snapshot(), mask=np.ones(self._data.shape, bool), value=value))
    self._data[...] = _arr(value)
    return _changed(self)


def fill_(self, value):
    return _fill(self, value)


def zero_(self):
    return _fill(self, 0)


def clamp_(self, min=None, max=None):
    if _needs_graph(self, min, max):
        self._check_inplace()
        return _record(self, E.clamp(self._snapshot(), min, max))
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    d = self._data
    np.clip(d, _arr(min), _arr(max), out=d)
    return _changed(self)


def _random_fill(self, sample):
    self._check_inplace()
    self._data[...] = sample(self._data.shape)
    return _changed(self)


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    from ..._random import _gen

    g = _gen(generator)
    return _random_fill(self, lambda s: g.normal(mean, std, size=s))


def uniform_(self, a=0.0, b=1.0, *, generator=None):
    from ..._random import _gen

    g = _gen(generator)
    return _random_fill(self, lambda s: g.uniform(a, b, size=s))


def bernoulli_(self, p=0.5, *, generator=None):
    from ..._random import _gen

    g = _gen(generator)
    return _random_fill(self, lambda s: g.random(size=s) < _arr(p))


def exponential_(self, lambd=1.0, *, generator=None):
    from ..._random import _gen

    g = _gen(generator)
    return _random_fill(self, lambda s: g.exponential(1.0 / lambd, size=s))


def masked_fill_(self, mask, value):
    if _needs_graph(self, value):
        self._check_inplace()
        return _record(self, I.masked_fill(self._snapshot(), mask, value))
    I.masked_fill(_wrap(self._data), mask, value)  # validates
    self._data[np.broadcast_to(_arr(mask), self._data.shape)] = _arr(value)
    return _changed(self)


def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
    out = I.scatter(self._snapshot() if _needs_graph(self, src) else _wrap(self._data), dim, index, src, value=value, reduce=reduce)
    if _needs_graph(self, src):
        self._check_inplace()
        return _record(self, out)
    self._data[...] = out._data
    return _changed(self)


def scatter_add_(self, dim, index, src):
    return scatter_(self, dim, index, src, reduce="add")


def index_fill_(self, dim, index, value):
    idx = [slice(None)] * self._data.ndim
    idx[dim] = _arr(index)
    I.setitem(self, tuple(idx), value)
    return self


_INPLACE = {
    "add_": _binary_inplace(E.add, np.add),
    "sub_": _binary_inplace(E.sub, np.subtract),
    "mul_": _binary_inplace(lambda x, y, alpha=1: E.mul(x, y), np.multiply),
    "div_": _binary_inplace(lambda x, y, alpha=1: E.div(x, y), np.true_divide),
    "pow_": _binary_inplace(lambda x, y, alpha=1: E.pow(x, y), np.power),
    "sqrt_": _unary_inplace(E.sqrt, np.sqrt, float_result=True),
    "exp_": _unary_inplace(E.exp, np.exp, float_result=True),
    "log_": _unary_inplace(E.log, np.log, float_result=True),
    "neg_": _unary_inplace(E.neg, lambda a: E.neg(_wrap(a))._data),  # (through the op: its bool check)
    "abs_": _unary_inplace(E.abs, lambda a: E.abs(_wrap(a))._data),
    "relu_": _unary_inplace(E.relu, lambda a: E.relu(_wrap(a))._data),
    "sigmoid_": _unary_inplace(E.sigmoid, lambda a: E.Sigmoid.forward(E.Sigmoid.__new__(E.Sigmoid), a), True),
    "tanh_": _unary_inplace(E.tanh, np.tanh, float_result=True),
    "reciprocal_": _unary_inplace(E.reciprocal, lambda a: 1 / a, float_result=True),
    "clamp_min_": lambda self, min: clamp_(self, min=min),
    "clamp_max_": lambda self, max: clamp_(self, max=max),
    "addcmul_": addcmul_, "addcdiv_": addcdiv_, "lerp_": lerp_, "copy_": copy_, "fill_": fill_,
    "zero_": zero_, "clamp_": clamp_, "clip_": clamp_, "normal_": normal_, "uniform_": uniform_,
    "bernoulli_": bernoulli_, "exponential_": exponential_, "masked_fill_": masked_fill_,
    "scatter_": scatter_, "scatter_add_": scatter_add_, "index_fill_": index_fill_,
    "lerp": lerp, "addcmul": addcmul, "addcdiv": addcdiv,
    "__iadd__": _binary_inplace(E.add, np.add),
    "__isub__": _binary_inplace(E.sub, np.subtract),
    "__imul__": _binary_inplace(lambda x, y, alpha=1: E.mul(x, y), np.multiply),
    "__itruediv__": _binary_inplace(lambda x, y, alpha=1: E.div(x, y), np.true_divide),
}


def _clamp_min(self, min):
    return E.clamp(self, min=min)


def _clamp_max(self, max):
    return E.clamp(self, max=max)


def _new_like(fill):
    def method(self, size, *rest, dtype=None, device=None, requires_grad=False):
        shape = tuple(size) if isinstance(size, (tuple, list)) else (size, *rest)
        t = _wrap(fill(shape, _dtype.np_dtype(dtype) or self._data.dtype))
        t.requires_grad = requires_grad
        return t

    return method


def _new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    from ...tensor import _to_array

    t = _wrap(np.array(_to_array(data, _dtype.np_dtype(dtype) or self._data.dtype)))
    t.requires_grad = requires_grad
    return t


def installed_methods() -> dict:
    """Every Tensor method this package attaches, by name (one table: ``tools/gen_tensor_methods.py``
    declares them in ``class Tensor`` for type checkers from it)."""
    return {
        **_OPERATORS, **_METHODS, **_INPLACE,
        "clamp_min": _clamp_min, "clamp_max": _clamp_max,
        "new_zeros": _new_like(np.zeros), "new_ones": _new_like(np.ones), "new_empty": _new_like(np.empty),
        "new_full": _new_full, "new_tensor": _new_tensor,
    }


def _new_full(self, size, fill_value, **kw):
    return _new_like(lambda s, d: np.full(s, fill_value, d))(self, size, **kw)


def _install():
    for name, fn in installed_methods().items():
        setattr(Tensor, name, fn)


_install()
