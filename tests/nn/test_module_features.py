"""nn.Module's hooks and the rest of its API against torch.nn.Module: the same hooks run in the same order with the
same arguments (tensors compared by value), the same state_dict keys and metadata, the same errors."""
from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

from _oracle import assert_close, to_numpy, torch

import ember
import ember.nn as enn
import ember.nn.modules.module as emod
import torch.nn.modules.module as tmod


def _val(x):
    """A hook argument as something comparable across the libraries."""
    if isinstance(x, (ember.Tensor, torch.Tensor)):
        return np.round(to_numpy(x).astype(np.float64), 5).tolist()
    if isinstance(x, (tuple, list)):
        return tuple(_val(v) for v in x)
    if isinstance(x, dict):
        return {k: _val(v) for k, v in x.items()}
    if isinstance(x, (enn.Module, torch.nn.Module)):
        return type(x).__name__
    return x


def _twins(seed=0):
    rng = np.random.default_rng(seed)
    ours = enn.Sequential(enn.Linear(3, 4), enn.Tanh(), enn.Linear(4, 2))
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    state = {k: rng.standard_normal(tuple(v.shape)).astype(np.float32) for k, v in ref.state_dict().items()}
    ref.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    ours.load_state_dict({k: ember.tensor(v) for k, v in state.items()})
    x = rng.standard_normal((5, 3)).astype(np.float32)
    return ours, ref, x


def _recorder(log, tag, ret=None):
    def hook(*args):
        log.append((tag, _val(args)))
        return ret(*args) if ret else None
    return hook


def _register_forward_hooks(model, log):
    """The same set of forward hooks on either library's model."""
    handles = [
        model[0].register_forward_pre_hook(_recorder(log, "pre-a")),
        model[0].register_forward_pre_hook(_recorder(log, "pre-first"), prepend=True),
        model[0].register_forward_pre_hook(_recorder(log, "pre-kw"), with_kwargs=True),
        model[0].register_forward_hook(_recorder(log, "fwd-a", lambda m, a, out: out * 2)),
        model[0].register_forward_hook(_recorder(log, "fwd-first"), prepend=True),
        model[2].register_forward_hook(_recorder(log, "fwd-kw"), with_kwargs=True),
        model[2].register_forward_pre_hook(_recorder(log, "pre-replace", lambda m, a: a[0] + 1)),
    ]
    return handles


def test_forward_hooks_run_in_torchs_order_with_its_arguments_and_replacements():
    ours, ref, x = _twins()
    logs = [], []
    handles = [_register_forward_hooks(m, log) for m, log in zip((ours, ref), logs)]
    out_e, out_t = ours(ember.tensor(x)), ref(torch.tensor(x))
    assert logs[0] == logs[1] and len(logs[0]) == 7
    assert_close(out_e, out_t)
    for hs in handles:
        for h in hs:
            h.remove()
    assert_close(ours(ember.tensor(x)), ref(torch.tensor(x)))
    assert type(handles[0][0]).__name__ == "RemovableHandle" and isinstance(handles[0][0].id, int)


def test_forward_pre_hook_with_kwargs_replaces_args_and_kwargs_and_checks_its_result():
    class Scale(enn.Module):
        def forward(self, x, *, k=1.0):
            return x * k

    class TScale(torch.nn.Module):
        def forward(self, x, *, k=1.0):
            return x * k
    x = np.arange(3, dtype=np.float32)
    results = []
    for mod, T in ((Scale(), ember.tensor), (TScale(), torch.tensor)):
        mod.register_forward_pre_hook(lambda m, a, kw: ((a[0] + 1,), {"k": 3.0}), with_kwargs=True)
        results.append(mod(T(x), k=2.0))
        bad = type(mod)()
        bad.register_forward_pre_hook(lambda m, a, kw: a, with_kwargs=True)
        with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple of") as err:
            bad(T(x), k=2.0)
        results.append(str(err.value).split(", but got")[0])
    assert_close(results[0], results[2])
    assert results[1] == results[3]


