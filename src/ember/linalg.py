"""torch.linalg on NumPy: norms, decompositions, solvers and the functions built on them.

The decompositions and solvers are primitives in ``autograd/ops/linalg.py`` (each with its gradient formula and
reference, written against ``xp`` so that it is differentiated twice); everything else here composes them with
ember's ops. Failures torch reports as ``torch.linalg.LinAlgError`` (a singular matrix, a matrix that is not
positive-definite) raise :class:`LinAlgError` with torch's message, which names the batch element and the LAPACK
``info`` (the zero diagonal element, the order of the leading minor).

Torch parity: real dtypes, except ``solve`` (and ``eig``/``eigvals``, whose results are complex), which take
complex matrices too. The ``*_ex`` functions return the ``info`` codes torch returns; the factor of a failing
batch element is unspecified (torch's is LAPACK's partial work).
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from . import _dtype, _errors
from .autograd.ops import linalg as _L
from .autograd.ops import reduction as _R
from .autograd.ops import shape as _S
from .autograd.ops.linalg import linalg_cross as cross
from .autograd.ops.linalg import matmul, multi_dot
from .tensor import Tensor, _wrap

__all__ = [
    "LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig", "eigh", "eigvals", "eigvalsh",
    "householder_product", "inv", "inv_ex", "ldl_factor", "ldl_factor_ex", "ldl_solve", "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "matmul",
    "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet",
    "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "tensorinv", "tensorsolve", "vander", "vecdot",
    "vector_norm",
]


class LinAlgError(RuntimeError):
    """A matrix a LAPACK routine could not factor (torch.linalg.LinAlgError, a RuntimeError)."""


# torch's return types (named tuples with torch's field names)
linalg_inv_ex = namedtuple("linalg_inv_ex", ["inverse", "info"])
linalg_solve_ex = namedtuple("linalg_solve_ex", ["result", "info"])
linalg_cholesky_ex = namedtuple("linalg_cholesky_ex", ["L", "info"])
linalg_slogdet = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
linalg_qr = namedtuple("linalg_qr", ["Q", "R"])
linalg_svd = namedtuple("linalg_svd", ["U", "S", "Vh"])
linalg_eigh = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
linalg_eig = namedtuple("linalg_eig", ["eigenvalues", "eigenvectors"])
linalg_lstsq = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
linalg_lu_factor = namedtuple("linalg_lu_factor", ["LU", "pivots"])
linalg_lu_factor_ex = namedtuple("linalg_lu_factor_ex", ["LU", "pivots", "info"])
linalg_lu = namedtuple("linalg_lu", ["P", "L", "U"])
linalg_ldl_factor = namedtuple("linalg_ldl_factor", ["LD", "pivots"])
linalg_ldl_factor_ex = namedtuple("linalg_ldl_factor_ex", ["LD", "pivots", "info"])

_INF = float("inf")


# ---- argument checks (torch's messages) ---------------------------------------------------------------------
def _check_matrix(name: str, A: Tensor, arg: str = "A", square: bool = True, floating: bool = True,
                  complex_ok: bool = False) -> None:
    if A._data.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")
    if square and A._data.shape[-1] != A._data.shape[-2]:
        raise RuntimeError(
            f"{name}: {arg} must be batches of square matrices, but they are {A._data.shape[-2]} by "
            f"{A._data.shape[-1]} matrices"
        )
    if floating and A._data.dtype.kind != "f" and not (complex_ok and A._data.dtype.kind == "c"):
        raise RuntimeError(
            f"{name}: Expected a floating point or complex tensor as input. Got {_dtype.scalar_name(A.dtype)}"
        )


def _raise_batched(name: str, infos: np.ndarray, message) -> None:
    """LinAlgError for the first failing batch element (info > 0), prefixed with its index when batched."""
    flat = np.asarray(infos).reshape(-1)
    bad = np.flatnonzero(flat > 0)
    if bad.size:
        prefix = f"(Batch element {bad[0]}): " if np.ndim(infos) else ""
        raise LinAlgError(f"{name}: {prefix}{message(int(flat[bad[0]]))}")


def _lu_info(a: np.ndarray) -> np.ndarray:
    """getrf's info per matrix: the 1-based index of the first exactly zero pivot of U, 0 when there is none."""
    lu, _ = _L.lu_array(a)
    d = np.diagonal(lu, axis1=-2, axis2=-1) == 0
    return np.where(d.any(-1), d.argmax(-1) + 1, 0).astype(np.int32)


