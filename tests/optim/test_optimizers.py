"""Every ember optimizer against torch.optim (the oracle): N-step parity over a grid of options, grad=None
skipping, param groups, closures, state_dict round trips (ember and torch checkpoints), errors, hooks."""
import io
import itertools

import numpy as np
import pytest

import ember
import ember.optim as eoptim
from ember.optim import _kernels

torch = pytest.importorskip("torch")

SHAPES = [(4, 3), (5,), (2, 3, 2), (3,)]


def _grid(**axes):
    keys = list(axes)
    return [dict(zip(keys, values)) for values in itertools.product(*(axes[k] for k in keys))]


def _sgd_grid():
    out = []
    for kw in _grid(lr=[0.1, 0.01], momentum=[0.0, 0.9], dampening=[0.0, 0.3], nesterov=[False, True],
                    weight_decay=[0.0, 0.1], maximize=[False, True]):
        if kw["nesterov"] and (kw["momentum"] == 0 or kw["dampening"] != 0):
            continue
        out.append(kw)
    return out


CASES = {
    "SGD": (eoptim.SGD, torch.optim.SGD, _sgd_grid()),
    "Adam": (eoptim.Adam, torch.optim.Adam,
             _grid(lr=[1e-2, 1e-3], betas=[(0.9, 0.999), (0.8, 0.9)], weight_decay=[0.0, 0.1], amsgrad=[False, True],
                   maximize=[False, True], decoupled_weight_decay=[False, True])),
    "AdamW": (eoptim.AdamW, torch.optim.AdamW,
              _grid(lr=[1e-2, 1e-3], weight_decay=[0.0, 0.1], amsgrad=[False, True], maximize=[False, True])),
    "Adagrad": (eoptim.Adagrad, torch.optim.Adagrad,
                _grid(lr=[0.1, 0.01], lr_decay=[0.0, 0.01], weight_decay=[0.0, 0.1],
                      initial_accumulator_value=[0.0, 0.5], eps=[1e-10, 1e-3], maximize=[False, True])),
    "RMSprop": (eoptim.RMSprop, torch.optim.RMSprop,
                _grid(lr=[0.01, 0.001], alpha=[0.99, 0.9], weight_decay=[0.0, 0.1], momentum=[0.0, 0.9],
                      centered=[False, True], maximize=[False, True])),
    "Adadelta": (eoptim.Adadelta, torch.optim.Adadelta,
                 _grid(lr=[1.0, 0.1], rho=[0.9, 0.5], weight_decay=[0.0, 0.1], eps=[1e-6, 1e-3], maximize=[False, True])),
    "Adamax": (eoptim.Adamax, torch.optim.Adamax,
               _grid(lr=[2e-3, 1e-2], betas=[(0.9, 0.999), (0.5, 0.9)], weight_decay=[0.0, 0.1],
                     maximize=[False, True])),
    "NAdam": (eoptim.NAdam, torch.optim.NAdam,
              _grid(lr=[2e-3, 1e-2], momentum_decay=[4e-3, 0.1], weight_decay=[0.0, 0.1],
                    decoupled_weight_decay=[False, True], maximize=[False, True])),
    "RAdam": (eoptim.RAdam, torch.optim.RAdam,
              _grid(lr=[1e-3, 1e-2], betas=[(0.9, 0.999), (0.9, 0.9)], weight_decay=[0.0, 0.1],
                    decoupled_weight_decay=[False, True], maximize=[False, True])),
    "Rprop": (eoptim.Rprop, torch.optim.Rprop,
              _grid(lr=[1e-2, 1e-3], etas=[(0.5, 1.2), (0.3, 1.5)], step_sizes=[(1e-6, 50), (1e-3, 0.02)],
                    maximize=[False, True])),
    "ASGD": (eoptim.ASGD, torch.optim.ASGD,
             _grid(lr=[1e-2, 0.1], lambd=[1e-4, 0.1], alpha=[0.75, 0.5], t0=[1e6, 5.0], weight_decay=[0.0, 0.1],
                   maximize=[False, True])),
}
PARAMS = [(name, kw) for name, (_, _, grid) in CASES.items() for kw in grid]


