"""The device surface (ember.cuda, accelerator, backends, amp, compile, default device) vs torch's CPU build."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from _oracle import assert_close, torch

import ember


def _outcome(fn):
    """(return value, None) or (None, (exception type name, message)) of calling fn, warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            value = fn()
        except Exception as e:  # noqa: BLE001  (the exception is the compared result)
            return None, (type(e).__name__, str(e))
    return value, None


def _answer(fn):
    """What calling fn gives, to compare with torch: its exception (type name, message), or its result's str."""
    value, error = _outcome(fn)
    return error if error is not None else ("returned", str(value))


CUDA_CALLS = ["is_available", "device_count", "is_initialized", "is_bf16_supported", "manual_seed",
              "manual_seed_all", "seed", "seed_all", "empty_cache", "memory_allocated", "max_memory_allocated",
              "synchronize", "current_device", "init"]


@pytest.mark.parametrize("name", CUDA_CALLS)
def test_cuda_function_answers_as_torchs_cpu_build(name):
    args = (1,) if "manual_seed" in name else ()
    assert _answer(lambda: getattr(ember.cuda, name)(*args)) == _answer(lambda: getattr(torch.cuda, name)(*args))


@pytest.mark.parametrize("name", ["get_device_name", "get_device_properties", "get_device_capability"])
def test_cuda_device_queries_raise_as_torch(name):
    assert _answer(lambda: getattr(ember.cuda, name)(0)) == _answer(lambda: getattr(torch.cuda, name)(0))


@pytest.mark.parametrize("name", ["is_available", "current_accelerator", "device_count", "current_device_index",
                                  "synchronize"])
def test_accelerator_function_answers_as_torch(name):
    assert _answer(lambda: getattr(ember.accelerator, name)()) == _answer(lambda: getattr(torch.accelerator, name)())


@pytest.mark.parametrize("path", ["cudnn.benchmark", "cudnn.deterministic", "cudnn.enabled", "cudnn.allow_tf32",
                                  "mkldnn.enabled", "cuda.matmul.allow_tf32",
                                  "cuda.matmul.allow_fp16_reduced_precision_reduction"])
def test_backend_flag_defaults_match_torch_and_can_be_set(path):
    def get(root):
        obj = root
        for part in path.split("."):
            obj = getattr(obj, part)
        return obj

    assert get(ember.backends) == get(torch.backends)
    *parents, last = path.split(".")
    owner = ember.backends
    for part in parents:
        owner = getattr(owner, part)
    old = getattr(owner, last)
    setattr(owner, last, not old)
    assert get(ember.backends) is (not old)
    setattr(owner, last, old)


@pytest.mark.parametrize("call", ["cudnn.is_available", "cudnn.version", "mps.is_available", "mps.is_built",
                                  "mkldnn.is_available", "cuda.is_built", "openmp.is_available",
                                  "mkl.is_available", "cuda.flash_sdp_enabled", "cpu.get_cpu_capability"])
def test_backend_query_matches_torch(call):
    mod, fn = call.split(".")
    assert getattr(getattr(ember.backends, mod), fn)() == getattr(getattr(torch.backends, mod), fn)()


def test_cudnn_submodule_imports_the_torch_way():
    import ember.backends.cudnn as cudnn

    cudnn.benchmark = True
    assert ember.backends.cudnn.benchmark is True
    cudnn.benchmark = False


@pytest.mark.parametrize("name", ["cpu", "cuda", "cuda:1", "cuda:x", "gpu", "mps", "xpu", "meta"])
def test_device_object_construction_matches_torch(name):
    assert _answer(lambda: repr(ember.device(name))) == _answer(lambda: repr(torch.device(name)))


@pytest.mark.parametrize("make", [
    lambda m: m.zeros(2, device="cuda"), lambda m: m.zeros(2).to("cuda"), lambda m: m.zeros(2).cuda(),
    lambda m: m.zeros(2).pin_memory(), lambda m: m.zeros(2).is_pinned(), lambda m: m.ones(2, device="cpu").sum(),
])
def test_tensor_on_a_missing_device_raises_as_torch(make):
    (ve, ee), (vt, et) = _outcome(lambda: make(ember)), _outcome(lambda: make(torch))
    assert ee == et
    if ee is None:
        assert_close(ve, vt)


