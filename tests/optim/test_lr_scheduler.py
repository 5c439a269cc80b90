"""ember.optim.lr_scheduler against torch.optim.lr_scheduler: lr sequences, state, errors, previews."""
import copy
import math
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
import ember.optim as eoptim  # noqa: E402
from ember.optim import lr_scheduler as E  # noqa: E402

T = torch.optim.lr_scheduler
RTOL = 1e-6

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# ----------------------------------------------------------------------------- helpers
GROUPS = {"sgd": [dict(lr=0.1), dict(lr=0.05)], "adam": [dict(lr=0.01), dict(lr=0.002)]}


def make_pair(kind="sgd", groups=None):
    """The same two-group optimizer in ember and in torch (SGD with momentum, or Adam)."""
    groups = GROUPS[kind] if groups is None else groups
    e_groups = [dict(params=[ember.tensor(np.zeros(2, np.float32), requires_grad=True)], **g) for g in groups]
    t_groups = [dict(params=[torch.nn.Parameter(torch.zeros(2))], **g) for g in groups]
    if kind == "sgd":
        return eoptim.SGD(e_groups, lr=0.1, momentum=0.9), torch.optim.SGD(t_groups, lr=0.1, momentum=0.9)
    return eoptim.Adam(e_groups, lr=1e-3), torch.optim.Adam(t_groups, lr=1e-3)


def snapshot(opt):
    """lr of every group, then momentum (or Adam's beta1) of every group."""
    groups = opt.param_groups
    return [g["lr"] for g in groups] + [g["momentum"] if "momentum" in g else g["betas"][0] for g in groups]


def run(opt, sched, n, metrics=None):
    rows = []
    for i in range(n):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[i])
        rows.append(snapshot(opt))
    return np.array(rows, dtype=np.float64)


def assert_same(a, b):
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-12)


def scale_fn(x):
    return 0.5 * (1 + math.sin(x * math.pi / 2))


