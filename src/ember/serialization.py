"""``save`` / ``load``: tensors and nested state dicts in a safe file format.

The file is a NumPy ``.npz`` archive (no pickle): every array (tensor data, NumPy array) is
stored as ``a0, a1, ...`` and the structure around them (dicts, lists, tuples, numbers,
strings, None, dtypes) as JSON in ``__structure__``. Loading never executes code.
"""
from __future__ import annotations

import io
import json
import os

import numpy as np

from . import _dtype
from .tensor import Tensor, _wrap


def _encode(obj, arrays):
    if isinstance(obj, Tensor):
        arrays.append(obj._data)
        return {"__tensor__": len(arrays) - 1, "requires_grad": obj.requires_grad,
                "parameter": type(obj).__name__ == "Parameter"}
    if isinstance(obj, np.ndarray):
        arrays.append(obj)
        return {"__ndarray__": len(arrays) - 1}
    if isinstance(obj, dict):
        keys = list(obj)
        if all(isinstance(k, str) for k in keys):
            return {"__dict__": {k: _encode(v, arrays) for k, v in obj.items()}}
        return {"__items__": [[_encode(k, arrays), _encode(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, arrays) for v in obj]
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return {"__float__": repr(obj)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, _dtype.dtype):
        return {"__dtype__": obj.name}
    raise TypeError(
        f"ember.save cannot store an object of type {type(obj).__name__}: only tensors, arrays, numbers, strings, "
        "None, dtypes and dicts/lists/tuples of them (no pickled code)"
    )


def _decode(obj, arrays):
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__tensor__" in obj:
        t = _wrap(arrays[f"a{obj['__tensor__']}"])
        if obj.get("parameter"):
            from .nn.parameter import Parameter

            return Parameter(t, requires_grad=obj["requires_grad"])
        t.requires_grad = obj["requires_grad"]
        return t
    if "__ndarray__" in obj:
        return arrays[f"a{obj['__ndarray__']}"]
    if "__dict__" in obj:
        return {k: _decode(v, arrays) for k, v in obj["__dict__"].items()}
    if "__items__" in obj:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in obj["__items__"]}
    if "__tuple__" in obj:
        return tuple(_decode(v, arrays) for v in obj["__tuple__"])
    if "__float__" in obj:
        return float(obj["__float__"])
    if "__dtype__" in obj:
        return _dtype._by_name(obj["__dtype__"])
    raise ValueError(f"unrecognised entry in saved structure: {sorted(obj)}")


def save(obj, f) -> None:
    """Write ``obj`` (a tensor or a nested state dict) to the path or binary file ``f``."""
    arrays: list[np.ndarray] = []
    structure = _encode(obj, arrays)
    payload = {f"a{i}": a for i, a in enumerate(arrays)}
    payload["__structure__"] = np.frombuffer(json.dumps(structure).encode(), dtype=np.uint8)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            np.savez(fh, **payload)
    else:
        np.savez(f, **payload)


def load(f, map_location=None, weights_only=True, **kwargs):
    """Read what ``save`` wrote. Arrays are loaded without pickle (``allow_pickle=False``)."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            data = fh.read()
        f = io.BytesIO(data)
    with np.load(f, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    try:
        structure = json.loads(bytes(arrays.pop("__structure__")).decode())
    except KeyError:
        raise RuntimeError("not an ember checkpoint: the file has no __structure__ entry") from None
    return _decode(structure, arrays)