def _chol_info(a: np.ndarray) -> np.ndarray:
    """potrf's info per matrix: the order of the first leading minor that is not positive-definite, or 0."""
    n = a.shape[-1]
    lo = np.zeros_like(a)
    info = np.zeros(a.shape[:-2], dtype=np.int32)
    for k in range(n):
        d = a[..., k, k] - (lo[..., k, :k] ** 2).sum(-1)
        info = np.where((info == 0) & ~(d > 0), k + 1, info)
        root = np.sqrt(np.where(d > 0, d, 1))
        lo[..., k, k] = root
        lo[..., k + 1 :, k] = (a[..., k + 1 :, k] - (lo[..., k + 1 :, :k] * lo[..., k : k + 1, :k]).sum(-1)) / root[..., None]
    return info


_SINGULAR_INV = "The diagonal element {} is zero, the inversion could not be completed because the input matrix is singular."


# ---- inverses and solvers -------------------------------------------------------------------------------------
def _eye_like(A: Tensor) -> Tensor:
    return _wrap(np.eye(A._data.shape[-1], dtype=A._data.dtype))


def inv(A, *, out=None, _name="linalg.inv"):
    """A⁻¹ (batched), as the solution of A·X = I; a singular A raises LinAlgError naming the zero pivot."""
    _check_matrix(_name, A)
    _raise_batched(_name, _lu_info(A._data), _SINGULAR_INV.format)
    return _L._into(out, _L.Solve.apply(A, _eye_like(A)))


def inv_ex(A, *, check_errors=False, out=None):
    """(A⁻¹, info): info is getrf's (0, or the 1-based index of the zero pivot); no error unless check_errors."""
    _check_matrix("linalg.inv_ex", A)
    info = _lu_info(A._data)
    if check_errors:
        _raise_batched("linalg.inv_ex", info, _SINGULAR_INV.format)
    if info.any():
        a = np.where((info > 0)[..., None, None], np.eye(A._data.shape[-1], dtype=A._data.dtype), A._data)
        res = _wrap(np.where((info > 0)[..., None, None], np.nan, np.linalg.inv(a)))
    else:
        res = _L.Solve.apply(A, _eye_like(A))
    return linalg_inv_ex(res, _wrap(info))


def _solve_operands(name, A, B, left):
    """(A, B as a batch of matrices, vector?) for A·X = B (or X·A = B), with torch's vector rule and shape error."""
    _check_matrix(name, A, complex_ok=True)
    if B._data.dtype != A._data.dtype:
        raise RuntimeError(
            f"{name}: Expected A and B to have the same dtype, but found A of type {_dtype.scalar_name(A.dtype)} "
            f"and B of type {_dtype.scalar_name(B.dtype)} instead"
        )
    vector = B._data.ndim == 1 or (B._data.ndim == A._data.ndim - 1 and B._data.shape == A._data.shape[:-1])
    Bm = B.unsqueeze(-1) if vector else B
    if not left:
        A, Bm = A.transpose(-1, -2), Bm.transpose(-1, -2)
    n = A._data.shape[-1]
    if Bm._data.shape[-2] != n:
        shown = (Bm._data.shape[-2], Bm._data.shape[-1]) if left else (Bm._data.shape[-1], Bm._data.shape[-2])
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation {'AX = B' if left else 'XA = B'} "
            f"({n}x{n} and {shown[0]}x{shown[1]})"
        )
    return A, Bm, vector


def _solve_finish(X, vector, left):
    if not left:
        X = X.transpose(-1, -2)
    return X.squeeze(-1) if vector else X


def solve(A, B, *, left=True, out=None):
    """X with A·X = B (left) or X·A = B; B may be a vector (or a batch of them)."""
    A2, B2, vector = _solve_operands("linalg.solve", A, B, left)
    _raise_batched("torch.linalg.solve", _lu_info(A2._data),
                   lambda i: "The solver failed because the input matrix is singular.")
    return _L._into(out, _solve_finish(_L.Solve.apply(A2, B2), vector, left))


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """(X, info) of :func:`solve` without raising for a singular A (unless check_errors)."""
    A2, B2, vector = _solve_operands("linalg.solve_ex", A, B, left)
    info = _lu_info(A2._data)
    if check_errors:
        _raise_batched("torch.linalg.solve_ex", info, lambda i: "The solver failed because the input matrix is singular.")
    if info.any():
        a = np.where((info > 0)[..., None, None], np.eye(A2._data.shape[-1], dtype=A2._data.dtype), A2._data)
        x = np.where((info > 0)[..., None, None], np.nan, np.linalg.solve(a, np.broadcast_to(B2._data, np.broadcast_shapes(a.shape[:-2], B2._data.shape[:-2]) + B2._data.shape[-2:])))
        res = _wrap(x)
    else:
        res = _L.Solve.apply(A2, B2)
    return linalg_solve_ex(_solve_finish(res, vector, left), _wrap(info))


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """X with A·X = B (or X·A = B) reading only A's upper (or lower) triangle, its diagonal taken as 1 with
    unitriangular; composed of the triangle and :func:`solve`, so Ā is triangular too (as torch's)."""
    _check_matrix("linalg.solve_triangular", A)
    if B._data.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 dimensions.")
    n = A._data.shape[-1]
    mask = np.triu(np.ones((n, n)), 1 if unitriangular else 0) if upper else np.tril(np.ones((n, n)), -1 if unitriangular else 0)
    T = A * _wrap(mask.astype(A._data.dtype))
    if unitriangular:
        T = T + _eye_like(A)
    return _L._into(out, solve(T, B, left=left))


