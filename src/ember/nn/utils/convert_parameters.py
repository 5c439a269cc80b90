"""``parameters_to_vector`` / ``vector_to_parameters``."""
from __future__ import annotations

import numpy as np

from ...autograd import _versions
from ...autograd.ops.shape import cat
from ...tensor import Tensor


def parameters_to_vector(parameters) -> Tensor:
    """One 1-D tensor holding all parameters, flattened and concatenated (differentiable)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy slices of ``vec`` into the parameters' data, in order.

    Torch parity: same values; torch rebinds each ``param.data`` to a view of ``vec``, ember copies
    into the parameter's own array so that views of it (an optimizer's flat buffer) stay valid. So a
    backward through a graph recorded before, that saved a parameter, raises the in-place error here
    (torch's would use the old values).
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    offset = 0
    for p in parameters:
        n = p.numel()
        np.copyto(p._data, vec._data[offset : offset + n].reshape(p.shape), casting="unsafe")
        _versions.bump(p._data)
        offset += n
