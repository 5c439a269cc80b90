"""``parameters_to_vector`` / ``vector_to_parameters``."""
from __future__ import annotations

from ...autograd.ops.shape import cat
from ...tensor import Tensor


def parameters_to_vector(parameters) -> Tensor:
    """One 1-D tensor holding all parameters, flattened and concatenated (differentiable)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy slices of ``vec`` into the parameters' data, in order."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    offset = 0
    for p in parameters:
        n = p.numel()
        p._data = vec._data[offset : offset + n].reshape(p.shape).copy()
        offset += n
