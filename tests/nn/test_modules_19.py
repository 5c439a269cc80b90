"""The rest of torch.nn (#19) against torch: activations, padding, pixel/channel shuffle, distances, Bilinear,
instance/RMS/local-response norm, fold/unfold. Each module: repr, state_dict keys, values and gradients with
weights copied from torch; each functional: float64 gradcheck and gradgradcheck; errors: type and message."""
from __future__ import annotations

import numpy as np
import pytest

from _oracle import assert_close, to_numpy, torch

import ember
import ember.nn as enn
import ember.nn.functional as EF

tnn, TF = torch.nn, torch.nn.functional


def _pair(x, dtype=np.float32):
    x = np.asarray(x, dtype=dtype)
    return ember.tensor(x.copy(), requires_grad=True), torch.tensor(x.copy(), requires_grad=True)


def check_module(make, shape, *, seed=0, inputs=None, rtol=None, atol=None, train=True, grad=True):
    """make(nn) builds the same module in both libraries; repr, state_dict, forward and backward must agree."""
    t = make(tnn)
    e = make(enn)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    e.load_state_dict({k: ember.tensor(v.detach().numpy().copy()) for k, v in t.state_dict().items()})
    if not train:
        e.eval(), t.eval()
    rng = np.random.default_rng(seed)
    arrays = inputs if inputs is not None else [rng.standard_normal(s) for s in (shape if isinstance(shape, list) else [shape])]
    pairs = [_pair(a) for a in arrays]
    ye, yt = e(*[p[0] for p in pairs]), t(*[p[1] for p in pairs])
    assert_close(ye, yt, rtol=rtol, atol=atol)
    if not grad:
        return e, t
    v = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    (ye * ember.tensor(v)).sum().backward()
    (yt * torch.tensor(v)).sum().backward()
    for pe, pt in pairs:
        assert_close(pe.grad, pt.grad, rtol=rtol, atol=atol or 1e-5)
    for (n, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        assert_close(pe.grad, pt.grad, rtol=rtol or 1e-4, atol=atol or 1e-5, msg=n)
    for (n, be), (_, bt) in zip(e.named_buffers(), t.named_buffers()):
        assert_close(be, bt, rtol=rtol, atol=atol, msg=n)
    return e, t


def check_grads(fn, *shapes, seed=0, positive=False, gradgrad=True, keep_away=None):
    """float64 gradcheck and gradgradcheck of fn on random inputs (away from kinks at ``keep_away``)."""
    rng = np.random.default_rng(seed)
    xs = []
    for s in shapes:
        a = rng.standard_normal(s)
        if positive:
            a = np.abs(a) + 0.1
        if keep_away is not None:
            for k in keep_away:
                a = np.where(np.abs(a - k) < 0.05, a + 0.1, a)
        xs.append(ember.tensor(a, requires_grad=True))
    assert ember.autograd.gradcheck(fn, xs)
    if gradgrad:
        assert ember.autograd.gradgradcheck(fn, xs)


def raises_like(efn, tfn, exc=None):
    """Both raise the same exception type with the same message (ember's dtypes print as ember.float32, ...)."""
    with pytest.raises(Exception) as te:
        tfn()
    with pytest.raises(type(te.value) if exc is None else exc) as ee:
        efn()
    assert str(ee.value).replace("ember.", "torch.") == str(te.value)


# ---- activations ------------------------------------------------------------------------------------------
ACTIVATIONS = [
    (lambda nn: nn.PReLU(), (4, 3, 5)),
    (lambda nn: nn.PReLU(3, 0.1), (4, 3, 5)),
    (lambda nn: nn.PReLU(3), (2, 3)),
    (lambda nn: nn.PReLU(), (7,)),
    (lambda nn: nn.SELU(), (4, 6)),
    (lambda nn: nn.CELU(), (4, 6)),
    (lambda nn: nn.CELU(2.0), (4, 6)),
    (lambda nn: nn.GLU(), (4, 6)),
    (lambda nn: nn.GLU(0), (4, 6)),
    (lambda nn: nn.Hardsigmoid(), (40, 6)),
    (lambda nn: nn.Hardswish(), (40, 6)),
    (lambda nn: nn.Hardshrink(), (4, 6)),
    (lambda nn: nn.Hardshrink(0.3), (4, 6)),
    (lambda nn: nn.Softshrink(), (4, 6)),
    (lambda nn: nn.Softshrink(0.2), (4, 6)),
    (lambda nn: nn.Softsign(), (4, 6)),
    (lambda nn: nn.Tanhshrink(), (4, 6)),
    (lambda nn: nn.Threshold(0.1, 20), (4, 6)),
    (lambda nn: nn.Threshold(-0.2, 3.5), (4, 6)),
    (lambda nn: nn.Softmax2d(), (2, 3, 4, 5)),
    (lambda nn: nn.Softmax2d(), (3, 4, 5)),
    (lambda nn: nn.RReLU(), (4, 6)),
    (lambda nn: nn.RReLU(0.1, 0.3, True), (4, 6)),
    (lambda nn: nn.SiLU(True), (4, 6)),
    (lambda nn: nn.Mish(True), (4, 6)),
    (lambda nn: nn.ReLU6(True), (4, 6)),
    (lambda nn: nn.Hardtanh(-0.5, 0.5, inplace=True), (4, 6)),
    (lambda nn: nn.LogSigmoid(), (4, 6)),
]


@pytest.mark.parametrize("make,shape", ACTIVATIONS, ids=lambda v: repr(v(tnn)) if callable(v) else str(v))
def test_activation_module_matches_torch(make, shape):
    inplace = getattr(make(tnn), "inplace", False)
    if inplace:  # an in-place module on a leaf that requires grad raises in both: compare on a non-leaf
        t, e = make(tnn), make(enn)
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        xe, xt = _pair(x)
        e.eval(), t.eval()
        ye, yt = e(xe * 1.0), t(xt * 1.0)
        assert_close(ye, yt)
        ye.sum().backward(), yt.sum().backward()
        assert_close(xe.grad, xt.grad)
        assert repr(e) == repr(t)
        return
    check_module(make, shape, train=False)


FUNCTIONAL = [
    ("selu", lambda F, x: F.selu(x), [(3, 4)], None),
    ("celu", lambda F, x: F.celu(x, 1.5), [(3, 4)], [0.0]),
    ("glu", lambda F, x: F.glu(x, 1), [(3, 4)], None),
    ("hardsigmoid", lambda F, x: F.hardsigmoid(x * 4), [(3, 4)], [-0.75, 0.75]),
    ("hardswish", lambda F, x: F.hardswish(x * 4), [(3, 4)], [-0.75, 0.75]),
    ("hardshrink", lambda F, x: F.hardshrink(x, 0.4), [(3, 4)], [-0.4, 0.4]),
    ("softshrink", lambda F, x: F.softshrink(x, 0.4), [(3, 4)], [-0.4, 0.4]),
    ("softsign", lambda F, x: F.softsign(x), [(3, 4)], [0.0]),
    ("tanhshrink", lambda F, x: F.tanhshrink(x), [(3, 4)], None),
    ("threshold", lambda F, x: F.threshold(x, 0.2, -1.0), [(3, 4)], [0.2]),
    ("prelu", lambda F, x, w: F.prelu(x, w), [(2, 3, 4), (3,)], [0.0]),
    ("prelu_shared", lambda F, x, w: F.prelu(x, w), [(2, 3, 4), (1,)], [0.0]),
    ("rrelu_eval", lambda F, x: F.rrelu(x, 0.1, 0.3), [(3, 4)], [0.0]),
    ("celu_", lambda F, x: F.celu_(x * 1.0), [(3, 4)], [0.0]),
    ("selu_", lambda F, x: F.selu_(x * 1.0), [(3, 4)], [0.0]),
    ("elu_", lambda F, x: F.elu_(x * 1.0), [(3, 4)], [0.0]),
    ("leaky_relu_", lambda F, x: F.leaky_relu_(x * 1.0, 0.2), [(3, 4)], [0.0]),
    ("hardtanh_", lambda F, x: F.hardtanh_(x * 1.0, -0.5, 0.7), [(3, 4)], [-0.5, 0.7]),
    ("threshold_", lambda F, x: F.threshold_(x * 1.0, 0.1, 2.0), [(3, 4)], [0.1]),
    ("rrelu_", lambda F, x: F.rrelu_(x * 1.0), [(3, 4)], [0.0]),
]


@pytest.mark.parametrize("name,fn,shapes,kinks", FUNCTIONAL, ids=[c[0] for c in FUNCTIONAL])
def test_functional_matches_torch_and_gradchecks(name, fn, shapes, kinks):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in shapes]
    for dt in (np.float32, np.float64):
        pairs = [_pair(a, dt) for a in arrays]
        ye, yt = fn(EF, *[p[0] for p in pairs]), fn(TF, *[p[1] for p in pairs])
        assert_close(ye, yt)
        v = rng.standard_normal(tuple(yt.shape))
        (ye * ember.tensor(v.astype(dt))).sum().backward()
        (yt * torch.tensor(v.astype(dt))).sum().backward()
        for pe, pt in pairs:
            assert_close(pe.grad, pt.grad)
    check_grads(lambda *xs: fn(EF, *xs), *shapes, keep_away=kinks)


