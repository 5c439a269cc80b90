"""The autograd engine's contract, checked against torch: backward(gradient=, retain_graph=), accumulation,
detach/requires_grad_, grad modes, autograd.grad, custom Functions, retain_grad, hooks, and the errors."""
from __future__ import annotations

import numpy as np
import pytest

from _oracle import assert_close, to_torch, torch

import ember


def pair(*shape, dtype=np.float32, seed=0, requires_grad=True):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return ember.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


# ---- backward ---------------------------------------------------------------------------------
def test_backward_with_gradient_argument_matches_torch():
    (x, tx), g = pair(3, 4), np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    (x * x.exp()).backward(gradient=ember.tensor(g))
    (tx * tx.exp()).backward(gradient=torch.tensor(g))
    assert_close(x.grad, tx.grad)


def test_backward_on_non_scalar_without_gradient_raises():
    x, tx = pair(3)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (tx * 2).backward()


def test_backward_with_wrong_gradient_shape_raises():
    x, _ = pair(3)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(ember.ones(4))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.ones(3).sum().backward()


def test_second_backward_through_freed_graph_raises():
    x, tx = pair(3)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    ty = (tx.exp() * tx).sum()
    ty.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        ty.backward()


def test_retain_graph_allows_a_second_backward_and_accumulates():
    x, tx = pair(3, 2)
    y, ty = (x.sigmoid() * x).sum(), (tx.sigmoid() * tx).sum()
    y.backward(retain_graph=True)
    ty.backward(retain_graph=True)
    y.backward()
    ty.backward()
    assert_close(x.grad, tx.grad)


def test_grad_accumulates_over_backward_calls_and_zeroes():
    x, tx = pair(4)
    for k in range(3):
        (x * (k + 1)).pow(2).sum().backward()
        (tx * (k + 1)).pow(2).sum().backward()
    assert_close(x.grad, tx.grad)
    x.grad.zero_()
    tx.grad.zero_()
    (x ** 3).sum().backward()
    (tx ** 3).sum().backward()
    assert_close(x.grad, tx.grad)
    x.grad = None
    (x * 2).sum().backward()
    assert_close(x.grad, torch.full((4,), 2.0))


def test_gradient_reaches_a_tensor_used_many_times():
    x, tx = pair(3)
    y = x * x + x.exp() * x - x / (x.abs() + 1)
    ty = tx * tx + tx.exp() * tx - tx / (tx.abs() + 1)
    y.sum().backward()
    ty.sum().backward()
    assert_close(x.grad, tx.grad)


def test_non_leaf_grad_is_none_unless_retained():
    x, tx = pair(3)
    h, th = x * 2, tx * 2
    h.retain_grad()
    th.retain_grad()
    m = x * 3
    (h * h + m).sum().backward()
    (th * th + tx * 3).sum().backward()
    assert h.retains_grad and not m.retains_grad
    assert_close(h.grad, th.grad)
    assert m.grad is None
    assert not h.is_leaf and x.is_leaf


def test_leaf_of_grad_false_gets_no_grad():
    x, _ = pair(3)
    c = ember.ones(3)
    (x * c).sum().backward()
    assert c.grad is None and not c.requires_grad


def test_detach_shares_memory_and_stops_gradient():
    x, tx = pair(3)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d[0] = 5.0
    assert float(x[0]) == 5.0  # shared storage, like torch
    (x * d).sum().backward()
    td = tx.detach()
    td[0] = 5.0
    (tx * td).sum().backward()
    assert_close(x.grad, tx.grad)


def test_requires_grad_():
    x = ember.ones(2)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        ember.ones(2, dtype=ember.int64).requires_grad_()
    y = ember.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad_(False)


def test_integer_result_does_not_require_grad():
    x, tx = pair(3)
    assert x.argmax().requires_grad is tx.argmax().requires_grad is False
    assert (x > 0).requires_grad is False


