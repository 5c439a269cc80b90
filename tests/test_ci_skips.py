"""Under CI a skipped test fails (tests/conftest.py): a missing oracle must not pass as green."""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

PROBE = "import pytest\n\ndef test_probe():\n    pytest.skip('an oracle is missing')\n"


def _run(tmp_path, ci: bool) -> subprocess.CompletedProcess:
    shutil.copy(pathlib.Path(__file__).with_name("conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_probe.py").write_text(PROBE)
    env = {k: v for k, v in os.environ.items() if k != "CI"} | ({"CI": "1"} if ci else {})
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                          capture_output=True, text=True, env=env, cwd=tmp_path)


def test_a_skip_fails_under_ci(tmp_path):
    out = _run(tmp_path, ci=True)
    assert out.returncode == 1 and "skipped under CI" in out.stdout, out.stdout


def test_a_skip_stays_a_skip_elsewhere(tmp_path):
    out = _run(tmp_path, ci=False)
    assert out.returncode == 0 and "1 skipped" in out.stdout, out.stdout