def test_rrelu_training_draws_slopes_in_range_and_backpropagates_them():
    x = ember.tensor(-np.abs(np.random.default_rng(0).standard_normal(1000)).astype(np.float32) - 0.1,
                     requires_grad=True)
    y = EF.rrelu(x, 0.1, 0.3, training=True)
    slope = to_numpy(y) / to_numpy(x)
    assert slope.min() >= 0.1 and slope.max() <= 0.3 and slope.std() > 0.03
    y.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), slope, rtol=1e-6)
    m = enn.RReLU(0.1, 0.3)
    pos = ember.tensor(np.abs(to_numpy(x)))
    assert_close(m(pos), pos)  # non-negative inputs pass through in training
    m.eval()
    assert_close(m(x), torch.nn.RReLU(0.1, 0.3).eval()(torch.tensor(to_numpy(x))))


def test_prelu_default_init_and_parameters():
    e, t = enn.PReLU(5, init=0.3), tnn.PReLU(5, init=0.3)
    assert_close(e.weight, t.weight)
    assert e.weight.requires_grad and isinstance(e.weight, enn.Parameter)


def test_activation_errors_match_torch():
    x5 = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    xe, xt = ember.tensor(x5), torch.tensor(x5)
    raises_like(lambda: EF.glu(xe, 1), lambda: TF.glu(xt, 1))
    raises_like(lambda: EF.glu(ember.tensor(1.0)), lambda: TF.glu(torch.tensor(1.0)))
    raises_like(lambda: enn.Softmax2d()(ember.ones(2)), lambda: tnn.Softmax2d()(torch.ones(2)))
    raises_like(lambda: EF.prelu(xe, ember.ones(2)), lambda: TF.prelu(xt, torch.ones(2)))
    raises_like(lambda: EF.prelu(ember.ones(3), ember.ones(3)), lambda: TF.prelu(torch.ones(3), torch.ones(3)))
    raises_like(lambda: EF.softshrink(xe, -1.0), lambda: TF.softshrink(xt, -1.0))
    raises_like(lambda: EF.celu(xe, 0.0), lambda: TF.celu(xt, 0.0))
    for name in ("hardshrink", "selu", "celu", "hardsigmoid", "hardswish", "rrelu"):
        raises_like(lambda: getattr(EF, name)(ember.arange(3)), lambda: getattr(TF, name)(torch.arange(3)))


# ---- padding ----------------------------------------------------------------------------------------------
PADS = [
    (lambda nn: nn.ZeroPad1d(2), (2, 3, 5)), (lambda nn: nn.ZeroPad1d((1, 3)), (3, 5)),
    (lambda nn: nn.ZeroPad2d(2), (2, 3, 4, 5)), (lambda nn: nn.ZeroPad2d((1, 0, 2, -1)), (2, 3, 4, 5)),
    (lambda nn: nn.ZeroPad3d((1, 2, 0, 1, 2, 0)), (1, 2, 3, 4, 5)),
    (lambda nn: nn.ConstantPad1d(2, 3.5), (2, 3, 5)), (lambda nn: nn.ConstantPad2d((1, 2, 3, 0), -1.0), (3, 4, 5)),
    (lambda nn: nn.ConstantPad3d(1, 0.5), (2, 3, 3, 4, 5)),
    (lambda nn: nn.ReflectionPad1d(2), (2, 3, 5)), (lambda nn: nn.ReflectionPad1d((3, 1)), (3, 5)),
    (lambda nn: nn.ReflectionPad2d((1, 0, 2, 3)), (2, 3, 4, 5)), (lambda nn: nn.ReflectionPad3d(1), (1, 2, 3, 4, 5)),
    (lambda nn: nn.ReplicationPad1d((0, 4)), (2, 3, 5)), (lambda nn: nn.ReplicationPad2d(2), (3, 4, 5)),
    (lambda nn: nn.ReplicationPad3d((1, 2, 0, 1, 2, 0)), (2, 2, 3, 4, 5)),
    (lambda nn: nn.CircularPad1d(2), (2, 3, 5)), (lambda nn: nn.CircularPad2d((1, 0, 2, 3)), (2, 3, 4, 5)),
    (lambda nn: nn.CircularPad3d(1), (1, 2, 3, 4, 5)),
]


@pytest.mark.parametrize("make,shape", PADS, ids=lambda v: repr(v(tnn)) if callable(v) else str(v))
def test_padding_module_matches_torch(make, shape):
    check_module(make, shape)
    m = make(enn)
    check_grads(lambda x: m(x), shape[1:] if len(shape) == 5 else shape)  # (3-d pads take unbatched 4-D)


def test_circular_pad_rank_error_matches_torch():
    raises_like(lambda: enn.CircularPad2d(1)(ember.ones(2, 3)), lambda: tnn.CircularPad2d(1)(torch.ones(2, 3)))
    raises_like(lambda: enn.ReflectionPad1d(5)(ember.ones(2, 3, 4)), lambda: tnn.ReflectionPad1d(5)(torch.ones(2, 3, 4)))


# ---- shuffles, distances, Bilinear ------------------------------------------------------------------------
LAYERS = [
    (lambda nn: nn.PixelShuffle(2), (2, 8, 3, 4)), (lambda nn: nn.PixelShuffle(3), (9, 2, 3)),
    (lambda nn: nn.PixelShuffle(2), (2, 1, 4, 3, 2)),
    (lambda nn: nn.PixelUnshuffle(2), (2, 3, 4, 6)), (lambda nn: nn.PixelUnshuffle(3), (2, 3, 6)),
    (lambda nn: nn.ChannelShuffle(2), (2, 4, 3, 3)), (lambda nn: nn.ChannelShuffle(3), (2, 6, 5)),
    (lambda nn: nn.CosineSimilarity(), [(4, 5), (4, 5)]), (lambda nn: nn.CosineSimilarity(0, 1e-6), [(4, 5), (1, 5)]),
    (lambda nn: nn.CosineSimilarity(-1), [(2, 3, 5), (3, 5)]),
    (lambda nn: nn.PairwiseDistance(), [(4, 5), (4, 5)]), (lambda nn: nn.PairwiseDistance(1.0, 1e-5, True), [(4, 5), (5,)]),
    (lambda nn: nn.PairwiseDistance(3.0), [(5,), (5,)]), (lambda nn: nn.PairwiseDistance(float("inf")), [(4, 5), (4, 5)]),
    (lambda nn: nn.Bilinear(3, 4, 5), [(6, 3), (6, 4)]), (lambda nn: nn.Bilinear(3, 4, 2, bias=False), [(2, 6, 3), (2, 6, 4)]),
]


