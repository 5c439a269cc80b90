"""Differential fuzzing against torch: EMBER_FUZZ_EXAMPLES=N examples (300 by default), each reproducible by its id.

Rerun one failure with ``pytest "tests/fuzz/test_differential.py::test_matches_torch[123]"``; the generator and the
allow-list of deliberate differences are in ``_fuzz.py``.
"""
import os
import sys

import pytest

pytest.importorskip("torch")
sys.path.insert(0, os.path.dirname(__file__))

import _fuzz  # noqa: E402

N = int(os.environ.get("EMBER_FUZZ_EXAMPLES", "300"))


@pytest.mark.parametrize("i", range(N))
def test_matches_torch(i):
    _fuzz.check(_fuzz.case(i))


def test_examples_are_reproducible():
    a, b = _fuzz.case(7), _fuzz.case(7)
    assert a.name == b.name and all((x == y).all() and x.dtype == y.dtype for x, y in zip(a.inputs, b.inputs))


def test_the_table_covers_every_kind_and_dtype():
    cases = [_fuzz.case(i) for i in range(max(N, 2000))]  # (drawing cases is cheap; checking them is not)
    names = {c.name for c in cases}
    assert {"sum", "softmax", "gather", "matmul", "cast", "F.class_loss", "reshape", "scalar+"} <= names
    dtypes = {str(a.dtype) for c in cases for a in c.inputs}
    assert set(_fuzz.DTYPES) | set(_fuzz.COMPLEX) <= dtypes
    assert any(a.ndim == 0 for c in cases for a in c.inputs) and any(0 in a.shape for c in cases for a in c.inputs)
