"""``MultiheadAttention``: torch's parameters and initialisation around ``F.multi_head_attention_forward``
(the math is in ``nn/_functional/attention.py``)."""
from __future__ import annotations

from ... import _creation
from ..._backend import check_device
from .. import init
from .._functional import attention as FA
from ..parameter import Parameter
from .linear import Linear
from .module import Module

__all__ = ["MultiheadAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """A ``Linear`` (torch's name for the output projection of nn.MultiheadAttention, kept for parity)."""


class MultiheadAttention(Module):
    """Multi-head attention: headᵢ = softmax(q·W_qᵢᵀ (k·W_kᵢᵀ)ᵀ / √d)·v·W_vᵢᵀ, out = concat(headᵢ)·W_oᵀ + b_o.

    Args:
        embed_dim: E, the model width (split into num_heads heads of E / num_heads).
        num_heads: the number of heads.
        dropout: dropout on the attention weights (training only). Default: 0.
        bias: input and output projection biases. Default: True.
        add_bias_kv: learnt bias_k, bias_v appended to the keys and values. Default: False.
        add_zero_attn: a zero key and value appended after the projections. Default: False.
        kdim, vdim: key and value widths (separate q/k/v projection weights when not E). Default: E.
        batch_first: inputs and outputs are (N, L, E) instead of (L, N, E). Default: False.

    forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False) -> (output, weights or None); masks as in
    ``F.multi_head_attention_forward`` (bool True = blocked).

    Torch parity: parameter names and state_dict keys (in_proj_weight / q_proj_weight, k_proj_weight,
    v_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias, bias_k, bias_v), initialisation (xavier_uniform_
    projections, zero biases, xavier_normal_ bias_k / bias_v), values, gradients and errors as
    torch.nn.MultiheadAttention (tests/nn/test_attention.py). torch's inference fast path (a fused kernel, and
    NestedTensor outputs with zeros at padded positions) is not reproduced: ember always computes the same math.

    Reference: Vaswani et al., "Attention Is All You Need", NeurIPS 2017. https://arxiv.org/abs/1706.03762
    Example:  >>> mha = ember.nn.MultiheadAttention(64, 4, batch_first=True); out, w = mha(x, x, x)
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        super().__init__()
        check_device(device)
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")

        def param(*shape):
            return Parameter(_creation.empty(*shape, dtype=dtype))

        if self._qkv_same_embed_dim:
            self.in_proj_weight = param(3 * embed_dim, embed_dim)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = param(embed_dim, embed_dim)
            self.k_proj_weight = param(embed_dim, self.kdim)
            self.v_proj_weight = param(embed_dim, self.vdim)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = param(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k, self.bias_v = param(1, 1, embed_dim), param(1, 1, embed_dim)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        return FA._multi_head_attention(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            self.training, key_padding_mask, need_weights, attn_mask, not self._qkv_same_embed_dim,
            self.q_proj_weight, self.k_proj_weight, self.v_proj_weight, None, None, average_attn_weights,
            is_causal, batch_first=self.batch_first)
