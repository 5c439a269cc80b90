"""Schedulers made of schedulers: SequentialLR and ChainedScheduler."""
from __future__ import annotations

from bisect import bisect_right

from ._base import LRScheduler, _lrs, _set_lr
from ._plateau import ReduceLROnPlateau


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
            _set_lr(group, lr)


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
            _set_lr(group, group["initial_lr"])
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
        differences: ``load_state_dict`` restores the param groups' lrs too (see SequentialLR);
        a chain inside a SequentialLR restarts at its milestone (torch raises NotImplementedError).

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

    def _update_lr(self, epoch=None):
        """Restart the chain at epoch 0, as SequentialLR does with a child at its milestone.

        torch raises NotImplementedError when a ChainedScheduler sits inside a SequentialLR; ember
        restarts every child from its epoch 0, exactly as a freshly built chain starts.
        """
        if epoch == 0:
            for group in self.optimizer.param_groups:
                _set_lr(group, group["initial_lr"])
            for scheduler in self._schedulers:
                scheduler.last_epoch = -1
                scheduler._initial_step()
        else:
            for scheduler in self._schedulers:
                scheduler._update_lr(epoch)
        self._last_lr = _lrs(self.optimizer)
