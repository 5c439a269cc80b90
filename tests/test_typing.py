"""Types: mypy finds no error in src/ember (at the level of pyproject.toml's [tool.mypy]); type checkers see Tensor's
methods: the generated declarations are current, and mypy reads a user script."""
from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
USER_SCRIPT = """\
import ember
import ember.nn as nn

x = ember.randn(4, 3, requires_grad=True)
x.exp().sum().backward()
model = nn.Linear(3, 2)
p = model(x).softmax(-1)
y = (x * 2 + 1).reshape(-1).tanh().mean()
"""


def _mypy(tmp_path, source: str) -> subprocess.CompletedProcess:
    script = tmp_path / "user.py"
    script.write_text(source)
    return subprocess.run([sys.executable, "-m", "mypy", "--follow-imports=silent", "--no-incremental",
                           "--cache-dir", str(tmp_path / ".mypy_cache"), str(script)],
                          capture_output=True, text=True, env={"MYPYPATH": str(ROOT / "src"), "PATH": ""}, cwd=tmp_path)


def test_mypy_finds_no_error_in_ember(tmp_path):
    out = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
                          "--cache-dir", str(tmp_path / ".mypy_cache"), "src/ember"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_generated_method_declarations_are_current():
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_tensor_methods.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_knows_the_tensor_methods_of_a_user_script(tmp_path):
    out = _mypy(tmp_path, USER_SCRIPT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_reports_a_method_tensor_does_not_have(tmp_path):
    out = _mypy(tmp_path, "import ember\nember.randn(2).exp().no_such_method()\n")
    assert out.returncode == 1 and '"Tensor" has no attribute "no_such_method"' in out.stdout, out.stdout
