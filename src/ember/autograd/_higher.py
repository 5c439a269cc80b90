"""``create_graph=True``: a backward pass recorded as ember ops, so that its gradients can be differentiated again.

The ordinary backward (``function.run_backward``) works on arrays and records nothing. With ``create_graph`` the
engine below walks the same graph, but each node's vector-Jacobian product is computed by the node's entry in
``VJPS``: the op's gradient formula stated once more with differentiable ember ops on Tensors, reading the node's
input *tensors* (values such as tanh(x) are recomputed from them, not taken from the arrays saved at forward), so
the returned gradients carry a graph of their own. Gradient penalties (‖∂D/∂x‖), Hessian-vector products and
MAML-style inner steps are built from these ops.

Supported ops: add, sub, mul, div, neg, pow (by a constant), exp, expm1, log, log1p, sqrt, rsqrt, reciprocal, abs,
sin, cos, clamp, where, type casts, clone, sigmoid, tanh, relu, leaky_relu, elu, gelu (exact and tanh), silu,
softplus, hardtanh, dropout, softmax, log_softmax, sum, mean, var/std, logsumexp, reshape/view/flatten,
permute/transpose, expand, cat, stack, basic indexing (and its recorded item assignment), matmul (≥ 2-d operands),
linear, conv1d/conv2d (groups=1), max_pool1d/2d, batch_norm/layer_norm/group_norm, and the losses mse_loss, nll_loss
and cross_entropy (class-index targets, with weight, ignore_index and label_smoothing). A graph that holds any other
op raises a RuntimeError naming it.
"""
from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor, _wrap
from . import _versions
from .function import _FREED_MSG, Op, dependencies
from .grad_mode import enable_grad
from .ops import conv as C, elementwise as E, indexing as I, linalg as L, loss as LS, nn as N, reduction as R
from .ops import shape as S

VJPS: dict = {}  # Op class -> vjp(node, g) -> one Tensor (or None) per input; ops defined outside autograd
# (nn/_functional/normalization.py) give theirs as a ``vjp`` static method instead


def _vjp(*op_classes):
    def register(fn):
        for cls in op_classes:
            VJPS[cls] = fn
        return fn

    return register


def _const(array, like: Tensor) -> Tensor:
    return _wrap(np.asarray(array, dtype=like._data.dtype))


@_vjp(E.Add)
def _add(node, g):
    return g, g


@_vjp(E.Sub)
def _sub(node, g):
    return g, -g


@_vjp(E.Mul)
def _mul(node, g):
    a, b = node.inputs
    return g * b, g * a


@_vjp(E.Div)
def _div(node, g):
    a, b = node.inputs
    return g / b, -g * a / (b * b)


@_vjp(E.Neg)
def _neg(node, g):
    return (-g,)


@_vjp(E.PowScalar)
def _pow_scalar(node, g):
    (a,), e = node.inputs, node.e
    if e == 0:
        return (g * 0,)
    return (g * e * a ** (e - 1),)


@_vjp(E.Exp)
def _exp(node, g):
    return (g * node.inputs[0].exp(),)


@_vjp(E.Log)
def _log(node, g):
    return (g / node.inputs[0],)


@_vjp(E.Sqrt)
def _sqrt(node, g):
    return (g / (node.inputs[0].sqrt() * 2),)


@_vjp(E.Sigmoid)
def _sigmoid(node, g):
    s = node.inputs[0].sigmoid()
    return (g * s * (1 - s),)


@_vjp(E.Tanh)
def _tanh(node, g):
    t = node.inputs[0].tanh()
    return (g * (1 - t * t),)


@_vjp(E.Relu)
def _relu(node, g):
    a = node.inputs[0]
    return (g * _const(a._data > 0, a),)  # the mask is piecewise constant: its own derivative is 0


@_vjp(N.LeakyRelu)
def _leaky_relu(node, g):
    a = node.inputs[0]
    return (g * _const(np.where(a._data > 0, 1.0, node.slope), a),)


def _unreduce(node, g):
    """``g`` with the reduced axes of a sum/mean put back (as size 1), expanded to the input's shape."""
    shape = node.shape
    reduced = range(len(shape)) if node.axes is None else {a % len(shape) for a in node.axes}
    if node.axes is None or not node.keepdim:
        g = g.reshape(tuple(1 if i in reduced else n for i, n in enumerate(shape)))
    return g.expand(*shape)


@_vjp(E.Log1p)
def _log1p(node, g):
    return (g / (node.inputs[0] + 1),)


@_vjp(E.Expm1)
def _expm1(node, g):
    return (g * node.inputs[0].exp(),)


@_vjp(E.Rsqrt)
def _rsqrt(node, g):
    return (g * -0.5 * node.inputs[0] ** -1.5,)


