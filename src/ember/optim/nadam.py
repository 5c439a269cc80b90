"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""
from __future__ import annotations

import numpy as np

from .. import _errors
from .adam import _check_adam_args
from .optimizer import Optimizer, _check_flags, _num

__all__ = ["NAdam", "nadam_update"]


def nadam_update(param, grad, exp_avg, exp_avg_sq, *, lr, beta1, beta2, eps, weight_decay, decoupled,
                 bias_correction2, coef_grad, coef_avg, maximize):
    """One NAdam step (reference).

        g ← −g if maximize;   θ ← θ·(1 − lr·λ) if decoupled, else g ← g + λ·θ
        m ← m + (1 − β₁)·(g − m);   v ← β₂·v + (1 − β₂)·g²
        d ← √(v / (1 − β₂ᵗ)) + ε
        θ ← θ + coef_grad · g/d + coef_avg · m/d
        with coef_grad = −lr·(1 − μₜ)/(1 − Πᵢ≤ₜ μᵢ),  coef_avg = −lr·μₜ₊₁/(1 − Πᵢ≤ₜ₊₁ μᵢ)
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        if decoupled:
            param = param * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * param
    exp_avg = exp_avg + (1 - beta1) * (g - exp_avg)
    exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * (g * g)
    denom = np.sqrt(exp_avg_sq / bias_correction2) + eps
    param = param + coef_grad * (g / denom)
    return param + coef_avg * (exp_avg / denom), exp_avg, exp_avg_sq


class NAdam(Optimizer):
    """NAdam: Nesterov-accelerated Adam (torch.optim.NAdam).

    For each parameter θ with gradient g, at step t (λ = weight_decay, ψ = momentum_decay):

        g ← g + λ·θ   (or θ ← θ·(1 − lr·λ) if decoupled_weight_decay; g ← −g first if maximize)
        μₜ = β₁·(1 − ½·0.96^(t·ψ)),   μₜ₊₁ = β₁·(1 − ½·0.96^((t+1)·ψ))
        m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²
        θ ← θ − lr·(1 − μₜ)/(1 − Πᵢ≤ₜ μᵢ) · g/d − lr·μₜ₊₁/(1 − Πᵢ≤ₜ₊₁ μᵢ) · m/d,   d = √(v/(1 − β₂ᵗ)) + ε

    Args:
        params: iterable of Tensors, of (name, Tensor) pairs, or of dicts defining parameter groups.
        lr: learning rate. Default: 2e-3.
        betas: (β₁, β₂). Default: (0.9, 0.999).
        eps: ε. Default: 1e-8.
        weight_decay: λ. Default: 0.
        momentum_decay: ψ. Default: 4e-3.
        decoupled_weight_decay: decay the parameter directly, as AdamW does (NAdamW). Default: False.
        maximize: maximize the objective. Default: False.
        foreach, capturable, differentiable: torch's implementation flags, accepted and validated (no effect;
            differentiable=True raises since the step is not recorded by autograd).

    Torch parity:
        Same arguments, defaults, errors and state ("step", "mu_product" as float32 0-d tensors, "exp_avg",
        "exp_avg_sq") as torch.optim.NAdam; matches it to rtol 1e-5 over 25+ steps.

    Reference:
        Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016 workshop.
        https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ

    Example:
        >>> opt = ember.optim.NAdam(model.parameters())
    """

    _flat = True
    _scalar_keys = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise _errors.invalid_value("momentum_decay", momentum_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        _check_flags(defaults, differentiable=differentiable)
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("exp_avg", "exp_avg_sq")

    def _state_init(self, group, key):
        return 1.0 if key == "mu_product" else 0.0

    def _kernel(self, group):
        return nadam_update

    def _prepare(self, group, scalars, fresh):
        step = scalars["step"] + 1
        lr = float(_num(group["lr"]))
        beta1, beta2 = (float(b) for b in group["betas"])
        psi = group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
        mu_product = float(np.float32(scalars["mu_product"]) * np.float32(mu))  # a float32 tensor in torch
        hyper = dict(lr=lr, beta1=beta1, beta2=beta2, eps=float(group["eps"]),
                     weight_decay=float(group["weight_decay"]), decoupled=bool(group["decoupled_weight_decay"]),
                     bias_correction2=1 - beta2 ** step, coef_grad=-lr * (1.0 - mu) / (1.0 - mu_product),
                     coef_avg=(-lr * mu_next) / (1.0 - mu_product * mu_next), maximize=bool(group["maximize"]))
        return hyper, {"step": step, "mu_product": mu_product}
