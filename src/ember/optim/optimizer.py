"""The ``Optimizer`` base class: param groups, lazy state, hooks, ``state_dict``, and the flat-buffer step.

Everything that every algorithm shares lives here, written once. A built-in algorithm only states

* ``_state_keys(group)``: the names of its per-element state arrays (``("exp_avg", "exp_avg_sq")``),
* ``_scalar_keys``: the names of its per-parameter scalar state (``("step",)``), stored as float32 0-d tensors
  exactly as torch stores them,
* ``_kernel(group)``: the reference update, a pure function ``(param, grad, *state, **hyper) -> (param, *state)``,
* ``_prepare(group, scalars, fresh)``: this step's host scalars (bias corrections, ...) and the new scalar state.

Flat buffers (DESIGN.md, "Optimizers"; ``_flat.py``): a built-in optimizer keeps each group's parameters,
gradients and state in one contiguous buffer per dtype, so that a step is one fused kernel call per group and dtype.

User subclasses written the torch way (a ``step`` looping over ``self.param_groups`` and ``self.state``) work
unchanged: they never touch the flat-buffer machinery.
"""
from __future__ import annotations

import copy
import functools
import warnings
from collections import OrderedDict, defaultdict, namedtuple
from itertools import chain

import numpy as np

from .._creation import as_tensor
from .._grad_mode import enable_grad
from ..tensor import Tensor
from ._flat import FlatBuffers

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Singleton marking a hyper-parameter that every param group must specify."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_IncompatibleKeys = namedtuple("_IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class _RemovableHandle:
    """Handle returned by the ``register_*_hook`` methods; ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks_dict):
        self._hooks = hooks_dict
        self.id = _RemovableHandle._next_id
        _RemovableHandle._next_id += 1

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _num(x):
    """A hyper-parameter as a Python number (accepts 1-element tensors, as torch accepts a Tensor lr)."""
    return x.item() if isinstance(x, Tensor) else x


def _typename(obj):
    if isinstance(obj, Tensor):
        return "ember.Tensor"
    return type(obj).__module__ + "." + type(obj).__qualname__


def _with_step_hooks(step):
    """Wrap a ``step`` so that the step pre/post hooks run around the outermost call (as torch's do)."""
    if getattr(step, "_ember_hooked", False):
        return step

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if self.__dict__.get("_in_step", False):  # a subclass calling super().step(): hooks already ran
            return step(self, *args, **kwargs)
        for hook in list(self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"{hook} must return None or a tuple of (new_args, new_kwargs), but got {result}."
                    )
                args, kwargs = result
        self._in_step = True
        try:
            out = step(self, *args, **kwargs)
        finally:
            self._in_step = False
        for hook in list(self._optimizer_step_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    wrapper._ember_hooked = True
    return wrapper


def _check_flags(defaults, *, differentiable):
    """Validate torch's implementation flags (foreach, fused, capturable, differentiable).

    They are accepted for source compatibility and have no effect on the numbers: every ember step is already one
    fused pass over flat buffers on the CPU, and there is no CUDA-graph capture. ``differentiable=True`` (autograd
    through the step) cannot work, since the update runs on raw arrays outside autograd: it raises.
    """
    for name in ("foreach", "fused"):
        value = defaults.get(name)
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"{name} must be a bool or None, but got {type(value).__name__} ({value!r})")
    for name in ("capturable", "differentiable"):
        value = defaults.get(name, False)
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be a bool, but got {type(value).__name__} ({value!r})")
    if defaults.get("fused") and defaults.get("foreach"):
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    if differentiable:
        raise RuntimeError(
            "differentiable=True is not supported by ember: the optimizer step updates raw arrays outside "
            "autograd, so gradients cannot flow through it. Use differentiable=False (the default)."
        )


class Optimizer:
    """Base class for all optimizers (torch.optim.Optimizer).

    Args:
        params: an iterable of Tensors, of ``(name, Tensor)`` pairs (``model.named_parameters()``), or of dicts
            defining parameter groups (each with a ``"params"`` entry and per-group overrides of ``defaults``).
        defaults: dict of default hyper-parameter values, used by groups that do not override them.

    Subclassing works as in torch: write ``step(self, closure=None)`` looping over ``self.param_groups`` and
    keeping per-parameter state in ``self.state[p]``; decorate it with ``@ember.no_grad()``.

    Torch parity:
        Same attributes (``param_groups``, ``state``, ``defaults``), methods, hooks, errors and ``state_dict``
        layout as torch.optim.Optimizer. Extension: with ``named_parameters()`` as ``params``,
        ``load_state_dict`` matches state by parameter name instead of position, and ``strict=False`` loads what
        matches and returns the missing and unexpected names. Built-in optimizers keep parameters in flat
        buffers: a ``p.data`` reference taken before the optimizer was built no longer aliases ``p``; an assigned
        gradient ``p.grad = t`` stays ``t`` but its storage moves into the gradient buffer at the first step
        (``_flat.py``: only when nothing else sees its memory), so an array from ``t.numpy()`` taken after that
        step no longer aliases ``t`` once ``p.grad`` is replaced and ``t`` gets its own memory back.

    Example:
        >>> opt = ember.optim.SGD(model.parameters(), lr=0.1)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    # --- hooks for built-in (flat-buffer) algorithms; user subclasses leave _flat False --------------------------
    _flat = False
    _scalar_keys: tuple = ()
    _eager_state = False  # Adagrad creates its state in __init__, like torch

    def _state_keys(self, group):
        return ()

    def _state_init(self, group, key):
        """Initial value of state array ``key`` (a Python number)."""
        return 0.0

    def _kernel(self, group):
        raise NotImplementedError

    def _prepare(self, group, scalars, fresh):
        """Return (hyper-parameters for the kernel, new scalar state) for a run of parameters."""
        raise NotImplementedError

    # --------------------------------------------------------------------------------------------------------------
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _with_step_hooks(cls.__dict__["step"])

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, but got "
                + _typename(params)
            )
        self.state = defaultdict(dict)
        self.param_groups = []
        self._buffers = FlatBuffers()  # built-in optimizers only
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                     "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        if "_buffers" not in self.__dict__:
            self._buffers = FlatBuffers()

    def __repr__(self):
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # --- param groups ---------------------------------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a param group (a dict with ``"params"`` and optional hyper-parameter overrides)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of tensors in "
                "sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        tensors, names = [], []
        for item in params:
            if isinstance(item, tuple):
                names.append(item[0])
                tensors.append(item[1])
            else:
                tensors.append(item)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(p))
            if not self.defaults.get("differentiable", None) and not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(tensors) != len(set(map(id, tensors))):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, this will cause an "
                "error; see github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )
        seen = set()
        for group in self.param_groups:
            seen.update(map(id, group["params"]))
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        if not seen.isdisjoint(map(id, tensors)):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)
        if self._flat:
            self._buffers.pack(self, param_group)
            if self._eager_state:
                for bucket in self._buffers.buckets[id(param_group)]:
                    bucket.create_state(self, param_group, range(len(bucket.params)))

    # --- gradients ------------------------------------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors: to None (default) or, with ``set_to_none=False``, to 0."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None  # holding no reference to it here: see Tensor.grad's setter
                else:
                    if p.grad.grad_fn is not None:
                        p.grad = p.grad.detach()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad._data[...] = 0

    # --- hooks ----------------------------------------------------------------------------------------------------
    def _register(self, hooks, hook, prepend=False):
        handle = _RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_step_pre_hook(self, hook):
        """Register ``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)``, run before each step."""
        return self._register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """Register ``hook(optimizer, args, kwargs) -> None``, run after each step."""
        return self._register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """Register ``hook(optimizer) -> None``, run before ``state_dict()``."""
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """Register ``hook(optimizer, state_dict) -> state_dict or None``, run after ``state_dict()``."""
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """Register ``hook(optimizer, state_dict) -> state_dict or None``, run before ``load_state_dict()``."""
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """Register ``hook(optimizer) -> None``, run after ``load_state_dict()``."""
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # --- state_dict -----------------------------------------------------------------------------------------------
    def state_dict(self):
        """The optimizer state in torch's layout.

        ``{'state': {index: {key: value}}, 'param_groups': [{hyper-parameters..., 'params': [indices]}]}``;
        indices number the parameters across groups in order. State tensors are the live ember tensors (as in
        torch): copy or save them before stepping again if you need a snapshot.
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        mapping = {}
        groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        result = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            out = hook(self, result)
            if out is not None:
                result = out
        return result

    def load_state_dict(self, state_dict, strict=True):
        """Load a state from :meth:`state_dict` (ember's, or torch's with its tensors converted to ember tensors).

        Parameters are matched by position, as in torch; when both this optimizer and the saved groups carry
        ``param_names`` (built from ``named_parameters()``) they are matched by name instead. Then ``strict=True``
        requires the same names; ``strict=False`` loads what matches and reports the rest.

        Returns:
            ``(missing_keys, unexpected_keys)``: parameter names without saved state, and saved names without a
            parameter (both empty for positional matching).
        """
        state_dict = dict(state_dict)
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            out = hook(self, state_dict)
            if out is not None:
                state_dict = out
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        by_name = all("param_names" in g for g in groups) and all("param_names" in g for g in saved_groups)
        missing, unexpected = [], []
        if by_name:
            saved_ids = {}
            for g in saved_groups:
                saved_ids.update(zip(g["param_names"], g["params"]))
            names = {n: p for g in groups for n, p in zip(g["param_names"], g["params"])}
            missing = [n for n in names if n not in saved_ids]
            unexpected = [n for n in saved_ids if n not in names]
            if strict and (missing or unexpected):
                raise ValueError(
                    "loaded state dict does not match the optimizer's parameter names: "
                    f"missing {missing}, unexpected {unexpected} (use strict=False to load the matching ones)"
                )
            id_map = {saved_ids[n]: p for n, p in names.items() if n in saved_ids}
        else:
            if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
                )
            id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                              chain.from_iterable(g["params"] for g in groups)))
        # validate and convert everything before touching the optimizer
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = {key: self._cast_state(param, key, value) for key, value in v.items()}
            else:
                state[k] = v
        new_groups = []
        for g, ng in zip(groups, saved_groups):
            ng["params"] = g["params"]
            if "param_names" in g and "param_names" not in ng:
                ng["param_names"] = g["param_names"]
            for key, value in self.defaults.items():  # older checkpoints may lack newer flags
                ng.setdefault(key, value)
            new_groups.append(ng)
        self.state = state
        self.param_groups = new_groups
        if self._flat:
            self._buffers = FlatBuffers()
            for group in self.param_groups:
                self._buffers.pack(self, group)
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)
        return _IncompatibleKeys(missing, unexpected)

    def _cast_state(self, param, key, value):
        """A private copy of one loaded state value: tensors (or arrays) cast to the parameter's float dtype;
        scalar state ('step', ...) kept as a float32 0-d tensor as torch keeps it."""
        if key in self._scalar_keys:
            arr = np.asarray(value._data if isinstance(value, Tensor) else value, dtype=np.float32)
            return as_tensor(arr.reshape(()).copy())
        if isinstance(value, Tensor):
            arr = value._data
            if np.issubdtype(param._data.dtype, np.floating) and np.issubdtype(arr.dtype, np.floating):
                arr = arr.astype(param._data.dtype)
            else:
                arr = arr.copy()
            return as_tensor(np.array(arr, copy=True))
        if isinstance(value, np.ndarray):
            return as_tensor(value.astype(param._data.dtype, copy=True))
        return copy.deepcopy(value)

    # --- step -----------------------------------------------------------------------------------------------------
    @_with_step_hooks
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        if not self._flat:
            raise NotImplementedError(
                f"{type(self).__name__} must implement step(closure=None) (see the Optimizer docstring)"
            )
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        plans = [(group, self._buffers.plan(self, group)) for group in self.param_groups]  # validates
        for group, plan in plans:
            for bucket, runs in plan:
                bucket.run(self, group, runs)
        return loss

