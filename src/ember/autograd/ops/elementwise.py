"""Elementwise primitives: arithmetic, math functions, comparisons, ``where`` and casts.

Each op's derivative sits next to its forward, written once for both orders of differentiation
(``_xp.py``). Gradients may be returned in the broadcast shape: the engine sums them back to each
input's shape.
"""
from __future__ import annotations

import cmath
import math

import numpy as np

from ... import _errors
from ...tensor import Tensor, _wrap
from ..function import Op
from ._xp import cj, dtype_of, masked, sign_array, threshold_grad, xp_of
from ._util import operands, as_tensor_arg, broadcast_error, broadcasting, not_implemented, checked_scalar


# ---- arithmetic ----------------------------------------------------------------------
class Add(Op):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Op):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, -g


class Mul(Op):
    saved_for = {"a": (1,), "b": (0,)}  # a is read only for b's gradient, b for a's (see autograd/_versions.py)

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return a * b

    @staticmethod
    def backward(ctx, g):
        return g * cj(ctx.b), g * cj(ctx.a)


class Div(Op):
    @staticmethod
    def forward(ctx, a, b):
        out = np.true_divide(a, b)
        ctx.b, ctx.out = b, out
        return out

    @staticmethod
    def backward(ctx, g):
        gb = g / cj(ctx.b)
        return gb, -gb * cj(ctx.out)  # (inf·nan where b = 0: nan without a warning, as torch)


class Neg(Op):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Op):
    """a ** b for two tensors: d/da = b·a^(b−1), d/db = a^b·log a (0 where a = 0 and b ≥ 0, as torch)."""

    @staticmethod
    def forward(ctx, a, b):
        kind = a.dtype.kind
        out = _int_power(a, b) if kind in "iu" else complex_power(a, b) if kind == "c" else np.power(a, b)
        ctx.a, ctx.b, ctx.out = a, b, out
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, xp = ctx.a, ctx.b, xp_of(g)
        power = complex_power if dtype_of(a).kind == "c" and not isinstance(a, Tensor) else xp.power
        ga = xp.where(b == 0, 0, g * cj(b * power(a, b - 1)))  # 0 where b = 0 (also at a = 0), as torch
        gb = g * cj(ctx.out * xp.log(a))
        gb = xp.where((a == 0) & _real_nonnegative(b), 0, gb)
        return ga, gb


def _real_nonnegative(b):
    """b ≥ 0, and for a complex b: Im b = 0 and Re b ≥ 0 (where torch's exponent gradient of 0 ** b is 0)."""
    return (b.imag == 0) & (b.real >= 0) if dtype_of(b).kind == "c" else b >= 0


