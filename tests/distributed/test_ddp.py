"""DistributedDataParallel under mpiexec -n 2: training equals one process on the global batch (workers/ddp.py)."""
from _mpirun import check, mpiexec


def test_ddp_trains_like_one_process_on_the_global_batch():
    proc = mpiexec("ddp.py", 2, timeout=120)
    check(proc, 2)
    assert "max |DDP - one process|" in proc.stdout