@_vjp(E.Reciprocal)
def _reciprocal(node, g):
    a = node.inputs[0]
    return (-g / (a * a),)


@_vjp(E.Abs)
def _abs(node, g):
    a = node.inputs[0]
    return (g * _const(np.sign(a._data), a),)


@_vjp(E.Sin)
def _sin(node, g):
    return (g * node.inputs[0].cos(),)


@_vjp(E.Cos)
def _cos(node, g):
    return (-g * node.inputs[0].sin(),)


@_vjp(E.Clamp)
def _clamp(node, g):
    a = node.inputs[0]._data
    inside = np.ones(a.shape, bool)
    if node.lo is not None:
        inside &= a >= node.lo
    if node.hi is not None:
        inside &= a <= node.hi
    return (g * _const(inside, g),)


@_vjp(E.Where)
def _where(node, g):
    return g * _const(node.cond, g), g * _const(~np.asarray(node.cond), g)


@_vjp(E.Cast)
def _cast(node, g):
    return (g.to(node.inputs[0].dtype),)


@_vjp(E.Clone)
def _clone(node, g):
    return (g,)


@_vjp(N.Softmax)
def _softmax(node, g):
    s = node.inputs[0].softmax(node.axis)
    return (s * (g - (g * s).sum(node.axis, keepdim=True)),)


@_vjp(N.LogSoftmax)
def _log_softmax(node, g):
    return (g - node.inputs[0].softmax(node.axis) * g.sum(node.axis, keepdim=True),)


@_vjp(N.Silu)
def _silu(node, g):
    a = node.inputs[0]
    s = a.sigmoid()
    return (g * (s + a * s * (1 - s)),)


@_vjp(N.Elu)
def _elu(node, g):
    a = node.inputs[0]
    positive = _const(a._data > 0, a)
    return (g * (positive + (1 - positive) * node.alpha * a.clamp(max=0).exp()),)


class _NormalCdf(Op):
    """Φ(x) = (1 + erf(x/√2))/2 with dΦ/dx = φ(x) = e^(−x²/2)/√(2π): the GELU derivative's building block."""

    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return (0.5 * (1 + N._erf(a / math.sqrt(2)))).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return g * (np.exp(-0.5 * ctx.a * ctx.a) / math.sqrt(2 * math.pi)).astype(g.dtype, copy=False)


@_vjp(N.Gelu)
def _gelu(node, g):
    """exact: GELU' = Φ(x) + x·φ(x);  tanh: 0.5(1 + t) + 0.5x(1 − t²)·k(1 + 3c·x²), t = tanh(k(x + c·x³))."""
    x = node.inputs[0]
    if node.tanh:
        k, c = math.sqrt(2 / math.pi), 0.044715
        t = ((x + x ** 3 * c) * k).tanh()
        return (g * ((1 + t) * 0.5 + x * (1 - t * t) * (0.5 * k) * (1 + x * x * (3 * c))),)
    pdf = (x * x * -0.5).exp() * (1 / math.sqrt(2 * math.pi))
    return (g * (_NormalCdf.apply(x) + x * pdf),)


@_vjp(N.MulMask)
def _mul_mask(node, g):
    return (g * _const(node.mask, g),)


@_vjp(N.Hardtanh)
def _hardtanh(node, g):
    a = node.inputs[0]._data
    return (g * _const((a > node.lo) & (a < node.hi), g),)


@_vjp(N.Softplus)
def _softplus(node, g):
    x = node.inputs[0]
    linear = _const(node.z > node.threshold, g)
    return (g * (linear + (1 - linear) * (x * node.beta).sigmoid()),)


@_vjp(R.Var)
def _var(node, g):
    x = node.inputs[0]
    return (_unreduce(node, g) * (x - x.mean(node.axes, keepdim=True)) * (2 / node.denom),)


@_vjp(R.LogSumExp)
def _logsumexp(node, g):
    x = node.inputs[0]
    axes = tuple(range(x.dim())) if node.axes is None else node.axes
    return (_unreduce(node, g) * (x - x.logsumexp(axes, keepdim=True)).exp(),)


@_vjp(LS.NLL)
def _nll(node, g):
    """Linear in x: ∂ℓᵢ/∂x[i, c] = −w[tᵢ]·[c = tᵢ], times g (per row for 'none', over Σ w[tᵢ] for 'mean')."""
    n_classes = node.shape[1]
    onehot = np.moveaxis(np.eye(n_classes, dtype=node.dtype)[node.t], -1, 1)
    grad = _const(-np.expand_dims(node.wt, 1) * onehot, g)
    if node.reduction == "none":
        return (grad * g.unsqueeze(1),)
    return (grad * (g / float(node.denom)) if node.reduction == "mean" else grad * g,)


