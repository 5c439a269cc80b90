"""``embedding``: rows of a weight matrix selected by integer indices."""
from __future__ import annotations

import numpy as np

from ... import _errors
from ...autograd.function import Op
from ...autograd.ops._xp import dtype_of
from ...autograd.ops.indexing import scatter_to, zero_at
from ..._grad_mode import no_grad

__all__ = ["embedding"]


class EmbeddingLookup(Op):
    """out[…, :] = W[idx[…], :]; backward scatters g back into the rows (add.at), zero at
    ``padding_idx``, each row's gradient divided by its count in the batch with scale_grad_by_freq."""

    @staticmethod
    def forward(ctx, w, *, idx, padding_idx, scale_grad_by_freq):
        ctx.idx, ctx.n, ctx.padding_idx, ctx.scale = idx, w.shape[0], padding_idx, scale_grad_by_freq
        ctx.width = int(np.prod(w.shape[1:]))
        return w[idx]

    @staticmethod
    def backward(ctx, g):
        flat = ctx.idx.reshape(-1)
        g2 = g.reshape(flat.size, ctx.width)  # (a width, not −1: no indices is a valid lookup)
        if ctx.scale:
            counts = np.bincount(flat, minlength=ctx.n)
            g2 = g2 * (1 / counts[flat]).reshape(-1, 1).astype(dtype_of(g))
        dw = scatter_to((ctx.n, g2.shape[1]), (flat,), g2, basic=False)
        if ctx.padding_idx is not None:
            dw = zero_at(dw, ctx.padding_idx, (g2.shape[1],), fresh=True)
        return dw


def _renorm_(w: np.ndarray, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """torch's embedding_renorm_: rows used in ``idx`` with ‖row‖_p > max_norm are scaled to max_norm."""
    rows = np.unique(idx)
    norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
        w[rows[big]] *= scale[:, None]


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """Look up rows of ``weight`` (num_embeddings, embedding_dim): out[…] = weight[input[…]].

    padding_idx: that row receives no gradient. max_norm: rows looked up whose p-norm exceeds it are
    rescaled in place first (as torch). scale_grad_by_freq: gradients divided by the index's
    frequency in the batch.

    Torch parity: values, gradients, padding_idx / max_norm / scale_grad_by_freq semantics and errors as
    torch.nn.functional.embedding; ``sparse=True`` is accepted but the gradient is dense.
    """
    idx = input._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but "
            f"got {_type_name(idx.dtype)} instead (while checking arguments for embedding)"
        )
    n = weight._data.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < n, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -n, "Padding_idx must be within num_embeddings"
            padding_idx = n + padding_idx
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise _errors.index_out_of_range()
    if max_norm is not None:
        with no_grad():
            _renorm_(weight._data, idx, max_norm, norm_type)
    return EmbeddingLookup.apply(weight, idx=idx, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)


def _type_name(dt) -> str:
    names = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor", "bool": "torch.BoolTensor",
             "float16": "torch.HalfTensor"}
    return names.get(str(dt), str(dt))
