"""ASGD: averaged stochastic gradient descent."""
from __future__ import annotations

from .. import _errors
from .optimizer import Optimizer, _check_flags, _num

__all__ = ["ASGD", "asgd_update"]


def asgd_update(param, grad, ax, *, eta, mu, lambd, weight_decay, maximize):
    """One ASGD step (reference); ``eta`` and ``mu`` are the parameter's current scalar state.

        g ← −g if maximize;   g ← g + λ·θ
        θ ← θ·(1 − λ_d·η) − η·g
        a ← θ if μ = 1, else a ← a + μ·(θ − a)
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    param = param * (1 - lambd * eta) - eta * g
    ax = param if mu == 1 else ax + (param - ax) * mu
    return param, ax


class ASGD(Optimizer):
    """ASGD: averaged stochastic gradient descent (torch.optim.ASGD).

    For each parameter θ with gradient g, at step t (λ = weight_decay, λ_d = lambd):

        g ← g + λ·θ                                  (only if λ ≠ 0; g ← −g first if maximize)
        θ ← θ·(1 − λ_d·ηₜ) − ηₜ·g
        a ← a + μₜ·(θ − a)                           (the averaged iterate, state "ax")
        ηₜ₊₁ = lr / (1 + λ_d·lr·t)^α,   μₜ₊₁ = 1 / max(1, t − t₀)

    Args:
        params: iterable of Tensors, of (name, Tensor) pairs, or of dicts defining parameter groups.
        lr: learning rate. Default: 1e-2.
        lambd: λ_d, decay term. Default: 1e-4.
        alpha: α, power for the eta update. Default: 0.75.
        t0: t₀, step at which averaging starts. Default: 1e6.
        weight_decay: λ. Default: 0.
        maximize: maximize the objective. Default: False.
        foreach, capturable, differentiable: torch's implementation flags, accepted and validated (no effect;
            differentiable=True raises since the step is not recorded by autograd).

    Torch parity:
        Same arguments, defaults, errors and state ("step", "eta", "mu" as float32 0-d tensors, "ax") as
        torch.optim.ASGD; matches it to rtol 1e-5 over 25+ steps.

    Reference:
        Polyak & Juditsky, "Acceleration of Stochastic Approximation by Averaging", SIAM J. Control Optim.
        30(4), 1992. https://doi.org/10.1137/0330046

    Example:
        >>> opt = ember.optim.ASGD(model.parameters(), lr=0.01)
    """

    _flat = True
    _scalar_keys = ("step", "eta", "mu")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        if not 0.0 <= _num(lr):
            raise _errors.invalid_learning_rate(lr)
        if not 0.0 <= weight_decay:
            raise _errors.invalid_value("weight_decay", weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        _check_flags(defaults, differentiable=differentiable)
        super().__init__(params, defaults)

    def _state_keys(self, group):
        return ("ax",)

    def _state_init(self, group, key):
        return {"eta": float(_num(group["lr"])), "mu": 1.0}.get(key, 0.0)

    def _kernel(self, group):
        return asgd_update

    def _prepare(self, group, scalars, fresh):
        step = scalars["step"] + 1
        lr, lambd = float(_num(group["lr"])), float(group["lambd"])
        hyper = dict(eta=scalars["eta"], mu=scalars["mu"], lambd=lambd, weight_decay=float(group["weight_decay"]),
                     maximize=bool(group["maximize"]))
        new = {"step": step, "eta": lr / ((1 + lambd * lr * step) ** group["alpha"]),
               "mu": 1 / max(1, step - group["t0"])}
        return hyper, new
