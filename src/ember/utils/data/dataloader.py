"""``DataLoader``: iterate over a dataset in (shuffled) mini-batches.

With ``num_workers=0`` (the default) loading runs in the calling process. For a ``TensorDataset``
(or a ``Subset`` of one, as ``random_split`` returns) with the default collation, each batch is
one slice or fancy index of every underlying array — no per-sample fetch and stack — which is
what small models on CPUs need: the loader must not cost more than the step. With
``num_workers > 0``, worker processes fetch and collate the batches (``_workers.py``).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..._random import _gen
from ...tensor import _wrap
from ._collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset, _array_source
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    _index_batches,
)

if TYPE_CHECKING:
    from . import _workers

__all__ = ["DataLoader", "WorkerInfo", "get_worker_info"]


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns while a loader with ``num_workers > 0`` loads."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The current loading worker, or None outside one.

    Torch parity:
        Same fields as ``torch.utils.data.get_worker_info``: in a worker process of a loader
        with ``num_workers > 0`` its id, the worker count, its seed and its copy of the dataset;
        in the main process None.
    """
    return _worker_info


class _InfiniteConstantSampler(Sampler):
    """Yields None forever: the index "sampler" of an iterable-style dataset."""

    def __iter__(self):
        while True:
            yield None


_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


