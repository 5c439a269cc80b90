"""A rank that raises, dies or hangs ends the whole job with a clear error, never a hang; models that differ
across ranks raise at DistributedDataParallel's construction on every rank."""
import time

import pytest
from _mpirun import mpiexec


@pytest.mark.parametrize("mode, timeout_s, message", [
    ("raise", "60", "[rank 1] uncaught ValueError: boom on rank 1; aborting all ranks (MPI_Abort)"),
    ("kill", "60", "BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES"),
    ("hang", "3", "[rank 0] all_reduce did not finish within the timeout of 0:00:03"),
])
def test_a_failing_rank_ends_the_job(mode, timeout_s, message):
    start = time.monotonic()
    proc = mpiexec("faults.py", 2, mode, timeout_s, timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert message in out, out
    assert "UNREACHABLE" not in out
    assert time.monotonic() - start < 50


def test_models_that_differ_across_ranks_raise_at_construction():
    proc = mpiexec("faults.py", 2, "mismatch", timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    for r in (0, 1):
        assert f"MISMATCH {r}: DistributedDataParallel: the model differs across ranks: rank 0 has '0.weight' of " \
               "shape [3, 4] (float32) where rank 1 has '0.weight' of shape [5, 4] (float32)" in out, out
