"""`ember train` end to end: the default recipe, the files of a run, loaders, models, options."""
from __future__ import annotations

import csv
import gzip
import json
import struct
import tomllib

import numpy as np
import pytest

import ember
from conftest import FAST, only_run_dir, run_module

PNG = b"\x89PNG\r\n\x1a\n"


def _predict(run_dir, cfg):
    """Recompute the final model's test predictions from the saved files (independent of the app's metrics)."""
    from ember.app.data import load
    from ember.app.models import build_model

    data = load(cfg["data"])
    model = build_model(cfg["model"], data.input_shape, data.num_classes)
    model.load_state_dict(ember.load(run_dir / "final_model.ckpt"))
    model.eval()
    with ember.no_grad():
        logits = model(ember.from_numpy(data.x_test)).numpy()
    return logits.argmax(1), data.y_test


def test_default_train_reaches_097_and_writes_the_run_directory(tmp_path):
    """`ember train` with no config: digits, AdamW, warm-up + cosine, SWA; test accuracy >= 0.97."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    proc = run_module("train", "--json", "--set", f"output.dir={tmp_path / 'runs'}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["test"]["accuracy"] >= 0.97
    assert summary["final_weights"] == "swa" and summary["epochs_run"] == 30
    run_dir = only_run_dir(tmp_path / "runs")
    names = {p.name for p in run_dir.iterdir()}
    assert {"config.toml", "config.json", "metrics.csv", "metrics.json", "best.ckpt", "last.ckpt",
            "final_model.ckpt", "summary.json", "curves.png", "lr.png", "confusion_matrix.png"} <= names
    for png in ("curves.png", "lr.png", "confusion_matrix.png"):
        data = (run_dir / png).read_bytes()
        assert data[:8] == PNG and len(data) > 5000
    # the resolved config is valid TOML with the recipe's components and the filled-in lengths
    resolved = tomllib.loads((run_dir / "config.toml").read_text())
    assert resolved["optimizer"]["name"] == "AdamW" and resolved["loss"]["name"] == "CrossEntropyLoss"
    assert [s["name"] for s in resolved["scheduler"]] == ["LinearLR", "CosineAnnealingLR"]
    assert resolved["scheduler"][1]["T_max"] == 22 - 3      # SWA starts at epoch 22 (0-based) of 30
    # per-epoch metrics, CSV and JSON agree
    rows = list(csv.DictReader(open(run_dir / "metrics.csv")))
    hist = json.loads((run_dir / "metrics.json").read_text())
    assert len(rows) == len(hist) == 30
    assert float(rows[-1]["val_accuracy"]) == pytest.approx(hist[-1]["val_accuracy"])
    # checkpoints hold model, optimizer, scheduler and SWA state
    last = ember.load(run_dir / "last.ckpt")
    assert {"model", "optimizer", "scheduler", "swa_model", "swa_scheduler", "rng"} <= set(last)
    assert last["epoch"] == 30 and last["finished"]
    best = ember.load(run_dir / "best.ckpt")
    assert best["epoch"] == summary["best_epoch"]
    # the reported test metrics equal sklearn's on predictions recomputed from final_model.ckpt
    cfg = json.loads((run_dir / "config.json").read_text())
    pred, y = _predict(run_dir, cfg)
    assert summary["test"]["accuracy"] == pytest.approx(accuracy_score(y, pred), abs=1e-6)
    assert summary["test"]["f1_macro"] == pytest.approx(f1_score(y, pred, average="macro"), abs=1e-5)
    assert np.array_equal(np.array(summary["arrays"]["test_confusion_matrix"]), confusion_matrix(y, pred))


def test_train_prints_epoch_lines_and_a_final_table(ember_cli, tmp_path):
    r = ember_cli("train", *FAST, "--set", f"output.dir={tmp_path}")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert sum(line.startswith("epoch ") for line in lines) == 2
    assert "train_loss" in r.out and "val_accuracy" in r.out and "lr " in r.out
    assert "results" in r.out and "test (swa weights) accuracy" in r.out


def test_quiet_prints_nothing(ember_cli, tmp_path):
    r = ember_cli("train", *FAST, "--quiet", "--set", f"output.dir={tmp_path}")
    assert r.code == 0 and r.out == "" and r.err == ""


def test_config_file_and_set_override(ember_cli, tmp_path):
    (tmp_path / "c.toml").write_text(
        '[model]\nname = "mlp"\nhidden = [32]\nactivation = "GELU"\n\n'
        '[optimizer]\nname = "SGD"\nlr = 0.05\nmomentum = 0.9\nnesterov = true\n\n'
        '[scheduler]\nname = "StepLR"\nstep_size = 1\ngamma = 0.5\n\n'
        '[swa]\nenabled = false\n\n[metrics]\nacc = {name = "MulticlassAccuracy", average = "micro"}\n'
        '[train]\nepochs = 3\ngrad_clip = 1.0\naccumulate = 2\nmonitor = "val_acc"\n')
    r = ember_cli("train", "c.toml", "--json", "--set", "optimizer.lr=0.1", "--set", f"output.dir={tmp_path}/runs")
    assert r.code == 0, r.err
    s = r.json()
    assert s["final_weights"] == "model" and set(s["test"]) == {"loss", "acc"}
    hist = json.loads((only_run_dir(tmp_path / "runs") / "metrics.json").read_text())
    assert [h["lr"] for h in hist] == pytest.approx([0.1, 0.05, 0.025])   # StepLR halves lr each epoch


def test_early_stopping_stops_when_monitor_stalls(ember_cli, tmp_path):
    r = ember_cli("train", "--json", "--set", "train.epochs=30", "--set", "train.early_stopping=1",
                  "--set", "train.monitor=train_loss", "--set", "optimizer.lr=1e-9", "--set", "swa.enabled=false",
                  "--set", "output.plots=false", "--set", f"output.dir={tmp_path}")
    assert r.code == 0, r.err
    assert r.json()["epochs_run"] < 30


def test_param_groups_exclude_biases_and_norms_from_weight_decay():
    from ember.app.models import mlp
    from ember.app.train import build_optimizer

    model = mlp((64,), 10, hidden=(16,), dropout=0.0, batch_norm=True)
    opt = build_optimizer({"name": "AdamW", "lr": 1e-3, "weight_decay": 0.1, "no_weight_decay": ["bias", "norm"]},
                          model)
    names = {id(p): n for n, p in model.named_parameters()}
    by_wd = {g["weight_decay"]: sorted(names[id(p)] for p in g["params"]) for g in opt.param_groups}
    assert by_wd[0.1] == ["1.weight", "4.weight"]
    assert by_wd[0.0] == ["1.bias", "2.bias", "2.weight", "4.bias"]


def test_user_param_groups_by_glob(ember_cli, tmp_path):
    from ember.app.models import mlp
    from ember.app.train import build_optimizer

    model = mlp((64,), 10, hidden=(16,))
    opt = build_optimizer({"name": "SGD", "lr": 0.1, "no_weight_decay": [], "groups": [{"match": "1.*", "lr": 0.5}]},
                          model)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.1]
    assert len(opt.param_groups[0]["params"]) == 2


def _digits_rows():
    from ember.datasets import load_digits

    x, y = load_digits()
    return x[:300], y[:300]


def test_csv_npz_and_idx_data_train(ember_cli, tmp_path):
    x, y = _digits_rows()
    with open(tmp_path / "d.csv", "w") as fh:
        fh.write(",".join([f"p{i}" for i in range(64)] + ["label"]) + "\n")
        for row, t in zip(x, y):
            fh.write(",".join(str(int(v)) for v in row) + f",{t}\n")
    np.savez(tmp_path / "d.npz", x=x, y=y)
    idx = tmp_path / "idx"
    idx.mkdir()
    imgs = x.reshape(-1, 8, 8).astype(np.uint8)
    with gzip.open(idx / "train-images-idx3-ubyte.gz", "wb") as fh:
        fh.write(struct.pack(">BBBBIII", 0, 0, 8, 3, *imgs.shape) + imgs.tobytes())
    with open(idx / "train-labels-idx1-ubyte", "wb") as fh:
        fh.write(struct.pack(">BBBBI", 0, 0, 8, 1, len(y)) + y.astype(np.uint8).tobytes())
    for sets in (["data.name=csv", f"data.path={tmp_path / 'd.csv'}", "data.target=label"],
                 ["data.name=npz", f"data.path={tmp_path / 'd.npz'}"],
                 ["data.name=idx", f"data.path={idx}", "model.name=cnn", "model.channels=[8]", "train.epochs=8",
                  "scheduler.name=none", "swa.enabled=false", "optimizer.lr=0.01"]):
        args = [a for s in sets for a in ("--set", s)]
        r = ember_cli("train", *FAST, "--json", *args, "--set", f"output.dir={tmp_path / 'runs'}")
        assert r.code == 0, (sets, r.err)
        s = r.json()
        assert s["test"]["accuracy"] > 0.3, sets          # 2 epochs on 300 digits: far above chance (0.1)


def test_loaders_read_what_was_written(tmp_path):
    from ember.app.data import load_csv, read_idx

    x, y = _digits_rows()
    with open(tmp_path / "d.csv", "w") as fh:
        fh.write("label," + ",".join(f"p{i}" for i in range(64)) + "\n")
        for row, t in zip(x[:5], y[:5]):
            fh.write(f"{t}," + ",".join(str(v) for v in row) + "\n")
    xs, ys, _ = load_csv(tmp_path / "d.csv", "label")
    assert np.array_equal(xs, x[:5]) and np.array_equal(ys, y[:5])
    a = np.arange(24, dtype=">i4").reshape(2, 3, 4)
    (tmp_path / "a.idx").write_bytes(struct.pack(">BBBBIII", 0, 0, 0x0C, 3, 2, 3, 4) + a.tobytes())
    assert np.array_equal(read_idx(tmp_path / "a.idx"), a)


def test_tensorboard_event_files(ember_cli, tmp_path):
    pytest.importorskip("tensorboardX")
    r = ember_cli("train", *FAST, "--quiet", "--tensorboard", "--set", f"output.dir={tmp_path}")
    assert r.code == 0, r.err
    events = list((only_run_dir(tmp_path) / "tensorboard").glob("events.out.tfevents.*"))
    assert events and all(e.stat().st_size > 0 for e in events)
    from tensorboardX.event_file_writer import EventFileWriter  # noqa: F401  (the writer library is real)
    from tensorboardX.proto import event_pb2

    tags = set()
    for path in events:                         # TFRecord: len(8) crc(4) data crc(4)
        raw = path.read_bytes()
        i = 0
        while i < len(raw):
            (n,) = struct.unpack("<Q", raw[i:i + 8])
            ev = event_pb2.Event.FromString(raw[i + 12:i + 12 + n])
            tags |= {v.tag for v in ev.summary.value}
            i += 12 + n + 4
    assert {"train/loss", "val/accuracy", "lr"} <= tags


def test_reporter_falls_back_to_plain_lines_without_rich(monkeypatch):
    import io
    import sys

    from ember.app import report

    class TTY(io.StringIO):
        def isatty(self):
            return True

    assert type(report.make_reporter(stream=TTY())).__name__ == "RichReporter"
    monkeypatch.setitem(sys.modules, "rich", None)
    rep = report.make_reporter(stream=TTY())
    assert type(rep) is report.Reporter
    rep.epoch_end({"epoch": 1, "lr": 0.1, "train_loss": 0.5, "time_s": 1.0}, 3)
    assert rep.stream.getvalue().startswith("epoch 1/3  lr 0.1000  train_loss 0.5000")


def test_library_fit_and_datasets():
    from sklearn.datasets import load_digits as sk_digits

    from ember.app import fit, load_config
    from ember.datasets import load_digits

    x, y = load_digits()
    X, Y = sk_digits(return_X_y=True)
    assert np.array_equal(x, X) and np.array_equal(y, Y) and x.dtype == np.float32
    assert load_digits(as_images=True)[0].shape == (1797, 8, 8)
    cfg = load_config(sets=["train.epochs=1", "output.plots=false", "output.dir=" + str(__import__("tempfile").mkdtemp())])
    summary = fit(cfg)
    assert summary["epochs_run"] == 1 and 0 <= summary["test"]["accuracy"] <= 1


def test_ema_averaging_and_swa_state_in_the_checkpoint(ember_cli, tmp_path):
    r = ember_cli("train", *FAST, "--json", "--set", "swa.ema_decay=0.9", "--set", "swa.start=1",
                  "--set", f"output.dir={tmp_path}")
    assert r.code == 0, r.err
    s = r.json()
    assert s["final_weights"] == "ema"
    last = ember.load(only_run_dir(tmp_path) / "last.ckpt")
    # EMA folds in every optimizer step from the first epoch on
    assert int(last["swa_model"]["n_averaged"].item()) == last["global_step"]


def test_optional_packages_are_imported_lazily_with_an_install_hint(ember_cli, monkeypatch, tmp_path):
    import subprocess
    import sys

    code = "import ember.app, ember.app.cli, sys; print(sorted(m for m in ('matplotlib', 'rich', 'tensorboardX') " \
           "if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    r = ember_cli("plot", "lr", "--scheduler", "StepLR", "--set", "step_size=2", "-o", tmp_path / "x.png")
    assert r.code == 2 and "pip install 'ember[app]'" in r.err and "matplotlib" in r.err
    r = ember_cli("train", "--set", "train.epochs=1", "--set", f"output.dir={tmp_path}")
    assert r.code == 0 and "note: no plots written: plots need matplotlib" in r.out
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    r = ember_cli("train", "--set", "train.epochs=1", "--tensorboard", "--set", f"output.dir={tmp_path}")
    assert r.code == 2 and "--tensorboard needs tensorboardX: pip install" in r.err


def test_print_config_round_trips(ember_cli, tmp_path):
    from ember.app import config as C

    r = ember_cli("train", "--print-config", "--set", "optimizer.lr=0.01", "--set", "metrics.f1_macro.average=micro")
    assert r.code == 0
    (tmp_path / "c.toml").write_text(r.out)
    cfg = C.load(tmp_path / "c.toml")
    assert cfg == C.load(None, ["optimizer.lr=0.01", "metrics.f1_macro.average=micro"])
    assert tomllib.loads(r.out)["optimizer"]["lr"] == 0.01


def test_idx_t10k_files_are_the_test_split_and_csv_rows_can_be_images(tmp_path):
    from ember.app.data import load

    x, y = _digits_rows()
    imgs = x.reshape(-1, 8, 8).astype(np.uint8)
    for split, sl in (("train", slice(0, 200)), ("t10k", slice(200, 300))):
        (tmp_path / f"{split}-images-idx3-ubyte").write_bytes(
            struct.pack(">BBBBIII", 0, 0, 8, 3, len(imgs[sl]), 8, 8) + imgs[sl].tobytes())
        (tmp_path / f"{split}-labels-idx1-ubyte").write_bytes(
            struct.pack(">BBBBI", 0, 0, 8, 1, len(y[sl])) + y[sl].astype(np.uint8).tobytes())
    base = {"name": "idx", "path": str(tmp_path), "target": "target", "x_key": "x", "y_key": "y", "image_shape": [],
            "val_split": 0.1, "test_split": 0.2, "split_seed": 0, "batch_size": 64, "eval_batch_size": 512,
            "standardize": False}
    d = load(base)
    assert d.input_shape == (1, 8, 8) and len(d.y_test) == 100 and len(d.y_train) + len(d.y_val) == 200
    assert np.array_equal(d.x_test[:, 0], imgs[200:]) and np.array_equal(d.y_test, y[200:])
    np.savez(tmp_path / "d.npz", x=x, y=y)
    d = load(dict(base, name="npz", path=str(tmp_path / "d.npz"), image_shape=[1, 8, 8]))
    assert d.input_shape == (1, 8, 8) and len(d.y_test) == 60
