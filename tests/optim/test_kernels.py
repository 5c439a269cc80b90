"""Every registered fused (numba) kernel and in-place NumPy kernel gives the same arrays as its pure reference
update, bit for bit."""
import itertools

import numpy as np
import pytest

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

ADAM = dict(lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8, bias_correction1=0.271, bias_correction2_sqrt=0.0547)
# reference -> (hyper-parameter axes, optional state names that may be None)
CASES = {
    sgd_update: (dict(lr=[0.1], momentum=[0.9], dampening=[0.0, 0.2], weight_decay=[0.0, 0.1], nesterov=[False, True],
                      maximize=[False, True], first=[False, True]), ["momentum_buffer"]),
    adam_update: ({**{k: [v] for k, v in ADAM.items()}, "weight_decay": [0.0, 0.1], "decoupled": [False, True],
                   "maximize": [False, True]}, ["max_exp_avg_sq"]),
    adagrad_update: (dict(clr=[0.01], eps=[1e-10], weight_decay=[0.0, 0.1], maximize=[False, True]), []),
    rmsprop_update: (dict(lr=[0.01], alpha=[0.99], eps=[1e-8], weight_decay=[0.0, 0.1], momentum=[0.9],
                          maximize=[False, True]), ["momentum_buffer", "grad_avg"]),
    adadelta_update: (dict(lr=[1.0], rho=[0.9], eps=[1e-6], weight_decay=[0.0, 0.1], maximize=[False, True]), []),
    adamax_update: (dict(clr=[0.02], beta1=[0.9], beta2=[0.999], eps=[1e-8], weight_decay=[0.0, 0.1],
                         maximize=[False, True]), []),
    nadam_update: (dict(lr=[2e-3], beta1=[0.9], beta2=[0.999], eps=[1e-8], weight_decay=[0.0, 0.1],
                        decoupled=[False, True], bias_correction2=[0.003], coef_grad=[-0.02], coef_avg=[-0.03],
                        maximize=[False, True]), []),
    radam_update: (dict(lr=[1e-3], beta1=[0.9], beta2=[0.999], eps=[1e-8], weight_decay=[0.0, 0.1],
                        decoupled=[False, True], bias_correction1=[0.41], bias_correction2=[0.005],
                        rect=[0.0, 0.3], maximize=[False, True]), []),
    rprop_update: (dict(etaminus=[0.5], etaplus=[1.2], step_size_min=[1e-6], step_size_max=[0.05],
                        maximize=[False, True]), []),
    asgd_update: (dict(eta=[0.01], mu=[1.0, 0.25], lambd=[1e-4], weight_decay=[0.0, 0.1], maximize=[False, True]), []),
    lion_update: (dict(lr=[1e-3], beta1=[0.9], beta2=[0.99], weight_decay=[0.0, 0.1], maximize=[False, True]), []),
}


def test_every_registered_kernel_is_tested():
    assert sorted(f.__name__ for f in CASES) == _kernels.registered()


def _arrays(names, n, rng, dtype):
    out = {}
    for name in names:
        a = rng.standard_normal(n).astype(dtype)
        if name in ("exp_avg_sq", "max_exp_avg_sq", "sum", "square_avg", "acc_delta", "exp_inf", "step_size"):
            a = np.abs(a) + 1.0  # positive state
        out[name] = a
    if "grad_avg" in out and "square_avg" in out:
        out["grad_avg"] *= 0.1  # keep square_avg - grad_avg² positive
    if "prev" in out:
        out["prev"][::5] = 0
    return out


@pytest.mark.parametrize("reference", list(CASES), ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("parallel", [False, True])
def test_fused_kernel_matches_reference(reference, dtype, parallel):
    pytest.importorskip("numba")
    kernel = _kernels.fused(reference, parallel, dtype)
    assert kernel is not None
    _check_against_reference(reference, dtype, lambda param, grad, args, hyper, names: kernel(
        param, grad, *args, *[hyper[k] for k in names]))


NUMPY_KERNELS = [f for f in CASES if _kernels.numpy_kernel(f) is not None]


def test_numpy_kernels_registered():
    assert {f.__name__ for f in NUMPY_KERNELS} >= {"adagrad_update", "adam_update", "rmsprop_update", "sgd_update"}
    assert all(f in CASES for f in NUMPY_KERNELS)


@pytest.mark.parametrize("reference", NUMPY_KERNELS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_kernel_matches_reference(reference, dtype):
    kernel = _kernels.numpy_kernel(reference)

    def call(param, grad, args, hyper, names):
        t, u = np.full((2, param.size), np.nan, dtype)  # scratch content must not matter
        grad_before = grad.copy()
        kernel(param, grad, *args, t, u, **hyper)
        np.testing.assert_array_equal(grad, grad_before)  # the gradient is read, never written

    _check_against_reference(reference, dtype, call)


def _check_against_reference(reference, dtype, call):
    axes, optional = CASES[reference]
    states, hyper_names = _kernels.signature(reference)
    assert sorted(hyper_names) == sorted(axes)
    rng = np.random.default_rng(0)
    n = 1000
    for present in itertools.product([True, False], repeat=len(optional)):
        missing = {name for name, keep in zip(optional, present) if not keep}
        for values in itertools.product(*axes.values()):
            hyper = dict(zip(axes, values))
            param, grad = rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)
            arrays = _arrays([s for s in states if s not in missing], n, rng, dtype)
            expected = reference(param.copy(), grad, *[arrays[s].copy() if s in arrays else None for s in states],
                                 **hyper)
            args = [arrays.get(s) for s in states]
            call(param, grad, args, hyper, hyper_names)
            rtol = 0  # bit-identical: scalars are rounded where the reference rounds them, no FMA contraction
            np.testing.assert_allclose(param, expected[0], rtol=rtol, atol=rtol, equal_nan=False, err_msg=f"{hyper} param")
            for name, new in zip(states, expected[1:]):
                if name in arrays:
                    np.testing.assert_allclose(arrays[name], new, rtol=rtol, atol=rtol, equal_nan=False,
                                               err_msg=f"{hyper} {name}")


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
