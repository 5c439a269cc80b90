"""Automatic differentiation: ``backward``, ``grad``, ``Function``, grad modes and ``gradcheck``."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _wrap
from .function import Function, FunctionCtx, Op, run_backward
from .._grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck


def _as_list(x):
    if x is None:
        return None
    return list(x) if isinstance(x, (tuple, list)) else [x]


def _root_grads(tensors, grad_tensors, create_graph=False):
    """One gradient per root (arrays; a given Tensor stays a Tensor under create_graph, so its graph is kept)."""
    grads = _as_list(grad_tensors) or [None] * len(tensors)
    if len(grads) != len(tensors):
        raise RuntimeError(f"got {len(grads)} gradients for {len(tensors)} tensors")
    out = []
    for t, g in zip(tensors, grads):
        if not t.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if t._data.dtype.kind != "f":
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {t.dtype}")
            g = np.ones(t._data.shape, dtype=t._data.dtype)
        else:
            keep = create_graph and isinstance(g, Tensor)
            g = g if keep else g._data if isinstance(g, Tensor) else np.asarray(g, dtype=t._data.dtype)
            if tuple(g.shape) != t._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[0] has a shape of {tuple(g.shape)} and output[0] has a shape "
                    f"of {tuple(t._data.shape)}."
                )
        out.append(g)
    return out


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves (``torch.autograd.backward``).

    With ``create_graph=True`` the backward pass is recorded (``function.py``): the ``.grad`` it sets can be
    differentiated again.
    """
    tensors = _as_list(tensors)
    grads = _root_grads(tensors, grad_tensors, create_graph)
    if create_graph:
        if inputs is not None:
            inputs = _as_list(inputs)
            got = run_backward(tensors, grads, capture=inputs, create_graph=True)
            for i, t in enumerate(inputs):
                if i in got:
                    t.grad = got[i] if t.grad is None else t.grad + got[i]
        else:
            run_backward(tensors, grads, create_graph=True)
        return
    if inputs is not None:
        inputs = _as_list(inputs)
        got = run_backward(tensors, grads, bool(retain_graph), capture=inputs)
        from .function import _accumulate_leaf

        for i, t in enumerate(inputs):
            if i in got:
                if t.grad_fn is None:
                    _accumulate_leaf(t, got[i])
                else:
                    t.grad = _wrap(got[i].copy()) if t.grad is None else _wrap(t.grad._data + got[i])
        return
    run_backward(tensors, grads, bool(retain_graph))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return d(outputs)/d(inputs) without touching ``.grad`` (``torch.autograd.grad``); with ``create_graph=True``
    the returned gradients carry a graph and can be differentiated again (``function.py``)."""
    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if create_graph:
        got = run_backward(outputs, _root_grads(outputs, grad_outputs, True), capture=inputs, create_graph=True)
    else:
        got = run_backward(outputs, _root_grads(outputs, grad_outputs), bool(retain_graph), capture=inputs)
    result = []
    for i, t in enumerate(inputs):
        if i in got:
            result.append(got[i] if create_graph else _wrap(np.array(got[i], copy=True)))
        elif materialize_grads:
            result.append(_wrap(np.zeros_like(t._data)))
        elif allow_unused:
            result.append(None)
        else:
            raise RuntimeError(
                "One of the differentiated Tensors appears to not have been used in the graph. "
                "Set allow_unused=True if this is the desired behavior."
            )
    return tuple(result)


__all__ = [
    "Function", "FunctionCtx", "Op", "backward", "grad", "gradcheck", "gradgradcheck", "GradcheckError", "no_grad", "enable_grad",
    "inference_mode", "set_grad_enabled", "is_grad_enabled",
]
