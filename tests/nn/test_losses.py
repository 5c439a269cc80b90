"""Losses vs torch: every loss × reduction × option (values and gradients w.r.t. every float argument torch
differentiates), edge cases (ignore_index, extreme logits, K-dim inputs), float64 gradcheck, errors, modules."""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from _oracle import assert_close, to_numpy

torch = pytest.importorskip("torch")
import torch.nn as tnn
import torch.nn.functional as TF

import ember
import ember.nn as enn
import ember.nn.functional as EF
from ember.autograd import gradcheck

REDUCTIONS = ("none", "mean", "sum")
R = np.random.default_rng(1234)


# ---- inputs -----------------------------------------------------------------------------------
def f32(*shape, scale=1.0):
    return (R.standard_normal(shape) * scale).astype(np.float32)


def unif(*shape, lo=0.0, hi=1.0):
    return R.uniform(lo, hi, shape).astype(np.float32)


def signs(*shape, dtype=np.float32):
    return np.where(R.random(shape) < 0.5, -1, 1).astype(dtype)


def classes(n_classes, *shape, ignore=None, frac=0.3):
    t = R.integers(0, n_classes, shape).astype(np.int64)
    if ignore is not None:
        t[R.random(shape) < frac] = ignore
        t.reshape(-1)[0] = ignore  # at least one ignored
    return t


def log_probs(*shape):
    x = f32(*shape)
    return (x - np.log(np.exp(x).sum(1, keepdims=True))).astype(np.float32)


def probs(*shape, axis=1):
    e = np.exp(f32(*shape))
    return (e / e.sum(axis, keepdims=True)).astype(np.float32)


