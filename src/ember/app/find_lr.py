"""The learning-rate range test (Smith, 2017): ``ember find-lr`` and :func:`find_lr`.

Train for a few hundred steps while the lr grows exponentially from ``start_lr`` to ``end_lr``,
record the smoothed loss, stop early once it diverges, then put the weights and the optimizer
back. A good lr lies where the loss falls fastest, well before its minimum.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._atomic import prepare_dir
from .config import MAX_STEPS
from .errors import UsageError, check_range


@dataclass
class LRFinderResult:
    """What :func:`find_lr` measured.

    Attributes:
        lrs: the lr of each step taken.
        losses: the smoothed (bias-corrected exponential moving average) loss at each step.
        raw_losses: the loss of each step's batch.
        suggested_lr: lr where the smoothed loss falls fastest (steepest negative slope against
            log lr, searched after the first tenth of the steps and before the minimum; see
            :func:`suggest`).
        min_loss_lr: lr at the smallest smoothed loss (a common rule: use a tenth of it).
        diverged: whether the test stopped early because the loss exploded.
    """

    lrs: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    raw_losses: list = field(default_factory=list)
    suggested_lr: float = float("nan")
    min_loss_lr: float = float("nan")
    diverged: bool = False

    def plot(self, path, title="learning-rate range test") -> Path:
        """Save the smoothed loss against lr (log axis) with the suggestion marked, as PNG."""
        from .plots import _save, pyplot

        plt = pyplot()
        fig, ax = plt.subplots(figsize=(6.4, 4))
        ax.plot(self.lrs, self.raw_losses, color="0.8", lw=0.8, label="batch loss")
        ax.plot(self.lrs, self.losses, color="C0", label="smoothed loss")
        if math.isfinite(self.suggested_lr):
            i = int(np.argmin(np.abs(np.log(self.lrs) - math.log(self.suggested_lr))))
            ax.plot([self.suggested_lr], [self.losses[i]], "o", color="C3",
                    label=f"suggested lr {self.suggested_lr:.2e} (steepest descent)")
        if math.isfinite(self.min_loss_lr):
            ax.axvline(self.min_loss_lr, color="grey", ls=":", lw=1, label=f"minimum at lr {self.min_loss_lr:.2e}")
        ax.set_xscale("log")
        finite = [v for v in self.losses if math.isfinite(v)]
        raw = [v for v in self.raw_losses if math.isfinite(v)]
        if finite:
            lo, first = min(finite + raw[:int(np.argmin(self.losses)) + 1]), finite[0]
            ax.set_ylim(lo - 0.1 * abs(first - lo) - 1e-3, first + 0.6 * abs(first - lo) + 1e-3)
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.set_title(title)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
        return _save(fig, path)


def suggest(lrs, losses, skip_start: int | None = None) -> tuple[float, float]:
    """(steepest-descent lr, minimum-loss lr) of a smoothed loss curve.

    The steepest descent is searched between ``skip_start`` and the minimum, against log lr.
    The first points are skipped (default: a tenth of the steps, at least 5) because there the
    moving average has seen only a few batches and its bias correction divides by a small
    number: the noise of the first batches would otherwise win as the "steepest" drop at the
    smallest lrs (a 1.75e-7 suggestion). fastai's ``lr_find`` skips its first points the same way.
    When the minimum lies within the skipped points, a tenth of the minimum's lr is suggested."""
    lrs, losses = np.asarray(lrs, float), np.asarray(losses, float)
    ok = np.isfinite(losses)
    if ok.sum() < 3:
        return float("nan"), float("nan")
    lrs, losses = lrs[ok], losses[ok]
    i_min = int(np.argmin(losses))
    min_lr = float(lrs[i_min])
    skip = max(5, len(losses) // 10) if skip_start is None else skip_start
    if i_min - skip < 2:
        return min_lr / 10, min_lr
    slope = np.gradient(losses[skip:i_min + 1], np.log(lrs[skip:i_min + 1]))
    return float(lrs[skip + int(np.argmin(slope))]), min_lr


def _cycle(loader):
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise ValueError("find_lr: the loader yielded no batches")


def find_lr(model, loss_fn, optimizer, loader, *, start_lr=1e-7, end_lr=10.0, num_steps=100, smooth=0.98,
            diverge_factor=4.0, restore=True) -> LRFinderResult:
    """Learning-rate range test: exponentially growing lr, smoothed loss, weights restored.

    At step i (0 ≤ i < num_steps) every param group trains with

        lrᵢ = start_lr · (end_lr / start_lr)^(i / (num_steps − 1))     (times the group's lr ratio
                                                                          to group 0, if they differ)
        avgᵢ = β·avgᵢ₋₁ + (1 − β)·lossᵢ,   smoothedᵢ = avgᵢ / (1 − βⁱ⁺¹)   (β = smooth)

    and stops once smoothedᵢ > diverge_factor · min(smoothed) or the loss is not finite.
    Afterwards the model's parameters and buffers, the optimizer's state and lrs and ember's
    RNG state are put back as they were (``restore=True``), so training can start from scratch
    with the suggested lr.

    Args:
        model: an ember.nn.Module (put in train mode for the test).
        loss_fn: ``loss_fn(model(x), y)`` → scalar tensor.
        optimizer: an ember.optim optimizer over the model's parameters.
        loader: iterable of ``(x, y)`` batches (cycled if shorter than num_steps).
        start_lr, end_lr: the lr range. Defaults: 1e-7, 10.
        num_steps: number of steps. Default: 100.
        smooth: β of the loss average. Default: 0.98.
        diverge_factor: stop when the smoothed loss exceeds this multiple of its minimum. Default: 4.
        restore: restore weights, optimizer and RNG state afterwards. Default: True.

    Returns:
        :class:`LRFinderResult` with ``lrs``, ``losses``, ``suggested_lr``, ``min_loss_lr``.

    Reference:
        L. N. Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017.
        https://arxiv.org/abs/1506.01186

    Example:
        >>> result = find_lr(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader)
        >>> result.suggested_lr, result.plot("find_lr.png")
    """
    import ember

    if not 0 < start_lr < end_lr:
        raise ValueError(f"find_lr: need 0 < start_lr < end_lr, got start_lr={start_lr}, end_lr={end_lr}")
    if num_steps < 2:
        raise ValueError(f"find_lr: num_steps must be >= 2, got {num_steps}")
    if not 0 <= smooth < 1:
        raise ValueError(f"find_lr: smooth must be in [0, 1), got {smooth}")
    saved_model = {k: np.array(v._data if hasattr(v, "_data") else v, copy=True)
                   for k, v in model.state_dict().items()}
    saved_opt = copy.deepcopy(optimizer.state_dict())
    saved_rng = ember.get_rng_state()
    was_training = model.training
    base = [g["lr"] for g in optimizer.param_groups]
    ratios = [b / base[0] if base[0] else 1.0 for b in base]
    result = LRFinderResult()
    avg, best = 0.0, math.inf
    model.train()
    try:
        batches = _cycle(loader)
        for i in range(num_steps):
            lr = start_lr * (end_lr / start_lr) ** (i / (num_steps - 1))
            for g, r in zip(optimizer.param_groups, ratios):
                g["lr"] = lr * r
            x, y = next(batches)[:2]
            loss = loss_fn(model(x), y)
            value = float(loss.item())
            if not math.isfinite(value):
                result.diverged = True
                break
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            avg = smooth * avg + (1 - smooth) * value
            smoothed = avg / (1 - smooth ** (i + 1))
            result.lrs.append(lr)
            result.raw_losses.append(value)
            result.losses.append(smoothed)
            best = min(best, smoothed)
            if i > 0 and smoothed > diverge_factor * best:
                result.diverged = True
                break
    finally:
        if restore:
            model.load_state_dict(saved_model)
            optimizer.load_state_dict(saved_opt)
            optimizer.zero_grad()
            ember.set_rng_state(saved_rng)
        model.train(was_training)
    result.suggested_lr, result.min_loss_lr = suggest(result.lrs, result.losses)
    return result


def find_lr_command(args) -> int:
    """``ember find-lr [CONFIG]``: the range test on the config's data, model, loss and optimizer."""
    import json

    from . import config as C
    from .report import make_reporter
    from .train import Run

    cfg = C.load(args.config, args.set)
    check_range("--steps", args.steps, 2, MAX_STEPS)
    if not 0 < args.start_lr < args.end_lr:
        raise UsageError(f"need 0 < --start-lr < --end-lr, got {args.start_lr} and {args.end_lr}")
    reporter = make_reporter(quiet=args.quiet, json_out=args.json)
    out = Path(args.output) if args.output else Path(cfg["output"]["dir"]) / "find_lr.png"
    prepare_dir(out.parent)
    cfg = dict(cfg, swa=dict(cfg["swa"], enabled=False), scheduler={"name": "none"})
    run = Run(cfg)
    reporter.print(f"ember find-lr: {run.data.source}, model {cfg['model']['name']}, optimizer "
                   f"{cfg['optimizer']['name']}: lr {args.start_lr:g} -> {args.end_lr:g} over {args.steps} steps")
    res = find_lr(run.model, run.loss_fn, run.optimizer, run.train_loader, start_lr=args.start_lr,
                  end_lr=args.end_lr, num_steps=args.steps)
    res.plot(out, title=f"lr range test: {cfg['model']['name']} + {cfg['optimizer']['name']} on {cfg['data']['name']}")
    info = {"suggested_lr": res.suggested_lr, "min_loss_lr": res.min_loss_lr, "steps": len(res.lrs),
            "diverged": res.diverged, "plot": str(out)}
    if args.json:
        print(json.dumps(info))
    else:
        reporter.print(f"suggested lr: {res.suggested_lr:.3g} (steepest descent of the smoothed loss); "
                       f"loss minimum at lr {res.min_loss_lr:.3g}; {len(res.lrs)} steps"
                       f"{', stopped when the loss diverged' if res.diverged else ''}")
        reporter.print(f"plot: {out}")
        reporter.print(f"use it: ember train --set optimizer.lr={res.suggested_lr:.3g}")
    return 0
