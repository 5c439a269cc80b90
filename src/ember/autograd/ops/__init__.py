"""The differentiable primitives, grouped by kind, and their attachment to ``Tensor`` as methods."""
from __future__ import annotations

import builtins

import numpy as np

from ... import _dtype, _errors
from ...tensor import Tensor, _DataTensor, _wrap
from .. import _versions
from ..._grad_mode import _state
from . import elementwise as E, indexing as I, linalg as L, nn as N, reduction as R, shape as S, sorting as O
from . import special as X
from . import complex as C
from ._util import _C_NAMES, as_tensor_arg, broadcast_error, checked_scalar, not_implemented, scalar_array

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
    # sorting, selection and cumulative ops (sorting.py)
    "sort": O.sort, "argsort": O.argsort, "msort": O.msort, "topk": O.topk, "kthvalue": O.kthvalue,
    "median": O.median, "nanmedian": O.nanmedian, "mode": O.mode, "unique": O.unique,
    "unique_consecutive": O.unique_consecutive, "cumprod": O.cumprod, "cummax": O.cummax, "cummin": O.cummin,
    "logcumsumexp": O.logcumsumexp, "quantile": O.quantile, "nanquantile": O.nanquantile,
    # more math, shape and indexing (issue #18)
    "tan": E.tan, "sinh": E.sinh, "cosh": E.cosh, "asin": E.asin, "acos": E.acos, "atan": E.atan,
    "asinh": E.asinh, "acosh": E.acosh, "atanh": E.atanh, "arcsin": E.asin, "arccos": E.acos, "arctan": E.atan,
    "arcsinh": E.asinh, "arccosh": E.acosh, "arctanh": E.atanh, "sinc": E.sinc, "atan2": E.atan2,
    "arctan2": E.atan2, "hypot": E.hypot, "logaddexp": E.logaddexp, "logaddexp2": E.logaddexp2, "fmod": E.fmod,
    "exp2": E.exp2, "deg2rad": E.deg2rad, "rad2deg": E.rad2deg, "frac": E.frac, "logit": E.logit,
    "xlogy": E.xlogy, "copysign": E.copysign, "float_power": E.float_power, "ldexp": E.ldexp,
    "heaviside": E.heaviside, "gcd": E.gcd, "lcm": E.lcm, "fmax": E.fmax, "fmin": E.fmin,
    "nextafter": E.nextafter, "isposinf": E.isposinf, "isneginf": E.isneginf, "signbit": E.signbit,
    "isreal": E.isreal, "nan_to_num": E.nan_to_num, "positive": E.positive, "frexp": E.frexp, "sgn": C.sgn,
    "fix": E.trunc, "not_equal": E.ne, "greater_equal": E.ge, "less_equal": E.le,
    "nansum": R.nansum, "nanmean": R.nanmean, "aminmax": R.aminmax,
    "roll": S.roll, "fliplr": S.fliplr, "flipud": S.flipud, "rot90": S.rot90, "narrow": S.narrow, "tile": S.tile,
    "repeat_interleave": S.repeat_interleave, "diagonal": S.diagonal, "diag_embed": S.diag_embed, "diag": S.diag,
    "diagflat": S.diagflat, "trace": S.trace, "movedim": S.movedim, "moveaxis": S.movedim, "swapdims": S.transpose,
    "ravel": S.ravel, "tensor_split": S.tensor_split, "hsplit": S.hsplit, "vsplit": S.vsplit, "dsplit": S.dsplit,
    "select": S.select, "diff": S.diff, "unsafe_chunk": S.chunk, "unsafe_split": S.split,
    "split_with_sizes": S.split, "unsafe_split_with_sizes": S.split,
    "take": I.take, "index_add": I.index_add, "index_copy": I.index_copy, "index_fill": I.index_fill,
    "scatter_reduce": I.scatter_reduce, "masked_scatter": I.masked_scatter, "argwhere": I.argwhere,
    "bincount": I.bincount, "histc": I.histc, "histogram": I.histogram,
    "bitwise_and": E.bitwise_and, "bitwise_or": E.bitwise_or, "bitwise_xor": E.bitwise_xor,
    "bitwise_not": E.bitwise_not, "bitwise_left_shift": E.bitwise_left_shift,
    "bitwise_right_shift": E.bitwise_right_shift, "hardshrink": E.hardshrink,
    "renorm": R.renorm, "cov": R.cov, "corrcoef": R.corrcoef,
    "slice_scatter": I.slice_scatter, "select_scatter": I.select_scatter, "diagonal_scatter": I.diagonal_scatter,
    "index_put": I.index_put, "put": I.put, "index_reduce": I.index_reduce,
    "as_strided": S.as_strided, "as_strided_scatter": S.as_strided_scatter, "unfold": S.unfold, "sum_to_size": S.sum_to_size, "narrow_copy": S.narrow_copy, "adjoint": S.adjoint,
    "broadcast_to": S.broadcast_to, "prelu": N.prelu,
    "byte": lambda x: x.to(_dtype.uint8), "char": lambda x: x.to(_dtype.int8), "short": lambda x: x.to(_dtype.int16),
    "is_complex": C._is_complex, "is_conj": C.is_conj, "is_neg": lambda x: False,
    # complex tensors (complex.py)
    "conj": C.conj, "conj_physical": C.conj_physical, "resolve_conj": C.resolve_conj, "resolve_neg": C.resolve_neg,
    "angle": C.angle, "cfloat": lambda x: x.to(_dtype.complex64), "cdouble": lambda x: x.to(_dtype.complex128),
    "is_signed": lambda x: x.dtype.is_signed, "is_inference": lambda x: False,
    "is_same_size": lambda x, other: x._data.shape == other._data.shape,
    "is_nonzero": lambda x: _is_nonzero(x),
    "nonzero_static": lambda x, *, size, fill_value=-1: nonzero_static(x, size=size, fill_value=fill_value),
    "dim_order": lambda x, *, ambiguity_check=False: dim_order(x),
    "tril": lambda x, diagonal=0: _creation().tril(x, diagonal),
    "triu": lambda x, diagonal=0: _creation().triu(x, diagonal),
    "erf": X.erf, "erfc": X.erfc, "erfinv": X.erfinv, "lgamma": X.lgamma, "digamma": X.digamma,
    "polygamma": lambda self, n: X.polygamma(n, self), "i0": X.i0,
}