def test_always_call_forward_hooks_run_when_forward_raises():
    logs = [], []
    for nnlib, log in ((enn, logs[0]), (torch.nn, logs[1])):
        class Boom(nnlib.Module):
            def forward(self, x):
                raise ValueError("boom")
        mod = Boom()
        mod.register_forward_hook(_recorder(log, "always"), always_call=True)
        mod.register_forward_hook(_recorder(log, "normal"))
        with pytest.raises(ValueError, match="boom"):
            mod(1.0)
    assert logs[0] == logs[1] == [("always", ("Boom", (1.0,), None))]


def test_global_module_hooks_run_before_each_modules_own_and_are_removable():
    logs = [], []
    for lib, log in ((emod, logs[0]), (tmod, logs[1])):
        handles = [lib.register_module_forward_pre_hook(_recorder(log, "g-pre")),
                   lib.register_module_forward_hook(_recorder(log, "g-fwd")),
                   lib.register_module_forward_hook(_recorder(log, "g-kw"), with_kwargs=True)]
        try:
            model = (enn if lib is emod else torch.nn).Linear(2, 2)
            model.register_forward_pre_hook(_recorder(log, "own-pre"))
            T = torch.tensor if lib is tmod else ember.tensor
            model.load_state_dict({"weight": T(np.eye(2, dtype=np.float32)), "bias": T(np.zeros(2, np.float32))})
            model(T([[1.0, 2.0]]))
        finally:
            for h in handles:
                h.remove()
        model(T([[1.0, 2.0]]))  # after removal: only the module's own hook
    assert logs[0] == logs[1]
    assert [t for t, _ in logs[0]] == ["g-pre", "own-pre", "g-fwd", "g-kw", "own-pre"]


def test_registration_hooks_see_and_may_replace_what_is_registered():
    logs = [], []
    for lib, nnlib, log in ((emod, enn, logs[0]), (tmod, torch.nn, logs[1])):
        handles = [lib.register_module_parameter_registration_hook(lambda m, n, p, log=log: log.append(("p", n))),
                   lib.register_module_buffer_registration_hook(lambda m, n, b, log=log: log.append(("b", n))),
                   lib.register_module_module_registration_hook(lambda m, n, s, log=log: log.append(("m", n)))]
        with handles[0], handles[1], handles[2]:  # a handle is a context manager that removes its hook
            nnlib.BatchNorm1d(2)
            nnlib.Sequential(nnlib.Identity())
        nnlib.Linear(1, 1)
    assert logs[0] == logs[1] and ("p", "weight") in logs[0] and ("m", "0") in logs[0]


def _grad_log_model(nnlib):
    model = nnlib.Sequential(nnlib.Linear(3, 4), nnlib.Tanh(), nnlib.Linear(4, 2))
    return model


@pytest.mark.parametrize("input_requires_grad", [True, False])
def test_full_backward_hooks_see_torchs_grad_input_and_grad_output(input_requires_grad):
    ours, ref, x = _twins(1)
    logs = [], []
    results = []
    for model, log, T in ((ours, logs[0], ember.tensor), (ref, logs[1], torch.tensor)):
        model[2].register_full_backward_pre_hook(_recorder(log, "pre2", lambda m, go: (go[0] * 3,)))
        model[2].register_full_backward_hook(_recorder(log, "bw2"))
        model[0].register_full_backward_hook(_recorder(log, "bw0"))
        model[0].register_full_backward_hook(_recorder(log, "bw0-first"), prepend=True)
        model[1].register_full_backward_hook(_recorder(log, "bw1", lambda m, gi, go: (gi[0] * 0.5,)))
        xt = T(x)
        xt.requires_grad_(input_requires_grad)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model(xt).sum().backward()
        results.append([model[0].weight.grad, model[2].weight.grad] + ([xt.grad] if input_requires_grad else []))
    assert [t for t, _ in logs[0]] == [t for t, _ in logs[1]]
    assert logs[0] == logs[1]
    for a, b in zip(*results):
        assert_close(a, b)