# (id, optimizer kind, factory(module, optimizer) -> scheduler, steps)
CASES = [
    ("lambda_seed", "sgd", lambda M, o: M.LambdaLR(o, lr_lambda=[lambda epoch: epoch // 30, lambda epoch: 0.95 ** epoch]), 350),
    ("lambda_one", "sgd", lambda M, o: M.LambdaLR(o, lr_lambda=lambda epoch: 0.97 ** epoch), 350),
    ("multiplicative", "sgd", lambda M, o: M.MultiplicativeLR(o, lr_lambda=lambda epoch: 0.99), 350),
    ("multiplicative_list", "adam", lambda M, o: M.MultiplicativeLR(o, lr_lambda=[lambda e: 0.99, lambda e: 1.0 if e % 7 else 0.5]), 350),
    ("step_seed", "sgd", lambda M, o: M.StepLR(o, step_size=30, gamma=0.1), 350),
    ("step_half", "adam", lambda M, o: M.StepLR(o, step_size=7, gamma=0.5), 350),
    ("multistep_seed", "sgd", lambda M, o: M.MultiStepLR(o, milestones=[30, 50, 100], gamma=0.1), 350),
    ("multistep_repeated", "sgd", lambda M, o: M.MultiStepLR(o, milestones=[30, 30, 80, 200], gamma=0.5), 350),
    ("constant", "sgd", lambda M, o: M.ConstantLR(o, factor=0.5, total_iters=40), 350),
    ("constant_default", "adam", lambda M, o: M.ConstantLR(o), 350),
    ("linear_warmup", "sgd", lambda M, o: M.LinearLR(o, start_factor=0.05, total_iters=40), 350),
    ("linear_decay", "adam", lambda M, o: M.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=200), 350),
    ("exponential", "sgd", lambda M, o: M.ExponentialLR(o, gamma=0.99), 350),
    ("polynomial", "sgd", lambda M, o: M.PolynomialLR(o, total_iters=200, power=0.9), 350),
    ("polynomial_sq", "adam", lambda M, o: M.PolynomialLR(o, total_iters=50, power=2.0), 350),
    ("cosine", "sgd", lambda M, o: M.CosineAnnealingLR(o, T_max=100, eta_min=0.001), 350),
    ("cosine_past_tmax", "adam", lambda M, o: M.CosineAnnealingLR(o, T_max=37), 350),
    ("warm_restarts_mult", "sgd", lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=1e-4), 350),
    ("warm_restarts", "sgd", lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=7), 350),
    ("cyclic_triangular", "sgd", lambda M, o: M.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=20), 350),
    ("cyclic_triangular2", "sgd", lambda M, o: M.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=[0.1, 0.2], step_size_up=15,
                                                          step_size_down=25, mode="triangular2"), 350),
    ("cyclic_exp_range_adam", "adam", lambda M, o: M.CyclicLR(o, base_lr=0.001, max_lr=0.01, step_size_up=30,
                                                              mode="exp_range", gamma=0.995), 350),
    ("cyclic_scale_fn", "sgd", lambda M, o: M.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10, scale_fn=scale_fn,
                                                       scale_mode="iterations", cycle_momentum=False), 350),
    ("onecycle_cos", "sgd", lambda M, o: M.OneCycleLR(o, max_lr=[0.1, 0.2], total_steps=400), 400),
    ("onecycle_linear_adam", "adam", lambda M, o: M.OneCycleLR(o, max_lr=0.01, epochs=4, steps_per_epoch=100,
                                                              anneal_strategy="linear", pct_start=0.25), 400),
    ("onecycle_three_phase", "sgd", lambda M, o: M.OneCycleLR(o, max_lr=0.1, total_steps=400, three_phase=True,
                                                              div_factor=10.0, final_div_factor=100.0), 400),
    ("onecycle_no_momentum", "adam", lambda M, o: M.OneCycleLR(o, max_lr=0.01, total_steps=350, cycle_momentum=False), 350),
    ("chained", "sgd", lambda M, o: M.ChainedScheduler([M.ConstantLR(o, factor=0.1, total_iters=20),
                                                        M.ExponentialLR(o, gamma=0.99)]), 350),
    ("sequential_warmup_cosine", "sgd", lambda M, o: M.SequentialLR(
        o, [M.LinearLR(o, start_factor=0.1, total_iters=10), M.CosineAnnealingLR(o, T_max=290)], milestones=[10]), 350),
    ("sequential_three", "adam", lambda M, o: M.SequentialLR(
        o, [M.ConstantLR(o, factor=0.5, total_iters=3), M.ExponentialLR(o, gamma=0.99), M.StepLR(o, 40, 0.5)],
        milestones=[20, 100]), 350),
]
CASE_IDS = [c[0] for c in CASES]


# ----------------------------------------------------------------------------- sequences
@pytest.mark.parametrize("name,kind,factory,n", CASES, ids=CASE_IDS)
def test_lr_sequence_matches_torch(name, kind, factory, n):
    eo, to = make_pair(kind)
    es, ts = factory(E, eo), factory(T, to)
    assert_same(snapshot(eo), snapshot(to))                      # the constructor's initial step
    assert_same(es.get_last_lr(), ts.get_last_lr())
    assert_same(run(eo, es, n), run(to, ts, n))
    assert_same(es.get_last_lr(), ts.get_last_lr())
    assert getattr(es, "last_epoch", None) == getattr(ts, "last_epoch", None)
    assert [g["initial_lr"] for g in eo.param_groups] == pytest.approx([g["initial_lr"] for g in to.param_groups])


@pytest.mark.parametrize("pair", [
    (lambda M, o: M.StepLR(o, step_size=25, gamma=0.5), lambda M, o: M.CosineAnnealingLR(o, T_max=60, eta_min=1e-4)),
    (lambda M, o: M.ExponentialLR(o, gamma=0.995), lambda M, o: M.MultiStepLR(o, milestones=[30, 50, 100], gamma=0.1)),
    (lambda M, o: M.LinearLR(o, start_factor=0.2, total_iters=30), lambda M, o: M.PolynomialLR(o, total_iters=300)),
    (lambda M, o: M.ConstantLR(o, factor=0.25, total_iters=10), lambda M, o: M.CosineAnnealingLR(o, T_max=50)),
], ids=["step+cosine", "exp+multistep", "linear+poly", "constant+cosine"])
def test_two_schedulers_chained_on_one_optimizer(pair):
    f1, f2 = pair
    eo, to = make_pair("sgd")
    e1, e2, t1, t2 = f1(E, eo), f2(E, eo), f1(T, to), f2(T, to)
    rows_e, rows_t = [], []
    for _ in range(320):
        eo.step(); e1.step(); e2.step(); rows_e.append(snapshot(eo))
        to.step(); t1.step(); t2.step(); rows_t.append(snapshot(to))
    assert_same(np.array(rows_e), np.array(rows_t))


