"""Every in-place NumPy kernel of the optimizers gives the same arrays as its pure reference update, bit for bit, on
the inputs its numba kernel's registration states (tests/test_kernel_registry.py checks the numba kernels)."""
import numpy as np
import pytest

from ember import _numba
from ember.optim import _kernels
from ember.optim.adadelta import adadelta_update
from ember.optim.adagrad import adagrad_update
from ember.optim.adam import adam_update
from ember.optim.adamax import adamax_update
from ember.optim.asgd import asgd_update
from ember.optim.lion import lion_update
from ember.optim.nadam import nadam_update
from ember.optim.radam import radam_update
from ember.optim.rmsprop import rmsprop_update
from ember.optim.rprop import rprop_update
from ember.optim.sgd import sgd_update

def _fused_kernel(reference):
    """The registry's entry for ``reference``'s numba loop (optim/_fused.py, which also states its test inputs)."""
    from ember.optim import _fused  # noqa: F401  (registers the loops)
    return next(k for k in _numba.registry() if k.reference is reference)


REFERENCES = [adadelta_update, adagrad_update, adam_update, adamax_update, asgd_update, lion_update, nadam_update,
              radam_update, rmsprop_update, rprop_update, sgd_update]


def test_every_reference_has_a_fused_kernel():
    assert sorted(f.__name__ for f in REFERENCES) == _kernels.registered()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("parallel", [False, True])
def test_fused_kernel_on_one_thread_or_all_matches_reference(dtype, parallel):
    previous = _numba.set_enabled(True)  # also under EMBER_DISABLE_NUMBA=1 (numba is a test dependency)
    try:
        kernel = _kernels.fused(adam_update, parallel, dtype)
        assert kernel is not None
        _check_against_reference(adam_update, dtype, kernel)
    finally:
        _numba.set_enabled(previous)


NUMPY_KERNELS = [f for f in REFERENCES if _kernels.numpy_kernel(f) is not None]


def test_numpy_kernels_registered():
    assert {f.__name__ for f in NUMPY_KERNELS} >= {"adagrad_update", "adam_update", "rmsprop_update", "sgd_update"}


@pytest.mark.parametrize("reference", NUMPY_KERNELS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_kernel_matches_reference(reference, dtype):
    kernel = _kernels.numpy_kernel(reference)
    states, hyper_names = _kernels.signature(reference)

    def call(param, grad, *rest):
        arrays, values = rest[:len(states)], rest[len(states):]
        t, u = np.full((2, param.size), np.nan, dtype)  # scratch content must not matter
        grad_before = grad.copy()
        kernel(param, grad, *arrays, t, u, **dict(zip(hyper_names, values)))
        np.testing.assert_array_equal(grad, grad_before)  # the gradient is read, never written

    _check_against_reference(reference, dtype, call)


def _check_against_reference(reference, dtype, call):
    """``call`` on each of the fused kernel's example inputs leaves the arrays the reference returns, bit for bit
    (scalars are rounded where the reference rounds them, no FMA contraction)."""
    entry = _fused_kernel(reference)
    for args, consts in entry.example(np.random.default_rng(0), dtype):
        want = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        entry.run_reference(want, consts)
        call(*args)
        for got, expected in zip(args, want):
            if isinstance(got, np.ndarray):
                np.testing.assert_array_equal(got, expected, err_msg=reference.__name__)


@pytest.mark.parametrize("n,chunk", [(100, 13), (300_001, 1 << 14)])  # the second splits over threads
@pytest.mark.parametrize("inplace", [False, True])  # the reference per chunk, or an in-place NumPy kernel
def test_numpy_path_chunks_give_the_reference_result(monkeypatch, n, chunk, inplace):
    previous = _kernels.set_enabled(False)
    monkeypatch.setattr(_kernels, "CHUNK", chunk)
    try:
        rng = np.random.default_rng(1)
        p, g, m, v = (rng.standard_normal(n).astype(np.float32) for _ in range(4))
        v = np.abs(v)
        if inplace:
            hyper = dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.1, momentum=0.9, maximize=True)
            expected = rmsprop_update(p.copy(), g, v.copy(), m.copy(), **hyper)[:3]
            _kernels.apply(rmsprop_update, p, g, {"square_avg": v, "momentum_buffer": m}, hyper)
            got = (p, v, m)
        else:
            assert _kernels.numpy_kernel(adadelta_update) is None
            m = np.abs(m)
            hyper = dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.1, maximize=False)
            expected = adadelta_update(p.copy(), g, v.copy(), m.copy(), **hyper)
            _kernels.apply(adadelta_update, p, g, {"square_avg": v, "acc_delta": m}, hyper)
            got = (p, v, m)
        for a, want in zip(got, expected):
            np.testing.assert_array_equal(a, want)
    finally:
        _kernels.set_enabled(previous)
