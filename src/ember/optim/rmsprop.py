"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
from __future__ import annotations

import numpy as np

from .. import _errors
from .optimizer import Optimizer, _check_flags, _num

__all__ = ["RMSprop", "rmsprop_update"]


def rmsprop_update(param, grad, square_avg, momentum_buffer=None, grad_avg=None, *, lr, alpha, eps, weight_decay,
                   momentum, maximize):
    """One RMSprop step (reference); centered when ``grad_avg`` is given, with momentum when
    ``momentum_buffer`` is given.

        g ← −g if maximize;   g ← g + λ·θ
        v ← α·v + (1 − α)·g²
        ḡ ← ḡ + (1 − α)·(g − ḡ);   d ← √(v − ḡ²) + ε        (centered)     else  d ← √v + ε
        b ← μ·b + g/d;   θ ← θ − lr·b                       (momentum)     else  θ ← θ − lr·g/d
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    square_avg = alpha * square_avg + (1 - alpha) * (g * g)
    if grad_avg is not None:
        grad_avg = grad_avg + (1 - alpha) * (g - grad_avg)
        avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        avg = np.sqrt(square_avg) + eps
    if momentum_buffer is not None:
        momentum_buffer = momentum * momentum_buffer + g / avg
        return param - lr * momentum_buffer, square_avg, momentum_buffer, grad_avg
    return param - lr * (g / avg), square_avg, momentum_buffer, grad_avg


class RMSprop(Optimizer):
    """RMSprop (torch.optim.RMSprop).

    For each parameter θ with gradient g (λ = weight_decay, μ = momentum):

        g ← g + λ·θ                                  (only if λ ≠ 0; g ← −g first if maximize)
        v ← α·v + (1 − α)·g²
        ḡ ← α·ḡ + (1 − α)·g,  d = √(v − ḡ²) + ε      if centered, else d = √v + ε
        b ← μ·b + g/d,  θ ← θ − lr·b                 if μ > 0, else θ ← θ − lr·g/d

    Args:
        params: iterable of Tensors, of (name, Tensor) pairs, or of dicts defining parameter groups.
        lr: learning rate. Default: 1e-2.
        alpha: α, smoothing constant. Default: 0.99.
        eps: ε, added outside the square root. Default: 1e-8.
        weight_decay: λ, L2 penalty. Default: 0.
        momentum: μ, momentum factor. Default: 0.
        centered: normalize by an estimate of the gradient's variance. Default: False.
        maximize: maximize the objective. Default: False.
        capturable, foreach, differentiable: torch's implementation flags, accepted and validated (no effect;
            differentiable=True raises since the step is not recorded by autograd).

    Torch parity:
        Same arguments, defaults, errors and state ("step", "square_avg", "momentum_buffer" if μ > 0,
        "grad_avg" if centered) as torch.optim.RMSprop; matches it to rtol 1e-5 over 25+ steps.

    Reference:
        Hinton, Srivastava & Swersky, "Neural Networks for Machine Learning", lecture 6e, 2012.
        https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf; centered form: Graves,
        "Generating Sequences With Recurrent Neural Networks", 2013. https://arxiv.org/abs/1308.0850

    Example:
        >>> opt = ember.optim.RMSprop(model.parameters(), lr=0.01)
    """

    _flat = True
    _scalar_keys = ("step",)

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if not 0.0 <= _num(lr):
            raise _errors.invalid_learning_rate(lr)
        if not 0.0 <= eps:
            raise _errors.invalid_value("epsilon", eps)
        if not 0.0 <= momentum:
            raise _errors.invalid_value("momentum", momentum)
        if not 0.0 <= weight_decay:
            raise _errors.invalid_value("weight_decay", weight_decay)
        if not 0.0 <= alpha:
            raise _errors.invalid_value("alpha", alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        _check_flags(defaults, differentiable=differentiable)
        super().__init__(params, defaults)

    def _state_keys(self, group):
        keys = ("square_avg",)
        if group["momentum"] > 0:
            keys += ("momentum_buffer",)
        if group["centered"]:
            keys += ("grad_avg",)
        return keys

    def _kernel(self, group):
        return rmsprop_update

    def _prepare(self, group, scalars, fresh):
        return dict(lr=float(_num(group["lr"])), alpha=float(group["alpha"]), eps=float(group["eps"]),
                    weight_decay=float(group["weight_decay"]), momentum=float(group["momentum"]),
                    maximize=bool(group["maximize"])), {"step": scalars["step"] + 1}