@pytest.mark.parametrize("make,shape", LAYERS, ids=lambda v: repr(v(tnn)) if callable(v) else str(v))
def test_layer_matches_torch(make, shape):
    check_module(make, shape, rtol=1e-5, atol=1e-5)


def test_bilinear_default_init_statistics_match_torch():
    e, t = enn.Bilinear(20, 7, 30), tnn.Bilinear(20, 7, 30)
    bound = 1 / np.sqrt(20)
    for pe, pt in ((e.weight, t.weight), (e.bias, t.bias)):
        w = to_numpy(pe)
        assert w.shape == tuple(pt.shape) and np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
        assert abs(w.std() - to_numpy(pt).std()) < 0.1 * bound


LAYER_FUNCTIONALS = [
    ("pixel_shuffle", lambda F, x: F.pixel_shuffle(x, 2), [(1, 8, 2, 3)]),
    ("pixel_unshuffle", lambda F, x: F.pixel_unshuffle(x, 2), [(1, 2, 4, 2)]),
    ("channel_shuffle", lambda F, x: F.channel_shuffle(x, 2), [(2, 4, 3)]),
    # (torch's native_channel_shuffle has no derivative: ember's equals channel_shuffle's, which is checked against)
    ("native_channel_shuffle", lambda F, x: (F.native_channel_shuffle if F is EF else F.channel_shuffle)(x, 3),
     [(1, 6, 2)]),
    ("cosine_similarity", lambda F, a, b: F.cosine_similarity(a, b, 1), [(3, 4), (3, 4)]),
    ("pairwise_distance", lambda F, a, b: F.pairwise_distance(a, b), [(3, 4), (3, 4)]),
    ("pairwise_distance_p1", lambda F, a, b: F.pairwise_distance(a, b, 1.0, keepdim=True), [(3, 4), (3, 4)]),
    ("pdist", lambda F, x: F.pdist(x), [(4, 3)]),
    ("pdist_p3", lambda F, x: F.pdist(x, 3), [(4, 3)]),
    ("bilinear", lambda F, a, b, w, c: F.bilinear(a, b, w, c), [(2, 3), (2, 4), (5, 3, 4), (5,)]),
]


@pytest.mark.parametrize("name,fn,shapes", LAYER_FUNCTIONALS, ids=[c[0] for c in LAYER_FUNCTIONALS])
def test_layer_functional_matches_torch_and_gradchecks(name, fn, shapes):
    test_functional_matches_torch_and_gradchecks(name, fn, shapes, None)


def test_layer_errors_match_torch():
    cases = [
        (lambda F, T: F.pixel_shuffle(T.ones(2, 5, 3, 3), 2)), (lambda F, T: F.pixel_shuffle(T.ones(5, 3), 2)),
        (lambda F, T: F.pixel_shuffle(T.ones(2, 8, 3, 3), 0)), (lambda F, T: F.pixel_unshuffle(T.ones(2, 5, 3, 4), 2)),
        (lambda F, T: F.pixel_unshuffle(T.ones(2, 5, 4, 3), 2)), (lambda F, T: F.pixel_unshuffle(T.ones(3), 2)),
        (lambda F, T: F.channel_shuffle(T.ones(2, 6, 3), 4)), (lambda F, T: F.channel_shuffle(T.ones(2, 6, 3), 0)),
        (lambda F, T: F.channel_shuffle(T.ones(2, 6), 3)),
        (lambda F, T: F.cosine_similarity(T.ones(2, 3), T.ones(4, 3))),
        (lambda F, T: F.pairwise_distance(T.ones(2, 3), T.ones(4, 3))),
        (lambda F, T: F.pdist(T.ones(2, 3, 3))),
        (lambda F, T: F.bilinear(T.ones(2, 3), T.ones(2, 4), T.ones(5, 3, 5))),
        (lambda F, T: F.bilinear(T.ones(2, 2), T.ones(2, 5), T.ones(5, 3, 5))),
        (lambda F, T: F.bilinear(T.ones(2, 3), T.ones(3, 5), T.ones(5, 3, 5))),
        (lambda F, T: F.bilinear(T.ones(2, 3), T.ones(1, 2, 5), T.ones(5, 3, 5))),
    ]
    for c in cases:
        raises_like(lambda: c(EF, ember), lambda: c(TF, torch))
    raises_like(lambda: enn.Bilinear(0, 2, 3), lambda: tnn.Bilinear(0, 2, 3))


def test_cosine_similarity_of_a_zero_vector_matches_torch_gradient():
    a = np.zeros((2, 3), np.float32)
    a[1] = [1e-9, 0, 0]
    b = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    (ae, at), (be, bt) = _pair(a), _pair(b)
    ye, yt = EF.cosine_similarity(ae, be), TF.cosine_similarity(at, bt)
    assert_close(ye, yt)
    ye.sum().backward(), yt.sum().backward()
    assert_close(be.grad, bt.grad)


# ---- instance, RMS and local response norm ----------------------------------------------------------------
NORMS = [
    (lambda nn: nn.InstanceNorm1d(3), (2, 3, 5)), (lambda nn: nn.InstanceNorm1d(3, affine=True), (3, 5)),
    (lambda nn: nn.InstanceNorm2d(3, affine=True, track_running_stats=True), (2, 3, 4, 5)),
    (lambda nn: nn.InstanceNorm2d(3, momentum=None, track_running_stats=True), (2, 3, 4, 5)),
    (lambda nn: nn.InstanceNorm2d(4, eps=1e-3, affine=True, bias=False), (4, 3, 5)),
    (lambda nn: nn.InstanceNorm3d(2, affine=True, track_running_stats=True), (2, 2, 3, 4, 5)),
    (lambda nn: nn.RMSNorm(5), (3, 4, 5)), (lambda nn: nn.RMSNorm([4, 5], eps=1e-3), (3, 4, 5)),
    (lambda nn: nn.RMSNorm(5, elementwise_affine=False), (3, 5)),
    (lambda nn: nn.LocalResponseNorm(3), (2, 6, 5)), (lambda nn: nn.LocalResponseNorm(2, 1e-2, 0.5, 2.0), (2, 5, 4, 3)),
    (lambda nn: nn.LocalResponseNorm(4, 0.1), (1, 7, 2, 3, 2)),
]


@pytest.mark.parametrize("make,shape", NORMS, ids=lambda v: repr(v(tnn)) if callable(v) else str(v))
def test_norm_matches_torch_in_train_and_eval(make, shape):
    t = make(tnn)
    if any(p.ndim for p in t.parameters()):  # random affine parameters, copied across
        with torch.no_grad():
            for p in t.parameters():
                p.uniform_(0.5, 1.5)
    e, t2 = check_module(lambda nn: t if nn is tnn else make(enn), shape, rtol=1e-4, atol=1e-5)
    e.eval(), t2.eval()
    x = np.random.default_rng(5).standard_normal(shape).astype(np.float32) * 2 + 1
    assert_close(e(ember.tensor(x)), t2(torch.tensor(x)), rtol=1e-4, atol=1e-5)


NORM_FUNCTIONALS = [
    ("instance_norm", lambda F, x: F.instance_norm(x), [(2, 3, 4)]),
    ("instance_norm_affine", lambda F, x, w, b: F.instance_norm(x, weight=w, bias=b, eps=1e-3), [(2, 3, 4), (3,), (3,)]),
    ("rms_norm", lambda F, x, w: F.rms_norm(x, (4,), w), [(2, 3, 4), (4,)]),
    ("rms_norm_2d", lambda F, x: F.rms_norm(x, (3, 4), eps=1e-4), [(2, 3, 4)]),
    ("local_response_norm", lambda F, x: F.local_response_norm(x, 3, 0.1, 0.75, 1.0), [(2, 5, 3)]),
    ("local_response_norm_4d", lambda F, x: F.local_response_norm(x, 2, 0.5, 0.6, 2.0), [(1, 4, 2, 3)]),
]