# ---- grad modes ------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["no_grad", "inference_mode"])
def test_no_grad_and_inference_mode_as_context_manager_and_decorator(mode):
    x = ember.ones(2, requires_grad=True)
    with getattr(ember, mode)():
        assert not ember.is_grad_enabled()
        y = x * 2
    assert ember.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None

    @getattr(ember, mode)()
    def f(t):
        assert not ember.is_grad_enabled()
        return t * 2

    assert not f(x).requires_grad
    assert ember.is_grad_enabled()


def test_enable_grad_inside_no_grad_and_as_decorator():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        with ember.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad

    @ember.enable_grad()
    def f(t):
        return t * 2

    with ember.no_grad():
        assert f(x).requires_grad


def test_grad_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with ember.no_grad():
            raise ValueError
    assert ember.is_grad_enabled()


def test_set_grad_enabled_and_inference_mode_false_match_torch():
    with ember.set_grad_enabled(False), torch.set_grad_enabled(False):
        assert ember.is_grad_enabled() == torch.is_grad_enabled() == False  # noqa: E712
        with ember.inference_mode(False), torch.inference_mode(False):
            assert ember.is_grad_enabled() == torch.is_grad_enabled()
    assert ember.is_grad_enabled() and torch.is_grad_enabled()


# ---- autograd.grad ---------------------------------------------------------------------------
def test_autograd_grad_matches_torch_and_leaves_grad_alone():
    (x, tx), (w, tw) = pair(3, 2), pair(2, seed=1)
    y, ty = (x @ w).tanh().sum(), (tx @ tw).tanh().sum()
    gx, gw = ember.autograd.grad(y, [x, w])
    tgx, tgw = torch.autograd.grad(ty, [tx, tw])
    assert_close(gx, tgx)
    assert_close(gw, tgw)
    assert x.grad is None and w.grad is None


def test_autograd_grad_with_grad_outputs_and_intermediate_input():
    x, tx = pair(4)
    h, th = x.exp(), tx.exp()
    y, ty = h * x, th * tx
    g = np.arange(4, dtype=np.float32)
    (gh,) = ember.autograd.grad(y, h, grad_outputs=ember.tensor(g), retain_graph=True)
    (tgh,) = torch.autograd.grad(ty, th, grad_outputs=torch.tensor(g), retain_graph=True)
    assert_close(gh, tgh)


def test_autograd_grad_unused_input():
    (x, _), (z, _) = pair(2), pair(2, seed=3)
    with pytest.raises(RuntimeError, match="allow_unused"):
        ember.autograd.grad((x * 2).sum(), [x, z])
    gx, gz = ember.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gz is None
    assert_close(gx, torch.full((2,), 2.0))


