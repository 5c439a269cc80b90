"""The differential fuzzer: random calls of ember's public functions, compared with torch's on the same inputs.

    case(i)              -> Case: the i-th example, drawn from numpy.random.default_rng((SEED, i)) alone,
                            so that any example can be rerun by its number
    check(case)          -> None, or raises AssertionError naming what differs
    ALLOWED              the deliberate differences, each with its reason (the one place they are listed)

A case is an op name, a list of NumPy input arrays and a function ``fn(M, *tensors)`` written once against
torch's API; it runs with ``M = ember`` and with ``M = torch``. Inputs have 0-3 dims of sizes 0-4 (0-d, empty and
size-1 broadcast dims are frequent) and every real dtype (float16 to bool); the "cx.<op>" cases mix in complex64/complex128 inputs and complex Python
numbers for the ops torch defines on complex (or refuses: comparisons, clamp, floor, max); dims are sometimes out of
range and shapes sometimes do not broadcast, so that error paths are compared too. The table (OPS) covers
elementwise functions and operators (also with Python numbers on either side), reductions with dim/keepdim,
shape ops, indexing/gather/scatter/index_select/masked ops, the matmul family, softmax/log_softmax/logsumexp,
cumsum/prod, comparisons, casts, in-place methods and setitem, nn.functional activations, losses, linear,
normalize and one_hot, and two-op chains. Every floating input requires grad. The check
compares, for torch's result: the exception class (when torch raises, ember must raise the same class), and
otherwise each output's dtype, shape and values (float32 tolerance), no NumPy RuntimeWarning from ember, and the
inputs' gradients of ``Σ w·out`` for random weights ``w``.
"""
from __future__ import annotations

import dataclasses
import re
import warnings
from typing import Callable

import numpy as np
import torch

import ember

SEED = 20261203
DTYPES = ("float32", "float64", "int64", "int32", "bool", "float16", "int16", "int8", "uint8")
_FLOAT = ("float32", "float64")
COMPLEX = ("complex64", "complex128")
_REAL_P = [0.36, 0.13, 0.18, 0.08, 0.13, 0.03, 0.03, 0.03, 0.03]
# The dtype mix array() draws from: real dtypes only, except while a complex case ("cx.<op>") is generated.
_MIX = {"complex": False}



@dataclasses.dataclass(frozen=True)
class Allowed:
    """A deliberate difference: for op ``name``, where ``when(case, message)`` holds, a mismatch of ``kind`` passes.
    kind: 'raises' (torch raises, ember returns a value), 'refuses' (ember raises, torch returns a value),
    'value' (another output value), 'grad' (another gradient), 'backward' (torch's backward raises, ember's works),
    'shape' (another output shape), 'warns' (ember's backward warns), 'requires_grad' (only torch's output
    requires grad)."""

    name: str
    kind: str
    when: Callable
    reason: str


def _dtypes(case):
    return [str(a.dtype) for a in case.inputs]


# The deliberate differences, each with its reason: the one place they are listed.
ALLOWED = [
    Allowed("pow", "backward", lambda c, m: _dtypes(c)[1] == "bool",
            "torch's backward of x ** (bool tensor) raises its bool-subtraction error (it computes b - 1 on the "
            "bool exponent); ember gives the gradient, b·x^(b−1)"),
    Allowed("scalar**", "backward", lambda c, m: "INTERNAL ASSERT FAILED" in m,
            "torch's backward of (bool number) ** tensor fails an internal assert (a torch bug: 'unknown ivalue "
            "tag'); ember gives the gradient"),
    Allowed("gather", "shape", lambda c, m: c.inputs[1].size == 0,
            "with an empty index torch's gather broadcasts the index against the input (its legacy path) and may "
            "raise or return the input's shape; ember keeps the documented rule: the output has the index's shape"),
    Allowed("gather", "raises", lambda c, m: c.inputs[1].size == 0, "the same empty-index rule as above"),
    Allowed("permute", "raises", lambda c, m: c.inputs[0].ndim == 0,
            "t.permute() and t.expand() with no sizes are accepted on a 0-d tensor (torch: TypeError, a missing "
            "argument): ember's own code calls them as t.permute(*dims) and t.expand(*shape) for any shape"),
    Allowed("expand", "raises", lambda c, m: c.inputs[0].ndim == 0, "as for permute above"),
    Allowed("F.huber_loss", "backward", lambda c, m: "Found dtype" in m,
            "torch's huber_loss backward raises for a target of another dtype than the input ('Found dtype Double "
            "but expected Float', a torch bug: its forward accepts the pair); ember gives the gradient"),
    Allowed("F.soft_margin_loss", "backward", lambda c, m: "Negation" in m and _dtypes(c)[1] == "bool",
            "torch's soft_margin_loss backward negates a bool target and raises (its forward accepts it); ember "
            "gives the gradient"),
    Allowed("F.soft_margin_loss", "value", lambda c, m: "inf location mismatch" in m,
            "ember's softplus is stable: where torch's log(1 + exp(−y·x)) overflows to inf (|y·x| > 88 in float32, "
            "from integer targets such as 255) ember gives the finite value (its docstring says so)"),
    Allowed("F.soft_margin_loss", "grad", lambda c, m: _dtypes(c)[1] == "uint8",
            "torch's soft_margin_loss backward negates the target in its own dtype, so a uint8 target 1 becomes "
            "255 and its gradient overflows (nan or 0); ember's gradient is that of its (equal) forward value"),
    Allowed("inplace", "backward", lambda c, m: "Subtraction" in m and _dtypes(c)[1] == "bool",
            "x.pow_(bool tensor): torch's backward raises as for pow above; ember gives the gradient"),
    Allowed("setitem", "requires_grad", lambda c, m: c.inputs[0].dtype.kind in "iub",
            "torch marks an integer/bool tensor as requiring grad after a float value that requires grad is set "
            "into it (its CopySlices node); ember keeps integer and bool tensors out of the graph, as torch's own "
            "casts do"),
    Allowed("matmul", "refuses", lambda c, m: ("expected scalar type" in m or "to have the same dtype" in m)
            and c.inputs[0].dtype != c.inputs[1].dtype,
            "torch's bmm (and matmul of 3-d operands) checks the two dtypes only when the product has elements to "
            "compute: an empty product or one over a zero-size inner dim returns the second operand's dtype; ember "
            "refuses the mixed dtypes for every size, with torch's message"),
    Allowed("clamp", "backward", lambda c, m: "not implemented for 'Complex" in m,
            "torch's clamp backward compares x with a complex number bound (its ge on complex) and raises, though its "
            "forward accepted the bound (a zero imaginary part: the real number); ember gives the gradient"),
    Allowed("where", "backward", lambda c, m: "input_is_complex == grad_is_complex" in m,
            "torch's backward of where(cond, real, complex) fails its own internal check (a torch limitation: its "
            "message asks for a report); ember gives the real input the real part of the gradient, as torch does for "
            "every other op mixing real and complex inputs"),
]


