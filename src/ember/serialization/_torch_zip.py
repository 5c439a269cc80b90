"""torch's checkpoint format: a zip archive ``<name>/data.pkl`` + ``<name>/data/<key>`` storages.

Layout (what ``torch.save`` 2.x writes, learned by reading its files): ``data.pkl`` is a
protocol-2 pickle whose tensors are ``torch._utils._rebuild_tensor_v2(storage, offset, size,
stride, requires_grad, backward_hooks)`` with each storage a persistent id
``("storage", <dtype>Storage, key, location, numel)``; ``data/<key>`` holds that storage's
raw little-endian bytes, stored uncompressed and 64-byte aligned; ``byteorder`` says
``little``, ``version`` ``3``, ``.format_version`` ``1``, ``.storage_alignment`` ``64``.
"""
from __future__ import annotations

import os
import secrets
import struct
import zipfile

import numpy as np

from .. import _dtype
from .._backend import device as _device
from ..tensor import Size, Tensor
from . import _dtypes
from . import _torch_types as T
from ._pickle import Global, Persistent, Pickler, Reduce, Unpickler
from ._source import Source
from ._zip import ZipWriter

_WHAT = "ember.save(format='torch')"


# ---------------------------------------------------------------------- reading
def open_archive(src: Source) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(src.fileobj())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error) as err:
        raise src.error(f"not a valid checkpoint: the zip archive is corrupt or truncated ({err})") from None


def _prefix(src: Source, names: list[str]) -> str:
    pkls = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
    if len(pkls) != 1:
        raise src.error(f"not a torch checkpoint: expected one <name>/data.pkl in the archive, found {len(pkls)}")
    return pkls[0][: -len("data.pkl")]


def _member_offset(src: Source, info: zipfile.ZipInfo) -> int:
    header = src.bytes_at(info.header_offset, 30, f"the local header of {info.filename!r}")
    if header[:4] != b"PK\x03\x04":
        raise src.error(f"not a valid checkpoint: bad local header for {info.filename!r}")
    name_len, extra_len = struct.unpack_from("<HH", header, 26)
    return info.header_offset + 30 + name_len + extra_len


def _stored(src: Source, info: zipfile.ZipInfo) -> int:
    """Offset of a stored member's data, after checking it lies inside the file."""
    if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
        raise src.error(f"{info.filename!r} is compressed; torch checkpoints store their members uncompressed")
    offset = _member_offset(src, info)
    src.check(offset, info.file_size, repr(info.filename))
    return offset


def read(src: Source, map_location, archive: zipfile.ZipFile):
    infos = {i.filename: i for i in archive.infolist()}
    prefix = _prefix(src, list(infos))
    order = "little"
    if prefix + "byteorder" in infos:
        info = infos[prefix + "byteorder"]
        order = src.bytes_at(_stored(src, info), min(info.file_size, 16), "byteorder").decode("ascii", "replace")
        if order not in ("little", "big"):
            raise src.error(f"not a valid checkpoint: byteorder record says {order!r}")
    pkl = infos[prefix + "data.pkl"]
    data = src.bytes_at(_stored(src, pkl), pkl.file_size, "data.pkl")
    storages: dict[str, T.Storage] = {}

    def persistent_load(pid):
        if type(pid) is not tuple or len(pid) != 5 or pid[0] != "storage" or type(pid[1]) is not T.StorageType \
                or type(pid[2]) is not str or type(pid[3]) is not str or type(pid[4]) is not int or pid[4] < 0:
            raise src.error(f"invalid storage reference {pid!r} in data.pkl")
        _, stype, key, location, numel = pid
        if key in storages:
            return storages[key]
        info = infos.get(f"{prefix}data/{key}")
        if info is None:
            raise src.error(f"not a valid checkpoint: data.pkl names storage {key!r}, but the archive has no "
                            f"{prefix}data/{key}")
        raw = stype.kind.raw.newbyteorder(">") if order == "big" and stype.kind.raw.itemsize > 1 else stype.kind.raw
        nbytes = numel * raw.itemsize
        if nbytes > info.file_size:
            raise src.error(f"not a valid checkpoint: storage {key!r} claims {numel} elements ({nbytes} bytes) "
                            f"but the archive holds {info.file_size} bytes for it")
        storage = T.Storage(stype.kind, key, numel, location)
        storage = apply_map_location(src, map_location, storage)
        storage.fill(src.array_at(_stored(src, info), raw, numel, f"storage {key!r}"))
        storages[key] = storage
        return storage

    rebuilder = T.Rebuilder()
    return Unpickler(data, src.name, rebuilder.globals(), persistent_load, T.MODULE_ALIASES).load()


