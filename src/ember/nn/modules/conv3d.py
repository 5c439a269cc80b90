"""``Conv3d`` and ``ConvTranspose3d`` on the shared convolution bookkeeping of ``conv.py`` (see
``ember.nn._functional.conv3d`` for how they compute)."""
from __future__ import annotations

from .._functional.conv3d import conv3d, conv_transpose3d
from .._functional.padding import pad as _pad
from .conv import _ConvNd, _ConvTransposeNd

__all__ = ["Conv3d", "ConvTranspose3d"]


class Conv3d(_ConvNd):
    """3-D convolution over (N, C_in, D, H, W) (see ``ember.nn.functional.conv3d`` for the formula).

    Torch parity: same arguments, defaults, parameter names/shapes, initialisation, repr and errors as
    torch.nn.Conv3d; padding_mode 'zeros', 'reflect', 'replicate', 'circular'.
    Example:  >>> nn.Conv3d(2, 4, 3, padding=1)(ember.randn(1, 2, 5, 6, 7)).shape  # (1, 4, 5, 6, 7)
    """

    _nd = 3

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0, groups, bias,
                         padding_mode, device, dtype)

    def _conv_forward(self, input, weight, bias):
        if self.padding_mode != "zeros":
            padded = _pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv3d(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return conv3d(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution (see ``ember.nn.functional.conv_transpose3d``); ``forward(input, output_size=None)``.

    Torch parity: same arguments, parameter shapes, initialisation, output_size rule, repr and errors as
    torch.nn.ConvTranspose3d.
    """

    _nd = 3

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
                         dilation, padding_mode, device, dtype)

    def forward(self, input, output_size=None):
        op = self._output_padding(input, output_size)
        return conv_transpose3d(input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
                                self.dilation)
