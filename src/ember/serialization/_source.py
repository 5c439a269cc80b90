"""The file being loaded: its name for error messages, bounds-checked reads, copy-on-write maps.

Every read says what it is for and is checked against the file's size first, so a header
that claims more bytes than the file holds is refused before anything is allocated.
"""
from __future__ import annotations

import io
import mmap as _mmap
import os
import pickle

import numpy as np


class CheckpointError(RuntimeError):
    """The file is not a valid checkpoint (truncated, corrupt, or of an unknown format)."""


class UnpicklingError(pickle.UnpicklingError, CheckpointError):
    """The pickle inside a checkpoint is refused (a global outside the allow-list) or malformed.

    A ``pickle.UnpicklingError`` as torch raises, and a ``RuntimeError`` like every other
    "not a valid checkpoint" error, so one ``except RuntimeError`` catches them all.
    """


class Source:
    """A path or binary file object opened for loading; ``mmap=True`` maps a path copy-on-write."""

    def __init__(self, f, mmap: bool = False):
        self._fh: io.BufferedReader | None = None  # the open path (None for a file object, read whole)
        self.map: _mmap.mmap | None = None
        self.data: bytes | _mmap.mmap | None  # the bytes in memory or mapped; None: read from _fh as needed
        if isinstance(f, (str, os.PathLike)):
            self.name = os.fspath(f)
            self._fh = open(f, "rb")  # noqa: SIM115 (closed by close())
            self.size = os.fstat(self._fh.fileno()).st_size
            if mmap and self.size:
                self.map = _mmap.mmap(self._fh.fileno(), 0, access=_mmap.ACCESS_COPY)
            self.data = self.map if self.map is not None else None
        else:
            if mmap:
                raise ValueError("f must be a file path in order to use the mmap argument")
            if not hasattr(f, "read"):
                raise TypeError(f"f must be a path (str or os.PathLike) or a binary file object, got {type(f).__name__}")
            self.name = str(getattr(f, "name", None) or f"<{type(f).__name__}>")
            data = f.read()
            if not isinstance(data, (bytes, bytearray)):
                raise TypeError(f"{self.name}: f must be opened in binary mode (read() returned {type(data).__name__})")
            self.data = bytes(data)
            self.size = len(self.data)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()   # a map stays valid after its file is closed

    def error(self, message: str) -> CheckpointError:
        return CheckpointError(f"{self.name}: {message}")

    def check(self, offset: int, nbytes: int, what: str) -> None:
        if offset < 0 or nbytes < 0 or offset + nbytes > self.size:
            raise self.error(f"truncated or corrupt: {what} needs bytes {offset}..{offset + nbytes} "
                             f"but the file has {self.size} bytes")

    def fileobj(self):
        """A seekable binary file over the whole source (for the zip directory)."""
        if self._fh is not None:
            self._fh.seek(0)
            return self._fh
        return io.BytesIO(self.data)

    def bytes_at(self, offset: int, nbytes: int, what: str) -> bytes:
        self.check(offset, nbytes, what)
        if self.data is not None:
            return bytes(self.data[offset:offset + nbytes])
        assert self._fh is not None
        self._fh.seek(offset)
        return self._fh.read(nbytes)

    def whole(self):
        """All bytes, for parsing pickles in place: the map, the in-memory bytes or a read-only map."""
        if self.data is None:
            assert self._fh is not None
            self.data = _mmap.mmap(self._fh.fileno(), 0, access=_mmap.ACCESS_READ) if self.size else b""
        return self.data

    def array_at(self, offset: int, dtype: np.dtype, count: int, what: str) -> np.ndarray:
        """``count`` elements at ``offset``: a copy-on-write view with ``mmap=True``, else a fresh array."""
        self.check(offset, count * dtype.itemsize, what)
        if self.map is not None:
            return np.frombuffer(self.map, dtype=dtype, count=count, offset=offset)
        out = np.empty(count, dtype=dtype)
        raw = out.view(np.uint8)
        if self._fh is not None:
            self._fh.seek(offset)
            if self._fh.readinto(raw.data) != raw.size:
                raise self.error(f"truncated: {what} could not be read in full")
        else:
            assert self.data is not None
            raw[:] = np.frombuffer(self.data, dtype=np.uint8, count=raw.size, offset=offset)
        return out
