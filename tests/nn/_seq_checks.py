"""Helpers shared by the sequence-layer tests: second-order gradient checks and torch -> ember weight copies."""
from __future__ import annotations

import numpy as np

import ember


def gradgradcheck(fn, inputs, seed=0, **kwargs):
    """torch's gradgradcheck in ember terms: the first gradients of ``sum(fn(*inputs) · v)`` (random fixed v),
    computed with ``create_graph=True``, pass ``gradcheck`` against finite differences of themselves."""
    out = fn(*inputs)
    v = ember.tensor(np.random.default_rng(seed).standard_normal(tuple(out.shape)))
    wanted = [t for t in inputs if isinstance(t, ember.Tensor) and t.requires_grad]

    def first_grads(*xs):
        y = fn(*xs)
        diff = [x for x in xs if isinstance(x, ember.Tensor) and x.requires_grad]
        grads = ember.autograd.grad((y * v).sum(), diff, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else (x * 0).sum() for g, x in zip(grads, diff))

    assert wanted
    return ember.autograd.gradcheck(first_grads, inputs, **kwargs)


def copy_weights(em, tm):
    """Load the torch module's state into the ember module (same keys)."""
    em.load_state_dict({k: ember.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
