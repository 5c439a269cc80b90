"""The rest of nn.utils against torch: parametrize, parametrizations (weight_norm, spectral_norm with the same u/v,
orthogonal), the hook forms weight_norm/spectral_norm, prune, fusion, stateless/func functional_call, clip_grad
extras, skip_init, DataParallel; float64 gradcheck/gradgradcheck through the parametrizations."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from _oracle import assert_close, to_numpy, torch

import torch.nn.utils.prune  # noqa: E402,F401  (torch does not import it with torch.nn.utils)

import ember
import ember.nn as enn
from ember.autograd import gradcheck, gradgradcheck

EU, TU = enn.utils, torch.nn.utils
RNG_SEED = 19


def _weights(shape, seed=RNG_SEED):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _twin_linear(out=4, inp=3, seed=RNG_SEED):
    w, b = _weights((out, inp), seed), _weights((out,), seed + 1)
    ours, ref = enn.Linear(inp, out), torch.nn.Linear(inp, out)
    ours.load_state_dict({"weight": ember.tensor(w), "bias": ember.tensor(b)})
    ref.load_state_dict({"weight": torch.tensor(w), "bias": torch.tensor(b)})
    return ours, ref


def _twin_conv(transposed=False, seed=RNG_SEED):
    E, T = (enn.ConvTranspose2d, torch.nn.ConvTranspose2d) if transposed else (enn.Conv2d, torch.nn.Conv2d)
    ours, ref = E(3, 4, 3), T(3, 4, 3)
    sd = {k: _weights(tuple(v.shape), seed + i) for i, (k, v) in enumerate(ref.state_dict().items())}
    ours.load_state_dict({k: ember.tensor(v) for k, v in sd.items()})
    ref.load_state_dict({k: torch.tensor(v) for k, v in sd.items()})
    return ours, ref


def _compare_forward_backward(ours, ref, shape, seed=RNG_SEED + 7):
    x = _weights(shape, seed)
    ye, yt = ours(ember.tensor(x)), ref(torch.tensor(x))
    assert_close(ye, yt, rtol=1e-5, atol=1e-5)
    (ye * ye).sum().backward(), (yt * yt).sum().backward()
    ours_named, ref_named = dict(ours.named_parameters()), dict(ref.named_parameters())
    assert list(ours_named) == list(ref_named)
    for k in ours_named:
        assert_close(ours_named[k].grad, ref_named[k].grad, rtol=1e-4, atol=1e-5, msg=k)


def _copy_spectral_vectors(ours, ref, names):
    for name in names:
        ours.get_buffer(name)._data[...] = ref.get_buffer(name).numpy()


# ---- parametrizations -----------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, None])
def test_parametrizations_weight_norm_matches_torch(dim):
    ours, ref = _twin_linear()
    EU.parametrizations.weight_norm(ours, dim=dim), TU.parametrizations.weight_norm(ref, dim=dim)
    assert type(ours).__name__ == type(ref).__name__ == "ParametrizedLinear"
    assert list(ours.state_dict()) == list(ref.state_dict())
    for k, v in ours.state_dict().items():
        assert_close(v, ref.state_dict()[k], msg=k)
    _compare_forward_backward(ours, ref, (5, 3))


def test_parametrizations_weight_norm_loads_the_hook_forms_checkpoint():
    ours, ref = _twin_linear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        TU.weight_norm(ref)
    EU.parametrizations.weight_norm(ours)
    ours.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    assert_close(ours.weight, ref.weight)


@pytest.mark.parametrize("module", ["linear", "conv", "conv_transpose"])
def test_parametrizations_spectral_norm_matches_torch_with_the_same_u(module):
    ours, ref = {"linear": _twin_linear, "conv": _twin_conv,
                 "conv_transpose": lambda: _twin_conv(True)}[module]()
    EU.parametrizations.spectral_norm(ours), TU.parametrizations.spectral_norm(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    _copy_spectral_vectors(ours, ref, ["parametrizations.weight.0._u", "parametrizations.weight.0._v"])
    shape = (5, 3) if module == "linear" else (2, 3, 6, 6)
    for _ in range(2):  # training forwards run a power-iteration step each
        ours.zero_grad(), ref.zero_grad()
        _compare_forward_backward(ours, ref, shape)
    for k, v in ours.state_dict().items():
        assert_close(v, ref.state_dict()[k], rtol=1e-4, atol=1e-6, msg=k)
    ours.eval(), ref.eval()
    assert_close(ours.weight, ref.weight, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
def test_parametrizations_orthogonal_matches_torch(orthogonal_map, shape):
    w = _weights(shape)
    ours, ref = enn.Linear(shape[1], shape[0], bias=False), torch.nn.Linear(shape[1], shape[0], bias=False)
    ours.load_state_dict({"weight": ember.tensor(w)}), ref.load_state_dict({"weight": torch.tensor(w)})
    EU.parametrizations.orthogonal(ours, orthogonal_map=orthogonal_map)
    TU.parametrizations.orthogonal(ref, orthogonal_map=orthogonal_map)
    assert list(ours.state_dict()) == list(ref.state_dict())
    ours.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    q = to_numpy(ours.weight).astype(np.float64)
    small = min(shape)
    gram = q.T @ q if shape[0] >= shape[1] else q @ q.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-5)
    _compare_forward_backward(ours, ref, (2, shape[1]))


def test_orthogonal_assignment_and_errors_as_torch():
    msgs = []
    for nnlib, P in ((enn, EU.parametrizations), (torch.nn, TU.parametrizations)):
        lin = nnlib.Linear(3, 3)
        P.orthogonal(lin)
        q, _ = np.linalg.qr(_weights((3, 3)))
        lin.weight = (ember.tensor if nnlib is enn else torch.tensor)(q.astype(np.float32))
        assert_close(lin.weight, q.astype(np.float32), atol=1e-5)
        for bad in (lambda: P.orthogonal(nnlib.Linear(3, 3), orthogonal_map="nope"),
                    lambda: P.orthogonal(nnlib.Linear(3, 3), name="missing"),
                    lambda: P.orthogonal(nnlib.LayerNorm(3), name="weight")):
            with pytest.raises(ValueError) as err:
                bad()
            msgs.append(str(err.value).split("'")[0])
    assert msgs[:3] == msgs[3:]


# ---- parametrize ------------------------------------------------------------------------
def _symmetric(nnlib):
    class Symmetric(nnlib.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()
    return Symmetric()


def _scale(nnlib):
    class Scale(nnlib.Module):
        def forward(self, X):
            return X * 2
    return Scale()


def test_register_parametrization_chains_caches_assigns_and_removes_as_torch():
    results = []
    for nnlib, P, T in ((enn, EU.parametrize, ember.tensor), (torch.nn, TU.parametrize, torch.tensor)):
        w = _weights((3, 3))
        lin = nnlib.Linear(3, 3)
        lin.load_state_dict({"weight": T(w), "bias": T(np.zeros(3, np.float32))})
        P.register_parametrization(lin, "weight", _symmetric(nnlib))
        P.register_parametrization(lin, "weight", _scale(nnlib))
        out = [type(lin).__name__, list(lin.state_dict()), P.is_parametrized(lin), P.is_parametrized(lin, "bias"),
               P.type_before_parametrizations(lin).__name__, to_numpy(lin.weight).round(5).tolist()]
        with P.cached():
            out.append(lin.weight is lin.weight)
        out.append(lin.weight is lin.weight)
        with pytest.raises(RuntimeError, match="does not implement right_inverse"):
            lin.weight = T(np.eye(3, dtype=np.float32))
        P.remove_parametrizations(lin, "weight")
        out += [type(lin).__name__, list(lin.state_dict()), isinstance(lin.weight, nnlib.Parameter),
                to_numpy(lin.weight).round(5).tolist()]
        lin2 = nnlib.Linear(3, 3)
        P.register_parametrization(lin2, "weight", _symmetric(nnlib))
        lin2.weight = T(np.arange(9, dtype=np.float32).reshape(3, 3))
        out.append(to_numpy(lin2.parametrizations.weight.original).tolist())
        P.remove_parametrizations(lin2, "weight", leave_parametrized=False)
        out.append(to_numpy(lin2.weight).tolist())
        for bad in (lambda: P.register_parametrization(nnlib.Linear(3, 3), "nope", _scale(nnlib)),
                    lambda: P.remove_parametrizations(nnlib.Linear(3, 3), "weight")):
            with pytest.raises(ValueError) as err:
                bad()
            out.append(str(err.value).split("'")[0].split(" Linear")[0])
        results.append(out)
    assert results[0] == results[1]


def test_parametrize_shape_check_and_unsafe_as_torch():
    msgs = []
    for nnlib, P in ((enn, EU.parametrize), (torch.nn, TU.parametrize)):
        class First(nnlib.Module):
            def forward(self, X):
                return X[0]
        with pytest.raises(ValueError) as err:
            P.register_parametrization(nnlib.Linear(3, 3), "weight", First())
        msgs.append(str(err.value).replace("ember.Size", "torch.Size"))
        lin = P.register_parametrization(nnlib.Linear(3, 3), "weight", First(), unsafe=True)
        msgs.append(tuple(lin.weight.shape))
    assert msgs[:2] == msgs[2:]


def test_parametrized_weight_norm_is_twice_differentiable_float64():
    lin = enn.Linear(3, 2).double()
    EU.parametrizations.weight_norm(lin)
    g, v = lin.parametrizations.weight.original0, lin.parametrizations.weight.original1
    x = ember.tensor(_weights((4, 3)).astype(np.float64))

    def f(g, v):
        return enn.functional.linear(x, lin.parametrizations.weight[0](g, v))
    assert gradcheck(f, (g, v))
    assert gradgradcheck(f, (g, v))


def test_parametrized_spectral_norm_is_twice_differentiable_float64():
    lin = enn.Linear(3, 4).double()
    EU.parametrizations.spectral_norm(lin)
    sn = lin.parametrizations.weight[0].eval()  # eval: u and v stay fixed, so W ↦ W/σ is a function
    w = ember.tensor(_weights((4, 3)).astype(np.float64), requires_grad=True)
    assert gradcheck(lambda a: sn(a), (w,))
    assert gradgradcheck(lambda a: sn(a), (w,))


def test_parametrized_orthogonal_is_differentiable_float64():
    lin = enn.Linear(3, 3, bias=False).double()
    EU.parametrizations.orthogonal(lin, orthogonal_map="cayley")
    orth = lin.parametrizations.weight[0]
    x = ember.tensor(_weights((3, 3)).astype(np.float64) * 0.3, requires_grad=True)
    assert gradcheck(lambda a: orth(a), (x,))


# ---- hook forms -------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, None])
def test_hook_weight_norm_matches_torch_and_warns(dim):
    ours, ref = _twin_linear()
    with pytest.warns(FutureWarning, match="is deprecated in favor of"):
        EU.weight_norm(ours, dim=dim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        TU.weight_norm(ref, dim=dim)
    assert list(ours.state_dict()) == list(ref.state_dict()) == ["bias", "weight_g", "weight_v"]
    _compare_forward_backward(ours, ref, (5, 3))
    EU.remove_weight_norm(ours), TU.remove_weight_norm(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert_close(ours.weight, ref.weight)
    msgs = []
    for U, lin in ((EU, ours), (TU, ref)):
        with pytest.raises(ValueError) as err:
            U.remove_weight_norm(lin)
        msgs.append(str(err.value).split(" not found")[0])
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("module", ["linear", "conv_transpose"])
def test_hook_spectral_norm_matches_torch_with_the_same_u(module):
    ours, ref = _twin_linear() if module == "linear" else _twin_conv(True)
    EU.spectral_norm(ours), TU.spectral_norm(ref)
    assert list(ours.state_dict()) == list(ref.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert ours.state_dict()._metadata[""] == ref.state_dict()._metadata[""]
    _copy_spectral_vectors(ours, ref, ["weight_u", "weight_v"])
    shape = (5, 3) if module == "linear" else (2, 3, 5, 5)
    for _ in range(2):
        ours.zero_grad(), ref.zero_grad()
        _compare_forward_backward(ours, ref, shape)
    assert_close(ours.weight_u, ref.weight_u, rtol=1e-4, atol=1e-6)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        EU.spectral_norm(ours)
    EU.remove_spectral_norm(ours), TU.remove_spectral_norm(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert_close(ours.weight, ref.weight, rtol=1e-5, atol=1e-6)


# ---- prune --------------------------------------------------------------------------------
def _prune_twins():
    ours, ref = _twin_conv()
    return ours, ref


@pytest.mark.parametrize("method,kwargs", [
    ("identity", {}),
    ("l1_unstructured", {"amount": 0.3}),
    ("l1_unstructured", {"amount": 7}),
    ("ln_structured", {"amount": 0.5, "n": 2, "dim": 0}),
    ("ln_structured", {"amount": 1, "n": 1, "dim": 1}),
    ("ln_structured", {"amount": 2, "n": float("inf"), "dim": -1}),
])
def test_deterministic_pruning_matches_torch(method, kwargs):
    ours, ref = _prune_twins()
    getattr(EU.prune, method)(ours, "weight", **kwargs), getattr(TU.prune, method)(ref, "weight", **kwargs)
    assert list(ours.state_dict()) == list(ref.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert_close(ours.weight_mask, ref.weight_mask)
    assert EU.prune.is_pruned(ours) and TU.prune.is_pruned(ref)
    _compare_forward_backward(ours, ref, (2, 3, 5, 5))
    EU.prune.remove(ours, "weight"), TU.prune.remove(ref, "weight")
    assert list(ours.state_dict()) == list(ref.state_dict()) and not EU.prune.is_pruned(ours)
    assert_close(ours.weight, ref.weight)


def test_iterative_pruning_combines_masks_as_torch():
    ours, ref = _prune_twins()
    for U, m in ((EU, ours), (TU, ref)):
        U.prune.l1_unstructured(m, "weight", amount=0.2)
        U.prune.ln_structured(m, "weight", amount=1, n=2, dim=0)
        U.prune.l1_unstructured(m, "weight", amount=0.25)
        U.prune.l1_unstructured(m, "bias", amount=2, importance_scores=(ember.arange(4.0) if U is EU
                                                                        else torch.arange(4.0)))
    assert_close(ours.weight_mask, ref.weight_mask)
    assert_close(ours.bias_mask, ref.bias_mask)
    hooks = [type(h).__name__ for h in ours._forward_pre_hooks.values()]
    assert hooks == [type(h).__name__ for h in ref._forward_pre_hooks.values()] == ["PruningContainer", "L1Unstructured"]


def test_global_unstructured_matches_torch():
    models = []
    for nnlib, T in ((enn, ember.tensor), (torch.nn, torch.tensor)):
        model = nnlib.Sequential(nnlib.Linear(4, 3), nnlib.Linear(3, 2))
        model.load_state_dict({k: T(_weights(tuple(v.shape), i)) for i, (k, v) in enumerate(model.state_dict().items())})
        U = EU if nnlib is enn else TU
        U.prune.global_unstructured([(model[0], "weight"), (model[1], "weight")],
                                    pruning_method=U.prune.L1Unstructured, amount=8)
        models.append(model)
    for k, v in models[0].state_dict().items():
        assert_close(v, models[1].state_dict()[k], msg=k)
    assert int(to_numpy(models[0][0].weight_mask).sum() + to_numpy(models[0][1].weight_mask).sum()) == 18 - 8


def test_random_pruning_prunes_the_requested_amount():
    lin = enn.Conv2d(3, 4, 3)
    EU.prune.random_unstructured(lin, "weight", amount=0.25)
    assert int((to_numpy(lin.weight_mask) == 0).sum()) == round(0.25 * 108)
    EU.prune.random_structured(lin, "weight", amount=2, dim=0)
    zero_channels = (to_numpy(lin.weight_mask).reshape(4, -1).sum(1) == 0).sum()
    assert zero_channels >= 2
    np.testing.assert_array_equal(to_numpy(lin.weight), to_numpy(lin.weight_orig) * to_numpy(lin.weight_mask))


def test_pruning_errors_match_torch():
    msgs = []
    for U, nnlib in ((EU, enn), (TU, torch.nn)):
        for bad in (lambda: U.prune.l1_unstructured(nnlib.Linear(2, 2), "weight", amount=1.5),
                    lambda: U.prune.l1_unstructured(nnlib.Linear(2, 2), "weight", amount=9),
                    lambda: U.prune.ln_structured(nnlib.Linear(2, 2), "bias", amount=1, n=2, dim=0),
                    lambda: U.prune.l1_unstructured(nnlib.Linear(2, 2), "weight", amount="x"),
                    lambda: U.prune.remove(nnlib.Linear(2, 2), "weight")):
            with pytest.raises((ValueError, TypeError)) as err:
                bad()
            msgs.append((err.type.__name__, str(err.value).split(" of module")[0].replace("ember", "torch")))
    assert msgs[:5] == msgs[5:]


# ---- fusion ---------------------------------------------------------------------------------
def _trained_bn(nnlib, T, n, shape):
    bn = nnlib.BatchNorm2d(n) if len(shape) == 4 else nnlib.BatchNorm1d(n)
    bn.load_state_dict({"weight": T(_weights((n,), 1)), "bias": T(_weights((n,), 2)),
                        "running_mean": T(_weights((n,), 3)), "running_var": T(np.abs(_weights((n,), 4)) + 0.5),
                        "num_batches_tracked": T(np.array(3))})
    return bn.eval()


@pytest.mark.parametrize("transposed", [False, True])
def test_fuse_conv_bn_eval_matches_torch(transposed):
    ours, ref = _twin_conv(transposed)
    ours.eval(), ref.eval()
    fe = EU.fuse_conv_bn_eval(ours, _trained_bn(enn, ember.tensor, 4, (1, 1, 1, 1)), transpose=transposed)
    ft = TU.fuse_conv_bn_eval(ref, _trained_bn(torch.nn, torch.tensor, 4, (1, 1, 1, 1)), transpose=transposed)
    assert isinstance(fe.weight, enn.Parameter) and fe is not ours
    for k, v in fe.state_dict().items():
        assert_close(v, ft.state_dict()[k], msg=k)
    x = _weights((2, 3 if not transposed else 3, 5, 5))
    bn = _trained_bn(enn, ember.tensor, 4, (1, 1, 1, 1))
    assert_close(fe(ember.tensor(x)), bn(ours(ember.tensor(x))), rtol=1e-4, atol=1e-5)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        EU.fuse_conv_bn_eval(ours.train(), bn)


def test_fuse_linear_bn_eval_matches_torch():
    ours, ref = _twin_linear()
    ours.eval(), ref.eval()
    fe = EU.fuse_linear_bn_eval(ours, _trained_bn(enn, ember.tensor, 4, (1, 1)))
    ft = TU.fuse_linear_bn_eval(ref, _trained_bn(torch.nn, torch.tensor, 4, (1, 1)))
    for k, v in fe.state_dict().items():
        assert_close(v, ft.state_dict()[k], msg=k)
    msgs = []
    for U, lin, nnlib in ((EU, ours, enn), (TU, ref, torch.nn)):
        with pytest.raises(AssertionError) as err:
            U.fuse_linear_bn_eval(lin, nnlib.BatchNorm1d(3).eval())
        msgs.append(str(err.value))
    assert msgs[0] == msgs[1]


# ---- functional_call ------------------------------------------------------------------------
def test_functional_call_uses_the_given_tensors_and_restores_the_module():
    ours, ref = _twin_linear()
    w, x = _weights((4, 3), 5), _weights((2, 3), 6)
    we, wt = ember.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    ye = EU.stateless.functional_call(ours, {"weight": we}, (ember.tensor(x),))
    yt = TU.stateless.functional_call(ref, {"weight": wt}, (torch.tensor(x),))
    assert_close(ye, yt)
    ye.sum().backward(), yt.sum().backward()
    assert_close(we.grad, wt.grad)
    assert ours.weight.grad is None and isinstance(ours.weight, enn.Parameter)
    assert_close(ember.func.functional_call(ours, ({"weight": we}, {"bias": ember.zeros(4)}), ember.tensor(x)),
                 torch.func.functional_call(ref, ({"weight": wt}, {"bias": torch.zeros(4)}), torch.tensor(x)))
    assert_close(ours(ember.tensor(x)), ref(torch.tensor(x)))


def test_functional_call_ties_weights_and_checks_keys_as_torch():
    msgs = []
    for nnlib, U, F, T in ((enn, EU, ember.func, ember.tensor), (torch.nn, TU, torch.func, torch.tensor)):
        shared = nnlib.Linear(2, 2, bias=False)
        model = nnlib.Sequential(shared, shared)
        w = T(np.eye(2, dtype=np.float32) * 2)
        msgs.append(to_numpy(U.stateless.functional_call(model, {"0.weight": w}, T(np.ones((1, 2), np.float32)))).tolist())
        msgs.append(to_numpy(U.stateless.functional_call(model, {"0.weight": w}, T(np.ones((1, 2), np.float32)),
                                                         tie_weights=False)).shape)
        for bad in (lambda: U.stateless.functional_call(model, {"0.weight": w, "1.weight": T([[1.0, 0], [0, 1]])}, T([[1.0, 1.0]])),
                    lambda: U.stateless.functional_call(model, {"0.weight": w, "extra": w}, T([[1.0, 1.0]]), strict=True),
                    lambda: F.functional_call(model, ({"0.weight": w}, {"0.weight": w}), T([[1.0, 1.0]])),
                    lambda: F.functional_call(model, 3, T([[1.0, 1.0]]))):
            with pytest.raises((ValueError, RuntimeError)) as err:
                bad()
            msgs.append((err.type.__name__, str(err.value).replace("ember", "torch")))
    half = len(msgs) // 2
    assert msgs[:half] == msgs[half:]


# ---- clip_grad, skip_init, DataParallel -------------------------------------------------------
def test_clip_grad_norm_deprecated_alias_and_empty_generator_warning():
    p = enn.Parameter(ember.ones(3))
    p.grad = ember.tensor([3.0, 4.0, 0.0])
    q = torch.nn.Parameter(torch.ones(3))
    q.grad = torch.tensor([3.0, 4.0, 0.0])
    with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated"):
        ne = EU.clip_grad_norm([p], 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nt = TU.clip_grad_norm([q], 1.0)
    assert_close(ne, nt)
    assert_close(p.grad, q.grad)
    with pytest.warns(UserWarning, match="empty generator"):
        EU.clip_grad_norm_((x for x in []), 1.0)


@pytest.mark.parametrize("foreach", [None, True, False])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_get_total_norm_and_clip_grads_with_norm_match_torch(foreach, norm_type):
    rng = np.random.default_rng(RNG_SEED)
    grads = [rng.standard_normal(s) for s in ((3, 2), (4,))]
    grads = [grads[0].astype(np.float32), grads[1]]  # float32 and float64: the norm is promoted
    ne = EU.get_total_norm([ember.tensor(g) for g in grads], norm_type, foreach=foreach)
    nt = TU.get_total_norm([torch.tensor(g) for g in grads], norm_type, foreach=foreach)
    assert_close(ne, nt)
    ep = [enn.Parameter(ember.zeros(*g.shape, dtype=ember.float32 if g.dtype == np.float32 else ember.float64))
          for g in grads]
    tp = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.tensor(g).dtype)) for g in grads]
    for p, q, g in zip(ep, tp, grads):
        p.grad, q.grad = ember.tensor(g), torch.tensor(g)
    EU.clip_grads_with_norm_(ep, 0.5, ne, foreach=foreach), TU.clip_grads_with_norm_(tp, 0.5, nt, foreach=foreach)
    for p, q in zip(ep, tp):
        assert_close(p.grad, q.grad)
    assert_close(EU.get_total_norm([]), TU.get_total_norm([]))


def test_clip_grad_norm_nonfinite_error_message_and_nan_scaling_match_torch():
    msgs = []
    for U, P, T in ((EU, enn.Parameter, ember.tensor), (TU, torch.nn.Parameter, torch.tensor)):
        p = P(T([1.0, 1.0]))
        p.grad = T([float("inf"), 1.0])
        with pytest.raises(RuntimeError) as err:
            U.clip_grad_norm_([p], 1.0, error_if_nonfinite=True, foreach=True)
        msgs.append(str(err.value))
        p.grad = T([float("nan"), 1.0])
        msgs.append(to_numpy(U.clip_grad_norm_([p], 1.0)).tolist() != 0)
        msgs.append(np.isnan(to_numpy(p.grad)).tolist())
    assert msgs[:3] == msgs[3:]


def test_skip_init_builds_the_module_with_torchs_checks():
    lin = EU.skip_init(enn.Linear, 3, 4)
    assert isinstance(lin, enn.Linear) and lin.weight.shape == (4, 3)
    msgs = []
    for U, nnlib in ((EU, enn), (TU, torch.nn)):
        with pytest.raises(RuntimeError) as err:
            U.skip_init(nnlib.ReLU)
        msgs.append(str(err.value))
    assert msgs[0] == msgs[1]


def test_data_parallel_runs_the_module_with_torchs_state_dict_keys():
    ours, ref = _twin_linear()
    dpe, dpt = enn.DataParallel(ours), torch.nn.DataParallel(ref)
    assert list(dpe.state_dict()) == list(dpt.state_dict()) == ["module.weight", "module.bias"]
    assert dpe.module is ours and dpe.device_ids == dpt.device_ids == []
    x = _weights((2, 3))
    assert_close(dpe(ember.tensor(x)), dpt(torch.tensor(x)))
    from ember.nn.parallel import DataParallel, DistributedDataParallel  # noqa: F401  (importable, as torch's)
    with pytest.raises(RuntimeError, match="can't be used with nn.DataParallel"):
        EU.stateless.functional_call(dpe, {}, ember.tensor(x))