class DataLoader:
    """Iterates over ``dataset`` in batches chosen by a sampler and merged by ``collate_fn``.

    Each epoch (each ``iter(loader)``) the batch sampler yields lists of indices; the batch is
    ``collate_fn([dataset[i] for i in indices])``. With ``batch_size=None`` samples are yielded
    one by one through ``default_convert``. An ``IterableDataset`` is read in order,
    ``batch_size`` samples at a time.

    Args:
        dataset: map-style ``Dataset`` or ``IterableDataset``.
        batch_size: samples per batch; None disables batching. Default: 1.
        shuffle: reshuffle the indices every epoch (a ``RandomSampler``). Default: False.
        sampler: sampler or iterable of indices; excludes ``shuffle``.
        batch_sampler: sampler of index lists; excludes batch_size, shuffle, sampler, drop_last.
        num_workers: how many worker processes load batches (0: load in the calling process).
            Batches come in the same order as with 0; each worker is seeded with
            ``base_seed + worker_id`` (ember and ``random``), runs ``worker_init_fn(worker_id)``
            and sees itself in ``get_worker_info()``; an ``IterableDataset`` is iterated by every
            worker (shard it with ``get_worker_info()``), batches taken from the workers in
            turn. Default: 0.
        collate_fn: merges a list of samples into a batch. Default: ``default_collate``
            (``default_convert`` without batching).
        pin_memory: accepted and ignored (there is no accelerator to pin for). Default: False.
        drop_last: drop the last incomplete batch. Default: False.
        timeout: seconds to wait for a batch from the workers before raising (0: no limit).
        worker_init_fn: called in each worker with its id, see ``num_workers``.
        multiprocessing_context: a ``multiprocessing`` context or start method name for the
            workers (default: Python's default start method).
        generator: ``ember.Generator`` for shuffling. Default: ember's default generator.
        prefetch_factor: batches in flight per worker (default 2 with workers).
        persistent_workers: keep the worker processes between epochs.
        pin_memory_device, in_order: accepted for compatibility, validated as torch does
            (batches always come in order).

    Torch parity:
        Same arguments, defaults, ``len``, error messages for incompatible options and batches
        as ``torch.utils.data.DataLoader`` (tests/utils/test_data.py compares batches).
        Differences: shuffled orders differ (NumPy's random stream); a seeded ``generator`` makes epochs reproducible, and the loader draws no
        random numbers besides the sampler's.

    Example:
        >>> loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
        >>> for xb, yb in loader: ...
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None, batch_sampler: Sampler | Iterable | None = None,
                 num_workers: int = 0, collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Callable | None = None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True) -> None:
        self._initialized = False
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None and num_workers == 0:
            raise ValueError("multiprocessing_context can only be used with multi-process loading "
                             f"(num_workers > 0), but got num_workers={num_workers}")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler option, but got "
                                 f"sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified batch_sampler option, but "
                                 f"got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")

        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)  # type: ignore[arg-type]  # (a Dataset need not define __len__: len() raises as torch's does)
            else:
                sampler = SequentialSampler(dataset)  # type: ignore[arg-type]  # (a Dataset need not define __len__: len() raises as torch's does)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._worker_pool: _workers.Workers | None = None
        self._initialized = True

    def __setattr__(self, attr, val) -> None:
        if attr in _FROZEN and getattr(self, "_initialized", False):
            raise ValueError(f"{attr} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if self._iterable:
            length = len(self.dataset)  # type: ignore[arg-type]  # (a Dataset need not define __len__: len() raises as torch's does)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)

    def __iter__(self) -> _DataLoaderIter:
        return _DataLoaderIter(self, self._batches())

    # -- one epoch ---------------------------------------------------------------------------
    def _batches(self):
        if self.num_workers == 0:
            yield from self._epoch()
            return
        workers = self._workers_for_epoch()
        try:
            yield from workers.batches(self._index_sampler)
        finally:
            if not self.persistent_workers:
                workers.shutdown()

    def _workers_for_epoch(self) -> _workers.Workers:
        """Start the worker processes (once, with ``persistent_workers``); see ``_workers``."""
        if self.persistent_workers and self._worker_pool is not None and self._worker_pool.alive:
            return self._worker_pool
        base_seed = int(_gen(self.generator).integers(0, 2**63 - self.num_workers))
        infos = [WorkerInfo(id=i, num_workers=self.num_workers, seed=base_seed + i, dataset=self.dataset)
                 for i in range(self.num_workers)]
        args = (self.dataset, self.collate_fn, self._auto_collation, self.batch_size, self.drop_last,
                self._iterable)
        from . import _workers  # (lazy: multiprocessing costs 8 ms of `import ember`, and num_workers=0 needs none)

        workers = _workers.Workers(self, infos, args)
        if self.persistent_workers:
            self._worker_pool = workers
        return workers

    def __del__(self):
        workers = self.__dict__.get("_worker_pool")
        if workers is not None:
            workers.shutdown()

    def _epoch(self):
        if self._iterable:
            yield from self._iterable_epoch()
            return
        source = _array_source(self.dataset) if self._auto_collation and self.collate_fn is default_collate else None
        if source is not None:
            arrays, rows = source
            for idx in _index_batches(self.batch_sampler):
                if rows is not None:
                    idx = rows[idx]
                yield [_wrap(a[idx].copy() if isinstance(idx, slice) else a[idx]) for a in arrays]
            return
        dataset, collate = self.dataset, self.collate_fn
        if not self._auto_collation:
            for index in self.sampler:
                yield collate(dataset[index])
            return
        getitems = getattr(dataset, "__getitems__", None)
        for indices in self.batch_sampler:
            yield collate(getitems(indices) if getitems else [dataset[i] for i in indices])

    def _iterable_epoch(self):
        stream, collate = iter(self.dataset), self.collate_fn
        if not self._auto_collation:
            for sample in stream:
                yield collate(sample)
            return
        size = self.batch_size
        while True:
            batch = []
            for sample in stream:
                batch.append(sample)
                if len(batch) == size:
                    break
            if not batch or (self.drop_last and len(batch) < size):
                return
            yield collate(batch)
            if len(batch) < size:
                return


class _DataLoaderIter:
    """The iterator of one epoch; ``len()`` is the loader's length, as in torch."""

    __slots__ = ("_it", "_loader")

    def __init__(self, loader: DataLoader, it) -> None:
        self._loader = loader
        self._it = it

    def __iter__(self) -> _DataLoaderIter:
        return self

    def __next__(self):
        return next(self._it)

    def __len__(self) -> int:
        return len(self._loader)
