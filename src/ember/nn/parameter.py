"""``Parameter``: a tensor that a ``Module`` registers as one of its parameters."""
from __future__ import annotations

import numpy as np

from .. import _errors
from ..tensor import Tensor, _to_array


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and is registered when assigned to a Module attribute."""

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            arr = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            arr = data._data
        else:
            arr = _to_array(data)
        if requires_grad and arr.dtype.kind != "f":
            raise _errors.requires_grad_needs_float()
        self._data = arr
        self.requires_grad = requires_grad
        self.grad = None
        self.grad_fn = None
        self._grad_view = None
        self._hooks = None

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (Parameter, (Tensor.detach(self), self.requires_grad))


class Buffer(Tensor):
    """Marker for a tensor that should be registered as a buffer (``torch.nn.Buffer``)."""

    def __init__(self, data, *, persistent: bool = True):
        arr = data._data if isinstance(data, Tensor) else _to_array(data)
        self._data = arr
        self.requires_grad = False
        self.grad = None
        self.grad_fn = None
        self._grad_view = None
        self._hooks = None
        self.persistent = persistent
