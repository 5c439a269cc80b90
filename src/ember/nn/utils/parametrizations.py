"""``nn.utils.parametrizations``: weight normalisation, spectral normalisation and orthogonal matrices as
parametrizations (``nn.utils.parametrize``), the forms torch recommends over the hook-based ``nn.utils.weight_norm``
and ``nn.utils.spectral_norm``.

Torch parity: the state_dict keys (``parametrizations.weight.original0/1`` for weight_norm, ``.original`` plus the
``_u``/``_v`` buffers for spectral_norm, ``.original`` and ``base`` for orthogonal), arguments, defaults and errors
of ``torch.nn.utils.parametrizations``. Random starts (spectral_norm's u, v; orthogonal's completion of a
non-square matrix) come from ember's generator: copy torch's buffers across to compare.
"""
from __future__ import annotations

from enum import Enum, auto

import numpy as np

from ... import linalg
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor, _wrap
from .. import functional as F
from ..modules.module import Module
from . import parametrize
from ._norm import norm_except_dim, spectral_dim, spectral_matrix
from ... import _errors

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# ---- orthogonal -------------------------------------------------------------------------
def _is_orthogonal(q) -> bool:
    n, k = q.shape[-2], q.shape[-1]
    a = q._data
    eps = 10.0 * n * np.finfo(a.dtype).eps
    return bool(np.allclose(np.swapaxes(a, -1, -2).conj() @ a, np.eye(k, dtype=a.dtype), atol=eps, rtol=1e-5))


def _make_orthogonal(a: Tensor) -> Tensor:
    """Q of A = QR with R's diagonal made positive (Q·sgn(diag R)): the orthogonal matrix closest in QR's sense."""
    q, r = np.linalg.qr(a._data)
    return _wrap(q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :])


def _geqrf(a: np.ndarray):
    """LAPACK's geqrf: R on and above the diagonal, the Householder vectors below, and their τ."""
    flat = a.reshape(-1, *a.shape[-2:])
    hs, taus = zip(*(np.linalg.qr(m, mode="raw") for m in flat))
    return (np.stack([h.T for h in hs]).reshape(a.shape).astype(a.dtype),
            np.stack(taus).reshape(*a.shape[:-2], -1).astype(a.dtype))


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    """Q(X): matrix_exp: exp(A), cayley: (I − A/2)⁻¹(I + A/2), with A = tril(X) − tril(X)ᴴ skew-symmetric;
    householder: the product of the Householder reflectors stored below X's diagonal. With the trivialization,
    Q ← base·Q, so any orthogonal matrix is reached from X = −I (Lezcano-Casado & Martínez-Rubio, 2019)."""

    def __init__(self, weight, orthogonal_map: _OrthMaps, *, use_trivialization=True) -> None:
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                from ... import cat

                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                from ... import matrix_exp

                Q = matrix_exp(A)
            else:
                from ... import eye

                Id = eye(n, dtype=A.dtype)
                Q = linalg.solve(Id - A * 0.5, Id + A * 0.5)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = linalg.householder_product(A, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                                 f"Got a tensor of shape {Q.shape}.")
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                              "parametrizations when use_trivialization=False.")
                A, tau = _geqrf(Q._data)
                d = np.sign(np.diagonal(A, axis1=-2, axis2=-1)) * np.where(tau == 0.0, -1, 1)
                idx = np.arange(min(A.shape[-2:]))
                A[..., idx, idx] = d
                A = _wrap(A)
                return A.mT if transpose else A
            if n == k:
                Q = _make_orthogonal(Q) if not _is_orthogonal(Q) else Q.clone()
            else:
                from ... import cat, randn

                N = randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype)
                Q = _make_orthogonal(cat([Q, N], dim=-1))
            self.base = Q
            neg_id = np.zeros(tuple(Q_init.shape), dtype=Q_init._data.dtype)
            idx = np.arange(min(neg_id.shape[-2:]))
            neg_id[..., idx, idx] = -1.0
            return _wrap(neg_id)


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Constrain ``module.<name>`` (a matrix or batch of matrices) to be orthogonal (or unitary): QᴴQ = I.

    Args:
        orthogonal_map: "matrix_exp", "cayley" or "householder". Default: "matrix_exp" for square (or complex)
            matrices, "householder" otherwise.
        use_trivialization: keep a ``base`` buffer so any orthogonal matrix can be assigned. Default: True.

    Reference: Lezcano-Casado & Martínez-Rubio, "Cheap Orthogonal Constraints in Neural Networks", ICML 2019.
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    parametrize.register_parametrization(module, name, _Orthogonal(weight, orth_enum,
                                                                   use_trivialization=use_trivialization), unsafe=True)
    return module


# ---- weight norm ------------------------------------------------------------------------
class _WeightNorm(Module):
    """w = g · v / ‖v‖, the norm over every dimension but ``dim`` (the whole tensor when dim = −1)."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight):
        return norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int = 0):
    """Reparametrize ``module.<name>`` as w = g · v / ‖v‖ (g = ``original0``, v = ``original1``); a checkpoint of
    the hook-based form (keys ``<name>_g``, ``<name>_v``) still loads.

    Reference: Salimans & Kingma, "Weight Normalization", NeurIPS 2016. https://arxiv.org/abs/1602.07868
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def compat(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(compat)
    return module


# ---- spectral norm ----------------------------------------------------------------------
class _SpectralNorm(Module):
    """W / σ(W), σ estimated by power iteration on the matrix W_mat (``dim`` first, the rest flattened):
    v ← normalize(W_matᴴ u), u ← normalize(W_mat v), σ = uᴴ W_mat v; one (n_power_iterations) step per training
    forward, 15 at registration. A vector is just normalised."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        self.dim = spectral_dim(dim, ndim)
        if n_power_iterations <= 0:
            raise _errors.n_power_iterations(n_power_iterations)
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            mat = spectral_matrix(weight, self.dim)
            h, w = mat.shape
            self.register_buffer("_u", F.normalize(mat.new_empty(h).normal_(0, 1), dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(mat.new_empty(w).normal_(0, 1), dim=0, eps=self.eps))
            self._power_method(mat, 15)

    def _power_method(self, mat: Tensor, n_power_iterations: int) -> None:
        from ... import mv

        with no_grad():
            for _ in range(n_power_iterations):
                self._u._data[...] = F.normalize(mv(mat, self._v), dim=0, eps=self.eps)._data
                self._v._data[...] = F.normalize(mv(mat.mH, self._u), dim=0, eps=self.eps)._data

    def forward(self, weight: Tensor) -> Tensor:
        from ... import mv, vdot

        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        mat = spectral_matrix(weight, self.dim)
        if self.training:
            self._power_method(mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        return weight / vdot(u, mv(mat, v))

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Reparametrize ``module.<name>`` as W / σ(W) (σ the largest singular value, by power iteration).

    Args:
        n_power_iterations: power-iteration steps per training forward. Default: 1.
        eps: added to norms when normalising u and v. Default: 1e-12.
        dim: the output dimension. Default: 1 for ConvTranspose, else 0.

    Reference: Miyato et al., "Spectral Normalization for Generative Adversarial Networks", ICLR 2018.
    https://arxiv.org/abs/1802.05957
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        from ..modules.conv import ConvTranspose1d, ConvTranspose2d
        from ..modules.conv3d import ConvTranspose3d

        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
