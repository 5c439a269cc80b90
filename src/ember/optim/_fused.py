"""The optimizers' one-pass numba kernels: each does its reference update (``adam_update``, ...) in place, in
parallel over the cores, one read and one write of each array, which is what bounds an optimizer step (DESIGN.md,
"Optimizers"). Registered in ember._numba against the references; ``_kernels.fused`` compiles them.

Scalars are rounded to the parameter dtype ``F`` (a compile-time constant, one specialisation per dtype) before the
loop, exactly where the NumPy reference rounds them, so each kernel is bit-identical to its reference (no FMA
contraction, no fastmath). numba compiles a specialisation per combination of None / array arguments, pruning the
dead branches. Each registration states the hyper-parameters of its parity-test inputs (a list: every value).
"""
from __future__ import annotations

import functools
import inspect
import itertools

import numpy as np

from .._numba import fast_variant_of
from ._kernels import signature
from .adadelta import adadelta_update
from .adagrad import adagrad_update
from .adam import adam_update
from .adamax import adamax_update
from .asgd import asgd_update
from .lion import lion_update
from .nadam import nadam_update
from .radam import radam_update
from .rmsprop import rmsprop_update
from .rprop import rprop_update
from .sgd import sgd_update

F = np.float32  # rebound per compiled specialisation (the parameters' dtype)
prange = range  # numba.prange in the compiled kernels

_POSITIVE = ("exp_avg_sq", "max_exp_avg_sq", "sum", "square_avg", "acc_delta", "exp_inf", "step_size")


def _fast(reference, **hyper):
    """Register the decorated loop as ``reference``'s kernel: arguments (param, grad, *state, *hyper) positionally
    in the reference's order, arrays updated in place; numba parallel, no fastmath (every optimizer alike)."""
    return fast_variant_of(reference, parallel=True, fastmath=False, helpers=(_start,), call=_reference_in_place,
                           example=functools.partial(_example, reference, hyper))


def _reference_in_place(reference, args, consts):
    """The reference called on a kernel's arguments, its results written back into them."""
    states, hypers = signature(reference)
    param, grad, arrays, values = args[0], args[1], args[2:2 + len(states)], args[2 + len(states):]
    out = reference(param, grad, *arrays, **dict(zip(hypers, values)))
    param[...] = out[0]
    for dst, new in zip(arrays, out[1:]):
        if dst is not None:
            dst[...] = new


def _example(reference, hyper, rng, dtype, n=1000):
    """Random parameters, gradients and states (positive where the update needs it) for every combination of the
    hyper-parameters' alternatives and of the optional (None-default) states present or absent."""
    states, hypers = signature(reference)
    optional = [p for p in states if p in _optional(reference)]
    axes = [v if isinstance(v, list) else [v] for v in (hyper[k] for k in hypers)]
    for present in itertools.product([True, False], repeat=len(optional)):
        for values in itertools.product(*axes):
            param, grad = (rng.standard_normal(n).astype(dtype) for _ in range(2))
            arrays = {}
            for name in states:
                if name in optional and not present[optional.index(name)]:
                    arrays[name] = None
                    continue
                a = rng.standard_normal(n).astype(dtype)
                arrays[name] = np.abs(a) + 1 if name in _POSITIVE else a
            if arrays.get("grad_avg") is not None:
                arrays["grad_avg"] *= 0.1  # keeps square_avg − grad_avg² positive
            if "prev" in arrays:
                arrays["prev"][::5] = 0
            yield (param, grad, *arrays.values(), *values), {"F": np.dtype(dtype).type}


def _optional(reference):
    return {p.name for p in inspect.signature(reference).parameters.values() if p.default is None}


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


@_fast(sgd_update, lr=0.1, momentum=0.9, dampening=[0.0, 0.2], weight_decay=[0.0, 0.1], nesterov=[False, True],
           maximize=[False, True], first=[False, True])
def _sgd(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay, nesterov, maximize, first):
    lr_, mom, damp, wd = F(lr), F(momentum), F(1 - dampening), F(weight_decay)
    for i in prange(param.size):
        g, p = _start(grad[i], param[i], maximize, weight_decay, False, wd, wd)
        if momentum_buffer is not None:
            b = g if first else mom * momentum_buffer[i] + damp * g
            momentum_buffer[i] = b
            g = g + mom * b if nesterov else b
        param[i] = p - lr_ * g


