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
