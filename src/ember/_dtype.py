"""ember's dtypes: torch's names over NumPy dtypes, and torch's type-promotion rules."""
from __future__ import annotations

import builtins

import numpy as np


class dtype:
    """A tensor element type (``ember.float32`` ...). ``.np`` is the NumPy dtype that stores it."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name: str, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))

    @property
    def is_complex(self) -> bool:
        return False


float16 = half = dtype("float16", np.float16)
float32 = float = dtype("float32", np.float32)
float64 = double = dtype("float64", np.float64)
int8 = dtype("int8", np.int8)
uint8 = dtype("uint8", np.uint8)
int16 = short = dtype("int16", np.int16)
int32 = int = dtype("int32", np.int32)
int64 = long = dtype("int64", np.int64)
bool = dtype("bool", np.bool_)

_ALL = (float16, float32, float64, int8, uint8, int16, int32, int64, bool)
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
    "int32": "Int", "int64": "Long", "bool": "Bool",
}


def scalar_name(d) -> str:
    """torch's C++ name of a dtype, as its error messages print it (float32 → 'Float', int64 → 'Long')."""
    return _SCALAR_NAMES[to_dtype(d).name]


def from_np(np_dtype) -> dtype:
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        raise TypeError(f"ember has no dtype for NumPy dtype {np_dtype}") from None


def np_dtype(d) -> np.dtype | None:
    return None if d is None else to_dtype(d).np


def _category(npd: np.dtype) -> builtins.int:
    k = npd.kind
    return 2 if k == "f" else (0 if k == "b" else 1)


def promote_types(a, b) -> dtype:
    """torch's promotion of two dtypes: the higher category (bool < integer < float) wins outright."""
    na, nb = to_dtype(a).np, to_dtype(b).np
    ca, cb = _category(na), _category(nb)
    if ca != cb:
        return _FROM_NP[na if ca > cb else nb]
    return _FROM_NP[np.promote_types(na, nb)]


def result_np_dtype(a: np.ndarray, b) -> np.dtype:
    """torch's result type of ``a op b`` for an array ``a`` and an array or Python scalar ``b``.

    Categories bool < integer < float. A higher category always wins. Within one category,
    dimensioned tensors outrank 0-dim tensors, which outrank Python scalars (a Python float
    does not upcast a float32 tensor; a float scalar with an integer tensor gives the default
    float dtype).
    """
    da = a.dtype
    if isinstance(b, np.ndarray):
        db = b.dtype
        if da == db:
            return da
        ca, cb = _category(da), _category(db)
        if ca != cb:
            return da if ca > cb else db
        a0, b0 = a.ndim == 0, b.ndim == 0
        if a0 == b0:
            return np.promote_types(da, db)
        return db if a0 else da
    cb = 0 if isinstance(b, (builtins.bool, np.bool_)) else (1 if isinstance(b, (builtins.int, np.integer)) else 2)
    ca = _category(da)
    if cb <= ca:
        return da
    return _default_float.np if cb == 2 else np.dtype(np.int64)
