"""Complex tensors against torch: dtypes, creation, promotion, printing, the complex functions, arithmetic, torch's
gradient convention for complex inputs (grad = ∂L/∂x + i·∂L/∂y), gradcheck of real functions of complex graphs, and
torch's errors where it refuses complex input."""
from __future__ import annotations

import numpy as np
import pytest
from _oracle import assert_close, torch, raised

import ember
from ember.autograd import gradcheck, gradgradcheck


def _z(rng, shape, dtype=np.complex128):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def _both(lib_fn, *arrays, grad=True):
    """lib_fn(lib, *tensors) on ember and torch over copies of ``arrays``: (ember out, torch out, ember ins, torch ins)."""
    es = [ember.tensor(a, requires_grad=grad and a.dtype.kind in "fc") for a in arrays]
    ts = [torch.tensor(a, requires_grad=grad and a.dtype.kind in "fc") for a in arrays]
    return lib_fn(ember, *es), lib_fn(torch, *ts), es, ts


def _real_loss(lib, out):
    """A real loss of any output: Σ w·view_as_real(out) (complex) or Σ w·out (real), fixed weights w."""
    if out.is_complex():
        out = lib.view_as_real(out.resolve_conj() if lib is torch else out)
    w = np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape))
    return (out * lib.tensor(w, dtype=out.dtype)).sum()


# ---- dtypes -------------------------------------------------------------------------------------------------
def test_complex_dtypes_and_aliases_match_torch():
    assert ember.cfloat is ember.complex64 and ember.cdouble is ember.complex128
    for name in ("complex64", "complex128"):
        e, t = getattr(ember, name), getattr(torch, name)
        assert (e.is_complex, e.is_floating_point, e.is_signed, e.itemsize) == \
               (t.is_complex, t.is_floating_point, t.is_signed, t.itemsize)
        assert repr(e) == repr(t).replace("torch", "ember")


@pytest.mark.parametrize("data", [[1 + 2j, 3 - 1j], 2j, [[1.5, 2], [3j, 4]], [1, 2j, True]])
@pytest.mark.parametrize("dtype", [None, "complex64", "complex128"])
def test_tensors_from_complex_data_have_torch_s_dtype_values_and_repr(data, dtype):
    e = ember.tensor(data, dtype=getattr(ember, dtype) if dtype else None)
    t = torch.tensor(data, dtype=getattr(torch, dtype) if dtype else None)
    assert_close(e, t)
    assert repr(e) == repr(t).replace("torch.", "ember.")
    assert e.is_complex() and ember.is_complex(e) and not e.is_floating_point()


def test_creation_functions_take_complex_dtypes(rng):
    for d in ("complex64", "complex128"):
        assert_close(ember.zeros(2, 3, dtype=getattr(ember, d)), torch.zeros(2, 3, dtype=getattr(torch, d)))
        assert_close(ember.ones(2, dtype=getattr(ember, d)), torch.ones(2, dtype=getattr(torch, d)))
        assert ember.randn(3, dtype=getattr(ember, d)).dtype is getattr(ember, d)
    assert_close(ember.full((2,), 1 - 2j), torch.full((2,), 1 - 2j))
    big = ember.randn(40000, dtype=ember.complex128)  # each part N(0, 1/2), as torch: E|z|² = 1
    assert abs(float((big.abs() ** 2).mean()) - 1) < 0.05 and abs(float(big.real.var()) - 0.5) < 0.03
    x = rng.standard_normal(4).astype(np.float32)
    assert_close(ember.tensor(x).cfloat(), torch.tensor(x).cfloat())
    assert_close(ember.tensor(x).cdouble(), torch.tensor(x).cdouble())
    assert_close(ember.tensor(x).to(ember.complex64), torch.tensor(x).to(torch.complex64))


def test_a_complex_to_real_cast_keeps_the_real_part_and_warns_as_torch():
    z = [1 + 2j, -3 - 1j]
    with pytest.warns(UserWarning, match="Casting complex values to real discards the imaginary part"):
        e = ember.tensor(z).float()
    assert_close(e, torch.tensor(z).real)


