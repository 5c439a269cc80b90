"""``gradcheck`` and ``gradgradcheck``: analytic first and second derivatives against float64
central finite differences."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _wrap


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytic and numerical Jacobians disagree."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    return out if isinstance(out, (tuple, list)) else (out,)


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0, **kwargs):
    """Check ``func``'s gradients w.r.t. every input that requires grad against finite differences.

    J_num[i, j] = (f(x + ε·eⱼ)ᵢ − f(x − ε·eⱼ)ᵢ) / 2ε, compared with the Jacobian assembled from
    one backward pass per output element: |J_ana − J_num| ≤ atol + rtol·|J_num|.
    Inputs should be float64 (a float32 check is too coarse to mean anything).
    """
    from . import grad as autograd_grad

    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them have "
                         "requires_grad=True.")
    outs = _outputs(func, inputs)
    if not any(isinstance(o, Tensor) and o._data.dtype.kind == "f" for o in outs):
        if raise_exception:
            raise GradcheckError("gradcheck: no output of the function is a floating-point tensor, so no gradient "
                                 "was checked")
        return False
    for k, i in enumerate(diff):
        x = inputs[i]
        xd = x._data  # finite differences perturb the input's array in place (any memory layout)
        flat = np.empty(xd.size)
        for o_idx, out in enumerate(outs):
            if not isinstance(out, Tensor) or out._data.dtype.kind != "f":
                continue
            n_out = out._data.size
            num = np.zeros((n_out, flat.size))
            for j in range(flat.size):
                at = np.unravel_index(j, xd.shape)
                orig = xd[at]
                xd[at] = orig + eps
                plus = _outputs(func, inputs)[o_idx]._data.astype(np.float64).reshape(-1)
                xd[at] = orig - eps
                minus = _outputs(func, inputs)[o_idx]._data.astype(np.float64).reshape(-1)
                xd[at] = orig
                num[:, j] = (plus - minus) / (2 * eps)
            ana = np.zeros((n_out, flat.size))
            for r in range(n_out):
                out_r = _outputs(func, inputs)[o_idx]
                if not out_r.requires_grad:
                    break
                seed = np.zeros(out_r._data.shape, dtype=out_r._data.dtype)
                seed.reshape(-1)[r] = 1
                (g,) = autograd_grad(out_r, [x], grad_outputs=_wrap(seed), allow_unused=True)
                if g is not None:
                    ana[r] = g._data.reshape(-1)
            if not np.allclose(ana, num, atol=atol, rtol=rtol):
                if raise_exception:
                    raise GradcheckError(
                        f"Jacobian mismatch for output {o_idx} with respect to input {i},\n"
                        f"numerical:{num}\nanalytical:{ana}\n"
                    )
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0, **kwargs):
    """Check the second derivatives of ``func`` (torch's ``gradgradcheck``): :func:`gradcheck` of
    (inputs, v) -> ∂⟨func(inputs), v⟩/∂inputs, computed with ``create_graph=True``, w.r.t. the inputs
    and the vector ``v`` (``grad_outputs``; random float64 normal values when not given).
    """
    from . import grad as autograd_grad

    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    outs = [o for o in _outputs(func, inputs) if isinstance(o, Tensor) and o.requires_grad]
    if not outs:
        raise GradcheckError("gradgradcheck: no output of the function requires grad, so no gradient was checked")
    if grad_outputs is None:
        rng = np.random.default_rng(0x6AD6AD)  # fixed, and unlike the seeds tests draw their inputs from
        grad_outputs = [_wrap(rng.standard_normal(o._data.shape).astype(o._data.dtype)) for o in outs]
    grad_outputs = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
    for v in grad_outputs:
        v.requires_grad_(v._data.dtype.kind == "f")
    diff = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    n = len(inputs)

    def first_derivatives(*args):
        ins, vs = args[:n], args[n:]
        ys = [o for o in _outputs(func, ins) if isinstance(o, Tensor) and o.requires_grad]
        grads = autograd_grad(ys, [x for x in ins if isinstance(x, Tensor) and x.requires_grad], list(vs),
                              create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    if not diff:
        raise ValueError("gradgradcheck expects at least one input tensor to require gradient")
    return gradcheck(first_derivatives, (*inputs, *grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol)