def _make(seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def _grads(rng, step):
    """Gradients for one step; None where the parameter gets no gradient (skipped by torch)."""
    out = []
    for i, s in enumerate(SHAPES):
        g = rng.standard_normal(s).astype(np.float32)
        if (i == 1 and step % 4 == 1) or (i == 3 and step < 5):
            g = None
        out.append(g)
    return out


def _set_grads(params, grads, lib):
    for p, g in zip(params, grads):
        p.grad = None if g is None else (ember.tensor(g.copy()) if lib == "ember" else torch.tensor(g.copy()))


def _assert_same(eps, tps, rtol=1e-5, atol=1e-6, msg=""):
    for a, b in zip(eps, tps):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol, err_msg=msg)


def _assert_parity(E, T, kw, steps=25, seed=0, groups=None):
    init = _make(seed)
    ep = [ember.tensor(a.copy(), requires_grad=True) for a in init]
    tp = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    if groups is None:
        eo, to = E(ep, **kw), T(tp, **kw)
    else:
        eo = E([dict(g, params=[ep[i] for i in g["params"]]) for g in groups], **kw)
        to = T([dict(g, params=[tp[i] for i in g["params"]]) for g in groups], **kw)
    rng = np.random.default_rng(seed + 1)
    for step in range(steps):
        grads = _grads(rng, step)
        _set_grads(ep, grads, "ember")
        _set_grads(tp, grads, "torch")
        eo.step()
        to.step()
        _assert_same(ep, tp, msg=f"{E.__name__} {kw} step {step}")
    return eo, to, ep, tp


