"""Distances and similarities between vectors: ``cosine_similarity``, ``pairwise_distance``, ``pdist``."""
from __future__ import annotations

import numpy as np

from ...tensor import _wrap

__all__ = ["cosine_similarity", "pairwise_distance", "pdist"]


def _clamped_forward(n, eps):
    """max(n, ε) in value, with n's gradient (torch clamps the norms in place under no_grad)."""
    return n + (n.detach().clamp(min=eps) - n.detach())


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """cos(x₁, x₂) = Σ (x₁/max(‖x₁‖, ε)) · (x₂/max(‖x₂‖, ε)) along ``dim`` (inputs broadcast).

    Torch parity: torch's formula, including its gradient where a norm is below ε (the clamp is not
    differentiated)."""
    shape = _broadcast_shape(x1, x2)
    a, b = x1.expand(*shape), x2.expand(*shape)
    n1 = _clamped_forward(a.norm(2, dim, keepdim=True), eps)
    n2 = _clamped_forward(b.norm(2, dim, keepdim=True), eps)
    return ((a / n1) * (b / n2)).sum(dim)


def _broadcast_shape(x1, x2):
    try:
        return np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    except ValueError:
        x1 + x2  # raises torch's message for the mismatch
        raise


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """d(x₁, x₂) = ‖x₁ − x₂ + ε‖_p along the last dim (inputs broadcast)."""
    d = max(x1.dim(), x2.dim())
    return (x1 - x2 + eps).norm(p, d - 1 if d else None, keepdim=keepdim)


def pdist(input, p=2):
    """‖xᵢ − xⱼ‖_p for every pair of rows i < j of an (N, M) input, in row-major order of (i, j): N(N − 1)/2 values."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = np.triu_indices(input.shape[0], 1)
    return (input[_wrap(i)] - input[_wrap(j)]).norm(p, 1)
