"""Tensor creation functions with torch's names, signatures and dtype rules."""
from __future__ import annotations

import builtins
import math

import numpy as np

from . import _dtype, _errors
from ._backend import check_device
from . import _random
from ._random import _gen
from .autograd.ops._util import broadcast_error
from .tensor import Tensor, _to_array, _wrap


def _finish(data: np.ndarray, requires_grad: bool, device=None) -> Tensor:
    check_device(device)
    t = _wrap(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"size must be a tuple of ints, but got an element of type {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return tuple(int(s) for s in size)


def _float_dt(dtype) -> np.dtype:
    return _dtype.np_dtype(dtype) or _dtype.get_default_dtype().np


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a copy of ``data``.

    The dtype is inferred as torch does (``_dtype.infer``): the promotion of every element's dtype, where a
    Python float is the default dtype (float32), an int int64, a bool bool, and a NumPy scalar, array or Tensor
    keeps its own dtype (``[np.float32(1), np.float64(2)]`` is float64, ``[np.float32(1), 2.0]`` float32).

    Torch parity: same dtypes, values and errors as torch.tensor (a Python int beyond int64 raises ValueError,
    a number that overflows an explicit integer dtype RuntimeError); a Python complex is the default dtype's complex
    type (complex64). Deliberate difference: NumPy uint16, uint32 and uint64 data raise TypeError (ember has no
    such dtypes; torch's support few ops).
    """
    return _finish(np.array(_to_array(data, _dtype.np_dtype(dtype)), copy=True), requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """A tensor sharing memory with ``data`` where possible (an ndarray of the right dtype is not copied)."""
    if isinstance(data, Tensor) and dtype is None:
        return data
    return _finish(_to_array(data, _dtype.np_dtype(dtype)), False, device)


def from_numpy(array: np.ndarray) -> Tensor:
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _dtype.from_np(array.dtype)  # torch's TypeError for a dtype ember lacks
    return _wrap(array)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    return _finish(np.zeros(_size(size), _float_dt(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    return _finish(np.ones(_size(size), _float_dt(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return _finish(np.empty(_size(size), _float_dt(dtype)), requires_grad, device)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = (
            _dtype.bool if isinstance(fill_value, bool)
            else _dtype.int64 if isinstance(fill_value, (int, np.integer))
            else _dtype.get_default_dtype().to_complex() if isinstance(fill_value, (complex, np.complexfloating))
            else _dtype.get_default_dtype()
        )
    return _finish(np.full(_size((size,)), fill_value, _dtype.np_dtype(dtype)), requires_grad, device)


def _like(fn):
    def like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, **kw):
        dt = _dtype.np_dtype(dtype) or input._data.dtype
        return _finish(fn(input._data.shape, dt, **kw), requires_grad, device)

    return like


zeros_like = _like(lambda s, d: np.zeros(s, d))
ones_like = _like(lambda s, d: np.ones(s, d))
empty_like = _like(lambda s, d: np.empty(s, d))


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return _finish(np.full(input._data.shape, fill_value, _dtype.np_dtype(dtype) or input._data.dtype), requires_grad, device)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    return rand(*input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad, generator=generator)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    return randn(*input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad, generator=generator)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input._data.shape), dtype=dtype or input.dtype)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = _dtype.int64 if all(isinstance(v, (int, np.integer)) for v in vals) else _dtype.get_default_dtype()
    n = max(math.ceil((vals[1] - vals[0]) / vals[2]), 0)
    data = (vals[0] + np.arange(n, dtype=np.float64 if _dtype.to_dtype(dtype).is_floating_point else np.int64) * vals[2])
    return _finish(data.astype(_dtype.np_dtype(dtype)), requires_grad, device)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return _finish(np.linspace(start, end, steps).astype(_float_dt(dtype)), requires_grad, device)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.logspace(start, end, steps, base=base).astype(_float_dt(dtype)), requires_grad, device)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.eye(n, m, dtype=_float_dt(dtype)), requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples (NumPy's PCG64 stream, not torch's); complex: real and imaginary parts each
    N(0, 1/2), so that E|z|² = 1 (as torch)."""
    dt = _float_dt(dtype)
    if dt.kind == "c":
        parts = randn(*_size(size), 2, generator=generator, dtype=_dtype.to_dtype(dt).to_real())._data
        return _finish((parts * np.sqrt(0.5).astype(parts.dtype)).view(dt)[..., 0], requires_grad, device)
    _random.check_float(dt, "normal_kernel_cpu")
    data = _gen(generator).standard_normal(_size(size), dtype=dt if dt in (np.float32, np.float64) else np.float64)
    return _finish(data.astype(dt, copy=False), requires_grad, device)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples on [0, 1) (NumPy's PCG64 stream, not torch's)."""
    dt = _float_dt(dtype)
    _random.check_float(dt, "check_uniform_bounds")
    data = _gen(generator).random(_size(size), dtype=dt if dt in (np.float32, np.float64) else np.float64)
    return _finish(data.astype(dt, copy=False), requires_grad, device)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Integers uniform in [low, high): ``randint(high, size)``, ``randint(low, high, size)`` or by keyword."""
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing required argument 'size'")
    if high is None:
        raise TypeError("randint() missing required argument 'high'")
    if low >= high:
        raise _errors.random_from_to(low, high)
    data = _gen(generator).integers(low, high, size=_size((size,)))
    return _finish(data.astype(_dtype.np_dtype(dtype) or np.int64), requires_grad, device)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A random permutation of 0 … n−1 (int64 unless ``dtype``)."""
    _size((n,))
    return _finish(_gen(generator).permutation(n).astype(_dtype.np_dtype(dtype) or np.int64), requires_grad, device)


def _into(out, data: np.ndarray) -> Tensor:
    """The result ``data`` as a new tensor, or written into ``out`` (resized as torch resizes an out= tensor)."""
    if out is None:
        return _wrap(data)
    out._relocate(data.astype(out._data.dtype, copy=False))
    return out


def _float_of(*values) -> np.dtype:
    """The result dtype of a sampler over these (tensor or number) parameters: their promoted float type."""
    arrays = [v._data for v in values if isinstance(v, Tensor)]
    return np.result_type(*arrays) if arrays else _dtype.get_default_dtype().np


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           pin_memory=False, requires_grad=False) -> Tensor:
    """N(mean, std²) samples, torch's four overloads: (Tensor, Tensor), (Tensor, float), (float, Tensor), and
    (float, float, size) with ``dtype``. Tensor parameters broadcast; the result has their promoted dtype.

    Deliberate difference: the result is not recorded for autograd (torch's gradient of a sample with respect to
    mean and std is zero; use ``ember.distributions.Normal(...).rsample()`` for the reparameterised one).
    """
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got (float, float), "
                            "but expected (float mean, float std, tuple of ints size, ...)")
        dt = _float_dt(dtype)
        data = _random.normal(_gen(generator), _size((size,)), dt, mean, std).astype(dt)
        return _into(out, data) if out is not None else _finish(data, requires_grad, device)
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    dt = _float_of(mean, std)
    _random.check_float(dt, "normal_kernel_cpu")
    if isinstance(std, Tensor) and (s < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not isinstance(std, Tensor) and std < 0:
        raise _errors.normal_negative_std(std)
    try:
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    except ValueError:
        raise broadcast_error(np.shape(m), np.shape(s)) from None
    return _into(out, (m + s * _gen(generator).standard_normal(shape)).astype(dt))


def poisson(input, generator=None) -> Tensor:
    """Poisson(rate) samples, one per element of the rate tensor ``input``, in its dtype."""
    rate = input._data
    _random.check_float(rate.dtype, "poisson_cpu")
    if not (rate >= 0).all():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    return _wrap(_gen(generator).poisson(rate).astype(rate.dtype))


def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """1 with probability ``input`` (elementwise) or ``p`` (a number), else 0; in ``input``'s float dtype."""
    dt = input._data.dtype
    if p is None:
        _random.check_float(dt, "bernoulli_tensor_cpu_p_")
        prob = input._data
    else:
        prob = p
    return _into(out, _random.bernoulli(_gen(generator), input._data.shape, dt, prob).astype(dt))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None) -> Tensor:
    """Category indices drawn from each row of the (unnormalised) weights ``input`` (1-D or 2-D).

    With replacement: inverse CDF of each row, u ~ U[0, 1). Without: the categories ordered by the keys
    wᵢ / Eᵢ, Eᵢ ~ Exp(1), largest first (each next draw proportional to the remaining weights, as torch).
    """
    w = input._data
    if w.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if w.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {_dtype.scalar_name(w.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n = w.shape[-1]
    if not replacement and num_samples > n:
        raise _errors.multinomial_too_many_samples()
    rows = np.atleast_2d(w).astype(np.float64)
    if not (np.isfinite(rows) & (rows >= 0)).all():
        raise _errors.multinomial_bad_probabilities()
    total = rows.sum(axis=1, keepdims=True)
    if (total <= 0).any():
        raise _errors.multinomial_zero_sum()
    g = _gen(generator)
    if replacement:
        cdf = np.cumsum(rows / total, axis=1)
        u = g.random((rows.shape[0], num_samples))
        idx = np.minimum((u[:, :, None] >= cdf[:, None, :]).sum(axis=2), n - 1)
        while True:  # never land on a zero-weight category through rounding at the cdf's end
            bad = np.take_along_axis(rows, idx, axis=1) == 0
            if not bad.any():
                break
            idx[bad] -= 1
    else:
        keys = rows / g.exponential(size=rows.shape)
        idx = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    idx = idx.astype(np.int64)
    return _into(out, idx if w.ndim == 2 else idx[0])


def tril(input, diagonal=0) -> Tensor:
    return input * _wrap(np.tril(np.ones(input._data.shape[-2:], input._data.dtype), diagonal))


def triu(input, diagonal=0) -> Tensor:
    return input * _wrap(np.triu(np.ones(input._data.shape[-2:], input._data.dtype), diagonal))


def is_tensor(obj) -> builtins.bool:
    return isinstance(obj, Tensor)


def numel(input) -> int:
    return input._data.size
