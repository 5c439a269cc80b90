"""Bad input never ends in a traceback: exit status 2 and one clear `ember: error:` line."""
from __future__ import annotations

import struct

import numpy as np
import pytest

import ember
from conftest import run_module


def _assert_one_error(r, *needles):
    assert r.code == 2, (r.out, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ember: error: "), r.err
    assert "Traceback" not in r.err
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


@pytest.mark.parametrize("sets, needles", [
    (["optimizer.name=Adamm"], ["unknown optimizer name 'Adamm'", "did you mean 'Adam'", "Valid: ", "AdamW", "SGD"]),
    (["loss.name=CrossEntropy"], ["unknown loss name", "did you mean 'CrossEntropyLoss'", "MSELoss"]),
    (["metrics.acc.name=MulticlassAccurcy"], ["unknown metric name", "did you mean 'MulticlassAccuracy'"]),
    (["scheduler.name=CosineAnealingLR"], ["unknown scheduler name", "did you mean 'CosineAnnealingLR'", "StepLR"]),
    (["model.name=resnet"], ["unknown model name 'resnet'", "Valid: cnn, mlp"]),
    (["model.activation=Reluu"], ["unknown activation name", "did you mean 'ReLU'"]),
    (["trian.epochs=3"], ["unknown config section 'trian'", "did you mean 'train'"]),
    (["train.epoch=3"], ["unknown key in [train]: 'epoch'", "did you mean 'epochs'"]),
    (["train.epochs=abc"], ["[train] epochs must be an integer, got 'abc'"]),
    (["data.name=mnist"], ["unknown dataset 'mnist'", "Valid: csv, digits, idx, npz"]),
])
def test_unknown_names_list_valid_ones_and_the_closest(ember_cli, sets, needles):
    args = [a for s in sets for a in ("--set", s)]
    _assert_one_error(ember_cli("train", *args, "--set", "output.plots=false"), *needles)


@pytest.mark.parametrize("sets, needles", [
    (["optimizer.betaz=[0.9,0.99]"], ["optimizer AdamW does not take the keyword 'betaz'", "did you mean 'betas'",
                                      "Signature: AdamW(params, lr="]),
    (["loss.smoothing=0.1"], ["loss CrossEntropyLoss does not take the keyword 'smoothing'",
                              "did you mean 'label_smoothing'", "Signature: CrossEntropyLoss("]),
    (["scheduler.name=StepLR"], ["StepLR", "step_size", "Signature: StepLR(optimizer, step_size, gamma=0.1"]),
    (["model.hiden=[3]"], ["model mlp does not take the keyword 'hiden'", "did you mean 'hidden'",
                           "Signature: mlp("]),
    (["metrics.f1_macro.averag=micro"], ["does not take the keyword 'averag'", "Signature: MulticlassF1Score("]),
])
def test_a_wrong_keyword_names_it_and_shows_the_signature(ember_cli, sets, needles):
    args = [a for s in sets for a in ("--set", s)]
    _assert_one_error(ember_cli("train", *args, "--set", "train.epochs=1"), *needles)


def test_malformed_toml_names_the_line(ember_cli, tmp_path):
    (tmp_path / "bad.toml").write_text('[optimizer]\nname = "AdamW"\nlr = 0.1 0.2\n')
    _assert_one_error(ember_cli("train", "bad.toml"), "bad.toml: malformed TOML", "line 3")
    _assert_one_error(ember_cli("train", "missing.toml"), "config file 'missing.toml' does not exist")


def test_missing_and_malformed_data_files_say_which_file_and_what(ember_cli, tmp_path):
    (tmp_path / "bad.csv").write_text("a,b,target\n1,2,0\n3,x,1\n")
    (tmp_path / "short.csv").write_text("a,b,target\n1,2,0\n3,1\n")
    (tmp_path / "junk.npz").write_text("junk")
    np.savez(tmp_path / "keys.npz", images=np.zeros((3, 2)), labels=np.zeros(3))
    (tmp_path / "idx").mkdir()
    (tmp_path / "idx" / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03" + struct.pack(">III", 5, 2, 2))
    (tmp_path / "idx" / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + struct.pack(">I", 5) + bytes(5))
    (tmp_path / "badmagic").mkdir()
    (tmp_path / "badmagic" / "train-images-idx3-ubyte").write_bytes(b"\x12\x34\x56\x78")
    (tmp_path / "badmagic" / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + struct.pack(">I", 0))
    cases = [
        (["data.name=csv", "data.path=nope.csv"], ["data file 'nope.csv' does not exist"]),
        (["data.name=csv", "data.path=bad.csv"], ["bad.csv, line 3: 'x' is not a number"]),
        (["data.name=csv", "data.path=short.csv"], ["short.csv, line 3: expected 3 fields, found 2"]),
        (["data.name=csv", "data.path=bad.csv", "data.target=label"], ["no target column 'label'", "Columns: a, b"]),
        (["data.name=npz", "data.path=junk.npz"], ["junk.npz: not an .npz archive"]),
        (["data.name=npz", "data.path=keys.npz"], ["keys.npz: no array named 'x'", "images, labels"]),
        (["data.name=idx", "data.path=idx"], ["train-images-idx3-ubyte: IDX header promises shape (5, 2, 2)"]),
        (["data.name=idx", "data.path=badmagic"], ["not an IDX file (bad magic number 12345678)"]),
        (["data.name=idx", "data.path=nowhere"], ["IDX data folder 'nowhere' does not exist"]),
        (["data.name=csv"], ["needs a path"]),
    ]
    for sets, needles in cases:
        args = [a for s in sets for a in ("--set", s)]
        _assert_one_error(ember_cli("train", *args, "--set", "train.epochs=1"), *needles)


def test_nan_loss_stops_naming_epoch_and_step_and_keeps_the_last_good_checkpoint(ember_cli, tmp_path):
    # the lr grows 1e8-fold per epoch: epoch 1 trains, epoch 2 overflows
    r = ember_cli("train", "--set", "optimizer.name=SGD", "--set", "optimizer.lr=0.01", "--set",
                  "scheduler.name=ExponentialLR", "--set", "scheduler.gamma=1e8", "--set", "swa.enabled=false",
                  "--set", "train.epochs=4", "--set", f"output.dir={tmp_path}", "--set", "output.name=run",
                  "--set", "output.plots=false", "--quiet")
    line = _assert_one_error(r, "the loss became", "at epoch 2, step", "last good checkpoint (end of epoch 1)")
    assert "nan" in line or "inf" in line
    ckpt = ember.load(tmp_path / "run" / "last.ckpt")
    assert ckpt["epoch"] == 1
    assert all(np.isfinite(v.numpy()).all() for v in ckpt["model"].values())


def test_other_bad_input(ember_cli, tmp_path):
    _assert_one_error(ember_cli("train", "--resume", "nowhere"), "--resume: run directory 'nowhere' does not exist")
    _assert_one_error(ember_cli("train", "--resume", str(tmp_path)), "config.json' is missing")
    _assert_one_error(ember_cli("train", "--set", "optimizer.lr"), "--set expects key=value")
    _assert_one_error(ember_cli("train", "--set", "train.monitor=val_acc", "--set", "train.epochs=1",
                         "--set", f"output.dir={tmp_path}"), "unknown [train] monitor 'val_acc'", "val_accuracy")
    _assert_one_error(ember_cli("train", "--bogus"), "unrecognized arguments: --bogus")
    _assert_one_error(ember_cli("compare", "--set", "train.epochs=1"), "give at least one --vary")
    _assert_one_error(ember_cli("compare", "--vary", "optimizer.name=SGD,Adamm"), "unknown optimizer name 'Adamm'")
    _assert_one_error(ember_cli("plot", "lr", "--scheduler", "StepLR", "--set", "stepsize=3"),
               "does not take the keyword 'stepsize'", "did you mean 'step_size'")
    _assert_one_error(ember_cli("plot", "lr"), "give either --scheduler")
    _assert_one_error(ember_cli("plot", "optimizers", "--function", "rosenbrok"), "did you mean 'rosenbrock'")
    _assert_one_error(ember_cli("plot", "optimizers", "--optimizers", "SGD,Adamm"), "did you mean 'Adam'")
    _assert_one_error(ember_cli("find-lr", "--start-lr", "1", "--end-lr", "0.1"), "need 0 < --start-lr < --end-lr")


def test_no_traceback_from_the_real_command(tmp_path):
    (tmp_path / "bad.toml").write_text("[model\n")
    for args in (["train", "bad.toml"], ["train", "--set", "optimizer.name=Adamm"], ["plot", "lr", "--scheduler", "X"]):
        proc = run_module(*args, cwd=tmp_path)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert proc.stderr.startswith("ember: error: ") and len(proc.stderr.strip().splitlines()) == 1
