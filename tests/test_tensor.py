"""ember.Tensor against torch: creation (dtype inference, shapes, ranges), conversion, printing,
in-place methods with torch's signatures, and a user's own optimizer written the tutorial way."""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from _oracle import assert_close, ember_dtype, torch, torch_dtype

import ember

DTYPES = ["float32", "float64", "int64", "int32", "bool"]


# ---- creation -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data",
    [1, 2.5, True, [1, 2], [1.0, 2], [[1, 2], [3, 4]], [True, False], [], [[1.5], [2.5]], np.float64(3.0),
     np.arange(3, dtype=np.int32), np.ones(2, dtype=np.float64), np.array([True]), [np.float32(1), 2]],
    ids=lambda d: repr(d)[:30],
)
def test_tensor_dtype_inference_matches_torch(data):
    assert_close(ember.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_with_dtype(dtype):
    data = [[1.7, -2.2], [0.0, 3.9]]
    assert_close(ember.tensor(data, dtype=getattr(ember, dtype)), torch.tensor(data, dtype=getattr(torch, dtype)))


def test_tensor_copies_but_as_tensor_and_from_numpy_share():
    a = np.zeros(3, np.float32)
    t, s, f = ember.tensor(a), ember.as_tensor(a), ember.from_numpy(a)
    a[0] = 7
    assert float(t[0]) == 0 and float(s[0]) == 7 and float(f[0]) == 7
    assert ember.as_tensor([1, 2]).dtype == ember.int64
    assert ember.as_tensor(a, dtype=ember.float64).dtype == ember.float64


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("dtype", [None, *DTYPES])
def test_zeros_ones_empty(fn, dtype):
    kw = {} if dtype is None else {"dtype": getattr(ember, dtype)}
    tkw = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    for shape in [(2, 3), ((2, 3),), ([4],), ((),)]:
        e, t = getattr(ember, fn)(*shape, **kw), getattr(torch, fn)(*shape, **tkw)
        assert tuple(e.shape) == tuple(t.shape) and torch_dtype(e.dtype) == t.dtype
        if fn != "empty":
            assert_close(e, t)


@pytest.mark.parametrize("value", [1, 2.5, True, -3])
def test_full_infers_dtype(value):
    assert_close(ember.full((2, 2), value), torch.full((2, 2), value))
    assert_close(ember.full((3,), value, dtype=ember.float64), torch.full((3,), value, dtype=torch.float64))


@pytest.mark.parametrize("src", DTYPES)
def test_like_functions(src):
    e = ember.tensor([[1, 0], [2, 3]], dtype=getattr(ember, src))
    t = torch.tensor([[1, 0], [2, 3]], dtype=getattr(torch, src))
    for fn in ["zeros_like", "ones_like"]:
        assert_close(getattr(ember, fn)(e), getattr(torch, fn)(t))
        assert_close(getattr(ember, fn)(e, dtype=ember.float64), getattr(torch, fn)(t, dtype=torch.float64))
    assert_close(ember.full_like(e, 1), torch.full_like(t, 1))
    assert ember.empty_like(e).shape == t.shape and ember.empty_like(e).dtype == ember_dtype(t.dtype)
    if src.startswith("float"):
        r = ember.rand_like(e)
        assert r.dtype == e.dtype and r.shape == e.shape
        assert ember.randn_like(e).dtype == e.dtype


@pytest.mark.parametrize(
    "args, kwargs",
    [((5,), {}), ((1, 7, 2), {}), ((0.5, 3.0, 0.5), {}), ((10, 0, -3), {}), ((5,), {"dtype": "float64"}),
     ((0, 1, 0.1), {}), ((2, 5), {"dtype": "int32"}), ((1.0, 4), {})],
)
def test_arange_matches_torch(args, kwargs):
    e = ember.arange(*args, **{k: getattr(ember, v) for k, v in kwargs.items()})
    t = torch.arange(*args, **{k: getattr(torch, v) for k, v in kwargs.items()})
    assert_close(e, t)


@pytest.mark.parametrize("args", [(0, 1, 5), (-2.0, 3.0, 11), (1, 1, 1), (0, 10, 0)])
@pytest.mark.parametrize("dtype", [None, "float64"])
def test_linspace_matches_torch(args, dtype):
    kw = {} if dtype is None else {"dtype": getattr(ember, dtype)}
    tkw = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    assert_close(ember.linspace(*args, **kw), torch.linspace(*args, **tkw))


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2)])
@pytest.mark.parametrize("dtype", [None, "float64", "int64", "bool"])
def test_eye_matches_torch(args, dtype):
    kw = {} if dtype is None else {"dtype": getattr(ember, dtype)}
    tkw = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    assert_close(ember.eye(*args, **kw), torch.eye(*args, **tkw))


