"""Channel-wise dropout (functional forms): ``dropout1d``, ``dropout2d``, ``dropout3d``, ``feature_alpha_dropout``."""
from __future__ import annotations

import warnings

import numpy as np

from ... import _errors
from ..._random import _gen
from ...autograd.ops import nn as N
from ...tensor import _wrap

__all__ = ["dropout1d", "dropout2d", "dropout3d", "feature_alpha_dropout"]


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise _errors.dropout_probability(p)


def _feature_dropout(input, p, training, inplace, batched):
    """Zero each (sample, channel) slice with probability p; scale kept ones by 1/(1 − p)."""
    x = input._data
    if x.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not training or p == 0:
        return input
    lead = 2 if batched else 1
    shape = x.shape[:lead] + (1,) * (x.ndim - lead)
    if p == 1:
        mask = np.zeros(shape, x.dtype)
    else:
        mask = (_gen(None).random(shape) >= p).astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    out = N.MulMask.apply(input, mask=mask)
    if inplace:
        if input.requires_grad:
            input._check_inplace()
            return input._rebind(out)
        input._data[...] = out._data
        return input
    return out


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for (N, C, L) or (C, L): each channel is zeroed with probability p, the others
    scaled by 1/(1 − p). Torch parity: same arguments, semantics and errors as torch.nn.functional.dropout1d."""
    _check_p(p)
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that dropout1d exists to "
            "provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional "
            "batch dimension (i.e. 2D or 3D inputs)."
        )
    return _feature_dropout(input, p, training, inplace, batched=input.dim() == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for (N, C, H, W) or (C, H, W): each feature map is zeroed with probability p, the
    others scaled by 1/(1 − p). A 3-D input is read as (N, C, L) with a warning, as torch does.

    Torch parity: same arguments, semantics, warnings and errors as torch.nn.functional.dropout2d.
    """
    _check_p(p)
    nd = input.dim()
    if nd not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will result in an error in a "
            "future release. To retain the behavior and silence this warning, please use dropout instead. Note that "
            "dropout2d exists to provide channel-wise dropout on inputs with 2 spatial dimensions, a channel "
            "dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if nd == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
            "desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will "
            "change in a future release to interpret the input as one without a batch dimension, i.e. shape "
            "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, inplace, batched=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for (N, C, D, H, W) or (C, D, H, W): each 3-d feature map is zeroed with probability p,
    the others scaled by 1/(1 − p). Other ranks warn (as torch) and are read as batched.

    Torch parity: same arguments, semantics, warnings and errors as torch.nn.functional.dropout3d."""
    _check_p(p)
    nd = input.dim()
    if nd not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will result in an error in a "
            "future release. To retain the behavior and silence this warning, please use dropout instead. Note that "
            "dropout3d exists to provide channel-wise dropout on inputs with 3 spatial dimensions, a channel "
            "dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, inplace, batched=nd != 4)


_SELU_NEG = 1.7580993408473766  # −SELU's negative saturation value, λ·α


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels: a dropped (sample, channel) slice is set to SELU's saturation value
    α' = −λα and the result affinely corrected to keep zero mean and unit variance,

        y = a·(x·m + α'·(1 − m)) + b,   m ~ Bernoulli(1 − p) per (sample, channel),
        a = ((1 − p)(1 + p·α'²))^(−1/2),  b = −a·α'·p

    (Klambauer et al., "Self-Normalizing Neural Networks", NeurIPS 2017, https://arxiv.org/abs/1706.02515).
    Torch parity: same formula and arguments as torch.nn.functional.feature_alpha_dropout (random streams differ).
    """
    _check_p(p)
    x = input._data
    if not training or p == 0:
        return input
    if x.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if p == 1:
        mask = np.zeros(x.shape[:2] + (1,) * (x.ndim - 2), x.dtype)
        shift = np.zeros_like(mask)
    else:
        keep = (_gen(None).random(x.shape[:2] + (1,) * (x.ndim - 2)) >= p).astype(x.dtype)
        a = 1.0 / np.sqrt((_SELU_NEG * _SELU_NEG * p + 1) * (1 - p))
        mask = (keep * a).astype(x.dtype)
        shift = ((keep - 1) * _SELU_NEG * a + _SELU_NEG * a * p).astype(x.dtype)
    out = N.MulMask.apply(input, mask=mask) + _wrap(shift)
    if inplace:
        if input.requires_grad:
            input._check_inplace()
            return input._rebind(out)
        input._data[...] = out._data
        return input
    return out
