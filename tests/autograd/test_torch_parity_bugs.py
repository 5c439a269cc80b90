"""Bugs found by the differential fuzzer (tests/fuzz) and issue #17, each pinned against torch."""
import re

import warnings

import numpy as np
import pytest

from _oracle import assert_close, torch

import ember


@pytest.mark.parametrize("expr", [lambda t: 0 + t, lambda t: t * 1, lambda t: 0.5 + t, lambda t: t.exp(), lambda t: -t])
def test_an_op_on_a_0d_tensor_keeps_a_0d_array(expr):
    out = expr(ember.tensor(2.0))
    assert isinstance(out._data, np.ndarray) and out.shape == ()


def test_accumulating_a_count_into_a_python_int():
    pred, y = ember.tensor([1, 0, 2]), ember.tensor([1, 1, 2])
    tp, ty = torch.tensor([1, 0, 2]), torch.tensor([1, 1, 2])
    correct, expected = 0, 0
    for _ in range(3):
        correct += (pred == y).sum()
        expected += (tp == ty).sum()
    assert_close(correct, expected)


def _grads(module, fn, *arrays):
    xs = [module.tensor(a, requires_grad=True) for a in arrays]
    fn(*xs).sum().backward()
    return [x.grad for x in xs]


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_std_of_a_constant_has_zero_gradient(dim):
    a = np.full((3, 2), 1.5, np.float32)
    fn = (lambda x: x.std()) if dim is None else (lambda x: x.std(dim))
    assert_close(_grads(ember, fn, a)[0], _grads(torch, fn, a)[0])


def test_pow_at_zero_to_the_zero_has_torch_gradients_and_no_warning(recwarn):
    a, b = np.array([0.0, 0.0, 2.0, 0.0], np.float32), np.array([0.0, 2.0, 0.0, -1.0], np.float32)
    for e, t in zip(_grads(ember, lambda x, y: x**y, a, b), _grads(torch, lambda x, y: x**y, a, b)):
        assert_close(e, t)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def _differences(fn, *arrays, grad=True):
    """fn on ember and on torch: how they differ in values, dtypes and (for float inputs) gradients of the sum
    (``assert_close``'s messages; empty when they agree)."""
    found = []

    def compare(actual, expected):
        try:
            assert_close(actual, expected)
        except AssertionError as err:
            found.append(str(err))

    es = [ember.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    ts = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    e, t = fn(es), fn(ts)
    compare(e, t)
    if grad and t.requires_grad:
        (e * 1.5).sum().backward()
        (t * 1.5).sum().backward()
        for a, b in zip(es, ts):
            compare(a.grad, b.grad)
    return found


@pytest.mark.parametrize("fn", [lambda x: x[0].cumsum(0), lambda x: x[0].cumsum(-1), lambda x: x[0].prod(0),
                                lambda x: x[0].prod(-1, keepdim=True), lambda x: x[0].prod()])
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_cumsum_and_prod_of_a_0d_tensor(fn, dtype):
    assert not _differences(fn, np.array(3).astype(dtype))


@pytest.mark.parametrize("args", [(-1,), (1,), (0, 1), (0,), (1, 2)])
def test_flatten_with_an_empty_dim(args):
    assert not _differences(lambda x: x[0].flatten(*args), np.zeros((0, 3, 3), np.float32))
    assert not _differences(lambda x: x[0].flatten(*args), np.zeros((2, 0, 3), np.float32))


@pytest.mark.parametrize("fn", [lambda x: x[0].softmax(1), lambda x: x[0].log_softmax(1), lambda x: x[0].softmax(0),
                                lambda x: x[0].logsumexp(1), lambda x: x[0].logsumexp(0),
                                lambda x: x[0].logsumexp((0, 1), keepdim=True)])
def test_softmax_and_logsumexp_over_an_empty_dim(fn, recwarn):
    assert not _differences(fn, np.zeros((3, 0), np.float32))
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def _error_differences(fn, *arrays):
    """fn raises on torch; how ember's exception differs from torch's in class and message (empty: none)."""
    with pytest.raises(Exception) as t:
        fn([torch.tensor(a) for a in arrays])
    return _unlike(t.value, lambda: fn([ember.tensor(a) for a in arrays]), exact_class=True)


def _unlike(expected, call, exact_class):
    """How the exception ``call()`` raises differs from ``expected`` (its class, or a subclass unless
    ``exact_class``, and its message)."""
    try:
        call()
    except Exception as err:
        same_class = type(err) is type(expected) if exact_class else isinstance(err, type(expected))
        return ([] if same_class else [f"class {type(err).__name__}, torch {type(expected).__name__}"]) + (
            [] if str(err) == str(expected) else [f"message {str(err)!r}, torch {str(expected)!r}"])
    return [f"ember raised nothing; torch raised {type(expected).__name__}: {expected}"]


@pytest.mark.parametrize("sa, sb", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 2)),
                                    ((2, 2, 3), (3, 2)), ((2, 2, 3), (2, 3, 2))])
@pytest.mark.parametrize("db", ["float64", "int64", "bool"])
def test_matmul_of_two_dtypes_raises(sa, sb, db):
    assert not _error_differences(lambda x: x[0] @ x[1], np.ones(sa, np.float32), np.ones(sb, db))


def test_outer_takes_vectors():
    assert not _error_differences(lambda x: x[0].outer(x[1]), np.ones((2, 1), np.float32), np.ones(2, np.float32))
    assert not _error_differences(lambda x: x[0].outer(x[1]), np.ones(2, np.float32), np.ones((1, 2), np.float32))


_F = "torch.nn.functional"


@pytest.mark.parametrize("expr", [
    "x.abs()", "x.relu()", "-x", "x.argmax()", "x.argmin(0)", "x.floor()", "x.ceil()", "x.round()", "x.trunc()",
    "x.std()", "x.var(0)", "x.norm()", "x.softmax(0)", "x.log_softmax(0)", "x.unsqueeze(0).softmax(0)",
    "M.nn.functional.softmax(x, 0)", "M.nn.functional.leaky_relu(x)", "M.nn.functional.elu(x)",
    "M.nn.functional.gelu(x)", "M.nn.functional.silu(x)", "M.nn.functional.mish(x)",
    "M.nn.functional.logsigmoid(x)", "M.nn.functional.softplus(x)", "M.nn.functional.hardtanh(x)",
    "M.nn.functional.relu6(x)",
])
@pytest.mark.parametrize("dtype", ["bool", "int64", "int32"])
def test_ops_that_torch_refuses_for_bool_or_integer_inputs(expr, dtype):
    a = np.array([1, 0, 1]).astype(dtype)
    try:
        expected = eval(expr, {"M": torch, "x": torch.tensor(a)})
    except Exception:
        assert not _error_differences(lambda x: eval(expr, {"M": torch if isinstance(x[0], torch.Tensor) else ember, "x": x[0]}), a)
        return
    assert_close(eval(expr, {"M": ember, "x": ember.tensor(a)}), expected)


