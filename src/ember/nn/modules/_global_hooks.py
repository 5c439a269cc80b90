"""The global module hooks (``torch.nn.modules.module.register_module_*``): every module runs them, before its own.

``ember.nn.modules.module`` re-exports the ``register_module_*`` functions under torch's names.
"""
from __future__ import annotations

from collections import OrderedDict

from ...utils.hooks import RemovableHandle

__all__ = ["register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_full_backward_pre_hook", "register_module_full_backward_hook",
           "register_module_buffer_registration_hook", "register_module_module_registration_hook",
           "register_module_parameter_registration_hook"]

_global_forward_pre_hooks: OrderedDict = OrderedDict()
_global_forward_hooks: OrderedDict = OrderedDict()
_global_forward_hooks_with_kwargs: OrderedDict = OrderedDict()
_global_forward_hooks_always_called: OrderedDict = OrderedDict()
_global_backward_pre_hooks: OrderedDict = OrderedDict()
_global_backward_hooks: OrderedDict = OrderedDict()
_global_buffer_registration_hooks: OrderedDict = OrderedDict()
_global_module_registration_hooks: OrderedDict = OrderedDict()
_global_parameter_registration_hooks: OrderedDict = OrderedDict()
_CALL_HOOK_TABLES = (_global_forward_pre_hooks, _global_forward_hooks, _global_backward_pre_hooks,
                     _global_backward_hooks)


def _register(table, hook, **extra) -> RemovableHandle:
    """Put ``hook`` in ``table`` under a new handle; mark its id in each ``extra`` table whose flag is true."""
    marks = [t for t, on in extra.values() if on]
    handle = RemovableHandle(table, extra_dict=[t for t, _ in extra.values()])
    table[handle.id] = hook
    for t in marks:
        t[handle.id] = True
    return handle


def register_module_forward_pre_hook(hook) -> RemovableHandle:
    """A forward pre hook ``hook(module, args) -> None or new args`` run by every module before its own."""
    return _register(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook, *, with_kwargs: bool = False, always_call: bool = False) -> RemovableHandle:
    """A forward hook ``hook(module, args[, kwargs], output) -> None or new output`` run by every module."""
    return _register(_global_forward_hooks, hook, kw=(_global_forward_hooks_with_kwargs, with_kwargs),
                     always=(_global_forward_hooks_always_called, always_call))


def register_module_full_backward_pre_hook(hook) -> RemovableHandle:
    """``hook(module, grad_output) -> None or new grad_output`` for every module, before its own."""
    return _register(_global_backward_pre_hooks, hook)


def register_module_full_backward_hook(hook) -> RemovableHandle:
    """``hook(module, grad_input, grad_output) -> None or new grad_input`` for every module, before its own."""
    return _register(_global_backward_hooks, hook)


def register_module_buffer_registration_hook(hook) -> RemovableHandle:
    """``hook(module, name, buffer) -> None or a replacement``, run whenever a buffer is registered."""
    return _register(_global_buffer_registration_hooks, hook)


def register_module_module_registration_hook(hook) -> RemovableHandle:
    """``hook(module, name, submodule) -> None or a replacement``, run whenever a submodule is registered."""
    return _register(_global_module_registration_hooks, hook)


def register_module_parameter_registration_hook(hook) -> RemovableHandle:
    """``hook(module, name, param) -> None or a replacement``, run whenever a parameter is registered."""
    return _register(_global_parameter_registration_hooks, hook)


def _run_registration_hooks(table, module, name, value):
    for hook in table.values():
        out = hook(module, name, value)
        if out is not None:
            value = out
    return value
