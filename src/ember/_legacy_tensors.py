"""torch's legacy typed constructors: ``FloatTensor``, ``LongTensor``, … (one per dtype, ``TYPES`` below).

As torch's: ``FloatTensor(2, 3)`` (or a Size/tuple of ints as one argument) is an uninitialised tensor of that
shape, ``LongTensor([1, 2])`` (a sequence or a tensor) holds the data converted to the type, ``FloatTensor()`` is
empty; ``isinstance(x, ember.FloatTensor)`` is True for a float32 tensor; the result is a plain ``Tensor``.
A number or a string as the data raises torch's TypeError.
"""
from __future__ import annotations

import numpy as np

from . import _dtype, _errors
from .tensor import Size, Tensor, _to_array, _wrap

TYPES = {"FloatTensor": _dtype.float32, "DoubleTensor": _dtype.float64, "HalfTensor": _dtype.float16,
         "LongTensor": _dtype.int64, "IntTensor": _dtype.int32, "ShortTensor": _dtype.int16,
         "CharTensor": _dtype.int8, "ByteTensor": _dtype.uint8, "BoolTensor": _dtype.bool}


class _LegacyType(type):
    """The metaclass: calling the class builds a Tensor; isinstance checks the dtype."""

    dtype: _dtype.dtype  # each class's (set when it is made from TYPES)

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __call__(cls, *args, device=None):
        np_dt = cls.dtype.np
        if not args:
            return _wrap(np.empty((0,), np_dt))
        if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            return _wrap(np.empty(tuple(int(a) for a in args), np_dt))
        if len(args) > 1:
            raise _errors.new_invalid_dtype(type(args[1]).__name__)
        data = args[0]
        if isinstance(data, Size):
            return _wrap(np.empty(tuple(data), np_dt))
        if isinstance(data, str):
            raise TypeError("new(): invalid data type 'str'")
        if not isinstance(data, (Tensor, np.ndarray, list, tuple)):
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
        return _wrap(np.array(_to_array(data), copy=True).astype(np_dt, copy=False))


def _make(name: str, dt) -> type:
    return _LegacyType(name, (), {"dtype": dt, "__doc__": f"torch.{name}: constructs {dt} tensors (module docstring)."})


LEGACY = {name: _make(name, dt) for name, dt in TYPES.items()}


def from_type_name(name):
    """The dtype of a legacy type or its name (``"torch.LongTensor"``, ``"ember.LongTensor"``), else None."""
    if isinstance(name, _LegacyType):
        return name.dtype
    if isinstance(name, str):
        return TYPES.get(name.rpartition(".")[2])
    return None
