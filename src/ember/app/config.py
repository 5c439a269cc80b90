"""The run configuration: defaults, TOML files, ``--set key=value`` overrides and validation.

A config is a dict of sections. Component sections name an ember class and pass it keyword
arguments (``[optimizer] name = "AdamW"  lr = 3e-3``); the other sections hold plain settings
whose keys are checked here. ``DEFAULTS`` is the recipe ``ember train`` runs with no config:
an MLP on the bundled digits, CrossEntropyLoss, AdamW without weight decay on biases and norms,
a linear warm-up then cosine decay, SWA over the last quarter of the epochs, accuracy, macro F1
and the confusion matrix.

Merging: a config file and ``--set`` are merged into the defaults key by key. Changing a
component's ``name`` drops the default keywords the new class does not take (so
``--set optimizer.name=SGD`` keeps ``lr`` and ``weight_decay`` but not AdamW's ``betas``);
changing the model's name drops all the default model keywords. A
``[metrics]`` table or a ``scheduler`` given in a file replaces the default one as a whole.
"""
from __future__ import annotations

import copy
import json
import math
import tomllib
from pathlib import Path

from .errors import UsageError, check_range, unknown

DEFAULTS: dict = {
    "data": {
        "name": "digits",          # digits | csv | npz | idx
        "path": "",                # file (csv, npz) or folder (idx)
        "target": "target",        # csv: name (or 0-based index) of the label column
        "x_key": "x",              # npz: array names
        "y_key": "y",
        "image_shape": [],         # csv/npz rows as images for the cnn, e.g. [1, 28, 28]
        "val_split": 0.15,         # fractions of all samples
        "test_split": 0.2,         # ignored for idx folders that hold t10k files
        "split_seed": 0,
        "batch_size": 64,
        "eval_batch_size": 512,
        "standardize": True,       # per-feature z-score with training-split statistics
    },
    "model": {"name": "mlp", "hidden": [256, 128], "activation": "ReLU", "dropout": 0.2},
    "loss": {"name": "CrossEntropyLoss"},
    "optimizer": {"name": "AdamW", "lr": 3e-3, "weight_decay": 1e-2, "no_weight_decay": ["bias", "norm"]},
    "scheduler": [
        {"name": "LinearLR", "start_factor": 0.1, "end_factor": 1.0, "total_iters": 3, "epochs": 3},
        {"name": "CosineAnnealingLR", "eta_min": 1e-5},
    ],
    "swa": {"enabled": True, "start": 0.75, "swa_lr": 5e-4, "anneal_epochs": 2, "anneal_strategy": "cos",
            "ema_decay": 0.0},
    "metrics": {
        "accuracy": {"name": "MulticlassAccuracy", "average": "micro"},
        "f1_macro": {"name": "MulticlassF1Score", "average": "macro"},
        "confusion_matrix": {"name": "MulticlassConfusionMatrix"},
    },
    "train": {
        "epochs": 30,
        "seed": 0,
        "grad_clip": 0.0,          # max global gradient norm; 0 = off
        "accumulate": 1,           # batches per optimizer step
        "scheduler_interval": "epoch",  # step the scheduler per "epoch" or per optimizer "step"
        "monitor": "val_accuracy",  # metric that picks the best checkpoint and drives early stopping
        "mode": "auto",            # max | min | auto (min for losses, max otherwise)
        "early_stopping": 0,       # patience in epochs; 0 = off
    },
    "output": {"dir": "runs", "name": "", "plots": True, "tensorboard": False},
}

COMPONENT_SECTIONS = ("model", "loss", "optimizer", "scheduler", "metrics")
PLAIN_SECTIONS = ("data", "train", "swa", "output")
SECTIONS = COMPONENT_SECTIONS[:1] + ("data",) + COMPONENT_SECTIONS[1:] + ("swa", "train", "output")
REPLACE_FROM_FILE = ("metrics", "scheduler")
# the ranges of the integer settings: beyond them a run would take days or exhaust memory
BOUNDS = {("data", "batch_size"): (1, 1 << 20), ("data", "eval_batch_size"): (1, 1 << 20),
          ("train", "epochs"): (1, 100_000), ("train", "accumulate"): (1, 100_000),
          ("train", "early_stopping"): (0, 100_000)}
MAX_STEPS = 100_000    # points of a curve: plot lr --epochs, find-lr --steps, plot optimizers --steps
MAX_FRAMES = 1_000     # frames of the optimizer-path GIF
# keys of component sections that the app reads itself (not passed to the class)
APP_KEYS = {"optimizer": {"name", "no_weight_decay", "groups"}, "scheduler": {"name", "epochs"},
            "loss": {"name"}, "model": {"name"}, "metric": {"name"}}


def defaults() -> dict:
    return copy.deepcopy(DEFAULTS)


