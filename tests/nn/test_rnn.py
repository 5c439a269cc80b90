"""nn.RNN / LSTM / GRU, the cells and nn.utils.rnn against torch (same weights via load_state_dict), the fused op's
gradcheck / gradgradcheck in float64, its composite against its backward, and torch's errors."""
from __future__ import annotations

import numpy as np
import pytest
from _oracle import assert_close, from_torch, torch
from _seq_checks import copy_weights, gradgradcheck

import ember
import ember.nn as enn
from ember.autograd.ops.rnn import Recurrence
from ember.nn.utils import rnn as eU

tU = torch.nn.utils.rnn
T, N, I, H = 5, 3, 4, 6
MODES = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {})]
CONFIGS = [
    {},
    {"num_layers": 2},
    {"bidirectional": True},
    {"num_layers": 2, "bidirectional": True, "batch_first": True},
    {"bias": False, "batch_first": True},
]
LSTM_PROJ = [{"proj_size": 3}, {"proj_size": 3, "num_layers": 2, "bidirectional": True, "batch_first": True}]
# Gradients of the weights are sums over time steps: torch adds one GEMM per step, ember does one GEMM over all
# steps, so float32 rounding differs by a few ulps of the largest terms; 2 layers stack those differences.
GRAD_TOL = {"rtol": 1e-5, "atol": 1e-5}


def _pair(name, kw, dtype=torch.float32):
    tm = getattr(torch.nn, name)(I, H, **kw).to(dtype)
    em = getattr(enn, name)(I, H, **kw)
    if dtype == torch.float64:
        em = em.double()
    copy_weights(em, tm)
    return tm, em


def _states(name, kw, rng, batch=N):
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    h = rng.standard_normal((layers, batch, kw.get("proj_size") or H)).astype(np.float32)
    if name == "LSTM":
        return h, rng.standard_normal((layers, batch, H)).astype(np.float32)
    return (h,)


def _hidden(states, lib_tensor):
    ts = [lib_tensor(s) for s in states]
    return ts, (tuple(ts) if len(ts) == 2 else ts[0])


def _loss(out, hidden, w_out, w_hidden, lib):
    hidden = hidden if isinstance(hidden, tuple) else (hidden,)
    total = (out * lib.tensor(w_out)).sum()
    for h, w in zip(hidden, w_hidden):
        total = total + (h * lib.tensor(w)).sum()
    return total


def _check_layer(name, kw, rng, with_hx=True):
    tm, em = _pair(name, kw)
    shape = (N, T, I) if kw.get("batch_first") else (T, N, I)
    x = rng.standard_normal(shape).astype(np.float32)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    states = _states(name, kw, rng)
    t_states, t_hx = _hidden(states, lambda s: torch.tensor(s, requires_grad=True))
    e_states, e_hx = _hidden(states, lambda s: ember.tensor(s, requires_grad=True))
    t_out, t_hidden = tm(tx, t_hx if with_hx else None)
    e_out, e_hidden = em(ex, e_hx if with_hx else None)
    assert_close(e_out, t_out, msg="output")
    for e_h, t_h in zip(e_hidden if name == "LSTM" else (e_hidden,), t_hidden if name == "LSTM" else (t_hidden,)):
        assert_close(e_h, t_h, msg="final state")
    w_out = rng.standard_normal(t_out.shape).astype(np.float32)
    w_hidden = [rng.standard_normal(s.shape).astype(np.float32) for s in states]
    _loss(t_out, t_hidden, w_out, w_hidden, torch).backward()
    _loss(e_out, e_hidden, w_out, w_hidden, ember).backward()
    assert_close(ex.grad, tx.grad, **GRAD_TOL, msg="input grad")
    if with_hx:
        for e_s, t_s in zip(e_states, t_states):
            assert_close(e_s.grad, t_s.grad, **GRAD_TOL, msg="initial state grad")
    t_params = dict(tm.named_parameters())
    for n, p in em.named_parameters():
        assert_close(p.grad, t_params[n].grad, **GRAD_TOL, msg=n)


