"""ember's dtypes: torch's names over NumPy dtypes, and torch's type-promotion rules."""
from __future__ import annotations

import builtins

import numpy as np
from . import _errors


class dtype:
    """A tensor element type (``ember.float32`` ...). ``.np`` is the NumPy dtype that stores it."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name: str, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fic"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))

    @property
    def is_complex(self) -> builtins.bool:
        return self.np.kind == "c"

    def to_real(self) -> "dtype":
        """The real dtype of a complex one's parts (complex64 → float32); a real dtype itself."""
        return _FROM_NP[np.finfo(self.np).dtype] if self.np.kind == "c" else self

    def to_complex(self) -> "dtype":
        """The complex dtype whose parts are this float dtype (float32 → complex64); a complex dtype itself."""
        return self if self.np.kind == "c" else _FROM_NP[np.result_type(self.np, np.complex64)]


float16 = half = dtype("float16", np.float16)
float32 = float = dtype("float32", np.float32)
float64 = double = dtype("float64", np.float64)
int8 = dtype("int8", np.int8)
uint8 = dtype("uint8", np.uint8)
int16 = short = dtype("int16", np.int16)
int32 = int = dtype("int32", np.int32)
int64 = long = dtype("int64", np.int64)
bool = dtype("bool", np.bool_)
complex64 = cfloat = dtype("complex64", np.complex64)
complex128 = cdouble = dtype("complex128", np.complex128)

_ALL = (float16, float32, float64, int8, uint8, int16, int32, int64, bool, complex64, complex128)
_FROM_NP = {d.np: d for d in _ALL}
_NAMES = {d.name: d for d in _ALL}


def _by_name(name: str) -> dtype:
    return _NAMES[name]


_default_float = float32


def get_default_dtype() -> dtype:
    return _default_float


def set_default_dtype(d) -> None:
    global _default_float
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def to_dtype(d) -> dtype:
    """Accept an ember dtype, a NumPy dtype or scalar type, or Python's float/int/bool."""
    if isinstance(d, dtype):
        return d
    if d is builtins.float:
        return float64
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool
    try:
        return _FROM_NP[np.dtype(d)]
    except (TypeError, KeyError):
        raise TypeError(f"dtype must be an ember dtype (e.g. ember.float32), got {d!r}") from None


_SCALAR_NAMES = {
    "float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char", "uint8": "Byte", "int16": "Short",
    "int32": "Int", "int64": "Long", "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
}


def scalar_name(d) -> str:
    """torch's C++ name of a dtype, as its error messages print it (float32 → 'Float', int64 → 'Long')."""
    return _SCALAR_NAMES[to_dtype(d).name]


_SUPPORTED = ", ".join(d.name for d in (float64, float32, float16, complex64, complex128, int64, int32, int16, int8,
                                         uint8)) + ", and bool"


def from_np(np_dtype, what="np.ndarray") -> dtype:
    """The ember dtype that stores ``np_dtype``; torch's TypeError, listing ember's dtypes, for one it lacks.

    Deliberate difference: torch also takes uint16/uint32/uint64 (with few ops) and complex32; ember has
    no such dtypes and refuses them here, at the boundary, rather than failing later inside an op.
    """
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        name = np.dtype(np_dtype).type.__name__
        raise TypeError(f"can't convert {what} of type numpy.{name}. The only supported types are: {_SUPPORTED}.") from None


# ---- torch's dtype of Python data (torch.tensor's inference) ------------------------------------------------
_OVERFLOW_LONG = "Overflow when unpacking long long"


def _scalar_dtype(x, found_np_bool: list) -> dtype:
    """The dtype torch infers for one element: float → the default dtype, int → int64, bool → bool, complex → the
    default dtype's complex type, a NumPy scalar or array or a Tensor → its own dtype."""
    t = type(x)
    if t is builtins.float:
        return _default_float
    if t is builtins.int:
        return int64
    if t is builtins.bool:
        return bool
    if isinstance(x, (np.generic, np.ndarray)):
        if isinstance(x, np.bool_):
            found_np_bool.append(True)
        return from_np(x.dtype, "np.ndarray" if isinstance(x, np.ndarray) else "a NumPy scalar")
    d = getattr(x, "dtype", None)
    if isinstance(d, dtype):  # a Tensor
        return d
    if isinstance(x, builtins.complex):
        return _default_float.to_complex()
    if isinstance(x, builtins.bool):
        return bool
    if isinstance(x, builtins.int):
        return int64
    if isinstance(x, builtins.float):
        return _default_float
    if isinstance(x, (str, bytes)):
        raise _errors.new_invalid_dtype(t.__name__)
    raise RuntimeError(f"Could not infer dtype of {t.__name__}")


_PY_NUMBERS = {builtins.float, builtins.int, builtins.bool}


