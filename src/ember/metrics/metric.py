"""`Metric`: the stateful base every metric shares (torchmetrics' `Metric` on NumPy arrays).

A metric declares its sufficient statistics once with `add_state(name, default, dist_reduce_fx)`; everything else
(reset, forward's batch value, merge_state, distributed sync, state_dict) is generic over those states.

    forward(batch) = compute(update(reset(), batch))     and the batch's states are folded into the running ones
    running_state  = reduce(running_state, batch_state)  with each state's dist_reduce_fx (sum, mean, max, min, cat)
"""
from __future__ import annotations

import copy
import functools
import warnings
from typing import Any, Callable, Optional, Union

import numpy as np

from .._creation import as_tensor
from ..nn.modules.module import Module
from ._arithmetic import MetricArithmetic
from ._distributed import distributed_available, gather_all_tensors
from ._states import _combine, _copy_state, _like, _squeeze_if_scalar
from .utilities import dim_zero_cat, dim_zero_max, dim_zero_mean, dim_zero_min, dim_zero_sum, to_numpy, to_tensor

_REDUCTIONS = {"sum": dim_zero_sum, "mean": dim_zero_mean, "max": dim_zero_max, "min": dim_zero_min, "cat": dim_zero_cat}
_KNOWN_KWARGS = ("compute_on_cpu", "dist_sync_on_step", "process_group", "dist_sync_fn", "sync_on_compute",
                 "compute_with_cache", "distributed_available_fn")


class _StateBuffers(dict):
    """The persistent array states of a metric seen as the ``_buffers`` table of an `nn.Module`, so that a metric
    inside a model follows the model's ``state_dict``/``load_state_dict`` (and ``named_buffers``), as torchmetrics'
    states do. Each access wraps the current arrays (shared memory, so loading copies into the state in place);
    assigning a key (``load_state_dict(assign=True)``) replaces the state."""

    def __init__(self, metric):
        super().__init__()
        self._metric = metric
        metric.__dict__["_computed"] = None  # the model may be about to load new states in place
        for name, persistent in metric.__dict__.get("_persistent", {}).items():
            value = metric.__dict__.get(name)
            if persistent and isinstance(value, np.ndarray):
                if not value.flags.writeable or not value.flags.c_contiguous:  # a view load can copy into
                    value = np.ascontiguousarray(value).copy()
                    object.__setattr__(metric, name, value)
                dict.__setitem__(self, name, as_tensor(value))

    def __setitem__(self, name, value):
        dict.__setitem__(self, name, value)
        object.__setattr__(self._metric, name, _like(np.array(to_numpy(value)), self._metric._defaults[name]))


