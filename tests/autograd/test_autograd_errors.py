"""Bad input gets torch's exception type and a message naming the problem (the same text as torch's
where ember's check is the same check)."""
from __future__ import annotations

import pytest

from _oracle import torch

import ember
import ember.nn.functional  # noqa: F401

SAME_MESSAGE = [
    ("broadcast_add", lambda T: T.ones(3) + T.ones(4)),
    ("broadcast_mul_2d", lambda T: T.ones(2, 3) * T.ones(3, 2)),
    ("broadcast_sub", lambda T: T.ones(2, 3) - T.ones(2, 2)),
    ("broadcast_div", lambda T: T.ones(3) / T.ones(2)),
    ("broadcast_eq", lambda T: T.ones(3) == T.ones(2)),
    ("broadcast_pow", lambda T: T.ones(3).pow(T.ones(2))),
    ("broadcast_maximum", lambda T: T.ones(3).maximum(T.ones(2))),
    ("broadcast_where", lambda T: T.where(T.ones(3) > 0, T.ones(3), T.ones(4))),
    ("broadcast_radd_inner", lambda T: T.ones(4, 3) + T.ones(2, 1, 2)),
    ("matmul_2d", lambda T: T.ones(2, 3) @ T.ones(2, 3)),
    ("matmul_1d", lambda T: T.ones(3) @ T.ones(4)),
    ("matmul_mat_vec", lambda T: T.ones(2, 3) @ T.ones(4)),
    ("matmul_vec_mat", lambda T: T.ones(4) @ T.ones(3, 2)),
    ("matmul_batch", lambda T: T.ones(2, 2, 3) @ T.ones(3, 3, 4)),
    ("matmul_batched_2d", lambda T: T.ones(5, 2, 3) @ T.ones(2, 4)),
    ("matmul_0d", lambda T: T.matmul(T.ones(3), T.tensor(2.0))),
    ("linear", lambda T: T.nn.functional.linear(T.ones(2, 3), T.ones(4, 5))),
    ("view", lambda T: T.ones(3, 2).view(4)),
    ("expand", lambda T: T.ones(3).expand(2, 4)),
    ("cat", lambda T: T.cat([T.ones(2, 3), T.ones(2, 4)])),
    ("stack", lambda T: T.stack([T.ones(2), T.ones(3)])),
    ("dim_out_of_range", lambda T: T.ones(2, 3).sum(2)),
    ("index_out_of_range", lambda T: T.ones(2, 3)[2]),
    ("gather_index", lambda T: T.ones(3).gather(0, T.tensor([5]))),
    ("item_of_many", lambda T: T.ones(3).item()),
    ("non_scalar_backward", lambda T: (T.ones(2, requires_grad=True) * 2).backward()),
    ("leaf_in_place", lambda T: T.ones(2, requires_grad=True).mul_(2)),
    ("bool_subtract", lambda T: T.ones(2) > 0 - (T.ones(2) > 1)),
    ("in_place_broadcast", lambda T: T.ones(2).add_(T.ones(3, 2))),
    ("in_place_int_float", lambda T: T.ones(2, dtype=T.int64).add_(0.5)),
    ("mean_of_int", lambda T: T.ones(2, dtype=T.int64).mean()),
    ("int_negative_power", lambda T: T.tensor([3, 4]) ** -1),
    ("int_requires_grad", lambda T: T.ones(2, dtype=T.int64, requires_grad=True)),
]


@pytest.mark.parametrize("name, fn", SAME_MESSAGE, ids=[n for n, _ in SAME_MESSAGE])
def test_error_type_and_message_match_torch(name, fn):
    with pytest.raises(Exception) as tinfo:
        fn(torch)
    with pytest.raises(type(tinfo.value)) as einfo:
        fn(ember)
    assert str(einfo.value) == str(tinfo.value).replace("torch.", "ember."), name


def test_second_backward_through_freed_graph_message_names_retain_graph():
    x = ember.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
