"""Transformer layers, stacks and nn.Transformer against torch (same weights via load_state_dict): outputs and the
gradients of inputs and every weight for each option (norm_first, gelu, callable activation, bias, batch_first,
masks, causal hints, unbatched), state_dict keys, initialisation, the causal mask helper and torch's errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from _oracle import assert_close, torch
from _seq_checks import copy_weights

import ember
import ember.nn as enn

D, NH, FF, T, N = 16, 4, 32, 5, 3
GRAD_TOL = {"rtol": 1e-4, "atol": 1e-5}


def _tensors(a):
    return torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True)


def _compare(tm, em, inputs, tkw=None, ekw=None, seed=0):
    """Copy weights, run both on the same inputs, compare outputs and all gradients."""
    copy_weights(em, tm)
    pairs = [_tensors(a) for a in inputs]
    to = tm(*[t for t, _ in pairs], **(tkw or {}))
    eo = em(*[e for _, e in pairs], **(ekw or {}))
    assert_close(eo, to, rtol=1e-5, atol=1e-5)
    g = np.random.default_rng(seed).standard_normal(tuple(to.shape)).astype(np.float32)
    (to * torch.tensor(g)).sum().backward()
    (eo * ember.tensor(g)).sum().backward()
    t_params = dict(tm.named_parameters())
    assert sorted(t_params) == sorted(n for n, _ in em.named_parameters())
    for name, p in em.named_parameters():
        assert_close(p.grad, t_params[name].grad, **GRAD_TOL, msg=name)
    for t, e in pairs:
        assert_close(e.grad, t.grad, **GRAD_TOL)


def _x(shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _causal(n):
    return np.triu(np.full((n, n), -np.inf, np.float32), 1)


LAYER_OPTIONS = [{}, {"norm_first": True}, {"activation": "gelu"}, {"bias": False}, {"batch_first": True},
                 {"norm_first": True, "activation": "gelu", "batch_first": True}, {"layer_norm_eps": 1e-3}]


def _mask_kwargs(kind, batch_first, prefix=""):
    kpm = np.zeros((N, T), bool)
    kpm[0, 3:] = True
    kinds = {"none": {}, "causal_mask": {"mask": _causal(T)},
             "causal_hint": {"mask": _causal(T), "is_causal": True},
             "bool_mask": {"mask": np.random.default_rng(2).random((T, T)) > 0.7},
             "padding": {"key_padding_mask": kpm}, "padding_and_mask": {"mask": _causal(T), "key_padding_mask": kpm}}
    return kinds[kind]


def _split(kw, names):
    t = {names[k]: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    e = {names[k]: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    return t, e


ENC_LAYER_NAMES = {"mask": "src_mask", "key_padding_mask": "src_key_padding_mask", "is_causal": "is_causal"}
ENC_NAMES = {"mask": "mask", "key_padding_mask": "src_key_padding_mask", "is_causal": "is_causal"}
DEC_NAMES = {"mask": "tgt_mask", "key_padding_mask": "tgt_key_padding_mask", "is_causal": "tgt_is_causal"}


@pytest.mark.parametrize("kw", LAYER_OPTIONS, ids=str)
@pytest.mark.parametrize("masks", ["none", "causal_hint", "padding_and_mask"])
def test_encoder_layer_matches_torch(kw, masks):
    tm = torch.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0, **kw)
    em = enn.TransformerEncoderLayer(D, NH, FF, dropout=0.0, **kw)
    shape = (N, T, D) if kw.get("batch_first") else (T, N, D)
    tkw, ekw = _split(_mask_kwargs(masks, kw.get("batch_first")), ENC_LAYER_NAMES)
    _compare(tm, em, [_x(shape)], tkw, ekw)


def test_encoder_layer_callable_activation_and_unbatched_input_match_torch():
    tm = torch.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0, activation=torch.tanh)
    em = enn.TransformerEncoderLayer(D, NH, FF, dropout=0.0, activation=ember.tanh)
    _compare(tm, em, [_x((T, N, D))])
    tm = torch.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0)
    em = enn.TransformerEncoderLayer(D, NH, FF, dropout=0.0)
    _compare(tm, em, [_x((T, D))])


@pytest.mark.parametrize("kw", LAYER_OPTIONS, ids=str)
def test_decoder_layer_matches_torch(kw):
    tm = torch.nn.TransformerDecoderLayer(D, NH, FF, dropout=0.0, **kw)
    em = enn.TransformerDecoderLayer(D, NH, FF, dropout=0.0, **kw)
    bf = kw.get("batch_first")
    tgt, mem = ((N, T, D), (N, T + 2, D)) if bf else ((T, N, D), (T + 2, N, D))
    mkpm = np.zeros((N, T + 2), bool)
    mkpm[1, -2:] = True
    call = {"tgt_mask": _causal(T), "tgt_is_causal": True, "memory_key_padding_mask": mkpm}
    tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in call.items()}
    ekw = {k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in call.items()}
    _compare(tm, em, [_x(tgt), _x(mem, 3)], tkw, ekw)


@pytest.mark.parametrize("masks", ["none", "causal_mask", "bool_mask", "padding"])
def test_encoder_stack_matches_torch(masks):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's nested-tensor notice
        tm = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0), 2,
                                         norm=torch.nn.LayerNorm(D))
    em = enn.TransformerEncoder(enn.TransformerEncoderLayer(D, NH, FF, dropout=0.0), 2, norm=enn.LayerNorm(D))
    assert list(em.state_dict()) == list(tm.state_dict())
    assert any(k.startswith("layers.1.") for k in em.state_dict())
    tkw, ekw = _split(_mask_kwargs(masks, False), ENC_NAMES)
    _compare(tm, em, [_x((T, N, D))], tkw, ekw)


def test_encoder_stack_layers_are_independent_copies():
    layer = enn.TransformerEncoderLayer(D, NH, FF)
    enc = enn.TransformerEncoder(layer, 3)
    assert len(enc.layers) == 3 and enc.layers[0] is not layer
    assert enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight
    np.testing.assert_array_equal(enc.layers[0].linear1.weight.detach().numpy(), layer.linear1.weight.detach().numpy())


def test_decoder_stack_matches_torch_and_detects_the_causal_mask():
    tm = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(D, NH, FF, dropout=0.0, batch_first=True), 2)
    em = enn.TransformerDecoder(enn.TransformerDecoderLayer(D, NH, FF, dropout=0.0, batch_first=True), 2)
    tkw, ekw = _split(_mask_kwargs("causal_mask", True), DEC_NAMES)
    _compare(tm, em, [_x((N, T, D)), _x((N, T + 1, D), 4)], tkw, ekw)


@pytest.mark.parametrize("kw", [{}, {"batch_first": True, "norm_first": True, "activation": "gelu"}], ids=str)
def test_transformer_matches_torch(kw):
    tm = torch.nn.Transformer(D, NH, 2, 2, FF, dropout=0.0, **kw)
    em = enn.Transformer(D, NH, 2, 2, FF, dropout=0.0, **kw)
    assert list(em.state_dict()) == list(tm.state_dict())
    bf = kw.get("batch_first")
    src, tgt = ((N, T + 1, D), (N, T, D)) if bf else ((T + 1, N, D), (T, N, D))
    skpm = np.zeros((N, T + 1), bool)
    skpm[2, -2:] = True
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(T)
    emask = enn.Transformer.generate_square_subsequent_mask(T)
    _compare(tm, em, [_x(src), _x(tgt, 5)],
             {"tgt_mask": tmask, "src_key_padding_mask": torch.tensor(skpm),
              "memory_key_padding_mask": torch.tensor(skpm)},
             {"tgt_mask": emask, "src_key_padding_mask": ember.tensor(skpm),
              "memory_key_padding_mask": ember.tensor(skpm)})


def test_generate_square_subsequent_mask_matches_torch():
    for sz in (1, 4):
        assert_close(enn.Transformer.generate_square_subsequent_mask(sz),
                     torch.nn.Transformer.generate_square_subsequent_mask(sz), rtol=0, atol=0)
    m = enn.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64)
    assert m.dtype == ember.float64


def test_transformer_initialises_every_matrix_with_xavier_uniform():
    em = enn.Transformer(D, NH, 1, 1, FF)
    w = em.encoder.layers[0].linear1.weight.detach().numpy()  # (FF, D)
    bound = np.sqrt(6 / (D + FF))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert np.all(em.encoder.layers[0].self_attn.in_proj_bias.detach().numpy() == 0)


def test_layer_dropout_is_off_in_eval_and_on_in_training():
    tm = torch.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.3)
    em = enn.TransformerEncoderLayer(D, NH, FF, dropout=0.3)
    copy_weights(em, tm)
    tm.eval(), em.eval()
    x = _x((T, N, D))
    with torch.no_grad():
        expected = tm(torch.tensor(x))
    assert_close(em(ember.tensor(x)), expected, rtol=1e-5, atol=1e-5)
    em.train()
    ember.manual_seed(0)
    a = em(ember.tensor(x)).detach().numpy()
    b = em(ember.tensor(x)).detach().numpy()
    assert a.shape == (T, N, D) and not np.allclose(a, b)


def _raises_like_torch(fn_t, fn_e):
    with pytest.raises(Exception) as t_err:
        fn_t()
    with pytest.raises(type(t_err.value)) as e_err:
        fn_e()
    assert str(e_err.value) == str(t_err.value)


def test_errors_match_torch():
    _raises_like_torch(lambda: torch.nn.TransformerEncoderLayer(D, 3), lambda: enn.TransformerEncoderLayer(D, 3))
    _raises_like_torch(lambda: torch.nn.TransformerEncoderLayer(D, NH, activation="tanh"),
                       lambda: enn.TransformerEncoderLayer(D, NH, activation="tanh"))
    tm, em = torch.nn.Transformer(D, NH, 1, 1, FF), enn.Transformer(D, NH, 1, 1, FF)
    copy_weights(em, tm)
    for src, tgt in (((T, N, D), (T, N + 1, D)), ((T, N, D), (T, N, D + 1))):
        _raises_like_torch(lambda src=src, tgt=tgt: tm(torch.tensor(_x(src)), torch.tensor(_x(tgt))),
                           lambda src=src, tgt=tgt: em(ember.tensor(_x(src)), ember.tensor(_x(tgt))))
    tl, el = torch.nn.TransformerEncoderLayer(D, NH, FF), enn.TransformerEncoderLayer(D, NH, FF)
    x = _x((T, N, D))
    _raises_like_torch(lambda: tl(torch.tensor(x), src_mask=torch.zeros(T, T + 1)),
                       lambda: el(ember.tensor(x), src_mask=ember.zeros(T, T + 1)))
    _raises_like_torch(lambda: tl(torch.tensor(_x((T, N, D + 2)))), lambda: el(ember.tensor(_x((T, N, D + 2)))))
