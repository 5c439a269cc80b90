"""Lazy modules against torch: uninitialised tensors until the first forward, the class each becomes, shapes,
state_dict keys, loading a checkpoint into a Lazy module, values and gradients with the same weights, errors."""
from __future__ import annotations

import numpy as np
import pytest

from _oracle import assert_close, to_numpy, torch

import ember
import ember.nn as enn
from ember.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy

CASES = [  # (name, constructor args, input shape)
    ("LazyLinear", (4,), (3, 5)),
    ("LazyConv1d", (4, 3), (2, 3, 8)),
    ("LazyConv2d", (4, 3), (2, 3, 6, 6)),
    ("LazyConv3d", (2, 2), (1, 3, 4, 4, 4)),
    ("LazyConvTranspose1d", (4, 3), (2, 3, 8)),
    ("LazyConvTranspose2d", (4, 3), (2, 3, 5, 5)),
    ("LazyConvTranspose3d", (2, 2), (1, 3, 3, 3, 3)),
    ("LazyBatchNorm1d", (), (4, 3)),
    ("LazyBatchNorm2d", (), (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), (2, 3, 5)),
    ("LazyInstanceNorm2d", (), (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), (2, 3, 2, 2, 2)),
]


def _shapes(module):
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


@pytest.mark.parametrize("name,args,shape", CASES, ids=[c[0] for c in CASES])
def test_lazy_module_initialises_on_first_forward_as_torch(name, args, shape):
    ours, ref = getattr(enn, name)(*args), getattr(torch.nn, name)(*args)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert isinstance(ours.weight, UninitializedParameter) and is_lazy(ours.weight)
    assert repr(ours.weight) == repr(ref.weight) == "<UninitializedParameter>"
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ours(ember.tensor(x)), ref(torch.tensor(x))
    assert type(ours).__name__ == type(ref).__name__ == name[4:]
    assert isinstance(ours, getattr(enn, name[4:])) and not hasattr(ours, "_initialize_hook")
    assert _shapes(ours) == _shapes(ref)
    assert repr(ours) == repr(ref)
    assert not any(is_lazy(t) for t in ours.state_dict().values())
    ours.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = ours(xe), ref(xt)
    assert_close(ye, yt)
    (ye * ye).sum().backward(), (yt * yt).sum().backward()
    assert_close(xe.grad, xt.grad, rtol=1e-4, atol=1e-5)
    for (n, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters()):
        assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-5, msg=n)


@pytest.mark.parametrize("name,args,shape", CASES[:8], ids=[c[0] for c in CASES[:8]])
def test_loading_a_checkpoint_materializes_a_lazy_module(name, args, shape):
    ref = getattr(torch.nn, name)(*args)
    ref(torch.zeros(shape))
    ours = getattr(enn, name)(*args)
    ours.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    assert _shapes(ours) == _shapes(ref)
    for k, v in ours.state_dict().items():
        assert_close(v, ref.state_dict()[k], msg=k)
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    ours.eval(), ref.eval()
    assert_close(ours(ember.tensor(x)), ref(torch.tensor(x)))
    assert type(ours).__name__ == name[4:]


def test_an_uninitialised_state_dict_holds_the_uninitialised_tensors_as_torchs():
    for nnlib in (enn, torch.nn):
        sd = nnlib.LazyLinear(3).state_dict()
        assert list(sd) == ["weight", "bias"]
        assert type(sd["weight"]).__name__ == "UninitializedParameter"


def test_uninitialised_tensors_raise_torchs_errors():
    errors = []
    for p in (UninitializedParameter(), torch.nn.parameter.UninitializedParameter()):
        with pytest.raises(RuntimeError) as err:
            p.shape
        errors.append(str(err.value))
        with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
            p + 1
        with pytest.raises(RuntimeError) as err:
            p.share_memory_()
        errors.append(str(err.value))
        assert p.requires_grad and str(p.dtype).split(".")[-1] == "float32"
    assert errors[:2] == errors[2:]
    b, tb = UninitializedBuffer(), torch.nn.parameter.UninitializedBuffer()
    assert repr(b) == repr(tb) and b.requires_grad is tb.requires_grad is False


def test_lazy_modules_keep_torchs_signatures_and_defaults():
    import inspect

    for name, _, _ in CASES:
        ours, ref = inspect.signature(getattr(enn, name)), inspect.signature(getattr(torch.nn, name))
        assert list(ours.parameters) == list(ref.parameters), name
        assert [p.default for p in ours.parameters.values()] == [p.default for p in ref.parameters.values()], name


def test_lazy_errors_as_torch():
    msgs = []
    for nnlib, T in ((enn, ember.zeros), (torch.nn, torch.zeros)):
        with pytest.raises(ValueError) as err:
            nnlib.LazyConv2d(4, 3, groups=2)(T(1, 3, 5, 5))
        msgs.append(str(err.value))
        with pytest.raises(RuntimeError) as err:
            nnlib.LazyConv2d(4, 3)(T(3, 5))
        msgs.append(str(err.value).split(", but got")[0])
    assert msgs[:2] == msgs[2:]


def test_lazy_linear_in_a_model_trains_like_torch():
    ours = enn.Sequential(enn.LazyLinear(5), enn.ReLU(), enn.LazyLinear(2))
    ref = torch.nn.Sequential(torch.nn.LazyLinear(5), torch.nn.ReLU(), torch.nn.LazyLinear(2))
    x = np.random.default_rng(3).standard_normal((6, 4)).astype(np.float32)
    ours(ember.tensor(x)), ref(torch.tensor(x))
    ours.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    opt_e = ember.optim.SGD(ours.parameters(), lr=0.1)
    opt_t = torch.optim.SGD(ref.parameters(), lr=0.1)
    for _ in range(3):
        for opt, model, T in ((opt_e, ours, ember.tensor), (opt_t, ref, torch.tensor)):
            opt.zero_grad()
            (model(T(x)) ** 2).mean().backward()
            opt.step()
    for k, v in ours.state_dict().items():
        assert_close(v, ref.state_dict()[k], msg=k)
    assert to_numpy(ours[0].weight).shape == (5, 4)


def test_a_deep_copy_of_a_lazy_module_initialises_on_its_own():
    import copy

    for nnlib, T in ((enn, ember.ones), (torch.nn, torch.ones)):
        lazy = nnlib.LazyLinear(2)
        clone = copy.deepcopy(lazy)
        clone(T(1, 5))
        assert type(clone).__name__ == "Linear" and tuple(clone.weight.shape) == (2, 5)
        assert type(lazy).__name__ == "LazyLinear"
        lazy.load_state_dict(clone.state_dict())
        assert type(lazy).__name__ == "LazyLinear" and tuple(lazy.weight.shape) == (2, 5)


def test_a_cast_before_the_first_forward_sets_the_materialized_dtype():
    for nnlib, T in ((enn, ember.ones), (torch.nn, torch.ones)):
        lazy = nnlib.LazyLinear(2).double()
        assert str(lazy.weight.dtype).split(".")[-1] == "float64"
        lazy(T(1, 3, dtype=(ember if nnlib is enn else torch).float64))
        assert str(lazy.weight.dtype).split(".")[-1] == "float64" and tuple(lazy.weight.shape) == (2, 3)
