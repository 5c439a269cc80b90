"""Collective communication on tensors (torch.distributed's functions), on MPI through mpi4py.

Each collective acts on the tensor's NumPy buffer in place: a C-contiguous tensor is handed to MPI as it is (no
copy); any other is copied into a contiguous buffer and back. ``async_op=True`` starts the non-blocking MPI form
(``MPI_Iallreduce``, ...) and returns a ``Work``; ``wait()`` completes it. A process outside ``group`` warns and
does nothing, as torch does. Every blocking call and every ``wait()`` runs under the group's timeout (``_group``).
"""
from __future__ import annotations

import enum
import warnings

import numpy as np

from ..autograd import _versions
from ..tensor import Tensor
from ._group import GroupMember, _mpi, _resolve, _watchdog


class RedOpType(enum.IntEnum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7


class ReduceOp:
    """The reduction of ``all_reduce``, ``reduce`` and ``reduce_scatter`` (torch's ``ReduceOp``).

    SUM, PRODUCT, MIN, MAX, AVG (the sum divided by the group's size; floating point tensors only), and the
    bitwise BAND, BOR, BXOR (integer and bool tensors only).
    """

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR


_BITWISE = (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR)


_OPS: dict = {}  # (op, dtype kind) -> MPI.Op, checked and filled on first use


def _mpi_op(op, dtype, name):
    """The MPI reduction for ``op`` on arrays of ``dtype`` (raises for a combination torch rejects)."""
    kind = np.dtype(dtype).kind
    mop = _OPS.get((op, kind))
    if mop is not None:
        return mop
    try:
        op = RedOpType(op)
    except ValueError:
        raise ValueError(f"{name}: op must be a ReduceOp (SUM, AVG, PRODUCT, MIN, MAX, BAND, BOR, BXOR), "
                         f"but got {op!r}") from None
    if op in _BITWISE and kind not in "iub":
        raise RuntimeError(f"{name}: ReduceOp.{op.name} needs an integer or bool tensor, but got dtype {dtype}")
    if op is RedOpType.AVG and kind != "f":
        raise RuntimeError(f"{name}: ReduceOp.AVG needs a floating point tensor, but got dtype {dtype}")
    MPI = _mpi()
    if kind == "b":  # MPI has only logical reductions on booleans; torch's SUM/MAX on bool is "or"
        mop = {RedOpType.SUM: MPI.LOR, RedOpType.MAX: MPI.LOR, RedOpType.BOR: MPI.LOR,
               RedOpType.PRODUCT: MPI.LAND, RedOpType.MIN: MPI.LAND, RedOpType.BAND: MPI.LAND,
               RedOpType.BXOR: MPI.LXOR}[op]
    else:
        mop = {RedOpType.SUM: MPI.SUM, RedOpType.AVG: MPI.SUM, RedOpType.PRODUCT: MPI.PROD, RedOpType.MIN: MPI.MIN,
               RedOpType.MAX: MPI.MAX, RedOpType.BAND: MPI.BAND, RedOpType.BOR: MPI.BOR,
               RedOpType.BXOR: MPI.BXOR}[op]
    _OPS[(op, kind)] = mop
    return mop


class Work:
    """A collective started with ``async_op=True`` (torch's ``Work``): ``wait()`` blocks until it has finished
    (under the group's timeout); ``is_completed()`` tests without blocking."""

    def __init__(self, request, name, timeout, finish=None, tensors=()):
        self._request = request
        self._name = name
        self._timeout = timeout
        self._finish = finish
        self._tensors = list(tensors)
        self._done = False

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._finish()
            self._finish = None

    def wait(self, timeout=None) -> bool:
        if not self._done:
            _watchdog.start(self._name, (timeout or self._timeout).total_seconds())
            try:
                self._request.Wait()
            finally:
                _watchdog.stop()
            self._complete()
        return True

    def is_completed(self) -> bool:
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def is_success(self) -> bool:
        return self.is_completed()

    def exception(self):
        return None

    def result(self):
        return self._tensors

    def __repr__(self):
        return f"Work({self._name}, completed={self._done})"


def _check_tensor(t, name):
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type ember.Tensor but got "
                        f"{type(t)} instead.")


def _check_tensor_list(ts, name):
    if not isinstance(ts, list) or not all(isinstance(t, Tensor) for t in ts):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type List[ember.Tensor] but "
                        f"got {type(ts)} instead.")


def _buffer(t):
    """The array MPI writes into for ``t`` and the function that makes ``t`` hold the result afterwards."""
    a = t._data
    if a.flags.c_contiguous and a.flags.writeable:
        return a, lambda: _versions.bump(a)
    tmp = np.ascontiguousarray(a)

    def back():
        t._data[...] = tmp
        _versions.bump(t._data)

    return tmp, back