def apply_map_location(src: Source, map_location, storage: T.Storage) -> T.Storage:
    """torch's ``map_location`` (None, a device or its name, a dict of renames, or a callable), on the CPU.

    Every location ember knows (``cpu``, ``cuda``, ``cuda:N``) loads into host memory.
    """
    target = storage.location
    if callable(map_location) and not isinstance(map_location, (str, _device)):
        result = map_location(storage, storage.location)
        if isinstance(result, T.Storage):
            return result
        if result is not None:
            target = str(result)
    elif isinstance(map_location, dict):
        target = str(map_location.get(storage.location, storage.location))
    elif map_location is not None:
        target = str(map_location)
    try:
        _device(target)
    except RuntimeError as err:
        raise src.error(f"cannot load storage {storage.key!r} onto {target!r}: {err}") from None
    return storage


def read_legacy(src: Source, map_location):
    """torch's pre-1.6 format (``_use_new_zipfile_serialization=False``): pickles, then raw storages.

    Five pickles in a row (magic number, protocol version, system info, the object, the list
    of storage keys), then for each key an int64 element count and that many raw elements.
    """
    data = src.whole()
    allowed = T.Rebuilder()
    magic = Unpickler(data, src.name, {})
    if magic.load() != LEGACY_MAGIC:
        raise src.error("not a torch checkpoint: a pickle without torch's magic number")
    header = Unpickler(data, src.name, {}, pos=magic.pos)
    if header.load() != 1001:
        raise src.error("not a torch checkpoint: unknown legacy protocol version")
    info = Unpickler(data, src.name, {}, pos=header.pos)
    sys_info = info.load()
    if not isinstance(sys_info, dict) or sys_info.get("little_endian") is not True:
        raise src.error("not a supported torch checkpoint: legacy files must be little-endian")
    storages: dict[str, T.Storage] = {}

    def persistent_load(pid):
        if type(pid) is not tuple or len(pid) != 6 or pid[0] != "storage" or type(pid[1]) is not T.StorageType \
                or type(pid[2]) is not str or type(pid[3]) is not str or type(pid[4]) is not int or pid[4] < 0:
            raise src.error(f"invalid storage reference {pid!r}")
        if pid[5] is not None:
            raise src.error("legacy storage views (torch < 1.0) are not supported")
        key = pid[2]
        if key not in storages:
            storage = T.Storage(pid[1].kind, key, pid[4], pid[3])
            storages[key] = apply_map_location(src, map_location, storage)
        return storages[key]

    main = Unpickler(data, src.name, allowed.globals(), persistent_load, T.MODULE_ALIASES, pos=info.pos)
    obj = main.load()
    keys_pickle = Unpickler(data, src.name, {}, pos=main.pos)
    keys = keys_pickle.load()
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise src.error("not a valid checkpoint: the storage key list is corrupt")
    pos = keys_pickle.pos
    for key in keys:
        count = struct.unpack("<q", src.bytes_at(pos, 8, f"the size of storage {key!r}"))[0]
        storage = storages.get(key)
        if storage is None or count != storage.numel:
            raise src.error(f"not a valid checkpoint: storage {key!r} holds {count} elements, the pickle "
                            f"names {storage.numel if storage else 'no such storage'}")
        storage.fill(src.array_at(pos + 8, storage.kind.raw, count, f"storage {key!r}"))
        pos += 8 + count * storage.kind.raw.itemsize
    missing = [k for k, s in storages.items() if s.array is None]
    if missing:
        raise src.error(f"not a valid checkpoint: storages {missing} named by the pickle are missing")
    return obj


LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


# ---------------------------------------------------------------------- writing
def _root(arr: np.ndarray) -> np.ndarray:
    """The array that owns ``arr``'s memory (through views and ``as_strided``'s wrapper)."""
    base = arr
    while True:
        up = base.base
        if not isinstance(up, np.ndarray):
            up = getattr(up, "base", None)          # as_strided's DummyArray keeps the array it views
        if not isinstance(up, np.ndarray):
            return base
        base = up


