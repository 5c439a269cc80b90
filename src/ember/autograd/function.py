"""The autograd graph: ``Op`` (a differentiable primitive on arrays), the backward engine,
and the public torch-style ``Function``.

A result that needs a gradient holds its ``Op`` instance as ``grad_fn``. The instance is
also the ``ctx`` of the op: ``forward`` stores on it what ``backward`` needs, and it keeps
``inputs``, the tensors the op read. ``backward`` walks the graph from the roots in
reverse topological order (Kahn's algorithm over the nodes reachable from the roots),
sums the gradients that reach each node, undoes broadcasting once (``_fit``), and
accumulates into the leaves' ``.grad``.

First order, the sum at a node is taken in place when its array is one only the engine holds
(an op's fresh result, told apart by its reference count, as a leaf's ``.grad`` is adopted). An op
whose gradient covers a part of its input (``GetItem``: split, chunk, the q/k/v slices of one
projection) may then add its gradient into that array (``Op.backward_into``) instead of scattering it
into zeros that the sum reads once more.

One engine serves both orders. First order, gradients are arrays, each node's ``backward``
runs on its saved arrays and nothing is recorded. With ``create_graph=True`` gradients are
Tensors and the same ``backward`` formula runs on :class:`_GraphCtx`, the node's saved values
as Tensors (``ops/_xp.py`` explains how one formula reads both), with recording on, so the
gradients carry a graph and can be differentiated again. A fused op that gives its forward a second time
as a ``composite`` of primitives is differentiated through it (``_composite_vjp``), and a user ``Function``
runs its own ``backward`` on Tensors.
"""
from __future__ import annotations

import sys
from typing import Any, Callable

import numpy as np

from ..tensor import Tensor, _wrap, _make
from . import _versions
from .. import _quiet
from .._grad_mode import _state, enable_grad, no_grad

_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if "
    "you need to access saved tensors after calling backward."
)


class Op:
    """A differentiable primitive: ``forward(ctx, *arrays, **options) -> array`` and
    ``backward(ctx, grad) -> one gradient array (or None) per tensor input``.

    ``Op.apply(*tensors, **options)`` runs ``forward`` on the tensors' arrays and, when
    gradients are being recorded and some input requires one, returns a tensor whose
    ``grad_fn`` is the op instance.

    ``forward`` (in ``apply``) and ``backward`` (in ``run_backward``) run under NumPy's "ignore"
    error state, so inf·0, 0/0 and overflow give NaN or inf without a warning, as in torch: an op
    needs no ``np.errstate`` of its own.
    """

    _freed = False
    once_differentiable = False  # True: ``backward`` reads only arrays (ops/_xp.py), so create_graph raises
    composite: Callable[..., Any] | None = None  # a fused op may give its forward as differentiable primitives:
    # create_graph differentiates it
    backward_into: Callable[..., Any] | None = None  # an op of one input whose gradient is sparse in it (x[idx])
    # may add it into an accumulator the engine already holds for that input: ``backward_into(ctx, g, acc)``
    inputs: tuple  # the tensors the op was applied to (set when it is recorded)
    options: dict  # a composite op's keyword options, which its forward saves for ``composite``
    _rid = 0  # id() of the output array, to recognise it among the saved arrays under create_graph
    _clock = 0  # _versions.clock when the node was recorded
    _hooks = None  # gradient hooks of the (non-leaf) tensor this node produced
    _retained = None  # weakref to that tensor when it called retain_grad()

    @classmethod
    def apply(cls, *tensors, **options):
        ctx = object.__new__(cls)
        n = len(tensors)
        quiet = _quiet.enter()  # inf·0, inf−inf, overflow: NaN or inf without NumPy's warning, as torch
        try:
            if n == 1:
                out = cls.forward(ctx, tensors[0]._data, **options)
            elif n == 2:
                out = cls.forward(ctx, tensors[0]._data, tensors[1]._data, **options)
            else:
                out = cls.forward(ctx, *[t._data for t in tensors], **options)
        finally:
            _quiet.leave(quiet)
        if _state.enabled:
            for t in tensors:
                if t.requires_grad:
                    ctx.inputs = tensors
                    ctx.fns = [u.grad_fn for u in tensors]  # history at record time (in-place ops rebind later)
                    ctx._clock = _versions.clock  # for the check of saved arrays changed in place (_versions)
                    ctx._rid = id(out)
                    return _make(out, ctx)
        return _wrap(out)

    @staticmethod
    def forward(ctx, *arrays, **options):
        raise NotImplementedError  # abstract: every subclass defines it

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError  # abstract: every subclass defines it

    def _run(self, grad):
        out = self.backward(self, grad)
        return out if type(out) is tuple else (out,)

    def _free(self):
        """Drop the arrays saved for backward (torch frees saved tensors, keeps sizes and options); a later
        backward through this node then fails like torch's."""
        d = self.__dict__
        saved = [k for k, v in d.items() if type(v) is np.ndarray]
        if saved:
            for k in saved:
                del d[k]
            d["_freed"] = True

    def name(self) -> str:
        return type(self).__name__ + "Backward0"

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self):
        return tuple((fn, 0) for fn in self.__dict__.get("fns", ()))


