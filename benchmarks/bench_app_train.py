"""The default `ember train` recipe against the same recipe written in PyTorch, on the same split.

Recipe: digits (1,078+ train images), MLP 64-256-128-10 with ReLU and dropout 0.2, CrossEntropyLoss,
AdamW(lr 3e-3, weight decay 0.01, none on biases), LinearLR warm-up (3 epochs) then cosine,
SWA with SWALR from epoch 23 of 30, batch 64, validation every epoch. Both use one thread.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_app_train.py

Prints the median wall time of the whole run (training + per-epoch validation + final test) for
each, the ratio ember/torch and both test accuracies.
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def run_ember():
    from ember.app import config as C
    from ember.app.report import Reporter
    from ember.app.train import Run, Trainer

    cfg = C.load(None, ["output.plots=false", f"output.dir={tempfile.mkdtemp()}", "output.name=bench"])
    run = Run(cfg)
    os.makedirs(cfg["output"]["dir"] + "/bench", exist_ok=True)
    t0 = time.perf_counter()
    summary = Trainer(run, cfg["output"]["dir"] + "/bench", Reporter(quiet=True)).train()
    return time.perf_counter() - t0, summary["test"]["accuracy"]


def run_torch():
    import torch
    from torch import nn
    from torch.optim.swa_utils import SWALR, AveragedModel

    from ember.app import config as C
    from ember.app.data import load

    torch.set_num_threads(1)
    torch.manual_seed(0)
    d = load(C.load()["data"])
    xt, yt = torch.from_numpy(d.x_train).flatten(1), torch.from_numpy(d.y_train)
    xv, yv = torch.from_numpy(d.x_val).flatten(1), torch.from_numpy(d.y_val)
    xs, ys = torch.from_numpy(d.x_test).flatten(1), torch.from_numpy(d.y_test)
    t0 = time.perf_counter()
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 128), nn.ReLU(),
                          nn.Dropout(0.2), nn.Linear(128, 10))
    decay = [p for n, p in model.named_parameters() if not n.endswith("bias")]
    plain = [p for n, p in model.named_parameters() if n.endswith("bias")]
    opt = torch.optim.AdamW([{"params": decay}, {"params": plain, "weight_decay": 0.0}], lr=3e-3, weight_decay=0.01)
    s = torch.optim.lr_scheduler
    sched = s.SequentialLR(opt, [s.LinearLR(opt, 0.1, 1.0, total_iters=3), s.CosineAnnealingLR(opt, 19, 1e-5)],
                           milestones=[3])
    swa, swalr = AveragedModel(model), SWALR(opt, swa_lr=5e-4, anneal_epochs=2)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(0)
    for epoch in range(30):
        model.train()
        for idx in torch.randperm(len(yt), generator=g).split(64):
            loss = loss_fn(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        if epoch >= 22:
            swa.update_parameters(model)
            swalr.step()
        else:
            sched.step()
        model.eval()
        with torch.no_grad():
            loss_fn(model(xv), yv).item()
    with torch.no_grad():
        acc = (swa(xs).argmax(1) == ys).float().mean().item()
    return time.perf_counter() - t0, acc


def main(repeats=3):
    from ember.app.cli import limit_threads

    e, t = [], []
    for _ in range(repeats):
        with limit_threads(1):
            e.append(run_ember())
        t.append(run_torch())
    me, mt = statistics.median(x[0] for x in e), statistics.median(x[0] for x in t)
    print(f"default recipe, 30 epochs on digits (median of {repeats}):")
    print(f"  ember  {me:6.2f} s   test accuracy {np.median([x[1] for x in e]):.4f}")
    print(f"  torch  {mt:6.2f} s   test accuracy {np.median([x[1] for x in t]):.4f}")
    print(f"  ratio ember/torch {me / mt:.2f}")


if __name__ == "__main__":
    main()
