"""`ember compare`, `ember plot lr`, `ember plot optimizers` and `ember find-lr` end to end."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import ember
from conftest import only_run_dir

PNG = b"\x89PNG\r\n\x1a\n"


def _is_png(path, min_size=3000):
    data = open(path, "rb").read()
    return data[:8] == PNG and len(data) > min_size


# ----------------------------------------------------------------------------- compare
def test_compare_runs_a_grid_ranks_it_and_overlays_curves(ember_cli, tmp_path):
    r = ember_cli("compare", "--json", "--set", "train.epochs=1", "--set", "swa.enabled=false",
                  "--set", f"output.dir={tmp_path}", "--vary", "optimizer.name=SGD,Adam",
                  "--vary", "model.hidden=[32],[64,32]")
    assert r.code == 0, r.err
    res = r.json()
    ranked = res["ranked"]
    assert len(ranked) == 4
    assert {x["label"] for x in ranked} == {f"optimizer={o} hidden={h}" for o in ("SGD", "Adam")
                                            for h in ("[32]", "[64,32]")}
    scores = [x["final"]["accuracy"] for x in ranked]
    assert scores == sorted(scores, reverse=True)             # ranked by test accuracy, best first
    root = tmp_path / res["dir"].split("/")[-1]
    rows = list(csv.reader(open(root / "compare.csv")))
    assert rows[0][:3] == ["rank", "variant", "test loss"] and len(rows) == 5
    for p in res["plots"]:
        assert _is_png(p)
    assert {"compare_val_loss.png", "compare_val_accuracy.png"} <= {p.split("/")[-1] for p in res["plots"]}
    # each variant really ran with its own settings
    for x in ranked:
        cfg = json.load(open(f"{x['run_dir']}/config.json"))
        assert f"optimizer={cfg['optimizer']['name']}" in x["label"]
        assert "hidden=" + json.dumps(cfg["model"]["hidden"]).replace(" ", "") in x["label"]


def test_compare_prints_a_ranked_table(ember_cli, tmp_path):
    r = ember_cli("compare", "--set", "train.epochs=1", "--set", "output.plots=false",
                  "--set", f"output.dir={tmp_path}", "--vary", "optimizer.lr=0.01,0.0001")
    assert r.code == 0, r.err
    assert "ranked by test accuracy" in r.out and "lr=0.01" in r.out and "lr=0.0001" in r.out


# ----------------------------------------------------------------------------- plot lr
def _torch_lrs(make, n, lr=0.1):
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr, momentum=0.9)
    sched = make(torch, opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def test_plot_lr_steplr_matches_torch(ember_cli, tmp_path):
    r = ember_cli("plot", "lr", "--scheduler", "StepLR", "--set", "step_size=30", "--set", "gamma=0.1",
                  "--epochs", "100", "-o", tmp_path / "lr.png", "--json")
    assert r.code == 0, r.err
    lrs = r.json()["lrs"]
    ref = _torch_lrs(lambda t, o: t.optim.lr_scheduler.StepLR(o, step_size=30, gamma=0.1), 100)
    assert lrs == pytest.approx(ref, rel=1e-12)
    assert _is_png(tmp_path / "lr.png")


def test_plot_lr_chain_matches_torch_sequential(ember_cli, tmp_path):
    r = ember_cli("plot", "lr", "--scheduler", "LinearLR+CosineAnnealingLR", "--set", "0.epochs=5",
                  "--set", "0.start_factor=0.1", "--set", "0.total_iters=5", "--set", "1.eta_min=0.001",
                  "--epochs", "60", "-o", tmp_path / "chain.png", "--json")
    assert r.code == 0, r.err

    def make(t, o):
        s = t.optim.lr_scheduler
        return s.SequentialLR(o, [s.LinearLR(o, start_factor=0.1, total_iters=5),
                                  s.CosineAnnealingLR(o, T_max=55, eta_min=0.001)], milestones=[5])

    assert r.json()["lrs"] == pytest.approx(_torch_lrs(make, 60), rel=1e-9)
    assert _is_png(tmp_path / "chain.png")


def test_plot_lr_from_a_config_replays_the_training_schedule(ember_cli, tmp_path):
    (tmp_path / "c.toml").write_text('[train]\nepochs = 8\n\n[swa]\nstart = 0.5\nanneal_epochs = 2\n'
                                     '[output]\nplots = false\n')
    r = ember_cli("plot", "lr", "--config", "c.toml", "-o", tmp_path / "cfg.png", "--json")
    assert r.code == 0, r.err
    planned = r.json()["lrs"]
    t = ember_cli("train", "c.toml", "--quiet", "--set", f"output.dir={tmp_path / 'runs'}")
    assert t.code == 0, t.err
    hist = json.loads((only_run_dir(tmp_path / "runs") / "metrics.json").read_text())
    assert planned == pytest.approx([h["lr"] for h in hist], rel=1e-12)
    assert _is_png(tmp_path / "cfg.png")


# ----------------------------------------------------------------------------- plot optimizers
@pytest.mark.parametrize("name, torch_name, kwargs", [("Adam", "Adam", {}), ("Momentum", "SGD", {"momentum": 0.9}),
                                                     ("RMSprop", "RMSprop", {}), ("Adagrad", "Adagrad", {})])
def test_optimizer_paths_match_torch(name, torch_name, kwargs):
    torch = pytest.importorskip("torch")
    from ember.app.optim_paths import SURFACES, optimizer_path

    for function in ("himmelblau", "rastrigin"):
        lr = SURFACES[function].lrs[name]
        path = optimizer_path(function, name, lr=lr, steps=40)
        p = torch.tensor(SURFACES[function].start, dtype=torch.float64, requires_grad=True)
        opt = getattr(torch.optim, torch_name)([p], lr=lr, **kwargs)
        ref = [p.detach().numpy().copy()]
        for _ in range(40):
            opt.zero_grad()
            SURFACES[function].fn(p[0], p[1], torch.cos).backward()
            opt.step()
            ref.append(p.detach().numpy().copy())
        np.testing.assert_allclose(path, np.array(ref), rtol=1e-9, atol=1e-12)


def test_plot_optimizers_writes_png_and_animated_gif(ember_cli, tmp_path):
    from PIL import Image

    r = ember_cli("plot", "optimizers", "--function", "himmelblau", "--optimizers", "SGD,Adam,Momentum",
                  "--steps", "40", "--frames", "12", "-o", tmp_path / "paths", "--lr", "Adam=0.2", "--json")
    assert r.code == 0, r.err
    res = r.json()
    assert _is_png(tmp_path / "paths.png")
    with Image.open(tmp_path / "paths.gif") as im:
        assert im.format == "GIF" and im.n_frames == 12
    assert res["final"]["Adam"]["lr"] == 0.2
    # all three head towards a minimum of Himmelblau's function (value 0)
    start_value = 170.0        # f(-0.5, 0.5) ≈ 157-ish: every optimizer must have gone well below it
    assert all(f["f"] < start_value / 4 for f in res["final"].values())


def test_test_functions_have_their_documented_minima():
    from ember.app.optim_paths import SURFACES

    for name, s in SURFACES.items():
        for x, y in s.minima:
            assert s.fn(np.float64(x), np.float64(y), np.cos) == pytest.approx(0.0, abs=1e-9), name


# ----------------------------------------------------------------------------- find-lr
def test_find_lr_command(ember_cli, tmp_path):
    r = ember_cli("find-lr", "--steps", "80", "--json", "-o", tmp_path / "fl.png")
    assert r.code == 0, r.err
    res = r.json()
    assert 1e-6 < res["suggested_lr"] < res["min_loss_lr"] <= 10
    assert _is_png(tmp_path / "fl.png")


def test_find_lr_library_restores_weights_and_follows_smith():
    from ember.app import find_lr
    from ember.app.find_lr import suggest
    from ember.datasets import load_digits
    from ember.utils.data import DataLoader, TensorDataset

    x, y = load_digits(as_tensors=True)
    loader = DataLoader(TensorDataset(x / 16, y), batch_size=64, shuffle=True,
                        generator=ember.Generator().manual_seed(0))
    model = ember.nn.Sequential(ember.nn.Linear(64, 32), ember.nn.ReLU(), ember.nn.Linear(32, 10))
    opt = ember.optim.Adam(model.parameters(), lr=1e-3)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    rng = ember.get_rng_state()
    res = find_lr(model, ember.nn.CrossEntropyLoss(), opt, loader, start_lr=1e-5, end_lr=1.0, num_steps=50,
                  diverge_factor=1e9)
    # weights, optimizer (lr, empty state) and RNG are back
    for k, v in model.state_dict().items():
        assert np.array_equal(v.numpy(), before[k])
    assert opt.param_groups[0]["lr"] == 1e-3 and len(opt.state_dict()["state"]) == 0
    assert ember.get_rng_state() == rng
    # exponential lr from start to end, and the bias-corrected smoothed loss
    assert len(res.lrs) == 50
    np.testing.assert_allclose(res.lrs, np.geomspace(1e-5, 1.0, 50), rtol=1e-12)
    avg, smooth = 0.0, []
    for i, v in enumerate(res.raw_losses):
        avg = 0.98 * avg + 0.02 * v
        smooth.append(avg / (1 - 0.98 ** (i + 1)))
    np.testing.assert_allclose(res.losses, smooth, rtol=1e-12)
    assert res.suggested_lr == suggest(res.lrs, res.losses)[0]
    # suggestion on a known curve: steepest descent at the middle of a logistic drop, minimum at its end
    lrs = np.geomspace(1e-4, 1, 101)
    curve = 2 - 1 / (1 + np.exp(-(np.log10(lrs) + 2) * 4))
    curve[-10:] += np.linspace(0, 5, 10)
    steep, low = suggest(lrs, curve)
    assert steep == pytest.approx(1e-2, rel=0.1) and low > steep
