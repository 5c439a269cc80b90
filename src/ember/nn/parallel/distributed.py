"""``DistributedDataParallel``: data-parallel training over MPI ranks, with torch's API.

Each rank runs the same model on its share of the global batch. At construction the parameters and buffers of
rank 0 are broadcast to every rank (after checking that all ranks hold the same shapes). During ``backward()``
each gradient, once complete, marks its bucket; a full bucket starts a non-blocking ``MPI_Iallreduce`` over one
contiguous array, so communication overlaps the rest of the backward; when the backward finishes (an engine
callback) the buckets are waited for and divided by the world size: every rank ends with the average gradient.

Buckets and memory. Parameters are bucketed in reverse order (the order backward produces their gradients): the
first bucket holds about 1 MiB, the others ``bucket_cap_mb``, as torch's. Gradients are accumulated straight into
contiguous memory: a parameter without a gradient buffer gets a view of the bucket's own flat array as its
gradient buffer (``Tensor._relocate``); a built-in optimizer created afterwards replaces it with a view of its own
flat gradient buffer (``optim``'s flat buffers). At reduction time a bucket whose gradients lie back to back in one flat array (the
optimizer's or the bucket's) is reduced in place in one call; any other layout is copied into the bucket's array
and back.

When is a gradient complete? ember's engine accumulates into a leaf once per graph edge that reaches it, so the
forward counts the edges from the output to each parameter; a parameter is ready when its count is reached. A
gradient that arrives after its bucket was started (a loss term using a parameter outside the forward) waits for
the bucket, and that bucket is reduced once more at the end: avg(avg(a) + bᵣ) = avg(a) + avg(b), still exact.
"""
from __future__ import annotations

import contextlib
import itertools
import time

import numpy as np

from ... import distributed as dist
from ...autograd import function as _engine
from ..._grad_mode import is_grad_enabled
from ...tensor import Tensor, _wrap
from ..modules.module import Module

_FIRST_BUCKET_BYTES = 1024 * 1024  # torch's dist._DEFAULT_FIRST_BUCKET_BYTES
_DEFAULT_BUCKET_MB = 25


