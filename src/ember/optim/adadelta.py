"""Adadelta: an adaptive learning rate from running averages of squared gradients and squared updates."""
from __future__ import annotations

import numpy as np

from .. import _errors
from .optimizer import Optimizer, _check_flags, _num

__all__ = ["Adadelta", "adadelta_update"]


def adadelta_update(param, grad, square_avg, acc_delta, *, lr, rho, eps, weight_decay, maximize):
    """One Adadelta step (reference).

        g ← −g if maximize;   g ← g + λ·θ
        v ← ρ·v + (1 − ρ)·g²
        Δ ← √(u + ε) / √(v + ε) · g
        u ← ρ·u + (1 − ρ)·Δ²
        θ ← θ − lr·Δ
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    square_avg = rho * square_avg + (1 - rho) * (g * g)
    delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * g
    acc_delta = rho * acc_delta + (1 - rho) * (delta * delta)
    return param - lr * delta, square_avg, acc_delta


class Adadelta(Optimizer):
    """Adadelta (torch.optim.Adadelta).

    For each parameter θ with gradient g (λ = weight_decay):

        g ← g + λ·θ                                  (only if λ ≠ 0; g ← −g first if maximize)
        v ← ρ·v + (1 − ρ)·g²
        Δ ← √(u + ε) / √(v + ε) · g
        u ← ρ·u + (1 − ρ)·Δ²
        θ ← θ − lr·Δ

    Args:
        params: iterable of Tensors, of (name, Tensor) pairs, or of dicts defining parameter groups.
        lr: scale of the update. Default: 1.0.
        rho: ρ, decay rate of the running averages. Default: 0.9.
        eps: ε, added inside both square roots. Default: 1e-6.
        weight_decay: λ, L2 penalty. Default: 0.
        maximize: maximize the objective. Default: False.
        foreach, capturable, differentiable: torch's implementation flags, accepted and validated (no effect;
            differentiable=True raises since the step is not recorded by autograd).

    Torch parity:
        Same arguments, defaults, errors and state ("step", "square_avg", "acc_delta") as torch.optim.Adadelta;
        matches it to rtol 1e-5 over 25+ steps.

    Reference:
        Zeiler, "ADADELTA: An Adaptive Learning Rate Method", 2012. https://arxiv.org/abs/1212.5701

    Example:
        >>> opt = ember.optim.Adadelta(model.parameters())
    """

    _flat = True
    _scalar_keys = ("step",)

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        if not 0.0 <= _num(lr):
            raise _errors.invalid_learning_rate(lr)
        if not 0.0 <= rho <= 1.0:
            raise _errors.invalid_value("rho", rho)
        if not 0.0 <= eps:
            raise _errors.invalid_value("epsilon", eps)
        if not 0.0 <= weight_decay:
            raise _errors.invalid_value("weight_decay", weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        _check_flags(defaults, differentiable=differentiable)
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("square_avg", "acc_delta")

    def _kernel(self, group):
        return adadelta_update

    def _prepare(self, group, scalars, fresh):
        return dict(lr=float(_num(group["lr"])), rho=float(group["rho"]), eps=float(group["eps"]),
                    weight_decay=float(group["weight_decay"]), maximize=bool(group["maximize"])), \
            {"step": scalars["step"] + 1}
