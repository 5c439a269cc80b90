"""tools/api_coverage.py: README's table is its output, and every exclusion names something torch has."""
from __future__ import annotations

import fnmatch
import importlib.util
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("api_coverage", ROOT / "tools" / "api_coverage.py")
api_coverage = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api_coverage)


def test_readme_table_is_the_tools_output():
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "api_coverage.py")], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(ROOT / "src"), "PATH": ""}).stdout
    assert api_coverage.readme_table(api_coverage.README.read_text()) == out, (
        "README's API coverage table is stale: run python tools/api_coverage.py --write-readme")


def _all_public(label):
    ref = next(r for lab, r, _, _ in api_coverage.NAMESPACES if lab == label)
    return [n for n in dir(api_coverage._resolve(ref)) if not n.startswith("_")]


@pytest.mark.parametrize("group", api_coverage.EXCLUDED, ids=lambda g: f"{g[0]}: {g[1][:40]}")
def test_every_exclusion_names_something_torch_has(group):
    label, reason, patterns = group
    names = _all_public(label)
    assert reason.strip()
    for p in patterns:
        assert any(fnmatch.fnmatchcase(n, p) for n in names), f"{label}: exclusion {p!r} matches nothing in torch"


def test_an_excluded_name_is_not_counted_and_a_counted_one_is():
    rows = {label: (names, missing) for label, names, missing in api_coverage.coverage()}
    names, missing = rows["torch"]
    assert "cudnn_convolution" not in names and "abs_" not in names
    assert "abs" in names and "abs" not in missing
    assert api_coverage.excluded("torch.Tensor", "to_sparse_csr") == "sparse and nested layouts"
    assert api_coverage.excluded("torch.Tensor", "abs") is None


def test_missing_lists_the_missing_names():
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "api_coverage.py"), "--missing"],
                         capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT / "src"), "PATH": ""}).stdout
    _, _, missing = api_coverage.coverage()[0]  # the torch namespace
    assert f"\ntorch ({len(missing)} missing):\n  " + " ".join(missing) + "\n" in out
