"""The lint rules of pyproject.toml's [tool.ruff] hold over the whole repository (a finding fails the test suite)."""
from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
LINTED = ("src", "tests", "benchmarks", "tools", "examples")


def test_ruff_finds_nothing():
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", *LINTED],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
