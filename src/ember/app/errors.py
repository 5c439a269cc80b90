"""The app's error contract: :class:`UsageError` (and any file-system or environment error) becomes
one ``ember: error: ...`` line and exit status 2; anything else is a bug in ember (exit 1)."""
from __future__ import annotations

import difflib


class UsageError(Exception):
    """Bad input (config, names, keywords, data files): printed as one message, exit status 2."""


def closest(name: str, choices) -> str | None:
    """The valid choice nearest to ``name`` (case-insensitive, difflib), or None."""
    choices = list(choices)
    lower = {c.lower(): c for c in choices}
    hit = difflib.get_close_matches(str(name).lower(), list(lower), n=1, cutoff=0.5)
    return lower[hit[0]] if hit else None


def unknown(what: str, name, choices) -> UsageError:
    """``unknown <what> 'name'; did you mean 'X'? valid: a, b, c``."""
    choices = sorted(choices)
    guess = closest(name, choices)
    hint = f"; did you mean {guess!r}?" if guess else ""
    return UsageError(f"unknown {what} {name!r}{hint} Valid: {', '.join(choices)}")


def error_line(e: BaseException) -> tuple[int, str]:
    """(exit status, one line) for an exception that reached the command's top level.

    File-system errors (no space, read-only, no permission, missing file) and running out of
    memory come from the environment: status 2 with the file and the reason. Anything else is
    a bug in ember: status 1, one line, and ``--debug`` for the traceback."""
    if isinstance(e, OSError) and (e.errno is not None or e.filename is not None):
        from ._atomic import file_error

        what = e.filename if e.filename is not None else "a file"
        if e.filename2 is not None:
            what = f"{e.filename} -> {e.filename2}"
        return 2, f"ember: error: {file_error(what, e, 'use')}"
    if isinstance(e, MemoryError):
        return 2, ("ember: error: out of memory; make the model or data.batch_size / data.eval_batch_size smaller"
                   + (f" ({e})" if str(e) else ""))
    text = " ".join(str(e).split())
    return 1, (f"ember: internal error: {type(e).__name__}: {text} (a bug in ember; rerun with --debug for the "
               "traceback and report it)")


def check_range(name: str, value, low, high) -> None:
    """UsageError unless ``low <= value <= high``: the bound of a setting whose absurd values would run
    for hours or exhaust memory (``plot lr --epochs 100000000``)."""
    if not low <= value <= high:
        raise UsageError(f"{name} must be between {low:_} and {high:_}, got {value:_}")