# ---- the table: (id, function name, positional arrays, keyword options) ---------------------------------------
def _cases():
    c = []

    def add(name, fn, args, reductions=REDUCTIONS, **kw):
        for red in reductions:
            c.append(pytest.param(fn, args, dict(kw, reduction=red), id=f"{name}-{red}"))

    x, y = f32(4, 5), f32(4, 5)
    add("mse", "mse_loss", [x, y])
    add("mse-broadcast", "mse_loss", [x, f32(5)])
    add("mse-weight", "mse_loss", [x, y], weight=unif(4, 5))
    add("mse-1M", "mse_loss", [f32(1000, 1000), f32(1000, 1000)], reductions=("mean", "sum"))
    add("l1", "l1_loss", [x, y])
    add("l1-weight", "l1_loss", [x, y], weight=unif(4, 5))
    for beta in (1.0, 0.5, 0.0):
        add(f"smooth_l1-beta{beta}", "smooth_l1_loss", [x, y], beta=beta)
    for delta in (1.0, 0.3, 2.0):
        add(f"huber-delta{delta}", "huber_loss", [x, y], delta=delta)
    add("huber-weight", "huber_loss", [x, y], delta=0.5, weight=unif(4, 5))

    p, q = unif(4, 5, lo=0.05, hi=0.95), unif(4, 5)
    add("bce", "binary_cross_entropy", [p, q])
    add("bce-weight", "binary_cross_entropy", [p, q], weight=unif(5))
    add("bce-edges", "binary_cross_entropy", [np.array([0.0, 1.0, 1e-30, 0.5, 1.0, 0.0], np.float32),
                                              np.array([0.0, 1.0, 0.5, 0.5, 0.0, 1.0], np.float32)])
    logits = f32(4, 5, scale=3)
    add("bcel", "binary_cross_entropy_with_logits", [logits, q])
    add("bcel-weight", "binary_cross_entropy_with_logits", [logits, q], weight=unif(5))
    add("bcel-pos_weight", "binary_cross_entropy_with_logits", [logits, q], pos_weight=unif(5, lo=0.5, hi=3))
    add("bcel-both", "binary_cross_entropy_with_logits", [logits, q], weight=unif(4, 1), pos_weight=unif(5, hi=3))
    big = np.array([[1e4, -1e4, 1e4, -1e4, 0.0], [50.0, -50.0, 100.0, -100.0, 3.0]], np.float32)
    add("bcel-extreme", "binary_cross_entropy_with_logits", [big, np.array([[1, 1, 0, 0, 1], [0, 1, 0.5, 0.2, 1]],
                                                                           np.float32)], pos_weight=unif(5, hi=3))

    z = f32(6, 5, scale=2)
    for ls in (0.0, 0.1):
        add(f"ce-ls{ls}", "cross_entropy", [z, classes(5, 6)], label_smoothing=ls)
        add(f"ce-weight-ignore-ls{ls}", "cross_entropy", [z, classes(5, 6, ignore=-100)], weight=unif(5, lo=0.2),
            label_smoothing=ls)
        add(f"ce-ignore2-ls{ls}", "cross_entropy", [z, classes(5, 6, ignore=2)], ignore_index=2, label_smoothing=ls)
        add(f"ce-all-ignored-ls{ls}", "cross_entropy", [z, np.full(6, -100, np.int64)], weight=unif(5),
            label_smoothing=ls)
        add(f"ce-kdim-ls{ls}", "cross_entropy", [f32(3, 4, 2, 3), classes(4, 3, 2, 3, ignore=1)], ignore_index=1,
            weight=unif(4, lo=0.2), label_smoothing=ls)
        add(f"ce-probs-ls{ls}", "cross_entropy", [z, probs(6, 5)], label_smoothing=ls)
        add(f"ce-probs-weight-ls{ls}", "cross_entropy", [z, probs(6, 5)], weight=unif(5), label_smoothing=ls)
        add(f"ce-probs-kdim-ls{ls}", "cross_entropy", [f32(2, 3, 4), probs(2, 3, 4)], label_smoothing=ls)
        add(f"ce-1d-ls{ls}", "cross_entropy", [f32(5), np.array(3)], label_smoothing=ls)
        ext = np.array([[1e4, -1e4, 0, 3, -1e4], [-1e4, -1e4, -1e4, -1e4, 1e4], [1e4, 1e4, -1e4, 0, 0]], np.float32)
        add(f"ce-extreme-ls{ls}", "cross_entropy", [ext, np.array([1, 0, 2])], weight=unif(5, lo=0.2),
            label_smoothing=ls)
    add("ce-uint8-target", "cross_entropy", [z, classes(5, 6).astype(np.uint8)])
    empty = np.zeros((0, 5), np.float32)
    add("ce-empty-batch", "cross_entropy", [empty, np.zeros(0, np.int64)])
    add("bcel-empty-batch", "binary_cross_entropy_with_logits", [empty, empty])
    add("mse-empty-batch", "mse_loss", [empty, empty])
    add("bcel-0d", "binary_cross_entropy_with_logits", [np.array(0.3, np.float32), np.array(1.0, np.float32)])
    add("mse-0d", "mse_loss", [np.array(2.0, np.float32), np.array(0.5, np.float32)])
    add("bce-0d", "binary_cross_entropy", [np.array(0.3, np.float32), np.array(1.0, np.float32)])
    add("l1-0d", "l1_loss", [np.array(2.0, np.float32), np.array(0.5, np.float32)])
    # big enough for the row-parallel paths (ops/loss.py: row_blocks)
    add("ce-large", "cross_entropy", [f32(300, 500, scale=3), classes(500, 300, ignore=-100)], weight=unif(500),
        label_smoothing=0.1, reductions=("mean", "none"))
    add("ce-large-kdim", "cross_entropy", [f32(40, 30, 130), classes(30, 40, 130)], reductions=("sum",))
    add("bcel-large", "binary_cross_entropy_with_logits", [f32(600, 300, scale=4), unif(600, 300)],
        reductions=("mean", "sum"))
    add("nll", "nll_loss", [log_probs(6, 5), classes(5, 6)])
    add("nll-weight-ignore", "nll_loss", [log_probs(6, 5), classes(5, 6, ignore=-100)], weight=unif(5, lo=0.2))
    add("nll-all-ignored", "nll_loss", [log_probs(6, 5), np.full(6, 3, np.int64)], ignore_index=3)
    add("nll-kdim", "nll_loss", [log_probs(2, 4, 3, 2), classes(4, 2, 3, 2, ignore=0)], ignore_index=0,
        weight=unif(4, lo=0.2))
    add("nll-1d", "nll_loss", [log_probs(1, 5)[0], np.array(2)])

    lp = log_probs(4, 5)
    for lt in (False, True):
        tgt = log_probs(4, 5) if lt else probs(4, 5)
        add(f"kl-log_target{lt}", "kl_div", [lp, tgt], reductions=REDUCTIONS + ("batchmean",), log_target=lt)

    counts = R.poisson(3.0, (4, 5)).astype(np.float32)
    for full in (False, True):
        c_ = counts + full  # torch's target gradient of the Stirling term is nan at a zero count
        add(f"poisson-log-full{full}", "poisson_nll_loss", [f32(4, 5), c_], full=full)
        add(f"poisson-rate-full{full}", "poisson_nll_loss", [unif(4, 5, lo=0.1, hi=4), c_], log_input=False,
            full=full, eps=1e-6)
    for full in (False, True):
        add(f"gauss-full{full}", "gaussian_nll_loss", [x, y, unif(4, 5, lo=0.1, hi=2)], full=full)
    var_small = unif(4, 5, lo=0.1, hi=2)
    var_small[0, :2] = 1e-8  # below eps: clamped, gradient passes through (as torch)
    add("gauss-clamped", "gaussian_nll_loss", [x, y, var_small], eps=1e-3)
    add("gauss-homo", "gaussian_nll_loss", [x, y, unif(4, lo=0.1, hi=2)])
    add("gauss-homo-col", "gaussian_nll_loss", [x, y, unif(4, 1, lo=0.1, hi=2)])

    for margin in (0.0, 0.3):
        add(f"cosine-m{margin}", "cosine_embedding_loss", [f32(6, 4), f32(6, 4), signs(6, dtype=np.int64)],
            margin=margin)
        add(f"ranking-m{margin}", "margin_ranking_loss", [f32(6), f32(6), signs(6)], margin=margin)
    add("cosine-1d", "cosine_embedding_loss", [f32(4), f32(4), np.array(-1)], margin=-0.5)
    for margin in (1.0, 0.5):
        add(f"hinge-m{margin}", "hinge_embedding_loss", [f32(4, 5), signs(4, 5)], margin=margin)
    add("soft_margin", "soft_margin_loss", [f32(4, 5, scale=3), signs(4, 5)])
    add("multilabel_soft_margin", "multilabel_soft_margin_loss", [f32(4, 5, scale=3), (R.random((4, 5)) < .5)
                                                                   .astype(np.float32)])
    add("multilabel_soft_margin-weight", "multilabel_soft_margin_loss",
        [np.array([[1e4, -1e4, 2.0], [-3, 0, 1e4]], np.float32), np.array([[0, 1, 1], [1, 0, 1]], np.float32)],
        weight=unif(3))
    for p_ in (1, 2):
        for margin in (1.0, 0.5):
            add(f"multi_margin-p{p_}-m{margin}", "multi_margin_loss", [f32(6, 5), classes(5, 6)], p=p_, margin=margin)
        add(f"multi_margin-p{p_}-weight", "multi_margin_loss", [f32(6, 5), classes(5, 6)], p=p_, weight=unif(5))
    add("multi_margin-1d", "multi_margin_loss", [f32(5), np.array(1)])
    for p_ in (2, 1, 3):
        for swap in (False, True):
            add(f"triplet-p{p_}-swap{swap}", "triplet_margin_loss", [f32(5, 6), f32(5, 6), f32(5, 6)], p=p_, swap=swap,
                margin=0.7)
    add("triplet-1d", "triplet_margin_loss", [f32(6), f32(6), f32(6)])
    return c


