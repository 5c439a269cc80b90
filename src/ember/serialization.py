"""``save`` / ``load``: tensors and nested state dicts in a safe file format.

The file is a NumPy ``.npz`` archive written without pickle: every array (tensor data,
NumPy array or scalar) is stored as ``a0, a1, ...`` and the structure around them (dicts,
lists, tuples, numbers, strings, None, dtypes) as UTF-8 JSON in ``__structure__``. Loading
reads it with ``allow_pickle=False`` and never executes code.
"""
from __future__ import annotations

import io
import json
import math
import os
from collections import OrderedDict

import numpy as np

from . import _dtype
from .tensor import Tensor, _wrap

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
            from .nn.parameter import Parameter

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
        self._memo: dict[int, object] = {}

    def _array(self, index: int) -> np.ndarray:
        try:
            return self.arrays[f"a{index}"]
        except KeyError:
            raise RuntimeError(f"corrupt ember checkpoint: array a{index} is missing") from None

    def _tensor(self, obj) -> Tensor:
        index = obj["__tensor__"]
        if index not in self._memo:
            if obj.get("parameter"):
                from .nn.parameter import Parameter

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
            raise RuntimeError(f"corrupt ember checkpoint: unrecognised entry {sorted(obj)}")
        return OrderedDict(items) if obj.get("ordered") else dict(items)


def save(obj, f) -> None:
    """Write ``obj`` (a tensor, or nested dicts/lists/tuples of tensors, arrays and plain values) to ``f``.

    Args:
        obj: what to save: tensors (``Parameter`` s stay parameters), NumPy arrays and scalars,
            ints, floats (inf/nan too), bools, strings, None, ember dtypes, and dicts (any
            such keys; ``OrderedDict`` is kept), lists and tuples of them.
        f: a path (str or ``os.PathLike``, written as given, no suffix added) or a binary
            file object.

    Torch parity:
        Call form of ``torch.save(obj, f)``. The file is an ``.npz`` archive (arrays) plus a
        JSON structure, never a pickle, so only the types above can be saved (``TypeError``
        otherwise: save ``model.state_dict()``, not the model). Shared storage is kept only
        for the same tensor object saved twice; views of one buffer are saved as copies.

    Example:  >>> ember.save({"model": model.state_dict(), "optim": opt.state_dict()}, "ckpt.pt")
    """
    enc = _Encoder()
    structure = {"format": _FORMAT, "root": enc.encode(obj)}
    payload = {f"a{i}": a for i, a in enumerate(enc.arrays)}
    payload["__structure__"] = np.frombuffer(json.dumps(structure, allow_nan=False).encode(), dtype=np.uint8)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            np.savez(fh, **payload)
    else:
        np.savez(f, **payload)


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **kwargs):
    """Read what ``save`` wrote, from a path or a binary file object.

    Args:
        f: a path or a binary file object.
        map_location, pickle_module, weights_only, mmap: accepted for torch compatibility;
            everything loads onto the CPU and no pickle is ever read.

    Torch parity:
        Call form of ``torch.load``; behaves as ``weights_only=True`` always. Files written by
        ``torch.save`` cannot be read (convert them with torch first).

    Example:  >>> state = ember.load("ckpt.pt");  model.load_state_dict(state["model"])
    """
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            f = io.BytesIO(fh.read())
    try:
        z = np.load(f, allow_pickle=False)
    except ValueError as err:  # not an .npy/.npz file at all
        raise RuntimeError(f"not an ember checkpoint (expected the .npz archive ember.save writes): {err}") from None
    if not isinstance(z, np.lib.npyio.NpzFile) or "__structure__" not in z.files:
        raise RuntimeError("not an ember checkpoint: the file has no __structure__ entry (files written by "
                           "torch.save need torch to read them)")
    with z:
        arrays = {k: z[k] for k in z.files}
    structure = json.loads(bytes(arrays.pop("__structure__")).decode())
    if isinstance(structure, dict) and structure.get("format") == _FORMAT:
        structure = structure["root"]
    return _Decoder(arrays).decode(structure)
