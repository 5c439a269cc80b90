"""Fused replacement kernels for the optimizers' reference updates, and the function that applies an update.

Each algorithm states its update once, as a pure reference function over arrays (in its own module):

    reference(param, grad, *state, *, **hyper) -> (new_param, *new_state)

State arrays are positional and may default to None (a variant without that state, e.g. Adam without amsgrad);
hyper-parameters are keyword-only host scalars. The NumPy path calls the reference on cache-sized chunks of the
flat buffers (split over ``ember.get_num_threads()`` threads) and copies the results back. With the optional
``fast`` extra (numba), a one-pass kernel registered
here for the same reference updates the arrays in place, in parallel over the cores: one read and one write of
each array, which is what bounds an optimizer step (DESIGN.md, "Optimizers"). ``tests/optim/test_kernels.py``
checks every registered kernel against its reference.

The numba kernels are compiled lazily (first use, cached on disk), so importing ember never imports numba.
Set the environment variable ``EMBER_DISABLE_NUMBA=1`` (or call ``set_enabled(False)``) to use NumPy only.
"""
from __future__ import annotations

import inspect
import math
import os
import types

import numpy as np

from .. import _threads

_REGISTRY = {}  # reference name -> python function written for numba (positional args, updates in place)
_COMPILED = {}  # reference name -> compiled function
_SIGNATURES = {}  # reference -> (state names, hyper names)
_enabled = os.environ.get("EMBER_DISABLE_NUMBA", "").strip() in ("", "0", "false", "False")
_numba = None

PARALLEL_MIN = 1 << 17  # below this many elements a fused kernel runs single-threaded
CHUNK = 1 << 15  # elements per NumPy chunk: the temporaries of one reference call stay in the L2 cache


def numba_available():
    """True when numba imports and has not been disabled."""
    global _numba, _enabled
    if not _enabled:
        return False
    if _numba is None:
        try:
            import numba
        except ImportError:
            _enabled = False
            return False
        _numba = numba
    return True


def set_enabled(flag):
    """Turn the numba kernels on or off (for benchmarks and tests); returns the previous setting."""
    global _enabled
    previous = _enabled
    _enabled = bool(flag)
    return previous


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


def signature(reference):
    sig = _SIGNATURES.get(reference)
    if sig is None:
        params = list(inspect.signature(reference).parameters.values())
        states = tuple(p.name for p in params[2:] if p.kind is p.POSITIONAL_OR_KEYWORD)
        hypers = tuple(p.name for p in params if p.kind is p.KEYWORD_ONLY)
        sig = _SIGNATURES[reference] = (states, hypers)
    return sig


def fused(reference, parallel=True):
    """The compiled fused kernel for ``reference``, or None (no numba, disabled, or none registered).

    ``parallel=False`` gives the single-threaded compilation of the same kernel, used for small buffers where
    waking the worker threads costs more than the update itself."""
    name = reference.__name__
    if name not in _REGISTRY or not numba_available():
        return None
    fn = _COMPILED.get((name, parallel))
    if fn is None:
        global prange
        prange = _numba.prange
        py = _REGISTRY[name]
        if not parallel:  # a distinct function object: numba's disk cache does not key on the `parallel` flag
            py = types.FunctionType(py.__code__, py.__globals__, py.__name__ + "_serial", py.__defaults__)
            py.__qualname__ = py.__name__
        fn = _COMPILED[(name, parallel)] = _numba.njit(parallel=parallel, fastmath=False, cache=True)(py)
    return fn


def apply(reference, param, grad, states, hyper):
    """Update flat ``param`` and the arrays in ``states`` (dict name -> array) in place with one step."""
    names, hyper_names = signature(reference)
    arrays = [states.get(n) for n in names]
    kernel = fused(reference, parallel=param.size >= PARALLEL_MIN)
    if kernel is not None:
        kernel(param, grad, *arrays, *[hyper[k] for k in hyper_names])
        return

    def run(rows):  # one thread's share, in cache-sized chunks
        start, stop, _ = rows.indices(param.size)
        for lo in range(start, stop, CHUNK):
            hi = min(lo + CHUNK, stop)
            chunk = [a[lo:hi] if a is not None else None for a in arrays]
            out = reference(param[lo:hi], grad[lo:hi], *chunk, **hyper)
            param[lo:hi] = out[0]
            for dst, new in zip(chunk, out[1:]):
                if dst is not None:
                    dst[...] = new

    _threads.row_blocks(run, param)  # NumPy releases the GIL: one block per thread (ember.set_num_threads)


# --- numba kernels: the same updates as the references, one pass, in place ---------------------------------------
# (numba compiles a specialisation per combination of None / array arguments, pruning the dead branches.)

def prange(*args):  # replaced by numba.prange at compile time (numba resolves this global when compiling)
    return range(*args)


@register("sgd_update")
def _sgd(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay, nesterov, maximize, first):
    for i in prange(param.size):
        g = -grad[i] if maximize else grad[i]
        p = param[i]
        if weight_decay != 0:
            g = g + weight_decay * p
        if momentum_buffer is not None:
            if first:
                b = g
            else:
                b = momentum * momentum_buffer[i] + (1 - dampening) * g
            momentum_buffer[i] = b
            if nesterov:
                g = g + momentum * b
            else:
                g = b
        param[i] = p - lr * g


