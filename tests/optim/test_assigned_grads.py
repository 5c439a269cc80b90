"""Gradients assigned with ``p.grad = t``: the flat buffers adopt them (optim/_flat.py) with torch's semantics.

torch's gradient *is* the assigned tensor: ``p.grad is t``, in-place changes of ``t`` are the next step's gradient,
backward accumulates into it, and a replaced gradient keeps its values. Each test runs the same sequence in ember and
torch and compares identities, gradients and parameters.
"""
import numpy as np
import pytest

import ember
import ember.optim as eoptim

torch = pytest.importorskip("torch")

SHAPES = [(4, 3), (5,), (2, 2, 2)]
CASES = [
    ("Adam", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adagrad", dict(lr=0.05)),
]


def _arrays(seed, scale=1.0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(s) * scale).astype(np.float32) for s in SHAPES]


def _pair(name="Adam", kw=None, **torch_kw):
    kw = dict(lr=0.05) if kw is None else kw
    init = _arrays(0)
    ep = [ember.tensor(a.copy(), requires_grad=True) for a in init]
    tp = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    return ep, tp, getattr(eoptim, name)(ep, **kw), getattr(torch.optim, name)(tp, **kw, **torch_kw)


def _same(eps, tps):
    """ember and torch agree to the optimizer suite's tolerance (the kernels round differently from torch's)."""
    for a, b in zip(eps, tps):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)


def _identical(a_list, b_list):
    for a, b in zip(a_list, b_list):
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())


def _assign(ps, lib, seed):
    grads = [lib.tensor(g) for g in _arrays(seed)]
    for p, g in zip(ps, grads):
        p.grad = g
    return grads


def test_assigned_grad_is_the_tensor_and_its_in_place_changes_are_the_next_gradient():
    ep, tp, eo, to = _pair()
    eg, tg = _assign(ep, ember, 1), _assign(tp, torch, 1)
    for step in range(4):
        eo.step(), to.step()
        assert all(p.grad is g for p, g in zip(ep, eg)) and all(p.grad is g for p, g in zip(tp, tg))
        _same(ep, tp)
        for g in eg + tg:
            g.mul_(-1.5)  # in place, after the step
        _same(eg, tg)


def test_assigning_another_tensor_leaves_the_old_one_alone():
    ep, tp, eo, to = _pair("SGD", dict(lr=0.1, momentum=0.9))
    eg1, tg1 = _assign(ep, ember, 1), _assign(tp, torch, 1)
    eo.step(), to.step()
    eg2, tg2 = _assign(ep, ember, 2), _assign(tp, torch, 2)
    _same(eg1, tg1)  # the replaced gradients keep their values
    eo.step(), to.step()
    _same(ep, tp)
    for g in eg1 + tg1:
        g.add_(100.0)  # changing a replaced gradient changes no parameter's gradient
    _same(eg2, tg2)
    eo.step(), to.step()
    _same(ep, tp)
    _same(eg1, tg1)
    assert all(p.grad is g for p, g in zip(ep, eg2))


def _loss(ps, lib, seed=3):
    x = [lib.tensor(a) for a in _arrays(seed)]
    return sum(((p * xx).sum() ** 2 for p, xx in zip(ps, x)), lib.tensor(0.0))


def test_grad_none_then_backward_leaves_the_assigned_tensor_alone():
    ep, tp, eo, to = _pair()
    eg, tg = _assign(ep, ember, 1), _assign(tp, torch, 1)
    eo.step(), to.step()
    for p in ep + tp:
        p.grad = None
    _loss(ep, ember).backward(), _loss(tp, torch).backward()
    _same(eg, tg)  # the backward wrote a new gradient, not into the old tensor
    assert not any(p.grad is g for p, g in zip(ep, eg))
    _same([p.grad for p in ep], [p.grad for p in tp])
    eo.step(), to.step()
    _same(ep, tp)


