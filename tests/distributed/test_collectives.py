"""ember.distributed's collectives against their NumPy definitions, run under mpiexec from pytest."""
import pytest
from _mpirun import check, mpiexec

import ember.distributed as dist


@pytest.mark.parametrize("n", [2, 4])
def test_collectives_match_numpy_on_every_rank(n):
    check(mpiexec("collectives.py", n), n)


def test_api_before_init_raises_like_torch():
    assert not dist.is_initialized()
    for call in (dist.get_rank, dist.get_world_size, dist.barrier):
        with pytest.raises(ValueError, match="Default process group has not been initialized, please make sure "
                                             "to call init_process_group."):
            call()


def test_unknown_backend_raises():
    with pytest.raises(ValueError, match="backend must be one of"):
        dist.init_process_group("nccl")


def test_reduce_op_names_and_values_match_torch():
    torch = pytest.importorskip("torch")
    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"):
        assert int(getattr(dist.ReduceOp, name)) == int(getattr(torch.distributed.ReduceOp, name).value)
