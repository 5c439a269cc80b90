"""Lion: evolved sign momentum (beyond torch.optim)."""
from __future__ import annotations

import numpy as np

from .adam import _check_adam_args
from .optimizer import Optimizer, _check_flags, _num

__all__ = ["Lion", "lion_update"]


def lion_update(param, grad, exp_avg, *, lr, beta1, beta2, weight_decay, maximize):
    """One Lion step (reference).

        g ← −g if maximize
        θ ← θ·(1 − lr·λ)
        θ ← θ − lr·sign(β₁·m + (1 − β₁)·g)
        m ← β₂·m + (1 − β₂)·g
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        param = param * (1 - lr * weight_decay)
    param = param - lr * np.sign(beta1 * exp_avg + (1 - beta1) * g)
    return param, beta2 * exp_avg + (1 - beta2) * g


class Lion(Optimizer):
    """Lion: EvoLved Sign Momentum (not in torch.optim).

    For each parameter θ with gradient g (λ = weight_decay, decoupled as in AdamW):

        c ← β₁·m + (1 − β₁)·g
        θ ← θ − lr·(sign(c) + λ·θ)
        m ← β₂·m + (1 − β₂)·g

    Args:
        params: iterable of Tensors, of (name, Tensor) pairs, or of dicts defining parameter groups.
        lr: learning rate (typically 3-10x smaller than AdamW's). Default: 1e-4.
        betas: (β₁, β₂), interpolation and momentum decay rates. Default: (0.9, 0.99).
        weight_decay: λ, decoupled weight decay. Default: 0.
        maximize: maximize the objective. Default: False.
        foreach, fused, differentiable: accepted and validated like torch's optimizers (no effect;
            differentiable=True raises).

    Torch parity:
        Not in torch. Same defaults and state ("exp_avg") as the reference implementation lion-pytorch;
        tested against the paper's Algorithm 2 written with torch ops (tests/optim/test_optimizers.py).

    Reference:
        Chen et al., "Symbolic Discovery of Optimization Algorithms", NeurIPS 2023. https://arxiv.org/abs/2302.06675

    Example:
        >>> opt = ember.optim.Lion(model.parameters(), lr=1e-4, weight_decay=1e-2)
    """

    _flat = True

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, *, maximize=False, foreach=None,
                 fused=None, differentiable=False):
        _check_adam_args(lr, betas, 0.0, weight_decay)
        defaults = dict(lr=lr, betas=betas, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        fused=fused, differentiable=differentiable)
        _check_flags(defaults, differentiable=differentiable)
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("exp_avg",)

    def _kernel(self, group):
        return lion_update

    def _prepare(self, group, scalars, fresh):
        beta1, beta2 = group["betas"]
        return dict(lr=float(_num(group["lr"])), beta1=float(beta1), beta2=float(beta2),
                    weight_decay=float(group["weight_decay"]), maximize=bool(group["maximize"])), {}