@pytest.mark.parametrize("name,kw", PARAMS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(PARAMS)])
def test_matches_torch_over_grid(name, kw):
    E, T, _ = CASES[name]
    _assert_parity(E, T, kw)


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch_without_numba(name, monkeypatch):
    E, T, grid = CASES[name]
    previous = _kernels.set_enabled(False)
    monkeypatch.setattr(_kernels, "CHUNK", 7)  # exercise the chunked NumPy path across chunk boundaries
    try:
        for kw in grid[:: max(1, len(grid) // 6)]:
            _assert_parity(E, T, kw)
    finally:
        _kernels.set_enabled(previous)


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_matches_torch_layout(name):
    E, T, grid = CASES[name]
    eo, to, _, _ = _assert_parity(E, T, grid[-1], steps=6)
    esd, tsd = eo.state_dict(), to.state_dict()
    assert esd["param_groups"] == tsd["param_groups"]
    assert sorted(esd["state"]) == sorted(tsd["state"])
    for i, st in tsd["state"].items():
        assert sorted(esd["state"][i]) == sorted(st)
        for key, value in st.items():
            ev = esd["state"][i][key]
            assert isinstance(ev, ember.Tensor)
            assert ev.dtype == ember.float32 and tuple(ev.shape) == tuple(value.shape)
            np.testing.assert_allclose(ev.detach().numpy(), value.detach().numpy(), rtol=1e-5, atol=1e-6)


def _roundtrip(obj):
    buf = io.BytesIO()
    ember.save(obj, buf)
    buf.seek(0)
    return ember.load(buf)


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_save_load_resumes_bit_for_bit(name):
    E, _, grid = CASES[name]
    kw = grid[-1]
    init = _make(3)
    rng = np.random.default_rng(4)
    grads = [_grads(rng, s) for s in range(12)]
    a = [ember.tensor(x.copy(), requires_grad=True) for x in init]
    opt_a = E(a, **kw)
    for s in range(6):
        _set_grads(a, grads[s], "ember")
        opt_a.step()
    saved = _roundtrip({"optim": opt_a.state_dict(), "params": [p.detach().clone() for p in a]})
    b = [ember.tensor(p.detach().numpy().copy(), requires_grad=True) for p in saved["params"]]
    opt_b = E(b, **kw)
    opt_b.load_state_dict(saved["optim"])
    for s in range(6, 12):
        _set_grads(a, grads[s], "ember")
        _set_grads(b, grads[s], "ember")
        opt_a.step()
        opt_b.step()
        for x, y in zip(a, b):
            assert np.array_equal(x.detach().numpy(), y.detach().numpy())


@pytest.mark.parametrize("name", list(CASES))
def test_loads_torch_state_dict_and_continues_like_torch(name):
    E, T, grid = CASES[name]
    kw = grid[len(grid) // 2]
    init = _make(5)
    rng = np.random.default_rng(6)
    tp = [torch.tensor(x.copy(), requires_grad=True) for x in init]
    to = T(tp, **kw)
    for s in range(7):
        _set_grads(tp, _grads(rng, s), "torch")
        to.step()
    tsd = to.state_dict()
    converted = {"state": {i: {k: ember.tensor(v.detach().numpy().copy()) if torch.is_tensor(v) else v for k, v in st.items()}
                           for i, st in tsd["state"].items()},
                 "param_groups": tsd["param_groups"]}
    ep = [ember.tensor(p.detach().numpy().copy(), requires_grad=True) for p in tp]
    eo = E(ep, **kw)
    eo.load_state_dict(converted)
    for s in range(7, 20):
        grads = _grads(rng, s)
        _set_grads(tp, grads, "torch")
        _set_grads(ep, grads, "ember")
        to.step()
        eo.step()
        _assert_same(ep, tp)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "NAdam", "ASGD"])
def test_param_groups_with_different_hyper_parameters(name):
    E, T, grid = CASES[name]
    base = grid[-1]
    groups = [{"params": [0, 2]}, {"params": [1], "lr": 0.05, "weight_decay": 0.0}, {"params": [3], "lr": 0.001}]
    _assert_parity(E, T, base, groups=groups)


def test_float64_and_float32_params_in_one_group():
    init = _make(0)
    ep = [ember.tensor(init[0].astype(np.float64), requires_grad=True), ember.tensor(init[1], requires_grad=True)]
    tp = [torch.tensor(init[0].astype(np.float64), requires_grad=True), torch.tensor(init[1], requires_grad=True)]
    eo, to = eoptim.Adam(ep, lr=0.01), torch.optim.Adam(tp, lr=0.01)
    rng = np.random.default_rng(0)
    for _ in range(10):
        for a, b in zip(ep, tp):
            g = rng.standard_normal(a.shape)
            a.grad = ember.tensor(g.astype(a.detach().numpy().dtype))
            b.grad = torch.tensor(g.astype(a.detach().numpy().dtype))
        eo.step()
        to.step()
        _assert_same(ep, tp)
    assert ep[0].dtype == ember.float64 and eo.state[ep[0]]["exp_avg"].dtype == ember.float64


def test_backward_accumulates_into_flat_grad_buffer_and_matches_torch():
    init = _make(1)
    x = np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32)
    ep = [ember.tensor(a.copy(), requires_grad=True) for a in init]
    tp = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    eo, to = eoptim.Adam(ep, lr=0.05), torch.optim.Adam(tp, lr=0.05)
    for step in range(25):
        for opt, ps, lib in ((eo, ep, ember), (to, tp, torch)):
            opt.zero_grad()
            xx = lib.tensor(x)
            loss = (ps[0] * xx).sum() ** 2 + (ps[2] ** 2).sum()
            if step % 3:
                loss = loss + (ps[1] * ps[1]).sum()
            loss.backward()
            opt.step()
        _assert_same(ep, tp)
        assert ep[3].grad is None
    bucket = eo._buffers.buckets[id(eo.param_groups[0])][0]
    assert np.shares_memory(ep[0].grad._data, bucket.grad) and np.shares_memory(ep[0]._data, bucket.data)


def test_zero_grad():
    p = ember.tensor(np.ones(3, np.float32), requires_grad=True)
    opt = eoptim.SGD([p], lr=0.1)
    p.grad = ember.tensor(np.ones(3, np.float32))
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None and np.all(p.grad.detach().numpy() == 0)
    opt.zero_grad()
    assert p.grad is None


def test_closure_is_called_and_its_loss_returned():
    init = _make(2)
    ep = [ember.tensor(a.copy(), requires_grad=True) for a in init]
    tp = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    eo, to = eoptim.SGD(ep, lr=0.1, momentum=0.9), torch.optim.SGD(tp, lr=0.1, momentum=0.9)

    def closure_for(opt, ps):
        def closure():
            opt.zero_grad()
            loss = sum((p * p).sum() for p in ps)
            loss.backward()
            return loss
        return closure

    for _ in range(25):
        le, lt = eo.step(closure_for(eo, ep)), to.step(closure_for(to, tp))
        np.testing.assert_allclose(le.item(), lt.item(), rtol=1e-5, atol=1e-7)
        _assert_same(ep, tp)


