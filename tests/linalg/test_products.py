"""Products (addmm … einsum, cdist, multi_dot): values, dtypes, gradients and errors against torch, and float64
gradcheck/gradgradcheck (they compose matmul, einsum and elementwise ops, so both orders come from those)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from _parity import check_error, check_parity, check_twice

R = np.random.default_rng(0)


def r(*shape):
    return R.standard_normal(shape)


CASES = {
    "addmm": (lambda lib, i, a, b: lib.addmm(i, a, b, beta=0.5, alpha=2.0), [r(4), r(2, 3), r(3, 4)]),
    "addmm_default": (lambda lib, i, a, b: lib.addmm(i, a, b), [r(2, 4), r(2, 3), r(3, 4)]),
    "addmm_beta0": (lambda lib, i, a, b: i.addmm(a, b, beta=0), [np.full((2, 4), np.nan), r(2, 3), r(3, 4)]),
    "addmv": (lambda lib, i, a, b: lib.addmv(i, a, b, beta=2, alpha=-1), [r(2), r(2, 3), r(3)]),
    "addr": (lambda lib, i, a, b: i.addr(a, b, alpha=3), [r(2, 3), r(2), r(3)]),
    "baddbmm": (lambda lib, i, a, b: lib.baddbmm(i, a, b, beta=0.3, alpha=0.7), [r(3, 1), r(2, 3, 5), r(2, 5, 4)]),
    "addbmm": (lambda lib, i, a, b: lib.addbmm(i, a, b, alpha=2), [r(3, 4), r(2, 3, 5), r(2, 5, 4)]),
    "bmm": (lambda lib, a, b: lib.bmm(a, b), [r(2, 3, 5), r(2, 5, 4)]),
    "mv": (lambda lib, a, b: a.mv(b), [r(2, 3), r(3)]),
    "dot": (lambda lib, a, b: lib.dot(a, b), [r(5), r(5)]),
    "vdot": (lambda lib, a, b: lib.vdot(a, b), [r(5), r(5)]),
    "inner": (lambda lib, a, b: lib.inner(a, b), [r(2, 3, 4), r(5, 4)]),
    "inner_scalar": (lambda lib, a, b: lib.inner(a, b), [r(), r(5, 4)]),
    "inner_vec": (lambda lib, a, b: a.inner(b), [r(4), r(4)]),
    "tensordot_int": (lambda lib, a, b: lib.tensordot(a, b, dims=2), [r(2, 3, 4), r(3, 4, 5)]),
    "tensordot_lists": (lambda lib, a, b: lib.tensordot(a, b, dims=([0, 2], [2, 0])), [r(2, 3, 4), r(4, 5, 2)]),
    "tensordot_0": (lambda lib, a, b: lib.tensordot(a, b, dims=0), [r(2, 3), r(4)]),
    "kron": (lambda lib, a, b: lib.kron(a, b), [r(2, 3), r(4, 2)]),
    "kron_dims": (lambda lib, a, b: a.kron(b), [r(2, 1, 3), r(4)]),
    "outer": (lambda lib, a, b: lib.outer(a, b), [r(2), r(3)]),
    "ger": (lambda lib, a, b: lib.ger(a, b), [r(2), r(3)]),
    "cross_dim": (lambda lib, a, b: lib.cross(a, b, dim=1), [r(2, 3, 4), r(1, 3, 4)]),
    "linalg_cross": (lambda lib, a, b: lib.linalg.cross(a, b), [r(4, 3), r(4, 3)]),
    "cdist2": (lambda lib, a, b: lib.cdist(a, b), [r(3, 4), r(5, 4)]),
    "cdist_batch_p1": (lambda lib, a, b: lib.cdist(a, b, p=1.0), [r(2, 3, 4), r(2, 5, 4)]),
    "cdist_p3": (lambda lib, a, b: lib.cdist(a, b, p=3, compute_mode="donot_use_mm_for_euclid_dist"), [r(3, 2), r(4, 2)]),
    "cdist_inf": (lambda lib, a, b: lib.cdist(a, b, p=float("inf")), [r(3, 2), r(4, 2)]),
    "cdist_large": (lambda lib, a, b: lib.cdist(a, b, compute_mode="use_mm_for_euclid_dist"), [r(30, 3), r(26, 3)]),
    "dist": (lambda lib, a, b: lib.dist(a, b, p=3), [r(2, 3), r(3)]),
    "dist2": (lambda lib, a, b: a.dist(b), [r(2, 3), r(2, 3)]),
    "chain_matmul": (lambda lib, a, b, c: lib.chain_matmul(a, b, c), [r(2, 3), r(3, 5), r(5, 2)]),
    "multi_dot": (lambda lib, a, b, c, d: lib.linalg.multi_dot([a, b, c, d]), [r(3), r(3, 5), r(5, 2), r(2)]),
    "multi_dot_mats": (lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]), [r(6, 2), r(2, 5), r(5, 1)]),
    "einsum_trace": (lambda lib, a: lib.einsum("ii", a), [r(3, 3)]),
    "einsum_diag": (lambda lib, a, b: lib.einsum("iij,j->ij", a, b), [r(3, 3, 2), r(2)]),
    "einsum_ellipsis": (lambda lib, a, b: lib.einsum("...ij,...jk->...ik", a, b), [r(2, 3, 4), r(1, 4, 2)]),
    "einsum_three": (lambda lib, a, b, c: lib.einsum("ij,jk,kl->il", a, b, c), [r(2, 3), r(3, 4), r(4, 2)]),
    "einsum_sum": (lambda lib, a: lib.einsum("ijk->j", a), [r(2, 3, 4)]),
    "einsum_list": (lambda lib, a, b: lib.einsum("i,j", [a, b]), [r(2), r(3)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch_in_float32(name):
    f, arrays = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_parity(f, arrays, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(n for n in CASES if n != "addmm_beta0"))
def test_gradcheck_and_gradgradcheck(name):
    f, arrays = CASES[name]
    check_twice(f, arrays)  # (cdist, dist: distinct random points, no zero difference)


def test_integer_addmm_keeps_the_dtype():
    i, a, b = (np.arange(n).reshape(s) for n, s in ((8, (2, 4)), (6, (2, 3)), (12, (3, 4))))
    check_parity(lambda lib, i, a, b: lib.addmm(i, a, b, beta=2, alpha=3), [i, a, b], grad=False)


def test_cdist_gradient_at_zero_distance_is_zero():
    x = r(3, 2)
    check_parity(lambda lib, a: lib.cdist(a, a), [x], rtol=1e-5, atol=1e-5)


def test_cross_without_dim_takes_the_first_dimension_of_size_3():
    with pytest.warns(UserWarning):
        check_parity(lambda lib, a, b: lib.cross(a, b), [r(3, 3), r(3, 3)])


z = np.zeros
ERRORS = [
    (lambda lib, a, b: lib.mv(a, b), [z((2, 3)), z(4)]),
    (lambda lib, a, b: lib.mv(a, b), [z(3), z(3)]),
    (lambda lib, a, b: lib.mv(a, b), [z((2, 3)), z((3, 1))]),
    (lambda lib, i, a, b: lib.addmv(i, a, b), [z(2), z((2, 3)), z(4)]),
    (lambda lib, i, a, b: lib.addmm(i, a, b), [z((2, 5)), z((2, 3)), z((3, 4))]),
    (lambda lib, i, a, b: lib.addmm(i, a, b), [z((2, 3)), z((2, 3)), z((4, 4))]),
    (lambda lib, i, a, b: lib.addmm(i, a, b), [z(3), z((2, 3)), z((3, 4))]),
    (lambda lib, i, a, b: lib.addr(i, a, b), [z((2, 3)), z(2), z((3, 1))]),
    (lambda lib, i, a, b: lib.addr(i, a, b), [z((2, 3)), z(2), z(4)]),
    (lambda lib, i, a, b: lib.baddbmm(i, a, b), [z((2, 3, 4)), z((2, 3, 5)), z((3, 5, 4))]),
    (lambda lib, i, a, b: lib.addbmm(i, a, b), [z((3, 4)), z((3, 5)), z((2, 5, 4))]),
    (lambda lib, a, b: lib.vdot(a, b), [z(3), z(4)]),
    (lambda lib, a, b: lib.vdot(a, b), [z((3, 1)), z(3)]),
    (lambda lib, a, b: lib.inner(a, b), [z((2, 3)), z(4)]),
    (lambda lib, a, b: lib.tensordot(a, b, dims=1), [z((2, 3)), z((4, 4))]),
    (lambda lib, a, b: lib.tensordot(a, b, dims=-1), [z((2, 3)), z((3, 4))]),
    (lambda lib, a, b: lib.tensordot(a, b, dims=([1], [0, 1])), [z((2, 3)), z((3, 4))]),
    (lambda lib, a, b: lib.tensordot(a, b, dims=3), [z((2, 3)), z((3, 4))]),
    (lambda lib, a, b: lib.cross(a, b, dim=1), [z((3, 2)), z((3, 2))]),
    (lambda lib, a, b: lib.linalg.cross(a, b), [z((3, 2)), z((3, 2))]),
    (lambda lib, a, b: lib.linalg.cross(a, b), [z((2, 3)), z((3, 3))]),
    (lambda lib, a, b: lib.cdist(a, b), [z((2, 3)), z((4, 2))]),
    (lambda lib, a, b: lib.cdist(a, b), [z(3), z((4, 3))]),
    (lambda lib, a, b: lib.cdist(a, b, p=-1), [z((2, 3)), z((4, 3))]),
    (lambda lib, a, b: lib.cdist(a, b, compute_mode="x"), [z((2, 3)), z((4, 3))]),
    (lambda lib, a, b: lib.cdist(a, b), [np.zeros((2, 3), int), np.zeros((4, 3), int)]),
    (lambda lib, a, b: lib.chain_matmul(a, b), [z((2, 3)), z((4, 5))]),
    (lambda lib, a: lib.linalg.multi_dot([a]), [z((2, 3))]),
    (lambda lib, a, b: lib.linalg.multi_dot([a, b]), [z((2, 3, 1)), z((3, 5))]),
    (lambda lib, a, b: lib.outer(a, b), [z(2), z((3, 1))]),
    (lambda lib, a, b: lib.einsum("ij,jk", a, b), [z((2, 3)), z((4, 5))]),
    (lambda lib, a: lib.einsum("ij,jk->ik", a), [z((2, 3))]),
    (lambda lib, a: lib.einsum("ij->ik", a), [z((2, 3))]),
    (lambda lib, a: lib.einsum("ijk", a), [z((2, 3))]),
    (lambda lib, a: lib.einsum("ii", a), [z((2, 3))]),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors_match_torch(k):
    f, arrays = ERRORS[k]
    check_error(f, arrays)


def test_mv_dtype_mismatch_error():
    check_error(lambda lib, a, b: lib.mv(a, b.double()), [z((2, 3)), z(3)])
