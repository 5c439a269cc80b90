"""Helpers for driving the ``ember`` command: in-process ``main(argv)`` and ``python -m ember``."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# small, fast runs: few epochs; the whole app test directory stays well under 120 s on 2 cores
FAST = ["--set", "train.epochs=2", "--set", "output.plots=false"]


class Result:
    def __init__(self, code, out, err):
        self.code, self.out, self.err = code, out, err

    def json(self):
        return json.loads(self.out.strip().splitlines()[-1])


@pytest.fixture
def ember_cli(capsys, tmp_path, monkeypatch):
    """``ember_cli(*args)`` runs ``main(list(args))`` in this process with cwd = tmp_path."""
    from ember.app.cli import main

    monkeypatch.chdir(tmp_path)

    def call(*args):
        capsys.readouterr()
        code = main([str(a) for a in args])
        cap = capsys.readouterr()
        return Result(code, cap.out, cap.err)

    return call


def run_module(*args, cwd, timeout=120, env=None) -> subprocess.CompletedProcess:
    """``python -m ember ARGS`` in a subprocess."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "ember", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=full_env)


def only_run_dir(root: Path) -> Path:
    dirs = [p for p in Path(root).iterdir() if p.is_dir()]
    assert len(dirs) == 1, dirs
    return dirs[0]
