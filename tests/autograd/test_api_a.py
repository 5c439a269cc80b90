"""Issue #18, part A: sorting and selection, cumulative ops, shape and indexing, elementwise math, against torch.

Each case is one function of (lib, *tensors) run on ember and on torch with the same inputs: values, dtypes and
shapes must agree; the differentiable ones also agree in gradients and pass float64 gradcheck and gradgradcheck.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from _oracle import assert_close, torch

import ember
from ember.autograd import gradcheck, gradgradcheck

R = np.random.default_rng(18)


def f(*shape):
    return R.standard_normal(shape).astype(np.float32)


def d(*shape):
    return R.standard_normal(shape)


def distinct(*shape):
    """float64 values far apart (no ties, so that sorting is differentiable)."""
    return R.permutation(np.prod(shape)).reshape(shape) * 0.37 + R.uniform(-0.1, 0.1, shape)


def i(*shape, hi=5):
    return R.integers(0, hi, shape)


def pos(*shape):
    return R.uniform(0.2, 2.0, shape).astype(np.float32)


def unit(*shape):
    return R.uniform(-0.9, 0.9, shape).astype(np.float32)


def _to(lib, a, grad=False):
    if isinstance(a, np.ndarray):
        return ember.tensor(a, requires_grad=grad) if lib is ember else torch.tensor(a, requires_grad=grad)
    return a


def _compare(got, want, name):
    if isinstance(want, (tuple, list)):
        assert type(got).__name__ == type(want).__name__ or isinstance(got, (tuple, list)), name
        assert len(got) == len(want), name
        for g, w in zip(got, want):
            _compare(g, w, name)
    elif isinstance(want, torch.Tensor):
        assert_close(got, want, msg=name)
    elif isinstance(want, torch.dtype):
        assert str(got).split(".")[-1] == str(want).split(".")[-1], name
    else:
        assert got == want, name


# (id, fn(lib, *inputs), inputs): values, dtypes and shapes against torch
VALUES = [
    ("sort", lambda L, x: L.sort(x), [f(3, 5)]),
    ("sort_dim0_descending", lambda L, x: L.sort(x, 0, descending=True), [f(4, 3)]),
    ("sort_ties_stable", lambda L, x: L.sort(x, stable=True), [i(2, 9, hi=3)]),
    ("sort_ties_descending", lambda L, x: L.sort(x, descending=True, stable=True), [i(2, 9, hi=3)]),
    ("sort_nan", lambda L, x: L.sort(x), [np.array([1.0, np.nan, -1.0, 2.0])]),
    ("sort_nan_descending", lambda L, x: L.sort(x, descending=True), [np.array([1.0, np.nan, -1.0, 2.0])]),
    ("sort_bool", lambda L, x: L.sort(x > 0, descending=True, stable=True), [f(7)]),
    ("sort_0d", lambda L, x: L.sort(x), [np.array(1.5)]),
    ("argsort", lambda L, x: L.argsort(x, dim=0), [f(4, 3)]),
    ("argsort_descending", lambda L, x: x.argsort(descending=True), [f(4, 3)]),
    ("msort", lambda L, x: L.msort(x), [f(4, 3)]),
    ("topk", lambda L, x: L.topk(x, 2), [f(3, 5)]),
    ("topk_smallest_dim0", lambda L, x: x.topk(3, dim=0, largest=False), [f(4, 3)]),
    ("topk_k0", lambda L, x: L.topk(x, 0), [f(3, 5)]),
    ("kthvalue", lambda L, x: L.kthvalue(x, 2), [f(3, 5)]),
    ("kthvalue_keepdim", lambda L, x: x.kthvalue(3, 0, keepdim=True), [f(4, 3)]),
    ("median_all", lambda L, x: L.median(x), [f(4, 3)]),
    ("median_even", lambda L, x: L.median(x), [f(4)]),
    ("median_dim", lambda L, x: L.median(x, 1), [f(3, 6)]),
    ("median_dim_keepdim", lambda L, x: x.median(0, keepdim=True), [f(5, 2)]),
    ("median_nan", lambda L, x: L.median(x, 1), [np.array([[1.0, np.nan, 2.0], [3.0, 1.0, 2.0]])]),
    ("median_all_nan", lambda L, x: L.median(x), [np.array([1.0, np.nan, 2.0])]),
    ("median_int", lambda L, x: L.median(x, 0), [i(5, 3, hi=100)]),
    ("nanmedian", lambda L, x: L.nanmedian(x, 1), [np.array([[1.0, np.nan, 2.0, 5.0], [np.nan, 3.0, np.nan, 1.0]])]),
    ("nanmedian_all_nan_row", lambda L, x: L.nanmedian(x, 1).values, [np.array([[1.0, 2.0], [np.nan, np.nan]])]),
    ("nanmedian_all", lambda L, x: L.nanmedian(x), [np.array([1.0, np.nan, 2.0, 7.0, -1.0])]),
    ("mode", lambda L, x: L.mode(x, 1), [np.array([[1.0, 3, 3, 1, 2], [2, 2, 5, 5, 0]])]),
    ("mode_int_dim0", lambda L, x: x.mode(0), [i(6, 3, hi=3)]),
    ("mode_many_rows_values", lambda L, x: [L.mode(x, 1).values, L.mode(x, 0, keepdim=True).values], [i(50, 30, hi=20)]),
    ("unique", lambda L, x: L.unique(x), [i(10, hi=4)]),
    ("unique_all", lambda L, x: L.unique(x, return_inverse=True, return_counts=True), [i(3, 4, hi=4)]),
    ("unique_dim", lambda L, x: L.unique(x, dim=1, return_inverse=True, return_counts=True), [i(2, 6, hi=2)]),
    ("unique_float", lambda L, x: x.unique(return_counts=True), [np.array([2.0, 1.0, 2.0, -0.5])]),
    ("unique_consecutive", lambda L, x: L.unique_consecutive(x, return_inverse=True, return_counts=True),
     [np.array([1, 1, 2, 2, 3, 1, 1, 2])]),
    ("unique_consecutive_dim", lambda L, x: L.unique_consecutive(x, dim=0, return_counts=True),
     [np.array([[1, 2], [1, 2], [3, 4], [1, 2]])]),
    ("searchsorted", lambda L, s, v: L.searchsorted(s, v), [np.array([1.0, 3, 5, 7]), f(2, 3) * 4 + 4]),
    ("searchsorted_right_ties", lambda L, s, v: L.searchsorted(s, v, right=True),
     [np.array([1, 3, 3, 5]), np.array([3, 0, 6])]),
    ("searchsorted_side_int32", lambda L, s, v: L.searchsorted(s, v, side="right", out_int32=True),
     [np.array([[1.0, 3, 5], [2, 4, 6]]), np.array([[3.0, 6], [1, 4]])]),
    ("searchsorted_sorter", lambda L, s, v, o: L.searchsorted(s, v, sorter=o),
     [np.array([5.0, 1, 3]), np.array([2.0, 4]), np.array([1, 2, 0])]),
    ("searchsorted_scalar", lambda L, s: L.searchsorted(s, 4), [np.array([1, 3, 5])]),
    ("bucketize", lambda L, v, b: L.bucketize(v, b), [f(3, 4), np.array([-1.0, 0.0, 0.5])]),
    ("bucketize_right", lambda L, v, b: L.bucketize(v, b, right=True), [np.array([0, 1, 2, 3]), np.array([1, 2])]),
    ("cumprod", lambda L, x: L.cumprod(x, 1), [f(3, 4)]),
    ("cumprod_int", lambda L, x: x.cumprod(0), [i(4, 2)]),
    ("cumprod_dtype", lambda L, x: L.cumprod(x, 0, dtype=L.float64), [f(4)]),
    ("cummax", lambda L, x: L.cummax(x, 1), [np.array([[1.0, 3, 3, 2, 5], [0, -1, 4, 4, 1]])]),
    ("cummin", lambda L, x: x.cummin(0), [np.array([3.0, 1, 1, 2, 0])]),
    ("cummax_nan", lambda L, x: [L.cummax(x, 0), L.cummin(x, 0)], [np.array([1.0, np.nan, 3.0, np.nan, 0.0])]),
    ("cummax_nan_first", lambda L, x: [L.cummax(x, 1), L.cummin(x, 1)], [np.array([[np.nan, 1.0, 2.0], [1.0, 1.0, 1.0]])]),
    ("cummax_ties_long", lambda L, x: [L.cummax(x, 1), x.cummin(1)], [i(4, 50, hi=4)]),
    ("cummin_int", lambda L, x: L.cummin(x, 1), [i(2, 6)]),
    ("logcumsumexp", lambda L, x: L.logcumsumexp(x, 1), [f(3, 4) * 3]),
    ("logcumsumexp_far", lambda L, x: L.logcumsumexp(x, 0), [np.array([-1000.0, 0.0, 1000.0, 1000.0])]),
    # shape and indexing
    ("roll", lambda L, x: L.roll(x, 1, 1), [f(3, 4)]),
    ("roll_dims", lambda L, x: x.roll((2, -1), (0, 1)), [f(3, 4)]),
    ("roll_flat", lambda L, x: L.roll(x, 5), [f(3, 4)]),
    ("fliplr", lambda L, x: L.fliplr(x), [f(3, 4)]),
    ("flipud", lambda L, x: x.flipud(), [f(3, 4)]),
    ("rot90", lambda L, x: L.rot90(x), [f(3, 4)]),
    ("rot90_k", lambda L, x: [L.rot90(x, k, (1, 2)) for k in (-1, 2, 3, 4)], [f(2, 3, 4)]),
    ("narrow", lambda L, x: L.narrow(x, 1, 1, 2), [f(3, 4)]),
    ("narrow_negative", lambda L, x: x.narrow(0, -2, 2), [f(3, 4)]),
    ("tile", lambda L, x: L.tile(x, (2,)), [f(3, 2)]),
    ("tile_more", lambda L, x: [x.tile((2, 1, 2)), x.tile(2, 2), L.tile(x, dims=[3]), x.tile([])], [f(3, 2)]),
    ("repeat_interleave", lambda L, x: L.repeat_interleave(x, 2), [f(2, 3)]),
    ("repeat_interleave_dim", lambda L, x, r: x.repeat_interleave(r, dim=0), [f(3, 2), np.array([1, 0, 2])]),
    ("repeat_interleave_counts", lambda L, r: L.repeat_interleave(r), [np.array([2, 0, 3])]),
    ("diag_vector", lambda L, x: [L.diag(x), L.diag(x, 1), L.diag(x, -2)], [f(3)]),
    ("diag_matrix", lambda L, x: [L.diag(x), x.diag(1), x.diag(-1)], [f(3, 4)]),
    ("diagonal", lambda L, x: [L.diagonal(x), L.diagonal(x, 1, 0, 2), x.diagonal(-1, -1, -2)], [f(3, 4, 5)]),
    ("diag_embed", lambda L, x: [L.diag_embed(x), L.diag_embed(x, 1), L.diag_embed(x, -1, 0, 2)], [f(2, 3)]),
    ("diagflat", lambda L, x: [L.diagflat(x), L.diagflat(x, 1)], [f(2, 2)]),
    ("trace", lambda L, x: [L.trace(x), L.trace(x.long())], [f(3, 4)]),
    ("tril_indices", lambda L: [L.tril_indices(3, 4), L.tril_indices(4, 3, 1), L.tril_indices(3, 3, -1)], []),
    ("triu_indices", lambda L: [L.triu_indices(3, 4), L.triu_indices(4, 3, -1), L.triu_indices(3, 3, 2)], []),
    ("meshgrid_ij", lambda L, a, b: L.meshgrid(a, b, indexing="ij"), [f(3), f(4)]),
    ("meshgrid_xy", lambda L, a, b, c: L.meshgrid(a, b, c, indexing="xy"), [f(3), f(4), f(2)]),
    ("meshgrid_list", lambda L, a, b: L.meshgrid([a, b], indexing="ij"), [f(3), f(2)]),
    ("unbind", lambda L, x: L.unbind(x, 1), [f(3, 4)]),
    ("take", lambda L, x, j: L.take(x, j), [f(3, 4), np.array([[0, 11], [-1, 5]])]),
    ("take_along_dim", lambda L, x, j: L.take_along_dim(x, j, 1), [f(3, 4), i(3, 2, hi=4)]),
    ("index_add", lambda L, x, j, s: L.index_add(x, 0, j, s, alpha=2), [f(3, 4), np.array([0, 2, 0]), f(3, 4)]),
    ("index_add_dim1", lambda L, x, j, s: x.index_add(1, j, s), [f(3, 4), np.array([3, 1]), f(3, 2)]),
    ("index_copy", lambda L, x, j, s: L.index_copy(x, 1, j, s), [f(3, 4), np.array([3, 0]), f(3, 2)]),
    ("index_fill", lambda L, x, j: L.index_fill(x, 1, j, -1.5), [f(3, 4), np.array([0, 2])]),
    ("scatter_reduce_old_names", lambda L, x, j, s: [x.scatter_reduce(0, j, s, "max"), x.scatter_reduce(0, j, s, "min")],
     [f(3, 4), i(4, 4, hi=3), f(4, 4)]),
    ("scatter_add", lambda L, x, j, s: L.scatter_add(x, 0, j, s), [f(3, 4), i(2, 4, hi=3), f(2, 4)]),
    *[(f"scatter_reduce_{r}_{inc}", lambda L, x, j, s, r=r, inc=inc: L.scatter_reduce(x, 0, j, s, r, include_self=inc),
       [f(3, 4), i(4, 4, hi=3), f(4, 4)]) for r in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)],
    ("scatter_reduce_int_mean", lambda L, x, j, s: x.scatter_reduce(0, j, s, "mean"),
     [i(3, hi=9), np.array([0, 0, 2]), np.array([4, 7, 1])]),
    ("masked_select", lambda L, x: L.masked_select(x, x > 0), [f(3, 4)]),
    ("masked_scatter", lambda L, x, s: L.masked_scatter(x, x > 0, s), [f(3, 4), f(12)]),
    ("masked_scatter_broadcast", lambda L, x, s: x.masked_scatter(x[0] > 0, s), [f(3, 4), f(3, 5)]),
    ("nonzero", lambda L, x: [L.nonzero(x), L.nonzero(x, as_tuple=True)], [i(3, 4, hi=2)]),
    ("argwhere", lambda L, x: L.argwhere(x), [i(3, 4, hi=2)]),
    ("bincount", lambda L, x: [L.bincount(x), L.bincount(x, minlength=9)], [i(10, hi=6)]),
    ("bincount_weights", lambda L, x, w: [L.bincount(x, w), x.bincount(w.double())], [i(10, hi=6), f(10)]),
    ("bincount_empty", lambda L, x: L.bincount(x), [np.zeros(0, np.int64)]),
    ("histc", lambda L, x: [L.histc(x, 4), L.histc(x, 5, -1, 1), x.histc(3, min=0, max=0.5)], [f(20)]),
    ("histogram", lambda L, x: L.histogram(x, 4), [f(20)]),
    ("histogram_range_weight", lambda L, x, w: L.histogram(x, 3, range=(-1.0, 1.0), weight=w, density=True),
     [f(20), pos(20)]),
    ("histogram_edges", lambda L, x, e: x.histogram(e), [f(20), np.array([-2.0, 0.0, 0.5, 3.0], np.float32)]),
    ("histogramdd", lambda L, x, w: [L.histogramdd(x, bins=[3, 2], weight=w), L.histogramdd(x, 2, range=[0.0, 1, -1, 1],
                                                                                           density=True),
                                     L.histogramdd(x, [L.tensor([-1.0, 0, 2]), L.tensor([-3.0, 0, 0.5, 3])])],
     [f(20, 2), pos(20)]),
    ("movedim", lambda L, x: [L.movedim(x, 0, 2), L.moveaxis(x, (0, 1), (2, 0)), x.swapdims(0, 1)], [f(2, 3, 4)]),
    ("atleast", lambda L, a, b, c: [L.atleast_1d(a), L.atleast_2d(b), L.atleast_3d(c), L.atleast_3d(a, b, c),
                                      L.atleast_2d((a, c))], [np.array(1.0), f(3), f(2, 3)]),
    ("stacks", lambda L, a, b: [L.column_stack([a, b]), L.row_stack([a, b]), L.dstack([a, b])], [f(3), f(3)]),
    ("tensor_split", lambda L, x: [L.tensor_split(x, 3, 1), x.tensor_split([1, 4], 1), L.tensor_split(x, 2)],
     [f(3, 5)]),
    ("hvdsplit", lambda L, x: [L.hsplit(x, 2), L.vsplit(x, [1]), L.dsplit(x, 2), x.hsplit([1, 3])], [f(2, 4, 2)]),
    ("select", lambda L, x: [L.select(x, 1, -1), x.select(0, 1)], [f(3, 4)]),
    ("broadcast", lambda L, a, b: [L.broadcast_tensors(a, b), L.broadcast_shapes((3, 1), (4,), 1)], [f(3, 1), f(4)]),
    ("cartesian_prod", lambda L, a, b: [L.cartesian_prod(a, b), L.cartesian_prod(a)], [f(3), f(2)]),
    ("combinations", lambda L, a: [L.combinations(a), L.combinations(a, 3), L.combinations(a, with_replacement=True)],
     [f(4)]),
    ("block_diag", lambda L, a, b, c: L.block_diag(a, b, c), [f(2, 3), f(3), np.array(4.0, np.float32)]),
    ("diff", lambda L, x, p: [L.diff(x), L.diff(x, 2, 0), x.diff(prepend=p, append=p)], [f(3, 4), f(3, 1)]),
    ("ravel", lambda L, x: L.ravel(x.t()), [f(3, 4)]),
    ("nansum_nanmean", lambda L, x: [L.nansum(x), L.nanmean(x, 1), x.nansum(0, keepdim=True)],
     [np.array([[1.0, np.nan, 2.0], [np.nan, 4.0, 0.5]])]),
    ("aminmax", lambda L, x: [L.aminmax(x), L.aminmax(x, dim=1, keepdim=True)], [f(3, 4)]),
    # elementwise math
    *[(name, lambda L, x, name=name: getattr(L, name)(x), [gen(3, 4)]) for name, gen in [
        ("tan", unit), ("sinh", f), ("cosh", f), ("asin", unit), ("acos", unit), ("atan", f), ("asinh", f),
        ("acosh", lambda *s: pos(*s) + 1), ("atanh", unit), ("arcsin", unit), ("arccos", unit), ("arctan", f),
        ("arcsinh", f), ("arccosh", lambda *s: pos(*s) + 1), ("arctanh", unit), ("sinc", f), ("exp2", f),
        ("deg2rad", f), ("rad2deg", f), ("frac", lambda *s: f(*s) * 3), ("logit", lambda *s: pos(*s) / 2.5),
        ("trunc", lambda *s: f(*s) * 3), ("fix", lambda *s: f(*s) * 3), ("sgn", f), ("signbit", f),
        ("isposinf", lambda *s: np.where(f(*s) > 0, np.inf, -np.inf)), ("isneginf", lambda *s: np.where(f(*s) > 0, np.inf, -np.inf)),
        ("square", f), ("log2", pos), ("log10", pos), ("isreal", f), ("positive", f)]],
    *[(f"{name}_int", lambda L, x, name=name: getattr(L, name)(x), [i(3, 4)])
      for name in ("tan", "sinh", "asin", "acosh", "sinc", "exp2", "deg2rad", "logit", "signbit", "isneginf",
                   "nan_to_num")],
    ("sinc_zero", lambda L, x: L.sinc(x), [np.array([0.0, 1.0, -0.5, 2.5])]),
    ("logit_eps", lambda L, x: [L.logit(x, 0.1), x.logit(eps=0.3)], [R.uniform(0, 1, 8)]),
    ("nan_to_num", lambda L, x: [L.nan_to_num(x), L.nan_to_num(x, 1.0, 2.0, -3.0), x.nan_to_num(posinf=9.0)],
     [np.array([np.nan, np.inf, -np.inf, 1.5], np.float32)]),
    ("float_power", lambda L, x, y: [L.float_power(x, y), L.float_power(x, 2), x.float_power(0.5), L.float_power(2, y)],
     [pos(3, 4), f(3, 4)]),
    ("signbit_zero", lambda L, x: L.signbit(x), [np.array([0.0, -0.0, -1.0, np.inf])]),
    ("frexp", lambda L, x: L.frexp(x), [f(3, 4) * 100]),
    *[(name, lambda L, x, y, name=name: getattr(L, name)(x, y), [gx(3, 4), gy(4)]) for name, gx, gy in [
        ("atan2", f, f), ("arctan2", f, f), ("hypot", f, f), ("logaddexp", f, f), ("logaddexp2", f, f),
        ("fmod", lambda *s: f(*s) * 5, lambda *s: pos(*s) * 2), ("copysign", f, f), ("xlogy", f, pos),
        ("ldexp", f, lambda *s: i(*s, hi=4)), ("fmax", f, f), ("fmin", f, f), ("nextafter", f, f),
        ("heaviside", lambda *s: np.round(f(*s)), f), ("isin", lambda *s: i(*s, hi=6), lambda *s: i(*s, hi=6))]],
    ("atan2_int", lambda L, x, y: L.atan2(x, y), [i(3), i(3) + 1]),
    ("fmod_int", lambda L, x, y: [L.fmod(x, y), L.fmod(x, 3), x.fmod(-2)], [i(5, hi=20) - 10, i(5, hi=4) + 1]),
    ("fmod_float_scalar", lambda L, x: [L.fmod(x, 1.5), L.fmod(x, -2)], [f(5) * 4]),
    ("copysign_scalar_int", lambda L, x: [L.copysign(x, -1), L.copysign(x, 2.0)], [i(5) - 2]),
    ("xlogy_zero", lambda L, x, y: [L.xlogy(x, y), L.xlogy(2, y), L.xlogy(x, 3)],
     [np.array([0.0, 0.0, 1.0, 2.0]), np.array([0.0, np.nan, 2.0, 0.0])]),
    ("fmax_nan", lambda L, x, y: [L.fmax(x, y), L.fmin(x, y)],
     [np.array([np.nan, 1.0, np.nan, 2.0]), np.array([0.0, np.nan, np.nan, 3.0])]),
    ("fmax_int", lambda L, x, y: L.fmax(x, y), [i(4), i(4)]),
    ("heaviside_int", lambda L, x, y: L.heaviside(x - 2, y), [i(5), i(5)]),
    ("gcd_lcm", lambda L, x, y: [L.gcd(x, y), L.lcm(x, y), x.gcd(y)], [i(6, hi=30) - 10, i(6, hi=20)]),
    ("isclose", lambda L, x, y: [L.isclose(x, y), L.isclose(x, y, rtol=0.5, atol=0.1)], [f(5), f(5)]),
    ("isfinite_family", lambda L, x: [L.isfinite(x), L.isinf(x), L.isnan(x), L.isposinf(x), L.isneginf(x)],
     [np.array([np.nan, np.inf, -np.inf, 0.0, -2.0])]),
    ("clip_square_true_divide", lambda L, x, y: [L.clip(x, -0.5, 0.5), L.square(x), L.true_divide(x, y)],
     [f(5), pos(5)]),
    ("lerp_addcmul_addcdiv", lambda L, x, y, z: [L.lerp(x, y, 0.3), L.addcmul(x, y, z, value=2),
                                                 L.addcdiv(x, y, z, value=-0.5)], [f(5), f(5), pos(5)]),
    ("clamp_min_max", lambda L, x: [L.clamp_min(x, 0.1), L.clamp_max(x, 0.2)], [f(5)]),
    ("rsub", lambda L, x, y: [L.rsub(x, y), L.rsub(x, y, alpha=2), L.rsub(x, 3)], [f(5), f(5)]),
    ("activations", lambda L, x, w: [L.selu(x), L.celu(x), L.celu(x, 2.0), L.threshold(x, 0.2, 9.0),
                                     L.threshold(x.long(), 0, -1), L.prelu(x, w), x.prelu(w[:1]), L.prelu(x[0], w[:1])],
     [f(2, 3, 4) * 2, pos(3)]),
    ("aliases", lambda L, x, y: [L.not_equal(x, y), L.greater_equal(x, y), L.less_equal(x, y), L.greater(x, y),
                                 L.less(x, y)], [i(6, hi=3), i(6, hi=3)]),
]

VALUES += [
    ("quantile", lambda L, x: [L.quantile(x, 0.3), L.quantile(x, 0.7, 1), x.quantile(0.5, 0, keepdim=True)], [d(3, 5)]),
    *[(f"quantile_{m}", lambda L, x, m=m: [L.quantile(x, 0.4, 1, interpolation=m), L.nanquantile(x, 0.6, 0, True,
                                                                                              interpolation=m)],
       [np.array([[1.0, np.nan, 3.0, 2.5], [4.0, 0.5, 2.0, 1.0], [0.0, 9.0, -1.0, 2.0]])])
      for m in ("linear", "lower", "higher", "midpoint", "nearest")],
    ("quantile_tensor_q", lambda L, x, q: [L.quantile(x, q), L.quantile(x, q, 1, keepdim=True), x.nanquantile(q, 0)],
     [d(3, 5), np.array([0.1, 0.5, 0.95])]),
    ("bitwise", lambda L, x, y: [L.bitwise_and(x, y), L.bitwise_or(x, 3), x.bitwise_xor(y), L.bitwise_not(x),
                                 L.bitwise_left_shift(x, y), x.bitwise_right_shift(y), x << 2, x >> y],
     [i(6, hi=40) - 20, i(6, hi=6)]),
    ("bitwise_shift_wide", lambda L, x, y: [L.bitwise_left_shift(x, y), L.bitwise_right_shift(x, y)],
     [np.array([1, -3, 5, -8]), np.array([70, 64, 1, 63])]),
    ("bitwise_bool", lambda L, x, y: [L.bitwise_and(x > 0, y > 0), (x > 0).bitwise_not()], [f(5), f(5)]),
    ("hardshrink", lambda L, x: [L.hardshrink(x), x.hardshrink(0.2)], [f(3, 4)]),
    ("renorm", lambda L, x: [L.renorm(x, 2, 0, 1.0), x.renorm(1, 1, 0.5)], [f(3, 4)]),
    ("cov", lambda L, x: [L.cov(x), L.cov(x, correction=0), L.cov(x[0])], [f(3, 6)]),
    ("cov_weights", lambda L, x, fw, aw: [L.cov(x, fweights=fw), L.cov(x, aweights=aw), L.cov(x, fweights=fw, aweights=aw)],
     [f(3, 6), i(6, hi=4) + 1, pos(6)]),
    ("corrcoef", lambda L, x: [L.corrcoef(x), x.corrcoef()], [f(3, 6)]),
    ("slice_scatter", lambda L, x, s: [L.slice_scatter(x, s, 0, 0, 4, 2), x.slice_scatter(s.t(), 1, 1, 3)],
     [f(4, 4), f(2, 4)]),
    ("select_scatter", lambda L, x, s: [L.select_scatter(x, s, 0, 1), x.select_scatter(s[:3], 1, -1)], [f(3, 4), f(4)]),
    ("diagonal_scatter", lambda L, x, s: [L.diagonal_scatter(x, s), L.diagonal_scatter(x, s[:2], 2),
                                          x.diagonal_scatter(s, -1, 1, 0)], [f(3, 4), f(3)]),
    ("index_put", lambda L, x, v: [L.index_put(x, (L.tensor([0, 2, 0]), L.tensor([1, 3, 1])), v),
                                   x.index_put((L.tensor([0, 2, 0]),), L.ones(3, 4), accumulate=True),
                                   L.index_put(x, (L.tensor([0, 0]), L.tensor([1, 1])), v[:2], accumulate=True)],
     [f(3, 4), f(3)]),
    ("put", lambda L, x, v: [L.put(x, L.tensor([0, 11, -1]), v), x.put(L.tensor([2, 2, 5]), v, accumulate=True)],
     [f(3, 4), f(3)]),
    *[(f"index_reduce_{r}", lambda L, x, s, r=r: [L.index_reduce(x, 0, L.tensor([0, 2, 0]), s, r),
                                                  x.index_reduce(0, L.tensor([0, 2, 0]), s, r, include_self=False)],
       [f(3, 4), f(3, 4)]) for r in ("prod", "mean", "amax", "amin")],
    ("unfold", lambda L, x: [x.unfold(1, 2, 1), x.unfold(0, 2, 2), x.unfold(-1, 4, 3)], [f(3, 5)]),
    ("sum_to_size", lambda L, x: [x.sum_to_size(1, 4), x.sum_to_size(3, 1), x.sum_to_size((4,))], [f(2, 3, 4)]),
    ("narrow_copy_adjoint", lambda L, x: [L.narrow_copy(x, 1, 1, 2), x.adjoint(), L.adjoint(x)], [f(3, 4)]),
    ("vander", lambda L, x, n: [L.vander(x), L.vander(x, 3, increasing=True), L.vander(n)], [f(4), np.array([1, 2, 3])]),
    ("trapezoid", lambda L, y, x: [L.trapezoid(y), L.trapezoid(y, x), L.trapezoid(y, dx=0.5, dim=0), L.trapz(y, x),
                                   L.cumulative_trapezoid(y), L.cumulative_trapezoid(y, x), L.cumulative_trapezoid(y, dx=2, dim=0)],
     [f(3, 4), np.sort(f(4))]),
    ("casts", lambda L, x: [x.byte(), x.char(), x.short()], [np.array([1.7, 3.2, 100.0, 0.0])]),
    ("predicates", lambda L, x, y: [x.is_complex(), x.is_conj(), x.is_neg(), x.is_signed(), (x > 0).is_signed(),
                                    x.is_same_size(y), x.is_same_size(x), x[0, 0].is_nonzero(), x.itemsize, x.nbytes,
                                    x.is_inference(), L.is_nonzero(L.tensor([0.0]))], [f(3, 4), f(4)]),
    ("misc_functions", lambda L, x: [L.detach(x), L.fill(x, 2.5), L.result_type(x, 1), L.result_type(x.long(), 1.5),
                                     L.result_type(2, x.long()), L.can_cast(L.float32, L.int32),
                                     L.can_cast(L.int32, L.float32), L.can_cast(L.int64, L.bool),
                                     L.scalar_tensor(3), L.scalar_tensor(2, dtype=L.int64),
                                     L.unravel_index(L.tensor([5, 7, 12]), (3, 4)), L.unravel_index(L.tensor(3), 4)],
     [f(3)]),
    ("shape_inplace", lambda L, x: [x.clone().t_(), x.clone().unsqueeze_(1), x.clone()[None].squeeze_(0),
                                    x.clone().transpose_(0, 1), x.clone().swapaxes_(0, 1), x.clone().swapdims_(1, 0)],
     [f(3, 4)]),
    ("fill_diagonal_", lambda L, x: [x.clone().fill_diagonal_(2.0), x[:4, :3].clone().fill_diagonal_(-1, wrap=True),
                                     x.clone().t().contiguous().fill_diagonal_(5)], [f(5, 3)]),
    ("fill_diagonal_cube", lambda L, x: x.clone().fill_diagonal_(7), [f(3, 3, 3)]),
    ("H_mH_dim_order", lambda L, x, b: [x.H, b.mH, x.dim_order(), x.t().dim_order(), b.permute(2, 0, 1).dim_order()],
     [f(3, 4), f(2, 3, 4)]),
    ("nonzero_static", lambda L, x: [L.nonzero_static(x, size=3), x.nonzero_static(size=1, fill_value=-5),
                                     x.nonzero_static(size=10)], [i(3, 4, hi=2)]),
    ("callbacks", lambda L, x, y: [x.clone().apply_(lambda v: v * 3 + 1), x.clone().map_(y, lambda a, b: a * b - 1),
                                   x.clone().map2_(y, x, lambda a, b, c: a + b * c)], [f(3, 4), f(4)]),
    ("resize_", lambda L, x: [x.clone().resize_(2, 2), x.clone().resize_(3, 2).shape, x.clone().resize_as_(x[:2])],
     [f(6)]),
    ("float_power_", lambda L, x: x.clone().double().float_power_(2), [pos(5)]),
    ("as_strided", lambda L, x, s: [L.as_strided(x, (2, 2), (1, 2), 1), x.as_strided((3, 2), (2, 1)),
                                    L.as_strided_scatter(x, s, (2, 2), (1, 2), 1), x.clone().as_strided_((3,), (2,)),
                                    x.reshape(2, 3).as_strided((2,), (4,))], [f(6), f(2, 2)]),
    ("storage_offset", lambda L, x: [x.storage_offset(), x[2:].storage_offset(), x.reshape(2, 3)[:, 1].storage_offset(),
                                     x.new_empty_strided((2, 3), (3, 1)).shape], [f(6)]),
    ("gradient", lambda L, x, c: [L.gradient(x), L.gradient(x, spacing=2.0, dim=1, edge_order=2),
                                  L.gradient(x, spacing=[0.5, 2.0]), L.gradient(x, spacing=(c,), dim=1),
                                  L.gradient(x, spacing=(c,), dim=1, edge_order=2), L.gradient(x[0])],
     [f(3, 4), np.array([0.0, 1.0, 3.0, 4.5], np.float32)]),
    ("windows", lambda L: [w(n, p) for w in (L.hann_window, L.hamming_window, L.bartlett_window, L.blackman_window,
                                              L.kaiser_window) for n in (0, 1, 5, 8) for p in (True, False)]
     + [L.hann_window(6, dtype=L.float64), L.hamming_window(7, True, 0.5, 0.4), L.kaiser_window(6, False, 5.0)], []),
    ("nn_functional_forms", lambda L, x, w, w2: [
        L.conv1d(x, w, None, 1, 1), L.conv_transpose1d(x, w.transpose(0, 1)), L.avg_pool1d(x, 2),
        L.max_pool1d(x, 2), L.max_pool1d_with_indices(x, 3, 1), L.max_pool2d(x, 2), L.adaptive_avg_pool1d(x, 3),
        L.layer_norm(x, (8,)), L.group_norm(x, 3), L.dropout(x, 0.3, False), L.alpha_dropout(x, 0.3, False),
        L.conv2d(x.transpose(0, 1)[None], w2)], [f(2, 3, 8), f(4, 3, 3), f(2, 3, 2, 2)]),
]


VALUES += [  # empty inputs
    (f"empty_{k}", fn, [np.zeros((3, 0), np.float32)]) for k, fn in enumerate([
        lambda L, x: L.sort(x, 1), lambda L, x: L.topk(x, 0, 1), lambda L, x: L.cumprod(x, 1),
        lambda L, x: L.cummax(x, 1), lambda L, x: L.logcumsumexp(x, 1), lambda L, x: L.unique(x),
        lambda L, x: L.roll(x, 1, 1), lambda L, x: L.diagonal(x), lambda L, x: L.median(x, 0), lambda L, x: L.msort(x),
        lambda L, x: L.searchsorted(L.tensor([1.0, 2.0]), x), lambda L, x: L.nansum(x), lambda L, x: L.aminmax(x, dim=0),
        lambda L, x: L.tile(x, (2, 2)), lambda L, x: L.repeat_interleave(x, 2, 1), lambda L, x: L.histc(x),
        lambda L, x: L.bucketize(x, L.tensor([0.5])), lambda L, x: L.unique_consecutive(x), lambda L, x: L.kthvalue(x, 1, 0)])
]


@pytest.mark.parametrize("name,fn,inputs", VALUES, ids=[c[0] for c in VALUES])
def test_values_dtypes_and_shapes_match_torch(name, fn, inputs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = fn(torch, *[_to(torch, a) for a in inputs])
        got = fn(ember, *[_to(ember, a) for a in inputs])
    _compare(got, want, name)


# (id, fn(lib, *float64 tensors), inputs): gradients against torch, gradcheck and gradgradcheck
GRADS = [
    ("sort", lambda L, x: L.sort(x, 1).values * x, [distinct(3, 4)]),
    ("sort_descending", lambda L, x: L.sort(x, 0, descending=True)[0] ** 2, [distinct(3, 4)]),
    ("msort", lambda L, x: L.msort(x) * x, [distinct(3, 4)]),
    ("topk", lambda L, x: L.topk(x, 2).values ** 2, [distinct(3, 4)]),
    ("kthvalue", lambda L, x: x.kthvalue(2, 0).values * x[0], [distinct(3, 4)]),
    ("median", lambda L, x: L.median(x) * x + L.median(x, 1).values[:, None] ** 2, [distinct(3, 4)]),
    ("nanmedian", lambda L, x: L.nanmedian(x, 0)[0] ** 2, [distinct(3, 4)]),
    ("cumprod", lambda L, x: L.cumprod(x, 1), [d(3, 4)]),
    ("cumprod_one_zero", lambda L, x: L.cumprod(x * L.tensor([[1.0, 0.0, 1.0, 1.0]], dtype=L.float64), 1),
     [d(3, 4)]),
    ("cumprod_dim0", lambda L, x: x.cumprod(0) * x, [d(3, 4)]),
    ("cummax", lambda L, x: L.cummax(x, 1).values ** 2, [distinct(3, 4)]),
    ("cummin", lambda L, x: x.cummin(0)[0] * x, [distinct(3, 4)]),
    ("logcumsumexp", lambda L, x: L.logcumsumexp(x * 3, 1) * x, [d(3, 4)]),
    ("logcumsumexp_dim0", lambda L, x: x.logcumsumexp(0) ** 2, [d(3, 4)]),
    ("roll", lambda L, x: L.roll(x, (1, -2), (0, 1)) * x, [d(3, 4)]),
    ("rot90_flips", lambda L, x: L.rot90(x, 1).t() * L.fliplr(x) + L.flipud(x) ** 2, [d(3, 4)]),
    ("narrow_tile", lambda L, x: L.tile(L.narrow(x, 1, 1, 2), (2, 2)) ** 2, [d(3, 4)]),
    ("repeat_interleave", lambda L, x: L.repeat_interleave(x, L.tensor([1, 0, 2]), dim=0) ** 2, [d(3, 4)]),
    ("diag_diagonal", lambda L, x: L.diag(L.diagonal(x, 1)) ** 2 + L.diag_embed(x[:, :3]).sum(0), [d(3, 4)]),
    ("trace_diagflat", lambda L, x: L.trace(x * x) * L.diagflat(x[0, :2]), [d(3, 4)]),
    ("meshgrid", lambda L, x: L.meshgrid(x[0], x[1, :3], indexing="xy")[0] * L.meshgrid(x[2], x[1, :3], indexing="xy")[1],
     [d(3, 4)]),
    ("take", lambda L, x: L.take(x, L.tensor([[0, 5], [5, -1]])) ** 2, [d(3, 4)]),
    ("index_add", lambda L, x, y: L.index_add(x, 0, L.tensor([0, 2, 0]), y * y, alpha=0.5) ** 2, [d(3, 4), d(3, 4)]),
    ("index_copy", lambda L, x, y: L.index_copy(x * x, 1, L.tensor([3, 0]), y[:, :2] ** 2) * x, [d(3, 4), d(3, 4)]),
    ("index_fill", lambda L, x: L.index_fill(x, 1, L.tensor([0, 2]), 0.5) * x, [d(3, 4)]),
    *[(f"scatter_reduce_{r}", lambda L, x, y, r=r: L.scatter_reduce(x, 0, L.tensor([[0, 1, 2, 0], [2, 2, 2, 0]]), y * y,
                                                                    r, include_self=r != "mean") ** 2,
       [distinct(3, 4), distinct(2, 4)]) for r in ("sum", "mean", "amax", "amin")],
    ("scatter_reduce_ties", lambda L, x, y: L.scatter_reduce(x * 0 + 1, 0, L.tensor([[0, 0], [0, 1]]), y[:2, :2] * 0 + 1
                                                             + x[:2, :2] * 0, "amax"), [d(2, 2), d(2, 2)]),
    ("masked_scatter", lambda L, x, y: L.masked_scatter(x, x > 0, y * y) * x, [d(3, 4), d(3, 4)]),
    ("masked_select", lambda L, x: L.masked_select(x, x > 0) ** 2, [d(3, 4)]),
    ("movedim_splits", lambda L, x: L.movedim(x, 0, 1) * L.cat(L.tensor_split(x.t(), 3, 0), 0), [d(3, 4)]),
    ("diff", lambda L, x: L.diff(x, 2, 1) ** 2, [d(3, 4)]),
    ("block_diag", lambda L, x: L.block_diag(x[:2], x[2]) ** 2, [d(3, 4)]),
    ("cartesian_combinations", lambda L, x: (L.cartesian_prod(x[0], x[1, :2]) ** 2).sum(1) + L.combinations(x[2]).sum(),
     [d(3, 4)]),
    ("nansum_nanmean_aminmax", lambda L, x: L.nansum(x * x) + L.nanmean(x, 0) + L.aminmax(x, dim=1).max[:, None] * x,
     [distinct(3, 4)]),
    *[(name, lambda L, x, name=name: getattr(L, name)(x) * x, [gen(3, 4)]) for name, gen in [
        ("tan", lambda *s: d(*s) * 0.5), ("sinh", d), ("cosh", d), ("asin", lambda *s: R.uniform(-0.8, 0.8, s)),
        ("acos", lambda *s: R.uniform(-0.8, 0.8, s)), ("atan", d), ("asinh", d),
        ("acosh", lambda *s: R.uniform(1.2, 3, s)), ("atanh", lambda *s: R.uniform(-0.8, 0.8, s)), ("sinc", d),
        ("exp2", d), ("deg2rad", d), ("rad2deg", d), ("frac", lambda *s: d(*s) * 3),
        ("logit", lambda *s: R.uniform(0.1, 0.9, s)), ("nan_to_num", d), ("square", d), ("log2", lambda *s: R.uniform(0.2, 3, s)),
        ("log10", lambda *s: R.uniform(0.2, 3, s))]],
    ("logit_eps", lambda L, x: L.logit(x, 0.25) * x, [R.uniform(0.05, 0.95, (3, 4))]),
    *[(name, lambda L, x, y, name=name: getattr(L, name)(x, y) * x, [gx(3, 4), gy(3, 4)]) for name, gx, gy in [
        ("atan2", d, d), ("hypot", d, d), ("logaddexp", d, d), ("logaddexp2", d, d),
        ("fmod", lambda *s: d(*s) * 3, lambda *s: R.uniform(0.5, 2, s)), ("xlogy", d, lambda *s: R.uniform(0.2, 3, s)),
        ("fmax", distinct, distinct), ("fmin", distinct, distinct), ("float_power", lambda *s: R.uniform(0.5, 2, s), d)]],
    ("copysign", lambda L, x, y: L.copysign(x, y.detach()) * x, [d(3, 4), d(3, 4)]),
    ("ldexp", lambda L, x: L.ldexp(x, L.tensor([1, 0, 3, 2])) * x, [d(3, 4)]),  # (other < 0: torch's gradient is 0)
    ("activations", lambda L, x, w: L.selu(x) * x + L.celu(x, 0.7) + L.threshold(x, 0.1, -2.0) * x
     + L.prelu(x[None], w[0, :3]).sum(0) + x.prelu(w[0, :1]), [d(3, 4), d(3, 4)]),
    ("lerp_addcmul_addcdiv", lambda L, x, y: L.lerp(x, y, 0.3) * L.addcmul(x, y, x, value=2) + L.addcdiv(x, y, x * x + 1),
     [d(3, 4), d(3, 4)]),
]
GRADS += [
    ("quantile", lambda L, x: (L.quantile(x, 0.3, 1) * x[:, 0])[:, None] + L.nanquantile(x, 0.8) * x, [distinct(3, 4)]),
    ("quantile_tensor_q", lambda L, x: L.quantile(x, L.tensor([0.2, 0.9], dtype=L.float64), 0) ** 2, [distinct(3, 4)]),
    ("hardshrink_renorm", lambda L, x: L.hardshrink(x, 0.3) * x + L.renorm(x, 2, 0, 1.0), [d(3, 4)]),
    ("cov_corrcoef", lambda L, x, w: L.cov(x, aweights=w[0] * w[0] + 0.5) + L.corrcoef(x), [d(3, 4), d(3, 4)]),
    ("scatters", lambda L, x, y: L.slice_scatter(x, y[:2] ** 2, 0, 0, 3, 2) * x + L.select_scatter(x, y[0], 0, 1)
     + L.diagonal_scatter(x * x, y[:, 0], 0) * y, [d(3, 4), d(3, 4)]),
    ("index_put_put", lambda L, x, y: L.index_put(x * x, (L.tensor([0, 2, 0]), L.tensor([1, 3, 1])), y[0, :3],
                                                  accumulate=True) * x + L.put(x, L.tensor([0, 5]), y[1, :2] ** 2) * y,
     [d(3, 4), d(3, 4)]),
    ("index_reduce", lambda L, x, y: L.index_reduce(x, 0, L.tensor([0, 2, 0]), y, "amax") ** 2
     + L.index_reduce(x, 0, L.tensor([1, 2, 1]), y, "mean", include_self=False) * x, [distinct(3, 4), distinct(3, 4)]),
    ("unfold_sum_to_size", lambda L, x: (x.unfold(1, 2, 1).sum(-1) ** 2 * x[:, :3]).sum() + x.sum_to_size(1, 4) * x,
     [d(3, 4)]),
    ("trapezoid", lambda L, x, y: L.trapezoid(x * y, y[0].sort().values).sum()
     + L.cumulative_trapezoid(x * x, dim=0).sum(), [d(3, 4), d(3, 4)]),
    ("as_strided", lambda L, x, y: L.as_strided(x, (2, 3), (1, 2), 1) ** 2 * y[:2, :3], [d(3, 4), d(3, 4)]),
    ("gradient", lambda L, x: L.gradient(x * x, spacing=(L.tensor([0.0, 1.0, 3.0, 4.5], dtype=L.float64),), dim=1,
                                         edge_order=2)[0] + L.gradient(x, edge_order=2)[0] ** 2, [d(3, 4)]),
    ("shape_inplace", lambda L, x: (x * 1).t_() * x.t() + (x * 2).unsqueeze_(0).squeeze_(0).transpose_(0, 1), [d(3, 4)]),
]
ONCE = {"scatter_reduce_prod"}  # first order only (ScatterProd): its gradient's gradient is not formed


@pytest.mark.parametrize("name,fn,inputs", GRADS, ids=[c[0] for c in GRADS])
def test_gradients_match_torch_and_gradcheck(name, fn, inputs):
    ex = [_to(ember, a, grad=True) for a in inputs]
    tx = [_to(torch, a, grad=True) for a in inputs]
    got, want = fn(ember, *ex), fn(torch, *tx)
    assert_close(got, want, msg=name)
    w = R.standard_normal(tuple(want.shape))
    ge = ember.autograd.grad((got * ember.tensor(w)).sum(), ex, allow_unused=True)
    gt = torch.autograd.grad((want * torch.tensor(w)).sum(), tx, allow_unused=True)
    for a, b in zip(ge, gt):
        if b is None:
            assert a is None or not a.numpy().any(), name
        else:
            assert_close(a, b, msg=name)
    assert gradcheck(lambda *a: fn(ember, *a), tuple(ex))
    assert gradgradcheck(lambda *a: fn(ember, *a), tuple(ex))


def test_mode_gradient_goes_to_the_chosen_element_as_torch():  # (ties: no finite differences)
    a = np.array([[1.0, 3.0, 3.0, 1.0, 2.0], [2.0, 2.0, 5.0, 5.0, 0.0]])
    e, t = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    w = np.array([0.7, -1.3])
    (ge,) = ember.autograd.grad((ember.mode(e, 1).values * ember.tensor(w)).sum(), [e])
    (gt,) = torch.autograd.grad((torch.mode(t, 1).values * torch.tensor(w)).sum(), [t])
    assert_close(ge, gt)


def test_mode_index_points_at_the_mode_value():  # (torch's index among ties on long rows follows no stated rule)
    x = ember.tensor(i(50, 30, hi=20))
    m = ember.mode(x, 1)
    np.testing.assert_array_equal(x.numpy()[np.arange(50), m.indices.numpy()], m.values.numpy())


def test_vander_gradcheck():  # (torch's own vander cannot be differentiated: it raises an in-place error)
    x = ember.tensor(d(4), requires_grad=True)
    assert gradcheck(lambda a: ember.vander(a, 5) * 1.0, (x,))
    assert gradgradcheck(lambda a: ember.vander(a, 3, increasing=True) * 1.0, (x,))


def test_as_strided_scatter_gradient():  # (torch 2.13 passes input's gradient at the replaced elements instead)
    x, y = ember.tensor(d(3, 4), requires_grad=True), ember.tensor(d(2, 3), requires_grad=True)
    fn = lambda a, b: ember.as_strided_scatter(a * a, b * b, (2, 3), (3, 1), 2)
    (gx,) = ember.autograd.grad(fn(x, y).sum(), [x])
    replaced = np.zeros(12, bool)
    replaced[[2, 3, 4, 5, 6, 7]] = True
    np.testing.assert_allclose(gx.numpy(), np.where(replaced.reshape(3, 4), 0, 2 * x.detach().numpy()))
    assert gradcheck(fn, (x, y)) and gradgradcheck(fn, (x, y))


def test_scatter_reduce_prod_gradient_matches_torch_with_zeros():
    x = np.array([[2.0, 0.0, 3.0], [1.0, 5.0, 0.0]])
    s = np.array([[0.0, 4.0, 2.0], [3.0, 0.0, 0.5], [2.0, 2.0, 0.0]])
    j = np.array([[0, 0, 1], [1, 0, 1], [0, 1, 1]])
    for inc in (True, False):
        ex, es = ember.tensor(x, requires_grad=True), ember.tensor(s, requires_grad=True)
        tx, ts = torch.tensor(x, requires_grad=True), torch.tensor(s, requires_grad=True)
        got = ember.scatter_reduce(ex, 0, ember.tensor(j), es, "prod", include_self=inc)
        want = torch.scatter_reduce(tx, 0, torch.tensor(j), ts, "prod", include_self=inc)
        assert_close(got, want)
        w = R.standard_normal(x.shape)
        for a, b in zip(ember.autograd.grad((got * ember.tensor(w)).sum(), [ex, es]),
                        torch.autograd.grad((want * torch.tensor(w)).sum(), [tx, ts])):
            assert_close(a, b)
        assert gradcheck(lambda a, b: ember.scatter_reduce(a, 0, ember.tensor(j), b, "prod", include_self=inc),
                         (ember.tensor(d(2, 3), requires_grad=True), ember.tensor(d(3, 3), requires_grad=True)))


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("zeros", [0, 1, 2])
def test_scatter_reduce_prod_is_twice_differentiable_as_torch(include_self, zeros):
    """Also where src is computed from the input (x and x[:1]·2): each path counted once, zero factors included."""
    x0 = np.random.default_rng(zeros).standard_normal((2, 3))
    x0.flat[:zeros] = 0
    v0 = np.random.default_rng(9).standard_normal((2, 3))
    got = []
    for lib in (torch, ember):
        x = lib.tensor(x0, requires_grad=True)
        y = lib.scatter_reduce(x, 0, lib.tensor([[0, 1, 0], [0, 0, 0]]), x * 2, "prod", include_self=include_self)
        g, = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        h, = lib.autograd.grad((g * lib.tensor(v0)).sum(), x)
        got.append((g.detach().numpy(), h.numpy()))
    np.testing.assert_allclose(got[1][0], got[0][0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[1][1], got[0][1], rtol=1e-12, atol=1e-12)
    x = ember.tensor(x0 + 0.5, requires_grad=True)
    assert ember.autograd.gradgradcheck(
        lambda a: ember.scatter_reduce(a, 0, ember.tensor([[0, 1, 0]]), a[:1] * 2, "prod", include_self=include_self),
        (x,))


# (id, fn(lib)): torch's exception type and message
def _e(*a):
    return lambda L: [L.tensor(v) for v in a]


ERRORS = [
    ("topk_k", lambda L: L.topk(L.ones(3), 5)),
    ("kthvalue_k", lambda L: L.kthvalue(L.ones(3), 4)),
    ("sort_dim", lambda L: L.sort(L.ones(3), dim=3)),
    ("median_empty_dim", lambda L: L.median(L.ones(0, 2), 0)),
    ("mode_empty_dim", lambda L: L.mode(L.ones(2, 0), 1)),
    ("logcumsumexp_int", lambda L: L.logcumsumexp(L.tensor([1, 2]), 0)),
    ("searchsorted_side", lambda L: L.searchsorted(L.tensor([1.0, 2.0]), L.tensor([1.0]), side="middle")),
    ("searchsorted_side_right", lambda L: L.searchsorted(L.tensor([1.0, 2.0]), L.tensor([1.0]), side="left", right=True)),
    ("searchsorted_shape", lambda L: L.searchsorted(L.ones(2, 3), L.ones(3, 1))),
    ("bucketize_2d", lambda L: L.bucketize(L.ones(3), L.ones(2, 2))),
    ("fliplr_1d", lambda L: L.fliplr(L.ones(3))),
    ("flipud_0d", lambda L: L.flipud(L.tensor(1.0))),
    ("rot90_dims", lambda L: L.rot90(L.ones(2, 2), 1, (0, 0))),
    ("rot90_ndim", lambda L: L.rot90(L.ones(2), 1)),
    ("rot90_three_dims", lambda L: L.rot90(L.ones(2, 2, 2), 1, (0, 1, 2))),
    ("narrow_length", lambda L: L.narrow(L.ones(3, 4), 1, 2, 3)),
    ("narrow_start", lambda L: L.narrow(L.ones(3, 4), 1, 5, 0)),
    ("narrow_0d", lambda L: L.narrow(L.tensor(1.0), 0, 0, 1)),
    ("repeat_interleave_size", lambda L: L.repeat_interleave(L.ones(3), L.tensor([1, 2]), dim=0)),
    ("repeat_interleave_negative", lambda L: L.repeat_interleave(L.ones(2), L.tensor([1, -2]), dim=0)),
    ("repeat_interleave_2d_counts", lambda L: L.repeat_interleave(L.ones(2, 2, dtype=L.long))),
    ("diag_3d", lambda L: L.diag(L.ones(2, 2, 2))),
    ("diagonal_same", lambda L: L.diagonal(L.ones(2, 2), 0, 1, 1)),
    ("trace_1d", lambda L: L.trace(L.ones(3))),
    ("meshgrid_indexing", lambda L: L.meshgrid(L.ones(2), indexing="ab")),
    ("take_range", lambda L: L.take(L.ones(3, 4), L.tensor([12]))),
    ("index_add_count", lambda L: L.index_add(L.ones(3, 4), 0, L.tensor([0, 1]), L.ones(3, 4))),
    ("index_add_2d_index", lambda L: L.index_add(L.ones(3, 4), 0, L.tensor([[0, 1]]), L.ones(2, 4))),
    ("index_add_float_index", lambda L: L.index_add(L.ones(3, 4), 0, L.tensor([0.0]), L.ones(1, 4))),
    ("scatter_reduce_name", lambda L: L.scatter_reduce(L.ones(3), 0, L.tensor([0]), L.ones(1), "add")),
    ("index_copy_2d_index", lambda L: L.index_copy(L.ones(3, 4), 0, L.tensor([[0]]), L.ones(1, 4))),
    ("index_copy_float_index", lambda L: L.index_copy(L.ones(3, 4), 0, L.tensor([0.0]), L.ones(1, 4))),
    ("index_fill_2d_index", lambda L: L.index_fill(L.ones(3, 4), 0, L.tensor([[0]]), 1.0)),
    ("index_fill_float_index", lambda L: L.index_fill(L.ones(3, 4), 0, L.tensor([0.0]), 1.0)),
    ("scatter_reduce_dtype", lambda L: L.scatter_reduce(L.ones(3), 0, L.tensor([0]), L.ones(1, dtype=L.float64), "sum")),
    ("masked_scatter_few", lambda L: L.masked_scatter(L.ones(3, 4), L.ones(3, 4) > 0, L.ones(3))),
    ("masked_scatter_dtype", lambda L: L.masked_scatter(L.ones(3), L.ones(3), L.ones(3))),
    ("bincount_negative", lambda L: L.bincount(L.tensor([-1, 2]))),
    ("bincount_float", lambda L: L.bincount(L.tensor([1.0]))),
    ("bincount_minlength", lambda L: L.bincount(L.tensor([1]), minlength=-1)),
    ("bincount_weights", lambda L: L.bincount(L.tensor([1, 2]), L.ones(3))),
    ("histc_int", lambda L: L.histc(L.tensor([1, 2]))),
    ("histc_bins", lambda L: L.histc(L.ones(3), 0)),
    ("histc_range", lambda L: L.histc(L.ones(3), 3, 2, 1)),
    ("histogram_int", lambda L: L.histogram(L.tensor([1, 2]), 3)),
    ("histogramdd_int", lambda L: L.histogramdd(L.tensor([[1, 2]]), 3)),
    ("frac_int", lambda L: L.frac(L.tensor([1, 2]))),
    ("hypot_int", lambda L: L.hypot(L.tensor([1, 2]), L.tensor([1, 2]))),
    ("hypot_scalar", lambda L: L.hypot(L.ones(2), 2)),
    ("logaddexp_int", lambda L: L.logaddexp(L.tensor([1]), L.tensor([2]))),
    ("atan2_scalar", lambda L: L.atan2(L.ones(2), 2)),
    ("fmod_int_zero", lambda L: L.fmod(L.tensor([1, 2]), L.tensor([0, 1]))),
    ("fmod_bool", lambda L: L.fmod(L.tensor([True]), L.tensor([True]))),
    ("gcd_float", lambda L: L.gcd(L.ones(2), L.ones(2))),
    ("gcd_scalar", lambda L: L.gcd(L.tensor([2]), 2)),
    ("heaviside_dtypes", lambda L: L.heaviside(L.ones(2), L.tensor([1, 2]))),
    ("nextafter_int", lambda L: L.nextafter(L.tensor([1]), L.tensor([2]))),
    ("positive_bool", lambda L: L.positive(L.tensor([True]))),
    ("frexp_int", lambda L: L.frexp(L.tensor([1]))),
    ("nanmean_int", lambda L: L.nanmean(L.tensor([1, 2]))),
    ("atan2_shapes", lambda L: L.atan2(L.ones(2), L.ones(3))),
    ("tensor_split_zero", lambda L: L.tensor_split(L.ones(3), 0)),
    ("hsplit_divisible", lambda L: L.hsplit(L.ones(2, 3), 2)),
    ("vsplit_1d", lambda L: L.vsplit(L.ones(3), 1)),
    ("select_range", lambda L: L.select(L.ones(2, 3), 1, 3)),
    ("movedim_count", lambda L: L.movedim(L.ones(2, 3), (0, 1), (0,))),
    ("combinations_2d", lambda L: L.combinations(L.ones(2, 2))),
    ("block_diag_3d", lambda L: L.block_diag(L.ones(2, 2, 2))),
    ("broadcast_shapes", lambda L: L.broadcast_shapes((2, 3), (4,))),
    ("cummax_dim", lambda L: L.cummax(L.ones(2), 2)),
    ("cumprod_dim", lambda L: L.cumprod(L.ones(2), 1)),
    ("quantile_int", lambda L: L.quantile(L.tensor([1, 2]), 0.5)),
    ("quantile_q_range", lambda L: L.quantile(L.ones(3), 1.5)),
    ("quantile_q_2d", lambda L: L.quantile(L.ones(3), L.ones(1, 1) * 0.5)),
    ("quantile_q_dtype", lambda L: L.quantile(L.ones(3), L.tensor([0.5], dtype=L.float64))),
    ("quantile_interpolation", lambda L: L.quantile(L.ones(3), 0.5, interpolation="cubic")),
    ("quantile_empty", lambda L: L.quantile(L.ones(0), 0.5)),
    ("quantile_empty_dim", lambda L: L.quantile(L.ones(3, 0), 0.5, 0)),
    ("shift_float", lambda L: L.bitwise_left_shift(L.ones(2), 1)),
    ("bitwise_float", lambda L: L.bitwise_and(L.ones(2), L.ones(2))),
    ("renorm_p", lambda L: L.renorm(L.ones(2, 2), 0, 0, 1.0)),
    ("renorm_maxnorm", lambda L: L.renorm(L.ones(2, 2), 2, 0, -1.0)),
    ("cov_3d", lambda L: L.cov(L.ones(2, 2, 2))),
    ("slice_scatter_shape", lambda L: L.slice_scatter(L.ones(4, 4), L.ones(3, 4), 0, 0, 4, 2)),
    ("select_scatter_shape", lambda L: L.select_scatter(L.ones(4, 4), L.ones(3), 0, 0)),
    ("diagonal_scatter_shape", lambda L: L.diagonal_scatter(L.ones(4, 4), L.ones(3))),
    ("put_range", lambda L: L.put(L.ones(3), L.tensor([3]), L.ones(1))),
    ("put_count", lambda L: L.put(L.ones(3), L.tensor([0, 1]), L.ones(1))),
    ("index_reduce_name", lambda L: L.index_reduce(L.ones(3), 0, L.tensor([0]), L.ones(1), "sum")),
    ("fill_diagonal_1d", lambda L: L.ones(3).fill_diagonal_(1)),
    ("fill_diagonal_unequal", lambda L: L.ones(2, 3, 4).fill_diagonal_(1)),
    ("unfold_size", lambda L: L.ones(5).unfold(0, 6, 1)),
    ("unfold_step", lambda L: L.ones(5).unfold(0, 2, 0)),
    ("sum_to_size", lambda L: L.ones(2, 3).sum_to_size(2)),
    ("adjoint_1d", lambda L: L.ones(3).adjoint()),
    ("vander_2d", lambda L: L.vander(L.ones(2, 2))),
    ("is_nonzero_many", lambda L: L.ones(2).is_nonzero()),
    ("H_3d", lambda L: L.ones(2, 3, 4).H),
    ("prelu_channels", lambda L: L.prelu(L.ones(2, 3, 4), L.ones(2))),
    ("selu_int", lambda L: L.selu(L.tensor([1, 2]))),
    ("as_strided_bounds", lambda L: L.as_strided(L.ones(6), (3, 3), (2, 2))),
    ("gradient_short", lambda L: L.gradient(L.ones(2), edge_order=2)),
    ("window_negative", lambda L: L.hann_window(-1)),
    ("window_int", lambda L: L.hann_window(3, dtype=L.int64)),
    ("mH_1d", lambda L: L.ones(3).mH),
    ("float_power__float32", lambda L: L.ones(3).float_power_(2)),
    ("apply__grad", lambda L: L.ones(2, requires_grad=True).apply_(lambda v: v)),
    ("resize__grad", lambda L: L.ones(2, requires_grad=True).resize_(3)),
    ("is_nonzero_none", lambda L: L.ones(0).is_nonzero()),
    ("t_leaf", lambda L: L.ones(2, 1, requires_grad=True).t_()),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors_match_torch(name, fn):
    with pytest.raises(Exception) as want:
        fn(torch)
    with pytest.raises(Exception) as got:
        fn(ember)
    assert type(got.value) is type(want.value), (name, got.value, want.value)
    assert str(got.value) == str(want.value), name


INPLACE = [
    ("tan_", lambda x: x.tan_()), ("acosh_", lambda x: x.abs_().add_(1).acosh_()), ("atan2_", lambda x: x.atan2_(x * 2)),
    ("fmod_", lambda x: x.fmod_(0.3)), ("frac_", lambda x: x.frac_()), ("logit_", lambda x: x.sigmoid_().logit_()),
    ("nan_to_num_", lambda x: x.log_().nan_to_num_()), ("cumprod_", lambda x: x.cumprod_(1)),
    ("index_add_", lambda x: x.index_add_(0, x.new_tensor([1, 0]).long(), x[:2] * 2)),
    ("index_copy_", lambda x: x.index_copy_(1, x.new_tensor([2]).long(), x[:, :1] + 5)),
    ("masked_scatter_", lambda x: x.masked_scatter_(x > 0, -x.flatten())),
    ("scatter_reduce_", lambda x: x.scatter_reduce_(0, x.new_tensor([[1, 0, 1]]).long(), x[:1] * 3, "amax")),
    ("tril_", lambda x: x.tril_(-1)), ("triu_", lambda x: x.triu_(1)), ("floor_", lambda x: x.floor_()),
    ("eq_", lambda x: x.eq_(x.round())), ("sign_", lambda x: x.sign_()), ("hypot_", lambda x: x.hypot_(x)),
]


@pytest.mark.parametrize("name,fn", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_methods_change_the_tensor_as_torch(name, fn):
    a = f(2, 3)
    e, t = ember.tensor(a), torch.tensor(a)
    with np.errstate(all="ignore"):
        re = fn(e)
        fn(t)
    assert re is e
    assert_close(e, t, msg=name)


@pytest.mark.parametrize("name,fn", [c for c in INPLACE if c[0] in ("tan_", "atan2_", "cumprod_", "index_add_",
                                                                      "masked_scatter_")],
                         ids=lambda c: c if isinstance(c, str) else "")
def test_inplace_methods_are_recorded_as_torch(name, fn):
    a = pos(2, 3)
    e, t = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ye, yt = e * 1, t * 1
    fn(ye), fn(yt)
    assert_close(ye, yt, msg=name)
    (ge,), (gt,) = ember.autograd.grad(ye.sum(), [e]), torch.autograd.grad(yt.sum(), [t])
    assert_close(ge, gt, msg=name)


def test_inplace_float_result_into_an_integer_tensor_raises_as_torch():
    with pytest.raises(RuntimeError) as want:
        torch.tensor([1, 2]).tan_()
    with pytest.raises(RuntimeError) as got:
        ember.tensor([1, 2]).tan_()
    assert str(got.value) == str(want.value)


def test_out_argument_writes_into_the_given_tensors():
    x = f(3, 4)
    for lib in (ember, torch):
        v, j = lib.empty(0), lib.empty(0, dtype=lib.long)
        res = lib.sort(lib.tensor(x), 1, out=(v, j))
        assert res[0] is v and res[1] is j
        s = lib.empty(2, 3, dtype=lib.long)
        r2 = lib.searchsorted(lib.tensor([1.0, 2.0]), lib.tensor(x[:2, :3]), out=s)
        assert r2 is s
    want = torch.sort(torch.tensor(x), 1)
    ev, ej = ember.empty(0), ember.empty(0, dtype=ember.long)
    ember.sort(ember.tensor(x), 1, out=(ev, ej))
    assert_close(ev, want.values)
    assert_close(ej, want.indices)
    with pytest.raises(RuntimeError) as tw:
        torch.sort(torch.tensor(x), out=(torch.empty(0, dtype=torch.float64), torch.empty(0, dtype=torch.long)))
    with pytest.raises(RuntimeError) as ew:
        ember.sort(ember.tensor(x), out=(ember.empty(0, dtype=ember.float64), ember.empty(0, dtype=ember.long)))
    assert str(ew.value) == str(tw.value)


def test_meshgrid_without_indexing_warns_and_uses_ij():
    a, b = f(2), f(3)
    with pytest.warns(UserWarning, match="indexing"):
        got = ember.meshgrid(ember.tensor(a), ember.tensor(b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = torch.meshgrid(torch.tensor(a), torch.tensor(b))
    _compare(got, want, "meshgrid")


def test_const_data_ptr_is_the_data_pointer():
    x = ember.ones(3)
    assert x.const_data_ptr() == x.data_ptr() == x.numpy().__array_interface__["data"][0]


def test_result_tuples_have_torchs_field_names():
    x = ember.tensor(f(3, 4))
    assert x.sort().values.shape == (3, 4) and x.sort().indices.dtype == ember.int64
    assert x.topk(2).indices.shape == (3, 2)
    assert x.cummax(0).values.shape == (3, 4)
    assert ember.frexp(x).mantissa.shape == (3, 4) and ember.frexp(x).exponent.dtype == ember.int32
    assert ember.histogram(x, 3).bin_edges.shape == (4,)
    assert ember.aminmax(x).min.shape == ()
    assert repr(x.sort()).startswith("ember.return_types.sort(")


def test_autograd_grad_runs_no_backward_below_what_it_captures():
    """torch's engine runs only the nodes that lead to an input of autograd.grad: a hook below one does not fire."""
    fired = {}
    for lib in (torch, ember):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        low = x * 3
        low.register_hook(lambda g, lib=lib: fired.setdefault(lib.__name__, []).append(g))
        mid = low.exp()
        g, = lib.autograd.grad((mid * mid).sum(), mid)
        assert_close(g, 2 * mid.detach())
    assert fired == {}
