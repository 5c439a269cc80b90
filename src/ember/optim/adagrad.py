"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""
from __future__ import annotations

import numpy as np

from .. import _errors
from .optimizer import Optimizer, _check_flags, _num

__all__ = ["Adagrad", "adagrad_update"]


def adagrad_update(param, grad, sum, *, clr, eps, weight_decay, maximize):
    """One Adagrad step (reference).

        g ← −g if maximize;   g ← g + λ·θ
        s ← s + g²
        θ ← θ − clr · g / (√s + ε)          with clr = lr / (1 + (t − 1)·lr_decay)
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    sum = sum + g * g
    return param - clr * (g / (np.sqrt(sum) + eps)), sum


class Adagrad(Optimizer):
    """Adagrad: adaptive subgradient method (torch.optim.Adagrad).

    For each parameter θ with gradient g, at step t (λ = weight_decay):

        g ← g + λ·θ                                  (only if λ ≠ 0; g ← −g first if maximize)
        s ← s + g²                                   (s starts at initial_accumulator_value)
        θ ← θ − lr / (1 + (t − 1)·lr_decay) · g / (√s + ε)

    Args:
        params: iterable of Tensors, of (name, Tensor) pairs, or of dicts defining parameter groups.
        lr: learning rate. Default: 1e-2.
        lr_decay: learning-rate decay per step. Default: 0.
        weight_decay: λ, L2 penalty added to the gradient. Default: 0.
        initial_accumulator_value: starting value of the sum of squares s. Default: 0.
        eps: ε, added to √s. Default: 1e-10.
        maximize: maximize the objective. Default: False.
        foreach, fused, differentiable: torch's implementation flags, accepted and validated (ember's step is
            always one fused pass; differentiable=True raises since the step is not recorded by autograd).

    Torch parity:
        Same arguments, defaults, errors and state ("step" float32 0-d tensor, "sum"), created in the
        constructor as torch does; matches torch.optim.Adagrad to rtol 1e-5 over 25+ steps.

    Reference:
        Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and Stochastic Optimization",
        JMLR 12, 2011. https://jmlr.org/papers/v12/duchi11a.html

    Example:
        >>> opt = ember.optim.Adagrad(model.parameters(), lr=0.01)
    """

    _flat = True
    _scalar_keys = ("step",)
    _eager_state = True

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        if not 0.0 <= _num(lr):
            raise _errors.invalid_learning_rate(lr)
        if not 0.0 <= lr_decay:
            raise _errors.invalid_value("lr_decay", lr_decay)
        if not 0.0 <= weight_decay:
            raise _errors.invalid_value("weight_decay", weight_decay)
        if not 0.0 <= initial_accumulator_value:
            raise _errors.invalid_value("initial_accumulator_value", initial_accumulator_value)
        if not 0.0 <= eps:
            raise _errors.invalid_value("epsilon", eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        _check_flags(defaults, differentiable=differentiable)
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("sum",)

    def _state_init(self, group, key):
        return group["initial_accumulator_value"] if key == "sum" else 0.0

    def _kernel(self, group):
        return adagrad_update

    def _prepare(self, group, scalars, fresh):
        step = scalars["step"] + 1
        clr = float(_num(group["lr"])) / (1 + (step - 1) * group["lr_decay"])
        return dict(clr=clr, eps=float(group["eps"]), weight_decay=float(group["weight_decay"]),
                    maximize=bool(group["maximize"])), {"step": step}
