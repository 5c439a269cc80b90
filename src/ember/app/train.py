"""The training loop behind ``ember train``: build a run from a config, train, evaluate, save.

``Run`` builds every component from a validated config (data, model, loss, optimizer with param
groups, scheduler or a sequence of them, SWA/EMA, metrics). ``Trainer`` runs the epochs,
writes the run directory and can stop at a step boundary (Ctrl-C) with a checkpoint from which
``--resume`` continues *exactly*: the checkpoint holds the model, optimizer, scheduler and SWA
states, ember's and the data loader's RNG states, the epoch, the batch index and the history.
"""
from __future__ import annotations

import csv
import fnmatch
import inspect
import io
import json
import math
import os
import signal
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _atomic
from . import config as C
from . import parallel
from .data import load as load_data, make_loader
from .errors import UsageError
from .models import build_model
from .registry import build, check_keywords, lookup, signature_defaults
from .report import Reporter

if TYPE_CHECKING:
    from ember.optim.swa_utils import SWALR, AveragedModel

CHECKPOINT_FORMAT = "ember-run-checkpoint/1"


class NonFiniteLoss(Exception):
    """The loss became NaN or infinite; the message names the epoch and step."""

    run_dir: Path  # set by the Trainer before it lets the exception out
    good_epoch: int | None  # the epoch of the kept checkpoint (None: no epoch finished)


class Interrupted(Exception):
    """The run stopped at a step boundary (Ctrl-C) after saving a checkpoint."""

    run_dir: Path  # set by the Trainer before it lets the exception out


# ----------------------------------------------------------------------------- building
def _is_norm(module) -> bool:
    name = type(module).__name__
    return "Norm" in name


def param_groups(model, cfg_opt: dict) -> list[dict]:
    """Split the model's parameters into optimizer param groups.

    ``[[optimizer.groups]]`` tables (``match`` = a glob over parameter names such as ``"0.*"``
    plus any optimizer keywords) take the parameters they match, first match wins; the rest form
    the default group. With ``no_weight_decay = ["bias", "norm"]`` each group is split further so
    that biases and the parameters of normalisation layers get ``weight_decay = 0`` (other
    entries are globs over parameter names)."""
    named = list(model.named_parameters())
    norm_params = {id(p) for m in model.modules() if _is_norm(m) for p in m.parameters(recurse=False)}
    patterns = list(cfg_opt.get("no_weight_decay", []))

    def no_decay(name, p):
        for pat in patterns:
            if pat == "bias" and name.rsplit(".", 1)[-1] == "bias":
                return True
            if pat == "norm" and id(p) in norm_params:
                return True
            if pat not in ("bias", "norm") and fnmatch.fnmatch(name, pat):
                return True
        return False

    specs: list = []
    for i, g in enumerate(cfg_opt.get("groups", [])):
        if not isinstance(g, dict) or "match" not in g:
            raise UsageError(f"optimizer.groups[{i}] needs match = 'glob over parameter names', e.g. '0.*'")
        specs.append(({k: v for k, v in g.items() if k != "match"}, g["match"], []))
    rest = []
    for name, p in named:
        for _, pat, members in specs:
            if fnmatch.fnmatch(name, pat):
                members.append((name, p))
                break
        else:
            rest.append((name, p))
    groups = []
    for extra, pat, members in specs + [({}, None, rest)]:
        if not members:
            if pat is not None:
                names = ", ".join(n for n, _ in named[:8])
                raise UsageError(f"optimizer group match {pat!r} matches no parameter (names: {names}, ...)")
            continue
        decay = [p for n, p in members if not (patterns and no_decay(n, p))]
        plain = [p for n, p in members if patterns and no_decay(n, p)]
        if decay:
            groups.append({"params": decay, **extra})
        if plain:
            groups.append({"params": plain, **extra, "weight_decay": 0.0})
    return groups