def _has(case, test):
    """Whether some floating-point input has an element where ``test`` holds."""
    return any(a.dtype.kind in "fc" and test(a).any() for a in case.inputs)


def _number(case):
    """The Python number of a "scalar<op>" case (its generator's ``s``), or None."""
    cells = dict(zip(case.fn.__code__.co_freevars, case.fn.__closure__ or ()))
    return cells["s"].cell_contents if "s" in cells else None


_VECTORISED_AT_NAN = ("F.hardtanh", "F.relu6", "F.hardshrink", "F.softshrink", "F.elu", "F.selu", "F.celu",
                      "F.hardswish")
ALLOWED += [Allowed(n, "grad", lambda c, m: _has(c, np.isnan),
                    "at a NaN input torch's CPU kernels disagree with themselves: the vectorised loop gives 0 "
                    "(hardtanh, relu6, hardshrink, softshrink) or NaN (elu, selu, celu, hardswish), the scalar loop "
                    "that handles small tensors and the last elements of a large one passes the incoming gradient; "
                    "which one an element meets depends on its position, the length and the dtype. ember always "
                    "gives the vectorised loop's answer, the one nearly every element of a large tensor gets")
            for n in _VECTORISED_AT_NAN]
ALLOWED += [
    Allowed("F.gelu", "value", lambda c, m: _has(c, np.isposinf),
            "gelu(+inf) is +inf in ember, as in torch's scalar and float64 kernels; torch's float32 vectorised kernel "
            "gives NaN"),
    Allowed("digamma", "grad", lambda c, m: _has(c, lambda a: (a < 0) & (a == np.round(a))),
            "at a pole of the trigamma function (a negative integer) ember gives +inf; torch's reflection formula "
            "gives a large finite number there (its reflection term evaluated at the rounded πx)"),
    Allowed("lgamma", "grad", lambda c, m: _has(c, lambda a: (a < 0) & (a == np.round(a))),
            "lgamma's gradient is digamma: at its poles (the negative integers) as for digamma's gradient above"),
    Allowed("gather", "refuses", lambda c, m: "out of bounds" in m,
            "torch's take_along_dim does not check its indices and reads outside the tensor (undefined behaviour); "
            "ember raises gather's RuntimeError, 'index ... is out of bounds for dimension ...'"),
    Allowed("add", "value", lambda c, m: _has(c, np.isinf) and "complex" in str(_dtypes(c)),
            "a complex plus a real infinity: torch multiplies the real operand by alpha = 1 as a complex number, "
            "(1 + 0j)·(inf + 0j) = inf + nan·j, so the sum's imaginary part is NaN; ember adds the real number to the "
            "real part (C99 and NumPy), keeping the imaginary part"),
    Allowed("div", "value", lambda c, m: "complex" in str(_dtypes(c)) and _has(c, lambda a: a == 0),
            "a complex division by 0: NumPy's algorithm (ember) gives infinite parts where torch's gives NaN ones; "
            "both are IEEE-unspecified (C99 Annex G leaves it to the implementation)"),
    Allowed("div", "grad", lambda c, m: "complex" in str(_dtypes(c)) and _has(c, np.isinf),
            "the gradient of a complex division with an infinite operand: NumPy's complex multiply and divide (ember) "
            "and torch's give different inf/NaN parts (C99 Annex G leaves infinite complex arithmetic open)"),
    Allowed("scalar/", "value", lambda c, m: ("complex" in str(_dtypes(c)) or isinstance(_number(c), complex))
            and (_has(c, lambda a: a == 0) or _number(c) == 0), "as for div above, with a Python number"),
    Allowed("F.soft_margin_loss", "grad", lambda c, m: _has(c, np.isinf) or _has(c, lambda a: np.abs(a) > 80),
            "where e^(−y·x) overflows torch's gradient e^(−y·x)/(1 + e^(−y·x)) is inf/inf = NaN; ember computes the "
            "same σ(−y·x) without overflow (its limit, ±1/n)"),
    Allowed("var", "grad", lambda c, m: str(c.inputs[0].dtype).startswith("complex") and c.inputs[0].size <= 1,
            "the gradient of a complex var with no degree of freedom (one element): NaN in both parts in ember "
            "(its complex var is var(re) + var(im), each with torch's NaN there), NaN + 0j in torch"),
    Allowed("std", "grad", lambda c, m: str(c.inputs[0].dtype).startswith("complex") and c.inputs[0].size <= 1,
            "as for var above"),
    Allowed("logit", "grad", lambda c, m: _has(c, lambda a: (a == 0) & np.signbit(a)),
            "at z = −0.0 the gradient 1/(z(1 − z)) is −inf in ember (IEEE) and in torch's float64 kernel; torch's "
            "float32 kernel gives +inf"),
]


