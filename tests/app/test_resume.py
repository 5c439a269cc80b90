"""An interrupted run resumed with `ember train --resume` ends with the same weights as an
uninterrupted one (model, SWA average, optimizer state, history), wherever it was interrupted."""
from __future__ import annotations

import json
import signal
import subprocess
import sys

import numpy as np
import pytest

import ember
from conftest import run_module

# everything that carries state across steps: dropout (ember RNG), shuffling (loader RNG),
# AdamW moments, warm-up + cosine, SWA from epoch 3 with SWALR, gradient accumulation and clipping
SETS = ["train.epochs=5", "swa.start=3", "swa.anneal_epochs=1", "train.accumulate=2", "train.grad_clip=1.0",
        "model.hidden=[32]", "model.dropout=0.3", "output.plots=false", "scheduler.0.epochs=1",
        "scheduler.0.total_iters=1"]


def _config(out_dir, name):
    from ember.app import config as C

    return C.load(None, SETS + [f"output.dir={out_dir}", f"output.name={name}"])


def _weights(run_dir):
    final = ember.load(run_dir / "final_model.ckpt")
    last = ember.load(run_dir / "last.ckpt")
    hist = [{k: v for k, v in row.items() if k != "time_s"} for row in last["history"]]
    return final, last, hist


def _assert_same(a, b):
    fa, la, ha = a
    fb, lb, hb = b
    assert fa.keys() == fb.keys()
    for k in fa:
        assert np.array_equal(fa[k].numpy(), fb[k].numpy()), k
    for k in la["model"]:
        assert np.array_equal(la["model"][k].numpy(), lb["model"][k].numpy()), k
    sa, sb = la["optimizer"]["state"], lb["optimizer"]["state"]
    for pid in sa:
        for key, v in sa[pid].items():
            if hasattr(v, "numpy"):
                assert np.array_equal(v.numpy(), sb[pid][key].numpy()), (pid, key)
    assert ha == hb


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    from ember.app.report import Reporter
    from ember.app.train import start

    out = tmp_path_factory.mktemp("ref")
    trainer, _ = start(_config(out, "ref"), Reporter(quiet=True))
    return _weights(trainer.run_dir), trainer.run.steps_per_epoch


@pytest.mark.parametrize("stop_at", ["mid_epoch", "epoch_boundary", "in_swa_phase", "twice"])
def test_resume_after_interruption_gives_the_same_weights(uninterrupted, tmp_path, stop_at):
    from ember.app.cli import main
    from ember.app.report import Reporter
    from ember.app.train import Interrupted, start

    ref, spe = uninterrupted
    stops = {"mid_epoch": [spe + 3], "epoch_boundary": [2 * spe], "in_swa_phase": [3 * spe + 2],
             "twice": [4, 3 * spe + 1]}[stop_at]

    def on_step(trainer):
        if trainer.global_step in stops:
            trainer.request_stop()

    with pytest.raises(Interrupted):
        start(_config(tmp_path, "run"), Reporter(quiet=True), on_step=on_step)
    run_dir = tmp_path / "run"
    assert (run_dir / "last.ckpt").exists() and not (run_dir / "final_model.ckpt").exists()
    ckpt = ember.load(run_dir / "last.ckpt")
    assert ckpt["global_step"] == stops[0] and not ckpt["finished"]
    if len(stops) > 1:           # resume in-process with the same stop hook, interrupted again
        from ember.app import train as T

        with pytest.raises(Interrupted):
            T.resume(run_dir, Reporter(quiet=True), on_step=on_step)
        assert ember.load(run_dir / "last.ckpt")["global_step"] == stops[1]
    ember.manual_seed(12345)        # the resumed run must not depend on the state of this process
    assert main(["train", "--resume", str(run_dir), "--quiet"]) == 0
    _assert_same(_weights(run_dir), ref)


def test_ctrl_c_saves_a_checkpoint_and_resume_finishes_the_run(tmp_path):
    """A real SIGINT to `python -m ember train`: exit 130, a checkpoint, then --resume completes it."""
    args = ["train", "--set", f"output.dir={tmp_path}", "--set", "output.name=run", "--set", "train.epochs=400",
            "--set", "output.plots=false", "--set", "model.hidden=[16]", "--set", "swa.enabled=false"]
    proc = subprocess.Popen([sys.executable, "-m", "ember", *args], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:          # wait until training runs
            if line.split()[:2] == ["epoch", "2/400"]:
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "--resume" in err
    ckpt = ember.load(tmp_path / "run" / "last.ckpt")
    assert 2 <= ckpt["epoch"] < 400 and not ckpt["finished"]
    # finish quickly: the saved config says 400 epochs; the resumed run continues from the checkpoint
    cfg_path = tmp_path / "run" / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["train"]["epochs"] = ckpt["epoch"] + 1
    cfg_path.write_text(json.dumps(cfg))
    done = run_module("train", "--resume", tmp_path / "run", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["epochs_run"] == ckpt["epoch"] + 1
    again = run_module("train", "--resume", tmp_path / "run", cwd=tmp_path)
    assert again.returncode == 2 and "already finished" in again.stderr


def test_resume_with_a_per_step_scheduler_and_plateau(tmp_path):
    """OneCycleLR stepped per optimizer step, and ReduceLROnPlateau fed the monitored metric."""
    from ember.app import config as C
    from ember.app.cli import main
    from ember.app.report import Reporter
    from ember.app.train import Interrupted, start

    for extra in (["scheduler.name=OneCycleLR", "scheduler.max_lr=0.01", "train.scheduler_interval=step"],
                  ["scheduler.name=ReduceLROnPlateau", "scheduler.patience=0", "scheduler.factor=0.5",
                   "scheduler.threshold=0.5"]):
        sets = SETS + extra + ["swa.enabled=false", f"output.dir={tmp_path}"]
        ref, _ = start(C.load(None, sets + ["output.name=ref"]), Reporter(quiet=True))
        with pytest.raises(Interrupted):
            start(C.load(None, sets + ["output.name=run"]), Reporter(quiet=True),
                  on_step=lambda tr: tr.global_step == 17 and tr.request_stop())
        assert main(["train", "--resume", str(tmp_path / "run"), "--quiet"]) == 0
        _assert_same(_weights(tmp_path / "run"), _weights(ref.run_dir))
        lrs = [h["lr"] for h in _weights(ref.run_dir)[2]]
        assert len(set(lrs)) > 1                       # the schedule really changed the lr
        for name in ("ref", "run"):
            __import__("shutil").rmtree(tmp_path / name)