@pytest.mark.parametrize("name,fn,shapes", NORM_FUNCTIONALS, ids=[c[0] for c in NORM_FUNCTIONALS])
def test_norm_functional_matches_torch_and_gradchecks(name, fn, shapes):
    test_functional_matches_torch_and_gradchecks(name, fn, shapes, None)


def test_instance_norm_running_stats_match_torch_with_eval_statistics():
    rm, rv = np.random.default_rng(0).random((2, 3)).astype(np.float32) + 0.5
    x = np.random.default_rng(1).standard_normal((4, 3, 6)).astype(np.float32)
    er, ev, tr, tv = ember.tensor(rm), ember.tensor(rv), torch.tensor(rm), torch.tensor(rv)
    assert_close(EF.instance_norm(ember.tensor(x), er, ev, momentum=0.3),
                 TF.instance_norm(torch.tensor(x), tr, tv, momentum=0.3), rtol=1e-4, atol=1e-5)
    assert_close(er, tr), assert_close(ev, tv)
    assert_close(EF.instance_norm(ember.tensor(x), er, ev, use_input_stats=False),
                 TF.instance_norm(torch.tensor(x), tr, tv, use_input_stats=False), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("layout", ["contiguous", "channel-major", "strided"])
def test_instance_norm_kernel_and_numpy_paths_agree_with_torch(layout):
    """The fused InstanceNorm op: numba kernels (when installed) and the NumPy reference, on inputs stored
    contiguous, channel-major (as conv outputs are) and strided, with a mean far from zero."""
    from ember import _numba

    rng = np.random.default_rng(7)
    x = (rng.standard_normal((5, 6, 7, 9)) * 3 + 40).astype(np.float32)
    w, b, v = (rng.standard_normal(6).astype(np.float32), rng.standard_normal(6).astype(np.float32),
               rng.standard_normal((5, 6, 7, 9)).astype(np.float32))
    view = {"contiguous": lambda t: t, "channel-major": lambda t: t.transpose(0, 1).contiguous().transpose(0, 1),
            "strided": lambda t: t[..., ::2]}[layout]
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    (TF.instance_norm(view(xt), weight=wt, bias=bt) * torch.tensor(v)[..., :view(xt).shape[-1]]).sum().backward()
    results = []
    for enabled in (True, False):
        previous = _numba.set_enabled(enabled)
        try:
            xe, we, be = (ember.tensor(a, requires_grad=True) for a in (x, w, b))
            y = EF.instance_norm(view(xe), weight=we, bias=be)
            (y * ember.tensor(v)[..., :y.shape[-1]]).sum().backward()
        finally:
            _numba.set_enabled(previous)
        assert_close(y, TF.instance_norm(view(xt), weight=wt, bias=bt), rtol=1e-4, atol=1e-5)
        for e, t in ((xe, xt), (we, wt), (be, bt)):
            assert_close(e.grad, t.grad, rtol=1e-4, atol=1e-4)
        results.append(y.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-5)


def test_norm_errors_match_torch():
    cases = [
        (lambda F, T: F.instance_norm(T.ones(2, 3, 1))), (lambda F, T: F.instance_norm(T.ones(2, 3))),
        (lambda F, T: F.instance_norm(T.ones(2, 3, 4), T.zeros(2), T.ones(3))),
        (lambda F, T: F.instance_norm(T.ones(2, 3, 4), weight=T.ones(2))),
        (lambda F, T: F.instance_norm(T.ones(2, 3, 4), use_input_stats=False)),
        (lambda F, T: F.rms_norm(T.ones(2, 3, 4), (3,))), (lambda F, T: F.rms_norm(T.ones(2, 3, 4), (3, 5))),
        (lambda F, T: F.rms_norm(T.ones(2, 3, 4), (4,), T.ones(3))),
        (lambda F, T: F.local_response_norm(T.ones(2, 3), 2)),
        (lambda F, T: T.nn.InstanceNorm2d(3, affine=True)(T.ones(2, 4, 4, 4))),
        (lambda F, T: T.nn.InstanceNorm1d(3)(T.ones(2, 3, 4, 5))),
    ]
    for c in cases:
        raises_like(lambda: c(EF, ember), lambda: c(TF, torch))
    with pytest.warns(UserWarning, match="does not match num_features"):
        enn.InstanceNorm1d(3)(ember.ones(2, 4, 5))


# ---- fold / unfold ----------------------------------------------------------------------------------------
FOLDS = [
    (lambda nn: nn.Unfold(2), (2, 3, 5, 5)), (lambda nn: nn.Unfold((2, 3), padding=1, stride=2, dilation=(1, 2)), (3, 5, 6)),
    (lambda nn: nn.Unfold(3, 1, 1, 1), (1, 2, 7, 7)), (lambda nn: nn.Unfold(4, 2, 3, 3), (2, 2, 9, 8)),
    (lambda nn: nn.Fold((5, 5), 2), (2, 12, 16)), (lambda nn: nn.Fold((4, 5), (2, 3), padding=1, stride=2), (12, 9)),
    (lambda nn: nn.Fold(7, 3, 1, 1, 1), (1, 18, 49)), (lambda nn: nn.Fold((9, 8), 4, 2, 3, 3), (2, 32, 9)),
]


@pytest.mark.parametrize("make,shape", FOLDS, ids=lambda v: repr(v(tnn)) if callable(v) else str(v))
def test_fold_unfold_match_torch(make, shape):
    check_module(make, shape)


@pytest.mark.parametrize("name,fn,shapes", [
    ("unfold", lambda F, x: F.unfold(x, (2, 3), padding=1, stride=(2, 1)), [(1, 2, 4, 5)]),
    ("unfold_dilated", lambda F, x: F.unfold(x, 2, dilation=2), [(2, 1, 5, 4)]),
    ("fold", lambda F, x: F.fold(x, (4, 5), (2, 3), padding=1, stride=(2, 1)), [(1, 12, 15)]),
    ("fold_unbatched", lambda F, x: F.fold(x, (3, 4), 2, dilation=(1, 2)), [(8, 4)]),
], ids=["unfold", "unfold_dilated", "fold", "fold_unbatched"])
def test_fold_functional_matches_torch_and_gradchecks(name, fn, shapes):
    test_functional_matches_torch_and_gradchecks(name, fn, shapes, None)


def test_fold_is_the_adjoint_of_unfold():
    rng = np.random.default_rng(3)
    x, c = rng.standard_normal((2, 3, 6, 7)), rng.standard_normal((2, 3 * 6, 16))
    u = to_numpy(EF.unfold(ember.tensor(x), (2, 3), padding=1, stride=2))
    f = to_numpy(EF.fold(ember.tensor(c), (6, 7), (2, 3), padding=1, stride=2))
    np.testing.assert_allclose((u * c).sum(), (x * f).sum(), rtol=1e-12)


def test_fold_unfold_errors_match_torch():
    cases = [
        (lambda F, T: F.unfold(T.ones(2, 3, 5, 5), 7)), (lambda F, T: F.unfold(T.ones(2, 3, 5, 5), 0)),
        (lambda F, T: F.unfold(T.ones(2, 3, 5, 5), 2, stride=0)), (lambda F, T: F.unfold(T.ones(2, 3, 5, 5), 2, padding=-1)),
        (lambda F, T: F.unfold(T.ones(2, 3, 5, 5), 2, dilation=0)), (lambda F, T: F.unfold(T.ones(2, 3, 5, 5, 2), 2)),
        (lambda F, T: F.unfold(T.ones(2, 3, 5, 5), (2, 2, 2))),
        (lambda F, T: F.unfold(T.ones(2, 3, 5, 5, dtype=T.int64), 2)),
        (lambda F, T: F.fold(T.ones(2, 12, 15), (5, 5), 2)), (lambda F, T: F.fold(T.ones(2, 11, 16), (5, 5), 2)),
        (lambda F, T: F.fold(T.ones(2, 12, 16, 1), (5, 5), 2)), (lambda F, T: F.fold(T.ones(2, 12, 16), (5, 5), 0)),
        (lambda F, T: F.fold(T.ones(2, 12, 16), (1, 1), 2)), (lambda F, T: F.fold(T.ones(2, 12, 16), (0, 5), 2)),
        (lambda F, T: F.fold(T.ones(2, 12, 16), (5, 5), 2, stride=0)),
        (lambda F, T: F.fold(T.ones(2, 12, 16, dtype=T.int64), (5, 5), 2)),
    ]
    for c in cases:
        raises_like(lambda: c(EF, ember), lambda: c(TF, torch))


# ---- the 3-d family ---------------------------------------------------------------------------------------
def test_batchnorm3d_matches_torch_in_train_and_eval():
    for make in (lambda nn: nn.BatchNorm3d(3), lambda nn: nn.BatchNorm3d(3, momentum=None, affine=False)):
        e, t = check_module(make, (2, 3, 4, 3, 5), rtol=1e-4, atol=1e-5)
        e.eval(), t.eval()
        x = np.random.default_rng(2).standard_normal((2, 3, 4, 3, 5)).astype(np.float32)
        assert_close(e(ember.tensor(x)), t(torch.tensor(x)), rtol=1e-4, atol=1e-5)
    raises_like(lambda: enn.BatchNorm3d(3)(ember.ones(2, 3, 4, 4)), lambda: tnn.BatchNorm3d(3)(torch.ones(2, 3, 4, 4)))


@pytest.mark.parametrize("make", [lambda nn: nn.Dropout3d(0.3), lambda nn: nn.FeatureAlphaDropout(0.3)],
                         ids=["Dropout3d", "FeatureAlphaDropout"])
def test_channel_dropouts_drop_whole_channels_and_are_identity_in_eval(make):
    e, t = make(enn), make(tnn)
    assert repr(e) == repr(t)
    x = np.random.default_rng(0).standard_normal((40, 30, 2, 3, 4)).astype(np.float32)
    xe = ember.tensor(x, requires_grad=True)
    ember.manual_seed(0)
    y = to_numpy(e(xe))
    yt = t(torch.tensor(x)).numpy()
    # per (sample, channel) the output is one affine map of x: y = m·x + s with m, s constant over the channel
    slopes = []
    for out in (y, yt):
        flat, xf = out.reshape(40 * 30, -1), x.reshape(40 * 30, -1)
        m = (flat[:, 1] - flat[:, 0]) / (xf[:, 1] - xf[:, 0])
        np.testing.assert_allclose(flat, m[:, None] * xf + (flat[:, :1] - m[:, None] * xf[:, :1]), rtol=1e-3, atol=1e-3)
        kept = np.abs(m) > 1e-3
        assert 0.6 < kept.mean() < 0.8  # p = 0.3 (1200 channels)
        slopes.append((np.median(m[kept]), np.median(flat[~kept, 0])))
    np.testing.assert_allclose(slopes[0], slopes[1], rtol=1e-4, atol=1e-6)  # kept scale and dropped value agree
    (e(xe) * 1.0).sum().backward()
    assert xe.grad is not None
    e.eval(), t.eval()
    assert_close(e(ember.tensor(x)), t(torch.tensor(x)))


def test_feature_alpha_dropout_keeps_selu_statistics_like_torch():
    x = np.random.default_rng(1).standard_normal((200, 100, 4)).astype(np.float32)
    y, yt = to_numpy(EF.feature_alpha_dropout(ember.tensor(x), 0.2, True)), TF.feature_alpha_dropout(
        torch.tensor(x), 0.2, True).numpy()
    for out in (y, yt):
        assert abs(out.mean()) < 0.05 and abs(out.std() - 1) < 0.05
    for p in (0.0, 1.0):
        assert_close(EF.feature_alpha_dropout(ember.tensor(x), p, True), TF.feature_alpha_dropout(torch.tensor(x), p, True))
    with pytest.warns(UserWarning, match="dropout3d: Received a 3-D input"):
        EF.dropout3d(ember.ones(2, 3, 4))


CONV3D = [
    (lambda nn: nn.Conv3d(2, 4, 3), (2, 2, 5, 6, 5)),
    (lambda nn: nn.Conv3d(2, 4, (2, 3, 1), stride=(2, 1, 2), padding=(1, 0, 1), dilation=(1, 2, 1)), (2, 2, 5, 6, 5)),
    (lambda nn: nn.Conv3d(4, 6, 3, padding="same", groups=2, bias=False), (1, 4, 4, 5, 3)),
    (lambda nn: nn.Conv3d(2, 3, (3, 2, 2), padding="same", dilation=(1, 2, 1)), (1, 2, 4, 5, 3)),
    (lambda nn: nn.Conv3d(2, 2, 3, padding=1, padding_mode="circular"), (1, 2, 3, 4, 5)),
    (lambda nn: nn.Conv3d(2, 2, 2, padding=1, padding_mode="replicate"), (2, 3, 4, 5)),
    (lambda nn: nn.ConvTranspose3d(2, 4, 3), (2, 2, 3, 4, 3)),
    (lambda nn: nn.ConvTranspose3d(2, 4, (2, 3, 2), stride=(2, 1, 3), padding=(1, 1, 0), output_padding=(1, 0, 2)),
     (2, 2, 3, 4, 3)),
    (lambda nn: nn.ConvTranspose3d(4, 6, 3, stride=2, padding=2, groups=2, dilation=2, bias=False), (1, 4, 3, 3, 4)),
    (lambda nn: nn.ConvTranspose3d(2, 3, 2, stride=2), (2, 2, 3, 3)),
]


@pytest.mark.parametrize("make,shape", CONV3D, ids=lambda v: repr(v(tnn)) if callable(v) else str(v))
def test_conv3d_matches_torch(make, shape):
    check_module(make, shape, rtol=1e-4, atol=1e-5)


def test_conv3d_default_init_statistics_match_torch():
    for make in (lambda nn: nn.Conv3d(16, 32, 3), lambda nn: nn.ConvTranspose3d(16, 32, 3)):
        e, t = make(enn), make(tnn)
        for (n, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
            a, b = to_numpy(pe), pt.detach().numpy()
            assert a.shape == b.shape, n
            assert abs(np.abs(a).max() - np.abs(b).max()) < 0.02 * np.abs(b).max(), n
            assert abs(a.std() - b.std()) < 0.05 * b.std(), n


def test_conv_transpose3d_output_size_matches_torch():
    e, t = enn.ConvTranspose3d(2, 3, 3, stride=2), tnn.ConvTranspose3d(2, 3, 3, stride=2)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 3, 3)).astype(np.float32)
    assert_close(e(ember.tensor(x), output_size=(8, 7, 8)), t(torch.tensor(x), output_size=(8, 7, 8)), rtol=1e-4,
                 atol=1e-5)