def _mismatch(case, kind, message):
    """Raise unless ALLOWED lists the difference (an entry for op X covers its complex form "cx.X" too)."""
    name = case.name.removeprefix("cx.")
    if not any(a.name == name and a.kind == kind and a.when(case, message) for a in ALLOWED):
        raise AssertionError(message)


@dataclasses.dataclass
class Case:
    index: int
    name: str
    inputs: list
    fn: Callable

    def __repr__(self):
        shapes = ", ".join(f"{a.dtype}{list(a.shape)}" for a in self.inputs)
        return f"example {self.index}: {self.name}({shapes})"


# ---- random inputs --------------------------------------------------------------------
def shape(rng, ndim=None, lo=0):
    """A shape with 0 to 3 dims of sizes 0-4 (0 and 1 often: empty and broadcast dims)."""
    n = int(rng.integers(lo, 4)) if ndim is None else ndim
    return tuple(int(rng.choice([0, 1, 2, 3, 4], p=[0.08, 0.22, 0.25, 0.25, 0.2])) for _ in range(n))


def array(rng, shp, dtype=None):
    if dtype is None and _MIX["complex"] and rng.random() < 0.6:
        dtype = str(rng.choice(COMPLEX))
    dtype = dtype or str(rng.choice(DTYPES, p=_REAL_P))
    if dtype == "float16" and _MIX["complex"]:  # (ember has no complex32, torch's float16 + complex result)
        dtype = "float32"
    if dtype in COMPLEX:
        return (rng.standard_normal(shp) * 2 + 2j * rng.standard_normal(shp)).astype(dtype)
    if dtype == "bool":
        return rng.random(shp) < 0.5
    if dtype in _FLOAT:
        return _with_specials(rng, (rng.standard_normal(shp) * 2).astype(dtype))
    return rng.integers(0 if dtype == "uint8" else -3, 4, shp).astype(dtype)


SPECIALS = (np.inf, -np.inf, np.nan, 0.0, -0.0)


def _with_specials(rng, a):
    """In one float array of ten, one or two elements become inf, -inf, nan or ±0 (test_special_values.py tries
    every op at all of them). Not covered: overflow of intermediate results near float32's limit (README, "IEEE
    special values": var, std, cumsum and cumprod match torch there, a few composed ops do not)."""
    if a.size and rng.random() < 0.1:
        flat = a.reshape(-1)
        at = rng.integers(0, a.size, int(rng.integers(1, 3)))
        flat[at] = rng.choice(SPECIALS, at.size)
    return a


def broadcastable(rng, shp):
    """A shape that broadcasts with ``shp`` (fewer leading dims, some 1s), or rarely one that does not."""
    out = list(shp[int(rng.integers(0, len(shp) + 1)):] if shp else ())
    for i in range(len(out)):
        if rng.random() < 0.3:
            out[i] = 1
    if out and rng.random() < 0.05:
        out[-1] += 2
    return tuple(out)


def dim_arg(rng, ndim, allow_none=True):
    """A dim: usually valid (negative too), rarely out of range."""
    n = max(ndim, 1)
    if allow_none and rng.random() < 0.2:
        return None
    if rng.random() < 0.04:
        return n + 1
    return int(rng.integers(-n, n))


def scalar(rng):
    if _MIX["complex"] and rng.random() < 0.3:
        return [1j, complex(round(float(rng.standard_normal()), 2), -1.5), 0j, -2 + 0j][int(rng.integers(0, 4))]
    return [int(rng.integers(-3, 4)), round(float(rng.standard_normal()), 2), bool(rng.random() < 0.5), 0, 1, 0.5][
        int(rng.integers(0, 6))
    ]


# ---- the op table: name -> generator(rng) returning (inputs, fn) -------------------------
OPS: dict[str, Callable] = {}


def _register(name, gen):
    OPS[name] = gen


_UNARY = ("abs neg exp log sqrt sigmoid tanh relu sin cos floor ceil round sign reciprocal square log1p expm1 "
          "rsqrt trunc isnan isinf isfinite logical_not log2").split()
for _n in _UNARY:
    _register(_n, lambda rng, n=_n: ([array(rng, shape(rng))], lambda M, x: getattr(M, n)(x)))

_BINARY = ("add sub mul div pow maximum minimum remainder floor_divide eq ne lt le gt ge logical_and "
           "logical_or").split()
for _n in _BINARY:
    def _gen(rng, n=_n):
        s = shape(rng)
        return [array(rng, s), array(rng, broadcastable(rng, s))], lambda M, x, y: getattr(M, n)(x, y)

    _register(_n, _gen)

_OPERATORS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
              "//": lambda a, b: a // b, "%": lambda a, b: a % b, "**": lambda a, b: a ** b,
              "<": lambda a, b: a < b, "==": lambda a, b: a == b, "&": lambda a, b: a & b,
              ">=": lambda a, b: a >= b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b, "@": lambda a, b: a @ b}
for _n, _f in _OPERATORS.items():
    def _gen(rng, f=_f):
        s, c = scalar(rng), rng.random() < 0.5
        return [array(rng, shape(rng))], (lambda M, x: f(s, x)) if c else (lambda M, x: f(x, s))

    _register(f"scalar{_n}", _gen)
_register("neg_op", lambda rng: ([array(rng, shape(rng))], lambda M, x: -x))
_register("inplace_add_scalar_sum", lambda rng: ([array(rng, shape(rng), "bool")],
                                                lambda M, x: _accumulate(x)))


def _accumulate(x):
    correct = 0
    correct += x.sum()
    correct += x.sum()
    return correct


