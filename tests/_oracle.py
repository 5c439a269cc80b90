"""The torch bridge for tests: move data between ember and torch and compare results.

    to_torch(x, requires_grad=None)   ember Tensor / ndarray / number  -> torch.Tensor (a copy, same dtype)
    from_torch(t, requires_grad=None) torch.Tensor -> ember Tensor (a copy, same dtype)
    to_numpy(x)                       ember / torch tensor, ndarray or number -> ndarray (detached)
    assert_close(actual, expected, rtol=None, atol=None, check_dtype=True, msg="")
        values (and dtypes, shapes) equal to float32 / float64 precision.

Tests skip when torch is not installed (``pytest.importorskip``), and fail instead when ``CI`` is set
(``conftest.py``). Keep this API stable:
other test files import it.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402

_TORCH_DTYPES = {
    np.dtype(np.float16): torch.float16,
    np.dtype(np.float32): torch.float32,
    np.dtype(np.float64): torch.float64,
    np.dtype(np.int8): torch.int8,
    np.dtype(np.uint8): torch.uint8,
    np.dtype(np.int16): torch.int16,
    np.dtype(np.int32): torch.int32,
    np.dtype(np.int64): torch.int64,
    np.dtype(np.bool_): torch.bool,
    np.dtype(np.complex64): torch.complex64,
    np.dtype(np.complex128): torch.complex128,
}

# default tolerances by dtype (rtol, atol): float32 precision unless both sides are float64
_TOL = {np.dtype(np.float16): (1e-3, 1e-3), np.dtype(np.float32): (1e-5, 1e-6), np.dtype(np.float64): (1e-7, 1e-10)}


def torch_dtype(dtype):
    """torch dtype for an ember dtype or a NumPy dtype."""
    if isinstance(dtype, ember.dtype):
        dtype = dtype.np
    return _TORCH_DTYPES[np.dtype(dtype)]


def ember_dtype(dtype):
    """ember dtype for a torch dtype."""
    for npd, td in _TORCH_DTYPES.items():
        if td == dtype:
            return ember._dtype.from_np(npd)
    raise TypeError(f"no ember dtype for {dtype}")


def to_numpy(x) -> np.ndarray:
    """A NumPy array holding ``x``'s values (ember/torch tensor, ndarray, number or nested list)."""
    if isinstance(x, ember.Tensor):
        return np.asarray(x.detach().numpy())
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().resolve_conj().resolve_neg().numpy()
    return np.asarray(x)


def to_torch(x, requires_grad=None) -> "torch.Tensor":
    """A torch tensor with ``x``'s values and dtype (a copy). ``requires_grad`` defaults to ``x``'s flag."""
    if requires_grad is None:
        requires_grad = bool(getattr(x, "requires_grad", False))
    t = torch.from_numpy(np.array(to_numpy(x), copy=True))
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_torch(t, requires_grad=None) -> ember.Tensor:
    """An ember tensor with ``t``'s values and dtype (a copy). ``requires_grad`` defaults to ``t``'s flag."""
    if requires_grad is None:
        requires_grad = bool(getattr(t, "requires_grad", False))
    return ember.tensor(np.array(to_numpy(t), copy=True), requires_grad=requires_grad)


def assert_close(actual, expected, rtol=None, atol=None, check_dtype=True, msg=""):
    """Assert ``actual`` (ember) equals ``expected`` (torch/NumPy/number): shape, dtype and values.

    Tolerances default to the precision of the wider of the two float dtypes involved
    (float32: rtol 1e-5, atol 1e-6; float64: rtol 1e-7, atol 1e-10); integers and bools
    must be equal. NaNs must sit in the same places.
    """
    a, e = to_numpy(actual), to_numpy(expected)
    where = f" ({msg})" if msg else ""
    if check_dtype and isinstance(actual, ember.Tensor) and isinstance(expected, torch.Tensor):
        assert torch_dtype(a.dtype) == expected.dtype, f"dtype {a.dtype} != torch {expected.dtype}{where}"
    assert a.shape == e.shape, f"shape {a.shape} != expected {e.shape}{where}"
    if a.dtype.kind in "iub" and e.dtype.kind in "iub":
        np.testing.assert_array_equal(a, e, err_msg=where)
        return
    kinds = [d if d.kind == "f" else np.finfo(d).dtype for d in (a.dtype, e.dtype) if d.kind in "fc"]
    low = min(kinds, key=lambda d: d.itemsize) if kinds else np.dtype(np.float64)
    r, t = _TOL.get(low, _TOL[np.dtype(np.float32)])
    wide = np.complex128 if "c" in (a.dtype.kind, e.dtype.kind) else np.float64  # (complex: both parts compared)
    np.testing.assert_allclose(
        a.astype(wide), e.astype(wide), rtol=r if rtol is None else rtol, atol=t if atol is None else atol,
        equal_nan=True, err_msg=where,
    )


def raised(fn):
    """The exception fn() raises, or None (for tests that compare ember's exception with torch's)."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001  (the exception is the compared result)
        return e
    return None
