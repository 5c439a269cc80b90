"""What torch's pickles name, as ember objects: the allow-list both the reader and the writer use.

``torch.load(weights_only=True)`` accepts only a fixed set of globals: the ``torch._utils``
rebuild functions for tensors and parameters, ``collections.OrderedDict``, typed-storage
classes, dtypes, ``torch.Size``, ``torch.device`` and a few builtins. ``ALLOWED`` maps each
of those that ember can represent to an ember stand-in; the unpickler returns nothing else,
so a file can never name (let alone call) any other function.
"""
from __future__ import annotations

import codecs
import math
from collections import Counter, OrderedDict
from typing import NamedTuple

import numpy as np

from .. import _dtype
from .._backend import device as _device
from ..tensor import Size, Tensor, _wrap
from . import _dtypes


class StorageType(NamedTuple):
    """Stand-in for ``torch.FloatStorage`` and friends: only says which element type."""
    kind: _dtypes.Kind


class Storage:
    """One storage of a checkpoint: its raw 1-D array (once read) and the tensors waiting for it."""

    def __init__(self, kind: _dtypes.Kind, key: str, numel: int, location: str):
        self.kind, self.key, self.numel, self.location = kind, key, numel, location
        self.array: np.ndarray | None = None
        self._waiting: list[tuple[list[Tensor], int, tuple, tuple]] = []

    def fill(self, array: np.ndarray) -> None:
        """Set the raw data (``numel`` elements) and give every waiting tensor its view."""
        self.array = _dtypes.to_ember_array(array, self.kind)
        for tensors, offset, size, stride in self._waiting:
            data = self._view(offset, size, stride)
            for t in tensors:
                t._relocate(data)
        self._waiting.clear()

    def _view(self, offset: int, size: tuple, stride: tuple) -> np.ndarray:
        arr = self.array
        assert arr is not None  # (fill() came first)
        if 0 in size:
            return np.empty(size, dtype=arr.dtype)
        numel = math.prod(size)
        if stride == contiguous_strides(size):                      # a plain view (the usual case)
            return arr[offset:offset + numel].reshape(size)
        return np.lib.stride_tricks.as_strided(arr[offset:], size, tuple(s * arr.itemsize for s in stride))

    def tensor(self, offset, size, stride, waiting: dict) -> Tensor:
        """``as_strided(storage, size, stride, offset)``, bounds checked; filled later if not read yet."""
        if not (_int(offset) and _ints(size) and _ints(stride) and len(size) == len(stride)):
            raise ValueError(f"invalid tensor geometry offset={offset!r} size={size!r} stride={stride!r}")
        if offset < 0 or min(size, default=0) < 0 or min(stride, default=0) < 0:
            raise ValueError(f"negative tensor geometry offset={offset} size={list(size)} stride={list(stride)}")
        if 0 not in size:
            last = offset + sum((n - 1) * s for n, s in zip(size, stride))
            if last >= self.numel:
                raise ValueError(f"a tensor of size {list(size)}, stride {list(stride)} and offset {offset} reaches "
                                 f"element {last} of storage {self.key!r}, which has {self.numel} elements")
        if self.array is not None:
            return _wrap(self._view(offset, size, stride))
        t = _wrap(np.empty((0,), dtype=_dtype._by_name(self.kind.ember).np))
        tensors = [t]
        self._waiting.append((tensors, offset, size, stride))
        waiting[id(t)] = tensors
        return t


def contiguous_strides(size: tuple) -> tuple:
    """torch's strides of a contiguous tensor of ``size``, in elements (a 0 dim counts as 1)."""
    strides, acc = [], 1
    for n in reversed(size):
        strides.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(strides))


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _ints(values) -> bool:
    return isinstance(values, tuple) and all(_int(v) for v in values)


def _parameter_class():
    from ..nn.parameter import Parameter

    return Parameter


