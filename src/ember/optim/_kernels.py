"""Fused replacement kernels for the optimizers' reference updates, and the function that applies an update.

Each algorithm states its update once, as a pure reference function over arrays (in its own module):

    reference(param, grad, *state, *, **hyper) -> (new_param, *new_state)

State arrays are positional and may default to None (a variant without that state, e.g. Adam without amsgrad);
hyper-parameters are keyword-only host scalars. The NumPy path works on cache-sized chunks of the flat buffers
(split over ``ember.get_num_threads()`` threads): where an in-place NumPy version of the update is registered here
(``register_numpy``: the same operations in the same order, written with ``out=`` into two per-thread scratch
chunks, so no temporaries and no copies back), it runs that; otherwise it calls the reference and copies the
results back. With the optional ``fast`` extra (numba), a one-pass kernel registered here for the same reference
updates the arrays in place, in parallel over the cores: one read and one write of each array, which is what
bounds an optimizer step (DESIGN.md, "Optimizers"). ``tests/optim/test_kernels.py`` checks every registered
kernel, numba and NumPy, against its reference, bit for bit.

The numba kernels are compiled lazily (first use, cached on disk), so importing ember never imports numba.
Set the environment variable ``EMBER_DISABLE_NUMBA=1`` (or call ``set_enabled(False)``) to use NumPy only.
"""
from __future__ import annotations

import functools
import inspect
import types

import numpy as np

from .._numba import module as _numba_module, set_enabled  # noqa: F401  (set_enabled: the shared switch)

from .. import _threads

_REGISTRY: dict = {}  # reference name -> python function written for numba (positional args, updates in place)
_NUMPY: dict = {}  # reference name -> in-place NumPy version (param, grad, *state, t, u, **hyper), t/u scratch chunks
_COMPILED: dict = {}  # reference name -> compiled function
_SIGNATURES: dict = {}  # reference -> (state names, hyper names)

PARALLEL_MIN = 1 << 17  # below this many elements a fused kernel runs single-threaded
CHUNK = 1 << 18  # elements per NumPy chunk: fewer ufunc calls (each takes the GIL) vs cache fit (measured 32K-1M: best 256K-512K)


def numba_available():
    """True when numba imports and has not been disabled."""
    return _numba_module() is not None


def register(reference_name):
    """Decorator: register a numba-compilable in-place implementation of the reference named ``reference_name``.

    The function takes ``(param, grad, *state, *hyper)`` positionally, in the reference's order.
    """

    def deco(fn):
        _REGISTRY[reference_name] = fn
        return fn

    return deco