@pytest.mark.parametrize("kw", CONFIGS, ids=str)
@pytest.mark.parametrize("name,mode_kw", MODES, ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_layer_matches_torch(name, mode_kw, kw, rng):
    _check_layer(name, {**mode_kw, **kw}, rng)


@pytest.mark.parametrize("kw", LSTM_PROJ, ids=str)
def test_lstm_projection_matches_torch(kw, rng, kernel_path):
    _check_layer("LSTM", kw, rng)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_layer_without_initial_state(name, rng):
    _check_layer(name, {"num_layers": 2}, rng, with_hx=False)


@pytest.mark.parametrize("kw", [{}, {"num_layers": 2, "bidirectional": True}], ids=str)
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_packed_input_matches_torch(name, kw, rng, kernel_path):
    """Unsorted lengths (enforce_sorted=False): output PackedSequence, final states in the original order, grads."""
    if name == "LSTM":
        kw = {**kw, "proj_size": 2}
    tm, em = _pair(name, kw)
    lengths = [3, 5, 1, 4]
    x = rng.standard_normal((5, 4, I)).astype(np.float32)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    states = _states(name, kw, rng, batch=4)
    t_states, t_hx = _hidden(states, lambda s: torch.tensor(s, requires_grad=True))
    e_states, e_hx = _hidden(states, lambda s: ember.tensor(s, requires_grad=True))
    t_out, t_hidden = tm(tU.pack_padded_sequence(tx, lengths, enforce_sorted=False), t_hx)
    e_out, e_hidden = em(eU.pack_padded_sequence(ex, lengths, enforce_sorted=False), e_hx)
    assert isinstance(e_out, eU.PackedSequence)
    assert_close(e_out.data, t_out.data)
    assert_close(e_out.batch_sizes, t_out.batch_sizes)
    assert_close(e_out.sorted_indices, t_out.sorted_indices)
    assert_close(e_out.unsorted_indices, t_out.unsorted_indices)
    t_pad, t_len = tU.pad_packed_sequence(t_out, total_length=6)
    e_pad, e_len = eU.pad_packed_sequence(e_out, total_length=6)
    assert_close(e_pad, t_pad)
    assert_close(e_len, t_len)
    w_out = rng.standard_normal(t_pad.shape).astype(np.float32)
    w_hidden = [rng.standard_normal(s.shape).astype(np.float32) for s in states]
    _loss(t_pad, t_hidden, w_out, w_hidden, torch).backward()
    _loss(e_pad, e_hidden, w_out, w_hidden, ember).backward()
    assert_close(ex.grad, tx.grad, **GRAD_TOL)
    for e_s, t_s in zip(e_states, t_states):
        assert_close(e_s.grad, t_s.grad, **GRAD_TOL)
    t_params = dict(tm.named_parameters())
    for n, p in em.named_parameters():
        assert_close(p.grad, t_params[n].grad, **GRAD_TOL, msg=n)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_unbatched_input_matches_torch(name, batch_first, rng):
    tm, em = _pair(name, {"batch_first": batch_first, "num_layers": 2})
    x = rng.standard_normal((T, I)).astype(np.float32)
    states = [s[:, 0] for s in _states(name, {"num_layers": 2}, rng)]
    t_out, t_hidden = tm(torch.tensor(x), _hidden(states, torch.tensor)[1])
    e_out, e_hidden = em(ember.tensor(x), _hidden(states, ember.tensor)[1])
    assert_close(e_out, t_out)
    for e_h, t_h in zip(e_hidden if name == "LSTM" else (e_hidden,), t_hidden if name == "LSTM" else (t_hidden,)):
        assert_close(e_h, t_h)


def test_state_dict_keys_shapes_and_init_match_torch():
    for name, kw in [("RNN", {}), ("GRU", {"bias": False}), ("LSTM", {"proj_size": 2})]:
        kw = {**kw, "num_layers": 2, "bidirectional": True}
        tm, em = getattr(torch.nn, name)(I, H, **kw), getattr(enn, name)(I, H, **kw)
        t_sd, e_sd = tm.state_dict(), em.state_dict()
        assert list(e_sd) == list(t_sd)
        for k in t_sd:
            assert tuple(e_sd[k].shape) == tuple(t_sd[k].shape), k
            assert np.abs(e_sd[k].numpy()).max() <= 1 / np.sqrt(H)
        assert repr(em) == repr(tm)
    for cls, kw in [("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}), ("GRUCell", {"bias": False})]:
        tm, em = getattr(torch.nn, cls)(I, H, **kw), getattr(enn, cls)(I, H, **kw)
        assert list(em.state_dict()) == list(tm.state_dict())
        assert repr(em) == repr(tm)


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("cls,kw", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}),
                                    ("GRUCell", {}), ("GRUCell", {"bias": False})])
