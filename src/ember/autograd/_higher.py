"""The second formulas that remain: ``create_graph=True`` for the ops whose ``backward`` is not yet
written against ``xp_of(g)`` (``ops/_xp.py``).

Each entry of ``VJPS`` (``function.GRAPH_VJPS``) states an op's vector-Jacobian product a second
time, with differentiable ember ops on Tensors, reading the node's input *tensors*. Every op
converted to the one-formula form loses its entry here; the ops
left are listed in ``tests/autograd/test_every_op.py`` (``SECOND_FORMULA``), and this module goes
away when that list is empty (issue #12).
"""
from __future__ import annotations


import numpy as np

from ..tensor import Tensor, _wrap
from .function import GRAPH_VJPS, run_backward
from .grad_mode import enable_grad
from .ops import conv as C, loss as LS

VJPS = GRAPH_VJPS  # Op class -> vjp(node, g) -> one Tensor (or None) per input; ops defined outside autograd
# (nn/_functional/normalization.py) give theirs as a ``vjp`` static method instead


def _vjp(*op_classes):
    def register(fn):
        for cls in op_classes:
            VJPS[cls] = fn
        return fn

    return register


def _const(array, like: Tensor) -> Tensor:
    return _wrap(np.asarray(array, dtype=like._data.dtype))


def _unreduce(node, g):
    """``g`` with the reduced axes of a sum/mean put back (as size 1), expanded to the input's shape."""
    shape = node.shape
    reduced = range(len(shape)) if node.axes is None else {a % len(shape) for a in node.axes}
    if node.axes is None or not node.keepdim:
        g = g.reshape(tuple(1 if i in reduced else n for i, n in enumerate(shape)))
    return g.expand(*shape)


@_vjp(LS.CrossEntropy)
def _cross_entropy(node, g):
    """∂ℓᵢ/∂x = ((1 − ε)·w[tᵢ] + (ε/C)·Σ_c w_c)·softmax(x) − (1 − ε)·w[tᵢ]·onehot(tᵢ) − (ε/C)·w, times g (per row
    for 'none', divided by Σ w[tᵢ] for 'mean'); class-index targets (probability targets take another op)."""
    x = node.inputs[0]
    target, weight, ignore_index, eps, reduction = node.options
    n_classes, ndim, dtype = x.shape[1], x.dim(), x._data.dtype
    t, valid = LS.class_targets(target, n_classes, ignore_index)
    wt = LS.target_weights(t, valid, weight, dtype)  # w[tᵢ], 0 where ignored
    w = np.ones(n_classes, dtype) if weight is None else weight.astype(dtype)
    rows = np.expand_dims(wt, 1)  # (N, 1, d...)
    onehot = np.moveaxis(np.eye(n_classes, dtype=dtype)[t], -1, 1)
    keep = np.ones_like(rows) if valid is None else np.expand_dims(valid, 1).astype(dtype)
    coef = (1 - eps) * rows + (eps / n_classes) * w.sum() * keep
    const = (1 - eps) * rows * onehot + (eps / n_classes) * LS._class_axis_view(w, ndim) * keep
    grad = x.softmax(1) * _const(coef, x) - _const(const, x)
    if reduction == "none":
        return (grad * g.unsqueeze(1),)
    if reduction == "mean":
        g = g / float(wt.sum())
    return (grad * g,)


# ---- fused ops with a ``composite`` (seq, issue 13): double backward by differentiating the composite. ----------
# Interim: the core's engine (issue 12) differentiates ``Op.composite`` itself; drop this block when it lands.
def _composite_vjp(node, g):
    """The node's vector-Jacobian product as a graph: ``composite`` recomputed from the node's input tensors and
    differentiated with create_graph (``g`` enters as a Tensor root gradient, so its own graph is kept)."""
    inputs = node.inputs
    wanted = [t for t in inputs if t.requires_grad]
    with enable_grad():
        out = type(node).composite(*inputs, **node.options)
        got = run_backward([out], [g], capture=wanted, create_graph=True)
    grads = iter(got.get(i) for i in range(len(wanted)))
    return tuple(next(grads) if t.requires_grad else None for t in inputs)


from .ops import rnn as _rnn  # noqa: E402

VJPS[_rnn.Recurrence] = _composite_vjp
# ---- end of the fused-op block --------------------------------------------------------------------------------
