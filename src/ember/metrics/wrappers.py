"""Metric wrappers (torchmetrics.wrappers): `Running` (a window over the last updates), `ClasswiseWrapper` (per-class
values as a dict), `MetricTracker` (one metric per epoch/step, best value), `MinMaxMetric`, `MultioutputWrapper`,
`MultitaskWrapper`, `BootStrapper`, the input transformers `LambdaInputTransformer` and
`BinaryTargetTransformer`, and `FeatureShare` (in `feature_share`, re-exported here)."""
from __future__ import annotations

import copy
import warnings

import numpy as np

from .. import _errors
from ._states import _copy_state
from .feature_share import FeatureShare, NetworkCache  # noqa: F401  (torchmetrics.wrappers.FeatureShare)
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


class MinMaxMetric(Metric):
    """The base metric's value together with the smallest and largest value it has had: ``compute()`` and
    ``forward`` return {"raw": value, "max": max so far, "min": min so far} (torchmetrics.wrappers.MinMaxMetric).

    Torch parity: same outputs and errors as torchmetrics, with one deliberate difference: torchmetrics' ``forward``
    resets the base metric (its full-state forward calls ``reset()``, which reaches the base), so after
    ``forward`` its ``compute()`` only sees the last batch; here ``compute()`` covers every batch since ``reset()``
    (tests/metrics/test_wrappers.py pins both).
    """
    full_state_update = True

    def __init__(self, base_metric, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(base_metric, Metric):
            raise ValueError(f"Expected base metric to be an instance of `ember.metrics.Metric` but received {base_metric}")
        self._base_metric = base_metric
        self.min_val, self.max_val = np.array(np.inf), np.array(-np.inf)

    def _track(self, value):
        v = to_numpy(value)
        if v.size != 1:
            raise RuntimeError(f"Returned value from base metric should be a float or scalar tensor, but got {value}.")
        v = v.reshape(())
        self.max_val = v if self.max_val < v else self.max_val
        self.min_val = v if self.min_val > v else self.min_val
        return {"raw": to_tensor(v), "max": to_tensor(self.max_val), "min": to_tensor(self.min_val)}

    def update(self, *args, **kwargs) -> None:
        self._base_metric.update(*args, **kwargs)

    def compute(self):
        return self._track(self._base_metric.compute())

    def forward(self, *args, **kwargs):
        self._update_count += 1
        return self._track(self._base_metric(*args, **kwargs))

    def reset(self) -> None:
        """Reset the base metric; the min and max seen so far are kept (as torchmetrics)."""
        super().reset()
        self._base_metric.reset()


def _nan_rows(*arrays):
    """Rows (dimension 0) where any of ``arrays`` holds a nan."""
    rows = np.zeros(len(arrays[0]), dtype=bool)
    for a in arrays:
        if a.dtype.kind == "f":
            rows |= np.isnan(a.reshape(len(a), -1)).any(1)
    return rows


class MultioutputWrapper(Metric):
    """One copy of ``base_metric`` per output along ``output_dim``; values stacked along dimension 0
    (torchmetrics.wrappers.MultioutputWrapper). ``remove_nans`` drops, per output, the rows where any input is nan;
    ``squeeze_outputs`` removes the selected dimension before the base metric sees it."""
    is_differentiable = False

    def __init__(self, base_metric, num_outputs, output_dim=-1, remove_nans=True, squeeze_outputs=True):
        super().__init__()
        self.metrics = [copy.deepcopy(base_metric) for _ in range(num_outputs)]
        self.output_dim, self.remove_nans, self.squeeze_outputs = output_dim, remove_nans, squeeze_outputs

    def _split(self, args, kwargs):
        arrays = [to_numpy(a) for a in args], {k: to_numpy(v) for k, v in kwargs.items()}
        for i in range(len(self.metrics)):
            a = [np.take(x, [i], axis=self.output_dim) for x in arrays[0]]
            kw = {k: np.take(v, [i], axis=self.output_dim) for k, v in arrays[1].items()}
            if self.remove_nans:
                keep = ~_nan_rows(*a, *kw.values())
                a, kw = [x[keep] for x in a], {k: v[keep] for k, v in kw.items()}
            if self.squeeze_outputs:  # torch's squeeze(dim): a no-op where that dimension is not 1
                sq = lambda x: x.squeeze(self.output_dim) if x.shape[self.output_dim] == 1 else x  # noqa: E731
                a, kw = [sq(x) for x in a], {k: sq(v) for k, v in kw.items()}
            yield a, kw

    def update(self, *args, **kwargs) -> None:
        for metric, (a, kw) in zip(self.metrics, list(self._split(args, kwargs))):
            metric.update(*a, **kw)

    def compute(self):
        return np.stack([to_numpy(m.compute()) for m in self.metrics], 0)

    def forward(self, *args, **kwargs):
        self._update_count += 1
        values = [m(*a, **kw) for m, (a, kw) in zip(self.metrics, list(self._split(args, kwargs)))]
        return None if values[0] is None else to_tensor(np.stack([to_numpy(v) for v in values], 0))

    def reset(self) -> None:
        super().reset()
        for m in self.metrics:
            m.reset()


class MultitaskWrapper(Metric):
    """A metric (or MetricCollection) per task: ``update(task_preds, task_targets)`` with dicts keyed by task;
    ``compute()`` gives {f"{prefix}{task}{postfix}": value} (torchmetrics.wrappers.MultitaskWrapper)."""
    is_differentiable = False

    def __init__(self, task_metrics, prefix=None, postfix=None):
        from .collections import MetricCollection

        super().__init__()
        if not isinstance(task_metrics, dict):
            raise TypeError(f"Expected argument `task_metrics` to be a dict. Found task_metrics = {task_metrics}")
        for metric in task_metrics.values():
            if not isinstance(metric, (Metric, MetricCollection)):
                raise TypeError("Expected each task's metric to be a Metric or a MetricCollection. Found a metric of "
                                f"type {type(metric)}")
        for name, value in (("prefix", prefix), ("postfix", postfix)):
            if value is not None and not isinstance(value, str):
                raise ValueError(f"Expected argument `{name}` to either be `None` or a string but got {value}")
        self.task_metrics, self._prefix, self._postfix = dict(task_metrics), prefix or "", postfix or ""

    def _name(self, task, sub=None):
        return f"{self._prefix}{task}{'_' + sub if sub is not None else ''}{self._postfix}"

    def items(self, flatten=True):
        from .collections import MetricCollection

        for task, metric in self.task_metrics.items():
            if flatten and isinstance(metric, MetricCollection):
                for sub, m in metric.items():
                    yield self._name(task, sub), m
            else:
                yield self._name(task), metric

    def keys(self, flatten=True):
        return (k for k, _ in self.items(flatten))

    def values(self, flatten=True):
        return (m for _, m in self.items(flatten))

    def _check_keys(self, task_preds, task_targets):
        if not self.task_metrics.keys() == task_preds.keys() == task_targets.keys():
            raise ValueError("Expected arguments `task_preds` and `task_targets` to have the same keys as the wrapped "
                             f"`task_metrics`. Found task_preds.keys() = {task_preds.keys()}, task_targets.keys() = "
                             f"{task_targets.keys()} and self.task_metrics.keys() = {self.task_metrics.keys()}")

    def update(self, task_preds, task_targets) -> None:
        self._check_keys(task_preds, task_targets)
        for task, metric in self.task_metrics.items():
            metric.update(task_preds[task], task_targets[task])

    def compute(self):
        return {self._name(task): metric.compute() for task, metric in self.task_metrics.items()}

    def forward(self, task_preds, task_targets):
        self._update_count += 1
        return {self._name(task): metric(task_preds[task], task_targets[task])
                for task, metric in self.task_metrics.items()}

    def reset(self) -> None:
        super().reset()
        for metric in self.task_metrics.values():
            metric.reset()

    def clone(self, prefix=None, postfix=None):
        for name, value in (("prefix", prefix), ("postfix", postfix)):
            if value is not None and not isinstance(value, str):
                raise _errors.expected_string(name, value)
        twin = copy.deepcopy(self)
        twin._prefix, twin._postfix = prefix or "", postfix or ""
        return twin


def _is_array(x):
    return isinstance(x, np.ndarray) or hasattr(x, "_data")


def _bootstrap_indices(size, sampling_strategy, rng):
    """Row indices of one bootstrap resample of ``size`` rows: each row repeated Poisson(1) times ('poisson', the
    streaming approximation of Kessy et al.) or ``size`` draws with replacement ('multinomial')."""
    if sampling_strategy == "poisson":
        return np.repeat(np.arange(size), rng.poisson(1.0, size))
    return rng.integers(0, size, size)


class BootStrapper(Metric):
    """``num_bootstraps`` copies of ``base_metric``, each updated on a resample of every batch; ``compute()`` gives
    the mean, std (n − 1), ``quantile`` and/or raw values over the copies (torchmetrics.wrappers.BootStrapper).

    Torch parity: same arguments, outputs and errors as torchmetrics; resamples are drawn from ember's generator
    (``ember.manual_seed``), so individual values differ from torch's stream, not their distribution.
    Reference: Efron & Tibshirani, "An Introduction to the Bootstrap", 1993.
    """
    full_state_update = True

    def __init__(self, base_metric, num_bootstraps=10, mean=True, std=True, quantile=None, raw=False,
                 sampling_strategy="poisson", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(base_metric, Metric):
            raise ValueError(f"Expected base metric to be an instance of ember.metrics.Metric but received {base_metric}")
        allowed = ("poisson", "multinomial")
        if sampling_strategy not in allowed:
            raise ValueError(f"Expected argument ``sampling_strategy`` to be one of {allowed} but received "
                             f"{sampling_strategy}")
        self.metrics = [copy.deepcopy(base_metric) for _ in range(num_bootstraps)]
        self.num_bootstraps, self.mean, self.std, self.quantile, self.raw = num_bootstraps, mean, std, quantile, raw
        self.sampling_strategy = sampling_strategy

    def update(self, *args, **kwargs) -> None:
        from .._random import _gen

        arrays = [a for a in (*args, *kwargs.values()) if _is_array(a)]
        if not arrays:
            raise ValueError("None of the input contained tensors, so could not determine the sampling size")
        size, rng = len(arrays[0]), _gen(None)
        take = lambda x, idx: to_numpy(x)[idx] if _is_array(x) else x  # noqa: E731
        for metric in self.metrics:
            idx = _bootstrap_indices(size, self.sampling_strategy, rng)
            if idx.size:
                metric.update(*(take(a, idx) for a in args), **{k: take(v, idx) for k, v in kwargs.items()})

    def compute(self):
        values = np.stack([to_numpy(m.compute()) for m in self.metrics], 0).astype(np.float64)
        out = {}
        if self.mean:
            out["mean"] = values.mean(0)
        if self.std:
            out["std"] = values.std(0, ddof=1)
        if self.quantile is not None:
            out["quantile"] = np.quantile(values, to_numpy(self.quantile))
        if self.raw:
            out["raw"] = values
        return out

    def forward(self, *args, **kwargs):
        """Accumulate a resample of the batch, and return the statistics over resamples of the batch alone (a second,
        independent resample, as torchmetrics' full-state forward)."""
        self.update(*args, **kwargs)
        kept = [({k: _copy_state(v) for k, v in m.metric_state.items()}, m._update_count) for m in self.metrics]
        for m in self.metrics:
            m.reset()
        try:
            self.update(*args, **kwargs)
            self._computed = None
            return self.compute()
        finally:
            for m, (state, n) in zip(self.metrics, kept):
                for k, v in state.items():
                    setattr(m, k, v)
                m._update_count, m._computed = n, None
            self._computed = None

    def reset(self) -> None:
        super().reset()
        for m in self.metrics:
            m.reset()


class MetricInputTransformer(Metric):
    """Base of the input transformers: ``transform_pred``/``transform_target`` are applied before the wrapped
    metric (or MetricCollection) sees the inputs (torchmetrics.wrappers.MetricInputTransformer)."""

    def __init__(self, wrapped_metric, **kwargs):
        from .collections import MetricCollection

        super().__init__(**kwargs)
        if not isinstance(wrapped_metric, (Metric, MetricCollection)):
            raise TypeError("Expected wrapped metric to be an instance of `ember.metrics.Metric` or "
                            f"`ember.metrics.MetricsCollection`but received {wrapped_metric}")
        self.wrapped_metric = wrapped_metric

    def transform_pred(self, pred):
        return pred

    def transform_target(self, target):
        return target

    def _transform(self, *args):
        if len(args) == 1:
            return (self.transform_pred(args[0]),)
        return (self.transform_pred(args[0]), self.transform_target(args[1]), *args[2:])

    def update(self, *args, **kwargs) -> None:
        self.wrapped_metric.update(*self._transform(*args), **kwargs)

    def compute(self):
        return self.wrapped_metric.compute()

    def forward(self, *args, **kwargs):
        self._update_count += 1
        return self.wrapped_metric.forward(*self._transform(*args), **kwargs)

    def reset(self) -> None:
        super().reset()
        self.wrapped_metric.reset()


class LambdaInputTransformer(MetricInputTransformer):
    """Apply the callables ``transform_pred`` / ``transform_target`` to the inputs of the wrapped metric."""

    def __init__(self, wrapped_metric, transform_pred=None, transform_target=None, **kwargs):
        super().__init__(wrapped_metric, **kwargs)
        for name, fn in (("transform_pred", transform_pred), ("transform_target", transform_target)):
            if fn is not None:
                if not callable(fn):
                    raise TypeError(f"Expected `{name}` to be of type `Callable` but received `{fn}`")
                setattr(self, name, fn)


class BinaryTargetTransformer(MetricInputTransformer):
    """Binarize the target, ``target > threshold`` (kept in the target's dtype), before the wrapped metric."""

    def __init__(self, wrapped_metric, threshold=0, **kwargs):
        super().__init__(wrapped_metric, **kwargs)
        if not isinstance(threshold, (int, float)):
            raise TypeError(f"Expected `threshold` to be of type `int` or `float` but received `{threshold}`")
        self.threshold = threshold

    def transform_target(self, target):
        t = to_numpy(target)
        return (t > self.threshold).astype(t.dtype)
