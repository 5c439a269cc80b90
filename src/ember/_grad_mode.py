"""Grad modes: ``no_grad``, ``enable_grad``, ``inference_mode``, ``set_grad_enabled``.

Each works as a context manager and as a decorator, like torch's. The flag lives in
``_state.enabled``; ops read it once per call.

This module depends on nothing in ember, so that ``tensor.py`` and every op can import it at the top
(``ember.autograd.grad_mode`` re-exports it under torch's module name).
"""
from __future__ import annotations

import functools


class _State:
    __slots__ = ("enabled",)

    def __init__(self):
        self.enabled = True


_state = _State()


def is_grad_enabled() -> bool:
    return _state.enabled


class _GradMode:
    _mode = True

    def __new__(cls, orig_func=None):
        if callable(orig_func):  # used as a bare decorator: @no_grad
            return cls()(orig_func)
        return super().__new__(cls)

    def __enter__(self):
        self._prev = _state.enabled
        _state.enabled = self._mode

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Context manager / decorator that disables gradient recording."""

    _mode = False


class enable_grad(_GradMode):
    """Context manager / decorator that enables gradient recording."""

    _mode = True


class inference_mode(_GradMode):
    """Like ``no_grad`` (ember has no separate inference tensors). ``inference_mode(False)`` is a no-op."""

    def __new__(cls, mode=True):
        if callable(mode):  # used as a bare decorator: @inference_mode
            return cls()(mode)
        return object.__new__(cls)

    def __init__(self, mode: bool = True):
        self._mode = not mode

    def __call__(self, fn):
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(not mode):
                return fn(*args, **kwargs)

        return wrapper


class set_grad_enabled(_GradMode):
    """Enable or disable gradient recording; works as a function, context manager and decorator."""

    def __new__(cls, mode: bool):
        return object.__new__(cls)

    def __init__(self, mode: bool):
        self._prev = _state.enabled
        self._mode = bool(mode)
        _state.enabled = self._mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def __call__(self, fn):
        _state.enabled = self._prev
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper
