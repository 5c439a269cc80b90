"""Attention: ``scaled_dot_product_attention`` and ``multi_head_attention_forward`` (functional forms).

The math is one function, ``_attend``: batched GEMMs over (..., L, E) operands and a stable softmax, composed of
ember's differentiable primitives (matmul, add, softmax, dropout, mul), so first-order gradients and
``create_graph=True`` double backward come from those primitives' rules; no backward is written here.
"""
from __future__ import annotations

import functools
import math
import warnings

import numpy as np

from ... import _errors
from ...autograd.ops import elementwise as E, linalg as L, nn as N, shape as S
from ...tensor import Tensor, _wrap
from .activation import dropout as _dropout
from .normalization import _size

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

# torch's C++ names of dtypes, as its attention errors print them
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _attend(q, k, v, bias, scale, dropout_p, keep_rows=None):
    """Scaled dot-product attention, the one statement of its math:

        A = softmax(scale · q·kᵀ + bias)      (over the key axis; softmax subtracts the row max: no overflow)
        out = dropout(A)·v

    q: (..., L, E), k: (..., S, E), v: (..., S, Ev); bias: None or a Tensor broadcastable to (..., L, S) holding
    0 / −∞ (masks) or any float; keep_rows: None or a constant 0/1 array (..., L, 1) that zeroes the rows whose
    every key is masked. Returns (out, A after dropout).

    Reference: Vaswani et al., "Attention Is All You Need", NeurIPS 2017, eq. (1). https://arxiv.org/abs/1706.03762
    """
    scores = L.matmul(q * scale, S.transpose(k, -2, -1))
    if bias is not None:
        scores = scores + bias
    weights = N.softmax(scores, -1)
    if keep_rows is not None:
        weights = weights * _wrap(keep_rows)
    if dropout_p > 0.0:
        weights = _dropout(weights, dropout_p, True)
    return L.matmul(weights, v), weights


@functools.lru_cache(maxsize=32)
def _causal_bias(n_q: int, n_k: int, dtype: np.dtype) -> np.ndarray:
    """The (L, S) additive causal mask: 0 where key j ≤ query i (top-left aligned, as torch), −∞ above."""
    out = np.triu(np.full((n_q, n_k), -np.inf, dtype=dtype), 1)
    out.setflags(write=False)
    return out