# ---- determinants -------------------------------------------------------------------------------------------
def det(A, *, out=None):
    """det A (batched); its gradient is the cofactor matrix, through the SVD where A is singular."""
    _check_matrix("linalg.det", A)
    return _L._into(out, _L.Det.apply(A))


def slogdet(A, *, out=None):
    """(sign, log|det A|): sign ∈ {−1, 0, 1} (no gradient), log|det A| with gradient A⁻ᵀ."""
    _check_matrix("linalg.slogdet", A)
    sign = _wrap(np.asarray(np.linalg.slogdet(A._data)[0]))
    return linalg_slogdet(sign, _L.LogAbsDet.apply(A))


def logdet(A):
    """log det A: log|det A| where det A > 0, nan where it is negative, −inf where it is 0 (torch.logdet)."""
    _check_matrix("logdet", A)
    sign, lad = slogdet(A)
    return _E().where(sign < 0, _wrap(np.asarray(np.nan, A._data.dtype)), lad)


def _E():
    from .autograd.ops import elementwise

    return elementwise


# ---- decompositions -------------------------------------------------------------------------------------------
def cholesky(A, *, upper=False, out=None, _name="linalg.cholesky"):
    """L with A = L·Lᵀ (or U = Lᵀ with upper); A must be symmetric positive-definite (its lower triangle is read)."""
    _check_matrix(_name, A)
    _raise_batched(_name, _chol_info(A._data), lambda k: (
        "The factorization could not be completed because the input is not positive-definite (the leading minor "
        f"of order {k} is not positive-definite)."))
    L = _L.Cholesky.apply(A)
    return _L._into(out, L.transpose(-1, -2) if upper else L)


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """(L, info) of :func:`cholesky`: info is the order of the failing leading minor, 0 for success."""
    _check_matrix("linalg.cholesky_ex", A)
    info = _chol_info(A._data)
    if check_errors:
        return linalg_cholesky_ex(cholesky(A, upper=upper, _name="linalg.cholesky_ex"), _wrap(info))
    if info.any():
        a = np.where((info > 0)[..., None, None], np.eye(A._data.shape[-1], dtype=A._data.dtype), A._data)
        L = _wrap(np.where((info > 0)[..., None, None], np.nan, np.linalg.cholesky(a)))
    else:
        L = _L.Cholesky.apply(A)
    return linalg_cholesky_ex(L.transpose(-1, -2) if upper else L, _wrap(info))


_QR_MODES = ("reduced", "complete", "r")


def qr(A, mode="reduced", *, out=None):
    """(Q, R) with A = Q·R, Q orthonormal columns, R upper triangular; mode 'reduced' (k = min(m, n) columns),
    'complete' (Q is m×m) or 'r' (Q empty; not differentiable, as torch)."""
    if mode not in _QR_MODES:
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'"
        )
    _check_matrix("linalg.qr", A, square=False)
    out_ = _L.Qr.apply(A, mode=mode)
    lead, m, n = A._data.shape[:-2], A._data.shape[-2], A._data.shape[-1]
    k = m if mode == "complete" else min(m, n)
    Q, R = _L.unpack(out_, lead, ((m, k), (k, n)))
    if mode == "r":
        Q = _wrap(np.zeros((0,), A._data.dtype))
    return linalg_qr(Q, R)


def svd(A, full_matrices=True, *, driver=None, out=None):
    """(U, S, Vh) with A = U·diag(S)·Vh, S descending; full_matrices gives square U and Vh."""
    _check_matrix("linalg.svd", A, square=False)
    lead, m, n = A._data.shape[:-2], A._data.shape[-2], A._data.shape[-1]
    k = min(m, n)
    packed = _L.Svd.apply(A, full_matrices=full_matrices)
    U, S, Vh = _L.unpack(packed, lead, ((m, m if full_matrices else k), (k,), (n if full_matrices else k, n)))
    return linalg_svd(U, S, Vh)


def svdvals(A, *, driver=None, out=None):
    """The singular values, descending (the S of :func:`svd`; its gradient is U·diag(S̄)·Vh)."""
    _check_matrix("linalg.svdvals", A, square=False)
    return _L._into(out, svd(A, full_matrices=False).S)


