"""The norms that weight and spectral normalisation share between their hook forms (``nn.utils.weight_norm``,
``nn.utils.spectral_norm``) and their parametrization forms (``nn.utils.parametrizations``)."""
from __future__ import annotations

from ...tensor import Tensor


def norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """‖v‖₂ over every dimension but ``dim``, kept with size 1 (dim = −1: over the whole tensor, a scalar), as
    torch's ``norm_except_dim(v, 2, dim)``; differentiable."""
    if dim == -1:
        return (v * v).sum().sqrt()
    axes = tuple(d for d in range(v.ndim) if d != dim)
    return (v * v).sum(dim=axes, keepdim=True).sqrt() if axes else v.abs()


def spectral_dim(dim: int, ndim: int) -> int:
    """``dim`` made non-negative, with torch's IndexError when it is out of range."""
    if dim >= ndim or dim < -ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
    return dim if dim >= 0 else dim + ndim


def spectral_matrix(weight: Tensor, dim: int) -> Tensor:
    """W as the matrix whose rows run along ``dim`` (the other dimensions flattened into columns)."""
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.ndim) if d != dim))
    return weight.reshape(weight.shape[0], -1)
