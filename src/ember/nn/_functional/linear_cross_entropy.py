"""``linear_cross_entropy``: cross entropy of linearly projected inputs, and ``LinearCrossEntropyOptions``."""
from __future__ import annotations

import dataclasses
import math
import warnings

from ...autograd.ops.linalg import linear
from .loss import _t, cross_entropy

__all__ = ["linear_cross_entropy"]

_POLICIES = ("auto", "accurate", "balanced", "compact")


@dataclasses.dataclass(slots=True, frozen=True)
class LinearCrossEntropyOptions:
    """torch's options of the chunked linear_cross_entropy (the batch processed in pieces so that the whole logits
    tensor is never held): same fields, defaults and validation as torch.nn.LinearCrossEntropyOptions.

    Torch parity: accepted and validated; ember computes the reference path for every value (the numbers are the
    same to rounding), so the fields change neither results nor memory use.
    """

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None

    def __post_init__(self):
        if self.acc_policy not in _POLICIES:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}")
        if self.chunking_method is not None and self.chunking_method != "auto":
            name, sep, factor = self.chunking_method.partition(":")
            factor = factor if sep else "1"
            if not (name == "aspect_ratio" and factor.isdigit() and int(factor) > 0):
                raise ValueError(f"invalid chunking_method: {self.chunking_method!r}")
        if not (self.batch_chunk_size is None or (isinstance(self.batch_chunk_size, int) and self.batch_chunk_size > 0)):
            raise ValueError(f"batch_chunk_size must be positive int or None, got {self.batch_chunk_size!r}")
        from ... import _dtype

        if self.acc_dtype is not None and self.acc_dtype not in (_dtype.float16, _dtype.bfloat16, _dtype.float32,
                                                                 _dtype.float64):
            raise ValueError(
                "acc_dtype must be one of {None, torch.float16, torch.bfloat16, torch.float32, torch.float64}, got "
                f"{self.acc_dtype!r}. Pass acc_dtype=None to let the op pick automatically.")


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=None, label_smoothing=0.0, options=None):
    """Cross entropy of the logits x·Wᵀ + b against class indices or probabilities:

        linear_cross_entropy(x, W, t) = cross_entropy(linear(x, W, b).reshape(N, C, d₁, …), t)

    Args:
        input: (in_features) or (N, in_features).
        linear_weight: (C, in_features), or (C, d₁, …, d_K, in_features) for a K-dimensional loss (batched input).
        target: class indices () / (N) / (N, d₁, …), or probabilities of the logits' shape.
        linear_bias: (C, d₁, …) or None.  weight, reduction, label_smoothing: as ``cross_entropy``.
        ignore_index: None (→ −100 for class indices; an error with probabilities) or a class index.
        options: a LinearCrossEntropyOptions (accepted; see its docstring) or None.

    Torch parity: values, gradients, shapes and errors as torch.nn.functional.linear_cross_entropy's reference path,
    including its warning when ``options`` is given for a configuration its chunked path does not take.
    Example:  >>> F.linear_cross_entropy(ember.randn(4, 3), ember.randn(5, 3), ember.tensor([0, 4, 2, 1]))
    """
    input, linear_weight, target = _t(input), _t(linear_weight), _t(target)
    if not 1 <= input.dim() <= 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got {linear_weight.dim()}")
    batch, in_features = tuple(input.shape[:-1]), input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError("expected equal input and linear_weight last dimensions (in_features), "
                           f"got {in_features} and {linear_weight.shape[-1]}, respectively")
    C, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (C, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(C, *out_features)}, got {tuple(linear_bias.shape)}")
    if out_features and not batch:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} requires"
                           f" batched input, (N, {in_features}), got unbatched input with shape {tuple(input.shape)}")
    logits_shape = (*batch, C, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    if options is not None and (out_features or reduction not in ("mean", "sum", "none") or label_smoothing != 0.0
                                or target._data.dtype.name != "int64"):
        bias_shape = tuple(linear_bias.shape) if linear_bias is not None else None
        warnings.warn(
            "linear_cross_entropy: ``options`` ignored; chunked path needs reduction in {'mean','sum','none'}, "
            "label_smoothing == 0, target.dtype == int64, out_features == (). Got "
            f"reduction={reduction!r}, label_smoothing={label_smoothing}, target.dtype={target.dtype}, "
            f"out_features={out_features}, tracing=False, linear_bias.shape={bias_shape}.", stacklevel=2)
    rows = math.prod(out_features, start=C)
    w2 = linear_weight.reshape(rows, in_features) if out_features else linear_weight
    b2 = linear_bias.reshape(rows) if out_features and linear_bias is not None else linear_bias
    logits = linear(input, w2, b2).reshape(*logits_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction,
                         ignore_index=-100 if ignore_index is None else ignore_index, label_smoothing=label_smoothing)