def eigh(A, UPLO="L", *, out=None):
    """(λ ascending, V) with A = V·diag(λ)·Vᵀ for a symmetric A, reading its lower (UPLO='L') or upper triangle."""
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    _check_matrix("linalg.eigh", A)
    packed = _L.Eigh.apply(A, UPLO=UPLO)
    return linalg_eigh(packed[..., 0, :], packed[..., 1:, :])


def eig(A, *, out=None):
    """(λ, V) with A = V·diag(λ)·V⁻¹ for a square A: complex (complex64 for float32 A), V's columns of unit norm."""
    _check_eig("linalg.eig", A)
    packed = _L.Eig.apply(A)
    return _into_pair(out, linalg_eig(packed[..., 0, :], packed[..., 1:, :]))


def eigvals(A, *, out=None):
    """The eigenvalues of a square A, complex, in LAPACK's order (as torch)."""
    _check_eig("linalg.eigvals", A)
    return _L._into(out, eig(A).eigenvalues)


def _check_eig(name, A):
    """torch's checks of eig's input: a batch of square matrices, float32/64 or complex."""
    _check_matrix(name, A, floating=False)
    dt = A._data.dtype
    if dt.kind in "iub":
        raise RuntimeError(f"Unknown Complex ScalarType for {_dtype.scalar_name(dt)}")
    if dt == np.float16:
        from .autograd.ops._util import not_implemented

        raise not_implemented("linalg_eig_out_cpu", dt)


def _into_pair(out, res):
    if out is None:
        return res
    for o, r in zip(out, res):
        _L._into(o, r)
    return type(res)(*out)


def eigvalsh(A, UPLO="L", *, out=None):
    """The eigenvalues of a symmetric A, ascending."""
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    _check_matrix("linalg.eigh", A)
    return _L._into(out, eigh(A, UPLO).eigenvalues)


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """A⁺, dropping singular values ≤ max(atol, rtol·σ_max) (rtol defaults to eps·max(m, n) when neither is given)."""
    if A._data.ndim < 2 or A._data.dtype.kind != "f":
        raise RuntimeError(
            f"linalg.pinv({_dtype.scalar_name(A.dtype)}{{{list(A._data.shape)}}}): expected a tensor with 2 or more "
            "dimensions of float, double, cfloat or cdouble types"
        )
    at = atol._data if isinstance(atol, Tensor) else atol
    rt = rtol._data if isinstance(rtol, Tensor) else rtol
    return _L._into(out, _L.Pinv.apply(A, atol=at, rtol=rt, hermitian=hermitian))


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """The number of singular values > max(atol, rtol·σ_max) (int64; rtol defaults as in :func:`pinv`)."""
    if A._data.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    a = A._data
    s = np.abs(np.linalg.eigvalsh(a)) if hermitian else np.linalg.svd(a, compute_uv=False)
    m, n = a.shape[-2:]
    at = np.asarray(atol._data if isinstance(atol, Tensor) else (0.0 if atol is None else atol), dtype=a.dtype)
    if rtol is None:
        rt = np.asarray(np.finfo(a.dtype).eps * max(m, n) if atol is None or np.all(at <= 0) else 0.0, dtype=a.dtype)
    else:
        rt = np.asarray(rtol._data if isinstance(rtol, Tensor) else rtol, dtype=a.dtype)
    smax = s.max(-1) if s.shape[-1] else np.zeros(s.shape[:-1], a.dtype)
    cut = np.maximum(at, rt * smax)
    return _L._into(out, _wrap(np.asarray((s > cut[..., None]).sum(-1), dtype=np.int64)))


