"""``FractionalMaxPool2d`` / ``FractionalMaxPool3d``: max pooling at pseudo-random fractional strides (Graham 2014)."""
from __future__ import annotations

from .._functional import fractional_pool as F
from .module import Module

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d"]


class _FractionalMaxPoolNd(Module):
    """Stores kernel_size, output_size or output_ratio (as tuples), return_indices and the buffer
    ``_random_samples`` (None unless given: then each forward draws new samples)."""

    _nd = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                 _random_samples=None) -> None:
        super().__init__()
        nd, name = self._nd, type(self).__name__
        as_tuple = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,) * nd  # noqa: E731
        self.kernel_size = as_tuple(kernel_size)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = as_tuple(output_size) if output_size is not None else None
        self.output_ratio = as_tuple(output_ratio) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        fn = F.fractional_max_pool2d if self._nd == 2 else F.fractional_max_pool3d
        return fn(input, self.kernel_size, self.output_size, self.output_ratio, self.return_indices,
                  _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """2-d fractional max pooling of (N, C, H, W) or (C, H, W); see ``ember.nn.functional.fractional_max_pool2d``.

    Torch parity: same arguments, errors, repr (no extra_repr) and buffer as torch.nn.FractionalMaxPool2d; the same
    output as torch given the same ``_random_samples``.
    Reference: B. Graham, "Fractional Max-Pooling", 2014. https://arxiv.org/abs/1412.6071
    Example:  >>> nn.FractionalMaxPool2d(3, output_ratio=0.5)(ember.randn(1, 2, 10, 10)).shape  # (1, 2, 5, 5)
    """

    _nd = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """3-d fractional max pooling of (N, C, T, H, W) or (C, T, H, W); see
    ``ember.nn.functional.fractional_max_pool3d``. Torch parity as FractionalMaxPool2d.
    Example:  >>> nn.FractionalMaxPool3d(2, output_size=(3, 3, 3))(ember.randn(1, 2, 6, 6, 6)).shape  # (1, 2, 3, 3, 3)
    """

    _nd = 3
