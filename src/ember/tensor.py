"""``Tensor``: one NumPy array plus what autograd needs (``requires_grad``, ``grad``, ``grad_fn``).

The arithmetic, math, reduction, shape and indexing methods are the differentiable ops of
``ember.autograd.ops``; ``ember.autograd.ops`` attaches them to this class when it is
imported (ember's ``__init__`` does that). This file holds what is not an op: creation,
conversion, printing, ``backward`` and the in-place machinery.
"""
from __future__ import annotations

import builtins
import sys
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _dtype
from ._backend import CPU, check_device
_new = object.__new__
# NumPy's scalar types: an op on 0-d arrays returns one of these, and a tensor keeps a 0-d array instead (in place
# ops need one)
_SCALAR_TYPES = {t: t for t in (np.bool_, np.float16, np.float32, np.float64, np.int8, np.uint8, np.int16, np.int32,
                                np.int64, np.uint16, np.uint32, np.uint64, np.complex64, np.complex128)}


def _wrap(data: np.ndarray) -> "Tensor":
    """A tensor over ``data`` that requires no gradient (no copy)."""
    t = _new(Tensor)
    t._data = data if data.__class__ is not _SCALAR_TYPES.get(data.__class__) else np.asarray(data)
    t.requires_grad = False
    t._grad = None
    t.grad_fn = None
    t._grad_view = None
    t._hooks = None
    return t


def _make(data: np.ndarray, grad_fn) -> "Tensor":
    """The result of a recorded op: requires grad, produced by ``grad_fn``."""
    t = _new(Tensor)
    t._data = data if data.__class__ is not _SCALAR_TYPES.get(data.__class__) else np.asarray(data)
    t.requires_grad = True
    t._grad = None
    t.grad_fn = grad_fn
    t._grad_view = None
    t._hooks = None
    return t


def _to_array(data, dtype=None) -> np.ndarray:
    """Convert Python data / arrays / tensors to an array with torch's dtype inference."""
    if isinstance(data, Tensor):
        arr = data._data
        return arr if dtype is None else arr.astype(dtype, copy=False)
    if isinstance(data, np.ndarray):
        return data if dtype is None else data.astype(dtype, copy=False)
    if isinstance(data, (list, tuple)) and data and any(isinstance(x, Tensor) for x in data):
        data = [x._data if isinstance(x, Tensor) else x for x in data]
    arr = np.asarray(data, dtype=dtype)
    if dtype is None:
        if arr.dtype.kind == "f" and not isinstance(data, np.generic):
            arr = arr.astype(_dtype.get_default_dtype().np)
        elif arr.dtype.kind in "iu" and arr.dtype != np.int64 and not isinstance(data, np.generic):
            arr = arr.astype(np.int64)
        elif arr.dtype.kind not in "fiub":
            raise TypeError(f"can't convert data of type {type(data).__name__} (numpy dtype {arr.dtype}) to a tensor")
    return arr