def build_optimizer(cfg_opt: dict, model):
    cls = lookup("optimizer", cfg_opt["name"])
    kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in cfg_opt.items() if k not in C.APP_KEYS["optimizer"]}
    check_keywords(cls, kwargs, supplied=("params",), what=f"optimizer {cls.__name__}")
    cfg = dict(cfg_opt)
    takes_wd = "weight_decay" in (signature_defaults("optimizer", cfg_opt["name"]) or {})
    if not takes_wd:
        cfg["no_weight_decay"] = []
    for g in cfg.get("groups", []):
        check_keywords(cls, {k: v for k, v in g.items() if k != "match"}, supplied=("params",),
                       what=f"optimizer {cls.__name__} (group {g.get('match')!r})")
    groups = param_groups(model, cfg)
    return build("optimizer", cfg_opt["name"], groups, supplied=("params",), where="optimizer", **kwargs)


def _scheduler_items(cfg) -> list[dict]:
    s = cfg["scheduler"]
    items = s if isinstance(s, list) else [s]
    return [dict(i) for i in items if str(i["name"]).lower() not in ("none", "constant")]


_AUTO_LENGTH = {"CosineAnnealingLR": "T_max", "PolynomialLR": "total_iters", "OneCycleLR": "total_steps",
                "CosineAnnealingWarmRestarts": "T_0"}


def build_scheduler(items: list[dict], optimizer, horizon: int, units_per_epoch: int, *, listed: bool = True):
    """One scheduler, or a SequentialLR over a list; None for ``name = "none"``.

    ``horizon`` is the number of ``step()`` calls the schedule covers (epochs, or optimizer steps
    with ``train.scheduler_interval = "step"``). Each list item runs for its ``epochs`` (the
    last for the rest); a length keyword left out (CosineAnnealingLR's T_max, PolynomialLR's
    total_iters, OneCycleLR's total_steps, CosineAnnealingWarmRestarts' T_0) is set to the
    item's duration. The resolved values are written back into the items (from
    :func:`_scheduler_items`). ``listed``: the config holds a list (messages name
    ``scheduler.I``) rather than one table (``scheduler``)."""
    if not items:
        return None
    built, durations = [], []
    remaining = horizon
    for i, item in enumerate(items):
        name = item["name"]
        cls = lookup("scheduler", name)
        if cls.__name__ == "SWALR":
            raise UsageError("SWALR is set through the [swa] section (swa_lr, anneal_epochs, anneal_strategy)")
        if "epochs" in item and i < len(items) - 1:
            dur = int(item["epochs"]) * units_per_epoch
        elif i < len(items) - 1:
            raise UsageError(f"scheduler {i} ({name}) needs epochs = N: how long it runs before scheduler {i + 1}")
        else:
            dur = max(remaining, 1)
        remaining -= dur
        durations.append(dur)
        kwargs = {k: (tuple(v) if isinstance(v, list) and k != "milestones" else v)
                  for k, v in item.items() if k not in C.APP_KEYS["scheduler"]}
        key = _AUTO_LENGTH.get(cls.__name__)
        if key and key not in kwargs and not (cls.__name__ == "OneCycleLR" and "epochs" in item):
            kwargs[key] = dur
            item[key] = dur
        if cls.__name__ == "OneCycleLR" and "max_lr" not in kwargs:
            kwargs["max_lr"] = [g["lr"] for g in optimizer.param_groups]
        where = f"scheduler.{i}" if listed else "scheduler"
        built.append(build("scheduler", cls.__name__, optimizer, supplied=("optimizer",), where=where, **kwargs))
    if len(built) == 1:
        return built[0]
    if any(type(s).__name__ == "ReduceLROnPlateau" for s in built):
        raise UsageError("ReduceLROnPlateau cannot be part of a scheduler list (it needs the metric at each step)")
    from ember.optim.lr_scheduler import SequentialLR

    milestones = list(np.cumsum(durations[:-1]).astype(int).tolist())
    return SequentialLR(optimizer, built, milestones=milestones)


def build_metrics(cfg_metrics: dict, num_classes: int) -> dict:
    out = {}
    for label, spec in cfg_metrics.items():
        if spec is False:
            continue
        cls = lookup("metric", spec["name"])
        kwargs = {k: v for k, v in spec.items() if k != "name"}
        if "num_classes" in inspect.signature(cls.__init__).parameters and "num_classes" not in kwargs:
            kwargs["num_classes"] = num_classes
        out[label] = build("metric", cls.__name__, supplied=("num_classes",), where=f"metrics.{label}", **kwargs)
    return out


