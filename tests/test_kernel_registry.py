"""Every numba kernel registered in ember._numba gives its NumPy reference's results on the inputs its registration
states: the return value and every array argument after the call (kernels write their outputs in place), bit for
bit unless the registration states a tolerance and its reason. numba is required (the test fails without it)."""
import importlib
import pathlib
import re

import numpy as np
import pytest

from ember import _numba

SRC = pathlib.Path(_numba.__file__).parent


def _kernel_modules():
    """The modules of src/ember that register kernels (found by reading the sources, so none is missed)."""
    for path in sorted(SRC.rglob("*.py")):
        if path.name != "_numba.py" and "fast_variant_of" in path.read_text():
            yield "ember." + ".".join(path.relative_to(SRC).with_suffix("").parts)


for _name in _kernel_modules():
    importlib.import_module(_name)
KERNELS = _numba.registry()


@pytest.fixture(autouse=True)
def _numba_on():
    """The comparison needs the kernels, also under EMBER_DISABLE_NUMBA=1."""
    previous = _numba.set_enabled(True)
    yield
    _numba.set_enabled(previous)


def test_every_numba_compilation_goes_through_the_registry():
    """No module but ember._numba calls numba.njit, so every kernel is registered, and so tested here."""
    offenders = [str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
                 if p.name != "_numba.py" and re.search(r"\bnjit\s*\(|\bnumba\.jit\s*\(", p.read_text())]
    assert offenders == []


def test_the_registry_holds_the_kernels_of_each_family():
    modules = {k.fast.__module__ for k in KERNELS}
    assert {"ember.optim._fused", "ember.metrics._kernels", "ember.autograd.ops._conv_kernels",
            "ember.autograd.ops._loss_kernels"} <= modules


def test_a_kernel_cannot_be_registered_without_an_example():
    with pytest.raises(TypeError, match="example"):
        _numba.fast_variant_of(np.add)


def test_a_tolerance_needs_its_reason():
    with pytest.raises(ValueError, match="reason"):
        _numba.fast_variant_of(np.add, example=lambda rng, dtype: (), rtol={"float32": 1e-6})


def test_without_numba_lookup_returns_none():
    _numba.set_enabled(False)
    assert all(_numba.compiled(k.fast) is None for k in KERNELS)


def _copy(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def _assert_same(got, want, rtol, what):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want), what
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_same(g, w, rtol, f"{what}[{i}]")
    elif want is None or isinstance(want, (bool, np.bool_)):
        assert got == want, what
    elif rtol:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=0, err_msg=what)
    else:
        np.testing.assert_array_equal(got, want, err_msg=what)  # NaN where NaN


@pytest.mark.parametrize("kernel", KERNELS, ids=lambda k: k.name)
def test_fast_variant_matches_its_reference(kernel):
    cases = 0
    for dtype in kernel.dtypes:
        rng = np.random.default_rng(12)
        rtol = kernel.rtol.get(dtype, 0)
        for i, (args, consts) in enumerate(kernel.example(rng, np.dtype(dtype))):
            fast = _numba.compiled(kernel.fast, **consts)
            assert fast is not None, "numba is needed for this test"
            ref_args, fast_args = _copy(args), _copy(args)
            want = kernel.run_reference(ref_args, consts)
            got = fast(*fast_args)
            what = f"{kernel.name} {dtype} example {i} {consts}"
            _assert_same(got, want, rtol, what + " result")
            for j, (g, w) in enumerate(zip(fast_args, ref_args)):
                if isinstance(w, np.ndarray) and j not in kernel.scratch:
                    _assert_same(g, w, rtol, f"{what} argument {j}")
            cases += 1
    assert cases, f"{kernel.name}: its example yields no inputs"
