"""``ember.utils.hooks``: ``RemovableHandle`` (what every ``register_*_hook`` returns) and ``BackwardHook``,
the machinery behind ``Module.register_full_backward_hook`` / ``register_full_backward_pre_hook``.

How a module's full backward hooks see the gradients of all its inputs and outputs at once: the tensors of the
positional inputs (and of the output) pass through one identity node, ``BackwardHookFunction``, that packs them into one
flat array and hands back views of it. The engine sums every gradient that reaches those views into the one
gradient of the node, so its ``backward`` holds the gradients of all outputs together (the pre hooks run
there) and, on the input side, of all inputs together (the hooks run there and may replace them), as
torch's ``BackwardHookFunction``.
"""
from __future__ import annotations

import warnings
import weakref
from collections import OrderedDict

import numpy as np

from ..autograd.function import Op
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor, _wrap

__all__ = ["RemovableHandle", "BackwardHook"]


class RemovableHandle:
    """A handle whose ``remove()`` deletes its hook from ``hooks_dict`` (and its key from every ``extra_dict``).

    Torch parity: as ``torch.utils.hooks.RemovableHandle``: ``id`` from one global counter, weak references to the
    dicts, usable as a context manager (the hook is removed on exit).
    """

    next_id: int = 0

    def __init__(self, hooks_dict, *, extra_dict=None) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        extras = [extra_dict] if isinstance(extra_dict, dict) else list(extra_dict or ())
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras)

    def remove(self) -> None:
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            d = ref()
            if d is not None:
                d.pop(self.id, None)

    def __getstate__(self):
        return (self.hooks_dict_ref(), self.id, tuple(ref() for ref in self.extra_dict_ref))

    def __setstate__(self, state) -> None:
        self.hooks_dict_ref = weakref.ref(OrderedDict() if state[0] is None else state[0])
        self.id = state[1]
        RemovableHandle.next_id = max(RemovableHandle.next_id, self.id + 1)
        self.extra_dict_ref = tuple(weakref.ref(d) for d in (state[2] if len(state) > 2 and state[2] else ()))

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class BackwardHookFunction(Op):
    """Identity on k tensors, packed: y = concat(vec(x₁), …, vec(x_k)); ∂/∂xᵢ = the i-th slice of the gradient,
    after ``on_grads`` (the module's hooks) has seen and possibly replaced the k slices (a tensor that needs no
    gradient shows zeros to the hooks, as torch's)."""

    @staticmethod
    def forward(ctx, *arrays, on_grads):
        ctx.shapes = [a.shape for a in arrays]
        ctx.on_grads = on_grads
        return np.concatenate([a.reshape(-1) for a in arrays]) if len(arrays) > 1 else arrays[0].reshape(-1)

    @staticmethod
    def backward(ctx, g):
        grads, offset = [], 0
        for shape in ctx.shapes:
            n = int(np.prod(shape, dtype=np.int64))
            grads.append(g[offset:offset + n].reshape(shape))
            offset += n
        needs = [t.requires_grad for t in ctx.inputs]
        out = ctx.on_grads(tuple(x if need else x * 0 for x, need in zip(grads, needs)))
        return tuple(o if need else None for o, need in zip(out, needs))


def _gather(tensors, on_grads):
    """Views of ``tensors`` behind one ``BackwardHookFunction`` node (each with its own dtype)."""
    packed = BackwardHookFunction.apply(*tensors, on_grads=on_grads)
    views, offset = [], 0
    for t in tensors:
        n = t.numel()
        v = packed[offset:offset + n].reshape(tuple(t.shape))
        views.append(v if v.dtype == t.dtype else v.to(t.dtype))
        offset += n
    return views


def _as_tensors(grads):
    """The gradients a hook sees are Tensors (the engine hands arrays to a first-order backward)."""
    return tuple(None if g is None else g if isinstance(g, Tensor) else _wrap(g) for g in grads)


def _like_engine(new, old):
    """Give a hook's replacement back in the kind the engine passed in (array or Tensor)."""
    out = []
    for n, o in zip(new, old):
        if n is None or o is None or isinstance(o, Tensor):
            out.append(n)
        else:
            out.append(n._data if isinstance(n, Tensor) else np.asarray(n))
    return out


class BackwardHook:
    """Run ``module``'s full backward pre hooks on the gradients of its outputs and its full backward hooks on
    ``(grad_input, grad_output)``, as torch's ``BackwardHook``. ``grad_input`` has one entry per positional input
    (None for a non-tensor or a tensor that needs no gradient); ``grad_output`` one per output tensor."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module, self.user_hooks, self.user_pre_hooks = module, user_hooks, user_pre_hooks
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = 0
        self.input_tensors_index = self.output_tensors_index = None

    @staticmethod
    def _pack_with_none(indices, values, size):
        res = [None] * size
        for i, v in zip(indices, values):
            res[i] = v
        return tuple(res)

    @staticmethod
    def _unpack_none(indices, values):
        return tuple(values[i] for i in indices)

    @staticmethod
    def _apply_on_tensors(args, on_grads):
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in idx]
        if not (is_grad_enabled() and any(t.requires_grad for t in tensors)):
            return args, None
        new = list(args)
        for i, v in zip(idx, _gather(tensors, on_grads)):
            new[i] = v
        return tuple(new), idx

    def setup_input_hook(self, args):
        def on_grads(grads):
            if self.grad_outputs is None:  # the gradient reached the inputs without passing the outputs
                return grads
            res = self._pack_with_none(self.input_tensors_index, _as_tensors(grads), self.n_inputs)
            for hook in self.user_hooks:
                out = hook(self.module, res, self.grad_outputs)
                if out is None:
                    continue
                if len(out) != len(res):
                    raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                       f"got {len(out)}, but expected {len(res)}")
                res = out
            self.grad_outputs = None
            return _like_engine(self._unpack_none(self.input_tensors_index, res), grads)

        res, self.input_tensors_index = self._apply_on_tensors(args, on_grads)
        self.n_inputs = len(args)
        return res

    def setup_output_hook(self, result):
        single = isinstance(result, Tensor)
        outputs = (result,) if single else result
        if not isinstance(outputs, tuple):
            return result

        def on_grads(grads):
            self.grad_outputs = self._pack_with_none(self.output_tensors_index, _as_tensors(grads), self.n_outputs)
            for pre in self.user_pre_hooks:
                new = pre(self.module, self.grad_outputs)
                if new is None:
                    continue
                if len(new) != len(self.grad_outputs):
                    raise RuntimeError("Backward pre hook returned an invalid number of grad_output, "
                                       f"got {len(new)}, but expected {len(self.grad_outputs)}")
                self.grad_outputs = tuple(new)
            local = self.grad_outputs
            if self.input_tensors_index is None:
                warnings.warn("Full backward hook is firing when gradients are computed with respect to module "
                              "outputs since no inputs require gradients. See "
                              "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                              "#torch.nn.Module.register_full_backward_hook for more details.", stacklevel=5)
                grad_inputs = self._pack_with_none([], [], self.n_inputs)
                for hook in self.user_hooks:
                    res = hook(self.module, grad_inputs, self.grad_outputs)
                    if res is not None and not (isinstance(res, tuple) and all(r is None for r in res)):
                        raise RuntimeError("Backward hook for Modules where no input requires gradient should "
                                           "always return None or None for all gradients.")
                self.grad_outputs = None
            return _like_engine(self._unpack_none(self.output_tensors_index, local), grads)

        new, self.output_tensors_index = self._apply_on_tensors(outputs, on_grads)
        self.n_outputs = len(outputs)
        return new[0] if single else new
