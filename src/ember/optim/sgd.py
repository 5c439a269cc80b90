"""SGD: stochastic gradient descent with optional (Nesterov) momentum."""
from __future__ import annotations

from .. import _errors
from .optimizer import Optimizer, _check_flags, _num

__all__ = ["SGD", "sgd_update"]


def sgd_update(param, grad, momentum_buffer=None, *, lr, momentum, dampening, weight_decay, nesterov, maximize,
               first):
    """One SGD step (reference).

        g ← −g if maximize;   g ← g + λ·θ
        b ← g (first step) or μ·b + (1 − τ)·g          (only with momentum μ ≠ 0)
        g ← g + μ·b if nesterov else b
        θ ← θ − lr·g
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    if momentum_buffer is not None:
        momentum_buffer = g if first else momentum * momentum_buffer + (1 - dampening) * g
        g = g + momentum * momentum_buffer if nesterov else momentum_buffer
    return param - lr * g, momentum_buffer


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (torch.optim.SGD).

    For each parameter θ with gradient g (λ = weight_decay, μ = momentum, τ = dampening):

        g ← g + λ·θ                                  (only if λ ≠ 0; g ← −g first if maximize)
        b ← g at the first step, else b ← μ·b + (1 − τ)·g       (only if μ ≠ 0)
        g ← g + μ·b  if nesterov, else  g ← b
        θ ← θ − lr·g

    Args:
        params: iterable of Tensors, of (name, Tensor) pairs, or of dicts defining parameter groups.
        lr: learning rate. Default: 1e-3.
        momentum: μ, momentum factor. Default: 0.
        dampening: τ, dampening of the momentum. Default: 0.
        weight_decay: λ, L2 penalty added to the gradient. Default: 0.
        nesterov: use Nesterov momentum (needs μ > 0 and τ = 0). Default: False.
        maximize: maximize the objective instead of minimizing it. Default: False.
        foreach, fused, differentiable: torch's implementation flags, accepted and validated; every ember step is
            already fused over flat buffers, so foreach/fused change nothing, and differentiable=True raises
            (the step is not recorded by autograd).

    Torch parity:
        Same arguments, defaults, errors and state ("momentum_buffer" only when μ ≠ 0, no "step") as
        torch.optim.SGD; matches it to rtol 1e-5 over 25+ steps (tests/optim/test_optimizers.py).

    Reference:
        Sutskever, Martens, Dahl & Hinton, "On the importance of initialization and momentum in deep learning",
        ICML 2013. http://proceedings.mlr.press/v28/sutskever13.html

    Example:
        >>> opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    """

    _flat = True

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if _num(lr) < 0.0:
            raise _errors.invalid_learning_rate(lr)
        if momentum < 0.0:
            raise _errors.invalid_value("momentum", momentum)
        if _num(weight_decay) < 0.0:
            raise _errors.invalid_value("weight_decay", weight_decay)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_flags(defaults, differentiable=differentiable)
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("momentum_buffer",) if group["momentum"] != 0 else ()

    def _kernel(self, group):
        return sgd_update

    def _prepare(self, group, scalars, fresh):
        # torch starts the momentum buffer as a copy of the first gradient: `first` selects that branch
        return dict(lr=float(_num(group["lr"])), momentum=float(group["momentum"]),
                    dampening=float(group["dampening"]), weight_decay=float(_num(group["weight_decay"])),
                    nesterov=bool(group["nesterov"]), maximize=bool(group["maximize"]), first=fresh), {}
