"""Collation: turn a list of samples into one batch (``default_collate``), or convert one sample.

``collate`` walks the structure of the first sample (mappings, namedtuples, sequences) and
hands each leaf type to a function in ``default_collate_fn_map``: tensors are stacked along
a new first dimension, NumPy arrays and scalars become tensors, Python ints become an int64
tensor, floats a float64 tensor, strings stay a sequence of strings.

The leaf function is chosen by the first sample, so mixed batches follow torch's rules for it:
tensors (and NumPy arrays) of different dtypes stack to their promoted dtype (int64 with
float32 gives float32), NumPy scalars become ``torch.as_tensor(batch)``'s dtype (a Python
float among them counts as the default float dtype), Python floats first give float64 and
Python ints first ``torch.tensor(batch)``'s dtype (float32 if a float follows).
"""
from __future__ import annotations

import builtins
import collections.abc
import copy
import functools
from collections.abc import Callable

import numpy as np

from ... import _creation, _errors
from ..._dtype import float64, from_np, get_default_dtype, int64, promote_types
from ..._dtype import bool as bool_
from ...autograd.ops.shape import stack
from ...tensor import Tensor, _wrap

__all__ = ["collate", "default_collate", "default_collate_fn_map", "default_convert"]

_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_str_or_object(dtype: np.dtype) -> bool:
    return dtype.kind in "SaUO"


def _tp_name(obj) -> str:
    """The type name torch's argument errors print (C's ``tp_name``: "numpy.ndarray", "float", "Point")."""
    kind = type(obj)
    if kind.__flags__ & (1 << 9) or kind.__module__ == "builtins":  # Py_TPFLAGS_HEAPTYPE: a class from Python
        return kind.__name__
    return f"{kind.__module__}.{kind.__qualname__}"


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Stack tensors along a new dimension 0 in their promoted dtype (recorded by autograd if any requires grad)."""
    for i, t in enumerate(batch):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {_tp_name(t)}")
    if not any(t.requires_grad for t in batch):
        shape = batch[0]._data.shape
        for i, t in enumerate(batch):
            if t._data.shape != shape:
                raise _errors.stack_sizes_differ(shape, t._data.shape, i)
        dtype = functools.reduce(promote_types, {t.dtype for t in batch})
        return _wrap(np.stack([t._data for t in batch], dtype=dtype.np, casting="same_kind"))
    return stack(list(batch), 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    if _is_str_or_object(batch[0].dtype):
        raise TypeError(_ERR.format(batch[0].dtype))
    for b in batch:
        if isinstance(b, np.ndarray):
            from_np(b.dtype)  # a TypeError for dtypes ember lacks (torch has uint16/32/64)
    return collate([_creation.as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def _scalar_dtype(x):
    """The dtype ``torch.as_tensor`` gives scalar ``x`` in a list, or None for a non-scalar."""
    if isinstance(x, np.generic):
        return from_np(x.dtype)
    if isinstance(x, builtins.bool):
        return bool_
    if isinstance(x, builtins.int):
        return int64
    if isinstance(x, builtins.float):
        return get_default_dtype()
    return None


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    """``torch.as_tensor(batch)``: the elements' dtypes promoted (``[np.float32(1), 2.5]`` gives float32)."""
    dtypes = [_scalar_dtype(x) for x in batch]
    if None in dtypes:
        return _creation.tensor(batch)  # not all scalars: tensor's own errors
    return _creation.tensor(batch, dtype=functools.reduce(promote_types, set(dtypes)))


def collate_float_fn(batch, *, collate_fn_map=None):
    return _creation.tensor(batch, dtype=float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    return _creation.tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map: dict[type | tuple[type, ...], Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def _rebuild_mapping(elem, values: dict):
    """A mapping of ``elem``'s type holding ``values`` (a plain dict if the type cannot be rebuilt)."""
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(values)
            return clone
        return type(elem)(values)
    except TypeError:
        return values


def _rebuild_sequence(elem, values: list):
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, v in enumerate(values):
                clone[i] = v
            return clone
        return type(elem)(values)
    except TypeError:
        return values


def collate(batch, *, collate_fn_map: dict | None = None):
    """Collate ``batch`` (a list of samples) by the structure of its first sample.

    Leaf types are looked up in ``collate_fn_map`` (exact type first, then ``isinstance`` in
    insertion order); each function is called as ``fn(batch, collate_fn_map=collate_fn_map)``.
    Mappings collate per key, namedtuples per field, other sequences per position (tuples
    become lists, as in torch).

    Torch parity:
        Same as ``torch.utils.data._utils.collate.collate``, including its errors.
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type, fn in collate_fn_map.items():
            if isinstance(elem, collate_type):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {k: collate([d[k] for d in batch], collate_fn_map=collate_fn_map)
                                       for k in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)]
        return columns if isinstance(elem, tuple) else _rebuild_sequence(elem, columns)
    raise TypeError(_ERR.format(elem_type))


def default_collate(batch):
    """Put a list of samples into one batch with a new leading dimension of size ``len(batch)``.

    Tensor → stacked tensor; NumPy array or scalar → tensor; int → int64 tensor (bool → bool);
    float → float64 tensor; str/bytes → unchanged sequence; Mapping[K, Vᵢ] →
    Mapping[K, collate(V₁, V₂, …)]; namedtuple → namedtuple of collated fields; tuple or list
    of Vᵢ → list of collated positions.

    Args:
        batch: list of samples of the same structure.

    Torch parity:
        Same output structure, dtypes and errors as ``torch.utils.data.default_collate``
        (tests/utils/test_data.py compares them); tensors are ember tensors.

    Example:  >>> default_collate([(0, 1.0), (2, 3.0)])  # [tensor([0, 2]), tensor([1., 3.], dtype=ember.float64)]
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data):
    """Convert NumPy arrays and scalars inside ``data`` to tensors; leave everything else as is.

    Used instead of ``default_collate`` when the DataLoader does not batch (``batch_size=None``).
    Tuples become lists, as in torch.

    Torch parity:
        Same as ``torch.utils.data.default_convert``.
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if _is_str_or_object(data.dtype) else _wrap(data)
    if isinstance(data, (np.bool_, np.number)):
        return _wrap(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {k: default_convert(data[k]) for k in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data
