"""The example scripts run end to end: exit 0, the loss falls, the accuracy clears its floor."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_train_mlp_example_learns_the_spirals():
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "train_mlp.py")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    losses = [float(v) for v in re.findall(r"^epoch\s+\d+\s+loss ([0-9.]+)$", proc.stdout, re.MULTILINE)]
    assert len(losses) == 15, proc.stdout
    assert losses[-1] < losses[0] / 5, losses
    accuracy = re.findall(r"^accuracy ([0-9.]+)$", proc.stdout, re.MULTILINE)
    assert len(accuracy) == 1 and float(accuracy[0]) > 0.9, proc.stdout


@pytest.mark.parametrize("model", ["lstm", "transformer"])
def test_char_lm_example_learns_the_text(model):
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "char_lm.py"), "--model", model, "--steps", "60"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    losses = [float(v) for v in re.findall(r"^step\s+\d+ loss ([0-9.]+)$", proc.stdout, re.MULTILINE)]
    assert len(losses) == 7, proc.stdout
    assert losses[-1] < losses[0] * 0.7, losses
    assert re.search(r"^sample: Alice was .{40}$", proc.stdout, re.MULTILINE), proc.stdout


def test_seq_classify_example_learns_on_packed_batches():
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "seq_classify.py"), "--epochs", "4"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    losses = [float(v) for v in re.findall(r"^epoch\s+\d+ loss ([0-9.]+)$", proc.stdout, re.MULTILINE)]
    assert len(losses) == 4, proc.stdout
    assert losses[-1] < losses[0] / 5, losses
    accuracy = re.findall(r"^accuracy ([0-9.]+)$", proc.stdout, re.MULTILINE)
    assert len(accuracy) == 1 and float(accuracy[0]) > 0.9, proc.stdout