_PROMOTION_OPERANDS = [("complex64", 1), ("complex128", 1), ("complex64", 0), ("complex128", 0), ("float32", 1),
                       ("float64", 1), ("float64", 0), ("float32", 0), ("int64", 1), ("int64", 0), ("bool", 1)]
_SCALARS = [2, 2.5, 1j, True]


_PAIRS = [(a, b) for a in _PROMOTION_OPERANDS for b in _PROMOTION_OPERANDS + [("scalar", s) for s in _SCALARS]
          if "complex" in a[0] + b[0] or b == ("scalar", 1j)]  # (real pairs: tests/autograd)


@pytest.mark.parametrize("a, b", _PAIRS)
def test_type_promotion_with_complex_matches_torch(a, b):
    def make(lib, spec):
        name, dims = spec
        if name == "scalar":
            return dims
        return lib.ones((2,) * dims, dtype=getattr(lib, name))
    e, t = make(ember, a) + make(ember, b), make(torch, a) + make(torch, b)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert ember.promote_types(getattr(ember, a[0]), getattr(ember, b[0] if b[0] != "scalar" else a[0])) is getattr(
        ember, str(torch.promote_types(getattr(torch, a[0]), getattr(torch, b[0] if b[0] != "scalar" else a[0])))
        .split(".")[-1])


# ---- real, imag, conj and the views ---------------------------------------------------------------------------
def test_real_and_imag_are_views_as_in_torch(rng):
    z = _z(rng, (2, 3), np.complex64)
    e, t = ember.tensor(z), torch.tensor(z)
    assert_close(e.real, t.real)
    assert_close(e.imag, t.imag)
    assert_close(ember.real(e), torch.real(t))
    assert_close(ember.imag(e), torch.imag(t))
    e.real.mul_(2)
    t.real.mul_(2)
    e.imag[0, 1] = 7.0
    t.imag[0, 1] = 7.0
    assert_close(e, t)
    x = ember.tensor([1.0, 2.0])
    assert ember.real(x) is x  # (torch.real of a real tensor is the tensor itself)


def test_view_as_real_and_view_as_complex_share_memory_and_round_trip(rng):
    z = _z(rng, (3, 2), np.complex64)
    e, t = ember.tensor(z), torch.tensor(z)
    assert_close(ember.view_as_real(e), torch.view_as_real(t))
    r = ember.view_as_real(e)
    r[0, 1, 0] = 5.0
    assert e[0, 1].item() == complex(5.0, z[0, 1].imag)
    x = rng.standard_normal((4, 3, 2))
    assert_close(ember.view_as_complex(ember.tensor(x)), torch.view_as_complex(torch.tensor(x)))
    assert_close(ember.view_as_complex(ember.tensor(x)[::2]), torch.view_as_complex(torch.tensor(x)[::2]))


