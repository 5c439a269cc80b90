"""Adamax: Adam with the infinity norm of past gradients in place of the second moment."""
from __future__ import annotations

import numpy as np

from .adam import _check_adam_args
from .optimizer import Optimizer, _check_flags, _num

__all__ = ["Adamax", "adamax_update"]


def adamax_update(param, grad, exp_avg, exp_inf, *, clr, beta1, beta2, eps, weight_decay, maximize):
    """One Adamax step (reference).

        g ← −g if maximize;   g ← g + λ·θ
        m ← m + (1 − β₁)·(g − m)
        u ← max(β₂·u, |g| + ε)
        θ ← θ − clr · m / u          with clr = lr / (1 − β₁ᵗ)
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    exp_avg = exp_avg + (1 - beta1) * (g - exp_avg)
    exp_inf = np.maximum(exp_inf * beta2, np.abs(g) + eps)
    return param - clr * (exp_avg / exp_inf), exp_avg, exp_inf


class Adamax(Optimizer):
    """Adamax (torch.optim.Adamax).

    For each parameter θ with gradient g, at step t (λ = weight_decay):

        g ← g + λ·θ                                  (only if λ ≠ 0; g ← −g first if maximize)
        m ← β₁·m + (1 − β₁)·g
        u ← max(β₂·u, |g| + ε)
        θ ← θ − lr / (1 − β₁ᵗ) · m / u

    Args:
        params: iterable of Tensors, of (name, Tensor) pairs, or of dicts defining parameter groups.
        lr: learning rate. Default: 2e-3.
        betas: (β₁, β₂). Default: (0.9, 0.999).
        eps: ε, added to |g|. Default: 1e-8.
        weight_decay: λ, L2 penalty. Default: 0.
        maximize: maximize the objective. Default: False.
        foreach, capturable, differentiable: torch's implementation flags, accepted and validated (no effect;
            differentiable=True raises since the step is not recorded by autograd).

    Torch parity:
        Same arguments, defaults, errors and state ("step", "exp_avg", "exp_inf") as torch.optim.Adamax;
        matches it to rtol 1e-5 over 25+ steps.

    Reference:
        Kingma & Ba, "Adam: A Method for Stochastic Optimization", section 7.1, ICLR 2015.
        https://arxiv.org/abs/1412.6980

    Example:
        >>> opt = ember.optim.Adamax(model.parameters())
    """

    _flat = True
    _scalar_keys = ("step",)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        _check_flags(defaults, differentiable=differentiable)
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("exp_avg", "exp_inf")

    def _kernel(self, group):
        return adamax_update

    def _prepare(self, group, scalars, fresh):
        step = scalars["step"] + 1
        beta1, beta2 = group["betas"]
        return dict(clr=float(_num(group["lr"])) / (1 - beta1 ** step), beta1=float(beta1), beta2=float(beta2),
                    eps=float(group["eps"]), weight_decay=float(group["weight_decay"]),
                    maximize=bool(group["maximize"])), {"step": step}
