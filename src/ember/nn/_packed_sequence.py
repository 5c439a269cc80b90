"""``nn.utils.rnn``: variable-length batches for the recurrent layers (torch's names, layouts and errors).

A ``PackedSequence`` holds the steps of B sequences sorted by decreasing length in time-major order: the rows of
time step t are the first ``batch_sizes[t]`` sequences. The recurrent layers run on this layout directly
(``autograd/ops/rnn.py``). Packing and padding are one gather each (``index_select``), so their backward is one
scatter.
"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable

import numpy as np

from .. import _dtype, _errors
from ..autograd.ops import indexing as I, shape as S
from ..tensor import Tensor, _wrap

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


def _long(values) -> Tensor:
    return _wrap(np.ascontiguousarray(values, dtype=np.int64))


def invert_permutation(permutation):
    """The inverse of ``permutation`` (None stays None)."""
    if permutation is None:
        return None
    p = permutation._data if isinstance(permutation, Tensor) else np.asarray(permutation)
    out = np.empty_like(p)
    out[p] = np.arange(p.size)
    return _long(out)


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """Packed steps of variable-length sequences: ``data`` (sum of lengths, *), ``batch_sizes`` (int64, one per
    step), ``sorted_indices`` / ``unsorted_indices`` (the permutation to and from decreasing length, or None)."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._with_data(data)

    def cpu(self, *args, **kwargs):
        return self

    def double(self):
        return self.to(dtype=_dtype.float64)

    def float(self):
        return self.to(dtype=_dtype.float32)

    def half(self):
        return self.to(dtype=_dtype.float16)

    def long(self):
        return self.to(dtype=_dtype.int64)

    def int(self):
        return self.to(dtype=_dtype.int32)

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def _batch_sizes(lengths: np.ndarray) -> np.ndarray:
    """Sorted decreasing lengths -> how many sequences are still running at each step."""
    steps = np.arange(int(lengths[0]))
    return (lengths[None, :] > steps[:, None]).sum(1).astype(np.int64)


def _packed_rows(lengths: np.ndarray, batch: int) -> np.ndarray:
    """Row indices into a (T·B, *) time-major padded array, in packed order."""
    bs = _batch_sizes(lengths)
    return np.concatenate([t * batch + np.arange(b) for t, b in enumerate(bs)]).astype(np.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded (T, B, *) (or (B, T, *) with ``batch_first``) batch; ``lengths`` per sequence. With
    ``enforce_sorted=False`` the sequences are sorted by decreasing length first (stable, as torch's sort)."""
    lengths = np.asarray(lengths._data if isinstance(lengths, Tensor) else lengths).astype(np.int64).reshape(-1)
    batch_dim = 0 if batch_first else 1
    if enforce_sorted:
        sorted_indices = None
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
                "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement "
                "if you do not need ONNX exportability."
            )
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths, sorted_indices = lengths[order], _long(order)
        input = I.index_select(input, batch_dim, sorted_indices)
    batch = input.shape[batch_dim]
    if lengths.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.size} "
                           f"(batch_size={batch})")
    if lengths.size and lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if batch_first:
        input = input.transpose(0, 1)
    flat = input.reshape(-1, *input.shape[2:])
    data = I.index_select(flat, 0, _long(_packed_rows(lengths, batch)))
    return PackedSequence(data, _long(_batch_sizes(lengths)), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The inverse of ``pack_padded_sequence``: (padded (T, B, *) or (B, T, *), lengths), in the original order."""
    bs = sequence.batch_sizes._data.astype(np.int64)
    steps = bs.size
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in input, but got "
                f"total_length={total_length} and max sequence length being {steps}"
            )
        steps = total_length
    data = sequence.data
    batch = int(bs[0])
    lengths = (bs[None, :] > np.arange(batch)[:, None]).sum(1).astype(np.int64)
    # every padded slot reads a data row, or the extra padding row at the end
    slot = np.full(steps * batch, data.shape[0], np.int64)
    slot[_packed_rows(lengths, batch)] = np.arange(data.shape[0])
    pad_row = _wrap(np.full((1, *data.shape[1:]), padding_value, data._data.dtype))
    padded = I.index_select(S.cat([data, pad_row]), 0, _long(slot)).reshape(steps, batch, *data.shape[1:])
    if batch_first:
        padded = padded.transpose(0, 1)
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        padded = I.index_select(padded, 0 if batch_first else 1, unsorted)
        lengths = lengths[unsorted._data]
    return padded, _long(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of shape (L, *) into (T, B, *) (or (B, T, *)), padded with ``padding_value``."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    longest = max(s.shape[0] for s in sequences)
    rows = []
    for s in sequences:
        gap = longest - s.shape[0]
        if gap:
            fill = _wrap(np.full((gap, *s.shape[1:]), padding_value, s._data.dtype))
            s = S.cat([s, fill] if padding_side == "right" else [fill, s])
        rows.append(s)
    try:
        return S.stack(rows, 0 if batch_first else 1)
    except RuntimeError:
        a, b = sequences[0].shape, next(s.shape for s in sequences if s.shape[1:] != sequences[0].shape[1:])
        dim = next(i for i in range(1, len(a)) if a[i] != b[i])
        raise _errors.size_mismatch(a[dim], b[dim], dim)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of the B sequences of a padded batch, each cut to its length."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lens = lengths._data if isinstance(lengths, Tensor) else np.asarray(lengths)
    return [padded_sequences[i, : int(n)] for i, n in enumerate(lens)]


def pack_sequence(sequences, enforce_sorted=True):
    """``pack_padded_sequence(pad_sequence(sequences), lengths)``."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences of a ``PackedSequence``, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
