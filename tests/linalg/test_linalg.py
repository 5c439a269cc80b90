"""ember.linalg against torch.linalg: values, dtypes, shapes and gradients in float32 (outputs that are unique only
up to sign, the vectors of svd and eigh, enter through gauge-invariant combinations), float64 gradcheck and
gradgradcheck of every function, torch's errors (LinAlgError with the batch element and LAPACK's info), and the
``*_ex`` info codes."""
from __future__ import annotations

import numpy as np
import pytest
from _oracle import assert_close, torch
from _parity import check_error, check_parity, check_twice

import ember

R = np.random.default_rng(0)


def r(*shape):
    return R.standard_normal(shape)


def _spd(lib, a):
    return a @ a.transpose(-1, -2) + lib.eye(a.shape[-1], dtype=a.dtype)


def _sym(a):
    return a + a.transpose(-1, -2)


A, B = r(2, 3, 3), r(2, 3, 2)
TALL, WIDE = r(4, 3), r(3, 5)
CASES = {
    "inv": (lambda lib, a: lib.linalg.inv(a), [A]),
    "inv_ex": (lambda lib, a: lib.linalg.inv_ex(a).inverse, [A]),
    "solve": (lambda lib, a, b: lib.linalg.solve(a, b), [A, B]),
    "solve_vector": (lambda lib, a, b: lib.linalg.solve(a, b), [A, r(3)]),
    "solve_batch_vector": (lambda lib, a, b: lib.linalg.solve(a, b), [A, r(2, 3)]),
    "solve_right": (lambda lib, a, b: lib.linalg.solve(a, b, left=False), [A, r(2, 4, 3)]),
    "solve_ex": (lambda lib, a, b: lib.linalg.solve_ex(a, b).result, [A, B]),
    "solve_triangular_upper": (lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=True), [A + 3 * np.eye(3), B]),
    "solve_triangular_unit_right": (lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=False, left=False,
                                                                                   unitriangular=True), [A, r(2, 4, 3)]),
    "det": (lambda lib, a: lib.linalg.det(a), [A]),
    "slogdet": (lambda lib, a: lib.linalg.slogdet(a), [A]),
    "logdet": (lambda lib, a: lib.logdet(_spd(lib, a)), [A]),
    "cholesky": (lambda lib, a: lib.linalg.cholesky(_spd(lib, a)), [A]),
    "cholesky_upper": (lambda lib, a: lib.linalg.cholesky(_spd(lib, a), upper=True), [A]),
    "cholesky_ex": (lambda lib, a: lib.linalg.cholesky_ex(_spd(lib, a)).L, [A]),
    "qr_tall": (lambda lib, a: lib.linalg.qr(a), [TALL]),
    "qr_wide": (lambda lib, a: lib.linalg.qr(a), [WIDE]),
    "qr_batch_complete_square": (lambda lib, a: lib.linalg.qr(a, mode="complete"), [A]),
    "qr_r": (lambda lib, a: lib.linalg.qr(a, mode="r").R.abs(), [TALL]),
    "svd_tall": (lambda lib, a: (lambda u, s, vh: (s, u @ vh, u * u, vh * vh))(*lib.linalg.svd(a, full_matrices=False)), [TALL]),
    "svd_wide": (lambda lib, a: (lambda u, s, vh: (s, (u * s.unsqueeze(-2)) @ vh, vh * vh))(*lib.linalg.svd(a, False)), [WIDE]),
    "svd_full": (lambda lib, a: (lambda u, s, vh: (s, u[:, :3] @ vh, u[:, :3] ** 2))(*lib.linalg.svd(a)), [TALL]),
    "svd_batch": (lambda lib, a: (lambda u, s, vh: (s, u @ vh))(*lib.linalg.svd(a)), [A]),
    "svdvals": (lambda lib, a: lib.linalg.svdvals(a), [A]),
    "eigh": (lambda lib, a: (lambda w, v: (w, v * v, (v * w.unsqueeze(-2)) @ v.transpose(-1, -2)))(*lib.linalg.eigh(_sym(a))), [A]),
    "eigh_upper": (lambda lib, a: (lambda w, v: (w, v * v))(*lib.linalg.eigh(_sym(a), UPLO="U")), [A]),
    "eigvalsh": (lambda lib, a: lib.linalg.eigvalsh(_sym(a)), [A]),
    "pinv_tall": (lambda lib, a: lib.linalg.pinv(a), [TALL]),
    "pinv_wide": (lambda lib, a: lib.linalg.pinv(a), [WIDE]),
    "pinv_hermitian": (lambda lib, a: lib.linalg.pinv(_sym(a), hermitian=True), [A]),
    "pinv_atol": (lambda lib, a: lib.linalg.pinv(a, atol=0.5), [A]),
    "lstsq_tall": (lambda lib, a, b: lib.linalg.lstsq(a, b), [TALL, r(4, 2)]),
    "lstsq_wide_batch": (lambda lib, a, b: lib.linalg.lstsq(a, b), [r(2, 2, 4), r(2, 2, 3)]),
    "lstsq_gelsd": (lambda lib, a, b: lib.linalg.lstsq(a, b, driver="gelsd"), [TALL, r(4, 2)]),
    "matrix_power_3": (lambda lib, a: lib.linalg.matrix_power(a, 3), [A]),
    "matrix_power_-2": (lambda lib, a: lib.linalg.matrix_power(a, -2), [A]),
    "matrix_power_0": (lambda lib, a: lib.linalg.matrix_power(a, 0) + a, [A]),
    "matrix_exp": (lambda lib, a: lib.linalg.matrix_exp(a), [A]),
    "matrix_exp_large": (lambda lib, a: lib.linalg.matrix_exp(a), [4 * A]),
    "lu_factor": (lambda lib, a: lib.linalg.lu_factor(a), [A]),
    "lu": (lambda lib, a: lib.linalg.lu(a), [A]),
    "lu_solve": (lambda lib, a, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(a), b), [A, B]),
    "lu_solve_adjoint_right": (lambda lib, a, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(a), b, adjoint=True, left=False),
                               [A, r(2, 4, 3)]),
    "matrix_norm_fro": (lambda lib, a: lib.linalg.matrix_norm(a), [A]),
    "matrix_norm_nuc": (lambda lib, a: lib.linalg.matrix_norm(a, "nuc"), [A]),
    "matrix_norm_2": (lambda lib, a: lib.linalg.matrix_norm(a, 2, dim=(0, 2)), [A]),
    "matrix_norm_-2": (lambda lib, a: lib.linalg.matrix_norm(a, -2, keepdim=True), [A]),
    "matrix_norm_1": (lambda lib, a: lib.linalg.matrix_norm(a, 1), [A]),
    "matrix_norm_-1": (lambda lib, a: lib.linalg.matrix_norm(a, -1), [A]),
    "matrix_norm_inf": (lambda lib, a: lib.linalg.matrix_norm(a, float("inf"), keepdim=True), [A]),
    "matrix_norm_-inf": (lambda lib, a: lib.linalg.matrix_norm(a, -float("inf")), [A]),
    "vector_norm": (lambda lib, a: lib.linalg.vector_norm(a, 3, dim=(0, 2)), [A]),
    "vector_norm_inf": (lambda lib, a: lib.linalg.vector_norm(a, float("inf"), dim=1, keepdim=True), [A]),
    "vector_norm_0.5": (lambda lib, a: lib.linalg.vector_norm(a, 0.5), [A]),
    "norm_default": (lambda lib, a: lib.linalg.norm(a), [A]),
    "norm_matrix_ord": (lambda lib, a: lib.linalg.norm(a[0], "nuc"), [A]),
    "norm_vector_dim": (lambda lib, a: lib.linalg.norm(a, 1, dim=-1), [A]),
    "norm_matrix_dims": (lambda lib, a: lib.linalg.norm(a, -2, dim=(1, 2)), [A]),
    "cond": (lambda lib, a: lib.linalg.cond(a), [A]),
    "cond_-2": (lambda lib, a: lib.linalg.cond(a, -2), [A]),
    "cond_1": (lambda lib, a: lib.linalg.cond(a, 1), [A]),
    "matrix_rank": (lambda lib, a: lib.linalg.matrix_rank(a), [A]),
    "matrix_rank_deficient": (lambda lib, a: lib.linalg.matrix_rank(a @ a[..., :2, :]), [r(2, 3, 2)]),
    "matrix_rank_hermitian_atol": (lambda lib, a: lib.linalg.matrix_rank(_sym(a), atol=1.0, hermitian=True), [A]),
    "tensorinv": (lambda lib, a: lib.linalg.tensorinv(a, ind=1), [r(4, 2, 2)]),
    "tensorsolve": (lambda lib, a, b: lib.linalg.tensorsolve(a, b), [r(6, 2, 3), r(6)]),
    "tensorsolve_dims": (lambda lib, a, b: lib.linalg.tensorsolve(a, b, dims=(0,)), [r(2, 3, 2, 3), r(3, 2)]),
    "vander": (lambda lib, a: lib.linalg.vander(a, N=4), [r(2, 3)]),
    "vander_default": (lambda lib, a: lib.linalg.vander(a), [r(3)]),
    "vecdot": (lambda lib, a, b: lib.linalg.vecdot(a, b, dim=1), [A, r(3, 3)]),
    "diagonal": (lambda lib, a: lib.linalg.diagonal(a, offset=1), [A]),
    "diagonal_dims": (lambda lib, a: lib.linalg.diagonal(a, offset=-1, dim1=0, dim2=2), [r(3, 2, 4)]),
    "householder_product": (lambda lib, a, t: lib.linalg.householder_product(a, t), [TALL, r(2)]),
    "matmul": (lambda lib, a, b: lib.linalg.matmul(a, b), [A, B]),
    "det_fn": (lambda lib, a: lib.det(a) + a.det(), [A]),
    "inverse": (lambda lib, a: lib.inverse(a) + a.inverse(), [A]),
    "pinverse": (lambda lib, a: lib.pinverse(a) + a.pinverse(), [TALL]),
    "matrix_exp_fn": (lambda lib, a: lib.matrix_exp(a) + a.matrix_power(2), [A]),
    "slogdet_fn": (lambda lib, a: lib.slogdet(a)[1] + a.slogdet()[1] + _spd(lib, a).logdet(), [A]),
}
NO_TWICE = {"qr_r", "matrix_rank", "matrix_rank_deficient", "matrix_rank_hermitian_atol", "matrix_power_0",
            "pinv_atol", "lstsq_gelsd"}  # (no float output / mode='r' not differentiable / a rank cut-off: not
