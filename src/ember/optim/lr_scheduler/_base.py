"""The scheduler base class, shared helpers and the preview machinery."""
from __future__ import annotations

import copy
import types
import warnings

from ...tensor import Tensor

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available."
)


# ----------------------------------------------------------------------------- helpers
def _check_optimizer(optimizer):
    """Duck-typed optimizer check: anything with a list of param-group dicts qualifies."""
    if not isinstance(getattr(optimizer, "param_groups", None), list):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def _format_param(name, optimizer, param):
    """One value per param group: a list/tuple must have one entry per group, a scalar is repeated."""
    if isinstance(param, (list, tuple)):
        if len(param) != len(optimizer.param_groups):
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(param)} values, param_groups has {len(optimizer.param_groups)}.")
        return [_copy(p) for p in param]
    return [_copy(param) for _ in optimizer.param_groups]


def _copy(value):
    """A Tensor hyper-parameter is cloned (never aliased), a number returned as is."""
    return value.clone() if isinstance(value, Tensor) else value


def _lrs(optimizer):
    """The current lr of every group (Tensor lrs cloned, as torch does)."""
    return [_copy(group["lr"]) for group in optimizer.param_groups]


def _set_lr(group, value, key="lr"):
    """Write a group's lr; a Tensor lr is filled in place so that references to it stay valid."""
    current = group[key]
    if isinstance(current, Tensor):
        current.fill_(float(value))
    else:
        group[key] = value


def _callable_state(fns):
    """Picklable state of user callables: None for plain functions/lambdas, else a copy of __dict__."""
    return [None if isinstance(fn, types.FunctionType) else fn.__dict__.copy() for fn in fns]


def _load_callable_state(fns, states):
    for fn, state in zip(fns, states):
        if state is not None:
            fn.__dict__.update(state)


class _ShadowOptimizer:
    """Stand-in optimizer holding only param-group dicts (no parameters), used by previews."""

    def __init__(self, param_groups, defaults):
        self.param_groups = param_groups
        self.defaults = defaults

    @classmethod
    def of(cls, optimizer):
        groups = [copy.deepcopy({k: v for k, v in g.items() if k != "params"})
                  for g in optimizer.param_groups]
        defaults = {k: v for k, v in getattr(optimizer, "defaults", {}).items() if k != "params"}
        return cls(groups, defaults)


