"""ember.optim.swa_utils against torch.optim.swa_utils: AveragedModel, SWALR, update_bn."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
import ember.nn as enn  # noqa: E402
import ember.optim as eoptim  # noqa: E402
from ember.optim import lr_scheduler as ELR  # noqa: E402
from ember.optim import swa_utils as ES  # noqa: E402

TS = torch.optim.swa_utils
TLR = torch.optim.lr_scheduler

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# ----------------------------------------------------------------------------- models
def tracker_cls(nn, lib):
    """A layer with a float and an integer buffer that change in training mode (like BatchNorm)."""
    class Tracker(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 3)
            self.register_buffer("avg_out", lib.zeros(3))
            self.register_buffer("calls", lib.tensor(0))

        def forward(self, x):
            out = self.lin(x)
            if self.training:
                with lib.no_grad():
                    self.avg_out.mul_(0.9).add_(out.mean(0) * 0.1)
                    self.calls.add_(1)
            return out
    return Tracker


def make_models(kind="tracker", seed=0):
    """The same model in torch and in ember (torch's random init copied across)."""
    torch.manual_seed(seed)
    if kind == "tracker":
        tm = torch.nn.Sequential(tracker_cls(torch.nn, torch)(), torch.nn.Tanh(), torch.nn.Linear(3, 2))
        em = enn.Sequential(tracker_cls(enn, ember)(), enn.Tanh(), enn.Linear(3, 2))
    elif kind == "bn1d":
        tm = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(), torch.nn.Linear(6, 2))
        em = enn.Sequential(enn.Linear(4, 6), enn.BatchNorm1d(6), enn.ReLU(), enn.Linear(6, 2))
    else:
        tm = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3, momentum=0.3), torch.nn.ReLU(),
                                 torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 4, 2), torch.nn.BatchNorm1d(2))
        em = enn.Sequential(enn.Conv2d(2, 3, 3), enn.BatchNorm2d(3, momentum=0.3), enn.ReLU(),
                            enn.Flatten(), enn.Linear(3 * 4 * 4, 2), enn.BatchNorm1d(2))
    copy_weights(tm, em)
    return tm, em


def copy_weights(tm, em):
    with ember.no_grad():
        for pe, pt in zip(em.parameters(), tm.parameters()):
            pe.copy_(ember.tensor(pt.detach().numpy().copy()))
        for be, bt in zip(em.buffers(), tm.buffers()):
            be.copy_(ember.tensor(bt.detach().numpy().copy()))


def state_arrays(model):
    return [p.detach().numpy().copy() for p in model.parameters()] + \
           [b.detach().numpy().copy() for b in model.buffers()]


def assert_models_close(em, tm, rtol=1e-6, atol=1e-7):
    e, t = state_arrays(em), state_arrays(tm)
    assert len(e) == len(t)
    for a, b in zip(e, t):
        assert a.dtype == b.dtype or (a.dtype.kind == b.dtype.kind), (a.dtype, b.dtype)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def data(n_batches=6, batch=8, seed=1):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(batch, 4)).astype(np.float32), rng.normal(size=(batch, 2)).astype(np.float32))
            for _ in range(n_batches)]


# ----------------------------------------------------------------------------- training with SWA
def train(lib, optim, lrs, model, averaged_kwargs, anneal_strategy, epochs=12, swa_start=6, per_step=False):
    """torch's SWA recipe, written once for both libraries: cosine, then SWALR + averaging."""
    swa_utils = optim.swa_utils
    avg = swa_utils.AveragedModel(model, **averaged_kwargs)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = lrs.CosineAnnealingLR(opt, T_max=20)
    swa_sched = swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=3, anneal_strategy=anneal_strategy)
    lr_trace = []
    for epoch in range(epochs):
        for x, y in data():
            opt.zero_grad()
            loss = ((model(lib.tensor(x)) - lib.tensor(y)) ** 2).mean()
            loss.backward()
            opt.step()
            if per_step:
                avg.update_parameters(model)
        if epoch >= swa_start:
            if not per_step:
                avg.update_parameters(model)
            swa_sched.step()
        else:
            sched.step()
        lr_trace.append(opt.param_groups[0]["lr"])
    return avg, lr_trace