@pytest.mark.parametrize("name,fn,shapes", [
    ("conv3d", lambda F, x, w, b: F.conv3d(x, w, b, stride=(1, 2, 1), padding=1), [(1, 2, 3, 4, 3), (2, 2, 2, 2, 2), (2,)]),
    ("conv3d_stride_1", lambda F, x, w, b: F.conv3d(x, w, b, padding=(1, 0, 2), dilation=(1, 2, 1), groups=2),
     [(2, 4, 3, 5, 2), (4, 2, 2, 2, 3), (4,)]),
    ("conv_transpose3d", lambda F, x, w, b: F.conv_transpose3d(x, w, b, stride=2, padding=1, output_padding=1),
     [(1, 2, 2, 3, 2), (2, 1, 2, 2, 2), (1,)]),
], ids=["conv3d", "conv3d_stride_1", "conv_transpose3d"])
def test_conv3d_functional_matches_torch_and_gradchecks(name, fn, shapes):
    test_functional_matches_torch_and_gradchecks(name, fn, shapes, None)


@pytest.mark.parametrize("stride", [(2, 1, 1), (1, 1, 1)])
def test_conv3d_op_agrees_with_its_composite(stride):
    """Conv3d's im2col + GEMM kernels and ``Conv3d.composite`` (conv2d per depth tap, which create_graph
    differentiates): the same values and first-order gradients, strided (the strided patch copy) or not (the flat
    runs), dilated, grouped, asymmetric pads."""
    from ember.nn._functional.conv3d import Conv3d

    rng = np.random.default_rng(3)
    opts = dict(stride=stride, pads=(1, 0, 0, 1, 2, 1), dilation=(1, 2, 1), groups=2)
    arrays = (rng.standard_normal((2, 4, 5, 6, 5)), rng.standard_normal((6, 2, 2, 3, 2)), rng.standard_normal(6))
    v = None
    results = []
    for fn in (lambda *t: Conv3d.apply(*t, **opts), lambda *t: Conv3d.composite(*t, **opts)):
        ts = [ember.tensor(a, requires_grad=True) for a in arrays]
        y = fn(*ts)
        v = rng.standard_normal(y.shape) if v is None else v
        (y * ember.tensor(v)).sum().backward()
        results.append([y.detach().numpy()] + [t.grad.numpy() for t in ts])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_conv3d_empty_batch_matches_torch():
    """An empty batch through both patch layouts (stride 1: flat runs; strided: the strided copy)."""
    for stride in (1, 2):
        xe, xt = ember.zeros(0, 2, 3, 4, 5, requires_grad=True), torch.zeros(0, 2, 3, 4, 5, requires_grad=True)
        we, wt = ember.ones(3, 2, 2, 2, 2, requires_grad=True), torch.ones(3, 2, 2, 2, 2, requires_grad=True)
        ye, yt = EF.conv3d(xe, we, padding=1, stride=stride), TF.conv3d(xt, wt, padding=1, stride=stride)
        assert tuple(ye.shape) == tuple(yt.shape)
        ye.sum().backward()
        yt.sum().backward()
        assert tuple(xe.grad.shape) == tuple(xt.grad.shape)
        assert_close(we.grad, wt.grad)


