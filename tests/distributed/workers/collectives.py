"""Every collective against its NumPy definition, on every rank (run under mpiexec -n N)."""
import datetime
import warnings

import numpy as np

import ember
import ember.distributed as dist
from _say import say

dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=30))
rank, size = dist.get_rank(), dist.get_world_size()
assert dist.is_initialized() and dist.is_available()


def data(r, dtype=np.float32, shape=(5, 3)):
    rng = np.random.default_rng(100 + r)
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    return rng.integers(1, 7, shape).astype(dtype)


everyone = lambda dtype=np.float32, shape=(5, 3): np.stack([data(r, dtype, shape) for r in range(size)])
OPS = {dist.ReduceOp.SUM: lambda a: a.sum(0), dist.ReduceOp.PRODUCT: lambda a: a.prod(0),
       dist.ReduceOp.MIN: lambda a: a.min(0), dist.ReduceOp.MAX: lambda a: a.max(0),
       dist.ReduceOp.AVG: lambda a: a.sum(0) / size,
       dist.ReduceOp.BAND: lambda a: np.bitwise_and.reduce(a, 0), dist.ReduceOp.BOR: lambda a: np.bitwise_or.reduce(a, 0),
       dist.ReduceOp.BXOR: lambda a: np.bitwise_xor.reduce(a, 0)}

for op, ref in OPS.items():
    for dtype in (np.float32, np.float64, np.int64, np.int32):
        kind = np.dtype(dtype).kind
        if (op in (dist.ReduceOp.BAND, dist.ReduceOp.BOR, dist.ReduceOp.BXOR)) == (kind == "f"):
            continue
        if op is dist.ReduceOp.AVG and kind != "f":
            continue
        for async_op in (False, True):
            t = ember.tensor(data(rank, dtype))
            buf = t._data
            work = dist.all_reduce(t, op=op, async_op=async_op)
            if async_op:
                assert work.wait() and work.is_completed()
            expect = ref(everyone(dtype)).astype(dtype)
            np.testing.assert_allclose(t.numpy(), expect, rtol=1e-5, atol=1e-6)
            assert t._data is buf  # in place, no copy
# a non-contiguous tensor is reduced too (through a copy) and written back into its own memory
base = ember.tensor(data(rank, np.float64, (6, 4)))
view = base.t()
dist.all_reduce(view)
np.testing.assert_allclose(base.numpy(), everyone(np.float64, (6, 4)).sum(0))
# bitwise ops on floats and AVG on integers raise before any communication
for op, dtype in ((dist.ReduceOp.BAND, np.float32), (dist.ReduceOp.AVG, np.int64)):
    try:
        dist.all_reduce(ember.tensor(data(rank, dtype)), op=op)
        raise AssertionError("expected RuntimeError")
    except RuntimeError as e:
        assert "ReduceOp" in str(e)
try:
    dist.all_reduce(np.zeros(3))
    raise AssertionError("expected TypeError")
except TypeError as e:
    assert "Expected parameter `tensor`" in str(e)

# reduce to each destination in turn
for dst in range(size):
    for async_op in (False, True):
        t = ember.tensor(data(rank))
        w = dist.reduce(t, dst=dst, op=dist.ReduceOp.MAX, async_op=async_op)
        if async_op:
            w.wait()
        expect = everyone().max(0) if rank == dst else data(rank)
        np.testing.assert_array_equal(t.numpy(), expect)

# broadcast from each source
for src in range(size):
    for async_op in (False, True):
        t = ember.tensor(data(rank, np.int64))
        w = dist.broadcast(t, src=src, async_op=async_op)
        if async_op:
            w.wait()
        np.testing.assert_array_equal(t.numpy(), data(src, np.int64))

# all_gather, all_gather_into_tensor
out = [ember.zeros(5, 3) for _ in range(size)]
dist.all_gather(out, ember.tensor(data(rank)))
for r in range(size):
    np.testing.assert_array_equal(out[r].numpy(), data(r))
big = ember.zeros(size * 5, 3)
dist.all_gather_into_tensor(big, ember.tensor(data(rank)), async_op=True).wait()
np.testing.assert_array_equal(big.numpy(), everyone().reshape(size * 5, 3))

# reduce_scatter: rank i gets the sum over ranks of their i-th input
inputs = [ember.tensor(data(rank * size + i)) for i in range(size)]
got = ember.zeros(5, 3)
dist.reduce_scatter(got, inputs)
expect = sum(data(r * size + rank) for r in range(size))
np.testing.assert_allclose(got.numpy(), expect, rtol=1e-5, atol=1e-6)
got2 = ember.zeros(5, 3)
dist.reduce_scatter_tensor(got2, ember.tensor(np.concatenate([data(rank * size + i) for i in range(size)])),
                           op=dist.ReduceOp.AVG)
np.testing.assert_allclose(got2.numpy(), expect / size, rtol=1e-5, atol=1e-6)

# objects
objs = [None] * size
dist.all_gather_object(objs, {"rank": rank, "name": f"r{rank}"})
assert objs == [{"rank": r, "name": f"r{r}"} for r in range(size)]
lst = [rank, "x" * rank, None]
dist.broadcast_object_list(lst, src=size - 1)
assert lst == [size - 1, "x" * (size - 1), None]

# barrier, sync and async
dist.barrier()
dist.barrier(async_op=True).wait()

# a sub-group of the first two ranks
sub = dist.new_group([0, 1])
t = ember.tensor(data(rank))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    res = dist.all_reduce(t, group=sub)
if rank < 2:
    assert dist.get_rank(sub) == rank and dist.get_world_size(sub) == 2
    np.testing.assert_allclose(t.numpy(), data(0) + data(1), rtol=1e-5, atol=1e-6)
else:
    assert res is None and "does not belong to the given group" in str(caught[0].message)
    np.testing.assert_array_equal(t.numpy(), data(rank))
    assert dist.get_rank(sub) == -1
if rank < 2:
    t = ember.tensor(data(rank, np.int64))
    dist.broadcast(t, src=1, group=sub)
    np.testing.assert_array_equal(t.numpy(), data(1, np.int64))
    dist.destroy_process_group(sub)

try:
    dist.init_process_group()
    raise AssertionError("expected ValueError")
except ValueError as e:
    assert "twice" in str(e)
dist.destroy_process_group()
assert not dist.is_initialized()
say(f"OK {rank}")