class _Storages:
    """Storages to write: views of one NumPy buffer share one storage, as torch's views do."""

    def __init__(self):
        self.arrays: list[np.ndarray] = []     # flat, C-contiguous, one per key
        self._by_root: dict[int, tuple[Persistent, np.ndarray]] = {}

    def _new(self, flat: np.ndarray, kind: _dtypes.Kind) -> Persistent:
        key = str(len(self.arrays))
        self.arrays.append(flat)
        return Persistent(("storage", Global("torch", kind.storage), key, "cpu", flat.size))

    def locate(self, arr: np.ndarray) -> tuple[Persistent, int, tuple, tuple]:
        """(storage id, offset, size, stride) in elements, for ``arr``."""
        kind = _dtypes.kind_of(arr, _WHAT)
        item = arr.itemsize
        root = _root(arr)
        if root.dtype == arr.dtype and root.flags.c_contiguous and root.size and arr.size \
                and all(s >= 0 and s % item == 0 for s in arr.strides):
            start = arr.__array_interface__["data"][0] - root.__array_interface__["data"][0]
            end = start + sum((n - 1) * s for n, s in zip(arr.shape, arr.strides)) + item
            if start >= 0 and start % item == 0 and end <= root.nbytes:
                entry = self._by_root.get(id(root))
                if entry is None:
                    entry = self._by_root[id(root)] = (self._new(root.reshape(-1), kind), root)
                return entry[0], start // item, arr.shape, tuple(s // item for s in arr.strides)
        flat = np.ascontiguousarray(arr).reshape(-1)
        return self._new(flat, kind), 0, arr.shape, T.contiguous_strides(arr.shape)


def _translator(storages: _Storages):
    from ..nn.parameter import Parameter

    hooks = Reduce(Global(*T.ORDERED_DICT), ())

    def tensor(t: Tensor, requires_grad: bool) -> Reduce:
        arr = t._data
        if not isinstance(arr, np.ndarray):
            arr = np.asarray(arr)
        pid, offset, size, stride = storages.locate(arr)
        return Reduce(Global(*T.TENSOR_V2), (pid, offset, tuple(size), stride, requires_grad, hooks))

    def translate(obj):
        if isinstance(obj, Parameter):
            return Reduce(Global(*T.PARAMETER), (tensor(obj, False), obj.requires_grad, hooks))
        if isinstance(obj, Tensor):
            return tensor(obj, obj.requires_grad)
        if isinstance(obj, _dtype.dtype):
            return Global("torch", obj.name)
        if isinstance(obj, Size):
            return Reduce(Global(*T.SIZE), (tuple(obj),))
        if isinstance(obj, _device):
            return Reduce(Global(*T.DEVICE), (str(obj),))
        if isinstance(obj, np.generic) and obj.dtype.kind in "biuf":
            return obj.item()
        if isinstance(obj, np.ndarray):
            raise TypeError(f"{_WHAT} cannot store a NumPy array (torch.load(weights_only=True) refuses NumPy "
                            "globals): wrap it with ember.from_numpy(...) or save with format='npz'")
        return None

    return translate


def write(fh, obj, archive_name: str = "archive") -> None:
    """Write ``obj`` to the binary file ``fh`` in torch's zip format."""
    storages = _Storages()
    pkl = Pickler(_translator(storages), _WHAT).dumps(obj)
    zw = ZipWriter(fh)
    name = archive_name
    zw.add(f"{name}/data.pkl", pkl)
    zw.add(f"{name}/.format_version", b"1")
    zw.add(f"{name}/.storage_alignment", b"64")
    zw.add(f"{name}/byteorder", b"little")
    for key, arr in enumerate(storages.arrays):
        zw.add(f"{name}/data/{key}", arr.view(np.uint8) if arr.dtype == np.bool_ else arr)
    zw.add(f"{name}/version", b"3\n")
    zw.add(f"{name}/.data/serialization_id", str(secrets.randbits(128)).zfill(40).encode())
    zw.close()


def archive_name(path) -> str:
    """torch names the archive's folder after the file (``model.pt`` -> ``model``)."""
    stem = os.path.splitext(os.path.basename(os.fspath(path)))[0] if path is not None else ""
    return "".join(c if c.isalnum() or c in "_-." else "_" for c in stem) or "archive"