@pytest.mark.parametrize("dtype", ["bool", "int64", "int32"])
def test_sign_and_logsumexp_of_bool_and_integers(dtype):
    a = np.array([1, 0, 1]).astype(dtype)
    assert not _differences(lambda x: x[0].sign(), a)
    assert not _differences(lambda x: x[0].logsumexp(0), a)


@pytest.mark.parametrize("expr", ["x // y", "x % y", "x.remainder(y)", "x.floor_divide(y)", "x // 0", "x % 0",
                                  "5 % y", "5 // y", "x % False"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "float32"])
def test_floor_division_and_remainder_by_zero(expr, dtype, recwarn):
    a, b = np.array([3, -4, 0]).astype(dtype), np.array([2, 0, 1]).astype(dtype)
    try:
        expected = eval(expr, {"x": torch.tensor(a), "y": torch.tensor(b)})
    except Exception:
        assert not _error_differences(lambda t: eval(expr, {"x": t[0], "y": t[1]}), a, b)
        return
    assert_close(eval(expr, {"x": ember.tensor(a), "y": ember.tensor(b)}), expected)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_remainder_has_torch_gradients():
    a, b = np.array([5.0, -5.0, 5.5, 0.0], np.float32), np.array([3.0, 3.0, -2.0, 2.0], np.float32)
    assert not _differences(lambda x: x[0] % x[1], a, b)
    assert not _differences(lambda x: x[0].remainder(1.5), a)


@pytest.mark.parametrize("expr", ["x // y", "7 % x", "7 // x"])
def test_floor_divide_and_a_number_mod_a_tensor_have_no_derivative(expr):
    a, b = np.array([5.0, 3.0], np.float32), np.array([2.0, 2.0], np.float32)

    def backward(module):
        x, y = module.tensor(a, requires_grad=True), module.tensor(b, requires_grad=True)
        eval(expr, {"x": x, "y": y}).sum().backward()

    with pytest.raises(RuntimeError) as t:
        backward(torch)
    with pytest.raises(RuntimeError, match="^" + str(t.value) + "$"):
        backward(ember)


@pytest.mark.parametrize("expr", ["5 & x", "5 | x", "5 ^ x", "x & 1.5"])
@pytest.mark.parametrize("dtype", ["int64", "bool", "float32"])
def test_reflected_bitwise_operators(expr, dtype):
    a = np.array([1, 0, 3]).astype(dtype)
    try:
        expected = eval(expr, {"x": torch.tensor(a)})
    except Exception:
        assert not _error_differences(lambda t: eval(expr, {"x": t[0]}), a)
        return
    assert_close(eval(expr, {"x": ember.tensor(a)}), expected)


@pytest.mark.parametrize("expr", ["x.amax()", "x.amin()", "x.amax(-1)", "x.amax((0, 1))", "x.amax(0)", "x.amin([])",
                                  "x.max(-1)", "x.max()", "x.argmax()", "x.argmin(1)", "x.argmax(0)"])
@pytest.mark.parametrize("shape", [(4, 0), (0, 3)])
def test_max_family_of_an_empty_tensor(expr, shape):
    a = np.zeros(shape, np.float32)
    try:
        expected = eval(expr, {"x": torch.tensor(a)})
    except Exception:
        assert not _error_differences(lambda t: eval(expr, {"x": t[0]}), a)
        return
    assert_close(eval(expr, {"x": ember.tensor(a)}), expected)


@pytest.mark.parametrize("expr", ["x ** y", "y ** x", "x.pow(y)", "2 ** y", "x ** True", "x ** False", "True ** x",
                                  "x ** 2", "2 ** x", "0 ** y", "x ** 0.5"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "float32"])
def test_pow_of_integers_and_bools(expr, dtype, recwarn):
    a, b = np.array([0, 1, -1, 2, -2, 3]).astype(dtype), np.array([-1, -2, 0, 3, -3, 1]).astype(dtype)
    try:
        expected = eval(expr, {"x": torch.tensor(a), "y": torch.tensor(b)})
    except Exception:
        assert not _error_differences(lambda t: eval(expr, {"x": t[0], "y": t[1]}), a, b)
        return
    assert_close(eval(expr, {"x": ember.tensor(a), "y": ember.tensor(b)}), expected)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("fn", [lambda x: x[0] / x[1], lambda x: x[0].var(), lambda x: x[0].std(0)])
def test_division_by_zero_and_empty_variances_warn_nothing(fn, recwarn):
    assert not _differences(fn, np.array([1.0, 2.0], np.float32), np.array([0.0, 2.0], np.float32))
    assert not _differences(lambda x: fn([x[0], x[0]]), np.zeros(0, np.float32))
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_softmax_of_an_empty_integer_tensor(dtype):
    assert not _differences(lambda x: x[0].softmax(0), np.zeros((0, 2), dtype))
    assert not _differences(lambda x: x[0].log_softmax(-1), np.zeros((0, 2), dtype))


@pytest.mark.parametrize("shape, dim", [((1, 0), 1), ((0, 2), 0), ((0,), 0)])
def test_index_select_from_an_empty_dim(shape, dim):
    assert not _error_differences(lambda t: t[0].index_select(dim, t[1]), np.zeros(shape, np.float32), np.array([0]))
    assert not _differences(lambda t: t[0].index_select(dim, t[1]), np.zeros(shape, np.float32), np.zeros(0, np.int64))


@pytest.mark.parametrize("fn", [lambda x: (-2.0) ** x[0], lambda x: 0.0 ** x[0], lambda x: x[0] ** 0.5,
                                lambda x: x[0] ** -1.0, lambda x: x[0] ** 300.0])
def test_pow_with_a_number_has_torch_gradients_without_warnings(fn, recwarn):
    assert not _differences(fn, np.array([0.0, 1.0, -1.5, 2.0], np.float32))
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("dtype", ["uint8", "int32", "float32"])
@pytest.mark.parametrize("e", [300, -1, -3, 2, 1.5, -1.5, 300.0])
@pytest.mark.parametrize("method", ["pow", "pow_"])
def test_a_number_exponent_is_checked_as_torch_by_pow_and_pow_(dtype, e, method):
    x = np.array([2, 3]).astype(dtype)
    try:
        expected = getattr(torch.tensor(x), method)(e)
    except RuntimeError:
        assert not _error_differences(lambda t: getattr(t[0].clone(), method)(e), x)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert_close(getattr(ember.tensor(x), method)(e), expected)


