"""Metric states: copying, folding two states with their reduction, and tidying computed results."""
from __future__ import annotations

import copy

import numpy as np

from .._creation import as_tensor
from .utilities import dim_zero_cat, dim_zero_max, dim_zero_mean, dim_zero_min, dim_zero_sum, to_numpy


def _copy_state(value):
    if isinstance(value, list):
        return list(value)
    if isinstance(value, np.ndarray):
        return value.copy()
    return value.clone() if hasattr(value, "clone") else copy.deepcopy(value)


def _like(value, template):
    """Give a reduced NumPy array the container type of the state it replaces (ember Tensor states stay Tensors)."""
    if isinstance(value, list):
        return value
    if not hasattr(template, "_data"):
        return np.asarray(value)
    return as_tensor(np.array(value, dtype=to_numpy(template).dtype))


def _combine(reduce_fn, current, incoming, n_current: int, n_incoming: int):
    """Fold two states of one metric (e.g. running and batch) with the state's reduction."""
    if reduce_fn is dim_zero_cat:
        if isinstance(current, list):
            return list(incoming) + list(current)
        return np.concatenate([to_numpy(incoming), to_numpy(current)])
    if reduce_fn is None:
        return list(incoming) + list(current) if isinstance(current, list) else np.stack([incoming, current])
    a, b = to_numpy(incoming), to_numpy(current)
    if reduce_fn is dim_zero_sum:
        out = a + b
    elif reduce_fn is dim_zero_mean:
        n = n_current + n_incoming
        out = (n_incoming * a + n_current * b) / n if n else b
    elif reduce_fn is dim_zero_max:
        out = np.maximum(a, b)
    elif reduce_fn is dim_zero_min:
        out = np.minimum(a, b)
    else:
        out = to_numpy(reduce_fn(np.stack([a, b])))
    return _like(out, current)


def _squeeze_if_scalar(value):
    """One-element arrays become 0-d (torchmetrics squeezes every one-element result of compute)."""
    if isinstance(value, (list, tuple)):
        return type(value)(_squeeze_if_scalar(v) for v in value)
    if isinstance(value, dict):
        return {k: _squeeze_if_scalar(v) for k, v in value.items()}
    if isinstance(value, (np.ndarray, np.generic)) and value.size == 1:
        return np.asarray(value).reshape(())
    return value