_LSTSQ_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution X = argmin ‖A·X − B‖ (minimum-norm, A⁺·B, for a rank-deficient A), as torch's
    CPU default driver 'gelsy': residuals and singular_values are empty, rank is returned (empty for 'gels');
    for 'gelsd'/'gelss' the singular values (no gradient, as torch's), and the residuals when m > n and A has
    full rank.
    rcond (default eps·max(m, n)) drops singular values ≤ rcond·σ_max."""
    if driver is not None and driver not in _LSTSQ_DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    if A._data.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    vector = B._data.ndim == A._data.ndim - 1
    Bm = B.unsqueeze(-1) if vector else B
    if Bm._data.shape[-2] != A._data.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    driver = driver or "gelsy"
    m, n = A._data.shape[-2:]
    rc = np.finfo(A._data.dtype).eps * max(m, n) if rcond is None or rcond < 0 else rcond
    X = matmul(_L.Pinv.apply(A, atol=None, rtol=rc, hermitian=False), Bm)
    empty = _wrap(np.zeros((0,), A._data.dtype))
    rank = matrix_rank(A, rtol=rc) if driver != "gels" else _wrap(np.zeros((0,), np.int64))
    sv, res = empty, empty
    if driver in ("gelsd", "gelss"):
        sv = _wrap(np.linalg.svd(A._data, compute_uv=False))
        if m > n and np.all(rank._data == n):
            res = ((matmul(A, X) - Bm) ** 2).sum(-2)
    if vector:
        X = X.squeeze(-1)
    return linalg_lstsq(X, res, rank, sv)


# ---- LU -------------------------------------------------------------------------------------------------------
def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """(LU, pivots, info): P·A = L·U packed in one matrix, LAPACK's 1-based int32 pivots, getrf's info."""
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    _check_matrix("torch.linalg.lu_factor_ex", A, square=False)
    LU = _L.LuFactor.apply(A)
    _, piv = _L.lu_array(A._data)
    d = np.diagonal(LU._data, axis1=-2, axis2=-1) == 0
    info = np.where(d.any(-1), d.argmax(-1) + 1, 0).astype(np.int32)
    if check_errors:
        _raise_batched("torch.linalg.lu_factor_ex", info, lambda k: f"U[{k},{k}] is zero")
    return linalg_lu_factor_ex(LU, _wrap(piv), _wrap(info))


def lu_factor(A, *, pivot=True, out=None):
    """(LU, pivots) of :func:`lu_factor_ex`; a zero pivot raises RuntimeError as torch."""
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    _check_matrix("torch.linalg.lu_factor", A, square=False)
    LU, piv, info = lu_factor_ex(A)
    flat = info._data.reshape(-1)
    if (flat > 0).any():
        k = int(flat[flat > 0][0])
        raise RuntimeError(
            f"torch.linalg.lu_factor: U[{k},{k}] is zero and using it on lu_solve would result in a division by zero. "
            "If you still want to perform the factorization, consider calling linalg.lu(A, pivot) or "
            "linalg.lu_factor_ex(A, pivot)"
        )
    return linalg_lu_factor(LU, piv)


def _perm_matrix(perm: np.ndarray, dtype) -> Tensor:
    """P with A = P·L·U for (P·A)[i] = A[perm[i]]: P[perm[i], i] = 1."""
    m = perm.shape[-1]
    P = np.zeros(perm.shape + (m,), dtype=dtype)
    np.put_along_axis(P, perm[..., None, :], 1, -2)
    return _wrap(P)


def lu(A, *, pivot=True, out=None):
    """(P, L, U) with A = P·L·U, L unit lower (m×k), U upper (k×n), k = min(m, n)."""
    if not pivot:
        raise RuntimeError("linalg.lu: LU without pivoting is not implemented on the CPU")
    _check_matrix("linalg.lu", A, square=False)
    LU, piv, _ = lu_factor_ex(A)
    m, n = A._data.shape[-2:]
    k = min(m, n)
    dt = A._data.dtype
    L = LU[..., :, :k] * _wrap(np.tril(np.ones((m, k), dt), -1)) + _wrap(np.eye(m, k, dtype=dt))
    U = LU[..., :k, :] * _wrap(np.triu(np.ones((k, n), dt)))
    return linalg_lu(_perm_matrix(_L.pivots_to_perm(piv._data, m), dt), L, U)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """X with A·X = B (or X·A = B; Aᵀ with adjoint) from A's :func:`lu_factor`."""
    n = LU._data.shape[-1]
    dt = LU._data.dtype
    L = LU * _wrap(np.tril(np.ones((n, n), dt), -1)) + _wrap(np.eye(n, dtype=dt))
    U = LU * _wrap(np.triu(np.ones((n, n), dt)))
    P = _perm_matrix(_L.pivots_to_perm(pivots._data, n), dt)
    A = matmul(P, matmul(L, U))  # the solve's gradient then flows into LU's triangles
    if adjoint:
        A = A.transpose(-1, -2)
    return _L._into(out, solve(A, B, left=left))


# ---- LDLᵀ (Bunch–Kaufman; no derivative, as torch) ---------------------------------------------------------------
def ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None):
    """(LD, pivots, info) of A = P·L·D·Lᵀ·Pᵀ for symmetric A (lower triangle read), in LAPACK sytrf's compact form
    (``autograd/ops/linalg.py: ldl_array``); info is the first zero pivot (1-based), 0 for success."""
    _check_matrix("torch.linalg.ldl_factor_ex", A)  # (torch names ldl_factor_ex for both)
    a = A._data
    flat = a.reshape((-1,) + a.shape[-2:])
    parts = [_L.ldl_array(m) for m in flat]
    ld = np.stack([p[0] for p in parts]).reshape(a.shape) if parts else np.zeros(a.shape, a.dtype)
    piv = np.stack([p[1] for p in parts]).reshape(a.shape[:-1]) if parts else np.zeros(a.shape[:-1], np.int32)
    info = np.asarray([p[2] for p in parts], dtype=np.int32).reshape(a.shape[:-2])
    if check_errors:
        _raise_batched("torch.linalg.ldl_factor_ex", info, _LDL_SINGULAR.format)
    return linalg_ldl_factor_ex(_wrap(ld), _wrap(piv), _wrap(info))


