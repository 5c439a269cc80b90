"""F.scaled_dot_product_attention and nn.MultiheadAttention against torch (same inputs and weights): outputs,
attention weights, gradients of inputs and every weight, each option and mask kind, torch's errors; SDPA's float64
gradcheck and double backward against torch's Hessian-vector product; dropout in and out of training."""
from __future__ import annotations

import numpy as np
import pytest
from _oracle import assert_close, torch
from _seq_checks import copy_weights

import ember
import ember.nn as enn
import ember.nn.functional as eF

tF = torch.nn.functional
E, H, L, S, N = 8, 2, 3, 4, 2
TOL = {"rtol": 1e-5, "atol": 1e-6}


def _pair(a, requires_grad=False):
    return (torch.tensor(a, requires_grad=requires_grad), ember.tensor(a, requires_grad=requires_grad))


def _both(kw):
    t = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    e = {k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    return t, e


# --------------------------------------------------------------------------------------------- SDPA

def _qkv(rng, q_shape=(2, 3, L, 8), k_shape=(2, 3, S, 8), v_shape=(2, 3, S, 6), dtype=np.float32):
    return [rng.standard_normal(s).astype(dtype) for s in (q_shape, k_shape, v_shape)]


def _sdpa_masks():
    rng = np.random.default_rng(1)
    bool_mask = rng.random((L, S)) > 0.4
    bool_mask[:, 0] = True
    dead_row = bool_mask.copy()
    dead_row[1] = False  # a query with no key to attend: zeros, as torch's safe softmax
    return {
        "none": {}, "causal": {"is_causal": True}, "bool": {"attn_mask": bool_mask},
        "bool_dead_row": {"attn_mask": dead_row},
        "float": {"attn_mask": rng.standard_normal((L, S)).astype(np.float32)},
        "float_batched": {"attn_mask": rng.standard_normal((2, 1, L, S)).astype(np.float32)},
        "bool_per_head": {"attn_mask": rng.random((3, L, S)) > 0.2},
        "scale": {"scale": 0.3}, "causal_scale": {"is_causal": True, "scale": 2.0},
    }


@pytest.mark.parametrize("case", list(_sdpa_masks()))
def test_sdpa_matches_torch_values_and_gradients(case):
    kw = _sdpa_masks()[case]
    rng = np.random.default_rng(0)
    (tq, eq), (tk, ek), (tv, ev) = (_pair(a, True) for a in _qkv(rng))
    tkw, ekw = _both(kw)
    to = tF.scaled_dot_product_attention(tq, tk, tv, **tkw)
    eo = eF.scaled_dot_product_attention(eq, ek, ev, **ekw)
    assert_close(eo, to, **TOL)
    g = rng.standard_normal(tuple(to.shape)).astype(np.float32)
    (to * torch.tensor(g)).sum().backward()
    (eo * ember.tensor(g)).sum().backward()
    for e, t in ((eq, tq), (ek, tk), (ev, tv)):
        assert_close(e.grad, t.grad, **TOL)


def test_sdpa_causal_with_more_keys_than_queries_and_unbatched():
    rng = np.random.default_rng(2)
    q, k, v = _qkv(rng, (L, 8), (S + 2, 8), (S + 2, 5))
    for causal in (False, True):
        to = tF.scaled_dot_product_attention(*map(torch.tensor, (q, k, v)), is_causal=causal)
        eo = eF.scaled_dot_product_attention(*map(ember.tensor, (q, k, v)), is_causal=causal)
        assert_close(eo, to, **TOL)


def test_sdpa_grouped_query_attention_matches_torch():
    rng = np.random.default_rng(3)
    q, k, v = _qkv(rng, (2, 4, L, 8), (2, 2, S, 8), (2, 2, S, 8))
    (tq, eq), (tk, ek), (tv, ev) = (_pair(a, True) for a in (q, k, v))
    to = tF.scaled_dot_product_attention(tq, tk, tv, enable_gqa=True)
    eo = eF.scaled_dot_product_attention(eq, ek, ev, enable_gqa=True)
    assert_close(eo, to, **TOL)
    to.sum().backward()
    eo.sum().backward()
    for e, t in ((eq, tq), (ek, tk), (ev, tv)):
        assert_close(e.grad, t.grad, **TOL)


@pytest.mark.parametrize("case", ["none", "causal", "bool_dead_row", "float"])
def test_sdpa_gradcheck_float64(case):
    kw = {k: ember.tensor(v.astype(np.float64) if v.dtype.kind == "f" else v) if isinstance(v, np.ndarray) else v
          for k, v in _sdpa_masks()[case].items()}
    rng = np.random.default_rng(4)
    q, k, v = (ember.tensor(a, requires_grad=True) for a in _qkv(rng, (2, L, 4), (2, S, 4), (2, S, 3), np.float64))
    assert ember.autograd.gradcheck(lambda a, b, c: eF.scaled_dot_product_attention(a, b, c, **kw), (q, k, v))


@pytest.mark.parametrize("case", ["none", "causal", "float"])
def test_sdpa_double_backward_matches_torch_hessian_vector_product(case):
    kw = _sdpa_masks()[case]
    kw = {k: v.astype(np.float64) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    tkw, ekw = _both(kw)
    rng = np.random.default_rng(5)
    arrays = _qkv(rng, (2, L, 4), (2, S, 4), (2, S, 3), np.float64)
    w = rng.standard_normal((2, L, 3))
    vecs = [rng.standard_normal(a.shape) for a in arrays]
    results = []
    for lib, F, grad in ((torch, tF, torch.autograd.grad), (ember, eF, ember.autograd.grad)):
        xs = [lib.tensor(a, requires_grad=True) for a in arrays]
        kwargs = tkw if lib is torch else ekw
        y = (F.scaled_dot_product_attention(*xs, **kwargs) * lib.tensor(w)).sum()
        gs = grad(y, xs, create_graph=True)
        dot = sum((g * lib.tensor(u)).sum() for g, u in zip(gs, vecs))
        results.append(grad(dot, xs))
    for e, t in zip(*results[::-1]):
        assert_close(e, t, rtol=1e-7, atol=1e-10)


def test_sdpa_dropout_zero_is_deterministic_and_training_dropout_zeroes_and_rescales():
    rng = np.random.default_rng(6)
    q, k, v = (ember.tensor(a) for a in _qkv(rng))
    base = eF.scaled_dot_product_attention(q, k, v)
    assert_close(eF.scaled_dot_product_attention(q, k, v, dropout_p=0.0), base, rtol=0, atol=0)
    # v = identity over keys exposes the dropped attention weights: kept ones are scaled by 1/(1 - p)
    n_k = 4096
    qb = ember.tensor(np.zeros((1, 8, 2), np.float32))
    kb = ember.tensor(np.zeros((1, n_k, 2), np.float32))
    vb = ember.tensor(np.eye(n_k, dtype=np.float32)[None])
    ember.manual_seed(0)
    w = eF.scaled_dot_product_attention(qb, kb, vb, dropout_p=0.25).numpy()
    assert w.shape == (1, 8, n_k)
    kept = w != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(w[kept], 1 / n_k / 0.75, rtol=1e-5)


def _raises_like_torch(fn_t, fn_e):
    with pytest.raises(Exception) as t_err:
        fn_t()
    with pytest.raises(type(t_err.value)) as e_err:
        fn_e()
    assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize("case", ["mask_and_causal", "mask_shape", "feature_size", "dtype", "mask_dtype", "1d",
                                  "gqa_heads"])
def test_sdpa_errors_match_torch(case):
    rng = np.random.default_rng(7)
    q, k, v = _qkv(rng, (2, L, 4), (2, S, 4), (2, S, 6))
    kw = {}
    if case == "mask_and_causal":
        kw = {"attn_mask": np.ones((L, S), bool), "is_causal": True}
    elif case == "mask_shape":
        kw = {"attn_mask": np.ones((L + 1, S), bool)}
    elif case == "feature_size":
        k = k[..., :3]
    elif case == "dtype":
        v = v.astype(np.float64)
    elif case == "mask_dtype":
        kw = {"attn_mask": np.ones((L, S), np.int64)}
    elif case == "1d":
        q, k, v = q[0, 0], k[0, 0], v[0, 0]
    elif case == "gqa_heads":
        q, k, v = _qkv(rng, (2, 3, L, 4), (2, 2, S, 4), (2, 2, S, 4))
        kw = {"enable_gqa": True}
    tkw, ekw = _both(kw)
    _raises_like_torch(lambda: tF.scaled_dot_product_attention(*map(torch.tensor, (q, k, v)), **tkw),
                       lambda: eF.scaled_dot_product_attention(*map(ember.tensor, (q, k, v)), **ekw))


# --------------------------------------------------------------------------------------------- MultiheadAttention

def _mha_pair(**kw):
    tm = torch.nn.MultiheadAttention(E, H, **kw)
    em = enn.MultiheadAttention(E, H, **kw)
    copy_weights(em, tm)
    return tm, em


def _mha_results(kw, call, self_attn=False, batched=True, seed=0):
    """ember's and torch's MultiheadAttention on the same inputs and weights: (what, ember's, torch's, tolerance)
    for the output, the weights, the parameter names and every gradient."""
    rng = np.random.default_rng(seed)
    tm, em = _mha_pair(**kw)
    bf = kw.get("batch_first", False)

    def shape(n, e):
        return ((N, n, e) if bf else (n, N, e)) if batched else (n, e)

    q = rng.standard_normal(shape(L, E)).astype(np.float32)
    tq, eq = _pair(q, True)
    if self_attn:
        (tk, ek), (tv, ev) = (tq, eq), (tq, eq)
    else:
        (tk, ek), (tv, ev) = (_pair(rng.standard_normal(shape(S, kw.get(d) or E)).astype(np.float32), True)
                              for d in ("kdim", "vdim"))
    tc, ec = _both(call)
    to, tw = tm(tq, tk, tv, **tc)
    eo, ew = em(eq, ek, ev, **ec)
    grad_tol = dict(rtol=1e-5, atol=1e-5)
    results = [("output", eo, to, TOL), ("weights", ew, tw, TOL)]
    g = rng.standard_normal(tuple(to.shape)).astype(np.float32)
    (to * torch.tensor(g)).sum().backward()
    (eo * ember.tensor(g)).sum().backward()
    t_params = dict(tm.named_parameters())
    results.append(("parameter names", sorted(n for n, _ in em.named_parameters()), sorted(t_params), None))
    results += [(name, p.grad, t_params[name].grad, grad_tol) for name, p in em.named_parameters()]
    results += [(f"input {k}", e.grad, t.grad, grad_tol)
                for k, (e, t) in enumerate({id(x): (x, y) for x, y in ((eq, tq), (ek, tk), (ev, tv))}.values())]
    return results


def _differences(results):
    """The entries of ``_mha_results`` where ember differs from torch (None on one side only, other names, or
    values outside the tolerance)."""
    out = []
    for what, got, want, tol in results:
        if (got is None) != (want is None) or (tol is None and got != want):
            out.append(what)
        elif tol is not None and want is not None:
            try:
                assert_close(got, want, **tol)
            except AssertionError as e:
                out.append(f"{what}: {e}")
    return out


def _mha_masks():
    rng = np.random.default_rng(8)
    bool_2d = rng.random((L, S)) > 0.6
    kpm = rng.random((N, S)) > 0.6
    kpm[:, 0] = False
    return {
        "bool_2d": {"attn_mask": bool_2d}, "float_2d": {"attn_mask": rng.standard_normal((L, S)).astype(np.float32)},
        "bool_3d": {"attn_mask": rng.random((N * H, L, S)) > 0.7},
        "float_3d": {"attn_mask": rng.standard_normal((N * H, L, S)).astype(np.float32)},
        "kpm_bool": {"key_padding_mask": kpm},
        "kpm_float": {"key_padding_mask": np.where(kpm, -np.inf, 0).astype(np.float32)},
        "both": {"attn_mask": bool_2d, "key_padding_mask": kpm},
    }


MHA_OPTIONS = [{}, {"bias": False}, {"add_bias_kv": True}, {"add_zero_attn": True}, {"kdim": 5, "vdim": 3},
               {"batch_first": True}, {"add_bias_kv": True, "add_zero_attn": True, "batch_first": True}]


@pytest.mark.parametrize("kw", MHA_OPTIONS, ids=str)
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
def test_mha_options_match_torch(kw, need_weights, average):
    assert not _differences(_mha_results(kw, {"need_weights": need_weights, "average_attn_weights": average}))


@pytest.mark.parametrize("mask", list(_mha_masks()))
@pytest.mark.parametrize("kw", [{}, {"add_bias_kv": True, "add_zero_attn": True}], ids=str)
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_masks_match_torch(mask, kw, need_weights):
    assert not _differences(_mha_results(kw, {**_mha_masks()[mask], "need_weights": need_weights}))


@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_self_attention_and_causal_hint_match_torch(batch_first):
    causal = np.triu(np.full((L, L), -np.inf, np.float32), 1)
    assert not _differences(_mha_results({"batch_first": batch_first}, {}, self_attn=True))
    for need_weights in (True, False):
        call = {"attn_mask": causal, "is_causal": True, "need_weights": need_weights}
        assert not _differences(_mha_results({"batch_first": batch_first}, call, self_attn=True))


@pytest.mark.parametrize("call", [{}, {"key_padding_mask": np.array([False, False, True, False])},
                                  {"attn_mask": np.random.default_rng(9).random((H, L, S)) > 0.7},
                                  {"average_attn_weights": False}], ids=str)
def test_mha_unbatched_matches_torch(call):
    assert not _differences(_mha_results({}, call, batched=False))


def test_mha_state_dict_keys_and_init_follow_torch():
    for kw in ({}, {"kdim": 5, "vdim": 3, "add_bias_kv": True}, {"bias": False}):
        tm = torch.nn.MultiheadAttention(E, H, **kw)
        em = enn.MultiheadAttention(E, H, **kw)
        assert list(em.state_dict()) == list(tm.state_dict())
        for name, p in em.state_dict().items():
            assert tuple(p.shape) == tuple(tm.state_dict()[name].shape)
    em = enn.MultiheadAttention(64, 4)
    assert isinstance(em.out_proj, enn.Linear)
    assert np.all(em.in_proj_bias.detach().numpy() == 0) and np.all(em.out_proj.bias.detach().numpy() == 0)
    w = em.in_proj_weight.detach().numpy()
    bound = np.sqrt(6 / (64 + 192))  # xavier_uniform_ over the packed (3E, E) weight
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound


def test_mha_dropout_in_eval_is_off_and_in_training_drops_weights():
    tm, em = _mha_pair(dropout=0.5)
    x = np.random.default_rng(10).standard_normal((L, N, E)).astype(np.float32)
    tm.eval(), em.eval()
    tx, ex = _pair(x)
    assert_close(em(ex, ex, ex)[0], tm(tx, tx, tx)[0], **TOL)
    em.train()
    ember.manual_seed(0)
    _, w = em(ex, ex, ex, average_attn_weights=False)
    w = w.detach().numpy()
    assert w.shape == (N, H, L, L)
    assert 0 < (w == 0).mean() < 1
    assert np.all((w == 0) | (w > 0))


def _mha_error_case(case):
    """(module kwargs, query, key, value, call kwargs) that make torch raise."""
    rng = np.random.default_rng(11)
    q = rng.standard_normal((L, N, E)).astype(np.float32)
    k = rng.standard_normal((S, N, E)).astype(np.float32)
    kw, call = {}, {}
    if case == "mask_2d_shape":
        call = {"attn_mask": np.zeros((L, S + 1), bool)}
    elif case == "mask_3d_shape":
        call = {"attn_mask": np.zeros((H, L, S), bool)}
    elif case == "mask_4d":
        call = {"attn_mask": np.zeros((1, 1, L, S), bool)}
    elif case == "mask_dtype":
        call = {"attn_mask": np.zeros((L, S), np.int64)}
    elif case == "kpm_shape":
        call = {"key_padding_mask": np.zeros((N, S + 1), bool)}
    elif case == "feature_size":
        q = q[..., :6]
    elif case == "key_value_shape":
        return kw, q, k, k[:-1], call
    elif case == "key_dims":
        return kw, q, k[0], k[0], call
    elif case == "causal_without_mask":
        call = {"is_causal": True}
    return kw, q, k, k, call


@pytest.mark.parametrize("case", ["mask_2d_shape", "mask_3d_shape", "mask_4d", "mask_dtype", "kpm_shape",
                                  "feature_size", "key_value_shape", "key_dims", "causal_without_mask"])
def test_mha_errors_match_torch(case):
    kw, q, k, v, call = _mha_error_case(case)
    tm, em = _mha_pair(**kw)
    tc, ec = _both(call)
    _raises_like_torch(lambda: tm(*map(torch.tensor, (q, k, v)), **tc), lambda: em(*map(ember.tensor, (q, k, v)), **ec))


def test_mha_constructor_errors_match_torch():
    _raises_like_torch(lambda: torch.nn.MultiheadAttention(10, 3), lambda: enn.MultiheadAttention(10, 3))
    _raises_like_torch(lambda: torch.nn.MultiheadAttention(0, 3), lambda: enn.MultiheadAttention(0, 3))


@pytest.mark.parametrize("kw", [{}, {"add_bias_kv": True, "add_zero_attn": True}], ids=str)
def test_mha_double_backward_matches_torch_hessian_vector_product(kw):
    # torch's need_weights=True path is bmm + softmax, which torch can differentiate twice
    tm = torch.nn.MultiheadAttention(E, H, **kw).double()
    em = enn.MultiheadAttention(E, H, **kw).double()
    copy_weights(em, tm)
    rng = np.random.default_rng(12)
    x, u, w = (rng.standard_normal((L, N, E)) for _ in range(3))
    mask = np.triu(np.ones((L, L), bool), 1)
    results = []
    for lib, m in ((torch, tm), (ember, em)):
        xs = lib.tensor(x, requires_grad=True)
        y = (m(xs, xs, xs, attn_mask=lib.tensor(mask))[0] * lib.tensor(w)).sum()
        (g,) = lib.autograd.grad(y, [xs], create_graph=True)
        results.append(lib.autograd.grad((g * lib.tensor(u)).sum(), [xs, m.in_proj_weight, m.out_proj.weight]))
    for e, t in zip(results[1], results[0]):
        assert_close(e, t, rtol=1e-7, atol=1e-10)


def test_functional_multi_head_attention_forward_matches_torch():
    tm, em = _mha_pair(add_bias_kv=True)
    rng = np.random.default_rng(13)
    q, k = rng.standard_normal((L, N, E)).astype(np.float32), rng.standard_normal((S, N, E)).astype(np.float32)
    kpm = np.zeros((N, S), bool)
    kpm[1, -1] = True
    outs = []
    for lib, F, m in ((torch, tF, tm), (ember, eF, em)):
        args = (lib.tensor(q), lib.tensor(k), lib.tensor(k), E, H, m.in_proj_weight, m.in_proj_bias, m.bias_k,
                m.bias_v, True, 0.0, m.out_proj.weight, m.out_proj.bias)
        outs.append(F.multi_head_attention_forward(*args, training=False, key_padding_mask=lib.tensor(kpm),
                                                   average_attn_weights=False))
    for e, t in zip(outs[1], outs[0]):
        assert_close(e, t, **TOL)
