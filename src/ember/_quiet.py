"""NumPy's floating-point warnings switched off inside ember's ops, as torch computes silently.

torch gives ``inf * 0``, ``inf - inf`` and an overflow as NaN or inf without a word; NumPy warns
("invalid value encountered in multiply"), and under ``-W error`` it raises. Every op's forward runs
between ``token = enter()`` and ``leave(token)``, the state of ``np.errstate(all="ignore")``.

``np.errstate`` as a context manager costs about as much as a small op itself, so where NumPy keeps
its error state in a context variable (NumPy 2) we set and reset that variable directly, a few
hundred nanoseconds; elsewhere ``np.errstate`` does the same job. Either way the state is the
caller's again on return, also when the op raises, and other threads are not touched.
"""
from __future__ import annotations

import numpy as np

try:
    from numpy._core._ufunc_config import _extobj_contextvar as _STATE  # type: ignore[attr-defined]  # NumPy 2
except ImportError:  # NumPy 1.x
    _STATE = None

if _STATE is not None:
    with np.errstate(all="ignore"):
        _IGNORE = _STATE.get()

    def enter():
        """Switch NumPy's floating-point warnings off; returns the token for :func:`leave`."""
        return _STATE.set(_IGNORE)

    def leave(token) -> None:
        """Restore the state from before the matching :func:`enter`."""
        _STATE.reset(token)

else:
    def enter():
        """Switch NumPy's floating-point warnings off; returns the token for :func:`leave`."""
        state = np.errstate(all="ignore")
        state.__enter__()
        return state

    def leave(token) -> None:
        """Restore the state from before the matching :func:`enter`."""
        token.__exit__(None, None, None)