def _reduction(name, has_keepdim=True, needs_dim=False, allow_tuple=True):
    def gen(rng):
        x = array(rng, shape(rng))
        d = dim_arg(rng, x.ndim, allow_none=not needs_dim)
        if allow_tuple and d is not None and x.ndim >= 2 and rng.random() < 0.2:
            d = (0, -1)
        k = bool(rng.random() < 0.5)
        if d is None:
            return [x], lambda M, t: getattr(t, name)()
        if name == "norm":  # (its first argument is p)
            return [x], lambda M, t: t.norm(dim=d, keepdim=k)
        if has_keepdim:
            return [x], lambda M, t: getattr(t, name)(d, keepdim=k)
        return [x], lambda M, t: getattr(t, name)(d)

    _register(name, gen)


for _n in ("sum", "mean", "amax", "amin", "var", "std", "norm", "all", "any"):
    _reduction(_n)
for _n in ("max", "min", "argmax", "argmin", "prod"):
    _reduction(_n, allow_tuple=False)
_reduction("logsumexp", needs_dim=True)
_reduction("cumsum", has_keepdim=False, needs_dim=True, allow_tuple=False)
_reduction("count_nonzero", has_keepdim=False)


def _nn_dim(name, functional=False):
    def gen(rng):
        x = array(rng, shape(rng))
        d = dim_arg(rng, x.ndim, allow_none=False)
        if functional:
            return [x], lambda M, t: getattr(M.nn.functional, name)(t, dim=d)
        return [x], lambda M, t: getattr(t, name)(d)

    _register(name + ("_F" if functional else ""), gen)


for _n in ("softmax", "log_softmax"):
    _nn_dim(_n)
    _nn_dim(_n, functional=True)

