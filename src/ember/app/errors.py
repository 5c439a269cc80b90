"""The one exception type the app turns into ``ember: error: ...`` and exit status 2."""
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
