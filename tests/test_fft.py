"""ember.fft against torch.fft: values, dtypes and shapes for every transform over its n/s, dim and norm options,
gradients of real losses (real-input rfft/irfft and the Hermitian transforms included), float64 gradcheck and
gradgradcheck, fftfreq/rfftfreq/fftshift/ifftshift, and torch's errors."""
from __future__ import annotations

import numpy as np
import pytest
from _oracle import assert_close, torch

import ember
from ember.autograd import gradcheck, gradgradcheck

_ONE_DIM = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
_MANY_DIMS = ["fft2", "ifft2", "fftn", "ifftn", "rfft2", "irfft2", "rfftn", "irfftn", "hfft2", "ihfft2", "hfftn",
              "ihfftn"]
_REAL_ONLY = ("rfft", "ihfft")  # (prefixes of the transforms that refuse complex input)

_ONE_DIM_OPTIONS = [{}, {"n": 4}, {"n": 9}, {"n": 5, "dim": 0, "norm": "ortho"}, {"norm": "forward"},
                    {"n": 3, "norm": "forward"}, {"dim": -2, "norm": "backward"}]
_MANY_DIMS_OPTIONS = [{}, {"s": (3, 8)}, {"s": (5, -1), "norm": "ortho"}, {"dim": (1, 0), "norm": "forward"},
                      {"s": (7,), "dim": (0,)}, {"s": (3, 3), "dim": (1, 0)}, {"dim": -1}]


def _input(rng, complex_, dtype):
    x = rng.standard_normal((4, 6)) + (1j * rng.standard_normal((4, 6)) if complex_ else 0)
    return x.astype(dtype if not complex_ else np.result_type(dtype, np.complex64))


def _real_loss(lib, out):
    """Σ w·view_as_real(out) (complex) or Σ w·out (real), fixed weights w."""
    if out.is_complex():
        out = lib.view_as_real(out.resolve_conj() if lib is torch else out)
    w = np.linspace(-1.0, 2.0, out.numel()).reshape(tuple(out.shape))
    return (out * lib.tensor(w, dtype=out.dtype)).sum()


