"""``ember.amp``: ``autocast`` and ``GradScaler`` with torch's API, under ember's float32 policy.

ember has no bfloat16 and computes in float32 (or the tensors' own dtype) always. So:

- ``autocast("cpu")`` (= ``torch.autocast``, ``torch.amp.autocast``, ``torch.cpu.amp.autocast``) is a context
  manager and decorator that records its state, as torch's: ``is_autocast_enabled("cpu")`` is True inside and
  ``get_autocast_dtype("cpu")`` gives the dtype it runs in, but ops are **not** cast to a lower precision: they run
  in float32, so results equal those outside autocast (torch's differ by bfloat16 rounding).
  ``get_autocast_dtype("cpu")`` is ``float32`` by default (torch: bfloat16, which ember lacks) and ``float16``
  when asked for it (still computed in float32). As torch, another dtype warns "In CPU autocast, but the target
  dtype is not supported. Disabling autocast." and disables it; ``device_type="cuda"`` warns that CUDA is not
  available and disables it; a device type that is not a string raises ValueError, an unknown one RuntimeError.
- ``GradScaler("cpu")`` scales the loss and unscales the gradients exactly as torch's (skipping steps whose
  gradients hold inf/nan, backing off and growing the scale); with float32 gradients it is never needed, but it
  runs. ``GradScaler()`` / ``GradScaler("cuda")`` warn and disable themselves, as on torch's CPU build; a disabled
  scaler passes losses through and steps the optimizer directly.
"""
from __future__ import annotations

import functools
import threading
import warnings

import numpy as np

from . import _dtype
from ._backend import device as _device

_state = threading.local()  # per thread, as torch's: {device_type: (enabled, dtype)}
_CPU_DTYPES = (_dtype.float16,)  # what CPU autocast accepts besides its default (torch: bfloat16, float16)
_DEFAULT_DTYPE = {"cpu": _dtype.float32}  # ember's policy: autocast computes in float32 (torch: bfloat16)


def _autocast_state() -> dict:
    if not hasattr(_state, "by_device"):
        _state.by_device = {}
    return _state.by_device


def _check_device_type(device_type) -> str:
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    return _device(device_type).type


def _query_device_type(fn: str, device_type) -> str:
    if not isinstance(device_type, str):
        raise TypeError(f"{fn}(): argument 'device_type' (position 1) must be str, not {type(device_type).__name__}")
    return _device(device_type).type


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether autocast is on for ``device_type`` in this thread (torch's no-argument form asks about CUDA)."""
    return _autocast_state().get(_query_device_type("is_autocast_enabled", device_type), (False, None))[0]


def get_autocast_dtype(device_type: str):
    """The dtype autocast runs in for ``device_type``: float32 on the CPU unless float16 was asked for."""
    device_type = _query_device_type("get_autocast_dtype", device_type)
    return _autocast_state().get(device_type, (False, None))[1] or _DEFAULT_DTYPE.get(device_type, _dtype.float16)


class autocast:
    """Mixed-precision region with torch's signature; in ember it computes in float32 (module docstring)."""

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled=None):
        self.device = _check_device_type(device_type)
        self._dtype_arg = dtype
        self.fast_dtype = dtype if dtype is not None else get_autocast_dtype(self.device)
        self._enabled = bool(enabled)
        if self._enabled and self.device == "cuda":
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.")
            self._enabled = False
        elif self._enabled and self.device == "cpu" and dtype is not None and dtype not in _CPU_DTYPES:
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                          "CPU Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.")
            self._enabled = False

    def __enter__(self):
        states = _autocast_state()
        self._prev = states.get(self.device)
        if self._enabled:
            states[self.device] = (True, self.fast_dtype)
        elif self._prev is not None:
            states[self.device] = (False, self._prev[1])
        return self

    def __exit__(self, *exc) -> None:
        states = _autocast_state()
        if self._prev is None:
            states.pop(self.device, None)
        else:
            states[self.device] = self._prev

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with autocast(self.device, self._dtype_arg, self._enabled):
                return func(*args, **kwargs)

        return wrapper


def _found_inf(grads) -> bool:
    return any(not np.isfinite(g._data).all() for g in grads)


class GradScaler:
    """Loss scaling for mixed precision, as ``torch.amp.GradScaler``.

    scale(loss) = loss·s; step() first unscales the gradients (g ← g/s) and skips ``optimizer.step()`` when any is
    inf or nan; update() sets s ← s·backoff_factor after a skipped step, else s ← s·growth_factor after
    ``growth_interval`` clean steps in a row.

    Torch parity: same arguments, defaults, state_dict keys and errors; enabled only for ``device="cpu"`` (a CUDA
    scaler warns and disables itself, as on torch's CPU build).
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True):
        self._device = _check_device_type(device)
        if enabled and self._device == "cuda":
            warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.")
            enabled = False
        self._enabled = bool(enabled)
        if self._enabled:
            if not growth_factor > 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if not backoff_factor < 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
        self._init_scale = float(init_scale)
        self._scale: float | None = None
        self._growth_factor, self._backoff_factor = float(growth_factor), float(backoff_factor)
        self._growth_interval, self._growth_tracker = int(growth_interval), 0
        self._per_optimizer: dict[int, dict] = {}  # id(optimizer) -> {"unscaled": bool, "found_inf": bool}

    def is_enabled(self) -> bool:
        return self._enabled

    def get_scale(self) -> float:
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = int(new_interval)

    def scale(self, outputs):
        """outputs·s (a tensor, or the same nesting of lists/tuples of tensors)."""
        if not self._enabled:
            return outputs
        if self._scale is None:
            self._scale = self._init_scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        return outputs * self._scale

    def _grads(self, optimizer):
        return [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]

    def unscale_(self, optimizer) -> None:
        """Divide the optimizer's gradients by s (once per step) and note whether any is inf or nan."""
        if not self._enabled:
            return
        state = self._per_optimizer.setdefault(id(optimizer), {"unscaled": False, "found_inf": False})
        if state["unscaled"]:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        grads = self._grads(optimizer)
        inv = 1.0 / self.get_scale()
        for g in grads:
            g._data *= np.asarray(inv, g._data.dtype)
        state.update(unscaled=True, found_inf=_found_inf(grads))

    def step(self, optimizer, *args, **kwargs):
        """Unscale (unless done), then ``optimizer.step()`` unless a gradient is inf or nan."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        state = self._per_optimizer.get(id(optimizer))
        if state is None or not state["unscaled"]:
            self.unscale_(optimizer)
            state = self._per_optimizer[id(optimizer)]
        if state["found_inf"]:
            return None
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        """Back off after an inf/nan step, grow after ``growth_interval`` clean steps; or set ``new_scale``."""
        if not self._enabled:
            return
        if self._scale is None:
            raise AssertionError("Attempted update but _scale is None.  This may indicate your script did not use "
                                 "scaler.scale(loss or outputs) earlier in the iteration.")
        if new_scale is not None:
            if not isinstance(new_scale, (float, int)) or isinstance(new_scale, bool):
                value = getattr(new_scale, "_data", None)
                if value is None or value.size != 1:
                    raise AttributeError(f"'{type(new_scale).__name__}' object has no attribute 'device'")
                new_scale = float(value)
            self._scale = float(new_scale)
        else:
            if not self._per_optimizer:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(s["found_inf"] for s in self._per_optimizer.values()):
                self._scale = self.get_scale() * self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    self._scale = self.get_scale() * self._growth_factor
                    self._growth_tracker = 0
        self._per_optimizer = {}

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])