# ----------------------------------------------------------------------------- reading
def read_toml(path) -> dict:
    """Parse a TOML file; a syntax error names the file and the line."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise UsageError(f"config file {str(path)!r} does not exist") from None
    except OSError as e:
        raise UsageError(f"cannot read config file {str(path)!r}: {e.strerror}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{path}: malformed TOML: {e}") from None


def parse_value(text: str):
    """A ``--set`` value: a TOML value when it parses as one (numbers, booleans, lists,
    quoted strings, inline tables), otherwise the raw string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_assignment(item: str) -> tuple[list[str], object]:
    if "=" not in item:
        raise UsageError(f"--set expects key=value (e.g. optimizer.lr=0.01), got {item!r}")
    key, value = item.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise UsageError(f"--set: malformed key {key!r} in {item!r}")
    path, parsed = key.split("."), parse_value(value.strip())
    # names and string settings stay strings even when they read as TOML values (name=nan, path=1)
    wants_str = path[-1] == "name" or (len(path) == 2 and isinstance(DEFAULTS.get(path[0]), dict)
                                        and isinstance(DEFAULTS[path[0]].get(path[1]), str))
    if wants_str and not isinstance(parsed, str):
        parsed = value.strip()
    return path, parsed


# ----------------------------------------------------------------------------- merging
def _component_name(kind: str, table) -> str | None:
    return table.get("name") if isinstance(table, dict) else None


def _merge_component(kind: str, base: dict, new: dict) -> dict:
    old_name, new_name = base.get("name"), new.get("name", base.get("name"))
    if new_name != old_name and kind == "model":
        base = {"name": new_name}        # each builder has its own keywords and defaults
    elif new_name != old_name and kind in ("optimizer", "loss"):
        from . import registry

        accepted = None if new_name is None else registry.accepted_keywords(kind, new_name)
        base = {k: v for k, v in base.items() if k in APP_KEYS.get(kind, ()) or accepted is None or k in accepted}
    out = dict(base)
    out.update(new)
    return out


def merge(base: dict, new: dict, *, from_file: bool) -> dict:
    """Merge config ``new`` into ``base`` (both validated afterwards)."""
    out = copy.deepcopy(base)
    for section, value in new.items():
        if section not in DEFAULTS:
            raise unknown("config section", section, DEFAULTS)
        if section in REPLACE_FROM_FILE and from_file:
            out[section] = copy.deepcopy(value)
        elif section == "scheduler" and (isinstance(value, list) or isinstance(out.get(section), list)):
            out[section] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(out.get(section), dict):
            if section in ("optimizer", "loss", "model"):
                out[section] = _merge_component(section, out[section], value)
            elif section == "metrics":
                merged = dict(out[section])
                for label, spec in value.items():
                    if isinstance(spec, dict) and isinstance(merged.get(label), dict) and \
                            spec.get("name", merged[label].get("name")) == merged[label].get("name"):
                        merged[label] = {**merged[label], **spec}
                    else:
                        merged[label] = spec
                out[section] = merged
            else:
                out[section] = {**out[section], **value}
        else:
            raise UsageError(f"config section [{section}] must be a table, got {value!r}")
    return out


def apply_sets(cfg: dict, assignments) -> dict:
    """Apply ``--set a.b.c=value`` items (dotted keys; integers index into lists)."""
    for item in assignments or ():
        path, value = parse_assignment(item)
        section = path[0]
        if section not in DEFAULTS:
            raise unknown("config section", section, DEFAULTS)
        if len(path) == 1:
            cfg = merge(cfg, {section: value}, from_file=False)
            continue
        if section == "scheduler" and isinstance(cfg["scheduler"], list) and not path[1].isdigit():
            # `--set scheduler.name=StepLR` replaces a scheduler list by a single scheduler
            if path[1] != "name":
                raise UsageError(f"--set {item}: the scheduler is a list of {len(cfg['scheduler'])}; "
                                 "index it (scheduler.0.key=value) or set scheduler.name first")
            cfg = dict(cfg, scheduler={"name": value})
            continue
        nested: dict = {}
        node = nested
        for part in path[1:-1]:
            node[part] = {}
            node = node[part]
        node[path[-1]] = value
        if section in ("optimizer", "loss", "model", "metrics") or (
                section == "scheduler" and isinstance(cfg["scheduler"], dict)):
            if section == "metrics" and len(path) == 2:
                cfg = merge(cfg, {"metrics": {path[1]: value if isinstance(value, dict) else
                                              ({"name": value} if isinstance(value, str) else value)}},
                            from_file=False)
            else:
                cfg = merge(cfg, {section: nested}, from_file=False)
        elif section == "scheduler":
            _set_in(cfg["scheduler"], path[1:], value, item)
        else:
            _set_in(cfg[section], path[1:], value, item)
    return cfg


def _set_in(node, path, value, item):
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise UsageError(f"--set {item}: {part!r} is not an index of a list of {len(node)}")
            part = int(part)
        if last:
            node[part] = value
        else:
            if isinstance(node, dict):
                node = node.setdefault(part, {})
            else:
                node = node[part]


def load(config_path=None, sets=()) -> dict:
    """Defaults, then the TOML file (if any), then the ``--set`` items; validated."""
    cfg = defaults()
    if config_path is not None:
        cfg = merge(cfg, read_toml(config_path), from_file=True)
    cfg = apply_sets(cfg, sets)
    validate(cfg)
    return cfg


# ----------------------------------------------------------------------------- validation
_TYPES = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list"}


