"""Transformer layers: ``TransformerEncoderLayer``, ``TransformerDecoderLayer``, the stacks ``TransformerEncoder`` /
``TransformerDecoder`` and ``Transformer``, with torch's submodule names (state_dict keys) and options.

Post-norm (norm_first=False, the paper):  x = LN(x + Dropout(SelfAttn(x)));  x = LN(x + Dropout(FF(x)))
Pre-norm  (norm_first=True):               x = x + Dropout(SelfAttn(LN(x)));  x = x + Dropout(FF(LN(x)))
with FF(x) = W₂·Dropout(activation(W₁·x + b₁)) + b₂; a decoder layer adds cross-attention over the encoder's
memory between the two blocks.

References: Vaswani et al., "Attention Is All You Need", NeurIPS 2017, https://arxiv.org/abs/1706.03762;
Xiong et al., "On Layer Normalization in the Transformer Architecture", ICML 2020 (pre-norm),
https://arxiv.org/abs/2002.04745
"""
from __future__ import annotations

import copy

import numpy as np

from ...tensor import _wrap
from .. import init
from .._functional import activation as F
from .._functional.attention import _canonical_mask, _causal_bias
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = ["TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder",
           "Transformer"]


def _activation(activation):
    if not isinstance(activation, str):
        return activation
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _seq_len(x, batch_first):
    shape = x._data.shape
    return shape[0] if len(shape) == 2 else shape[1 if batch_first else 0]


def _detect_is_causal_mask(mask, is_causal, size):
    """torch's rule: an explicit is_causal wins; None means 'is the given mask the square causal mask?'."""
    if is_causal is None and mask is not None:
        sz = size if size is not None else mask._data.shape[-2]
        if mask._data.shape != (sz, sz):
            return False
        return bool(np.array_equal(mask._data, _causal_bias(sz, sz, np.dtype(np.float32)).astype(mask._data.dtype)))
    return is_causal is True


class _Layer(Module):
    """What both layer kinds share: the feed-forward block, dropouts, norms and the self-attention block."""

    def __init__(self, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                 norm_first, bias, n_norms, dtype):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype)
        if n_norms == 3:
            self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                     batch_first=batch_first, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        for i in range(1, n_norms + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        for i in range(1, n_norms + 1):
            setattr(self, f"dropout{i}", Dropout(dropout))
        self.activation = _activation(activation)
        self.activation_relu_or_gelu = 1 if self.activation is F.relu else 2 if self.activation is F.gelu else 0

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x, dropout):
        # linear1 / linear2 as the fused linear op on their parameters; their modules' hooks are not called, as in
        # torch's fused fast path
        h = self.dropout(self.activation(F.linear(x, self.linear1.weight, self.linear1.bias)))
        return dropout(F.linear(h, self.linear2.weight, self.linear2.bias))


class TransformerEncoderLayer(_Layer):
    """Self-attention then feed-forward, each with a residual connection and LayerNorm (module docstring).

    Args:
        d_model: the model width. nhead: attention heads. dim_feedforward: FF hidden width. Default: 2048.
        dropout: Default: 0.1. activation: "relu", "gelu" or a callable. Default: relu.
        layer_norm_eps: Default: 1e-5. batch_first: (N, S, E) inputs. Default: False.
        norm_first: pre-norm. Default: False. bias: biases in linears and norms. Default: True.

    forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False).

    Torch parity: submodules (self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2), values and
    gradients as torch.nn.TransformerEncoderLayer (tests/nn/test_transformer.py); torch's inference fast path is
    not reproduced (same math). Deliberate difference: the feed-forward block reads linear1/linear2's weights
    directly (2-D GEMMs), so hooks registered on those two submodules are not called.
    Example:  >>> layer = ember.nn.TransformerEncoderLayer(128, 4, 512, batch_first=True); y = layer(x)
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                         norm_first, bias, 2, dtype)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask", src_mask, "src_mask",
                                               src._data.dtype)
        src_mask = _canonical_mask(src_mask, "src_mask", None, "", src._data.dtype, check_other=False)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal=is_causal)
            return x + self._ff_block(self.norm2(x), self.dropout2)
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal=is_causal))
        return self.norm2(x + self._ff_block(x, self.dropout2))


class TransformerDecoderLayer(_Layer):
    """Self-attention, cross-attention over ``memory``, then feed-forward; residuals and LayerNorm as the encoder
    layer (same arguments).

    forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None,
    tgt_is_causal=False, memory_is_causal=False).

    Torch parity: submodules (self_attn, multihead_attn, linear1, dropout, linear2, norm1-3, dropout1-3), values
    and gradients as torch.nn.TransformerDecoderLayer (tests/nn/test_transformer.py).
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                         norm_first, bias, 3, dtype)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                is_causal=is_causal, need_weights=False)[0]
        return self.dropout2(x)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            return x + self._ff_block(self.norm3(x), self.dropout3)
        x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
        return self.norm3(x + self._ff_block(x, self.dropout3))


