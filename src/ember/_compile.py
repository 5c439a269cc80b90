"""``ember.compile``: torch.compile's signature and checks, returning a callable with the same results.

What it does: validates the arguments as torch does (``mode`` one of torch's, not both ``mode`` and ``options``,
``backend`` a callable or one of torch's backend names, the model callable), and returns
- for an ``nn.Module``: an ``OptimizedModule`` wrapping it, as torch's: ``_orig_mod`` is the model, parameters,
  buffers and ``state_dict`` keys carry torch's ``_orig_mod.`` prefix, attributes read through to the model, and
  calling it calls the model;
- for a function: a wrapper calling it (``functools.wraps``); ``compile(**kwargs)`` with no model returns the
  decorator.
What it does not do: trace, fuse or generate code. ember's speed comes from its own kernels, so a compiled
model runs exactly as the eager one (same numbers, same autograd graph); the options are recorded but change
nothing.
"""
from __future__ import annotations

import functools

MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
BACKENDS = ("aot_eager", "aot_eager_decomp_partition", "cudagraphs", "eager", "inductor", "openxla", "tvm")


class InvalidBackend(RuntimeError):
    """torch._dynamo.exc.InvalidBackend (a RuntimeError)."""

    def __init__(self, name):
        super().__init__(f"Invalid backend: {name!r}, see `torch._dynamo.list_backends()` for available backends.")


def _check(model, backend, mode, options) -> None:
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode is not None and mode not in MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(MODES)}")
    if not callable(backend) and backend not in BACKENDS:
        raise InvalidBackend(backend)
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor", mode=None, options=None,
            disable: bool = False):
    """torch.compile: check the arguments and return ``model`` wrapped, running eagerly (module docstring)."""
    if model is None:
        def decorator(fn):
            return compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode, options=options,
                           disable=disable)

        return decorator
    _check(model, backend, mode, options)
    from .nn import Module

    if isinstance(model, Module):
        return _optimized_module(model)

    @functools.wraps(model)
    def compiled(*args, **kwargs):
        return model(*args, **kwargs)

    return compiled


def _optimized_module(model):
    from .nn import Module

    class OptimizedModule(Module):
        """A compiled module: ``_orig_mod`` is the model; calling it calls the model (torch's wrapper class)."""

        def __init__(self, mod):
            super().__init__()
            self._orig_mod = mod

        def forward(self, *args, **kwargs):
            return self._orig_mod(*args, **kwargs)

        def __getattr__(self, name):
            try:
                return super().__getattr__(name)
            except AttributeError:
                return getattr(self.__dict__["_modules"]["_orig_mod"], name)

    OptimizedModule.__qualname__ = OptimizedModule.__name__
    return OptimizedModule(model)