def test_cells_match_torch(cls, kw, batched, rng):
    tm, em = getattr(torch.nn, cls)(I, H, **kw), getattr(enn, cls)(I, H, **kw)
    copy_weights(em, tm)
    lead = (N,) if batched else ()
    x = rng.standard_normal(lead + (I,)).astype(np.float32)
    states = [rng.standard_normal(lead + (H,)).astype(np.float32) for _ in range(2 if cls == "LSTMCell" else 1)]
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    ts = [torch.tensor(s, requires_grad=True) for s in states]
    es = [ember.tensor(s, requires_grad=True) for s in states]
    t_out = tm(tx, tuple(ts) if len(ts) == 2 else ts[0])
    e_out = em(ex, tuple(es) if len(es) == 2 else es[0])
    t_out, e_out = (t_out, e_out) if isinstance(t_out, tuple) else ((t_out,), (e_out,))
    for e, t in zip(e_out, t_out):
        assert_close(e, t)
    sum(((o * (k + 1)).sum() for k, o in enumerate(t_out))).backward()
    sum(((o * (k + 1)).sum() for k, o in enumerate(e_out)), ember.tensor(0.0)).backward()
    assert_close(ex.grad, tx.grad)
    for e, t in zip(es, ts):
        assert_close(e.grad, t.grad)
    t_params = dict(tm.named_parameters())
    for n, p in em.named_parameters():
        assert_close(p.grad, t_params[n].grad, msg=n)
    assert_close(em(ex)[0] if cls == "LSTMCell" else em(ex), tm(tx)[0] if cls == "LSTMCell" else tm(tx))


def test_dropout_between_layers_is_applied_in_training_only(rng):
    em = enn.LSTM(I, H, num_layers=2, dropout=0.5)
    x = ember.tensor(rng.standard_normal((T, N, I)).astype(np.float32))
    em.eval()
    a, b = em(x)[0].detach(), em(x)[0].detach()
    assert np.array_equal(a.numpy(), b.numpy())
    em.train()
    ember.manual_seed(1)
    c = em(x)[0].detach()
    ember.manual_seed(2)
    d = em(x)[0].detach()
    assert not np.allclose(c.numpy(), d.numpy())
    with pytest.warns(UserWarning, match="dropout option adds dropout after all but last recurrent layer"):
        enn.GRU(I, H, dropout=0.5)


# ---- nn.utils.rnn ----------------------------------------------------------------------------------------------
def test_pad_and_pack_utilities_match_torch(rng):
    seqs = [rng.standard_normal((n, 2)).astype(np.float32) for n in (2, 4, 3)]
    ts, es = [torch.tensor(s) for s in seqs], [ember.tensor(s) for s in seqs]
    for kw in [{}, {"batch_first": True, "padding_value": -1.0}, {"padding_side": "left"}]:
        assert_close(eU.pad_sequence(es, **kw), tU.pad_sequence(ts, **kw))
    t_p, e_p = tU.pack_sequence(ts, enforce_sorted=False), eU.pack_sequence(es, enforce_sorted=False)
    for e, t in zip(e_p, t_p):
        assert_close(e, t)
    sorted_seqs = sorted(ts, key=len, reverse=True)
    t_p2, e_p2 = tU.pack_sequence(sorted_seqs), eU.pack_sequence([from_torch(s) for s in sorted_seqs])
    assert e_p2.sorted_indices is None and e_p2.unsorted_indices is None
    assert_close(e_p2.data, t_p2.data)
    for e, t in zip(eU.unpack_sequence(e_p), tU.unpack_sequence(t_p)):
        assert_close(e, t)
    lengths = [4, 1, 3]
    for bf in (False, True):
        padded = rng.standard_normal((3, 4, 2) if bf else (4, 3, 2)).astype(np.float32)
        t_u = tU.unpad_sequence(torch.tensor(padded), torch.tensor(lengths), batch_first=bf)
        e_u = eU.unpad_sequence(ember.tensor(padded), ember.tensor(lengths), batch_first=bf)
        for e, t in zip(e_u, t_u):
            assert_close(e, t)
        t_pk = tU.pack_padded_sequence(torch.tensor(padded), lengths, batch_first=bf, enforce_sorted=False)
        e_pk = eU.pack_padded_sequence(ember.tensor(padded), lengths, batch_first=bf, enforce_sorted=False)
        for e, t in zip(e_pk, t_pk):
            assert_close(e, t)
        for total in (None, 6):
            for e, t in zip(eU.pad_packed_sequence(e_pk, batch_first=bf, padding_value=9.0, total_length=total),
                            tU.pad_packed_sequence(t_pk, batch_first=bf, padding_value=9.0, total_length=total)):
                assert_close(e, t)


