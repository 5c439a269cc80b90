"""Lookahead: a wrapper that makes any optimizer's fast weights pull a set of slow weights along."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .._creation import as_tensor
from ..tensor import Tensor
from .optimizer import Optimizer

__all__ = ["Lookahead"]


class Lookahead(Optimizer):
    """Lookahead wrapper around any optimizer (not in torch.optim).

    The wrapped optimizer updates the (fast) parameters θ at every step; every k steps the slow weights φ
    (initialized to the parameters' values when the wrapper is built) move toward them and the fast weights
    restart from there:

        φ ← φ + α·(θ − φ)
        θ ← φ

    Args:
        optimizer: the inner optimizer (any ember optimizer, including a user subclass).
        k: number of inner steps between synchronizations (k ≥ 1). Default: 5.
        alpha: α ∈ [0, 1], slow-weight step size. Default: 0.5.

    ``param_groups`` and ``state`` are the inner optimizer's, so schedulers work on a Lookahead directly.
    ``state_dict()`` is the inner optimizer's state dict plus a ``"lookahead"`` entry (k, alpha, step counter
    and the slow weights by parameter index).

    Torch parity:
        Not in torch. Same behaviour as Algorithm 1 of the paper (tested against it, written with torch's
        optimizers, in tests/optim/test_optimizers.py).

    Reference:
        Zhang, Lucas, Hinton & Ba, "Lookahead Optimizer: k steps forward, 1 step back", NeurIPS 2019.
        https://arxiv.org/abs/1907.08610

    Example:
        >>> opt = ember.optim.Lookahead(ember.optim.Adam(model.parameters(), lr=1e-3), k=5, alpha=0.5)
    """

    def __init__(self, optimizer, k=5, alpha=0.5):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be an ember.optim.Optimizer, but got {type(optimizer).__name__}")
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"Invalid lookahead steps: {k} (must be an integer >= 1)")
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"Invalid slow update rate: {alpha} (must be in [0, 1])")
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                     "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            setattr(self, name, OrderedDict())
        self.optimizer = optimizer
        self.k, self.alpha = k, alpha
        self.defaults = optimizer.defaults
        self._counter = 0
        self._slow = {id(p): p._data.copy() for p in self._params()}

    def _params(self):
        seen = {}
        for group in self.optimizer.param_groups:
            for p in group["params"]:
                seen.setdefault(id(p), p)
        return list(seen.values())

    @property
    def param_groups(self):
        return self.optimizer.param_groups

    @param_groups.setter
    def param_groups(self, value):
        self.optimizer.param_groups = value

    @property
    def state(self):
        return self.optimizer.state

    def __repr__(self):
        return f"Lookahead(k={self.k}, alpha={self.alpha}, optimizer={self.optimizer!r})"

    def add_param_group(self, param_group):
        self.optimizer.add_param_group(param_group)
        for p in param_group["params"]:
            self._slow.setdefault(id(p), p._data.copy())

    def zero_grad(self, set_to_none=True):
        self.optimizer.zero_grad(set_to_none)

    def step(self, closure=None):
        """One inner step; every k-th call also pulls the slow weights and resets the fast ones."""
        loss = self.optimizer.step(closure)
        self._counter += 1
        if self._counter % self.k == 0:
            for p in self._params():
                slow = self._slow.setdefault(id(p), p._data.copy())
                slow += self.alpha * (p._data - slow)
                p._data[...] = slow
        return loss

    def state_dict(self):
        sd = self.optimizer.state_dict()
        slow = {i: as_tensor(self._slow[id(p)].copy()) for i, p in enumerate(self._params())}
        sd["lookahead"] = {"k": self.k, "alpha": self.alpha, "step": self._counter, "slow": slow}
        return sd

    def load_state_dict(self, state_dict, strict=True):
        state_dict = dict(state_dict)
        la = state_dict.pop("lookahead", None)
        result = self.optimizer.load_state_dict(state_dict, strict)
        if la is not None:
            self.k, self.alpha, self._counter = la["k"], la["alpha"], la["step"]
            for i, p in enumerate(self._params()):
                if i in la["slow"]:
                    value = la["slow"][i]
                    self._slow[id(p)] = np.array(value._data if isinstance(value, Tensor) else value,
                                                 dtype=p._data.dtype).reshape(p._data.shape)
        return result
