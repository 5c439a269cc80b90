"""``CosineSimilarity`` and ``PairwiseDistance`` (see ``ember.nn._functional.distance``)."""
from __future__ import annotations

from .._functional import distance as F
from .module import Module

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(Module):
    """cos(x₁, x₂) along ``dim``. Torch parity: as torch.nn.CosineSimilarity (whose repr shows no arguments)."""

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """‖x₁ − x₂ + ε‖_p along the last dim. Torch parity: as torch.nn.PairwiseDistance."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