def _is_nonzero(x) -> bool:
    """The truth of a one-element tensor (torch's errors for none or several)."""
    if x._data.size != 1:
        raise RuntimeError(f"Boolean value of Tensor with {'no values' if x._data.size == 0 else 'more than one value'}"
                           " is ambiguous")
    return bool(x._data.reshape(()))


def _creation():
    from ... import _creation as C

    return C


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


def _operand(v, d):
    """``v`` as the second operand of an in-place op on the array ``d`` (a Python int wraps into d's integer dtype)."""
    if isinstance(v, int) and not isinstance(v, bool) and d.dtype.kind in "iu":
        return scalar_array(v, d.dtype)
    return _arr(v)


def _changed(self):
    """Record that ``self``'s memory was changed in place (``.data`` tensors are not tracked, as in torch)."""
    if type(self) is not _DataTensor:
        _versions.bump(self._data)
    return self


def _castable(src, dst):
    """torch's rule for an in-place result: no complex into a real tensor, no float into an integer or bool one,
    no integer into a bool one."""
    return not (src.kind == "c" and dst.kind != "c" or src.kind == "f" and dst.kind in "iub"
                or src.kind in "iu" and dst.kind == "b")


def _check_castable(src, dst):
    if not _castable(src, dst):
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
        d = self._data
        o = _operand(other, d)
        if alpha != 1:
            o = o * alpha
        try:
            ufunc(d, o, out=d, casting="same_kind")
        except TypeError:  # NumPy's rule is stricter than torch's: torch casts within a category (int64 into uint8)
            src = _dtype.result_np_dtype(d, _arr(other))
            if ufunc is np.true_divide and src.kind != "f":
                src = _dtype.get_default_dtype().np
            _check_castable(src, d.dtype)
            _binary_store(ufunc, d, o, "unsafe")
        except ValueError:
            _binary_store(ufunc, d, o, "unsafe")  # raises torch's broadcast message
        return _changed(self)

    return method


