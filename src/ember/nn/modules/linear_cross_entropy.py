"""``LinearCrossEntropyLoss``: a Linear layer and the cross entropy of its logits, in one module."""
from __future__ import annotations

from .._functional.linear_cross_entropy import LinearCrossEntropyOptions, linear_cross_entropy
from .linear import Linear
from .loss import _WeightedLoss

__all__ = ["LinearCrossEntropyLoss", "LinearCrossEntropyOptions"]


class LinearCrossEntropyLoss(_WeightedLoss):
    """ℓ = cross_entropy(linear(x), t) with a Linear of in_features → C·∏ out_features (stored flat, reshaped to
    (C, *out_features, in_features) in forward); see ``ember.nn.functional.linear_cross_entropy``.

    Args:
        in_features, num_classes: sizes of the input and of the class dimension C.
        out_features: (d₁, …, d_K) for a K-dimensional loss. Default: ().  bias: learnable bias. Default: False.
        reduction, weight, ignore_index (None → −100), label_smoothing, options: as linear_cross_entropy.

    Torch parity: same keyword-only arguments, defaults, errors, extra_repr, state_dict keys (``linear.weight``,
    ``linear.bias``, ``weight``) and Linear initialisation as torch.nn.LinearCrossEntropyLoss.
    Example:  >>> nn.LinearCrossEntropyLoss(5, 10)(ember.randn(2, 5), ember.tensor([3, 7]))
    """

    def __init__(self, in_features: int, num_classes: int, *, out_features: tuple = (), bias: bool = False,
                 device=None, dtype=None, reduction: str = "mean", weight=None, ignore_index=None,
                 label_smoothing: float = 0.0, options=None) -> None:
        if weight is not None and tuple(weight.shape) != (num_classes,):
            raise RuntimeError(f"expected weight shape to be {(num_classes,)}, got {tuple(weight.shape)}")
        if label_smoothing < 0 or label_smoothing > 1.0:
            raise RuntimeError(f"expected label_smoothing to be in range [0, 1], got {label_smoothing}")
        super().__init__(weight=weight, reduction=reduction)
        self.num_classes, self.out_features = num_classes, out_features
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing
        rows = num_classes
        for d in out_features:
            rows *= d
        self.linear = Linear(in_features, rows, bias=bias, device=device, dtype=dtype)
        self.options = options

    def forward(self, input, target):
        w = self.linear.weight.reshape(self.num_classes, *self.out_features, self.linear.in_features)
        b = self.linear.bias.reshape(self.num_classes, *self.out_features) if self.linear.bias is not None else None
        return linear_cross_entropy(input, w, target, linear_bias=b, weight=self.weight, reduction=self.reduction,
                                    ignore_index=self.ignore_index, label_smoothing=self.label_smoothing,
                                    options=self.options)

    def extra_repr(self) -> str:
        return (f"in_features={self.linear.in_features}, num_classes={self.num_classes}, "
                f"out_features={self.out_features}, bias={self.linear.bias is not None}, reduction={self.reduction}, "
                f"ignore_index={self.ignore_index}, label_smoothing={self.label_smoothing}, options={self.options}")