def test_full_backward_hook_sees_every_positional_input_and_may_replace_grad_input():
    def mix(nnlib):
        class Mix(nnlib.Module):
            def forward(self, a, scale, b):
                return a * b * scale, a + b
        return Mix()
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal((2, 3)).astype(np.float32)
    logs, grads = ([], []), []
    for mod, log, T in ((mix(enn), logs[0], ember.tensor), (mix(torch.nn), logs[1], torch.tensor)):
        mod.register_full_backward_hook(_recorder(log, "bw", lambda m, gi, go: (gi[0] * 2, None, gi[2])))
        at, bt = T(a, requires_grad=True), T(b)
        p, s = mod(at, 2.0, bt)
        (p.sum() + (s * s).sum()).backward()
        grads.append(at.grad)
    assert logs[0] == logs[1]
    assert_close(grads[0], grads[1])


def test_global_backward_hooks_run_before_each_modules_own():
    logs = [], []
    ours, ref, x = _twins(4)
    for lib, model, log, T in ((emod, ours, logs[0], ember.tensor), (tmod, ref, logs[1], torch.tensor)):
        handles = [lib.register_module_full_backward_pre_hook(_recorder(log, "g-pre")),
                   lib.register_module_full_backward_hook(_recorder(log, "g-bw"))]
        model[2].register_full_backward_hook(_recorder(log, "own-bw"))
        try:
            model(T(x, requires_grad=True)).sum().backward()
        finally:
            for h in handles:
                h.remove()
        model(T(x, requires_grad=True)).sum().backward()
    assert logs[0] == logs[1]
    assert [t for t, _ in logs[0]][:4] == ["g-pre", "g-pre", "g-bw", "own-bw"]


def test_backward_hook_errors_match_torch():
    msgs = []
    for nnlib, T in ((enn, ember.tensor), (torch.nn, torch.tensor)):
        lin = nnlib.Linear(2, 2)
        lin.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
        with pytest.raises(RuntimeError) as err:
            lin(T([[1.0, 2.0]], requires_grad=True)).sum().backward()
        msgs.append(str(err.value))
        lin = nnlib.Linear(2, 2)
        lin.register_full_backward_pre_hook(lambda m, go: (go[0], go[0]))
        with pytest.raises(RuntimeError) as err:
            lin(T([[1.0, 2.0]], requires_grad=True)).sum().backward()
        msgs.append(str(err.value))
    assert msgs[:2] == msgs[2:]
    assert "invalid number of grad_input" in msgs[0] and "invalid number of grad_output" in msgs[1]


def test_state_dict_hooks_and_metadata_as_torch():
    logs = [], []
    dicts = []
    for nnlib, log in ((enn, logs[0]), (torch.nn, logs[1])):
        model = nnlib.Sequential(nnlib.Linear(2, 3), nnlib.BatchNorm1d(3))
        model[1].register_state_dict_pre_hook(lambda m, prefix, keep_vars, log=log: log.append(("pre", prefix, keep_vars)))

        def post(m, sd, prefix, meta, log=log):
            log.append(("post", prefix, sorted(sd), meta))
            sd[prefix + "extra"] = 1
        model[0].register_state_dict_post_hook(post)
        model._register_state_dict_hook(lambda m, sd, prefix, meta: {k: v for k, v in sd.items() if "bias" not in k})
        sd = model.state_dict(keep_vars=True)
        meta = nnlib.Sequential(nnlib.Linear(2, 3), nnlib.BatchNorm1d(3)).state_dict()._metadata
        dicts.append((list(sd), dict(meta)))
        with pytest.raises(RuntimeError, match="Cannot register the same function"):
            model._register_state_dict_hook(post)
        model[0].register_state_dict_post_hook(lambda *a: 1)
        with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
            model.state_dict()
    assert logs[0] == logs[1]
    assert dicts[0] == dicts[1]