def _check(name, options, complex_, dtype, rng):
    x = _input(rng, complex_, dtype)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    oe, ot = getattr(ember.fft, name)(xe, **options), getattr(torch.fft, name)(xt, **options)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else {}
    assert_close(oe, ot, **tol)
    _real_loss(ember, oe).backward()
    _real_loss(torch, ot).backward()
    assert_close(xe.grad, xt.grad, **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("options", _ONE_DIM_OPTIONS, ids=str)
@pytest.mark.parametrize("name", _ONE_DIM)
def test_one_dimensional_transforms_match_torch_in_values_dtypes_and_gradients(name, options, complex_, dtype, rng):
    if complex_ and name.startswith(_REAL_ONLY):
        name = {"rfft": "fft", "ihfft": "ifft"}[name]  # (complex input: the complex transform of the same direction)
    _check(name, options, complex_, dtype, rng)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("options", _MANY_DIMS_OPTIONS, ids=str)
@pytest.mark.parametrize("name", _MANY_DIMS)
def test_n_dimensional_transforms_match_torch_in_values_dtypes_and_gradients(name, options, complex_, dtype, rng):
    if complex_ and name.startswith(_REAL_ONLY):
        name = "fftn" if name.startswith("rfft") else "ifftn"
    _check(name, options, complex_, dtype, rng)


@pytest.mark.parametrize("name", _ONE_DIM + _MANY_DIMS)
def test_integer_and_bool_inputs_are_promoted_as_torch(name):
    for data in ([[1, 2, 3, 4], [0, -1, 5, 2]], [[True, False, True, True], [False, False, True, False]]):
        assert_close(getattr(ember.fft, name)(ember.tensor(data)), getattr(torch.fft, name)(torch.tensor(data)))


def test_a_three_dimensional_input_over_chosen_dims(rng):
    x = rng.standard_normal((3, 4, 5))
    for name, kw in (("fftn", {"dim": (0, 2)}), ("rfftn", {"dim": (2, 0), "s": (6, 2)}), ("irfftn", {"dim": (0, 1)}),
                     ("hfftn", {"s": (3, 4, 7)}), ("ihfftn", {}), ("fft2", {"dim": (0, -1), "norm": "ortho"})):
        _check_3d(name, kw, x)


def _check_3d(name, kw, x):
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    oe, ot = getattr(ember.fft, name)(xe, **kw), getattr(torch.fft, name)(xt, **kw)
    assert_close(oe, ot)
    _real_loss(ember, oe).backward()
    _real_loss(torch, ot).backward()
    assert_close(xe.grad, xt.grad)


def test_fft_of_a_zero_dim_tensor_over_no_dims_is_the_complex_input():
    assert_close(ember.fft.fftn(ember.tensor(2.0)), torch.fft.fftn(torch.tensor(2.0)))


def test_out_argument_as_torch(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    out = ember.empty(0, dtype=ember.complex64)
    res = ember.fft.fft(ember.tensor(x), out=out)
    assert res is out
    assert_close(out, torch.fft.fft(torch.tensor(x)))
    out = ember.empty(0)
    ember.fft.irfft(ember.tensor(x), out=out)
    assert_close(out, torch.fft.irfft(torch.tensor(x)))


# ---- gradcheck (float64) of real functions of the transforms -----------------------------------------------------
_GRADCHECK = {
    "fft": lambda x: ember.view_as_real(ember.fft.fft(x, n=5)),
    "ifft-ortho": lambda x: ember.view_as_real(ember.fft.ifft(ember.complex(x, x * x), dim=0, norm="ortho")),
    "fft2-crop": lambda x: ember.view_as_real(ember.fft.fft2(x, s=(2, 3))),
    "ifftn-forward": lambda x: ember.view_as_real(ember.fft.ifftn(x, norm="forward")),
    "rfft": lambda x: ember.view_as_real(ember.fft.rfft(x)),
    "rfft-pad": lambda x: ember.view_as_real(ember.fft.rfft(x, n=7, norm="ortho")),
    "rfftn": lambda x: ember.view_as_real(ember.fft.rfftn(x, s=(4, 5))),
    "rfftn-last-only": lambda x: ember.view_as_real(ember.fft.rfftn(x, s=(3,))),
    "irfft": lambda x: ember.fft.irfft(ember.complex(x, x.sin())),
    "irfft-odd": lambda x: ember.fft.irfft(ember.complex(x, x.cos()), n=5, norm="forward"),
    "irfft2": lambda x: ember.fft.irfft2(ember.complex(x, 2 * x)),
    "irfftn-s": lambda x: ember.fft.irfftn(ember.complex(x, x.exp()), s=(2, 3), norm="ortho"),
    "hfft": lambda x: ember.fft.hfft(ember.complex(x, -x)),
    "hfftn": lambda x: ember.fft.hfftn(ember.complex(x, x * x), s=(3, 5)),
    "ihfft": lambda x: ember.view_as_real(ember.fft.ihfft(x, n=6)),
    "ihfft2": lambda x: ember.view_as_real(ember.fft.ihfft2(x, norm="ortho")),
    "fftshift": lambda x: ember.fft.fftshift(x * x, dim=1) + ember.fft.ifftshift(x),
}


@pytest.mark.parametrize("name", sorted(_GRADCHECK))
def test_gradcheck_and_gradgradcheck_of_the_transforms(name, rng):
    x = ember.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    fn = _GRADCHECK[name]
    assert gradcheck(fn, (x,))
    assert gradgradcheck(lambda a: fn(a) ** 2, (x,))


def test_the_gradient_of_a_loss_of_fft_matches_torch(rng):
    """The issue's example: torch.view_as_real(fft(x)).pow(2).sum() for real and complex x."""
    for x in (rng.standard_normal((5, 8)), _input(rng, True, np.float64)):
        xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ember.view_as_real(ember.fft.fft(xe)).pow(2).sum().backward()
        torch.view_as_real(torch.fft.fft(xt)).pow(2).sum().backward()
        assert_close(xe.grad, xt.grad)


# ---- frequencies and shifts ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [0, 1, 4, 5, 10])
@pytest.mark.parametrize("d", [1.0, 0.25, 3])
def test_fftfreq_and_rfftfreq_match_torch(n, d):
    for name in ("fftfreq", "rfftfreq"):
        for dtype in (None, "float64"):
            kw = {} if dtype is None else {"dtype": getattr(ember, dtype)}
            tkw = {} if dtype is None else {"dtype": getattr(torch, dtype)}
            assert_close(getattr(ember.fft, name)(n, d, **kw), getattr(torch.fft, name)(n, d, **tkw))
    e, t = ember.fft.fftfreq(3, requires_grad=True), torch.fft.fftfreq(3, requires_grad=True)
    assert e.requires_grad and t.requires_grad


@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0,), (1, 0)])
def test_fftshift_and_ifftshift_match_torch(dim):
    for shape in ((2, 5), (3, 4)):
        x = np.arange(int(np.prod(shape))).reshape(shape)
        for name in ("fftshift", "ifftshift"):
            assert_close(getattr(ember.fft, name)(ember.tensor(x), dim=dim),
                         getattr(torch.fft, name)(torch.tensor(x), dim=dim))
    assert_close(ember.fft.ifftshift(ember.fft.fftshift(ember.arange(7))), torch.arange(7))