# smooth / singular_values carry no gradient, as torch's)
TORCH_NO_GRAD = {"cond_1", "qr_r"}  # torch's cond(p=1) fails in its own backward; qr(mode="r") is not differentiable
LOOSE = {"matrix_exp_large", "cond", "cond_-2", "cond_1", "tensorinv", "matrix_power_-2", "lstsq_wide_batch",
         "solve_triangular_unit_right", "pinv_atol"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch_in_float32(name):
    f, arrays = CASES[name]
    tol = dict(rtol=2e-4, atol=2e-4) if name in LOOSE else dict(rtol=2e-5, atol=2e-5)
    check_parity(f, arrays, grad=name not in TORCH_NO_GRAD, **tol)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch_in_float64(name):
    f, arrays = CASES[name]
    check_parity(f, arrays, dtype=np.float64, rtol=1e-9, atol=1e-9, grad=name not in TORCH_NO_GRAD)


@pytest.mark.parametrize("name", sorted(set(CASES) - NO_TWICE))
def test_gradcheck_and_gradgradcheck(name):
    f, arrays = CASES[name]
    check_twice(f, arrays)


def test_det_of_a_singular_matrix_has_the_cofactor_gradient():
    """Deliberate difference: torch returns a zero gradient at an exactly singular matrix; ember's is adj(A)ᵀ."""
    a = np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1.5]])
    x = ember.tensor(a, requires_grad=True)
    ember.linalg.det(x).backward()
    cof = [[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) for j in range(3)] for i in range(3)]
    np.testing.assert_allclose(x.grad.numpy(), cof, atol=1e-12)
    check_twice(lambda lib, t: lib.linalg.det(t), [a])


