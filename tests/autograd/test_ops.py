"""Every differentiable op against torch (values and gradients), and against finite differences.

One table, two tests (tinygrad's ``helper_test_op``): each row names an op, the function that
calls it (``fn(T, *inputs)`` where ``T`` is the ``ember`` or ``torch`` module, or a separate
torch function when the spellings differ), the inputs, and the dtypes to try.

- ``test_op_matches_torch``: same random inputs in ember and torch, for each dtype of the row:
  outputs equal (values, dtype, shape); then a random upstream gradient is pushed back
  through every float output and the input gradients must be equal.
- ``test_op_gradcheck``: float64 central differences (``ember.autograd.gradcheck``).

Inputs: a tuple is a shape of a random float input (differentiable); ``Idx``/``Mask``/``Const``
are fixed non-differentiable arguments (indices, boolean masks, constant arrays).
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pytest

from _oracle import assert_close, to_numpy, torch

import ember
import ember.nn.functional  # noqa: F401  (ember.nn is not imported by `import ember`)

F32, F64, I64, I32, BOOL = np.float32, np.float64, np.int64, np.int32, np.bool_
FLOATS = (F32, F64)
ALL = (F32, F64, I64, I32, BOOL)
NUMERIC = (F32, F64, I64, I32)


@dataclass(frozen=True)
class Idx:
    """A fixed int64 index tensor with values in [low, high)."""
    shape: tuple
    high: int
    low: int = 0
    unique: bool = False  # a permutation prefix (for scatter without duplicate targets)


@dataclass(frozen=True)
class Mask:
    shape: tuple


@dataclass(frozen=True)
class Const:
    value: Any


@dataclass
class Case:
    name: str
    fn: Callable  # fn(T, *inputs), T = ember or torch
    shapes: tuple  # input specs
    tfn: Callable | None = None  # torch's spelling when it differs
    dtypes: tuple = FLOATS
    low: float = -2.0
    high: float = 2.0
    grad: bool = True
    gradcheck: bool = True
    rtol: float | None = None
    atol: float | None = None
    id: str = field(default="")

    def __post_init__(self):
        self.id = self.id or self.name


def _tied(x):
    """x rounded to integers in value, with gradient 1 (x − x.detach() + round(x))."""
    return x - x.detach() + x.detach().round()


def _m(name, *a, **k):
    return Case(name, *a, **k)


def sh(*shapes):
    return tuple(shapes)


# ---- the table ----------------------------------------------------------------------------------
CASES = [
    # arithmetic, with broadcasting, reflected forms and scalars
    _m("add", lambda T, x, y: x + y, sh((3, 4), (4,)), dtypes=ALL),
    _m("add_bcast_both", lambda T, x, y: T.add(x, y), sh((3, 1, 4), (2, 1)), dtypes=NUMERIC),
    _m("add_alpha", lambda T, x, y: T.add(x, y, alpha=2.5), sh((3, 4), (3, 4))),
    _m("add_scalar", lambda T, x: x + 1.5, sh((2, 3)), dtypes=NUMERIC),
    _m("radd_scalar", lambda T, x: 2 + x, sh((2, 3)), dtypes=ALL),
    _m("sub", lambda T, x, y: x - y, sh((3, 4), (1, 4)), dtypes=NUMERIC),
    _m("sub_alpha", lambda T, x, y: T.sub(x, y, alpha=0.5), sh((3, 4), (4,))),
    _m("rsub_scalar", lambda T, x: 1.5 - x, sh((2, 3)), dtypes=NUMERIC),
    _m("mul", lambda T, x, y: x * y, sh((2, 3, 4), (3, 1)), dtypes=ALL),
    _m("rmul_scalar", lambda T, x: 3 * x, sh((5,)), dtypes=ALL),
    _m("mul_0dim", lambda T, x, y: x * y, sh((3, 2), ())),
    _m("div", lambda T, x, y: x / y, sh((3, 4), (4,)), low=0.5, dtypes=FLOATS),
    _m("div_signed", lambda T, x, y: x / (y + 3), sh((3, 4), (3, 4)), dtypes=FLOATS),
    _m("div_int", lambda T, x, y: x / y, sh((3, 4), (4,)), low=1, high=5, dtypes=(I64, I32)),
    _m("rdiv_scalar", lambda T, x: 2.0 / x, sh((2, 3)), low=0.5),
    _m("rdiv_int_scalar", lambda T, x: 2 / x, sh((2, 3)), low=1, high=4, dtypes=(I64, I32, F32)),
    _m("neg", lambda T, x: -x, sh((2, 3)), dtypes=NUMERIC),
    _m("pow_scalar", lambda T, x: x ** 3, sh((2, 3)), dtypes=NUMERIC),
    _m("pow_square", lambda T, x: x ** 2, sh((2, 3))),
    _m("pow_frac", lambda T, x: x ** 0.5, sh((2, 3)), low=0.5),
    _m("pow_neg", lambda T, x: x ** -1.5, sh((2, 3)), low=0.5),
    _m("pow_zero", lambda T, x: x ** 0, sh((2, 3))),
    _m("pow_tensor", lambda T, x, y: T.pow(x, y), sh((2, 3), (3,)), low=0.5),
    _m("rpow_scalar", lambda T, x: 2.0 ** x, sh((2, 3))),
    _m("rpow_int_scalar", lambda T, x: 3 ** x, sh((2, 3)), low=0, high=4, dtypes=(I64, F32, F64)),
    _m("square", lambda T, x: T.square(x), sh((4,)), dtypes=NUMERIC),
    # unary math
    _m("exp", lambda T, x: T.exp(x), sh((3, 4)), dtypes=NUMERIC),
    _m("log", lambda T, x: x.log(), sh((3, 4)), low=0.1, dtypes=NUMERIC),
    _m("log1p", lambda T, x: T.log1p(x), sh((3, 4)), low=-0.5),
    _m("sqrt", lambda T, x: T.sqrt(x), sh((3, 4)), low=0.1, dtypes=NUMERIC),
    _m("rsqrt", lambda T, x: T.rsqrt(x), sh((3, 4)), low=0.2),
    _m("abs", lambda T, x: T.abs(x), sh((3, 4)), dtypes=NUMERIC),
    _m("sign", lambda T, x: T.sign(x), sh((3, 4)), dtypes=NUMERIC, gradcheck=False),
    _m("sigmoid", lambda T, x: T.sigmoid(x), sh((3, 4)), low=-30, high=30),
    _m("tanh", lambda T, x: x.tanh(), sh((3, 4)), low=-4, high=4),
    _m("relu", lambda T, x: T.relu(x), sh((3, 4)), dtypes=NUMERIC),
    _m("clamp", lambda T, x: T.clamp(x, -0.5, 0.7), sh((3, 4)), dtypes=NUMERIC),
    _m("clamp_min", lambda T, x: x.clamp(min=0.1), sh((3, 4))),
    _m("clamp_max", lambda T, x: x.clamp(max=0.1), sh((3, 4))),
    _m("clamp_int_float", lambda T, x: x.clamp(0.5, 2.5), sh((3, 4)), low=-3, high=4, dtypes=(I64,)),
    _m("clamp_tensor", lambda T, x, lo, hi: T.clamp(x, lo, hi), sh((3, 4), (4,), (3, 1))),
    _m("clamp_tensor_min", lambda T, x, lo: T.clamp(x, min=lo), sh((3, 4), (4,))),
    _m("maximum", lambda T, x, y: T.maximum(x, y), sh((3, 4), (4,)), dtypes=NUMERIC),
    _m("minimum", lambda T, x, y: T.minimum(x, y), sh((3, 1), (1, 4)), dtypes=NUMERIC),
    _m("maximum_ties", lambda T, x: T.maximum(x, x.detach()), sh((3, 4)), gradcheck=False),
    _m("where", lambda T, c, x, y: T.where(c, x, y), sh(Mask((3, 4)), (3, 4), (4,)), dtypes=NUMERIC),
    _m("where_scalar", lambda T, c, x: T.where(c, x, 0.0), sh(Mask((3, 4)), (3, 4))),
    # comparison (no gradient)
    _m("eq", lambda T, x, y: x == y, sh((3, 4), (4,)), low=-2, high=2, dtypes=ALL, grad=False),
    _m("ne", lambda T, x, y: x != y, sh((3, 4), (4,)), low=-2, high=2, dtypes=ALL, grad=False),
    _m("lt", lambda T, x, y: x < y, sh((3, 4), (3, 1)), dtypes=NUMERIC, grad=False),
    _m("le_scalar", lambda T, x: x <= 0.5, sh((3, 4)), dtypes=NUMERIC, grad=False),
    _m("gt", lambda T, x, y: T.gt(x, y), sh((3, 4), (4,)), dtypes=NUMERIC, grad=False),
    _m("ge_rscalar", lambda T, x: 0 >= x, sh((3, 4)), dtypes=NUMERIC, grad=False),
    # matmul
    _m("matmul_2d", lambda T, x, y: x @ y, sh((3, 4), (4, 5)), dtypes=NUMERIC),
    _m("matmul_1d_1d", lambda T, x, y: T.matmul(x, y), sh((4,), (4,)), dtypes=NUMERIC),
    _m("matmul_1d_2d", lambda T, x, y: x @ y, sh((4,), (4, 3))),
    _m("matmul_2d_1d", lambda T, x, y: x @ y, sh((3, 4), (4,))),
    _m("matmul_batched", lambda T, x, y: x @ y, sh((2, 3, 4), (2, 4, 2))),
    _m("matmul_batch_bcast", lambda T, x, y: x @ y, sh((2, 1, 3, 4), (3, 4, 2))),
    _m("matmul_batch_2d", lambda T, x, y: x @ y, sh((2, 3, 4), (4, 2))),
    _m("matmul_1d_batched", lambda T, x, y: x @ y, sh((4,), (2, 4, 3))),
    _m("matmul_batched_1d", lambda T, x, y: x @ y, sh((2, 3, 4), (4,))),
    _m("mm", lambda T, x, y: T.mm(x, y), sh((3, 4), (4, 2))),
    _m("bmm", lambda T, x, y: T.bmm(x, y), sh((2, 3, 4), (2, 4, 2))),
    _m("linear", lambda T, x, w, b: T.nn.functional.linear(x, w, b), sh((5, 4), (3, 4), (3,))),
    _m("linear_3d", lambda T, x, w: T.nn.functional.linear(x, w), sh((2, 5, 4), (3, 4))),
    # nn
    _m("softmax", lambda T, x: T.softmax(x, dim=-1), sh((3, 5)), low=-10, high=10),
    _m("softmax_dim0", lambda T, x: x.softmax(0), sh((3, 4, 2))),
    _m("log_softmax", lambda T, x: T.log_softmax(x, dim=1), sh((3, 5)), low=-10, high=10),
    _m("log_softmax_extreme", lambda T, x: T.log_softmax(x * 1000, dim=1), sh((3, 5)), gradcheck=False),
    _m("logsumexp", lambda T, x: T.logsumexp(x, dim=1), sh((3, 5))),
    _m("logsumexp_keep", lambda T, x: x.logsumexp((0, 2), keepdim=True), sh((2, 3, 4))),
    # reductions
    _m("sum", lambda T, x: x.sum(), sh((3, 4)), dtypes=ALL),
    _m("sum_dim", lambda T, x: T.sum(x, dim=1), sh((3, 4, 2)), dtypes=ALL),
    _m("sum_dims_keep", lambda T, x: x.sum((0, -1), keepdim=True), sh((3, 4, 2)), dtypes=NUMERIC),
    _m("mean", lambda T, x: x.mean(), sh((3, 4))),
    _m("mean_dim", lambda T, x: T.mean(x, -1, keepdim=True), sh((3, 4))),
    _m("mean_dims", lambda T, x: x.mean(dim=(0, 2)), sh((3, 4, 2))),
    _m("var", lambda T, x: x.var(), sh((3, 4))),
    _m("var_dim", lambda T, x: T.var(x, dim=0, keepdim=True), sh((3, 4))),
    _m("var_biased", lambda T, x: x.var(1, unbiased=False), sh((3, 4))),
    _m("var_correction", lambda T, x: T.var(x, dim=(0, 1), correction=0), sh((3, 4, 2))),
    _m("std", lambda T, x: x.std(), sh((3, 4))),
    _m("std_dim", lambda T, x: T.std(x, dim=1, keepdim=True), sh((3, 4))),
    _m("max_all", lambda T, x: x.max(), sh((3, 4)), dtypes=NUMERIC),
    _m("max_dim", lambda T, x: T.max(x, dim=1), sh((3, 4)), dtypes=NUMERIC),
    _m("max_dim_keep", lambda T, x: x.max(0, keepdim=True), sh((3, 4)), dtypes=NUMERIC),
    _m("min_all", lambda T, x: T.min(x), sh((3, 4)), dtypes=NUMERIC),
    _m("min_dim", lambda T, x: x.min(dim=-1), sh((2, 3, 4)), dtypes=NUMERIC),
    _m("max_binary", lambda T, x, y: T.max(x, y), sh((3, 4), (4,))),
    _m("amax", lambda T, x: T.amax(x, dim=(0, 1)), sh((3, 4, 2))),
    _m("argmax", lambda T, x: x.argmax(), sh((3, 4)), dtypes=NUMERIC, grad=False),
    _m("argmax_dim", lambda T, x: T.argmax(x, dim=1, keepdim=True), sh((3, 4)), dtypes=NUMERIC, grad=False),
    _m("argmin_dim", lambda T, x: x.argmin(dim=0), sh((3, 4)), dtypes=NUMERIC, grad=False),
    _m("prod", lambda T, x: x.prod(), sh((2, 3)), low=0.5, dtypes=NUMERIC),
    _m("prod_dim", lambda T, x: T.prod(x, 1, keepdim=True), sh((2, 3))),
    _m("prod_with_zero", lambda T, x: (x * T.tensor([1.0, 0.0, 1.0], dtype=x.dtype)).prod(1), sh((2, 3))),
    _m("norm", lambda T, x: x.norm(), sh((3, 4))),
    _m("norm_dim", lambda T, x: T.norm(x, dim=1, keepdim=True), sh((3, 4))),
    _m("norm_p1", lambda T, x: x.norm(p=1, dim=0), sh((3, 4))),
    _m("norm_p3", lambda T, x: T.norm(x, p=3), sh((3, 4))),
    _m("norm_inf", lambda T, x: x.norm(p=float("inf"), dim=1), sh((3, 4))),
    _m("cumsum", lambda T, x: x.cumsum(1), sh((3, 4)), dtypes=NUMERIC),
    # shape
    _m("reshape", lambda T, x: x.reshape(4, -1), sh((2, 3, 2)), dtypes=ALL),
    _m("view", lambda T, x: x.view(6, 2), sh((2, 3, 2)), dtypes=ALL),
    _m("flatten", lambda T, x: T.flatten(x, 1), sh((2, 3, 2)), dtypes=ALL),
    _m("flatten_mid", lambda T, x: x.flatten(1, 2), sh((2, 3, 2, 2))),
    _m("squeeze", lambda T, x: x.squeeze(), sh((2, 1, 3, 1)), dtypes=ALL),
    _m("squeeze_dim", lambda T, x: T.squeeze(x, 1), sh((2, 1, 3, 1))),
    _m("unsqueeze", lambda T, x: x.unsqueeze(-1), sh((2, 3)), dtypes=ALL),
    _m("permute", lambda T, x: x.permute(2, 0, 1), sh((2, 3, 4)), dtypes=ALL),
    _m("transpose", lambda T, x: T.transpose(x, 0, 2), sh((2, 3, 4)), dtypes=ALL),
    _m("T", lambda T, x: x.T, sh((2, 3))),
    _m("t", lambda T, x: x.t(), sh((2, 3))),
    _m("expand", lambda T, x: x.expand(2, 3, 4), sh((3, 1)), dtypes=ALL),
    _m("expand_minus1", lambda T, x: x.expand(-1, 4), sh((3, 1))),
    _m("cat", lambda T, x, y: T.cat([x, y], dim=1), sh((2, 3), (2, 2)), dtypes=ALL),
    _m("cat_mixed_dtype", lambda T, x: T.cat([x, T.ones(1, 3, dtype=T.int64)]), sh((2, 3))),
    _m("stack", lambda T, x, y: T.stack([x, y], dim=1), sh((2, 3), (2, 3)), dtypes=ALL),
    _m("split", lambda T, x: x.split(2, dim=1), sh((2, 5)), dtypes=ALL),
    _m("split_sizes", lambda T, x: T.split(x, [1, 3, 1], dim=1), sh((2, 5))),
    _m("chunk", lambda T, x: x.chunk(3, dim=0), sh((5, 2)), dtypes=ALL),
    _m("flip", lambda T, x: T.flip(x, (0, 1)), sh((2, 3))),
    _m("repeat", lambda T, x: x.repeat(2, 1, 3), sh((2, 3))),
    # indexing
    _m("index_int", lambda T, x: x[1], sh((3, 4)), dtypes=ALL),
    _m("index_slice", lambda T, x: x[1:, ::2], sh((3, 5)), dtypes=ALL),
    _m("index_neg_ellipsis", lambda T, x: x[..., -1], sh((2, 3, 4))),
    _m("index_none", lambda T, x: x[None, :, 1], sh((3, 4))),
    _m("index_adv", lambda T, x, i: x[i], sh((4, 3), Idx((5,), 4)), dtypes=ALL),
    _m("index_adv_pair", lambda T, x, i, j: x[i, j], sh((4, 3), Idx((5,), 4), Idx((5,), 3))),
    _m("index_adv_slice", lambda T, x, i: x[:, i], sh((4, 3), Idx((2, 2), 3))),
    _m("index_list", lambda T, x: x[[0, 2, 2]], sh((4, 3))),
    _m("index_bool", lambda T, x, m: x[m], sh((4, 3), Mask((4, 3))), dtypes=ALL),
    _m("index_bool_rows", lambda T, x, m: x[m], sh((4, 3), Mask((4,)))),
    _m("gather", lambda T, x, i: T.gather(x, 1, i), sh((3, 4), Idx((3, 5), 4)), dtypes=ALL),
    _m("gather_dim0", lambda T, x, i: x.gather(0, i), sh((3, 4), Idx((2, 4), 3))),
    _m("scatter", lambda T, x, i, s: x.scatter(1, i, s), sh((3, 4), Idx((3, 2), 4, unique=True), (3, 2))),
    _m("scatter_add", lambda T, x, i, s: T.scatter_add(x, 0, i, s), sh((3, 4), Idx((4, 4), 3), (4, 4))),
    _m("scatter_value", lambda T, x, i: x.scatter(1, i, 0.5), sh((3, 4), Idx((3, 2), 4, unique=True))),
    _m("index_select", lambda T, x, i: T.index_select(x, 1, i), sh((3, 4), Idx((5,), 4)), dtypes=ALL),
    _m("masked_fill", lambda T, x, m: x.masked_fill(m, -1.5), sh((3, 4), Mask((4,)))),
    _m("masked_fill_int", lambda T, x, m: T.masked_fill(x, m, 7), sh((3, 4), Mask((3, 4))), dtypes=(I64, I32)),
    _m("one_hot", lambda T, i: T.nn.functional.one_hot(i, 5), sh(Idx((3, 4), 5)), grad=False),
    _m("one_hot_infer", lambda T, i: T.nn.functional.one_hot(i), sh(Idx((6,), 4)), grad=False),
    # further ops with torch's names
    _m("log2", lambda T, x: T.log2(x), sh((3, 4)), low=0.1),
    _m("log10", lambda T, x: x.log10(), sh((3, 4)), low=0.1),
    _m("expm1", lambda T, x: T.expm1(x), sh((3, 4))),
    _m("reciprocal", lambda T, x: x.reciprocal(), sh((3, 4)), low=0.5),
    _m("sin_cos", lambda T, x: T.sin(x) * x.cos(), sh((3, 4))),
    _m("floor_ceil", lambda T, x: T.floor(x) + x.ceil() + x.trunc(), sh((3, 4)), gradcheck=False),
    _m("unbind", lambda T, x: T.unbind(x, 1), sh((2, 3))),
    _m("masked_select", lambda T, x, m: T.masked_select(x, m), sh((3, 4), Mask((4,)))),
    _m("take_along_dim", lambda T, x, i: T.take_along_dim(x, i, 1), sh((3, 4), Idx((3, 2), 4))),
    _m("einsum", lambda T, x, y: T.einsum("bij,jk->bik", x, y), sh((2, 3, 4), (4, 2))),
    _m("einsum_trace_like", lambda T, x: T.einsum("ii->i", x), sh((3, 3))),
    _m("outer", lambda T, x, y: T.outer(x, y), sh((3,), (4,))),
    _m("dot", lambda T, x, y: T.dot(x, y), sh((4,), (4,))),
    _m("hstack_vstack", lambda T, x, y: T.hstack([x, y]).reshape(2, 3) + T.vstack([x, y]), sh((3,), (3,))),
    _m("einsum_implicit", lambda T, x, y: T.einsum("ij,jk", x, y), sh((2, 3), (3, 4))),
    _m("einsum_ellipsis", lambda T, x, y: T.einsum("...ij,...jk->...ik", x, y), sh((2, 1, 2, 3), (4, 3, 2))),
    _m("einsum_bcast_label", lambda T, x, y: T.einsum("ij,ij->i", x, y), sh((1, 3), (2, 3))),
    _m("einsum_diag_sum", lambda T, x, y: T.einsum("iij,j->", x, y), sh((3, 3, 2), (2,))),
    _m("var_mean", lambda T, x: T.var_mean(x, 1), sh((3, 4))),
    _m("std_mean", lambda T, x: T.std_mean(x, dim=0, keepdim=True), sh((3, 4))),
    _m("amin", lambda T, x: x.amin(-1), sh((3, 4))),
    _m("all_any", lambda T, x: (T.all(x > 0, dim=1), x.any(), (x > 0).any(0)), sh((3, 4)), dtypes=ALL, grad=False),
    _m("count_nonzero", lambda T, x: T.count_nonzero(x, dim=0), sh((3, 4)), low=-1, high=1, dtypes=NUMERIC, grad=False),
    _m("remainder", lambda T, x, y: T.remainder(x, y), sh((3, 4), (4,)), low=1, high=5, dtypes=NUMERIC, grad=False),
    _m("floor_divide", lambda T, x, y: x // y, sh((3, 4), (4,)), low=1, high=5, dtypes=NUMERIC, grad=False),
    _m("logical", lambda T, x, y: (T.logical_and(x, y), T.logical_or(x, y), T.logical_xor(x, y), T.logical_not(x)),
       sh((3, 4), (4,)), low=-1, high=1, dtypes=ALL, grad=False),
    _m("isnan_isinf", lambda T, x: (T.isnan(x / x), T.isinf(1 / x), T.isfinite(x)), sh((3, 4)), low=-1, high=1,
       dtypes=NUMERIC, grad=False),
    _m("tril_triu", lambda T, x: T.tril(x) + T.triu(x, 1) * 2, sh((4, 4))),
    _m("bitwise", lambda T, x, y: (x & y, x | y, x ^ y, ~x), sh((3, 4), (4,)), low=0, high=7, dtypes=(I64, I32, BOOL),
       grad=False),
    _m("clone_detach", lambda T, x: x.clone() * x.detach(), sh((3, 4)), gradcheck=False),  # detach defeats FD
    _m("lerp_addcmul", lambda T, x, y: x.lerp(y, 0.3) + x.addcmul(y, y, value=0.5) + x.addcdiv(y, y.abs() + 1),
       sh((3, 4), (4,))),
    # ties: values rounded (straight-through, gradient 1), so max/min/amax see equal elements
    _m("ties_max_all", lambda T, x: _tied(x).max(), sh((3, 4)), low=-1, high=1, gradcheck=False),
    _m("ties_max_dim", lambda T, x: _tied(x).max(1), sh((3, 4)), low=-1, high=1, gradcheck=False),
    _m("ties_amin", lambda T, x: T.amin(_tied(x), 0), sh((3, 4)), low=-1, high=1, gradcheck=False),
    _m("ties_argmax", lambda T, x: _tied(x).argmax(1), sh((3, 4)), low=-1, high=1, grad=False),
    _m("ties_clamp", lambda T, x: _tied(x).clamp(0, 1), sh((3, 4)), low=-1, high=2, gradcheck=False),
    # 0-d, empty and negative-dim edge cases
    _m("zero_dim_ops", lambda T, x: (x * 2).exp() + x.sum() - x.mean(), sh(())),
    _m("zero_dim_reshape", lambda T, x: x.reshape(1, 1).expand(2, 3).sum(0), sh(())),
    _m("empty_sum", lambda T, x: x.sum(0), sh((0, 3)), dtypes=ALL),
    _m("empty_mean_all", lambda T, x: x.mean(), sh((0, 3)), gradcheck=False),
    _m("empty_cat", lambda T, x, y: T.cat([x, y]), sh((0, 3), (2, 3))),
    _m("empty_matmul", lambda T, x, y: x @ y, sh((2, 0), (0, 3))),
    _m("neg_dims", lambda T, x: x.sum(-1).softmax(-1).unsqueeze(-2).transpose(-1, -2), sh((2, 3, 4))),
    _m("slice_neg_step_select", lambda T, x: x[-2:, 1:-1][:, 0], sh((4, 5))),
    # composite expressions (graph with shared nodes)
    _m("shared_node", lambda T, x: (x * x + x.exp()).sum(-1) * x.mean(), sh((3, 4))),
    _m("dtype_cast", lambda T, x: x.double() * 2 + x.float(), sh((3,)), gradcheck=False),  # float32 inside
]

_IDS = [c.id for c in CASES]
assert len(set(_IDS)) == len(_IDS), "duplicate case ids"


# ---- making inputs ---------------------------------------------------------------------------
def _make_inputs(case: Case, dtype, rng):
    """NumPy arrays for a case (float/int/bool inputs of ``dtype``; fixed indices and masks)."""
    arrays, diff = [], []
    for spec in case.shapes:
        if isinstance(spec, Idx):
            if spec.unique:
                rows = [rng.permutation(spec.high)[: spec.shape[-1]] for _ in range(int(np.prod(spec.shape[:-1])))]
                a = np.array(rows, dtype=np.int64).reshape(spec.shape)
            else:
                a = rng.integers(spec.low, spec.high, size=spec.shape).astype(np.int64)
            arrays.append(a)
            diff.append(False)
        elif isinstance(spec, Mask):
            arrays.append(rng.random(spec.shape) < 0.5)
            diff.append(False)
        elif isinstance(spec, Const):
            arrays.append(np.asarray(spec.value))
            diff.append(False)
        else:
            if dtype == BOOL:
                a = rng.random(spec) < 0.5
            elif np.dtype(dtype).kind == "i":
                a = rng.integers(math.floor(case.low), math.ceil(case.high) + 1, size=spec).astype(dtype)
                if case.low > 0:
                    a = np.maximum(a, math.ceil(case.low)).astype(dtype)
            else:
                a = rng.uniform(case.low, case.high, size=spec).astype(dtype)
            arrays.append(np.asarray(a))
            diff.append(np.dtype(dtype).kind == "f" and case.grad)
    return arrays, diff


def _flat(out):
    if isinstance(out, (tuple, list)):
        return list(out)
    return [out]


def _torch_fn(case):
    return case.tfn if case.tfn is not None else case.fn


_PARITY = [pytest.param(c, d, id=f"{c.id}-{np.dtype(d).name}") for c in CASES for d in c.dtypes]


@pytest.mark.parametrize("case, dtype", _PARITY)
def test_op_matches_torch(case, dtype):
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))  # the same inputs in every process
    arrays, diff = _make_inputs(case, dtype, rng)
    e_in = [ember.tensor(a.copy(), requires_grad=d) for a, d in zip(arrays, diff)]
    t_in = [torch.tensor(a.copy(), requires_grad=d) for a, d in zip(arrays, diff)]

    e_out = _flat(case.fn(ember, *e_in))
    t_out = _flat(_torch_fn(case)(torch, *t_in))
    assert len(e_out) == len(t_out)
    for k, (eo, to) in enumerate(zip(e_out, t_out)):
        assert isinstance(eo, ember.Tensor), f"output {k} is {type(eo).__name__}"
        assert_close(eo, to, rtol=case.rtol, atol=case.atol, msg=f"{case.name} output {k}")

    if not any(diff):
        return
    # backward: a random upstream gradient through every differentiable float output
    pairs = [(eo, to) for eo, to in zip(e_out, t_out) if to.requires_grad]
    assert pairs, "torch output requires grad but ember's did not"
    for eo, _ in pairs:
        assert eo.requires_grad and eo.grad_fn is not None
    seeds = [rng.standard_normal(to.shape).astype(to_numpy(to).dtype) for _, to in pairs]
    ember.autograd.backward([eo for eo, _ in pairs], [ember.tensor(s) for s in seeds])
    torch.autograd.backward([to for _, to in pairs], [torch.tensor(s) for s in seeds])
    for k, (ei, ti, d) in enumerate(zip(e_in, t_in, diff)):
        if not d:
            continue
        if ti.grad is None:
            assert ei.grad is None or not np.any(ei.grad.numpy()), f"{case.name}: unexpected grad for input {k}"
            continue
        assert ei.grad is not None, f"{case.name}: no gradient for input {k}"
        assert_close(ei.grad, ti.grad, rtol=case.rtol, atol=case.atol, msg=f"{case.name} grad of input {k}")


GRADCHECK_CASES = [c for c in CASES if c.grad and c.gradcheck and any(d in c.dtypes for d in FLOATS)]


@pytest.mark.parametrize("case", GRADCHECK_CASES, ids=[c.id for c in GRADCHECK_CASES])
def test_op_gradcheck(case):
    rng = np.random.default_rng(zlib.crc32((case.id + "gc").encode()))
    arrays, diff = _make_inputs(case, F64, rng)
    inputs = [ember.tensor(a, requires_grad=d) for a, d in zip(arrays, diff)]

    def fn(*xs):
        outs = [o for o in _flat(case.fn(ember, *xs)) if o.dtype == ember.float64]
        return tuple(outs)

    assert ember.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


def test_gradcheck_on_a_non_contiguous_input():
    x = ember.randn(4, 3, dtype=ember.float64).T.requires_grad_()  # a transposed (strided) leaf
    assert not x.is_contiguous()
    assert ember.autograd.gradcheck(lambda t: (t.exp() * t).sum(0), (x,))


def test_gradcheck_detects_a_wrong_gradient():
    class Wrong(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    with pytest.raises(ember.autograd.GradcheckError):
        ember.autograd.gradcheck(Wrong.apply, (x,))
    assert ember.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False) is False


# ---- type promotion ---------------------------------------------------------------------------
_PROMO_OPERANDS = {
    "f32": lambda T: T.tensor([1.5, -2.0], dtype=T.float32),
    "f64": lambda T: T.tensor([1.5, -2.0], dtype=T.float64),
    "i64": lambda T: T.tensor([3, -2], dtype=T.int64),
    "i32": lambda T: T.tensor([3, -2], dtype=T.int32),
    "bool": lambda T: T.tensor([True, False]),
    "f64_0d": lambda T: T.tensor(2.5, dtype=T.float64),
    "f32_0d": lambda T: T.tensor(2.5, dtype=T.float32),
    "i64_0d": lambda T: T.tensor(3, dtype=T.int64),
    "i32_0d": lambda T: T.tensor(3, dtype=T.int32),
    "bool_0d": lambda T: T.tensor(True),
    "py_float": lambda T: 2.5,
    "py_int": lambda T: 3,
    "py_bool": lambda T: True,
}
_PROMO_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "truediv": lambda a, b: a / b,
    "lt": lambda a, b: a < b,
    "eq": lambda a, b: a == b,
}
_TENSORS = [k for k in _PROMO_OPERANDS if not k.startswith("py")]


@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv", "lt", "eq"])
@pytest.mark.parametrize("lhs", _TENSORS)
def test_type_promotion_matches_torch(lhs, op):
    for rhs in _PROMO_OPERANDS:
        _check_promotion(lhs, rhs, op)


def _check_promotion(lhs, rhs, op):
    f = _PROMO_OPS[op]
    try:
        expected = f(_PROMO_OPERANDS[lhs](torch), _PROMO_OPERANDS[rhs](torch))
    except Exception as err:  # torch refuses (e.g. bool - bool): ember must refuse with the same type
        with pytest.raises(type(err)):
            f(_PROMO_OPERANDS[lhs](ember), _PROMO_OPERANDS[rhs](ember))
        return
    got = f(_PROMO_OPERANDS[lhs](ember), _PROMO_OPERANDS[rhs](ember))
    assert_close(got, expected, msg=f"{lhs} {op} {rhs}")
    if not rhs.startswith("py"):  # the reflected order gives the same dtype
        assert_close(f(_PROMO_OPERANDS[rhs](ember), _PROMO_OPERANDS[lhs](ember)),
                     f(_PROMO_OPERANDS[rhs](torch), _PROMO_OPERANDS[lhs](torch)), msg=f"{rhs} {op} {lhs}")


@pytest.mark.parametrize("lhs", ["py_float", "py_int", "py_bool"])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv"])
def test_reflected_scalar_promotion_matches_torch(lhs, op):
    for rhs in _TENSORS:
        _check_reflected(lhs, rhs, op)


def _check_reflected(lhs, rhs, op):
    f = _PROMO_OPS[op]
    try:
        expected = f(_PROMO_OPERANDS[lhs](torch), _PROMO_OPERANDS[rhs](torch))
    except Exception as err:
        with pytest.raises(type(err)):
            f(_PROMO_OPERANDS[lhs](ember), _PROMO_OPERANDS[rhs](ember))
        return
    assert_close(f(_PROMO_OPERANDS[lhs](ember), _PROMO_OPERANDS[rhs](ember)), expected, msg=f"{lhs} {op} {rhs}")


def test_named_promotion_rules():
    """The rules users meet most, spelled out."""
    f32 = ember.ones(2)
    assert (f32 + 0.1).dtype == ember.float32  # a Python float does not upcast float32
    assert (ember.ones(2, dtype=ember.int64) + 0.5).dtype == ember.float32  # int tensor + float scalar
    assert (ember.tensor([1, 2]) / ember.tensor([2, 2])).dtype == ember.float32  # int / int is true division
    assert (ember.ones(2, dtype=ember.int32) + ember.tensor(3)).dtype == ember.int32  # 0-dim does not upcast
    assert (ember.ones(2, dtype=ember.int32) + ember.tensor(3.0, dtype=ember.float64)).dtype == ember.float64
    assert (f32 + ember.ones(2, dtype=ember.float64)).dtype == ember.float64
    assert ember.promote_types(ember.int32, ember.float32) == ember.float32