def test_lion_matches_paper_algorithm_in_torch():
    init = _make(0)
    for kw in _grid(lr=[1e-3, 1e-2], betas=[(0.9, 0.99), (0.95, 0.98)], weight_decay=[0.0, 0.1], maximize=[False, True]):
        ep = [ember.tensor(a.copy(), requires_grad=True) for a in init]
        tp = [torch.tensor(a.copy()) for a in init]
        m = [torch.zeros_like(t) for t in tp]
        opt = eoptim.Lion(ep, **kw)
        rng = np.random.default_rng(1)
        b1, b2 = kw["betas"]
        for step in range(25):
            grads = _grads(rng, step)
            _set_grads(ep, grads, "ember")
            opt.step()
            for i, g in enumerate(grads):
                if g is None:
                    continue
                g = torch.tensor(g) * (-1 if kw["maximize"] else 1)
                tp[i].mul_(1 - kw["lr"] * kw["weight_decay"])
                tp[i].add_(torch.sign(b1 * m[i] + (1 - b1) * g), alpha=-kw["lr"])
                m[i].mul_(b2).add_(g, alpha=1 - b2)
            _assert_same(ep, tp)


@pytest.mark.parametrize("inner", ["SGD", "Adam"])
def test_lookahead_matches_paper_algorithm_with_torch_inner(inner):
    init = _make(0)
    kw = dict(lr=0.05, momentum=0.9) if inner == "SGD" else dict(lr=0.01)
    ep = [ember.tensor(a.copy(), requires_grad=True) for a in init]
    tp = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    opt = eoptim.Lookahead(getattr(eoptim, inner)(ep, **kw), k=3, alpha=0.5)
    topt = getattr(torch.optim, inner)(tp, **kw)
    slow = [t.detach().clone() for t in tp]
    rng = np.random.default_rng(1)
    for step in range(1, 26):
        grads = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
        _set_grads(ep, grads, "ember")
        _set_grads(tp, grads, "torch")
        opt.step()
        topt.step()
        if step % 3 == 0:
            with torch.no_grad():
                for s, t in zip(slow, tp):
                    s.add_(0.5 * (t - s))
                    t.copy_(s)
        _assert_same(ep, tp)
    sd = _roundtrip(opt.state_dict())
    assert sd["lookahead"]["k"] == 3 and len(sd["lookahead"]["slow"]) == len(SHAPES)


# --- errors ----------------------------------------------------------------------------------------------------------

BAD = [
    ("SGD", dict(lr=-0.1)), ("SGD", dict(lr=0.1, momentum=-1)), ("SGD", dict(lr=0.1, weight_decay=-1)),
    ("SGD", dict(lr=0.1, nesterov=True)), ("Adam", dict(lr=-1)), ("Adam", dict(eps=-1)),
    ("Adam", dict(betas=(1.0, 0.999))), ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-1)),
    ("AdamW", dict(betas=(0.9, 1.0))), ("Adagrad", dict(lr_decay=-1)), ("Adagrad", dict(initial_accumulator_value=-1)),
    ("Adagrad", dict(eps=-1)), ("RMSprop", dict(alpha=-1)), ("RMSprop", dict(momentum=-1)),
    ("Adadelta", dict(rho=1.5)), ("Adamax", dict(betas=(1.5, 0.9))), ("NAdam", dict(momentum_decay=-1)),
    ("RAdam", dict(eps=-1)), ("Rprop", dict(etas=(1.5, 1.2))), ("ASGD", dict(weight_decay=-1)),
]


@pytest.mark.parametrize("name,kw", BAD)
def test_bad_hyper_parameters_raise_like_torch(name, kw):
    with pytest.raises(ValueError) as te:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kw)
    with pytest.raises(ValueError) as ee:
        getattr(eoptim, name)([ember.zeros(2, requires_grad=True)], **kw)
    assert str(ee.value) == str(te.value)