@pytest.mark.parametrize("case", [
    lambda L: L.imag(L.ones(2)),
    lambda L: L.view_as_real(L.ones(2)),
    lambda L: L.view_as_complex(L.ones(3)),
    lambda L: L.view_as_complex(L.ones(2, 2).t()),
    lambda L: L.view_as_complex(L.ones(2, 2, dtype=L.int64)),
    lambda L: L.complex(L.ones(2), L.ones(2, dtype=L.float64)),
    lambda L: L.complex(L.ones(2, dtype=L.int64), L.ones(2, dtype=L.int64)),
    lambda L: L.complex(L.ones(2), L.ones(3)),
    lambda L: L.polar(L.ones(2), L.ones(2, dtype=L.float64)),
    lambda L: L.ones(2, dtype=L.complex64) < L.ones(2, dtype=L.complex64),
    lambda L: L.ones(2, dtype=L.complex64) >= 1,
    lambda L: L.ones(2, dtype=L.complex64).max(),
    lambda L: L.ones(2, dtype=L.complex64).min(),
    lambda L: L.ones(2, dtype=L.complex64).max(0),
    lambda L: L.maximum(L.ones(2, dtype=L.complex64), L.ones(2, dtype=L.complex64)),
    lambda L: L.ones(2, dtype=L.complex64).clamp(0, 1),
    lambda L: L.ones(2, dtype=L.complex64).sign(),
    lambda L: L.ones(2, dtype=L.complex64, requires_grad=True).sum().backward(),
    # (#17, found by the fuzzer: numpy's errors or values instead of torch's refusals, torch's order of the checks)
    lambda L: L.ones(2, dtype=L.complex64).floor(),
    lambda L: L.ones(2, dtype=L.complex64).ceil(),
    lambda L: L.ones(2, dtype=L.complex64).trunc(),
    lambda L: L.ones(2, dtype=L.complex64).round(),
    lambda L: L.relu(L.ones(2, dtype=L.complex64)),
    lambda L: L.ones(2, dtype=L.complex64).amax(),
    lambda L: L.ones(2, dtype=L.complex64).amin(0),
    lambda L: L.ones(2, dtype=L.complex64).argmax(),
    lambda L: L.ones(2, dtype=L.complex64).argmin(0),
    lambda L: L.ones((), dtype=L.complex64).max(0),
    lambda L: L.ones(0, 2, dtype=L.complex64).max(),
    lambda L: L.ones(0, 2, dtype=L.complex64).max(0),
    lambda L: L.ones(2, 2, dtype=L.complex64).max(5),
    lambda L: L.ones(0, 2, dtype=L.complex64).amax(0),
    lambda L: L.ones(2, dtype=L.complex64).abs_(),
    lambda L: L.ones(2, dtype=L.complex64, requires_grad=True).abs_(),
    # (#17, found by the fuzzer: the autograd check of an empty result, clamp's number bounds, c10's conversion of a
    # complex number, the shapes checked before the dtype)
    lambda L: L.ones(0, 3, dtype=L.complex64, requires_grad=True).amax(1),
    lambda L: L.ones(2, 0, dtype=L.complex128, requires_grad=True).amin(0, keepdim=True),
    lambda L: L.ones(3).clamp(0.28 - 1.5j, 0),
    lambda L: L.ones(3, dtype=L.float64).clamp(max=1j),
    lambda L: L.ones(3).clone().clamp_(1j),
    lambda L: L.ones(3, dtype=L.int64).clamp(1 + 0j),
    lambda L: L.ones(3, dtype=L.int64).clone().clamp_(0, 1j),
    lambda L: L.ones(3).clamp_min(1 + 0j),
    lambda L: L.clamp_max(L.ones(3), 1j),
    lambda L: L.ones(3).clone().clamp_min_(1j),
    lambda L: L.ones(3, dtype=L.uint8).fill_(-2 + 0j),
    lambda L: L.ones(3, dtype=L.int64).fill_(1j),
    lambda L: L.ones(3).fill_(1j),
    lambda L: L.ones(3, dtype=L.uint8).fill_(300),
    lambda L: L.ones(3, dtype=L.float16).masked_fill_(L.ones(3, dtype=L.bool), 2 + 1j),
    lambda L: L.ones(3, dtype=L.uint8).masked_fill(L.ones(3, dtype=L.bool), -2 + 0j),
    lambda L: L.ones(2, dtype=L.complex128) < L.ones(4, dtype=L.complex64),
    lambda L: L.ones(2, dtype=L.int32).clamp_min_(L.ones(2, dtype=L.complex64, requires_grad=True)),
    lambda L: L.ones(2, dtype=L.bool).clamp_(max=L.ones((), dtype=L.complex64, requires_grad=True)),
], ids=["imag-of-real", "view_as_real-of-real", "view_as_complex-size", "view_as_complex-stride",
        "view_as_complex-int", "complex-dtypes", "complex-ints", "complex-shapes", "polar-dtypes", "lt", "ge-scalar",
        "max", "min", "max-dim", "maximum", "clamp", "sign", "backward-of-complex", "floor", "ceil", "trunc",
        "round", "relu", "amax", "amin-dim", "argmax", "argmin-dim", "max-0d", "max-empty", "max-empty-dim",
        "max-dim-out-of-range", "amax-empty-dim", "abs_", "abs_-of-a-leaf", "amax-empty-result-requiring-grad",
        "amin-empty-result-requiring-grad", "clamp-float-complex-bounds", "clamp-double-complex-max",
        "clamp_-float-complex", "clamp-int-complex-bound", "clamp_-int-complex-bound", "clamp_min-complex",
        "clamp_max-complex", "clamp_min_-complex", "fill_-uint8-negative-complex", "fill_-int-complex",
        "fill_-float-complex", "fill_-uint8-overflow", "masked_fill_-half-complex", "masked_fill-uint8-complex",
        "lt-shapes-first", "clamp_min_-complex-bound-requiring-grad", "clamp_-bool-complex-bound-requiring-grad"])