def test_zero_grad_keeping_tensors_then_backward_accumulates_into_the_assigned_tensor():
    ep, tp, eo, to = _pair()
    eg, tg = _assign(ep, ember, 1), _assign(tp, torch, 1)
    eo.step(), to.step()
    eo.zero_grad(set_to_none=False), to.zero_grad(set_to_none=False)
    _same(eg, tg)
    assert all(np.all(g.numpy() == 0) for g in eg)
    for _ in range(2):
        _loss(ep, ember).backward(), _loss(tp, torch).backward()
    assert all(p.grad is g for p, g in zip(ep, eg)) and all(p.grad is g for p, g in zip(tp, tg))
    _same(eg, tg)
    eo.step(), to.step()
    _same(ep, tp)


def test_gradient_hooks_and_retain_graph_accumulate_into_the_assigned_tensor():
    ep, tp, eo, to = _pair("AdamW", dict(lr=0.05, weight_decay=0.1))
    eg, tg = _assign(ep, ember, 1), _assign(tp, torch, 1)
    eo.step(), to.step()
    for p in ep + tp:
        p.register_hook(lambda g: g * 3)
    el, tl = _loss(ep, ember), _loss(tp, torch)
    el.backward(retain_graph=True), tl.backward(retain_graph=True)
    el.backward(), tl.backward()
    assert all(p.grad is g for p, g in zip(ep, eg)) and all(p.grad is g for p, g in zip(tp, tg))
    np.testing.assert_allclose(np.concatenate([g.numpy().ravel() for g in eg]),
                               np.concatenate([g.numpy().ravel() for g in tg]), rtol=1e-6)
    for e, t in zip(eg, tg):  # the same gradients from here, so that the steps can be compared exactly
        e.copy_(ember.tensor(t.numpy()))
    eo.step(), to.step()
    _same(ep, tp)


@pytest.mark.parametrize("shape,dtype", [((4,), "float32"), ((1, 3), "float32"), ((3,), "float64"),
                                         ((3,), "float16"), ((3,), "int64"), ((3,), "int32"), ((3,), "bool"),
                                         ((4,), "float64")])
def test_wrong_shape_or_dtype_is_refused_at_assignment_with_torchs_error(shape, dtype):
    ep, tp = ember.zeros(3, requires_grad=True), torch.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError) as expected:
        tp.grad = torch.zeros(shape, dtype=getattr(torch, dtype))
    with pytest.raises(RuntimeError) as got:
        ep.grad = ember.zeros(*shape, dtype=getattr(ember, dtype))
    assert str(got.value) == str(expected.value)
    assert ep.grad is None and tp.grad is None


def test_grad_assignment_type_and_integer_tensors_as_in_torch():
    with pytest.raises(TypeError) as expected:
        torch.zeros(3, requires_grad=True).grad = 3.0
    with pytest.raises(TypeError) as got:
        ember.zeros(3, requires_grad=True).grad = 3.0
    assert str(got.value) == str(expected.value)
    for lib in (ember, torch):  # an integer tensor takes an integer gradient, and refuses a float one
        q = lib.zeros(3, dtype=lib.int64)
        g = lib.ones(3, dtype=lib.int64)
        q.grad = g
        assert q.grad is g
    with pytest.raises(RuntimeError) as expected:
        torch.zeros(3, dtype=torch.int64).grad = torch.zeros(3)
    with pytest.raises(RuntimeError) as got:
        ember.zeros(3, dtype=ember.int64).grad = ember.zeros(3)
    assert str(got.value) == str(expected.value)


def test_state_dict_and_load_state_dict_with_assigned_grads_match_torch():
    ep, tp, eo, to = _pair()
    eg = _assign(ep, ember, 1)
    _assign(tp, torch, 1)
    for _ in range(3):
        eo.step(), to.step()
    es, ts = eo.state_dict(), to.state_dict()
    for k in ts["state"]:
        for key, value in ts["state"][k].items():
            np.testing.assert_allclose(es["state"][k][key].numpy(), value.numpy(), rtol=1e-5, atol=1e-7, err_msg=key)
    ep2 = [ember.tensor(p.detach().numpy().copy(), requires_grad=True) for p in ep]
    eo2 = eoptim.Adam(ep2, lr=0.05)
    eo2.load_state_dict(es)
    for p, g in zip(ep2, eg):
        p.grad = ember.tensor(g.numpy().copy())
    for _ in range(2):
        eo.step(), to.step(), eo2.step()
    _same(ep, tp)
    _identical(ep2, ep)  # the loaded optimizer continues exactly as the original