@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_bce_with_logits_of_integer_logits(dtype):
    assert not _error_differences(lambda t: t[0].__class__ and (torch if isinstance(t[0], torch.Tensor) else ember).nn.functional
                .binary_cross_entropy_with_logits(t[0], t[1]), np.array([1, 0]).astype(dtype),
                np.array([0.5, 1.0], np.float32))


@pytest.mark.parametrize("fn", [lambda t: t[0].T, lambda t: t[0].masked_select(t[1]), lambda t: t[0].clone().copy_(t[2])])
def test_0d_tensors_through_permute_and_expand(fn):
    assert not _differences(fn, np.array(1.5, np.float32), np.array(True), np.array(2.0, np.float32))


@pytest.mark.parametrize("expr", ["x.clone().add_(y)", "x.clone().__iadd__(y)", "x.clone().mul_(y)", "x.clone().neg_()",
                                  "x.clone().abs_()", "x.clone().relu_()", "2 @ x", "x.nonzero()", "(x > 0).nonzero()",
                                  "x // 0", "0 // x"])
@pytest.mark.parametrize("dtype, shape", [("int32", ()), ("bool", (2,)), ("float32", (2,)), ("int64", (0,))])
def test_inplace_casts_rmatmul_nonzero_and_empty_division(expr, dtype, shape):
    a, b = np.ones(shape, dtype), np.full(shape, 0.5, np.float32)

    def run(module):
        x, y = module.tensor(a), module.tensor(b, requires_grad=True)
        return eval(expr, {"x": x, "y": y})

    try:
        expected = run(torch)
    except Exception as t:
        with pytest.raises(type(t)) as e:
            run(ember)
        assert str(e.value) == str(t)
        return
    assert_close(run(ember), expected)


@pytest.mark.parametrize("expr", ["x.long()", "x.to(M.int32)", "x.bool()", "x.double()", "x.sum(dtype=M.int64)",
                                  "x.cumsum(0, dtype=M.int64)", "x.prod(dtype=M.int64)", "x.mean(dtype=M.int64)",
                                  "x.sum(dtype=M.float64)"])
def test_casts_to_integers_are_not_differentiable(expr):
    def run(M):
        return eval(expr, {"x": M.tensor([1.5, -2.0], requires_grad=True), "M": M})

    try:
        expected = run(torch)
    except Exception as t:
        with pytest.raises(type(t), match="^" + re.escape(str(t)) + "$"):
            run(ember)
        return
    out = run(ember)
    assert_close(out, expected)
    assert out.requires_grad == expected.requires_grad


@pytest.mark.parametrize("shape, index", [((3,), [5]), ((3, 2), [1, -1]), ((3, 2, 2), [7, 5]), ((3, 2), [0, -3])])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_select_out_of_range(shape, index, dim):
    assert not _error_differences(lambda t: t[0].index_select(dim, t[1]), np.zeros(shape, np.float32), np.array(index))


@pytest.mark.parametrize("expr", ["x.clamp(min=M.tensor([1]))", "x.clamp(0, 1)", "x.clamp(min=0)", "x.clamp(max=1)",
                                  "x.clamp(0.5)", "x.clamp(min=M.tensor(0.5))", "x.clamp(max=M.tensor([1]))",
                                  "x.clamp(0.5, 2)", "x.clamp(min=M.tensor(True))", "x.clamp(True)",
                                  "x.clamp(min=M.tensor(1, dtype=M.float64))", "x.clamp(M.tensor([0, 1]), M.tensor(1))"])
@pytest.mark.parametrize("dtype", ["bool", "int64", "float32"])
def test_clamp_dtypes(expr, dtype):
    a = np.array([1, 0]).astype(dtype)

    def run(M):
        return eval(expr, {"x": M.tensor(a), "M": M})

    try:
        expected = run(torch)
    except Exception as t:
        with pytest.raises(type(t), match="^" + re.escape(str(t)) + "$"):
            run(ember)
        return
    assert_close(run(ember), expected)


@pytest.mark.parametrize("ishape, dim", [((3, 2, 1), 0), ((1, 1, 1), 1), ((2, 3, 4), 2), ((5,), None), ((2, 3), 0),
                                         ((4, 1, 2), -1)])
def test_take_along_dim_broadcasts(ishape, dim):
    x = np.arange(48, dtype=np.float32).reshape(4, 3, 4)
    idx = np.random.default_rng(0).integers(0, 3, ishape)
    try:
        expected = torch.take_along_dim(torch.tensor(x), torch.tensor(idx), dim)
    except Exception:
        assert not _error_differences(lambda t: (torch if isinstance(t[0], torch.Tensor) else ember).take_along_dim(t[0], t[1], dim), x, idx)
        return
    xe = ember.tensor(x, requires_grad=True)
    out = ember.take_along_dim(xe, ember.tensor(idx), dim)
    assert_close(out, expected)
    xt = torch.tensor(x, requires_grad=True)
    torch.take_along_dim(xt, torch.tensor(idx), dim).sum().backward()
    out.sum().backward()
    assert_close(xe.grad, xt.grad)


@pytest.mark.parametrize("shape, chunks, dim", [((0,), 3, 0), ((2, 0), 2, 1), ((2, 0), 2, -1), ((5,), 2, 0)])
def test_chunk_of_an_empty_dim(shape, chunks, dim):
    a = np.zeros(shape, np.float32)
    e, t = ember.tensor(a).chunk(chunks, dim), torch.tensor(a).chunk(chunks, dim)
    assert len(e) == len(t)
    for x, y in zip(e, t):
        assert_close(x, y)


def test_argmax_of_a_0d_tensor_checks_dim():
    assert not _error_differences(lambda t: t[0].argmin(2), np.array(1.5, np.float32))
    assert not _differences(lambda t: t[0].argmin(-1), np.array(1.5, np.float32))


def test_clamp_with_tensor_bounds_that_do_not_broadcast():
    assert not _error_differences(lambda t: t[0].clamp(min=t[1]), np.ones(2, np.int64), np.ones(3, np.float32))


@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("bool", "float64"), ("float32", "int64")])
def test_cat_with_empty_vectors_keeps_them_in_the_graph(dtypes):
    assert not _differences(lambda t: ember.cat(t) if isinstance(t[0], ember.Tensor) else torch.cat(t),
          np.zeros(0, dtypes[0]), np.array([1.5, 2.0]).astype(dtypes[1]))


