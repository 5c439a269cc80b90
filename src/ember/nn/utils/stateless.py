"""``nn.utils.stateless.functional_call``: run a module with some of its parameters and buffers replaced, for one
call (per-sample gradients, meta-learning, ``ember.func``).

Torch parity: the signature, ``tie_weights`` (a value given for one name of a tied tensor is used for all its
names), ``strict`` key checks and error messages of ``torch.nn.utils.stateless.functional_call``; afterwards the
module holds its own tensors again, even if the call raised.
"""
from __future__ import annotations

import contextlib

__all__ = ["functional_call"]


def _locate(module, dotted: str):
    """(owning submodule, attribute name) of a dotted tensor name."""
    path, _, name = dotted.rpartition(".")
    return (module.get_submodule(path) if path else module), name


def _untie(module, values: dict) -> dict:
    """``values`` plus, for each tensor registered under several names, the given value under its other names."""
    names_of: dict = {}
    for table in (module.named_parameters, module.named_buffers):
        for name, t in table(remove_duplicate=False):
            names_of.setdefault(id(t), []).append(name)
    out = dict(values)
    for names in names_of.values():
        given = [n for n in names if n in values]
        if len(names) < 2 or not given:
            continue
        if any(values[n] is not values[given[0]] for n in given[1:]):
            raise ValueError(f"functional_call got multiple values for keys {sorted(given)}, which are tied. "
                             "Consider using tie_weights=False")
        for n in names:
            out.setdefault(n, values[given[0]])
    return out


def _swap(module, values: dict) -> dict:
    """Put each value in place of the tensor of its name; return what was there (None: nothing was)."""
    old = {}
    for dotted, value in values.items():
        owner, name = _locate(module, dotted)
        for table in (owner._parameters, owner._buffers):
            if name in table:
                old[dotted] = table[name]
                table[name] = value
                break
        else:
            old[dotted] = getattr(owner, name, None)
            object.__setattr__(owner, name, value)
    return old


def _restore(module, old: dict) -> None:
    for dotted, value in old.items():
        owner, name = _locate(module, dotted)
        for table in (owner._parameters, owner._buffers):
            if name in table:
                table[name] = value
                break
        else:
            if value is None:
                owner.__dict__.pop(name, None)
            else:
                object.__setattr__(owner, name, value)


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers: dict, tie_weights: bool = False, strict: bool = False):
    values = _untie(module, parameters_and_buffers) if tie_weights else parameters_and_buffers
    if strict:
        valid = {n for n, _ in module.named_parameters(remove_duplicate=False)}
        valid |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
        missing, unexpected = sorted(valid - set(values)), sorted(set(values) - valid)
        errors = []
        if unexpected:
            errors.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            errors.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if errors:
            raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t" + "\n\t".join(errors))
    old = {}
    try:
        old = _swap(module, values)
        yield
    finally:
        _restore(module, old)


def functional_call(module, parameters_and_buffers: dict, args=None, kwargs=None, *, tie_weights: bool = True,
                    strict: bool = False):
    """``module(*args, **kwargs)`` with the tensors named in ``parameters_and_buffers`` (dotted names, as
    ``state_dict``'s) used in place of the module's own.

    Args:
        args: a tuple of positional arguments (a single value is wrapped). Default: none.
        kwargs: keyword arguments. Default: none.
        tie_weights: a tensor registered under several names takes the given value under all of them. Default: True.
        strict: the names must be exactly the module's parameters and buffers. Default: False.
    """
    from ..parallel.data_parallel import DataParallel

    if isinstance(module, DataParallel):
        raise RuntimeError("The stateless API can't be used with nn.DataParallel module")
    kwargs = {} if kwargs is None else kwargs
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)