class TransformerEncoder(Module):
    """``num_layers`` deep copies of ``encoder_layer`` (keys ``layers.0.…``), then the optional ``norm``.

    forward(src, mask=None, src_key_padding_mask=None, is_causal=None): is_causal=None detects whether ``mask``
    is the square causal mask, as torch does.

    Torch parity: as torch.nn.TransformerEncoder; enable_nested_tensor is accepted and stored but ember has no
    NestedTensor fast path (padded positions are computed, not zeroed), so it changes nothing; mask_check too.
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers, self.norm = num_layers, norm
        self.enable_nested_tensor, self.use_nested_tensor = enable_nested_tensor, False
        self.mask_check = mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask", mask, "mask",
                                               src._data.dtype)
        mask = _canonical_mask(mask, "mask", None, "", src._data.dtype, check_other=False)
        is_causal = _detect_is_causal_mask(mask, is_causal,
                                           _seq_len(src, self.layers[0].self_attn.batch_first))
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=mask, is_causal=is_causal, src_key_padding_mask=src_key_padding_mask)
        return output if self.norm is None else self.norm(output)


class TransformerDecoder(Module):
    """``num_layers`` deep copies of ``decoder_layer`` (keys ``layers.0.…``), then the optional ``norm``.

    forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None,
    tgt_is_causal=None, memory_is_causal=False). Torch parity: as torch.nn.TransformerDecoder.
    """

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers, self.norm = num_layers, norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal,
                                               _seq_len(tgt, self.layers[0].self_attn.batch_first))
        output = tgt
        for mod in self.layers:
            output = mod(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                         tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                         tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        return output if self.norm is None else self.norm(output)


class Transformer(Module):
    """The encoder-decoder Transformer: memory = encoder(src), out = decoder(tgt, memory); each stack ends with a
    LayerNorm. Every parameter with dim > 1 is re-initialised with xavier_uniform_ (torch's _reset_parameters).

    Args: as TransformerEncoderLayer, plus num_encoder_layers=6, num_decoder_layers=6, custom_encoder=None,
    custom_decoder=None; d_model=512, nhead=8 by default.

    forward(src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
    tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
    memory_is_causal=False).

    Torch parity: submodule names (encoder.layers.i…, encoder.norm, decoder…), values, gradients and errors as
    torch.nn.Transformer (tests/nn/test_transformer.py).
    Reference: Vaswani et al., "Attention Is All You Need", NeurIPS 2017. https://arxiv.org/abs/1706.03762
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation=F.relu, custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                      norm_first, bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(TransformerEncoderLayer(*layer_args, dtype=dtype), num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(TransformerDecoderLayer(*layer_args, dtype=dtype), num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        is_batched = src._data.ndim == 3
        batch_axis = 0 if self.batch_first else 1
        if is_batched and src._data.shape[batch_axis] != tgt._data.shape[batch_axis]:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src._data.shape[-1] != self.d_model or tgt._data.shape[-1] != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """The (sz, sz) float causal mask: −∞ above the diagonal, 0 on and below it."""
        from ... import _dtype

        dt = _dtype.get_default_dtype().np if dtype is None else _dtype.to_dtype(dtype).np
        return _wrap(np.array(_causal_bias(sz, sz, np.dtype(dt))))