def _mask_to_bias(mask: Tensor, dtype, attend_value: bool) -> Tensor:
    """A bool mask as an additive float mask: −∞ where the key is blocked (a bool mask's ``attend_value``
    marks the kept keys: True for SDPA, False for nn.MultiheadAttention); float masks pass unchanged."""
    if mask._data.dtype != np.bool_:
        return mask
    blocked = ~mask._data if attend_value else mask._data
    return _wrap(np.where(blocked, np.asarray(-np.inf, dtype), np.asarray(0, dtype)))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(q·kᵀ·scale + mask)·v over the last two dimensions (see ``_attend`` for the formula).

    Args:
        query: (..., L, E); key: (..., S, E); value: (..., S, Ev). Leading dims broadcast.
        attn_mask: None, a bool mask broadcastable to (..., L, S) where True means *attend*, or a float mask
            added to the scores. Default: None.
        dropout_p: dropout probability on the attention weights (always applied when > 0, as torch). Default: 0.
        is_causal: query i attends keys j ≤ i (top-left aligned); excludes attn_mask. Default: False.
        scale: the score scale. Default: 1/√E.
        enable_gqa: grouped-query attention: key/value heads (dim −3) are shared by groups of query heads.

    Torch parity: values, gradients and errors as torch.nn.functional.scaled_dot_product_attention (math path);
    a query row whose keys are all masked gives zeros (torch's safe softmax), not NaN. The causal mask is one
    (L, S) constant broadcast over the batch.

    Reference: Vaswani et al., "Attention Is All You Need", NeurIPS 2017. https://arxiv.org/abs/1706.03762
    Example:  >>> out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    """
    if query._data.ndim < 2 or key._data.ndim < 2 or value._data.ndim < 2:
        raise RuntimeError(
            "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
            f"{query._data.ndim} key.dim: {key._data.ndim} and value.dim: {value._data.ndim} instead.")
    dt = query._data.dtype
    if key._data.dtype != dt or value._data.dtype != dt:
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_CPP_NAMES[dt.name]} key.dtype: {_CPP_NAMES[key._data.dtype.name]} and value.dtype: "
            f"{_CPP_NAMES[value._data.dtype.name]} instead.")
    if attn_mask is not None:
        if attn_mask._data.dtype not in (np.bool_, dt) and attn_mask._data.dtype.kind != "f":
            raise RuntimeError(
                "Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: "
                f"{_CPP_NAMES[attn_mask._data.dtype.name]} and  query.dtype: {_CPP_NAMES[dt.name]} instead.")
        if is_causal:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True")
    n_q, e = query._data.shape[-2:]
    n_k = key._data.shape[-2]
    if key._data.shape[-1] != e:
        batch = int(np.prod(np.broadcast_shapes(query._data.shape[:-2], key._data.shape[:-2])))
        raise _errors.bmm_batch2_size(batch, e, batch, key._data.shape[-1])
    if enable_gqa and query._data.ndim >= 3 and key._data.shape[-3] != query._data.shape[-3]:
        h_q, h_k = query._data.shape[-3], key._data.shape[-3]
        if h_q % h_k or value._data.shape[-3] != h_k:
            raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
        key, value = (_repeat_heads(t, h_q // h_k) for t in (key, value))
    bias = None
    if is_causal:
        bias = _wrap(_causal_bias(n_q, n_k, dt))
    elif attn_mask is not None:
        bias = _mask_to_bias(attn_mask, dt, attend_value=True)
    keep_rows = None
    if bias is not None:
        dead = np.isneginf(bias._data).all(axis=-1, keepdims=True)
        if dead.any():  # torch's safe softmax: a row with no key to attend is zero, and so is its gradient
            bias = E.where(dead, 0.0, bias)
            keep_rows = (~dead).astype(dt)
    scale = 1.0 / math.sqrt(e) if scale is None else scale
    return _attend(query, key, value, bias, scale, dropout_p, keep_rows)[0]


def _repeat_heads(t, groups):
    """(..., H, S, E) → (..., H·groups, S, E), each head repeated ``groups`` times in place (repeat_interleave)."""
    shape = t._data.shape
    expanded = S.unsqueeze(t, -3).expand(*shape[:-2], groups, *shape[-2:])
    return expanded.reshape(*shape[:-3], shape[-3] * groups, *shape[-2:])


# ---------------------------------------------------------------------------------------------------------------
# multi-head attention


def _canonical_mask(mask, mask_name, other, other_name, dtype, check_other=True):
    """torch's mask canonicalisation for nn.MultiheadAttention and the transformer layers: a bool mask (True =
    blocked) becomes a float mask of 0 / −∞; other dtypes are refused."""
    if mask is None:
        return None
    kind = mask._data.dtype
    if kind != np.bool_ and kind.kind != "f":
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other is not None and other._data.dtype != kind:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                      "instead.", stacklevel=3)
    return _mask_to_bias(mask, dtype, attend_value=False)


def _check_shapes(query, key, value, key_padding_mask, attn_mask, num_heads):
    """torch's ``_mha_shape_check``: True for batched (3-D) input, False for unbatched (2-D)."""
    qd, kd, vd = query._data.ndim, key._data.ndim, value._data.ndim
    if qd == 3:
        if kd != 3 or vd != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                                 f"{kd}-D and {vd}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask._data.ndim != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                                 f"found {key_padding_mask._data.ndim}-D tensor instead")
        if attn_mask is not None and attn_mask._data.ndim not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                                 f"found {attn_mask._data.ndim}-D tensor instead")
        return True
    if qd == 2:
        if kd != 2 or vd != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                                 f"{kd}-D and {vd}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask._data.ndim != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                                 f"but found {key_padding_mask._data.ndim}-D tensor instead")
        if attn_mask is not None:
            if attn_mask._data.ndim not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                                     f"but found {attn_mask._data.ndim}-D tensor instead")
            expected = (num_heads, query._data.shape[0], key._data.shape[0])
            if attn_mask._data.ndim == 3 and attn_mask._data.shape != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{_size(attn_mask._data.shape)}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {qd}-D query tensor")


