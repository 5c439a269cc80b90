"""``embedding_bag``: sums, means or maxima of bags of embedding rows, without the (bags, length, dim) tensor.

The rows are looked up once (``embedding``), then reduced per bag with a differentiable segment reduction:
a reshape and a sum for fixed-length bags (2-D input) with no entry left out, else ``index_add`` for 'sum'/'mean'
and ``scatter_reduce('amax')`` for 'max', so gradients (of any order) come from those primitives.
"""
from __future__ import annotations

import numpy as np

from ... import _creation
from ...autograd.grad_mode import no_grad
from ...autograd.ops.indexing import index_add, scatter_reduce
from ...tensor import _wrap
from .sparse import _renorm_, _type_name, embedding

__all__ = ["embedding_bag"]

_CHECK = " (while checking arguments for embedding_bag)"


def _bags(input, offsets, per_sample_weights, include_last_offset):
    """(flat indices, bag of each index, number of bags, flat per-sample weights, trailing) from the 2-D or the 1-D +
    offsets form. trailing (include_last_offset only): the entries past the last offset, put in the last bag. torch
    (CPU) leaves them out of that bag's sum but counts them in its mean's size and takes them into its max; so
    does ember, to give torch's numbers (torch's gradients there, and its values with a padding_idx too, read
    memory it never set: ember's are the derivatives of the values it returns)."""
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed "
                             f"length sequences. However, found offsets of type {type(offsets)}")
        B, L = input.shape
        bag = np.repeat(np.arange(B), L)
        psw = per_sample_weights.reshape(-1) if per_sample_weights is not None else None
        return input._data.reshape(-1), bag, B, psw, None
    if input.dim() != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if offsets.dim() != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    idx, off = input._data, offsets._data.astype(np.int64)
    n = idx.shape[0]
    if off.size and off[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {off[0]}")
    if off.size and off[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of {off[-1]}")
    B = max(off.size - 1, 0) if include_last_offset else off.size
    if B == 0:
        return idx[:0], np.zeros(0, np.int64), 0, None if per_sample_weights is None else per_sample_weights[:0], None
    bag = np.searchsorted(off[:B], np.arange(n), side="right") - 1
    trailing = np.arange(n) >= off[-1] if include_last_offset else None
    return idx, bag, B, per_sample_weights, trailing


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Reduce bags of embedding rows: for bag b with index set Iᵦ (entries equal to padding_idx left out),

        sum:  out[b] = Σ_{i ∈ Iᵦ} wᵢ·W[idx[i]]   (wᵢ = per_sample_weights, else 1)
        mean: out[b] = Σ_{i ∈ Iᵦ} W[idx[i]] / |Iᵦ|
        max:  out[b] = max_{i ∈ Iᵦ} W[idx[i]]   (elementwise)

    and an empty bag gives zeros.

    Args:
        input: (B, L) — B bags of length L — or 1-D with ``offsets`` (the start of each bag).
        weight: (num_embeddings, dim).  offsets: 1-D, starting at 0; with include_last_offset its last entry is the
            end of the last bag.  max_norm / norm_type: rows looked up are renormalised in place first (as embedding).
        scale_grad_by_freq: gradients divided by each index's frequency in the batch, as in ``embedding`` (not with
            'max'). torch's CPU embedding_bag applies the frequencies to the wrong rows; ember does not follow it.
        mode: 'sum' | 'mean' | 'max'. Default: 'mean'.  per_sample_weights: input's shape, only with 'sum'.
        padding_idx: entries with this index take no part (nor in a bag's size for 'mean').

    Torch parity: values, gradients and errors as torch.nn.functional.embedding_bag, including what torch does with
    entries past the last offset under include_last_offset (``_bags``); ``sparse=True`` is accepted
    but gradients are dense; for 'max' ties between equal entries share the gradient (torch gives it to one of
    them: the same row when the tie is one index repeated).
    Example:  >>> F.embedding_bag(ember.tensor([1, 2, 4, 5, 4]), ember.randn(10, 3), ember.tensor([0, 2]))
    """
    if weight._data.dtype.kind in "iu" and input._data.dtype.kind == "f":
        import warnings

        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, input, "
                      "...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it must "
                         f"have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only supported "
                                  f"for mode='sum' (got mode='{mode}'). Please open a feature request on GitHub.")
    if input._data.dtype.kind not in "iu":
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, "
                           f"Int; but got {_type_name(input._data.dtype)} instead{_CHECK}")
    if per_sample_weights is not None and per_sample_weights._data.dtype != weight._data.dtype:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
                           f"'per_sample_weights'; but type {_type_name(weight._data.dtype)} does not equal "
                           f"{_type_name(per_sample_weights._data.dtype)}{_CHECK}")
    n_rows, dim = weight.shape
    if padding_idx is not None:
        if not -n_rows <= padding_idx < n_rows:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{n_rows} through {n_rows - 1}, "
                               f"but got {padding_idx}")
        padding_idx %= n_rows
    idx, bag, B, psw, trailing = _bags(input, offsets, per_sample_weights, include_last_offset)
    bad = np.nonzero((idx < 0) | (idx >= n_rows))[0]
    if bad.size:  # (torch names the position within its bag; bags are sorted, so a bag starts at searchsorted)
        p = bad[0] - np.searchsorted(bag, bag[bad[0]])
        raise RuntimeError(f"Index {p} of input takes value {idx[bad[0]]} which is not in the valid range "
                           f"[0, {n_rows})")
    if max_norm is not None:
        with no_grad():
            _renorm_(weight._data, input._data, max_norm, norm_type)
    keep = np.ones(idx.shape, bool) if padding_idx is None else idx != padding_idx
    count = np.maximum(np.bincount(bag[keep], minlength=B), 1).astype(weight._data.dtype)  # (a bag's size, for 'mean')
    if trailing is not None and mode != "max":
        keep &= ~trailing
    if not keep.all():
        idx, bag = idx[keep], bag[keep]
        psw = psw[_wrap(np.nonzero(keep)[0])] if psw is not None else None
    rows = embedding(_wrap(idx.astype(np.int64)), weight, scale_grad_by_freq=scale_grad_by_freq)
    if input.dim() == 2 and mode != "max" and rows.shape[0] == input._data.size:  # fixed-length bags, none left out
        rows = rows * psw[:, None] if psw is not None else rows
        out = rows.reshape(B, input.shape[1], dim).sum(1)  # (a reshape: no scatter)
        return out / _wrap(count[:, None]) if mode == "mean" else out
    zeros = _creation.zeros(B, dim, dtype=weight.dtype)
    if mode == "max":
        where = _wrap(np.broadcast_to(bag[:, None], (bag.size, dim)).copy())
        return scatter_reduce(zeros, 0, where, rows, "amax", include_self=False)
    if psw is not None:
        rows = rows * psw[:, None]
    out = index_add(zeros, 0, _wrap(bag), rows)
    if mode == "mean":
        out = out / _wrap(count[:, None])
    return out