# ---- custom Function -------------------------------------------------------------------------
class EmberCube(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x ** 3 * k

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2 * ctx.k, None


class TorchCube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x ** 3 * k

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2 * ctx.k, None


class EmberMulSetup(ember.autograd.Function):
    @staticmethod
    def forward(x, y):
        return x * y

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * y, g * x


class TorchMulSetup(torch.autograd.Function):
    @staticmethod
    def forward(x, y):
        return x * y

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * y, g * x


def test_custom_function_with_ctx_forward_matches_torch():
    x, tx = pair(3, 2)
    y, ty = EmberCube.apply(x, 2.0), TorchCube.apply(tx, 2.0)
    assert_close(y, ty)
    assert "EmberCube" in y.grad_fn.name()
    (y.sin()).sum().backward()
    (ty.sin()).sum().backward()
    assert_close(x.grad, tx.grad)
    assert ember.autograd.gradcheck(lambda t: EmberCube.apply(t, 1.5), (ember.randn(3, dtype=ember.float64, requires_grad=True),))


def test_custom_function_with_setup_context_matches_torch():
    (x, tx), (w, tw) = pair(3), pair(3, seed=2)
    y, ty = EmberMulSetup.apply(x, w), TorchMulSetup.apply(tx, tw)
    assert_close(y, ty)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    assert_close(x.grad, tx.grad)
    assert_close(w.grad, tw.grad)


def test_custom_function_second_backward_raises():
    x, _ = pair(3)
    y = EmberCube.apply(x, 1.0).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_custom_function_without_grad_inputs_is_not_recorded():
    y = EmberCube.apply(ember.ones(2), 1.0)
    assert not y.requires_grad and y.grad_fn is None


# ---- hooks -------------------------------------------------------------------------------------
def test_register_hook_on_leaf_and_intermediate_matches_torch():
    x, tx = pair(3)
    seen, tseen = [], []
    hx = x.register_hook(lambda g: g * 2)
    tx.register_hook(lambda g: g * 2)
    h, th = x.exp(), tx.exp()
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    th.register_hook(lambda g: tseen.append(g.numpy().copy()))
    (h * 3).sum().backward()
    (th * 3).sum().backward()
    assert_close(x.grad, tx.grad)
    np.testing.assert_allclose(seen[0], tseen[0])
    hx.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert_close(x.grad, torch.ones(3))


def test_register_hook_requires_grad():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ember.ones(2).register_hook(lambda g: g)


# ---- in-place rules ----------------------------------------------------------------------------
def test_in_place_change_of_leaf_requiring_grad_raises():
    x, tx = pair(3)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        tx.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.mul_(2)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x[0] = 1.0
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x += 1
    assert_close(x, tx)  # nothing changed


def test_in_place_on_leaf_allowed_under_no_grad():
    x, tx = pair(3)
    with ember.no_grad():
        x.add_(1)
        x *= 2
    with torch.no_grad():
        tx.add_(1)
        tx *= 2
    assert_close(x, tx)
    assert x.requires_grad and x.is_leaf


def test_in_place_on_intermediate_is_differentiable():
    x, tx = pair(3, 4)
    h, th = x * 2, tx * 2
    h.add_(x, alpha=0.5).mul_(x).clamp_(-1, 1)
    th.add_(tx, alpha=0.5).mul_(tx).clamp_(-1, 1)
    h2, th2 = x + 1, tx + 1
    h2[0] = x[1] * 3
    th2[0] = tx[1] * 3
    (h.sum() + h2.sum()).backward()
    (th.sum() + th2.sum()).backward()
    assert_close(h, th)
    assert_close(x.grad, tx.grad)


def test_in_place_change_after_the_tensor_was_consumed():
    x, tx = pair(3, 4)
    h2, th2 = x + 1, tx + 1
    h2[0] = h2[1] * 3  # h2[1] was read before h2 changed
    th2[0] = th2[1] * 3
    h2.sum().backward()
    th2.sum().backward()
    assert_close(x.grad, tx.grad)


def test_in_place_activation_after_the_tensor_was_consumed():
    x, tx = pair(3, 4)
    h, th = x * 2, tx * 2
    s, ts = h.sum(), th.sum()
    h.relu_()
    th.relu_()
    (s + h.sum()).backward()
    (ts + th.sum()).backward()
    assert_close(x.grad, tx.grad)


def test_grad_of_integer_leaf_is_refused():
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor([1, 2], requires_grad=True)


def test_to_torch_helper_round_trip():
    x = ember.randn(2, 3)
    assert_close(x, to_torch(x))


def test_grad_modes_work_as_bare_decorators_like_torch():
    x = ember.ones(2, requires_grad=True)

    @ember.no_grad
    def doubled(t):
        return t * 2

    @ember.inference_mode
    def tripled(t):
        return t * 3

    assert not doubled(x).requires_grad
    assert not tripled(x).requires_grad
    assert (x * 2).requires_grad


def test_top_level_lerp_addcmul_addcdiv_match_torch():
    a, b, c = (np.random.default_rng(i).standard_normal(4).astype(np.float32) for i in range(3))
    E, T = ember.from_numpy, torch.from_numpy
    assert_close(ember.lerp(E(a), E(b), 0.3), torch.lerp(T(a), T(b), 0.3))
    assert_close(ember.addcmul(E(a), E(b), E(c), value=0.5), torch.addcmul(T(a), T(b), T(c), value=0.5))
    assert_close(ember.addcdiv(E(a), E(b), E(c) + 3, value=2), torch.addcdiv(T(a), T(b), T(c) + 3, value=2))


def test_leaf_gradients_never_alias_each_other_or_the_callers_gradient():
    # The engine hands a leaf the gradient array itself when nothing else holds it (no copy);
    # arrays that are shared (Add passes one gradient to both inputs) or the caller's must be copied.
    a, b = ember.randn(3, requires_grad=True), ember.randn(3, requires_grad=True)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    seed = ember.ones(4)
    z = ember.randn(4, requires_grad=True)
    z.backward(seed)
    assert not np.shares_memory(z.grad.numpy(), seed.numpy())
    c = ember.randn(4, requires_grad=True)
    c.clone().backward(seed)
    c.grad.numpy()[0] = 7
    assert seed[0].item() == 1


def test_second_backward_fails_only_where_saved_arrays_were_freed_like_torch():
    x, tx = ember.randn(3, requires_grad=True), None
    tx = torch.tensor(x.detach().numpy(), requires_grad=True)
    y, ty = (x + 1).sum(), (tx + 1).sum()  # nothing saved but sizes: a second pass works in both
    y.backward(), y.backward()
    ty.backward(), ty.backward()
    assert_close(x.grad, tx.grad)
    z, tz = (x * x).sum(), (tx * tx).sum()  # Mul saved its inputs: both refuse a second pass
    z.backward(), tz.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        z.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        tz.backward()


def test_gradients_summed_in_place_keep_every_contribution_and_no_alias():
    # Gradients that several consumers send to one node are summed into an array only the engine holds;
    # a slice's gradient is added straight into it (GetItem.backward_into). Checked against torch where
    # the shares are slices, a scalar (NumPy scalars are immutable: no in-place sum), hooks and retain_graph.
    (x, tx), (w, tw) = pair(4, 6, dtype=np.float64, seed=1), pair(3, 5, dtype=np.float64, seed=2)
    seen, tseen = [], []
    outs = []
    for lib, a, b, store in ((ember, x, w, seen), (torch, tx, tw, tseen)):
        h = a * 2.0
        h.register_hook(lambda g, s=store: s.append(g))
        s = b.sum()
        q, k, v = h[:, :2], h[:, 2:4], h[:, 4:]
        y = (q * k).sum() + (v.exp() * h[:, 1:3]).sum() + (h / s).sum() + (b[0] * s).sum() + lib.chunk(h, 3, 1)[1].sum()
        y.backward(retain_graph=True)
        y.backward()
        outs.append((a.grad, b.grad))
    for e, t in zip(outs[0], outs[1]):
        assert_close(e, t)
    assert len(seen) == len(tseen) == 2
    assert_close(seen[0], tseen[0])
    assert not np.shares_memory(seen[0].numpy(), seen[1].numpy())


def test_second_derivative_through_a_scalar_shared_by_two_consumers_matches_torch():
    # (x / w.sum()): the double backward sends three gradients to the scalar w.sum(), each a NumPy scalar
    res = []
    for lib in (ember, torch):
        x = lib.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
        w = lib.tensor(np.linspace(0.5, 2, 12).reshape(3, 4), requires_grad=True)
        v = lib.tensor(np.linspace(-2, 1, 12).reshape(3, 4))
        gx, gw = lib.autograd.grad(x / w.sum(), (x, w), v, create_graph=True)
        res.append(lib.autograd.grad((gx * x).sum() + (gw * gw).sum(), (x, w)))
    for e, t in zip(*res):
        assert_close(e, t)


def test_three_gradients_summed_at_a_scalar_node_after_the_callers_match_torch():
    # the caller's gradient for s (not the engine's), then two more: 0-d + 0-d is a NumPy scalar, never summed into
    res = []
    for lib in (ember, torch):
        x = lib.tensor(2.0, requires_grad=True)
        s = x * 3.0
        lib.autograd.backward([s, s * 2.0, s * 5.0], [lib.tensor(1.0)] * 3)
        res.append(x.grad)
    assert_close(res[0], res[1])