def test_conv3d_errors_match_torch():
    cases = [
        (lambda F, T: F.conv3d(T.ones(1, 2, 3, 3), T.ones(2, 2, 2, 2, 2))),
        (lambda F, T: F.conv3d(T.ones(1, 3, 3, 3, 3), T.ones(2, 2, 2, 2, 2))),
        (lambda F, T: F.conv3d(T.ones(1, 2, 3, 3, 3), T.ones(2, 2, 4, 2, 2))),
        (lambda F, T: F.conv3d(T.ones(1, 2, 3, 3, 3), T.ones(2, 2, 2, 2, 2), stride=0)),
        (lambda F, T: F.conv3d(T.ones(1, 2, 3, 3, 3), T.ones(2, 2, 2, 2, 2), stride=2, padding="same")),
        (lambda F, T: F.conv3d(T.ones(1, 2, 3, 3, 3), T.ones(2, 2, 2, 2, 2), T.ones(3))),
        (lambda F, T: F.conv_transpose3d(T.ones(1, 2, 3, 3, 3), T.ones(2, 2, 2, 2, 2), output_padding=1)),
        (lambda F, T: F.conv_transpose3d(T.ones(1, 3, 3, 3, 3), T.ones(2, 2, 2, 2, 2))),
        (lambda F, T: F.conv_transpose3d(T.ones(1, 2, 1, 1, 1), T.ones(2, 2, 1, 1, 1), padding=1)),
    ]
    for c in cases:
        raises_like(lambda: c(EF, ember), lambda: c(TF, torch))


# ---- pooling ----------------------------------------------------------------------------------------------
POOLS = [
    (lambda nn: nn.AvgPool3d(2), (2, 3, 5, 6, 7)),
    (lambda nn: nn.AvgPool3d((3, 2, 2), (2, 1, 3), (1, 1, 0), ceil_mode=True), (2, 3, 5, 6, 7)),
    (lambda nn: nn.AvgPool3d(3, 2, 1, True, False), (1, 2, 5, 6, 7)),
    (lambda nn: nn.AvgPool3d(2, 2, 1, True, True, 3), (2, 5, 6, 7)),
    (lambda nn: nn.MaxPool3d(2), (2, 3, 4, 6, 6)),
    (lambda nn: nn.MaxPool3d((3, 2, 2), (2, 1, 3), (1, 1, 0), (1, 2, 1), ceil_mode=True), (2, 3, 5, 6, 7)),
    (lambda nn: nn.MaxPool3d(3, 2, ceil_mode=True), (3, 5, 6, 7)),
    (lambda nn: nn.AdaptiveAvgPool3d(2), (2, 3, 5, 6, 7)), (lambda nn: nn.AdaptiveAvgPool3d((3, None, 4)), (3, 5, 6, 7)),
    (lambda nn: nn.AdaptiveMaxPool1d(3), (2, 3, 7)), (lambda nn: nn.AdaptiveMaxPool1d(4), (3, 10)),
    (lambda nn: nn.AdaptiveMaxPool2d((3, 4)), (2, 3, 5, 7)), (lambda nn: nn.AdaptiveMaxPool2d((None, 2)), (3, 5, 7)),
    (lambda nn: nn.AdaptiveMaxPool3d(2), (2, 3, 5, 6, 7)), (lambda nn: nn.AdaptiveMaxPool3d((1, 3, 2)), (3, 5, 6, 7)),
    (lambda nn: nn.LPPool1d(2, 3), (2, 3, 7)), (lambda nn: nn.LPPool1d(1.5, 2, 1, True), (2, 3, 7)),
    (lambda nn: nn.LPPool2d(2, 2), (2, 3, 5, 6)), (lambda nn: nn.LPPool2d(3, (2, 3), 2, ceil_mode=True), (3, 5, 7)),
    (lambda nn: nn.LPPool3d(2, 2), (2, 3, 4, 5, 6)), (lambda nn: nn.LPPool2d(float("inf"), 2), (2, 3, 5, 6)),
]


