"""Padding modules: ``ZeroPad``, ``ConstantPad``, ``ReflectionPad``, ``ReplicationPad``, ``CircularPad`` in 1, 2
and 3 dimensions, thin wrappers over ``ember.nn.functional.pad`` (which states the modes).

``padding`` is an int (the same width on every side) or a tuple (left, right[, top, bottom[, front, back]]),
stored as a tuple of 2·n ints, as torch stores it (and prints it in the repr).
"""
from __future__ import annotations

from ... import _errors
from .._functional.padding import pad
from .module import Module

__all__ = [
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ReflectionPad1d",
    "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
    "CircularPad2d", "CircularPad3d",
]


def _widths(padding, n: int) -> tuple:
    """torch's _ntuple(2n): an int repeated 2n times, an iterable as a tuple."""
    if isinstance(padding, int):
        return (padding,) * (2 * n)
    return tuple(padding)


class _PadNd(Module):
    mode = "constant"
    n = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _widths(padding, self.n)

    def forward(self, input):
        return pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _CircularPadNd(_PadNd):
    mode = "circular"

    def forward(self, input):
        if input.dim() not in (self.n + 1, self.n + 2):
            raise _errors.expected_dims(self.n + 1, self.n + 2, input.dim())
        return pad(input, self.padding, "circular")


class _ReflectionPadNd(_PadNd):
    mode = "reflect"


class _ReplicationPadNd(_PadNd):
    mode = "replicate"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last dim with zeros. Torch parity: as torch.nn.ZeroPad1d."""

    n = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last 2 dims with zeros. Torch parity: as torch.nn.ZeroPad2d."""

    n = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last 3 dims with zeros. Torch parity: as torch.nn.ZeroPad3d."""

    n = 3


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``. Torch parity: as torch.nn.ConstantPad1d."""

    n = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last 2 dims with ``value``. Torch parity: as torch.nn.ConstantPad2d."""

    n = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last 3 dims with ``value``. Torch parity: as torch.nn.ConstantPad3d."""

    n = 3


class ReflectionPad1d(_ReflectionPadNd):
    """Pad the last dim with their reflection (the edge is not repeated). Torch parity: as torch.nn.ReflectionPad1d."""

    n = 1


class ReflectionPad2d(_ReflectionPadNd):
    """Pad the last 2 dims with their reflection (the edge is not repeated). Torch parity: as torch.nn.ReflectionPad2d."""

    n = 2


class ReflectionPad3d(_ReflectionPadNd):
    """Pad the last 3 dims with their reflection (the edge is not repeated). Torch parity: as torch.nn.ReflectionPad3d."""

    n = 3


class ReplicationPad1d(_ReplicationPadNd):
    """Pad the last dim by repeating the edge. Torch parity: as torch.nn.ReplicationPad1d."""

    n = 1


class ReplicationPad2d(_ReplicationPadNd):
    """Pad the last 2 dims by repeating the edge. Torch parity: as torch.nn.ReplicationPad2d."""

    n = 2


class ReplicationPad3d(_ReplicationPadNd):
    """Pad the last 3 dims by repeating the edge. Torch parity: as torch.nn.ReplicationPad3d."""

    n = 3


class CircularPad1d(_CircularPadNd):
    """Pad the last dim by wrapping around; the input is 2D or 3D. Torch parity: as torch.nn.CircularPad1d."""

    n = 1


class CircularPad2d(_CircularPadNd):
    """Pad the last 2 dims by wrapping around; the input is 3D or 4D. Torch parity: as torch.nn.CircularPad2d."""

    n = 2


class CircularPad3d(_CircularPadNd):
    """Pad the last 3 dims by wrapping around; the input is 4D or 5D. Torch parity: as torch.nn.CircularPad3d."""

    n = 3