@pytest.mark.parametrize("impl", ["fused", "foreach"])
@pytest.mark.parametrize("name,kw", CASES, ids=[c[0] for c in CASES])
def test_assigned_grads_give_the_same_parameters_as_copied_and_backward_grads_and_torch(name, kw, impl):
    ep, tp, eo, to = _pair(name, kw, **{impl: True})
    init = _arrays(0)
    cp = [ember.tensor(a.copy(), requires_grad=True) for a in init]
    co = getattr(eoptim, name)(cp, **kw)
    eg, tg = _assign(ep, ember, 1), _assign(tp, torch, 1)
    arrays = _arrays(1)
    for p, a in zip(cp, arrays):  # from_numpy: the memory is shared with an array, so it is copied every step
        p.grad = ember.from_numpy(a)
    bp = [ember.tensor(a.copy(), requires_grad=True) for a in init]
    bo = getattr(eoptim, name)(bp, **kw)
    for step in range(6):
        bo.zero_grad()
        sum(((p * ember.tensor(a)).sum() for p, a in zip(bp, arrays)), ember.tensor(0.0)).backward()
        eo.step(), to.step(), co.step(), bo.step()
        _identical(ep, cp)  # adopted == copied every step == accumulated by backward, bit for bit
        _identical(ep, bp)
        _same(ep, tp)
        new = _arrays(10 + step)
        for e, t, a, n in zip(eg, tg, arrays, new):
            e.copy_(ember.tensor(n)), t.copy_(torch.tensor(n))
            a[...] = n
    assert all(p.grad is g for p, g in zip(ep, eg))


def test_a_step_that_raises_leaves_parameters_state_and_assigned_grads_alone():
    ps = [ember.tensor(a, requires_grad=True) for a in _arrays(0)]
    q = ember.tensor(np.ones(3, np.float32), requires_grad=True)
    opt = eoptim.Adam([{"params": ps}, {"params": [q]}], lr=0.1)
    grads = _assign(ps, ember, 1)
    q.grad = ember.ones(3)
    opt.step()
    grads = _assign(ps, ember, 2)  # new tensors, adopted by the next step
    before = [p.detach().numpy().copy() for p in ps + [q]]
    grads_before = [g.numpy().copy() for g in grads]
    state_before = [{n: v.numpy().copy() for n, v in st.items()} for st in opt.state.values()]
    q.grad.data = ember.ones(4)  # a wrong shape that only the step sees, in the second group
    with pytest.raises(RuntimeError, match="shape"):
        opt.step()
    for p, b in zip(ps + [q], before):
        assert np.array_equal(p.detach().numpy(), b)
    for st, sb in zip(opt.state.values(), state_before):
        for n, v in st.items():
            assert np.array_equal(v.numpy(), sb[n])
    assert all(p.grad is g and np.array_equal(g.numpy(), b) for p, g, b in zip(ps, grads, grads_before))
    q.grad = ember.ones(3)
    opt.step()  # and the next step runs with those gradients
    assert not np.array_equal(ps[0].detach().numpy(), before[0])


def test_gradient_sharing_memory_with_other_tensors_is_not_moved():
    p = ember.tensor(np.zeros(6, np.float32), requires_grad=True)
    opt = eoptim.SGD([p], lr=1.0)
    big = ember.ones(2, 6)
    p.grad = big[0]  # a view of a larger tensor: still a view of it after the step
    opt.step()
    big.mul_(2.0)
    assert np.array_equal(p.grad.numpy(), np.full(6, 2.0, np.float32))
    opt.step()
    assert np.array_equal(p.detach().numpy(), np.full(6, -3.0, np.float32))


def test_an_assigned_gradient_is_read_in_place_after_the_first_step():
    ps = [ember.tensor(a, requires_grad=True) for a in _arrays(0)]
    opt = eoptim.Adam(ps, lr=0.1)
    grads = _assign(ps, ember, 1)
    opt.step()
    bucket = opt._buffers.buckets[id(opt.param_groups[0])][0]
    assert all(np.shares_memory(g.numpy(), bucket.grad) for g in grads)  # adopted: no copy at the next steps