@pytest.mark.parametrize("make,shape", POOLS, ids=lambda v: repr(v(tnn)) if callable(v) else str(v))
def test_pool_matches_torch(make, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    if "LPPool" in repr(make(tnn)):
        x = np.abs(x) + 0.1  # (a fractional power of a negative window sum is NaN in both)
    check_module(make, shape, inputs=[x], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("fn,shape", [
    (lambda F, x, **k: F.max_pool3d(x, (2, 3, 2), (1, 2, 2), (1, 1, 0), ceil_mode=True, **k), (2, 3, 4, 5, 6)),
    (lambda F, x, **k: F.adaptive_max_pool1d(x, 3, **k), (2, 3, 7)),
    (lambda F, x, **k: F.adaptive_max_pool2d(x, (3, 2), **k), (2, 3, 5, 7)),
    (lambda F, x, **k: F.adaptive_max_pool3d(x, (2, 3, 2), **k), (3, 5, 6, 7)),
], ids=["max_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d"])
def test_max_pool_indices_match_torch_with_ties(fn, shape):
    x = np.round(np.random.default_rng(1).standard_normal(shape) * 2).astype(np.float32) / 2  # many ties
    ye, ie = fn(EF, ember.tensor(x), return_indices=True)
    yt, it = fn(TF, torch.tensor(x), return_indices=True)
    assert_close(ye, yt), assert_close(ie, it)


def test_max_unpool_matches_torch():
    rng = np.random.default_rng(2)
    for nd, shape, k in ((1, (2, 3, 8), 2), (2, (2, 3, 6, 9), (2, 3)), (3, (2, 2, 4, 6, 6), 2)):
        x = rng.standard_normal(shape).astype(np.float32)
        pool = getattr(TF, f"max_pool{nd}d")
        o, i = pool(torch.tensor(x), k, return_indices=True)
        e_un, t_un = getattr(enn, f"MaxUnpool{nd}d")(k), getattr(tnn, f"MaxUnpool{nd}d")(k)
        assert repr(e_un) == repr(t_un)
        oe = ember.tensor(o.detach().numpy(), requires_grad=True)
        ot = o.detach().clone().requires_grad_(True)
        ye, yt = e_un(oe, ember.tensor(i.numpy())), t_un(ot, i)
        assert_close(ye, yt)
        v = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
        (ye * ember.tensor(v)).sum().backward(), (yt * torch.tensor(v)).sum().backward()
        assert_close(oe.grad, ot.grad)
        assert_close(e_un(oe, ember.tensor(i.numpy()), output_size=x.shape), t_un(ot, i, output_size=x.shape))


@pytest.mark.parametrize("name,fn,shapes", [
    ("avg_pool3d", lambda F, x: F.avg_pool3d(x, (2, 2, 3), (1, 2, 2), (1, 0, 1), ceil_mode=True), [(1, 2, 3, 4, 5)]),
    ("avg_pool3d_exclude_pad", lambda F, x: F.avg_pool3d(x, 2, 1, 1, count_include_pad=False), [(2, 3, 3, 2)]),
    ("max_pool3d", lambda F, x: F.max_pool3d(x, 2, 1, 1), [(1, 2, 3, 3, 2)]),
    ("adaptive_avg_pool3d", lambda F, x: F.adaptive_avg_pool3d(x, (2, 3, 2)), [(1, 2, 3, 4, 3)]),
    ("adaptive_max_pool2d", lambda F, x: F.adaptive_max_pool2d(x, (2, 3)), [(2, 2, 3, 5)]),
    ("lp_pool2d", lambda F, x: F.lp_pool2d(x.abs() + 0.5, 2.5, 2), [(1, 2, 4, 5)]),
    ("lp_pool3d", lambda F, x: F.lp_pool3d(x.abs() + 0.5, 2, (2, 1, 2)), [(1, 2, 2, 3, 4)]),
    ("max_unpool2d", lambda F, x: F.max_unpool2d(x, (ember if F is EF else torch).tensor([[[[0, 6], [13, 19]]]]), 2,
                                                 output_size=(4, 5)), [(1, 1, 2, 2)]),
], ids=lambda v: v if isinstance(v, str) else "")
def test_pool_functional_matches_torch_and_gradchecks(name, fn, shapes):
    test_functional_matches_torch_and_gradchecks(name, fn, shapes, None)


def test_pool_errors_match_torch():
    cases = [
        (lambda F, T: F.avg_pool3d(T.ones(2, 3, 4), 2)), (lambda F, T: F.max_pool3d(T.ones(2, 3, 4), 2)),
        (lambda F, T: F.avg_pool3d(T.ones(2, 3, 4, 4, 4), 2, padding=2)),
        (lambda F, T: F.max_pool3d(T.ones(2, 3, 4, 4, 4), 2, padding=2)),
        (lambda F, T: F.max_pool3d(T.ones(2, 3, 4, 4, 4), 5)), (lambda F, T: F.avg_pool3d(T.ones(2, 3, 4, 4, 4), 5)),
        (lambda F, T: F.avg_pool3d(T.ones(2, 3, 4, 4, 4), (2, 2))),
        (lambda F, T: F.max_pool3d(T.ones(2, 3, 4, 4, 4), (2, 2))),
        (lambda F, T: F.adaptive_avg_pool3d(T.ones(2, 3, 4), 2)), (lambda F, T: F.adaptive_max_pool3d(T.ones(2, 3, 4), 2)),
        (lambda F, T: F.adaptive_max_pool2d(T.ones(2), 2)), (lambda F, T: F.adaptive_max_pool1d(T.ones(2, 3, 4, 5), 2)),
        (lambda F, T: F.adaptive_max_pool2d(T.ones(2, 3, 4, 5), (2, 2, 2))),
        (lambda F, T: F.adaptive_avg_pool3d(T.ones(2, 3, 4, 5, 5), (2, 2))),
        (lambda F, T: F.avg_pool3d(T.ones(2, 3, 4, 4, 4), 2, divisor_override=0)),
        (lambda F, T: F.max_pool3d(T.ones(2, 3, 4, 4, 4), 2, stride=0)),
        (lambda F, T: F.max_pool3d(T.ones(2, 3, 4, 4, 4), 2, dilation=0)),
        (lambda F, T: F.max_unpool2d(T.ones(1, 1, 2, 2), T.tensor([[[[0, 6], [13, 24]]]]), 2)),
        (lambda F, T: F.max_unpool2d(T.ones(1, 1, 2, 2), T.tensor([[[[0, 6], [13, 14]]]]), 2, output_size=(7, 4))),
        (lambda F, T: F.max_unpool2d(T.ones(1, 1, 2, 2), T.tensor([[[[0, 6], [13, 14]]]]), 2, output_size=(7,))),
    ]
    for c in cases:
        raises_like(lambda: c(EF, ember), lambda: c(TF, torch))
    x = np.random.default_rng(0).integers(-5, 5, (1, 2, 4, 4, 4))
    assert_close(EF.avg_pool3d(ember.tensor(x), 2, ceil_mode=True, stride=3),
                 TF.avg_pool3d(torch.tensor(x), 2, ceil_mode=True, stride=3))


# ---- spatial transformers, Gumbel-softmax -----------------------------------------------------------------
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("nd", [2, 3])
def test_grid_sample_matches_torch_values_and_gradients(mode, padding_mode, align_corners, nd):
    if mode == "bicubic" and nd == 3:
        raises_like(lambda: EF.grid_sample(ember.ones(1, 1, 2, 2, 2), ember.zeros(1, 1, 1, 1, 3), "bicubic",
                                           align_corners=False),
                    lambda: TF.grid_sample(torch.ones(1, 1, 2, 2, 2), torch.zeros(1, 1, 1, 1, 3), "bicubic",
                                           align_corners=False))
        return
    rng = np.random.default_rng(nd)
    shape, gshape = ((2, 3, 5, 6), (2, 4, 7, 2)) if nd == 2 else ((2, 2, 4, 5, 3), (2, 3, 2, 4, 3))
    x, g = rng.standard_normal(shape), rng.random(gshape) * 2.6 - 1.3
    (xe, xt), (ge, gt) = _pair(x), _pair(g)
    ye = EF.grid_sample(xe, ge, mode, padding_mode, align_corners)
    yt = TF.grid_sample(xt, gt, mode, padding_mode, align_corners)
    assert_close(ye, yt, rtol=1e-5, atol=2e-6)
    v = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    (ye * ember.tensor(v)).sum().backward(), (yt * torch.tensor(v)).sum().backward()
    assert_close(xe.grad, xt.grad, rtol=1e-5, atol=1e-5)
    if mode == "nearest":  # no path from the grid: torch fills zeros, ember leaves None
        assert ge.grad is None and not gt.grad.any()
    else:
        assert_close(ge.grad, gt.grad, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_bilinear_kernel_agrees_with_the_composition_and_torch(align_corners):
    """The fused GridSampleBilinear op (numba) and the composed NumPy path, against torch, with points outside
    the image and on its edges; gradients of input and grid. A NaN coordinate samples NaN, as torch's."""
    from ember import _numba

    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
    grid = (rng.random((2, 4, 7, 2)) * 2.6 - 1.3).astype(np.float32)
    grid[0, 0, :3] = [[-1.0, -1.0], [1.0, 1.0], [3.0, 0.2]]
    v = rng.standard_normal((2, 3, 4, 7)).astype(np.float32)
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(grid, requires_grad=True)
    yt = TF.grid_sample(xt, gt, "bilinear", "zeros", align_corners=align_corners)
    (yt * torch.tensor(v)).sum().backward()
    for enabled in (True, False):
        previous = _numba.set_enabled(enabled)
        try:
            xe, ge = ember.tensor(x, requires_grad=True), ember.tensor(grid, requires_grad=True)
            ye = EF.grid_sample(xe, ge, "bilinear", "zeros", align_corners=align_corners)
            assert (type(ye.grad_fn).__name__ == "GridSampleBilinear") == (enabled and _numba.module() is not None)
            (ye * ember.tensor(v)).sum().backward()
        finally:
            _numba.set_enabled(previous)
        assert_close(ye, yt, rtol=1e-5, atol=1e-5)
        assert_close(xe.grad, xt.grad, rtol=1e-4, atol=1e-5)
        assert_close(ge.grad, gt.grad, rtol=1e-4, atol=1e-4)
    grid[1, 2, 1] = [np.nan, 0.5]
    ye = EF.grid_sample(ember.tensor(x), ember.tensor(grid), "bilinear", "zeros", align_corners=align_corners)
    assert_close(ye, TF.grid_sample(torch.tensor(x), torch.tensor(grid), "bilinear", "zeros", align_corners=align_corners))


@pytest.mark.parametrize("mode,padding_mode", [("bilinear", "zeros"), ("bilinear", "reflection"),
                                               ("bicubic", "border"), ("nearest", "zeros")])
def test_grid_sample_gradchecks(mode, padding_mode):
    rng = np.random.default_rng(0)
    g = ember.tensor(rng.random((1, 2, 3, 2)) * 2.4 - 1.2, requires_grad=True)
    x = ember.tensor(rng.standard_normal((1, 2, 3, 4)), requires_grad=True)
    fn = lambda a, b: EF.grid_sample(a, b, mode, padding_mode, align_corners=False)  # noqa: E731
    assert ember.autograd.gradcheck(fn, (x, g))
    assert ember.autograd.gradgradcheck(fn, (x, g))


@pytest.mark.parametrize("size,align_corners", [([2, 3, 4, 5], False), ([2, 3, 4, 5], True), ([2, 1, 3, 4, 2], False),
                                                ([2, 3, 1, 5], False)])
def test_affine_grid_matches_torch_and_gradchecks(size, align_corners):
    shape = (2, 2, 3) if len(size) == 4 else (2, 3, 4)
    th = np.random.default_rng(0).standard_normal(shape)
    (ee, et) = _pair(th)
    ye, yt = EF.affine_grid(ee, size, align_corners), TF.affine_grid(et, size, align_corners)
    assert_close(ye, yt)
    (ye ** 2).sum().backward(), (yt ** 2).sum().backward()
    assert_close(ee.grad, et.grad, rtol=1e-5, atol=1e-5)
    check_grads(lambda t: EF.affine_grid(t, size, align_corners) ** 2, shape)


def test_spatial_transformer_errors_and_warnings_match_torch():
    cases = [
        (lambda F, T: F.grid_sample(T.ones(2, 3, 4, 5), T.ones(3, 2, 2, 2), align_corners=False)),
        (lambda F, T: F.grid_sample(T.ones(2, 3, 4, 5), T.ones(2, 2, 2, 3), align_corners=False)),
        (lambda F, T: F.grid_sample(T.ones(2, 3, 4, 5), T.ones(2, 2, 2, 2, dtype=T.float64), align_corners=False)),
        (lambda F, T: F.grid_sample(T.ones(2, 3, 4, 5), T.ones(2, 2, 2, 2), mode="linear")),
        (lambda F, T: F.grid_sample(T.ones(2, 3, 4, 5), T.ones(2, 2, 2, 2), padding_mode="wrap")),
        (lambda F, T: F.affine_grid(T.ones(2, 2, 3), [2, 3, 4], align_corners=False)),
        (lambda F, T: F.affine_grid(T.ones(2, 2, 3), [2, 3, 0, 4], align_corners=False)),
        (lambda F, T: F.affine_grid(T.ones(2, 2, 4), [2, 3, 5, 4], align_corners=False)),
        (lambda F, T: F.affine_grid(T.ones(2, 3, 3), [2, 3, 5, 4, 2], align_corners=False)),
        (lambda F, T: F.affine_grid(T.ones(2, 2, 3, dtype=T.int64), [2, 3, 5, 4], align_corners=False)),
        (lambda F, T: F.gumbel_softmax(T.ones(2, 3, dtype=T.int64))),
    ]
    for c in cases:
        raises_like(lambda: c(EF, ember), lambda: c(TF, torch))
    for fn in (lambda: EF.affine_grid(ember.zeros(1, 2, 3), [1, 1, 2, 2]),
               lambda: EF.grid_sample(ember.ones(1, 1, 2, 2), ember.zeros(1, 1, 1, 2))):
        with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
            fn()


def test_gumbel_softmax_samples_the_softmax_distribution_and_passes_gradients_straight_through():
    logits = np.log(np.array([[0.1, 0.2, 0.7]] * 20000))
    ember.manual_seed(0)
    y = EF.gumbel_softmax(ember.tensor(logits), tau=0.5, hard=True)
    counts = to_numpy(y).sum(0) / 20000
    np.testing.assert_allclose(counts, [0.1, 0.2, 0.7], atol=0.015)
    assert set(np.unique(to_numpy(y))) == {0.0, 1.0} and (to_numpy(y).sum(1) == 1).all()
    soft = to_numpy(EF.gumbel_softmax(ember.tensor(logits[:5]), tau=2.0))
    np.testing.assert_allclose(soft.sum(1), 1, rtol=1e-12)
    x = ember.tensor(np.random.default_rng(0).standard_normal((4, 5)), requires_grad=True)

    def fn(t, hard):
        ember.manual_seed(3)
        return EF.gumbel_softmax(t, tau=0.7, hard=hard, dim=0)

    (fn(x, True) * ember.tensor(np.arange(20.0).reshape(4, 5))).sum().backward()
    g_hard = to_numpy(x.grad)
    x.grad = None
    (fn(x, False) * ember.tensor(np.arange(20.0).reshape(4, 5))).sum().backward()
    np.testing.assert_allclose(g_hard, to_numpy(x.grad), rtol=1e-12)  # straight-through
    assert ember.autograd.gradcheck(lambda t: fn(t, False), (x,))
    assert ember.autograd.gradgradcheck(lambda t: fn(t, False), (x,))


@pytest.mark.parametrize("case", ["pixel_shuffle", "conv3d", "grid_sample"])
def test_layers_split_over_threads_match_torch(case, monkeypatch):
    """The copies and kernels of pixel_shuffle, conv3d and grid_sample split over ember's threads (row_blocks,
    forced here on small inputs) give torch's values and gradients."""
    from ember import _threads

    monkeypatch.setattr(_threads, "_num_threads", 2)
    monkeypatch.setattr(_threads, "PARALLEL_MIN", 2)
    monkeypatch.setattr(_threads, "AFTER_BLAS_MIN", 2)
    rng = np.random.default_rng(5)
    if case == "pixel_shuffle":
        shapes = [(3, 8, 4, 5)]
        fe, ft = (lambda x: EF.pixel_shuffle(x, 2)), (lambda x: TF.pixel_shuffle(x, 2))
    elif case == "conv3d":
        shapes = [(2, 3, 4, 5, 6), (4, 3, 3, 2, 3), (4,)]
        fe, ft = (lambda x, w, b: EF.conv3d(x, w, b, padding=1)), (lambda x, w, b: TF.conv3d(x, w, b, padding=1))
    else:
        shapes = [(3, 2, 5, 6), (3, 4, 7, 2)]
        fe = lambda x, g: EF.grid_sample(x, g, "bilinear", "zeros", align_corners=False)  # noqa: E731
        ft = lambda x, g: TF.grid_sample(x, g, "bilinear", "zeros", align_corners=False)  # noqa: E731
    arrays = [rng.uniform(-1.2, 1.2, s).astype(np.float32) for s in shapes]
    te = [ember.tensor(a, requires_grad=True) for a in arrays]
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    ye, yt = fe(*te), ft(*tt)
    v = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    (ye * ember.tensor(v)).sum().backward()
    (yt * torch.tensor(v)).sum().backward()
    assert_close(ye, yt, rtol=1e-5, atol=1e-5)
    for a, b in zip(te, tt):
        assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-4)