def _scalar(value):
    a = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    return float(a) if a.ndim == 0 else a


class Run:
    """Every component of a training run, built from a validated config."""

    def __init__(self, cfg: dict):
        import ember

        self.cfg = cfg
        t = cfg["train"]
        ember.manual_seed(t["seed"])
        self.data = load_data(cfg["data"])
        d = self.data
        self.model = build_model(cfg["model"], d.input_shape, d.num_classes)
        cfg_loss = cfg["loss"]
        self.loss_fn = build("loss", cfg_loss["name"], where="loss", **{k: v for k, v in cfg_loss.items() if k != "name"})
        self.loader_gen = ember.Generator().manual_seed(t["seed"])
        self.train_loader = make_loader(d.x_train, d.y_train, cfg["data"]["batch_size"], shuffle=True,
                                        generator=self.loader_gen)
        bs = cfg["data"]["eval_batch_size"]
        self.val_loader = make_loader(d.x_val, d.y_val, bs, shuffle=False) if len(d.y_val) else None
        self.test_loader = make_loader(d.x_test, d.y_test, bs, shuffle=False) if len(d.y_test) else None
        self.n_batches = len(self.train_loader)
        self.steps_per_epoch = math.ceil(self.n_batches / t["accumulate"])
        self.optimizer = build_optimizer(cfg["optimizer"], self.model)
        self.parallel = parallel.current()  # data parallel under mpiexec (app/parallel.py), else None
        self.train_model = self.parallel.wrap(self.model) if self.parallel is not None else self.model
        self.metrics = build_metrics(cfg["metrics"], d.num_classes)
        self.monitor = t["monitor"]
        known = ["train_loss", "train_accuracy"] + (["val_loss"] + [f"val_{k}" for k in self.metrics]
                                                    if self.val_loader is not None else [])
        if self.monitor not in known:
            from .errors import unknown

            raise unknown("[train] monitor", self.monitor, known)
        self.mode = t["mode"] if t["mode"] != "auto" else ("min" if "loss" in self.monitor else "max")
        self.swa_start = C.swa_start_epoch(cfg)
        per_step = t["scheduler_interval"] == "step"
        self.units_per_epoch = self.steps_per_epoch if per_step else 1
        sched_epochs = self.swa_start if self.swa_start is not None else t["epochs"]
        self.scheduler_items = _scheduler_items(cfg)
        for item in self.scheduler_items:       # ReduceLROnPlateau watches the monitored metric
            if item["name"] == "ReduceLROnPlateau":
                item.setdefault("mode", self.mode)
        self.scheduler_horizon = max(sched_epochs, 1) * self.units_per_epoch
        self.scheduler = build_scheduler(self.scheduler_items, self.optimizer, self.scheduler_horizon,
                                         self.units_per_epoch, listed=isinstance(cfg["scheduler"], list))
        self.swa_model: AveragedModel | None = None
        self.swa_scheduler: SWALR | None = None
        if self.swa_start is not None:
            from ember.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

            s = cfg["swa"]
            fn = get_ema_multi_avg_fn(s["ema_decay"]) if s["ema_decay"] else None
            self.swa_model = AveragedModel(self.model, multi_avg_fn=fn)
        from .dry_run import dry_run

        dry_run(self)

    def make_swa_scheduler(self, optimizer=None):
        from ember.optim.swa_utils import SWALR

        s = self.cfg["swa"]
        return SWALR(optimizer or self.optimizer, swa_lr=s["swa_lr"], anneal_epochs=int(s["anneal_epochs"]),
                     anneal_strategy=s["anneal_strategy"])

    def resolved_config(self) -> dict:
        """The config with the values the run filled in (scheduler lengths, metric num_classes)."""
        cfg = json.loads(json.dumps(self.cfg))
        items = self.scheduler_items
        if items:
            cfg["scheduler"] = items if isinstance(self.cfg["scheduler"], list) else items[0]
        cfg["data"]["num_classes"] = self.data.num_classes
        return cfg

    # --------------------------------------------------------------------- evaluation
    def evaluate(self, model, loader, *, keep_arrays=False, what="the validation set") -> dict:
        """Mean loss and every metric of ``model`` on ``loader``; NonFiniteLoss when the model's
        predictions are not finite (``what`` names the data in the message)."""
        import ember

        for m in self.metrics.values():
            m.reset()
        was = model.training
        model.eval()
        total, n = 0.0, 0
        par = self.parallel
        with ember.no_grad():
            for x, y in loader:
                if par is not None:  # this rank's share of the batch; the metrics sync in compute()
                    x, y, weight = par.shard(x, y)
                    if weight == 0:
                        continue
                out = model(x)
                if not np.isfinite(out.numpy()).all():
                    raise NonFiniteLoss(f"the model's predictions on {what} are not finite (NaN or inf)")
                total += float(self.loss_fn(out, y).item()) * len(y)
                n += len(y)
                for m in self.metrics.values():
                    m.update(out, y)
        model.train(was)
        if par is not None:
            total, n = par.sum(total, n)
        res = {"loss": total / max(n, 1)}
        for label, m in self.metrics.items():
            v = _scalar(m.compute())
            if isinstance(v, float) or keep_arrays:
                res[label] = v
        return res