@_vjp(S.Cat)
def _cat(node, g):
    axis = node.axis % g.dim()
    starts = (0, *(int(b) for b in node.bounds))
    ends = (*(int(b) for b in node.bounds), g.shape[axis])
    return tuple(g[(slice(None),) * axis + (slice(a, b),)] for a, b in zip(starts, ends))


@_vjp(S.Stack)
def _stack(node, g):
    return tuple(g.unbind(node.axis))


@_vjp(R.Sum)
def _sum(node, g):
    return (_unreduce(node, g),)


@_vjp(R.Mean)
def _mean(node, g):
    return (_unreduce(node, g) / (node.n or 1),)


@_vjp(S.Reshape)
def _reshape(node, g):
    return (g.reshape(node.shape),)


@_vjp(S.Permute)
def _permute(node, g):
    return (g.permute(*node.inv),)


@_vjp(S.Expand)
def _expand(node, g):
    return (g,)  # the engine sums over the expanded dimensions


@_vjp(L.MatMul)
def _matmul(node, g):
    a, b = node.inputs
    if a.dim() < 2 or b.dim() < 2:
        raise RuntimeError("create_graph=True: ember differentiates matmul twice only for operands of 2 or more dims")
    return g @ b.transpose(-1, -2), a.transpose(-1, -2) @ g


@_vjp(L.Linear)
def _linear(node, g):
    x, w = node.inputs[0], node.inputs[1]
    g2, x2 = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
    grads = (g @ w, g2.t() @ x2)
    return grads + (g2.sum(0),) if len(node.inputs) > 2 else grads


@_vjp(I.GetItem)
def _getitem(node, g):
    if not node.basic:
        raise RuntimeError("create_graph=True: ember differentiates indexing twice only for basic indices (ints, "
                           "slices, None, ...), not for index arrays or masks")
    return (I.IndexPut.apply(_const(np.zeros(node.shape), g), g, idx=node.idx),)


@_vjp(I.IndexPut)
def _index_put(node, g):
    return (I.IndexPut.apply(g, _const(np.zeros(node.vshape), g), idx=node.idx),
            I.GetItem.apply(g, idx=node.idx, basic=True))


@_vjp(C.Conv2d)
def _conv2d(node, g):
    """dx = the transposed convolution of g (cropped to the input), dW = the correlation of the padded input with g
    (batch as the summed axis: stride and dilation swap roles), db = Σ g."""
    stride, pads, dilation, groups = node.opts
    if groups != 1:
        raise RuntimeError("create_graph=True: ember differentiates conv2d twice only for groups=1")
    from ..nn.functional import pad

    x, w = node.inputs[0], node.inputs[1]
    (n, c, h, wd), (o, _, kh, kw), (ho, wo) = x.shape, w.shape, g.shape[2:]
    hp, wp = h + pads[0] + pads[1], wd + pads[2] + pads[3]
    full = [(m - 1) * s + d * (k - 1) + 1 for m, s, d, k in zip((ho, wo), stride, dilation, (kh, kw))]
    dxp = C.ConvTranspose2d.apply(g, w, stride=stride, padding=(0, 0), output_padding=(hp - full[0], wp - full[1]),
                                  dilation=dilation, groups=1)
    dx = dxp[:, :, pads[0]:pads[0] + h, pads[2]:pads[2] + wd]
    xp = pad(x, (pads[2], pads[3], pads[0], pads[1])) if any(pads) else x
    dw = C.Conv2d.apply(xp.transpose(0, 1), g.transpose(0, 1), stride=dilation, pads=(0, 0, 0, 0), dilation=stride,
                        groups=1)[:, :, :kh, :kw].transpose(0, 1)
    return (dx, dw, g.sum((0, 2, 3))) if len(node.inputs) > 2 else (dx, dw)


@_vjp(C.MaxPool2d)
def _max_pool2d(node, g):
    """dx = g scattered to each window's winner (linear in g; the winners stay where they are)."""
    kernel, stride, dilation, out_hw = node.opts
    x = node.inputs[0]
    arg = node.arg
    if arg is None:  # the NumPy path found the winners in its backward: find them now
        arg = C._first_max_offsets(x._data, node.xp, node.pads, kernel, stride, dilation, out_hw, node.m)
    padding = (node.pads[0], node.pads[2])
    flat = C.max_indices(np.asarray(arg), x.shape[2:], kernel, stride, padding, dilation)
    n, c, h, wd = x.shape
    plane = _const(np.zeros((n * c, h * wd)), g)
    dx = plane.scatter_add(1, _wrap(flat.reshape(n * c, -1).astype(np.int64)), g.reshape(n * c, -1))
    return (dx.reshape(n, c, h, wd),)


