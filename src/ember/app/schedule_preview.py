"""``ember plot lr``: the learning-rate curve of a scheduler, a chain, or a config, without training.

With ``--scheduler NAME`` the curve comes from the scheduler package's own preview helper
(``ember.optim.lr_scheduler.preview_lr``); ``A+B`` chains schedulers in sequence (keywords as
``--set 0.key=value``, durations as ``--set 0.epochs=N``); ``--config`` replays exactly the
schedule ``ember train`` would run (warm-up, decay, then SWALR from the SWA start epoch).
"""
from __future__ import annotations

import json
from pathlib import Path

from . import config as C
from ._atomic import prepare_dir
from .config import MAX_STEPS
from .errors import UsageError, check_range


def _dummy_optimizer(lr: float):
    import ember
    from ember.nn import Parameter
    from ember.optim import SGD

    return SGD([Parameter(ember.zeros(1))], lr=lr, momentum=0.9)


def scheduler_curve(names: list[str], sets, n_steps: int, lr: float) -> tuple[list[list[float]], list]:
    """lrs of ``n_steps`` scheduler steps (one list per param group) and the switch points."""
    from .registry import check_keywords, lookup

    if len(names) == 1:
        cls = lookup("scheduler", names[0])
        kwargs = {}
        for item in sets:
            path, value = C.parse_assignment(item)
            kwargs[".".join(path)] = tuple(value) if isinstance(value, list) and path[-1] != "milestones" else value
        check_keywords(cls, kwargs, supplied=("optimizer",), what=f"scheduler {cls.__name__}")
        from ember.optim.lr_scheduler import preview_lr

        from .train import _AUTO_LENGTH

        key = _AUTO_LENGTH.get(cls.__name__)
        if key and key not in kwargs and not (cls.__name__ == "OneCycleLR" and "epochs" in kwargs):
            kwargs[key] = n_steps if cls.__name__ != "OneCycleLR" else n_steps
        if cls.__name__ == "OneCycleLR":
            kwargs.setdefault("max_lr", lr)
        metrics = [1.0] * (n_steps - 1) if cls.__name__ == "ReduceLROnPlateau" else None
        try:
            return preview_lr(cls, n_steps, lr=lr, metrics=metrics, **kwargs), []
        except (TypeError, ValueError) as e:
            from .registry import signature_text

            raise UsageError(f"scheduler {cls.__name__}: {e}. Signature: {signature_text(cls)}") from None
    items: list[dict] = [{"name": n} for n in names]
    for item in sets:
        path, value = C.parse_assignment(item)
        if len(path) != 2 or not path[0].isdigit() or int(path[0]) >= len(items):
            raise UsageError(f"--set {item}: with a chain of {len(items)} schedulers, write INDEX.key=value "
                             f"(e.g. 0.total_iters=5, 0.epochs=5)")
        items[int(path[0])][path[1]] = value
    from .train import build_scheduler

    opt = _dummy_optimizer(lr)
    sched = build_scheduler(items, opt, n_steps, 1)
    marks = [(m, items[i + 1]["name"]) for i, m in enumerate(getattr(sched, "_milestones", []))]
    return sched.preview(n_steps), marks


def config_curve(cfg: dict) -> tuple[list[list[float]], str, list]:
    """Replay the schedule of a config (per epoch, or per optimizer step) on its real optimizer."""
    from .train import Run, _is_plateau

    run = Run(cfg)
    t = cfg["train"]
    per_step = t["scheduler_interval"] == "step"
    rows: list[list[float]] = [[] for _ in run.optimizer.param_groups]
    marks = []
    if run.swa_start is not None:
        marks.append((run.swa_start * (run.steps_per_epoch if per_step else 1), "SWA"))
    swalr = None
    for epoch in range(t["epochs"]):
        in_swa = run.swa_start is not None and epoch >= run.swa_start
        for _ in range(run.steps_per_epoch if per_step else 1):
            for row, g in zip(rows, run.optimizer.param_groups):
                row.append(g["lr"])
            if per_step and not in_swa and run.scheduler is not None:
                run.scheduler.step()
        if in_swa:
            swalr = swalr or run.make_swa_scheduler()
            swalr.step()
        elif run.scheduler is not None and not per_step:
            if _is_plateau(run.scheduler):
                run.scheduler.step(1.0)
            else:
                run.scheduler.step()
    return rows, ("optimizer step" if per_step else "epoch"), marks


def plot_lr_command(args) -> int:
    from .plots import lr_curve

    if bool(args.scheduler) == bool(args.config):
        raise UsageError("ember plot lr: give either --scheduler NAME (with --set keyword=value) or --config FILE")
    if args.epochs is not None:
        check_range("--epochs", args.epochs, 1, MAX_STEPS)
    prepare_dir(Path(args.output).parent)      # an unwritable -o is reported before any work
    if args.scheduler:
        names = [n.strip() for n in args.scheduler.split("+") if n.strip()]
        n = args.epochs or 100
        rows, marks = scheduler_curve(names, args.set, n, args.lr)
        title = " → ".join(names) + "".join(f", {s}" for s in args.set)
        xlabel = "scheduler step (epoch)"
    else:
        sets = list(args.set) + ([f"train.epochs={args.epochs}"] if args.epochs else [])
        cfg = C.load(args.config, sets)
        rows, unit, marks = config_curve(cfg)
        sched = cfg["scheduler"]
        names = [s["name"] for s in (sched if isinstance(sched, list) else [sched])]
        title = f"{Path(args.config).name}: " + " → ".join(names) + (" → SWALR" if cfg["swa"]["enabled"] else "")
        xlabel = unit
    out = Path(args.output)
    lr_curve(rows, out, title=title, xlabel=xlabel, marks=marks)
    info = {"plot": str(out), "lrs": rows[0], "steps": len(rows[0])}
    if args.json:
        print(json.dumps(info))
    elif not args.quiet:
        r = rows[0]
        print(f"lr: start {r[0]:.4g}, min {min(r):.4g}, max {max(r):.4g}, end {r[-1]:.4g} over {len(r)} steps")
        print(f"plot: {out}")
    return 0