def _to(framework, v, requires_grad=False):
    if isinstance(v, np.ndarray):
        if framework == "torch":
            t = torch.from_numpy(v.copy())
            return t.requires_grad_(requires_grad) if requires_grad else t
        return ember.tensor(v.copy(), requires_grad=requires_grad)
    return v


def _run(framework, fn, args, kw, grad_args):
    mod = TF if framework == "torch" else EF
    tensors = [_to(framework, a, i in grad_args) for i, a in enumerate(args)]
    kwargs = {k: _to(framework, v) for k, v in kw.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = getattr(mod, fn)(*tensors, **kwargs)
    return out, tensors


def _upstream(shape):
    return np.random.default_rng(7).uniform(0.5, 1.5, shape).astype(np.float32)


@pytest.mark.parametrize("fn,args,kw", _cases())
def test_loss_matches_torch(fn, args, kw):
    floats = [i for i, a in enumerate(args) if a.dtype.kind == "f"]
    try:  # the float arguments torch differentiates (some losses have no derivative w.r.t. the target)
        grad_args = floats
        t_out, t_in = _run("torch", fn, args, kw, grad_args)
        g = torch.from_numpy(_upstream(tuple(t_out.shape)))
        (t_out * g).sum().backward()
    except RuntimeError:
        grad_args = floats[:1]
        t_out, t_in = _run("torch", fn, args, kw, grad_args)
        g = torch.from_numpy(_upstream(tuple(t_out.shape)))
        (t_out * g).sum().backward()
    e_out, e_in = _run("ember", fn, args, kw, grad_args)
    assert_close(e_out, t_out, rtol=2e-5, msg="value")
    (e_out * ember.tensor(_upstream(tuple(e_out.shape)))).sum().backward()
    for i in grad_args:
        tg, eg = t_in[i].grad, e_in[i].grad
        if tg is None:
            assert eg is None or not np.any(to_numpy(eg)), f"grad of arg {i}: torch has none"
        else:
            assert eg is not None, f"no gradient for argument {i}"
            assert_close(eg, tg, rtol=2e-5, atol=1e-6, msg=f"grad of arg {i}")


# ---- the finite answers where a naive formula overflows ------------------------------------------------
def test_extreme_logits_stay_finite():
    x = ember.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4]], requires_grad=True)
    ce = EF.cross_entropy(x, ember.tensor([1, 1]), label_smoothing=0.2)
    ce.backward()
    assert np.isfinite(ce.item()) and np.isfinite(to_numpy(x.grad)).all()
    bl = EF.binary_cross_entropy_with_logits(ember.tensor([1e4, -1e4]), ember.tensor([0.0, 1.0]))
    assert bl.item() == pytest.approx(1e4)
    sm = EF.soft_margin_loss(ember.tensor([1e4, -1e4]), ember.tensor([-1.0, 1.0]), reduction="none")
    assert np.allclose(to_numpy(sm), [1e4, 1e4])  # documented difference: torch gives inf here


def test_all_targets_ignored_gives_nan_mean_and_zero_grad():
    x = ember.randn(4, 3, requires_grad=True)
    out = EF.cross_entropy(x, ember.tensor([-100] * 4), label_smoothing=0.1)
    out.backward()
    assert np.isnan(out.item()) and not np.any(to_numpy(x.grad))


def test_second_backward_with_retain_graph_matches_first():
    for fn, target in (("cross_entropy", ember.tensor([0, 2, 1])), ("mse_loss", ember.randn(3, 4)),
                       ("binary_cross_entropy_with_logits", ember.rand(3, 4))):
        x = ember.randn(3, 4, requires_grad=True)
        out = getattr(EF, fn)(x, target)
        out.backward(retain_graph=True)
        first = to_numpy(x.grad).copy()
        out.backward()
        np.testing.assert_allclose(to_numpy(x.grad), 2 * first, rtol=1e-6, err_msg=fn)