def test_random_creation_shapes_dtypes_and_ranges():
    for fn in ["randn", "rand"]:
        for dtype in [None, "float64"]:
            kw = {} if dtype is None else {"dtype": getattr(ember, dtype)}
            tkw = {} if dtype is None else {"dtype": getattr(torch, dtype)}
            e, t = getattr(ember, fn)(2, 3, **kw), getattr(torch, fn)(2, 3, **tkw)
            assert e.shape == t.shape and torch_dtype(e.dtype) == t.dtype
            assert getattr(ember, fn)((4, 5)).shape == (4, 5)
    u = ember.rand(20000)
    assert 0 <= float(u.min()) and float(u.max()) < 1 and abs(float(u.mean()) - 0.5) < 0.01
    n = ember.randn(20000, dtype=ember.float64)
    assert abs(float(n.mean())) < 0.03 and abs(float(n.std()) - 1) < 0.03
    r = ember.randint(3, 7, (1000,))
    assert r.dtype == torch_dtype_of(torch.randint(3, 7, (2,)))
    assert set(r.tolist()) == {3, 4, 5, 6}
    assert ember.randint(5, (2, 2)).shape == (2, 2)
    assert ember.randint(0, 5, (3,), dtype=ember.int32).dtype == ember.int32
    p = ember.randperm(10)
    assert p.dtype == ember.int64 and sorted(p.tolist()) == list(range(10))


def torch_dtype_of(t):
    return ember_dtype(t.dtype)


def test_manual_seed_reproducibility_and_generators():
    ember.manual_seed(123)
    a = [ember.randn(3), ember.rand(2), ember.randint(0, 10, (4,)), ember.randperm(5)]
    ember.manual_seed(123)
    b = [ember.randn(3), ember.rand(2), ember.randint(0, 10, (4,)), ember.randperm(5)]
    for x, y in zip(a, b):
        assert ember.equal(x, y)
    assert not ember.equal(ember.randn(3), a[0])
    g1, g2 = ember.Generator().manual_seed(7), ember.Generator().manual_seed(7)
    assert ember.equal(ember.randn(4, generator=g1), ember.randn(4, generator=g2))
    state = ember.get_rng_state()
    x = ember.rand(3)
    ember.set_rng_state(state)
    assert ember.equal(x, ember.rand(3))


