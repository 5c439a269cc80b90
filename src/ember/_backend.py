"""The only module that knows about array backends. Today: NumPy on the CPU (CuPy is a later layer)."""
from __future__ import annotations

import numpy as np


def xp_of(*arrays):
    """The array module of the given arrays (``numpy`` for NumPy arrays)."""
    return np


class device:
    """A device name like torch.device. Only ``cpu`` exists in this build."""

    __slots__ = ("type", "index")

    def __init__(self, type: "str | device" = "cpu", index: int | None = None):
        if isinstance(type, device):
            type, index = type.type, type.index
        name, _, idx = str(type).partition(":")
        if name not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
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
    """Validate a device argument; only the CPU is available in this build."""
    if d is None:
        return CPU
    d = device(d)
    if d.type != "cpu":
        raise RuntimeError(
            f"device {str(d)!r} is not available: this ember build runs on the CPU only (CuPy support is a later layer)"
        )
    return d