@pytest.mark.parametrize("fn,args", [
    ("cross_entropy", (f32(512, 300), classes(300, 512))),
    ("binary_cross_entropy_with_logits", (f32(700, 300), unif(700, 300))),
    ("mse_loss", (f32(700, 300), f32(700, 300))),
])
def test_row_parallel_path_equals_single_thread(fn, args):
    results = []
    before = ember.get_num_threads()
    for workers in (1, 4):
        ember.set_num_threads(workers)
        x = ember.tensor(args[0], requires_grad=True)
        out = getattr(EF, fn)(x, ember.tensor(args[1]))
        out.backward()
        results.append((out.item(), to_numpy(x.grad)))
    ember.set_num_threads(before)
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6, atol=1e-12)


def _numba_installed():
    """numba imports and EMBER_DISABLE_NUMBA does not turn it off."""
    if os.environ.get("EMBER_DISABLE_NUMBA", "").strip() not in ("", "0", "false", "False"):
        return False
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("x,y", [
    (f32(700, 300, scale=4), unif(700, 300)),  # row-parallel NumPy path (2+ blocks)
    (f32(2100, 500), unif(2100, 500)),  # row-parallel numba path (≥ FUSED_PARALLEL_MIN elements)
    (f32(300, 111, scale=1e3), unif(300, 111)),  # mostly saturated logits, lanes and tail of the kernel
    (np.array([[1e4, -1e4, 0.0, -0.0, 30.0], [-30.0, 88.0, -104.0, 1e-8, -1e-8]], np.float32),
     np.array([[0, 1, 0.5, 1, 0.2], [1, 0, 0, 1, 0.5]], np.float32)),  # extreme logits, ±0, tails
    (f32(7, 13).astype(np.float64), unif(7, 13).astype(np.float64)),
    (np.array(0.3, np.float32), np.array(1.0, np.float32)),  # 0-dim
    (f32(13, 7).T, unif(7, 13)),  # non-contiguous input: NumPy path either way
])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_bce_with_logits_numba_path_equals_numpy_path(x, y, reduction):
    """The optional numba kernels give the NumPy path's gradient bit for bit and its loss to float64 rounding,
    and both match torch."""
    from ember.autograd.ops import loss as L
    results = []
    before = ember.get_num_threads()
    try:
        for use_numba in (True, False):
            for workers in (1, 4):
                L._set_numba(use_numba)
                assert (L._bce_logits_kernels() is not None) == (use_numba and _numba_installed())
                ember.set_num_threads(workers)
                ex = ember.tensor(x, requires_grad=True)
                out = EF.binary_cross_entropy_with_logits(ex, ember.tensor(y), reduction=reduction)
                out.backward(ember.tensor(np.asarray(1.5, x.dtype)))
                results.append((out.item(), to_numpy(ex.grad)))
                with ember.no_grad():  # σ(x) is skipped when no gradient is recorded; the value stays
                    value = EF.binary_cross_entropy_with_logits(ex, ember.tensor(y), reduction=reduction).item()
                assert value == results[-1][0]
    finally:
        L._set_numba(True)
        ember.set_num_threads(before)
    tx = torch.tensor(x, requires_grad=True)
    t_out = TF.binary_cross_entropy_with_logits(tx, torch.tensor(y), reduction=reduction)
    t_out.backward(torch.tensor(1.5, dtype=tx.dtype))
    r = 1.5 / (x.size if reduction == "mean" else 1)  # σ(x) − y to float32 rounding of σ, times r
    for value, grad in results:
        assert value == pytest.approx(results[0][0], rel=1e-6, abs=1e-9)
        np.testing.assert_array_equal(grad, results[0][1])
        assert value == pytest.approx(t_out.item(), rel=1e-5)
        np.testing.assert_allclose(grad, tx.grad.numpy(), rtol=1e-5, atol=3e-7 * r)


def _numba_vs_numpy(run):
    """[run() with the numba kernels at 1 and 4 threads, then without them at 1 and 4 threads]."""
    from ember.autograd.ops import loss as L
    results = []
    before = ember.get_num_threads()
    try:
        for use_numba in (True, False):
            for workers in (1, 4):
                L._set_numba(use_numba)
                assert (L._load_kernels() is not None) == (use_numba and _numba_installed())
                ember.set_num_threads(workers)
                results.append(run())
    finally:
        L._set_numba(True)
        ember.set_num_threads(before)
    return results