def test_load_state_dict_hooks_see_torchs_arguments_and_may_edit_the_incompatible_keys():
    logs = [], []
    for nnlib, log, T in ((enn, logs[0], ember.tensor), (torch.nn, logs[1], torch.tensor)):
        model = nnlib.Sequential(nnlib.Linear(2, 2))
        sd = {k: T(np.ones(tuple(v.shape), np.float32)) for k, v in model.state_dict().items()}
        sd["0.unused"] = T([1.0])

        def pre(m, state, prefix, meta, strict, missing, unexpected, errors, log=log):
            log.append(("pre", type(m).__name__, sorted(state), prefix, meta, strict))
        model[0].register_load_state_dict_pre_hook(pre)
        model._register_load_state_dict_pre_hook(lambda state, prefix, *rest, log=log: log.append(("pre0", prefix)))

        def post(m, keys, log=log):
            log.append(("post", type(m).__name__, list(keys.missing_keys), list(keys.unexpected_keys)))
            keys.unexpected_keys.clear()
        model[0].register_load_state_dict_post_hook(post)
        result = model.load_state_dict(sd)
        log.append(repr(result))
        model[0].register_load_state_dict_post_hook(lambda m, keys: keys)
        with pytest.raises(AssertionError, match="are not expected to return new values"):
            model.load_state_dict(sd)
    assert logs[0] == logs[1]


def test_failed_load_state_dict_leaves_the_module_unchanged():
    model = enn.Sequential(enn.Linear(2, 2), enn.Linear(2, 3))
    before = {k: to_numpy(v).copy() for k, v in model.state_dict().items()}
    sd = {k: ember.ones(*v.shape) for k, v in model.state_dict().items()}
    sd["1.weight"] = ember.ones(4, 4)
    with pytest.raises(RuntimeError, match="size mismatch for 1.weight"):
        model.load_state_dict(sd)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(to_numpy(v), before[k])
    w = model[0].weight
    sd["1.weight"] = ember.ones(3, 2)
    sd["extra"] = ember.ones(1)
    with pytest.raises(RuntimeError, match='Unexpected key'):
        model.load_state_dict(sd, assign=True)
    assert model[0].weight is w


def test_load_state_dict_assign_binds_the_given_tensors_and_keeps_requires_grad():
    for nnlib, T in ((enn, ember.tensor), (torch.nn, torch.tensor)):
        model = nnlib.Linear(2, 2)
        model.weight.requires_grad_(False)
        w = T(np.full((2, 2), 3.0, np.float32))
        model.load_state_dict({"weight": w, "bias": T(np.zeros(2, np.float32))}, assign=True)
        assert isinstance(model.weight, nnlib.Parameter) and not model.weight.requires_grad
        assert model.bias.requires_grad
        w[0, 0] = 7.0
        assert float(model.weight[0, 0]) == 7.0  # the parameter shares the given tensor's memory


def test_non_persistent_buffers_named_modules_and_submodule_access_as_torch():
    results = []
    for nnlib, T in ((enn, ember.tensor), (torch.nn, torch.tensor)):
        shared = nnlib.Linear(1, 1)
        model = nnlib.Sequential(shared, nnlib.Sequential(shared, nnlib.ReLU()))
        model.register_buffer("step", T([1.0]), persistent=False)
        model.register_buffer("kept", T([2.0]))
        out = [sorted(model.state_dict()), [n for n, _ in model.named_buffers()],
               [n for n, _ in model.named_modules()], [n for n, _ in model.named_modules(remove_duplicate=False)],
               type(model.get_submodule("1.1")).__name__, model.get_parameter("1.0.bias").shape == (1,),
               float(model.get_buffer("step")[0])]
        for call in (lambda: model.get_submodule("1.zz"), lambda: model.get_submodule("0.weight"),
                     lambda: model.get_parameter("0.nope"), lambda: model.get_parameter("kept"),
                     lambda: model.get_buffer("0.weight"), lambda: model.set_submodule("", nnlib.ReLU()),
                     lambda: model.set_submodule("1.5", nnlib.ReLU(), strict=True),
                     lambda: model.set_submodule("0.weight", nnlib.ReLU()),
                     lambda: model.set_submodule("1.0", 3)):
            with pytest.raises((AttributeError, ValueError)) as err:
                call()
            out.append((err.type.__name__, str(err.value).replace("ember", "torch")))
        model.set_submodule("1.0", nnlib.Tanh())
        out.append(type(model[1][0]).__name__)
        with pytest.raises(KeyError) as err:
            model.register_buffer("a.b", None)
        out.append(str(err.value))
        results.append(out)
    assert results[0] == results[1]