@pytest.mark.parametrize("dtypes", [("float64", "float32"), ("float32", "float64"), ("int64", "float32")])
def test_binary_cross_entropy_takes_one_dtype(dtypes):
    a, b = np.array([0.2, 0.9]).astype(dtypes[0]), np.array([0.0, 1.0]).astype(dtypes[1])
    assert not _error_differences(lambda t: (torch if isinstance(t[0], torch.Tensor) else ember).nn.functional
                .binary_cross_entropy(t[0], t[1]), a, b)


@pytest.mark.parametrize("method", ["sqrt_", "exp_", "log_", "tanh_", "sigmoid_", "reciprocal_"])
@pytest.mark.parametrize("dtype", ["bool", "int64", "float32"])
def test_float_valued_inplace_methods_on_integer_tensors(method, dtype):
    a = np.array([1, 2]).astype(dtype)
    try:
        expected = getattr(torch.tensor(a), method)()
    except Exception:
        assert not _error_differences(lambda t: getattr(t[0], method)(), a)
        return
    assert_close(getattr(ember.tensor(a), method)(), expected)


@pytest.mark.parametrize("dtypes", [("int64", "float32"), ("float64", "float32"), ("float32", "float64")])
def test_mse_loss_promotes_like_torch(dtypes):
    assert not _differences(lambda t: (torch if isinstance(t[0], torch.Tensor) else ember).nn.functional.mse_loss(t[0], t[1]),
          np.array([1, -3]).astype(dtypes[0]), np.array([0.5, 2.0]).astype(dtypes[1]))


@pytest.mark.parametrize("sb", [(1, 3, 2), (2, 4, 2), (1, 0, 2)])
def test_bmm_does_not_broadcast(sb):
    assert not _error_differences(lambda t: (torch if isinstance(t[0], torch.Tensor) else ember).bmm(t[0], t[1]),
                np.ones((2, 3, 3) if sb[1] else (2, 0, 0), np.float32), np.ones(sb, np.float32))


def test_smooth_l1_loss_of_a_bool_input_promotes():
    assert not _differences(lambda t: (torch if isinstance(t[0], torch.Tensor) else ember).nn.functional.smooth_l1_loss(t[0], t[1]),
          np.array([True, False]), np.array([0.5, 2.0], np.float32))


def test_summing_a_broadcast_gradient_of_inf_and_minus_inf_gives_nan_without_a_warning():
    import warnings

    x, y = ember.tensor([-0.0], requires_grad=True), ember.tensor([-1.0, -2.0])
    tx, ty = torch.tensor([-0.0], requires_grad=True), torch.tensor([-1.0, -2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x ** y).backward(ember.ones(2))
    (tx ** ty).backward(torch.ones(2))
    assert np.isnan(x.grad.numpy()).all() and torch.isnan(tx.grad).all()


def test_var_gradient_when_the_correction_exceeds_the_count_matches_torch():
    x0 = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 5.0]])
    x, tx = ember.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    x.var(1, correction=5).sum().backward()
    tx.var(1, correction=5).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("how", ["var", "std"])
@pytest.mark.parametrize("x0, correction", [(np.float32(0.85), 1), (np.float32(0.85), 2), ([2.29, 2.48], 2),
                                            ([[1.0, 2.0, 3.0], [4.0, 3.0, 2.0]], 6), ([[1.0, 2.0], [2.0, 3.0]], 7)])
@pytest.mark.parametrize("w", [1.5, -1.5])
def test_var_and_std_gradient_with_no_degrees_of_freedom_over_all_elements(how, x0, correction, w, recwarn):
    """A full reduction with N ≤ correction: torch's gradient is +inf·g, nan where x equals the mean."""
    x0 = np.asarray(x0, np.float32)
    x, tx = ember.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    (getattr(x, how)(correction=correction) * w).backward()
    (getattr(tx, how)(correction=correction) * w).backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    assert not [m for m in recwarn if issubclass(m.category, RuntimeWarning)]


def test_var_gradient_with_no_degrees_of_freedom_under_create_graph():
    x0 = np.array([1.0, 2.0, 2.0])
    x, tx = ember.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    (g,) = ember.autograd.grad(x.var(correction=3), x, create_graph=True)
    (tg,) = torch.autograd.grad(tx.var(correction=3), tx, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), tg.detach().numpy())


_F16, _F32, _F64 = np.float16(1.5), np.float32(1.5), np.float64(2.5)
_I8, _U8, _I32, _I64, _NB = np.int8(3), np.uint8(4), np.int32(5), np.int64(6), np.bool_(True)


@pytest.mark.parametrize("data", [
    _F16, _F32, _F64, _I32, _I64, _NB, [_F16], [_F32], [_F64], [_I32], [_I64], [_NB], [[_F32], [_F64]],
    [_F32, _F64], [_F32, 2.0], [_F64, 2.0], [_F16, _F32], [_F16, 2], [_F16, 2.0], [_I32, 7], [_I32, _I64],
    [_I8, _U8], [_I32, 2.0], [_U8, -1], [_I8, 300], [_NB, 2.0], [_NB, _F32], [_I32, True], [[1, 2], [_I32, 3]],
    [True, 1], [True, 1.5], [], [[], []], 3, 2.5, True, [2**40, _I32],
])
def test_dtype_inference_of_numpy_scalars_alone_and_in_lists(data):
    e, t = ember.tensor(data), torch.tensor(data)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (data, e.dtype, t.dtype)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("data, dtype", [
    ([2**64], None), (2**64, None), ([2**63], None), ([-2**63 - 1], None), ([_I32, 2**64], None),
    ([_I8, _NB], None), ([_NB, 1], None), ([_NB, _I64], None), ([_NB], "int64"), (_NB, "int64"),
    ([300], "uint8"), ([-256], "uint8"), ([-129], "int8"), ([300.0], "int8"), ([2**31], "int32"),
    ([2**64], "int32"), ([float("nan")], "int64"), ("a", None), ([1, "a"], None), ([None], None), ([3, None], None),
])
def test_data_that_torch_tensor_refuses(data, dtype):
    with pytest.raises(Exception) as t:
        torch.tensor(data, dtype=dtype and getattr(torch, dtype))
    with pytest.raises(type(t.value)) as e:
        ember.tensor(data, dtype=dtype and getattr(ember, dtype))
    assert str(e.value) == str(t.value)


