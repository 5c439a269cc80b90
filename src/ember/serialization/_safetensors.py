"""safetensors: an 8-byte little-endian header length, a JSON header, then raw tensor bytes.

The header maps each tensor name to ``{"dtype": "F32", "shape": [...], "data_offsets": [begin,
end]}`` (offsets relative to the end of the header) and may hold ``"__metadata__"``, a
str -> str dict. No code, no pickle. Every entry is checked (dtype, shape, offsets inside the
file, ``end - begin`` equal to the shape's bytes, no overlaps) before anything is read.
"""
from __future__ import annotations

import itertools
import json
import math
import struct

import numpy as np

from ..tensor import Tensor, _wrap
from . import _dtypes
from ._source import Source

_MAX_HEADER = 100 * 1024 * 1024          # safetensors' own limit
_WHAT = "ember.save(format='safetensors')"


def looks_like(head: bytes, size: int) -> bool:
    if len(head) < 9:
        return False
    n = struct.unpack_from("<Q", head)[0]
    return 0 < n <= size - 8 and head[8:9] == b"{"


def _header(src: Source) -> tuple[dict, int]:
    n = struct.unpack("<Q", src.bytes_at(0, 8, "the safetensors header length"))[0]
    if n > _MAX_HEADER:
        raise src.error(f"not a valid safetensors file: header of {n} bytes (at most {_MAX_HEADER})")
    raw = src.bytes_at(8, n, "the safetensors header")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise src.error(f"not a valid safetensors file: the header is not JSON ({err})") from None
    if not isinstance(header, dict):
        raise src.error("not a valid safetensors file: the header is not a JSON object")
    return header, 8 + n


def metadata(src: Source) -> dict | None:
    meta = _header(src)[0].get("__metadata__")
    if meta is not None and not (isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())):
        raise src.error("not a valid safetensors file: __metadata__ must map strings to strings")
    return meta


def read(src: Source) -> dict:
    header, start = _header(src)
    data_size = src.size - start
    entries = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            kind = _dtypes.BY_SAFETENSORS[entry["dtype"]]
            shape = tuple(entry["shape"])
            begin, end = entry["data_offsets"]
            if not all(type(v) is int and v >= 0 for v in (*shape, begin, end)):
                raise ValueError("negative or non-integer shape or offsets")
        except (KeyError, TypeError, ValueError) as err:
            raise src.error(f"not a valid safetensors file: bad entry for {name!r}: {entry!r} ({err})") from None
        nbytes = math.prod(shape) * kind.raw.itemsize
        if end - begin != nbytes or end > data_size:
            raise src.error(f"not a valid safetensors file: tensor {name!r} of shape {list(shape)} needs {nbytes} "
                            f"bytes but its offsets are [{begin}, {end}] in a data section of {data_size} bytes")
        entries.append((begin, end, name, kind, shape))
    entries.sort(key=lambda e: (e[0], e[1]))
    for (_, end, name, *_), (begin, _, other, *_) in itertools.pairwise(entries):
        if begin < end:
            raise src.error(f"not a valid safetensors file: tensors {name!r} and {other!r} overlap")
    out = {}
    for begin, end, name, kind, shape in entries:
        raw = src.array_at(start + begin, kind.raw, math.prod(shape), f"tensor {name!r}")
        out[name] = _wrap(_dtypes.to_ember_array(raw, kind).reshape(shape))
    return {k: out[k] for k in header if k != "__metadata__"}


def write(fh, tensors, metadata=None) -> None:
    if not isinstance(tensors, dict) or not all(isinstance(k, str) and isinstance(v, Tensor)
                                                 for k, v in tensors.items()):
        raise TypeError(f"{_WHAT} stores a dict of str -> Tensor (a state_dict), got {type(tensors).__name__}")
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise TypeError(f"metadata must be a dict of str -> str, got {metadata!r}")
    arrays = {k: np.asarray(v._data).copy(order="C") if not v._data.flags.c_contiguous else np.asarray(v._data)
              for k, v in tensors.items()}
    header: dict = {"__metadata__": metadata} if metadata else {}
    offset = 0
    order = sorted(arrays, key=lambda k: -arrays[k].itemsize)       # wider types first keeps every offset aligned
    for k in order:
        kind = _dtypes.kind_of(arrays[k], _WHAT)
        if not kind.safetensors:
            raise TypeError(f"{_WHAT}: safetensors cannot store arrays of dtype {arrays[k].dtype}")
        header[k] = {"dtype": kind.safetensors, "shape": list(arrays[k].shape),
                     "data_offsets": [offset, offset + arrays[k].nbytes]}
        offset += arrays[k].nbytes
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    fh.write(struct.pack("<Q", len(raw)) + raw)
    for k in order:
        fh.write(arrays[k].reshape(-1).view(np.uint8).data)
