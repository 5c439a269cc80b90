"""``ember.func``: torch.func's ``functional_call`` (the module run with given parameters and buffers)."""
from __future__ import annotations

from collections.abc import Sequence

__all__ = ["functional_call"]


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights: bool = True,
                    strict: bool = False):
    """As ``nn.utils.stateless.functional_call``; ``parameter_and_buffer_dicts`` may also be a sequence of dicts
    with disjoint keys.

    Torch parity: signature, merging of several dicts and errors of ``torch.func.functional_call``.
    """
    from .nn.utils.stateless import functional_call as call

    if isinstance(parameter_and_buffer_dicts, dict):
        merged = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, Sequence):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
        seen, repeated = set(), []
        for d in parameter_and_buffer_dicts:
            for k in d:
                if k in seen and k not in repeated:
                    repeated.append(k)
                seen.add(k)
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is ambiguous")
        merged = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(parameter_and_buffer_dicts)}")
    return call(module, merged, args, kwargs, tie_weights=tie_weights, strict=strict)