def _torch_set_default_device(name):
    """torch's CPU build may accept "cuda" here and fail only at the first tensor (ember fails at once)."""
    try:
        torch.set_default_device(name)
        torch.zeros(1)
        return torch.get_default_device()
    finally:
        torch.set_default_device(None)


@pytest.mark.parametrize("name", ["cpu", None, "cuda", "cuda:0", ember.device("cpu")])
def test_set_default_device_matches_torch(name):
    tname = torch.device("cpu") if isinstance(name, ember.device) else name
    got = _answer(lambda: (ember.set_default_device(name), ember.get_default_device())[1])
    assert got == _answer(lambda: _torch_set_default_device(tname))


def test_set_default_device_rejects_a_device_ember_lacks():
    with pytest.raises(RuntimeError, match="'xpu'"):
        ember.set_default_device("xpu")
    with pytest.raises(RuntimeError, match="PyTorch is not linked with support for mps devices"):
        ember.set_default_device("mps")


def test_matmul_precision_and_deterministic_settings_match_torch():
    old_p = torch.get_float32_matmul_precision()
    old_d = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled())
    try:
        for m in (ember, torch):
            m.set_float32_matmul_precision("high")
            with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
                m.set_float32_matmul_precision("fast")
        assert ember.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == "high"
        for mode, warn_only in [(True, True), (True, False), (False, False)]:
            ember.use_deterministic_algorithms(mode, warn_only=warn_only)
            torch.use_deterministic_algorithms(mode, warn_only=warn_only)
            assert ember.are_deterministic_algorithms_enabled() == torch.are_deterministic_algorithms_enabled()
            assert (ember.is_deterministic_algorithms_warn_only_enabled()
                    == torch.is_deterministic_algorithms_warn_only_enabled())
            assert ember.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode()
        for bad in (1, "x", 5):
            fn = ember.use_deterministic_algorithms if bad == 1 else ember.set_deterministic_debug_mode
            tfn = torch.use_deterministic_algorithms if bad == 1 else torch.set_deterministic_debug_mode
            assert _answer(lambda: fn(bad)) == _answer(lambda: tfn(bad))
    finally:
        torch.set_float32_matmul_precision(old_p)
        torch.use_deterministic_algorithms(old_d[0], warn_only=old_d[1])
        ember.set_float32_matmul_precision("highest")
        ember.use_deterministic_algorithms(False)


def test_num_threads_round_trip():
    n = ember.get_num_threads()
    ember.set_num_threads(1)
    assert ember.get_num_threads() == 1
    ember.set_num_threads(n)


def test_cpu_module_matches_torch():
    for name in ("is_available", "device_count", "current_device", "synchronize"):
        assert getattr(ember.cpu, name)() == getattr(torch.cpu, name)()


# ---- autocast -------------------------------------------------------------------------------
def test_autocast_state_inside_and_outside_matches_torch():
    for m in (ember, torch):
        assert not m.is_autocast_enabled("cpu") and not m.is_autocast_enabled()
        with m.autocast("cpu"):
            assert m.is_autocast_enabled("cpu") and not m.is_autocast_enabled()
            with m.autocast("cpu", enabled=False):
                assert not m.is_autocast_enabled("cpu")
            assert m.is_autocast_enabled("cpu")
        with m.amp.autocast(device_type="cpu", dtype=m.float16):
            assert m.get_autocast_dtype("cpu") == m.float16
        assert not m.is_autocast_enabled("cpu")


def test_autocast_policy_is_float32():
    assert ember.get_autocast_dtype("cpu") == ember.float32
    a, b = ember.randn(3, 4), ember.randn(4, 2)
    with ember.autocast("cpu"):
        out = a @ b
    assert out.dtype == ember.float32
    assert_close(out, (a @ b))