def _binary_store(ufunc, d, o, casting):
    """``ufunc(d, o, out=d)``; an ``o`` that does not broadcast to ``d``'s shape gets torch's message."""
    try:
        ufunc(d, o, out=d, casting=casting)
    except ValueError:
        try:
            target = np.broadcast_shapes(d.shape, np.shape(o))
        except ValueError:
            raise broadcast_error(d.shape, np.shape(o)) from None
        raise RuntimeError(f"output with shape {list(d.shape)} doesn't match the broadcast shape {list(target)}") from None


def _pow_(self, other):
    E.check_scalar_exponent(self._data.dtype, other)
    if isinstance(other, Tensor) and _dtype.result_np_dtype(self._data, other._data).kind == "b":
        raise E.bool_pow_error(np.dtype(bool))
    return _pow_inplace(self, other)


_pow_inplace = _binary_inplace(lambda x, y, alpha=1: E.pow(x, y), E.power_into)


def _unary_inplace(outofplace, fn, float_result=False, refuse_complex=None):
    def method(self, *args, **kwargs):
        if refuse_complex and self._data.dtype.kind == "c":  # (|z| is real: it cannot be stored in z, as torch)
            if _needs_graph(self):
                self._check_inplace()
            raise RuntimeError(f"In-place {refuse_complex} is not supported for complex tensors.")
        if float_result and self._data.dtype.kind != "f":  # sqrt_ of an integer tensor: torch's cast error
            _check_castable(_dtype.get_default_dtype().np, self._data.dtype)
        if _needs_graph(self):
            self._check_inplace()
            return _record(self, outofplace(self._snapshot(), *args, **kwargs))
        return _store(self, fn(self._data, *args, **kwargs))

    return method


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
    if isinstance(value, (int, float, builtins.complex)) and not isinstance(value, bool):
        value = checked_scalar(value, self._data.dtype)[()]  # torch's overflow check (−3 wraps into uint8)
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
        for b in (min, max):
            if isinstance(b, Tensor) and b._data.dtype.kind == "c":  # (torch checks the cast before the kernel)
                _check_castable(_dtype.result_np_dtype(self._data, b._data), self._data.dtype)
        return _record(self, E.clamp(self._snapshot(), min, max))
    if min is None and max is None:
        raise _errors.clamp_needs_a_bound()
    d = self._data
    if not isinstance(min, Tensor) and not isinstance(max, Tensor):  # (number bounds: no promotion of a float tensor)
        if d.dtype.kind == "f":
            min, max = (None if b is None else E.clamp_number_bound(b) for b in (min, max))
        elif isinstance(min, builtins.complex) or isinstance(max, builtins.complex):
            src = _dtype.result_np_dtype(d, min if isinstance(min, builtins.complex) else max)
            raise RuntimeError(f"result type {_dtype.scalar_name(src)} can't be cast to the desired output type "
                               f"{_C_NAMES[d.dtype.name]}")
    try:
        if d.dtype.kind == "b":
            E.clamp(_wrap(d), min, max)  # torch's NotImplementedError for bool bounds of a bool tensor
        np.clip(d, *(checked_scalar(b, d.dtype) if isinstance(b, int) and d.dtype.kind in "iu" else _arr(b)
                     for b in (min, max)), out=d)
    except (TypeError, ValueError) as err:  # a bound of a higher category than self's dtype, or of a larger shape
        shapes = [d.shape, *(np.shape(_arr(b)) for b in (min, max) if b is not None)]
        try:
            shape = np.broadcast_shapes(*shapes)
        except ValueError:
            raise broadcast_error(*shapes) from None
        if shape != d.shape:
            raise RuntimeError(f"output with shape {list(d.shape)} doesn't match the broadcast shape {list(shape)}") from None
        if isinstance(err, ValueError):
            raise
        for b in (min, max):
            if isinstance(b, Tensor):
                _check_castable(b._data.dtype, d.dtype)  # a complex bound of a real tensor
        first = [b.reshape(-1)[:1] if isinstance(b, Tensor) else b for b in (min, max)]  # the dtypes, not the values
        src = E.clamp(_wrap(d.reshape(-1)[:1]), *first)._data.dtype  # torch's result type
        if _castable(src, d.dtype):
            np.clip(d, _arr(min), _arr(max), out=d, casting="unsafe")  # torch casts within a category (int64 into uint8)
            return _changed(self)
        tensor_bound = isinstance(min, Tensor) or isinstance(max, Tensor)  # (torch names dst in C++ otherwise)
        dst = _dtype.scalar_name(d.dtype) if tensor_bound else _C_NAMES[d.dtype.name]
        raise RuntimeError(f"result type {_dtype.scalar_name(src)} can't be cast to the desired output type {dst}") from None
    return _changed(self)