# (torch reports this case as an internal assert, "Unknown error code"; ember names the zero pivot)
_LDL_SINGULAR = "The factorization could not be completed because the input is singular (the diagonal element {} is zero)."


def ldl_factor(A, *, hermitian=False, out=None):
    """(LD, pivots) of :func:`ldl_factor_ex`; a zero pivot raises RuntimeError."""
    LD, piv, info = ldl_factor_ex(A, hermitian=hermitian)
    flat = info._data.reshape(-1)
    if (flat > 0).any():
        raise RuntimeError(f"torch.linalg.ldl_factor: {_LDL_SINGULAR.format(int(flat[flat > 0][0]))}")
    return linalg_ldl_factor(LD, piv)


def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
    """X with A·X = B from A's :func:`ldl_factor` (LAPACK sytrs's two triangular sweeps with the interchanges)."""
    if B._data.ndim < 2:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got -2)")
    ld, piv, b = LD._data, pivots._data, B._data
    lead = np.broadcast_shapes(ld.shape[:-2], b.shape[:-2])
    ld = np.broadcast_to(ld, lead + ld.shape[-2:]).reshape((-1,) + ld.shape[-2:])
    piv = np.broadcast_to(piv, lead + piv.shape[-1:]).reshape((-1,) + piv.shape[-1:])
    bb = np.broadcast_to(b, lead + b.shape[-2:]).reshape((-1,) + b.shape[-2:])
    x = np.stack([_L.ldl_solve_array(m, p, v) for m, p, v in zip(ld, piv, bb)]) if bb.shape[0] else bb.copy()
    return _L._into(out, _wrap(x.reshape(lead + b.shape[-2:])))


# ---- matrix functions -----------------------------------------------------------------------------------------
def matrix_power(A, n, *, out=None):
    """Aⁿ by repeated squaring (n < 0: (A⁻¹)^|n|; n = 0: the identity)."""
    _check_matrix("linalg.matrix_power", A, floating=False)
    if n == 0:
        return _L._into(out, _wrap(np.broadcast_to(np.eye(A._data.shape[-1], dtype=A._data.dtype), A._data.shape).copy()))
    if n < 0:
        A, n = inv(A), -n
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return _L._into(out, result)


# Padé(13) coefficients b₀…b₁₃ of exp (Higham, "The scaling and squaring method for the matrix exponential
# revisited", SIAM J. Matrix Anal. Appl. 26, 2005, Table 2.3) and θ₁₃, the largest ‖A‖₁ it serves to double precision
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
           10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def matrix_exp(A):
    """exp(A) = Σ Aᵏ/k! by scaling and squaring with the Padé(13) approximant r = (V − U)⁻¹(V + U) of A/2ˢ,
    squared s times (Higham 2005). It is composed of matmul and solve, so its gradient (and the second) is the
    derivative of the same scheme (Al-Mohy & Higham, "Computing the Fréchet derivative of the matrix exponential",
    SIAM J. Matrix Anal. Appl. 30, 2009)."""
    _check_matrix("linalg.matrix_exp", A, floating=False)
    a = A._data
    norm1 = np.abs(a).sum(-2).max(-1) if a.size else np.zeros(a.shape[:-2])
    s = int(max(0, np.ceil(np.log2(np.max(norm1, initial=0.0) / _THETA13)))) if np.max(norm1, initial=0.0) > _THETA13 else 0
    X = A * (0.5 ** s) if s else A
    b = _PADE13
    eye = _eye_like(A)
    X2 = matmul(X, X)
    X4 = matmul(X2, X2)
    X6 = matmul(X4, X2)
    U = matmul(X, matmul(X6, X6 * b[13] + X4 * b[11] + X2 * b[9]) + X6 * b[7] + X4 * b[5] + X2 * b[3] + eye * b[1])
    V = matmul(X6, X6 * b[12] + X4 * b[10] + X2 * b[8]) + X6 * b[6] + X4 * b[4] + X2 * b[2] + eye * b[0]
    R = _L.Solve.apply(V - U, V + U)
    for _ in range(s):
        R = matmul(R, R)
    return R


