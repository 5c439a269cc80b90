"""Shared fixtures: a fixed seed for every test (NumPy and ember), ``rng``, ``conv_path`` and the ``xp`` backend.

With the environment variable ``CI`` set (``.ci/run`` sets it), a skipped test or module fails instead:
a missing oracle (torch, torchmetrics) or extra must not pass as green.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))  # so that tests can `from _oracle import ...`


def _fail_skips(report) -> None:
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped under CI (a skip must not pass as green): {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_skips(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _fail_skips(outcome.get_result())


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same random state (ember, NumPy and torch when present)."""
    import ember

    ember.manual_seed(0)
    np.random.seed(0)  # noqa: NPY002  (the legacy global state, for code outside the tests that draws from it)
    try:
        import torch

        torch.manual_seed(0)
    except ImportError:
        pass
    yield


@pytest.fixture
def rng():
    """A fresh NumPy generator for test inputs."""
    return np.random.default_rng(0)


@pytest.fixture(params=["numba", "numpy"])
def kernel_path(request):
    """Run a test on ember's numba kernels (the ``fast`` extra) and on the NumPy path."""
    from ember import _numba

    if request.param == "numba" and (not _numba.ALLOWED_BY_ENV or _numba_missing()):
        pytest.skip("numba is not installed (the `fast` extra) or EMBER_DISABLE_NUMBA is set")
    previous = _numba.set_enabled(request.param == "numba")
    yield request.param
    _numba.set_enabled(previous)


@pytest.fixture
def conv_path(kernel_path):
    """``kernel_path`` for the convolution and pooling tests (autograd/ops/_conv_kernels.py)."""
    return kernel_path


def _numba_missing() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return True
    return False


def _backends():
    out = [np]
    try:
        import cupy

        cupy.cuda.runtime.getDeviceCount()
        out.append(cupy)
    except Exception:
        pass
    return out


@pytest.fixture(params=_backends(), ids=lambda m: m.__name__)
def xp(request):
    """The array module(s) to test on: numpy, plus cupy when it imports and a device answers."""
    return request.param