@pytest.mark.parametrize("fn", ["randn", "rand"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_float_samplers_refuse_integer_dtypes_like_torch(fn, dtype):
    with pytest.raises(NotImplementedError) as tinfo:
        getattr(torch, fn)(2, dtype=getattr(torch, dtype))
    with pytest.raises(NotImplementedError) as einfo:
        getattr(ember, fn)(2, dtype=getattr(ember, dtype))
    assert str(einfo.value) == str(tinfo.value)


def test_creation_errors_match_torch():
    with pytest.raises(RuntimeError):
        torch.zeros(-1)
    with pytest.raises(RuntimeError, match="negative dimension"):
        ember.zeros(-1)
    with pytest.raises(RuntimeError):
        ember.arange(0, 1, 0)
    with pytest.raises(TypeError):
        ember.tensor("abc")


# ---- conversion and printing ------------------------------------------------------------------
def test_numpy_item_tolist_array():
    e, t = ember.tensor([[1.5, 2.0], [3.0, 4.0]]), torch.tensor([[1.5, 2.0], [3.0, 4.0]])
    assert e.tolist() == t.tolist()
    assert ember.tensor(3).item() == torch.tensor(3).item() and isinstance(ember.tensor(3).item(), int)
    assert ember.tensor(2.5).item() == 2.5 and isinstance(ember.tensor([True]).item(), bool)
    assert np.asarray(e).dtype == np.float32 and np.shares_memory(np.asarray(e), e.numpy())
    np.testing.assert_array_equal(np.array(e, dtype=np.float64), t.numpy().astype(np.float64))
    assert float(ember.tensor([2.5])) == 2.5 and int(ember.tensor(3.7)) == 3
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        e.item()
    with pytest.raises(RuntimeError, match="detach"):
        ember.ones(2, requires_grad=True).numpy()
    assert ember.ones(2, requires_grad=True).detach().numpy().tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ember.ones(2))


REPR_CASES = [
    lambda T: T.tensor([0.1615, 0.2764]),
    lambda T: T.tensor(0.6),
    lambda T: T.tensor([1.0, 2.0]),
    lambda T: T.tensor(3),
    lambda T: T.tensor([1, -2, 30]),
    lambda T: T.tensor([True, False]),
    lambda T: T.tensor([[1.5, -2.25], [100.0, 0.125]]),
    lambda T: T.tensor([[0.1, -0.2, 3.0], [4.0, 5.5, -6.0]]),
    lambda T: T.tensor([1e-5, 1.0]),
    lambda T: T.tensor([1e9, 1.0]),
    lambda T: T.tensor([1.0, 2.0], dtype=T.float64),
    lambda T: T.tensor([1, 2], dtype=T.int32),
    lambda T: T.tensor([1.0, float("nan"), float("inf")]),
    lambda T: T.tensor([1.0, 2.0], requires_grad=True),
    lambda T: T.tensor([1.0, 2.0], requires_grad=True) * 2,
    lambda T: T.zeros(0),
    lambda T: T.zeros(2, 0),
    lambda T: T.tensor([-0.5, 0.25]),
    lambda T: T.arange(12.0).reshape(3, 4) / 7,
    lambda T: T.tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]),
    lambda T: T.arange(2000.0) / 3,  # summarized
    lambda T: T.linspace(-5, 5, 60).reshape(3, 20),  # wrapped lines
    lambda T: T.arange(1200).reshape(10, 120),
    lambda T: T.arange(4000.0).reshape(10, 20, 20) * 1e-3,
    lambda T: (T.arange(16.0).reshape(2, 8) / 3).requires_grad_() * 2,  # suffix on a new line
    lambda T: T.tensor([0.0, 0.0]),
    lambda T: T.tensor([100000.0, 2.0]),
    lambda T: T.tensor([True, False, True], dtype=T.bool).reshape(3, 1),
    lambda T: T.tensor([[1.0, 5.0], [3.0, 2.0]]).max(1),
    lambda T: T.tensor([], dtype=T.bool),
    lambda T: T.zeros(0, 2, dtype=T.int64),
    lambda T: T.randperm(0),
    lambda T: T.zeros(0, dtype=T.float64),
    lambda T: T.tensor([[1, 5], [3, 2]]).min(dim=0, keepdim=True),
]


@pytest.mark.parametrize("make", REPR_CASES, ids=range(len(REPR_CASES)))
def test_repr_matches_torch(make):
    assert repr(make(ember)) == repr(make(torch)).replace("torch.", "ember.")


def test_size_and_shape():
    e = ember.zeros(2, 3, 4)
    assert e.shape == (2, 3, 4) and e.size() == torch.zeros(2, 3, 4).size() and e.size(-1) == 4
    assert repr(e.shape) == "ember.Size([2, 3, 4])" and e.numel() == 24 and e.dim() == 3 and len(e) == 2


def test_pickle_and_deepcopy_round_trip():
    e = ember.randn(3, requires_grad=True)
    for c in (pickle.loads(pickle.dumps(e)), copy.deepcopy(e)):
        assert ember.equal(c, e) and c.requires_grad and c is not e


@pytest.mark.parametrize("target", ["float64", "float32", "int64", "int32", "bool"])
def test_to_dtype(target):
    e, t = ember.tensor([0.0, 1.5, -2.7]), torch.tensor([0.0, 1.5, -2.7])
    assert_close(e.to(getattr(ember, target)), t.to(getattr(torch, target)))
    assert_close(e.to(dtype=getattr(ember, target)), t.to(dtype=getattr(torch, target)))
    assert_close(e.double(), t.double())
    assert_close(e.long(), t.long())
    assert_close(e.int(), t.int())
    assert_close(e.bool(), t.bool())


# ---- in-place methods --------------------------------------------------------------------------
def _pair(seed, shape=(3, 4), dtype=np.float32):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return ember.tensor(a), torch.tensor(a)


