"""create_graph=True: gradients of gradients (one backward formula per op, ops/_xp.py) against torch and finite differences."""
from __future__ import annotations

import numpy as np
import pytest
from _oracle import torch

import ember


def _lib_fn(name):
    """fn(lib, x, y) for one supported op; y is a second operand where the op takes one."""
    return {
        "add": lambda lib, x, y: (x + y) * x,
        "sub": lambda lib, x, y: (x - y) * x,
        "mul": lambda lib, x, y: x * y,
        "div": lambda lib, x, y: x / (y * y + 1),
        "neg": lambda lib, x, y: -x * x,
        "pow3": lambda lib, x, y: x ** 3,
        "pow2": lambda lib, x, y: x ** 2,
        "pow0.5": lambda lib, x, y: (x * x + 1) ** 0.5,
        "exp": lambda lib, x, y: x.exp(),
        "log": lambda lib, x, y: (x * x + 1).log(),
        "sqrt": lambda lib, x, y: (x * x + 1).sqrt(),
        "sigmoid": lambda lib, x, y: x.sigmoid(),
        "tanh": lambda lib, x, y: x.tanh(),
        "relu": lambda lib, x, y: lib.relu(x) * x,
        "leaky_relu": lambda lib, x, y: lib.nn.functional.leaky_relu(x, 0.1) * x,
        "sum_dim": lambda lib, x, y: (x.sum(1) ** 2).sum() + x.sum(0, keepdim=True) * y,
        "mean_dim": lambda lib, x, y: x.mean(1, keepdim=False).exp(),
        "mean_all": lambda lib, x, y: x.tanh().mean() * x,
        "reshape": lambda lib, x, y: x.reshape(-1).sigmoid().reshape(3, 4) * y,
        "permute": lambda lib, x, y: x.t().exp() @ y,
        "expand": lambda lib, x, y: x[:1].expand(3, 4) * x * y,
        "matmul": lambda lib, x, y: (x @ y.t()).tanh() @ x,
        "linear": lambda lib, x, y: lib.nn.functional.linear(x.tanh(), y, y[:, 0]).sigmoid(),
        "index": lambda lib, x, y: (x[1:, ::2].exp() * y[0, 1:3]).sum() + x[0] * x[2],
        "log1p": lambda lib, x, y: (x * x).log1p(),
        "expm1": lambda lib, x, y: (x * y).expm1(),
        "rsqrt": lambda lib, x, y: (x * x + 1).rsqrt(),
        "reciprocal": lambda lib, x, y: (x * x + 1).reciprocal(),
        "abs": lambda lib, x, y: x.abs() * x * y,
        "sin_cos": lambda lib, x, y: x.sin() * y.cos() + x.cos() * x,
        "clamp": lambda lib, x, y: x.clamp(-0.5, 0.7) * x,
        "where": lambda lib, x, y: lib.where(x > y, x * x, x * y),
        "cast": lambda lib, x, y: x.float().exp().double() * x,
        "clone": lambda lib, x, y: x.clone() * x,
        "softmax": lambda lib, x, y: lib.softmax(x * y, 1),
        "log_softmax": lambda lib, x, y: lib.log_softmax(x * y, 0) * x,
        "silu": lambda lib, x, y: lib.nn.functional.silu(x * y),
        "elu": lambda lib, x, y: lib.nn.functional.elu(x * y, 0.7) * x,
        "cat": lambda lib, x, y: lib.cat([x * x, x[:, :2] * y[:, :2]], 1).exp(),
        "stack": lambda lib, x, y: lib.stack([x * x, x * y], 0).tanh(),
        "gelu": lambda lib, x, y: lib.nn.functional.gelu(x * y) * x,
        "gelu_tanh": lambda lib, x, y: lib.nn.functional.gelu(x * y, approximate="tanh") * x,
        "hardtanh": lambda lib, x, y: lib.nn.functional.hardtanh(x * 2, -1.0, 0.5) * x,
        "softplus": lambda lib, x, y: lib.nn.functional.softplus(x * y, beta=2.0, threshold=1.5),
        "var": lambda lib, x, y: x.var(1, keepdim=True) * x + x.var() * y,
        "logsumexp": lambda lib, x, y: x.logsumexp(1) * x.logsumexp(0).sum(),
        "nll": lambda lib, x, y: lib.nn.functional.nll_loss(lib.log_softmax(x * y, 1), lib.tensor([0, 3, 1])),
    }[name]


OPS = ["add", "sub", "mul", "div", "neg", "pow3", "pow2", "pow0.5", "exp", "log", "sqrt", "sigmoid", "tanh", "relu",
       "leaky_relu", "sum_dim", "mean_dim", "mean_all", "reshape", "permute", "expand", "matmul", "linear", "index",
       "log1p", "expm1", "rsqrt", "reciprocal", "abs", "sin_cos", "clamp", "where", "cast", "clone", "softmax",
       "log_softmax", "silu", "elu", "cat", "stack", "gelu", "gelu_tanh", "hardtanh", "softplus", "var", "logsumexp", "nll"]


