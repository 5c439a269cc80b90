"""Cyclical schedules that also cycle momentum: CyclicLR and OneCycleLR."""
from __future__ import annotations

import math

from ... import _errors
from ._base import LRScheduler, _callable_state, _check_optimizer, _format_param, _set_lr


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
                _set_lr(group, lr)
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
            raise _errors.anneal_strategy(anneal_strategy)
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
