"""Samplers: which dataset indices a ``DataLoader`` visits, and in which order.

Every built-in sampler draws one epoch of indices as NumPy arrays (``_index_chunks``: one
array, or for ``RandomSampler`` with replacement one ``_CHUNK``-sized draw at a time, so that
``num_samples=10**10`` costs nothing up front) and iterates over them, so the ``DataLoader``
can batch a ``TensorDataset`` by slicing those arrays instead of looping over Python ints. Randomness comes from an ``ember.Generator`` (or ember's
default generator when ``generator`` is None): seeding it makes every epoch reproducible.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any

import numpy as np

from ... import _errors
from ..._random import _gen

_CHUNK = 4096  # indices RandomSampler(replacement=True) draws at a time (torch draws 32; NumPy prefers more)

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]


class Sampler:
    """Base class of all samplers: an iterable over dataset indices (or over batches of them).

    Subclasses implement ``__iter__`` and usually ``__len__``.

    Torch parity:
        Same as ``torch.utils.data.Sampler`` (the ``data_source`` argument is accepted and ignored).
    """

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator:
        raise _errors.must_implement(self, "__iter__")


def _check_positive_int(name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")


class SequentialSampler(Sampler):
    """Indices ``0, 1, …, len(data_source) − 1`` in order.

    Args:
        data_source: dataset to sample from (anything with ``__len__``).

    Torch parity:
        Same as ``torch.utils.data.SequentialSampler``.

    Example:  >>> list(SequentialSampler(range(3)))  # [0, 1, 2]
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def _index_chunks(self) -> Iterator[np.ndarray]:
        yield np.arange(len(self.data_source))

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order: a fresh permutation per epoch, or draws with replacement.

    Without replacement, ``num_samples`` indices are the concatenation of as many random
    permutations of ``range(n)`` as needed, cut to length; with replacement, each index is
    drawn uniformly from ``range(n)``. Both are drawn lazily, a permutation or 4096 draws at a
    time (as torch draws 32 at a time), so a huge ``num_samples`` takes no memory up front.

    Args:
        data_source: dataset to sample from (anything with ``__len__``).
        replacement: draw with replacement. Default: False.
        num_samples: number of indices per epoch. Default: ``len(data_source)``.
        generator: ``ember.Generator`` to draw from. Default: ember's default generator.

    Torch parity:
        Same arguments, checks and messages as ``torch.utils.data.RandomSampler``; the random
        stream differs (NumPy's PCG64). With ``generator=None`` torch seeds a private generator
        from its global one; ember draws from its default generator directly, so
        ``ember.manual_seed`` makes the order reproducible in both cases.

    Example:  >>> list(RandomSampler(range(4), generator=ember.Generator().manual_seed(0)))
    """

    def __init__(self, data_source: Sized, replacement: bool = False, num_samples: int | None = None,
                 generator=None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        _check_positive_int("num_samples", self.num_samples)

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _index_chunks(self) -> Iterator[np.ndarray]:
        n, left, rng = len(self.data_source), self.num_samples, _gen(self.generator)
        while left > 0:
            chunk = rng.integers(0, n, size=min(left, _CHUNK)) if self.replacement else rng.permutation(n)[:left]
            left -= len(chunk)
            yield chunk

    def __iter__(self) -> Iterator[int]:
        for chunk in self._index_chunks():
            yield from chunk.tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order (a fresh permutation per epoch).

    Args:
        indices: sequence of dataset indices.
        generator: ``ember.Generator`` to draw from. Default: ember's default generator.

    Torch parity:
        Same as ``torch.utils.data.SubsetRandomSampler``; the random stream differs.
    """

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        self.indices = indices
        self.generator = generator

    def _index_chunks(self) -> Iterator[np.ndarray]:
        order = _gen(self.generator).permutation(len(self.indices))
        yield np.asarray(self.indices, dtype=np.int64).reshape(-1)[order]

    def __iter__(self) -> Iterator[int]:
        for i in _gen(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


def _weighted_draw(weights: np.ndarray, num_samples: int, replacement: bool, rng) -> np.ndarray:
    """Indices drawn with probability ∝ weights, like ``torch.multinomial``.

    With replacement: inverse-CDF sampling, i = searchsorted(cumsum(w) / Σw, u), u ~ U[0, 1).
    Without replacement: the k smallest keys Eᵢ / wᵢ with Eᵢ ~ Exp(1) — the same law as drawing
    one index at a time and removing it (Efraimidis & Spirakis, "Weighted random sampling
    with a reservoir", Information Processing Letters 97(5), 2006). Zero weights come last,
    as torch allows.
    """
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise _errors.multinomial_bad_probabilities()
    if weights.sum() <= 0:
        raise _errors.multinomial_zero_sum()
    if replacement:
        cdf = np.cumsum(weights)
        draws = np.searchsorted(cdf, rng.random(num_samples) * cdf[-1], side="right")
        return np.minimum(draws, weights.size - 1)
    if num_samples > weights.size:
        raise _errors.multinomial_too_many_samples()
    with np.errstate(divide="ignore"):
        keys = rng.exponential(size=weights.size) / weights
    return np.argsort(keys, kind="stable")[:num_samples]


class WeightedRandomSampler(Sampler):
    """Indices from ``range(len(weights))`` drawn with probability proportional to ``weights``.

    P(i) = wᵢ / Σⱼ wⱼ for every draw (with replacement); without replacement an index cannot
    be drawn twice in one epoch.

    Args:
        weights: 1-d sequence of non-negative weights (need not sum to one).
        num_samples: number of indices per epoch.
        replacement: draw with replacement. Default: True.
        generator: ``ember.Generator`` to draw from. Default: ember's default generator.

    Torch parity:
        Same arguments, checks and messages as ``torch.utils.data.WeightedRandomSampler``
        (``weights`` is kept as a float64 ember tensor); invalid weights raise torch's
        ``RuntimeError`` messages when iterated. The random stream differs.

    Reference:
        Efraimidis & Spirakis, "Weighted random sampling with a reservoir", IPL 97(5), 2006.
    """

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator=None) -> None:
        from ...tensor import Tensor, _wrap

        _check_positive_int("num_samples", num_samples)
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        w = np.asarray(weights._data if isinstance(weights, Tensor) else weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}")
        self.weights = _wrap(w)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def _index_chunks(self) -> Iterator[np.ndarray]:
        yield _weighted_draw(self.weights._data, self.num_samples, self.replacement, _gen(self.generator))

    def __iter__(self) -> Iterator[int]:
        return iter(next(self._index_chunks()).tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of another sampler into lists of ``batch_size``.

    Args:
        sampler: a sampler or any iterable of indices.
        batch_size: size of each batch.
        drop_last: drop the last batch if it is smaller than ``batch_size``.

    Torch parity:
        Same arguments, checks, messages and ``len`` as ``torch.utils.data.BatchSampler``.

    Example:  >>> list(BatchSampler(SequentialSampler(range(5)), 2, False))  # [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int, drop_last: bool) -> None:
        _check_positive_int("batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        it, size = iter(self.sampler), self.batch_size
        batch = []
        for idx in it:
            batch.append(idx)
            if len(batch) == size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]  # (a sampler need not define __len__, as in torch)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


# Samplers whose ``__iter__`` is exactly "iterate over ``_index_chunks()``" (subclasses that
# override ``__iter__`` fall out of this set and are iterated the ordinary way).
_ARRAY_ITERS = {SequentialSampler.__iter__, RandomSampler.__iter__, SubsetRandomSampler.__iter__,
                WeightedRandomSampler.__iter__}


def _index_batches(batch_sampler) -> Iterator:
    """One epoch of index batches as ``slice`` objects or int64 arrays (the DataLoader fast path).

    Draws the same random numbers as iterating ``batch_sampler``, so both paths give the same
    batches for the same generator state.
    """
    sampler: Any = getattr(batch_sampler, "sampler", None)
    if type(batch_sampler).__iter__ is BatchSampler.__iter__ and type(sampler).__iter__ in _ARRAY_ITERS:
        size = batch_sampler.batch_size
        if type(sampler).__iter__ is SequentialSampler.__iter__:
            n = len(sampler)
            stop = n - n % size if batch_sampler.drop_last else n
            for start in range(0, stop, size):
                yield slice(start, min(start + size, n))
            return
        rest = np.empty(0, dtype=np.int64)  # the indices of a batch that spans chunks
        for chunk in sampler._index_chunks():
            order = np.concatenate([rest, chunk]) if len(rest) else chunk
            full = len(order) - len(order) % size
            for start in range(0, full, size):
                yield order[start:start + size]
            rest = order[full:]
        if len(rest) and not batch_sampler.drop_last:
            yield rest
        return
    for batch in batch_sampler:
        yield np.asarray(batch, dtype=np.int64)