INPLACE = [
    ("add_", lambda x, o, T: x.add_(o)),
    ("add_alpha", lambda x, o, T: x.add_(o, alpha=-0.3)),
    ("add_scalar", lambda x, o, T: x.add_(2.5)),
    ("sub_", lambda x, o, T: x.sub_(o, alpha=2)),
    ("mul_", lambda x, o, T: x.mul_(o)),
    ("mul_scalar", lambda x, o, T: x.mul_(0.9)),
    ("div_", lambda x, o, T: x.div_(o.abs() + 1)),
    ("div_scalar", lambda x, o, T: x.div_(4)),
    ("addcmul_", lambda x, o, T: x.addcmul_(o, o, value=0.1)),
    ("addcdiv_", lambda x, o, T: x.addcdiv_(o, o.abs() + 1, value=-0.5)),
    ("lerp_scalar", lambda x, o, T: x.lerp_(o, 0.25)),
    ("lerp_tensor", lambda x, o, T: x.lerp_(o, o.abs() / 4)),
    ("clamp_", lambda x, o, T: x.clamp_(-0.5, 0.5)),
    ("clamp_min_only", lambda x, o, T: x.clamp_(min=0)),
    ("copy_", lambda x, o, T: x.copy_(o)),
    ("copy_bcast", lambda x, o, T: x.copy_(o[0])),
    ("zero_", lambda x, o, T: x.zero_()),
    ("fill_", lambda x, o, T: x.fill_(1.25)),
    ("sqrt_", lambda x, o, T: x.abs_().sqrt_()),
    ("pow_", lambda x, o, T: x.pow_(2)),
    ("neg_exp_", lambda x, o, T: x.neg_().exp_()),
    ("masked_fill_", lambda x, o, T: x.masked_fill_(o > 0, -1.0)),
    ("iadd", lambda x, o, T: x.__iadd__(o)),
    ("isub_scalar", lambda x, o, T: x.__isub__(1)),
    ("imul", lambda x, o, T: x.__imul__(o[1])),
    ("itruediv", lambda x, o, T: x.__itruediv__(2)),
    ("setitem", lambda x, o, T: x.__setitem__((slice(None), 1), 5.0) or x),
    ("setitem_tensor", lambda x, o, T: x.__setitem__(o > 0, o[o > 0] * 2) or x),
    ("scatter_", lambda x, o, T: x.scatter_(1, T.tensor([[0], [2], [1]]), o[:, :1])),
]


@pytest.mark.parametrize("name, fn", INPLACE, ids=[n for n, _ in INPLACE])
def test_in_place_methods_match_torch(name, fn):
    (x, tx), (o, to) = _pair(0), _pair(1)
    ptr = x.data_ptr()
    r, tr = fn(x, o, ember), fn(tx, to, torch)
    assert r is x and tr is tx  # returns self
    assert x.data_ptr() == ptr  # really in place
    assert_close(x, tx)


def test_in_place_dtype_rules_match_torch():
    i, ti = ember.tensor([1, 2]), torch.tensor([1, 2])
    with pytest.raises(RuntimeError):
        ti.add_(0.5)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.add_(0.5)
    i.add_(3)
    ti.add_(3)
    assert_close(i, ti)
    f, tf = ember.ones(2), torch.ones(2)
    f.add_(ember.tensor([1, 2]))
    tf.add_(torch.tensor([1, 2]))
    assert_close(f, tf)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        ember.ones(2).add_(ember.ones(3, 2))


def test_normal_and_uniform_in_place():
    x = ember.empty(20000, dtype=ember.float64)
    assert x.normal_(2.0, 0.5) is x
    assert abs(float(x.mean()) - 2.0) < 0.02 and abs(float(x.std()) - 0.5) < 0.02
    y = ember.empty(20000)
    y.uniform_(-1, 3)
    assert y.dtype == ember.float32 and -1 <= float(y.min()) and float(y.max()) < 3
    assert abs(float(y.mean()) - 1.0) < 0.05
    ember.manual_seed(5)
    a = ember.empty(4).normal_()
    ember.manual_seed(5)
    assert ember.equal(a, ember.empty(4).normal_())


# ---- a user's own optimizer, the torch tutorial way --------------------------------------------
def _mlp_data():
    rng = np.random.default_rng(0)
    w1, b1 = rng.standard_normal((8, 5)).astype(np.float32) * 0.3, np.zeros(8, np.float32)
    w2, b2 = rng.standard_normal((3, 8)).astype(np.float32) * 0.3, np.zeros(3, np.float32)
    x, y = rng.standard_normal((16, 5)).astype(np.float32), rng.integers(0, 3, 16)
    return [w1, b1, w2, b2], x, y


