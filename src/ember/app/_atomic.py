"""Files of a run directory written so that a crash, a kill or a full disk never leaves a half file.

Every write goes to a temporary file in the same directory (named ``.NAME.XXXX.tmp``), is flushed
and ``fsync``-ed, then renamed over ``NAME`` (atomic on POSIX file systems) and the directory is
synced. If the write fails (``ENOSPC``, ``EROFS``, ...) the temporary file is removed and the old
``NAME`` is untouched; a temporary file left by a kill is removed by :func:`clean_stale` when the
run starts or resumes.
"""
from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from .errors import UsageError

TMP_SUFFIX = ".tmp"


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:   # some file systems cannot sync a directory; the rename is still atomic
        pass
    finally:
        os.close(fd)


def write_atomic(path, write) -> Path:
    """Call ``write(binary_file)`` on a temporary file next to ``path``, then rename it to ``path``.

    Raises :class:`UsageError` naming ``path`` when the file system refuses (no space, read-only,
    no permission); ``path`` then keeps its previous content and no temporary file is left."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    except OSError as e:
        raise file_error(path, e) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise file_error(path, e) from None
        raise
    _fsync_dir(path.parent)
    return path


def write_text(path, text: str) -> Path:
    """:func:`write_atomic` for a text file (UTF-8)."""
    data = text.encode()
    return write_atomic(path, lambda fh: fh.write(data))


def save(obj, path) -> Path:
    """``ember.save(obj)`` into ``path`` atomically."""
    import ember

    return write_atomic(path, lambda fh: ember.save(obj, fh))


def clean_stale(folder) -> list[Path]:
    """Remove the temporary files a killed write left in ``folder``; return them."""
    folder = Path(folder)
    removed = []
    for p in folder.glob(f".*{TMP_SUFFIX}"):
        if p.is_file():
            try:
                p.unlink()
                removed.append(p)
            except OSError:
                pass
    return removed


def check_writable(folder) -> None:
    """Write, sync and remove a small probe file in ``folder``: a read-only or full file system is
    reported now (as :class:`UsageError`), not after the first epoch."""
    folder = Path(folder)
    probe = Path(folder) / ".write-probe"
    write_atomic(probe, lambda fh: fh.write(b"ember\n"))
    try:
        probe.unlink()
    except OSError as e:
        raise file_error(probe, e) from None


def prepare_dir(folder) -> Path:
    """Create ``folder`` (and its parents) and check that it is writable; UsageError otherwise."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise file_error(folder, e, "create the folder") from None
    check_writable(folder)
    return folder


def file_error(path, e: OSError, verb: str = "write") -> UsageError:
    """One line for a failed file operation: the file, what went wrong, what to do."""
    reason = e.strerror or str(e)
    hint = {errno.ENOSPC: "free some space (the previous version of the file is kept)",
            errno.EDQUOT: "free some space (the previous version of the file is kept)",
            errno.EROFS: "the file system is read-only; choose another output.dir",
            errno.EACCES: "no permission; choose another output.dir or fix the permissions",
            errno.EPERM: "no permission; choose another output.dir or fix the permissions",
            errno.ENOENT: "the folder does not exist",
            errno.ENOTDIR: "a part of the path is a file, not a folder",
            errno.EEXIST: "a file (not a folder) has that name"}.get(e.errno or 0)  # (errno None: no hint)
    return UsageError(f"cannot {verb} {str(path)!r}: {reason}" + (f"; {hint}" if hint else ""))