def _hvp(lib, fn, x0, y0, v0):
    """∂/∂(x, y) of ⟨∂f/∂x, v⟩, with f = Σ fn(x, y)·w: a Hessian-vector product through create_graph."""
    x = lib.tensor(x0, requires_grad=True)
    y = lib.tensor(y0, requires_grad=True)
    out = fn(lib, x, y)
    f = (out * lib.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape)))).sum()
    gx, = lib.autograd.grad(f, x, create_graph=True)
    hx, hy = lib.autograd.grad((gx * lib.tensor(v0)).sum(), (x, y), allow_unused=True)
    z = np.zeros_like(x0)
    return (gx.detach().numpy(), hx.numpy() if hx is not None else z,
            hy.numpy() if hy is not None else np.zeros_like(y0))


@pytest.mark.parametrize("name", OPS)
def test_hessian_vector_products_match_torch(name, rng):
    x0, y0, v0 = (rng.standard_normal((3, 4)) for _ in range(3))
    tol = dict(rtol=1e-6, atol=1e-7) if name == "cast" else dict(rtol=1e-10, atol=1e-12)  # cast: a float32 leg
    for got, want in zip(_hvp(ember, _lib_fn(name), x0, y0, v0), _hvp(torch, _lib_fn(name), x0, y0, v0)):
        np.testing.assert_allclose(got, want, err_msg=name, **tol)


@pytest.mark.parametrize("name", [n for n in OPS if n != "cast"])  # (cast goes through float32: not gradcheck-exact)
def test_second_derivatives_pass_gradcheck(name, rng):
    """gradcheck of x -> ∂f/∂x (float64 finite differences of the first derivative)."""
    y0 = rng.standard_normal((3, 4))
    fn = _lib_fn(name)

    def first_derivative(x):
        return ember.autograd.grad(fn(ember, x, ember.tensor(y0)).sum(), x, create_graph=True)[0]

    x = ember.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert ember.autograd.gradcheck(first_derivative, [x])


def _critic(nn):
    return nn.Sequential(nn.Linear(5, 8), nn.LeakyReLU(0.2), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_penalty_matches_torch(dtype, rng):
    """WGAN-GP's penalty: ((‖∂D(x)/∂x‖ − 1)²).mean(), differentiated with respect to D's parameters."""
    tm = _critic(torch.nn).to(getattr(torch, np.dtype(dtype).name))
    em = _critic(ember.nn).to(getattr(ember, np.dtype(dtype).name))
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x0 = rng.standard_normal((6, 5)).astype(dtype)
    for lib, model in ((torch, tm), (ember, em)):
        x = lib.tensor(x0, requires_grad=True)
        g, = lib.autograd.grad(model(x).sum(), x, create_graph=True)
        (((g ** 2).sum(1).sqrt() - 1) ** 2).mean().backward()
    tol = dict(rtol=1e-4, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    for (name, tp), ep in zip(tm.named_parameters(), em.parameters()):
        if tp.grad is None:  # the last layer's bias does not reach ∂D/∂x
            assert ep.grad is None, name
            continue
        np.testing.assert_allclose(ep.grad.numpy(), tp.grad.numpy(), err_msg=name, **tol)


def test_backward_with_create_graph_leaves_differentiable_grads_like_torch(rng):
    """A MAML-style inner step: θ' = θ − α·∂L/∂θ (graph kept), then the outer loss is differentiated through it."""
    w0, x0, y0 = rng.standard_normal((2, 3)), rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    grads = []
    for lib in (torch, ember):
        w = lib.tensor(w0, requires_grad=True)
        x, y = lib.tensor(x0), lib.tensor(y0)
        inner = ((x @ w.t() - y) ** 2).mean()
        inner.backward(create_graph=True)
        assert w.grad.requires_grad and w.grad.grad_fn is not None
        fast = w - 0.1 * w.grad
        outer = ((x.tanh() @ fast.t() - y) ** 2).mean()
        grads.append(lib.autograd.grad(outer, w)[0].numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-10, atol=1e-12)


def test_an_op_without_a_double_backward_says_which(monkeypatch):
    from ember.autograd.ops.elementwise import Exp

    monkeypatch.setattr(Exp, "once_differentiable", True)  # (every op of ember has a double backward now)
    x = ember.randn(4, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"cannot differentiate the backward of ExpBackward0 again"):
        ember.autograd.grad(x.exp().sum(), x, create_graph=True)


CE_OPTIONS = [dict(), dict(reduction="sum"), dict(reduction="none"), dict(weight=True), dict(label_smoothing=0.2),
              dict(ignore_index=3), dict(weight=True, label_smoothing=0.1, ignore_index=1)]


@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2)])
@pytest.mark.parametrize("options", CE_OPTIONS, ids=lambda o: ",".join(o) or "default")
def test_cross_entropy_hessian_vector_products_match_torch(options, shape, rng):
    x0, v0 = rng.standard_normal(shape), rng.standard_normal(shape)
    t0 = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    w0 = rng.random(shape[1]) + 0.5
    out = []
    for lib in (torch, ember):
        x = lib.tensor(x0, requires_grad=True)
        kw = {k: (lib.tensor(w0) if k == "weight" else v) for k, v in options.items()}
        loss = lib.nn.functional.cross_entropy(x.tanh() * 3, lib.tensor(t0), **kw)
        if loss.dim():
            loss = (loss * lib.tensor(np.linspace(1, 2, loss.numel()).reshape(tuple(loss.shape)))).sum()
        g, = lib.autograd.grad(loss, x, create_graph=True)
        h, = lib.autograd.grad((g * lib.tensor(v0)).sum(), x)
        out.append((g.detach().numpy(), h.numpy()))
    for got, want in zip(out[1], out[0]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_hessian_vector_products_match_torch(reduction, rng):
    x0, y0 = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    out = []
    for lib in (torch, ember):
        x, y = lib.tensor(x0, requires_grad=True), lib.tensor(y0, requires_grad=True)
        loss = lib.nn.functional.mse_loss(x.exp(), y * x, reduction=reduction).sum()
        g, = lib.autograd.grad(loss, x, create_graph=True)
        out.append(tuple(h.numpy() for h in lib.autograd.grad((g * g).sum(), (x, y))))
    for got, want in zip(out[1], out[0]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2), dict(padding=1), dict(padding="same"),
                                dict(padding=(2, 1), stride=(2, 1), dilation=(1, 2))],
                         ids=["plain", "stride", "padding", "same", "mixed"])