def complex_power(a, b):
    """a ** b for complex arrays as torch computes it, exp(b·log a): NumPy's power agrees except at a = 0, where
    exp(b·log 0) with log 0 = −inf is nan for b = 0 (NumPy: 1), inf+nanj for Re b < 0 and 0 for Re b > 0."""
    out = np.power(a, b)
    zero = a == 0
    if zero.any():
        z = np.broadcast_to(zero, out.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            torch_value = np.exp(np.asarray(b) * np.log(np.asarray(a, dtype=out.dtype)))
        out = np.where(z, torch_value, out).astype(out.dtype, copy=False)
    return out


def _int_power(a, b):
    """a ** b for integers, with torch's values for negative b: ±1 for a = ±1, else 0 (NumPy refuses)."""
    if not (np.asarray(b) < 0).any():
        return np.power(a, b)
    neg = b < 0
    small = np.where(a == 1, 1, np.where(a == -1, np.where(b % 2 == 0, 1, -1), 0)).astype(np.result_type(a, b))
    return np.where(neg, small, np.power(a, np.where(neg, 0, b)))


class PowScalar(Op):
    """a ** e for a constant exponent e: d/da = e·a^(e−1)."""

    @staticmethod
    def forward(ctx, a, *, e):
        ctx.a, ctx.e = a, e
        if e == 2:
            return a * a
        if a.dtype.kind == "c" and e != 0:  # (a ** 0 is 1 everywhere, as torch)
            return complex_power(a, np.asarray(e, dtype=a.dtype))
        return np.power(a, np.asarray(e, dtype=a.dtype) if a.dtype.kind == "f" else e)

    @staticmethod
    def backward(ctx, g):
        a, e = ctx.a, ctx.e
        if e == 2:
            return g * 2 * cj(a)
        if e == 0:
            return xp_of(g).zeros_like(g)
        return g * cj(e * a ** (e - 1 if isinstance(e, complex) else float(e - 1)))


class RPowScalar(Op):
    """s ** a for a constant base s: d/da = s^a·log s."""

    @staticmethod
    def forward(ctx, a, *, s):
        base = np.asarray(s, dtype=a.dtype)
        out = complex_power(base, a) if a.dtype.kind == "c" else np.power(base, a)
        ctx.out, ctx.s = out, s
        if s == 0 and a.dtype.kind == "c":
            ctx.zero_grad = _real_nonnegative(a)  # (a mask: where torch's gradient of 0 ** a is 0)
        return out

    @staticmethod
    def backward(ctx, g):
        s = ctx.s
        if dtype_of(ctx.out).kind == "c":
            # the complex rule g·conj(s^a·log s), with the principal log (log 0 = −inf: 0 where a is real ≥ 0,
            # else nan, as torch)
            gx = g * cj(ctx.out * (cmath.log(s) if s != 0 else -math.inf))
            return gx if s != 0 else xp_of(g).where(ctx.zero_grad, 0, gx)
        log_s = math.log(s) if s > 0 else (-math.inf if s == 0 else math.nan)  # -inf or nan for s ≤ 0, as torch
        gx = g * ctx.out * log_s
        return gx if s != 0 else xp_of(g).where(ctx.out <= 1, 0, gx)  # 0 ** x: 0 where x ≥ 0 (out ≤ 1), as torch


# ---- unary math ----------------------------------------------------------------------
class Exp(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.out = np.exp(a)
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        return g * cj(ctx.out)


class Log(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return np.log(a)

    @staticmethod
    def backward(ctx, g):
        return g / cj(ctx.a)


class Log1p(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return np.log1p(a)

    @staticmethod
    def backward(ctx, g):
        return g / (1 + ctx.a)


class Expm1(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.out = np.expm1(a)
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        return g * (ctx.out + 1)


class Sqrt(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.out = np.sqrt(a)
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        return g / (2 * cj(ctx.out))


class Rsqrt(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.out = 1 / np.sqrt(a)
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        return g * cj(-0.5 * ctx.out**3)


class Reciprocal(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.out = 1 / a
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        return -g * cj(ctx.out * ctx.out)


class Abs(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return np.abs(a)

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        return g * (xp.sign(ctx.a) if xp is not np else sign_array(ctx.a))  # (0 at NaN, as torch's sgn)


class Sin(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return np.sin(a)

    @staticmethod
    def backward(ctx, g):
        return g * cj(xp_of(g).cos(ctx.a))


class Cos(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return np.cos(a)

    @staticmethod
    def backward(ctx, g):
        return -g * cj(xp_of(g).sin(ctx.a))


class Sigmoid(Op):
    """σ(x) = 1/(1+e^(−x)), computed without overflow; dσ/dx = σ(1−σ)."""

    @staticmethod
    def forward(ctx, a):
        if a.dtype.kind == "c":  # (no overflow guard: torch's complex sigmoid is the plain formula too)
            ctx.out = 1 / (1 + np.exp(-a))
            return ctx.out
        e = np.exp(-np.abs(a))
        out = np.where(a >= 0, 1 / (1 + e), e / (1 + e))
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx, g):
        s = ctx.out
        return g * cj(s * (1 - s))


class Tanh(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.out = np.tanh(a)
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        return g * cj(1 - ctx.out * ctx.out)


class Relu(Op):
    @staticmethod
    def forward(ctx, a):
        out = np.maximum(a, 0)
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx, g):
        return threshold_grad(g, ctx.out)


class Clamp(Op):
    """clamp(x, lo, hi); the gradient passes where lo ≤ x ≤ hi (as torch)."""

    @staticmethod
    def forward(ctx, a, *, lo, hi):
        ctx.a, ctx.lo, ctx.hi = a, lo, hi
        out = a
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        return out if out is not a else a.copy()

    @staticmethod
    def backward(ctx, g):
        a, lo, hi = ctx.a, ctx.lo, ctx.hi
        mask = a >= lo if lo is not None else a <= hi  # (clamp needs lo or hi)
        if lo is not None and hi is not None:
            mask = mask & (a <= hi)
        return masked(g, mask)


class ClampTensor(Op):
    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.a, ctx.lo, ctx.hi = a, lo, hi
        return np.minimum(np.maximum(a, lo), hi)

    @staticmethod
    def backward(ctx, g):
        a, lo, hi = ctx.a, ctx.lo, ctx.hi
        inside = (a >= lo) & (a <= hi)
        return masked(g, inside), masked(g, (a < lo) & (lo < hi)), masked(g, (a > hi) | (hi < lo))


def _pick(g, a, b):
    """The gradient of max(a, b) for a, of min(a, b) for b (swap the arguments for the other): g where a > b, g/2 on
    ties, 0 where a < b; where a or b is NaN (no order) the NaN result depends on both, so g reaches both (torch)."""
    out = masked(g, ~(a < b))
    return xp_of(g).where(a == b, out * 0.5, out)


class Maximum(Op):
    """max(a, b) elementwise; on ties the gradient is split evenly, as torch."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.a, ctx.b
        return _pick(g, a, b), _pick(g, b, a)


class Minimum(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.a, ctx.b
        return _pick(g, b, a), _pick(g, a, b)


class Where(Op):
    @staticmethod
    def forward(ctx, a, b, *, cond):
        ctx.cond = cond
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        c, xp = ctx.cond, xp_of(g)
        return xp.where(c, g, 0), xp.where(c, 0, g)


def real_part_of_a_cast(a: np.ndarray) -> np.ndarray:
    """``a.real`` for a complex array cast to a real floating or integer dtype, with torch's warning (a cast to
    bool reads both parts: z != 0)."""
    import warnings

    warnings.warn("Casting complex values to real discards the imaginary part", UserWarning, stacklevel=3)
    return a.real


class Cast(Op):
    @staticmethod
    def forward(ctx, a, *, dtype):
        if a.dtype.kind == "c" and np.dtype(dtype).kind != "c":
            a = real_part_of_a_cast(a)
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g  # the engine casts back to the input's dtype


class Clone(Op):
    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, g):
        return g


# ---- the functions (torch names) ------------------------------------------------------
def add(x, y, *, alpha=1):
    if not isinstance(x, Tensor):
        x = as_tensor_arg(x, y if isinstance(y, Tensor) else None)
    if alpha != 1:
        y = y * alpha
    a, b = operands(x, y)
    try:
        return Add.apply(a, b)
    except ValueError:
        raise broadcast_error(a._data.shape, b._data.shape) from None


def sub(x, y, *, alpha=1):
    if not isinstance(x, Tensor):
        x = as_tensor_arg(x, y if isinstance(y, Tensor) else None)
    if alpha != 1:
        y = y * alpha
    if x._data.dtype.kind == "b" or _is_bool(y):
        _no_bool_sub(two=x._data.dtype.kind == "b" and _is_bool(y))
    a, b = operands(x, y)
    try:
        return Sub.apply(a, b)
    except ValueError:
        raise broadcast_error(a._data.shape, b._data.shape) from None


@broadcasting
def rsub(x, y):
    if x._data.dtype.kind == "b" or y.__class__ is bool:
        _no_bool_sub(two=x._data.dtype.kind == "b" and _is_bool(y))
    a, b = operands(x, y)
    return Sub.apply(b, a)


def _is_bool(y) -> bool:
    """A bool tensor or a Python bool (torch counts both as bool operands of a subtraction)."""
    return y.__class__ is bool or isinstance(y, Tensor) and y._data.dtype.kind == "b"


def _no_bool_sub(two=False):
    """torch's error for a subtraction with a bool tensor (``two``: both operands are bool tensors)."""
    if two:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    raise RuntimeError(
        "Subtraction, the `-` operator, with a bool tensor is not supported. "
        "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
    )


def mul(x, y):
    if not isinstance(x, Tensor):
        x, y = y, x
    a, b = operands(x, y)
    try:
        return Mul.apply(a, b)
    except ValueError:
        raise broadcast_error(a._data.shape, b._data.shape) from None


def div(x, y, *, rounding_mode=None):
    if not isinstance(x, Tensor):
        x = as_tensor_arg(x, y if isinstance(y, Tensor) else None)
    a, b = operands(x, y)
    if rounding_mode is None:
        if a._data.dtype.kind in "iub":  # each operand cast from its own values (uint8 / −1 is −1.0, as torch)
            a, b = _true_div_operands(x, _own(y))
        try:
            return Div.apply(a, b)
        except ValueError:
            raise broadcast_error(a._data.shape, b._data.shape) from None
    if rounding_mode == "trunc":
        return _wrap(np.trunc(a._data / b._data).astype(a._data.dtype))
    if rounding_mode == "floor":
        return _wrap(np.floor_divide(a._data, b._data))
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")


def _true_div_operands(a, b):
    """Integer / integer is true division in the default float dtype, as torch."""
    if a._data.dtype.kind in "iub" and b._data.dtype.kind in "iub":
        from ... import _dtype

        dt = _dtype.get_default_dtype().np
        return a._cast(dt), b._cast(dt)
    return a, b


def _own(y):
    """An operand as a tensor of its own dtype (a Python int: int64), before any promotion to the other's."""
    return y if isinstance(y, Tensor) else _wrap(np.asarray(y))


@broadcasting
def rdiv(x, y):
    a, b = operands(x, y)
    if a._data.dtype.kind in "iub":
        return Div.apply(*_true_div_operands(_own(y), x))
    return Div.apply(b, a)


def neg(x):
    if x._data.dtype.kind == "b":
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. "
            "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return Neg.apply(x)


@broadcasting
def pow(x, e):
    if not isinstance(x, Tensor):
        return rpow(e, x)
    if isinstance(e, Tensor):
        a, b = operands(x, e)
        if a._data.dtype.kind == "b":
            try:
                np.broadcast_shapes(a._data.shape, b._data.shape)  # (torch checks the shapes first)
            except ValueError:
                raise broadcast_error(a._data.shape, b._data.shape) from None
            raise bool_pow_error(a._data.dtype)
        return Pow.apply(a, b)
    if x._data.dtype.kind == "b" and isinstance(e, bool):  # bool ** bool stays bool, as torch
        return _wrap(x._data.copy() if e else np.ones_like(x._data))
    a, _ = operands(x, e)
    check_scalar_exponent(a._data.dtype, e)
    return PowScalar.apply(a, e=e)


def bool_pow_error(dtype):
    return not_implemented("pow", dtype)


def check_scalar_exponent(dtype, e):
    """torch's checks of a Python-int exponent ``e`` of a tensor of ``dtype`` (the promoted one for ``pow``, the
    tensor's own for ``pow_``): an integer tensor refuses a negative power (a tensor of negative exponents is
    allowed), and ``e`` must fit an integer dtype (c10's overflow check)."""
    if not isinstance(e, int) or isinstance(e, bool):
        return
    if dtype.kind in "iub" and e < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if dtype.kind in "iu":
        checked_scalar(e, dtype)


def power_into(a, b, out, casting):
    """``np.power(a, b, out=out)``, with torch's values for integers to negative integer powers (``_int_power``) and
    at complex zero bases (``complex_power``)."""
    if a.dtype.kind in "iu" and np.asarray(b).dtype.kind in "iu":
        return np.copyto(out, _int_power(a, b), casting=casting)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # inf and nan without a warning, as torch
        if out.dtype.kind == "c" and (isinstance(b, np.ndarray) or b != 0):  # (a number 0: 1 everywhere, as torch)
            return np.copyto(out, complex_power(a, np.asarray(b, dtype=out.dtype)), casting=casting)
        return np.power(a, b, out=out, casting=casting)


def rpow(x, s):
    """s ** x for a number s."""
    a, _ = operands(x, s)
    if a._data.dtype.kind == "b":
        raise bool_pow_error(a._data.dtype)
    if a._data.dtype.kind not in "fc" and isinstance(s, int):
        return _wrap(_int_power(np.asarray(s, a._data.dtype), a._data))
    return RPowScalar.apply(a, s=s)


def _float_unary(op, name=None, **options):
    def fn(x):
        if x._data.dtype.kind not in "fc":
            from ... import _dtype

            x = x._cast(_dtype.get_default_dtype().np)
        return op.apply(x, **options)

    fn.__name__ = name or op.__name__.lower()
    return fn


exp = _float_unary(Exp)
log = _float_unary(Log)
log1p = _float_unary(Log1p)
expm1 = _float_unary(Expm1)
sqrt = _float_unary(Sqrt)
rsqrt = _float_unary(Rsqrt)
reciprocal = _float_unary(Reciprocal)
sigmoid = _float_unary(Sigmoid)
tanh = _float_unary(Tanh)
sin = _float_unary(Sin)
cos = _float_unary(Cos)


class LogBase(Op):
    """y = log_b a for b = 2 or 10;  dy/da = 1/(a·ln b). NumPy's log2/log10 (torch's kernels): log(a)/ln b as a
    complex division would give a NaN imaginary part at a = 0."""

    @staticmethod
    def forward(ctx, a, *, base):
        ctx.a, ctx.base = a, base
        return np.log2(a) if base == 2 else np.log10(a)

    @staticmethod
    def backward(ctx, g):
        return g / cj(ctx.a * math.log(ctx.base))


log2 = _float_unary(LogBase, "log2", base=2)
log10 = _float_unary(LogBase, "log10", base=10)


def abs(x):
    if x._data.dtype.kind == "b":
        raise not_implemented("abs_cpu", x._data.dtype)
    return Abs.apply(x)


def relu(x):
    if x._data.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    if x._data.dtype.kind == "c":  # (torch's relu is a clamp)
        raise clamp_of_complex()
    return Relu.apply(x)


def square(x):
    return pow(x, 2)


class _ZeroGrad(Op):
    """A piecewise-constant function (sign, floor, ...): its gradient is zero almost everywhere, as torch."""

    @staticmethod
    def forward(ctx, a, *, fn):
        ctx.shape = a.shape
        return fn(a)

    @staticmethod
    def backward(ctx, g):
        return xp_of(g).zeros_like(g)


def sign(x):
    if x._data.dtype.kind == "c":
        raise NotImplementedError("Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
                                  "torch.sgn instead.")
    return _ZeroGrad.apply(x, fn=sign_array if x._data.dtype.kind != "b" else np.copy)


def _nograd(fn):
    def op(x):
        return _wrap(fn(x._data))

    op.__name__ = fn.__name__
    return op


def _piecewise_constant(fn):
    def op(x):
        if x._data.dtype.kind == "b":
            raise not_implemented(f"{fn.__name__}_vml_cpu", x._data.dtype)
        if x._data.dtype.kind == "c":
            raise NotImplementedError(f"{fn.__name__} is not supported for complex inputs")
        return _ZeroGrad.apply(x, fn=fn)

    op.__name__ = fn.__name__
    return op


floor = _piecewise_constant(np.floor)
ceil = _piecewise_constant(np.ceil)
trunc = _piecewise_constant(np.trunc)
isnan = _nograd(np.isnan)
isinf = _nograd(np.isinf)
isfinite = _nograd(np.isfinite)
logical_not = _nograd(np.logical_not)


def round(x, *, decimals=0):
    if x._data.dtype.kind in "bc":
        raise not_implemented("round_vml_cpu", x._data.dtype)
    return _ZeroGrad.apply(x, fn=lambda a: np.round(a, decimals))


def _no_complex_extremum(name, a):
    if a._data.dtype.kind == "c":
        raise RuntimeError(f"{name} not implemented for complex tensors.")


def clamp_of_complex():
    """clamp (and relu, torch's clamp) of a complex tensor."""
    return NotImplementedError("clamp is not supported for complex types")


def clamp_number_bound(v):
    """A number bound of a floating-point tensor, as torch's clamp reads it (a double, no promotion): a complex
    number with a zero imaginary part is its real part, another one cannot be converted (c10's overflow error)."""
    if isinstance(v, complex):
        if v.imag != 0:
            raise _errors.int_overflow("double")
        return v.real
    return v


@broadcasting
def clamp(x, min=None, max=None):
    if x._data.dtype.kind == "c":
        raise clamp_of_complex()
    if min is None and max is None:
        raise _errors.clamp_needs_a_bound()
    from ... import _dtype

    numbers = not isinstance(min, Tensor) and not isinstance(max, Tensor)
    if numbers and x._data.dtype.kind == "f":
        min, max = (None if v is None else clamp_number_bound(v) for v in (min, max))
    dt = x._data.dtype  # torch's result type of x, min and max
    for v in (min, max):
        if v is not None:
            proxy = x._data if x._data.ndim == 0 else np.empty((0,), dt)
            dt = _dtype.result_np_dtype(proxy.astype(dt, copy=False), v._data if isinstance(v, Tensor) else v)
    if dt.kind == "c" and numbers:  # an integer or bool tensor promoted by a complex number
        raise clamp_of_complex()
    if dt.kind == "c":  # a complex tensor bound of a real tensor: torch's kernel for the bounds given
        raise not_implemented("clamp_cpu" if min is not None and max is not None else
                              "maximum_cpu" if min is not None else "minimum_cpu", dt)
    if dt != x._data.dtype:
        x = x._cast(dt)
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        if dt.kind == "b":
            lo, hi = np.False_ if min is None else min, np.True_ if max is None else max
        else:
            big = np.finfo(dt).max if dt.kind == "f" else np.iinfo(dt).max
            lo, hi = -big if min is None else min, big if max is None else max
        lo, hi = as_tensor_arg(lo, x), as_tensor_arg(hi, x)
        return ClampTensor.apply(x, lo if lo._data.dtype == dt else lo._cast(dt), hi if hi._data.dtype == dt else hi._cast(dt))
    if dt.kind == "b":
        raise not_implemented("clamp_scalar_cpu" if min is not None and max is not None else
                              "clamp_min_scalar_cpu" if min is not None else "clamp_max_scalar_cpu", dt)
    if dt.kind in "iu":  # an int bound outside the dtype's range wraps, as torch casts it
        min, max = (None if v is None else checked_scalar(v, dt)[()] for v in (min, max))
    return Clamp.apply(x, lo=min, hi=max)


clip = clamp


@broadcasting
def maximum(x, y):
    a, b = operands(x, y)
    _no_complex_extremum("maximum", a)
    return Maximum.apply(a, b)


@broadcasting
def minimum(x, y):
    a, b = operands(x, y)
    _no_complex_extremum("minimum", a)
    return Minimum.apply(a, b)


@broadcasting
def where(condition, x=None, y=None):
    if x is None and y is None:
        return tuple(_wrap(i) for i in np.nonzero(np.asarray(condition)))
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {cond.dtype}")
    if not isinstance(x, Tensor):
        x = as_tensor_arg(x, y if isinstance(y, Tensor) else None)
    a, b = operands(x, y)
    return Where.apply(a, b, cond=cond)


def clone(x, *, memory_format=None):
    return Clone.apply(x)


def _compare(ufunc, name=None):
    """An elementwise comparison; an ordering one (``name`` given: lt, le ...) has no complex version (torch)."""
    ordered = name is not None

    @broadcasting
    def op(x, y):
        if not isinstance(x, Tensor):
            x = as_tensor_arg(x)
        a, b = operands(x, y)
        if ordered and a._data.dtype.kind == "c":
            try:
                np.broadcast_shapes(a._data.shape, b._data.shape)  # (torch checks the shapes first)
            except ValueError:
                raise broadcast_error(a._data.shape, b._data.shape) from None
            raise not_implemented(f"{name}_cpu", a._data.dtype)
        return _wrap(ufunc(a._data, b._data))

    op.__name__ = ufunc.__name__
    return op


eq = _compare(np.equal)
ne = _compare(np.not_equal)
lt = _compare(np.less, "lt")
le = _compare(np.less_equal, "le")
gt = _compare(np.greater, "gt")
ge = _compare(np.greater_equal, "ge")
logical_and = _compare(np.logical_and)
logical_or = _compare(np.logical_or)
logical_xor = _compare(np.logical_xor)


def _bitwise(ufunc, name):
    @broadcasting
    def op(x, y):
        a, b = operands(x, y)
        if a._data.dtype.kind not in "iub":
            raise not_implemented(f"{name}_cpu", a._data.dtype)
        return _wrap(ufunc(a._data, b._data))

    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(x):
    return _wrap(np.invert(x._data))


class Remainder(Op):
    """a mod b, with the sign of b (as Python and torch): d/da = 1, d/db = −floor(a/b)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return np.remainder(a, b)

    @staticmethod
    def backward(ctx, g):
        return g, -g * np.floor_divide(ctx.a, ctx.b)


class _NoDerivative(Op):
    """An op that torch records but cannot differentiate: its backward raises torch's error."""

    once_differentiable = True  # (not even once)

    @staticmethod
    def forward(ctx, a, b, *, fn, name):
        ctx.name = name
        return fn(a, b)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(f"derivative for aten::{ctx.name} is not implemented")


def _integer_division_operands(x, y, kernel):
    """The promoted operands of // or %: torch has no bool kernel and raises on an integer division by zero."""
    if not isinstance(x, Tensor):
        x = as_tensor_arg(x, y if isinstance(y, Tensor) else None)
    a, b = operands(x, y)
    kind = a._data.dtype.kind
    if kind == "b":
        raise not_implemented(kernel, a._data.dtype)
    if kind in "iu" and a._data.size and not b._data.all():
        raise _errors.integer_division_by_zero()
    return a, b


@broadcasting
def remainder(x, y):
    return Remainder.apply(*_integer_division_operands(x, y, "remainder_cpu"))


@broadcasting
def rremainder(x, y):
    """y % x for a number y: torch records it without a derivative."""
    b, a = _integer_division_operands(y, x, "remainder_cpu")
    return _NoDerivative.apply(b, a, fn=np.remainder, name="remainder")


@broadcasting
def floor_divide(x, y):
    a, b = _integer_division_operands(x, y, "div_floor_cpu")
    return _NoDerivative.apply(a, b, fn=np.floor_divide, name="floor_divide")


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return bool(np.allclose(a._data, as_tensor_arg(b)._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _wrap(np.isclose(a._data, as_tensor_arg(b)._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(a, b) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a._data, b._data))


# ---- more math (issue #18): trigonometric and hyperbolic functions, two-argument functions --------------
def _raw(a):
    """The array of a saved value (a Tensor under create_graph), for piecewise-constant factors."""
    return a._data if isinstance(a, Tensor) else a


class Tan(Op):
    """y = tan x;  dy/dx = 1 + y²."""

    @staticmethod
    def forward(ctx, a):
        ctx.out = np.tan(a)
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        return g * (1 + ctx.out * ctx.out)


class Sinh(Op):
    """y = sinh x;  dy/dx = cosh x = (eˣ + e⁻ˣ)/2."""

    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return np.sinh(a)

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        return g * ((xp.exp(ctx.a) + xp.exp(-ctx.a)) * 0.5)


class Cosh(Op):
    """y = cosh x;  dy/dx = sinh x = (eˣ − e⁻ˣ)/2."""

    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return np.cosh(a)

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        return g * ((xp.exp(ctx.a) - xp.exp(-ctx.a)) * 0.5)


class Asin(Op):
    """y = asin x;  dy/dx = (1 − x²)^(−1/2)."""

    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return np.arcsin(a)

    @staticmethod
    def backward(ctx, g):
        return g / xp_of(g).sqrt(1 - ctx.a * ctx.a)  # (NaN beyond ±1, infinite ones included, as torch)


class Acos(Op):
    """y = acos x;  dy/dx = −(1 − x²)^(−1/2)."""

    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return np.arccos(a)

    @staticmethod
    def backward(ctx, g):
        return -g / xp_of(g).sqrt(1 - ctx.a * ctx.a)


class Atan(Op):
    """y = atan x;  dy/dx = 1/(1 + x²)."""

    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return np.arctan(a)

    @staticmethod
    def backward(ctx, g):
        return g / (1 + ctx.a * ctx.a)


class Asinh(Op):
    """y = asinh x;  dy/dx = (x² + 1)^(−1/2)."""

    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return np.arcsinh(a)

    @staticmethod
    def backward(ctx, g):
        return g * (ctx.a * ctx.a + 1) ** -0.5


class Acosh(Op):
    """y = acosh x;  dy/dx = (x² − 1)^(−1/2)."""

    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return np.arccosh(a)

    @staticmethod
    def backward(ctx, g):
        return g * (ctx.a * ctx.a - 1) ** -0.5


class Atanh(Op):
    """y = atanh x;  dy/dx = 1/(1 − x²)."""

    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return np.arctanh(a)

    @staticmethod
    def backward(ctx, g):
        return g / (1 - ctx.a * ctx.a)


class Sinc(Op):
    """y = sin(πx)/(πx), 1 at x = 0;  dy/dx = (cos(πx) − y)/x, 0 at x = 0."""

    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        ctx.out = np.sinc(a)
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        a, xp = ctx.a, xp_of(g)
        zero = _raw(a) == 0
        safe = xp.where(zero, 1.0, a)  # (no 0/0 in the branch where() drops: its gradient would be nan)
        return xp.where(zero, 0.0, g * ((xp.cos(a * math.pi) - ctx.out) / safe))


class Atan2(Op):
    """y = atan2(a, b), the angle of the point (b, a);  ∂y/∂a = b/(a² + b²), ∂y/∂b = −a/(a² + b²)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b, xp = ctx.a, ctx.b, xp_of(g)
        d = a * a + b * b
        r = xp.where(d == 0, 0, g / d)  # (0 at the origin, where a² + b² is 0 or underflows, as torch)
        return r * b, -r * a


class Hypot(Op):
    """y = √(a² + b²) without overflow;  ∂y/∂a = a/y, ∂y/∂b = b/y."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        ctx.out = np.hypot(a, b)
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        r = g / ctx.out
        return r * ctx.a, r * ctx.b


class Fmod(Op):
    """a − trunc(a/b)·b, with the sign of a (C's fmod);  ∂/∂a = 1, ∂/∂b = −trunc(a/b)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return np.fmod(a, b)

    @staticmethod
    def backward(ctx, g):
        q = np.trunc(_raw(ctx.a) / _raw(ctx.b))
        return g, -g * q


class LogAddExp(Op):
    """y = log(eᵃ + eᵇ) without overflow;  ∂y/∂a = 1/(1 + e^(b−a)), ∂y/∂b = 1/(1 + e^(a−b)) (1 at a = ∞)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return np.logaddexp(a, b)

    @staticmethod
    def backward(ctx, g):
        xp, a, b = xp_of(g), ctx.a, ctx.b
        return g / (1 + xp.exp(b - a)), g / (1 + xp.exp(a - b))


class LogAddExp2(Op):
    """y = log₂(2ᵃ + 2ᵇ) without overflow;  ∂y/∂a = 1/(1 + 2^(b−a)), ∂y/∂b = 1/(1 + 2^(a−b))."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return np.logaddexp2(a, b)

    @staticmethod
    def backward(ctx, g):
        xp, a, b = xp_of(g), ctx.a, ctx.b
        return g / (1 + xp.power(2.0, b - a)), g / (1 + xp.power(2.0, a - b))


def _to_float(x):
    """``x``, cast to the default float dtype when it is an integer or bool tensor (torch's float functions)."""
    if x._data.dtype.kind != "f":
        from ... import _dtype

        return x._cast(_dtype.get_default_dtype().np)
    return x


tan = _float_unary(Tan)
sinh = _float_unary(Sinh)
cosh = _float_unary(Cosh)
asin = arcsin = _float_unary(Asin)
acos = arccos = _float_unary(Acos)
atan = arctan = _float_unary(Atan)
asinh = arcsinh = _float_unary(Asinh)
acosh = arccosh = _float_unary(Acosh)
atanh = arctanh = _float_unary(Atanh)
sinc = _float_unary(Sinc)


def _tensor_other(name, other, arg="other"):
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position 2) must be Tensor, not {type(other).__name__}")


def _float_binary(op, name, int_ok=True):
    """A two-tensor function computed in floating point (integer and bool operands become the default float)."""

    @broadcasting
    def fn(input, other):
        _tensor_other(name, other)
        a, b = operands(input, other)
        if not int_ok and a._data.dtype.kind != "f":
            raise not_implemented(f"{name}_cpu", a._data.dtype)
        return op.apply(_to_float(a), _to_float(b))

    fn.__name__ = name
    return fn


atan2 = arctan2 = _float_binary(Atan2, "atan2")
hypot = _float_binary(Hypot, "hypot", int_ok=False)
logaddexp = _float_binary(LogAddExp, "logaddexp", int_ok=False)
logaddexp2 = _float_binary(LogAddExp2, "logaddexp2", int_ok=False)


@broadcasting
def fmod(input, other):
    """The remainder of the truncating division input / other (the sign of input)."""
    a, b = _integer_division_operands(input, other, "fmod_cpu")
    return Fmod.apply(a, b)


def exp2(input):
    """2ˣ."""
    return rpow(_to_float(input), 2.0)


def deg2rad(input):
    """x·π/180."""
    return _to_float(input) * (math.pi / 180)


def rad2deg(input):
    """x·180/π."""
    return _to_float(input) * (180 / math.pi)


def frac(input):
    """x − trunc(x), with the sign of x."""
    if input._data.dtype.kind != "f":
        raise not_implemented("frac_cpu", input._data.dtype)
    return input - trunc(input)


def logit(input, eps=None):
    """log(z/(1 − z)) with z = clamp(x, eps, 1 − eps) when eps is given (the gradient is 0 where x was clamped)."""
    z = _to_float(input)
    if eps is not None:
        z = clamp(z, eps, 1 - eps)
    return Logit.apply(z)


class Logit(Op):
    """y = log(z/(1 − z));  dy/dz = 1/(z(1 − z)), NaN outside [0, 1] (as torch). Deliberate difference: at z = −0.0
    the gradient is −inf (IEEE, and torch's float64 kernel); torch's float32 kernel gives +inf."""

    @staticmethod
    def forward(ctx, z):
        ctx.z = z
        return np.log(z) - np.log1p(-z)

    @staticmethod
    def backward(ctx, g):
        z, xp = ctx.z, xp_of(g)
        return xp.where((z < 0) | (z > 1), np.nan, g / (z * (1 - z)))


def xlogy(input, other):
    """x·log(y), 0 where x = 0 (unless y is NaN)."""
    if not isinstance(input, Tensor):
        input = as_tensor_arg(input, other)
    a, b = operands(input, other)
    a, b = _to_float(a), _to_float(b)
    return Xlogy.apply(a, b)


class Xlogy(Op):
    """y = x·log(b), 0 where x = 0 (unless b is NaN);  ∂y/∂x = log b, but 0 where x = 0 and b ≤ 0 (as torch:
    ``xlogy(g, b)`` masked there), ∂y/∂b = x/b."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return np.where((a == 0) & ~np.isnan(b), np.zeros((), np.result_type(a, b)), a * np.log(b))

    @staticmethod
    def backward(ctx, g):
        a, b, xp = ctx.a, ctx.b, xp_of(g)
        ga = xp.where((g == 0) & ~(b != b), 0, g * xp.log(b))  # xlogy(g, b)
        return xp.where((a == 0) & (b <= 0), 0, ga), g * a / b


def copysign(input, other):
    """|input| with the sign of other (−0.0 counts as negative). The gradient reaches input only."""
    a, b = operands(input, other)
    return Copysign.apply(_to_float(a), b)


class Copysign(Op):
    """y = |a| with the sign of b (−0.0 counts as negative);  ∂y/∂a = y/a, 0 at a = 0 (torch's formula: NaN at
    infinite a), ∂y/∂b = 0 (a zero tensor, as torch's)."""

    @staticmethod
    def forward(ctx, a, b):
        out = np.copysign(a, b).astype(np.result_type(a, b) if b.dtype.kind == "f" else a.dtype, copy=False)
        ctx.a, ctx.out = a, out
        return out

    @staticmethod
    def backward(ctx, g):
        a, xp = ctx.a, xp_of(g)
        return xp.where(a == 0, 0, g * (ctx.out / a)), xp.zeros_like(g)


def float_power(input, exponent):
    """input ** exponent in float64."""
    if not isinstance(input, Tensor):
        return pow(float(input), as_tensor_arg(exponent).double())
    e = exponent.double() if isinstance(exponent, Tensor) else float(exponent)
    return pow(input.double(), e)


def ldexp(input, other):
    """input · 2^other.

    Torch parity: the gradient is 2^other everywhere; torch's is 0 where other < 0 (it takes 2^other in
    integers), a torch bug this does not copy."""
    _tensor_other("ldexp", other)
    return _to_float(input) * exp2(other)


def heaviside(input, values):
    """0 where x < 0, values where x = 0, 1 where x > 0 (not differentiable, as torch)."""
    _tensor_other("heaviside", values, "values")
    if input._data.dtype != values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    a, v = input._data, values._data
    return _wrap(np.where(a == 0, v, (a > 0).astype(a.dtype)).astype(a.dtype))


def _integer_only(ufunc, name):
    @broadcasting
    def fn(input, other):
        _tensor_other(name, other)
        a, b = operands(input, other)
        if a._data.dtype.kind not in "iu":
            raise not_implemented(f"{name}_cpu", a._data.dtype)
        return _wrap(ufunc(a._data, b._data))

    fn.__name__ = name
    return fn


gcd = _integer_only(np.gcd, "gcd")
lcm = _integer_only(np.lcm, "lcm")


@broadcasting
def fmax(input, other):
    """max(a, b) ignoring NaN (NaN only where both are); the gradient goes to a where a ≥ b or b is NaN."""
    _tensor_other("fmax", other)
    a, b = operands(input, other)
    return where(_wrap((a._data >= b._data) | _isnan(b._data)), a, b)


@broadcasting
def fmin(input, other):
    """min(a, b) ignoring NaN (NaN only where both are); the gradient goes to a where a ≤ b or b is NaN."""
    _tensor_other("fmin", other)
    a, b = operands(input, other)
    return where(_wrap((a._data <= b._data) | _isnan(b._data)), a, b)


def _isnan(a):
    return np.isnan(a) if a.dtype.kind == "f" else np.zeros(a.shape, bool)


@broadcasting
def nextafter(input, other):
    """The next float after input towards other."""
    _tensor_other("nextafter", other)
    a, b = operands(input, other)
    if a._data.dtype.kind != "f":
        raise not_implemented("nextafter_cpu", a._data.dtype)
    return _wrap(np.nextafter(a._data, b._data))


def isposinf(input):
    return _wrap(np.isposinf(input._data) if input._data.dtype.kind == "f" else np.zeros(input._data.shape, bool))


def isneginf(input):
    return _wrap(np.isneginf(input._data) if input._data.dtype.kind == "f" else np.zeros(input._data.shape, bool))


def signbit(input):
    return _wrap(np.signbit(input._data) if input._data.dtype.kind != "b" else np.zeros(input._data.shape, bool))


def isreal(input):
    return _wrap(np.ones(input._data.shape, bool))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of ``elements`` is in ``test_elements``."""
    e = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    t = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return _wrap(np.isin(e, t, assume_unique=assume_unique, invert=invert))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and −inf replaced by nan, posinf and neginf (default: the dtype's largest and lowest values);
    the gradient passes where x is finite."""
    a = input._data
    if a.dtype.kind != "f":
        return input.clone()
    info = np.finfo(a.dtype)
    fill = np.where(np.isnan(a), nan, np.where(a > 0, info.max if posinf is None else posinf,
                                                info.min if neginf is None else neginf)).astype(a.dtype)
    return where(_wrap(np.isfinite(a)), input, _wrap(fill))


def positive(input):
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def frexp(input):
    """(mantissa, exponent) with input = mantissa · 2^exponent, |mantissa| in [0.5, 1)."""
    if input._data.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    from collections import namedtuple

    m, e = np.frexp(input._data)
    return namedtuple("frexp", ["mantissa", "exponent"])(_wrap(m), _wrap(e.astype(np.int32)))


def rsub_function(input, other, *, alpha=1):
    """other − alpha·input (torch.rsub)."""
    return sub(as_tensor_arg(other, input), input, alpha=alpha)


def _shift(ufunc, kernel):
    @broadcasting
    def fn(input, other):
        if not isinstance(input, Tensor):
            input = as_tensor_arg(input, other)
        a, b = operands(input, other)
        if a._data.dtype.kind not in "iu":
            raise not_implemented(kernel, a._data.dtype)
        bits = a._data.dtype.itemsize * 8
        big = (b._data >= bits) | (b._data < 0)
        with np.errstate(over="ignore"):
            out = ufunc(a._data, np.where(big, 0, b._data).astype(a._data.dtype))
        fill = 0 if ufunc is np.left_shift else np.where(a._data < 0, -1, 0)
        return _wrap(np.where(big, fill, out).astype(a._data.dtype))

    return fn


bitwise_left_shift = _shift(np.left_shift, "lshift_cpu")
bitwise_right_shift = _shift(np.right_shift, "rshift_cpu")


def hardshrink(input, lambd=0.5):
    """x where |x| > λ, else 0."""
    from .indexing import masked_fill

    return masked_fill(input, _wrap(np.abs(input._data) <= lambd), 0)
