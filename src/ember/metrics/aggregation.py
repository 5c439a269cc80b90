"""Aggregation metrics: running sum, mean, max, min and concatenation of streamed values (NaN handling as
torchmetrics: ``nan_strategy`` 'error' | 'warn' (drop with a warning, default) | 'ignore' (drop) | 'disable' | a float
that replaces NaNs)."""
from __future__ import annotations

import warnings

import numpy as np

from .metric import Metric
from .utilities import dim_zero_cat, to_numpy
from .wrappers import Running

_NAN_STRATEGIES = ("error", "warn", "ignore", "disable")


class BaseAggregator(Metric):
    """Shared NaN handling and the one state ``state_name`` reduced by ``fn``."""
    is_differentiable, higher_is_better, full_state_update, _atomic_update = None, None, False, True

    def __init__(self, fn, default_value, nan_strategy="warn", state_name="value", **kwargs):
        super().__init__(**kwargs)
        if nan_strategy not in _NAN_STRATEGIES and not isinstance(nan_strategy, float):
            raise ValueError(f"Arg `nan_strategy` should either be a float or one of {_NAN_STRATEGIES} but got "
                             f"{nan_strategy}.")
        self.nan_strategy = nan_strategy
        self.add_state(state_name, default=default_value, dist_reduce_fx=fn)

    def _cast_and_nan_check_input(self, x, weight=None):
        """(values, weights) as float arrays, with NaNs treated by ``nan_strategy``."""
        x = np.array(to_numpy(x), dtype=np.float64, ndmin=0)
        w = np.ones_like(x) if weight is None else np.broadcast_to(np.asarray(to_numpy(weight), np.float64),
                                                                     x.shape).copy()
        if self.nan_strategy == "disable":
            return x, w
        nans = np.isnan(x) | np.isnan(w)
        if nans.any():
            if self.nan_strategy == "error":
                raise RuntimeError("Encountered `nan` values in tensor")
            if self.nan_strategy in ("ignore", "warn"):
                if self.nan_strategy == "warn":
                    warnings.warn("Encountered `nan` values in tensor. Will be removed.", UserWarning)
                return x[~nans], w[~nans]
            x, w = x.copy(), w.copy()
            x[nans], w[nans] = self.nan_strategy, 1.0
        return x, w


class SumMetric(BaseAggregator):
    """Sum of all values seen."""
    def __init__(self, nan_strategy="warn", **kwargs):
        super().__init__("sum", np.zeros(()), nan_strategy, state_name="sum_value", **kwargs)

    def update(self, value) -> None:
        x, _ = self._cast_and_nan_check_input(value)
        if x.size:
            self._accumulate({"sum_value": x.sum()})

    def compute(self):
        return self.sum_value


class MeanMetric(BaseAggregator):
    """(Weighted) mean of all values seen: Σ w·x / Σ w."""
    def __init__(self, nan_strategy="warn", **kwargs):
        super().__init__("sum", np.zeros(()), nan_strategy, state_name="mean_value", **kwargs)
        self.add_state("weight", np.zeros(()), dist_reduce_fx="sum")

    def update(self, value, weight=None) -> None:
        x, w = self._cast_and_nan_check_input(value, weight)
        if x.size:
            self._accumulate({"mean_value": (x * w).sum(), "weight": w.sum()})

    def compute(self):
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.mean_value / self.weight


class MaxMetric(BaseAggregator):
    """Largest value seen (−inf before any)."""
    def __init__(self, nan_strategy="warn", **kwargs):
        super().__init__("max", np.array(-np.inf), nan_strategy, state_name="max_value", **kwargs)

    def update(self, value) -> None:
        x, _ = self._cast_and_nan_check_input(value)
        if x.size:
            self._accumulate({"max_value": x.max()})

    def compute(self):
        return self.max_value


class MinMetric(BaseAggregator):
    """Smallest value seen (+inf before any)."""
    def __init__(self, nan_strategy="warn", **kwargs):
        super().__init__("min", np.array(np.inf), nan_strategy, state_name="min_value", **kwargs)

    def update(self, value) -> None:
        x, _ = self._cast_and_nan_check_input(value)
        if x.size:
            self._accumulate({"min_value": x.min()})

    def compute(self):
        return self.min_value


class CatMetric(BaseAggregator):
    """All values seen, flattened and concatenated."""
    def __init__(self, nan_strategy="warn", **kwargs):
        super().__init__("cat", [], nan_strategy, **kwargs)

    def update(self, value) -> None:
        x, _ = self._cast_and_nan_check_input(value)
        if x.size:
            self._accumulate({"value": x.reshape(-1).astype(np.float32)})

    def compute(self):
        return dim_zero_cat(self.value).astype(np.float32) if self.value else np.zeros(0, np.float32)


class RunningMean(Running):
    """Mean of the values of the last ``window`` updates (torchmetrics.aggregation.RunningMean)."""
    def __init__(self, window=5, nan_strategy="warn", **kwargs):
        super().__init__(MeanMetric(nan_strategy=nan_strategy, **kwargs), window=window)


class RunningSum(Running):
    """Sum of the values of the last ``window`` updates (torchmetrics.aggregation.RunningSum)."""
    def __init__(self, window=5, nan_strategy="warn", **kwargs):
        super().__init__(SumMetric(nan_strategy=nan_strategy, **kwargs), window=window)