def test_packing_is_differentiable(rng):
    x = rng.standard_normal((4, 3, 2))
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    w = rng.standard_normal((5, 3, 2))
    t_pad, _ = tU.pad_packed_sequence(tU.pack_padded_sequence(tx, [2, 4, 3], enforce_sorted=False), total_length=5)
    e_pad, _ = eU.pad_packed_sequence(eU.pack_padded_sequence(ex, [2, 4, 3], enforce_sorted=False), total_length=5)
    (t_pad * torch.tensor(w)).sum().backward()
    (e_pad * ember.tensor(w)).sum().backward()
    assert_close(ex.grad, tx.grad)


def test_packing_errors_match_torch():
    x = torch.zeros(3, 4, 2)
    ex = from_torch(x)
    cases = [
        (lambda U, v: U.pack_padded_sequence(v, [4, 2, 3], batch_first=True), RuntimeError),
        (lambda U, v: U.pack_padded_sequence(v, [4, 3, 0], batch_first=True), RuntimeError),
        (lambda U, v: U.pack_padded_sequence(v, [4, 3], batch_first=True), RuntimeError),
        (lambda U, v: U.pad_packed_sequence(U.pack_padded_sequence(v, [4, 3, 2], batch_first=True),
                                            total_length=2), ValueError),
        (lambda U, v: U.pad_sequence([]), RuntimeError),
        (lambda U, v: U.pad_sequence([v[0]], padding_side="top"), RuntimeError),
    ]
    for fn, exc in cases:
        with pytest.raises(exc) as t_err:
            fn(tU, x)
        with pytest.raises(exc) as e_err:
            fn(eU, ex)
        assert str(e_err.value) == str(t_err.value)


# ---- errors ----------------------------------------------------------------------------------------------------
def _same_error(t_fn, e_fn, exc):
    with pytest.raises(exc) as t_err:
        t_fn()
    with pytest.raises(exc) as e_err:
        e_fn()
    assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize("case", [
    ("LSTM", {}, (T, N, 6), None),  # wrong feature size
    ("GRU", {}, (T, N, 6), None),
    ("LSTM", {}, (T, N, 2, I), None),  # wrong rank
    ("RNN", {}, (T, N, 2, I), None),
    ("LSTM", {}, (T, N, I), [(1, 4, H), (1, N, H)]),  # wrong h0 shape
    ("LSTM", {}, (T, N, I), [(1, N, H), (1, N, H + 1)]),  # wrong c0 shape
    ("LSTM", {}, (T, N, I), [(N, H), (1, N, H)]),  # wrong h0 rank
    ("GRU", {}, (T, N, I), [(2, N, H)]),
    ("GRU", {}, (T, N, I), [(N, H)]),
    ("RNN", {"num_layers": 2}, (T, N, I), [(1, N, H)]),
    ("RNN", {}, (T, I), [(1, 1, H)]),
    ("LSTM", {}, (T, I), [(1, 1, H), (1, H)]),
])
def test_layer_errors_match_torch(case):
    name, kw, shape, hx_shapes = case
    tm, em = getattr(torch.nn, name)(I, H, **kw), getattr(enn, name)(I, H, **kw)

    def run(lib, m):
        x = lib.zeros(*shape)
        hx = None if hx_shapes is None else [lib.zeros(*s) for s in hx_shapes]
        return m(x, None if hx is None else tuple(hx) if name == "LSTM" else hx[0])

    with pytest.raises((RuntimeError, ValueError)) as want:
        run(torch, tm)
    with pytest.raises(want.type) as got:
        run(ember, em)
    assert str(got.value) == str(want.value)


