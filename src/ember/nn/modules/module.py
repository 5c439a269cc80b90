"""``Module``: the base class of every layer — registration of parameters, buffers and
submodules, traversal, train/eval, hooks, ``state_dict``/``load_state_dict`` with torch's keys and errors.

Hooks, as torch's ``nn.Module``: forward pre hooks (``hook(module, args)`` or, ``with_kwargs``,
``hook(module, args, kwargs)``), forward hooks (``hook(module, args, output)``, ``always_call``), full backward
(pre) hooks (``ember.utils.hooks.BackwardHook``), the global forms ``register_module_*`` below (they run before
each module's own), ``state_dict`` pre/post hooks and ``load_state_dict`` pre/post hooks. Each ``register_*``
returns a ``RemovableHandle``.
"""
from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, namedtuple

import numpy as np

from ... import _dtype
from ..._backend import check_device
from ...autograd import _versions
from ...tensor import Tensor, _to_args, _wrap
from ..._grad_mode import no_grad
from ...utils.hooks import BackwardHook, RemovableHandle
from ..parameter import Buffer, Parameter, is_lazy
from ._global_hooks import (  # noqa: F401  (torch's names in this module)
    _CALL_HOOK_TABLES, _global_backward_hooks, _global_backward_pre_hooks, _global_buffer_registration_hooks,
    _global_forward_hooks, _global_forward_hooks_always_called, _global_forward_hooks_with_kwargs,
    _global_forward_pre_hooks, _global_module_registration_hooks, _global_parameter_registration_hooks, _register,
    _run_registration_hooks, register_module_buffer_registration_hook, register_module_forward_hook,
    register_module_forward_pre_hook, register_module_full_backward_hook, register_module_full_backward_pre_hook,
    register_module_module_registration_hook, register_module_parameter_registration_hook)

__all__ = ["Module", "register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_full_backward_pre_hook", "register_module_full_backward_hook",
           "register_module_buffer_registration_hook", "register_module_module_registration_hook",
           "register_module_parameter_registration_hook"]

_EXTRA_STATE_KEY_SUFFIX = "_extra_state"

class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it did not find and the keys it did not use."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"

    __str__ = __repr__


# (table name, factory) of every per-module table: __init__ creates them, __setstate__ adds those an old pickle lacks
_TABLES = (("_parameters", dict), ("_buffers", dict), ("_non_persistent_buffers_set", set), ("_modules", dict),
           ("_forward_hooks", OrderedDict), ("_forward_hooks_with_kwargs", OrderedDict),
           ("_forward_hooks_always_called", OrderedDict), ("_forward_pre_hooks", OrderedDict),
           ("_forward_pre_hooks_with_kwargs", OrderedDict), ("_backward_hooks", OrderedDict),
           ("_backward_pre_hooks", OrderedDict), ("_state_dict_hooks", OrderedDict),
           ("_state_dict_pre_hooks", OrderedDict), ("_load_state_dict_pre_hooks", OrderedDict),
           ("_load_state_dict_post_hooks", OrderedDict))

_undo_log: list | None = None  # while load_state_dict runs: how to put back what it changed, should it fail


