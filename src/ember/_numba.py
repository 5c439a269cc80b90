"""ember's optional numba kernels: one on/off switch, one registry, one compile-and-cache helper.

Every fused kernel (optimizers, losses, metrics, convolution, pooling, recurrent steps) is a plain Python loop
written for numba, registered against the readable NumPy *reference* that holds its math::

    @fast_variant_of(reference, example=make_inputs, parallel=False, fastmath=False, nogil=True)
    def _fast(...): ...                       # same arguments and results as reference(...)

``compiled(_fast, **consts)`` returns it compiled (numba imported on first use, ``cache=True`` so later processes
load it from disk), or None when numba is absent or switched off, so that callers fall back to the reference or
their NumPy path. ``consts`` are compile-time globals of the loop (a dtype's scalar type ``F``, a convolution's
geometry ``KH``, ...): each combination is its own specialisation, under its own name, since numba's disk cache
keys on the function's name. ``prange`` in a loop is numba's parallel range in a parallel compilation and
``range`` otherwise; a kernel registered with ``parallel=None`` is compiled either way, as the caller asks.

Each registration carries ``example(rng, dtype)``, which yields ``(args, consts)`` inputs (``consts`` may
name ``parallel`` too, for a kernel compiled either way); tests/test_kernel_registry.py
walks the registry and checks, for each example and dtype, that the compiled kernel and the reference leave the
same results (return value and every array argument, which kernels update in place): bit for bit, or within the
``rtol`` the registration states with its reason.

``EMBER_DISABLE_NUMBA=1`` turns the kernels off at start-up; ``set_enabled`` switches them at run time (tests and
benchmarks compare both paths). Importing ember never imports numba.
"""
from __future__ import annotations

import os
import types
from dataclasses import dataclass, field
from typing import Any, Callable

ALLOWED_BY_ENV = os.environ.get("EMBER_DISABLE_NUMBA", "").strip() in ("", "0", "false", "False")
_enabled = ALLOWED_BY_ENV
_numba = None


def module():
    """The numba module, or None when it is not installed or the kernels are disabled."""
    global _numba, _enabled
    if not _enabled:
        return None
    if _numba is None:
        try:
            import numba
        except ImportError:
            _enabled = False
            return None
        _numba = numba
    return _numba


def available() -> bool:
    """True when numba imports and has not been disabled."""
    return module() is not None


FLOATS = ("float32", "float64")  # the float dtypes the kernels are compiled for (numba has no float16)


def takes(dtype) -> bool:
    """Whether the float kernels take arrays of ``dtype``: float32 and float64. float16 arrays (numba cannot type
    them), like integer ones, take the NumPy path."""
    return dtype.name in FLOATS


def set_enabled(flag) -> bool:
    """Turn the numba kernels on or off; returns the previous setting."""
    global _enabled
    previous = _enabled
    _enabled = bool(flag)
    return previous


@dataclass(frozen=True)
class Kernel:
    """One registered fast variant: its loop, the reference holding its math, and how to compile and check it."""

    fast: Callable
    reference: Callable
    example: Callable  # (rng, dtype) -> iterable of (args, consts)
    flags: dict  # numba.njit's flags that differ from its defaults, besides cache=True and parallel
    parallel: bool | None  # None: compiled serial or parallel as each caller asks
    helpers: tuple  # functions the loop calls, compiled inline into its scope
    dtypes: tuple  # the dtypes the example is checked in
    rtol: dict  # dtype name -> tolerance against the reference ({}: bit-identical)
    why: str  # the reason for a tolerance
    call: Callable | None  # runs the reference on the fast variant's (args, consts); None: reference(*args, **consts)
    scratch: tuple  # positions of arguments that are the kernel's work space, not results
    _compiled: dict = field(default_factory=dict, compare=False)

    @property
    def name(self) -> str:
        return f"{self.fast.__module__}.{self.fast.__name__}"

    def run_reference(self, args, consts):
        """The reference on a kernel's arguments and compile-time constants (``parallel`` is not one of its)."""
        consts = {k: v for k, v in consts.items() if k != "parallel"}
        if self.call is not None:
            return self.call(self.reference, args, consts)
        return self.reference(*args, **consts)


_REGISTRY: dict[Callable, Kernel] = {}


def fast_variant_of(reference, *, example, parallel: bool | None = False, fastmath: Any = False, nogil=False,
                    error_model=None, helpers=(), dtypes=FLOATS, rtol=None, why="", call=None,
                    scratch=()):
    """Decorator: register the decorated loop as the fast variant of ``reference`` (see the module docstring).

    ``parallel``, ``fastmath``, ``nogil`` and ``error_model`` are numba.njit's flags; ``helpers`` are functions
    the loop calls by name (compiled with ``inline="always"``); ``rtol`` ({dtype name: tolerance}) with ``why`` states
    how far the kernel may differ from the reference (default: not at all); ``call(reference, args, consts)`` runs
    the reference where its calling convention differs from the kernel's; ``scratch`` lists the positions of
    arguments that are work space (not compared)."""
    if rtol and not why:
        raise ValueError(f"a tolerance for the fast variant of {reference.__name__} needs its reason (why=)")
    flags = {k: v for k, v in dict(fastmath=fastmath, nogil=nogil, error_model=error_model).items() if v}

    def deco(fast):
        _REGISTRY[fast] = Kernel(fast, reference, example, flags, parallel, tuple(helpers), tuple(dtypes),
                                 dict(rtol or {}), why, call, tuple(scratch))
        return fast

    return deco


def registry() -> list[Kernel]:
    """Every registered kernel (those of the modules imported so far)."""
    return list(_REGISTRY.values())


def compiled(fast, *, parallel: bool | None = None, **consts):
    """The registered loop ``fast`` compiled by numba with ``consts`` bound (compiled once per combination, cached on
    disk), or None without numba. ``parallel`` chooses the compilation of a kernel registered with
    ``parallel=None``; other kernels keep their registered setting."""
    numba = module()
    if numba is None:
        return None
    entry = _REGISTRY[fast]
    parallel = entry.parallel if entry.parallel is not None else bool(parallel)
    key = (parallel, *consts.items()) if consts else parallel  # (a call site passes its consts in one order)
    fn = entry._compiled.get(key)
    if fn is None:
        flags = dict(entry.flags, parallel=True) if parallel else entry.flags
        fn = entry._compiled[key] = numba.njit(cache=True, **flags)(_specialised(numba, entry, parallel, consts))
    return fn


def _specialised(numba, entry, parallel, consts):
    """A copy of the loop whose globals bind ``consts``, ``prange`` and the inline helpers, named after them."""
    py = entry.fast
    scope = dict(py.__globals__, prange=numba.prange if parallel else range, **consts)
    for helper in entry.helpers:
        scope[helper.__name__] = _inline(numba, helper)
    parts = [py.__name__] + [getattr(v, "__name__", str(v)) for _, v in sorted(consts.items())]
    if entry.parallel is None:
        parts.append("parallel" if parallel else "serial")
    name = "_".join(parts).replace("-", "m").replace(".", "_")
    fn = types.FunctionType(py.__code__, scope, name, py.__defaults__)
    fn.__qualname__ = name
    return fn


_INLINE: dict = {}


def _inline(numba, helper):
    if helper not in _INLINE:
        _INLINE[helper] = numba.njit(inline="always")(helper)
    return _INLINE[helper]
