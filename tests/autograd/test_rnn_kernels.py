"""The recurrent layers' float32 ``tanh`` kernel (autograd/ops/_rnn_kernels.py) against a float64 reference and torch.

The layers themselves are compared with torch in tests/nn/test_rnn.py, on both kernel paths.
"""
import numpy as np
import pytest
import torch

from ember.autograd.ops import _rnn_kernels as K


def _inputs():
    rng = np.random.default_rng(0)
    grid = np.linspace(-12, 12, 1_000_001, dtype=np.float32)
    tiny = np.logspace(-38, 1.2, 100_000).astype(np.float32)
    special = np.float32([0, -0.0, 0.625, np.nextafter(np.float32(0.625), np.float32(0)), 9, 9.01, 10, 1e30, -1e30,
                          np.inf, -np.inf])
    return np.concatenate([grid, tiny, -tiny, special, rng.standard_normal(10_000, dtype=np.float32) * 4])


def test_tanh_within_ulp_of_float64(kernel_path):
    x = _inputs().reshape(-1, 4)
    out = K.tanh(x, np.empty_like(x))
    ref = np.tanh(x.astype(np.float64))
    ulp = np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)
    assert out.dtype == np.float32
    assert (np.abs(out - ref) / ulp).max() <= 1.4  # NumPy's own float32 tanh: 1.37
    np.testing.assert_allclose(out, torch.tanh(torch.from_numpy(x)).numpy(), rtol=3e-7, atol=0)
    assert np.array_equal(np.signbit(out), np.signbit(x))  # tanh(-0) = -0


def test_tanh_nan_in_place_and_strided(kernel_path):
    x = np.float32([[np.nan, 0.5, -3.0, 20.0]])
    expect = np.tanh(x)
    out = K.tanh(x, x)  # in place
    assert out is x
    np.testing.assert_allclose(out, expect, rtol=3e-7)  # NaN stays NaN
    wide = np.random.default_rng(1).standard_normal((4, 12), dtype=np.float32)
    block = wide[:, 4:8]  # rows with a stride: NumPy's tanh
    np.testing.assert_allclose(K.tanh(block, np.empty_like(block)), np.tanh(block), rtol=3e-7)


@pytest.mark.parametrize("dtype", [np.float64])
def test_tanh_float64_is_numpys(kernel_path, dtype):
    x = np.random.default_rng(2).standard_normal((3, 5)).astype(dtype)
    assert np.array_equal(K.tanh(x, np.empty_like(x)), np.tanh(x))
