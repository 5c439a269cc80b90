"""``ember.accelerator``: torch.accelerator on a machine without one (ember runs on the CPU).

``is_available()`` is False, ``current_accelerator()`` None and ``device_count()`` 0, so
``torch.accelerator.current_accelerator() if torch.accelerator.is_available() else torch.device("cpu")``
picks the CPU; the calls that need an accelerator raise torch's
``RuntimeError: Cannot access accelerator device when none is available.``
"""
from __future__ import annotations

NO_ACCELERATOR = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    """The accelerator's device type: None (there is none)."""
    return None


def device_count() -> int:
    return 0


def _none_available(*args, **kwargs):
    raise RuntimeError(NO_ACCELERATOR)


current_device_index = current_device_idx = set_device_index = set_device_idx = synchronize = _none_available