def test_lu_factor_matches_lapack_pivots_on_ties_and_rectangles():
    for a in (np.array([[1.0, 2], [-1, 3]]), r(5, 3), r(3, 5), np.array([[0.0, 1], [0, 2]])):
        check_parity(lambda lib, t: lib.linalg.lu_factor_ex(t), [a], dtype=np.float64, grad=False)


SINGULAR = np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])
BATCH = np.stack([np.eye(3), SINGULAR])
NOT_PD = np.stack([np.eye(3), -np.eye(3), np.array([[1.0, 2, 0], [2, 1, 0], [0, 0, 1]])])


@pytest.mark.parametrize("name", ["inv_ex", "solve_ex", "cholesky_ex", "lu_factor_ex"])
def test_ex_functions_report_torchs_info(name):
    fn = {"inv_ex": lambda lib, a: lib.linalg.inv_ex(a), "solve_ex": lambda lib, a: lib.linalg.solve_ex(a, a[..., 0]),
          "cholesky_ex": lambda lib, a: lib.linalg.cholesky_ex(a), "lu_factor_ex": lambda lib, a: lib.linalg.lu_factor_ex(a)}[name]
    a = NOT_PD if name == "cholesky_ex" else BATCH
    e, t = fn(ember, ember.tensor(a)), fn(torch, torch.tensor(a))
    assert_close(e[-1], t[-1])
    ok = t[-1].numpy() == 0
    assert_close(e[0].numpy()[ok], t[0].numpy()[ok])


