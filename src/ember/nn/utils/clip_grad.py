"""Gradient clipping: by total norm and by value."""
from __future__ import annotations

import types
import warnings

import numpy as np

from ...tensor import Tensor, _wrap


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None) -> Tensor:
    """‖(‖g₁‖, …, ‖gₙ‖)‖_p: the p-norm of all tensors viewed as one vector."""
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = [t for t in tensors if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return _wrap(np.asarray(0.0, dtype=np.float32))
    arrays = [t._data for t in tensors]
    if norm_type == float("inf"):
        total = max(float(np.abs(a).max()) if a.size else 0.0 for a in arrays)
    else:
        per = [np.linalg.norm(a.reshape(-1).astype(np.float64), ord=norm_type) if a.size else 0.0 for a in arrays]
        total = float(np.linalg.norm(np.asarray(per), ord=norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return _wrap(np.asarray(total, dtype=np.result_type(*arrays)))  # the per-tensor norms stacked: promoted


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None) -> None:
    """Scale every gradient by min(1, max_norm / (total_norm + 1e-6)) (a NaN norm makes every gradient NaN, as
    torch's clamp keeps NaN)."""
    grads = _grads(parameters)
    coef = float(max_norm) / (float(total_norm) + 1e-6)
    if not coef >= 1:
        for g in grads:
            g._data *= g._data.dtype.type(coef)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None) -> Tensor:
    """Clip the gradients' total norm to ``max_norm`` in place; return the norm before clipping."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=3)
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None) -> None:
    """Clamp every gradient element to [−clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data)


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None) -> Tensor:
    """Deprecated alias of ``clip_grad_norm_`` (FutureWarning, as torch)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)