@pytest.mark.parametrize("args", [("cpu", "float32"), ("cpu", "int64"), ("cuda", None)])
def test_autocast_disables_itself_with_torchs_warning(args):
    device_type, dtype = args
    for m in (ember, torch):
        with pytest.warns(UserWarning) as record:
            with m.autocast(device_type, dtype=None if dtype is None else getattr(m, dtype)):
                enabled = m.is_autocast_enabled(device_type)
        assert not enabled
        messages = [str(r.message) for r in record]
        if m is ember:
            ember_messages = messages
    assert ember_messages == messages


@pytest.mark.parametrize("device_type", ["foo", 3])
def test_autocast_bad_device_type_raises_as_torch(device_type):
    assert _answer(lambda: ember.autocast(device_type)) == _answer(lambda: torch.autocast(device_type))
    for fn in ("get_autocast_dtype", "is_autocast_enabled"):
        assert _answer(lambda: getattr(ember, fn)(device_type)) == _answer(lambda: getattr(torch, fn)(device_type))


def test_autocast_decorator_and_deprecated_cpu_amp():
    @ember.autocast("cpu")
    def inside():
        return ember.is_autocast_enabled("cpu")

    assert inside() and not ember.is_autocast_enabled("cpu")
    with pytest.warns(FutureWarning, match=r"torch.cpu.amp.autocast\(args...\)` is deprecated"):
        with ember.cpu.amp.autocast():
            assert ember.is_autocast_enabled("cpu")


# ---- GradScaler -----------------------------------------------------------------------------
def _scaler_run(m, **kw):
    """A few scaled SGD steps, one with an inf gradient; the scaler's trace."""
    lin = m.nn.Linear(2, 1)
    with m.no_grad():
        lin.weight.copy_(m.tensor([[0.5, -0.25]]))
        lin.bias.fill_(0.1)
    opt = m.optim.SGD(lin.parameters(), lr=0.1)
    s = m.amp.GradScaler("cpu", init_scale=4.0, growth_interval=2, **kw)
    trace = []
    for step in range(5):
        opt.zero_grad()
        loss = lin(m.ones(1, 2)).sum()
        scaled = s.scale(loss)
        trace.append(scaled.item() if m is ember else scaled.detach().item())
        scaled.backward()
        if step == 3:
            lin.weight.grad.fill_(float("inf"))
        if step == 1:
            s.unscale_(opt)
            _, err = _outcome(lambda: s.unscale_(opt))
            trace.append(err)
        s.step(opt)
        s.update()
        trace += [s.get_scale(), lin.weight.detach().numpy().tolist(), s.state_dict()]
    return trace


@pytest.mark.parametrize("kw", [{}, {"enabled": False}, {"backoff_factor": 0.25}])
def test_grad_scaler_trace_matches_torch(kw):
    a, b = _scaler_run(ember, **kw), _scaler_run(torch, **kw)
    for x, y in zip(a, b):
        if isinstance(x, dict):
            assert x.keys() == y.keys()
            np.testing.assert_allclose([float(v) for v in x.values()], [float(v) for v in y.values()])
        elif isinstance(x, tuple) or x is None:
            assert x == y
        else:
            np.testing.assert_allclose(x, y, rtol=1e-6)


def test_grad_scaler_cuda_disables_itself_and_errors_match_torch():
    for m in (ember, torch):
        with pytest.warns(UserWarning, match="CUDA is not available.  Disabling."):
            assert not m.amp.GradScaler().is_enabled()
    got = _answer(lambda: ember.amp.GradScaler("cpu").update())
    assert got == _answer(lambda: torch.amp.GradScaler("cpu").update())
    got = _answer(lambda: ember.amp.GradScaler("cpu", growth_factor=0.5))
    assert got == _answer(lambda: torch.amp.GradScaler("cpu", growth_factor=0.5))
    s, t = ember.amp.GradScaler("cpu"), torch.amp.GradScaler("cpu")
    t.load_state_dict({"scale": 8.0, "growth_factor": 3.0, "backoff_factor": 0.5, "growth_interval": 7,
                       "_growth_tracker": 2})
    s.load_state_dict(t.state_dict())
    assert s.state_dict() == {k: float(v) if k == "scale" else v for k, v in t.state_dict().items()}