def _random_fill(self, sampler, generator, *args):
    """Fill ``self`` in place from ``sampler(rng, shape, dtype, *args)`` (ember/_random.py: checks and formulas)."""
    from ..._random import _gen

    self._check_inplace()
    self._data[...] = sampler(_gen(generator), self._data.shape, self._data.dtype, *args)
    return _changed(self)


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    from ... import _random

    return _random_fill(self, _random.normal, generator, mean, std)


def uniform_(self, a=0.0, b=1.0, *, generator=None):
    from ... import _random

    return _random_fill(self, _random.uniform, generator, a, b)


def bernoulli_(self, p=0.5, *, generator=None):
    from ... import _random

    if isinstance(p, Tensor):
        p = S.expand(p, self._data.shape)._data  # (torch's error when p does not expand to self's shape)
    return _random_fill(self, _random.bernoulli, generator, p)


def exponential_(self, lambd=1.0, *, generator=None):
    from ... import _random

    return _random_fill(self, _random.exponential, generator, lambd)


def geometric_(self, p, *, generator=None):
    from ... import _random

    return _random_fill(self, _random.geometric, generator, p)


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    from ... import _random

    return _random_fill(self, _random.cauchy, generator, median, sigma)


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    from ... import _random

    return _random_fill(self, _random.log_normal, generator, mean, std)


_UNSET = object()


def random_(self, from_=None, to=_UNSET, *, generator=None):
    """``random_()``, ``random_(to)``, ``random_(from, to)`` (``to=None``: up to the dtype's maximum), as torch's."""
    from ... import _random

    if from_ is None and to is _UNSET:
        return _random_fill(self, _random.random_integers, generator, 0, None, True)
    if to is _UNSET or from_ is None:
        from_, to = 0, from_ if to is _UNSET else to
    return _random_fill(self, _random.random_integers, generator, from_, to)


def masked_fill_(self, mask, value):
    if _needs_graph(self, value):
        self._check_inplace()
        return _record(self, I.masked_fill(self._snapshot(), mask, value))
    I.masked_fill(_wrap(self._data), mask, value)  # validates
    if isinstance(value, builtins.complex) and self._data.dtype.kind != "c":
        value = checked_scalar(value, self._data.dtype)[()]  # (its real part, the check passed)
    self._data[np.broadcast_to(_arr(mask), self._data.shape)] = _operand(value, self._data)
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