_getrefcount = sys.getrefcount
_FRESH_REFS = 4  # `grads`, `gi`, `fg` and getrefcount's own argument


def _fit(grad, like: np.ndarray) -> np.ndarray:
    """Sum ``grad`` over the dimensions that broadcasting added or expanded, and cast it to ``like``'s dtype."""
    shape = like.shape
    if grad.shape != shape:
        with np.errstate(invalid="ignore", over="ignore"):  # inf + (−inf) is nan, without a warning (as torch)
            extra = grad.ndim - len(shape)
            if extra:
                grad = grad.sum(axis=tuple(range(extra)))
            axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
            if axes:
                grad = grad.sum(axis=axes, keepdims=True)
        if grad.shape != shape:
            grad = np.broadcast_to(grad, shape)
    if grad.dtype != like.dtype:
        if grad.dtype.kind == "c" and like.dtype.kind != "c":  # a real input's gradient is the real part (torch)
            grad = grad.real
        grad = grad.astype(like.dtype)
    return grad if type(grad) is np.ndarray else np.asarray(grad)  # (a sum to shape () is a NumPy scalar)


class _PostAccumulate:
    """A private leaf hook in ``Tensor._hooks``: ``fn(tensor)`` runs after each accumulation into the leaf's ``.grad``
    (once per graph edge reaching the leaf; DistributedDataParallel counts the edges to know when a gradient is
    complete). Not torch's ``register_post_accumulate_grad_hook``, which runs once per backward."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, grad):  # as a pre-accumulation hook (create_graph's engine) it does nothing
        return None


_callbacks: list = []  # queued during a backward, run once when it finishes


def queue_callback(fn) -> None:
    """Run ``fn()`` when the backward now running has finished (torch's ``Engine.queue_callback``)."""
    _callbacks.append(fn)


def _apply_hooks(hooks, grad):
    for h in hooks:
        if type(h) is _PostAccumulate:
            continue
        r = h(_wrap(grad))
        if r is not None:
            grad = r._data
    return grad


def _accumulate_leaf(t: Tensor, g: np.ndarray, owned: bool = False) -> None:
    """Add ``g`` into ``t.grad``. ``owned``: nothing else references ``g``, so it may become ``t.grad`` uncopied."""
    hooks = t._hooks
    if hooks:
        g = _apply_hooks(hooks, g)
        owned = False
    if t.grad is None:
        view = t._grad_view
        if view is not None:
            np.copyto(view, g)
            t.grad = _wrap(view)
        else:
            t.grad = _wrap(g if owned else np.array(g, copy=True))
    else:
        gd = t.grad._data
        if gd.flags.writeable and gd.shape == g.shape:
            gd += g
        else:
            t.grad = _wrap(gd + g)
    if hooks:
        for h in hooks:
            if type(h) is _PostAccumulate:
                h.fn(t)


def dependencies(roots) -> dict:
    """For every node reachable from the tensors ``roots``, how many edges lead into it (Kahn's in-degrees)."""
    deps: dict = {}
    stack = []
    for t in roots:
        fn = t.grad_fn
        if fn is not None and fn not in deps:
            deps[fn] = 0
            stack.append(fn)
    while stack:
        node = stack.pop()
        if node._freed:
            raise RuntimeError(_FREED_MSG)
        for fn in node.fns:
            if fn is not None:
                if fn in deps:
                    deps[fn] += 1
                else:
                    deps[fn] = 1
                    stack.append(fn)
    return deps


def _leading_to(deps: dict, cap_node: dict, cap_leaf: dict) -> set:
    """The nodes of ``deps`` (``dependencies``) with a captured node or leaf strictly below them: the only ones
    whose backward ``autograd.grad`` needs to run."""
    left, order, ready = dict(deps), [], [fn for fn, n in deps.items() if n == 0]
    while ready:  # roots to leaves (Kahn's order), then walked back
        node = ready.pop()
        order.append(node)
        for fn in node.fns:
            if fn is not None:
                left[fn] -= 1
                if left[fn] == 0:
                    ready.append(fn)
    below: set = set()
    for node in reversed(order):
        if any(fn is not None and (fn in cap_node or fn in below) for fn in node.fns) or any(
                fn is None and id(t) in cap_leaf for t, fn in zip(node.inputs, node.fns)):
            below.add(node)
    return below


def _fit_graph(g: Tensor, like: Tensor) -> Tensor:
    """:func:`_fit` for a Tensor gradient, recorded (create_graph)."""
    shape = like._data.shape
    if g._data.shape != shape:
        extra = g.dim() - len(shape)
        if extra:
            g = g.sum(tuple(range(extra)))
        axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
        if axes:
            g = g.sum(axes, keepdim=True)
        if tuple(g.shape) != shape:
            g = g.expand(*shape)
    if g._data.dtype.kind == "c" and like._data.dtype.kind != "c":  # a real input's gradient is the real part
        g = g.real
    return g.to(like.dtype) if g._data.dtype != like._data.dtype else g


class _GraphCtx:
    """A node's saved values as Tensors, for its ``backward`` under create_graph: an array that is
    one of the node's inputs is that input Tensor; the output array is a Tensor made by the node
    (so the gradient flows through the node again); any other saved float array is a constant
    Tensor (piecewise-constant values: an op that saves anything else differentiable must
    recompute it from its inputs or outputs), and integer and bool arrays (indices, masks) stay
    arrays; in a saved tuple, the input arrays become the input Tensors. Other attributes are
    the node's own."""

    def __init__(self, node: "Op"):
        by_id = {id(t._data): t for t in node.inputs}
        rid = node._rid
        d = self.__dict__
        for k, v in node.__dict__.items():
            if isinstance(v, (np.ndarray, np.generic)):  # (a 0-d result may be a NumPy scalar)
                t = by_id.get(id(v))
                if t is not None:
                    v = t
                elif id(v) == rid:
                    v = _make(np.asarray(v), node)
                elif v.dtype.kind in "fc":  # integer and bool arrays (indices, masks) stay arrays
                    v = _wrap(np.asarray(v))
            elif type(v) is tuple and any(id(a) in by_id for a in v):  # (the operands of a variadic op)
                v = tuple(by_id.get(id(a), a) for a in v)
            d[k] = v


def _graph_vjp(node: "Op", g: Tensor) -> tuple:
    """One node's gradients as Tensors that carry a graph (create_graph)."""
    cls = type(node)
    if isinstance(node, _FunctionNode):  # a user Function: its own backward on Tensors
        return tuple(node.vjp(g))
    if cls.composite is not None:
        return _composite_vjp(node, g)
    if cls.once_differentiable:
        raise RuntimeError(f"create_graph=True: ember cannot differentiate the backward of {node.name()} again")
    out = cls.backward(_GraphCtx(node), g)
    out = out if type(out) is tuple else (out,)
    for o in out:
        if o is not None and not isinstance(o, Tensor):
            raise RuntimeError(f"{node.name()}: backward returned an array under create_graph; its formula "
                               "must use xp_of(g) (autograd/ops/_xp.py)")
    return out


def _composite_vjp(node: Op, g: Tensor) -> tuple:
    """A fused op with a ``composite`` (its forward as differentiable primitives, e.g. ``ops/rnn.Recurrence``):
    ``composite`` recomputed from the node's input tensors and differentiated with create_graph (``g`` enters as a
    Tensor root gradient, so its own graph is kept)."""
    composite = type(node).composite
    assert composite is not None
    # each input enters through an alias, so that the gradients are partial ones: an input that is computed from
    # another (scatter_reduce(x, 0, i, x * y)) gets no second share through it, and the pruned engine stops there
    inputs = [t.view_as(t) if t.requires_grad else t for t in node.inputs]
    wanted = [t for t in inputs if t.requires_grad]
    got = run_backward([composite(*inputs, **node.options)], [g], capture=wanted, create_graph=True)
    grads = iter(got.get(i) for i in range(len(wanted)))
    return tuple(next(grads) if t.requires_grad else None for t in node.inputs)


def run_backward(roots, root_grads, retain_graph=False, capture=None, create_graph=False):
    """Propagate ``root_grads`` from ``roots`` (tensors) to every leaf that requires grad.

    With ``capture`` (a list of tensors), leaves are left alone and the gradients reaching
    the captured tensors are returned instead (``autograd.grad``). With ``create_graph`` the
    gradients are Tensors that carry a graph and the graph is kept (as torch keeps it).
    """
    with np.errstate(all="ignore"):  # a formula's inf·0 or 0/0 is NaN as in torch, without NumPy's warning
        if create_graph:
            with enable_grad():
                return _propagate(roots, [g if isinstance(g, Tensor) else _wrap(g) for g in root_grads], True,
                                  capture, True)
        return _propagate(roots, root_grads, retain_graph, capture, False)


def _propagate(roots, root_grads, retain_graph, capture, graph=False):
    captured = {}
    cap_leaf, cap_node = {}, {}
    if capture is not None:
        for i, t in enumerate(capture):
            if t.grad_fn is None:
                cap_leaf[id(t)] = i
            else:
                cap_node[t.grad_fn] = i

    deps = dependencies(roots)
    below = _leading_to(deps, cap_node, cap_leaf) if capture is not None else None
    buf: dict = {}
    fresh_buf: set = set()  # ids of the arrays in ``buf`` that nothing but the engine references (summed into in place)

    def to_leaf(t, g, owned):
        if t.grad_fn is not None:  # did not require grad when recorded; became a non-leaf since
            return
        if capture is not None:
            i = cap_leaf.get(id(t))
            if i is not None:
                captured[i] = captured[i] + g if i in captured else g
        elif graph:
            g = _apply_graph_hooks(t._hooks or (), g)
            t.grad = g if t.grad is None else t.grad + g
        else:
            _accumulate_leaf(t, g, owned)

    fit = _fit_graph if graph else _fit
    for t, g in zip(roots, root_grads):
        if t.requires_grad:
            g = fit(g, t._data if not graph else t)
            fn = t.grad_fn
            if fn is None:
                to_leaf(t, g, False)
            else:
                prev = buf.get(fn)
                buf[fn] = g if prev is None else prev + g
    ready = [fn for fn, n in deps.items() if n == 0]
    while ready:
        node = ready.pop()
        g = buf.pop(node, None)
        fresh_buf.discard(id(g))
        inputs, fns = node.inputs, node.fns
        if g is None:  # nothing flowed into this node: only release its inputs
            grads = (None,) * len(inputs)
        else:
            if node._hooks:
                g = _apply_graph_hooks(node._hooks, g) if graph else _apply_hooks(node._hooks, g)
            if node._retained is not None:
                owner = node._retained()
                if owner is not None:
                    if graph:
                        owner.grad = g if owner.grad is None else owner.grad + g
                    else:
                        owner.grad = _wrap(g.copy()) if owner.grad is None else _wrap(owner.grad._data + g)
            if cap_node and node in cap_node:
                captured[cap_node[node]] = g
            if node._clock != _versions.clock:  # something changed in place since this node was recorded
                _versions.check(node)
            if below is not None and node not in below:  # nothing captured lies below: prune, as torch's engine
                grads = (None,) * len(inputs)
            elif not graph and type(node).backward_into is not None and id(buf.get(fns[0])) in fresh_buf:
                type(node).backward_into(node, g, buf[fns[0]])  # (added into the input's accumulator in place)
                grads = (None,)
            else:
                grads = _graph_vjp(node, g) if graph else node._run(g)
            if len(grads) < len(inputs):
                grads = grads + (None,) * (len(inputs) - len(grads))
        for k in range(len(inputs)):  # (not zip: its reused result tuple would hold an extra reference to gi)
            t, fn, gi = inputs[k], fns[k], grads[k]
            if gi is not None and t.requires_grad:
                if graph:
                    fg = _fit_graph(gi, t)
                    owned = False
                else:
                    if type(gi) is not np.ndarray:
                        gi = np.asarray(gi)
                    td = t._data
                    fg = gi if gi.shape == td.shape and gi.dtype == td.dtype else _fit(gi, td)
                    # Like torch's AccumulateGrad, a leaf may keep a gradient array that nothing else holds,
                    # instead of a copy: one _fit made (not a view), or one the op returned and kept no
                    # reference to (the only references are then `grads`, `gi` and `fg`).
                    owned = fg.base is None and (fg is not gi or _getrefcount(gi) <= _FRESH_REFS)
                if fn is not None:
                    prev = buf.get(fn)
                    if prev is None:
                        buf[fn] = fg
                        if owned:  # (never under create_graph)
                            fresh_buf.add(id(fg))
                    elif id(prev) in fresh_buf:  # an array only this engine holds: add in place
                        prev += fg
                    else:
                        buf[fn] = prev = prev + fg
                        if not graph and type(prev) is np.ndarray:  # (0-d + 0-d is an immutable NumPy scalar)
                            fresh_buf.add(id(prev))
                else:
                    to_leaf(t, fg, owned)
            if fn is not None:
                n = deps[fn] - 1
                deps[fn] = n
                if n == 0:
                    ready.append(fn)
        if not retain_graph:
            node._free()
    while _callbacks:
        _callbacks.pop(0)()
    return captured


def _apply_graph_hooks(hooks, g):
    for h in hooks:
        out = h(g)
        g = out if out is not None else g
    return g


class FunctionCtx:
    """The ``ctx`` a user's ``Function.forward`` receives (torch's ``FunctionCtx``)."""

    def __init__(self):
        self.to_save = ()
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._non_differentiable = ()

    def save_for_backward(self, *tensors):
        self.to_save = tensors

    @property
    def saved_tensors(self):
        if getattr(self, "_freed", False):
            raise RuntimeError(_FREED_MSG)
        return self.to_save

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tensors

    def mark_dirty(self, *tensors):
        pass

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = value


class _FunctionNode(Op):
    """Graph node of a user ``Function``: calls its ``backward`` on Tensors."""

    fn_cls: Any  # the user's Function subclass
    ctx: Any  # its FunctionCtx
    positions: tuple  # where the forward's tensor arguments stood
    n_args: int  # how many arguments the forward took

    def _run(self, grad):
        with no_grad():
            out = self.fn_cls.backward(self.ctx, _wrap(grad))
        return tuple(None if o is None else o._data if isinstance(o, Tensor) else o for o in self._positional(out))

    def vjp(self, grad):
        """create_graph: the user's ``backward`` on Tensors with recording on, as torch runs it."""
        return self._positional(self.fn_cls.backward(self.ctx, grad))

    def _positional(self, out) -> tuple:
        """The gradients ``backward`` returned for the forward's tensor arguments."""
        if not isinstance(out, tuple):
            out = (out,)
        positions = self.positions
        if len(out) < positions[-1] + 1:
            raise RuntimeError(
                f"function {self.fn_cls.__name__}Backward returned an incorrect number of gradients "
                f"(expected {self.n_args}, got {len(out)})"
            )
        return tuple(out[p] for p in positions)

    def _free(self):
        self.ctx._freed = True
        self.ctx.to_save = ()

    def name(self):
        return self.fn_cls.__name__ + "Backward"


class Function:
    """Base class for user-defined differentiable operations, as ``torch.autograd.Function``.

    Subclasses define ``forward(ctx, *args)`` (on Tensors, run without recording) and
    ``backward(ctx, *grad_outputs)`` (one gradient per forward argument, ``None`` for
    non-tensors), or the torch 2 style ``forward(*args)`` plus
    ``setup_context(ctx, inputs, output)``. Call them with ``MyFunction.apply(...)``.

    Torch parity: single-output functions; a forward that returns a tuple raises TypeError.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )  # abstract, as torch's

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom autograd.Function to use it with "
            "backward mode AD."
        )  # abstract, as torch's

    setup_context = None

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with no_grad():
            if cls.setup_context is not None:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        if isinstance(out, (tuple, list)):
            raise TypeError(f"{cls.__name__}.forward returned {len(out)} outputs; ember's Function supports one")
        if not isinstance(out, Tensor):
            out = _wrap(np.asarray(out))
        positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
        inputs = tuple(args[i] for i in positions)
        if _state.enabled and any(t.requires_grad for t in inputs) and out not in ctx._non_differentiable:
            node = object.__new__(_FunctionNode)
            node.inputs, node.ctx, node.fn_cls, node.positions, node.n_args = inputs, ctx, cls, positions, len(args)
            node.fns = [t.grad_fn for t in inputs]
            node._clock = _versions.clock
            return _make(out._data, node)
        return out
