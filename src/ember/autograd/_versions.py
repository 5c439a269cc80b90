"""In-place changes of arrays saved for backward: torch's "modified by an inplace operation" error.

torch gives each tensor's memory a version counter, bumps it on every in-place change and, when a backward
needs a saved tensor, checks that its version is still the one it saved. ember applies the same rule to the
NumPy array that owns the memory (the end of an array's ``base`` chain, shared by all its views):

- ``bump(array)`` records an in-place change made while not recording a graph (recorded in-place ops write a
  new array instead, see ``Tensor._rebind``): Tensor in-place methods and item assignment under ``no_grad``
  or on tensors that need no gradient, and optimizer steps. It ticks a global ``clock`` and stamps the owner.
- ``Op.apply`` keeps the clock in every node it records.
- before running a node's backward, the engine calls ``check(node)`` when the clock has moved since the node
  was recorded; it raises torch's RuntimeError if an array the node saved belongs to an owner stamped later.

A training loop that changes nothing between forward and backward pays one integer comparison per node.
Like torch's ``.data``, the tensor that ``Tensor.data`` returns is not tracked (``bump`` skips it); changes
made through NumPy directly (``tensor.numpy()[...] = ...``) are not seen either, as in torch.
"""
from __future__ import annotations

import weakref
from collections import deque

import numpy as np

from .. import _dtype

clock = 0
_stamps: dict = {}  # id(owner) -> [clock of the last change, version, clocks of the last changes]
_HISTORY = 64  # changes remembered per owner, to name the version a node expected


def _owner(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def bump(a: np.ndarray) -> None:
    """Record an in-place change of ``a`` (and so of every array sharing its memory)."""
    global clock
    clock += 1
    owner = _owner(a)
    key = id(owner)
    stamp = _stamps.get(key)
    if stamp is None:
        _stamps[key] = [clock, 1, deque([clock], maxlen=_HISTORY)]
        weakref.finalize(owner, _stamps.pop, key, None)
    else:
        stamp[0] = clock
        stamp[1] += 1
        stamp[2].append(clock)


def _saved_arrays(node):
    """The arrays a node's backward reads: its ndarray attributes (and those in tuples/lists), or the tensors a
    user Function saved. A node's ``inputs`` are graph structure, not saved values. An op's ``saved_for``
    (attribute -> indices of the inputs whose gradients read it) drops what no needed gradient reads, as torch
    saves, for instance, a product's factor only when the other factor requires a gradient."""
    ctx = node.__dict__.get("ctx")
    if ctx is not None:  # a user Function
        return [t._data for t in getattr(ctx, "to_save", ()) if hasattr(t, "_data")]
    saved_for = getattr(node, "saved_for", None)
    inputs = node.__dict__.get("inputs", ())
    out = []
    for key, v in node.__dict__.items():
        if key in ("inputs", "fns"):
            continue
        if saved_for and key in saved_for and not any(inputs[i].requires_grad for i in saved_for[key]):
            continue
        if type(v) is np.ndarray:
            out.append(v)
        elif isinstance(v, (tuple, list)):
            out.extend(x for x in v if type(x) is np.ndarray)
    return out


def check(node) -> None:
    """Raise torch's RuntimeError if an array ``node`` saved was changed in place after ``node`` was recorded."""
    recorded = node._clock
    for a in _saved_arrays(node):
        stamp = _stamps.get(id(_owner(a)))
        if stamp is not None and stamp[0] > recorded:
            later = sum(1 for c in stamp[2] if c > recorded)
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace operation: "
                f"[ember.{_dtype.scalar_name(a.dtype)}Tensor {list(a.shape)}], which is saved by {node.name()}, is at version {stamp[1]}; "
                f"expected version {stamp[1] - later} instead. Hint: the operation that modified it ran after "
                "the forward pass; make a copy (clone()) before changing it, or run the change after backward()."
            )