@_vjp(LS.MSE)
def _mse(node, g):
    x, y = node.inputs
    gx = (x - y) * 2 * g
    if node.reduction == "mean":
        gx = gx / x.numel()
    return gx, -gx


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


def _fit(g: Tensor, like: Tensor) -> Tensor:
    """Sum ``g`` over the dimensions broadcasting added or expanded, as ``function._fit`` does for arrays."""
    shape = like._data.shape
    if g._data.shape == shape and g._data.dtype == like._data.dtype:
        return g
    extra = g.dim() - len(shape)
    if extra:
        g = g.sum(tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axes, keepdim=True)
    if tuple(g.shape) != shape:
        g = g.expand(*shape)
    return g.to(like.dtype) if g.dtype != like.dtype else g


def run_backward_graph(roots, root_grads, capture=None):
    """``function.run_backward`` with ``create_graph=True``: gradients are Tensors with graphs of their own.

    Without ``capture`` they are added to the leaves' ``.grad``; with it (``autograd.grad``), the gradients reaching
    the captured tensors are returned by position. Saved arrays are not freed (torch keeps the graph as well).
    """
    cap_leaf = {id(t): i for i, t in enumerate(capture or ()) if t.grad_fn is None}
    cap_node = {t.grad_fn: i for i, t in enumerate(capture or ()) if t.grad_fn is not None}
    captured: dict = {}
    deps = dependencies(roots)
    buf: dict = {}

    def add(store, key, g):
        store[key] = g if key not in store else store[key] + g

    def to_leaf(t, g):
        if t.grad_fn is not None:
            return
        if capture is not None:
            if id(t) in cap_leaf:
                add(captured, cap_leaf[id(t)], g)
            return
        for hook in t._hooks or ():
            out = hook(g)
            g = out if out is not None else g
        t.grad = g if t.grad is None else t.grad + g

    with enable_grad():
        for t, g in zip(roots, root_grads):
            if t.requires_grad:
                g = _fit(_wrap(g) if not isinstance(g, Tensor) else g, t)
                if t.grad_fn is None:
                    to_leaf(t, g)
                else:
                    add(buf, t.grad_fn, g)
        ready = [fn for fn, n in deps.items() if n == 0]
        while ready:
            node = ready.pop()
            g = buf.pop(node, None)
            inputs, fns = node.inputs, node.fns
            grads = (None,) * len(inputs)
            if g is not None:
                if node._freed:
                    raise RuntimeError(_FREED_MSG)
                vjp = VJPS.get(type(node)) or getattr(type(node), "vjp", None)  # (ops outside autograd: a method)
                if vjp is None:
                    raise RuntimeError(
                        f"create_graph=True: ember cannot differentiate the backward of {node.name()} again (the ops "
                        "with a double backward are listed in ember/autograd/_higher.py)"
                    )
                if node._clock != _versions.clock:
                    _versions.check(node)
                for hook in node._hooks or ():
                    out = hook(g)
                    g = out if out is not None else g
                owner = node._retained() if node._retained is not None else None  # retain_grad()
                if owner is not None:
                    owner.grad = g if owner.grad is None else owner.grad + g
                if node in cap_node:
                    add(captured, cap_node[node], g)
                grads = tuple(vjp(node, g)) + (None,) * len(inputs)
            for t, fn, gi in zip(inputs, fns, grads):
                if gi is not None and t.requires_grad:
                    gi = _fit(gi, t)
                    if fn is not None:
                        add(buf, fn, gi)
                    else:
                        to_leaf(t, gi)
                if fn is not None:
                    deps[fn] -= 1
                    if deps[fn] == 0:
                        ready.append(fn)
    return captured


# ---- fused ops with a ``composite`` (seq, issue 13): double backward by differentiating the composite. ----------
# Interim: the core's engine (issue 12) differentiates ``Op.composite`` itself; drop this block when it lands.
def _composite_vjp(node, g):
    """The node's vector-Jacobian product as a graph: ``composite`` recomputed from the node's input tensors and
    differentiated with create_graph (``g`` enters as a Tensor root gradient, so its own graph is kept)."""
    inputs = node.inputs
    wanted = [t for t in inputs if t.requires_grad]
    with enable_grad():
        out = type(node).composite(*inputs, **node.options)
        got = run_backward_graph([out], [g], capture=wanted)
    grads = iter(got.get(i) for i in range(len(wanted)))
    return tuple(next(grads) if t.requires_grad else None for t in inputs)


from .ops import rnn as _rnn  # noqa: E402

VJPS[_rnn.Recurrence] = _composite_vjp
# ---- end of the fused-op block --------------------------------------------------------------------------------
