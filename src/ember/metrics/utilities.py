"""Array helpers shared by every metric: input conversion, output wrapping, safe division, state reductions.

Metrics compute on NumPy arrays. Inputs may be ember Tensors, NumPy arrays or anything ``np.asarray`` accepts;
results come back as ember tensors (float results as float32, as torchmetrics returns them).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._creation import as_tensor


def to_numpy(x: Any) -> np.ndarray:
    """The NumPy array behind ``x`` (no copy for ember Tensors and arrays)."""
    if isinstance(x, np.ndarray):
        return x
    data = getattr(x, "_data", None)  # ember.Tensor keeps its array in slot `_data`
    if isinstance(data, np.ndarray):
        return data
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor handed in by a user
        return x.detach().cpu().numpy()
    return np.asarray(x)


def to_tensor(value: Any) -> Any:
    """Wrap a result (array, scalar, or a tuple/list/dict of them) as ember tensors.

    Floating results become float32 (torchmetrics' default dtype), integer results int64.
    """
    if isinstance(value, (tuple, list)):
        return type(value)(to_tensor(v) for v in value)
    if isinstance(value, dict):
        return {k: to_tensor(v) for k, v in value.items()}
    if not isinstance(value, (np.ndarray, np.generic, float, int, bool)):
        return value  # already a Tensor (user metrics) or something we do not own
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        arr = arr.astype(np.float32, copy=False)
    elif arr.dtype.kind in "iu":
        arr = arr.astype(np.int64, copy=False)
    if not arr.flags.c_contiguous:
        arr = arr.copy()
    return as_tensor(arr)


class TorchMetricsUserError(Exception):
    """A wrong combination of metric arguments (torchmetrics.utilities.exceptions.TorchMetricsUserError)."""


def safe_divide(num, denom, zero_division: float = 0.0) -> np.ndarray:
    """num / denom in floating point, with ``zero_division`` wherever denom == 0 (nan allowed)."""
    num = np.asarray(num, dtype=np.float64)
    denom = np.asarray(denom, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / denom
    return np.where(denom != 0, out, zero_division)


def dim_zero_cat(x):
    """Concatenate a state list (or return an array unchanged) along dimension 0."""
    if isinstance(x, list):
        if not x:
            return np.zeros((0,))
        if len(x) == 1:
            return np.atleast_1d(to_numpy(x[0]))
        return np.concatenate([np.atleast_1d(to_numpy(v)) for v in x], axis=0)
    return to_numpy(x)


def dim_zero_sum(x):
    return np.sum(to_numpy(x), axis=0)


def dim_zero_mean(x):
    return np.mean(to_numpy(x), axis=0)


def dim_zero_max(x):
    return np.max(to_numpy(x), axis=0)


def dim_zero_min(x):
    return np.min(to_numpy(x), axis=0)
