"""Learning-rate schedulers, step for step identical to ``torch.optim.lr_scheduler``.

A scheduler rewrites ``group["lr"]`` of every param group of an optimizer each time its
``step()`` is called (once per epoch or per batch, after ``optimizer.step()``). Symbols used in
the formulas: t = ``last_epoch`` (number of ``step()`` calls so far), lr₀ = ``base_lrs[i]`` (the
group's ``initial_lr``), lrₜ = the group's lr after step t.

Most schedulers update in torch's *chainable* (recursive) form lrₜ = lrₜ₋₁ · rₜ, so that several
schedulers can drive one optimizer and a manual change of ``group["lr"]`` carries forward; the
closed form lrₜ = lr₀ · f(t) is used when ``step(epoch)`` is given an epoch (deprecated, as in
torch). Beyond torch: every scheduler has :meth:`LRScheduler.preview`, and :func:`preview_lr`
previews a schedule without any optimizer.
"""
from __future__ import annotations

import copy
import math
import types
import warnings
from bisect import bisect_right
from collections import Counter

__all__ = [
    "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
    "ExponentialLR", "SequentialLR", "CosineAnnealingLR", "ChainedScheduler", "ReduceLROnPlateau",
    "CyclicLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "PolynomialLR", "LRScheduler",
    "preview_lr",
]

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
        return list(param)
    return [param] * len(optimizer.param_groups)