def test_complex_errors_match_torch(case):
    want, got = raised(lambda: case(torch)), raised(lambda: case(ember))
    assert isinstance(want, Exception) and isinstance(got, type(want)), (got, want)
    assert str(got).replace("ember.", "torch.") == str(want)  # (dtype reprs name their library)


def test_conj_resolve_and_predicates(rng):
    z = _z(rng, (4,), np.complex64)
    e, t = ember.tensor(z), torch.tensor(z)
    for name in ("conj", "conj_physical", "resolve_conj", "resolve_neg"):
        assert_close(getattr(ember, name)(e), getattr(torch, name)(t))
        assert_close(getattr(e, name)(), getattr(t, name)())
    assert_close(e.H if e.dim() == 2 else e.reshape(2, 2).H, t.reshape(2, 2).H)
    assert_close(e.reshape(2, 2).mH, t.reshape(2, 2).mH)
    x = ember.ones(2)
    assert ember.conj(x) is x and not ember.is_conj(e.conj())  # (ember conjugates at once: never a lazy conj bit)


# ---- functions and arithmetic: values and gradients against torch --------------------------------------------------
_UNARY = {
    "abs": lambda L, z: z.abs(),
    "angle": lambda L, z: z.angle(),
    "sgn": lambda L, z: z.sgn(),
    "conj": lambda L, z: L.conj(z) * z[0],
    "real": lambda L, z: L.real(z * z),
    "imag": lambda L, z: L.imag(z * z),
    "exp": lambda L, z: z.exp(),
    "log": lambda L, z: z.log(),
    "sqrt": lambda L, z: z.sqrt(),
    "reciprocal": lambda L, z: z.reciprocal(),
    "pow-2": lambda L, z: z ** 2,
    "pow-3": lambda L, z: z ** 3,
    "neg-sub": lambda L, z: 1 - (-z),
    "div": lambda L, z: z / (z[0] + 2) + 1 / z,
    "scalar-ops": lambda L, z: (z * 2.5j + 1j) / (1 - 2j),
    "sum-mean": lambda L, z: z.sum(0) * z.mean(),
    "abs-squared": lambda L, z: z.abs() ** 2,
    "view_as_real": lambda L, z: L.view_as_real(z * z),
    "cast": lambda L, z: z.cdouble() * z.cfloat().cdouble(),
    "mul-real": lambda L, z: z * z.real,
    # (#17, found by the fuzzer: these backwards lacked the conjugate of the derivative, sigmoid's forward was real)
    "sin-cos": lambda L, z: z.sin() * z.cos(),
    "tanh": lambda L, z: z.tanh(),
    "sigmoid": lambda L, z: z.sigmoid(),
    "rsqrt": lambda L, z: z.rsqrt(),
    "prod": lambda L, z: z.prod(0) * z.prod(),
    "pow-tensor": lambda L, z: z ** z.flip(0),
    "rpow-complex-and-negative-base": lambda L, z: (1.5 - 2j) ** z + (-2) ** z,
    "var-std-norm": lambda L, z: z.var(0).sum() + z.std() + z.norm(dim=1).sum() + z.var(1, correction=0).sum(),
}


@pytest.mark.parametrize("name", sorted(_UNARY))
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_functions_match_torch_in_values_and_gradients(name, dtype, rng):
    z = _z(rng, (3, 4), dtype)
    oe, ot, (ze,), (zt,) = _both(_UNARY[name], z)
    assert_close(oe, ot)
    _real_loss(ember, oe).backward()
    _real_loss(torch, ot).backward()
    assert_close(ze.grad, zt.grad, rtol=1e-4 if dtype == np.complex64 else None)


