"""``ember.cuda``: torch.cuda as torch's CPU-only build answers it (ember has no CUDA device).

Programs written for any machine ask ``torch.cuda.is_available()`` first; these functions answer as
``torch`` built without CUDA does, so that such programs take their CPU path unchanged:

- queries that have an answer without a device return it: ``is_available()`` False, ``device_count()`` 0,
  ``is_initialized()`` False, ``is_bf16_supported()`` False, memory counters 0;
- seeding and cache calls (``manual_seed``, ``manual_seed_all``, ``seed``, ``seed_all``, ``empty_cache``) do
  nothing, silently;
- calls that need a device (``synchronize``, ``current_device``, ``get_device_name``, ``get_device_properties``,
  ``get_device_capability``, ``set_device``, ``init``, ``device(...)``, ``stream``) raise
  ``AssertionError: Torch not compiled with CUDA enabled``;
- ``cuda.amp.autocast`` / ``cuda.amp.GradScaler`` warn as deprecated (FutureWarning) and disable themselves.
"""
from __future__ import annotations

from .._backend import NO_CUDA
from . import amp  # noqa: F401  (the deprecated torch.cuda.amp spellings)


def _no_cuda(*args, **kwargs):
    raise AssertionError(NO_CUDA)


def is_available() -> bool:
    """False: ember runs on the CPU."""
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def _nothing(*args, **kwargs) -> None:
    """Seeding or freeing the cache of a device that does not exist: nothing to do (as torch's CPU build)."""
    return None


manual_seed = manual_seed_all = seed = seed_all = empty_cache = _nothing


def _zero(device=None) -> int:
    """A memory counter of the (absent) device: 0, as torch's CPU build."""
    return 0


memory_allocated = max_memory_allocated = memory_reserved = max_memory_reserved = _zero

synchronize = current_device = get_device_name = get_device_properties = get_device_capability = _no_cuda
set_device = init = device = stream = current_stream = _no_cuda