@register("adam_update")
def _adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps, weight_decay, decoupled,
          bias_correction1, bias_correction2_sqrt, maximize):
    step_size = lr / bias_correction1
    decay = 1 - lr * weight_decay
    for i in prange(param.size):
        g = -grad[i] if maximize else grad[i]
        p = param[i]
        if weight_decay != 0:
            if decoupled:
                p = p * decay
            else:
                g = g + weight_decay * p
        m = exp_avg[i] + (1 - beta1) * (g - exp_avg[i])
        v = beta2 * exp_avg_sq[i] + (1 - beta2) * (g * g)
        exp_avg[i] = m
        exp_avg_sq[i] = v
        if max_exp_avg_sq is not None:
            v = max(max_exp_avg_sq[i], v)
            max_exp_avg_sq[i] = v
        param[i] = p - step_size * (m / (math.sqrt(v) / bias_correction2_sqrt + eps))


@register("adagrad_update")
def _adagrad(param, grad, sum, clr, eps, weight_decay, maximize):
    for i in prange(param.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        s = sum[i] + g * g
        sum[i] = s
        param[i] = param[i] - clr * (g / (math.sqrt(s) + eps))


@register("rmsprop_update")
def _rmsprop(param, grad, square_avg, momentum_buffer, grad_avg, lr, alpha, eps, weight_decay, momentum, maximize):
    for i in prange(param.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        v = alpha * square_avg[i] + (1 - alpha) * (g * g)
        square_avg[i] = v
        if grad_avg is not None:
            a = grad_avg[i] + (1 - alpha) * (g - grad_avg[i])
            grad_avg[i] = a
            avg = math.sqrt(v - a * a) + eps
        else:
            avg = math.sqrt(v) + eps
        if momentum_buffer is not None:
            b = momentum * momentum_buffer[i] + g / avg
            momentum_buffer[i] = b
            param[i] = param[i] - lr * b
        else:
            param[i] = param[i] - lr * (g / avg)


@register("adadelta_update")
def _adadelta(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay, maximize):
    for i in prange(param.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        v = rho * square_avg[i] + (1 - rho) * (g * g)
        square_avg[i] = v
        delta = math.sqrt(acc_delta[i] + eps) / math.sqrt(v + eps) * g
        acc_delta[i] = rho * acc_delta[i] + (1 - rho) * (delta * delta)
        param[i] = param[i] - lr * delta


@register("adamax_update")
def _adamax(param, grad, exp_avg, exp_inf, clr, beta1, beta2, eps, weight_decay, maximize):
    for i in prange(param.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + weight_decay * param[i]
        m = exp_avg[i] + (1 - beta1) * (g - exp_avg[i])
        u = max(exp_inf[i] * beta2, abs(g) + eps)
        exp_avg[i] = m
        exp_inf[i] = u
        param[i] = param[i] - clr * (m / u)


@register("nadam_update")
def _nadam(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, decoupled, bias_correction2,
           coef_grad, coef_avg, maximize):
    decay = 1 - lr * weight_decay
    for i in prange(param.size):
        g = -grad[i] if maximize else grad[i]
        p = param[i]
        if weight_decay != 0:
            if decoupled:
                p = p * decay
            else:
                g = g + weight_decay * p
        m = exp_avg[i] + (1 - beta1) * (g - exp_avg[i])
        v = beta2 * exp_avg_sq[i] + (1 - beta2) * (g * g)
        exp_avg[i] = m
        exp_avg_sq[i] = v
        denom = math.sqrt(v / bias_correction2) + eps
        p = p + coef_grad * (g / denom)
        param[i] = p + coef_avg * (m / denom)


@register("radam_update")
def _radam(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, decoupled, bias_correction1,
           bias_correction2, rect, maximize):
    decay = 1 - lr * weight_decay
    sqrt_bc2 = bias_correction2 ** 0.5
    for i in prange(param.size):
        g = -grad[i] if maximize else grad[i]
        p = param[i]
        if weight_decay != 0:
            if decoupled:
                p = p * decay
            else:
                g = g + weight_decay * p
        m = exp_avg[i] + (1 - beta1) * (g - exp_avg[i])
        v = beta2 * exp_avg_sq[i] + (1 - beta2) * (g * g)
        exp_avg[i] = m
        exp_avg_sq[i] = v
        update = m / bias_correction1 * lr
        if rect != 0:
            update = update * (sqrt_bc2 / (math.sqrt(v) + eps)) * rect
        param[i] = p - update


@register("rprop_update")
def _rprop(param, grad, prev, step_size, etaminus, etaplus, step_size_min, step_size_max, maximize):
    for i in prange(param.size):
        g = -grad[i] if maximize else grad[i]
        s = g * prev[i]
        if s > 0:
            f = etaplus
        elif s < 0:
            f = etaminus
        else:
            f = 1.0
        size = min(max(step_size[i] * f, step_size_min), step_size_max)
        step_size[i] = size
        if f == etaminus:
            g = 0.0
        prev[i] = g
        sign = 1.0 if g > 0 else (-1.0 if g < 0 else 0.0)
        param[i] = param[i] - sign * size


@register("asgd_update")
def _asgd(param, grad, ax, eta, mu, lambd, weight_decay, maximize):
    for i in prange(param.size):
        g = -grad[i] if maximize else grad[i]
        p = param[i]
        if weight_decay != 0:
            g = g + weight_decay * p
        p = p * (1 - lambd * eta) - eta * g
        param[i] = p
        if mu == 1:
            ax[i] = p
        else:
            ax[i] = ax[i] + (p - ax[i]) * mu


@register("lion_update")
def _lion(param, grad, exp_avg, lr, beta1, beta2, weight_decay, maximize):
    decay = 1 - lr * weight_decay
    for i in prange(param.size):
        g = -grad[i] if maximize else grad[i]
        p = param[i]
        if weight_decay != 0:
            p = p * decay
        c = beta1 * exp_avg[i] + (1 - beta1) * g
        sign = 1.0 if c > 0 else (-1.0 if c < 0 else 0.0)
        param[i] = p - lr * sign
        exp_avg[i] = beta2 * exp_avg[i] + (1 - beta2) * g