@pytest.mark.parametrize("data, dtype", [([-1], "uint8"), ([-255], "uint8"), ([255], "uint8"), ([2**64], "float32"),
                                         ([1, 2**64], "float64"), ([2**64], "bool"), ([1.7, -1.7], "int64"),
                                         ([_NB, 2], "float32")])
def test_numbers_stored_into_an_explicit_dtype(data, dtype):
    e, t = ember.tensor(data, dtype=getattr(ember, dtype)), torch.tensor(data, dtype=getattr(torch, dtype))
    assert str(e.dtype).split(".")[-1] == dtype
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("make", [ember.tensor, ember.as_tensor, ember.from_numpy, lambda a: ember.tensor(a[0])])
@pytest.mark.parametrize("np_dtype", ["uint16", "uint32", "uint64", "U1"])
def test_numpy_dtypes_ember_lacks_raise_a_type_error_naming_them(make, np_dtype):
    """Deliberate difference: torch takes uint16-64 (few ops work on them); ember refuses them."""
    a = np.zeros(2, np_dtype)
    with pytest.raises(TypeError, match=rf"numpy\.{np.dtype(np_dtype).type.__name__}\. The only supported types "
                                        r"are: float64, float32, float16, complex64, complex128, int64, int32, int16, "
                                        r"int8, uint8, and bool"):
        make(a)


@pytest.mark.parametrize("make", [ember.tensor, ember.as_tensor, ember.from_numpy])
def test_an_object_array_raises_torch_s_type_error(make):
    with pytest.raises(TypeError) as t:
        torch.tensor(np.zeros(2, object))
    with pytest.raises(TypeError) as e:
        make(np.zeros(2, object))
    assert str(e.value) == str(t.value).replace("uint64, uint32, uint16, ", "")


@pytest.mark.parametrize("make", [ember.tensor, ember.as_tensor, ember.from_numpy, lambda a: ember.tensor(a[0])])
@pytest.mark.parametrize("np_dtype", ["complex64", "complex128"])
def test_numpy_complex_data_keeps_its_dtype_as_torch(make, np_dtype):
    a = np.array([1 + 2j, -3j], np_dtype)
    tmake = {ember.tensor: torch.tensor, ember.as_tensor: torch.as_tensor, ember.from_numpy: torch.from_numpy}.get(
        make, lambda a: torch.tensor(a[0]))
    e, t = make(a), tmake(a)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1] == np_dtype
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("data", [[1, 2j], 2j, [[1.5, 2], [3j, 4]], [np.complex128(1j), 2.0], [np.float64(1), 1j]])
def test_python_complex_data_infers_torch_s_dtype(data):
    e, t = ember.tensor(data), torch.tensor(data)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_array_equal(e.numpy(), t.numpy())


_LOSS_DTYPES = ["float32", "float64", "int32", "int64", "bool"]


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss",
                                  "multilabel_soft_margin_loss", "soft_margin_loss", "hinge_embedding_loss"])
@pytest.mark.parametrize("dx", _LOSS_DTYPES)
@pytest.mark.parametrize("dy", _LOSS_DTYPES)
def test_loss_dtype_rules_match_torch(name, dx, dy):
    """Every pair of input/target dtypes: torch's error (class and message), or its result dtype, values and
    input gradient (torch's own backward fails for huber_loss of two dtypes and soft_margin_loss of a bool
    target; ember's works)."""
    x0, y0 = np.array([[1, 0, 1]]).astype(dx), np.array([[0.5, 0, 1]]).astype(dy)
    results = []
    for M in (torch, ember):
        x = M.tensor(x0, requires_grad=dx.startswith("float"))
        try:
            out = getattr(M.nn.functional, name)(x, M.tensor(y0), reduction="sum")
        except Exception as err:  # noqa: BLE001 - the error is the result compared
            results.append((type(err), str(err)))
            continue
        grad = None
        if out.requires_grad:
            try:
                out.backward()
                grad = x.grad.numpy()
            except RuntimeError:
                assert M is torch and (name == "huber_loss" and dx != dy or name == "soft_margin_loss" and dy == "bool")
        results.append((str(out.dtype).split(".")[-1], out.detach().numpy(), grad))
    (t, e) = results
    assert t[0] == e[0], (t, e)
    if isinstance(t[0], str):
        np.testing.assert_allclose(e[1], t[1], rtol=1e-6)
        if t[2] is not None:
            np.testing.assert_allclose(e[2], t[2], rtol=1e-6)
    else:
        assert t[1] == e[1]


def test_subtracting_two_bool_tensors_has_torch_s_message():
    a, ta = ember.tensor([True]), torch.tensor([True])
    with pytest.raises(RuntimeError) as t:
        ta - ta
    with pytest.raises(RuntimeError) as e:
        a - a
    assert str(e.value) == str(t.value)


def _module_error_differences(fn):
    """fn(module) raises in torch; how ember's exception differs (a subclass is accepted; the message must match)."""
    with pytest.raises(Exception) as t:
        fn(torch)
    return _unlike(t.value, lambda: fn(ember), exact_class=False)


@pytest.mark.parametrize("xs, ms", [((2, 4), (3,)), ((4, 2), (3, 1)), ((2, 3), (2, 2))])
@pytest.mark.parametrize("how", ["masked_select", "masked_fill"])
def test_masks_that_do_not_broadcast_raise_torch_s_error(xs, ms, how):
    def fn(M):
        x, m = M.zeros(*xs), M.zeros(*ms, dtype=M.bool)
        return x.masked_select(m) if how == "masked_select" else x.masked_fill(m, 1.0)

    assert not _module_error_differences(fn)


def M_TENSOR_1(M):
    return M.tensor([1])


def M_TENSOR_15(M):
    return M.tensor([1.5])


def M_TENSOR_15_2(M):
    return M.tensor([1.5, 2.0])


@pytest.mark.parametrize("make, kw", [
    (lambda M: M.tensor([True, False]), dict(min=1)), (lambda M: M.tensor([True, False]), dict(min=True)),
    (lambda M: M.tensor([True, False]), dict(max=0.5)), (lambda M: M.tensor([1, 2]), dict(min=0.5)),
    (lambda M: M.tensor([True, False]), dict(min=M_TENSOR_1)), (lambda M: M.tensor([1, 2]), dict(min=M_TENSOR_15)),
    (lambda M: M.tensor(3), dict(min=M_TENSOR_15, max=None)), (lambda M: M.tensor(3.0), dict(min=M_TENSOR_15)),
    (lambda M: M.tensor([[3]]), dict(min=M_TENSOR_15)), (lambda M: M.tensor([3.0, 2.0, 1.0]), dict(min=M_TENSOR_15_2)),
])
def test_clamp_inplace_into_a_lower_dtype_raises_torch_s_error(make, kw):
    def fn(M):
        args = {k: (v(M) if callable(v) else v) for k, v in kw.items()}
        return make(M).clamp_(**args)

    assert not _module_error_differences(fn)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
