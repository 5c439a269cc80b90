"""``finfo`` and ``iinfo``: the numerical limits of a dtype, with torch's attributes, repr and errors."""
from __future__ import annotations

import numpy as np

from . import _dtype


def _short(v) -> str:
    """A number as torch's repr prints it (C's %g with 6 significant digits)."""
    return f"{v:g}"


class finfo:
    """Limits of a floating-point dtype (default: the default dtype).

    bits, eps (smallest x with 1 + x ≠ 1), max, min (= −max), tiny = smallest_normal (smallest positive normal
    number) and resolution (10^−precision, precision = ⌊−log10(eps)⌋) are Python floats; dtype is its name.
    """

    def __init__(self, type=None):
        d = _dtype.get_default_dtype() if type is None else _dtype.to_dtype(type)
        if d.np.kind not in "fc":
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle 'torch.finfo'")
        info = np.finfo(d.np)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)  # (exactly 10^−precision, as torch; NumPy rounds it to the dtype)
        self.dtype = info.dtype.name

    def __repr__(self) -> str:
        return (f"finfo(resolution={_short(self.resolution)}, min={_short(self.min)}, max={_short(self.max)}, "
                f"eps={_short(self.eps)}, smallest_normal={_short(self.smallest_normal)}, tiny={_short(self.tiny)}, "
                f"dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype: bits, min, max (Python ints) and dtype (its name)."""

    def __init__(self, type):
        d = _dtype.to_dtype(type)
        if d.np.kind == "b":
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if d.np.kind not in "iu":
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'")
        info = np.iinfo(d.np)
        self.bits, self.min, self.max, self.dtype = int(info.bits), int(info.min), int(info.max), d.name

    def __repr__(self) -> str:
        return f"iinfo(min={_short(float(self.min))}, max={_short(float(self.max))}, dtype={self.dtype})"
