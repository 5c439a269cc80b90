"""``nn.utils.skip_init``: build a module without running its parameter initialisation."""
from __future__ import annotations

import inspect

from ..modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` with uninitialised (``empty``) parameters and buffers.

    Torch parity: same checks and errors as ``torch.nn.utils.skip_init``; torch builds on the meta device to skip
    the initialisation's work, ember (CPU only) builds normally, then gives every tensor new empty storage.
    """
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    final_device = kwargs.pop("device", "cpu")
    return module_cls(*args, **kwargs).to_empty(device=final_device)
