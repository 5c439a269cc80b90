"""Schedules that scale the lr by a factor: lambda, step, multi-step, constant, linear,
exponential and polynomial."""
from __future__ import annotations

from bisect import bisect_right
from collections import Counter

from ._base import LRScheduler, _callable_state, _load_callable_state, _lrs


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