def test_cell_and_constructor_errors_match_torch():
    for cls, hx in [("LSTMCell", [(N, H), (N, H)]), ("GRUCell", [(N, H)]), ("RNNCell", [(N, H)])]:
        tm, em = getattr(torch.nn, cls)(I, H), getattr(enn, cls)(I, H)
        for x_shape, hx_shapes in [((N, I + 1), hx), ((N, I), [(N + 1, H)] + hx[1:]), ((N, I), [(N, H + 1)] + hx[1:]),
                                   ((2, N, I), hx)]:
            def run(lib, m, x_shape=x_shape, hx_shapes=hx_shapes):
                states = [lib.zeros(*s) for s in hx_shapes]
                return m(lib.zeros(*x_shape), tuple(states) if len(states) == 2 else states[0])

            _same_error(lambda: run(torch, tm), lambda: run(ember, em), (RuntimeError, ValueError))
    for args, kw in [((I, H), {"nonlinearity": "sigmoid"}), ((I, H), {"proj_size": 2}), ((I, H), {"dropout": 2}),
                     ((I, 0), {}), ((I, H, 0), {})]:
        _same_error(lambda: torch.nn.RNN(*args, **kw), lambda: enn.RNN(*args, **kw), (ValueError, TypeError))
    _same_error(lambda: torch.nn.LSTM(I, 3, proj_size=3), lambda: enn.LSTM(I, 3, proj_size=3), ValueError)
    _same_error(lambda: torch.nn.GRU(I, H, bias=1), lambda: enn.GRU(I, H, bias=1), TypeError)
    tm, em = torch.nn.GRU(I, H), enn.GRU(I, H)
    with pytest.raises(ValueError) as t_err:
        tm(torch.zeros(T, N, I, dtype=torch.float64))
    with pytest.raises(ValueError) as e_err:
        em(ember.zeros(T, N, I, dtype=ember.float64))
    # deliberate difference: ember names its dtypes ember.float64, torch torch.float64
    assert str(e_err.value) == str(t_err.value).replace("torch.", "ember.")


# ---- the fused op: float64 gradcheck, gradgradcheck, composite == backward -------------------------------------
OP_CASES = [
    ("RNN_TANH", (2, 2, 1), False, False, True),
    ("RNN_RELU", (2, 1), True, False, True),
    ("LSTM", (2, 1), False, False, True),
    ("LSTM", (2, 1), True, True, True),
    ("GRU", (2, 1), True, False, True),
    ("GRU", (2, 1), False, False, False),
]


def _op_inputs(mode, batch_sizes, has_proj, has_bias, rng, dtype=np.float64):
    from ember.autograd.ops.rnn import GATES

    n, hid, inp = batch_sizes[0], 2, 2
    p = 1 if has_proj else hid
    gate = GATES[mode] * hid
    shapes = [(sum(batch_sizes), inp), (n, p)] + ([(n, hid)] if mode == "LSTM" else [])
    shapes += [(gate, inp), (gate, p)] + ([(gate,), (gate,)] if has_bias else []) + ([(p, hid)] if has_proj else [])
    return [ember.tensor(rng.standard_normal(s).astype(dtype) * 0.7, requires_grad=True) for s in shapes]


def _op(mode, batch_sizes, reverse, has_proj, has_bias):
    opts = dict(mode=mode, batch_sizes=batch_sizes, reverse=reverse, has_bias=has_bias, has_proj=has_proj)
    return lambda *xs: Recurrence.apply(*xs, **opts), opts


@pytest.mark.parametrize("case", OP_CASES, ids=lambda c: f"{c[0]}-{c[1]}-rev{c[2]}-proj{c[3]}-bias{c[4]}")
def test_recurrence_gradcheck_and_gradgradcheck_float64(case, rng, kernel_path):
    mode, batch_sizes, reverse, has_proj, has_bias = case
    inputs = _op_inputs(mode, batch_sizes, has_proj, has_bias, rng)
    fn, _ = _op(*case)
    assert ember.autograd.gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@pytest.mark.parametrize("case", OP_CASES, ids=lambda c: f"{c[0]}-{c[1]}-rev{c[2]}-proj{c[3]}-bias{c[4]}")
