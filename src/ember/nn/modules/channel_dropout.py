"""Channel-wise dropout: ``Dropout1d``, ``Dropout2d``, ``Dropout3d``, ``FeatureAlphaDropout`` (whole feature maps
are dropped)."""
from __future__ import annotations

from .._functional import channel_dropout as F
from .dropout import _DropoutNd

__all__ = ["Dropout1d", "Dropout2d", "Dropout3d", "FeatureAlphaDropout"]


class Dropout1d(_DropoutNd):
    """During training, zero whole channels of (N, C, L) or (C, L) with probability p and scale the rest by 1/(1 − p).

    Torch parity: same arguments, semantics and errors as torch.nn.Dropout1d (random streams differ).
    Reference: Tompson et al., "Efficient Object Localization Using Convolutional Networks", CVPR 2015.
    """

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """During training, zero whole channels of (N, C, H, W) or (C, H, W) with probability p, scale the rest by 1/(1 − p).

    Torch parity: same arguments, semantics, warnings and errors as torch.nn.Dropout2d (random streams differ).
    Reference: Tompson et al., CVPR 2015. https://arxiv.org/abs/1411.4280
    """

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """During training, zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p, scale the rest
    by 1/(1 − p). Torch parity: as torch.nn.Dropout3d (random streams differ)."""

    def forward(self, input):
        return F.dropout3d(input, self.p, self.training, self.inplace)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels (see ``ember.nn.functional.feature_alpha_dropout``), for SELU networks.
    Torch parity: as torch.nn.FeatureAlphaDropout (random streams differ)."""

    def forward(self, input):
        return F.feature_alpha_dropout(input, self.p, self.training)