# ---- errors --------------------------------------------------------------------------------------------------
_C = lambda L: L.ones(3, 4, dtype=L.complex64)  # noqa: E731
_R = lambda L: L.ones(3, 4)  # noqa: E731
_ERRORS = {
    "bad-norm": lambda L: L.fft.fft(_C(L), norm="bad"),
    "norm-not-str": lambda L: L.fft.fft(_R(L), norm=5),
    "n-zero": lambda L: L.fft.fft(_C(L), n=0),
    "n-negative": lambda L: L.fft.irfft(_C(L), n=-1),
    "n-float": lambda L: L.fft.fft(_R(L), n=2.5),
    "dim-tuple": lambda L: L.fft.fft(_R(L), dim=(0,)),
    "dim-out-of-range": lambda L: L.fft.fft(_C(L), dim=3),
    "0-d": lambda L: L.fft.fft(L.tensor(1.0)),
    "fft2-0-d": lambda L: L.fft.fft2(L.tensor(1.0)),
    "fft2-1-d": lambda L: L.fft.fft2(L.ones(3)),
    "rfftn-0-d": lambda L: L.fft.rfftn(L.tensor(1.0)),
    "irfftn-0-d": lambda L: L.fft.irfftn(L.tensor(1.0 + 0j)),
    "rfft-complex": lambda L: L.fft.rfft(_C(L)),
    "rfft2-complex": lambda L: L.fft.rfft2(_C(L)),
    "rfftn-complex": lambda L: L.fft.rfftn(_C(L)),
    "ihfft-complex": lambda L: L.fft.ihfft(_C(L)),
    "ihfftn-complex": lambda L: L.fft.ihfftn(_C(L)),
    "half": lambda L: L.fft.fft(L.ones(2, dtype=L.float16)),
    "rfft-half": lambda L: L.fft.rfft(L.ones(2, dtype=L.float16)),
    "s-too-long": lambda L: L.fft.fftn(_R(L), s=(2, 2, 2)),
    "s-dim-lengths": lambda L: L.fft.fftn(_R(L), s=(2,), dim=(0, 1)),
    "fft2-s-short": lambda L: L.fft.fft2(_R(L), s=(4,)),
    "s-bad-size": lambda L: L.fft.fftn(_R(L), s=(-2, 2)),
    "s-zero": lambda L: L.fft.fftn(_R(L), s=(0, 2)),
    "dims-repeated": lambda L: L.fft.fftn(_R(L), dim=(1, -1)),
    "dims-out-of-range": lambda L: L.fft.fftn(_R(L), dim=(0, 2)),
    "irfft-one-bin": lambda L: L.fft.irfft(L.ones(1, dtype=L.complex64)),
    "hfft-one-bin": lambda L: L.fft.hfft(L.ones(1, dtype=L.complex64)),
    "out-dtype": lambda L: L.fft.fft(_R(L), out=L.empty(0)),
    "out-real-dtype": lambda L: L.fft.irfft(_C(L), out=L.empty(0, dtype=L.complex64)),
    "out-with-grad": lambda L: L.fft.fft(L.ones(3, requires_grad=True), out=L.empty(0, dtype=L.complex64)),
    "fftfreq-negative": lambda L: L.fft.fftfreq(-1),
    "fftfreq-int-dtype": lambda L: L.fft.fftfreq(4, dtype=L.int64),
    "fftfreq-complex-dtype": lambda L: L.fft.fftfreq(4, dtype=L.complex64),
    "fftfreq-float-n": lambda L: L.fft.fftfreq(2.5),
    "fftshift-dim": lambda L: L.fft.fftshift(L.ones(3), dim=5),
}


@pytest.mark.parametrize("name", sorted(_ERRORS))
def test_errors_match_torch(name):
    with pytest.raises(Exception) as te:
        _ERRORS[name](torch)
    with pytest.raises(type(te.value)) as ee:
        _ERRORS[name](ember)
    assert str(ee.value) == str(te.value)
