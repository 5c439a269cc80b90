"""Helpers shared by the op modules: operand promotion and dimension arguments."""
from __future__ import annotations

import numpy as np

from ... import _dtype, _errors
from ...tensor import Tensor, _wrap


def operands(x, y):
    """Two tensors of torch's promoted dtype for a binary op (``y`` may be a Python scalar)."""
    xd = x._data
    if isinstance(y, Tensor):
        yd = y._data
        if xd.dtype == yd.dtype:
            return x, y
        dt = _dtype.result_np_dtype(xd, yd)
        return (x if xd.dtype == dt else x._cast(dt)), (y if yd.dtype == dt else y._cast(dt))
    if isinstance(y, np.ndarray):
        return operands(x, _wrap(y))
    if not isinstance(y, (bool, int, float, complex, np.number, np.bool_)):
        raise TypeError(f"unsupported operand type: expected a Tensor or a number, got {type(y).__name__}")
    dt = _dtype.result_np_dtype(xd, y)
    return (x if xd.dtype == dt else x._cast(dt)), _wrap(scalar_array(y, dt))


def scalar_array(y, dt):
    """A Python number as a 0-d array of dtype ``dt``. An int outside an integer dtype's range wraps around, as
    torch's cast does (``uint8_tensor - 2`` is ``x + 254`` modulo 256); NumPy would raise OverflowError."""
    if isinstance(y, int) and not isinstance(y, bool) and dt.kind in "iu":
        return np.asarray(y).astype(dt)
    return np.asarray(y, dtype=dt)


_C10_NAMES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t",
              "float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double"}


def checked_scalar(y, dt):
    """``scalar_array`` for the ops where torch checks the conversion (clamp's bounds, pow's exponent, fill_'s and
    masked_fill's value): a number outside an integer dtype's range is RuntimeError; as c10's check, an unsigned
    dtype also takes the ints −max … −1 (they wrap), but no negative float. A complex number converts to a real
    dtype (bool aside) as its real part when its imaginary part is 0, else it is the same RuntimeError."""
    if isinstance(y, complex) and dt.kind in "iuf":
        if y.imag != 0:
            raise _errors.int_overflow(_C10_NAMES[dt.name])
        y = y.real
    if isinstance(y, (int, float)) and not isinstance(y, bool) and dt.kind in "iu":
        info = np.iinfo(dt)
        low = -info.max if dt.kind == "u" and isinstance(y, int) else info.min
        if not low <= y <= info.max:
            raise _errors.int_overflow(_C10_NAMES[dt.name])
    return scalar_array(y, dt)


def as_tensor_arg(x, like: Tensor | None = None) -> Tensor:
    """A tensor for an argument that may be a number or array (numbers take ``like``'s dtype rules)."""
    if isinstance(x, Tensor):
        return x
    if like is not None and isinstance(x, (bool, int, float)):
        return _wrap(scalar_array(x, _dtype.result_np_dtype(like._data, x)))
    from ...tensor import _to_array

    return _wrap(_to_array(x))


def dims(dim, ndim: int):
    """Normalise a ``dim`` argument (None, int, or sequence) to a tuple of non-negative axes, or None."""
    if dim is None:
        return None
    n = max(ndim, 1)
    if isinstance(dim, (tuple, list)):
        out = []
        for d in dim:
            if not -n <= d < n:
                raise _errors.dim_out_of_range(d, n)
            out.append(d % n)
        if len(set(out)) != len(out):
            raise RuntimeError(f"dim {tuple(dim)} appears multiple times in the list of dims")
        return tuple(out) if ndim else ()
    if not -n <= dim < n:
        raise _errors.dim_out_of_range(dim, n)
    return (dim % n,) if ndim else ()


def not_implemented(kernel: str, dtype) -> NotImplementedError:
    """torch's error for a kernel that has no version for ``dtype``."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{_dtype.scalar_name(dtype)}\'')


def check_float(name: str, t: Tensor) -> None:
    if t._data.dtype.kind != "f":
        raise not_implemented(name, t._data.dtype)


# torch's C++ type names, as the matmul family's dtype errors print them
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def matmul_dtype_error(a: Tensor, b: Tensor) -> RuntimeError:
    """torch's error for a matrix product of two dtypes (its wording depends on the operands' dims)."""
    da, db = a._data.dtype, b._data.dtype
    na, nb = a._data.ndim, b._data.ndim
    if na == 1 and nb == 1:
        return RuntimeError(
            f"dot : expected both vectors to have same dtype, but found {_dtype.scalar_name(da)} and {_dtype.scalar_name(db)}"
        )
    if na == 2 and nb == 1:
        sb = _dtype.scalar_name(db)
        return RuntimeError(f"addmv input tensors must have the same dtype, but got {sb}, {_dtype.scalar_name(da)}, and {sb}")
    if na >= 3 and nb >= 3:
        return RuntimeError(f"expected scalar type {_dtype.scalar_name(da)} but found {_dtype.scalar_name(db)}")
    return RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_C_NAMES[da.name]} != {_C_NAMES[db.name]}")


def broadcast_error(*shapes) -> RuntimeError:
    """torch's error for shapes that do not broadcast: the rightmost clashing dimension of the first clashing pair."""
    for i, sa in enumerate(shapes):
        for sb in shapes[i + 1 :]:
            nd = max(len(sa), len(sb))
            pa, pb = (1,) * (nd - len(sa)) + tuple(sa), (1,) * (nd - len(sb)) + tuple(sb)
            for d in range(nd - 1, -1, -1):
                if pa[d] != pb[d] and pa[d] != 1 and pb[d] != 1:
                    return RuntimeError(
                        f"The size of tensor a ({pa[d]}) must match the size of tensor b ({pb[d]}) "
                        f"at non-singleton dimension {d}"
                    )
    return RuntimeError(f"shapes {[list(s) for s in shapes]} cannot be broadcast together")


def broadcasting(fn):
    """Decorator for a binary op: turn NumPy's broadcast ValueError into torch's RuntimeError."""
    import functools

    @functools.wraps(fn)
    def op(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ValueError:
            shapes = [np.shape(a._data if isinstance(a, Tensor) else a) for a in (*args, *kwargs.values())
                      if a is not None]
            err = broadcast_error(*shapes)
            if "cannot be broadcast together" in str(err):
                raise
            raise err from None

    return op
