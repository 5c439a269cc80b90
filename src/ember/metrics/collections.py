"""`MetricCollection`: several metrics fed the same inputs, with prefix/postfix names and compute groups.

A compute group shares one update between metrics whose update-defining class, states and update arguments all
match (e.g. MulticlassPrecision and MulticlassRecall with the same num_classes, top_k, ignore_index, ...): the first
metric of the group updates, the others take its states. Groups are decided from the constructor arguments, never
from state values, so metrics whose states only happen to coincide are never merged.
"""
from __future__ import annotations

import copy
import inspect
from collections import OrderedDict

import numpy as np

from .. import _errors
from ..nn.modules.module import Module
from .metric import Metric


def _hashable(value):
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if hasattr(value, "_data"):
        return _hashable(value._data)
    return value


def _group_key(metric):
    """Equal keys ⇔ the two metrics' updates produce identical states; None: never grouped."""
    if getattr(metric, "_update_args", None) is None:
        return None
    owner = next(c for c in type(metric).__mro__ if "update" in c.__dict__)
    states = tuple((k, "list" if isinstance(v, list) else (np.shape(v), str(np.asarray(v).dtype)))
                   for k, v in metric._defaults.items())
    return owner, tuple(_hashable(getattr(metric, a)) for a in metric._update_args), states