def tensorinv(A, ind=2, *, out=None):
    """The tensor B with tensordot(B, A, ind) = identity: A reshaped to (Π shape[:ind], Π shape[ind:]) and inverted."""
    if not isinstance(ind, int) or ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    head, tail = A._data.shape[:ind], A._data.shape[ind:]
    rows, cols = int(np.prod(head)), int(np.prod(tail))
    if rows != cols:
        raise RuntimeError(
            f"Expected self to satisfy the requirement prod(self.shape[ind:]) == prod(self.shape[:ind]), but got "
            f"{cols} != {rows}"
        )
    return _L._into(out, inv(A.reshape(rows, cols), _name="inv").reshape(*tail, *head))


def tensorsolve(A, B, dims=None, *, out=None):
    """X with tensordot(A, X, X.ndim) = B (``dims``: axes of A moved to the end first)."""
    if dims is not None:
        nd = A._data.ndim
        d = [x % nd for x in dims]
        A = A.permute(*[i for i in range(nd) if i not in d], *d)
    rest = A._data.shape[B._data.ndim :]
    n = int(np.prod(rest))
    X = solve(A.reshape(-1, n), B.reshape(-1))
    return _L._into(out, X.reshape(*rest))


def vander(x, *, N=None):
    """out[..., i, j] = x[..., i]ʲ for j < N (N defaults to x's last size), increasing powers."""
    N = (x._data.shape[-1] if x._data.ndim else 1) if N is None else N
    if N <= 1:
        raise RuntimeError("N must be greater than 1.")
    cols = [_wrap(np.ones(x._data.shape, x._data.dtype)) if x._data.dtype.kind != "b" else x.to(_dtype.int64) ** 0]
    for _ in range(N - 1):
        cols.append(cols[-1] * x)
    return _S.stack(cols, -1)


def vecdot(x, y, *, dim=-1, out=None):
    """Σ x·y along dim (broadcast over the other dims; conj(x) is x for real tensors)."""
    if x._data.shape[dim] != y._data.shape[dim] and x._data.ndim == y._data.ndim == 1:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{x._data.shape[0]}] and src [{y._data.shape[0]}] to have "
            f"the same number of elements, but got {x._data.shape[0]} and {y._data.shape[0]} elements respectively"
        )
    return _L._into(out, (x * y).sum(dim))


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The (offset) diagonal of each matrix over dims dim1, dim2, along a new last dim (an einsum, differentiable)."""
    from .autograd.ops._util import dims as _dims

    nd = A._data.ndim
    (d1,), (d2,) = _dims(dim1, nd), _dims(dim2, nd)
    X = A.permute(*[i for i in range(nd) if i not in (d1, d2)], d1, d2)
    X = X[..., :, offset:] if offset >= 0 else X[..., -offset:, :]
    k = min(X._data.shape[-2:])
    return _L.einsum("...ii->...i", X[..., :k, :k])


def householder_product(A, tau, *, out=None):
    """Q = H₁·H₂·…·H_k with Hᵢ = I − τᵢ·vᵢ·vᵢᵀ, vᵢ the i-th column of A below the diagonal with a unit diagonal
    (LAPACK orgqr's product), Q with A's shape; composed of matmuls, so differentiable twice."""
    m, n = A._data.shape[-2:]
    k = tau._data.shape[-1]
    if A._data.ndim < 2:
        raise RuntimeError("torch.linalg.householder_product: input must have at least 2 dimensions.")
    if m < n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if n < k:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    dt = A._data.dtype
    V = A * _wrap(np.tril(np.ones((m, n), dt), -1)) + _wrap(np.eye(m, n, dtype=dt))
    Q = _wrap(np.eye(m, n, dtype=dt))
    for i in reversed(range(k)):  # Q ← Hᵢ·Q from the last reflector to the first
        v = V[..., :, i : i + 1]
        Q = Q - matmul(v * tau[..., i : i + 1].unsqueeze(-1), matmul(v.transpose(-1, -2), Q))
    return _L._into(out, Q)


# ---- norms ----------------------------------------------------------------------------------------------------
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """(Σ|x|ᵒʳᵈ)^(1/ord) over dim (all elements by default); ord = ±inf gives max/min |x|, 0 the count of nonzeros."""
    if isinstance(ord, str) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}")
    if x._data.dtype.kind != "f" and dtype is None:
        raise _errors.vector_norm_needs_float(_dtype.scalar_name(x.dtype))
    if isinstance(dim, int):
        dim = (dim,)
    return _L._into(out, _R.norm(x, ord, dim=dim, keepdim=keepdim, dtype=dtype))


_MATRIX_ORDS = ("fro", "nuc", _INF, -_INF, 1, -1, 2, -2)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """Matrix norms over the two dims: 'fro' (√Σa²), 'nuc' (Σσ), ±2 (max/min σ), ±1 (max/min column sum of |a|),
    ±inf (max/min row sum of |a|)."""
    if ord not in _MATRIX_ORDS:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    _check_matrix("linalg.matrix_norm", A, square=False, floating=False)
    if dtype is not None:
        A = A.to(dtype)
    if A._data.dtype.kind != "f":
        raise RuntimeError(
            f"linalg.matrix_norm: Expected a floating point or complex tensor as input. Got {_dtype.scalar_name(A.dtype)}"
        )
    nd = A._data.ndim
    d0, d1 = dim[0] % nd, dim[1] % nd
    if ord == "fro":
        return _L._into(out, _R.norm(A, 2, dim=(d0, d1), keepdim=keepdim))
    X = A.permute(*[i for i in range(nd) if i not in (d0, d1)], d0, d1)
    if ord in ("nuc", 2, -2):
        s = svdvals(X)
        r = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
    elif ord in (1, -1):
        c = X.abs().sum(-2)
        r = c.amax(-1) if ord == 1 else c.amin(-1)
    else:
        c = X.abs().sum(-1)
        r = c.amax(-1) if ord == _INF else c.amin(-1)
    if keepdim:
        for d in sorted((d0, d1)):
            r = r.unsqueeze(d)
    return _L._into(out, r)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """A vector norm (1-D input or an int dim) or a matrix norm (2-D input or a pair of dims); ord=None is the
    2-norm of the flattened input (dim=None) or of the vector, 'fro' for a matrix."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is None and ord is not None and A._data.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A._data.ndim}D.")
    if dim is not None and len(dim) == 2 or dim is None and ord is not None and A._data.ndim == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim if dim is not None else (-2, -1), keepdim, dtype=dtype, out=out)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)