def registered():
    """Names of the references that have a fused kernel."""
    return sorted(_REGISTRY)


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
    buffers, and right after a matrix product (see ember._threads). A separate serial compilation
    (``parallel=False`` in numba) was measured 6× slower: an Adam step over 270K float32 took 0.95 ms against
    0.155 ms for the parallel compilation on one thread (numba's parfor lowering vectorizes the loop)."""
    name = reference.__name__
    if name not in _REGISTRY or not numba_available():
        return None
    dtype = np.dtype(dtype)
    fn = _COMPILED.get((name, dtype))
    if fn is None:
        py = _REGISTRY[name]
        scope = dict(py.__globals__, F=dtype.type, prange=_numba_module().prange, _start=_start_inline())
        # a distinct function per variant: numba's disk cache keys on the function's name, not on its flags
        variant = f"{py.__name__}_{dtype.name}_parallel"
        py = types.FunctionType(py.__code__, scope, variant, py.__defaults__)
        py.__qualname__ = variant
        fn = _COMPILED[(name, dtype)] = _numba_module().njit(parallel=True, fastmath=False, cache=True)(py)
    return fn if parallel else functools.partial(_on_one_thread, fn)


_START = None


def _start_inline():
    """``_start`` compiled for inlining into the kernels."""
    global _START
    if _START is None:
        _START = _numba_module().njit(inline="always")(_start)
    return _START


def _on_one_thread(kernel, *args):
    numba = _numba_module()
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


# --- numba kernels: the same updates as the references, one pass, in place ---------------------------------------
# Scalars are rounded to the parameter dtype (F) before the loop, exactly where the NumPy reference rounds them.
# numba compiles a specialisation per combination of None / array arguments, pruning the dead branches.

F = np.float32  # rebound per compiled variant (see fused)
prange = range  # rebound to numba.prange per compiled variant


def _start(grad_i, param_i, maximize, weight_decay, decoupled, decay, wd):
    """(g, θ) an update starts from: g ← −g if maximize, then weight decay, decoupled θ ← θ·(1 − lr·λ) (AdamW's;
    ``decay``) or L2 g ← g + λ·θ (``wd``). Compiled inline into each kernel (see fused)."""
    g = -grad_i if maximize else grad_i
    if weight_decay != 0:
        if decoupled:
            param_i = param_i * decay
        else:
            g = g + wd * param_i
    return g, param_i


@register("sgd_update")
def _sgd(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay, nesterov, maximize, first):
    lr_, mom, damp, wd = F(lr), F(momentum), F(1 - dampening), F(weight_decay)
    for i in prange(param.size):
        g, p = _start(grad[i], param[i], maximize, weight_decay, False, wd, wd)
        if momentum_buffer is not None:
            b = g if first else mom * momentum_buffer[i] + damp * g
            momentum_buffer[i] = b
            g = g + mom * b if nesterov else b
        param[i] = p - lr_ * g


@register("adam_update")
def _adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps, weight_decay, decoupled,
          bias_correction1, bias_correction2_sqrt, maximize):
    step_size, decay, wd = F(lr / bias_correction1), F(1 - lr * weight_decay), F(weight_decay)
    b1, b2, b2_, bc2, eps_ = F(1 - beta1), F(beta2), F(1 - beta2), F(bias_correction2_sqrt), F(eps)
    for i in prange(param.size):
        g, p = _start(grad[i], param[i], maximize, weight_decay, decoupled, decay, wd)
        m = exp_avg[i] + b1 * (g - exp_avg[i])
        v = b2 * exp_avg_sq[i] + b2_ * (g * g)
        exp_avg[i] = m
        exp_avg_sq[i] = v
        if max_exp_avg_sq is not None:
            v = max(max_exp_avg_sq[i], v)
            max_exp_avg_sq[i] = v
        param[i] = p - step_size * (m / (np.sqrt(v) / bc2 + eps_))


@register("adagrad_update")
def _adagrad(param, grad, sum, clr, eps, weight_decay, maximize):
    clr_, eps_, wd = F(clr), F(eps), F(weight_decay)
    for i in prange(param.size):
        g, p = _start(grad[i], param[i], maximize, weight_decay, False, wd, wd)
        s = sum[i] + g * g
        sum[i] = s
        param[i] = p - clr_ * (g / (np.sqrt(s) + eps_))


@register("rmsprop_update")
def _rmsprop(param, grad, square_avg, momentum_buffer, grad_avg, lr, alpha, eps, weight_decay, momentum, maximize):
    lr_, a, a_, eps_, wd, mom = F(lr), F(alpha), F(1 - alpha), F(eps), F(weight_decay), F(momentum)
    for i in prange(param.size):
        g, p = _start(grad[i], param[i], maximize, weight_decay, False, wd, wd)
        v = a * square_avg[i] + a_ * (g * g)
        square_avg[i] = v
        if grad_avg is not None:
            ga = grad_avg[i] + a_ * (g - grad_avg[i])
            grad_avg[i] = ga
            avg = np.sqrt(v - ga * ga) + eps_
        else:
            avg = np.sqrt(v) + eps_
        if momentum_buffer is not None:
            b = mom * momentum_buffer[i] + g / avg
            momentum_buffer[i] = b
            param[i] = p - lr_ * b
        else:
            param[i] = p - lr_ * (g / avg)


@register("adadelta_update")
def _adadelta(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay, maximize):
    lr_, r, r_, eps_, wd = F(lr), F(rho), F(1 - rho), F(eps), F(weight_decay)
    for i in prange(param.size):
        g, p = _start(grad[i], param[i], maximize, weight_decay, False, wd, wd)
        v = r * square_avg[i] + r_ * (g * g)
        square_avg[i] = v
        delta = np.sqrt(acc_delta[i] + eps_) / np.sqrt(v + eps_) * g
        acc_delta[i] = r * acc_delta[i] + r_ * (delta * delta)
        param[i] = p - lr_ * delta