@pytest.mark.parametrize("x,t", [
    (f32(300, 1000), classes(1000, 300)),  # several chunks of rows per block, 4 row blocks
    (f32(37, 5, scale=30), classes(5, 37)),  # one short chunk, large logits
    (np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0], [88.0, 89.0, -104.0]], np.float32), np.array([1, 1, 2])),
    (f32(9, 6).astype(np.float64), classes(6, 9)),
    (f32(6, 9).T, classes(6, 9)),  # non-contiguous logits: NumPy path either way
    (f32(40, 7), classes(7, 40, ignore=-100)),  # an ignored target: the general path either way
])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_numba_path_equals_numpy_path(x, t, reduction, monkeypatch):
    """The optional numba path of CrossEntropy (row max and shift, NumPy's exp, row sums, in-place gradient)
    matches the NumPy path to float rounding (the row sums add in another order) and torch; a second backward
    (retain_graph) recomputes the consumed buffer. Chunks of 7000 elements: several chunks per row block."""
    from ember.autograd.ops import loss as L
    monkeypatch.setattr(L, "CE_CHUNK", 7000)

    def run():
        ex = ember.tensor(x, requires_grad=True)
        out = EF.cross_entropy(ex, ember.tensor(t), reduction=reduction)
        out.backward(ember.tensor(np.asarray(1.5, x.dtype)), retain_graph=True)
        first = to_numpy(ex.grad).copy()
        out.backward(ember.tensor(np.asarray(1.5, x.dtype)))
        np.testing.assert_allclose(to_numpy(ex.grad), 2 * first, rtol=1e-6)
        return out.item(), first

    results = _numba_vs_numpy(run)
    tx = torch.tensor(x, requires_grad=True)
    t_out = TF.cross_entropy(tx, torch.tensor(t), reduction=reduction)
    t_out.backward(torch.tensor(1.5, dtype=tx.dtype))
    for value, grad in results:
        assert value == pytest.approx(results[0][0], rel=1e-6)
        np.testing.assert_allclose(grad, results[0][1], rtol=1e-6, atol=1e-12)
        assert value == pytest.approx(t_out.item(), rel=1e-5, abs=1e-6)
        np.testing.assert_allclose(grad, tx.grad.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("x,y", [
    (f32(1_050_000), f32(1_050_000)),  # two row blocks (≥ FUSED_PARALLEL_MIN elements)
    (f32(700, 300), f32(700, 300)),  # one thread; many 4096-term partial sums
    (f32(3, 4097, scale=1e3), f32(3, 4097)),  # a partial sum of one term at the tail
    (f32(9, 6).astype(np.float64), f32(9, 6).astype(np.float64)),
    (np.array(0.3, np.float32), np.array(1.0, np.float32)),  # 0-dim: NumPy path
    (f32(13, 7).T, f32(7, 13)),  # non-contiguous input: NumPy path either way
])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mse_numba_path_equals_numpy_path(x, y, reduction):
    """The optional numba path of MSE (Σ (x − y)² without storing x − y; the gradient (x − y)·2g/n in one pass)
    gives the NumPy path's gradients bit for bit and its loss to float rounding, and both match torch. With
    g = 1 the gradient comes from the forward's pass; with g = 1.5 the backward computes it; a second backward
    (retain_graph) recomputes it; under no_grad the forward gives the same value."""
    def run():
        res = []
        for g in (None, 1.5):
            ex, ey = ember.tensor(x, requires_grad=True), ember.tensor(y, requires_grad=True)
            out = EF.mse_loss(ex, ey, reduction=reduction)
            out.backward(None if g is None else ember.tensor(np.asarray(g, x.dtype)), retain_graph=True)
            res.append((out.item(), to_numpy(ex.grad).copy(), to_numpy(ey.grad).copy()))
            out.backward()
            np.testing.assert_array_equal(to_numpy(ex.grad), res[-1][1] + res[0][1] if g else 2 * res[-1][1])
        with ember.no_grad():
            assert EF.mse_loss(ember.tensor(x), ember.tensor(y), reduction=reduction).item() == res[-1][0]
        return res

    results = _numba_vs_numpy(run)
    for k, g in enumerate((1.0, 1.5)):
        tx, ty = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
        t_out = TF.mse_loss(tx, ty, reduction=reduction)
        t_out.backward(torch.tensor(g, dtype=tx.dtype))
        for res in results:
            value, gx, gy = res[k]
            assert value == pytest.approx(results[0][k][0], rel=1e-6)
            np.testing.assert_array_equal(gx, results[0][k][1])
            np.testing.assert_array_equal(gy, results[0][k][2])
            assert value == pytest.approx(t_out.item(), rel=1e-5)
            np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-5, atol=1e-12)
            np.testing.assert_allclose(gy, ty.grad.numpy(), rtol=1e-5, atol=1e-12)


def test_numpy_arrays_are_accepted():
    x, t = f32(4, 3), np.array([0, 2, 1, 1])
    assert_close(EF.cross_entropy(x, t), TF.cross_entropy(torch.from_numpy(x), torch.from_numpy(t)))
    assert_close(EF.mse_loss(x, x * 2), TF.mse_loss(torch.from_numpy(x), torch.from_numpy(x * 2)))


