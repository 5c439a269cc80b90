"""Differential fuzzing against torch: EMBER_FUZZ_EXAMPLES=N examples (300 by default), each reproducible by its id.

Rerun one failure with ``pytest "tests/fuzz/test_differential.py::test_matches_torch[123]"``; the generator and the
allow-list of deliberate differences are in ``_fuzz.py``.
"""
import os
import re
import sys

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

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


HYPOTHESIS_EXAMPLES = int(os.environ.get("EMBER_FUZZ_HYPOTHESIS", "100"))


@settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.data())
def test_matches_torch_shrunk_by_hypothesis(data):
    """The same table and check with hypothesis choosing every value (``_fuzz.DrawnRng``): a failure is shrunk to a
    minimal example (fewest and smallest dims, simplest values, first op) and printed as code (``_fuzz.reproducer``).
    derandomize: the same examples on every run; EMBER_FUZZ_HYPOTHESIS=N for a deeper search."""
    c = _fuzz.case(-1, _fuzz.DrawnRng(data))
    note(_fuzz.reproducer(c))
    _fuzz.check(c)


def test_a_hypothesis_failure_is_shrunk_and_printed_as_code(monkeypatch):
    """A planted bug (every float result ember returns is off by 1) is found, shrunk to an input of at most one
    element, and reported as code."""
    import ember

    numpy_of = ember.Tensor.numpy
    monkeypatch.setattr(ember.Tensor, "numpy", lambda t, **kw: numpy_of(t, **kw) + (1 if t.is_floating_point() else 0))
    with pytest.raises(AssertionError) as err:
        test_matches_torch_shrunk_by_hypothesis()
    notes = "\n".join(getattr(err.value, "__notes__", []))
    assert re.search(r"^# \S+: \{", notes, re.M), notes  # the op and the values its generator chose
    assert re.search(r"^x0 = np\.array\((\[\]|[-0-9.e]+|\[[-0-9.e]+\]), dtype=np\.float", notes, re.M), notes
