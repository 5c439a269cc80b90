"""Fused replacement kernels for the optimizers' reference updates, and the function that applies an update.

Each algorithm states its update once, as a pure reference function over arrays (in its own module):

    reference(param, grad, *state, *, **hyper) -> (new_param, *new_state)

State arrays are positional and may default to None (a variant without that state, e.g. Adam without amsgrad);
hyper-parameters are keyword-only host scalars. The NumPy path works on cache-sized chunks of the flat buffers
(split over ``ember.get_num_threads()`` threads): where an in-place NumPy version of the update is registered here
(``register_numpy``: the same operations in the same order, written with ``out=`` into two per-thread scratch
chunks, so no temporaries and no copies back), it runs that; otherwise it calls the reference and copies the
results back. With the optional ``fast`` extra (numba), a one-pass kernel for the same reference (optim/_fused.py,
registered in ember._numba) updates the arrays in place, in parallel over the cores. tests/test_kernel_registry.py
checks each numba kernel and ``tests/optim/test_kernels.py`` each NumPy one against its reference, bit for bit.

The numba kernels are compiled lazily (first use, cached on disk), so importing ember never imports numba.
Set the environment variable ``EMBER_DISABLE_NUMBA=1`` (or call ``set_enabled(False)``) to use NumPy only.
"""
from __future__ import annotations

import functools
import inspect

import numpy as np

from .. import _numba
from .._numba import set_enabled  # noqa: F401  (set_enabled: the shared switch)

from .. import _threads

_NUMPY: dict = {}  # reference name -> in-place NumPy version (param, grad, *state, t, u, **hyper), t/u scratch chunks
_SIGNATURES: dict = {}  # reference -> (state names, hyper names)

PARALLEL_MIN = 1 << 17  # below this many elements a fused kernel runs single-threaded
CHUNK = 1 << 18  # elements per NumPy chunk: fewer ufunc calls (each takes the GIL) vs cache fit (best 256K-512K)


def numba_available():
    """True when numba imports and has not been disabled."""
    return _numba.available()


_FUSED: dict = {}


def _fused_kernels():
    """reference name -> its numba loop (optim/_fused.py, imported on first use: it imports every algorithm)."""
    if not _FUSED:
        from . import _fused
        _FUSED.update((k.reference.__name__, k.fast) for k in _numba.registry() if k.fast.__module__ == _fused.__name__)
    return _FUSED


def registered():
    """Names of the references that have a fused kernel."""
    return sorted(_fused_kernels())


def register_numpy(reference_name):
    """Decorator: register an in-place NumPy version of the reference named ``reference_name``, used by the NumPy
    path instead of calling the reference and copying its results back.

    It takes ``(param, grad, *state, t, u, **hyper)``: the reference's arrays (updated in place) followed by two
    scratch arrays of the same length and dtype, and must perform the reference's operations in the same order,
    so that the result is bit-identical."""

    def deco(fn):
        _NUMPY[reference_name] = fn
        return fn

    return deco


def numpy_kernel(reference):
    """The in-place NumPy version of ``reference``, or None."""
    return _NUMPY.get(reference.__name__)


def signature(reference):
    sig = _SIGNATURES.get(reference)
    if sig is None:
        params = list(inspect.signature(reference).parameters.values())
        states = tuple(p.name for p in params[2:] if p.kind is p.POSITIONAL_OR_KEYWORD)
        hypers = tuple(p.name for p in params if p.kind is p.KEYWORD_ONLY)
        sig = _SIGNATURES[reference] = (states, hypers)
    return sig


def fused(reference, parallel=True, dtype=np.float32):
    """The compiled fused kernel for ``reference`` and parameters of ``dtype``, or None (no numba, disabled, or
    none registered).

    Each kernel is compiled once per dtype with ``F`` bound to that dtype's scalar type: host scalars are rounded
    to it once, before the loop, so that the loop computes in the parameter's precision, exactly as the NumPy
    reference does (NEP 50: a Python float does not upcast a float32 array). ``parallel=False`` gives the same
    compilation run on the calling thread only (numba.set_num_threads(1) around the call), used for small
    buffers, and right after a matrix product (see ember._threads): a separate serial compilation (numba's
    ``parallel=False``) does not vectorize the loop as numba's parfor lowering does (benchmarks/bench_optimizers.py)."""
    if not _numba.available():
        return None
    fn = _BY_DTYPE.get((reference, dtype))
    if fn is None:
        fast = _fused_kernels().get(reference.__name__)
        if fast is None:
            return None
        fn = _BY_DTYPE[(reference, dtype)] = _numba.compiled(fast, F=np.dtype(dtype).type)
    return fn if parallel else functools.partial(_on_one_thread, fn)


_BY_DTYPE: dict = {}  # (reference, dtype) -> compiled kernel: one lookup per step and group


def _on_one_thread(kernel, *args):
    numba = _numba.module()
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        kernel(*args)
    finally:
        numba.set_num_threads(threads)


