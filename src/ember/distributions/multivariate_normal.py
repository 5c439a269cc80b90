"""MultivariateNormal(loc μ, covariance_matrix Σ | precision_matrix P | scale_tril L), Σ = L·Lᵀ:

    log p(x) = −½·(D·log 2π + ‖L⁻¹(x − μ)‖²) − Σᵢ log Lᵢᵢ        rsample μ + L·ε, ε ~ N(0, I)

The Cholesky factor and the triangular solves are composed from ember's ops (a loop over the D rows, written
once below), so every quantity is differentiable to any order; meant for the small D of everyday models.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _creation
from ..autograd.ops.shape import stack
from . import constraints, utils
from .distribution import Distribution, lazy_property


def _cholesky(a):
    """L lower triangular with L·Lᵀ = a (Cholesky–Banachiewicz, row by row). It reads (a + aᵀ)/2, so the gradient
    of a symmetric input is symmetric, as torch's cholesky backward gives."""
    a = (a + a.transpose(-1, -2)) * 0.5
    n = a.shape[-1]
    rows = []
    for i in range(n):
        row = []
        for j in range(i + 1):
            s = a[..., i, j]
            other = row if j == i else rows[j]
            for k in range(j):
                s = s - row[k] * other[k]
            row.append(s.sqrt() if i == j else s / rows[j][j])
        rows.append(row)
    zero = a[..., 0, 0] * 0
    return stack([stack([rows[i][j] if j <= i else zero for j in range(n)], -1) for i in range(n)], -2)


def _solve_tril(L, b):
    """z with L·z = b (forward substitution over the last dim of b)."""
    n = L.shape[-1]
    z = []
    for i in range(n):
        s = b[..., i]
        for j in range(i):
            s = s - L[..., i, j] * z[j]
        z.append(s / L[..., i, i])
    return stack(z, -1)


def _tril_inverse(L):
    """L⁻¹ (lower triangular), column by column."""
    n = L.shape[-1]
    eye = _creation.eye(n, dtype=L.dtype)
    cols = [_solve_tril(L, eye[j].expand(*L.shape[:-1])) for j in range(n)]
    return stack(cols, -1)


def _batch_mahalanobis(L, diff):
    """‖L⁻¹·diff‖² over the last dim."""
    return (_solve_tril(L, diff) ** 2).sum(-1)


def _diag(m):
    return stack([m[..., i, i] for i in range(m.shape[-1])], -1)


class MultivariateNormal(Distribution):
    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        given = scale_tril if scale_tril is not None else covariance_matrix if covariance_matrix is not None \
            else precision_matrix
        name = "scale_tril" if scale_tril is not None else "covariance_matrix" if covariance_matrix is not None \
            else "precision_matrix"
        if given.dim() < 2:
            raise ValueError(f"{name} must be at least two-dimensional, with optional leading batch dimensions")
        batch = np.broadcast_shapes(tuple(given.shape[:-2]), tuple(loc.shape[:-1]))
        setattr(self, name, given.expand(*batch, -1, -1))
        self.loc = loc.expand(*batch, -1)
        super().__init__(batch, self.loc.shape[-1:], validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = given
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = _cholesky(given)
        else:  # Σ = P⁻¹ = L_P⁻ᵀ·L_P⁻¹, then its Cholesky factor
            inv = _tril_inverse(_cholesky(given))
            self._unbroadcasted_scale_tril = _cholesky(inv.transpose(-1, -2) @ inv)

    def _expand_params(self):
        return ["loc"] + [k for k in ("covariance_matrix", "precision_matrix", "scale_tril") if k in self.__dict__]

    def _param_event_shape(self, name):
        d = self._event_shape[0]
        return (d,) if name == "loc" else (d, d)

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(*self._batch_shape, -1, -1)

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return (L @ L.transpose(-1, -2)).expand(*self._batch_shape, -1, -1)

    @lazy_property
    def precision_matrix(self):
        inv = _tril_inverse(self._unbroadcasted_scale_tril)
        return (inv.transpose(-1, -2) @ inv).expand(*self._batch_shape, -1, -1)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        """diag(Σ) = Σⱼ Lᵢⱼ²."""
        return (self._unbroadcasted_scale_tril**2).sum(-1).expand(*self._batch_shape, *self._event_shape)

    def rsample(self, sample_shape=()):
        eps = utils.standard_normal(self._extended_shape(sample_shape), self.loc.dtype)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        L = self._unbroadcasted_scale_tril
        diff = value - self.loc
        L = L.expand(*diff.shape[:-1], -1, -1) if tuple(L.shape[:-2]) != tuple(diff.shape[:-1]) else L
        m = _batch_mahalanobis(L, diff)
        half_log_det = _diag(self._unbroadcasted_scale_tril).log().sum(-1)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + m) - half_log_det

    def entropy(self):
        """½·D·(1 + log 2π) + Σᵢ log Lᵢᵢ."""
        half_log_det = _diag(self._unbroadcasted_scale_tril).log().sum(-1)
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        return H.expand(*self._batch_shape) if tuple(H.shape) != tuple(self._batch_shape) else H