class Tensor:
    """A multi-dimensional array with automatic differentiation, like ``torch.Tensor``.

    ``Tensor(data)`` builds a float tensor from data; ``Tensor(*sizes)`` an uninitialised
    float tensor of that shape (use ``ember.tensor`` to keep the data's dtype).
    """

    __slots__ = ("_data", "requires_grad", "_grad", "grad_fn", "_grad_view", "_hooks", "__weakref__")
    __array_priority__ = 1000  # so that ndarray (op) Tensor defers to Tensor's reflected operators

    def __init__(self, *args, dtype=None, device=None, requires_grad=False):
        check_device(device)
        np_dt = _dtype.np_dtype(dtype) or _dtype.get_default_dtype().np
        if len(args) == 1 and not isinstance(args[0], (builtins.int, np.integer)):
            data = np.array(_to_array(args[0]), dtype=np_dt)
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], tuple) else args
            data = np.empty(tuple(builtins.int(s) for s in shape), dtype=np_dt)
        self._data = data
        self.requires_grad = requires_grad
        self._grad = None
        self.grad_fn = None
        self._grad_view = None
        self._hooks = None

    # ---- basic properties -------------------------------------------------------------
    @property
    def data(self) -> "Tensor":
        """A tensor sharing this one's memory, detached from the graph and, as torch's ``.data``, not tracked by
        the check of in-place changes to saved arrays (autograd/_versions.py); ``detach()`` is tracked."""
        t = _wrap(self._data)
        t.__class__ = _DataTensor
        return t

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        s = self._data.shape
        if dim is None:
            return Size(s)
        return s[_canon_dim(dim, len(s))]

    @property
    def dtype(self):
        return _dtype._FROM_NP[self._data.dtype]

    @property
    def device(self):
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def nelement(self) -> int:
        return self._data.size

    def element_size(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self, memory_format=None) -> bool:
        return self._data.flags.c_contiguous

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_canon_dim(dim, len(st))]

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def T(self):
        return self.permute(*range(self._data.ndim - 1, -1, -1))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    # ---- conversion -------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype, copy=False)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self):
        return builtins.float(self.item())

    def __int__(self):
        return builtins.int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous")
        return builtins.bool(self._data.reshape(()).item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self):
        return id(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data, self.requires_grad))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment."
            )
        new = type(self).__new__(type(self))
        new._data = self._data.copy()
        new.requires_grad = self.requires_grad
        new.grad = None if self.grad is None else _wrap(self.grad._data.copy())
        new.grad_fn = None
        new._grad_view = None
        new._hooks = None
        for k, v in getattr(self, "__dict__", {}).items():
            new.__dict__[k] = v
        memo[id(self)] = new
        return new

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False):
        """Convert dtype (and check the device): ``to(dtype)``, ``to(device)``, ``to(tensor)``."""
        dtype, device = _to_args(args, dtype, device)
        if dtype is None or _dtype.np_dtype(dtype) == self._data.dtype:
            return self.clone() if copy else self
        return self._cast(_dtype.np_dtype(dtype))

    def type(self, dtype=None):
        if dtype is None:
            return "ember." + {"f": "Float", "i": "Long", "b": "Bool"}.get(self._data.dtype.kind, "") + "Tensor"
        return self.to(dtype)

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        check_device("cuda")

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def bool(self):
        return self.to(_dtype.bool)

    def type_as(self, other):
        return self.to(other.dtype)

    # ---- autograd ---------------------------------------------------------------------
    def detach(self) -> "Tensor":
        return _wrap(self._data)

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if not self.is_leaf and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed variable "
                "in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
            )
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self.grad_fn._retained = weakref.ref(self)

    @property
    def grad(self):
        """The gradient accumulated by backward (None until one reaches this tensor), or the tensor assigned."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_CPP_NAMES.get(value._data.dtype.name)}' to a "
                    f"tensor with grad_dtype '{_dtype.scalar_name(self._data.dtype)}'. The gradient must match the "
                    "tensor's grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype "
                    "attribute with a specific dtype, or None to allow any dtype. Set grad_dtype with caution. "
                    "Diverging the dtypes of a tensor and its gradient may break downstream systems that assume "
                    "they match."
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a tensor of size "
                    f"'{list(self._data.shape)}'. Please ensure that the gradient and the tensor are the same size"
                )
        try:
            old = self._grad
        except AttributeError:  # a subclass's __init__ assigning grad = None first
            old = None
        if (old is not None and old is not value and old._data is self._grad_view
                and sys.getrefcount(old) > _REFS_ALONE):
            # the outgoing gradient lies in this tensor's gradient buffer, which later backwards overwrite, and
            # someone still holds it: it keeps its values in its own memory, as a replaced torch gradient does
            old._data = old._data.copy()
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and self.grad_fn._retained is not None

    def register_hook(self, hook):
        """Register ``hook(grad) -> Tensor or None``, called with this tensor's gradient."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            if self.grad_fn._hooks is None:
                self.grad_fn._hooks = []
            hooks = self.grad_fn._hooks
        else:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see ``ember.autograd.backward``)."""
        from .autograd import backward

        backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)

    # ---- printing ---------------------------------------------------------------------
    def __repr__(self) -> str:
        return _format(self)

    __str__ = __repr__

    def __format__(self, spec):
        if self._data.ndim == 0 and spec:
            return format(self.item(), spec)
        return repr(self)

    # ---- in-place machinery -----------------------------------------------------------
    def _check_inplace(self):
        if self.requires_grad and self.grad_fn is None and _state.enabled:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")

    def _rebind(self, out: "Tensor") -> "Tensor":
        """Make ``self`` the result ``out`` of an out-of-place op (in-place ops while recording)."""
        self._data = out._data
        self.grad_fn = out.grad_fn
        self.requires_grad = out.requires_grad
        return self

    def _relocate(self, data=None, grad=None) -> None:
        """This tensor's storage now lives in a buffer that someone else owns (an optimizer's or DDP's flat
        buffers, a checkpoint's storage). ``data``: the array that holds its values from now on (same shape and
        dtype; the caller has put the values there). ``grad``: the array that backward accumulates its gradient
        into from now on, while ``grad`` is None. Identity, ``grad``, ``requires_grad`` and history are kept."""
        if data is not None:
            self._data = data
        if grad is not None:
            self._grad_view = grad

    def _snapshot(self) -> "Tensor":
        """A tensor standing for ``self`` as it is now (same array and history)."""
        t = _make(self._data, self.grad_fn) if self.requires_grad else _wrap(self._data)
        return t

    def _cast(self, np_dt) -> "Tensor":
        from .autograd.ops.elementwise import Cast

        if np_dt.kind not in "fc":  # an integer or bool result is not differentiable: no graph, as torch
            return _wrap(self._data.astype(np_dt))
        return Cast.apply(self, dtype=np_dt)

    if TYPE_CHECKING:  # generated by tools/gen_tensor_methods.py from the op tables (autograd/ops/__init__.py)
        def __abs__(self) -> Tensor: ...
        def __add__(self, y: Any, *, alpha: Any = ...) -> Tensor: ...
        def __and__(self, y: Any) -> Tensor: ...
        def __eq__(self, y: Any) -> Tensor: ...
        def __floordiv__(self, y: Any) -> Tensor: ...
        def __ge__(self, y: Any) -> Tensor: ...
        def __getitem__(self, idx: Any) -> Tensor: ...
        def __gt__(self, y: Any) -> Tensor: ...
        def __iadd__(self, other: Any, *, alpha: Any = ...) -> Tensor: ...
        def __imul__(self, other: Any, *, alpha: Any = ...) -> Tensor: ...
        def __invert__(self) -> Tensor: ...
        def __isub__(self, other: Any, *, alpha: Any = ...) -> Tensor: ...
        def __itruediv__(self, other: Any, *, alpha: Any = ...) -> Tensor: ...
        def __le__(self, y: Any) -> Tensor: ...
        def __lt__(self, y: Any) -> Tensor: ...
        def __matmul__(self, y: Any) -> Tensor: ...
        def __mod__(self, y: Any) -> Tensor: ...
        def __mul__(self, y: Any) -> Tensor: ...
        def __ne__(self, y: Any) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __or__(self, y: Any) -> Tensor: ...
        def __pos__(self) -> Tensor: ...
        def __pow__(self, e: Any) -> Tensor: ...
        def __radd__(self, y: Any) -> Tensor: ...
        def __rand__(self, y: Any) -> Tensor: ...
        def __rfloordiv__(self, y: Any) -> Tensor: ...
        def __rmatmul__(self, y: Any) -> Tensor: ...
        def __rmod__(self, y: Any) -> Tensor: ...
        def __rmul__(self, y: Any) -> Tensor: ...
        def __ror__(self, y: Any) -> Tensor: ...
        def __rpow__(self, s: Any) -> Tensor: ...
        def __rsub__(self, y: Any) -> Tensor: ...
        def __rtruediv__(self, y: Any) -> Tensor: ...
        def __rxor__(self, y: Any) -> Tensor: ...
        def __setitem__(self, idx: Any, value: Any) -> None: ...
        def __sub__(self, y: Any, *, alpha: Any = ...) -> Tensor: ...
        def __truediv__(self, y: Any, *, rounding_mode: Any = ...) -> Tensor: ...
        def __xor__(self, y: Any) -> Tensor: ...
        def abs(self) -> Tensor: ...
        def abs_(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def absolute(self) -> Tensor: ...
        def add(self, y: Any, *, alpha: Any = ...) -> Tensor: ...
        def add_(self, other: Any, *, alpha: Any = ...) -> Tensor: ...
        def addbmm(self, batch1: Any, batch2: Any, *, beta: Any = ..., alpha: Any = ...) -> Tensor: ...
        def addbmm_(self, b1: Any, b2: Any, *, beta: Any = ..., alpha: Any = ...) -> Tensor: ...
        def addcdiv(self, tensor1: Any, tensor2: Any, *, value: Any = ...) -> Tensor: ...
        def addcdiv_(self, tensor1: Any, tensor2: Any, *, value: Any = ...) -> Tensor: ...
        def addcmul(self, tensor1: Any, tensor2: Any, *, value: Any = ...) -> Tensor: ...
        def addcmul_(self, tensor1: Any, tensor2: Any, *, value: Any = ...) -> Tensor: ...
        def addmm(self, mat1: Any, mat2: Any, *, beta: Any = ..., alpha: Any = ...) -> Tensor: ...
        def addmm_(self, mat1: Any, mat2: Any, *, beta: Any = ..., alpha: Any = ...) -> Tensor: ...
        def addmv(self, mat: Any, vec: Any, *, beta: Any = ..., alpha: Any = ...) -> Tensor: ...
        def addmv_(self, mat: Any, vec: Any, *, beta: Any = ..., alpha: Any = ...) -> Tensor: ...
        def addr(self, vec1: Any, vec2: Any, *, beta: Any = ..., alpha: Any = ...) -> Tensor: ...
        def addr_(self, vec1: Any, vec2: Any, *, beta: Any = ..., alpha: Any = ...) -> Tensor: ...
        def all(self, dim: Any = ..., keepdim: Any = ...) -> Tensor: ...
        def allclose(self, b: Any, rtol: Any = ..., atol: Any = ..., equal_nan: Any = ...) -> bool: ...
        def amax(self, dim: Any = ..., keepdim: Any = ...) -> Tensor: ...
        def amin(self, dim: Any = ..., keepdim: Any = ...) -> Tensor: ...
        def any(self, dim: Any = ..., keepdim: Any = ...) -> Tensor: ...
        def argmax(self, dim: Any = ..., keepdim: Any = ...) -> Tensor: ...
        def argmin(self, dim: Any = ..., keepdim: Any = ...) -> Tensor: ...
        def baddbmm(self, batch1: Any, batch2: Any, *, beta: Any = ..., alpha: Any = ...) -> Tensor: ...
        def baddbmm_(self, b1: Any, b2: Any, *, beta: Any = ..., alpha: Any = ...) -> Tensor: ...
        def bernoulli_(self, p: Any = ..., *, generator: Any = ...) -> Tensor: ...
        def bmm(self, y: Any) -> Tensor: ...
        def ceil(self) -> Tensor: ...
        def cholesky(self, upper: Any = ...) -> Tensor: ...
        def cholesky_inverse(self, upper: Any = ...) -> Tensor: ...
        def cholesky_solve(self, input2: Any, upper: Any = ...) -> Tensor: ...
        def chunk(self, chunks: Any, dim: Any = ...) -> tuple[Tensor, ...]: ...
        def clamp(self, min: Any = ..., max: Any = ...) -> Tensor: ...
        def clamp_(self, min: Any = ..., max: Any = ...) -> Tensor: ...
        def clamp_max(self, max: Any) -> Tensor: ...
        def clamp_max_(self, max: Any) -> Tensor: ...
        def clamp_min(self, min: Any) -> Tensor: ...
        def clamp_min_(self, min: Any) -> Tensor: ...
        def clip(self, min: Any = ..., max: Any = ...) -> Tensor: ...
        def clip_(self, min: Any = ..., max: Any = ...) -> Tensor: ...
        def clone(self, *, memory_format: Any = ...) -> Tensor: ...
        def contiguous(self, memory_format: Any = ...) -> Tensor: ...
        def copy_(self, src: Any, non_blocking: Any = ...) -> Tensor: ...
        def cos(self) -> Tensor: ...
        def count_nonzero(self, dim: Any = ...) -> Tensor: ...
        def cross(self, other: Any, dim: Any = ...) -> Tensor: ...
        def cumsum(self, dim: Any, *, dtype: Any = ...) -> Tensor: ...
        def det(self) -> Tensor: ...
        def digamma(self, *, out: Any = ...) -> Tensor: ...
        def dist(self, other: Any, p: Any = ...) -> Tensor: ...
        def div(self, y: Any, *, rounding_mode: Any = ...) -> Tensor: ...
        def div_(self, other: Any, *, alpha: Any = ...) -> Tensor: ...
        def divide(self, y: Any, *, rounding_mode: Any = ...) -> Tensor: ...
        def dot(self, y: Any) -> Tensor: ...
        def eq(self, y: Any) -> Tensor: ...
        def equal(self, b: Any) -> bool: ...
        def erf(self, *, out: Any = ...) -> Tensor: ...
        def erfc(self, *, out: Any = ...) -> Tensor: ...
        def erfinv(self, *, out: Any = ...) -> Tensor: ...
        def exp(self) -> Tensor: ...
        def exp_(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def expand(self, *shape: Any) -> Tensor: ...
        def expand_as(self, other: Any) -> Tensor: ...
        def expm1(self) -> Tensor: ...
        def exponential_(self, lambd: Any = ..., *, generator: Any = ...) -> Tensor: ...
        def fill_(self, value: Any) -> Tensor: ...
        def flatten(self, start_dim: Any = ..., end_dim: Any = ...) -> Tensor: ...
        def flip(self, dims_: Any) -> Tensor: ...
        def floor(self) -> Tensor: ...
        def floor_divide(self, y: Any) -> Tensor: ...
        def gather(self, dim: Any, index: Any, *, sparse_grad: Any = ...) -> Tensor: ...
        def ge(self, y: Any) -> Tensor: ...
        def ger(self, y: Any) -> Tensor: ...
        def greater(self, y: Any) -> Tensor: ...
        def gt(self, y: Any) -> Tensor: ...
        def i0(self, *, out: Any = ...) -> Tensor: ...
        def index_fill_(self, dim: Any, index: Any, value: Any) -> Tensor: ...
        def index_select(self, dim: Any, index: Any) -> Tensor: ...
        def inner(self, other: Any) -> Tensor: ...
        def inverse(self) -> Tensor: ...
        def isclose(self, b: Any, rtol: Any = ..., atol: Any = ..., equal_nan: Any = ...) -> Tensor: ...
        def isfinite(self) -> Tensor: ...
        def isinf(self) -> Tensor: ...
        def isnan(self) -> Tensor: ...
        def kron(self, other: Any) -> Tensor: ...
        def le(self, y: Any) -> Tensor: ...
        def lerp(self, end: Any, weight: Any) -> Tensor: ...
        def lerp_(self, end: Any, weight: Any) -> Tensor: ...
        def less(self, y: Any) -> Tensor: ...
        def lgamma(self, *, out: Any = ...) -> Tensor: ...
        def log(self) -> Tensor: ...
        def log10(self) -> Tensor: ...
        def log1p(self) -> Tensor: ...
        def log2(self) -> Tensor: ...
        def log_(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def log_softmax(self, dim: Any = ..., dtype: Any = ...) -> Tensor: ...
        def logdet(self) -> Tensor: ...
        def logical_and(self, y: Any) -> Tensor: ...
        def logical_not(self) -> Tensor: ...
        def logical_or(self, y: Any) -> Tensor: ...
        def logical_xor(self, y: Any) -> Tensor: ...
        def logsumexp(self, dim: Any, keepdim: Any = ...) -> Tensor: ...
        def lt(self, y: Any) -> Tensor: ...
        def masked_fill(self, mask: Any, value: Any) -> Tensor: ...
        def masked_fill_(self, mask: Any, value: Any) -> Tensor: ...
        def masked_select(self, mask: Any) -> Tensor: ...
        def matmul(self, y: Any) -> Tensor: ...
        def matrix_exp(self) -> Tensor: ...
        def matrix_power(self, n: Any) -> Tensor: ...
        def max(self, dim: Any = ..., keepdim: Any = ...) -> Any: ...
        def maximum(self, y: Any) -> Tensor: ...
        def mean(self, dim: Any = ..., keepdim: Any = ..., *, dtype: Any = ...) -> Tensor: ...
        def min(self, dim: Any = ..., keepdim: Any = ...) -> Any: ...
        def minimum(self, y: Any) -> Tensor: ...
        def mm(self, y: Any) -> Tensor: ...
        def mul(self, y: Any) -> Tensor: ...
        def mul_(self, other: Any, *, alpha: Any = ...) -> Tensor: ...
        def multiply(self, y: Any) -> Tensor: ...
        def mv(self, vec: Any) -> Tensor: ...
        def ne(self, y: Any) -> Tensor: ...
        def neg(self) -> Tensor: ...
        def neg_(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def negative(self) -> Tensor: ...
        def new_empty(self, size: Any, *rest: Any, dtype: Any = ..., device: Any = ..., requires_grad: Any = ...) -> Tensor: ...
        def new_full(self, size: Any, fill_value: Any, **kw: Any) -> Tensor: ...
        def new_ones(self, size: Any, *rest: Any, dtype: Any = ..., device: Any = ..., requires_grad: Any = ...) -> Tensor: ...
        def new_tensor(self, data: Any, dtype: Any = ..., device: Any = ..., requires_grad: Any = ...) -> Tensor: ...
        def new_zeros(self, size: Any, *rest: Any, dtype: Any = ..., device: Any = ..., requires_grad: Any = ...) -> Tensor: ...
        def nonzero(self, *, as_tuple: Any = ...) -> Tensor: ...
        def norm(self, p: Any = ..., dim: Any = ..., keepdim: Any = ..., dtype: Any = ...) -> Tensor: ...
        def normal_(self, mean: Any = ..., std: Any = ..., *, generator: Any = ...) -> Tensor: ...
        def outer(self, y: Any) -> Tensor: ...
        def permute(self, *axes: Any) -> Tensor: ...
        def pinverse(self, rcond: Any = ...) -> Tensor: ...
        def polygamma(self, n: Any) -> Tensor: ...
        def pow(self, e: Any) -> Tensor: ...
        def pow_(self, other: Any, *, alpha: Any = ...) -> Tensor: ...
        def prod(self, dim: Any = ..., keepdim: Any = ..., *, dtype: Any = ...) -> Tensor: ...
        def qr(self, some: Any = ...) -> Tensor: ...
        def reciprocal(self) -> Tensor: ...
        def reciprocal_(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def relu(self) -> Tensor: ...
        def relu_(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def remainder(self, y: Any) -> Tensor: ...
        def repeat(self, *reps: Any) -> Tensor: ...
        def reshape(self, *shape: Any) -> Tensor: ...
        def reshape_as(self, other: Any) -> Tensor: ...
        def round(self, *, decimals: Any = ...) -> Tensor: ...
        def rsqrt(self) -> Tensor: ...
        def scatter(self, dim: Any, index: Any, src: Any = ..., *, value: Any = ..., reduce: Any = ...) -> Tensor: ...
        def scatter_(self, dim: Any, index: Any, src: Any = ..., *, value: Any = ..., reduce: Any = ...) -> Tensor: ...
        def scatter_add(self, dim: Any, index: Any, src: Any) -> Tensor: ...
        def scatter_add_(self, dim: Any, index: Any, src: Any) -> Tensor: ...
        def sigmoid(self) -> Tensor: ...
        def sigmoid_(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def sign(self) -> Tensor: ...
        def sin(self) -> Tensor: ...
        def slogdet(self) -> Tensor: ...
        def softmax(self, dim: Any = ..., dtype: Any = ...) -> Tensor: ...
        def split(self, split_size_or_sections: Any, dim: Any = ...) -> tuple[Tensor, ...]: ...
        def sqrt(self) -> Tensor: ...
        def sqrt_(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def square(self) -> Tensor: ...
        def squeeze(self, dim: Any = ...) -> Tensor: ...
        def std(self, dim: Any = ..., unbiased: Any = ..., keepdim: Any = ..., *, correction: Any = ...) -> Tensor: ...
        def sub(self, y: Any, *, alpha: Any = ...) -> Tensor: ...
        def sub_(self, other: Any, *, alpha: Any = ...) -> Tensor: ...
        def subtract(self, y: Any, *, alpha: Any = ...) -> Tensor: ...
        def sum(self, dim: Any = ..., keepdim: Any = ..., *, dtype: Any = ...) -> Tensor: ...
        def svd(self, some: Any = ..., compute_uv: Any = ...) -> Tensor: ...
        def swapaxes(self, dim0: Any, dim1: Any) -> Tensor: ...
        def t(self) -> Tensor: ...
        def take_along_dim(self, indices: Any, dim: Any = ...) -> Tensor: ...
        def tanh(self) -> Tensor: ...
        def tanh_(self, *args: Any, **kwargs: Any) -> Tensor: ...
        def transpose(self, dim0: Any, dim1: Any) -> Tensor: ...
        def triangular_solve(self, A: Any, upper: Any = ..., transpose: Any = ..., unitriangular: Any = ...) -> Tensor: ...
        def true_divide(self, y: Any, *, rounding_mode: Any = ...) -> Tensor: ...
        def trunc(self) -> Tensor: ...
        def unbind(self, dim: Any = ...) -> tuple[Tensor, ...]: ...
        def unflatten(self, dim: Any, sizes: Any) -> Tensor: ...
        def uniform_(self, a: Any = ..., b: Any = ..., *, generator: Any = ...) -> Tensor: ...
        def unsqueeze(self, dim: Any) -> Tensor: ...
        def var(self, dim: Any = ..., unbiased: Any = ..., keepdim: Any = ..., *, correction: Any = ...) -> Tensor: ...
        def vdot(self, other: Any) -> Tensor: ...
        def view(self, *shape: Any) -> Tensor: ...
        def view_as(self, other: Any) -> Tensor: ...
        def where(self, condition: Any, y: Any) -> Tensor: ...
        def zero_(self) -> Tensor: ...
    # end of the generated block


# torch's C++ type names of the dtypes, as its grad-assignment error prints the gradient's
_CPP_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double", "int8": "signed char",
              "uint8": "unsigned char", "int16": "short int", "int32": "int", "int64": "long int", "bool": "bool"}


def _refs_alone() -> int:
    """sys.getrefcount of a replaced gradient that nothing but its tensor holds, counted as the grad setter
    counts it."""
    t = _wrap(np.empty(0))
    t._grad = _wrap(np.empty(0))
    old = t._grad
    return sys.getrefcount(old)


_REFS_ALONE = _refs_alone()


class _DataTensor(Tensor):
    """What ``Tensor.data`` returns: a plain tensor whose in-place changes are not version-tracked."""

    __slots__ = ()


class Size(tuple):
    """Shape of a tensor: a tuple that prints as ``ember.Size([...])``."""

    def __repr__(self):
        return f"ember.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


class _RemovableHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _to_args(args, dtype=None, device=None):
    """Split the positional arguments of ``Tensor.to`` / ``Module.to`` into (dtype, device); checks the device."""
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, (_dtype.dtype, type, np.dtype)):
            dtype = a
        else:
            device = a
    check_device(device)
    return dtype, device


def _rebuild(data, requires_grad):
    t = _wrap(data)
    t.requires_grad = requires_grad
    return t


def _canon_dim(dim, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


_LINEWIDTH, _PRECISION, _THRESHOLD, _EDGEITEMS = 80, 4, 1000, 3


class _Formatter:
    """Chooses one number format and width for all elements, the way torch prints tensors:
    integer-valued floats as ``1.``, scientific notation when the nonzero magnitudes span more
    than 1000× (or exceed 1e8, or go below 1e-4), else 4 decimals; every element right-aligned."""

    def __init__(self, a: np.ndarray):
        self.floating = a.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        flat = a.reshape(-1)
        if not self.floating:
            self.width = builtins.max((len(str(v)) for v in flat.tolist()), default=1)
            return
        vals = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if vals.size == 0:
            return
        mags = np.abs(vals)
        lo, hi = mags.min(), mags.max()
        self.int_mode = builtins.bool(np.all(vals == np.ceil(vals)))
        self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or (not self.int_mode and lo < 1.0e-4)
        if self.sci_mode:
            strs = [f"{v:.{_PRECISION}e}" for v in vals.tolist()]
        elif self.int_mode:
            strs = [f"{v:.0f}." for v in vals.tolist()]
        else:
            strs = [f"{v:.{_PRECISION}f}" for v in vals.tolist()]
        self.width = builtins.max(len(x) for x in strs)

    def __call__(self, v) -> str:
        if self.floating:
            if self.sci_mode:
                out = f"{v:.{_PRECISION}e}"
            elif self.int_mode:
                out = f"{v:.0f}" + ("" if v != v or v in (float("inf"), float("-inf")) else ".")
            else:
                out = f"{v:.{_PRECISION}f}"
        else:
            out = str(v)
        return " " * (self.width - len(out)) + out


def _summary(a: np.ndarray) -> np.ndarray:
    """The edge items of ``a`` along every dimension (what a summarized print shows)."""
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * _EDGEITEMS:
        parts = [a[:_EDGEITEMS], a[-_EDGEITEMS:]]
    else:
        parts = [a]
    return np.concatenate([np.stack([_summary(r) for r in p]).reshape(-1) if a.ndim > 1 and p.shape[0] else p.reshape(-1) for p in parts])


def _body(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt(a.item())
    n = a.shape[0]
    cut = summarize and n > 2 * _EDGEITEMS
    if a.ndim == 1:
        items = a.tolist()
        elems = [fmt(v) for v in items[:_EDGEITEMS]] + [" ..."] + [fmt(v) for v in items[-_EDGEITEMS:]] if cut \
            else [fmt(v) for v in items]
        per_line = builtins.max(1, (_LINEWIDTH - indent) // (fmt.width + 2))
        lines = [", ".join(elems[i : i + per_line]) for i in range(0, len(elems), per_line)]
        return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"
    rows = list(range(_EDGEITEMS)) + [None] + list(range(n - _EDGEITEMS, n)) if cut else range(n)
    slices = ["..." if i is None else _body(a[i], indent + 1, summarize, fmt) for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _format(t: Tensor) -> str:
    """torch's tensor printing: ``tensor([0.1615, 0.2764])``, ``tensor(0.6000)``, ``tensor([1., 2.])``."""
    a = t._data
    prefix = "tensor("
    suffixes = []
    if a.size == 0:
        body = "[]"
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
    else:
        summarize = a.size > _THRESHOLD
        fmt = _Formatter(_summary(a) if summarize else a)
        body = _body(a, len(prefix), summarize, fmt)
    # an empty tensor has no elements to show its kind, so only the default float dtype goes unstated
    implicit = (_dtype.get_default_dtype().np,) if a.size == 0 else (_dtype.get_default_dtype().np, np.int64, np.bool_)
    if a.dtype not in implicit:
        suffixes.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    out = prefix + body
    last = len(out) - out.rfind("\n") + 1
    for sfx in suffixes:
        if last + len(sfx) + 2 > _LINEWIDTH:
            out += ",\n" + " " * len(prefix) + sfx
            last = len(prefix) + len(sfx)
        else:
            out += ", " + sfx
            last += len(sfx) + 2
    return out + ")"


# imported last: the autograd package imports this module's names
from .autograd.grad_mode import _state  # noqa: E402