class Module:
    """Base class for all neural-network modules, as ``torch.nn.Module``.

    Assigning a ``Parameter`` registers a parameter, assigning a ``Module`` a submodule;
    ``register_buffer`` registers state that is saved but not trained (running means).

    Torch parity: the method names, signatures, hook calling order and arguments, ``state_dict`` keys (with
    ``_metadata`` versions and ``_extra_state``) and error messages of ``torch.nn.Module``. ``load_state_dict``
    checks every key and shape before it reports and, when it raises, puts back what it had copied, so a failing
    call leaves the module unchanged (torch's keeps what it copied). The deprecated non-full
    ``register_backward_hook`` is not provided (use ``register_full_backward_hook``).
    """

    training: bool
    _version = 1
    call_super_init: bool = False
    dump_patches: bool = False
    _is_full_backward_hook = None

    def __init__(self, *args, **kwargs):
        if not self.call_super_init and (args or kwargs):
            if kwargs:
                raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                                f"'{next(iter(kwargs))}'")
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but "
                            f"{len(args) + 1} were given")
        d = self.__dict__
        d["training"] = True
        for name, factory in _TABLES:
            d[name] = factory()
        if self.call_super_init:
            super().__init__(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )  # abstract, as torch's

    # ---- calling, with hooks ----------------------------------------------------------
    def __call__(self, *args, **kwargs):
        d = self.__dict__
        if (d["_forward_pre_hooks"] or d["_forward_hooks"] or d["_backward_hooks"] or d["_backward_pre_hooks"]
                or any(_CALL_HOOK_TABLES)):
            return self._call_impl(*args, **kwargs)
        return self.forward(*args, **kwargs)

    def _call_impl(self, *args, **kwargs):
        """Global then own forward pre hooks; the backward hook's input side; forward; global then own forward
        hooks; the backward hook's output side. If anything raises, the ``always_call`` forward hooks that have
        not run yet run before the error propagates (as torch's ``_call_impl``)."""
        called, result = set(), None
        try:
            for hook_id, hook in (*_global_forward_pre_hooks.items(), *self._forward_pre_hooks.items()):
                if hook_id in self._forward_pre_hooks_with_kwargs:
                    res = hook(self, args, kwargs)
                    if res is not None:
                        if not (isinstance(res, tuple) and len(res) == 2):
                            raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, "
                                               f"new_kwargs), but got {res}.")
                        args, kwargs = res
                else:
                    res = hook(self, args)
                    if res is not None:
                        args = res if isinstance(res, tuple) else (res,)
            bw_hook = None
            full, pre = self._get_backward_hooks(), self._get_backward_pre_hooks()
            if full or pre:
                bw_hook = BackwardHook(self, full, pre)
                args = bw_hook.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            for hook_id, hook in (*_global_forward_hooks.items(), *self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called or hook_id in _global_forward_hooks_always_called:
                    called.add(hook_id)
                if hook_id in self._forward_hooks_with_kwargs or hook_id in _global_forward_hooks_with_kwargs:
                    res = hook(self, args, kwargs, result)
                else:
                    res = hook(self, args, result)
                if res is not None:
                    result = res
            if bw_hook is not None:
                if not isinstance(result, (Tensor, tuple)):
                    warnings.warn("For backward hooks to be called, module output should be a Tensor or a tuple of "
                                  f"Tensors but received {type(result)}", stacklevel=2)
                result = bw_hook.setup_output_hook(result)
            return result
        except Exception:
            for scope, table, always in (("global module", _global_forward_hooks, _global_forward_hooks_always_called),
                                         ("module", self._forward_hooks, self._forward_hooks_always_called)):
                for hook_id, hook in table.items():
                    if hook_id in always and hook_id not in called:
                        try:
                            res = hook(self, args, result)
                            if res is not None:
                                result = res
                        except Exception as e:
                            warnings.warn(f"{scope} forward hook with ``always_call=True`` raised an exception that "
                                          f"was silenced as another error was raised in forward: {str(e)}",
                                          stacklevel=2)
            raise

    def _get_backward_hooks(self):
        hooks = list(_global_backward_hooks.values())
        if self._is_full_backward_hook:
            hooks += self._backward_hooks.values()
        return hooks

    def _get_backward_pre_hooks(self):
        return [*_global_backward_pre_hooks.values(), *self._backward_pre_hooks.values()]

    @staticmethod
    def _add_hook(table, hook, prepend, **extra):
        handle = _register(table, hook, **extra)
        if prepend:
            table.move_to_end(handle.id, last=False)
        return handle

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False) -> RemovableHandle:
        """``hook(module, args) -> None or new args`` (``with_kwargs``: ``hook(module, args, kwargs) -> None or
        (args, kwargs)``), run before ``forward``; ``prepend`` puts it before the hooks already registered."""
        return self._add_hook(self._forward_pre_hooks, hook, prepend,
                              kw=(self._forward_pre_hooks_with_kwargs, with_kwargs))

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """``hook(module, args, output) -> None or new output`` (``with_kwargs``: ``hook(module, args, kwargs,
        output)``), run after ``forward``; ``always_call``: also when forward raises."""
        return self._add_hook(self._forward_hooks, hook, prepend, kw=(self._forward_hooks_with_kwargs, with_kwargs),
                              always=(self._forward_hooks_always_called, always_call))

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_output) -> None or new grad_output``, run when the outputs' gradients are known."""
        return self._add_hook(self._backward_pre_hooks, hook, prepend)

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_input, grad_output) -> None or new grad_input``, run when the gradients with respect
        to the module's positional inputs are known (see ``ember.utils.hooks``)."""
        if self._is_full_backward_hook is False:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks on a single Module. "
                               "Please use only one of them.")
        self.__dict__["_is_full_backward_hook"] = True
        return self._add_hook(self._backward_hooks, hook, prepend)

    def register_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """``hook(module, prefix, keep_vars)``, run when ``state_dict`` starts on this module."""
        return _register(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata) -> None``, run after this module's entries are in
        ``state_dict``; it edits the dict in place."""
        hook._from_public_api = True
        return _register(self._state_dict_hooks, hook)

    def _register_state_dict_hook(self, hook) -> RemovableHandle:
        """The private form of ``register_state_dict_post_hook``: the hook may return a new state dict."""
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError("Cannot register the same function as the state dict post hook that was previously "
                               "registered via register_state_dict_post_hook")
        return _register(self._state_dict_hooks, hook)

    def register_load_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)``,
        run before this module's entries are loaded."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(self, hook, with_module: bool = False) -> RemovableHandle:
        """As ``register_load_state_dict_pre_hook``; without ``with_module`` the hook is not given the module."""
        # a partial (not a closure) so that a deep copy of the module binds the hook to the copy
        return _register(self._load_state_dict_pre_hooks, functools.partial(hook, self) if with_module else hook)

    def register_load_state_dict_post_hook(self, hook) -> RemovableHandle:
        """``hook(module, incompatible_keys) -> None``, run after this module and its children are loaded; it may
        edit ``incompatible_keys.missing_keys``/``unexpected_keys`` in place."""
        return _register(self._load_state_dict_post_hooks, hook)

    # ---- registration ---------------------------------------------------------------
    def __setattr__(self, name, value):
        d = self.__dict__
        params, modules, buffers = d.get("_parameters"), d.get("_modules"), d.get("_buffers")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, d, "_buffers", "_modules")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' (torch.nn.Parameter or None expected)"
                )
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._remove_from(name, d, "_parameters", "_buffers")
            modules[name] = _run_registration_hooks(_global_module_registration_hooks, self, name, value)
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' (torch.nn.Module or None expected)")
            modules[name] = _run_registration_hooks(_global_module_registration_hooks, self, name, value)
        elif isinstance(value, Buffer) or (buffers is not None and name in buffers):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(torch.nn.Buffer, torch.Tensor or None expected)")
            persistent = value.persistent if isinstance(value, Buffer) else name not in d["_non_persistent_buffers_set"]
            if buffers is not None and name in buffers:
                buffers[name] = _run_registration_hooks(_global_buffer_registration_hooks, self, name, value)
                (d["_non_persistent_buffers_set"].discard if persistent else d["_non_persistent_buffers_set"].add)(name)
            else:
                self.register_buffer(name, value, persistent=persistent)
        else:
            object.__setattr__(self, name, value)

    @staticmethod
    def _remove_from(name, d, *tables):
        d.pop(name, None)
        for t in tables:
            if t in d:
                d[t].pop(name, None)
        if "_buffers" in tables and "_non_persistent_buffers_set" in d:
            d["_non_persistent_buffers_set"].discard(name)

    def __getattr__(self, name):
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if table in d and name in d[table]:
                return d[table][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for table in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(table, {}):
                del self.__dict__[table][name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    def _check_name(self, name, kind, table):
        if table not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got: {name}' if kind == "module"
                           else f'{kind} name can\'t contain "."')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if hasattr(self, name) and name not in self.__dict__[table]:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        self._check_name(name, "parameter", "_parameters")
        if param is not None:
            if not isinstance(param, Parameter):
                raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' (torch.nn.Parameter or None required)")
            if param.grad_fn is not None:
                raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                                 f"created explicitly. To express '{name}' as a function of another Tensor, compute "
                                 "the value in the forward() method.")
            param = _run_registration_hooks(_global_parameter_registration_hooks, self, name, param)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        self._check_name(name, "buffer", "_buffers")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (torch Tensor or None required)")
        self._buffers[name] = _run_registration_hooks(_global_buffer_registration_hooks, self, name, tensor)
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: "Module | None") -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module", "_modules")
        self._modules[name] = _run_registration_hooks(_global_module_registration_hooks, self, name, module)

    def register_module(self, name: str, module: "Module | None") -> None:
        """Alias of ``add_module``."""
        self.add_module(name, module)

    def get_submodule(self, target: str) -> "Module":
        """The submodule at dotted path ``target`` ("" is this module)."""
        mod = self
        if target == "":
            return mod
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def set_submodule(self, target: str, module: "Module", strict: bool = False) -> None:
        """Put ``module`` at dotted path ``target``; ``strict``: the attribute must exist already."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        *path, last = target.split(".")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent = self.get_submodule(".".join(path))
        if strict and not hasattr(parent, last):
            raise AttributeError(f"{parent._get_name()} has no attribute `{last}`")
        if hasattr(parent, last) and not isinstance(getattr(parent, last), Module):
            raise AttributeError(f"`{last}` is not an nn.Module")
        setattr(parent, last, module)

    def _get_member(self, target: str, kind: str):
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        value = getattr(mod, name)
        if kind == "parameter" and not isinstance(value, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        if kind == "buffer" and name not in mod._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return value

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at dotted path ``target``."""
        return self._get_member(target, "parameter")

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path ``target``."""
        return self._get_member(target, "buffer")

    def get_extra_state(self):
        """Override (with ``set_extra_state``) to save non-tensor state under ``<prefix>_extra_state``."""
        raise RuntimeError(
            "Reached a code path in Module.get_extra_state() that should never be called. Please file an issue at "
            "https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml to report this bug.")

    def set_extra_state(self, state) -> None:
        """Override (with ``get_extra_state``) to restore what ``get_extra_state`` saved."""
        raise RuntimeError(
            "Reached a code path in Module.set_extra_state() that should never be called. Please file an issue at "
            "https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml to report this bug.")

    def _has_extra_state(self, method: str) -> bool:
        return getattr(type(self), method) is not getattr(Module, method)
    # ---- traversal -------------------------------------------------------------------
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """(dotted name, module) for this module and every descendant, in pre-order (as torch)."""
        if memo is None:
            memo = set()
        stack = [(prefix, self)]
        while stack:
            name, mod = stack.pop()
            if remove_duplicate:
                if id(mod) in memo:
                    continue
                memo.add(id(mod))
            yield name, mod
            children = mod._modules
            if children:
                pre = name + "." if name else ""
                stack.extend((pre + k, m) for k, m in reversed(children.items()) if m is not None)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, table, prefix, recurse, remove_duplicate=True):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            members = mod.__dict__[table]
            if not members:
                continue
            pre = mod_prefix + "." if mod_prefix else ""
            for name, v in members.items():
                if v is None:
                    continue
                if remove_duplicate:
                    if id(v) in seen:
                        continue
                    seen.add(id(v))
                yield pre + name, v

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ---- modes -----------------------------------------------------------------------
    def train(self, mode: bool = True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad._data[...] = 0

    # ---- dtype / device --------------------------------------------------------------
    # ---- dtype / device --------------------------------------------------------------
    def _apply(self, fn, recurse: bool = True):
        """Replace every parameter's and buffer's values (and gradients) by ``fn(tensor)``, in place of the
        tensor's array, so the Parameter objects (and an optimizer's references to them) stay the same."""
        if recurse:
            for m in self.children():
                m._apply(fn)
        with no_grad():
            for table in ("_parameters", "_buffers"):
                for v in getattr(self, table).values():
                    if v is None:
                        continue
                    if is_lazy(v):
                        v._apply_to_placeholder(fn)
                        continue
                    new = fn(v)
                    if new._data is not v._data:
                        v._relocate(new._data)
                        if v.grad is not None:
                            v.grad = _wrap(fn(v.grad)._data)
        return self

    def to(self, *args, **kwargs):
        """Cast the floating-point parameters and buffers to ``dtype`` (devices: the CPU only)."""
        dtype, _ = _to_args(args, kwargs.get("dtype"), kwargs.get("device"))
        if dtype is None:
            return self
        dt = _dtype.to_dtype(dtype)
        if not dt.is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={dt}")
        return self._apply(lambda t: t.to(dt) if t.is_floating_point() else t)

    def float(self):
        return self._cast(_dtype.float32)

    def double(self):
        return self._cast(_dtype.float64)

    def half(self):
        return self._cast(_dtype.float16)

    def _cast(self, dt):
        return self._apply(lambda t: t.to(dt) if t.is_floating_point() else t)

    def type(self, dst_type):
        return self._apply(lambda t: t.type(dst_type))

    def cpu(self):
        return self

    def cuda(self, device=None):
        check_device("cuda")

    def to_empty(self, *, device, recurse: bool = True):
        """Give every parameter and buffer new, uninitialised storage of the same shape (on ``device``)."""
        from ... import empty_like

        check_device(device)
        return self._apply(lambda t: empty_like(t), recurse=recurse)

    def share_memory(self):
        """Move every parameter and buffer into shared memory, so that processes forked afterwards (Hogwild
        training with ``multiprocessing``) write to the same arrays.

        Torch parity: as ``torch.nn.Module.share_memory`` for forked workers; the arrays live in anonymous shared
        ``mmap`` pages, which a spawned (not forked) process does not inherit."""
        return self._apply(_to_shared_memory)

    # ---- state dict -----------------------------------------------------------------
    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """Parameters and persistent buffers by dotted name, as detached tensors sharing memory
        (an ``OrderedDict`` whose ``_metadata`` holds each module's ``version``, as torch's)."""
        if args:
            warnings.warn("Positional args are being deprecated, use kwargs instead. Refer to "
                          "https://pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.state_dict"
                          " for details.", FutureWarning, stacklevel=2)
            destination = args[0] if destination is None else destination
            prefix = args[1] if len(args) > 1 and prefix == "" else prefix
            keep_vars = args[2] if len(args) > 2 and keep_vars is False else keep_vars
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = dict(version=self._version)
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            res = hook(self, destination, prefix, local_metadata)
            if getattr(hook, "_from_public_api", False):
                if res is not None:
                    raise RuntimeError("state_dict post-hook must return None")
            elif res is not None:
                destination = res
        return destination

    def _save_to_state_dict(self, destination, prefix, keep_vars) -> None:
        """This module's own entries (not its children's)."""
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        if self._has_extra_state("get_extra_state"):
            destination[prefix + _EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs) -> None:
        """Load this module's own entries from ``state_dict`` (keys ``prefix + name``), after its load pre hooks;
        append what is missing, unexpected or wrong to the three lists."""
        for hook in self._load_state_dict_pre_hooks.values():
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
        assign = local_metadata.get("assign_to_params_buffers", False)
        params, buffers = self._parameters, self._buffers
        local = [(params, k, v) for k, v in params.items() if v is not None]
        local += [(buffers, k, v) for k, v in buffers.items() if v is not None and k not in self._non_persistent_buffers_set]
        for table, name, cur in local:
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            src = state_dict[key]
            if not isinstance(src, (Tensor, np.ndarray)):
                error_msgs.append(f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like '
                                  f"object from checkpoint but received {type(src)}")
                continue
            arr = src._data if isinstance(src, Tensor) else src
            lazy = is_lazy(cur)
            if not lazy and cur._data.ndim == 0 and arr.shape == (1,):
                arr = arr[0]  # a 1-element vector from torch 0.3 loads into a scalar
            if not lazy and arr.shape != cur._data.shape:
                error_msgs.append(f"size mismatch for {key}: copying a param with shape {_size(arr.shape)} from "
                                  f"checkpoint, the shape in current model is {_size(cur._data.shape)}.")
                continue
            _load_entry(self, table, name, cur, src, arr, assign)
        extra_key = prefix + _EXTRA_STATE_KEY_SUFFIX
        if self._has_extra_state("set_extra_state"):
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            names = {name for _, name, _ in local}
            for key in state_dict:
                if key.startswith(prefix) and key != extra_key:
                    head, *rest = key[len(prefix):].split(".", 1)
                    if (head not in self._modules) if rest else (head not in names):
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy (``assign``: bind) the arrays of ``state_dict`` into this module's parameters and buffers.

        Each module's ``_load_from_state_dict`` loads its own entries (after its load pre hooks), then its
        children, then its load post hooks run. Returns ``(missing_keys, unexpected_keys)``; raises RuntimeError
        listing every problem (strict: also the missing and unexpected keys), after putting back whatever it had
        already loaded.
        """
        global _undo_log
        if not isinstance(state_dict, dict):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing: list[str] = []
        unexpected: list[str] = []
        errors: list[str] = []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)
        if metadata is not None:
            state_dict._metadata = metadata

        def load(module, local_state, prefix=""):
            local_metadata = {} if metadata is None else metadata.get(prefix[:-1], {})
            if assign:
                local_metadata["assign_to_params_buffers"] = assign
            module._load_from_state_dict(local_state, prefix, local_metadata, True, missing, unexpected, errors)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    load(child, {k: v for k, v in local_state.items() if k.startswith(child_prefix)}, child_prefix)
            keys = _IncompatibleKeys(missing, unexpected)
            for hook in module._load_state_dict_post_hooks.values():
                if hook(module, keys) is not None:
                    raise AssertionError("Hooks registered with ``register_load_state_dict_post_hook`` are not "
                                         "expected to return new values, if incompatible_keys need to be modified, "
                                         "it should be done inplace.")

        outer, _undo_log = _undo_log, []
        try:
            load(self, state_dict)
            if strict:
                if unexpected:
                    errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
                if missing:
                    errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
            if errors:
                raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        except BaseException:
            for undo in reversed(_undo_log):
                undo()
            raise
        finally:
            _undo_log = outer
        return _IncompatibleKeys(missing, unexpected)

    # ---- printing --------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        children = [(n, m) for n, m in self._modules.items() if m is not None]
        if not children:
            return f"{self._get_name()}({extra})"
        lines = [extra] if extra else []
        for name, m in children:
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def __getstate__(self):
        return self.__dict__

    def __setstate__(self, state):
        """Restore a pickled module; the tables a module pickled by an older version lacks start empty."""
        self.__dict__.update(state)
        for name, factory in _TABLES:
            if name not in self.__dict__:
                self.__dict__[name] = factory()


def _load_entry(module, table, name, cur, src, arr, assign) -> None:
    """Copy ``arr`` into the tensor ``cur`` (or, ``assign``, bind ``src`` in its place), logging how to undo it."""
    with no_grad():
        if assign:
            if table is module._parameters:
                new: Tensor = src if isinstance(src, Parameter) else Parameter(_wrap(arr), cur.requires_grad)
                new.requires_grad_(cur.requires_grad)
            else:
                new = src if isinstance(src, Tensor) else _wrap(arr)
            if _undo_log is not None:
                _undo_log.append(lambda: table.__setitem__(name, cur))
            table[name] = new
        else:
            if _undo_log is not None:
                old = cur._data.copy()

                def restore() -> None:
                    np.copyto(cur._data, old)
                    _versions.bump(cur._data)

                _undo_log.append(restore)
            np.copyto(cur._data, arr, casting="unsafe")
            _versions.bump(cur._data)


def _to_shared_memory(t: Tensor) -> Tensor:
    """The same values in anonymous shared pages (inherited, not copied, by forked processes)."""
    import mmap

    arr = t._data
    if arr.nbytes == 0:
        return t
    buf = mmap.mmap(-1, arr.nbytes)
    shared = np.frombuffer(buf, dtype=arr.dtype).reshape(arr.shape)
    shared[...] = arr
    return _wrap(shared)


def _size(shape) -> str:
    return f"ember.Size({list(shape)})"
