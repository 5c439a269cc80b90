"""The `ember` command's fault contract: a mistake in the config, the data, the file system or the
environment exits with status 2 and one `ember: error:` line that names the key or file and what is
allowed, before any training; no traceback (`--debug` shows one). Run files are written atomically."""
from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ember
from conftest import run_module

QUICK = ["--set", "train.epochs=2", "--set", "output.plots=false", "--set", "model.hidden=[16]",
         "--set", "swa.enabled=false"]


def _one_error(r, *needles, code=2):
    assert r.code == code, (r.code, r.out, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ember: "), r.err
    assert "Traceback" not in r.err
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def _no_run_started(root: Path):
    """Validation happened before training: no checkpoint anywhere under ``root``."""
    assert not list(Path(root).rglob("*.ckpt")), list(Path(root).rglob("*"))


# ----------------------------------------------------------------------------- config values
@pytest.mark.parametrize("setting, needles", [
    ("loss.name=MSELoss", ["[loss] MSELoss()", "fails on one batch", "class indices", "CrossEntropyLoss"]),
    ("optimizer.betas=[0.9]", ["optimizer.betas must be a list of 2 numbers", "[0.9, 0.999]", "got [0.9]"]),
    ("optimizer.betas=0.9", ["optimizer.betas must be a list of 2 numbers", "got 0.9"]),
    ("loss.label_smoothing=2", ["[loss] CrossEntropyLoss(label_smoothing=2)", "between 0.0 and 1.0"]),
    ("loss.reduction=avg", ['loss.reduction must be "mean" or "sum"', 'got "avg"']),
    ("loss.reduction=none", ['loss.reduction must be "mean" or "sum"', 'got "none"']),
    ("scheduler.1.T_max=0", ["[scheduler.1] CosineAnnealingLR(", "T_max=0", "fails at scheduler step",
                             "ZeroDivisionError"]),
    ('optimizer.lr="fast"', ["optimizer.lr must be a number", "default of AdamW: 0.001", 'got "fast"']),
    ("model.hidden=256", ["model.hidden must be a list of numbers", "[256, 128]", "got 256"]),
    ("model.hidden=[1000000000]", ["model.hidden sizes must be integers between 1 and 65536"]),
    ("model.dropout=true", ["model.dropout must be a number", "got true"]),
    ("optimizer.amsgrad=1", ["optimizer.amsgrad must be a boolean", "got 1"]),
    ("optimizer.name=LBFGS", ["optimizer LBFGS is not offered by the command", "needs a closure",
                              "optimizer.step(closure)"]),
    ("metrics.accuracy.top_k=0", ["[metrics.accuracy] MulticlassAccuracy(", "top_k"]),
    ("train.epochs=1000000000", ["[train] epochs must be between 1 and 100_000, got 1_000_000_000"]),
    ("data.batch_size=0", ["[data] batch_size must be between 1 and"]),
])
def test_a_bad_config_value_is_one_line_naming_the_key_before_training(ember_cli, tmp_path, setting, needles):
    r = ember_cli("train", "--set", "train.epochs=8", "--set", f"output.dir={tmp_path / 'runs'}",
                  "--set", "output.plots=false", "--set", setting, "--quiet")
    line = _one_error(r)
    assert all(n in line for n in needles), (needles, line)
    assert not list(tmp_path.rglob("*.ckpt")), "validation must come before training"


def test_a_later_scheduler_failure_is_found_before_the_first_epoch(ember_cli, tmp_path):
    """StepLR with step_size=0 fails at its first step; the dry schedule finds it at start."""
    r = ember_cli("train", "--set", "scheduler.name=StepLR", "--set", "scheduler.step_size=0", *QUICK,
                  "--set", f"output.dir={tmp_path}")
    assert "[scheduler] StepLR(step_size=0)" in _one_error(r)
    assert not list(tmp_path.rglob("*.ckpt")), "validation must come before training"


def test_the_real_command_never_prints_a_traceback_and_debug_does(tmp_path):
    for setting in ("loss.name=MSELoss", "optimizer.betas=[0.9]", "scheduler.1.T_max=0"):
        proc = run_module("train", "--set", setting, "--set", "train.epochs=8", cwd=tmp_path)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("ember: error: ")
    proc = run_module("--debug", "train", "--set", "loss.name=MSELoss", cwd=tmp_path)
    assert proc.returncode != 0 and "Traceback" in proc.stderr and "UsageError" in proc.stderr


def test_an_internal_error_is_one_line_with_exit_1_and_debug_shows_the_traceback(ember_cli, monkeypatch):
    from ember.app import cli

    def broken(args):
        raise KeyError("a bug")

    monkeypatch.setattr(cli, "_train", broken)
    _one_error(ember_cli("train"), "ember: internal error: KeyError: 'a bug'", "--debug", code=1)
    with pytest.raises(KeyError):
        ember_cli("--debug", "train")


# ----------------------------------------------------------------------------- bounded options
@pytest.mark.parametrize("args, needles", [
    (["plot", "lr", "--scheduler", "StepLR", "--set", "step_size=3", "--epochs", "100000000"],
     ["--epochs must be between 1 and 100_000, got 100_000_000"]),
    (["plot", "lr", "--scheduler", "StepLR", "--set", "step_size=3", "--epochs", "0"], ["--epochs must be between 1"]),
    (["plot", "optimizers", "--steps", "1000000000"], ["--steps must be between 1 and 100_000"]),
    (["plot", "optimizers", "--frames", "1000000"], ["--frames must be between 2 and 1_000"]),
    (["find-lr", "--steps", "1000000000"], ["--steps must be between 2 and 100_000"]),
])
def test_absurd_option_values_are_rejected_at_once(ember_cli, args, needles):
    line = _one_error(ember_cli(*args))
    assert all(n in line for n in needles), (needles, line)


# ----------------------------------------------------------------------------- file system
def test_plot_lr_to_an_unwritable_path_names_it(ember_cli, tmp_path):
    (tmp_path / "afile").write_text("x")
    for target, reason in ((tmp_path / "afile" / "x.png", "a file (not a folder) has that name"), ("/proc/unwritable/x.png", "")):
        line = _one_error(ember_cli("plot", "lr", "--scheduler", "StepLR", "--set", "step_size=3", "-o", target),
                          str(Path(target).parent), reason)
        assert line.startswith("ember: error: cannot create the folder")
    assert not (tmp_path / "afile").is_dir()


def _fail_fsync_of(monkeypatch, name: str, nth: int, err=errno.ENOSPC):
    """Make the ``nth`` atomic write of a file called ``name`` fail with ``err`` (a full disk)."""
    from ember.app import _atomic

    real = _atomic.write_atomic
    calls = {"n": 0}

    def write_atomic(path, write):
        if Path(path).name == name:
            calls["n"] += 1
            if calls["n"] == nth:
                def failing(fh):
                    write(fh)
                    raise OSError(err, os.strerror(err))
                return real(path, failing)
        return real(path, write)

    monkeypatch.setattr(_atomic, "write_atomic", write_atomic)
    return calls


def test_a_full_disk_during_a_checkpoint_keeps_the_previous_one_and_resume_works(ember_cli, tmp_path, monkeypatch):
    _fail_fsync_of(monkeypatch, "last.ckpt", 3)
    r = ember_cli("train", *QUICK, "--set", "train.epochs=5", "--set", f"output.dir={tmp_path}",
                  "--set", "output.name=run", "--quiet")
    run_dir = tmp_path / "run"
    _one_error(r, f"cannot write {str(run_dir / 'last.ckpt')!r}", "No space left on device",
               "the previous version of the file is kept")
    assert not [p for p in run_dir.iterdir() if p.name.endswith(".tmp")], list(run_dir.iterdir())
    assert ember.load(run_dir / "last.ckpt")["epoch"] == 2
    monkeypatch.undo()
    r = ember_cli("train", "--resume", run_dir, "--quiet")
    assert r.code == 0, r.err
    assert ember.load(run_dir / "last.ckpt")["finished"]


@pytest.mark.parametrize("name, err, hint", [
    ("last.ckpt", errno.EROFS, "the file system is read-only; choose another output.dir"),  # remounted ro mid-run
    ("last.ckpt", errno.EACCES, "no permission"),
    ("best.ckpt", errno.ENOSPC, "the previous version of the file is kept"),
    ("last.ckpt", errno.EDQUOT, "free some space"),
])
def test_a_checkpoint_write_refused_mid_run_is_one_line_and_keeps_the_old_file_byte_for_byte(
        ember_cli, tmp_path, monkeypatch, name, err, hint):
    """The run directory passed the start-up probe, then the file system refuses the second write of ``name``:
    exit 2, one line naming the file, the reason and what to do, no traceback, no temporary file, and the file
    from the epoch before is byte-identical to what was on disk before the failed write."""
    from ember.app import _atomic

    real, before = _atomic.write_atomic, {}

    def write_atomic(path, write):
        path = Path(path)
        if path.name == name and path.exists() and not before:
            before["bytes"] = path.read_bytes()

            def failing(fh):
                write(fh)
                raise OSError(err, os.strerror(err))
            return real(path, failing)
        return real(path, write)

    monkeypatch.setattr(_atomic, "write_atomic", write_atomic)
    r = ember_cli("train", *QUICK, "--set", "train.epochs=3", "--set", "train.early_stopping=0",
                  "--set", f"output.dir={tmp_path}", "--set", "output.name=run", "--quiet")
    run_dir = tmp_path / "run"
    _one_error(r, f"cannot write {str(run_dir / name)!r}", os.strerror(err), hint)
    assert before and (run_dir / name).read_bytes() == before["bytes"]
    assert not [p for p in run_dir.iterdir() if p.name.endswith(".tmp")], list(run_dir.iterdir())


def test_stale_temporary_files_are_removed_on_resume(ember_cli, tmp_path):
    from ember.app.report import Reporter
    from ember.app.train import Interrupted, start
    from ember.app import config as C

    cfg = C.load(None, [s for s in QUICK if s != "--set"] + ["train.epochs=3", f"output.dir={tmp_path}",
                                                             "output.name=run"])
    with pytest.raises(Interrupted):
        start(cfg, Reporter(quiet=True), on_step=lambda tr: tr.epoch == 1 and tr.request_stop())
    run_dir = tmp_path / "run"
    stale = run_dir / ".last.ckpt.k3j4h2.tmp"
    stale.write_bytes(b"PK\x03\x04 half a zip")
    assert ember_cli("train", "--resume", run_dir, "--quiet").code == 0
    assert not stale.exists()


def _unshare_ok() -> bool:
    if not shutil.which("unshare") or os.geteuid() != 0:
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0


def _in_tmpfs(script: str, tmp_path: Path, timeout=300) -> subprocess.CompletedProcess:
    """Run the shell ``script`` in a private mount namespace with a tmpfs at $MNT (``size`` set by it)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    env = dict(os.environ, MNT=str(mnt), PY=sys.executable)
    return subprocess.run(["unshare", "-m", "sh", "-c", "set -u\n" + script], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=timeout)


needs_unshare = pytest.mark.skipif(not _unshare_ok(), reason="needs root and unshare -m (a private tmpfs)")
TMPFS_ARGS = "--set train.epochs=6 --set output.plots=false --set model.hidden=[16] --set swa.enabled=false --quiet"


@needs_unshare
def test_a_real_full_disk_tmpfs(tmp_path):
    """A tmpfs that holds two checkpoints but not a third during the rename: exit 2 naming the file,
    no temporary file left, and after the disk grows `--resume` finishes the run."""
    args = TMPFS_ARGS + " --set model.hidden=[256]"     # checkpoints much larger than the other files
    ref = run_module("train", *args.split(), "--set", f"output.dir={tmp_path / 'ref'}",
                     "--set", "output.name=run", cwd=tmp_path)
    assert ref.returncode == 0, ref.stderr
    size = (tmp_path / "ref" / "run" / "last.ckpt").stat().st_size
    assert size > 100_000
    script = f"""
mount -t tmpfs -o size={int(2.5 * size) + 8 * 4096} tmpfs "$MNT"
"$PY" -m ember train {args} --set output.dir="$MNT" --set output.name=run; echo "train_rc=$?"
ls -a "$MNT/run"
mount -o remount,size=50m "$MNT"
"$PY" -m ember train --resume "$MNT/run" --quiet; echo "resume_rc=$?"
"$PY" -c "import ember, sys; print('finished', ember.load(sys.argv[1])['finished'])" "$MNT/run/last.ckpt"
"""
    proc = _in_tmpfs(script, tmp_path)
    out, err = proc.stdout, proc.stderr
    assert "train_rc=2" in out, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0] and "Traceback" not in err, err
    assert ".ckpt'" in lines[0]
    listing = out.split("train_rc=2", 1)[1].split("resume_rc", 1)[0]
    assert "last.ckpt" in listing and "best.ckpt" in listing, listing
    assert ".tmp" not in listing, listing
    assert "resume_rc=0" in out and "finished True" in out, (out, err)


@needs_unshare
def test_a_read_only_run_directory_is_reported_at_start(tmp_path):
    script = f"""
mount -t tmpfs -o size=20m tmpfs "$MNT"
"$PY" -m ember train {TMPFS_ARGS} --set output.dir="$MNT" --set output.name=run; echo "first_rc=$?"
rm "$MNT/run/last.ckpt"; mount -o remount,ro "$MNT"
"$PY" -m ember train {TMPFS_ARGS} --set output.dir="$MNT/new"; echo "new_rc=$?"
"$PY" -m ember train --resume "$MNT/run" --quiet; echo "resume_rc=$?"
"""
    proc = _in_tmpfs(script, tmp_path)
    out, err = proc.stdout, proc.stderr
    assert "first_rc=0" in out and "new_rc=2" in out and "resume_rc=2" in out, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in err, err
    assert "Read-only file system" in lines[0] and "/new" in lines[0], lines[0]
    assert "Read-only file system" in lines[1] and "/run" in lines[1], lines[1]
    assert "epoch" not in out


def test_a_read_only_directory_is_found_before_training_injected(ember_cli, tmp_path, monkeypatch):
    """The same without root: the probe write fails with EROFS; no epoch runs."""
    from ember.app import _atomic, train

    def refuse(*a, **k):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(_atomic.tempfile, "mkstemp", refuse)
    epochs = []
    monkeypatch.setattr(train.Trainer, "_train_epoch", lambda self: epochs.append(1))
    r = ember_cli("train", *QUICK, "--set", f"output.dir={tmp_path / 'ro'}")
    _one_error(r, "cannot write", str(tmp_path / "ro"), "Read-only file system", "choose another output.dir")
    assert epochs == []


# ----------------------------------------------------------------------------- data and predictions
def test_nan_features_name_the_file_and_sample(ember_cli, tmp_path):
    x = np.random.default_rng(0).normal(size=(60, 4))
    x[7, 2] = np.nan
    np.savez(tmp_path / "nan.npz", x=x, y=np.arange(60) % 3)
    r = ember_cli("train", "--set", "data.name=npz", "--set", f"data.path={tmp_path / 'nan.npz'}", *QUICK)
    assert "sample 7" in _one_error(r, "nan.npz", "NaN or infinite feature values")


def test_nan_predictions_stop_the_run_with_one_line(ember_cli, tmp_path, monkeypatch):
    """A model whose evaluation output is NaN (while its training loss is finite)."""
    import ember.nn as nn
    from ember.app import models

    class NanInEval(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            out = self.inner(x)
            return out if self.training else out * float("nan")

    real = models.MODELS["mlp"]
    monkeypatch.setitem(models.MODELS, "mlp", lambda *a, **k: NanInEval(real(*a, **k)))
    r = ember_cli("train", *QUICK, "--set", f"output.dir={tmp_path}", "--set", "output.name=run")
    assert "the run stopped" in _one_error(r, "the model's predictions on the validation set at epoch 1 are not finite")


# ----------------------------------------------------------------------------- checkpoints
def test_best_is_written_before_last(tmp_path, monkeypatch):
    from ember.app import config as C
    from ember.app.report import Reporter
    from ember.app.train import Trainer, start

    order = []
    real = Trainer.save
    monkeypatch.setattr(Trainer, "save", lambda self, name, state=None: order.append(name) or real(self, name, state))
    start(C.load(None, [s for s in QUICK if s != "--set"] + [f"output.dir={tmp_path}"]), Reporter(quiet=True))
    epochs = [n for n in order if n in ("best.ckpt", "last.ckpt")]
    assert epochs[:2] == ["best.ckpt", "last.ckpt"]
    for i, name in enumerate(epochs):
        if name == "best.ckpt":
            assert epochs[i + 1] == "last.ckpt"


def test_a_kill_between_best_and_last_resumes_to_the_same_files(tmp_path, monkeypatch):
    """Written in the new order, a kill after best.ckpt leaves last.ckpt one epoch behind; the
    resumed run repeats that epoch and ends with files identical to an uninterrupted run."""
    from ember.app import config as C
    from ember.app.report import Reporter
    from ember.app.train import Trainer, resume, start

    sets = [s for s in QUICK if s != "--set"] + ["train.epochs=4", f"output.dir={tmp_path}"]
    ref, _ = start(C.load(None, sets + ["output.name=ref"]), Reporter(quiet=True))

    class Killed(BaseException):
        pass

    real = Trainer.save

    def save(self, name, state=None):
        if name == "last.ckpt" and self.epoch == 2 and not hasattr(self, "_killed"):
            self._killed = True
            raise Killed
        return real(self, name, state)

    monkeypatch.setattr(Trainer, "save", save)
    with pytest.raises(Killed):
        start(C.load(None, sets + ["output.name=run"]), Reporter(quiet=True))
    run = tmp_path / "run"
    assert ember.load(run / "last.ckpt")["epoch"] == 1 and ember.load(run / "best.ckpt")["epoch"] == 2
    monkeypatch.undo()
    resume(run, Reporter(quiet=True))
    _assert_same_files(ref.run_dir, run)


def _assert_same_files(a: Path, b: Path):
    for name in ("final_model.ckpt", "best.ckpt", "last.ckpt"):
        sa, sb = _flat(ember.load(a / name)), _flat(ember.load(b / name))
        assert sa.keys() == sb.keys(), name
        for k in sa:
            if k.endswith(("time_s", "/wall")):
                continue
            va, vb = sa[k], sb[k]
            if isinstance(va, np.ndarray):
                assert va.dtype == vb.dtype and np.array_equal(va, vb, equal_nan=True), (name, k)
            else:
                assert va == vb, (name, k, va, vb)


def _flat(obj, prefix=""):
    out = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(_flat(v, f"{prefix}/{k}"))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            out.update(_flat(v, f"{prefix}/{i}"))
    elif hasattr(obj, "numpy"):
        out[prefix] = obj.numpy()
    elif isinstance(obj, np.ndarray):
        out[prefix] = obj
    else:
        out[prefix] = obj
    return out


KILL_ARGS = ["--set", "train.epochs=12", "--set", "output.plots=false", "--set", "model.hidden=[24]",
             "--set", "swa.start=9", "--set", "model.dropout=0.3", "--set", "data.batch_size=128", "--quiet"]


def test_sigkill_at_random_moments_then_resume_is_bit_identical(tmp_path):
    """`python -m ember train` killed with SIGKILL at random moments (six times, often inside a
    checkpoint write), each time continued with `--resume`, ends with final, best and last
    checkpoints bit-identical to an uninterrupted run."""
    import time

    def popen(*args):
        return subprocess.Popen([sys.executable, "-m", "ember", *map(str, args)], cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    t0 = time.perf_counter()
    ref = popen("train", *KILL_ARGS, "--set", f"output.dir={tmp_path}", "--set", "output.name=ref")
    assert ref.wait(timeout=300) == 0, ref.stderr.read()
    wall = time.perf_counter() - t0
    rng = np.random.default_rng(17)
    run = tmp_path / "run"
    kills, stale_seen, done, early = 0, 0, False, 0
    while not done:
        if (run / "config.json").is_file():
            stale_seen += sum(1 for p in run.iterdir() if p.name.endswith(".tmp"))
            proc = popen("train", "--resume", run, "--quiet")
        else:                          # killed before the run directory held its config: start again
            shutil.rmtree(run, ignore_errors=True)
            proc = popen("train", *KILL_ARGS, "--set", f"output.dir={tmp_path}", "--set", "output.name=run")
        if kills < 6:
            try:
                proc.wait(timeout=float(rng.uniform(0.2, 1.0)) * wall)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                kills += 1
                continue
            # it finished before its kill (a resumed run is shorter than the reference): start over, so that the
            # six kills all happen
            assert proc.returncode == 0 or "already finished" in proc.stderr.read()
            early += 1
            assert early < 30, "the run kept finishing before it could be killed"
            shutil.rmtree(run, ignore_errors=True)
            continue
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 or "already finished" in err, err
        done = True
    assert kills == 6
    assert not [p for p in run.iterdir() if p.name.endswith(".tmp")]
    _assert_same_files(tmp_path / "ref", run)
    print(f"{kills} kills, {stale_seen} temporary files left by a kill inside a write (then removed)")


# `ember train` whose n-th write of last.ckpt is killed (SIGKILL to itself) after a given fraction of the bytes
# reached the temporary file (1.0: all of them, fsync-ed, not yet renamed)
_KILL_IN_WRITE = r"""
import io, os, signal, sys
from pathlib import Path
from ember.app import _atomic
from ember.app.cli import main
nth, frac, real, seen = int(os.environ["KILL_NTH"]), float(os.environ["KILL_FRAC"]), _atomic.write_atomic, [0]
def write_atomic(path, write):
    if Path(path).name != "last.ckpt":
        return real(path, write)
    seen[0] += 1
    if seen[0] != nth:
        return real(path, write)
    def killed(fh):
        buf = io.BytesIO()
        write(buf)
        fh.write(buf.getvalue()[:int(frac * len(buf.getvalue()))])
        fh.flush()
        os.fsync(fh.fileno())
        os.kill(os.getpid(), signal.SIGKILL)
    return real(path, killed)
_atomic.write_atomic = write_atomic
sys.exit(main(sys.argv[1:]))
"""


def test_sigkill_inside_checkpoint_writes_then_resume_is_bit_identical(tmp_path):
    """Three SIGKILLs, each inside a write of last.ckpt (a random one of the writes left, at a random byte):
    the previous last.ckpt stays readable, `ember train --resume` carries on from it, and the final, best and
    last checkpoints are bit-identical to an uninterrupted run's."""
    ref = run_module("train", *KILL_ARGS, "--set", f"output.dir={tmp_path}", "--set", "output.name=ref",
                     cwd=tmp_path)
    assert ref.returncode == 0, ref.stderr
    epochs, rng, run = 12, np.random.default_rng(5), tmp_path / "run"
    for kill in range(4):
        done = ember.load(run / "last.ckpt")["epoch"] if (run / "last.ckpt").is_file() else 0
        nth, frac = int(rng.integers(1, epochs - done + 2)), float(rng.choice([rng.uniform(0, 1), 1.0]))
        args = ["--resume", run, "--quiet"] if kill else \
            [*KILL_ARGS, "--set", f"output.dir={tmp_path}", "--set", "output.name=run"]
        env = dict(os.environ, KILL_NTH=str(nth if kill < 3 else 0), KILL_FRAC=str(frac))
        print(f"run {kill}: from epoch {done}, killed in write {nth if kill < 3 else None} at {frac:.2f}")
        proc = subprocess.run([sys.executable, "-c", _KILL_IN_WRITE, "train", *map(str, args)], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=300)
        if kill == 3:
            assert proc.returncode == 0, proc.stderr
            break
        assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr)
        assert [p.name for p in run.iterdir() if p.name.startswith(".last.ckpt.") and p.name.endswith(".tmp")]
        if done + nth > 1:  # the last.ckpt of the epoch before the killed write is whole
            assert ember.load(run / "last.ckpt")["epoch"] == min(done + nth - 1, epochs)
    assert not [p for p in run.iterdir() if p.name.endswith(".tmp")]
    _assert_same_files(tmp_path / "ref", run)


