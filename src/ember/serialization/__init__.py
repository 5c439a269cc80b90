"""``ember.save`` / ``ember.load``: torch's checkpoint files, safetensors and ember's ``.npz``.

``load`` decides the format by the file's content, never by its name:

- torch's zip format (``torch.save`` since 1.6): ``<name>/data.pkl`` + ``<name>/data/<key>``;
- torch's legacy format (``_use_new_zipfile_serialization=False``): pickles then storages;
- safetensors: an 8-byte header length and a JSON header;
- ember's ``.npz``: NumPy arrays plus a JSON ``__structure__``.

Pickles are read by ember's own restricted unpickler (``_pickle``) whose only globals are
stand-ins for torch's ``weights_only=True`` allow-list (``_torch_types``): loading never runs
code from the file. Every "not a valid checkpoint" error is a ``RuntimeError`` naming the file
(``pickle.UnpicklingError`` too for refused or malformed pickles, as torch raises).
"""
from __future__ import annotations

import os

from . import _npz, _safetensors, _torch_zip
from ._atomic import atomic_write
from ._source import CheckpointError, Source, UnpicklingError

__all__ = ["CheckpointError", "UnpicklingError", "atomic_write", "load", "safetensors_metadata", "save"]

FORMATS = ("torch", "safetensors", "npz")
_BY_SUFFIX = {".safetensors": "safetensors", ".npz": "npz"}


def _format_for(f, format):
    if format is not None:
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(map(repr, FORMATS))} or None, got {format!r}")
        return format
    if isinstance(f, (str, os.PathLike)):
        return _BY_SUFFIX.get(os.path.splitext(os.fspath(f))[1].lower(), "torch")
    return "torch"


def save(obj, f, pickle_module=None, pickle_protocol=2, *, format=None, metadata=None) -> None:
    """Write ``obj`` to ``f`` (a path or a binary file object), by default in torch's format.

    Args:
        obj: a tensor, or dicts (``OrderedDict`` and a state dict's ``_metadata`` kept),
            lists and tuples of tensors, numbers, strings, bytes, None, dtypes.
        f: a path (replaced atomically: a temporary file in the same directory renamed
            over it, so a failing save leaves the old file intact; not fsync-ed, as
            torch.save) or a binary file object.
        pickle_module, pickle_protocol: torch's arguments; only the defaults (pickle,
            protocol 2, which ``torch.load(weights_only=True)`` reads) are accepted.
        format: ``"torch"`` (the default, and for ``.pt``/``.pth``/``.bin``), ``"safetensors"``
            (the default for ``.safetensors``; ``obj`` must be a dict of str -> tensor) or
            ``"npz"`` (the default for ``.npz``; ember's own format, which also stores NumPy
            arrays and scalars).
        metadata: str -> str dict stored in a safetensors header.

    Torch parity:
        ``torch.save``'s zip format, readable by ``torch.load(f, weights_only=True)`` without a
        warning: pickle protocol 2, storages 64-byte aligned, views of one array stored once
        (one storage, as torch's views), optimizer step counters stay float32 0-d tensors.
        ember has no bfloat16: a bfloat16 tensor loaded from a file is float32 and is saved as
        float32. In torch format NumPy arrays are refused (torch's safe loader refuses them);
        NumPy scalars are saved as Python numbers.

    Example:  >>> ember.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, "ckpt.pt")
    """
    fmt = _format_for(f, format)
    if pickle_module is not None and getattr(pickle_module, "__name__", None) != "pickle":
        raise ValueError(f"pickle_module must be the pickle module (ember writes its own), got {pickle_module!r}")
    if pickle_protocol != 2:
        raise ValueError(f"pickle_protocol must be 2 (torch.load(weights_only=True) reads only protocol 2), "
                         f"got {pickle_protocol!r}")
    if metadata is not None and fmt != "safetensors":
        raise ValueError(f"metadata is stored only in safetensors files, not format={fmt!r}")

    def write(fh, name=None):
        if fmt == "torch":
            _torch_zip.write(fh, obj, _torch_zip.archive_name(name))
        elif fmt == "safetensors":
            _safetensors.write(fh, obj, metadata)
        else:
            _npz.write(fh, obj)

    if isinstance(f, (str, os.PathLike)):
        with atomic_write(f) as fh:
            write(fh, f)
    else:
        write(f)


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Read a torch checkpoint (zip or legacy), a safetensors file or an ember ``.npz``, by content.

    Args:
        f: a path or a binary file object.
        map_location: None, ``"cpu"``/``"cuda[:N]"``/an ``ember.device``, a dict renaming
            locations, or ``callable(storage, location)`` returning a storage or None. ember
            loads every tensor into host memory (CPU); an unknown device is a RuntimeError.
        pickle_module, weights_only, pickle_load_args: torch's arguments, accepted; ember
            always loads as ``weights_only=True`` does and never runs code from the file.
        mmap: map the file copy-on-write instead of reading it (a path only): tensors are
            views of the map, writes stay private to the process.

    Torch parity:
        ``torch.load(f, weights_only=True)``: same objects (tensors, ``Parameter`` s,
        ``OrderedDict`` with ``_metadata``, dtypes, sizes, devices, containers); tensors that
        share a storage in the file share memory. Deliberate differences: CUDA locations load
        onto the CPU without a ``map_location``; ``mmap=True`` also works for legacy and
        safetensors files; bfloat16 loads exactly into float32 (ember has no bfloat16).
        Refused globals and malformed pickles raise ``pickle.UnpicklingError``; every other
        invalid file ``RuntimeError``; both name the file.

    Example:  >>> model.load_state_dict(ember.load("resnet18.pth"))
    """
    src = Source(f, mmap=bool(mmap))
    try:
        return _load(src, map_location)
    finally:
        src.close()


def _load(src: Source, map_location):
    if src.size == 0:
        raise src.error("not a valid checkpoint: the file is empty (0 bytes)")
    head = src.bytes_at(0, min(src.size, 16), "the file header")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        archive = _torch_zip.open_archive(src)
        with archive:
            if _npz.is_npz(archive.namelist()):
                return _npz.read(src, archive)
            return _torch_zip.read(src, map_location, archive)
    if head.startswith(b"\x80\x02\x8a\x0a"):
        return _torch_zip.read_legacy(src, map_location)
    if _safetensors.looks_like(head, src.size):
        return _safetensors.read(src)
    raise src.error(f"not a valid checkpoint: the content (starting {head[:8]!r}) is none of torch's zip or "
                    "legacy format, safetensors or ember's .npz")


def safetensors_metadata(f) -> dict | None:
    """The ``__metadata__`` (str -> str) of a safetensors file, or None if it has none."""
    src = Source(f)
    try:
        if not _safetensors.looks_like(src.bytes_at(0, min(src.size, 16), "the file header"), src.size):
            raise src.error("not a safetensors file")
        return _safetensors.metadata(src)
    finally:
        src.close()
