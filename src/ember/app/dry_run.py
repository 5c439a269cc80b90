"""The dry build: every component of a run, built a second time and run once on one training batch.

Before the first epoch (and before the run directory is written), :func:`dry_run` builds a fresh
copy of the model, its optimizer, the scheduler (stepped through its whole horizon), the SWA
scheduler and average, and the metrics, and runs forward, loss, backward, one optimizer step and
one metric update on the first training batch. A component that rejects its configuration only
when it is used (``loss.label_smoothing = 2``, ``loss.reduction = "avg"``, a regression loss on
class labels, ``scheduler.1.T_max = 0``) is reported here as a :class:`UsageError` naming its
config key, instead of a traceback in the middle of training. The run's own components and ember's
RNG state are left exactly as they were, so the run (and ``--resume``) is unchanged.
"""
from __future__ import annotations

import copy
import math
import warnings

from .errors import UsageError
from .registry import call_text, json_value, lookup

MAX_SCHEDULER_STEPS = 100_000   # the dry schedule stops here (the config bounds keep real runs near it)
CLASS_INDEX_LOSSES = ("CrossEntropyLoss", "NLLLoss", "MultiMarginLoss")   # losses that take class-index targets


def _stage(where: str, what: str, fn, hint: str = "", fails="fails on one batch of the data"):
    try:
        return fn()
    except UsageError:
        raise
    except Exception as e:
        raise UsageError(f"[{where}] {what} {fails}: {type(e).__name__}: {e}{hint}") from None


def _component(cfg_section: dict, kind: str, skip=("name",)) -> str:
    cls = lookup(kind, cfg_section["name"])
    return call_text(cls, {k: v for k, v in cfg_section.items() if k not in skip})


def dry_run(run) -> None:
    """Build and exercise a copy of ``run``'s components on one batch; raise UsageError on failure."""
    import ember

    state = ember.get_rng_state()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # a component's warning on the dry batch is not the run's
        try:
            model, optimizer, out, y = _dry_step(run)
            _dry_schedule(run, optimizer)
            _dry_metrics(run, out, y)
            if run.swa_start is not None:
                from ember.optim.swa_utils import AveragedModel

                swalr = _stage("swa", "SWALR", lambda: run.make_swa_scheduler(optimizer))
                _stage("swa", "SWALR", swalr.step)
                avg = AveragedModel(model)
                _stage("swa", "AveragedModel", lambda: avg.update_parameters(model))
        finally:
            ember.set_rng_state(state)


def _dry_step(run):
    """A fresh model: forward on the first training batch, loss, backward, one optimizer step."""
    import ember

    from . import config as C
    from .models import build_model
    from .train import build_optimizer

    cfg, d = run.cfg, run.data
    n = min(len(d.y_train), cfg["data"]["batch_size"])
    x, y = ember.from_numpy(d.x_train[:n]), ember.from_numpy(d.y_train[:n])
    model = build_model(cfg["model"], d.input_shape, d.num_classes)
    model.train()
    out = _stage("model", _component(cfg["model"], "model"), lambda: model(x))
    if tuple(out.shape) != (n, d.num_classes):
        raise UsageError(f"[model] {cfg['model']['name']} gives outputs of shape {tuple(out.shape)} for a batch "
                         f"of {n}; the app needs ({n}, {d.num_classes}): one logit per class")
    loss_text = _component(cfg["loss"], "loss")
    reduction = cfg["loss"].get("reduction", "mean")
    if reduction not in ("mean", "sum"):
        raise UsageError(f"loss.reduction must be \"mean\" or \"sum\" (training needs one number per batch), "
                         f"got {json_value(reduction)}")
    hint = "" if cfg["loss"]["name"] in CLASS_INDEX_LOSSES else (
        f" (the model gives {tuple(out.shape)} float logits and the targets are class indices of shape "
        f"{tuple(y.shape)}; a classification loss such as CrossEntropyLoss or NLLLoss takes them)")
    loss = _stage("loss", loss_text, lambda: run.loss_fn(out, y), hint)
    _stage("loss", loss_text, loss.backward)
    optimizer = build_optimizer(cfg["optimizer"], model)
    _stage("optimizer", _component(cfg["optimizer"], "optimizer", C.APP_KEYS["optimizer"]), optimizer.step)
    return model, optimizer, out.detach(), y


def _dry_metrics(run, out, y) -> None:
    from .train import build_metrics

    cfg = run.cfg
    for label, metric in build_metrics(cfg["metrics"], run.data.num_classes).items():
        def use(metric=metric):
            metric.update(out, y)
            metric.compute()

        _stage(f"metrics.{label}", _component(cfg["metrics"][label], "metric"), use)


def _dry_schedule(run, optimizer) -> None:
    """Step a copy of the run's scheduler through its horizon; every lr must stay finite. A failure
    names the list item (``scheduler.I``) that was running."""
    import bisect

    from . import config as C
    from .train import build_scheduler

    items = copy.deepcopy(run.scheduler_items)
    if not items:
        return
    listed = isinstance(run.cfg["scheduler"], list)
    sched = build_scheduler(items, optimizer, run.scheduler_horizon, run.units_per_epoch, listed=listed)
    plateau = type(sched).__name__ == "ReduceLROnPlateau"
    milestones = list(getattr(sched, "_milestones", []))
    for step in range(1, min(run.scheduler_horizon, MAX_SCHEDULER_STEPS) + 1):
        i = bisect.bisect_right(milestones, step) if len(items) > 1 else 0
        where = f"scheduler.{i}" if listed else "scheduler"
        text = _component(items[i], "scheduler", C.APP_KEYS["scheduler"])
        _stage(where, text, (lambda: sched.step(1.0)) if plateau else sched.step, fails=f"fails at scheduler step {step}")
        lrs = [g["lr"] for g in optimizer.param_groups]
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in lrs):
            raise UsageError(f"[{where}] {text} gives lr = {lrs[0]} at scheduler step {step}; the lr must stay "
                             "a finite number")
