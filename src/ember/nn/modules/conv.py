"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d``."""
from __future__ import annotations

import math

from ... import _creation
from ..._backend import check_device
from .. import init
from .._functional import conv as F
from .._functional.padding import pad as _pad
from ..parameter import Parameter
from .module import Module
from ... import _errors

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


def _ntuple(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


class _ConvNd(Module):
    """Shared bookkeeping of the convolution layers: arguments, checks, parameters, torch's initialisation.

    weight: (out_channels, in_channels/groups, *kernel_size), or (in_channels, out_channels/groups,
    *kernel_size) when transposed; both W and b start uniform in ±1/√fan_in (kaiming_uniform_, a = √5).
    """

    _nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                 output_padding, groups, bias, padding_mode, device=None, dtype=None):
        super().__init__()
        check_device(device)
        n = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise _errors.in_channels_groups()
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        kernel_size, stride, dilation = _ntuple(kernel_size, n), _ntuple(stride, n), _ntuple(dilation, n)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _ntuple(padding, n)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {_PADDING_MODES}, but got padding_mode='{padding_mode}'"
            )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.transposed, self.output_padding, self.groups = transposed, _ntuple(output_padding, n), groups
        self.padding_mode = padding_mode
        # F.pad's argument for the non-zero padding modes: last dim first, (lo, hi) per dim.
        if isinstance(padding, str):
            rev = [0, 0] * n
            if padding == "same":
                for i, (d, k) in enumerate(zip(dilation, kernel_size)):
                    total = d * (k - 1)
                    rev[2 * (n - 1 - i)] = total // 2
                    rev[2 * (n - 1 - i) + 1] = total - total // 2
        else:
            rev = [p for v in reversed(padding) for p in (v, v)]
        self._reversed_padding_repeated_twice = rev
        shape = (in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(_creation.empty(*shape, *kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(_creation.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        n = self._nd
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"  # (a string unquoted, as torch prints it)
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _conv_forward(self, input, weight, bias):
        fn = F.conv1d if self._nd == 1 else F.conv2d
        if self.padding_mode != "zeros":
            padded = _pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return fn(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return fn(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) (see ``ember.nn.functional.conv1d`` for the formula).

    Torch parity: same arguments, defaults, parameter names/shapes, initialisation and errors as
    torch.nn.Conv1d; padding_mode 'zeros', 'reflect', 'replicate', 'circular'.
    Example:  >>> nn.Conv1d(4, 8, 3, padding="same")(ember.randn(2, 4, 16)).shape  # (2, 8, 16)
    """

    _nd = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0, groups, bias,
                         padding_mode, device, dtype)


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) (see ``ember.nn.functional.conv2d`` for the formula).

    Torch parity: same arguments, defaults, parameter names/shapes, initialisation and errors as
    torch.nn.Conv2d; padding_mode 'zeros', 'reflect', 'replicate', 'circular'. Outputs are stored
    channel-major (``is_contiguous()`` is False), which makes im2col and its backward copy-free.
    Reference: LeCun et al., "Gradient-based learning applied to document recognition", Proc. IEEE 1998.
    Example:  >>> nn.Conv2d(1, 16, 3)(ember.randn(64, 1, 28, 28)).shape  # (64, 16, 26, 26)
    """

    _nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0, groups, bias,
                         padding_mode, device, dtype)


class _ConvTransposeNd(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
                 dilation, padding_mode, device, dtype):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__} does not support string padding")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, True, output_padding,
                         groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input, output_size):
        """output_padding that makes the output exactly ``output_size`` (torch's rule), or the attribute."""
        if output_size is None:
            return self.output_padding
        n = self._nd
        output_size = list(output_size)[-n:]
        if len(output_size) != n:
            raise ValueError(f"ConvTranspose{n}D: for {input.dim()}D input, output_size must have {n} or {n + 2} elements (got {len(output_size)})")
        pads = []
        for d in range(n):
            size_in = input.shape[input.dim() - n + d]
            lo = (size_in - 1) * self.stride[d] - 2 * self.padding[d] + self.dilation[d] * (self.kernel_size[d] - 1) + 1
            hi = lo + self.stride[d] - 1
            if not lo <= output_size[d] <= hi:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from "
                    f"{[lo]} to {[hi]} (for an input of {list(input.shape[2:])})"
                )
            pads.append(output_size[d] - lo)
        return tuple(pads)

    def forward(self, input, output_size=None):
        fn = F.conv_transpose1d if self._nd == 1 else F.conv_transpose2d
        op = self._output_padding(input, output_size)
        return fn(input, self.weight, self.bias, self.stride, self.padding, op, self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution (see ``ember.nn.functional.conv_transpose1d``).

    Torch parity: same arguments, parameter shapes, initialisation and errors as torch.nn.ConvTranspose1d.
    """

    _nd = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
                         dilation, padding_mode, device, dtype)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution (see ``ember.nn.functional.conv_transpose2d``); ``forward(input, output_size=None)``.

    Torch parity: same arguments, parameter shapes, initialisation, output_size rule and errors as
    torch.nn.ConvTranspose2d.
    Example:  >>> nn.ConvTranspose2d(8, 4, 2, stride=2)(ember.randn(1, 8, 5, 5)).shape  # (1, 4, 10, 10)
    """

    _nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
                         dilation, padding_mode, device, dtype)
