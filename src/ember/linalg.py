"""torch.linalg on NumPy: products, norms, decompositions, solvers and the functions built on them."""
from __future__ import annotations

from .autograd.ops.linalg import linalg_cross as cross, multi_dot

__all__ = ["cross", "multi_dot"]
