"""Metric wrappers: `Running` (a window over the last updates), `ClasswiseWrapper` (per-class values as a dict) and
`MetricTracker` (one metric per epoch/step, best value)."""
from __future__ import annotations

import copy
import warnings

import numpy as np

from ._states import _copy_state
from .metric import Metric
from .utilities import to_numpy, to_tensor


class Running(Metric):
    """The base metric over the states of its last ``window`` updates (torchmetrics.wrappers.Running)."""
    full_state_update = False

    def __init__(self, base_metric, window=5):
        super().__init__()
        if not isinstance(base_metric, Metric):
            raise ValueError(f"Expected argument `metric` to be an instance of `ember.metrics.Metric` but got {base_metric}")
        if not (isinstance(window, int) and window > 0):
            raise ValueError(f"Expected argument `window` to be a positive integer but got {window}")
        if base_metric.full_state_update is not False:
            raise ValueError(f"Expected attribute `full_state_update` set to `False` but got {base_metric.full_state_update}")
        self.base_metric, self.window, self._num_vals_seen = base_metric, window, 0
        for key, default in base_metric._defaults.items():
            for i in range(window):
                self.add_state(f"{key}_{i}", _copy_state(default), dist_reduce_fx=base_metric._reductions[key])

    def _store(self):
        slot = self._num_vals_seen % self.window
        for key in self.base_metric._defaults:
            setattr(self, f"{key}_{slot}", getattr(self.base_metric, key))
        self.base_metric.reset()
        self._num_vals_seen += 1

    def update(self, *args, **kwargs) -> None:
        self.base_metric.update(*args, **kwargs)
        self._store()

    def forward(self, *args, **kwargs):
        value = self.base_metric.forward(*args, **kwargs)
        self._store()
        self._update_count += 1
        self._computed = None
        return value

    def compute(self):
        base = self.base_metric
        base.reset()
        for i in range(min(self.window, self._num_vals_seen)):
            base._reduce_states({k: getattr(self, f"{k}_{i}") for k in base._defaults}, n_current=i, n_incoming=1)
        base._update_count = self._num_vals_seen
        value = base.compute()
        base.reset()
        return value

    def reset(self) -> None:
        super().reset()
        self._num_vals_seen = 0


class ClasswiseWrapper(Metric):
    """Turn a metric's per-class output (``average=None``) into {f"{prefix}{label}{postfix}": value}.

    Without prefix/postfix the keys are ``f"{classname.lower()}_{label}"`` (torchmetrics' default).
    """
    full_state_update = False

    def __init__(self, metric, labels=None, prefix=None, postfix=None):
        super().__init__()
        if not isinstance(metric, Metric):
            raise ValueError(f"Expected argument `metric` to be an instance of `ember.metrics.Metric` but got {metric}")
        if labels is not None and not (isinstance(labels, list) and all(isinstance(x, str) for x in labels)):
            raise ValueError(f"Expected argument `labels` to either be `None` or a list of strings but got {labels}")
        for name, value in (("prefix", prefix), ("postfix", postfix)):
            if value is not None and not isinstance(value, str):
                raise ValueError(f"Expected argument `{name}` to either be `None` or a string but got {value}")
        self.metric, self.labels, self._prefix, self._postfix = metric, labels, prefix, postfix
        self.higher_is_better = metric.higher_is_better

    def _convert_output(self, x):
        if not self._prefix and not self._postfix:
            prefix, postfix = f"{type(self.metric).__name__.lower()}_", ""
        else:
            prefix, postfix = self._prefix or "", self._postfix or ""
        values = [to_tensor(v) for v in to_numpy(x)]
        names = self.labels if self.labels is not None else range(len(values))
        return {f"{prefix}{name}{postfix}": v for name, v in zip(names, values)}

    def forward(self, *args, **kwargs):
        self._update_count += 1
        return self._convert_output(self.metric(*args, **kwargs))

    def update(self, *args, **kwargs) -> None:
        self.metric.update(*args, **kwargs)

    def compute(self):
        return self._convert_output(self.metric.compute())

    def reset(self) -> None:
        super().reset()
        self.metric.reset()

    @property
    def metric_state(self):
        return self.metric.metric_state


