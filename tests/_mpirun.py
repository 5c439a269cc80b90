"""Run a worker script under ``mpiexec -n N`` from pytest, with a timeout, and return its exit code and output."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WORKERS = Path(__file__).parent / "distributed" / "workers"
SRC = str(Path(__file__).resolve().parents[1] / "src")


def mpiexec(script: str, n: int, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """``mpiexec -n n python workers/script args`` with ember's source on PYTHONPATH and one thread per rank.
    numba is off in the workers: they test communication, and compiling kernels in every rank is slow."""
    pytest.importorskip("mpi4py")
    exe = shutil.which("mpiexec")
    if exe is None:
        pytest.skip("mpiexec not found")
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", NUMBA_NUM_THREADS="1", EMBER_NUM_THREADS="1",
               EMBER_DISABLE_NUMBA="1")
    cmd = [exe, "-n", str(n), sys.executable, str(WORKERS / script), *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


def check(proc: subprocess.CompletedProcess, n: int, marker: str = "OK") -> None:
    """The run exited 0 and every rank printed ``marker <rank>``."""
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    for r in range(n):
        assert f"{marker} {r}" in proc.stdout, out
