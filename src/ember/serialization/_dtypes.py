"""The one table of element types the checkpoint formats name, and how each is stored in NumPy.

Each row: ember's dtype name, torch's dtype name (``torch.float32`` pickles as the global
``torch float32``), torch's typed-storage class (``torch FloatStorage``), safetensors' code
(``F32``) and the NumPy dtype of the raw little-endian bytes.

bfloat16: ember has no bfloat16 arithmetic. Its bytes are read as ``uint16`` and widened
exactly into float32 (a bfloat16 value is the top half of a float32's bits), so a loaded
bfloat16 tensor is a float32 tensor with the same values; saving writes it as float32.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Kind(NamedTuple):
    ember: str            # ember dtype name the tensor loads as
    torch: str            # torch dtype name
    storage: str          # torch typed-storage class name
    safetensors: str      # safetensors dtype code
    raw: np.dtype         # NumPy dtype of the stored bytes


KINDS = tuple(Kind(e, t, s, st, np.dtype(raw).newbyteorder("<")) for e, t, s, st, raw in (
    ("float32", "float32", "FloatStorage", "F32", np.float32),
    ("float64", "float64", "DoubleStorage", "F64", np.float64),
    ("float16", "float16", "HalfStorage", "F16", np.float16),
    ("float32", "bfloat16", "BFloat16Storage", "BF16", np.uint16),
    ("int8", "int8", "CharStorage", "I8", np.int8),
    ("uint8", "uint8", "ByteStorage", "U8", np.uint8),
    ("int16", "int16", "ShortStorage", "I16", np.int16),
    ("int32", "int32", "IntStorage", "I32", np.int32),
    ("int64", "int64", "LongStorage", "I64", np.int64),
    ("bool", "bool", "BoolStorage", "BOOL", np.bool_),
    ("complex64", "complex64", "ComplexFloatStorage", "C64", np.complex64),
    ("complex128", "complex128", "ComplexDoubleStorage", "", np.complex128),  # (safetensors has no complex128)
))
BY_TORCH = {k.torch: k for k in KINDS}
BY_STORAGE = {k.storage: k for k in KINDS}
BY_SAFETENSORS = {k.safetensors: k for k in KINDS if k.safetensors}
BY_NUMPY = {k.raw: k for k in KINDS if k.torch == k.ember}   # what ember's arrays are saved as
BFLOAT16 = BY_TORCH["bfloat16"]


def to_ember_array(raw: np.ndarray, kind: Kind) -> np.ndarray:
    """The array ember computes with: the raw array itself, or bfloat16 bits widened to float32."""
    if kind is BFLOAT16:
        return (raw.astype(np.uint32) << 16).view(np.float32)
    if raw.dtype.byteorder == ">":           # never produced by ember's readers on x86/arm, kept for safety
        return raw.astype(raw.dtype.newbyteorder("="))
    return raw


def kind_of(array: np.ndarray, what: str) -> Kind:
    """The row for an array ember saves; TypeError for dtypes no format here can store."""
    try:
        return BY_NUMPY[array.dtype.newbyteorder("<") if array.dtype.byteorder != "|" else array.dtype]
    except KeyError:
        raise TypeError(f"{what}: cannot store arrays of dtype {array.dtype}") from None