class Rebuilder:
    """The stand-ins for torch's rebuild functions, for one load.

    A tensor whose storage is not read yet (torch's legacy format stores the data after the
    pickle) gets its data when the storage is filled; ``_waiting`` lets a Parameter made
    from such a tensor get it too.
    """

    def __init__(self):
        self._waiting: dict[int, list[Tensor]] = {}

    def tensor_v2(self, storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                  metadata=None):
        if not isinstance(storage, Storage):
            raise TypeError(f"expected a storage, got {type(storage).__name__}")
        t = storage.tensor(storage_offset, size, stride, self._waiting)
        t.requires_grad = bool(requires_grad) and t._data.dtype.kind == "f"
        return t

    def tensor_v1(self, storage, storage_offset, size, stride):
        return self.tensor_v2(storage, storage_offset, size, stride)

    def tensor_v3(self, storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
        return self.tensor_v2(storage, storage_offset, size, stride, requires_grad)

    def parameter(self, data, requires_grad, backward_hooks=None, state=None):
        if not isinstance(data, Tensor):
            raise TypeError(f"a parameter's data must be a tensor, got {type(data).__name__}")
        p = _PARAMETER(data, requires_grad=bool(requires_grad) and data._data.dtype.kind == "f")
        self._waiting.get(id(data), []).append(p)
        return p

    def from_type_v2(self, func, new_type, args, state):
        if getattr(func, "__self__", None) is not self or func.__name__ == "from_type_v2" or type(args) is not tuple:
            raise TypeError(f"_rebuild_from_type_v2 may only call a tensor rebuild function, got {func!r}")
        t = func(*args)
        if new_type is _PARAMETER and not isinstance(t, _PARAMETER):
            t = self.parameter(t, t.requires_grad)
        return t

    def globals(self) -> dict:
        """The allow-list: torch's global name -> ember stand-in."""
        return {
            TENSOR_V2: self.tensor_v2, ("torch._utils", "_rebuild_tensor"): self.tensor_v1,
            ("torch._utils", "_rebuild_tensor_v3"): self.tensor_v3, PARAMETER: self.parameter,
            ("torch._utils", "_rebuild_parameter_with_state"): self.parameter,
            ("torch._tensor", "_rebuild_from_type_v2"): self.from_type_v2, **ALLOWED,
        }


def encode(obj, encoding="utf-8", errors="strict"):
    """``_codecs.encode``, which protocol-2 pickles use for ``bytes``: only str -> bytes."""
    if not isinstance(obj, str) or not isinstance(encoding, str):
        raise TypeError("_codecs.encode may only encode a str")
    return codecs.encode(obj, encoding, errors)


def device(type="cpu", index=None):
    return _device(type, index)


def size(dims=()):
    return Size(dims)


_PARAMETER = _parameter_class()

TENSOR_V2 = ("torch._utils", "_rebuild_tensor_v2")
PARAMETER = ("torch._utils", "_rebuild_parameter")
ORDERED_DICT = ("collections", "OrderedDict")
SIZE = ("torch", "Size")
DEVICE = ("torch", "device")
BYTES = ("_codecs", "encode")

ALLOWED: dict[tuple[str, str], object] = {
    ("torch", "Tensor"): Tensor,
    ("torch.nn.parameter", "Parameter"): _PARAMETER,
    ORDERED_DICT: OrderedDict,
    ("collections", "Counter"): Counter,
    SIZE: size,
    DEVICE: device,
    BYTES: encode,
    ("builtins", "set"): set,
    ("builtins", "complex"): complex,
    ("builtins", "bytearray"): bytearray,
    **{("torch", k.storage): StorageType(k) for k in _dtypes.KINDS},
    **{("torch", k.torch): _dtype._by_name(k.ember) for k in _dtypes.KINDS},
}
# Classes the unpickler may instantiate with NEWOBJ or update with BUILD.
CLASSES = (OrderedDict, Counter, set, _PARAMETER)
# protocol-2 pickles written by Python 2 name builtins ``__builtin__``
MODULE_ALIASES = {"__builtin__": "builtins", "copy_reg": "copyreg"}


def global_name(obj) -> tuple[str, str] | None:
    """torch's global for an ember dtype (``ember.float32`` -> ``torch float32``), else None."""
    if isinstance(obj, _dtype.dtype):
        return ("torch", obj.name)
    return None
