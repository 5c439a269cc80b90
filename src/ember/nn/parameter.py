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
        if requires_grad and arr.dtype.kind not in "fc":
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


_SLOT_DATA = Tensor.__dict__["_data"]  # the storage slot (its descriptor), which the uninitialised classes below hide
# behind a property


class UninitializedTensorMixin:
    """A parameter or buffer whose shape is not known yet (the Lazy modules'); ``materialize(shape)`` gives it
    storage and turns it into its ``cls_to_become``. Until then only ``dtype``, ``requires_grad`` and ``repr``
    work: reading its values raises ValueError and its shape RuntimeError, as torch's."""

    __slots__ = ()
    cls_to_become: type  # set by each subclass

    @property
    def _data(self):
        raise ValueError(
            "Attempted to use an uninitialized parameter in an operation. This error happens when you are using a "
            f"`LazyModule` or explicitly manipulating `torch.nn.parameter.{type(self).__name__}` objects. When using "
            "LazyModules Call `forward` with a dummy batch to initialize the parameters before calling torch functions")

    @_data.setter
    def _data(self, value):
        _SLOT_DATA.__set__(self, value)

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
            "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
            "`forward` to initialize the parameters before accessing their attributes.")

    @property
    def dtype(self):
        from .. import _dtype

        return _dtype._FROM_NP[_SLOT_DATA.__get__(self).dtype]

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give this tensor uninitialised storage of ``shape`` (``dtype``: default its own) and make it a
        ``cls_to_become``."""
        from .. import _dtype

        np_dtype = _SLOT_DATA.__get__(self).dtype if dtype is None else _dtype.to_dtype(dtype).np
        _SLOT_DATA.__set__(self, np.empty(tuple(shape), dtype=np_dtype))
        self.__class__ = self.cls_to_become

    def _apply_to_placeholder(self, fn) -> None:
        """``Module._apply``'s ``fn`` on the empty placeholder: a cast before the first forward sets the dtype
        the tensor will be materialized with, as torch's."""
        from ..tensor import _wrap

        _SLOT_DATA.__set__(self, fn(_wrap(_SLOT_DATA.__get__(self)))._data)

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
                           "initialize the parameters before calling `module.share_memory()`.")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, proto):
        return (type(self), (self.requires_grad,))

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, dtype=self.dtype)
        return memo[id(self)]


def _empty(dtype):
    from .. import _dtype

    return np.empty((0,), dtype=np.float32 if dtype is None else _dtype.to_dtype(dtype).np)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A ``Parameter`` whose shape a Lazy module infers at its first forward (``materialize``)."""

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        super().__init__(_empty(dtype), requires_grad)


class UninitializedBuffer(UninitializedTensorMixin, Buffer):
    """A buffer whose shape a Lazy module infers at its first forward (``materialize``).

    Torch parity: once materialized it is a ``Buffer`` (a Tensor subclass) where torch's becomes a plain Tensor.
    """

    cls_to_become = Buffer

    def __init__(self, requires_grad: bool = False, device=None, dtype=None, persistent: bool = True) -> None:
        super().__init__(_empty(dtype), persistent=persistent)
        self.requires_grad = requires_grad


def is_lazy(param) -> bool:
    """Whether ``param`` is an uninitialised parameter or buffer."""
    return isinstance(param, UninitializedTensorMixin)