def test_angle_of_real_and_integer_tensors_matches_torch():
    x = np.array([1.0, -2.0, 0.0, np.nan], np.float32)
    assert_close(ember.tensor(x).angle(), torch.tensor(x).angle())
    assert_close(ember.angle(ember.tensor([1, -2])), torch.angle(torch.tensor([1, -2])))
    e, t = ember.tensor(x[:3], requires_grad=True), torch.tensor(x[:3], requires_grad=True)
    e.angle().sum().backward()
    t.angle().sum().backward()
    assert_close(e.grad, t.grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_complex_and_polar_match_torch_with_gradients_to_their_real_parts(dtype, rng):
    a, b = rng.standard_normal((2, 3)).astype(dtype), rng.standard_normal((2, 3)).astype(dtype)
    for fn in (lambda L, x, y: L.complex(x, y) ** 2, lambda L, x, y: L.polar(x.abs(), y) * L.complex(y, x)):
        oe, ot, es, ts = _both(fn, a, b)
        assert_close(oe, ot)
        _real_loss(ember, oe).backward()
        _real_loss(torch, ot).backward()
        for e, t in zip(es, ts):
            assert_close(e.grad, t.grad, rtol=1e-4 if dtype == np.float32 else None)


@pytest.mark.parametrize("shapes", [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 5))])
def test_complex_matmul_matches_torch_with_gradients(shapes, rng):
    a, b = _z(rng, shapes[0]), _z(rng, shapes[1])
    oe, ot, es, ts = _both(lambda L, x, y: x @ y, a, b)
    assert_close(oe, ot)
    _real_loss(ember, oe).backward()
    _real_loss(torch, ot).backward()
    for e, t in zip(es, ts):
        assert_close(e.grad, t.grad)


def test_a_real_input_of_a_complex_graph_gets_the_real_part_of_the_gradient(rng):
    x, z = rng.standard_normal((3,)), _z(rng, (3,))
    oe, ot, es, ts = _both(lambda L, a, b: (a * b).exp().abs().sum(), x, z)
    oe.backward()
    ot.backward()
    assert es[0].grad.dtype is ember.float64
    for e, t in zip(es, ts):
        assert_close(e.grad, t.grad)


# ---- gradcheck of real functions of complex graphs ---------------------------------------------------------------
_GRADCHECK = {
    "abs-angle": lambda x, y: ember.complex(x, y).abs() * ember.complex(y, x).angle(),
    "exp-log-sqrt": lambda x, y: ember.view_as_real((ember.complex(x, y).exp() + ember.complex(y, x).sqrt()).log()),
    "mul-div": lambda x, y: ember.view_as_real(ember.complex(x, y) * ember.complex(y, 1 + x * x) / ember.complex(x * x + 1, y)),
    "matmul": lambda x, y: ember.view_as_real(ember.complex(x, y) @ ember.complex(y, x).t()),
    "polar-conj": lambda x, y: ember.view_as_real(ember.polar(x * x + 1, y).conj() * ember.complex(x, y)).sum(0),
    "view_as_complex": lambda x, y: ember.view_as_complex(ember.stack([x, y], -1)).reciprocal().imag,
}


@pytest.mark.parametrize("name", sorted(_GRADCHECK))
def test_gradcheck_of_real_functions_of_complex_graphs(name, rng):
    x, y = (ember.tensor(rng.standard_normal((3, 4)) + 0.5, requires_grad=True) for _ in range(2))
    assert gradcheck(_GRADCHECK[name], (x, y))
    assert gradgradcheck(_GRADCHECK[name], (x, y))


def test_gradcheck_with_a_complex_leaf_through_its_real_view(rng):
    """A complex leaf, perturbed through view_as_real (gradcheck perturbs real inputs)."""
    zr = ember.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert gradcheck(lambda r: (ember.view_as_complex(r) ** 3).abs(), (zr,))


_COMPLEX_IN_OUT = {  # complex leaves, complex (or real) outputs: gradcheck perturbs Re and Im, seeds 1 and i
    "mul-exp": lambda z, w: (z * w).exp(),
    "reciprocal-conj": lambda z, w: z.reciprocal().conj() + w * w,
    "matmul": lambda z, w: z @ w.t(),
    "abs": lambda z, w: (z * w).abs(),
    "real-imag": lambda z, w: z.real * w.imag,
}