def _inplace(fn, float_result=False):
    """The in-place method ``x.fn_(...)`` of an out-of-place function: recorded as ``fn`` while recording (the
    result cast back to x's dtype), else computed and stored into x's array."""

    def method(self, *args, **kwargs):
        if float_result and self._data.dtype.kind != "f":  # acos_ of an integer tensor: torch's cast error
            _check_castable(_dtype.get_default_dtype().np, self._data.dtype)
        if _needs_graph(self, *args, *kwargs.values()):
            self._check_inplace()
            return _record(self, fn(self._snapshot(), *args, **kwargs))
        return _store(self, fn(_wrap(self._data), *args, **kwargs)._data)

    method.__name__ = fn.__name__ + "_"
    return method


_FLOAT_INPLACE = ("tan", "sinh", "cosh", "asin", "acos", "atan", "asinh", "acosh", "atanh", "arcsin", "arccos",
                  "arctan", "arcsinh", "arccosh", "arctanh", "sinc", "exp2", "deg2rad", "rad2deg", "logit", "sin",
                  "cos", "log2", "log10", "log1p", "expm1", "rsqrt", "atan2", "arctan2", "hypot", "logaddexp",
                  "logaddexp2", "xlogy", "copysign", "ldexp")
_SAME_DTYPE_INPLACE = ("conj_physical", "frac", "fmod", "heaviside", "gcd", "lcm", "nextafter", "nan_to_num", "sgn", "fix", "ceil",
                       "floor", "round", "trunc", "sign", "square", "remainder", "floor_divide", "eq", "ne", "lt",
                       "le", "gt", "ge", "not_equal", "greater_equal", "less_equal", "greater", "less",
                       "logical_not", "logical_and", "logical_or", "logical_xor", "index_add", "index_copy",
                       "masked_scatter", "scatter_reduce", "cumsum", "cumprod", "tril", "triu", "negative",
                       "true_divide", "multiply", "subtract", "divide", "absolute", "clip", "fmax", "fmin",
                       "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
                       "bitwise_right_shift", "renorm", "index_put", "put", "index_reduce", "index_fill")

def _shape_inplace(fn):
    """A view op applied in place (``x.t_()``): x takes the result's shape, and its history while recording."""

    def method(self, *args):
        if _needs_graph(self):
            self._check_inplace()
            return self._rebind(fn(self._snapshot(), *args))
        self._data = fn(_wrap(self._data), *args)._data
        return self

    method.__name__ = fn.__name__ + "_"
    return method


_INPLACE = {
    "add_": _binary_inplace(E.add, np.add),
    "sub_": _binary_inplace(E.sub, np.subtract),
    "mul_": _binary_inplace(lambda x, y, alpha=1: E.mul(x, y), np.multiply),
    "div_": _binary_inplace(lambda x, y, alpha=1: E.div(x, y), np.true_divide),
    "pow_": _pow_,
    "sqrt_": _unary_inplace(E.sqrt, np.sqrt, float_result=True),
    "exp_": _unary_inplace(E.exp, np.exp, float_result=True),
    "log_": _unary_inplace(E.log, np.log, float_result=True),
    "neg_": _unary_inplace(E.neg, lambda a: E.neg(_wrap(a))._data),  # (through the op: its bool check)
    "abs_": _unary_inplace(E.abs, lambda a: E.abs(_wrap(a))._data, refuse_complex="abs"),
    "relu_": _unary_inplace(E.relu, lambda a: E.relu(_wrap(a))._data),
    "sigmoid_": _unary_inplace(E.sigmoid, lambda a: E.Sigmoid.forward(E.Sigmoid.__new__(E.Sigmoid), a), True),
    "tanh_": _unary_inplace(E.tanh, np.tanh, float_result=True),
    "reciprocal_": _unary_inplace(E.reciprocal, lambda a: 1 / a, float_result=True),
    "clamp_min_": lambda self, min: _no_complex_number_bound(min) or clamp_(self, min=min),
    "clamp_max_": lambda self, max: _no_complex_number_bound(max) or clamp_(self, max=max),
    "addcmul_": addcmul_, "addcdiv_": addcdiv_, "lerp_": lerp_, "copy_": copy_, "fill_": fill_,
    "zero_": zero_, "clamp_": clamp_, "clip_": clamp_, "normal_": normal_, "uniform_": uniform_,
    "bernoulli_": bernoulli_, "exponential_": exponential_, "geometric_": geometric_, "cauchy_": cauchy_,
    "log_normal_": log_normal_, "random_": random_, "masked_fill_": masked_fill_,
    "scatter_": scatter_, "scatter_add_": scatter_add_, "index_fill_": index_fill_,
    "lerp": lerp, "addcmul": addcmul, "addcdiv": addcdiv, "fill_diagonal_": I.fill_diagonal_,
    "squeeze_": _shape_inplace(S.squeeze), "unsqueeze_": _shape_inplace(S.unsqueeze), "t_": _shape_inplace(S.t),
    "transpose_": _shape_inplace(S.transpose), "swapaxes_": _shape_inplace(S.transpose),
    "swapdims_": _shape_inplace(S.transpose), "as_strided_": _shape_inplace(S.as_strided),
    "__iadd__": _binary_inplace(E.add, np.add),
    "__isub__": _binary_inplace(E.sub, np.subtract),
    "__imul__": _binary_inplace(lambda x, y, alpha=1: E.mul(x, y), np.multiply),
    "__itruediv__": _binary_inplace(lambda x, y, alpha=1: E.div(x, y), np.true_divide),
}