class Metric(MetricArithmetic, Module):
    """Base class: declare states with `add_state`, implement `update(...)` and `compute()`.

    `forward` (also `__call__`) returns the value on the batch alone and accumulates it, without recomputing over
    all data seen (torchmetrics' ``full_state_update=False`` path). An `update` that raises leaves the states as they
    were. Results are ember tensors; states are NumPy arrays (or lists of arrays for ``cat`` states).

    Args (keyword only, as torchmetrics): compute_on_cpu, dist_sync_on_step, process_group, dist_sync_fn,
        sync_on_compute, compute_with_cache. ``dist_sync_fn(array) -> list of arrays, one per process`` is the sync
        hook: when set, `compute()` gathers every state and reduces it with its ``dist_reduce_fx``.

    Torch parity:
        Same method names and semantics as torchmetrics.Metric 1.x (add_state, update, compute, forward, reset,
        merge_state, clone, state_dict, load_state_dict, persistent, metric_state, update_count, plot) and operators
        (metric arithmetic, `CompositionalMetric`). It is an `nn.Module`: inside a model its persistent array states
        appear in the model's ``state_dict`` (keys ``<name>.<state>``) and are restored by its ``load_state_dict``,
        as torchmetrics' (list states of ``cat`` metrics only through the metric's own methods); ``to()`` returns
        self (no device moves; dtype casts of the model leave the states as they are, as torchmetrics without
        ``set_dtype``).

    Example:
        >>> class Hits(Metric):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.add_state("hits", default=np.zeros(()), dist_reduce_fx="sum")
        ...     def update(self, preds, target):
        ...         self.hits = self.hits + (np.asarray(preds) == np.asarray(target)).sum()
        ...     def compute(self):
        ...         return self.hits
    """

    is_differentiable: Optional[bool] = None
    higher_is_better: Optional[bool] = None
    full_state_update: Optional[bool] = False
    plot_lower_bound: Optional[float] = None
    plot_upper_bound: Optional[float] = None
    _atomic_update = False  # True where update computes everything before it assigns (no snapshot needed)
    _update_args: Optional[tuple] = None  # constructor args the update depends on (enables compute groups)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "update" in cls.__dict__:
            cls.update = _wrap_update(cls.__dict__["update"])
            if not cls.__module__.startswith("ember.metrics"):
                cls._atomic_update = False  # a user's update may assign before it fails: snapshot the states
        if "compute" in cls.__dict__:
            cls.compute = _wrap_compute(cls.__dict__["compute"])

    _buffers = property(_StateBuffers)  # the persistent states, as the nn.Module table (see _StateBuffers)

    def __init__(self, **kwargs: Any) -> None:
        Module.__init__(self)
        unknown = sorted(set(kwargs) - set(_KNOWN_KWARGS))
        if unknown:
            raise ValueError(f"Unexpected keyword arguments: {', '.join(f'`{a}`' for a in unknown)}")
        for name in ("compute_on_cpu", "dist_sync_on_step", "sync_on_compute", "compute_with_cache"):
            value = kwargs.get(name, name in ("sync_on_compute", "compute_with_cache"))
            if not isinstance(value, bool):
                raise ValueError(f"Expected keyword argument `{name}` to be a `bool` but got {value}")
            object.__setattr__(self, name, value)
        self.process_group = kwargs.get("process_group")
        self.distributed_available_fn = kwargs.get("distributed_available_fn") or distributed_available
        self._to_sync = self.sync_on_compute  # forward's batch value syncs only with dist_sync_on_step
        self.dist_sync_fn = kwargs.get("dist_sync_fn")
        if self.dist_sync_fn is not None and not callable(self.dist_sync_fn):
            raise ValueError(f"Expected keyword argument `dist_sync_fn` to be an callable function but got {self.dist_sync_fn}")
        self._defaults: dict = {}
        self._persistent: dict = {}
        self._reductions: dict = {}
        self._update_count = 0
        self._computed = None
        self._in_update = self._in_compute = False
        self._cache: Optional[dict] = None  # local states kept while synced

    # ----------------------------------------------------------------- states
    def add_state(self, name: str, default, dist_reduce_fx: Union[str, Callable, None] = None,
                  persistent: bool = False) -> None:
        """Declare a state: an array (reset to a copy of ``default``) or an empty list (a ``cat`` state)."""
        if isinstance(default, list):
            if default:
                raise ValueError("state variable must be a tensor or any empty list (where you can append tensors)")
        elif isinstance(default, (int, float, np.ndarray, np.generic)):
            default = np.asarray(default)
        elif not hasattr(default, "_data"):
            raise ValueError("state variable must be a tensor or any empty list (where you can append tensors)")
        if isinstance(dist_reduce_fx, str):
            if dist_reduce_fx not in _REDUCTIONS:
                raise ValueError("`dist_reduce_fx` must be callable or one of ['mean', 'sum', 'cat', 'min', 'max', None]")
            dist_reduce_fx = _REDUCTIONS[dist_reduce_fx]
        elif dist_reduce_fx is not None and not callable(dist_reduce_fx):
            raise ValueError("`dist_reduce_fx` must be callable or one of ['mean', 'sum', 'cat', 'min', 'max', None]")
        setattr(self, name, _copy_state(default))
        self._defaults[name] = _copy_state(default)
        self._persistent[name] = persistent
        self._reductions[name] = dist_reduce_fx

    @property
    def metric_state(self) -> dict:
        """The current states by name."""
        return {name: getattr(self, name) for name in self._defaults}

    @property
    def update_count(self) -> int:
        return self._update_count

    @property
    def update_called(self) -> bool:
        return self._update_count > 0

    def _accumulate(self, stats: dict) -> None:
        """Fold one batch's sufficient statistics (keys = state names) into the states: all or nothing."""
        new = {}
        for name, value in stats.items():
            current = getattr(self, name)
            if isinstance(current, list):
                continue  # appended below, once every other state has been computed
            if self._reductions[name] is dim_zero_sum and type(current) is np.ndarray:
                new[name] = current + value  # the common case, without the generic dispatch
            else:
                new[name] = _combine(self._reductions[name], current, value, self._update_count, 1)
        for name, value in stats.items():
            if name in new:
                setattr(self, name, new[name])
            else:
                getattr(self, name).append(value)

    def _reduce_states(self, incoming: dict, n_current: int = 1, n_incoming: int = 1) -> None:
        """Fold ``incoming`` states (from n_incoming updates) into this metric's (from n_current updates)."""
        for name in self._defaults:
            if name not in incoming:
                raise ValueError(f"Expected state variable {name} to be present in incoming state {incoming}")
            setattr(self, name, _combine(self._reductions[name], getattr(self, name), incoming[name],
                                         n_current, n_incoming))

    # --------------------------------------------------------------- lifecycle
    def update(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement `update`")

    def compute(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement `compute`")

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Accumulate the batch and return the metric on this batch alone."""
        if self.full_state_update or self.full_state_update is None or self.dist_sync_on_step:
            self.update(*args, **kwargs)
            saved, count = {k: _copy_state(v) for k, v in self.metric_state.items()}, self._update_count
            self.reset()
            self.update(*args, **kwargs)
            value = self._batch_compute()
            for k, v in saved.items():
                setattr(self, k, v)
            self._update_count, self._computed = count, None
            return value
        saved, count = self.metric_state, self._update_count
        self.reset()
        try:
            self.update(*args, **kwargs)
            value = self._batch_compute()
        except BaseException:
            for k, v in saved.items():
                setattr(self, k, v)
            self._update_count = count
            raise
        self._update_count = count + 1
        if count:
            self._reduce_states(saved, n_current=1, n_incoming=count)
        self._computed = None
        return value

    def _batch_compute(self) -> Any:
        """``compute()`` on the batch's states: synced across processes only with ``dist_sync_on_step``."""
        self._to_sync = self.dist_sync_on_step
        try:
            return self.compute()
        finally:
            self._to_sync = self.sync_on_compute

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def reset(self) -> None:
        """Restore every state to its default and forget the update count and cached value."""
        self._update_count = 0
        self._computed = None
        self._cache = None
        for name, default in self._defaults.items():
            setattr(self, name, _copy_state(default))

    def merge_state(self, incoming_state: Union[dict, "Metric"]) -> None:
        """Fold another metric's (or a state dict's) states into this one, as if this metric had seen its data."""
        if not isinstance(incoming_state, (dict, Metric)):
            raise ValueError(f"Expected incoming state to be a dict or an instance of Metric but got {type(incoming_state)}")
        if self.full_state_update or self.full_state_update is None or self.dist_sync_on_step:
            raise RuntimeError("``merge_state`` is not supported for metrics with ``full_state_update=True`` or "
                               "``dist_sync_on_step=True``. Please overwrite the merge_state method in the metric class.")
        n = 1
        if isinstance(incoming_state, Metric):
            if not isinstance(incoming_state, type(self)):
                raise ValueError(f"Expected incoming state to be an instance of {type(self).__name__} "
                                 f"but got {type(incoming_state)}")
            n = incoming_state._update_count
            incoming_state = incoming_state.metric_state
        self._reduce_states(incoming_state, n_current=self._update_count, n_incoming=n)
        self._update_count += n
        self._computed = None

    def clone(self) -> "Metric":
        return copy.deepcopy(self)

    # ------------------------------------------------------------ distributed
    def sync(self, dist_sync_fn: Optional[Callable] = None, process_group: Any = None, should_sync: bool = True,
             distributed_available: Optional[Callable] = None) -> None:
        """Replace each state by its reduction over all processes; ``dist_sync_fn(array) -> [array per process]``.

        Runs when ``ember.distributed`` is initialized (``distributed_available``), gathering with
        ``gather_all_tensors`` over ``process_group`` (default: the metric's, else the world), or whenever a
        ``dist_sync_fn`` is given. ``cat`` states of different lengths on different ranks are gathered whole.
        """
        fn = dist_sync_fn or self.dist_sync_fn
        if not should_sync or self._cache is not None:
            return
        if fn is None:
            if not (distributed_available or self.distributed_available_fn)():
                return
            group = process_group if process_group is not None else self.process_group
            fn = functools.partial(gather_all_tensors, group=group)
        self._cache = {k: _copy_state(v) for k, v in self.metric_state.items()}
        for name, reduce_fn in self._reductions.items():
            local = getattr(self, name)
            if isinstance(local, list):
                local_array = dim_zero_cat(local) if local else np.zeros((0,), np.float32)
            else:
                local_array = to_numpy(local)
            gathered = fn(local_array)
            if reduce_fn is dim_zero_cat or isinstance(local, list):
                parts = [np.atleast_1d(g) for g in gathered]
                parts = [g for g in parts if g.size] or parts[:1]  # a rank that saw nothing adds nothing
                value = [np.concatenate(parts)] if isinstance(local, list) else np.concatenate(parts)
            else:
                stacked = np.stack([to_numpy(g) for g in gathered])
                value = _like(to_numpy(reduce_fn(stacked)) if reduce_fn else stacked, local)
            setattr(self, name, value)

    def unsync(self, should_unsync: bool = True) -> None:
        """Restore the local states saved by `sync`."""
        if should_unsync and self._cache is not None:
            for k, v in self._cache.items():
                setattr(self, k, v)
            self._cache = None

    # ----------------------------------------------------------- persistence
    def persistent(self, mode: bool = False) -> None:
        for name in self._persistent:
            self._persistent[name] = mode

    def state_dict(  # type: ignore[override]  # torchmetrics' signature: Module's also takes *args
            self, destination: Optional[dict] = None, prefix: str = "", keep_vars: bool = False) -> dict:
        """Persistent states only (``add_state(..., persistent=True)`` or `persistent(True)`), as ember tensors."""
        out = {} if destination is None else destination
        for name, value in self.metric_state.items():
            if self._persistent[name]:
                wrap = (lambda a: as_tensor(np.array(to_numpy(a))))
                out[prefix + name] = [wrap(v) for v in value] if isinstance(value, list) else wrap(value)
        for name, child in self._modules.items():  # wrapped metrics (and modules) keep their own prefix
            if child is not None:
                child.state_dict(destination=out, prefix=f"{prefix}{name}.", keep_vars=keep_vars)
        return out

    def load_state_dict(self, state_dict: dict, strict: bool = True, assign: bool = False) -> None:
        """Replace the states by those in ``state_dict`` (a state is a new array either way, so ``assign`` changes
        nothing)."""
        for name in self._defaults:
            if name in state_dict:
                value = state_dict[name]
                setattr(self, name, [to_numpy(v) for v in value] if isinstance(value, list) else
                        _like(np.array(to_numpy(value)), self._defaults[name]))
            elif strict and self._persistent[name]:
                raise KeyError(f"Missing key {name!r} in state_dict of {type(self).__name__}")
        self._computed = None

    def to(self, *args: Any, **kwargs: Any) -> "Metric":
        return self

    cpu = to

    def plot(self, val: Any = None, ax: Any = None):
        """Plot a value (default: `compute()`) or a sequence of values over steps; returns (figure, axes)."""
        from .plot import plot_metric

        return plot_metric(self, val, ax)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"



def _wrap_update(update: Callable) -> Callable:
    """Count updates, drop the cached value, and restore the states if the update raises."""
    @functools.wraps(update)
    def wrapped(self: Metric, *args: Any, **kwargs: Any) -> None:
        if self._in_update:  # a subclass's update calling super().update()
            return update(self, *args, **kwargs)
        saved = None if self._atomic_update else {k: _copy_state(v) for k, v in self.metric_state.items()}
        self._in_update = True
        try:
            update(self, *args, **kwargs)
        except BaseException:
            if saved is not None:
                for k, v in saved.items():
                    setattr(self, k, v)
            raise
        finally:
            self._in_update = False
        self._computed = None
        self._update_count += 1
    return wrapped


def _wrap_compute(compute: Callable) -> Callable:
    """Warn before any update, sync states across processes if a hook is set, cache, wrap the result as tensors."""
    @functools.wraps(compute)
    def wrapped(self: Metric) -> Any:
        if self._in_compute:
            return compute(self)
        if self._update_count == 0:
            warnings.warn(f"The ``compute`` method of metric {type(self).__name__} was called before the ``update`` "
                          "method which may lead to errors, as metric states have not yet been updated.", UserWarning)
        if self._computed is not None:
            return self._computed
        self._in_compute = True
        try:
            self.sync(should_sync=self._to_sync)
            value = to_tensor(_squeeze_if_scalar(compute(self)))
        finally:
            self.unsync()
            self._in_compute = False
        if self.compute_with_cache:
            self._computed = value
        return value
    return wrapped


def _update_kwargs(metric: Metric, kwargs: dict) -> dict:
    """The keyword arguments ``metric.update`` accepts (all of them if it takes ``**kwargs``)."""
    import inspect

    params = inspect.signature(metric.update).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return kwargs
    return {k: v for k, v in kwargs.items() if k in params and params[k].kind is not inspect.Parameter.VAR_POSITIONAL}


class CompositionalMetric(Metric):
    """``op(metric_a.compute(), metric_b.compute())`` (or ``op(metric_a.compute())`` when ``metric_b`` is None),
    where either operand may also be a number or tensor; built by the operators of `Metric` (``m1 + m2``).
    update/forward/reset go to the operand metrics (torchmetrics.metric.CompositionalMetric)."""

    def __init__(self, operator: Callable, metric_a: Any, metric_b: Any) -> None:
        super().__init__(compute_with_cache=False)
        self.op, self.metric_a, self.metric_b = operator, metric_a, metric_b

    def _apply(self, a, b):
        if isinstance(self.metric_b, Metric) and b is None:
            return None
        a = to_numpy(a)
        return to_tensor(self.op(a) if self.metric_b is None else self.op(a, to_numpy(b)))

    def _operands(self):
        return [m for m in (self.metric_a, self.metric_b) if isinstance(m, Metric)]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for m in self._operands():
            m.update(*args, **_update_kwargs(m, kwargs))

    def compute(self) -> Any:
        value = lambda m: m.compute() if isinstance(m, Metric) else m  # noqa: E731
        return self._apply(value(self.metric_a), value(self.metric_b))

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        value = lambda m: m(*args, **_update_kwargs(m, kwargs)) if isinstance(m, Metric) else m  # noqa: E731
        a, b = value(self.metric_a), value(self.metric_b)
        self._update_count += 1
        return None if a is None else self._apply(a, b)

    def reset(self) -> None:
        super().reset()
        for m in self._operands():
            m.reset()

    def persistent(self, mode: bool = False) -> None:
        for m in self._operands():
            m.persistent(mode)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(\n  {getattr(self.op, '__name__', 'op')}(\n    {self.metric_a!r},\n    {self.metric_b!r}\n  )\n)"