@pytest.mark.parametrize("name", sorted(_COMPLEX_IN_OUT))
def test_gradcheck_with_complex_leaves_and_outputs_agrees_with_torch(name, rng):
    z, w = (rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4)) + 0.5 for _ in range(2))
    fn = _COMPLEX_IN_OUT[name]
    ez, ew = (ember.tensor(a, requires_grad=True) for a in (z, w))
    tz, tw = (torch.tensor(a, requires_grad=True) for a in (z, w))
    assert gradcheck(fn, (ez, ew)) and torch.autograd.gradcheck(fn, (tz, tw))
    assert gradgradcheck(fn, (ez, ew)) and torch.autograd.gradgradcheck(fn, (tz, tw))


def test_gradcheck_fails_on_a_wrong_complex_gradient():
    """A planted conjugation error (the gradient of z·c with c instead of conj(c)) and a dropped imaginary part
    must both fail: a check that compared real parts only would pass the second."""

    def planted(backward):
        class Scale(ember.autograd.Function):
            @staticmethod
            def forward(ctx, z):
                return z * (2 + 3j)

            @staticmethod
            def backward(ctx, g):
                return backward(g)

        return Scale.apply

    z = ember.tensor(np.array([0.3 + 0.7j, -1.1 + 0.2j]), requires_grad=True)
    assert gradcheck(planted(lambda g: g * (2 - 3j)), (z,))
    for wrong in (lambda g: g * (2 + 3j), lambda g: (g * (2 - 3j)).real.to(ember.complex128)):
        with pytest.raises(RuntimeError, match="Jacobian mismatch"):
            gradcheck(planted(wrong), (z,))


# ---- complex linear algebra: linalg.eig, linalg.eigvals, linalg.solve -----------------------------------------------
def _by_eigenvalue(lam, *rest):
    """Sort eigenpairs by (real, imag) of the eigenvalue (their order is LAPACK's, which torch does not promise)."""
    order = np.lexsort((np.round(lam.imag, 6), np.round(lam.real, 6)), axis=-1)
    return [np.take_along_axis(a, order if a.ndim == lam.ndim else order[..., None, :], -1) for a in (lam, *rest)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (1, 1)])
def test_eig_and_eigvals_match_torch_up_to_order_and_phase(dtype, shape, rng):
    a = rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if np.dtype(dtype).kind == "c" else 0)
    a = a.astype(dtype)
    (le, ve), (lt, vt) = ember.linalg.eig(ember.tensor(a)), torch.linalg.eig(torch.tensor(a))
    assert le.dtype is getattr(ember, str(lt.dtype).split(".")[-1]) and ve.dtype is le.dtype
    tol = dict(rtol=1e-4, atol=1e-5) if dtype in (np.float32, np.complex64) else dict(rtol=1e-9, atol=1e-12)
    le_s, ve_s = _by_eigenvalue(le.numpy(), ve.numpy())
    lt_s, vt_s = _by_eigenvalue(lt.numpy(), vt.numpy())
    np.testing.assert_allclose(le_s, lt_s, **tol)
    np.testing.assert_allclose(np.abs(ve_s), np.abs(vt_s), **tol)  # (each column is unique up to a phase)
    np.testing.assert_allclose(ve.numpy() @ np.apply_along_axis(np.diag, -1, le.numpy()) @ np.linalg.inv(ve.numpy()),
                               a, **tol)
    np.testing.assert_allclose(_by_eigenvalue(ember.linalg.eigvals(ember.tensor(a)).numpy())[0], lt_s, **tol)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_eig_gradients_of_phase_invariant_losses_match_torch(dtype, rng):
    a = rng.standard_normal((2, 4, 4)) + (1j * rng.standard_normal((2, 4, 4)) if dtype == np.complex128 else 0)
    w = rng.standard_normal((2, 4, 4))

    def loss(lib, m):
        lam, v = lib.linalg.eig(m)
        return (lib.view_as_real(lam) ** 2).sum() + (v.abs() ** 2 * lib.tensor(w)).sum() + \
            lib.view_as_real(lib.linalg.eigvals(m).exp()).sum()
    oe, ot, (ae,), (at,) = _both(loss, a)
    oe.backward()
    ot.backward()
    assert_close(ae.grad, at.grad)