def test_structural_errors_match_torch():
    def both(fn_e, fn_t, exc):
        with pytest.raises(exc) as te:
            fn_t()
        with pytest.raises(exc) as ee:
            fn_e()
        assert str(ee.value) == str(te.value)

    both(lambda: eoptim.SGD([], lr=0.1), lambda: torch.optim.SGD([], lr=0.1), ValueError)
    pe, pt = ember.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    both(lambda: eoptim.SGD([{"params": [pe]}, {"params": [pe]}], lr=0.1),
         lambda: torch.optim.SGD([{"params": [pt]}, {"params": [pt]}], lr=0.1), ValueError)
    both(lambda: eoptim.SGD([{"params": {pe}}], lr=0.1), lambda: torch.optim.SGD([{"params": {pt}}], lr=0.1),
         TypeError)
    e1, t1 = eoptim.SGD([pe], lr=0.1), torch.optim.SGD([pt], lr=0.1)
    qe, qt = ember.zeros(3, requires_grad=True), torch.zeros(3, requires_grad=True)
    e2 = eoptim.SGD([{"params": [pe]}, {"params": [qe]}], lr=0.1)
    t2 = torch.optim.SGD([{"params": [pt]}, {"params": [qt]}], lr=0.1)
    both(lambda: e1.load_state_dict(e2.state_dict()), lambda: t1.load_state_dict(t2.state_dict()), ValueError)
    e3 = eoptim.SGD([pe, qe], lr=0.1)
    t3 = torch.optim.SGD([pt, qt], lr=0.1)
    both(lambda: e1.load_state_dict(e3.state_dict()), lambda: t1.load_state_dict(t3.state_dict()), ValueError)
    with pytest.raises(TypeError, match="Tensor"):
        eoptim.SGD(pe, lr=0.1)


def test_implementation_flags_are_validated_and_differentiable_raises():
    p = ember.zeros(2, requires_grad=True)
    eoptim.Adam([p], foreach=False, fused=True, capturable=True)
    eoptim.SGD([p], foreach=True)
    with pytest.raises(RuntimeError, match="differentiable"):
        eoptim.Adam([p], differentiable=True)
    with pytest.raises(TypeError, match="foreach"):
        eoptim.Adam([p], foreach="yes")
    with pytest.raises(RuntimeError, match="cannot be `True` together"):
        eoptim.Adam([p], foreach=True, fused=True)


def test_failing_step_leaves_params_and_state_unchanged():
    ps = [ember.tensor(a, requires_grad=True) for a in _make(0)]
    q = ember.tensor(np.ones(3, np.float32), requires_grad=True)
    opt = eoptim.Adam([{"params": ps}, {"params": [q]}], lr=0.1)
    for p in ps + [q]:
        p.grad = ember.ones(*p.shape)
    opt.step()
    before = [p.detach().numpy().copy() for p in ps + [q]]
    state_before = {k: {n: v.detach().numpy().copy() for n, v in st.items()} for k, st in enumerate(opt.state.values())}
    with pytest.raises(RuntimeError, match="attempting to assign a gradient of size"):
        q.grad = ember.ones(4)  # refused at assignment, as torch refuses it
    q.grad.data = ember.ones(4)  # a wrong shape that only the step sees, in the second group
    with pytest.raises(RuntimeError, match="shape"):
        opt.step()
    for p, b in zip(ps + [q], before):
        assert np.array_equal(p.detach().numpy(), b)
    for k, st in enumerate(opt.state.values()):
        for n, v in st.items():
            assert np.array_equal(v.detach().numpy(), state_before[k][n])


# --- base-class behaviour --------------------------------------------------------------------------------------------

