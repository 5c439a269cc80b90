"""Atomic file replacement: write a temporary file beside the target, rename it over.

A write that fails (an exception, a full disk, an interrupt) removes the temporary file (a
killed process leaves it behind, never at the target) and leaves any old file at the path
untouched; readers never see a half-written file.

Not ``fsync``-ed unless ``durable=True`` (as ``torch.save``, which overwrites in place and
never syncs): a sync waits until every byte is on the disk, which only a power loss needs;
the ``ember`` command's checkpoints are synced.

The old file's cached pages are released before the new file is written: the new file then
takes those pages instead of fresh memory, so a replacement costs what torch's overwrite in
place costs (measured in ``benchmarks/bench_serialization.py``, where fresh pages after a
load made it three times slower). The old file's bytes stay on the disk until the rename.
Freeing the old file's blocks (about 0.1 s for 400 MB on ext4 with ``discard``) happens when its
last descriptor closes: the rename keeps one open and a background thread closes it, so the
caller does not wait for it.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import threading


def _mode_for(path: str) -> int:
    try:
        return os.stat(path).st_mode & 0o777          # keep an existing file's permissions
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask                       # what open(path, "wb") would create


def _open_old(path: str):
    """A read descriptor of the file at ``path`` (None if there is none), its clean pages dropped from
    the page cache (a hint)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    if hasattr(os, "posix_fadvise"):
        with contextlib.suppress(OSError):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    return fd


@contextlib.contextmanager
def atomic_write(path, durable: bool = False):
    """Context manager yielding a binary file; on success it replaces ``path`` atomically
    (with ``durable``, also synced to the disk before and after the rename).

    Example:  >>> with atomic_write("ckpt.pt") as fh: fh.write(data)
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    old = _open_old(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.chmod(tmp, _mode_for(path))
            yield fh
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if old is not None:
            os.close(old)
        raise
    if old is not None:  # the old file's blocks are freed by this close: off the caller's thread
        threading.Thread(target=os.close, args=(old,), daemon=True).start()
    if durable and hasattr(os, "O_DIRECTORY"):      # make the rename itself durable
        with contextlib.suppress(OSError):
            dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
