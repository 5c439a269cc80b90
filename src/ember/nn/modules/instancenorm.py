"""``InstanceNorm1d/2d/3d``: per-sample, per-channel normalisation over the spatial dims (see
``ember.nn.functional.instance_norm``), on ``_NormBase`` as torch's (affine=False and
track_running_stats=False by default; the state_dict keys are batch norm's)."""
from __future__ import annotations

import warnings

from ... import _errors
from .._functional import normalization as F
from .normalization import _NormBase

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(_NormBase):
    """With track_running_stats, training updates the running estimates and eval normalises with them;
    otherwise the input's own statistics are used in both modes (num_batches_tracked is not counted, as torch)."""

    spatial = 1

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input):
        unbatched = self.spatial + 1
        if input.dim() not in (unbatched, unbatched + 1):
            raise _errors.expected_dims(unbatched, unbatched + 1, input.dim())
        feature_dim = input.dim() - unbatched
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match num_features "
                                 f"({self.num_features}), but got: {input.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You can silence this "
                          "warning by not passing in num_features, which is not used because affine=False",
                          stacklevel=2)
        x = input.unsqueeze(0) if input.dim() == unbatched else input
        y = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training or not self.track_running_stats,
                            self.momentum if self.momentum is not None else 0.0, self.eps)
        return y.squeeze(0) if input.dim() == unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) or (C, L). Torch parity: as torch.nn.InstanceNorm1d."""

    spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) or (C, H, W). Torch parity: as torch.nn.InstanceNorm2d."""

    spatial = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of (N, C, D, H, W) or (C, D, H, W). Torch parity: as torch.nn.InstanceNorm3d."""

    spatial = 3