@pytest.mark.parametrize("factory", [c[2] for c in CASES if c[0] in (
    "cosine", "cosine_past_tmax", "multiplicative", "linear_warmup", "polynomial", "exponential", "step_seed")],
    ids=["multiplicative", "step", "linear", "exponential", "polynomial", "cosine", "cosine_past"])
def test_outside_lr_change_carries_over_like_torch(factory):
    eo, to = make_pair("sgd")
    es, ts = factory(E, eo), factory(T, to)
    rows_e, rows_t = [], []
    for i in range(330):
        if i in (45, 120, 201):                                   # user code edits the lr
            for opt in (eo, to):
                for g in opt.param_groups:
                    g["lr"] *= 0.3
        eo.step(); es.step(); rows_e.append(snapshot(eo))
        to.step(); ts.step(); rows_t.append(snapshot(to))
    assert_same(np.array(rows_e), np.array(rows_t))


@pytest.mark.parametrize("kwargs,metrics", [
    (dict(), [1.0 / (1 + i // 20) for i in range(320)]),
    (dict(mode="max", factor=0.5, patience=3, threshold=0.05, threshold_mode="abs", cooldown=4),
     [math.sin(i / 9.0) + i / 200.0 for i in range(320)]),
    (dict(mode="min", factor=0.5, patience=2, threshold=1e-2, cooldown=2, min_lr=[1e-3, 1e-4], eps=1e-6),
     [2.0 + math.cos(i / 5.0) * 0.1 - i * 1e-3 for i in range(320)]),
    (dict(mode="max", threshold_mode="rel", patience=0, factor=0.9, min_lr=0.004),
     list(np.random.default_rng(0).normal(size=320))),
], ids=["min_rel_default", "max_abs_cooldown", "per_group_min_lr_eps", "max_rel_noise"])
def test_reduce_lr_on_plateau_matches_torch(kwargs, metrics):
    eo, to = make_pair("sgd")
    es, ts = E.ReduceLROnPlateau(eo, **kwargs), T.ReduceLROnPlateau(to, **kwargs)
    a, b = run(eo, es, len(metrics), metrics), run(to, ts, len(metrics), metrics)
    assert_same(a, b)
    assert len(np.unique(a[:, 0])) > 2                           # the schedule really reduced the lr
    assert (es.best, es.num_bad_epochs, es.cooldown_counter, es.last_epoch) == \
        (ts.best, ts.num_bad_epochs, ts.cooldown_counter, ts.last_epoch)
    assert_same(es.get_last_lr(), ts.get_last_lr())


def test_reduce_lr_on_plateau_accepts_tensor_metrics():
    eo, to = make_pair("sgd")
    es, ts = E.ReduceLROnPlateau(eo, patience=1), T.ReduceLROnPlateau(to, patience=1)
    for v in [3.0, 3.0, 3.0, 2.0, 2.0, 2.0]:
        es.step(ember.tensor(v)); ts.step(torch.tensor(v))
    assert_same(snapshot(eo), snapshot(to))


@pytest.mark.parametrize("name,factory", [
    ("step", lambda M, o: M.StepLR(o, step_size=30, gamma=0.1)),
    ("multistep", lambda M, o: M.MultiStepLR(o, milestones=[30, 50, 100], gamma=0.1)),
    ("constant", lambda M, o: M.ConstantLR(o, factor=0.5, total_iters=40)),
    ("linear", lambda M, o: M.LinearLR(o, start_factor=0.05, total_iters=40)),
    ("exponential", lambda M, o: M.ExponentialLR(o, gamma=0.99)),
    ("polynomial", lambda M, o: M.PolynomialLR(o, total_iters=200, power=0.9)),
    ("cosine", lambda M, o: M.CosineAnnealingLR(o, T_max=100, eta_min=0.001)),
    ("lambda", lambda M, o: M.LambdaLR(o, lr_lambda=lambda e: 0.9 ** e)),
], ids=lambda x: x if isinstance(x, str) else "")
def test_step_with_epoch_uses_closed_form_like_torch(name, factory):
    eo, to = make_pair("sgd")
    es, ts = factory(E, eo), factory(T, to)
    for epoch in [3, 10, 31, 55, 120, 250, 7]:
        with pytest.warns(UserWarning):
            es.step(epoch)
        ts.step(epoch)
        assert_same(snapshot(eo), snapshot(to))


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_fractional_epochs_match_torch(T_mult):
    eo, to = make_pair("sgd")
    es = E.CosineAnnealingWarmRestarts(eo, T_0=5, T_mult=T_mult, eta_min=1e-3)
    ts = T.CosineAnnealingWarmRestarts(to, T_0=5, T_mult=T_mult, eta_min=1e-3)
    rows_e, rows_t = [], []
    for epoch in range(40):
        for i in range(8):
            es.step(epoch + i / 8); ts.step(epoch + i / 8)
            rows_e.append(snapshot(eo)); rows_t.append(snapshot(to))
    assert_same(np.array(rows_e), np.array(rows_t))
    assert (es.T_i, es.last_epoch) == (ts.T_i, ts.last_epoch)
    assert es.T_cur == pytest.approx(ts.T_cur)


def test_resuming_with_last_epoch_matches_torch():
    # the documented resume: the optimizer (with initial_lr) is restored, the scheduler rebuilt with last_epoch
    for factory in (lambda M, o, k: M.StepLR(o, step_size=30, gamma=0.1, last_epoch=k),
                    lambda M, o, k: M.CosineAnnealingLR(o, T_max=100, last_epoch=k),
                    lambda M, o, k: M.OneCycleLR(o, max_lr=0.1, total_steps=300, last_epoch=k),
                    lambda M, o, k: M.CyclicLR(o, 0.01, 0.1, step_size_up=10, last_epoch=k)):
        eo, to = make_pair("sgd")
        e0, t0 = factory(E, eo, -1), factory(T, to, -1)
        run(eo, e0, 40); run(to, t0, 40)
        es, ts = factory(E, eo, 39), factory(T, to, 39)
        assert_same(snapshot(eo), snapshot(to))
        assert_same(run(eo, es, 150), run(to, ts, 150))


# ----------------------------------------------------------------------------- state dict
def _resume(kind, factory, n, cut, load_optimizer_first=False):
    """Run n steps, or cut steps + state_dict round trip (through pickle) + the rest."""
    eo, _ = make_pair(kind)
    es = factory(E, eo)
    first = run(eo, es, cut)
    blob = pickle.dumps((eo.state_dict(), es.state_dict()))
    o_state, s_state = pickle.loads(blob)
    eo2, _ = make_pair(kind)
    if load_optimizer_first:
        eo2.load_state_dict(o_state)
    es2 = factory(E, eo2)
    if not load_optimizer_first:
        eo2.load_state_dict(o_state)
    es2.load_state_dict(s_state)
    return np.concatenate([first, run(eo2, es2, n - cut)])


@pytest.mark.parametrize("name,kind,factory,n", CASES, ids=CASE_IDS)
def test_state_dict_round_trip_resumes_identically(name, kind, factory, n):
    eo, to = make_pair(kind)
    uninterrupted = run(eo, factory(E, eo), n)
    for cut in (1, n // 3, n // 2 + 7):
        resumed = _resume(kind, factory, n, cut)
        np.testing.assert_array_equal(resumed, uninterrupted)
    assert_same(uninterrupted, run(to, factory(T, to), n))


def test_reduce_lr_on_plateau_state_dict_round_trip():
    metrics = [1.0 / (1 + i // 15) for i in range(200)]
    kwargs = dict(mode="min", patience=3, cooldown=2, min_lr=[1e-3, 1e-4])
    eo, _ = make_pair("sgd")
    full = run(eo, E.ReduceLROnPlateau(eo, **kwargs), 200, metrics)
    eo, _ = make_pair("sgd")
    es = E.ReduceLROnPlateau(eo, **kwargs)
    first = run(eo, es, 77, metrics)
    o_state, s_state = copy.deepcopy((eo.state_dict(), es.state_dict()))
    eo2, _ = make_pair("sgd")
    es2 = E.ReduceLROnPlateau(eo2, **kwargs)
    eo2.load_state_dict(o_state)
    es2.load_state_dict(s_state)
    np.testing.assert_array_equal(np.concatenate([first, run(eo2, es2, 123, metrics[77:])]), full)


COMPOSITES = [c for c in CASES if c[0] in ("chained", "sequential_warmup_cosine", "sequential_three")] + [
    ("chained_linear_cosine", "sgd", lambda M, o: M.ChainedScheduler([M.LinearLR(o, start_factor=0.1, total_iters=10),
                                                                      M.CosineAnnealingLR(o, T_max=80)]), 300),
    ("nested", "sgd", lambda M, o: M.SequentialLR(o, [M.ConstantLR(o, factor=0.2, total_iters=5), M.ChainedScheduler(
        [M.ExponentialLR(o, gamma=0.98), M.StepLR(o, step_size=20, gamma=0.5)])], milestones=[8]), 300),
]


@pytest.mark.parametrize("name,kind,factory,n", COMPOSITES, ids=[c[0] for c in COMPOSITES])
def test_composite_resumes_exactly_in_either_load_order(name, kind, factory, n):
    """ember restores the lrs in load_state_dict: loading the optimizer before building the
    schedulers (torch gets this wrong, pytorch#119168) resumes exactly too."""
    eo, _ = make_pair(kind)
    uninterrupted = run(eo, factory(E, eo), n)
    for cut in (3, 9, 12, n // 2):
        for first in (False, True):
            np.testing.assert_array_equal(_resume(kind, factory, n, cut, load_optimizer_first=first), uninterrupted)


def test_chain_inside_sequential_restarts_at_its_milestone():
    """torch raises NotImplementedError here; ember runs the chain as if freshly built at the milestone."""
    def chain(M, o):
        return M.ChainedScheduler([M.ExponentialLR(o, gamma=0.98), M.StepLR(o, step_size=20, gamma=0.5)])
    eo, _ = make_pair("sgd")
    es = E.SequentialLR(eo, [E.ConstantLR(eo, factor=0.2, total_iters=5), chain(E, eo)], milestones=[8])
    nested = run(eo, es, 200)
    eo, to = make_pair("sgd")
    head = run(eo, E.ConstantLR(eo, factor=0.2, total_iters=5), 7)
    fresh_chain = chain(T, to)
    tail = np.concatenate([[snapshot(to)], run(to, fresh_chain, 200 - 8)])
    assert_same(nested, np.concatenate([head, tail]))


def test_torch_sequential_resume_with_optimizer_loaded_first_is_wrong():
    """The torch behaviour ember deliberately fixes (documented in SequentialLR's docstring)."""
    def factory(M, o):
        return M.SequentialLR(o, [M.LinearLR(o, start_factor=0.1, total_iters=5), M.CosineAnnealingLR(o, T_max=20)],
                              milestones=[5])
    _, to = make_pair("sgd")
    full = run(to, factory(T, to), 30)
    _, to = make_pair("sgd")
    ts = factory(T, to)
    first = run(to, ts, 7)
    o_state, s_state = copy.deepcopy((to.state_dict(), ts.state_dict()))
    _, to2 = make_pair("sgd")
    to2.load_state_dict(o_state)
    ts2 = factory(T, to2)
    ts2.load_state_dict(s_state)
    resumed = np.concatenate([first, run(to2, ts2, 23)])
    assert not np.allclose(resumed, full)
    np.testing.assert_array_equal(_resume("sgd", factory, 30, 7, load_optimizer_first=True), run(*_fresh(factory), 30))


def _fresh(factory):
    eo, _ = make_pair("sgd")
    return eo, factory(E, eo)


def test_state_dict_keys_match_torch():
    for name, kind, factory, _ in CASES:
        eo, to = make_pair(kind)
        ekeys, tkeys = set(factory(E, eo).state_dict()), set(factory(T, to).state_dict())
        missing = tkeys - ekeys - {"_get_lr_called_within_step", "_scale_fn_ref", "_anneal_func_type"}
        assert not missing, (name, missing)


def test_lambda_state_dict_saves_callable_objects_only():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate ** epoch

    eo, to = make_pair("sgd")
    es = E.LambdaLR(eo, lr_lambda=[Decay(0.9), lambda e: 1.0])
    ts = T.LambdaLR(to, lr_lambda=[Decay(0.9), lambda e: 1.0])
    assert es.state_dict()["lr_lambdas"] == ts.state_dict()["lr_lambdas"] == [{"rate": 0.9}, None]
    state = es.state_dict()
    state["lr_lambdas"][0]["rate"] = 0.5
    es.load_state_dict(state)
    assert es.lr_lambdas[0].rate == 0.5


# ----------------------------------------------------------------------------- errors
def _raises_like_torch(build, match=None):
    """build(M, optimizer) must raise the same exception type in ember and in torch."""
    eo, to = make_pair("sgd")
    with pytest.raises(Exception) as t_err:
        build(T, to)
    with pytest.raises(type(t_err.value), match=match):
        build(E, eo)


def test_onecycle_stepped_past_total_steps_raises():
    eo, to = make_pair("sgd")
    es, ts = E.OneCycleLR(eo, max_lr=0.1, total_steps=10), T.OneCycleLR(to, max_lr=0.1, total_steps=10)
    run(eo, es, 10); run(to, ts, 10)
    with pytest.raises(ValueError) as t_err:
        ts.step()
    with pytest.raises(ValueError, match="Tried to step 11 times. The specified number of total steps is 10") as e_err:
        es.step()
    assert str(e_err.value) == str(t_err.value)
    assert es.last_epoch == 10                                 # unlike torch, the failed step changed nothing


def test_bad_arguments_raise_torch_errors():
    _raises_like_torch(lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=0), "Expected positive integer T_0, but got 0")
    _raises_like_torch(lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=-3), "T_0, but got -3")
    _raises_like_torch(lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=2.5), "T_0")
    _raises_like_torch(lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=0), "T_mult")
    _raises_like_torch(lambda M, o: M.LambdaLR(o, lr_lambda=[lambda e: 1.0] * 3), "Expected 2 lr_lambdas, but got 3")
    _raises_like_torch(lambda M, o: M.MultiplicativeLR(o, lr_lambda=[lambda e: 1.0]), "Expected 2 lr_lambdas, but got 1")
    _raises_like_torch(lambda M, o: M.MultiplicativeLR(o, lr_lambda=0.9), "lr_lambda should be a function")
    _raises_like_torch(lambda M, o: M.StepLR(o, step_size=3, last_epoch=5), "initial_lr")
    _raises_like_torch(lambda M, o: M.CosineAnnealingLR(o, T_max=3, last_epoch=0), "initial_lr")
    _raises_like_torch(lambda M, o: M.ConstantLR(o, factor=1.5), "factor")
    _raises_like_torch(lambda M, o: M.LinearLR(o, start_factor=0.0), "start_factor")
    _raises_like_torch(lambda M, o: M.LinearLR(o, end_factor=1.5), "end_factor")
    _raises_like_torch(lambda M, o: M.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="exp"), "anneal_strategy")
    _raises_like_torch(lambda M, o: M.OneCycleLR(o, max_lr=0.1), "total_steps")
    _raises_like_torch(lambda M, o: M.OneCycleLR(o, max_lr=0.1, total_steps=0), "total_steps, but got 0")
    _raises_like_torch(lambda M, o: M.OneCycleLR(o, max_lr=0.1, epochs=2, steps_per_epoch=-1), "steps_per_epoch")
    _raises_like_torch(lambda M, o: M.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.5), "pct_start")
    _raises_like_torch(lambda M, o: M.OneCycleLR(o, max_lr=[0.1, 0.2, 0.3], total_steps=10), "max_lr")
    _raises_like_torch(lambda M, o: M.CyclicLR(o, 0.01, 0.1, mode="sawtooth"), "mode")
    _raises_like_torch(lambda M, o: M.ReduceLROnPlateau(o, factor=1.0), "Factor should be < 1.0")
    _raises_like_torch(lambda M, o: M.ReduceLROnPlateau(o, mode="avg"), "mode avg is unknown")
    _raises_like_torch(lambda M, o: M.ReduceLROnPlateau(o, threshold_mode="pct"), "threshold mode pct is unknown")
    _raises_like_torch(lambda M, o: M.ReduceLROnPlateau(o, min_lr=[0.1]), "expected 2 min_lrs, got 1")
    _raises_like_torch(lambda M, o: M.SequentialLR(o, [M.StepLR(o, 3), M.StepLR(o, 4)], milestones=[1, 2]), "milestones")
    _raises_like_torch(lambda M, o: M.SequentialLR(o, [], milestones=[]), "at least one scheduler")
    _raises_like_torch(lambda M, o: M.SequentialLR(o, [M.ReduceLROnPlateau(o)], milestones=[]), "ReduceLROnPlateau")
    _raises_like_torch(lambda M, o: M.ChainedScheduler([]), "at least one scheduler")
    _raises_like_torch(lambda M, o: M.StepLR([{"lr": 0.1}], step_size=3), "is not an Optimizer")


def test_cycle_momentum_needs_momentum_or_betas():
    eo = eoptim.SGD([ember.tensor(np.zeros(2, np.float32), requires_grad=True)], lr=0.1)
    del eo.defaults["momentum"]
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        E.OneCycleLR(eo, max_lr=0.1, total_steps=10)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        E.CyclicLR(eo, 0.01, 0.1)


def test_composite_rejects_schedulers_of_another_optimizer():
    eo, _ = make_pair("sgd")
    other, _ = make_pair("sgd")
    with pytest.raises(ValueError, match="same optimizer"):
        E.SequentialLR(eo, [E.StepLR(eo, 3), E.StepLR(other, 3)], milestones=[2])
    with pytest.raises(ValueError, match="same optimizer"):
        E.ChainedScheduler([E.StepLR(eo, 3), E.StepLR(other, 3)])


# ----------------------------------------------------------------------------- base class
def test_custom_subclass_and_legacy_alias_behave_like_torch():
    def define(M):
        class Halving(M._LRScheduler):
            def get_lr(self):
                return [base / 2 ** (self.last_epoch // 10) for base in self.base_lrs]
        return Halving

    eo, to = make_pair("sgd")
    es, ts = define(E)(eo), define(T)(to)
    assert issubclass(E._LRScheduler, E.LRScheduler) and E._LRScheduler.__name__ == "_LRScheduler"
    assert_same(run(eo, es, 60), run(to, ts, 60))


def test_initial_lr_written_and_kept_like_torch():
    eo, to = make_pair("sgd")
    E.StepLR(eo, 5); T.StepLR(to, 5)
    for opt in (eo, to):
        opt.param_groups[0]["lr"] = 0.7
    es, ts = E.ExponentialLR(eo, 0.5), T.ExponentialLR(to, 0.5)     # initial_lr already present: kept
    assert es.base_lrs == ts.base_lrs == [0.1, 0.05]
    assert [g["initial_lr"] for g in eo.param_groups] == [0.1, 0.05]


@pytest.mark.parametrize("factory", [
    lambda M, o: M.StepLR(o, step_size=7, gamma=0.5),
    lambda M, o: M.CosineAnnealingLR(o, T_max=30, eta_min=1e-3),
    lambda M, o: M.OneCycleLR(o, max_lr=0.5, total_steps=80),
    lambda M, o: M.SequentialLR(o, [M.LinearLR(o, start_factor=0.1, total_iters=5), M.ExponentialLR(o, 0.97)], [5]),
], ids=["step", "cosine", "onecycle", "sequential"])
def test_tensor_lr_is_filled_in_place_like_torch(factory):
    eo = eoptim.SGD([ember.tensor(np.zeros(2, np.float32), requires_grad=True)], lr=ember.tensor(0.1), momentum=0.9)
    to = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=torch.tensor(0.1), momentum=0.9, foreach=False)
    e_lr, t_lr = eo.param_groups[0]["lr"], to.param_groups[0]["lr"]
    es, ts = factory(E, eo), factory(T, to)
    rows_e, rows_t = [], []
    for _ in range(79):
        eo.step(); es.step(); to.step(); ts.step()
        rows_e.append(float(eo.param_groups[0]["lr"])); rows_t.append(float(to.param_groups[0]["lr"]))
    assert_same(rows_e, rows_t)
    assert eo.param_groups[0]["lr"] is e_lr and to.param_groups[0]["lr"] is t_lr
    assert es.get_last_lr()[0] is not e_lr and float(es.get_last_lr()[0]) == float(e_lr)
    assert eo.param_groups[0]["initial_lr"] is not e_lr


# ----------------------------------------------------------------------------- previews
@pytest.mark.parametrize("name,kind,factory,n", CASES, ids=CASE_IDS)
def test_preview_predicts_the_schedule_without_touching_the_optimizer(name, kind, factory, n):
    eo, _ = make_pair(kind)
    es = factory(E, eo)
    run(eo, es, 5)
    before_groups = [{k: v for k, v in g.items() if k != "params"} for g in eo.param_groups]
    before_state = copy.deepcopy(es.state_dict())
    preview = es.preview(n - 5)
    assert [{k: v for k, v in g.items() if k != "params"} for g in eo.param_groups] == before_groups
    assert es.state_dict() == before_state
    actual = [[g["lr"] for g in eo.param_groups]] + [r[:len(eo.param_groups)] for r in run(eo, es, n - 6).tolist()]
    assert len(preview) == len(eo.param_groups) and all(len(p) == n - 5 for p in preview)
    np.testing.assert_array_equal(np.array(preview).T, np.array(actual))


def test_reduce_lr_on_plateau_preview():
    metrics = [1.0 / (1 + i // 20) for i in range(120)]
    eo, _ = make_pair("sgd")
    es = E.ReduceLROnPlateau(eo, patience=4)
    preview = es.preview(121, metrics)
    actual = [[g["lr"] for g in eo.param_groups]] + run(eo, es, 120, metrics)[:, :2].tolist()
    np.testing.assert_array_equal(np.array(preview).T, np.array(actual))
    with pytest.raises(ValueError, match="metrics"):
        es.preview(10)


@pytest.mark.parametrize("cls,kwargs", [
    (E.CosineAnnealingLR, dict(T_max=50, eta_min=1e-3)),
    (E.OneCycleLR, dict(max_lr=1.0, total_steps=100)),
    (E.CyclicLR, dict(base_lr=0.01, max_lr=0.1, step_size_up=7)),
    (E.StepLR, dict(step_size=10, gamma=0.5)),
], ids=["cosine", "onecycle", "cyclic", "step"])
def test_preview_lr_helper_matches_torch(cls, kwargs):
    preview = E.preview_lr(cls, 101, lr=0.1, **kwargs)
    _, to = make_pair("sgd", groups=[dict(lr=0.1)])
    ts = getattr(T, cls.__name__)(to, **kwargs)
    expected = [to.param_groups[0]["lr"]] + run(to, ts, 100)[:, 0].tolist()
    assert_same(preview[0], expected)


def test_preview_lr_with_groups_and_metrics():
    out = E.preview_lr(E.ReduceLROnPlateau, 6, param_groups=[{"lr": 1.0}, {"lr": 0.5}],
                       metrics=[1.0] * 5, patience=1, factor=0.5)
    assert out == [[1.0, 1.0, 1.0, 0.5, 0.5, 0.25], [0.5, 0.5, 0.5, 0.25, 0.25, 0.125]]


def test_docstrings_state_a_formula_and_torch_parity():
    for name in E.__all__:
        doc = getattr(E, name).__doc__
        assert doc and "Example" in doc, name
        if name not in ("preview_lr",):
            assert "Torch parity" in doc, name
