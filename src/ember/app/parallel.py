"""Data-parallel ``ember train`` under ``mpiexec -n N``: the global batch is split over the ranks.

Every rank builds the same run (same seed: same data order and initial weights; DistributedDataParallel also
broadcasts rank 0's), takes its contiguous share of each global batch, and the averaged gradients make every
rank take the step one process would take on the whole batch. The loss of a share is weighted by
``len(share) · N / len(batch)`` (``mean`` losses; N for ``sum``), so the average over ranks is the global batch's
gradient even when the batch does not split evenly; a rank whose share is empty runs one row with weight 0.
The running loss and accuracy are summed over ranks every step, evaluation splits each batch the same way (the
metrics sync in ``compute()``), so every rank sees the numbers of the single-process run.

Rank 0 owns the run directory and the console; the other ranks write their (identical) files into a scratch
directory that is removed at exit, and print nothing.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import numpy as np

_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "SLURM_NTASKS")
_state: dict = {}


def launched_size() -> int:
    """The number of processes the MPI launcher started (1 when not under mpiexec)."""
    for var in _SIZE_VARS[:3]:
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return 1


def current():
    """The job's ``DataParallel`` when started by mpiexec with several ranks, else None (initializes MPI once)."""
    if "par" not in _state:
        _state["par"] = DataParallel() if launched_size() > 1 else None
    return _state["par"]


def is_main() -> bool:
    """True on the rank that prints and writes the run directory (always, without mpiexec)."""
    par = current()
    return par is None or par.rank == 0


def end_job_on_error(code: int) -> int:
    """Return ``code``; but under mpiexec a rank that stops with an error (exit status 1 or 2) ends every rank
    with MPI_Abort: the others would otherwise wait in their next collective."""
    par = _state.get("par")
    if par is not None and code in (1, 2):
        from ember.distributed._group import _abort

        _abort(f"ember exits with status {code}")
    return code


class DataParallel:
    """This rank's view of the data-parallel job."""

    def __init__(self):
        from ember import distributed as dist

        if not dist.is_initialized():
            dist.init_process_group()
        self.dist = dist
        self.rank, self.size = dist.get_rank(), dist.get_world_size()

    def wrap(self, model):
        """The model to train with: ``DistributedDataParallel`` (BatchNorm layers become SyncBatchNorm, so the
        statistics are those of the global batch)."""
        from ember.nn import SyncBatchNorm
        from ember.nn.parallel import DistributedDataParallel

        return DistributedDataParallel(SyncBatchNorm.convert_sync_batchnorm(model))

    def shard(self, x, y, reduction="mean"):
        """This rank's rows of a global batch and the weight of their loss (module doc)."""
        n = len(y)
        lo, hi = self.rank * n // self.size, (self.rank + 1) * n // self.size
        if hi == lo:
            return x[:1], y[:1], 0.0
        weight = float(self.size) if reduction == "sum" else (hi - lo) * self.size / n
        return x[lo:hi], y[lo:hi], weight

    def sum(self, *values):
        """The sums over ranks of a few numbers (float64), in one all-reduce."""
        import ember

        t = ember.tensor(np.array(values, dtype=np.float64))
        self.dist.all_reduce(t)
        return t.numpy().tolist()

    def scratch_dir(self):
        """A directory of this rank's own, removed at exit, for the files only rank 0 keeps."""
        path = tempfile.mkdtemp(prefix=f"ember-rank{self.rank}-")
        atexit.register(shutil.rmtree, path, True)
        from pathlib import Path

        return Path(path)
