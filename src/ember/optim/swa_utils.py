"""Stochastic weight averaging (torch.optim.swa_utils): AveragedModel, SWALR, update_bn.

SWA averages the weights visited late in training (with a constant or cyclical lr), which
lands in a wider optimum that generalises better; an EMA of the weights is the other common
average. After training, ``update_bn`` recomputes the BatchNorm statistics of the averaged
weights with one pass over the data.

Reference:
    Izmailov, Podoprikhin, Garipov, Vetrov & Wilson, "Averaging Weights Leads to Wider Optima
    and Better Generalization", UAI 2018. https://arxiv.org/abs/1803.05407
"""
from __future__ import annotations

import itertools
import math
from copy import deepcopy

import numpy as np

from .. import _dtype, _errors
from ..autograd import no_grad
from ..autograd import _versions
from ..nn import Module
from .._creation import tensor
from ..tensor import Tensor
from .lr_scheduler._base import LRScheduler, _format_param

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn",
           "get_ema_avg_fn", "get_swa_avg_fn"]


# ----------------------------------------------------------------------------- averaging kernels
def swa_kernel(averaged, current, n):
    """Running mean of n + 1 values:  avg ← avg + (x − avg) / (n + 1)."""
    return averaged + (current - averaged) / (n + 1)


def ema_kernel(averaged, current, decay):
    """Exponential moving average:  avg ← decay·avg + (1 − decay)·x."""
    return decay * averaged + (1 - decay) * current