@register("adamax_update")
def _adamax(param, grad, exp_avg, exp_inf, clr, beta1, beta2, eps, weight_decay, maximize):
    clr_, b1, b2, eps_, wd = F(clr), F(1 - beta1), F(beta2), F(eps), F(weight_decay)
    for i in prange(param.size):
        g, p = _start(grad[i], param[i], maximize, weight_decay, False, wd, wd)
        m = exp_avg[i] + b1 * (g - exp_avg[i])
        u = max(exp_inf[i] * b2, abs(g) + eps_)
        exp_avg[i] = m
        exp_inf[i] = u
        param[i] = p - clr_ * (m / u)


@register("nadam_update")
def _nadam(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, decoupled, bias_correction2,
           coef_grad, coef_avg, maximize):
    decay, wd, b1, b2, b2_ = F(1 - lr * weight_decay), F(weight_decay), F(1 - beta1), F(beta2), F(1 - beta2)
    bc2, eps_, cg, ca = F(bias_correction2), F(eps), F(coef_grad), F(coef_avg)
    for i in prange(param.size):
        g, p = _start(grad[i], param[i], maximize, weight_decay, decoupled, decay, wd)
        m = exp_avg[i] + b1 * (g - exp_avg[i])
        v = b2 * exp_avg_sq[i] + b2_ * (g * g)
        exp_avg[i] = m
        exp_avg_sq[i] = v
        denom = np.sqrt(v / bc2) + eps_
        p = p + cg * (g / denom)
        param[i] = p + ca * (m / denom)


@register("radam_update")
def _radam(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, decoupled, bias_correction1,
           bias_correction2, rect, maximize):
    decay, wd, b1, b2, b2_ = F(1 - lr * weight_decay), F(weight_decay), F(1 - beta1), F(beta2), F(1 - beta2)
    lr_, bc1, sqrt_bc2, eps_, rect_ = F(lr), F(bias_correction1), F(bias_correction2 ** 0.5), F(eps), F(rect)
    for i in prange(param.size):
        g, p = _start(grad[i], param[i], maximize, weight_decay, decoupled, decay, wd)
        m = exp_avg[i] + b1 * (g - exp_avg[i])
        v = b2 * exp_avg_sq[i] + b2_ * (g * g)
        exp_avg[i] = m
        exp_avg_sq[i] = v
        update = m / bc1 * lr_
        if rect != 0:
            update = update * (sqrt_bc2 / (np.sqrt(v) + eps_)) * rect_
        param[i] = p - update


@register("rprop_update")
def _rprop(param, grad, prev, step_size, etaminus, etaplus, step_size_min, step_size_max, maximize):
    em, ep, lo, hi, one, zero = F(etaminus), F(etaplus), F(step_size_min), F(step_size_max), F(1), F(0)
    for i in prange(param.size):
        g = -grad[i] if maximize else grad[i]
        s = g * prev[i]
        f = ep if s > 0 else (em if s < 0 else one)
        size = min(max(step_size[i] * f, lo), hi)
        step_size[i] = size
        if f == em:
            g = zero
        prev[i] = g
        param[i] = param[i] - np.sign(g) * size


@register("asgd_update")
def _asgd(param, grad, ax, eta, mu, lambd, weight_decay, maximize):
    decay, eta_, mu_, wd = F(1 - lambd * eta), F(eta), F(mu), F(weight_decay)
    for i in prange(param.size):
        g, p = _start(grad[i], param[i], maximize, weight_decay, False, wd, wd)
        p = p * decay - eta_ * g
        param[i] = p
        ax[i] = p if mu == 1 else ax[i] + (p - ax[i]) * mu_


@register("lion_update")
def _lion(param, grad, exp_avg, lr, beta1, beta2, weight_decay, maximize):
    decay, lr_, b1, b1_, b2, b2_ = F(1 - lr * weight_decay), F(lr), F(beta1), F(1 - beta1), F(beta2), F(1 - beta2)
    for i in prange(param.size):
        g, p = _start(grad[i], param[i], maximize, weight_decay, True, decay, decay)
        param[i] = p - lr_ * np.sign(b1 * exp_avg[i] + b1_ * g)
        exp_avg[i] = b2 * exp_avg[i] + b2_ * g


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