# ----------------------------------------------------------------------------- checkpoints
def new_run_dir(cfg: dict) -> Path:
    out = cfg["output"]
    base = Path(out["dir"])
    name = out["name"] or datetime.now().strftime("%Y%m%d-%H%M%S") + f"-{cfg['model']['name']}-{cfg['optimizer']['name']}"
    path = base / name
    k = 1
    while path.exists() and any(path.iterdir()):
        path = base / f"{name}-{k}"
        k += 1
    return _atomic.prepare_dir(path)


class Trainer:
    """Runs the epochs of a :class:`Run`, writing into ``run_dir``.

    ``on_step(trainer)`` (optional) is called after every optimizer step; it may call
    :meth:`request_stop`, which is what Ctrl-C does: the run stops at the end of the current
    optimizer step, saves ``last.ckpt`` and raises :class:`Interrupted`.
    """

    def __init__(self, run: Run, run_dir: Path, reporter: Reporter | None = None, *, on_step=None,
                 tensorboard=False):
        self.run, self.run_dir = run, Path(run_dir)
        self.reporter = reporter or Reporter(quiet=True)
        self.on_step = on_step
        self.tensorboard = tensorboard or run.cfg["output"]["tensorboard"]
        if self.tensorboard:
            try:
                import tensorboardX  # noqa: F401
            except ImportError:
                raise UsageError("--tensorboard needs tensorboardX: pip install 'ember[app]' "
                                 "(or pip install tensorboardX)") from None
        self.epoch = 0            # epochs completed
        self.batch = 0            # batches of the current epoch already trained
        self.global_step = 0
        self.history: list[dict] = []
        self.lrs: list[float] = []   # lr of each optimizer step
        self.best_value = None
        self.best_epoch = None
        self.bad_epochs = 0
        self.partial = {"loss": 0.0, "correct": 0, "count": 0}
        self.epoch_rng = run.loader_gen.get_state()   # loader RNG at the start of the current epoch
        self.stop_requested = False
        self.wall = 0.0
        self.finished = False
        self._writer: Any = None   # the run's one tensorboardX SummaryWriter, opened at the first epoch

    # --------------------------------------------------------------------- state
    def state_dict(self) -> dict:
        import ember

        r = self.run
        return {
            "format": CHECKPOINT_FORMAT, "epoch": self.epoch, "batch": self.batch, "global_step": self.global_step,
            "model": r.model.state_dict(), "optimizer": r.optimizer.state_dict(),
            "scheduler": r.scheduler.state_dict() if r.scheduler is not None else None,
            "swa_model": r.swa_model.state_dict() if r.swa_model is not None else None,
            "swa_scheduler": r.swa_scheduler.state_dict() if r.swa_scheduler is not None else None,
            "rng": {"ember": ember.get_rng_state(), "loader_epoch_start": self.epoch_rng},
            "history": self.history, "lrs": self.lrs, "best_value": self.best_value, "best_epoch": self.best_epoch,
            "bad_epochs": self.bad_epochs, "partial": dict(self.partial), "wall": self.wall,
            "finished": self.finished,
        }

    def load_state_dict(self, state: dict) -> None:
        import ember

        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise UsageError("not an ember run checkpoint (format mismatch)")
        r = self.run
        r.model.load_state_dict(state["model"])
        if r.scheduler is not None and state["scheduler"] is not None:
            r.scheduler.load_state_dict(state["scheduler"])
        if state["swa_model"] is not None and r.swa_model is not None:
            r.swa_model.load_state_dict(state["swa_model"])
        if state["swa_scheduler"] is not None:
            r.swa_scheduler = r.make_swa_scheduler()
            r.swa_scheduler.load_state_dict(state["swa_scheduler"])
        r.optimizer.load_state_dict(state["optimizer"])     # last: it restores every group's lr
        ember.set_rng_state(state["rng"]["ember"])
        self.epoch_rng = state["rng"]["loader_epoch_start"]
        r.loader_gen.set_state(self.epoch_rng)
        for key in ("epoch", "batch", "global_step", "history", "lrs", "best_value", "best_epoch", "bad_epochs",
                    "partial", "wall", "finished"):
            setattr(self, key, state[key])

    def save(self, name: str, state: dict | None = None) -> Path:
        """Write the trainer's state (or ``state``) to ``run_dir/name`` atomically."""
        return _atomic.save(self.state_dict() if state is None else state, self.run_dir / name)

    def save_checkpoints(self, improved: bool) -> None:
        """``best.ckpt`` (when the epoch improved) *before* ``last.ckpt``, both from one state.

        ``last.ckpt`` is what ``--resume`` reads; its ``best_epoch`` therefore never names an epoch
        whose ``best.ckpt`` was not written. A kill between the two writes leaves ``best.ckpt`` one
        epoch ahead of ``last.ckpt``; the resumed run repeats that epoch bit for bit and writes the
        same ``best.ckpt`` again."""
        state = self.state_dict()
        if improved:
            self.save("best.ckpt", state)
        self.save("last.ckpt", state)

    def request_stop(self) -> None:
        self.stop_requested = True

    # --------------------------------------------------------------------- loop
    def _lr(self) -> float:
        return float(self.run.optimizer.param_groups[0]["lr"])

    def _train_epoch(self) -> None:
        from ember.nn.utils import clip_grad_norm_

        r, t = self.run, self.run.cfg["train"]
        acc, clip = t["accumulate"], t["grad_clip"]
        per_step = t["scheduler_interval"] == "step"
        in_swa = r.swa_start is not None and self.epoch >= r.swa_start
        ema = in_swa and r.cfg["swa"]["ema_decay"] > 0
        params = [p for g in r.optimizer.param_groups for p in g["params"]]
        r.model.train()
        r.loader_gen.set_state(self.epoch_rng)
        start = self.batch
        self.reporter.epoch_start(self.epoch + 1, t["epochs"], r.n_batches, start)
        n = r.n_batches
        par = r.parallel
        for b, (x, y) in enumerate(r.train_loader):
            if b < start:
                continue
            window = min(acc, n - (b // acc) * acc)       # batches in this accumulation window
            weight = 1.0
            if par is not None:  # this rank's share of the global batch (app/parallel.py)
                x, y, weight = par.shard(x, y, getattr(r.loss_fn, "reduction", "mean"))
                r.train_model.require_backward_grad_sync = (b + 1) % acc == 0 or b + 1 == n
            out = r.train_model(x)
            loss = r.loss_fn(out, y)
            value = float(loss.item())
            stats = [value * len(y), len(y), int((out._data.argmax(1) == y._data).sum())
                     if out.ndim == 2 and y.ndim == 1 else 0]
            if par is not None:  # the global batch's numbers, the same on every rank
                stats = par.sum(*(stats if weight else (0.0, 0, 0)))
                value = stats[0] / max(stats[1], 1)
            if not math.isfinite(value):
                raise NonFiniteLoss(f"the loss became {value} at epoch {self.epoch + 1}, step {b + 1} of {n} "
                                    f"(optimizer step {self.global_step + 1})")
            if weight != 1.0:
                loss = loss * weight
            (loss / window if window > 1 else loss).backward()
            self.partial["loss"] += stats[0]
            self.partial["count"] += int(stats[1])
            self.partial["correct"] += int(stats[2])
            self.batch = b + 1
            if self.batch % acc == 0 or self.batch == n:
                if clip:
                    clip_grad_norm_(params, clip)
                r.optimizer.step()
                r.optimizer.zero_grad()
                self.global_step += 1
                self.lrs.append(self._lr())
                if ema:
                    assert r.swa_model is not None  # (made with the Run when SWA is configured)
                    r.swa_model.update_parameters(r.model)
                if per_step and not in_swa and r.scheduler is not None and not _is_plateau(r.scheduler):
                    r.scheduler.step()
                if self.on_step is not None:
                    self.on_step(self)
                self.reporter.batch(self.batch, value)
                if self.stop_requested and self.batch < n:
                    raise Interrupted()

    def _end_epoch(self, t0: float) -> dict:
        r, t = self.run, self.run.cfg["train"]
        lr = self._lr() if not self.lrs else self.lrs[-1]
        in_swa = r.swa_start is not None and self.epoch >= r.swa_start
        if in_swa:
            if r.cfg["swa"]["ema_decay"] == 0:
                assert r.swa_model is not None
                r.swa_model.update_parameters(r.model)
        row = {"epoch": self.epoch + 1, "lr": lr,
               "train_loss": self.partial["loss"] / max(self.partial["count"], 1)}
        if self.partial["correct"] or self.partial["count"]:
            row["train_accuracy"] = self.partial["correct"] / max(self.partial["count"], 1)
        if r.val_loader is not None:
            for k, v in r.evaluate(r.model, r.val_loader, what=f"the validation set at epoch {self.epoch + 1}").items():
                row[f"val_{k}"] = v
        # schedulers step after the epoch (and after validation, for ReduceLROnPlateau)
        if in_swa:
            if r.swa_scheduler is None:
                r.swa_scheduler = r.make_swa_scheduler()
            r.swa_scheduler.step()
        elif r.scheduler is not None:
            if _is_plateau(r.scheduler):
                r.scheduler.step(row.get(self.monitor_key(row)))
            elif t["scheduler_interval"] == "epoch":
                r.scheduler.step()
        self.wall += time.perf_counter() - t0
        row["time_s"] = self.wall
        return row

    def monitor_key(self, row: dict) -> str:
        m = self.run.monitor
        if m in row:
            return m
        valid = [k for k in row if k not in ("epoch", "lr", "time_s")]
        raise UsageError(f"[train] monitor {m!r} is not recorded; choose one of: {', '.join(valid)}")

    def _improved(self, value) -> bool:
        if self.best_value is None:
            return True
        return value < self.best_value if self.run.mode == "min" else value > self.best_value

    def train(self) -> dict:
        """Run the remaining epochs; return the summary (also written to summary.json)."""
        t = self.run.cfg["train"]
        previous = _install_sigint(self)
        errstate = np.errstate(over="ignore", invalid="ignore", divide="ignore")   # NaN/inf: one message
        errstate.__enter__()
        try:
            while self.epoch < t["epochs"] and not self.finished:
                t0 = time.perf_counter()
                self._train_epoch()
                row = self._end_epoch(t0)
                self.history.append(row)
                self.epoch += 1
                self.batch = 0
                self.partial = {"loss": 0.0, "correct": 0, "count": 0}
                self.epoch_rng = self.run.loader_gen.get_state()
                key = self.monitor_key(row)
                improved = self._improved(row[key])
                if improved:
                    self.best_value, self.best_epoch, self.bad_epochs = row[key], row["epoch"], 0
                else:
                    self.bad_epochs += 1
                patience = t["early_stopping"]
                if patience and self.bad_epochs >= patience:
                    self.finished = True
                self.reporter.epoch_end(row, t["epochs"])
                self.write_metrics()
                self.save_checkpoints(improved)
                if self.stop_requested and self.epoch < t["epochs"] and not self.finished:
                    raise Interrupted()
            self.finished = True
            summary = self.finish()
            self.save("last.ckpt")
            return summary
        except Interrupted as e:
            self.save("last.ckpt")
            e.run_dir = self.run_dir
            raise
        except NonFiniteLoss as e:
            e.run_dir = self.run_dir
            e.good_epoch = self.epoch if (self.run_dir / "last.ckpt").exists() else None
            raise
        finally:
            errstate.__exit__(None, None, None)
            self.reporter.close()
            _restore_sigint(previous)
            if self._writer is not None:
                self._writer.close()
                self._writer = None

    # --------------------------------------------------------------------- outputs
    def write_metrics(self) -> None:
        keys = []
        for row in self.history:
            keys += [k for k in row if k not in keys]
        text = io.StringIO(newline="")
        w = csv.DictWriter(text, fieldnames=keys)
        w.writeheader()
        w.writerows(self.history)
        _atomic.write_text(self.run_dir / "metrics.csv", text.getvalue())
        _atomic.write_text(self.run_dir / "metrics.json", json.dumps(self.history, indent=1))
        if self.tensorboard:
            self._tensorboard()

    def _tensorboard(self) -> None:
        """Add the epoch's scalars to the run's one event file (kept open, flushed every epoch).

        A resumed run opens a second file in the same folder (its name carries the process id and
        a counter, so two writers never share a name); TensorBoard reads all of them."""
        if self._writer is None:
            from tensorboardX import SummaryWriter

            global _writers_opened
            _writers_opened += 1
            self._writer = SummaryWriter(str(self.run_dir / "tensorboard"),
                                         filename_suffix=f".{os.getpid()}.{_writers_opened}")
        row = self.history[-1]
        for k, v in row.items():
            if k != "epoch" and isinstance(v, float):
                tag = k.replace("_", "/", 1) if k.startswith(("train_", "val_")) else k
                self._writer.add_scalar(tag, v, row["epoch"])
        self._writer.flush()

    def finish(self) -> dict:
        r = self.run
        final_model, label = r.model, "model"
        if r.swa_model is not None and int(r.swa_model.n_averaged.item()) > 0:
            if any("BatchNorm" in type(m).__name__ for m in r.model.modules()):
                from ember.optim.swa_utils import update_bn

                update_bn(make_loader(r.data.x_train, r.data.y_train, r.cfg["data"]["eval_batch_size"], shuffle=False),
                          r.swa_model)
            final_model, label = r.swa_model, ("ema" if r.cfg["swa"]["ema_decay"] else "swa")
        summary = {"run_dir": str(self.run_dir), "final_weights": label, "epochs_run": self.epoch,
                   "monitor": r.monitor, "best_value": self.best_value, "best_epoch": self.best_epoch,
                   "wall_time_s": self.wall, "data": r.data.source}
        arrays = {}
        for split, loader in (("val", r.val_loader), ("test", r.test_loader)):
            if loader is None:
                continue
            res = r.evaluate(final_model, loader, keep_arrays=True, what=f"the {split} set ({label} weights)")
            summary[split] = {k: v for k, v in res.items() if isinstance(v, float)}
            arrays.update({f"{split}_{k}": v for k, v in res.items() if not isinstance(v, float)})
        if final_model is not r.model and r.test_loader is not None:
            summary["test_last"] = dict(r.evaluate(r.model, r.test_loader, what="the test set (last weights)"))
        summary["arrays"] = {k: np.asarray(v).tolist() for k, v in arrays.items()}
        _atomic.write_text(self.run_dir / "summary.json", json.dumps(summary, indent=1))
        _atomic.save(final_model.module.state_dict() if final_model is not r.model else r.model.state_dict(),
                     self.run_dir / "final_model.ckpt")
        if r.cfg["output"]["plots"]:
            from . import plots

            try:
                plots.run_plots(self.run_dir, self.history, self.lrs, arrays, self.steps_per_epoch_hint())
            except plots.MissingDependency as e:
                self.reporter.print(f"note: no plots written: {e}")
        return summary

    def steps_per_epoch_hint(self) -> int:
        return self.run.steps_per_epoch


_writers_opened = 0      # SummaryWriters opened by this process (part of their file names)


def _is_plateau(s) -> bool:
    return type(s).__name__ == "ReduceLROnPlateau"


def _install_sigint(trainer):
    """First Ctrl-C: stop at the next step boundary with a checkpoint; second: stop now."""
    def handler(signum, frame):
        if trainer.stop_requested:
            raise KeyboardInterrupt
        trainer.request_stop()
        print("\nember: stopping after this step and saving a checkpoint (Ctrl-C again to quit at once)",
              file=sys.stderr, flush=True)

    try:
        return signal.signal(signal.SIGINT, handler)
    except ValueError:      # not the main thread
        return None


def _restore_sigint(previous) -> None:
    if previous is not None:
        try:
            signal.signal(signal.SIGINT, previous)
        except ValueError:
            pass


# ----------------------------------------------------------------------------- entry points
def start(cfg: dict, reporter: Reporter, *, tensorboard=False, on_step=None) -> tuple[Trainer, dict]:
    """Build, write the resolved config, train. Returns the trainer and the summary."""
    run = Run(cfg)
    par = run.parallel
    run_dir = new_run_dir(cfg) if par is None or par.rank == 0 else par.scratch_dir()
    write_config(run, run_dir)
    trainer = Trainer(run, run_dir, reporter, on_step=on_step, tensorboard=tensorboard)
    d = run.data
    reporter.start(f"ember train: {d.source}: {len(d.y_train)} train / {len(d.y_val)} val / {len(d.y_test)} test, "
                   f"{d.num_classes} classes; model {cfg['model']['name']}, optimizer {cfg['optimizer']['name']}; "
                   f"run directory {run_dir}")
    return trainer, trainer.train()


def write_config(run: Run, run_dir: Path) -> None:
    """The run's config, as given (config.json, what ``--resume`` reads) and resolved (config.toml)."""
    _atomic.write_text(run_dir / "config.toml", C.to_toml(run.resolved_config()))
    _atomic.write_text(run_dir / "config.json", json.dumps(run.cfg, indent=1))


def resume(run_dir, reporter: Reporter, *, tensorboard=False, on_step=None) -> tuple[Trainer, dict]:
    """Continue the run in ``run_dir`` from its ``last.ckpt``, exactly where it stopped.

    A run killed before its first checkpoint (``config.json`` written, no ``last.ckpt`` yet)
    starts again from the beginning in the same directory; temporary files of a killed write are
    removed first."""
    import ember

    run_dir = Path(run_dir)
    cfg_path, ckpt = run_dir / "config.json", run_dir / "last.ckpt"
    if not run_dir.is_dir():
        raise UsageError(f"--resume: run directory {str(run_dir)!r} does not exist")
    if not cfg_path.is_file():
        raise UsageError(f"--resume: {str(cfg_path)!r} is missing; is {str(run_dir)!r} a run directory?")
    try:
        cfg = json.loads(cfg_path.read_text())
    except json.JSONDecodeError as e:
        raise UsageError(f"{cfg_path}: malformed JSON: {e}") from None
    except OSError as e:
        raise _atomic.file_error(cfg_path, e, "read") from None
    if not isinstance(cfg, dict) or any(not isinstance(cfg.get(s), (dict, list)) for s in C.DEFAULTS):
        raise UsageError(f"{cfg_path}: not the config of an ember run (it lacks sections of {', '.join(C.DEFAULTS)})")
    C.validate(cfg)
    from .parallel import is_main

    if is_main():  # under mpiexec only rank 0 writes the run directory (two ranks' probes would race)
        _atomic.check_writable(run_dir)
        _atomic.clean_stale(run_dir)
    run = Run(cfg)
    trainer = Trainer(run, run_dir, reporter, on_step=on_step, tensorboard=tensorboard)
    if not ckpt.is_file():
        reporter.start(f"ember train: {run_dir} has no checkpoint yet; starting the run from the beginning")
        return trainer, trainer.train()
    try:
        state = ember.load(ckpt)
    except Exception as e:
        raise UsageError(f"{ckpt}: cannot read the checkpoint ({type(e).__name__}: {e})") from None
    trainer.load_state_dict(state)
    if run.parallel is not None and run.parallel.rank:  # only rank 0 writes into the run directory
        trainer.run_dir = run.parallel.scratch_dir()
    if trainer.finished:
        raise UsageError(f"{run_dir} has already finished ({trainer.epoch} epochs); nothing to resume")
    reporter.start(f"ember train: resuming {run_dir} at epoch {trainer.epoch + 1}, batch {trainer.batch + 1}")
    return trainer, trainer.train()
