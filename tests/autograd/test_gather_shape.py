"""gather's output has the index's shape: an index smaller than the input in a non-gathered dimension takes the
leading slice (no broadcasting); a larger one raises torch's error."""
import numpy as np
import pytest

from _oracle import assert_close, torch

import ember


@pytest.mark.parametrize("x, dim, index", [
    ([[5, 6]], 0, [[0]]),
    ([[5, 6], [7, 8]], 1, [[1]]),
    ([[5, 6], [7, 8]], 0, [[1], [0]]),
    ([[[1., 2., 3.], [4., 5., 6.]], [[7., 8., 9.], [1., 2., 3.]]], 2, [[[2, 0]], [[1, 1]]]),
])
def test_gather_index_smaller_than_input_matches_torch(x, dim, index):
    ex = ember.tensor(np.array(x, dtype=np.float64), requires_grad=True)
    tx = torch.tensor(np.array(x, dtype=np.float64), requires_grad=True)
    eo, to = ember.gather(ex, dim, ember.tensor(index)), torch.gather(tx, dim, torch.tensor(index))
    assert_close(eo, to)
    g = np.arange(1, to.numel() + 1, dtype=np.float64).reshape(to.shape)
    eo.backward(ember.tensor(g))
    to.backward(torch.tensor(g))
    assert_close(ex.grad, tx.grad)


def test_gather_index_larger_than_input_raises_torchs_error():
    with pytest.raises(RuntimeError) as t:
        torch.gather(torch.tensor([[5, 6]]), 0, torch.tensor([[0, 0, 0]]))
    with pytest.raises(RuntimeError) as e:
        ember.gather(ember.tensor([[5, 6]]), 0, ember.tensor([[0, 0, 0]]))
    assert str(e.value) == str(t.value)