def test_linalg_error_is_a_runtime_error():
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)
    with pytest.raises(ember.linalg.LinAlgError):
        ember.linalg.inv(ember.tensor(SINGULAR))


z = np.zeros
ERRORS = [
    (lambda lib, a: lib.linalg.inv(a), [SINGULAR]),
    (lambda lib, a: lib.linalg.inv(a), [BATCH]),
    (lambda lib, a: lib.linalg.inv(a), [z((2, 3))]),
    (lambda lib, a: lib.linalg.inv(a), [z(3)]),
    (lambda lib, a: lib.linalg.inv(a), [np.eye(2, dtype=np.int64)]),
    (lambda lib, a: lib.linalg.inv_ex(a, check_errors=True), [BATCH]),
    (lambda lib, a: lib.linalg.solve(a, a[..., 0]), [SINGULAR]),
    (lambda lib, a: lib.linalg.solve(a, a[..., 0]), [BATCH]),
    (lambda lib, a, b: lib.linalg.solve(a, b), [np.eye(3), np.ones(4)]),
    (lambda lib, a, b: lib.linalg.solve(a, b), [np.eye(3), np.ones((2, 4, 3))]),
    (lambda lib, a, b: lib.linalg.solve(a, b, left=False), [np.eye(3), np.ones((3, 1))]),
    (lambda lib, a: lib.linalg.cholesky(a), [-np.eye(3)]),
    (lambda lib, a: lib.linalg.cholesky(a), [NOT_PD]),
    (lambda lib, a: lib.linalg.cholesky(a), [z((2, 3))]),
    (lambda lib, a: lib.linalg.det(a), [z((2, 3))]),
    (lambda lib, a: lib.linalg.det(a), [z(3)]),
    (lambda lib, a: lib.linalg.svd(a), [z(3)]),
    (lambda lib, a: lib.linalg.eigh(a), [z((2, 3))]),
    (lambda lib, a: lib.linalg.eigvalsh(a), [z((2, 3))]),
    (lambda lib, a: lib.linalg.qr(a), [z(3)]),
    (lambda lib, a: lib.linalg.qr(a, mode="x"), [z((2, 3))]),
    (lambda lib, a: lib.linalg.matrix_power(a, 2), [z((2, 3))]),
    (lambda lib, a: lib.linalg.matrix_power(a, -1), [SINGULAR]),
    (lambda lib, a: lib.linalg.pinv(a), [z(3)]),
    (lambda lib, a: lib.linalg.matrix_rank(a), [z(3)]),
    (lambda lib, a, b: lib.linalg.lstsq(a, b), [z((3, 2)), z((4, 1))]),
    (lambda lib, a, b: lib.linalg.lstsq(a, b, driver="x"), [z((3, 2)), z((3, 1))]),
    (lambda lib, a: lib.linalg.norm(a, ord="x"), [z((2, 3))]),
    (lambda lib, a: lib.linalg.norm(a, ord="fro"), [z((2, 3, 4))]),
    (lambda lib, a: lib.linalg.norm(a, ord=3), [z((2, 3))]),
    (lambda lib, a: lib.linalg.matrix_norm(a), [z(3)]),
    (lambda lib, a: lib.linalg.vector_norm(a), [np.zeros((2, 3), np.int64)]),
    (lambda lib, a: lib.linalg.vector_norm(a, ord="fro"), [z((2, 3))]),
    (lambda lib, a: lib.linalg.lu_factor(a), [SINGULAR]),
    (lambda lib, a: lib.linalg.tensorinv(a, ind=1), [z((4, 2, 2))]),
    (lambda lib, a: lib.linalg.tensorinv(a, ind=0), [z((4, 2, 2))]),
    (lambda lib, a: lib.linalg.vander(a), [np.array(2.0)]),
    (lambda lib, a, b: lib.linalg.vecdot(a, b), [z(3), z(4)]),
    (lambda lib, a: lib.linalg.matrix_exp(a), [z(3)]),
    (lambda lib, a, t: lib.linalg.householder_product(a, t), [z((3, 2)), z(3)]),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors_match_torch(k):
    f, arrays = ERRORS[k]
    check_error(f, arrays)


def test_qr_mode_r_and_complete_tall_are_not_differentiable_as_in_torch():
    for mode, a in (("r", TALL), ("complete", TALL)):
        for lib in (ember, torch):
            x = lib.tensor(a, requires_grad=True)
            q, rr = lib.linalg.qr(x, mode=mode)
            with pytest.raises(RuntimeError, match="mode="):
                (rr.sum() + (q.sum() if q.numel() else 0)).backward()


def test_ldl_factor_matches_lapack_sytrf_and_ldl_solve_solves():
    """Bunch–Kaufman pivoting in LAPACK's order: the compact factor and the pivots (negative for 2×2 blocks) equal
    torch's on random symmetric matrices, small diagonals included (which force 2×2 blocks)."""
    rng = np.random.default_rng(1)
    for t in range(60):
        n = int(rng.integers(1, 8))
        a = rng.standard_normal((2, n, n))
        a = a + a.transpose(0, 2, 1)
        if t % 2:
            a[:, np.arange(n), np.arange(n)] *= 0.01
        for dtype in (np.float64, np.float32):
            e = ember.linalg.ldl_factor_ex(ember.tensor(a.astype(dtype)))
            w = torch.linalg.ldl_factor_ex(torch.tensor(a.astype(dtype)))
            for x, y in zip(e, w):
                assert_close(x, y, rtol=1e-4 if dtype == np.float32 else 1e-9, atol=1e-4 if dtype == np.float32 else 1e-9)
        b = rng.standard_normal((2, n, 3))
        ld, piv = ember.linalg.ldl_factor(ember.tensor(a))
        got = ember.linalg.ldl_solve(ld, piv, ember.tensor(b))
        want = torch.linalg.ldl_solve(*torch.linalg.ldl_factor(torch.tensor(a)), torch.tensor(b))
        assert_close(got, want, rtol=1e-8, atol=1e-8)
        np.testing.assert_allclose(a @ got.numpy(), b, atol=1e-8)


def test_ldl_errors():
    check_error(lambda lib, a: lib.linalg.ldl_factor(a), [z((2, 3))])
    check_error(lambda lib, a: lib.linalg.ldl_factor(a), [z(3)])
    assert_close(ember.linalg.ldl_factor_ex(ember.zeros(2, 3, 3)).info, torch.linalg.ldl_factor_ex(torch.zeros(2, 3, 3)).info)
    with pytest.raises(RuntimeError, match="singular"):
        ember.linalg.ldl_factor(ember.zeros(3, 3))


OLD_FORMS = {
    "svd": (lambda lib, a: (lambda u, s, v: (s, u @ v.transpose(-1, -2), u * u))(*lib.svd(a)), [TALL]),
    "svd_not_some": (lambda lib, a: (lambda u, s, v: (s, u.shape, v.shape))(*a.svd(some=False))[0], [TALL]),
    "svd_no_uv": (lambda lib, a: lib.svd(a, compute_uv=False), [TALL]),
    "qr": (lambda lib, a: lib.qr(a), [TALL]),
    "qr_not_some": (lambda lib, a: a.qr(some=False).Q.abs().sum() + a.qr(some=True).R, [A]),
    "cholesky": (lambda lib, a: lib.cholesky(_spd(lib, a)) + _spd(lib, a).cholesky(upper=True), [A]),
    "cholesky_solve": (lambda lib, a, b: lib.cholesky_solve(b, lib.linalg.cholesky(_spd(lib, a))), [A, B]),
    "cholesky_solve_upper": (lambda lib, a, b: b.cholesky_solve(lib.linalg.cholesky(_spd(lib, a), upper=True), upper=True), [A, B]),
    "cholesky_inverse": (lambda lib, a: lib.cholesky_inverse(lib.linalg.cholesky(_spd(lib, a))), [A]),
    "triangular_solve": (lambda lib, a, b: lib.triangular_solve(b, a + 3 * lib.eye(3, dtype=a.dtype)), [A, B]),
    "triangular_solve_t": (lambda lib, a, b: b.triangular_solve(a + 3 * lib.eye(3, dtype=a.dtype), upper=False,
                                                                transpose=True, unitriangular=True), [A, B]),
    "addmm_": (lambda lib, i, a, b: i.clone().addmm_(a, b, beta=0.5, alpha=2), [r(2, 4), r(2, 3), r(3, 4)]),
    "addmv_": (lambda lib, i, a, b: i.clone().addmv_(a, b, alpha=2), [r(2), r(2, 3), r(3)]),
    "addr_": (lambda lib, i, a, b: i.clone().addr_(a, b, beta=2), [r(2, 3), r(2), r(3)]),
    "baddbmm_": (lambda lib, i, a, b: i.clone().baddbmm_(a, b), [r(2, 3, 4), r(2, 3, 5), r(2, 5, 4)]),
    "addbmm_": (lambda lib, i, a, b: i.clone().addbmm_(a, b), [r(3, 4), r(2, 3, 5), r(2, 5, 4)]),
}


@pytest.mark.parametrize("name", sorted(OLD_FORMS))
def test_torchs_older_top_level_forms(name):
    f, arrays = OLD_FORMS[name]
    check_parity(f, arrays, dtype=np.float64, rtol=1e-9, atol=1e-9)
    check_parity(f, arrays, rtol=2e-5, atol=2e-5)
    if name not in ("svd_not_some", "svd_no_uv"):
        check_twice(f, arrays)