# ----------------------------------------------------------------------------- tensorboard
def test_tensorboard_event_files_hold_every_epoch(tmp_path):
    """30 epochs (interrupted at epoch 11 and resumed): every scalar has all 30 points, read back
    with TensorBoard's own EventAccumulator."""
    pytest.importorskip("tensorboardX")
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    from ember.app import config as C
    from ember.app.report import Reporter
    from ember.app.train import Interrupted, resume, start

    cfg = C.load(None, ["train.epochs=30", "output.plots=false", "model.hidden=[8]", "swa.enabled=false",
                        "data.batch_size=256", f"output.dir={tmp_path}", "output.name=run"])
    with pytest.raises(Interrupted):
        start(cfg, Reporter(quiet=True), tensorboard=True, on_step=lambda tr: tr.epoch == 11 and tr.request_stop())
    resume(tmp_path / "run", Reporter(quiet=True), tensorboard=True)
    files = list((tmp_path / "run" / "tensorboard").iterdir())
    assert len(files) == 2, files                       # one writer per process run, never overwritten
    acc = ea_mod.EventAccumulator(str(tmp_path / "run" / "tensorboard"), size_guidance={"scalars": 0})
    acc.Reload()
    tags = acc.Tags()["scalars"]
    assert {"train/loss", "val/loss", "val/accuracy", "lr"} <= set(tags), tags
    history = json.loads((tmp_path / "run" / "metrics.json").read_text())
    for tag in tags:
        events = acc.Scalars(tag)
        assert sorted(e.step for e in events) == list(range(1, 31)), (tag, [e.step for e in events])
    key = {"train/loss": "train_loss", "val/accuracy": "val_accuracy"}
    for tag, col in key.items():
        got = {e.step: e.value for e in acc.Scalars(tag)}
        np.testing.assert_allclose([got[r["epoch"]] for r in history], [r[col] for r in history], rtol=1e-6)