def _pad_key(mask):
    """One more key column of 0 (attend) on a float mask (for bias_k / bias_v and add_zero_attn)."""
    zeros = _wrap(np.zeros(mask._data.shape[:-1] + (1,), mask._data.dtype))
    return S.cat([mask, zeros], -1)


def _project(query, key, value, embed_dim, in_proj_weight, in_proj_bias, use_separate, q_w, k_w, v_w):
    """The input projections q = query·W_qᵀ + b_q, k = ..., v = ...; self-attention runs one GEMM with the
    packed (3E, E) weight."""
    if not use_separate:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        if query is key and key is value:
            proj = L.linear(query, in_proj_weight, in_proj_bias)
            return proj[..., :embed_dim], proj[..., embed_dim:2 * embed_dim], proj[..., 2 * embed_dim:]
        q_w, k_w, v_w = (in_proj_weight[i * embed_dim:(i + 1) * embed_dim] for i in range(3))
    else:
        for name, w in (("q", q_w), ("k", k_w), ("v", v_w)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight is None")
    biases = (None,) * 3 if in_proj_bias is None else \
        tuple(in_proj_bias[i * embed_dim:(i + 1) * embed_dim] for i in range(3))
    return tuple(L.linear(x, w, b) for x, w, b in zip((query, key, value), (q_w, k_w, v_w), biases))


def _heads(x, n, num_heads, head_dim):
    """(N, S, E) → (N, heads, S, head_dim)."""
    return S.transpose(x.reshape(n, x._data.shape[1], num_heads, head_dim), 1, 2)


def _static(t, n, num_heads, head_dim, name):
    """A static key/value (N·heads, S, head_dim) → (N, heads, S, head_dim)."""
    if t._data.shape[0] != n * num_heads:
        raise AssertionError(f"expecting {name}.size(0) of {n * num_heads}, but got {t._data.shape[0]}")
    if t._data.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {t._data.shape[2]}")
    return t.reshape(n, num_heads, t._data.shape[1], head_dim)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """Multi-head attention on (L, N, E) query and (S, N, E) key/value (or unbatched (L, E), (S, E)):

        headᵢ = Attention(q·W_qᵢᵀ, k·W_kᵢᵀ, v·W_vᵢᵀ),   out = concat(head₁ … head_h)·W_oᵀ + b_o

    Masks: attn_mask (L, S) or (N·heads, L, S) and key_padding_mask (N, S); a bool mask's True marks a
    *blocked* key (the opposite of scaled_dot_product_attention), a float mask is added to the scores.
    Returns (output, weights) with weights (N, L, S) averaged over heads, (N, heads, L, S) with
    average_attn_weights=False, or None when need_weights=False.

    Torch parity: arguments, values, gradients and errors as torch.nn.functional.multi_head_attention_forward.

    Reference: Vaswani et al., "Attention Is All You Need", NeurIPS 2017, section 3.2.2.
    https://arxiv.org/abs/1706.03762
    """
    return _multi_head_attention(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training,
                                 key_padding_mask, need_weights, attn_mask, use_separate_proj_weight, q_proj_weight,
                                 k_proj_weight, v_proj_weight, static_k, static_v, average_attn_weights, is_causal,
                                 batch_first=False)


def _multi_head_attention(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k,
                          bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training,
                          key_padding_mask, need_weights, attn_mask, use_separate_proj_weight, q_proj_weight,
                          k_proj_weight, v_proj_weight, static_k, static_v, average_attn_weights, is_causal,
                          batch_first):
    """``multi_head_attention_forward`` for either layout; inside, everything runs batch first (N, L, E), so
    that batch_first modules move no data before the projections."""
    is_batched = _check_shapes(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = _relayout(query, key, value, lambda t: S.unsqueeze(t, 0))
        if key_padding_mask is not None:
            key_padding_mask = S.unsqueeze(key_padding_mask, 0)
    elif not batch_first:
        query, key, value = _relayout(query, key, value, lambda t: S.transpose(t, 0, 1))
    n, tgt_len, embed_dim = query._data.shape
    src_len = key._data.shape[1]
    dt = query._data.dtype
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", attn_mask, "attn_mask", dt)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint alone drives scaled_dot_product_attention
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", dt, check_other=False)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key._data.shape[:2] != value._data.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {_torch_layout(key, 2)} do not match value's "
                                 f"{_torch_layout(value, 2)}")
    elif key._data.shape != value._data.shape:
        raise AssertionError(f"key shape {_torch_layout(key)} does not match value shape {_torch_layout(value)}")
    q, k, v = _project(query, key, value, embed_dim, in_proj_weight, in_proj_bias, use_separate_proj_weight,
                       q_proj_weight, k_proj_weight, v_proj_weight)
    if attn_mask is not None:
        if attn_mask._data.ndim == 2:
            if attn_mask._data.shape != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {_size(attn_mask._data.shape)}, but should "
                                   f"be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.reshape(1, 1, tgt_len, src_len)
        elif attn_mask._data.ndim == 3:
            if attn_mask._data.shape != (n * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {_size(attn_mask._data.shape)}, but should "
                                   f"be {(n * num_heads, tgt_len, src_len)}.")
            attn_mask = attn_mask.reshape(n, num_heads, tgt_len, src_len)
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask._data.ndim} is not supported")
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = S.cat([k, bias_k.reshape(1, 1, embed_dim).expand(n, 1, embed_dim)], 1)
        v = S.cat([v, bias_v.reshape(1, 1, embed_dim).expand(n, 1, embed_dim)], 1)
        attn_mask = None if attn_mask is None else _pad_key(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_key(key_padding_mask)
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")
    q = _heads(q, n, num_heads, head_dim)
    k = _heads(k, n, num_heads, head_dim) if static_k is None else _static(static_k, n, num_heads, head_dim,
                                                                             "static_k")
    v = _heads(v, n, num_heads, head_dim) if static_v is None else _static(static_v, n, num_heads, head_dim,
                                                                             "static_v")
    if add_zero_attn:
        zeros = _wrap(np.zeros((n, num_heads, 1, head_dim), dt))
        k, v = S.cat([k, zeros], 2), S.cat([v, zeros], 2)
        attn_mask = None if attn_mask is None else _pad_key(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_key(key_padding_mask)
    src_len = k._data.shape[2]
    if key_padding_mask is not None:
        if key_padding_mask._data.shape[0] != n:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {n}, but got "
                                 f"{key_padding_mask._data.shape[0]}")
        if key_padding_mask._data.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask._data.shape[1]}")
        key_padding_mask = key_padding_mask.reshape(n, 1, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0
    if need_weights:
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        out, weights = _attend(q, k, v, attn_mask, 1.0 / math.sqrt(head_dim), dropout_p)  # plain softmax (torch)
    else:
        out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
        weights = None
    out = L.linear(S.transpose(out, 1, 2).reshape(n, tgt_len, embed_dim), out_proj_weight, out_proj_bias)
    if weights is not None and average_attn_weights:
        weights = weights.mean(dim=1)
    if not is_batched:
        return out.squeeze(0), (None if weights is None else weights.squeeze(0))
    return (out if batch_first else S.transpose(out, 0, 1)), weights


def _relayout(query, key, value, fn):
    """fn applied to each input once, so that ``query is key`` and ``key is value`` still hold afterwards (the
    self-attention projection then runs as one GEMM)."""
    key2 = fn(key)
    value2 = key2 if value is key else fn(value)
    return (key2 if query is key else fn(query)), key2, value2


def _torch_layout(t, dims=3):
    """A batch-first (N, S, E) tensor's shape as torch's messages print it: (S, N, E)."""
    shape = t._data.shape
    return _size(((shape[1], shape[0]) + shape[2:])[:dims])
