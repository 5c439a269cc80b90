"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay."""
from __future__ import annotations

import numpy as np

from .. import _errors
from .optimizer import Optimizer, _check_flags, _num

__all__ = ["Adam", "AdamW", "adam_update"]


def adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq=None, *, lr, beta1, beta2, eps, weight_decay,
                decoupled, bias_correction1, bias_correction2_sqrt, maximize):
    """One Adam / AdamW step (reference).

        g ← −g if maximize
        θ ← θ·(1 − lr·λ) if decoupled, else g ← g + λ·θ
        m ← m + (1 − β₁)·(g − m)           (torch's lerp)
        v ← β₂·v + (1 − β₂)·g²
        v̂ ← max(v̂, v) if amsgrad, else v
        θ ← θ − lr/(1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + ε)
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        if decoupled:
            param = param * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * param
    exp_avg = exp_avg + (1 - beta1) * (g - exp_avg)
    exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * (g * g)
    v = exp_avg_sq
    if max_exp_avg_sq is not None:
        v = max_exp_avg_sq = np.maximum(max_exp_avg_sq, exp_avg_sq)
    step_size = lr / bias_correction1
    return param - step_size * (exp_avg / (np.sqrt(v) / bias_correction2_sqrt + eps)), exp_avg, exp_avg_sq, \
        max_exp_avg_sq


def _check_adam_args(lr, betas, eps, weight_decay):
    if not 0.0 <= _num(lr):
        raise _errors.invalid_learning_rate(lr)
    if not 0.0 <= eps:
        raise _errors.invalid_value("epsilon", eps)
    if not 0.0 <= _num(betas[0]) < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= _num(betas[1]) < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise _errors.invalid_value("weight_decay", weight_decay)


class Adam(Optimizer):
    """Adam: adaptive moment estimation (torch.optim.Adam).

    For each parameter θ with gradient g, at step t (λ = weight_decay):

        g ← g + λ·θ                                  (only if λ ≠ 0; g ← −g first if maximize)
        m ← β₁·m + (1 − β₁)·g
        v ← β₂·v + (1 − β₂)·g²
        v̂ ← max(v̂, v) if amsgrad, else v̂ = v
        θ ← θ − lr · (m / (1 − β₁ᵗ)) / (√(v̂ / (1 − β₂ᵗ)) + ε)

    With decoupled_weight_decay=True the decay is θ ← θ·(1 − lr·λ) instead of the L2 term (that is AdamW).

    Args:
        params: iterable of Tensors, of (name, Tensor) pairs, or of dicts defining parameter groups.
        lr: learning rate. Default: 1e-3.
        betas: (β₁, β₂), decay rates of the first and second moment averages. Default: (0.9, 0.999).
        eps: ε, added outside the square root. Default: 1e-8.
        weight_decay: λ, L2 penalty added to the gradient. Default: 0.
        amsgrad: use the running maximum v̂ of v (AMSGrad). Default: False.
        maximize: maximize the objective. Default: False.
        decoupled_weight_decay: decay the parameter directly (AdamW). Default: False.
        foreach, fused, capturable, differentiable: torch's implementation flags, accepted and validated; every
            ember step is already one fused pass over flat buffers, there is no CUDA graph to capture, and
            differentiable=True raises (the step is not recorded by autograd).

    Torch parity:
        Same arguments, defaults, errors and state ("step" as a float32 0-d tensor, "exp_avg", "exp_avg_sq",
        "max_exp_avg_sq" with amsgrad) as torch.optim.Adam; matches it to rtol 1e-5 over 25+ steps.

    Reference:
        Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015. https://arxiv.org/abs/1412.6980;
        Reddi, Kale & Kumar, "On the Convergence of Adam and Beyond" (AMSGrad), ICLR 2018.
        https://openreview.net/forum?id=ryQu7f-RZ

    Example:
        >>> opt = ember.optim.Adam(model.parameters(), lr=1e-3)
    """

    _flat = True
    _scalar_keys = ("step",)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        if not isinstance(betas[0], float) or not isinstance(betas[1], float):
            if not (type(betas[0]) is type(betas[1]) and not isinstance(betas[0], (int, float))):
                raise ValueError("betas must be either both floats or both Tensors")
        betas = (float(_num(betas[0])), float(_num(betas[1])))
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        _check_flags(defaults, differentiable=differentiable)
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if group["amsgrad"] else ("exp_avg", "exp_avg_sq")

    def _kernel(self, group):
        return adam_update

    def _prepare(self, group, scalars, fresh):
        step = scalars["step"] + 1
        beta1, beta2 = (float(_num(b)) for b in group["betas"])
        hyper = dict(lr=float(_num(group["lr"])), beta1=beta1, beta2=beta2, eps=float(group["eps"]),
                     weight_decay=float(group["weight_decay"]), decoupled=bool(group["decoupled_weight_decay"]),
                     bias_correction1=1 - beta1 ** step, bias_correction2_sqrt=(1 - beta2 ** step) ** 0.5,
                     maximize=bool(group["maximize"]))
        return hyper, {"step": step}


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay (torch.optim.AdamW).

    Adam's update, with the decay applied to the parameter instead of the gradient:

        θ ← θ·(1 − lr·λ)
        m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²
        θ ← θ − lr · (m / (1 − β₁ᵗ)) / (√(v̂ / (1 − β₂ᵗ)) + ε)

    Args: as Adam, except weight_decay (λ) defaults to 1e-2 and there is no decoupled_weight_decay argument.

    Torch parity:
        Same arguments, defaults, errors and state as torch.optim.AdamW (whose param groups also carry
        decoupled_weight_decay=True); matches it to rtol 1e-5 over 25+ steps.

    Reference:
        Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019. https://arxiv.org/abs/1711.05101

    Example:
        >>> opt = ember.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
