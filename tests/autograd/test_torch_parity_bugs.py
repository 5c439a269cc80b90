"""Bugs found by the differential fuzzer (tests/fuzz) and issue #17, each pinned against torch."""
import numpy as np
import pytest

from _oracle import assert_close, torch

import ember


@pytest.mark.parametrize("expr", [lambda t: 0 + t, lambda t: t * 1, lambda t: 0.5 + t, lambda t: t.exp(), lambda t: -t])
def test_an_op_on_a_0d_tensor_keeps_a_0d_array(expr):
    out = expr(ember.tensor(2.0))
    assert isinstance(out._data, np.ndarray) and out.shape == ()


def test_accumulating_a_count_into_a_python_int():
    pred, y = ember.tensor([1, 0, 2]), ember.tensor([1, 1, 2])
    tp, ty = torch.tensor([1, 0, 2]), torch.tensor([1, 1, 2])
    correct, expected = 0, 0
    for _ in range(3):
        correct += (pred == y).sum()
        expected += (tp == ty).sum()
    assert_close(correct, expected)