def _check_plain(section: str, table: dict) -> None:
    ref = DEFAULTS[section]
    for key, value in table.items():
        if key not in ref:
            raise unknown(f"key in [{section}]:", key, ref)
        want = type(ref[key])
        ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if want is int and isinstance(value, float) and value.is_integer() and section != "swa":
            ok = True
        if section == "data" and key == "target" and isinstance(value, int):
            ok = True
        if section == "swa" and key == "start" and isinstance(value, (int, float)) and not isinstance(value, bool):
            ok = True
        if not ok:
            raise UsageError(f"[{section}] {key} must be {_TYPES.get(want, want.__name__)}, got {value!r}")


def validate(cfg: dict) -> None:
    """Check section names, plain settings and value ranges (components are checked when built)."""
    for section in cfg:
        if section not in DEFAULTS:
            raise unknown("config section", section, DEFAULTS)
    for section in PLAIN_SECTIONS:
        _check_plain(section, cfg[section])
    for section in ("model", "loss", "optimizer"):
        if not isinstance(cfg[section], dict) or not isinstance(cfg[section].get("name"), str):
            raise UsageError(f"[{section}] needs a name, e.g. name = {DEFAULTS[section]['name']!r}")
    sched = cfg["scheduler"]
    items = sched if isinstance(sched, list) else [sched]
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise UsageError(f"scheduler {i}: each scheduler needs a name, e.g. name = 'CosineAnnealingLR'")
    if not isinstance(cfg["metrics"], dict):
        raise UsageError("[metrics] must be a table of label = {name = 'MetricClass', ...}")
    for label, spec in cfg["metrics"].items():
        if spec is False:
            continue
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise UsageError(f"metric {label!r} needs a name, e.g. {label} = {{name = 'MulticlassAccuracy'}}")
    d, t, s = cfg["data"], cfg["train"], cfg["swa"]
    if d["name"] not in ("digits", "csv", "npz", "idx"):
        raise unknown("dataset", d["name"], ["digits", "csv", "npz", "idx"])
    for key in ("val_split", "test_split"):
        if not 0 <= d[key] < 1:
            raise UsageError(f"[data] {key} must be in [0, 1), got {d[key]}")
    if d["val_split"] + d["test_split"] >= 1:
        raise UsageError("[data] val_split + test_split must leave some training data (sum < 1)")
    for (section, key), (low, high) in BOUNDS.items():
        check_range(f"[{section}] {key}", cfg[section][key], low, high)
    if t["grad_clip"] < 0:
        raise UsageError(f"[train] grad_clip must be >= 0 (0 = off), got {t['grad_clip']}")
    if t["scheduler_interval"] not in ("epoch", "step"):
        raise UsageError(f"[train] scheduler_interval must be 'epoch' or 'step', got {t['scheduler_interval']!r}")
    if t["mode"] not in ("auto", "min", "max"):
        raise UsageError(f"[train] mode must be 'auto', 'min' or 'max', got {t['mode']!r}")
    if s["anneal_strategy"] not in ("cos", "linear"):
        raise UsageError(f"[swa] anneal_strategy must be 'cos' or 'linear', got {s['anneal_strategy']!r}")
    if not 0 <= s["ema_decay"] < 1:
        raise UsageError(f"[swa] ema_decay must be in [0, 1) (0 = plain SWA average), got {s['ema_decay']}")
    if s["start"] < 0:
        raise UsageError(f"[swa] start must be >= 0, got {s['start']}")


def swa_start_epoch(cfg: dict) -> int | None:
    """The first epoch (0-based) whose weights enter the average, or None without SWA.

    ``start`` below 1 is a fraction of the epochs (0.75: the last quarter); 1 or more an epoch
    number (1-based, like the per-epoch lines)."""
    s, epochs = cfg["swa"], cfg["train"]["epochs"]
    if not s["enabled"]:
        return None
    start = s["start"]
    first = int(math.floor(start * epochs)) if start < 1 else int(start) - 1
    return min(max(first, 0), epochs - 1)


# ----------------------------------------------------------------------------- writing
def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            return "nan" if v != v else ("inf" if v > 0 else "-inf")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_toml_value(x)}" for k, x in v.items() if x is not None) + "}"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else json.dumps(k)


def to_toml(cfg: dict) -> str:
    """The config as TOML text (None values are left out: TOML has no null)."""
    lines = []
    for section, body in cfg.items():
        if isinstance(body, list):
            for item in body:
                lines.append(f"[[{section}]]")
                lines += [f"{_key(k)} = {_toml_value(v)}" for k, v in item.items() if v is not None]
                lines.append("")
            continue
        lines.append(f"[{section}]")
        tables = []
        for k, v in body.items():
            if v is None:
                continue
            if isinstance(v, dict):
                tables.append((k, v))
            else:
                lines.append(f"{_key(k)} = {_toml_value(v)}")
        lines.append("")
        for k, v in tables:
            lines.append(f"[{section}.{_key(k)}]")
            lines += [f"{_key(kk)} = {_toml_value(vv)}" for kk, vv in v.items() if vv is not None]
            lines.append("")
    return "\n".join(lines)