def _infer(data, found_np_bool: list):
    if type(data) in (list, tuple):
        types = set(map(type, data))
        if types and types <= _PY_NUMBERS:  # the common case, without a Python loop over the elements
            return _default_float if builtins.float in types else int64 if builtins.int in types else bool
        out = None
        for x in data:
            d = _infer(x, found_np_bool)
            out = d if out is None else promote_types(out, d)
        return out
    return _scalar_dtype(data, found_np_bool)


def infer(data) -> dtype:
    """torch.tensor's dtype for nested lists/tuples of numbers: the promotion (``promote_types``) of every
    element's dtype (``_scalar_dtype``); an empty list gives the default float dtype."""
    return _infer(data, []) or _default_float


def _int_range_ok(values: np.ndarray, np_dt: np.dtype) -> builtins.bool:
    """torch's overflow rule for storing numbers into an integer dtype: signed types take [min, max], unsigned
    types take [−max, max] (negative values wrap, so that −1 stored as uint8 is 255)."""
    info = np.iinfo(np_dt)
    lo = info.min if info.min < 0 else -info.max
    return not values.size or (lo <= values.min() and values.max() <= info.max)


def array_of(data, np_dt=None) -> np.ndarray:
    """An array of Python data (nested lists/tuples of numbers, NumPy scalars, Tensors), with torch's dtype
    inference when ``np_dt`` is None and torch's errors: a Python int beyond int64 in integer data is
    ValueError('Overflow when unpacking long long'), a number that does not fit an explicit integer dtype is
    RuntimeError, a NumPy bool stored into an integer dtype is TypeError."""
    found_np_bool: list = []
    inferred = _infer(data, found_np_bool) or _default_float
    target = np.dtype(np_dt) if np_dt is not None else inferred.np
    if found_np_bool and target.kind in "iu":
        raise TypeError("'numpy.bool' object cannot be interpreted as an integer")
    if target.kind not in "iu":
        try:
            return np.asarray(data, dtype=target)
        except OverflowError:
            raise ValueError(_OVERFLOW_LONG) from None
    try:
        wide = np.asarray(data, dtype=np.int64 if inferred.np.kind in "iub" else np.float64)
    except OverflowError:
        raise ValueError(_OVERFLOW_LONG) from None
    if target != wide.dtype and not _int_range_ok(wide, target):
        raise _errors.int_overflow(target.name)
    return wide.astype(target)


def np_dtype(d) -> np.dtype | None:
    return None if d is None else to_dtype(d).np


def _category(npd: np.dtype) -> builtins.int:
    k = npd.kind
    return 2 if k == "f" else (0 if k == "b" else 3 if k == "c" else 1)


def _combine(high: np.dtype, low: np.dtype) -> np.dtype:
    """torch's ``combine_categories``: ``high`` (the operand of higher priority) keeps its dtype unless ``low``
    is of a higher category; a complex ``low`` takes a float ``high``'s precision (float32 → complex64)."""
    ch, cl = _category(high), _category(low)
    if ch >= cl:
        return high
    if cl == 3 and ch == 2:
        return np.result_type(high, np.complex64)
    return low


def promote_types(a, b) -> dtype:
    """torch's promotion of two dtypes: the higher category (bool < integer < float < complex) wins outright,
    except that float with complex keeps the wider precision (float64, complex64 → complex128)."""
    na, nb = to_dtype(a).np, to_dtype(b).np
    ca, cb = _category(na), _category(nb)
    if ca != cb and {ca, cb} != {2, 3}:
        return _FROM_NP[na if ca > cb else nb]
    return _FROM_NP[np.promote_types(na, nb)]


def result_np_dtype(a: np.ndarray, b) -> np.dtype:
    """torch's result type of ``a op b`` for an array ``a`` and an array or Python scalar ``b``.

    Categories bool < integer < float < complex. A higher category wins (torch's ``combine_categories``: a
    complex operand of lower priority takes a float one's precision, ``_combine``). Within one category,
    dimensioned tensors outrank 0-dim tensors, which outrank Python scalars (a Python float
    does not upcast a float32 tensor; a float scalar with an integer tensor gives the default
    float dtype).
    """
    da = a.dtype
    if isinstance(b, np.ndarray):
        db = b.dtype
        if da == db:
            return da
        a0, b0 = a.ndim == 0, b.ndim == 0
        if a0 == b0:
            return promote_types(da, db).np
        return _combine(db, da) if a0 else _combine(da, db)
    cb = 0 if isinstance(b, (builtins.bool, np.bool_)) else (1 if isinstance(b, (builtins.int, np.integer)) else
                                                            3 if isinstance(b, (builtins.complex, np.complexfloating)) else 2)
    ca = _category(da)
    if cb <= ca:
        return da
    if cb == 3:
        return _combine(da, _default_float.to_complex().np)
    return _default_float.np if cb == 2 else np.dtype(np.int64)