def _lerp_(start, end, weight):
    """In place start ← start + w·(end − start), with torch's two-sided lerp for accuracy.

        w < 0.5:  start + w·(end − start)        w ≥ 0.5:  end − (end − start)·(1 − w)
    """
    w = start.dtype.type(weight)
    if w < 0.5:
        start += w * (end - start)
    else:
        start[...] = end - (end - start) * (start.dtype.type(1) - w)


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place EMA over lists of tensors, for ``AveragedModel(multi_avg_fn=...)``.

        avg ← avg + (1 − decay)·(x − avg)        (= decay·avg + (1 − decay)·x; integer tensors
                                                  use the second form and truncate, as torch)

    Args:
        decay: the EMA decay in [0, 1] (ValueError otherwise). Default: 0.999.

    Torch parity: matches torch.optim.swa_utils.get_ema_multi_avg_fn (a lerp with weight 1 − decay).
    Example:  >>> ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.999))
    """
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _num_averaged):
        for p_ema, p_model in zip(ema_param_list, current_param_list):
            a, x = p_ema._data, p_model._data
            if a.dtype.kind in "fc":
                _lerp_(a, x, 1 - decay)
            else:                           # torch: float32 math, truncated by copy_
                f = np.float32
                np.copyto(a, a.astype(f) * f(decay) + x.astype(f) * f(1 - decay), casting="unsafe")
    return ema_update


def get_swa_multi_avg_fn():
    """An in-place running mean over lists of tensors, for ``AveragedModel(multi_avg_fn=...)``.

        avg ← avg + (x − avg) / (n + 1)        (n = number of models averaged so far)

    Torch parity: matches torch.optim.swa_utils.get_swa_multi_avg_fn (a lerp with weight 1/(n+1)) on
    floating tensors. Integer tensors (``use_buffers=True`` with BatchNorm's num_batches_tracked) get
    the truncated running mean of AveragedModel's default; torch's version raises there.
    Example:  >>> swa_model = AveragedModel(model, multi_avg_fn=get_swa_multi_avg_fn())
    """

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        n = int(num_averaged.item() if isinstance(num_averaged, Tensor) else num_averaged)
        for p_avg, p_model in zip(averaged_param_list, current_param_list):
            a, x = p_avg._data, p_model._data
            if a.dtype.kind in "fc":
                _lerp_(a, x, 1 / (n + 1))
            else:
                _swa_default_(a, x, n)
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """An EMA of one tensor, for ``AveragedModel(avg_fn=...)``: returns decay·avg + (1 − decay)·x.

    Args:
        decay: the EMA decay in [0, 1] (ValueError otherwise). Default: 0.999.

    Torch parity: matches torch.optim.swa_utils.get_ema_avg_fn.
    Example:  >>> ema_model = AveragedModel(model, avg_fn=get_ema_avg_fn(0.99))
    """
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return ema_kernel(ema_param, current_param, decay)
    return ema_update


def get_swa_avg_fn():
    """A running mean of one tensor, for ``AveragedModel(avg_fn=...)``: avg + (x − avg)/(n + 1).

    Torch parity: matches torch.optim.swa_utils.get_swa_avg_fn (AveragedModel's default on CPU).
    Example:  >>> swa_model = AveragedModel(model, avg_fn=get_swa_avg_fn())
    """

    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return swa_kernel(averaged_param, current_param, num_averaged)
    return swa_update


def _swa_default_(averaged, current, n):
    """AveragedModel's default update, in place on arrays: avg ← avg + (x − avg)/(n + 1)."""
    if averaged.dtype.kind in "fc":
        averaged[...] = swa_kernel(averaged, current, n)
    else:                                   # torch: float32 true division, truncated by copy_
        step = (current - averaged).astype(np.float32) / np.float32(n + 1)
        np.copyto(averaged, averaged + step, casting="unsafe")


# ----------------------------------------------------------------------------- AveragedModel
class AveragedModel(Module):
    """A copy of a model whose parameters are a running average of the model's (SWA or EMA).

    At the first ``update_parameters(model)`` the copy takes the model's values; after that,
    for each parameter (and buffer, if ``use_buffers``):

        default (SWA):   avg ← avg + (x − avg) / (n + 1)          n = n_averaged before the update
        avg_fn:          avg ← avg_fn(avg, x, n_averaged)
        multi_avg_fn:    multi_avg_fn(avg_list, x_list, n_averaged)   (updates in place)

    Without ``use_buffers`` the buffers (e.g. BatchNorm running statistics) are copied from the
    model instead of averaged; recompute them afterwards with :func:`update_bn`.

    Args:
        model: the model to average (deep-copied).
        device: if given, the copy is moved there. Default: None.
        avg_fn: averaging function of one tensor, see :func:`get_ema_avg_fn`. Default: None (SWA).
        multi_avg_fn: in-place averaging function of tensor lists, see
            :func:`get_ema_multi_avg_fn`. Default: None. At most one of avg_fn, multi_avg_fn.
        use_buffers: average the buffers as well as the parameters. Default: False.

    Attributes:
        module: the averaged copy; ``n_averaged``: int64 buffer, the number of models averaged.

    Torch parity:
        Matches torch.optim.swa_utils.AveragedModel (SWA, EMA, with and without use_buffers;
        tests/optim/test_swa_utils.py). Passing both avg_fn and multi_avg_fn raises
        AssertionError, as in torch.

    Reference:
        Izmailov et al., "Averaging Weights Leads to Wider Optima and Better Generalization",
        UAI 2018. https://arxiv.org/abs/1803.05407

    Example:
        >>> swa_model = AveragedModel(model)
        >>> ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.999))
        >>> for epoch in range(epochs):
        ...     train_one_epoch(model); swa_model.update_parameters(model)
        >>> update_bn(loader, swa_model)
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        n_averaged = tensor(0, dtype=_dtype.int64)
        if device is not None:
            self.module = self.module.to(device)
            n_averaged = n_averaged.to(device)
        self.register_buffer("n_averaged", n_averaged)
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _averaged_tensors(self, model):
        if self.use_buffers:
            return (list(itertools.chain(self.module.parameters(), self.module.buffers())),
                    list(itertools.chain(model.parameters(), model.buffers())))
        # torch iterates self.parameters() here: the same parameters, module.* prefixed
        return list(self.parameters()), list(model.parameters())

    def update_parameters(self, model):
        """Fold the current parameters of ``model`` into the average."""
        averaged, current = self._averaged_tensors(model)
        pairs = list(zip(averaged, current))
        n = int(self.n_averaged._data)
        if n == 0:
            for p_avg, p_model in pairs:
                p_avg._data[...] = p_model._data
        elif self.multi_avg_fn is not None:
            groups = {}                                  # torch groups by (device, dtype)
            for p_avg, p_model in pairs:
                groups.setdefault(p_avg._data.dtype, ([], []))
                groups[p_avg._data.dtype][0].append(p_avg.detach())
                groups[p_avg._data.dtype][1].append(p_model.detach())
            for avg_list, model_list in groups.values():
                self.multi_avg_fn(avg_list, model_list, self.n_averaged)
        elif self.avg_fn is not None:
            for p_avg, p_model in pairs:
                new = self.avg_fn(p_avg.detach(), p_model.detach(), self.n_averaged)
                new = new._data if isinstance(new, Tensor) else np.asarray(new)
                np.copyto(p_avg._data, new, casting="unsafe")
        else:
            for p_avg, p_model in pairs:
                _swa_default_(p_avg._data, p_model._data, n)
        if not self.use_buffers:
            for b_avg, b_model in zip(self.module.buffers(), model.buffers()):
                b_avg._data[...] = b_model._data
                _versions.bump(b_avg._data)
        for p_avg, _ in pairs:  # the averages changed in place, as torch's in-place updates change them
            _versions.bump(p_avg._data)
        self.n_averaged._data += 1


# ----------------------------------------------------------------------------- update_bn
def _to_device(batch, device):
    if isinstance(batch, Tensor):
        return batch.to(device)
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to_device(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: _to_device(v, device) for k, v in batch.items()}
    return batch


def update_bn(loader, model, device=None, call_fn=None):
    """Recompute the BatchNorm running statistics of ``model`` with one pass over ``loader``.

    Each BatchNorm's statistics are reset and its momentum set to None (a cumulative average over
    all batches: running_mean = mean of the batch means, running_var = mean of the unbiased batch
    variances); afterwards every momentum and the model's training mode are restored.

    Args:
        loader: an iterable of batches: tensors, tuples/lists (the first element is the input)
            or dicts (the first value is the input).
        model: the model, typically an :class:`AveragedModel`. Nothing happens without BatchNorm.
        device: if given, inputs are moved there. Default: None.
        call_fn: ``call_fn(model, batch)`` runs the forward pass on the whole batch as the loader
            yields it (after moving it to ``device``), for models that take something else, e.g.
            ``lambda m, b: m(**b)`` or ``lambda m, b: m(b[0], mask=b[2])``. Default: None.

    Torch parity:
        Same statistics as torch.optim.swa_utils.update_bn. Beyond torch: dict batches and
        ``call_fn`` (pytorch issue #49082); the model's training mode and each module's momentum
        are restored even if the forward raises.

    Example:
        >>> update_bn(train_loader, swa_model)
    """
    from ..nn.modules.normalization import _BatchNorm

    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    try:
        with no_grad():
            for batch in loader:
                if device is not None:
                    batch = _to_device(batch, device)
                if call_fn is not None:
                    call_fn(model, batch)
                    continue
                if isinstance(batch, (list, tuple)):
                    batch = batch[0]
                elif isinstance(batch, dict):
                    batch = next(iter(batch.values()))
                model(batch)
    finally:
        for module, momentum in momenta.items():
            module.momentum = momentum
        model.train(was_training)


# ----------------------------------------------------------------------------- SWALR
def _anneal_cos(t):
    """Cosine ramp from 0 to 1:  α(t) = (1 − cos(π·t)) / 2."""
    return (1 - math.cos(math.pi * t)) / 2


def _anneal_linear(t):
    """Linear ramp from 0 to 1:  α(t) = t."""
    return t


class SWALR(LRScheduler):
    """Anneal each group's lr to a constant ``swa_lr`` over ``anneal_epochs`` epochs, then hold it.

        α(τ) = (1 − cos(π·τ)) / 2  ("cos")   or   τ  ("linear"),     τ = clamp(k / anneal_epochs, 0, 1)
        lr_k = α(τ)·swa_lr + (1 − α(τ))·lr_start

    where k = number of ``step()`` calls so far and lr_start the group's lr when annealing began
    (recovered from the current lr each step, so an outside change of the lr carries over, as in
    torch). ``group["swa_lr"]`` holds each group's target.

    Args:
        optimizer: wrapped optimizer.
        swa_lr: target lr(s), one for all groups or one per group.
        anneal_epochs: number of epochs of the annealing, an int ≥ 0. Default: 10.
        anneal_strategy: "cos" or "linear" (ValueError otherwise). Default: "cos".
        last_epoch: index of the last epoch. Default: -1.

    Torch parity:
        Matches torch.optim.swa_utils.SWALR step for step, with torch's ValueErrors.

    Example:
        >>> swa_scheduler = SWALR(optimizer, swa_lr=0.05, anneal_epochs=5, anneal_strategy="linear")
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise _errors.anneal_strategy(anneal_strategy)
        self._anneal_strategy = anneal_strategy
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def anneal_func(self, t):
        """α(t), the fraction of the way from the starting lr to swa_lr."""
        return _anneal_cos(t) if self._anneal_strategy == "cos" else _anneal_linear(t)

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        """Invert lr = α·swa_lr + (1 − α)·lr_start for lr_start."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / span)))
        alpha = self.anneal_func(max(0, min(1, step / span)))
        groups = self.optimizer.param_groups
        return [group["swa_lr"] * alpha + self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha) * (1 - alpha)
                for group in groups]