def test_step_hooks_run_around_step():
    p = ember.tensor(np.ones(2, np.float32), requires_grad=True)
    opt = eoptim.SGD([p], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", float(p.detach().numpy()[0]))))
    opt.register_step_post_hook(lambda o, a, k: calls.append(("post", float(p.detach().numpy()[0]))))
    p.grad = ember.ones(2)
    opt.step()
    assert calls == [("pre", 1.0), ("post", pytest.approx(0.9))]
    h1.remove()
    opt.step()
    assert [c[0] for c in calls] == ["pre", "post", "post"]


def test_user_subclass_written_the_torch_way():
    class MySGD(eoptim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        @ember.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    buf = self.state[p].setdefault("buf", ember.zeros_like(p))
                    buf.mul_(0.5).add_(p.grad)
                    p.add_(buf, alpha=-group["lr"])

    p = ember.tensor(np.ones(3, np.float32), requires_grad=True)
    t = torch.tensor(np.ones(3, np.float32), requires_grad=True)
    opt, topt = MySGD([p], lr=0.1), torch.optim.SGD([t], lr=0.1, momentum=0.5)
    calls = []
    opt.register_step_post_hook(lambda *a: calls.append(1))
    for _ in range(5):
        for x, lib in ((p, ember), (t, torch)):
            x.grad = lib.tensor(np.arange(3, dtype=np.float32))
        opt.step()
        topt.step()
    np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=1e-6)
    assert calls == [1] * 5
    assert list(opt.state_dict()["state"][0]) == ["buf"]


def test_named_parameters_match_state_by_name():
    names = ["a", "b", "c"]
    vals = _make(0)[:3]
    ps = [ember.tensor(v.copy(), requires_grad=True) for v in vals]
    opt = eoptim.Adam(list(zip(names, ps)), lr=0.1)
    for p in ps:
        p.grad = ember.ones(*p.shape)
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["param_names"] == names
    # a new optimizer with the parameters in another order loads the state by name
    qs = [ember.tensor(v.copy(), requires_grad=True) for v in vals]
    opt2 = eoptim.Adam([("c", qs[2]), ("a", qs[0]), ("b", qs[1])], lr=0.1)
    assert opt2.load_state_dict(sd) == ([], [])
    for i in range(3):
        assert np.array_equal(opt2.state[qs[i]]["exp_avg"].detach().numpy(), opt.state[ps[i]]["exp_avg"].detach().numpy())
    opt3 = eoptim.Adam([("a", qs[0]), ("z", qs[1])], lr=0.1)
    with pytest.raises(ValueError, match="missing"):
        opt3.load_state_dict(sd)
    missing, unexpected = opt3.load_state_dict(sd, strict=False)
    assert missing == ["z"] and sorted(unexpected) == ["b", "c"]


def test_adagrad_state_exists_before_first_step_like_torch():
    p, t = ember.zeros(3, requires_grad=True), torch.zeros(3, requires_grad=True)
    e, to = eoptim.Adagrad([p], initial_accumulator_value=0.25), torch.optim.Adagrad([t], initial_accumulator_value=0.25)
    assert sorted(e.state_dict()["state"][0]) == sorted(to.state_dict()["state"][0])
    assert np.all(e.state[p]["sum"].detach().numpy() == 0.25)


def test_sgd_without_momentum_has_no_state_and_repr_like_torch():
    p, t = ember.zeros(3, requires_grad=True), torch.zeros(3, requires_grad=True)
    e, to = eoptim.SGD([p], lr=0.1), torch.optim.SGD([t], lr=0.1)
    p.grad, t.grad = ember.ones(3), torch.ones(3)
    e.step()
    to.step()
    assert e.state_dict()["state"] == {} == to.state_dict()["state"]
    assert repr(e) == repr(to)


def test_replacing_param_data_is_respected():
    p = ember.tensor(np.ones(3, np.float32), requires_grad=True)
    opt = eoptim.SGD([p], lr=0.5)
    p.data = ember.tensor(np.full(3, 2.0, np.float32))
    p.grad = ember.ones(3)
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), 1.5)
    p.data = ember.tensor(np.full(4, 2.0, np.float32))  # a new shape: the group is re-packed
    p.grad = ember.ones(4)
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), np.full(4, 1.5))


def test_group_lr_changed_between_steps_and_tensor_lr_like_torch():
    init = _make(7)
    ep = [ember.tensor(a.copy(), requires_grad=True) for a in init]
    tp = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    eo = eoptim.Adam(ep, lr=ember.tensor(0.01), amsgrad=True)
    to = torch.optim.Adam(tp, lr=torch.tensor(0.01), amsgrad=True)
    rng = np.random.default_rng(8)
    for step in range(25):
        if step % 5 == 4:  # what a scheduler does
            eo.param_groups[0]["lr"] = 0.01 * 0.5 ** (step // 5)
            to.param_groups[0]["lr"] = 0.01 * 0.5 ** (step // 5)
        grads = _grads(rng, step)
        _set_grads(ep, grads, "ember")
        _set_grads(tp, grads, "torch")
        eo.step()
        to.step()
        _assert_same(ep, tp)