def test_eig_gradcheck_of_real_functions_of_the_eigenvalues(rng):
    a = ember.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    fn = lambda m: ember.view_as_real(ember.linalg.eigvals(m)) * ember.linalg.eig(m).eigenvectors.abs()[:, :2]  # noqa: E731
    assert gradcheck(fn, (a,))
    assert gradgradcheck(fn, (a,))


def test_complex_solve_matches_torch_with_gradients(rng):
    a, b = _z(rng, (2, 3, 3)), _z(rng, (2, 3, 2))
    oe, ot, es, ts = _both(lambda L, x, y: L.linalg.solve(x, y), a, b)
    assert_close(oe, ot)
    _real_loss(ember, oe).backward()
    _real_loss(torch, ot).backward()
    for e, t in zip(es, ts):
        assert_close(e.grad, t.grad)


@pytest.mark.parametrize("case", [
    lambda L: L.linalg.eig(L.ones(2, 3)),
    lambda L: L.linalg.eig(L.ones(2, 2, dtype=L.int64)),
    lambda L: L.linalg.eigvals(L.ones(3)),
    lambda L: L.linalg.eig(L.ones(2, 2, dtype=L.float16)),
], ids=["not-square", "integer", "vector", "half"])
def test_eig_errors_match_torch(case):
    want, got = raised(lambda: case(torch)), raised(lambda: case(ember))
    assert isinstance(want, Exception) and isinstance(got, type(want)), (got, want)
    assert str(got).replace("ember.", "torch.") == str(want)  # (dtype reprs name their library)


# ---- checkpoints --------------------------------------------------------------------------------------------------
def test_complex_tensors_round_trip_through_torch_s_format_and_safetensors(tmp_path, rng):
    z64, z128 = _z(rng, (2, 3), np.complex64), _z(rng, (4,))
    ember.save({"a": ember.tensor(z64), "b": ember.tensor(z128)}, tmp_path / "e.pt")
    got = torch.load(tmp_path / "e.pt")
    assert_close(ember.tensor(z64), got["a"])
    assert_close(ember.tensor(z128), got["b"])
    torch.save({"a": torch.tensor(z64), "b": torch.tensor(z128)}, tmp_path / "t.pt")
    back = ember.load(tmp_path / "t.pt")
    assert_close(back["a"], torch.tensor(z64))
    assert_close(back["b"], torch.tensor(z128))
    ember.save({"a": ember.tensor(z64)}, tmp_path / "e.safetensors")
    assert_close(ember.load(tmp_path / "e.safetensors")["a"], torch.tensor(z64))
    with pytest.raises(TypeError, match="safetensors cannot store arrays of dtype complex128"):
        ember.save({"b": ember.tensor(z128)}, tmp_path / "f.safetensors")


def test_a_complex_to_integer_cast_keeps_the_real_part_and_warns_as_torch():
    """torch warns when a cast to an integer dtype drops the imaginary part, and not for bool (z != 0 reads both
    parts). (torch warns once per process unless set_warn_always.)"""
    import warnings

    z = np.array([3.7 - 2j, -2.5 + 1j, 300.2j, 0j], np.complex64)
    always = torch.is_warn_always_enabled()
    torch.set_warn_always(True)
    try:
        for name in ("int64", "int32", "uint8", "bool"):  # (#17: ember warned NumPy's ComplexWarning)
            results = []
            for lib in (ember, torch):
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    values = lib.tensor(z).to(getattr(lib, name)).tolist()
                results.append((values, [str(w.message).startswith("Casting complex values to real discards the "
                                                                   "imaginary part") for w in caught]))
            assert results[0] == results[1], name
            assert results[0][1] == ([] if name == "bool" else [True]), name
    finally:
        torch.set_warn_always(always)