def test_the_tensorboard_flag_of_ember_train_writes_all_30_points_of_every_scalar(ember_cli, tmp_path):
    """`ember train --tensorboard` for 30 epochs in one go: one event file, every scalar at steps 1..30 once."""
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    r = ember_cli("train", "--tensorboard", "--set", "train.epochs=30", "--set", "output.plots=false",
                  "--set", "model.hidden=[8]", "--set", "swa.enabled=false", "--set", "data.batch_size=256",
                  "--set", f"output.dir={tmp_path}", "--set", "output.name=run", "--quiet")
    assert r.code == 0, r.err
    folder = tmp_path / "run" / "tensorboard"
    assert len(list(folder.iterdir())) == 1
    acc = ea_mod.EventAccumulator(str(folder), size_guidance={"scalars": 0})
    acc.Reload()
    tags = acc.Tags()["scalars"]
    assert {"train/loss", "val/loss", "val/accuracy", "lr"} <= set(tags), tags
    for tag in tags:
        assert [e.step for e in acc.Scalars(tag)] == list(range(1, 31)), tag
    history = json.loads((tmp_path / "run" / "metrics.json").read_text())
    np.testing.assert_allclose([e.value for e in acc.Scalars("val/loss")], [row["val_loss"] for row in history],
                               rtol=1e-6)


