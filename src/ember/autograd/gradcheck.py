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


def _checked(out) -> bool:
    return isinstance(out, Tensor) and out._data.dtype.kind in "fc"


def _parts(out) -> tuple:
    """The grad_output seeds of one output element: 1 (its real part), and i (its imaginary part) when complex."""
    return (1, 1j) if out._data.dtype.kind == "c" else (1,)


def _as_real(a: np.ndarray) -> np.ndarray:
    """A real or complex array as one float64 vector: the real parts, then (if complex) the imaginary parts."""
    flat = a.reshape(-1)
    if a.dtype.kind != "c":
        return flat.astype(np.float64)
    return np.concatenate([flat.real, flat.imag]).astype(np.float64)


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0, **kwargs):
    """Check ``func``'s gradients w.r.t. every input that requires grad against finite differences.

    J_num[i, j] = (f(x + ε·eⱼ)ᵢ − f(x − ε·eⱼ)ᵢ) / 2ε, compared with the Jacobian assembled from
    one backward pass per output element: |J_ana − J_num| ≤ atol + rtol·|J_num|.
    Complex numbers count as pairs of reals, as torch's check does: each input's real and imaginary parts are
    perturbed separately, and an output element w is seeded with 1 (whose backward gives ∂Re w/∂x + i·∂Re w/∂y,
    torch's convention for z = x + iy) and with i (giving the same of Im w).
    Inputs should be float64 or complex128 (a float32 check is too coarse to mean anything).
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
    if not any(_checked(o) for o in outs):
        if raise_exception:
            raise GradcheckError("gradcheck: no output of the function is a floating-point tensor, so no gradient "
                                 "was checked")
        return False
    for i in diff:
        x = inputs[i]
        xd = x._data  # finite differences perturb the input's array in place (any memory layout)
        steps = (eps, 1j * eps) if xd.dtype.kind == "c" else (eps,)  # the real, then the imaginary part
        for o_idx, out in enumerate(outs):
            if not _checked(out):
                continue
            n_out = out._data.size
            num = np.zeros((len(_parts(out)) * n_out, len(steps) * xd.size))
            for j in range(xd.size):
                at = np.unravel_index(j, xd.shape)
                orig = xd[at]
                for s, step in enumerate(steps):
                    xd[at] = orig + step
                    plus = _as_real(_outputs(func, inputs)[o_idx]._data)
                    xd[at] = orig - step
                    minus = _as_real(_outputs(func, inputs)[o_idx]._data)
                    xd[at] = orig
                    num[:, s * xd.size + j] = (plus - minus) / (2 * eps)
            ana = np.zeros_like(num)
            for p, part in enumerate(_parts(out)):
                for r in range(n_out):
                    out_r = _outputs(func, inputs)[o_idx]
                    if not out_r.requires_grad:
                        break
                    seed = np.zeros(out_r._data.shape, dtype=out_r._data.dtype)
                    seed.reshape(-1)[r] = part
                    (g,) = autograd_grad(out_r, [x], grad_outputs=_wrap(seed), allow_unused=True)
                    if g is not None:
                        ana[p * n_out + r] = _as_real(g._data)
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
