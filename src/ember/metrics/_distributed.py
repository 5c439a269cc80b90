"""Metric states across processes: the default ``dist_sync_fn`` (torchmetrics' ``gather_all_tensors``).

``Metric.compute()`` syncs when ``ember.distributed`` has a process group (``distributed_available``): every state
is gathered from all ranks with ``gather_all_tensors`` and reduced with its ``dist_reduce_fx``. States may differ in
shape across ranks (``cat`` states hold however many samples each rank saw): the shapes are exchanged first, the
flattened arrays are padded to the longest, gathered in one call, and cut back to each rank's shape.
"""
from __future__ import annotations

import numpy as np


def distributed_available() -> bool:
    """True when ember.distributed is initialized (torchmetrics' ``jit_distributed_available``)."""
    from .. import distributed as dist

    return dist.is_available() and dist.is_initialized()


def gather_all_tensors(result, group=None) -> list:
    """Every rank's ``result`` (an array or tensor of any shape, shapes may differ), as a list of NumPy arrays
    ordered by rank."""
    from .. import distributed as dist
    from ..tensor import Tensor, _wrap

    local = np.ascontiguousarray(result._data if isinstance(result, Tensor) else np.asarray(result))
    size = dist.get_world_size(group)
    shapes: list = [None] * size  # each rank's (shape, dtype string)
    dist.all_gather_object(shapes, (local.shape, local.dtype.str), group=group)
    dtype = np.result_type(*[np.dtype(dt) for _, dt in shapes])
    longest = max(int(np.prod(s)) for s, _ in shapes)
    padded = np.zeros(longest, dtype)
    padded[:local.size] = local.reshape(-1)
    out = np.empty(size * longest, dtype)
    dist.all_gather_into_tensor(_wrap(out), _wrap(padded), group=group)
    return [out[r * longest: r * longest + int(np.prod(s))].reshape(s).astype(np.dtype(dt), copy=False)
            for r, (s, dt) in enumerate(shapes)]