def test_extra_state_is_saved_and_restored_under_torchs_key():
    keys = []
    for nnlib in (enn, torch.nn):
        class Counter(nnlib.Module):
            def __init__(self):
                super().__init__()
                self.lin = nnlib.Linear(1, 1)
                self.count = 0

            def get_extra_state(self):
                return {"count": self.count}

            def set_extra_state(self, state):
                self.count = state["count"]
        a, b = Counter(), Counter()
        a.count = 5
        b.load_state_dict(a.state_dict())
        assert b.count == 5
        keys.append(list(a.state_dict()))
        with pytest.raises(RuntimeError, match="Missing key"):
            b.load_state_dict({k: v for k, v in a.state_dict().items() if k != "_extra_state"})
    assert keys[0] == keys[1] == ["_extra_state", "lin.weight", "lin.bias"]


def test_dtype_casts_keep_the_parameter_objects_and_match_torch():
    for method, dtype in (("double", np.float64), ("half", np.float16), ("float", np.float32)):
        ours = enn.BatchNorm1d(3)
        ref = torch.nn.BatchNorm1d(3)
        w = ours.weight
        getattr(ours, method)(), getattr(ref, method)()
        assert ours.weight is w and to_numpy(ours.weight).dtype == dtype
        assert {k: str(to_numpy(v).dtype) for k, v in ours.state_dict().items()} == \
               {k: str(to_numpy(v).dtype) for k, v in ref.state_dict().items()}
    ours = enn.Linear(2, 2).to(ember.float64)
    assert ours.weight.dtype == ember.float64
    with pytest.raises(TypeError, match="only accepts floating point"):
        ours.to(ember.int64)
    empty = enn.Linear(2, 3).to_empty(device="cpu")
    assert empty.weight.shape == (3, 2)


def test_share_memory_keeps_values_and_parameters():
    model = enn.Linear(3, 2)
    w, before = model.weight, to_numpy(model.weight).copy()
    assert model.share_memory() is model and model.weight is w
    np.testing.assert_array_equal(to_numpy(model.weight), before)
    model(ember.ones(1, 3)).sum().backward()
    assert model.weight.grad.shape == (2, 3)


def _noop_hook(*args):
    return None


def test_pickle_and_setstate_of_an_old_module_state():
    model = enn.Sequential(enn.Linear(2, 2))
    model.register_forward_hook(_noop_hook)
    clone = pickle.loads(pickle.dumps(model))
    assert_close(clone[0].weight, model[0].weight)
    state = dict(copy.copy(model[0].__dict__))
    for name in ("_forward_hooks_with_kwargs", "_backward_pre_hooks", "_state_dict_pre_hooks"):
        state.pop(name)
    fresh = enn.Linear.__new__(enn.Linear)
    fresh.__setstate__(state)
    assert fresh(ember.ones(1, 2)).shape == (1, 2) and fresh._backward_pre_hooks == {}


def test_batchnorm_loads_a_version_1_checkpoint_without_num_batches_tracked():
    for nnlib, T in ((enn, ember.tensor), (torch.nn, torch.tensor)):
        bn = nnlib.BatchNorm1d(2)
        sd = bn.state_dict()
        del sd["num_batches_tracked"]
        sd._metadata[""]["version"] = 1
        assert repr(bn.load_state_dict(sd)) == "<All keys matched successfully>"
        sd._metadata[""]["version"] = 2
        with pytest.raises(RuntimeError, match='Missing key.*"num_batches_tracked"'):
            bn.load_state_dict(sd)


def test_module_init_rejects_unexpected_arguments_as_torch():
    msgs = []
    for nnlib in (enn, torch.nn):
        with pytest.raises(TypeError) as err:
            nnlib.Module(1)
        msgs.append(str(err.value))
        with pytest.raises(TypeError) as err:
            nnlib.Module(a=1)
        msgs.append(str(err.value))
    assert msgs[:2] == msgs[2:]