def test_the_backward_of_a_division_by_complex_zero_is_nan_without_a_warning_as_torch():
    import warnings

    z = np.array([1 + 2j, 0j], np.complex64)
    oe, ot, (ze,), (zt,) = _both(lambda L, t: t / (t * 0), z)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (#17: NumPy's "invalid value encountered in multiply")
        ember.view_as_real(oe).sum().backward()
    torch.view_as_real(ot).sum().backward()
    assert_close(ze.grad, zt.grad)


@pytest.mark.parametrize("case", [
    lambda L: L.ones(0, 3, dtype=L.complex64).amax(1),
    lambda L: L.ones(2, 0, dtype=L.complex128).amin(0, keepdim=True),
    lambda L: L.tensor([-3.3, 1.6, 0.5]).clamp(1 + 0j),
    lambda L: L.tensor([-3.3, 1.6, 0.5]).clone().clamp_(0, 1 + 0j),
    lambda L: L.tensor([1, 2]).fill_(-2 + 0j),
    lambda L: L.tensor([1, 2], dtype=L.uint8).fill_(-2),
    lambda L: L.tensor([1, 2], dtype=L.uint8).fill_(1.5 + 0j),
    lambda L: L.tensor([1, 2], dtype=L.uint8).masked_fill_(L.tensor([True, False]), 2 + 0j),
    lambda L: L.tensor([-3.3, 1.6]).masked_fill(L.tensor([True, False]), 1 + 0j),
    lambda L: L.tensor([True]).fill_(1j),
], ids=["amax-empty", "amin-empty", "clamp-real-complex", "clamp_-real-complex", "fill_-int-real-complex",
        "fill_-uint8-wraps", "fill_-uint8-complex-truncates", "masked_fill_-uint8-complex", "masked_fill-real-complex",
        "fill_-bool-complex"])
def test_complex_numbers_with_a_zero_imaginary_part_convert_as_torch(case):  # (#17, found by the fuzzer)
    assert_close(case(ember), case(torch))


_ZERO_BASES = {
    "0j**real": lambda L, x: 0j ** x,
    "0j**bool": lambda L, x: 0j ** (x > 0),
    "int**complex-tensor": lambda L, x: L.tensor([0, 2, 0]) ** (x * (1 + 1j)),
    "zero-complex**complex-tensor": lambda L, x: (x * 0).to(L.complex128) ** L.tensor([0j, 1 + 0j, 1j]),
    "zero-complex**numbers": lambda L, x: [(x * 0).to(L.complex64) ** e for e in (-2 + 0j, -1.2, 1j, 0, 0j, 2.5)],
    "pow_-complex": lambda L, x: (x * 0).to(L.complex128).pow_(L.tensor([0j, -1 + 0j, 1j])),
    "pow_-complex-number-0": lambda L, x: (x * 0).to(L.complex128).pow_(0),
}


@pytest.mark.parametrize("name", list(_ZERO_BASES))
def test_complex_powers_at_zero_bases_match_torch_in_values_and_gradients(name):
    """torch's complex power is exp(b·log a): at a = 0 it is nan for b = 0 and inf+nanj for Re b < 0 (NumPy: 1 and
    nan), and its exponent gradient at a = 0 is 0 only for a real b ≥ 0 (#17, found by the fuzzer)."""
    x = np.array([-1.25, 1.5, 0.0])
    oe, ot, (xe,), (xt,) = _both(lambda L, t: _ZERO_BASES[name](L, t), x)
    outs_e, outs_t = (oe, ot) if isinstance(oe, list) else ([oe], [ot])
    for e, t in zip(outs_e, outs_t):
        assert_close(ember.view_as_real(e), torch.view_as_real(t))  # (inf and nan told apart, part by part)
    if ot.requires_grad if not isinstance(ot, list) else False:
        _real_loss(ember, oe).backward()
        _real_loss(torch, ot).backward()
        assert_close(xe.grad, xt.grad)


@pytest.mark.parametrize("e", [0.32 - 1.5j, -2 + 0j, 1j, 2 + 0j])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_a_tensor_to_a_complex_number_has_torch_s_gradient(e, dtype, rng):  # (#17: TypeError float() of complex)
    x = (rng.standard_normal(4) + (1j * rng.standard_normal(4) if dtype == np.complex128 else 0)).astype(dtype)
    oe, ot, (xe,), (xt,) = _both(lambda L, t: t ** e, x)
    assert_close(oe, ot)
    _real_loss(ember, oe).backward()
    _real_loss(torch, ot).backward()
    assert_close(xe.grad, xt.grad)
    assert gradcheck(lambda t: ember.view_as_real(t ** e), (ember.tensor(x, requires_grad=True),))