def _clamp_min(self, min):
    _no_complex_number_bound(min)
    return E.clamp(self, min=min)


def _clamp_max(self, max):
    _no_complex_number_bound(max)
    return E.clamp(self, max=max)


def _no_complex_number_bound(bound):
    """clamp_min and clamp_max promote a tensor with their number bound, also a floating-point one (clamp does not)."""
    if isinstance(bound, builtins.complex):
        raise E.clamp_of_complex()


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
        **{f"{n}_": _inplace(_METHODS[n], float_result=True) for n in _FLOAT_INPLACE if f"{n}_" not in _INPLACE},
        **{f"{n}_": _inplace(_METHODS[n]) for n in _SAME_DTYPE_INPLACE if f"{n}_" not in _INPLACE},
        "clamp_min": _clamp_min, "clamp_max": _clamp_max,
        "new_zeros": _new_like(np.zeros), "new_ones": _new_like(np.ones), "new_empty": _new_like(np.empty),
        "new_full": _new_full, "new_tensor": _new_tensor,
        "new_empty_strided": lambda self, size, stride, **kw: _new_like(np.empty)(self, size, **kw),
        "storage_offset": _storage_offset, "const_data_ptr": lambda self: self.data_ptr(),
        "apply_": apply_, "map_": map_, "map2_": map2_, "float_power_": float_power_, "resize_": resize_,
        "resize_as_": resize_as_,
        "__lshift__": E.bitwise_left_shift, "__rshift__": E.bitwise_right_shift,
        "__rlshift__": lambda x, y: E.bitwise_left_shift(y, x), "__rrshift__": lambda x, y: E.bitwise_right_shift(y, x),
    }


