"""Rprop: resilient backpropagation, per-coordinate step sizes adapted from gradient signs."""
from __future__ import annotations

import numpy as np

from .. import _errors
from .optimizer import Optimizer, _check_flags, _num

__all__ = ["Rprop", "rprop_update"]


def rprop_update(param, grad, prev, step_size, *, etaminus, etaplus, step_size_min, step_size_max, maximize):
    """One Rprop step (reference).

        g ← −g if maximize
        f = η₊ if g·g₋₁ > 0,  η₋ if g·g₋₁ < 0,  1 otherwise
        Δ ← clip(Δ·f, Δmin, Δmax);   g ← 0 where f = η₋
        θ ← θ − sign(g)·Δ;   g₋₁ ← g
    """
    g = -grad if maximize else grad
    s = np.sign(g * prev)
    factor = np.where(s > 0, etaplus, np.where(s < 0, etaminus, 1)).astype(param.dtype)
    step_size = np.clip(step_size * factor, step_size_min, step_size_max)
    g = np.where(factor == np.asarray(etaminus, param.dtype), 0, g).astype(param.dtype)
    return param - np.sign(g) * step_size, g, step_size


class Rprop(Optimizer):
    """Rprop: resilient backpropagation (torch.optim.Rprop).

    For each parameter θ with gradient g (g₋₁ the previous gradient, Δ the per-coordinate step size):

        f = η₊ if g·g₋₁ > 0,  η₋ if g·g₋₁ < 0,  1 if g·g₋₁ = 0        (g ← −g first if maximize)
        Δ ← clip(Δ·f, Δmin, Δmax)
        g ← 0 where f = η₋                                            (skip the update after a sign change)
        θ ← θ − sign(g)·Δ;   g₋₁ ← g

    Args:
        params: iterable of Tensors, of (name, Tensor) pairs, or of dicts defining parameter groups.
        lr: initial step size Δ. Default: 1e-2.
        etas: (η₋, η₊), multiplicative decrease and increase factors, 0 < η₋ < 1 < η₊. Default: (0.5, 1.2).
        step_sizes: (Δmin, Δmax). Default: (1e-6, 50).
        maximize: maximize the objective. Default: False.
        capturable, foreach, differentiable: torch's implementation flags, accepted and validated (no effect;
            differentiable=True raises since the step is not recorded by autograd).

    Torch parity:
        Same arguments, defaults, errors and state ("step", "prev", "step_size") as torch.optim.Rprop; matches
        it to rtol 1e-5 over 25+ steps.

    Reference:
        Riedmiller & Braun, "A Direct Adaptive Method for Faster Backpropagation Learning: The RPROP
        Algorithm", IEEE ICNN 1993. https://doi.org/10.1109/ICNN.1993.298623

    Example:
        >>> opt = ember.optim.Rprop(model.parameters())
    """

    _flat = True
    _scalar_keys = ("step",)

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False,
                 foreach=None, maximize=False, differentiable=False):
        if not 0.0 <= _num(lr):
            raise _errors.invalid_learning_rate(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        _check_flags(defaults, differentiable=differentiable)
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("prev", "step_size")

    def _state_init(self, group, key):
        return float(_num(group["lr"])) if key == "step_size" else 0.0

    def _kernel(self, group):
        return rprop_update

    def _prepare(self, group, scalars, fresh):
        etaminus, etaplus = group["etas"]
        lo, hi = group["step_sizes"]
        return dict(etaminus=float(etaminus), etaplus=float(etaplus), step_size_min=float(lo),
                    step_size_max=float(hi), maximize=bool(group["maximize"])), {"step": scalars["step"] + 1}