# ---- shape ops ------------------------------------------------------------------------
def _reshape_target(rng, shp):
    n = int(np.prod(shp))
    if n == 0:
        return (0, *shape(rng, int(rng.integers(0, 3)), ))
    divs = [d for d in range(1, n + 1) if n % d == 0]
    a = int(rng.choice(divs))
    return (a, -1) if rng.random() < 0.5 else (n // a, a)


def _gen_reshape(rng):
    x = array(rng, shape(rng))
    tgt = _reshape_target(rng, x.shape)
    return [x], lambda M, t: t.reshape(*tgt)


def _gen_flatten(rng):
    x = array(rng, shape(rng))
    n = max(x.ndim, 1)
    a, b = int(rng.integers(-n, n)), int(rng.integers(-n, n))
    return [x], lambda M, t: t.flatten(a, b)


def _gen_squeeze(rng):
    x = array(rng, shape(rng))
    d = dim_arg(rng, x.ndim)
    return [x], (lambda M, t: t.squeeze()) if d is None else (lambda M, t: t.squeeze(d))


def _gen_unsqueeze(rng):
    x = array(rng, shape(rng))
    d = int(rng.integers(-x.ndim - 1, x.ndim + 1))
    return [x], lambda M, t: t.unsqueeze(d)


def _gen_permute(rng):
    x = array(rng, shape(rng))
    p = [int(i) for i in rng.permutation(x.ndim)]
    return [x], lambda M, t: t.permute(*p)


def _gen_transpose(rng):
    x = array(rng, shape(rng))
    a, b = dim_arg(rng, x.ndim, False), dim_arg(rng, x.ndim, False)
    return [x], lambda M, t: t.transpose(a, b)


def _gen_flip(rng):
    x = array(rng, shape(rng))
    d = dim_arg(rng, x.ndim, False)
    return [x], lambda M, t: t.flip(d)


def _gen_expand(rng):
    x = array(rng, shape(rng))
    tgt = [int(rng.integers(1, 4)) if s == 1 else s for s in x.shape]
    if rng.random() < 0.3:
        tgt = [2] + tgt
    return [x], lambda M, t: t.expand(*tgt)


def _gen_repeat(rng):
    x = array(rng, shape(rng))
    reps = [int(rng.integers(0, 3)) for _ in range(x.ndim + int(rng.integers(0, 2)))]
    return [x], lambda M, t: t.repeat(*reps) if reps else t.repeat(())


def _gen_split(rng):
    x = array(rng, shape(rng, lo=1))
    d = dim_arg(rng, x.ndim, False)
    k = int(rng.integers(1, 4))
    how = str(rng.choice(["split", "chunk", "unbind"]))
    if how == "unbind":
        return [x], lambda M, t: t.unbind(d)
    return [x], lambda M, t: getattr(t, how)(k, d)


def _gen_cat(rng):
    s = shape(rng, lo=1)
    d = dim_arg(rng, len(s), False)
    s2 = list(s)
    s2[d % len(s) if -len(s) <= d < len(s) else 0] = int(rng.integers(0, 3))
    stack = rng.random() < 0.3
    xs = [array(rng, s), array(rng, s if stack else tuple(s2))]
    if stack:
        return xs, lambda M, a, b: M.stack([a, b], d)
    return xs, lambda M, a, b: M.cat([a, b], d)


for _n, _g in {"reshape": _gen_reshape, "flatten": _gen_flatten, "squeeze": _gen_squeeze,
               "unsqueeze": _gen_unsqueeze, "permute": _gen_permute, "transpose": _gen_transpose,
               "flip": _gen_flip, "expand": _gen_expand, "repeat": _gen_repeat, "split": _gen_split,
               "cat": _gen_cat}.items():
    _register(_n, _g)


# ---- indexing -------------------------------------------------------------------------
def _gen_getitem(rng):
    x = array(rng, shape(rng, lo=1))
    key = []
    for s in x.shape[: int(rng.integers(1, x.ndim + 1))]:
        r = rng.random()
        if r < 0.3 and s:
            key.append(int(rng.integers(-s, s)))
        elif r < 0.6:
            key.append(slice(int(rng.integers(0, s + 1)), None, int(rng.integers(1, 3))))
        elif r < 0.7:
            key.append(None)
        else:
            key.append(slice(None))
    if rng.random() < 0.25:
        return [x, rng.random(x.shape) < 0.5], lambda M, t, m: t[m]
    if rng.random() < 0.25 and x.shape[0]:
        idx = rng.integers(-x.shape[0], x.shape[0], int(rng.integers(0, 4)))
        return [x, idx], lambda M, t, i: t[i]
    key = tuple(key)
    return [x], lambda M, t: t[key]


def _gen_gather(rng):
    x = array(rng, shape(rng, lo=1))
    d = dim_arg(rng, x.ndim, False)
    dd = d % x.ndim if -x.ndim <= d < x.ndim else 0
    ishape = [int(rng.integers(0, s + 1)) for s in x.shape]
    ishape[dd] = int(rng.integers(0, 4))
    hi = x.shape[dd] + (1 if rng.random() < 0.05 else 0)
    idx = rng.integers(0, max(hi, 1), ishape).astype(np.int64)
    how = str(rng.choice(["gather", "take_along_dim", "scatter", "scatter_add"]))
    if how == "gather":
        return [x, idx], lambda M, t, i: t.gather(d, i)
    if how == "take_along_dim":
        return [x, idx], lambda M, t, i: M.take_along_dim(t, i, dim=d)
    src = array(rng, tuple(ishape), str(x.dtype))
    if how == "scatter" and rng.random() < 0.5:
        return [x, idx], lambda M, t, i: t.scatter(d, i, 1.5)
    return [x, idx, src], lambda M, t, i, s: getattr(t, how)(d, i, s)


def _gen_index_select(rng):
    x = array(rng, shape(rng, lo=1))
    d = dim_arg(rng, x.ndim, False)
    n = x.shape[d % x.ndim] if -x.ndim <= d < x.ndim else 1
    idx = rng.integers(0, n + (1 if rng.random() < 0.1 else 0) or 1, int(rng.integers(0, 4))).astype(np.int64)
    return [x, idx], lambda M, t, i: t.index_select(d, i)


def _gen_masked_fill(rng):
    x = array(rng, shape(rng))
    m = rng.random(broadcastable(rng, x.shape)) < 0.5
    v = scalar(rng)
    return [x, m], lambda M, t, mm: t.masked_fill(mm, v)


def _gen_where(rng):
    s = shape(rng)
    return [rng.random(broadcastable(rng, s)) < 0.5, array(rng, s), array(rng, broadcastable(rng, s))], \
        lambda M, c, a, b: M.where(c, a, b)


for _n, _g in {"getitem": _gen_getitem, "gather": _gen_gather, "index_select": _gen_index_select,
               "masked_fill": _gen_masked_fill, "where": _gen_where}.items():
    _register(_n, _g)


# ---- matmul family --------------------------------------------------------------------
def _gen_matmul(rng):
    n, k, m = (int(rng.choice([0, 1, 2, 3])) for _ in range(3))
    batch = shape(rng, int(rng.integers(0, 2)))
    a_shape = rng.choice(4)
    sa = [(k,), (n, k), (*batch, n, k), (2, n, k)][a_shape]
    sb = [(k,), (k, m), (*batch, k, m), (1, k, m)][int(rng.choice(4))]
    if rng.random() < 0.05:
        sb = (k + 1, m)
    dt = str(rng.choice(["float32", "float64", "int64"], p=[0.7, 0.15, 0.15]))
    dt2 = dt if rng.random() < 0.85 else str(rng.choice(DTYPES))
    xs = [array(rng, sa, dt), array(rng, sb, dt2)]
    how = str(rng.choice(["matmul", "mm", "bmm", "dot", "outer", "@"]))
    if how == "@":
        return xs, lambda M, a, b: a @ b
    return xs, lambda M, a, b: getattr(M, how)(a, b)


_register("matmul", _gen_matmul)


# ---- casts ----------------------------------------------------------------------------
def _gen_cast(rng):
    x = array(rng, shape(rng))
    to = str(rng.choice(DTYPES + COMPLEX if _MIX["complex"] else DTYPES))
    meth = str(rng.choice(["to", "float", "double", "long", "int", "bool"]))
    if meth == "to":
        return [x], lambda M, t: t.to(getattr(M, to))
    return [x], lambda M, t: getattr(t, meth)()


_register("cast", _gen_cast)


# ---- nn.functional --------------------------------------------------------------------
_ACTIVATIONS = {"relu": {}, "leaky_relu": {"negative_slope": 0.1}, "elu": {}, "gelu": {},
                "gelu_tanh": {"approximate": "tanh"}, "silu": {}, "softplus": {}, "hardtanh": {},
                "sigmoid": {}, "tanh": {}, "relu6": {}, "mish": {}, "logsigmoid": {}}
for _n, _kw in _ACTIVATIONS.items():
    _register(f"F.{_n}", lambda rng, n=_n.replace("_tanh", ""), kw=_kw: (
        [array(rng, shape(rng))], lambda M, x: getattr(M.nn.functional, n)(x, **kw)))


_POINTWISE_LOSSES = ("mse_loss l1_loss smooth_l1_loss huber_loss binary_cross_entropy_with_logits "
                     "binary_cross_entropy kl_div poisson_nll_loss soft_margin_loss multilabel_soft_margin_loss "
                     "hinge_embedding_loss").split()


def _gen_pointwise_loss(name, rng):
    """A loss of an input and a target of one shape (rarely another, or other dtypes)."""
    red = str(rng.choice(["mean", "sum", "none"]))
    s = shape(rng, lo=1 if name == "multilabel_soft_margin_loss" else 0)
    dt = "float32" if rng.random() < 0.85 else str(rng.choice(DTYPES))
    dt_y = "float32" if rng.random() < 0.85 else str(rng.choice(DTYPES))
    x, y = array(rng, s, dt), array(rng, s if rng.random() < 0.9 else broadcastable(rng, s), dt_y)
    if name == "binary_cross_entropy":
        with np.errstate(all="ignore"):  # (at a special value: its sigmoid, and nan % 1 is nan)
            x, y = (1 / (1 + np.exp(-x.astype("float64")))).astype(x.dtype) if dt in _FLOAT else x, np.abs(y) % 1
    if name in ("kl_div", "poisson_nll_loss"):
        y = np.abs(y)
    if name in ("soft_margin_loss", "hinge_embedding_loss"):
        y = np.where(y > 0, 1, -1).astype(y.dtype) if y.dtype != np.bool_ else y
    kw = {"reduction": red}
    if name in ("smooth_l1_loss", "huber_loss") and rng.random() < 0.3:
        kw["beta" if name == "smooth_l1_loss" else "delta"] = float(rng.choice([0.0, 0.5, 2.0]))
    if name == "poisson_nll_loss":
        kw.update(log_input=bool(rng.random() < 0.5), full=bool(rng.random() < 0.5))
    if name == "kl_div" and rng.random() < 0.3:
        kw.update(log_target=True)
    if name == "hinge_embedding_loss" and rng.random() < 0.5:
        kw.update(margin=float(rng.choice([0.5, 2.0])))
    return [x, y], lambda M, a, b: getattr(M.nn.functional, name)(a, b, **kw)


def _gen_class_loss(rng):
    name = str(rng.choice(["cross_entropy", "nll_loss"]))
    red = str(rng.choice(["mean", "sum", "none"]))
    n, c = int(rng.choice([0, 1, 3])), int(rng.choice([1, 2, 4]))
    extra = shape(rng, int(rng.integers(0, 2)))
    x = array(rng, (n, c, *extra), "float32" if rng.random() < 0.9 else "float64")
    y = rng.integers(0, c + (1 if rng.random() < 0.05 else 0), (n, *extra)).astype(np.int64)
    ii = int(rng.choice([-100, 0]))
    return [x, y], lambda M, a, b: getattr(M.nn.functional, name)(a, b, reduction=red, ignore_index=ii)


for _n in _POINTWISE_LOSSES:
    _register(f"F.{_n}", lambda rng, n=_n: _gen_pointwise_loss(n, rng))
_register("F.class_loss", _gen_class_loss)

# ---- clamp, in-place methods, setitem, dtype arguments, a few more functionals ------------------
def _gen_clamp(rng):
    x = array(rng, shape(rng))
    how = int(rng.integers(0, 3))
    if how == 0:
        lo, hi = scalar(rng), scalar(rng)
        return [x], lambda M, t: t.clamp(lo, hi)
    if how == 1:
        lo = scalar(rng)
        return [x], lambda M, t: t.clamp(min=lo)
    return [x, array(rng, broadcastable(rng, x.shape))], lambda M, t, lo: t.clamp(min=lo)


_INPLACE = ("add_ sub_ mul_ div_ pow_ clamp_min_ masked_fill_ fill_ zero_ copy_ neg_ abs_ exp_ sqrt_ relu_ sigmoid_ "
            "tanh_ __iadd__ __imul__").split()


def _gen_inplace(rng):
    """An in-place method on a clone (a non-leaf, so that recording works) or on the leaf itself (torch raises)."""
    name = str(rng.choice(_INPLACE))
    x = array(rng, shape(rng))
    on_leaf = rng.random() < 0.1
    other = array(rng, broadcastable(rng, x.shape)) if rng.random() < 0.6 else None
    s = scalar(rng)

    def fn(M, t, *o):
        base = t if on_leaf else t.clone()
        arg = o[0] if o else s
        if name in ("zero_", "neg_", "abs_", "exp_", "sqrt_", "relu_", "sigmoid_", "tanh_"):
            out = getattr(base, name)()
        elif name == "masked_fill_":
            out = base.masked_fill_(base > 0, s)
        elif name == "fill_":
            out = base.fill_(s)
        elif name == "copy_":
            out = base.copy_(arg if o else M.tensor(s))
        elif name.startswith("__"):
            out = getattr(base, name)(arg)
        else:
            out = getattr(base, name)(arg)
        assert out is base
        return base

    return ([x, other] if other is not None else [x]), fn


def _gen_setitem(rng):
    x = array(rng, shape(rng, lo=1))
    v = array(rng, x.shape[1:] if rng.random() < 0.5 else (), str(rng.choice(DTYPES)))
    i = int(rng.integers(-x.shape[0], x.shape[0])) if x.shape[0] else 0

    def fn(M, t, val):
        base = t.clone()
        base[i] = val
        return base

    return [x, v], fn


def _gen_dtype_arg(rng):
    x = array(rng, shape(rng))
    dt = str(rng.choice(["float32", "float64", "int64"]))
    how = str(rng.choice(["sum", "mean", "cumsum", "prod", "softmax"]))
    d = dim_arg(rng, x.ndim, allow_none=False)
    if how in ("cumsum", "softmax"):
        return [x], lambda M, t: getattr(t, how)(d, dtype=getattr(M, dt))
    return [x], lambda M, t: getattr(t, how)(dtype=getattr(M, dt))


def _gen_var_correction(rng):
    x = array(rng, shape(rng), "float32")
    c, d = int(rng.integers(0, 3)), dim_arg(rng, x.ndim)
    how = str(rng.choice(["var", "std"]))
    return [x], lambda M, t: getattr(t, how)(d, correction=c, keepdim=True)


def _gen_masked_select(rng):
    x = array(rng, shape(rng))
    m = rng.random(broadcastable(rng, x.shape)) < 0.5
    how = int(rng.integers(0, 3))
    if how == 0:
        return [x, m], lambda M, t, mm: t.masked_select(mm)
    if how == 1:
        return [x], lambda M, t: t.nonzero()
    return [x], lambda M, t: M.where(t > 0, t, 0.5)


def _gen_linear(rng):
    n, i, o = int(rng.choice([0, 1, 3])), int(rng.choice([1, 3])), int(rng.choice([1, 2]))
    dt = "float32" if rng.random() < 0.9 else "float64"
    xs = [array(rng, (n, i), dt), array(rng, (o, i), "float32"), array(rng, (o,), "float32")]
    if rng.random() < 0.5:
        return xs, lambda M, x, w, b: M.nn.functional.linear(x, w, b)
    return xs[:2], lambda M, x, w: M.nn.functional.linear(x, w)


def _gen_normalize(rng):
    x = array(rng, shape(rng, lo=1), "float32")
    d = dim_arg(rng, x.ndim, allow_none=False)
    return [x], lambda M, t: M.nn.functional.normalize(t, dim=d)


def _gen_one_hot(rng):
    x = rng.integers(0, 4, shape(rng)).astype(np.int64)
    c = int(rng.choice([-1, 4, 5]))
    return [x], lambda M, t: M.nn.functional.one_hot(t, c)


def _gen_chain(rng):
    """Two ops in a row, so that gradients flow through a recorded intermediate."""
    x = array(rng, shape(rng), "float32")
    first = str(rng.choice(["exp", "sigmoid", "tanh", "abs", "square", "relu"]))
    then = str(rng.choice(["sum", "mean", "cumsum", "softmax", "logsumexp", "prod", "amax"]))
    d = dim_arg(rng, x.ndim, allow_none=False)
    if then in ("sum", "mean", "amax"):
        return [x], lambda M, t: getattr(getattr(t, first)() * t, then)()
    return [x], lambda M, t: getattr(getattr(t, first)() * t, then)(d)


for _n, _g in {"clamp": _gen_clamp, "inplace": _gen_inplace, "setitem": _gen_setitem, "dtype_arg": _gen_dtype_arg,
               "var_correction": _gen_var_correction, "masked_select": _gen_masked_select,
               "F.linear": _gen_linear, "F.normalize": _gen_normalize, "F.one_hot": _gen_one_hot,
               "chain": _gen_chain}.items():
    _register(_n, _g)



def _complex(gen):
    """The same generator with complex64/complex128 inputs (60%) and complex Python numbers (30%) mixed in."""
    def gen_cx(rng):
        _MIX["complex"] = True
        try:
            return gen(rng)
        finally:
            _MIX["complex"] = False

    return gen_cx


# The ops torch defines for complex input, plus some it refuses (comparisons, clamp, floor, relu, amax, max).
_COMPLEX_OPS = ("abs neg exp log sqrt sigmoid tanh sin cos reciprocal square sign rsqrt isnan isinf isfinite floor "
                "relu log2 add sub mul div pow maximum eq ne lt scalar+ scalar- scalar* scalar/ scalar** scalar== "
                "scalar< sum mean prod amax max argmax var std norm cumsum clamp inplace cast where").split()
for _n in _COMPLEX_OPS:
    _register(f"cx.{_n}", _complex(OPS[_n]))

NAMES = sorted(OPS)


def case(i: int, rng=None) -> Case:
    """The i-th example, or (``rng`` given: a ``DrawnRng``) the example hypothesis draws."""
    rng = np.random.default_rng((SEED, i)) if rng is None else rng
    name = NAMES[int(rng.integers(0, len(NAMES)))]
    inputs, fn = OPS[name](rng)
    return Case(i, name, [np.asarray(a) for a in inputs], fn)


class DrawnRng:
    """The part of NumPy's ``Generator`` the op table calls, drawn from hypothesis (``st.data()``), so that a failing
    example shrinks: integers and choices towards their first value, floats towards 0, shapes towards fewer and
    smaller dims, and the op towards the first name."""

    def __init__(self, data):
        from hypothesis import strategies as st

        self._data, self._st = data, st

    def _many(self, size, draw_one):
        if size is None:
            return draw_one()
        shp = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
        return np.array([draw_one() for _ in range(int(np.prod(shp, dtype=np.int64)))]).reshape(shp)

    def integers(self, low, high=None, size=None):
        low, high = (0, low) if high is None else (low, high)
        return self._many(size, lambda: self._data.draw(self._st.integers(int(low), int(high) - 1)))

    def choice(self, a, size=None, p=None):  # (p is ignored: the first entries are the usual ones)
        values = np.arange(a) if isinstance(a, (int, np.integer)) else np.asarray(a)
        return self._many(size, lambda: values[self._data.draw(self._st.integers(0, len(values) - 1))])

    def random(self, size=None):
        return self._many(size, lambda: self._data.draw(self._st.floats(0, 1, exclude_max=True)))

    def standard_normal(self, size=None):
        return self._many(size, lambda: self._data.draw(self._st.floats(-4, 4, width=32)))

    def permutation(self, n):
        return np.array(self._data.draw(self._st.permutations(range(int(n)))), dtype=np.int64)


def reproducer(case: Case) -> str:
    """A failing example as code: the op's name, the values its generator chose (the call's closure) and the
    inputs as NumPy literals, to paste into a test."""
    fn = case.fn
    chosen = {name: cell.cell_contents for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ())}
    lines = [f"# {case.name}: {chosen}"]
    for k, a in enumerate(case.inputs):
        values = re.sub(r"\b(nan|inf)\b", r"np.\1", repr(a.tolist()))
        lines.append(f"x{k} = np.array({values}, dtype=np.{a.dtype})" + (f".reshape({a.shape})" if 0 in a.shape else ""))
    return "\n".join(lines)


