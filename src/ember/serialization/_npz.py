"""ember's own ``.npz`` format (``ember.save(..., format="npz")``): arrays plus a JSON structure.

The file is a NumPy ``.npz`` archive written without pickle: every array (tensor data,
NumPy array or scalar) is stored as ``a0, a1, ...`` and the structure around them (dicts,
lists, tuples, numbers, strings, None, dtypes) as UTF-8 JSON in ``__structure__``. Loading
reads it with ``allow_pickle=False`` and never executes code.
"""
from __future__ import annotations

import json
import math
import struct
import zipfile
from collections import OrderedDict

import numpy as np

from .. import _dtype
from ..tensor import Tensor, _wrap
from ._source import Source

_FORMAT = "ember.save/1"


class _Encoder:
    """Turns an object tree into JSON-able structure plus a list of arrays.

    The same tensor or array object seen twice is stored once and loads as one object, as
    pickle's memo does for ``torch.save``.
    """

    def __init__(self):
        self.arrays: list[np.ndarray] = []
        self._memo: dict[int, int] = {}

    def _store(self, obj, array: np.ndarray) -> int:
        key = id(obj)
        if key not in self._memo:
            if array.dtype.hasobject:
                raise TypeError("ember.save cannot store a NumPy array of dtype object (it would need pickle)")
            self._memo[key] = len(self.arrays)
            self.arrays.append(array)
        return self._memo[key]

    def encode(self, obj):
        if isinstance(obj, Tensor):
            from ..nn.parameter import Parameter

            return {"__tensor__": self._store(obj, np.asarray(obj._data)), "requires_grad": obj.requires_grad,
                    "parameter": isinstance(obj, Parameter)}
        if isinstance(obj, np.ndarray):
            return {"__ndarray__": self._store(obj, obj)}
        if isinstance(obj, np.generic):
            return {"__npscalar__": self._store(obj, np.asarray(obj))}
        if obj is None or isinstance(obj, (bool, int, str)):
            return obj
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"__float__": repr(obj)}
        if isinstance(obj, dict):
            ordered = type(obj) is OrderedDict
            if all(isinstance(k, str) for k in obj):
                return {"__dict__": {k: self.encode(v) for k, v in obj.items()}, "ordered": ordered}
            return {"__items__": [[self.encode(k), self.encode(v)] for k, v in obj.items()], "ordered": ordered}
        if isinstance(obj, tuple):
            return {"__tuple__": [self.encode(v) for v in obj]}
        if isinstance(obj, list):
            return [self.encode(v) for v in obj]
        if isinstance(obj, _dtype.dtype):
            return {"__dtype__": obj.name}
        hint = " (save module.state_dict() instead of the module)" if hasattr(obj, "state_dict") else ""
        raise TypeError(
            f"ember.save cannot store an object of type {type(obj).__name__}{hint}: only tensors, NumPy arrays, "
            "numbers, strings, None, ember dtypes and dicts/lists/tuples of them (no pickled code)"
        )


class _Decoder:
    def __init__(self, arrays: dict[str, np.ndarray]):
        self.arrays = arrays
        self._memo: dict[int, Tensor] = {}

    def _array(self, index: int) -> np.ndarray:
        try:
            return self.arrays[f"a{index}"]
        except KeyError:
            raise ValueError(f"array a{index} is missing") from None

    def _tensor(self, obj) -> Tensor:
        index = obj["__tensor__"]
        if index not in self._memo:
            t: Tensor
            if obj.get("parameter"):
                from ..nn.parameter import Parameter

                t = Parameter(_wrap(self._array(index)), requires_grad=obj["requires_grad"])
            else:
                t = _wrap(self._array(index))
                t.requires_grad = obj["requires_grad"]
            self._memo[index] = t
        return self._memo[index]

    def decode(self, obj):
        if isinstance(obj, list):
            return [self.decode(v) for v in obj]
        if not isinstance(obj, dict):
            return obj
        if "__tensor__" in obj:
            return self._tensor(obj)
        if "__ndarray__" in obj:
            return self._array(obj["__ndarray__"])
        if "__npscalar__" in obj:
            return self._array(obj["__npscalar__"])[()]
        if "__dict__" in obj:
            items = ((k, self.decode(v)) for k, v in obj["__dict__"].items())
        elif "__items__" in obj:
            items = ((self.decode(k), self.decode(v)) for k, v in obj["__items__"])
        elif "__tuple__" in obj:
            return tuple(self.decode(v) for v in obj["__tuple__"])
        elif "__float__" in obj:
            return float(obj["__float__"])
        elif "__dtype__" in obj:
            return _dtype._by_name(obj["__dtype__"])
        else:
            raise ValueError(f"unrecognised entry {sorted(obj)}")
        return OrderedDict(items) if obj.get("ordered") else dict(items)


def write(fh, obj) -> None:
    """Write ``obj`` to the binary file ``fh`` as ember's ``.npz`` (arrays + a JSON structure)."""
    enc = _Encoder()
    try:
        structure = {"format": _FORMAT, "root": enc.encode(obj)}
    except RecursionError:
        raise ValueError("ember.save(format='npz'): the object is nested too deeply to save") from None
    payload = {f"a{i}": a for i, a in enumerate(enc.arrays)}
    payload["__structure__"] = np.frombuffer(json.dumps(structure, allow_nan=False).encode(), dtype=np.uint8)
    np.savez(fh, **payload)  # type: ignore[arg-type]  # (numpy's stub reads **payload as allow_pickle too)


def is_npz(names) -> bool:
    return "__structure__.npy" in names


def _checked_arrays(src: Source, zf: zipfile.ZipFile) -> dict[str, np.ndarray]:
    """Every member, after checking its .npy header against the bytes the archive holds for it."""
    arrays = {}
    for info in zf.infolist():
        if not info.filename.endswith(".npy"):
            raise src.error(f"not an ember checkpoint: unexpected member {info.filename!r}")
        with zf.open(info) as member:
            version = np.lib.format.read_magic(member)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read_header(member)
            if dtype.hasobject:
                raise src.error(f"not an ember checkpoint: {info.filename!r} holds Python objects (pickle)")
            nbytes = math.prod(shape) * dtype.itemsize
            if nbytes > info.file_size:
                raise src.error(f"not a valid checkpoint: {info.filename!r} claims shape {list(shape)} "
                                f"({nbytes} bytes) but the archive holds {info.file_size} bytes for it")
            member.seek(0)
            arrays[info.filename[:-4]] = np.lib.format.read_array(member, allow_pickle=False)
    return arrays


def read(src: Source, zf: zipfile.ZipFile):
    """Read what ``write`` wrote (``zf`` is the already opened archive of ``src``)."""
    try:
        arrays = _checked_arrays(src, zf)
        structure = json.loads(bytes(arrays.pop("__structure__")).decode())
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError, RecursionError, struct.error) as err:
        raise src.error(f"not a valid ember checkpoint: {type(err).__name__}: {err}") from None
    if isinstance(structure, dict) and structure.get("format") == _FORMAT:
        structure = structure["root"]
    try:
        return _Decoder(arrays).decode(structure)
    except RecursionError:
        raise src.error("not a valid ember checkpoint: nested too deeply") from None
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise src.error(f"not a valid ember checkpoint: {type(err).__name__}: {err}") from None