def _storage_offset(self) -> int:
    """Elements between the start of the array's memory block and this tensor's first element."""
    base = self._data
    while isinstance(base.base, np.ndarray):
        base = base.base
    return (self._data.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // self._data.itemsize


def _new_full(self, size, fill_value, **kw):
    return _new_like(lambda s, d: np.full(s, fill_value, d))(self, size, **kw)


def _matrix_transpose(name, batches):
    def prop(x):
        n = x._data.ndim
        if n < 2 or n > 2 and not batches:
            what = "matrices or batches of matrices" if batches else "matrices (2-D tensors)"
            hint = "." if batches else ". For batches of matrices, consider using tensor.mH"
            raise RuntimeError(f"tensor.{name} is only supported on {what}. Got {n}-D tensor{hint}")
        return S.transpose(x, -2, -1)

    return prop


_PROPERTIES = {  # read-only attributes of torch.Tensor (installed as properties, outside the method table)
    "itemsize": lambda x: x._data.dtype.itemsize,
    "nbytes": lambda x: x._data.nbytes,
    "H": lambda x: C.conj(_matrix_transpose("H", False)(x)),  # the conjugate transpose
    "mH": lambda x: C.conj(_matrix_transpose("mH", True)(x)),
    "real": C.real, "imag": C.imag,
}


def _no_grad_callback(name):
    def check(self):
        if self.requires_grad:
            raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use var.detach().{name}() instead.")

    return check


def apply_(self, callable):
    """Each element replaced by callable(element), in place (CPU, no autograd, as torch)."""
    _no_grad_callback("apply_")(self)
    flat = self._data.reshape(-1)
    for k, v in enumerate(flat.tolist()):
        flat[k] = callable(v)
    return _changed(self)


def map_(self, tensor, callable):
    """self[i] = callable(self[i], tensor[i]) over tensor broadcast to self's shape, in place."""
    _no_grad_callback("map_")(self)
    other = np.broadcast_to(_arr(tensor), self._data.shape).reshape(-1).tolist()
    flat = self._data.reshape(-1)
    for k, (v, w) in enumerate(zip(flat.tolist(), other)):
        flat[k] = callable(v, w)
    return _changed(self)


def map2_(self, x, y, callable):
    """self[i] = callable(self[i], x[i], y[i]) over x and y broadcast to self's shape, in place."""
    _no_grad_callback("map2_")(self)
    xs = np.broadcast_to(_arr(x), self._data.shape).reshape(-1).tolist()
    ys = np.broadcast_to(_arr(y), self._data.shape).reshape(-1).tolist()
    flat = self._data.reshape(-1)
    for k, (v, a, b) in enumerate(zip(flat.tolist(), xs, ys)):
        flat[k] = callable(v, a, b)
    return _changed(self)


def float_power_(self, exponent):
    """self ** exponent in float64, in place: self must be float64 (torch's rule)."""
    if self._data.dtype != np.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {_dtype.scalar_name(self._data.dtype)} but the "
                           "operation's result requires dtype Double")
    return _inplace(E.float_power)(self, exponent)


def resize_(self, *sizes, memory_format=None):
    """This tensor with the given shape, keeping the leading elements in row-major order (new ones are
    uninitialised)."""
    shape = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else tuple(sizes)
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    n = int(np.prod(shape))
    if n != self._data.size or not self._data.flags.c_contiguous:
        new = np.empty(n, self._data.dtype)
        k = min(n, self._data.size)
        new[:k] = self._data.reshape(-1)[:k]
        self._data = new.reshape(shape)
    else:
        self._data = self._data.reshape(shape)
    return _changed(self)


def resize_as_(self, the_template, memory_format=None):
    return resize_(self, the_template._data.shape)


def nonzero_static(self, *, size, fill_value=-1):
    """The coordinates of the first ``size`` nonzero elements, padded with rows of fill_value."""
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, but got {size}")
    nz = np.argwhere(self._data)[:size] if self._data.ndim else np.zeros((int(bool(self._data)), 0), np.int64)[:size]
    pad = np.full((size - len(nz), nz.shape[1]), fill_value, np.int64)
    return _wrap(np.concatenate([nz.astype(np.int64), pad]))


def dim_order(self, *, ambiguity_check=False):
    """The dimensions from the outermost (largest stride) to the innermost."""
    st = self._data.strides
    return tuple(sorted(range(len(st)), key=lambda d: -st[d]))


def installed_properties() -> dict:
    """Every read-only Tensor attribute this package attaches as a property, by name (``tools/gen_tensor_methods.py``
    declares them in ``class Tensor`` for type checkers from it)."""
    return dict(_PROPERTIES)


def _install():
    for name, fn in installed_methods().items():
        setattr(Tensor, name, fn)
    for name, fn in installed_properties().items():
        setattr(Tensor, name, property(fn))


_install()