@pytest.mark.parametrize("dx, dy", [("float32", "float64"), ("float64", "float32"), ("int64", "float32")])
def test_a_0d_target_of_another_dtype_promotes_as_a_broadcast_one(name, dx, dy, recwarn):
    """torch broadcasts input and target to one shape before the loss, so a 0-d target is not a 'scalar' in the
    promotion: float32 input, 0-d float64 target → float64."""
    x0, y0 = np.array([1.0, 0.0, 3.0]).astype(dx), np.array(0.5, dy)
    results = []
    for M in (torch, ember):
        try:
            results.append(getattr(M.nn.functional, name)(M.tensor(x0), M.tensor(y0), reduction="none"))
        except Exception as err:  # noqa: BLE001 - the error is the result compared
            results.append((type(err), str(err)))
    t, e = results
    if isinstance(t, tuple):
        assert t == e
    else:
        assert_close(e, t)


def test_soft_margin_loss_is_not_differentiable_in_its_target():
    assert not _module_error_differences(lambda M: M.nn.functional.soft_margin_loss(M.tensor([0.5, -1.0]), M.ones(2, requires_grad=True)))


@pytest.mark.parametrize("margin", [1.0, 0.5, 2.5])
@pytest.mark.parametrize("reduction", ["none", "sum"])
def test_hinge_embedding_loss_of_integers_truncates_the_margin_and_keeps_the_dtype(margin, reduction):
    x0, y0 = np.array([0, 3, -1, 2]), np.array([-1.0, 1.0, -1.0, 5.0], np.float32)
    kw = dict(margin=margin, reduction=reduction)
    assert_close(ember.nn.functional.hinge_embedding_loss(ember.tensor(x0), ember.tensor(y0), **kw),
                 torch.nn.functional.hinge_embedding_loss(torch.tensor(x0), torch.tensor(y0), **kw))


def test_the_mean_of_an_empty_integer_loss_raises_torch_s_error():
    assert not _module_error_differences(lambda M: M.nn.functional.hinge_embedding_loss(M.tensor([], dtype=M.int64), M.ones(0)))


def test_poisson_nll_loss_full_with_a_bool_target_raises_torch_s_error():
    assert not _module_error_differences(lambda M: M.nn.functional.poisson_nll_loss(M.tensor([0.5]), M.tensor([True]), full=True))



_INPLACE_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _inplace_outcome(lib, dtype, method, other):
    """``x.method(other)`` in place on [1, 5, 9] (or a bool tensor): the result and its dtype, or the error raised.
    A string ``other`` is the dtype of a tensor [-3, 3, 2] (bool: [True, True, False])."""
    values = [True, False, True] if dtype == "bool" else [1, 5, 9]
    x = lib.tensor(values, dtype=getattr(lib, dtype))
    if isinstance(other, str):
        other = lib.tensor([True, True, False] if other == "bool" else [-3, 3, 2], dtype=getattr(lib, other))
    try:
        out = getattr(x, method)(other)
    except Exception as err:  # the outcome compared is the exception itself
        return type(err).__name__, str(err)
    return str(out.tolist()), str(out.dtype).split(".")[-1], out is x  # (str: nan equals nan)


@pytest.mark.parametrize("dtype", _INPLACE_DTYPES)
@pytest.mark.parametrize("other", [*_INPLACE_DTYPES, True, 3, -2, 2.5])
@pytest.mark.parametrize("method", ["clamp_min_", "add_", "mul_", "pow_"])
def test_in_place_ops_cast_within_a_category(dtype, other, method):
    """torch computes in the promoted type and casts back within a category (an int64 tensor into uint8 or int32);
    it refuses only a float result into an integer tensor and an integer one into a bool tensor. An integer tensor
    to a tensor of negative integer powers is 0 or ±1; to a negative Python int it raises."""
    assert _inplace_outcome(ember, dtype, method, other) == _inplace_outcome(torch, dtype, method, other)


@pytest.mark.parametrize("dtype", _INPLACE_DTYPES)
@pytest.mark.parametrize("method, other", [
    *((m, o) for m in ("clamp_min", "add", "sub", "mul", "pow", "remainder")
      for o in (*_INPLACE_DTYPES, True, 3, -2, 300, -300, 2.5)),
    *(("maximum", o) for o in _INPLACE_DTYPES),  # (tensors only, in both libraries)
])
def test_binary_ops_with_an_int_outside_the_dtype_wrap_as_torch(dtype, method, other):
    """Out of place, torch's result type of a uint8/int8 tensor and a Python int is the tensor's dtype, and an int
    outside its range wraps around (``uint8 - 2`` adds 254; NumPy raises OverflowError); clamp's bounds and pow's
    exponent are checked instead (RuntimeError, with c10's range: −255 … 255 for uint8)."""
    assert _inplace_outcome(ember, dtype, method, other)[:2] == _inplace_outcome(torch, dtype, method, other)[:2]


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int16", "int32"])
@pytest.mark.parametrize("reduce", ["sum", "prod", "nansum"])
def test_integer_sums_and_products_are_int64(dtype, reduce):
    """torch reduces bool and every integer dtype, unsigned ones too, in int64 (NumPy gives uint64 for uint8)."""
    a = np.array([[3, 200], [1, 2]]).astype(dtype)
    e, t = getattr(ember.tensor(a), reduce)(0), getattr(torch.tensor(a), reduce)(0)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1] and e.tolist() == t.tolist()


def test_hardtanh_of_an_unsigned_tensor_refuses_negative_limits():
    assert not _error_differences(lambda x: torch.nn.functional.hardtanh(x[0]) if isinstance(x[0], torch.Tensor)
                else ember.nn.functional.hardtanh(x[0]), np.array([1, 2], np.uint8))


def test_bool_pow_checks_the_shapes_before_the_dtype():
    assert not _error_differences(lambda x: x[0].pow(x[1]), np.ones((2, 3), bool), np.ones((5,), bool))


