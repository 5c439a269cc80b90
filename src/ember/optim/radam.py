"""RAdam: Adam with a rectified variance of the adaptive learning rate."""
from __future__ import annotations

import numpy as np

from .adam import _check_adam_args
from .optimizer import Optimizer, _check_flags, _num

__all__ = ["RAdam", "radam_update"]


def radam_update(param, grad, exp_avg, exp_avg_sq, *, lr, beta1, beta2, eps, weight_decay, decoupled,
                 bias_correction1, bias_correction2, rect, maximize):
    """One RAdam step (reference); ``rect`` is 0 while the variance is not tractable (ρₜ ≤ 5).

        g ← −g if maximize;   θ ← θ·(1 − lr·λ) if decoupled, else g ← g + λ·θ
        m ← m + (1 − β₁)·(g − m);   v ← β₂·v + (1 − β₂)·g²
        θ ← θ − m/(1 − β₁ᵗ) · lr · √(1 − β₂ᵗ)/(√v + ε) · r      if rect (r = rect)
        θ ← θ − m/(1 − β₁ᵗ) · lr                               otherwise
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        if decoupled:
            param = param * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * param
    exp_avg = exp_avg + (1 - beta1) * (g - exp_avg)
    exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * (g * g)
    update = exp_avg / bias_correction1 * lr
    if rect:
        update = update * (bias_correction2 ** 0.5 / (np.sqrt(exp_avg_sq) + eps)) * rect
    return param - update, exp_avg, exp_avg_sq


class RAdam(Optimizer):
    """RAdam: rectified Adam (torch.optim.RAdam).

    For each parameter θ with gradient g, at step t (λ = weight_decay):

        g ← g + λ·θ   (or θ ← θ·(1 − lr·λ) if decoupled_weight_decay; g ← −g first if maximize)
        m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²;   m̂ = m/(1 − β₁ᵗ)
        ρ∞ = 2/(1 − β₂) − 1,   ρₜ = ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ)
        if ρₜ > 5:  r = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ)),  θ ← θ − lr·m̂·r·√(1 − β₂ᵗ)/(√v + ε)
        else:       θ ← θ − lr·m̂

    Args:
        params: iterable of Tensors, of (name, Tensor) pairs, or of dicts defining parameter groups.
        lr: learning rate. Default: 1e-3.
        betas: (β₁, β₂). Default: (0.9, 0.999).
        eps: ε. Default: 1e-8.
        weight_decay: λ. Default: 0.
        decoupled_weight_decay: decay the parameter directly, as AdamW does. Default: False.
        maximize: maximize the objective. Default: False.
        foreach, capturable, differentiable: torch's implementation flags, accepted and validated (no effect;
            differentiable=True raises since the step is not recorded by autograd).

    Torch parity:
        Same arguments, defaults, errors and state ("step", "exp_avg", "exp_avg_sq") as torch.optim.RAdam;
        matches it to rtol 1e-5 over 25+ steps.

    Reference:
        Liu et al., "On the Variance of the Adaptive Learning Rate and Beyond", ICLR 2020.
        https://arxiv.org/abs/1908.03265

    Example:
        >>> opt = ember.optim.RAdam(model.parameters())
    """

    _flat = True
    _scalar_keys = ("step",)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        _check_flags(defaults, differentiable=differentiable)
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("exp_avg", "exp_avg_sq")

    def _kernel(self, group):
        return radam_update

    def _prepare(self, group, scalars, fresh):
        step = scalars["step"] + 1
        beta1, beta2 = (float(b) for b in group["betas"])
        bc1, bc2 = 1 - beta1 ** step, 1 - beta2 ** step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bc2
        rect = 0.0
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        hyper = dict(lr=float(_num(group["lr"])), beta1=beta1, beta2=beta2, eps=float(group["eps"]),
                     weight_decay=float(group["weight_decay"]), decoupled=bool(group["decoupled_weight_decay"]),
                     bias_correction1=bc1, bias_correction2=bc2, rect=rect, maximize=bool(group["maximize"]))
        return hyper, {"step": step}