class MetricCollection(Module):
    """Dict-like collection of metrics; ``update``/``forward``/``compute`` act on all of them.

    Args:
        metrics: a Metric, a sequence of Metrics (named by class), or a dict name -> Metric (nested collections are
            flattened with their prefix/postfix).
        *additional_metrics: more Metrics when ``metrics`` is a single Metric.
        prefix, postfix: added to every output name.
        compute_groups: True (derive groups from class, states and update arguments), False, or a list of lists of
            names (checked to be compatible).

    Torch parity: torchmetrics.MetricCollection (keys, items, values, update, forward, compute, reset, clone,
    persistent, state_dict, add_metrics, compute_groups); groups are decided statically (see module docstring).
    Keyword arguments are passed to each metric only if its ``update`` accepts them. Like torchmetrics' (a
    ModuleDict), it is an `nn.Module` whose children are its metrics, so a collection inside a model follows the
    model's ``state_dict`` (keys ``<name>.<metric>.<state>``) and ``load_state_dict``.
    """

    _modules = property(lambda self: self._metrics)  # the metrics are the nn.Module children

    def __init__(self, metrics, *additional_metrics, prefix=None, postfix=None, compute_groups=True):
        Module.__init__(self)
        for name, value in (("prefix", prefix), ("postfix", postfix)):
            if value is not None and not isinstance(value, str):
                raise _errors.expected_string(name, value)
        self.prefix, self.postfix = prefix, postfix
        self._enable_compute_groups = compute_groups
        self._metrics: "OrderedDict[str, Metric]" = OrderedDict()
        self.add_metrics(metrics, *additional_metrics)

    # ---------------------------------------------------------------------------------------------- building
    def add_metrics(self, metrics, *additional_metrics) -> None:
        if isinstance(metrics, Metric):
            metrics = [metrics, *additional_metrics]
        elif additional_metrics:
            raise ValueError(f"You have passes extra arguments {additional_metrics} which are not compatible with "
                             "first passed dictionary {metrics} so they will be ignored.")
        items = metrics.items() if isinstance(metrics, dict) else [(None, m) for m in metrics]
        for name, metric in items:
            if isinstance(metric, MetricCollection):
                for sub_name, sub in metric.items(keep_base=False):
                    self._add(sub_name if name is None else f"{name}_{sub_name}", sub)
            elif isinstance(metric, Metric):
                self._add(name or type(metric).__name__, metric)
            else:
                raise ValueError(f"Value {metric} belonging to key {name} is not an instance of `ember.metrics.Metric`")
        self._init_compute_groups()

    def _add(self, name, metric):
        if name in self._metrics:
            raise ValueError(f"Encountered two metrics both named {name}")
        self._metrics[name] = metric

    def _init_compute_groups(self):
        self._groups = {}
        if self._enable_compute_groups is False:
            self._groups = {i: [n] for i, n in enumerate(self._metrics)}
            return
        if isinstance(self._enable_compute_groups, list):
            for i, group in enumerate(self._enable_compute_groups):
                keys = {_group_key(self._metrics[n]) for n in group}
                if len(group) > 1 and (None in keys or len(keys) > 1):
                    raise ValueError(f"Metrics {group} cannot share a compute group: their class, states or update "
                                     "arguments differ.")
                self._groups[i] = list(group)
            rest = [n for n in self._metrics if not any(n in g for g in self._groups.values())]
            for n in rest:
                self._groups[len(self._groups)] = [n]
            return
        by_key = OrderedDict()
        for name, metric in self._metrics.items():
            key = _group_key(metric)
            by_key.setdefault(key if key is not None else ("single", name), []).append(name)
        self._groups = dict(enumerate(by_key.values()))

    @property
    def compute_groups(self):
        return dict(self._groups)

    # ---------------------------------------------------------------------------------------------- running
    @staticmethod
    def _filter_kwargs(metric, kwargs):
        if not kwargs:
            return kwargs
        params = inspect.signature(metric.update).parameters
        if any(p.kind == p.VAR_KEYWORD for p in params.values()):
            return kwargs
        return {k: v for k, v in kwargs.items() if k in params}

    def update(self, *args, **kwargs) -> None:
        """Update one metric per compute group and share its states with the rest of the group."""
        for names in self._groups.values():
            leader = self._metrics[names[0]]
            leader.update(*args, **self._filter_kwargs(leader, kwargs))
            for name in names[1:]:
                member = self._metrics[name]
                for key, value in leader.metric_state.items():
                    setattr(member, key, list(value) if isinstance(value, list) else value)
                member._update_count, member._computed = leader._update_count, None

    def forward(self, *args, **kwargs) -> dict:
        """Each metric's value on this batch (and accumulate), as {prefixed name: value}."""
        return self._flatten({n: m(*args, **self._filter_kwargs(m, kwargs)) for n, m in self._metrics.items()})

    __call__ = forward

    def compute(self) -> dict:
        return self._flatten({n: m.compute() for n, m in self._metrics.items()})

    def _flatten(self, results):
        out = {}
        for name, value in results.items():
            if isinstance(value, dict):
                for k, v in value.items():
                    out[self._set_name(k)] = v
            else:
                out[self._set_name(name)] = value
        return out

    def reset(self) -> None:
        for m in self._metrics.values():
            m.reset()

    def clone(self, prefix=None, postfix=None) -> "MetricCollection":
        mc = copy.deepcopy(self)
        mc.prefix = prefix if prefix is not None else mc.prefix
        mc.postfix = postfix if postfix is not None else mc.postfix
        return mc

    def persistent(self, mode=True) -> None:
        for m in self._metrics.values():
            m.persistent(mode)

    def state_dict(  # type: ignore[override]  # torchmetrics' signature: Module's also takes *args
            self, destination=None, prefix="", keep_vars=False) -> dict:
        out = {} if destination is None else destination
        for name, m in self._metrics.items():
            m.state_dict(out, prefix=f"{prefix}{name}.")
        return out

    def load_state_dict(self, state_dict, strict=True, assign=False) -> None:
        for name, m in self._metrics.items():
            m.load_state_dict({k[len(name) + 1:]: v for k, v in state_dict.items() if k.startswith(name + ".")}, strict)

    # --------------------------------------------------------------------------------------------- dict face
    def _set_name(self, base):
        return f"{self.prefix or ''}{base}{self.postfix or ''}"

    def keys(self, keep_base=False):
        return list(self._metrics) if keep_base else [self._set_name(k) for k in self._metrics]

    def items(self, keep_base=False, copy_state=True):
        return [(k if keep_base else self._set_name(k), m) for k, m in self._metrics.items()]

    def values(self, copy_state=True):
        return list(self._metrics.values())

    def __getitem__(self, key):
        if key in self._metrics:
            return self._metrics[key]
        for base in self._metrics:
            if self._set_name(base) == key:
                return self._metrics[base]
        raise KeyError(key)

    def __contains__(self, key):
        return key in self._metrics or key in self.keys()

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self._metrics)

    def to(self, *args, **kwargs):
        return self

    def __repr__(self):
        inner = ",\n  ".join(f"{k}: {m!r}" for k, m in self._metrics.items())
        extra = "".join(f", {a}={getattr(self, a)!r}" for a in ("prefix", "postfix") if getattr(self, a))
        return f"MetricCollection(\n  {inner}{extra}\n)"
