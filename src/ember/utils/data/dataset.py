"""Datasets: map-style (``__getitem__`` + ``__len__``) and iterable-style (``__iter__``).

``TensorDataset`` and ``Subset`` of it are what the ``DataLoader`` batches fastest: it slices
their arrays once per batch instead of fetching and stacking samples one by one.
"""
from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Sequence

import numpy as np

from ... import _errors
from ..._random import _gen, default_generator

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "StackDataset",
    "Subset",
    "TensorDataset",
    "random_split",
]


class Dataset:
    """A map from keys (usually ``0 … len − 1``) to samples.

    Subclasses implement ``__getitem__`` and, for the default samplers, ``__len__``; they may
    implement ``__getitems__(indices) -> list`` to fetch a whole batch at once. ``a + b`` is
    ``ConcatDataset([a, b])``.

    Torch parity:
        Same as ``torch.utils.data.Dataset``.
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses implement ``__iter__``.

    The DataLoader pulls ``batch_size`` samples at a time; samplers and shuffling do not
    apply. ``a + b`` is ``ChainDataset([a, b])``.

    Torch parity:
        Same as ``torch.utils.data.IterableDataset``. ember loads in the calling process, so
        ``get_worker_info()`` is None with ``num_workers=0`` and reports one worker otherwise
        (see ``DataLoader``): a stream is never duplicated across workers.
    """

    def __iter__(self):
        raise _errors.must_implement(self, "__iter__")

    def __add__(self, other: Dataset) -> ChainDataset:  # type: ignore[override]  # (torch's: a stream chains)
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are rows: ``dataset[i] = (t[i] for t in tensors)``.

    Args:
        *tensors: tensors (or NumPy arrays) with the same size of the first dimension.

    Torch parity:
        Same as ``torch.utils.data.TensorDataset`` (``AssertionError`` on a size mismatch).
        Extension: NumPy arrays are accepted as well; they are batched into tensors.

    Example:  >>> ds = TensorDataset(ember.randn(10, 3), ember.arange(10));  x, y = ds[0]
    """

    def __init__(self, *tensors) -> None:
        if any(tensors[0].shape[0] != t.shape[0] for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class StackDataset(Dataset):
    """Zips datasets of equal length: ``StackDataset(a, b)[i] = (a[i], b[i])``, or a dict with kwargs.

    Torch parity:
        Same as ``torch.utils.data.StackDataset``.
    """

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                             "input/output, but both types are given.")
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        parts = list(args) if args else list(kwargs.values())
        self._length = len(parts[0])  # type: ignore[arg-type]  # (a Dataset need not define __len__: len() raises as torch's does)
        if any(len(d) != self._length for d in parts):  # type: ignore[arg-type]
            raise ValueError("Size mismatch between datasets")
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset):
    """Datasets one after another: index ``i`` falls in the first dataset whose cumulative size exceeds it.

    Args:
        datasets: map-style datasets to concatenate.

    Torch parity:
        Same as ``torch.utils.data.ConcatDataset`` (``cumulative_sizes``, negative indices, errors).
    """

    @staticmethod
    def cumsum(sequence) -> list[int]:
        return list(itertools.accumulate(len(e) for e in sequence))

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        offset = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - offset]


class ChainDataset(IterableDataset):
    """Iterable datasets one after another (lazily).

    Torch parity:
        Same as ``torch.utils.data.ChainDataset``.
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def _checked(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield d

    def __iter__(self):
        for d in self._checked():
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self._checked())


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``: ``Subset(d, idx)[i] = d[idx[i]]``.

    Args:
        dataset: the whole dataset.
        indices: indices into it.

    Torch parity:
        Same as ``torch.utils.data.Subset`` (including ``__getitems__``).
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list:
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


def _split_lengths(n: int, fractions: Sequence[float]) -> list[int]:
    """floor(fᵢ·n) per split, then the remainder handed out one by one, round robin from the first."""
    lengths = []
    for i, frac in enumerate(fractions):
        if frac < 0 or frac > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        lengths.append(math.floor(n * frac))
    for i in range(n - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.",
                          stacklevel=3)
    return lengths


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator=default_generator) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets of the given lengths.

    ``lengths`` holds sizes summing to ``len(dataset)``, or fractions summing to 1: each split
    then gets floor(f·n) items and the remainder is distributed one by one, round robin.

    Args:
        dataset: dataset to split.
        lengths: sizes or fractions of the splits.
        generator: ``ember.Generator`` for the permutation. Default: ember's default generator.

    Torch parity:
        Same lengths, warnings and errors as ``torch.utils.data.random_split``; which indices
        land in which split differs (the random stream is NumPy's).

    Example:  >>> train, val = random_split(ds, [0.8, 0.2], generator=ember.Generator().manual_seed(0))
    """
    n = len(dataset)  # type: ignore[arg-type]  # (a Dataset need not define __len__: len() raises as torch's does)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _split_lengths(n, lengths)
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    order = _gen(generator).permutation(n).tolist()
    return [Subset(dataset, order[end - length:end])
            for end, length in zip(itertools.accumulate(lengths), lengths)]


def _array_source(dataset):
    """(arrays, row index map or None) if batches of ``dataset`` are plain row selections, else None.

    True for a ``TensorDataset`` whose tensors need no gradient and for (nested) ``Subset`` s
    of one, as long as neither class's item access is overridden.
    """
    from ...tensor import Tensor

    rows = None
    while type(dataset).__getitem__ is Subset.__getitem__ and type(dataset).__getitems__ is Subset.__getitems__:
        idx = np.asarray(dataset.indices)
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            return None
        idx = idx.astype(np.int64, copy=False)
        rows = idx if rows is None else idx[rows]
        dataset = dataset.dataset
    if type(dataset).__getitem__ is not TensorDataset.__getitem__ or hasattr(dataset, "__getitems__"):
        return None
    arrays = []
    for t in dataset.tensors:
        if isinstance(t, Tensor) and not t.requires_grad:
            arrays.append(t._data)
        elif isinstance(t, np.ndarray) and t.dtype.kind not in "SaUO":
            arrays.append(t)
        else:
            return None
    return arrays, rows
