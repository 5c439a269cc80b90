"""Normalization layers: ``BatchNorm1d``, ``BatchNorm2d`` (on ``_NormBase``/``_BatchNorm`` as torch),
``LayerNorm``, ``GroupNorm``, ``RMSNorm``, ``LocalResponseNorm`` (instance norm: ``instancenorm.py``)."""
from __future__ import annotations

import numpy as np

from ... import _creation
from ..._backend import check_device
from ...tensor import _wrap
from .. import init
from .._functional import normalization as F
from ..parameter import Parameter
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "GroupNorm", "LayerNorm", "RMSNorm", "LocalResponseNorm"]


def _affine_parameters(module, shape, affine, bias, dtype) -> None:
    """Register ``weight`` (γ = 1) and ``bias`` (β = 0) of ``shape``, or None for each one that is switched off."""
    module.register_parameter("weight", Parameter(_creation.ones(*shape, dtype=dtype)) if affine else None)
    module.register_parameter("bias", Parameter(_creation.zeros(*shape, dtype=dtype)) if affine and bias else None)


def _reset_affine(module) -> None:
    """γ ← 1, β ← 0 in place (for the parameters that exist)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _NormBase(Module):
    """Parameters (weight γ = 1, bias β = 0) and running statistics (running_mean = 0, running_var = 1,
    num_batches_tracked = 0, int64) shared by the batch-norm layers, with torch's names.

    State-dict version 2 (as torch's): a version-1 checkpoint, which predates num_batches_tracked, loads with
    that counter at 0 instead of reporting it missing."""

    _version = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        check_device(device)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine_parameters(self, (num_features,), affine, bias, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", _creation.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", _creation.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", _wrap(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """running_mean ← 0, running_var ← 1, num_batches_tracked ← 0 (in place)."""
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _reset_affine(self)

    def _check_input_dim(self, input):
        raise NotImplementedError  # abstract: each subclass checks its ranks

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        key = prefix + "num_batches_tracked"
        if (local_metadata.get("version") or 1) < 2 and self.track_running_stats and key not in state_dict:
            state_dict[key] = _wrap(np.array(0, dtype=np.int64))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """Batch normalisation (see ``ember.nn.functional.batch_norm`` for the formula).

    In training mode the batch statistics normalise the input and, with track_running_stats,
    update the running estimates with factor ``momentum``, or with 1/num_batches_tracked (a
    cumulative moving average) when momentum is None; in eval mode the running estimates are
    used. The update runs under any grad mode, as torch's.
    """

    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
            factor = 1.0 / float(self.num_batches_tracked._data) if self.momentum is None else self.momentum
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        use_running = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if use_running else None,
            self.running_var if use_running else None,
            self.weight, self.bias, bn_training, factor, self.eps,
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L), per channel.

    Torch parity: same arguments, defaults, state_dict keys (weight, bias, running_mean, running_var,
    num_batches_tracked), running-statistics semantics and errors as torch.nn.BatchNorm1d.
    Example:  >>> nn.BatchNorm1d(8)(ember.randn(4, 8)).shape  # (4, 8)
    """

    def _check_input_dim(self, input):
        if input.dim() not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W), per channel.

    Torch parity: same arguments, defaults, state_dict keys, running-statistics semantics and errors as
    torch.nn.BatchNorm2d.
    Reference: Ioffe & Szegedy, ICML 2015. https://arxiv.org/abs/1502.03167
    """

    def _check_input_dim(self, input):
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over (N, C, D, H, W), per channel.

    Torch parity: same arguments, defaults, state_dict keys, running-statistics semantics and errors as
    torch.nn.BatchNorm3d.
    """

    def _check_input_dim(self, input):
        if input.dim() != 5:
            raise ValueError(f"expected 5D input (got {input.dim()}D input)")


class LayerNorm(Module):
    """Layer normalisation over the trailing ``normalized_shape`` dims (see ``ember.nn.functional.layer_norm``).

    Torch parity: same arguments (elementwise_affine, bias), defaults (γ = 1, β = 0), values and errors
    as torch.nn.LayerNorm.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        check_device(device)
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _affine_parameters(self, self.normalized_shape, elementwise_affine, bias, dtype)

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    """Group normalisation (see ``ember.nn.functional.group_norm``).

    Torch parity: same arguments (incl. keyword bias), defaults (γ = 1, β = 0), values and errors as torch.nn.GroupNorm.
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        check_device(device)
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        _affine_parameters(self, (num_channels,), affine, bias, dtype)

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, bias={self.bias is not None}"


class RMSNorm(Module):
    """Root-mean-square normalisation over the trailing ``normalized_shape`` dims (see
    ``ember.nn.functional.rms_norm``); eps=None uses the input dtype's machine epsilon.

    Torch parity: same arguments, defaults (γ = 1), state_dict key (weight), repr and values as torch.nn.RMSNorm.
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        check_device(device)
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.register_parameter(
            "weight", Parameter(_creation.ones(*self.normalized_shape, dtype=dtype)) if elementwise_affine else None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class LocalResponseNorm(Module):
    """Local response normalisation across channels (see ``ember.nn.functional.local_response_norm``).

    Torch parity: same arguments, defaults, repr and values as torch.nn.LocalResponseNorm.
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