# ---- compile --------------------------------------------------------------------------------
def test_compile_module_wraps_it_as_torch():
    lin = ember.nn.Linear(3, 2)
    c = ember.compile(lin, mode="max-autotune", fullgraph=True, dynamic=False)
    tc = torch.compile(torch.nn.Linear(3, 2))
    assert type(c).__name__ == type(tc).__name__ == "OptimizedModule"
    assert list(c.state_dict()) == list(tc.state_dict()) == ["_orig_mod.weight", "_orig_mod.bias"]
    assert c._orig_mod is lin and c.weight is lin.weight and c.in_features == 3
    x = ember.randn(4, 3)
    assert_close(c(x), lin(x))
    c.eval()
    assert not lin.training


def test_compile_function_and_decorator_forms():
    def f(x):
        return x * 2 + 1

    g = ember.compile(f, backend="eager")
    assert g.__name__ == "f"

    @ember.compile(mode="reduce-overhead")
    def h(x):
        return x.exp()

    x = ember.randn(3, requires_grad=True)
    assert_close(g(x), f(x))
    h(x).sum().backward()
    assert_close(x.grad, x.detach().exp())


@pytest.mark.parametrize("kw", [{"mode": "foo"}, {"mode": "default", "options": {}}, {"backend": "nonexistent"}])
def test_compile_bad_arguments_raise_as_torch(kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError) as te:
            torch.compile(torch.nn.Linear(2, 2), **kw)
    with pytest.raises(RuntimeError) as ee:
        ember.compile(ember.nn.Linear(2, 2), **kw)
    assert str(ee.value) == str(te.value)


def test_compile_non_callable_raises_as_torch():
    assert _answer(lambda: ember.compile(3)) == _answer(lambda: torch.compile(3))


# ---- the issue's program, unchanged ---------------------------------------------------------
PROGRAM = '''
import torch
import torch.nn as nn

device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else torch.device("cpu")
torch.backends.cudnn.benchmark = True
torch.manual_seed(0)
x = torch.randn(256, 8, device=device)
y = (x[:, :1] * 2 - x[:, 1:2]).detach()
model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1)).to(device)
compiled = torch.compile(model)
opt = torch.optim.SGD(compiled.parameters(), lr=0.05)
losses = []
for epoch in range(60):
    opt.zero_grad()
    with torch.autocast("cpu"):
        loss = nn.functional.mse_loss(compiled(x), y)
    loss.backward()
    opt.step()
    losses.append(loss.item())
'''


def test_the_issues_program_runs_unchanged():
    scope = {}
    import sys

    saved = {k: sys.modules.get(k) for k in ("torch", "torch.nn")}
    sys.modules["torch"], sys.modules["torch.nn"] = ember, ember.nn
    try:
        exec(compile(PROGRAM, "program.py", "exec"), scope)
    finally:
        for k, v in saved.items():
            sys.modules[k] = v
    assert str(scope["device"]) == "cpu"
    assert scope["losses"][-1] < 0.2 * scope["losses"][0]
    ember.backends.cudnn.benchmark = False


def test_deprecated_cuda_amp_warns_and_disables_itself_as_torch():
    for m in (ember, torch):
        with pytest.warns(FutureWarning, match=r"torch.cuda.amp.autocast\(args...\)` is deprecated"):
            with pytest.warns(UserWarning, match="CUDA is not available"):
                with m.cuda.amp.autocast():
                    assert not m.is_autocast_enabled("cuda")
        with pytest.warns(FutureWarning, match=r"torch.cuda.amp.GradScaler\(args...\)` is deprecated"):
            with pytest.warns(UserWarning, match="CUDA is not available.  Disabling."):
                s = m.cuda.amp.GradScaler()
        assert not s.is_enabled() and s.get_scale() == 1.0
    import importlib

    assert importlib.import_module("ember.cuda.amp").GradScaler is ember.cuda.amp.GradScaler  # the torch way