def cond(A, p=None, *, out=None):
    """The condition number ‖A‖_p·‖A⁻¹‖_p; p = None/2/−2 through the singular values (σ_max/σ_min or its inverse)."""
    if p in (None, 2, -2):
        _check_matrix("linalg.cond", A, square=False)
        s = svdvals(A)
        r = s.amax(-1) / s.amin(-1) if p in (None, 2) else s.amin(-1) / s.amax(-1)
        return _L._into(out, r)
    _check_matrix("linalg.cond", A)
    return _L._into(out, matrix_norm(A, p) * matrix_norm(inv(A), p))



# ---- torch's older top-level forms (torch.svd, torch.qr, torch.cholesky, …), composed of the above -------------
# (named as torch names them: torch.return_types.svd, .qr, .triangular_solve)
torch_svd = namedtuple("svd", ["U", "S", "V"])  # type: ignore[name-match]
torch_qr = namedtuple("qr", ["Q", "R"])  # type: ignore[name-match]
torch_triangular_solve = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])  # type: ignore[name-match]


def _svd_old(input, some=True, compute_uv=True):
    """torch.svd: (U, S, V) with input = U·diag(S)·Vᵀ (V, not Vh); without compute_uv, U and V are zeros."""
    if not compute_uv:  # (torch's zero U and V are m×m and n×n)
        S = svdvals(input)
        lead, (m, n) = input._data.shape[:-2], input._data.shape[-2:]
        dt = input._data.dtype
        return torch_svd(_wrap(np.zeros(lead + (m, m), dt)), S, _wrap(np.zeros(lead + (n, n), dt)))
    U, S, Vh = svd(input, full_matrices=not some)
    return torch_svd(U, S, Vh.transpose(-1, -2))


def _qr_old(input, some=True):
    """torch.qr: linalg.qr with mode 'reduced' (some) or 'complete'."""
    return torch_qr(*qr(input, mode="reduced" if some else "complete"))


def _cholesky_old(input, upper=False):
    """torch.cholesky (deprecated in torch for linalg.cholesky)."""
    return cholesky(input, upper=upper, _name="linalg.cholesky")


def cholesky_solve(B, L, upper=False):
    """X with (L·Lᵀ)·X = B (or (Uᵀ·U)·X = B with upper), from a Cholesky factor."""
    A = matmul(L.transpose(-1, -2), L) if upper else matmul(L, L.transpose(-1, -2))
    return solve(A, B)


def cholesky_inverse(L, upper=False):
    """(L·Lᵀ)⁻¹ (or (Uᵀ·U)⁻¹) from a Cholesky factor."""
    A = matmul(L.transpose(-1, -2), L) if upper else matmul(L, L.transpose(-1, -2))
    return inv(A)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """torch.triangular_solve: (X, A) with op(A)·X = b, op(A) = A or Aᵀ, A triangular."""
    T = A.transpose(-1, -2) if transpose else A
    X = solve_triangular(T, b, upper=upper != transpose, unitriangular=unitriangular)
    return torch_triangular_solve(X, A.clone())