AVERAGING = [
    ("swa", lambda U: dict(), False),
    ("swa_buffers", lambda U: dict(use_buffers=True), False),
    ("ema_multi", lambda U: dict(multi_avg_fn=U.get_ema_multi_avg_fn(0.9)), True),
    ("ema_multi_buffers", lambda U: dict(multi_avg_fn=U.get_ema_multi_avg_fn(0.9), use_buffers=True), True),
    ("ema_avg_fn", lambda U: dict(avg_fn=U.get_ema_avg_fn(0.8)), True),
    ("ema_avg_fn_buffers", lambda U: dict(avg_fn=U.get_ema_avg_fn(0.8), use_buffers=True), True),
    ("swa_multi", lambda U: dict(multi_avg_fn=U.get_swa_multi_avg_fn()), False),
    ("swa_avg_fn", lambda U: dict(avg_fn=U.get_swa_avg_fn()), False),
]


@pytest.mark.parametrize("anneal_strategy", ["cos", "linear"])
@pytest.mark.parametrize("name,kwargs,per_step", AVERAGING, ids=[a[0] for a in AVERAGING])
def test_training_run_with_averaged_model_and_swalr_matches_torch(name, kwargs, per_step, anneal_strategy):
    tm, em = make_models()
    t_avg, t_lrs = train(torch, torch.optim, TLR, tm, kwargs(TS), anneal_strategy, per_step=per_step)
    e_avg, e_lrs = train(ember, eoptim, ELR, em, kwargs(ES), anneal_strategy, per_step=per_step)
    np.testing.assert_allclose(e_lrs, t_lrs, rtol=1e-6)
    assert int(e_avg.n_averaged.item()) == int(t_avg.n_averaged.item())
    assert e_avg.n_averaged.dtype == ember.int64
    assert_models_close(em, tm, rtol=1e-4, atol=1e-5)            # the trained models (float32 drift)
    assert_models_close(e_avg, t_avg, rtol=1e-4, atol=1e-5)      # the averages
    x = data()[0][0]
    np.testing.assert_allclose(e_avg(ember.tensor(x)).detach().numpy(), t_avg(torch.tensor(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,kwargs,per_step", AVERAGING, ids=[a[0] for a in AVERAGING])
def test_averaging_of_the_same_weights_matches_torch_exactly(name, kwargs, per_step):
    """Feed both averages identical weights at every update: the averaging alone, to float32 precision."""
    tm, em = make_models()
    t_avg, e_avg = TS.AveragedModel(tm, **kwargs(TS)), ES.AveragedModel(em, **kwargs(ES))
    rng = np.random.default_rng(3)
    for step in range(25):
        with torch.no_grad():
            for p in list(tm.parameters()) + [b for b in tm.buffers() if b.is_floating_point()]:
                p.add_(torch.from_numpy(rng.normal(size=tuple(p.shape)).astype(np.float32)))
            for b in tm.buffers():
                if not b.is_floating_point():
                    b.add_(int(rng.integers(1, 5)))
        copy_weights(tm, em)
        t_avg.update_parameters(tm)
        e_avg.update_parameters(em)
        assert_models_close(e_avg, t_avg, rtol=1e-6, atol=1e-6)
    assert int(e_avg.n_averaged.item()) == int(t_avg.n_averaged.item()) == 25


def test_swa_multi_avg_fn_handles_integer_buffers():
    """torch's get_swa_multi_avg_fn raises on integer buffers (addcdiv); ember's gives torch's default SWA."""
    tm, em = make_models()
    t_avg = TS.AveragedModel(tm, use_buffers=True)
    e_avg = ES.AveragedModel(em, multi_avg_fn=ES.get_swa_multi_avg_fn(), use_buffers=True)
    rng = np.random.default_rng(4)
    for _ in range(9):
        with torch.no_grad():
            for p in list(tm.parameters()) + [b for b in tm.buffers() if b.is_floating_point()]:
                p.add_(torch.from_numpy(rng.normal(size=tuple(p.shape)).astype(np.float32)))
            tm[0].calls.add_(int(rng.integers(1, 9)))
        copy_weights(tm, em)
        t_avg.update_parameters(tm)
        e_avg.update_parameters(em)
        assert_models_close(e_avg, t_avg, rtol=1e-6, atol=1e-6)
    torch_multi = TS.AveragedModel(tm, multi_avg_fn=TS.get_swa_multi_avg_fn(), use_buffers=True)
    torch_multi.update_parameters(tm)
    with pytest.raises(RuntimeError):
        torch_multi.update_parameters(tm)


def test_averaged_model_copies_the_model_and_moves_to_device():
    _, em = make_models()
    avg = ES.AveragedModel(em, device="cpu")
    assert avg.module is not em
    assert all(a is not b for a, b in zip(avg.parameters(), em.parameters()))
    assert int(avg.n_averaged.item()) == 0
    names = [n for n, _ in avg.named_buffers()]
    assert "n_averaged" in names and "module.0.calls" in names
    assert "n_averaged" in avg.state_dict()


def test_averaged_model_argument_errors():
    _, em = make_models()
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        ES.AveragedModel(em, avg_fn=ES.get_swa_avg_fn(), multi_avg_fn=ES.get_swa_multi_avg_fn())
    for bad in (-0.1, 1.5):
        for getter in (ES.get_ema_avg_fn, ES.get_ema_multi_avg_fn):
            with pytest.raises(ValueError, match=f"Invalid decay value {bad}"):
                getter(bad)
            with pytest.raises(ValueError):
                getattr(TS, getter.__name__)(bad)


# ----------------------------------------------------------------------------- SWALR
@pytest.mark.parametrize("kwargs", [
    dict(swa_lr=0.05, anneal_epochs=10, anneal_strategy="cos"),
    dict(swa_lr=0.05, anneal_epochs=10, anneal_strategy="linear"),
    dict(swa_lr=[0.3, 0.01], anneal_epochs=7, anneal_strategy="linear"),
    dict(swa_lr=0.2, anneal_epochs=0),
    dict(swa_lr=0.01, anneal_epochs=1, anneal_strategy="cos"),
], ids=["cos", "linear", "per_group", "no_anneal", "one_epoch"])
def test_swalr_sequence_matches_torch(kwargs):
    groups = [dict(lr=0.1), dict(lr=0.5)]
    eo = eoptim.SGD([dict(params=[ember.tensor(np.zeros(2, np.float32), requires_grad=True)], **g) for g in groups])
    to = torch.optim.SGD([dict(params=[torch.nn.Parameter(torch.zeros(2))], **g) for g in groups])
    es, ts = ES.SWALR(eo, **kwargs), TS.SWALR(to, **kwargs)
    rows_e, rows_t = [], []
    for i in range(40):
        if i == 20:                                             # something else changes the lr
            for opt in (eo, to):
                opt.param_groups[1]["lr"] = 0.9
        eo.step(); es.step(); to.step(); ts.step()
        rows_e.append([g["lr"] for g in eo.param_groups]); rows_t.append([g["lr"] for g in to.param_groups])
    np.testing.assert_allclose(rows_e, rows_t, rtol=1e-6)
    assert [g["swa_lr"] for g in eo.param_groups] == [g["swa_lr"] for g in to.param_groups]
    state = es.state_dict()
    es2 = ES.SWALR(eo, **kwargs)
    es2.load_state_dict(state)
    eo.step(); es2.step(); to.step(); ts.step()
    np.testing.assert_allclose([g["lr"] for g in eo.param_groups], [g["lr"] for g in to.param_groups], rtol=1e-6)


def test_swalr_errors_match_torch():
    eo = eoptim.SGD([ember.tensor(np.zeros(2, np.float32), requires_grad=True)], lr=0.1)
    to = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    for kwargs, match in [(dict(anneal_strategy="exp"), "anneal_strategy must be one of 'cos' or 'linear', instead got exp"),
                          (dict(anneal_epochs=-1), "anneal_epochs must be equal or greater than 0, got -1"),
                          (dict(anneal_epochs=2.5), "anneal_epochs must be equal or greater than 0"),
                          (dict(swa_lr=[0.1, 0.2]), "swa_lr must have the same length")]:
        kwargs = {"swa_lr": 0.05, **kwargs}
        with pytest.raises(ValueError, match=match):
            TS.SWALR(to, **kwargs)
        with pytest.raises(ValueError, match=match):
            ES.SWALR(eo, **kwargs)


def test_swalr_preview():
    eo = eoptim.SGD([ember.tensor(np.zeros(2, np.float32), requires_grad=True)], lr=0.1)
    es = ES.SWALR(eo, swa_lr=0.01, anneal_epochs=5)
    preview = es.preview(12)[0]
    actual = [eo.param_groups[0]["lr"]]
    for _ in range(11):
        es.step(); actual.append(eo.param_groups[0]["lr"])
    assert preview == actual


# ----------------------------------------------------------------------------- update_bn
def loaders(kind):
    rng = np.random.default_rng(5)
    shape = (16, 4) if kind == "bn1d" else (16, 2, 6, 6)
    xs = [(rng.normal(size=shape) * 2 + 1).astype(np.float32) for _ in range(5)]
    xs.append(xs[0][:7])                                        # a short last batch
    return xs


@pytest.mark.parametrize("kind", ["bn1d", "bn2d"])
@pytest.mark.parametrize("form", ["tensor", "tuple", "list", "dict", "call_fn"])
def test_update_bn_gives_torch_running_statistics(kind, form):
    tm, em = make_models(kind)
    xs = loaders(kind)
    tm.eval(); em.eval()                                        # update_bn must restore eval mode
    ys = [np.zeros((len(x), 2), np.float32) for x in xs]
    t_loader = [torch.tensor(x) for x in xs]
    if form == "tensor":
        e_loader = [ember.tensor(x) for x in xs]
    elif form == "tuple":
        e_loader = [(ember.tensor(x), ember.tensor(y)) for x, y in zip(xs, ys)]
    elif form == "list":
        e_loader = [[ember.tensor(x), ember.tensor(y)] for x, y in zip(xs, ys)]
    elif form == "dict":
        e_loader = [{"input": ember.tensor(x), "target": ember.tensor(y)} for x, y in zip(xs, ys)]
    else:
        e_loader = [{"target": ember.tensor(y), "features": ember.tensor(x)} for x, y in zip(xs, ys)]
    TS.update_bn(t_loader, tm)
    if form == "call_fn":
        ES.update_bn(e_loader, em, call_fn=lambda model, batch: model(batch["features"]))
    else:
        ES.update_bn(e_loader, em, device="cpu")
    assert not em.training and not tm.training
    t_bn = [m for m in tm.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    e_bn = [m for m in em.modules() if isinstance(m, enn.modules.normalization._BatchNorm)]
    assert len(t_bn) == len(e_bn) > 0
    for e, t in zip(e_bn, t_bn):
        assert e.momentum == t.momentum
        np.testing.assert_allclose(e.running_mean.numpy(), t.running_mean.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(e.running_var.numpy(), t.running_var.numpy(), rtol=1e-5, atol=1e-6)
        assert int(e.num_batches_tracked.item()) == int(t.num_batches_tracked.item()) == len(xs)


def test_update_bn_with_data_loader_and_averaged_model():
    from ember.utils.data import DataLoader, TensorDataset
    tm, em = make_models("bn1d")
    t_avg, e_avg = TS.AveragedModel(tm), ES.AveragedModel(em)
    t_avg.update_parameters(tm); e_avg.update_parameters(em)
    x = np.concatenate(loaders("bn1d")[:4])
    y = np.zeros((len(x), 2), np.float32)
    t_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=10)
    e_loader = DataLoader(TensorDataset(ember.tensor(x), ember.tensor(y)), batch_size=10)
    t_avg.train(); e_avg.train()
    TS.update_bn(t_loader, t_avg)
    ES.update_bn(e_loader, e_avg)
    assert e_avg.training
    assert_models_close(e_avg, t_avg, rtol=1e-5, atol=1e-6)


def test_update_bn_restores_state_even_if_forward_raises_and_ignores_models_without_bn():
    _, em = make_models("bn1d")
    em.eval()
    bn = em[1]
    with pytest.raises(RuntimeError, match="boom"):
        ES.update_bn([ember.tensor(loaders("bn1d")[0])], em, call_fn=lambda m, b: (_ for _ in ()).throw(RuntimeError("boom")))
    assert bn.momentum == 0.1 and not em.training
    plain = enn.Sequential(enn.Linear(4, 2))
    before = state_arrays(plain)
    ES.update_bn([ember.ones(3, 4)], plain)
    for a, b in zip(state_arrays(plain), before):
        np.testing.assert_array_equal(a, b)


def test_public_names_and_docstrings():
    for name in ES.__all__:
        obj = getattr(ES, name)
        assert obj.__doc__ and "Torch parity" in obj.__doc__ and "Example" in obj.__doc__, name
        assert hasattr(TS, name)