class MetricTracker:
    """Keeps one copy of a metric (or MetricCollection) per step: `increment()` starts a new step.

    Index 0 is the base metric, ``tracker[-1]`` the current step (torchmetrics' layout); `compute_all()` stacks the
    value of every step; `best_metric(return_step)` picks the best by ``maximize`` (default: higher_is_better).
    """

    def __init__(self, metric, maximize=None):
        from .collections import MetricCollection

        if not isinstance(metric, (Metric, MetricCollection)):
            raise TypeError("Metric arg need to be an instance of a ember.metrics `Metric` or `MetricCollection` but "
                            f"got {metric}")
        self._base_metric, self._steps = metric, []
        if maximize is None:
            if isinstance(metric, Metric):
                if metric.higher_is_better is None:
                    raise AttributeError(f"The metric '{type(metric).__name__}' does not have a 'higher_is_better' "
                                         "attribute. Please provide the `maximize` argument explicitly.")
                maximize = metric.higher_is_better
            else:
                maximize = []
                for name, m in metric.items():
                    if m.higher_is_better is None:
                        raise AttributeError(f"The metric '{name}' in the MetricCollection does not have a "
                                             "'higher_is_better' attribute. Please provide the `maximize` argument "
                                             "explicitly.")
                    maximize.append(m.higher_is_better)
        elif not isinstance(maximize, (bool, list)):
            raise ValueError("Argument `maximize` should either be a single bool or list of bool")
        elif isinstance(metric, Metric) and not isinstance(maximize, bool):
            raise ValueError("Argument `maximize` should be a single bool when `metric` is a single Metric")
        self.maximize = maximize

    def __len__(self):
        return len(self._steps) + 1

    def __getitem__(self, idx):
        return ([self._base_metric] + self._steps)[idx]

    def __iter__(self):
        return iter([self._base_metric] + self._steps)

    @property
    def n_steps(self) -> int:
        return len(self._steps)

    def increment(self) -> None:
        self._steps.append(copy.deepcopy(self._base_metric))

    def _current(self, method):
        if not self._steps:
            raise ValueError(f"`{method}` cannot be called before `.increment()` has been called.")
        return self._steps[-1]

    def forward(self, *args, **kwargs):
        return self._current("forward")(*args, **kwargs)

    __call__ = forward

    def update(self, *args, **kwargs) -> None:
        self._current("update").update(*args, **kwargs)

    def compute(self):
        return self._current("compute").compute()

    def compute_all(self):
        self._current("compute_all")
        res = [m.compute() for m in self._steps]
        if isinstance(res[0], dict):
            return {k: to_tensor(np.stack([to_numpy(r[k]) for r in res])) for k in res[0]}
        try:
            return to_tensor(np.stack([np.asarray(to_numpy(r)) for r in res]))
        except (TypeError, ValueError):
            return res

    def reset(self) -> None:
        self._current("reset").reset()

    def reset_all(self) -> None:
        for m in self._steps:
            m.reset()

    def best_metric(self, return_step=False):
        res = self.compute_all()
        if isinstance(res, dict):
            maximize = self.maximize if isinstance(self.maximize, list) else [self.maximize] * len(res)
            value, idx = {}, {}
            for flag, (k, v) in zip(maximize, res.items()):
                arr = to_numpy(v)
                try:
                    i = int(np.nanargmax(arr, 0) if flag else np.nanargmin(arr, 0))
                    value[k], idx[k] = float(arr[i]), i
                except (ValueError, TypeError) as err:
                    warnings.warn(f"Encountered the following error when trying to get the best metric for metric {k}:"
                                  f"{err}. Returning `None` instead.", UserWarning)
                    value[k], idx[k] = None, None
            return (value, idx) if return_step else value
        arr = to_numpy(res)
        try:
            i = int(np.argmax(arr, 0) if self.maximize else np.argmin(arr, 0))
            value = float(arr[i])
        except (ValueError, TypeError) as err:
            warnings.warn(f"Encountered the following error when trying to get the best metric: {err}. "
                          "Returning `None` instead.", UserWarning)
            return (None, None) if return_step else None
        return (value, i) if return_step else value
