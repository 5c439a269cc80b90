"""The only module that knows about array backends. Today: NumPy on the CPU (CuPy is a later layer)."""
from __future__ import annotations

import numpy as np


def xp_of(*arrays):
    """The array module of the given arrays (``numpy`` for NumPy arrays)."""
    return np


# torch's device types (torch.device accepts each name; only "cpu" holds tensors in ember)
DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
                "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
NO_CUDA = "Torch not compiled with CUDA enabled"  # torch's CPU build: AssertionError with this message


class device:
    """A device name like torch.device: every torch device type is accepted, only ``cpu`` holds tensors."""

    __slots__ = ("type", "index")
    type: str
    index: int | None

    def __init__(self, type: "str | device" = "cpu", index: int | None = None):
        if isinstance(type, device):
            index, type = type.index, type.type
        name, colon, idx = str(type).partition(":")
        if name not in DEVICE_TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of device string: {type}")
        if colon and not idx.isdigit():
            raise RuntimeError(f"Invalid device string: '{type}'")
        self.type = name
        self.index = int(idx) if idx else index

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


CPU = device("cpu")


def check_device(d) -> device:
    """Validate a device argument; only the CPU is available in this build.

    A CUDA device raises ``AssertionError: Torch not compiled with CUDA enabled``, as torch's CPU build does;
    any other non-CPU device a RuntimeError naming it.
    """
    if d is None:
        return CPU
    d = device(d)
    if d.type == "cuda":
        raise AssertionError(NO_CUDA)
    if d.type != "cpu":
        raise RuntimeError(
            f"device {str(d)!r} is not available: this ember build runs on the CPU only (CuPy support is a later layer)"
        )
    return d
