"""Cosine annealing (SGDR), without and with warm restarts."""
from __future__ import annotations

import math

from ._base import LRScheduler, _lrs, _set_lr


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
            return _lrs(self.optimizer)
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
            _set_lr(group, lr)
        self._last_lr = _lrs(self.optimizer)