@_fast(adam_update, lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8, bias_correction1=0.271, bias_correction2_sqrt=0.0547,
           weight_decay=[0.0, 0.1], decoupled=[False, True], maximize=[False, True])
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


@_fast(adagrad_update, clr=0.01, eps=1e-10, weight_decay=[0.0, 0.1], maximize=[False, True])
def _adagrad(param, grad, sum, clr, eps, weight_decay, maximize):
    clr_, eps_, wd = F(clr), F(eps), F(weight_decay)
    for i in prange(param.size):
        g, p = _start(grad[i], param[i], maximize, weight_decay, False, wd, wd)
        s = sum[i] + g * g
        sum[i] = s
        param[i] = p - clr_ * (g / (np.sqrt(s) + eps_))


@_fast(rmsprop_update, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=[0.0, 0.1], momentum=0.9, maximize=[False, True])
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


@_fast(adadelta_update, lr=1.0, rho=0.9, eps=1e-6, weight_decay=[0.0, 0.1], maximize=[False, True])
def _adadelta(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay, maximize):
    lr_, r, r_, eps_, wd = F(lr), F(rho), F(1 - rho), F(eps), F(weight_decay)
    for i in prange(param.size):
        g, p = _start(grad[i], param[i], maximize, weight_decay, False, wd, wd)
        v = r * square_avg[i] + r_ * (g * g)
        square_avg[i] = v
        delta = np.sqrt(acc_delta[i] + eps_) / np.sqrt(v + eps_) * g
        acc_delta[i] = r * acc_delta[i] + r_ * (delta * delta)
        param[i] = p - lr_ * delta


@_fast(adamax_update, clr=0.02, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=[0.0, 0.1], maximize=[False, True])
def _adamax(param, grad, exp_avg, exp_inf, clr, beta1, beta2, eps, weight_decay, maximize):
    clr_, b1, b2, eps_, wd = F(clr), F(1 - beta1), F(beta2), F(eps), F(weight_decay)
    for i in prange(param.size):
        g, p = _start(grad[i], param[i], maximize, weight_decay, False, wd, wd)
        m = exp_avg[i] + b1 * (g - exp_avg[i])
        u = max(exp_inf[i] * b2, abs(g) + eps_)
        exp_avg[i] = m
        exp_inf[i] = u
        param[i] = p - clr_ * (m / u)


@_fast(nadam_update, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=[0.0, 0.1], decoupled=[False, True],
           bias_correction2=0.003, coef_grad=-0.02, coef_avg=-0.03, maximize=[False, True])
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


@_fast(radam_update, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=[0.0, 0.1], decoupled=[False, True],
           bias_correction1=0.41, bias_correction2=0.005, rect=[0.0, 0.3], maximize=[False, True])
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


@_fast(rprop_update, etaminus=0.5, etaplus=1.2, step_size_min=1e-6, step_size_max=0.05, maximize=[False, True])
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


@_fast(asgd_update, eta=0.01, mu=[1.0, 0.25], lambd=1e-4, weight_decay=[0.0, 0.1], maximize=[False, True])
def _asgd(param, grad, ax, eta, mu, lambd, weight_decay, maximize):
    decay, eta_, mu_, wd = F(1 - lambd * eta), F(eta), F(mu), F(weight_decay)
    for i in prange(param.size):
        g, p = _start(grad[i], param[i], maximize, weight_decay, False, wd, wd)
        p = p * decay - eta_ * g
        param[i] = p
        ax[i] = p if mu == 1 else ax[i] + (p - ax[i]) * mu_


@_fast(lion_update, lr=1e-3, beta1=0.9, beta2=0.99, weight_decay=[0.0, 0.1], maximize=[False, True])
def _lion(param, grad, exp_avg, lr, beta1, beta2, weight_decay, maximize):
    decay, lr_, b1, b1_, b2, b2_ = F(1 - lr * weight_decay), F(lr), F(beta1), F(1 - beta1), F(beta2), F(1 - beta2)
    for i in prange(param.size):
        g, p = _start(grad[i], param[i], maximize, weight_decay, True, decay, decay)
        param[i] = p - lr_ * np.sign(b1 * exp_avg[i] + b1_ * g)
        exp_avg[i] = b2 * exp_avg[i] + b2_ * g
