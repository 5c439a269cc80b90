"""ReduceLROnPlateau: a schedule driven by a validation metric."""
from __future__ import annotations

import math
import warnings

from ._base import EPOCH_DEPRECATION_WARNING, LRScheduler, _check_optimizer, _lrs, _set_lr


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
                _set_lr(group, new_lr)

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
