"""`mpiexec -n 2 python -m ember train` trains data-parallel: the same result as one process on the same global
batches (up to float rounding); rank 0 alone prints and writes the run directory; --resume works under mpiexec."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from _mpirun import SRC

import ember

BASE = ["train.epochs=2", "output.plots=false", "model.hidden=[32]", "model.dropout=0.0", "swa.enabled=false"]
# SyncBatchNorm and no_sync accumulation; SGD (Adam would turn the pure-rounding gradient of the bias in front of
# a batch norm, zero in exact arithmetic, into full-size steps)
BN_SGD = BASE + ["model.batch_norm=true", "train.accumulate=2", "optimizer.name=SGD", "optimizer.lr=0.05",
                 "optimizer.momentum=0.9"]


def _mpiexec_ember(*args, cwd, n=2):
    pytest.importorskip("mpi4py")
    if shutil.which("mpiexec") is None:
        pytest.skip("mpiexec not found")
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), EMBER_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", EMBER_DISABLE_NUMBA="1")
    return subprocess.run(["mpiexec", "-n", str(n), sys.executable, "-m", "ember", "train", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=240, check=False)


def _sets(sets):
    return [a for s in sets for a in ("--set", s)]


def _one_process(sets, out, name, on_step=None):
    from ember.app import config as C
    from ember.app.report import Reporter
    from ember.app.train import start

    return start(C.load(None, sets + [f"output.dir={out}", f"output.name={name}"]), Reporter(quiet=True),
                 on_step=on_step)


def _assert_close_runs(a, b, atol=2e-5):
    wa, wb = ember.load(a / "final_model.ckpt"), ember.load(b / "final_model.ckpt")
    assert wa.keys() == wb.keys()
    for k in wa:
        np.testing.assert_allclose(wa[k].numpy(), wb[k].numpy(), atol=atol, rtol=0, err_msg=k)
    ha, hb = json.loads((a / "metrics.json").read_text()), json.loads((b / "metrics.json").read_text())
    for ra, rb in zip(ha, hb):
        for k in ra:
            if k != "time_s":
                np.testing.assert_allclose(rb[k], ra[k], rtol=1e-4, atol=1e-5, err_msg=k)


def test_mpiexec_train_equals_one_process_on_the_global_batch(tmp_path):
    _one_process(BN_SGD, tmp_path, "one")
    proc = _mpiexec_ember(*_sets(BN_SGD + [f"output.dir={tmp_path}", "output.name=two"]), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("run directory") == 2  # rank 0 only: the start line and the summary
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one", "two"]
    assert {"last.ckpt", "best.ckpt", "final_model.ckpt", "metrics.json"} <= {p.name for p in (tmp_path / "two").iterdir()}
    _assert_close_runs(tmp_path / "one", tmp_path / "two")


def test_resume_under_mpiexec_finishes_like_the_uninterrupted_run(tmp_path):
    from ember.app.train import Interrupted

    ref, _ = _one_process(BASE, tmp_path, "ref")
    stop = ref.run.steps_per_epoch + 3  # mid-epoch 2
    with pytest.raises(Interrupted):
        _one_process(BASE, tmp_path, "run", on_step=lambda tr: tr.global_step == stop and tr.request_stop())
    assert not ember.load(tmp_path / "run" / "last.ckpt")["finished"]
    proc = _mpiexec_ember("--resume", str(tmp_path / "run"), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["epochs_run"] == 2  # one JSON line, from rank 0
    _assert_close_runs(ref.run_dir, tmp_path / "run")


def test_an_error_under_mpiexec_ends_every_rank_with_its_message(tmp_path):
    """A rank that stops with an error ends the job (MPI_Abort) instead of leaving the others in a collective."""
    proc = _mpiexec_ember("--resume", str(tmp_path / "missing"), cwd=tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert f"ember: error: --resume: run directory {str(tmp_path / 'missing')!r} does not exist" in out, out
    assert "ember exits with status 2; aborting all ranks (MPI_Abort)" in out, out