def _lrs(optimizer):
    return [group["lr"] for group in optimizer.param_groups]


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
        supports float learning rates only (not Tensor lrs).
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
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                        f"scheduler with last_epoch >= 0 (last_epoch={last_epoch}). Load the "
                        "optimizer's state_dict first, or use last_epoch=-1 for a fresh run.")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
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
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in groups]

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
        [[1.0, 0.8535533905932737, 0.5, 0.14644660595..., 0.0]]
    """
    if param_groups is None:
        param_groups = [{"lr": lr, "momentum": 0.0}]
    groups = [dict(g) for g in param_groups]
    defaults = {k: v for k, v in groups[0].items() if k not in ("params", "initial_lr")}
    scheduler = scheduler_cls(_ShadowOptimizer(groups, defaults), **kwargs)
    if isinstance(scheduler, ReduceLROnPlateau):
        return scheduler.preview(n_steps, metrics)
    return scheduler.preview(n_steps)


# ----------------------------------------------------------------------------- lambda schedules
def _lambdas(optimizer, lr_lambda):
    n = len(optimizer.param_groups)
    if not isinstance(lr_lambda, (list, tuple)):
        return [lr_lambda] * n
    if len(lr_lambda) != n:
        raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
    return list(lr_lambda)


class _LambdaStateMixin:
    """state_dict/load_state_dict that store callable objects' __dict__ and skip plain functions."""

    def state_dict(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = _callable_state(self.lr_lambdas)
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        lambdas = state.pop("lr_lambdas")
        self.__dict__.update(state)
        _load_callable_state(self.lr_lambdas, lambdas)


class LambdaLR(_LambdaStateMixin, LRScheduler):
    """Scale the initial lr by a user function of the epoch.

        lrₜ = lr₀ · λ(t)

    Args:
        optimizer: wrapped optimizer.
        lr_lambda: a function of the integer epoch, or a list with one function per param group
            (a list of the wrong length raises ValueError).
        last_epoch: index of the last epoch. Default: -1.

    Torch parity:
        Matches torch.optim.lr_scheduler.LambdaLR (tests/optim/test_lr_scheduler.py); state_dict
        stores the ``__dict__`` of callable objects and None for functions, as torch does.

    Example:
        >>> scheduler = LambdaLR(optimizer, lr_lambda=[lambda epoch: epoch // 30])
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t = self.last_epoch
        return [base_lr * lmbda(t) for lmbda, base_lr in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(_LambdaStateMixin, LRScheduler):
    """Multiply the current lr by a user function of the epoch at every step.

        lrₜ = lrₜ₋₁ · λ(t)        (t ≥ 1; the initial step leaves the lr unchanged)

    Args:
        optimizer: wrapped optimizer.
        lr_lambda: a function of the integer epoch, or a list with one function per param group.
        last_epoch: index of the last epoch. Default: -1.

    Torch parity:
        Matches torch.optim.lr_scheduler.MultiplicativeLR, including the TypeError for a
        non-callable lr_lambda.

    Example:
        >>> scheduler = MultiplicativeLR(optimizer, lr_lambda=lambda epoch: 0.95)
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups = self.optimizer.param_groups
        if self._is_initial:
            return _lrs(self.optimizer)
        t = self.last_epoch
        return [group["lr"] * lmbda(t) for lmbda, group in zip(self.lr_lambdas, groups)]


# ----------------------------------------------------------------------------- step-wise decays
class StepLR(LRScheduler):
    """Decay the lr by γ every ``step_size`` epochs.

        lrₜ = lr₀ · γ^⌊t / step_size⌋       (chainable: lrₜ = lrₜ₋₁ · γ when t > 0 and step_size | t)

    Args:
        optimizer: wrapped optimizer.
        step_size: period of the decay, in epochs.
        gamma: γ, multiplicative decay factor. Default: 0.1.
        last_epoch: index of the last epoch. Default: -1.

    Torch parity:
        Matches torch.optim.lr_scheduler.StepLR (chainable and closed form).

    Example:
        >>> scheduler = StepLR(optimizer, step_size=30, gamma=0.1)   # 0.05 → 0.005 at epoch 30 ...
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t = self.last_epoch
        if t == 0 or t % self.step_size != 0:
            return _lrs(self.optimizer)
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Decay the lr by γ at each milestone epoch.

        lrₜ = lr₀ · γ^(number of milestones ≤ t)      (a milestone listed k times decays by γᵏ)

    Args:
        optimizer: wrapped optimizer.
        milestones: epoch indices, increasing.
        gamma: γ, multiplicative decay factor. Default: 0.1.
        last_epoch: index of the last epoch. Default: -1.

    Torch parity:
        Matches torch.optim.lr_scheduler.MultiStepLR (milestones kept as a Counter, as in torch).

    Example:
        >>> scheduler = MultiStepLR(optimizer, milestones=[30, 80], gamma=0.1)
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t = self.last_epoch
        if t not in self.milestones:
            return _lrs(self.optimizer)
        factor = self.gamma ** self.milestones[t]
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        milestones = sorted(self.milestones.elements())
        return [base_lr * self.gamma ** bisect_right(milestones, self.last_epoch) for base_lr in self.base_lrs]


class ConstantLR(LRScheduler):
    """Scale the lr by a constant factor for the first ``total_iters`` epochs.

        lrₜ = lr₀ · factor   if t < total_iters,   lr₀ otherwise

    Args:
        optimizer: wrapped optimizer.
        factor: scale in [0, 1] applied until the milestone. Default: 1/3.
        total_iters: number of epochs the factor is applied. Default: 5.
        last_epoch: index of the last epoch. Default: -1.

    Torch parity:
        Matches torch.optim.lr_scheduler.ConstantLR (chainable: × factor at t = 0, ÷ factor at
        t = total_iters), including the ValueError for a factor outside [0, 1].

    Example:
        >>> scheduler = ConstantLR(optimizer, factor=0.5, total_iters=4)
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if factor > 1.0 or factor < 0:
            raise ValueError(
                f"Constant multiplicative factor expected to be between 0 and 1, but got factor={factor}.")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t = self.last_epoch
        groups = self.optimizer.param_groups
        if t == 0:
            return [group["lr"] * self.factor for group in groups]
        if t != self.total_iters:
            return _lrs(self.optimizer)
        return [group["lr"] * (1.0 / self.factor) for group in groups]

    def _get_closed_form_lr(self):
        scale = self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor)
        return [base_lr * scale for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """Ramp the lr's scale linearly from ``start_factor`` to ``end_factor`` over ``total_iters`` epochs.

        lrₜ = lr₀ · (s + (e − s) · min(t, total_iters) / total_iters)      (s = start_factor, e = end_factor)

    chainable: lrₜ = lrₜ₋₁ · (1 + (e − s) / (total_iters·s + (t − 1)·(e − s)))  for 1 ≤ t ≤ total_iters.

    Args:
        optimizer: wrapped optimizer.
        start_factor: scale at epoch 0, in (0, 1]. Default: 1/3.
        end_factor: scale from ``total_iters`` on, in [0, 1]. Default: 1.0.
        total_iters: number of epochs of the ramp. Default: 5.
        last_epoch: index of the last epoch. Default: -1.

    Torch parity:
        Matches torch.optim.lr_scheduler.LinearLR, including its ValueErrors for the factors.

    Example:
        >>> warmup = LinearLR(optimizer, start_factor=0.01, total_iters=10)
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and less "
                             f"or equal to 1, but got start_factor={start_factor}.")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError(f"Ending multiplicative factor expected to be between 0 and 1, but got end_factor={end_factor}.")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t = self.last_epoch
        groups = self.optimizer.param_groups
        if t == 0:
            return [group["lr"] * self.start_factor for group in groups]
        if self._is_initial or t > self.total_iters:
            return _lrs(self.optimizer)
        s, e = self.start_factor, self.end_factor
        ratio = 1.0 + (e - s) / (self.total_iters * s + (t - 1) * (e - s))
        return [group["lr"] * ratio for group in groups]

    def _get_closed_form_lr(self):
        s, e = self.start_factor, self.end_factor
        return [base_lr * (s + (e - s) * min(self.total_iters, self.last_epoch) / self.total_iters)
                for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Decay the lr by γ every epoch.

        lrₜ = lr₀ · γᵗ        (chainable: lrₜ = lrₜ₋₁ · γ)

    Args:
        optimizer: wrapped optimizer.
        gamma: γ, multiplicative decay factor.
        last_epoch: index of the last epoch. Default: -1.

    Torch parity:
        Matches torch.optim.lr_scheduler.ExponentialLR.

    Example:
        >>> scheduler = ExponentialLR(optimizer, gamma=0.95)
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return _lrs(self.optimizer)
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decay the lr polynomially to zero over ``total_iters`` epochs.

        lrₜ = lr₀ · (1 − min(t, total_iters) / total_iters)^power

    chainable: lrₜ = lrₜ₋₁ · ((1 − t/T) / (1 − (t−1)/T))^power for 1 ≤ t ≤ T = total_iters.

    Args:
        optimizer: wrapped optimizer.
        total_iters: number of epochs of the decay. Default: 5.
        power: exponent of the polynomial. Default: 1.0.
        last_epoch: index of the last epoch. Default: -1.

    Torch parity:
        Matches torch.optim.lr_scheduler.PolynomialLR.

    Example:
        >>> scheduler = PolynomialLR(optimizer, total_iters=50, power=0.9)
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t = self.last_epoch
        if self._is_initial or t > self.total_iters:
            return _lrs(self.optimizer)
        T = self.total_iters
        decay = ((1.0 - t / T) / (1.0 - (t - 1) / T)) ** self.power
        return [group["lr"] * decay for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        T = self.total_iters
        return [base_lr * (1.0 - min(T, self.last_epoch) / T) ** self.power for base_lr in self.base_lrs]


# ----------------------------------------------------------------------------- cosine schedules
class CosineAnnealingLR(LRScheduler):
    """Anneal the lr along a half cosine from lr₀ to η_min over ``T_max`` epochs (SGDR without restarts).

        lrₜ = η_min + (lr₀ − η_min) · (1 + cos(π·t / T_max)) / 2

    in torch's recursive form, which is what step() computes:

        lrₜ = η_min + (lrₜ₋₁ − η_min) · (1 + cos(π·t/T_max)) / (1 + cos(π·(t−1)/T_max))
        lrₜ = lrₜ₋₁ + (lr₀ − η_min) · (1 − cos(π/T_max)) / 2      when (t − 1 − T_max) mod 2·T_max = 0

    Past T_max the lr rises again (the cosine continues, a period of 2·T_max); the second line
    restarts the climb from η_min, where the ratio form would be stuck. Because the form is
    recursive, a change of the lr made by something else (another scheduler, user code) carries
    forward instead of being overwritten.

    Args:
        optimizer: wrapped optimizer.
        T_max: number of epochs of the half cosine.
        eta_min: η_min, the minimum lr. Default: 0.
        last_epoch: index of the last epoch. Default: -1.

    Torch parity:
        Matches torch.optim.lr_scheduler.CosineAnnealingLR, including its behaviour past T_max and
        after an outside change of the lr (tests/optim/test_lr_scheduler.py).

    Reference:
        Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", ICLR 2017.
        https://arxiv.org/abs/1608.03983

    Example:
        >>> scheduler = CosineAnnealingLR(optimizer, T_max=100, eta_min=1e-5)
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._step_count == 1 and t > 0:
            return [eta_min + (base_lr - eta_min) * (1 + math.cos(t * math.pi / T)) / 2
                    for base_lr in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:
            bump = (1 - math.cos(math.pi / T)) / 2
            return [group["lr"] + (base_lr - eta_min) * bump for base_lr, group in zip(self.base_lrs, groups)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (group["lr"] - eta_min) + eta_min for group in groups]

    def _get_closed_form_lr(self):
        eta_min = self.eta_min
        c = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [eta_min + (base_lr - eta_min) * c for base_lr in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing with warm restarts (SGDR): periods of length T₀, T₀·T_mult, T₀·T_mult², ...

        lr = η_min + (lr₀ − η_min) · (1 + cos(π · T_cur / T_i)) / 2

    T_cur counts epochs since the last restart and T_i is the current period. ``step(epoch)``
    accepts fractional epochs (e.g. ``epoch + batch / n_batches``) and jumps there in closed form.

    Args:
        optimizer: wrapped optimizer.
        T_0: length of the first period, a positive integer (ValueError otherwise).
        T_mult: integer ≥ 1 by which each period grows after a restart. Default: 1.
        eta_min: η_min, the minimum lr. Default: 0.
        last_epoch: index of the last epoch. Default: -1.

    Torch parity:
        Matches torch.optim.lr_scheduler.CosineAnnealingWarmRestarts for integer and fractional
        epochs, with torch's ValueErrors (T_0, T_mult, eta_min, negative epoch).

    Reference:
        Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", ICLR 2017.
        https://arxiv.org/abs/1608.03983

    Example:
        >>> scheduler = CosineAnnealingWarmRestarts(optimizer, T_0=10, T_mult=2)
        >>> for epoch in range(20):
        ...     for i, batch in enumerate(loader):
        ...         train(batch); scheduler.step(epoch + i / len(loader))
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min} of type {type(eta_min)}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        eta_min = self.eta_min
        c = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [eta_min + (base_lr - eta_min) * c for base_lr in self.base_lrs]

    def step(self, epoch=None):
        """Advance one epoch, or jump to ``epoch`` (may be fractional)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            T_0, T_mult = self.T_0, self.T_mult
            if epoch >= T_0:
                if T_mult == 1:
                    self.T_cur = epoch % T_0
                else:
                    n = int(math.log(epoch / T_0 * (T_mult - 1) + 1, T_mult))
                    self.T_cur = epoch - T_0 * (T_mult ** n - 1) / (T_mult - 1)
                    self.T_i = T_0 * T_mult ** n
            else:
                self.T_i = T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        groups = self.optimizer.param_groups
        for group, lr in zip(groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in groups]


# ----------------------------------------------------------------------------- cyclical schedules
def _set_momentum(group, momentum, use_beta1):
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


def _init_momentum_cycle(scheduler, optimizer, base_momentum, max_momentum, last_epoch):
    """Shared CyclicLR/OneCycleLR set-up: momentum (or Adam's β₁) starts at max_momentum."""
    defaults = getattr(optimizer, "defaults", {})
    if "momentum" not in defaults and "betas" not in defaults:
        raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
    scheduler.use_beta1 = "betas" in defaults
    max_momentums = _format_param("max_momentum", optimizer, max_momentum)
    base_momentums = _format_param("base_momentum", optimizer, base_momentum)
    if last_epoch == -1:
        for m_max, m_base, group in zip(max_momentums, base_momentums, optimizer.param_groups):
            _set_momentum(group, m_max, scheduler.use_beta1)
            group["max_momentum"] = m_max
            group["base_momentum"] = m_base
    return base_momentums, max_momentums


class CyclicLR(LRScheduler):
    """Cyclical learning rate: the lr goes up and down between base_lr and max_lr (one step per batch).

        cycle = ⌊1 + t / (up + down)⌋,   x = 1 + t/(up + down) − cycle ∈ [0, 1)
        h = x / ρ if x ≤ ρ else (x − 1)/(ρ − 1)            (ρ = up / (up + down); h rises 0→1→0)
        lrₜ = base_lr + (max_lr − base_lr) · h · scale(s)
        momentumₜ = max_m − (max_m − base_m) · h · scale(s)   (if cycle_momentum)

    with s = cycle (scale_mode "cycle") or s = t ("iterations") and
    scale = 1 ("triangular"), 1 / 2^(cycle−1) ("triangular2"), γᵗ ("exp_range") or ``scale_fn``.

    Args:
        optimizer: wrapped optimizer.
        base_lr: lower lr bound(s), one per group or one for all; becomes the groups' initial lr.
        max_lr: upper lr bound(s).
        step_size_up: iterations of the rising half. Default: 2000.
        step_size_down: iterations of the falling half. Default: step_size_up.
        mode: "triangular", "triangular2" or "exp_range" (ignored if scale_fn is given).
        gamma: γ of "exp_range". Default: 1.0.
        scale_fn: custom scale function of one argument, with 0 ≤ scale_fn(x) ≤ 1.
        scale_mode: "cycle" or "iterations", the argument given to a custom scale_fn.
        cycle_momentum: also cycle momentum (or Adam's β₁) inversely to the lr. Default: True.
        base_momentum: lower momentum bound(s). Default: 0.8.
        max_momentum: upper momentum bound(s). Default: 0.9.
        last_epoch: index of the last batch. Default: -1.

    Torch parity:
        Matches torch.optim.lr_scheduler.CyclicLR in all three modes, custom scale_fn and
        momentum cycling (``momentum`` or ``betas[0]``), with torch's ValueErrors.

    Reference:
        Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017.
        https://arxiv.org/abs/1506.01186

    Example:
        >>> scheduler = CyclicLR(optimizer, base_lr=0.01, max_lr=0.1, step_size_up=100)
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle", cycle_momentum=True,
                 base_momentum=0.8, max_momentum=0.9, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        base_lrs = _format_param("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _format_param("max_lr", optimizer, max_lr)
        step_size_up = float(step_size_up)
        step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(f"mode is invalid and scale_fn is None: mode={mode!r}, expected "
                             "'triangular', 'triangular2' or 'exp_range', or a scale_fn")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_mode()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.base_momentums, self.max_momentums = _init_momentum_cycle(
                self, optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_mode(self):
        if self._scale_fn_custom is None:
            self.scale_mode = "iterations" if self.mode == "exp_range" else "cycle"

    def scale_fn(self, x):
        """The amplitude scale of the cycle at x (cycle number or iteration, see scale_mode)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def get_lr(self):
        t = self.last_epoch
        cycle = math.floor(1 + t / self.total_size)
        x = 1.0 + t / self.total_size - cycle
        h = x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else t)
        lrs = [base_lr + (max_lr - base_lr) * h * scale for base_lr, max_lr in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, m_base, m_max in zip(self.optimizer.param_groups, self.base_momentums, self.max_momentums):
                _set_momentum(group, m_max - (m_max - m_base) * h * scale, self.use_beta1)
        return lrs

    def state_dict(self):
        state = super().state_dict()
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = None if fn is None else _callable_state([fn])[0]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        fn_state = state.pop("_scale_fn_custom")
        super().load_state_dict(state)
        if fn_state is not None and self._scale_fn_custom is not None:
            self._scale_fn_custom.__dict__.update(fn_state)
        self._init_scale_mode()


def _anneal_cos(start, end, pct):
    """Cosine from start (pct = 0) to end (pct = 1): end + (start − end)/2 · (1 + cos(π·pct))."""
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def _anneal_linear(start, end, pct):
    """Straight line from start (pct = 0) to end (pct = 1)."""
    return (end - start) * pct + start


class OneCycleLR(LRScheduler):
    """The 1cycle policy: warm up from max_lr/div_factor to max_lr, then anneal far below (per batch).

        phase 1, steps 0 … pct_start·N − 1:    lr: initial_lr → max_lr,  momentum: max_m → base_m
        phase 2, … N − 1:                      lr: max_lr → min_lr,      momentum: base_m → max_m
        initial_lr = max_lr / div_factor,   min_lr = initial_lr / final_div_factor,   N = total_steps

    Each phase interpolates with ``anneal_strategy`` ("cos": end + (start − end)·(1 + cos(π·p))/2,
    "linear": start + (end − start)·p; p = fraction of the phase done). With ``three_phase`` the
    warm-up is mirrored (max_lr → initial_lr over the next pct_start·N steps) and the last phase
    anneals initial_lr → min_lr. Stepping more than ``total_steps`` times raises ValueError.

    Args:
        optimizer: wrapped optimizer.
        max_lr: peak lr(s), one per group or one for all.
        total_steps: total number of steps; or give ``epochs`` and ``steps_per_epoch``.
        epochs, steps_per_epoch: total_steps = epochs · steps_per_epoch.
        pct_start: fraction of the cycle spent increasing the lr. Default: 0.3.
        anneal_strategy: "cos" or "linear". Default: "cos".
        cycle_momentum: cycle momentum (or Adam's β₁) inversely to the lr. Default: True.
        base_momentum: lower momentum bound(s). Default: 0.85.
        max_momentum: upper momentum bound(s). Default: 0.95.
        div_factor: initial_lr = max_lr / div_factor. Default: 25.
        final_div_factor: min_lr = initial_lr / final_div_factor. Default: 1e4.
        three_phase: use the three-phase schedule of fast.ai. Default: False.
        last_epoch: index of the last batch. Default: -1.

    Torch parity:
        Matches torch.optim.lr_scheduler.OneCycleLR (both strategies, three_phase, momentum and
        betas cycling, the ValueErrors). A step past total_steps raises torch's ValueError and,
        unlike torch, leaves last_epoch unchanged.

    Reference:
        Smith & Topin, "Super-Convergence: Very Fast Training of Neural Networks Using Large
        Learning Rates", 2017. https://arxiv.org/abs/1708.07120

    Example:
        >>> scheduler = OneCycleLR(optimizer, max_lr=0.1, steps_per_epoch=len(loader), epochs=10)
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError(f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        N = self.total_steps
        if three_phase:
            self._schedule_phases = [
                {"end_step": float(pct_start * N) - 1, "start_lr": "initial_lr", "end_lr": "max_lr",
                 "start_momentum": "max_momentum", "end_momentum": "base_momentum"},
                {"end_step": float(2 * pct_start * N) - 2, "start_lr": "max_lr", "end_lr": "initial_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
                {"end_step": N - 1, "start_lr": "initial_lr", "end_lr": "min_lr",
                 "start_momentum": "max_momentum", "end_momentum": "max_momentum"}]
        else:
            self._schedule_phases = [
                {"end_step": float(pct_start * N) - 1, "start_lr": "initial_lr", "end_lr": "max_lr",
                 "start_momentum": "max_momentum", "end_momentum": "base_momentum"},
                {"end_step": N - 1, "start_lr": "max_lr", "end_lr": "min_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"}]
        if not isinstance(pct_start, float) or pct_start < 0 or pct_start > 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._anneal_func_type = anneal_strategy
        max_lrs = _format_param("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for m, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = m / div_factor
                group["max_lr"] = m
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            _init_momentum_cycle(self, optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"Tried to step {step} times. The specified number of total steps is {self.total_steps}")
        anneal = _anneal_cos if self._anneal_func_type == "cos" else _anneal_linear
        phases = self._schedule_phases
        start = 0.0
        for i, phase in enumerate(phases):          # the phase is the same for every group
            end = phase["end_step"]
            if step <= end or i == len(phases) - 1:
                break
            start = end
        pct = (step - start) / (end - start)
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
            if self.cycle_momentum:
                momentum = anneal(group[phase["start_momentum"]], group[phase["end_momentum"]], pct)
                _set_momentum(group, momentum, self.use_beta1)
        return lrs


# ----------------------------------------------------------------------------- metric-driven
class ReduceLROnPlateau(LRScheduler):
    """Reduce the lr by ``factor`` when a metric has stopped improving for ``patience`` epochs.

        better(a, best) = a < best·(1 − threshold)   (mode "min", threshold_mode "rel")
                          a < best − threshold        ("min", "abs")
                          a > best·(1 + threshold)   ("max", "rel");   a > best + threshold  ("max", "abs")
        after more than ``patience`` non-improving epochs (outside cooldown):
            lr ← max(lr · factor, min_lr)   if the decrease exceeds eps;  then ``cooldown`` idle epochs

    Args:
        optimizer: wrapped optimizer.
        mode: "min" (metric should decrease) or "max". Default: "min".
        factor: multiplicative reduction, < 1. Default: 0.1.
        patience: number of non-improving epochs tolerated. Default: 10.
        threshold: minimal significant change. Default: 1e-4.
        threshold_mode: "rel" or "abs". Default: "rel".
        cooldown: epochs to wait after a reduction before counting again. Default: 0.
        min_lr: lower bound(s) on the lr, one for all groups or one per group. Default: 0.
        eps: reductions smaller than eps are skipped. Default: 1e-8.

    Torch parity:
        Matches torch.optim.lr_scheduler.ReduceLROnPlateau (same state, errors and
        state_dict). ``step(metrics)`` takes the metric; ``preview(n_steps, metrics)`` needs the
        metric sequence to preview.

    Example:
        >>> scheduler = ReduceLROnPlateau(optimizer, mode="min", patience=5)
        >>> for epoch in range(100):
        ...     val_loss = validate(...); scheduler.step(val_loss)
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        if factor >= 1.0:
            raise ValueError(f"Factor should be < 1.0, but got factor={factor}.")
        self.factor = factor
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"expected {n} min_lrs, got {len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * n
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = _lrs(optimizer)
        self._init_is_better(mode=mode, threshold=threshold, threshold_mode=threshold_mode)
        self._reset()

    def _reset(self):
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics, epoch=None):
        """Record one epoch's metric and reduce the lr if it has plateaued."""
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = _lrs(self.optimizer)

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"The number of param groups in the `optimizer` ({len(groups)}) differs from when "
                    f"`ReduceLROnPlateau` was initialized ({len(self.min_lrs)}), usually due to a new "
                    "param group being added to the optimizer. Please modify the `min_lrs` field to "
                    "match the length of the `optimizer` param groups.")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def _is_better(self, a, best):
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def _init_is_better(self, mode, threshold, threshold_mode):
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode} is unknown! Expected 'min' or 'max'.")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold mode {threshold_mode} is unknown! Expected 'rel' or 'abs'.")
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._init_is_better(mode=self.mode, threshold=self.threshold, threshold_mode=self.threshold_mode)

    def _step_for_preview(self, k):
        self.step(self._preview_metrics[k])

    def preview(self, n_steps, metrics=None):
        """The next ``n_steps`` lrs per group if ``step`` were fed ``metrics`` (n_steps − 1 values)."""
        metrics = list(metrics) if metrics is not None else []
        if len(metrics) < n_steps - 1:
            raise ValueError(f"ReduceLROnPlateau.preview needs n_steps - 1 = {n_steps - 1} metrics, "
                             f"got {len(metrics)}")
        self._preview_metrics = metrics
        try:
            return super().preview(n_steps)
        finally:
            del self._preview_metrics


