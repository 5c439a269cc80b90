"""ember's optional numba: one import and one on/off switch for every fused kernel (optim, metrics, losses).

``EMBER_DISABLE_NUMBA=1`` turns the kernels off at start-up; ``set_enabled`` switches them at run time (tests and
benchmarks compare both paths). Importing ember never imports numba: ``module()`` imports it on first use.
"""
from __future__ import annotations

import os

ALLOWED_BY_ENV = os.environ.get("EMBER_DISABLE_NUMBA", "").strip() in ("", "0", "false", "False")
_enabled = ALLOWED_BY_ENV
_numba = None


def module():
    """The numba module, or None when it is not installed or the kernels are disabled."""
    global _numba, _enabled
    if not _enabled:
        return None
    if _numba is None:
        try:
            import numba
        except ImportError:
            _enabled = False
            return None
        _numba = numba
    return _numba


def set_enabled(flag) -> bool:
    """Turn the numba kernels on or off; returns the previous setting."""
    global _enabled
    previous = _enabled
    _enabled = bool(flag)
    return previous