# ----------------------------------------------------------------------------- base class
class LRScheduler:
    """Base class of all learning-rate schedulers.

    A subclass implements :meth:`get_lr`, the lrs of step ``self.last_epoch`` (already incremented),
    in chainable form (from the current ``group["lr"]``) or from ``self.base_lrs``, and optionally
    ``_get_closed_form_lr`` used by the deprecated ``step(epoch)``. The base class does the rest:

        construction (last_epoch = -1): group["initial_lr"] ← group["lr"] (kept if present),
                                        base_lrs ← [group["initial_lr"]], then one initial step (t = 0)
        step():                         t ← t + 1;  group["lr"] ← get_lr()[i];  _last_lr ← lrs

    Args:
        optimizer: the wrapped optimizer (any object with a ``param_groups`` list of dicts).
        last_epoch: index of the last epoch seen. -1 (default) starts a new schedule; a value ≥ 0
            resumes one and requires ``initial_lr`` in every param group (KeyError otherwise).

    Torch parity:
        Same attributes (``last_epoch``, ``base_lrs``, ``_step_count``, ``_last_lr``), methods and
        ``state_dict()`` content (``vars(self)`` minus the optimizer) as torch.optim.lr_scheduler.
        LRScheduler. ember does not wrap ``optimizer.step`` to warn about calling
        ``scheduler.step()`` first, does not warn when ``get_lr()`` is called directly, and
        fills Tensor learning rates in place, as torch does.
        Beyond torch: :meth:`preview`.

    Example:
        >>> scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
        >>> for epoch in range(100):
        ...     train(...); scheduler.step()
    """

    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", _copy(group["lr"]))
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                        f"scheduler with last_epoch >= 0 (last_epoch={last_epoch}). Load the "
                        "optimizer's state_dict first, or use last_epoch=-1 for a fresh run.")
        self.base_lrs = [_copy(group["initial_lr"]) for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        """Reset the step count and take the initial step (t = last_epoch + 1)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        """The lrs of step ``self.last_epoch``, one per param group (called inside ``step``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr()")

    def get_last_lr(self):
        """The lrs last written by this scheduler, one per param group."""
        return self._last_lr

    def step(self, epoch=None):
        """Advance the schedule by one step (or, deprecated, jump to ``epoch`` in closed form)."""
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        previous = self.last_epoch
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
        except Exception:
            self.last_epoch = previous          # a step that raises leaves the schedule untouched
            if epoch is None:
                self._step_count -= 1
            raise
        groups = self.optimizer.param_groups
        for group, lr in zip(groups, values):
            if isinstance(group["lr"], Tensor):
                group["lr"].fill_(float(lr))
            else:
                group["lr"] = lr
        self._last_lr = _lrs(self.optimizer)

    def state_dict(self):
        """The scheduler's state: every attribute except the optimizer."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore the state returned by :meth:`state_dict`."""
        self.__dict__.update(state_dict)

    def _step_for_preview(self, k):
        self.step()

    def preview(self, n_steps):
        """The next ``n_steps`` lrs of every param group, without touching the optimizer.

        A deep copy of the scheduler drives a shadow optimizer that holds copies of the param-group
        dicts only; the real optimizer and this scheduler are left untouched.

        Returns:
            one list per param group: ``[lr now, lr after 1 more step(), ..., after n_steps-1]``.

        Example:
            >>> import matplotlib.pyplot as plt
            >>> plt.plot(scheduler.preview(300)[0])
        """
        shadow = _ShadowOptimizer.of(self.optimizer)
        clone = copy.deepcopy(self, {id(self.optimizer): shadow})
        rows = [[] for _ in shadow.param_groups]
        for k in range(n_steps):
            if k:
                clone._step_for_preview(k - 1)
            for row, group in zip(rows, shadow.param_groups):
                row.append(group["lr"])
        return rows


class _LRScheduler(LRScheduler):
    """Deprecated alias of :class:`LRScheduler`, kept for code written against torch < 2.0."""


def preview_lr(scheduler_cls, n_steps, lr=0.1, *, param_groups=None, metrics=None, **kwargs):
    """The lr sequence of a scheduler class, computed on a shadow optimizer (no parameters needed).

    Args:
        scheduler_cls: a scheduler class, e.g. ``OneCycleLR``.
        n_steps: number of lrs to return per group (the current lr, then one per ``step()``).
        lr: the optimizer's lr (one param group). Default: 0.1.
        param_groups: optional list of group dicts (each with "lr", and "momentum" or "betas" where
            the scheduler cycles momentum) instead of a single group with ``lr``.
        metrics: for ReduceLROnPlateau, the metric fed to each ``step()`` (n_steps - 1 values).
        **kwargs: the scheduler's own arguments (``T_max=100``, ``max_lr=1.0``, ...).

    Returns:
        one list of ``n_steps`` floats per param group.

    Example:
        >>> preview_lr(CosineAnnealingLR, 5, lr=1.0, T_max=4)
        [[1.0, 0.8535533905932737, 0.5, 0.14644660940672627, 0.0]]
    """
    if param_groups is None:
        param_groups = [{"lr": lr, "momentum": 0.0}]
    groups = [dict(g) for g in param_groups]
    defaults = {k: v for k, v in groups[0].items() if k not in ("params", "initial_lr")}
    scheduler = scheduler_cls(_ShadowOptimizer(groups, defaults), **kwargs)
    if metrics is not None:
        return scheduler.preview(n_steps, metrics)
    return scheduler.preview(n_steps)
