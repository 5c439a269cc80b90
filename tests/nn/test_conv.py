"""Convolutions vs torch: values and gradients over a grid of geometries, gradcheck, modules, errors."""
from __future__ import annotations

import math

import numpy as np
import pytest
from _oracle import assert_close, torch

import ember
import ember.nn.functional as F
from ember import nn

TF = torch.nn.functional


def _assert_parity(fe, ft, shapes, rng, *, args=(), kwargs=None, rtol=1e-4, atol=1e-5, grads=None):
    """Run ember and torch on the same float32 inputs; compare outputs and all input gradients.

    atol is relative to the largest magnitude of the expected array (sums of many float32 terms).
    """
    kwargs = kwargs or {}
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = grads or [True] * len(arrays)
    e_in = [ember.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
    t_in = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
    out_e, out_t = fe(*e_in, *args, **kwargs), ft(*t_in, *args, **kwargs)
    assert_close(out_e, out_t, rtol=rtol, atol=_scaled(atol, out_t), msg="forward")
    g = rng.standard_normal(tuple(out_t.shape)).astype(np.float32)
    out_e.backward(ember.tensor(g))
    out_t.backward(torch.tensor(g))
    for k, (a, b) in enumerate(zip(e_in, t_in)):
        if b.requires_grad:
            assert_close(a.grad, b.grad, rtol=rtol, atol=_scaled(atol, b.grad), msg=f"grad of input {k}")
    return out_e, out_t


def _scaled(atol, t):
    return atol * max(1.0, float(t.detach().abs().max())) if t.numel() else atol


# (N, C_in, H, W), C_out, kernel, stride, padding, dilation, groups, bias
CONV2D_GRID = [
    ((2, 3, 8, 8), 4, 3, 1, 0, 1, 1, True),
    ((2, 3, 7, 9), 5, (3, 2), (2, 1), (1, 2), 1, 1, True),
    ((1, 4, 11, 6), 6, 3, 2, 1, 2, 2, False),
    ((3, 6, 9, 9), 6, (2, 3), (1, 3), (0, 1), (2, 1), 3, True),
    ((2, 4, 5, 5), 8, 1, 1, 0, 1, 4, True),  # depthwise-multiplier, 1x1
    ((2, 2, 13, 7), 4, 5, 3, 2, 1, 1, True),
    ((1, 3, 6, 6), 2, 3, 1, "same", 1, 1, True),
    ((1, 3, 6, 7), 2, (4, 2), 1, "same", (1, 2), 1, True),  # even kernel: asymmetric padding
    ((2, 3, 6, 6), 2, 3, 2, "valid", 1, 1, False),
    ((1, 1, 28, 28), 16, 3, 1, 0, 1, 1, True),
]


@pytest.mark.parametrize("shape,cout,k,s,p,d,g,bias", CONV2D_GRID)
def test_conv2d_values_and_gradients_match_torch(shape, cout, k, s, p, d, g, bias, rng, conv_path):
    kh, kw = (k, k) if isinstance(k, int) else k
    shapes = [shape, (cout, shape[1] // g, kh, kw)] + ([(cout,)] if bias else [])

    def run(F_):
        return lambda x, w, b=None: F_.conv2d(x, w, b, stride=s, padding=p, dilation=d, groups=g)

    _assert_parity(run(F), run(TF), shapes, rng)


CONV1D_GRID = [
    ((2, 3, 10), 4, 3, 1, 0, 1, 1),
    ((2, 4, 11), 6, 4, 2, 2, 2, 2),
    ((1, 6, 7), 3, 2, 3, 1, 1, 3),
    ((2, 3, 9), 5, 4, 1, "same", 2, 1),
]


@pytest.mark.parametrize("shape,cout,k,s,p,d,g", CONV1D_GRID)
def test_conv1d_values_and_gradients_match_torch(shape, cout, k, s, p, d, g, rng, conv_path):
    shapes = [shape, (cout, shape[1] // g, k), (cout,)]

    def run(F_):
        return lambda x, w, b: F_.conv1d(x, w, b, stride=s, padding=p, dilation=d, groups=g)

    _assert_parity(run(F), run(TF), shapes, rng)


# (N, C_in, H, W), C_out, kernel, stride, padding, output_padding, dilation, groups
CONVT_GRID = [
    ((2, 3, 5, 5), 4, 3, 1, 0, 0, 1, 1),
    ((2, 4, 5, 6), 6, (3, 2), (2, 3), (1, 1), (1, 2), (1, 2), 2),
    ((1, 2, 4, 4), 3, 4, 2, 1, 0, 1, 1),
    ((2, 6, 3, 7), 3, 3, 3, 2, 1, 2, 3),
]


@pytest.mark.parametrize("shape,cout,k,s,p,op,d,g", CONVT_GRID)
def test_conv_transpose2d_values_and_gradients_match_torch(shape, cout, k, s, p, op, d, g, rng, conv_path):
    kh, kw = (k, k) if isinstance(k, int) else k
    shapes = [shape, (shape[1], cout // g, kh, kw), (cout,)]

    def run(F_):
        return lambda x, w, b: F_.conv_transpose2d(x, w, b, stride=s, padding=p, output_padding=op, groups=g,
                                                   dilation=d)

    _assert_parity(run(F), run(TF), shapes, rng)


def test_conv_transpose1d_matches_torch(rng, conv_path):
    def run(F_):
        return lambda x, w, b: F_.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1, dilation=2)

    _assert_parity(run(F), run(TF), [(2, 3, 6), (3, 4, 3), (4,)], rng)


def test_unbatched_input_matches_torch(rng):
    _assert_parity(F.conv2d, TF.conv2d, [(3, 6, 6), (2, 3, 3, 3)], rng)
    _assert_parity(F.conv1d, TF.conv1d, [(3, 6), (2, 3, 3)], rng)


def test_conv2d_on_channel_major_and_strided_inputs(rng, conv_path):
    """Inputs that are views (transposed, sliced) give the same numbers as contiguous ones."""
    a = rng.standard_normal((4, 2, 9, 9)).astype(np.float32)
    w = rng.standard_normal((3, 4, 3, 3)).astype(np.float32)
    xe = ember.tensor(a).permute(1, 0, 2, 3)[:, :, 1:, ::2]
    xt = torch.tensor(a).permute(1, 0, 2, 3)[:, :, 1:, ::2]
    assert_close(F.conv2d(xe, ember.tensor(w), padding=1), TF.conv2d(xt, torch.tensor(w), padding=1), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fn,shapes,kw", [
    (F.conv2d, [(2, 4, 5, 6), (4, 2, 3, 2), (4,)], dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)),
    (F.conv1d, [(2, 2, 7), (3, 2, 3), (3,)], dict(stride=2, padding=2, dilation=2)),
    (F.conv_transpose2d, [(2, 4, 3, 4), (4, 1, 3, 2), (2,)],
     dict(stride=2, padding=1, output_padding=1, groups=2)),
])
def test_gradcheck_float64(fn, shapes, kw, rng, conv_path):
    inputs = [ember.tensor(rng.standard_normal(s), dtype=ember.float64, requires_grad=True) for s in shapes]
    assert ember.autograd.gradcheck(lambda *a: fn(*a, **kw), inputs)


def test_conv2d_float64_matches_torch_tightly(rng, conv_path):
    x, w = rng.standard_normal((2, 3, 7, 7)), rng.standard_normal((4, 3, 3, 3))
    out = F.conv2d(ember.tensor(x), ember.tensor(w), stride=2, padding=1)
    assert out.dtype == ember.float64
    assert_close(out, TF.conv2d(torch.tensor(x), torch.tensor(w), stride=2, padding=1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("need", [(True, True, True), (True, False, True), (False, True, False), (False, False, True)])
@pytest.mark.parametrize("nd", [1, 2])
def test_conv_bias_in_the_matmul_matches_torch(nd, need, dtype, rng, conv_path):
    """groups=1 with a bias: the bias rides in the matmul ([W | b]·[cols; 1]); every subset of required
    gradients (x, W, b) gives torch's values, in float32 and float64."""
    shapes = [(3, 4, 9, 8), (5, 4, 3, 3), (5,)] if nd == 2 else [(3, 4, 11), (5, 4, 3), (5,)]
    fe, ft = (F.conv2d, TF.conv2d) if nd == 2 else (F.conv1d, TF.conv1d)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    e_in = [ember.tensor(a, requires_grad=r) for a, r in zip(arrays, need)]
    t_in = [torch.tensor(a, requires_grad=r) for a, r in zip(arrays, need)]
    oe, ot = fe(*e_in, stride=2, padding=1), ft(*t_in, stride=2, padding=1)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    assert_close(oe, ot, **tol)
    if not any(need):
        return
    g = rng.standard_normal(tuple(ot.shape)).astype(dtype)
    oe.backward(ember.tensor(g))
    ot.backward(torch.tensor(g))
    for a, b in zip(e_in, t_in):
        if b.requires_grad:
            assert_close(a.grad, b.grad, **tol)
        else:
            assert a.grad is None


@pytest.mark.parametrize("fn,shapes,kw", [
    (F.conv2d, [(2, 3, 6, 5), (4, 3, 3, 3), (4,)], dict(stride=1, padding=1)),
    (F.conv2d, [(2, 2, 7, 7), (3, 2, 5, 5), (3,)], dict(stride=2, padding=2)),
    (F.conv1d, [(2, 1, 12), (3, 1, 5), (3,)], dict(stride=2, padding=1)),
])
def test_gradcheck_float64_groups_one_with_bias(fn, shapes, kw, rng, conv_path):
    inputs = [ember.tensor(rng.standard_normal(s), dtype=ember.float64, requires_grad=True) for s in shapes]
    assert ember.autograd.gradcheck(lambda *a: fn(*a, **kw), inputs)


# 3x3 stride-1 convolutions with enough channels take the Winograd F(2x2, 3x3) path when numba is there
# (autograd/ops/conv.py); the tests lower the channel threshold so that small shapes take it too.
WINOGRAD_GRID = [  # (N, C_in, H, W), C_out, padding, bias
    ((2, 3, 8, 8), 4, 1, True),     # even output
    ((3, 2, 7, 9), 5, 1, False),    # odd output: a last tile half outside
    ((1, 4, 5, 6), 3, 0, True),
    ((2, 3, 6, 5), 2, 2, True),
    ((2, 3, 6, 7), 4, "same", False),
    ((1, 2, 3, 3), 3, 0, True),     # one output pixel
]


@pytest.fixture
def winograd_everywhere(monkeypatch):
    from ember.autograd.ops import conv as C

    monkeypatch.setattr(C, "WINOGRAD_MIN_CHANNELS", 1)


def _winograd_taken(conv_path):
    x, w = ember.randn(1, 2, 4, 4, requires_grad=True), ember.randn(2, 2, 3, 3)
    return F.conv2d(x, w).grad_fn.wino is not None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,cout,p,bias", WINOGRAD_GRID)
def test_conv2d_winograd_path_matches_torch(shape, cout, p, bias, dtype, rng, conv_path, winograd_everywhere):
    assert _winograd_taken(conv_path) == (conv_path == "numba")
    shapes = [shape, (cout, shape[1], 3, 3)] + ([(cout,)] if bias else [])
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    e_in = [ember.tensor(a, requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    oe, ot = F.conv2d(*e_in, padding=p), TF.conv2d(*t_in, padding=p)
    tol = dict(rtol=1e-4, atol=_scaled(1e-5, ot)) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    assert_close(oe, ot, **tol)
    g = rng.standard_normal(tuple(ot.shape)).astype(dtype)
    oe.backward(ember.tensor(g))
    ot.backward(torch.tensor(g))
    for k, (a, b) in enumerate(zip(e_in, t_in)):
        tol = dict(rtol=1e-4, atol=_scaled(1e-5, b.grad)) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
        assert_close(a.grad, b.grad, msg=f"grad of input {k}", **tol)


def test_conv2d_winograd_on_channel_major_and_strided_inputs(rng, conv_path, winograd_everywhere):
    a = rng.standard_normal((4, 3, 9, 9)).astype(np.float32)
    w = rng.standard_normal((5, 4, 3, 3)).astype(np.float32)
    xe = ember.tensor(a, requires_grad=True)
    xt = torch.tensor(a, requires_grad=True)
    we, wt = ember.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    oe = F.conv2d(F.conv2d(xe.permute(1, 0, 2, 3)[:, :, 1:, ::2], we, padding=1).relu(), we[:, :, :, :].permute(1, 0, 2, 3)[:4, :5])
    ot = TF.conv2d(TF.conv2d(xt.permute(1, 0, 2, 3)[:, :, 1:, ::2], wt, padding=1).relu(), wt.permute(1, 0, 2, 3)[:4, :5])
    assert_close(oe, ot, rtol=1e-4, atol=_scaled(1e-5, ot))
    oe.sum().backward()
    ot.sum().backward()
    assert_close(xe.grad, xt.grad, rtol=1e-4, atol=_scaled(1e-5, xt.grad))
    assert_close(we.grad, wt.grad, rtol=1e-4, atol=_scaled(1e-5, wt.grad))


@pytest.mark.parametrize("shapes,p", [([(2, 2, 5, 4), (3, 2, 3, 3), (3,)], 1), ([(1, 3, 4, 5), (2, 3, 3, 3)], 0)])
def test_gradcheck_float64_winograd(shapes, p, rng, conv_path, winograd_everywhere):
    inputs = [ember.tensor(rng.standard_normal(s), dtype=ember.float64, requires_grad=True) for s in shapes]
    assert ember.autograd.gradcheck(lambda *a: F.conv2d(*a, padding=p), inputs)


def test_winograd_conv_second_derivative_passes_gradcheck(rng, conv_path, winograd_everywhere):
    w = ember.tensor(rng.standard_normal((2, 2, 3, 3)), requires_grad=True)

    def first_derivative(x):
        y = F.conv2d(x, w, padding=1).sigmoid()
        return ember.autograd.grad((y * y).sum(), x, create_graph=True)[0]

    x = ember.tensor(rng.standard_normal((1, 2, 4, 5)), requires_grad=True)
    assert ember.autograd.gradcheck(first_derivative, [x])


def test_winograd_threshold_shape_matches_torch(rng, conv_path):
    """The residual-block shape at the real threshold (64 channels), a small batch."""
    from ember.autograd.ops import conv as C

    assert C.WINOGRAD_MIN_CHANNELS <= 64
    _assert_parity(lambda x, w: F.conv2d(x, w, padding=1), lambda x, w: TF.conv2d(x, w, padding=1),
                   [(2, 64, 8, 8), (64, 64, 3, 3)], rng)


# ---- modules -----------------------------------------------------------------------------------
def _copy(e_mod, t_mod):
    e_mod.load_state_dict({k: v.detach().numpy().copy() for k, v in t_mod.state_dict().items()})


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv2d_module_padding_modes_match_torch(mode, rng):
    t = torch.nn.Conv2d(3, 4, (3, 2), padding=(2, 1), padding_mode=mode)
    e = nn.Conv2d(3, 4, (3, 2), padding=(2, 1), padding_mode=mode)
    _copy(e, t)
    x = rng.standard_normal((2, 3, 6, 5)).astype(np.float32)
    _assert_parity(lambda a: e(a), lambda a: t(a), [x.shape], np.random.default_rng(1))
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    e(xe).sum().backward()
    t(xt).sum().backward()
    assert_close(xe.grad, xt.grad, rtol=1e-4, atol=1e-5)
    assert_close(e.weight.grad, t.weight.grad, rtol=1e-4, atol=1e-4)
    assert_close(e.bias.grad, t.bias.grad, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode", ["reflect", "circular"])
def test_conv1d_module_same_padding_with_padding_mode(mode, rng):
    t = torch.nn.Conv1d(2, 3, 4, padding="same", padding_mode=mode, dilation=2)
    e = nn.Conv1d(2, 3, 4, padding="same", padding_mode=mode, dilation=2)
    _copy(e, t)
    x = rng.standard_normal((2, 2, 9)).astype(np.float32)
    assert_close(e(ember.tensor(x)), t(torch.tensor(x)), rtol=1e-4, atol=1e-5)


def test_conv_modules_have_torch_parameters_and_init():
    for e, t in [
        (nn.Conv2d(6, 8, 3, groups=2), torch.nn.Conv2d(6, 8, 3, groups=2)),
        (nn.Conv1d(4, 2, 5, bias=False), torch.nn.Conv1d(4, 2, 5, bias=False)),
        (nn.ConvTranspose2d(4, 6, (2, 3), groups=2), torch.nn.ConvTranspose2d(4, 6, (2, 3), groups=2)),
        (nn.ConvTranspose1d(3, 5, 3, stride=2), torch.nn.ConvTranspose1d(3, 5, 3, stride=2)),
    ]:
        es, ts = e.state_dict(), t.state_dict()
        assert list(es) == list(ts)
        for k in es:
            assert tuple(es[k].shape) == tuple(ts[k].shape)
        fan_in = torch.nn.init._calculate_fan_in_and_fan_out(t.weight)[0]
        bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=√5) gives ±1/√fan_in
        assert np.abs(es["weight"].numpy()).max() <= bound + 1e-7
        assert np.abs(es["weight"].numpy()).max() > 0.5 * bound
        if "bias" in es:
            assert np.abs(es["bias"].numpy()).max() <= bound + 1e-7
        assert repr(e).replace("ember", "torch") == repr(t)


def test_conv_transpose2d_output_size_matches_torch(rng):
    t = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    e = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    _copy(e, t)
    x = rng.standard_normal((1, 3, 4, 5)).astype(np.float32)
    for size in [(7, 9), (8, 10), [1, 2, 8, 9]]:
        assert_close(e(ember.tensor(x), output_size=size), t(torch.tensor(x), output_size=size), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="requested an output size of"):
        e(ember.tensor(x), output_size=(9, 9))


# ---- errors --------------------------------------------------------------------------------------
def _assert_same_error(fe, ft):
    with pytest.raises(Exception) as te:
        ft()
    with pytest.raises(type(te.value)) as ee:
        fe()
    assert str(ee.value) == str(te.value)


@pytest.mark.parametrize("shape", [(2, 3, 5), (3, 5), (2, 5, 8, 8), (5, 8, 8), (2, 3, 2, 8), (1, 2, 3, 4, 5)])
def test_conv2d_bad_input_raises_torch_error(shape):
    t, e = torch.nn.Conv2d(3, 4, 3), nn.Conv2d(3, 4, 3)
    x = np.zeros(shape, np.float32)
    _assert_same_error(lambda: e(ember.tensor(x)), lambda: t(torch.tensor(x)))


@pytest.mark.parametrize("shape", [(2, 3, 2), (2, 3, 2, 2), (2, 4, 5), (4,)])
def test_conv1d_bad_input_raises_torch_error(shape):
    t, e = torch.nn.Conv1d(3, 4, 3), nn.Conv1d(3, 4, 3)
    x = np.zeros(shape, np.float32)
    _assert_same_error(lambda: e(ember.tensor(x)), lambda: t(torch.tensor(x)))


def test_kernel_larger_than_padded_input_raises_torch_error():
    x = np.zeros((2, 3, 2, 8), np.float32)
    _assert_same_error(lambda: nn.Conv2d(3, 4, 5, padding=1)(ember.tensor(x)),
                lambda: torch.nn.Conv2d(3, 4, 5, padding=1)(torch.tensor(x)))
    _assert_same_error(lambda: nn.Conv2d(3, 4, 3, dilation=2)(ember.tensor(x)),
                lambda: torch.nn.Conv2d(3, 4, 3, dilation=2)(torch.tensor(x)))


@pytest.mark.parametrize("kwargs", [
    dict(padding=-1), dict(stride=0), dict(groups=2), dict(bias_shape=(3,)),
])
def test_functional_conv2d_argument_errors_match_torch(kwargs):
    x, w = np.zeros((1, 4, 5, 5), np.float32), np.zeros((4, 4, 3, 3), np.float32)
    bias = np.zeros(kwargs.pop("bias_shape", (4,)), np.float32)
    _assert_same_error(lambda: F.conv2d(ember.tensor(x), ember.tensor(w), ember.tensor(bias), **kwargs),
                lambda: TF.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(bias), **kwargs))


@pytest.mark.parametrize("args", [
    dict(in_channels=3, out_channels=4, kernel_size=3, groups=2),
    dict(in_channels=4, out_channels=3, kernel_size=3, groups=2),
    dict(in_channels=4, out_channels=4, kernel_size=3, stride=2, padding="same"),
    dict(in_channels=4, out_channels=4, kernel_size=3, padding="foo"),
    dict(in_channels=4, out_channels=4, kernel_size=3, padding_mode="foo"),
])
def test_conv2d_constructor_errors_match_torch(args):
    with pytest.raises(ValueError) as te:
        torch.nn.Conv2d(**args)
    with pytest.raises(ValueError) as ee:
        nn.Conv2d(**args)
    want, got = str(te.value), str(ee.value)
    if "{" in want:  # torch prints a Python set, whose order varies between processes
        want, got = want.split("{")[0] + str(sorted(want[want.index("{"):])), got.split("{")[0] + str(sorted(got[got.index("{"):]))
    assert got == want


def test_conv_transpose_errors_match_torch():
    x = np.zeros((2, 4, 5, 5), np.float32)
    _assert_same_error(lambda: nn.ConvTranspose2d(3, 4, 3)(ember.tensor(x)), lambda: torch.nn.ConvTranspose2d(3, 4, 3)(torch.tensor(x)))
    x = np.zeros((2, 3, 5, 5), np.float32)
    _assert_same_error(lambda: nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=2)(ember.tensor(x)),
                lambda: torch.nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=2)(torch.tensor(x)))


# ---- F.pad --------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,pad,mode", [
    ((2, 3, 4), (1, 2), "constant"),
    ((2, 3, 4, 5), (1, 0, 2, 3), "constant"),
    ((2, 3, 4, 5), (-1, 2, 0, -2), "constant"),
    ((2, 3, 4, 5), (1, 2, 3, 1), "reflect"),
    ((2, 3, 4, 5), (1, 2, 3, 1), "replicate"),
    ((2, 3, 4, 5), (1, 2, 3, 1), "circular"),
    ((2, 3, 6), (2, 1), "reflect"),
])
def test_pad_matches_torch(shape, pad, mode, rng):
    _assert_parity(lambda x: F.pad(x, pad, mode), lambda x: TF.pad(x, pad, mode), [shape], rng)


def test_pad_constant_value_and_errors():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert_close(F.pad(ember.tensor(x), (1, 1), value=-2.5), TF.pad(torch.tensor(x), (1, 1), value=-2.5))
    for pad, mode in [((1, 2, 3), "constant"), ((1, 1, 1, 1, 1, 1), "constant"), ((3, 3), "reflect"), ((1, 1), "foo")]:
        _assert_same_error(lambda: F.pad(ember.tensor(x), pad, mode), lambda: TF.pad(torch.tensor(x), pad, mode))


def test_empty_batch_and_dtype_mismatch_like_torch():
    for fn in ("conv2d", "conv_transpose2d"):
        xe, xt = ember.zeros(0, 2, 4, 4, requires_grad=True), torch.zeros(0, 2, 4, 4, requires_grad=True)
        oe, ot = getattr(F, fn)(xe, ember.ones(2, 2, 3, 3)), getattr(TF, fn)(xt, torch.ones(2, 2, 3, 3))
        assert tuple(oe.shape) == tuple(ot.shape)
        oe.sum().backward()
        assert xe.grad.shape == xe.shape
    _assert_same_error(lambda: F.conv2d(ember.zeros(1, 2, 5, 5, dtype=ember.float64), ember.zeros(2, 2, 3, 3)),
                lambda: TF.conv2d(torch.zeros(1, 2, 5, 5, dtype=torch.float64), torch.zeros(2, 2, 3, 3)))


def test_reused_layer_and_retain_graph_match_torch(rng):
    """A conv applied twice in one graph, backward twice with retain_graph, then a new step: the
    im2col workspace is never shared between live graph nodes."""
    t = torch.nn.Conv2d(3, 3, 3, padding=1)
    e = nn.Conv2d(3, 3, 3, padding=1)
    _copy(e, t)
    for step in range(2):
        x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
        xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        le, lt = (e(e(xe)) ** 2).sum(), (t(t(xt)) ** 2).sum()
        with ember.no_grad():
            e(ember.tensor(x))  # an inference call in between must not disturb the graph
        le.backward(retain_graph=True), lt.backward(retain_graph=True)
        le.backward(), lt.backward()
        assert_close(xe.grad, xt.grad, rtol=1e-4, atol=_scaled(1e-5, xt.grad))
        assert_close(e.weight.grad, t.weight.grad, rtol=1e-4, atol=_scaled(1e-5, t.weight.grad))


def test_im2col_workspace_stays_bounded_with_varying_shapes(rng):
    from ember.autograd.ops.conv import workspace

    conv = nn.Conv1d(2, 3, 3)
    for length in range(5, 25):
        conv(ember.randn(2, 2, length)).sum().backward()
    assert len(workspace.idle) <= workspace.keep