def test_legacy_size_average_and_reduce():
    x, y = f32(3, 4), f32(3, 4)
    for sa, rd in ((None, False), (False, None), (True, True), (False, True), (True, None)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e = EF.mse_loss(ember.tensor(x), ember.tensor(y), size_average=sa, reduce=rd)
            t = TF.mse_loss(torch.from_numpy(x), torch.from_numpy(y), size_average=sa, reduce=rd)
            assert enn.L1Loss(size_average=sa, reduce=rd).reduction == tnn.L1Loss(size_average=sa, reduce=rd).reduction
        assert_close(e, t)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        EF.l1_loss(ember.tensor(x), ember.tensor(y), reduce=False)


# ---- float64 gradcheck, one or more configurations per loss ---------------------------------------------
def _d(*shape, lo=None, hi=None):
    if lo is not None:
        a = R.uniform(lo, hi, shape)
    else:
        a = R.standard_normal(shape)
    return ember.tensor(a, dtype=ember.float64, requires_grad=True)


def _c(*shape):
    """A constant float64 weight (fixed across gradcheck's repeated calls)."""
    return ember.tensor(R.uniform(0.2, 1.0, shape), dtype=ember.float64)


HINGE_T = ember.tensor([[1.0, -1, -1, 1], [1, 1, -1, -1], [-1, 1, 1, -1]], dtype=ember.float64)


def _const(builder, *sizes):
    """A gradcheck case whose loss uses constant weights (one float64 vector per size, drawn once per case)."""
    return lambda: builder(*[_c(n) for n in sizes])


GRADCHECKS = [
    ("mse", lambda: ((_d(3, 4), _d(3, 4)), lambda a, b: EF.mse_loss(a, b))),
    ("l1", lambda: ((_d(3, 4), _d(3, 4)), lambda a, b: EF.l1_loss(a, b, reduction="sum"))),
    ("smooth_l1", lambda: ((_d(3, 4), _d(3, 4)), lambda a, b: EF.smooth_l1_loss(a, b, beta=0.7))),
    ("huber", lambda: ((_d(3, 4), _d(3, 4)), lambda a, b: EF.huber_loss(a, b, delta=0.6, reduction="none"))),
    ("bce", _const(lambda w: ((_d(3, 4, lo=0.1, hi=0.9), _d(3, 4, lo=0.1, hi=0.9)),
                              lambda a, b: EF.binary_cross_entropy(a, b, weight=w)), 4)),
    ("bcel", _const(lambda w, pw: ((_d(3, 4), _d(3, 4, lo=0, hi=1)),
                                   lambda a, b: EF.binary_cross_entropy_with_logits(a, b, weight=w, pos_weight=pw,
                                                                                    reduction="none")), 4, 4)),
    ("ce", _const(lambda w: ((_d(4, 5),), lambda a: EF.cross_entropy(a, ember.tensor([1, -100, 4, 0]), weight=w,
                                                                     label_smoothing=0.15)), 5)),
    ("ce-kdim", lambda: ((_d(2, 3, 2),), lambda a: EF.cross_entropy(a, ember.tensor([[0, 2], [1, 1]]),
                                                                     reduction="none", label_smoothing=0.1))),
    ("ce-probs", lambda: ((_d(3, 4), _d(3, 4, lo=0, hi=1)), lambda a, b: EF.cross_entropy(a, b, label_smoothing=0.2))),
    ("nll", _const(lambda w: ((_d(4, 5),), lambda a: EF.nll_loss(a, ember.tensor([1, 3, 4, 0]), weight=w)), 5)),
    ("kl", lambda: ((_d(3, 4), _d(3, 4, lo=0.1, hi=1)), lambda a, b: EF.kl_div(a, b, reduction="batchmean"))),
    ("kl-log", lambda: ((_d(3, 4), _d(3, 4)), lambda a, b: EF.kl_div(a, b, reduction="sum", log_target=True))),
    ("poisson", lambda: ((_d(3, 4), _d(3, 4, lo=0, hi=5)), lambda a, b: EF.poisson_nll_loss(a, b, full=True))),
    ("poisson-rate", lambda: ((_d(3, 4, lo=0.5, hi=2), _d(3, 4, lo=0, hi=3)),
                              lambda a, b: EF.poisson_nll_loss(a, b, log_input=False))),
    ("gauss", lambda: ((_d(3, 4), _d(3, 4), _d(3, 4, lo=0.2, hi=2)),
                       lambda a, b, v: EF.gaussian_nll_loss(a, b, v, full=True))),
    ("cosine", lambda: ((_d(4, 3), _d(4, 3)),
                        lambda a, b: EF.cosine_embedding_loss(a, b, ember.tensor([1, -1, 1, -1]), margin=-0.9))),
    ("ranking", lambda: ((_d(5), _d(5), _d(5)), lambda a, b, t: EF.margin_ranking_loss(a, b, t, margin=0.1))),
    ("hinge", lambda: ((_d(3, 4),), lambda a: EF.hinge_embedding_loss(a, HINGE_T, margin=0.5))),
    ("soft_margin", _const(lambda y: ((_d(3, 4),), lambda a: EF.soft_margin_loss(a, (y - 0.6).sign().expand(3, 4))), 4)),
    ("multilabel_soft_margin", _const(lambda w: ((_d(3, 4), _d(3, 4, lo=0, hi=1)),
                                                 lambda a, b: EF.multilabel_soft_margin_loss(a, b, weight=w)), 4)),
    ("multi_margin", _const(lambda w: ((_d(4, 5),), lambda a: EF.multi_margin_loss(a, ember.tensor([0, 4, 2, 2]),
                                                                                   p=2, weight=w)), 5)),
    ("triplet", lambda: ((_d(3, 4), _d(3, 4), _d(3, 4)), lambda a, p, n: EF.triplet_margin_loss(a, p, n, margin=5.0,
                                                                                                 p=3, swap=True))),
]


@pytest.mark.parametrize("name,make", GRADCHECKS, ids=[g[0] for g in GRADCHECKS])
def test_gradcheck_float64(name, make):
    inputs, fn = make()
    assert gradcheck(fn, inputs)


# ---- bad input: torch's exception type and message -------------------------------------------------------
def _both(fn, *args, **kw):
    """Call F.fn on ember and torch; return (ember exception, torch exception)."""
    out = []
    for mod, fw in ((EF, "ember"), (TF, "torch")):
        a = [_to(fw, v) for v in args]
        k = {n: _to(fw, v) for n, v in kw.items()}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                getattr(mod, fn)(*a, **k)
        except Exception as e:  # noqa: BLE001 - compared below
            out.append(e)
        else:
            out.append(None)
    return out


ERRORS = [
    ("mse_loss", (f32(3, 5), f32(3, 4)), {}),
    ("l1_loss", (f32(3, 5), f32(2, 5)), {}),
    ("smooth_l1_loss", (f32(3, 5), f32(3, 4)), {}),
    ("huber_loss", (f32(3, 5), f32(3, 4)), {}),
    ("binary_cross_entropy", (unif(3), unif(4)), {}),
    ("binary_cross_entropy", (unif(3), unif(3, 1)), {}),
    ("binary_cross_entropy_with_logits", (f32(3), unif(4)), {}),
    ("binary_cross_entropy", (unif(3) * 2 + 0.1, unif(3)), {}),
    ("binary_cross_entropy", (unif(3) - 1.5, unif(3)), {}),
    ("binary_cross_entropy", (unif(3), unif(3) + 1.1), {}),
    ("cross_entropy", (f32(3, 5), np.array([1, 2])), {}),
    ("cross_entropy", (f32(3, 5, 2), np.array([1, 2, 3])), {}),
    ("cross_entropy", (f32(3, 5), np.array([1, 2, 7])), {}),
    ("cross_entropy", (f32(3, 5), np.array([1, -1, 2])), {}),
    ("cross_entropy", (f32(3, 5, 2), np.array([[1, 2], [3, 9], [0, 0]])), {}),
    ("cross_entropy", (f32(3, 5), np.array([1.0, 2.0, 3.0], np.float32)), {}),
    ("cross_entropy", (f32(3, 5), np.array([1, 2, 3], np.int32)), {}),
    ("cross_entropy", (f32(3, 5), np.ones((3, 5), np.int64)), {}),
    ("cross_entropy", (f32(3, 5), np.array([1, 2, 3])), {"label_smoothing": 1.5}),
    ("cross_entropy", (f32(3, 5), np.array([1, 2, 3])), {"weight": unif(4)}),
    ("cross_entropy", (f32(3, 5), probs(3, 5)), {"weight": unif(4)}),
    ("cross_entropy", (f32(3, 5), probs(3, 5)), {"ignore_index": 1}),
    ("nll_loss", (f32(3, 5), np.array([1, 2, 5])), {}),
    ("nll_loss", (f32(3, 5), np.array([1, 2])), {}),
    ("nll_loss", (f32(3, 5), probs(3, 5)), {}),
    ("nll_loss", (f32(3, 5), np.array([1, 2, 3], np.int32)), {}),
    ("multi_margin_loss", (f32(3, 5), np.array([1, 2, 7])), {}),
    ("multi_margin_loss", (f32(3, 5), np.array([1, 2])), {}),
    ("multi_margin_loss", (f32(3, 5), np.array([1, 2, 3])), {"weight": unif(4)}),
    ("multi_margin_loss", (f32(3, 5), np.array([1, 2, 3])), {"p": 3}),
    ("triplet_margin_loss", (f32(3, 4), f32(3, 4), f32(3)), {}),
    ("triplet_margin_loss", (f32(3, 4), f32(3, 4), f32(3, 4)), {"margin": 0.0}),
    ("gaussian_nll_loss", (f32(3, 4), f32(3, 4), unif(3, 2)), {}),
    ("gaussian_nll_loss", (f32(3, 4), f32(3, 4), -unif(3, 4)), {}),
    ("smooth_l1_loss", (f32(3), f32(3)), {"beta": -1.0}),
    ("huber_loss", (f32(3), f32(3)), {"delta": 0.0}),
    ("margin_ranking_loss", (f32(3), f32(3), f32(3, 1)), {}),
    ("cosine_embedding_loss", (f32(5), f32(5), np.array([1])), {}),
    ("cosine_embedding_loss", (f32(3, 5), f32(3, 5), np.array([1, -1])), {}),
]


@pytest.mark.parametrize("fn,args,kw", ERRORS, ids=[f"{e[0]}-{i}" for i, e in enumerate(ERRORS)])
def test_bad_input_raises_like_torch(fn, args, kw):
    e_err, t_err = _both(fn, *args, **kw)
    assert t_err is not None, "the case should fail in torch"
    assert type(e_err) is type(t_err), f"ember raised {e_err!r}, torch {t_err!r}"
    assert str(e_err) == str(t_err).replace("torch.", "ember."), f"{e_err} != {t_err}"


def test_bce_weight_requires_grad_raises_like_torch():
    w = unif(3)
    e_err, t_err = [], []
    for mod, fw, out in ((EF, "ember", e_err), (TF, "torch", t_err)):
        try:
            mod.binary_cross_entropy_with_logits(_to(fw, f32(3)), _to(fw, unif(3)), weight=_to(fw, w, True))
        except RuntimeError as err:
            out.append(str(err))
    assert e_err and e_err == t_err


LOSS_CALLS = [
    ("l1_loss", (f32(3), f32(3))), ("mse_loss", (f32(3), f32(3))), ("smooth_l1_loss", (f32(3), f32(3))),
    ("huber_loss", (f32(3), f32(3))), ("kl_div", (f32(3), unif(3))), ("poisson_nll_loss", (f32(3), unif(3))),
    ("gaussian_nll_loss", (f32(3), f32(3), unif(3))), ("binary_cross_entropy", (unif(3), unif(3))),
    ("binary_cross_entropy_with_logits", (f32(3), unif(3))), ("cross_entropy", (f32(3, 4), np.array([0, 1, 2]))),
    ("nll_loss", (f32(3, 4), np.array([0, 1, 2]))), ("hinge_embedding_loss", (f32(3), signs(3))),
    ("soft_margin_loss", (f32(3), signs(3))), ("multilabel_soft_margin_loss", (f32(3, 4), unif(3, 4))),
    ("multi_margin_loss", (f32(3, 4), np.array([0, 1, 2]))),
    ("cosine_embedding_loss", (f32(3, 4), f32(3, 4), signs(3))),
    ("margin_ranking_loss", (f32(3), f32(3), signs(3))), ("triplet_margin_loss", (f32(3, 4), f32(3, 4), f32(3, 4))),
]


@pytest.mark.parametrize("fn,args", LOSS_CALLS, ids=[c[0] for c in LOSS_CALLS])
def test_unknown_reduction_is_value_error(fn, args):
    e_err, t_err = _both(fn, *args, reduction="avg")
    assert isinstance(t_err, ValueError) and isinstance(e_err, ValueError)
    assert str(e_err) == "avg is not a valid value for reduction"


# ---- modules: store the options, call the functional form; torch's constructor semantics --------------------
MODULES = [
    ("L1Loss", {}, (f32(3, 4), f32(3, 4))),
    ("MSELoss", {"reduction": "sum"}, (f32(3, 4), f32(3, 4))),
    ("CrossEntropyLoss", {"weight": unif(4), "ignore_index": 1, "label_smoothing": 0.1},
     (f32(5, 4), classes(4, 5, ignore=1))),
    ("NLLLoss", {"weight": unif(4), "reduction": "none"}, (log_probs(5, 4), classes(4, 5))),
    ("BCELoss", {"weight": unif(4)}, (unif(3, 4, lo=0.1, hi=0.9), unif(3, 4))),
    ("BCEWithLogitsLoss", {"weight": unif(4), "pos_weight": unif(4)}, (f32(3, 4), unif(3, 4))),
    ("SmoothL1Loss", {"beta": 0.5}, (f32(3, 4), f32(3, 4))),
    ("HuberLoss", {"delta": 0.5}, (f32(3, 4), f32(3, 4))),
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True}, (log_probs(3, 4), log_probs(3, 4))),
    ("PoissonNLLLoss", {"log_input": False, "full": True}, (unif(3, 4, lo=0.1), unif(3, 4, hi=5))),
    ("GaussianNLLLoss", {"full": True}, (f32(3, 4), f32(3, 4), unif(3, 4, lo=0.1))),
    ("HingeEmbeddingLoss", {"margin": 0.5}, (f32(3, 4), signs(3, 4))),
    ("SoftMarginLoss", {}, (f32(3, 4), signs(3, 4))),
    ("MultiLabelSoftMarginLoss", {"weight": unif(4)}, (f32(3, 4), unif(3, 4))),
    ("CosineEmbeddingLoss", {"margin": 0.2}, (f32(3, 4), f32(3, 4), signs(3))),
    ("MarginRankingLoss", {"margin": 0.2}, (f32(3), f32(3), signs(3))),
    ("MultiMarginLoss", {"p": 2, "weight": unif(4)}, (f32(3, 4), classes(4, 3))),
    ("TripletMarginLoss", {"margin": 0.5, "p": 1, "swap": True}, (f32(3, 4), f32(3, 4), f32(3, 4))),
]