# ---- the comparison -------------------------------------------------------------------
def _run(module, case, make):
    tensors = [make(a) for a in case.inputs]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = case.fn(module, *tensors)
        except Exception as e:  # noqa: BLE001 - the exception is the result being compared
            return tensors, e, caught
    return tensors, out, caught


def _ember_tensor(a):
    return ember.tensor(a.copy(), requires_grad=a.dtype.kind in "fc")


def _torch_tensor(a):
    return torch.tensor(a.copy(), requires_grad=a.dtype.kind in "fc")


def _leaves(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _tol(dtype):
    """float32: its precision; float16: 4 units in the last place (torch computes half ops in float32 and rounds
    once, NumPy rounds each step in float16); float64 and integers: tight."""
    return {np.float32: (1e-4, 1e-5), np.float16: (4e-3, 1e-3)}.get(np.dtype(dtype).type, (1e-6, 1e-9))


def _narrowest(case):
    """The narrowest floating-point dtype among the inputs (complex: its parts'), or None: torch computes some steps
    of mixed-precision ops in the narrower dtype (float16 with float32, float32 with float64: exp(x) - y·x rounds
    exp(x) to float32 before the float64 subtraction), so their wider results carry that dtype's precision."""
    kinds = [np.dtype(a.dtype.char.lower()) if a.dtype.kind == "c" else a.dtype for a in case.inputs
             if a.dtype.kind in "fc"]
    return min(kinds, key=lambda d: d.itemsize).type if kinds else None


def _close(e, t, what, narrow=None):
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{what}: ember returned {type(e).__name__}, torch a Tensor"
        tv, ev = t.detach().numpy(), np.asarray(e.detach().numpy())
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], f"{what}: dtype {e.dtype} != {t.dtype}"
    else:
        tv, ev = np.asarray(t), np.asarray(e.item() if isinstance(e, ember.Tensor) else e)
    assert ev.shape == tv.shape, f"{what}: shape {ev.shape} != {tv.shape}"
    if tv.dtype.kind in "fc":  # (complex: the tolerance of its parts' dtype, relative to |z|)
        rtol, atol = _tol(tv.real.dtype)
        if narrow is not None and np.dtype(narrow).itemsize < tv.real.dtype.itemsize:
            rtol, atol = _tol(narrow)
        if tv.dtype.kind == "c" and not np.isfinite(tv).all():  # (numpy's testing misreads infinite complex values:
            ev, tv = np.stack([ev.real, ev.imag]), np.stack([tv.real, tv.imag])  # compare the parts)
        np.testing.assert_allclose(ev, tv, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(ev, tv, err_msg=what)


def check(case: Case) -> None:
    t_in, t_out, _ = _run(torch, case, _torch_tensor)
    e_in, e_out, e_warn = _run(ember, case, _ember_tensor)
    if isinstance(t_out, Exception):
        if not isinstance(e_out, Exception):
            _mismatch(case, "raises", f"torch raises {type(t_out).__name__}({t_out}), ember returns {e_out!r}")
            return
        assert type(e_out) is type(t_out), (
            f"exception class: ember {type(e_out).__name__}({e_out}), torch {type(t_out).__name__}({t_out})")
        return
    if isinstance(e_out, Exception):
        try:
            _mismatch(case, "refuses", f"ember raises {type(e_out).__name__}: {e_out}; torch returns {t_out!r}")
        except AssertionError as err:
            raise err from e_out
        return
    numpy_warnings = [str(w.message) for w in e_warn if issubclass(w.category, RuntimeWarning)]
    if numpy_warnings:
        _mismatch(case, "warns", f"ember warns: {numpy_warnings}")
    t_outs, e_outs = _leaves(t_out), _leaves(e_out)
    assert len(e_outs) == len(t_outs), f"{len(e_outs)} outputs, torch {len(t_outs)}"
    for k, (e, t) in enumerate(zip(e_outs, t_outs)):
        if isinstance(t, torch.Tensor) and isinstance(e, ember.Tensor) and tuple(e.shape) != tuple(t.shape):
            _mismatch(case, "shape", f"output {k}: shape {tuple(e.shape)} != {tuple(t.shape)}")
            return
        try:
            _close(e, t, f"output {k}", _narrowest(case))
        except AssertionError as err:
            _mismatch(case, "value", str(err))
            return
    _check_grad(case, t_in, e_in, t_outs, e_outs)


def _check_grad(case, t_in, e_in, t_outs, e_outs):
    rng = np.random.default_rng((SEED, case.index % 2**32, 1))  # (a drawn example: index −1)
    t_loss, e_loss = 0, 0
    for e, t in zip(e_outs, t_outs):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            if not (isinstance(e, ember.Tensor) and e.requires_grad):
                _mismatch(case, "requires_grad", "torch's output requires grad, ember's does not")
                return
            if t.is_complex():  # a real loss: Σ w·view_as_real(out)
                t, e = torch.view_as_real(t.resolve_conj()), ember.view_as_real(e)
            w = rng.standard_normal(t.shape)
            t_loss = t_loss + (t * torch.tensor(w, dtype=t.dtype)).sum()
            e_loss = e_loss + (e * ember.tensor(w, dtype=e.dtype)).sum()
    if isinstance(t_loss, int):
        return
    try:
        t_loss.backward()
    except RuntimeError as t_err:  # torch records some ops it cannot differentiate (floor_divide)
        try:
            e_loss.backward()
        except RuntimeError as e_err:
            assert str(e_err) == str(t_err), f"backward: ember raises {e_err}, torch {t_err}"
            return
        _mismatch(case, "backward", f"torch's backward raises {t_err}, ember's does not")
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        e_loss.backward()
    numpy_warnings = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    if numpy_warnings:
        _mismatch(case, "warns", f"ember's backward warns: {numpy_warnings}")
    for k, (e, t) in enumerate(zip(e_in, t_in)):
        if t.grad is None:
            assert e.grad is None, f"grad of input {k}: ember has one, torch None"
            continue
        assert e.grad is not None, f"grad of input {k}: ember None, torch has one"
        try:
            _close(e.grad, t.grad, f"grad of input {k}", _narrowest(case))
        except AssertionError as err:
            _mismatch(case, "grad", str(err))
