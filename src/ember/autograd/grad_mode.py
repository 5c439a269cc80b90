"""torch's module name for the grad modes; they live in ``ember/_grad_mode.py``, below ``tensor.py``."""
from .._grad_mode import _state, enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401

__all__ = ["enable_grad", "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled"]