def test_log1p_backward_at_minus_one_is_inf_without_a_warning():
    x = ember.tensor([-1.0, 0.5], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.log1p().sum().backward()
    t = torch.tensor([-1.0, 0.5], requires_grad=True)
    t.log1p().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())  # [inf, 1/1.5]


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "float32"])
def test_all_and_any_keep_uint8(dtype):
    """torch's all/any return uint8 for a uint8 input (its byte masks) and bool otherwise."""
    a = np.array([[1, 0], [2, 3]]).astype(dtype)
    for fn in ("all", "any"):
        e, t = getattr(ember.tensor(a), fn)(0), getattr(torch.tensor(a), fn)(0)
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1] and e.tolist() == t.tolist()


@pytest.mark.parametrize("value", [-3, -300, 300, 2.5, -1.5, True])
@pytest.mark.parametrize("method", ["masked_fill", "masked_fill_"])
def test_masked_fill_checks_the_value_against_an_integer_dtype(value, method):
    """c10's overflow check: −3 wraps into uint8 (253), −300, 300 and −1.5 raise."""
    outcomes = []
    for lib in (ember, torch):
        try:
            out = getattr(lib.tensor([2, 7], dtype=lib.uint8), method)(lib.tensor([True, False]), value)
            outcomes.append(out.tolist())
        except RuntimeError as err:
            outcomes.append(str(err))
    assert outcomes[0] == outcomes[1]


def test_hinge_embedding_loss_compares_a_uint8_target_in_its_dtype():
    """torch compares the target with −1 in the target's dtype, where −1 is 255 for uint8."""
    x, y = np.array([-1.4, -0.9], np.float32), np.array([1, 255], np.uint8)
    e = ember.nn.functional.hinge_embedding_loss(ember.tensor(x), ember.tensor(y), reduction="none")
    t = torch.nn.functional.hinge_embedding_loss(torch.tensor(x), torch.tensor(y), reduction="none")
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)


@pytest.mark.parametrize("fn", [lambda lib: lib.ones(2).add_(lib.tensor([1j, 2j])),
                                lambda lib: lib.ones(2).mul_(1j),
                                lambda lib: lib.ones(2).clamp(lib.tensor([1j, 2j])),
                                lambda lib: lib.ones(2).clamp(None, lib.tensor([1j, 2j])),
                                lambda lib: lib.ones(2).clamp(lib.tensor([1j, 2j]), lib.tensor([1j, 2j])),
                                lambda lib: lib.ones(2).clamp_(lib.tensor([1j, 2j]))])
def test_a_complex_operand_of_a_real_tensor_raises_as_torch(fn):
    """No complex result into a real tensor in place; clamp has no kernel for a complex bound."""
    with pytest.raises(Exception) as t:
        fn(torch)
    with pytest.raises(type(t.value)) as e:
        fn(ember)
    assert str(e.value) == str(t.value)


_PIECEWISE = {  # name: (ember op, torch op), on x = [-1, 2, 0, 0.5, 7]
    "relu": (lambda m, x: m.relu(x), lambda m, x: m.relu(x)),
    "relu6": (lambda m, x: m.nn.functional.relu6(x), lambda m, x: m.nn.functional.relu6(x)),
    "hardtanh": (lambda m, x: m.nn.functional.hardtanh(x, -0.5, 1.5), lambda m, x: m.nn.functional.hardtanh(x, -0.5, 1.5)),
    "clamp": (lambda m, x: m.clamp(x, 0, 1), lambda m, x: m.clamp(x, 0, 1)),
    "clamp_tensor": (lambda m, x: m.clamp(x, m.zeros(5), m.ones(5)), lambda m, x: m.clamp(x, m.zeros(5), m.ones(5))),
}