def _tensors_in(obj):
    """Every Tensor in a forward output (tensor, tuple, list, dict, nested)."""
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            yield from _tensors_in(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors_in(o)


def _edges_to(outputs, index):
    """For each parameter (``index``: id -> position), the number of graph edges from ``outputs`` that reach it."""
    counts = [0] * len(index)
    seen, stack = set(), [t.grad_fn for t in outputs if t.grad_fn is not None]
    for t in outputs:
        if t.grad_fn is None and id(t) in index:
            counts[index[id(t)]] += 1
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for t, fn in zip(node.inputs, node.fns):
            if fn is None:
                i = index.get(id(t))
                if i is not None:
                    counts[i] += 1
            elif fn not in seen:
                stack.append(fn)
    return counts


def _owner(a):
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


class _Bucket:
    """Parameters whose gradients are reduced together, with a flat array of their size."""

    def __init__(self, params, indices):
        self.params = params
        self.indices = indices
        self.dtype = params[0]._data.dtype
        sizes = [p._data.size for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64).tolist()
        self.flat = np.zeros(self.offsets[-1], self.dtype)
        self.views = [self.flat[a:b].reshape(p._data.shape) for p, a, b in zip(params, self.offsets, self.offsets[1:])]
        self._cache = (None, None)  # (gradient arrays, the flat region they form)
        self.reset()

    def reset(self):
        self.pending = len(self.params)
        self.request = None
        self.region = None
        self.copied = False
        self.divided = False
        self.dirty = False

    def grad_arrays(self):
        """The arrays that hold (or will hold) each parameter's gradient; None where there is none."""
        out = []
        for p in self.params:
            g = p.grad
            out.append(g._data if g is not None else p._grad_view)
        return out

    def contiguous_region(self, arrays):
        """One flat array covering ``arrays`` exactly, when they lie back to back in one flat buffer, else None."""
        cached_arrays, region = self._cache
        if cached_arrays is not None and len(cached_arrays) == len(arrays) and all(
                a is b for a, b in zip(arrays, cached_arrays)):
            return region
        region = None
        if all(a is not None and a.dtype == self.dtype and a.flags.c_contiguous for a in arrays):
            owners = {id(_owner(a)): _owner(a) for a in arrays}
            if len(owners) == 1:
                owner = next(iter(owners.values()))
                if owner.ndim == 1 and owner.flags.c_contiguous and owner.dtype == self.dtype:
                    spans = sorted((a.ctypes.data, a.nbytes) for a in arrays)
                    if all(s + n == t for (s, n), (t, _) in itertools.pairwise(spans)):
                        start = (spans[0][0] - owner.ctypes.data) // owner.itemsize
                        region = owner[start:start + self.offsets[-1]]
        self._cache = (list(arrays), region)
        return region


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training across the ranks of a process group (torch's DDP).

    Args:
        module: the model; every rank builds the same one (rank 0's values win).
        device_ids, output_device: None (CPU modules), as torch requires for CPU.
        dim: accepted (inputs are not scattered: each rank feeds its own batch).
        broadcast_buffers: broadcast rank 0's buffers before each forward that syncs. Default: True.
        process_group: the group to average over. Default: the world.
        bucket_cap_mb: bucket size in MiB. Default: 25.
        find_unused_parameters: traverse the graph of each output to find parameters that get no gradient and
            count them as ready; a parameter unused on every rank keeps ``grad`` None. Default: False.
        gradient_as_bucket_view: accepted; gradients are views of flat buffers in either case.
        init_sync, check_reduction, static_graph, and torch's other keyword arguments: accepted and ignored.

    Torch parity: ``.module``, ``no_sync()``, ``state_dict`` keys prefixed ``module.``, averaged gradients on every
    rank, errors for a module without trainable parameters, for models that differ across ranks (raised on every
    rank at construction) and for a reduction left unfinished (a parameter without gradient and
    ``find_unused_parameters=False``), raised at the next forward. Differences: a parameter unused on every rank
    whose ``grad`` existed from an earlier accumulation is averaged like the others (torch leaves it unchanged);
    communication hooks, ``join`` and mixed precision are not provided.

    Example:
        >>> dist.init_process_group()
        >>> model = DistributedDataParallel(Net())
        >>> opt = ember.optim.SGD(model.parameters(), lr=0.1)
        >>> loss_fn(model(x_local), y_local).backward(); opt.step()
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True, init_sync=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, **kwargs):
        super().__init__()
        if device_ids is not None and len(device_ids) > 1:
            raise ValueError("device_ids can only be None or contain a single element.")
        if device_ids or output_device is not None:
            raise ValueError(
                "DistributedDataParallel device_ids and output_device arguments only work with "
                "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                f"{device_ids}, output_device {output_device}, and module parameters {{device(type='cpu')}}.")
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        self.module = module
        d = self.__dict__
        d["process_group"] = process_group if process_group is not None else dist.group.WORLD
        group = dist._group._resolve(process_group)
        d["_group"] = group
        d["_comm"] = group.comm
        d["_size"] = group.size()
        d["broadcast_buffers"] = broadcast_buffers if broadcast_buffers is not None else True
        d["find_unused_parameters"] = find_unused_parameters
        d["gradient_as_bucket_view"] = gradient_as_bucket_view
        d["dim"] = dim
        d["device_ids"] = None
        d["bucket_bytes_cap"] = int((_DEFAULT_BUCKET_MB if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        # torch starts with a smaller first bucket only when bucket_cap_mb is left at its default
        d["_first_bucket_bytes"] = _FIRST_BUCKET_BYTES if bucket_cap_mb is None else self.bucket_bytes_cap
        d["require_backward_grad_sync"] = True
        d["_names"] = [n for n, _ in named]
        d["_params"] = [p for _, p in named]
        self._check_same_model()
        if init_sync:
            self._broadcast([p for p in module.parameters()] + list(module.buffers()))
        d["_index"] = {id(p): i for i, p in enumerate(self._params)}
        d["_buckets"] = self._make_buckets()
        d["_where"] = [None] * len(self._params)  # param index -> (bucket, position)
        for b in self._buckets:
            for k, i in enumerate(b.indices):
                self._where[i] = (b, k)
        d["_expected"] = [0] * len(self._params)
        d["_count"] = [0] * len(self._params)
        d["_used"] = np.zeros(len(self._params), np.int32)
        d["_armed"] = False
        d["_next"] = 0
        d["_poll"] = 0
        d["_queued"] = False
        d["_unfinished"] = None
        d["comm_wait_s"] = 0.0  # seconds spent waiting for reductions (benchmarks read it)
        for i, p in enumerate(self._params):
            b, k = self._where[i]
            if p._grad_view is None:
                p._relocate(grad=b.views[k])
            if p._hooks is None:
                p._hooks = []
            p._hooks.append(self._make_pre_hook(i))
            p._hooks.append(_engine._PostAccumulate(self._make_post_hook(i)))

    # --- construction ---------------------------------------------------------------------------------------------
    def _check_same_model(self):
        """Raise on every rank if any rank's parameters differ in number, name, shape or dtype from rank 0's."""
        mine = [(n, tuple(p.shape), str(p._data.dtype)) for n, p in zip(self._names, self._params)]
        mine += [("buffer " + n, tuple(b.shape), str(b._data.dtype)) for n, b in self.module.named_buffers()]
        everyone = [None] * self._size
        dist.all_gather_object(everyone, mine, group=self._group)
        ref = everyone[0]
        for r, theirs in enumerate(everyone[1:], 1):
            if len(theirs) != len(ref):
                raise RuntimeError(
                    f"DistributedDataParallel: the model differs across ranks: rank 0 has {len(ref)} parameters "
                    f"and buffers, rank {r} has {len(theirs)}")
            for (n0, s0, t0), (n1, s1, t1) in zip(ref, theirs):
                if (n0, s0, t0) != (n1, s1, t1):
                    raise RuntimeError(
                        f"DistributedDataParallel: the model differs across ranks: rank 0 has {n0!r} of shape "
                        f"{list(s0)} ({t0}) where rank {r} has {n1!r} of shape {list(s1)} ({t1}); every rank "
                        "must build the same model")

    def _broadcast(self, tensors):
        """Copy rank 0's values of ``tensors`` to every rank: one broadcast per dtype over a packed array."""
        by_dtype = {}
        for t in tensors:
            by_dtype.setdefault(t._data.dtype, []).append(t)
        src = self._group.ranks[0]
        for ts in by_dtype.values():
            flat = np.concatenate([t._data.reshape(-1) for t in ts])
            dist.broadcast(_wrap(flat), src=src, group=self._group)
            pos = 0
            for t in ts:
                n = t._data.size
                t._data[...] = flat[pos:pos + n].reshape(t._data.shape)
                pos += n

    def _make_buckets(self):
        """Reverse parameter order, split by dtype and size (``bucket_cap_mb``; 1 MiB first by default)."""
        buckets, open_ = [], {}
        for i in reversed(range(len(self._params))):
            p = self._params[i]
            dt = p._data.dtype
            cur = open_.setdefault(dt, [[], [], 0])
            cur[0].append(p)
            cur[1].append(i)
            cur[2] += p._data.nbytes
            cap = self._first_bucket_bytes if not buckets else self.bucket_bytes_cap
            if cur[2] >= cap:
                buckets.append(_Bucket(cur[0], cur[1]))
                del open_[dt]
        for params, indices, _ in open_.values():
            buckets.append(_Bucket(params, indices))
        return buckets

    # --- forward --------------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward accumulates local gradients without communication; the first backward after it
        averages everything accumulated (gradient accumulation over several micro-batches)."""
        old = self.require_backward_grad_sync
        self.__dict__["require_backward_grad_sync"] = False
        try:
            yield
        finally:
            self.__dict__["require_backward_grad_sync"] = old

    def forward(self, *inputs, **kwargs):
        if self._unfinished is not None:
            names, self.__dict__["_unfinished"] = self._unfinished, None
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new one. This error "
                "indicates that your module has parameters that were not used in producing loss. You can enable "
                "unused parameter detection by passing the keyword argument `find_unused_parameters=True` to "
                "`ember.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function outputs "
                "participate in calculating loss. Parameters which did not receive grad: " + ", ".join(names))
        sync = is_grad_enabled() and self.require_backward_grad_sync
        if sync and self.broadcast_buffers and self._size > 1:
            buffers = list(self.module.buffers())
            if buffers:
                self._broadcast(buffers)
        out = self.module(*inputs, **kwargs)
        if sync:
            self._prepare(list(_tensors_in(out)))
        return out

    def _prepare(self, outputs):
        """Arm the reducer for the coming backward: expected gradient counts, and unused parameters ready."""
        d = self.__dict__
        if self._queued:  # a forward again before the backward of the previous one: start afresh
            return
        d["_expected"] = _edges_to(outputs, self._index)
        d["_count"] = [0] * len(self._params)
        d["_next"] = 0
        d["_poll"] = 0
        for b in self._buckets:
            b.reset()
        d["_armed"] = True
        if self.find_unused_parameters:
            for i, n in enumerate(self._expected):
                if n == 0:
                    self._mark_ready(i)

    # --- backward hooks -------------------------------------------------------------------------------------------
    def _make_pre_hook(self, i):
        def hook(grad):
            if self._armed:
                b, _ = self._where[i]
                if b.request is not None and not b.dirty:  # late gradient: its bucket is already being reduced
                    self._finish_bucket(b)
                    b.dirty = True
        return hook

    def _make_post_hook(self, i):
        def hook(param):
            self._used[i] = 1
            if not self._armed:
                return
            if not self._queued:
                self.__dict__["_queued"] = True
                _engine.queue_callback(self._finalize)
            self._count[i] += 1
            if self._count[i] == self._expected[i]:
                self._mark_ready(i)
            if self._poll < self._next:
                self._progress()
        return hook

    def _progress(self):
        """Let MPI advance the reductions already started (MPICH moves a non-blocking collective forward only
        inside MPI calls): test them in order, up to the first unfinished one."""
        i = self._poll
        while i < self._next:
            req = self._buckets[i].request
            if req is not None and not req.Test():
                break
            i += 1
        self.__dict__["_poll"] = i

    def _mark_ready(self, i):
        b, _ = self._where[i]
        b.pending -= 1
        if b.pending == 0:
            buckets = self._buckets
            while self._next < len(buckets) and buckets[self._next].pending <= 0:
                self._launch(buckets[self._next])
                self.__dict__["_next"] += 1

    def _launch(self, b):
        """Start the reduction of bucket ``b``: in place where its gradients are contiguous, else on a copy."""
        arrays = b.grad_arrays()
        for k, p in enumerate(b.params):
            if p.grad is None and arrays[k] is not None:
                arrays[k][...] = 0  # no gradient here (unused on this rank): contribute zeros
        region = b.contiguous_region(arrays)
        if region is None:
            for k, a in enumerate(arrays):
                if a is None:
                    b.views[k][...] = 0
                else:
                    b.views[k][...] = a
            region, b.copied = b.flat, True
        b.region = region
        MPI = dist._group._mpi()
        b.request = self._comm.Iallreduce(MPI.IN_PLACE, region, MPI.SUM)

    def _finish_bucket(self, b):
        """Wait for bucket ``b`` and divide it by the world size (once)."""
        if b.request is not None:
            dist.collectives.Work(b.request, "DistributedDataParallel all_reduce", self._group.timeout).wait()
            b.request = None
        if not b.divided:
            np.divide(b.region, self._size, out=b.region)
            b.divided = True

    def _finalize(self):
        """End of backward: start what is left, wait for every bucket, write the averaged gradients."""
        d = self.__dict__
        d["_queued"] = False
        d["_armed"] = False
        buckets = self._buckets
        missing = [self._names[i] for b in buckets[self._next:] for i in b.indices
                   if self._count[i] < max(self._expected[i], 1) and self._params[i].grad is None]
        if missing and not self.find_unused_parameters:
            for b in buckets[:self._next]:
                self._finish_bucket(b)
            d["_unfinished"] = missing
            return
        for b in buckets[self._next:]:
            self._launch(b)
        d["_next"] = len(buckets)
        used = None
        if self.find_unused_parameters:
            used = self._used.copy()
            dist.all_reduce(_wrap(used), op=dist.ReduceOp.MAX, group=self._group)
        start = time.perf_counter()
        for b in buckets:
            self._finish_bucket(b)
            if b.dirty:  # gradients arrived after the launch: reduce the bucket once more (see the module doc)
                b.divided = False
                if b.copied:  # the copy missed them, the gradients hold everything local: reduce afresh
                    self._launch(b)
                else:
                    MPI = dist._group._mpi()
                    b.request = self._comm.Iallreduce(MPI.IN_PLACE, b.region, MPI.SUM)
                self._finish_bucket(b)
        d["comm_wait_s"] += time.perf_counter() - start
        for b in buckets:
            arrays = b.grad_arrays()
            for k, (p, i) in enumerate(zip(b.params, b.indices)):
                if used is not None and not used[i] and p.grad is None:
                    continue  # unused on every rank: leave grad None, as torch
                if b.copied:
                    if p.grad is None:
                        p.grad = _wrap(b.views[k].copy())
                    else:
                        p.grad._data[...] = b.views[k]
                elif p.grad is None:
                    p.grad = _wrap(arrays[k])
        self._used[...] = 0