# ----------------------------------------------------------------------------- find_lr
def test_find_lr_suggestion_skips_the_noise_of_the_first_batches():
    """A steep drop over the first points (a few batches' noise in the young moving average) no longer
    wins over the real descent; before the fix this curve gave lr 1.2e-7."""
    from ember.app.find_lr import suggest

    lrs = np.geomspace(1e-7, 10, 100)
    x = np.log10(lrs)
    loss = 2.3 - 1.8 / (1 + np.exp(-3 * (x + 2.5))) + 0.5 * np.maximum(x + 1.5, 0) ** 2   # descent at 10^-2.5
    loss[:3] += [1.2, 0.6, 0.1]
    steep, at_min = suggest(lrs, loss)
    assert 10 ** -3 < steep < 10 ** -2 and steep < at_min
    assert suggest(lrs, loss, skip_start=0)[0] < 1e-6          # what the unskipped search picks
    flat_then_min = np.r_[np.linspace(3, 1, 5), np.linspace(1, 4, 95)]   # minimum inside the skipped points
    assert suggest(lrs, flat_then_min) == (pytest.approx(lrs[4] / 10), pytest.approx(lrs[4]))


def test_find_lr_on_the_digits_suggests_a_usable_lr():
    from ember.app import find_lr, load_config
    from ember.app.train import Run

    run = Run(load_config(sets=["scheduler.name=none", "swa.enabled=false", "model.hidden=[64]"]))
    res = find_lr(run.model, run.loss_fn, run.optimizer, run.train_loader)
    assert 1e-4 < res.suggested_lr < 0.5, res.suggested_lr
