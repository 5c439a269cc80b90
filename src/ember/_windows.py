"""Window functions (torch.hann_window, ...): w[n] for n = 0 … L − 1 over a period N = L (periodic, the default,
for spectral analysis) or N = L − 1 (symmetric)."""
from __future__ import annotations

import numpy as np

from . import _dtype
from .tensor import _wrap


def _window(name, window_length, periodic, dtype, requires_grad, formula):
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    dt = _dtype.np_dtype(dtype) or _dtype.get_default_dtype().np
    if dt.kind != "f":
        from .autograd.ops._util import _C_NAMES

        raise RuntimeError(f"{name} expects floating point dtypes, got: TensorOptions(dtype={_C_NAMES[dt.name]}, "
                           f"device=cpu, layout=Strided (default), requires_grad={str(requires_grad).lower()}"
                           f"{' (default)' if not requires_grad else ''}, pinned_memory=false, "
                           "memory_format=(nullopt))")
    if window_length <= 1:
        w = np.ones(window_length)
    else:
        N = window_length if periodic else window_length - 1
        w = formula(np.arange(window_length, dtype=np.float64), N)
    t = _wrap(w.astype(dt))
    t.requires_grad = requires_grad
    return t


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """w[n] = ½ − ½·cos(2πn/N)."""
    return _window("hann_window", window_length, periodic, dtype, requires_grad,
                   lambda n, N: 0.5 - 0.5 * np.cos(2 * np.pi * n / N))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, layout=None, device=None,
                   requires_grad=False):
    """w[n] = α − β·cos(2πn/N)."""
    return _window("hamming_window", window_length, periodic, dtype, requires_grad,
                   lambda n, N: alpha - beta * np.cos(2 * np.pi * n / N))


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """w[n] = 1 − |2n/N − 1|."""
    return _window("bartlett_window", window_length, periodic, dtype, requires_grad,
                   lambda n, N: 1 - np.abs(2 * n / N - 1))


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """w[n] = 0.42 − 0.5·cos(2πn/N) + 0.08·cos(4πn/N)."""
    return _window("blackman_window", window_length, periodic, dtype, requires_grad,
                   lambda n, N: 0.42 - 0.5 * np.cos(2 * np.pi * n / N) + 0.08 * np.cos(4 * np.pi * n / N))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None, device=None,
                  requires_grad=False):
    """w[n] = I₀(β·√(1 − (2n/N − 1)²)) / I₀(β)."""
    return _window("kaiser_window", window_length, periodic, dtype, requires_grad,
                   lambda n, N: np.i0(beta * np.sqrt(np.clip(1 - (2 * n / N - 1) ** 2, 0, None))) / np.i0(beta))