@pytest.mark.parametrize("name", sorted(_PIECEWISE))
def test_a_non_finite_gradient_is_dropped_where_a_piecewise_op_passes_none_as_torch(name, kernel_path):
    """torch selects (a NaN or inf arriving where relu/clamp/hardtanh pass no gradient gives 0); ember multiplied by
    the mask, so that NaN·0 and inf·0 made NaN there."""
    op = _PIECEWISE[name][0]
    g = [float("nan"), float("inf"), float("-inf"), float("nan"), 1.0]
    x = ember.tensor([-1.0, 2.0, 0.0, 0.5, 7.0], requires_grad=True)
    tx = torch.tensor([-1.0, 2.0, 0.0, 0.5, 7.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy warning either
        op(ember, x).backward(ember.tensor(g))
    _PIECEWISE[name][1](torch, tx).backward(torch.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_softmax_of_a_row_of_minus_inf_is_nan_without_a_warning_as_torch():
    rows = [[float("-inf")] * 3, [1.0, 2.0, 3.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ember.softmax(ember.tensor(rows), -1)
    np.testing.assert_allclose(out.numpy(), torch.softmax(torch.tensor(rows), -1).numpy(), rtol=1e-6)


def test_backward_computes_inf_times_0_as_nan_without_a_numpy_warning_as_torch():
    x, tx = ember.tensor([2.0, 1.0], requires_grad=True), torch.tensor([2.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x * ember.tensor([float("inf"), 1.0]).requires_grad_()).backward(ember.tensor([0.0, 1.0]))
        ember.tensor([0.0, 4.0], requires_grad=True).sqrt().sum().backward()
    (tx * torch.tensor([float("inf"), 1.0]).requires_grad_()).backward(torch.tensor([0.0, 1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())  # [nan, 1]


def test_forward_ops_compute_inf_times_0_and_overflow_silently_as_torch_and_restore_numpys_state():
    a = ember.tensor([float("inf"), 1e30, float("nan"), 1.0])
    b = ember.tensor([0.0, 1e30, 1.0, 0.0])
    ta, tb = torch.tensor(a.numpy()), torch.tensor(b.numpy())
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        got = [a * b, a - a, a / b, (a * 1e10).exp(), ember.nn.functional.mse_loss(a, b, reduction="none")]
        with pytest.raises(FloatingPointError):  # the caller's NumPy state is back after each op
            np.float32(1e30) * np.float32(1e30)
        with pytest.raises(RuntimeError):  # ... also after an op that raised
            ember.tensor([1.0, 2.0]) * ember.tensor([1.0, 2.0, 3.0])
        with pytest.raises(FloatingPointError):
            np.float32(0) / np.float32(0)
    want = [ta * tb, ta - ta, ta / tb, (ta * 1e10).exp(), torch.nn.functional.mse_loss(ta, tb, reduction="none")]
    for e, t in zip(got, want):
        np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_gradients_at_nan_and_inf_follow_torchs_formulas():
    nan, inf = float("nan"), float("inf")
    cases = {  # each fixed after the special-value fuzzer found it
        "relu": lambda M, x: M.relu(x), "maximum": lambda M, x: M.maximum(x, M.zeros_like(x)),
        "abs": lambda M, x: x.abs(), "sign": lambda M, x: x.sign() * x,
        "smooth_l1": lambda M, x: M.nn.functional.smooth_l1_loss(x, M.zeros_like(x), reduction="none"),
        "huber": lambda M, x: M.nn.functional.huber_loss(x, M.zeros_like(x), reduction="none", delta=0.5),
        "mse_sum": lambda M, x: M.nn.functional.mse_loss(x, M.zeros_like(x), reduction="sum"),
        "bce_logits": lambda M, x: M.nn.functional.binary_cross_entropy_with_logits(x, M.full_like(x, 2.0)),
        "prod": lambda M, x: x.prod(), "min": lambda M, x: x.min(), "logaddexp": lambda M, x: M.logaddexp(x, x * 0),
        "asin": lambda M, x: x.asin(), "atan2": lambda M, x: M.atan2(x * 0, x * 0),
        "xlogy": lambda M, x: M.xlogy(x * 0, x), "copysign": lambda M, x: M.copysign(x, -x),
        "threshold": lambda M, x: M.nn.functional.threshold(x, 0.5, 2.0),
        "celu": lambda M, x: M.nn.functional.celu(x, 2.0), "hardswish": lambda M, x: M.nn.functional.hardswish(x),
        "kl_div": lambda M, x: M.nn.functional.kl_div(x, x.abs() * 0, reduction="sum"),
        "cumprod": lambda M, x: x.cumprod(0),
    }
    for row in ([inf, 1.5, -2.0], [nan, 1.5, 0.0], [-inf, 0.0, 2.0]):
        for name, f in cases.items():
            if name in ("celu", "hardswish") and nan in row:  # (torch's kernels disagree at NaN: _fuzz.ALLOWED)
                continue
            x, tx = ember.tensor(row, requires_grad=True), torch.tensor(row, requires_grad=True)
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                y = f(ember, x)
                y.backward(ember.ones_like(y))
            ty = f(torch, tx)
            ty.backward(torch.ones_like(ty))
            np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6, err_msg=f"{name} at {row}")
            np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6, err_msg=f"{name}' gradient at {row}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_where_torchs_kernels_disagree_at_nan_ember_gives_the_vectorised_answer(dtype):
    """The deliberate differences of nn/_functional/activation.py's docstring: on a large tensor (torch's vectorised
    loop) ember's gradient at NaN equals torch's; on a one-element one (torch's scalar loop) it is the same as on
    the large one."""
    names = ["hardtanh", "relu6", "hardshrink", "softshrink", "elu", "selu", "celu", "hardswish"]
    for name in names:
        x = np.linspace(-4, 4, 1000).astype(dtype)
        x[400] = np.nan
        e, t = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        getattr(ember.nn.functional, name)(e).sum().backward()
        getattr(torch.nn.functional, name)(t).sum().backward()
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-5 if dtype == np.float32 else 1e-12,
                                   err_msg=name)  # (elu's e^x − 1 + α: float32 rounding)
        one = ember.tensor([np.nan], dtype=e.dtype, requires_grad=True)
        getattr(ember.nn.functional, name)(one).sum().backward()
        np.testing.assert_array_equal(one.grad.numpy(), e.grad.numpy()[400:401], err_msg=name)
    inf = ember.tensor([np.inf], dtype=ember.float32)
    assert ember.nn.functional.gelu(inf).item() == np.inf == torch.nn.functional.gelu(torch.tensor([np.inf])).item()


def test_take_along_dim_checks_its_indices_where_torch_reads_outside_the_tensor():
    with pytest.raises(RuntimeError, match="index 1 is out of bounds for dimension 0 with size 1"):
        ember.take_along_dim(ember.tensor([1.0]), ember.tensor([1]), dim=0)


def test_complex_plus_real_infinity_keeps_the_imaginary_part():
    """Deliberate difference (``_fuzz.ALLOWED``): torch computes z + alpha·x with alpha = 1 + 0j, so (1+1j) + (−inf)
    has a NaN imaginary part there; ember adds the real number to the real part, as NumPy and C99."""
    out = ember.tensor([1 + 1j]) + ember.tensor([-np.inf])
    assert out.numpy()[0] == complex(-np.inf, 1.0)
    assert (torch.tensor([-np.inf]) + torch.tensor([1 + 1j])).numpy()[0] == complex(-np.inf, 1.0)


def test_the_hypothesis_fuzzers_finds_match_torch():
    """Found by tests/fuzz's hypothesis search (each shrunk to this input)."""
    for M in (ember, torch):  # log2/log10 of a complex zero: −inf + 0j (a complex division by ln 2 gave a NaN part)
        assert M.log2(M.tensor(0j)).item() == complex(-np.inf, 0) == M.log10(M.tensor(0j)).item()
    u = np.array([0, 0, 1], np.uint8)  # an integer true division casts each operand from its own value
    np.testing.assert_array_equal((ember.tensor(u) / ember.tensor(-1)).numpy(), (torch.tensor(u) / -1).numpy())
    np.testing.assert_array_equal((-1 / ember.tensor(u[2:])).numpy(), [-1.0])
    x = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 0.0]], np.float16)  # half softmax: computed in float32, as torch
    e, t = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    w = np.array([[1.0, -2.0, 0.5], [0.25, 1.0, -1.0]], np.float16)
    (ember.log_softmax(e, 0) * ember.tensor(w)).sum().backward()
    (torch.log_softmax(t, 0) * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())


def test_var_std_cumsum_cumprod_accumulate_float32_in_float64_as_torch():
    rows = {"var": [1e30, -1e30, 1.0], "std": [1e30, -1e30, 1.0], "cumsum": [3e38, 3e38, -3e38],
            "cumprod": [1e30, 1e30, 1e-30, 1e-30], "std_tiny": [0.0, 1e-30]}
    for name, row in rows.items():
        op = {"var": lambda t: t.var(), "std": lambda t: t.std(), "std_tiny": lambda t: t.std(),
              "cumsum": lambda t: t.cumsum(0), "cumprod": lambda t: t.cumprod(0)}[name]
        e, t = ember.tensor(row, requires_grad=True), torch.tensor(row, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = op(e)
            y.sum().backward()
        op(t).sum().backward()
        np.testing.assert_allclose(y.detach().numpy(), op(t).detach().numpy(), rtol=1e-6, err_msg=name)
        assert y.dtype == ember.float32
        if name != "cumprod":  # (torch's cumprod backward runs in float32: inf·0 where ember's float64 one is finite)
            np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-6, err_msg=name)