def apply(reference, param, grad, states, hyper):
    """Update flat ``param`` and the arrays in ``states`` (dict name -> array) in place with one step."""
    names, hyper_names = signature(reference)
    arrays = [states.get(n) for n in names]
    kernel = fused(reference, param.size >= PARALLEL_MIN and _threads.parallel_ok(param.size), param.dtype)
    if kernel is not None:
        kernel(param, grad, *arrays, *[hyper[k] for k in hyper_names])
        return

    inplace = _NUMPY.get(reference.__name__)

    def run(rows):  # one thread's share, in cache-sized chunks
        start, stop, _ = rows.indices(param.size)
        if inplace is not None:  # two scratch chunks per thread, reused by every chunk
            t, u = np.empty((2, min(CHUNK, max(stop - start, 0))), param.dtype)
        for lo in range(start, stop, CHUNK):
            hi = min(lo + CHUNK, stop)
            chunk = [a[lo:hi] if a is not None else None for a in arrays]
            if inplace is not None:
                inplace(param[lo:hi], grad[lo:hi], *chunk, t[:hi - lo], u[:hi - lo], **hyper)
                continue
            out = reference(param[lo:hi], grad[lo:hi], *chunk, **hyper)
            param[lo:hi] = out[0]
            for dst, new in zip(chunk, out[1:]):
                if dst is not None:
                    dst[...] = new

    _threads.row_blocks(run, param)  # NumPy releases the GIL: one block per thread (ember.set_num_threads)


# --- NumPy in-place versions: the references' operations, in the same order, into scratch chunks ----------------
# For the NumPy path (no numba). Each line names the reference's formula it computes; Python-float scalars are
# rounded to the array dtype by NumPy exactly as in the reference (NEP 50), so the results are bit-identical.


def _effective_grad(param, grad, weight_decay, maximize, u):
    """g ← −g if maximize;  g ← g + λ·θ  — the gradient itself when neither applies, else computed into ``u``."""
    if weight_decay != 0:
        np.multiply(param, weight_decay, out=u)
        if maximize:
            u -= grad  # λ·θ − g  ==  (−g) + λ·θ exactly
        else:
            u += grad
        return u
    if maximize:
        return np.negative(grad, out=u)
    return grad


@register_numpy("sgd_update")
def _sgd_np(param, grad, momentum_buffer, t, u, *, lr, momentum, dampening, weight_decay, nesterov, maximize, first):
    g = _effective_grad(param, grad, weight_decay, maximize, u)
    if momentum_buffer is not None:
        if first:
            momentum_buffer[...] = g  # b ← g
        else:
            momentum_buffer *= momentum
            np.multiply(g, 1 - dampening, out=t)
            momentum_buffer += t  # b ← μ·b + (1 − τ)·g
        if nesterov:
            np.multiply(momentum_buffer, momentum, out=t)
            t += g
            g = t  # g ← g + μ·b
        else:
            g = momentum_buffer  # g ← b
    np.multiply(g, lr, out=t)
    param -= t  # θ ← θ − lr·g


@register_numpy("adam_update")
def _adam_np(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, t, u, *, lr, beta1, beta2, eps, weight_decay,
             decoupled, bias_correction1, bias_correction2_sqrt, maximize):
    if weight_decay != 0 and decoupled:
        g = np.negative(grad, out=u) if maximize else grad
        param *= 1 - lr * weight_decay  # θ ← θ·(1 − lr·λ)
    else:
        g = _effective_grad(param, grad, weight_decay, maximize, u)
    np.subtract(g, exp_avg, out=t)
    t *= 1 - beta1
    exp_avg += t  # m ← m + (1 − β₁)·(g − m)
    np.multiply(g, g, out=t)
    t *= 1 - beta2
    exp_avg_sq *= beta2
    exp_avg_sq += t  # v ← β₂·v + (1 − β₂)·g²
    v = exp_avg_sq
    if max_exp_avg_sq is not None:
        v = np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)  # v̂ ← max(v̂, v)
    np.sqrt(v, out=t)
    t /= bias_correction2_sqrt
    t += eps  # √v̂ / √(1 − β₂ᵗ) + ε
    np.divide(exp_avg, t, out=t)
    t *= lr / bias_correction1
    param -= t  # θ ← θ − lr/(1 − β₁ᵗ) · m / (...)


@register_numpy("adagrad_update")
def _adagrad_np(param, grad, sum, t, u, *, clr, eps, weight_decay, maximize):
    g = _effective_grad(param, grad, weight_decay, maximize, u)
    np.multiply(g, g, out=t)
    sum += t  # s ← s + g²
    np.sqrt(sum, out=t)
    t += eps  # √s + ε
    np.divide(g, t, out=t)
    t *= clr
    param -= t  # θ ← θ − clr · g / (√s + ε)


@register_numpy("rmsprop_update")
def _rmsprop_np(param, grad, square_avg, momentum_buffer, grad_avg, t, u, *, lr, alpha, eps, weight_decay, momentum,
                maximize):
    g = _effective_grad(param, grad, weight_decay, maximize, u)
    np.multiply(g, g, out=t)
    t *= 1 - alpha
    square_avg *= alpha
    square_avg += t  # v ← α·v + (1 − α)·g²
    if grad_avg is not None:
        np.subtract(g, grad_avg, out=t)
        t *= 1 - alpha
        grad_avg += t  # ḡ ← ḡ + (1 − α)·(g − ḡ)
        np.multiply(grad_avg, grad_avg, out=t)
        np.subtract(square_avg, t, out=t)
        np.sqrt(t, out=t)  # √(v − ḡ²)
    else:
        np.sqrt(square_avg, out=t)  # √v
    t += eps  # d
    np.divide(g, t, out=t)  # g/d
    if momentum_buffer is not None:
        momentum_buffer *= momentum
        momentum_buffer += t  # b ← μ·b + g/d
        np.multiply(momentum_buffer, lr, out=t)
    else:
        t *= lr
    param -= t  # θ ← θ − lr·b   or   θ ← θ − lr·g/d