def _loss(T, params, x, y):
    w1, b1, w2, b2 = params
    h = (x @ w1.T + b1).relu()
    logp = (h @ w2.T + b2).log_softmax(dim=1)
    return -logp[T.arange(len(y)), y].mean()


@pytest.mark.parametrize("style", ["no_grad_isub", "add_alpha", "data_add", "momentum"])
def test_handwritten_sgd_matches_torch(style):
    arrays, xa, ya = _mlp_data()

    def train(T):
        params = [T.tensor(a.copy(), requires_grad=True) for a in arrays]
        bufs = [T.zeros_like(p) for p in params]
        x, y = T.tensor(xa), T.tensor(ya)
        lr, losses = 0.1, []
        for _ in range(5):
            loss = _loss(T, params, x, y)
            losses.append(loss.item())
            loss.backward()
            if style == "data_add":
                for p in params:
                    p.data.add_(p.grad.data, alpha=-lr)
            else:
                with T.no_grad():
                    for p, buf in zip(params, bufs):
                        if style == "no_grad_isub":
                            p -= lr * p.grad
                        elif style == "add_alpha":
                            p.add_(p.grad, alpha=-lr)
                        else:
                            buf.mul_(0.9).add_(p.grad)
                            p.sub_(buf, alpha=lr)
            for p in params:
                p.grad.zero_() if style != "add_alpha" else setattr(p, "grad", None)
        return params, losses

    (ep, el), (tp, tl) = train(ember), train(torch)
    np.testing.assert_allclose(el, tl, rtol=1e-5)
    assert el[-1] < el[0]
    for a, b in zip(ep, tp):
        assert_close(a, b, atol=1e-6, rtol=1e-5)
        assert a.is_leaf and a.requires_grad


def test_integer_indexing_and_iteration_give_0d_tensors_over_arrays():
    t = ember.tensor([1.5, 2.5, 3.0])
    for item in (t[0], list(t)[1], ember.as_tensor(np.int64(3))):
        assert type(item._data) is np.ndarray and item.ndim == 0
        assert np.asarray(item).shape == ()



# ---- Tensor._relocate: the one way other modules move a tensor's storage ----------------------------------
def _move(case, lib, model):
    if case == "data_same_shape":
        model.weight.data = lib.ones(1, 3)
    elif case == "data_new_shape":  # the optimizer's flat gradient buffer no longer fits and is let go
        model.weight.data = lib.ones(1, 2)
    else:
        model.double()


def _two_sgd_steps(lib, case):
    """An SGD step (the optimizer packs the weight into its flat buffers), a storage move, a second step."""
    rng = np.random.default_rng(7)
    model = lib.nn.Linear(3, 1, bias=False)
    with lib.no_grad():
        model.weight.copy_(lib.tensor(rng.standard_normal((1, 3)).astype(np.float32)))
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    model(lib.tensor(x)).pow(2).sum().backward()
    opt.step()
    _move(case, lib, model)
    opt.zero_grad()
    w = model.weight
    (lib.tensor(x[:, : w.shape[1]]).to(w.dtype) @ w.T).pow(2).sum().backward()
    opt.step()
    return w, w.grad


@pytest.mark.parametrize("case", ["data_same_shape", "data_new_shape", "module_double"])
def test_storage_moved_after_an_optimizer_packed_the_parameter_matches_torch(case):
    (pt, gt), (pe, ge) = _two_sgd_steps(torch, case), _two_sgd_steps(ember, case)
    assert_close(pe, pt.detach(), rtol=1e-6, atol=1e-6)  # the first step ran in float32 before .double()
    assert_close(ge, gt, rtol=1e-6, atol=1e-6)


def test_relocate_keeps_identity_and_lets_go_of_a_gradient_buffer_that_no_longer_fits():
    t = ember.zeros(2, 3, requires_grad=True)
    buf = np.zeros(6, np.float32)
    t._relocate(grad=buf.reshape(2, 3))
    (t * 2).sum().backward()
    assert t.grad.numpy().base is buf and np.all(buf == 2)
    same = np.ones((2, 3), np.float32)
    t._relocate(same)
    assert t._data is same and t._grad_view is not None and t.requires_grad and t.grad is not None
    t._relocate(np.ones((2, 3), np.float64))
    assert t._grad_view is None and t.dtype == ember.float64