def test_conv2d_and_max_pool_second_derivatives_match_torch(kw, rng):
    """A conv critic's gradient penalty: ∂/∂(x, W, b) of ‖∂f/∂x‖², f = Σ maxpool(tanh(conv(x)))²."""
    x0, w0, b0 = rng.standard_normal((2, 3, 9, 8)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    out = []
    for lib in (torch, ember):
        F = lib.nn.functional
        x, w, b = (lib.tensor(a, requires_grad=True) for a in (x0, w0, b0))
        y = F.conv2d(x, w, b, **kw).tanh()
        y = F.max_pool2d(y, 2, 1, 1)
        gx, = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        out.append([gx.detach().numpy()] + [h.numpy() for h in lib.autograd.grad((gx ** 2).sum(), (x, w, b))])
    for got, want in zip(out[1], out[0]):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


def test_conv1d_and_max_pool1d_second_derivatives_pass_gradcheck(rng):
    w = ember.tensor(rng.standard_normal((2, 3, 3)), requires_grad=True)

    def first_derivative(x):
        y = ember.nn.functional.max_pool1d(ember.nn.functional.conv1d(x, w, padding=1).sigmoid(), 2)
        return ember.autograd.grad((y * y).sum(), x, create_graph=True)[0]

    x = ember.tensor(rng.standard_normal((2, 3, 7)), requires_grad=True)
    assert ember.autograd.gradcheck(first_derivative, [x])


NORMS = {
    "layer_norm": lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (5,)),
    "layer_norm_two_dims": lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (3, 5)) * 2,
    "group_norm": lambda lib, x, w, b: lib.nn.functional.group_norm(x, 1, w, b),
    "batch_norm_train": lambda lib, x, w, b: lib.nn.functional.batch_norm(x, None, None, w, b, training=True),
    "batch_norm_eval": lambda lib, x, w, b: lib.nn.functional.batch_norm(x, b * 0.1, w, training=False),
}