@pytest.mark.parametrize("name,kw,args", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_torch(name, kw, args):
    e_mod = getattr(enn, name)(**{k: _to("ember", v) for k, v in kw.items()})
    t_mod = getattr(tnn, name)(**{k: _to("torch", v) for k, v in kw.items()})
    assert e_mod.reduction == t_mod.reduction
    assert sorted(e_mod.state_dict()) == sorted(t_mod.state_dict())
    assert_close(e_mod(*[_to("ember", a) for a in args]), t_mod(*[_to("torch", a) for a in args]))


def test_module_constructor_errors_like_torch():
    for name, kw in (("MultiMarginLoss", {"p": 3}), ("TripletMarginLoss", {"margin": 0.0})):
        with pytest.raises(ValueError) as e_info:
            getattr(enn, name)(**kw)
        with pytest.raises(ValueError) as t_info:
            getattr(tnn, name)(**kw)
        assert str(e_info.value) == str(t_info.value)


def test_soft_margin_loss_stays_finite_where_torchs_overflows():
    """The deliberate difference in soft_margin_loss's docstring: softplus(−y·x) where torch's log(1 + exp(−y·x))
    overflows to inf in float32; elsewhere the two agree."""
    x = np.array([-3.0, 0.5, 1.0], np.float32)
    y = np.array([255.0, 1.0, -1.0], np.float32)  # −y·x = 765 for the first element
    per = EF.soft_margin_loss(ember.tensor(x), ember.tensor(y), reduction="none").numpy()
    t = torch.nn.functional.soft_margin_loss(torch.tensor(x), torch.tensor(y), reduction="none").numpy()
    assert np.isinf(t[0]) and np.isclose(per[0], 765.0)
    np.testing.assert_allclose(per[1:], t[1:], rtol=1e-6)
