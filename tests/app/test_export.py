"""The run's checkpoints are torch files, and `ember export` writes the trained weights alone."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import FAST, only_run_dir

import ember

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from ember.app.cli import main

    out = tmp_path_factory.mktemp("runs")
    assert main(["train", "--quiet", *FAST, "--set", f"output.dir={out}"]) == 0
    return only_run_dir(out)


def test_best_and_last_checkpoints_open_with_torch_load_weights_only(run_dir):
    for name in ("best.ckpt", "last.ckpt"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            state = torch.load(run_dir / name, weights_only=True)
        ours = ember.load(run_dir / name)
        assert state["epoch"] == ours["epoch"] and list(state["model"]) == list(ours["model"])
        for k, v in state["model"].items():
            np.testing.assert_array_equal(v.numpy(), ours["model"][k].numpy(), err_msg=k)
        assert state["optimizer"]["param_groups"][0]["lr"] == ours["optimizer"]["param_groups"][0]["lr"]


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_export_writes_the_model_weights_in_the_format_of_the_suffix(ember_cli, run_dir, tmp_path, suffix):
    target = tmp_path / f"model{suffix}"
    r = ember_cli("export", run_dir, "--to", target, "--json")
    assert r.code == 0, r.err
    assert r.json()["tensors"] > 0 and r.json()["format"] == ("safetensors" if suffix == ".safetensors" else "torch")
    expected = ember.load(run_dir / "best.ckpt")["model"]
    got = safetensors_torch.load_file(target) if suffix == ".safetensors" else torch.load(target, weights_only=True)
    assert sorted(got) == sorted(expected)
    for k, v in expected.items():
        np.testing.assert_array_equal(got[k].numpy(), v.numpy(), err_msg=k)


def test_export_of_the_last_checkpoint_and_its_message(ember_cli, run_dir, tmp_path):
    r = ember_cli("export", run_dir, "--to", tmp_path / "w.pt", "--checkpoint", "last")
    assert r.code == 0, r.err
    assert "ember export: wrote" in r.out and "last.ckpt" in r.out
    last = ember.load(run_dir / "last.ckpt")["model"]
    got = ember.load(tmp_path / "w.pt")
    for k, v in last.items():
        np.testing.assert_array_equal(got[k].numpy(), v.numpy(), err_msg=k)


@pytest.mark.parametrize("args, message", [
    (["--to", "model.npy"], "must end in .safetensors, .pt, .pth or .bin"),
    (["--to", "model.pt", "--checkpoint", "worst"], "invalid choice"),
])
def test_export_bad_input_exits_2_with_one_message(ember_cli, run_dir, args, message):
    r = ember_cli("export", run_dir, *args)
    assert r.code == 2 and message in r.err and "Traceback" not in r.err


def test_export_of_a_missing_run_directory_exits_2(ember_cli, tmp_path):
    r = ember_cli("export", tmp_path / "nope", "--to", "m.pt")
    assert r.code == 2 and "does not exist" in r.err