def test_recurrence_composite_matches_fused_forward_and_backward(case, rng, kernel_path):
    """The composite (cell step by step from ember primitives, used for double backward) and the fused op agree
    on the value and on every first-order gradient, on the numba step kernels and on the NumPy path."""
    mode, batch_sizes, reverse, has_proj, has_bias = case
    inputs = _op_inputs(mode, (4, 3, 3, 1), has_proj, has_bias, rng)
    fn, opts = _op(mode, (4, 3, 3, 1), reverse, has_proj, has_bias)
    fused, comp = fn(*inputs), Recurrence.composite(*inputs, **opts)
    assert_close(fused, comp)
    v = ember.tensor(rng.standard_normal(tuple(fused.shape)))
    g_fused = ember.autograd.grad((fused * v).sum(), inputs)
    g_comp = ember.autograd.grad((comp * v).sum(), inputs)
    for a, b in zip(g_fused, g_comp):
        assert_close(a, b)


def test_double_backward_through_lstm_layer_matches_torch(rng):
    """A gradient penalty through a 2-layer LSTM: d/dW ‖∂L/∂x‖² against torch (float64)."""
    tm, em = _pair("LSTM", {"num_layers": 2}, torch.float64)
    x = rng.standard_normal((3, 2, I))
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    (tg,) = torch.autograd.grad(tm(tx)[0].tanh().sum(), tx, create_graph=True)
    (eg,) = ember.autograd.grad(em(ex)[0].tanh().sum(), ex, create_graph=True)
    assert_close(eg, tg)
    (tg ** 2).sum().backward()
    (eg ** 2).sum().backward()
    t_params = dict(tm.named_parameters())
    for n, p in em.named_parameters():
        assert_close(p.grad, t_params[n].grad, msg=n)


# ---- end to end --------------------------------------------------------------------------------------------------
class _Classifier:
    """Embedding -> 2-layer LSTM over a packed batch -> Linear on the last hidden state, in either library."""

    def __init__(self, lib, vocab=12, classes=3):
        nn = lib.nn
        self.emb, self.lstm = nn.Embedding(vocab, 8), nn.LSTM(8, 10, num_layers=2, batch_first=True)
        self.head, self.lib = nn.Linear(10, classes), lib
        self.modules = [self.emb, self.lstm, self.head]

    def parameters(self):
        return [p for m in self.modules for p in m.parameters()]

    def __call__(self, tokens, lengths):
        U = self.lib.nn.utils.rnn
        packed = U.pack_padded_sequence(self.emb(tokens), lengths, batch_first=True, enforce_sorted=False)
        _, (h, _) = self.lstm(packed)
        return self.head(h[-1])


def test_two_layer_lstm_classifier_trains_like_torch(rng):
    tm, em = _Classifier(torch), _Classifier(ember)
    for t_mod, e_mod in zip(tm.modules, em.modules):
        copy_weights(e_mod, t_mod)
    t_opt, e_opt = torch.optim.Adam(tm.parameters(), lr=0.01), ember.optim.Adam(em.parameters(), lr=0.01)
    for step in range(10):
        tokens = rng.integers(0, 12, (6, 7))
        lengths = rng.integers(1, 8, 6).tolist()
        target = rng.integers(0, 3, 6)
        t_loss = torch.nn.functional.cross_entropy(tm(torch.tensor(tokens), lengths), torch.tensor(target))
        e_loss = ember.nn.functional.cross_entropy(em(ember.tensor(tokens), lengths), ember.tensor(target))
        np.testing.assert_allclose(e_loss.item(), t_loss.item(), rtol=1e-4, err_msg=f"step {step}")
        t_opt.zero_grad(), e_opt.zero_grad()
        t_loss.backward(), e_loss.backward()
        t_opt.step(), e_opt.step()


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_results_do_not_depend_on_the_thread_count(name, rng):
    """The steps run in groups whose products go to a worker thread (autograd/ops/rnn.py ``_groups``): one thread
    and two give the same bits."""
    em = getattr(enn, name)(I, H, num_layers=2, bidirectional=True)
    x = ember.tensor(rng.standard_normal((13, N, I)).astype(np.float32), requires_grad=True)
    results = []
    previous = ember.get_num_threads()
    try:
        for threads in (1, 2):
            ember.set_num_threads(threads)
            em.zero_grad()
            x.grad = None
            out = em(x)[0]
            out.square().sum().backward()
            results.append([out.detach().numpy().copy(), x.grad.numpy().copy()]
                           + [p.grad.numpy().copy() for p in em.parameters()])
    finally:
        ember.set_num_threads(previous)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
