"""Process-wide settings with torch's names: the default device, float32 matmul precision, deterministic mode.

ember computes on NumPy in float32, deterministically (results never depend on thread count or timing), so
these record what a program sets and answer it back, as torch does, without changing any number:
- ``set_default_device("cpu")`` / ``None`` is accepted; a CUDA device raises torch's CPU-build
  ``AssertionError: Torch not compiled with CUDA enabled``, ``"mps"`` its RuntimeError, other devices the
  RuntimeError of ``check_device`` (torch accepts ``"cuda:0"`` and ``"xpu"`` here and fails at the first tensor:
  ember fails at once). ``get_default_device()`` is ``device("cpu")``.
- ``set_float32_matmul_precision`` takes "highest", "high" or "medium" (another value warns and is ignored, as
  torch); products stay full float32 (torch may use TF32/bfloat16 passes for "high"/"medium" on hardware with them).
- ``use_deterministic_algorithms(mode, warn_only=)``: ember's ops are always deterministic.
"""
from __future__ import annotations

import warnings
from typing import Any

from ._backend import CPU, NO_CUDA, check_device, device

PRECISIONS = ("highest", "high", "medium")
_state: dict[str, Any] = {"matmul_precision": "highest", "deterministic": False, "warn_only": False}


def set_default_device(device_) -> None:
    """Only the CPU (or None, the CPU) can be the default device in ember."""
    if device_ is None:
        return
    d = device(device_)
    if d.type == "cuda":
        raise AssertionError(NO_CUDA)
    if d.type == "mps":
        raise RuntimeError("PyTorch is not linked with support for mps devices")
    check_device(d)


def get_default_device() -> device:
    return CPU


def set_float32_matmul_precision(precision: str) -> None:
    if precision not in PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.")
        return
    _state["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _state["matmul_precision"]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    if not isinstance(mode, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, "
                        f"not {type(mode).__name__}")
    _state["deterministic"], _state["warn_only"] = mode, bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["warn_only"]


def get_deterministic_debug_mode() -> int:
    """0 off, 1 warn, 2 error (torch's encoding of use_deterministic_algorithms' state)."""
    return 0 if not _state["deterministic"] else 1 if _state["warn_only"] else 2


def set_deterministic_debug_mode(debug_mode) -> None:
    names = {"default": 0, "warn": 1, "error": 2}
    if isinstance(debug_mode, str) and debug_mode not in names:
        raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, "
                           f"but got {debug_mode}")
    mode = names.get(debug_mode, debug_mode)
    if mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(mode > 0, warn_only=mode == 1)