@pytest.mark.parametrize("name", list(NORMS))
def test_normalization_second_derivatives_match_torch(name, rng):
    x0, w0, b0 = rng.standard_normal((4, 3, 5)), rng.random(3) + 0.5, rng.standard_normal(3)
    weights = np.linspace(0, 1, 60).reshape(4, 3, 5)
    out = []
    for lib in (torch, ember):
        x = lib.tensor(x0, requires_grad=True)
        y = NORMS[name](lib, x, lib.tensor(w0), lib.tensor(b0)).tanh()
        g, = lib.autograd.grad((y * y * lib.tensor(weights)).sum(), x, create_graph=True)
        out.append((g.detach().numpy(), lib.autograd.grad((g * g).sum(), x)[0].numpy()))
    for got, want in zip(out[1], out[0]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_dropout_second_derivative_passes_gradcheck(rng):
    """(Random masks differ from torch's: the float64 finite differences are the oracle, with a fixed mask.)"""
    def first_derivative(x):
        ember.manual_seed(3)
        y = ember.nn.functional.dropout(x.tanh(), 0.5) * x
        return ember.autograd.grad(y.sum(), x, create_graph=True)[0]

    x = ember.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    assert ember.autograd.gradcheck(first_derivative, [x])


def test_retained_grad_of_a_non_leaf_is_set_with_create_graph_like_torch(rng):
    x0 = rng.standard_normal(4)
    grads = []
    for lib in (torch, ember):
        x = lib.tensor(x0, requires_grad=True)
        h = x.tanh()
        h.retain_grad()
        (h * h).sum().backward(create_graph=True)
        grads.append((h.grad.detach().numpy(), lib.autograd.grad(h.grad.sum(), x)[0].numpy()))
    for got, want in zip(grads[1], grads[0]):
        np.testing.assert_allclose(got, want, rtol=1e-12)


F = ember.nn.functional
# ops whose first-order backward is a fast kernel (Winograd, im2col GEMM, numba passes, in-place buffers) and whose
# create_graph backward composes differentiable ops: fn(x, y) with x, y of the given shapes (float32)
KERNEL_PATHS = {
    "conv2d_winograd": (lambda x, y: F.conv2d(x, y, y[0, :, 0, 0], padding=1), (2, 32, 6, 6), (32, 32, 3, 3)),
    "conv2d_grouped": (lambda x, y: F.conv2d(x, y, stride=2, dilation=(1, 2), groups=2, padding=(1, 2)),
                       (2, 4, 9, 9), (6, 2, 3, 3)),
    "conv1d": (lambda x, y: F.conv1d(x, y, y[:, 0, 0], stride=2, padding=1), (3, 4, 11), (5, 4, 3)),
    "conv_transpose2d": (lambda x, y: F.conv_transpose2d(x, y, stride=2, padding=1, output_padding=1, groups=2),
                         (2, 4, 5, 5), (4, 3, 3, 3)),
    "max_pool2d": (lambda x, y: F.max_pool2d(x * y, 3, stride=2, padding=1), (2, 3, 9, 9), (2, 3, 9, 9)),
    "avg_pool2d": (lambda x, y: F.avg_pool2d(x * y, 3, stride=2, padding=1, ceil_mode=True), (2, 3, 8, 8), (2, 3, 8, 8)),
    "cross_entropy": (lambda x, y: F.cross_entropy(x * y, ember.tensor(np.arange(64) % 10)), (64, 10), (64, 10)),
    "cross_entropy_smoothed": (lambda x, y: F.cross_entropy(x * y, ember.tensor(np.arange(64) % 10), ignore_index=3,
                                                            label_smoothing=0.1, weight=ember.arange(10.0) + 1),
                               (64, 10), (64, 10)),
    "mse_loss": (lambda x, y: F.mse_loss(x, y) + F.mse_loss(x, y, reduction="sum"), (300, 70), (300, 70)),
    "bce_with_logits": (lambda x, y: F.binary_cross_entropy_with_logits(x, y.sigmoid()), (300, 70), (300, 70)),
    "binary_cross_entropy": (lambda x, y: F.binary_cross_entropy(x.sigmoid(), y.sigmoid(), reduction="sum"),
                             (300, 70), (300, 70)),
    "nll_loss": (lambda x, y: F.nll_loss(x * y, ember.tensor(np.arange(64) % 10)), (64, 10), (64, 10)),
    "batch_norm": (lambda x, y: F.batch_norm(x, None, None, training=True) * y, (16, 5, 3), (16, 5, 3)),
}


@pytest.mark.parametrize("name", sorted(KERNEL_PATHS))
def test_the_kernel_path_and_the_create_graph_path_give_the_same_gradient(name, rng):
    """One backward, two evaluations: the first-order kernels (arrays) and the composition of differentiable ops
    (Tensors, create_graph=True) agree on the gradient, where the kernels are the ones that run at these sizes."""
    fn, xs, ys = KERNEL_PATHS[name]
    x = ember.tensor(rng.standard_normal(xs).astype(np.float32), requires_grad=True)
    y = ember.tensor(rng.standard_normal(ys).astype(np.float32), requires_grad=True)
    out = fn(x, y)
    weights = ember.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape)).astype(np.float32))
    fast = ember.autograd.grad((out * weights).sum(), (x, y), retain_graph=True)
    graph = ember.autograd.grad((out * weights).sum(), (x, y), create_graph=True)
    for a, b in zip(fast, graph):
        assert b.grad_fn is not None and b.dtype == a.dtype == ember.float32
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=2e-4, atol=2e-5, err_msg=name)