# ----------------------------------------------------------------------------- composites
def _check_children(composite, optimizer, schedulers):
    name = type(composite).__name__
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{name} at index {i} should have `optimizer` as its attribute.")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(
                f"{name} does not support `ReduceLROnPlateau` scheduler as it requires additional "
                "kwargs to be specified when calling `step`, but got one at index "
                f"{i} in the given schedulers sequence.")
        if optimizer is not scheduler.optimizer:
            raise ValueError(
                f"{name} expects all schedulers to belong to the same optimizer, but got scheduler "
                f"{type(scheduler).__name__} at index {i} has {scheduler.optimizer}, which is "
                f"different from {type(optimizer).__name__}.")


class _CompositeState:
    """state_dict/load_state_dict of a scheduler made of schedulers.

    Deliberate difference from torch: ``load_state_dict`` also writes the saved lrs (``_last_lr``)
    back into the optimizer's param groups. torch leaves them as the constructor set them, so a
    run resumed by loading the optimizer's state *before* building the schedulers (pytorch issue
    #119168) continues from the wrong lr. With ember both load orders resume exactly.
    """

    def state_dict(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        children = state.pop("_schedulers")
        self.__dict__.update(state)
        for scheduler, child in zip(self._schedulers, children):
            scheduler.load_state_dict(child)
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr


class SequentialLR(_CompositeState, LRScheduler):
    """Run schedulers one after another, switching at the milestone epochs.

        scheduler k drives epochs milestones[k−1] ≤ t < milestones[k]; at a milestone it restarts
        from its own epoch 0 (closed form), e.g. a warm-up followed by a cosine decay.

    Args:
        optimizer: wrapped optimizer (shared by all schedulers).
        schedulers: list of schedulers, built on ``optimizer`` (not ReduceLROnPlateau).
        milestones: len(schedulers) − 1 epochs at which the next scheduler takes over.
        last_epoch: index of the last epoch. Default: -1.

    Torch parity:
        Same lr sequence, attributes and errors as torch.optim.lr_scheduler.SequentialLR.
        Deliberate difference: ``load_state_dict`` restores the param groups' lrs too, so a resumed
        run equals the uninterrupted one whatever the load order (torch: only if the optimizer is
        loaded after the schedulers are built).

    Example:
        >>> warmup = LinearLR(optimizer, start_factor=0.1, total_iters=5)
        >>> cosine = CosineAnnealingLR(optimizer, T_max=95)
        >>> scheduler = SequentialLR(optimizer, [warmup, cosine], milestones=[5])
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        if len(schedulers) < 1:
            raise ValueError(f"{type(self).__name__} expects at least one scheduler, but got no scheduler.")
        _check_children(self, optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more than the "
                f"number of milestone points, but got number of schedulers {len(schedulers)} and the "
                f"number of milestones to be equal to {len(milestones)}")
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:        # undo what the children's constructors did
            group["lr"] = group["initial_lr"]
        self._undo_initial_steps(self)
        idx = bisect_right(milestones, 0)
        schedulers[idx]._initial_step()
        self._last_lr = schedulers[idx].get_last_lr()

    @classmethod
    def _undo_initial_steps(cls, scheduler):
        """Step every (nested) child back by the initial step its constructor took."""
        if hasattr(scheduler, "_schedulers"):
            for child in scheduler._schedulers:
                cls._undo_initial_steps(child)
        elif hasattr(scheduler, "last_epoch"):
            scheduler.last_epoch -= 1

    def recursive_undo(self, sched=None):
        """torch's name for the undo of the children's initial steps (called by the constructor)."""
        self._undo_initial_steps(self if sched is None else sched)

    def step(self):
        """Advance the active scheduler; at a milestone start the next one at its epoch 0."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_CompositeState, LRScheduler):
    """Step several schedulers together at every step; their (chainable) effects multiply.

        e.g. ConstantLR then ExponentialLR: lrₜ = lr₀ · (factor if t < total_iters else 1) · γᵗ

    Args:
        schedulers: schedulers built on the same optimizer (not ReduceLROnPlateau).
        optimizer: the optimizer; default: that of ``schedulers[0]``.

    Torch parity:
        Same lr sequence and errors as torch.optim.lr_scheduler.ChainedScheduler. Deliberate
        difference: ``load_state_dict`` restores the param groups' lrs too (see SequentialLR).

    Example:
        >>> scheduler = ChainedScheduler([ConstantLR(optimizer, factor=0.1, total_iters=2),
        ...                               ExponentialLR(optimizer, gamma=0.9)])
    """

    def __init__(self, schedulers, optimizer=None):
        if len(schedulers) < 1:
            raise ValueError(f"{type(self).__name__} expects at least one scheduler to be chained, but got no scheduler.")
        optimizer = optimizer or schedulers[0].optimizer
        _check_children(self, optimizer, schedulers)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = _lrs(schedulers[-1].optimizer)

    def step(self):
        """Step every scheduler, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = _lrs(self._schedulers[-1].optimizer)