def _member(grp, name):
    """The group to run on, or None (with torch's warning) on a rank outside it."""
    g = _resolve(grp)
    if g.comm is None:
        me = GroupMember.WORLD.rank() if GroupMember.WORLD is not None else -1
        warnings.warn(f"Running {name} on global rank {me} which does not belong to the given group.",
                      stacklevel=3)
        return None
    return g


def _root(g, rank, group_rank, name, arg):
    """The group rank of the root given by a global ``rank`` or by ``group_rank`` (torch's src/group_src)."""
    if rank is not None and group_rank is not None:
        raise ValueError(f"Can only specify one of {arg} or group_{arg}, but got {arg}={rank} and "
                         f"group_{arg}={group_rank}")
    if group_rank is not None:
        r = int(group_rank)
    elif rank is not None:
        r = g.group_rank(int(rank), arg)
    else:
        r = 0
    if not 0 <= r < g.size():
        raise ValueError(f"{name}: {arg} must be a rank of the group (0 to {g.size() - 1}), but got {r}")
    return r


def _run(g, name, async_op, blocking, nonblocking, finish, tensors=()):
    """Run a collective: ``blocking()`` now, or ``nonblocking()`` -> request wrapped in a ``Work``."""
    if async_op:
        return Work(nonblocking(), name, g.timeout, finish, tensors)
    _watchdog.start(name, g.timeout.total_seconds())
    try:
        blocking()
    finally:
        _watchdog.stop()
    if finish is not None:
        finish()
    return None


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` over all ranks of ``group`` with ``op``; every rank receives the result, in place."""
    _check_tensor(tensor, "tensor")
    g = _member(group, "all_reduce")
    if g is None:
        return None
    buf, back = _buffer(tensor)
    mop = _mpi_op(op, buf.dtype, "all_reduce")
    IN_PLACE = _mpi().IN_PLACE
    if RedOpType(op) is RedOpType.AVG:
        n = g.size()

        def finish():
            np.divide(buf, n, out=buf)
            back()
    else:
        finish = back
    return _run(g, "all_reduce", async_op, lambda: g.comm.Allreduce(IN_PLACE, buf, mop),
                lambda: g.comm.Iallreduce(IN_PLACE, buf, mop), finish, [tensor])


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce ``tensor`` over ``group`` into rank ``dst``'s tensor (the others' tensors are left unchanged)."""
    _check_tensor(tensor, "tensor")
    g = _member(group, "reduce")
    if g is None:
        return None
    root = _root(g, dst, group_dst, "reduce", "dst")
    buf, back = _buffer(tensor)
    mop = _mpi_op(op, buf.dtype, "reduce")
    is_root = g.rank() == root
    send = _mpi().IN_PLACE if is_root else buf
    recv = buf if is_root else None
    n = g.size()

    def finish():
        if is_root:
            if RedOpType(op) is RedOpType.AVG:
                np.divide(buf, n, out=buf)
            back()

    return _run(g, "reduce", async_op, lambda: g.comm.Reduce(send, recv, mop, root=root),
                lambda: g.comm.Ireduce(send, recv, mop, root=root), finish, [tensor])


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy rank ``src``'s ``tensor`` into the tensor of every rank of ``group``."""
    _check_tensor(tensor, "tensor")
    g = _member(group, "broadcast")
    if g is None:
        return None
    root = _root(g, src, group_src, "broadcast", "src")
    buf, back = _buffer(tensor)
    return _run(g, "broadcast", async_op, lambda: g.comm.Bcast(buf, root=root),
                lambda: g.comm.Ibcast(buf, root=root), back, [tensor])


def _same_layout(tensors, like, name):
    for t in tensors:
        if tuple(t.shape) != tuple(like.shape) or t._data.dtype != like._data.dtype:
            raise ValueError(f"{name}: every tensor must have the shape {tuple(like.shape)} and dtype {like.dtype} "
                             f"of the input, but got shape {tuple(t.shape)} and dtype {t.dtype}")


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Gather ``tensor`` from every rank into ``tensor_list`` (one tensor per rank, written in place)."""
    _check_tensor_list(tensor_list, "tensor_list")
    _check_tensor(tensor, "tensor")
    g = _member(group, "all_gather")
    if g is None:
        return None
    if len(tensor_list) != g.size():
        raise ValueError(f"all_gather: tensor_list must hold one tensor per rank ({g.size()}), "
                         f"but has {len(tensor_list)}")
    _same_layout(tensor_list, tensor, "all_gather")
    src = np.ascontiguousarray(tensor._data)
    out = np.empty((g.size(),) + src.shape, src.dtype)

    def finish():
        for t, part in zip(tensor_list, out):
            t._data[...] = part
            _versions.bump(t._data)

    return _run(g, "all_gather", async_op, lambda: g.comm.Allgather(src, out),
                lambda: g.comm.Iallgather(src, out), finish, tensor_list)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Gather ``input_tensor`` from every rank into ``output_tensor`` (rank-major, first dimension
    ``world_size`` times the input's, or a leading dimension of ``world_size``)."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    g = _member(group, "all_gather_into_tensor")
    if g is None:
        return None
    if output_tensor.numel() != input_tensor.numel() * g.size() or output_tensor.dtype != input_tensor.dtype:
        raise ValueError(f"all_gather_into_tensor: output_tensor must hold world_size ({g.size()}) times the "
                         f"input's {input_tensor.numel()} elements of dtype {input_tensor.dtype}, but got "
                         f"{output_tensor.numel()} of dtype {output_tensor.dtype}")
    src = np.ascontiguousarray(input_tensor._data)
    buf, back = _buffer(output_tensor)
    return _run(g, "all_gather_into_tensor", async_op, lambda: g.comm.Allgather(src, buf),
                lambda: g.comm.Iallgather(src, buf), back, [output_tensor])


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input_list`` (one tensor per rank) over ``group``; rank i receives the reduction of every rank's
    ``input_list[i]`` in ``output``."""
    _check_tensor(output, "output")
    _check_tensor_list(input_list, "input_list")
    g = _member(group, "reduce_scatter")
    if g is None:
        return None
    if len(input_list) != g.size():
        raise ValueError(f"reduce_scatter: input_list must hold one tensor per rank ({g.size()}), "
                         f"but has {len(input_list)}")
    _same_layout(input_list, output, "reduce_scatter")
    return _reduce_scatter(g, output, np.stack([t._data for t in input_list]), op, async_op, "reduce_scatter")


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """``reduce_scatter`` with the inputs concatenated in one tensor of world_size times ``output``'s elements."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    g = _member(group, "reduce_scatter_tensor")
    if g is None:
        return None
    if input.numel() != output.numel() * g.size() or input.dtype != output.dtype:
        raise ValueError(f"reduce_scatter_tensor: input must hold world_size ({g.size()}) times the output's "
                         f"{output.numel()} elements of dtype {output.dtype}, but got {input.numel()} of dtype "
                         f"{input.dtype}")
    return _reduce_scatter(g, output, np.ascontiguousarray(input._data), op, async_op, "reduce_scatter_tensor")


def _reduce_scatter(g, output, send, op, async_op, name):
    buf, back = _buffer(output)
    mop = _mpi_op(op, buf.dtype, name)
    n = g.size()

    def finish():
        if RedOpType(op) is RedOpType.AVG:
            np.divide(buf, n, out=buf)
        back()

    return _run(g, name, async_op, lambda: g.comm.Reduce_scatter_block(send, buf, mop),
                lambda: g.comm.Ireduce_scatter_block(send, buf, mop), finish, [output])


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Block until every rank of ``group`` has reached this call."""
    g = _member(group, "barrier")
    if g is None:
        return None
    return _run(g, "barrier", async_op, g.comm.Barrier, g.comm.Ibarrier, None)


def all_gather_object(object_list, obj, group=None):
    """Gather a picklable ``obj`` from every rank into ``object_list`` (of length world_size)."""
    g = _member(group, "all_gather_object")
    if g is None:
        return
    if len(object_list) != g.size():
        raise ValueError(f"all_gather_object: object_list must have one entry per rank ({g.size()}), "
                         f"but has {len(object_list)}")
    _watchdog.start("all_gather_object", g.timeout.total_seconds())
    try:
        got = g.comm.allgather(obj)
    finally:
        _watchdog.stop()
    object_list[:] = got
    return


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Replace the entries of ``object_list`` on every rank with those of rank ``src`` (same length on all)."""
    g = _member(group, "broadcast_object_list")
    if g is None:
        return
    root = _root(g, src, group_src, "broadcast_object_list", "src")
    _watchdog.start("broadcast_object_list", g.timeout.total_seconds())
    try:
        got = g.comm.bcast(list(object_list) if g.rank() == root else None, root=root)
    finally:
        _watchdog.stop()
    if len(got) != len(object_list):
        raise ValueError(f"broadcast_object_list: object_list has {len(object_list)} entries here but "
                         f"{len(got)} on the source rank")
    object_list[:] = got
    return
