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


_HALF = {  # every layer with a numba kernel, on float16 (numba has no float16: these take the NumPy path)
    "relu": lambda L, x: L.nn.functional.relu(x),
    "relu6": lambda L, x: L.nn.functional.relu6(x),
    "hardtanh": lambda L, x: L.nn.functional.hardtanh(x),
    "hardswish": lambda L, x: L.nn.functional.hardswish(x),
    "clamp": lambda L, x: x.clamp(-0.5, 0.5),
    "conv1d": lambda L, x: L.nn.functional.conv1d(x.reshape(2, 4, 12), x.reshape(-1)[:24].reshape(2, 4, 3)),
    "conv2d": lambda L, x: L.nn.functional.conv2d(x.reshape(2, 2, 4, 6), x.reshape(-1)[:36].reshape(2, 2, 3, 3),
                                                  padding=1),
    "conv_transpose2d": lambda L, x: L.nn.functional.conv_transpose2d(x.reshape(2, 2, 4, 6),
                                                                      x.reshape(-1)[:36].reshape(2, 2, 3, 3)),
    "max_pool2d": lambda L, x: L.nn.functional.max_pool2d(x.reshape(2, 2, 4, 6), 2),
    "unfold": lambda L, x: L.nn.functional.unfold(x.reshape(2, 2, 4, 6), 2),
    "instance_norm": lambda L, x: L.nn.functional.instance_norm(x.reshape(2, 2, 4, 6)),
    "grid_sample": lambda L, x: L.nn.functional.grid_sample(x.reshape(2, 2, 4, 6), x.reshape(2, 4, 6, 2) / 4,
                                                            align_corners=False),
}


@pytest.mark.parametrize("name", sorted(_HALF))
def test_float16_takes_the_numpy_path_and_matches_torch(name, rng):
    """float16 layers run with the kernels switched on (they raised numba's NotImplementedError: float16) and give
    torch's float16 values and gradients (float16 tolerance: torch accumulates in float32 inside some kernels)."""
    torch = pytest.importorskip("torch")
    import ember

    x = rng.standard_normal(96).astype(np.float16)
    outs, grads = [], []
    for L in (ember, torch):
        t = L.tensor(x, requires_grad=True)
        out = _HALF[name](L, t)
        out.backward(L.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)).astype(np.float16)))
        outs.append(out.detach().numpy().astype(np.float32))
        grads.append(t.grad.numpy().astype(np.float32))
        assert str(out.dtype).endswith("float16")
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-2, atol=1e-2)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-2, atol=2e-2)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_float16_recurrent_layers_take_the_numpy_path(mode, rng):
    torch = pytest.importorskip("torch")
    import ember

    t_layer = getattr(torch.nn, mode)(3, 4).half()
    e_layer = getattr(ember.nn, mode)(3, 4).half()
    e_layer.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_layer.state_dict().items()})
    x = rng.standard_normal((5, 2, 3)).astype(np.float16)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    got, want = e_layer(xe)[0], t_layer(xt)[0]
    assert got.dtype == ember.float16
    got.sum().backward()
    want.sum().backward()
    for e, t in ((got.detach(), want.detach()), (xe.grad, xt.grad)):
        np.testing.assert_allclose(e.numpy().astype(np.float32), t.numpy().astype(np.float32), rtol=1e-2, atol=1e-2)
