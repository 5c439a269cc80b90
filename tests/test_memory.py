"""ember._memory: glibc malloc keeps freed array memory (mallopt at import), with the user's way out."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's (Linux)")


def _tuned_at_import(**env) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("EMBER_MALLOC_TUNING", "MALLOC_MMAP_THRESHOLD_",
                                                              "MALLOC_TRIM_THRESHOLD_")}
    code = "import ember, ember._memory as m; print(m.tuned)"
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_import_applies_the_settings_on_glibc():
    import ctypes

    try:
        ctypes.CDLL(None).gnu_get_libc_version  # noqa: B018
    except AttributeError:
        pytest.skip("not glibc")
    assert _tuned_at_import() == "True"


@pytest.mark.parametrize("env", [
    {"EMBER_MALLOC_TUNING": "0"},
    {"MALLOC_TRIM_THRESHOLD_": "131072"},  # the user's own glibc settings win
    {"MALLOC_MMAP_THRESHOLD_": "131072"},
])
def test_the_settings_are_skipped_when_the_user_says_so(env):
    assert _tuned_at_import(**env) == "False"

