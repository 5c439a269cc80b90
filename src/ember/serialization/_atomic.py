"""Atomic file replacement: write a temporary file beside the target, fsync it, rename it over.

A write that fails (an exception, a full disk, an interrupt) removes the temporary file and
leaves any old file at the path untouched; readers never see a half-written file.
"""
from __future__ import annotations

import contextlib
import os
import tempfile


def _mode_for(path: str) -> int:
    try:
        return os.stat(path).st_mode & 0o777          # keep an existing file's permissions
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask                       # what open(path, "wb") would create


@contextlib.contextmanager
def atomic_write(path):
    """Context manager yielding a binary file; on success it replaces ``path`` atomically.

    Example:  >>> with atomic_write("ckpt.pt") as fh: fh.write(data)
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.chmod(tmp, _mode_for(path))
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):                  # make the rename itself durable
        with contextlib.suppress(OSError):
            dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
