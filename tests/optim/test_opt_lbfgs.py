"""LBFGS against torch.optim.LBFGS on a small least-squares problem (same closure on both sides)."""
import numpy as np
import pytest

import ember
import ember.optim as eoptim

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
A = RNG.standard_normal((20, 5)).astype(np.float32)
B = RNG.standard_normal(20).astype(np.float32)


def _closure(params, lib):
    def closure():
        w = params[0].detach().numpy()
        c = params[1].detach().numpy()
        r = (A @ w + c[0] - B).astype(np.float32)
        loss = float(0.5 * np.dot(r, r) + 0.1 * np.dot(w, w))
        gw = (A.T @ r + 0.2 * w).astype(np.float32)
        gc = np.array([r.sum()], np.float32)
        params[0].grad = lib.tensor(gw)
        params[1].grad = lib.tensor(gc)
        return loss
    return closure


# With a fixed small step (lr=0.1, no line search) many iterations amplify 1-ulp differences of float32 dot
# products (torch and NumPy sum in different orders), and at the float32 noise floor of the loss the line
# search can take another branch: those cases are compared over fewer steps, before that floor.
@pytest.mark.parametrize("kw,steps", [(dict(), 4), (dict(line_search_fn="strong_wolfe"), 4),
                                      (dict(lr=0.1, history_size=3), 1),
                                      (dict(history_size=2, max_iter=5, line_search_fn="strong_wolfe"), 2),
                                      (dict(lr=0.5, max_iter=7, tolerance_change=1e-5), 2)])
def test_lbfgs_matches_torch_on_least_squares(kw, steps):
    init = [np.zeros(5, np.float32), np.zeros(1, np.float32)]
    ep = [ember.tensor(a.copy(), requires_grad=True) for a in init]
    tp = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    eo, to = eoptim.LBFGS(ep, **kw), torch.optim.LBFGS(tp, **kw)
    ce, ct = _closure(ep, ember), _closure(tp, torch)
    for _ in range(steps):
        le, lt = eo.step(ce), to.step(ct)
        assert le == pytest.approx(lt, rel=1e-5, abs=1e-6)
        for a, b in zip(ep, tp):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    se, st = eo.state[ep[0]], to.state[tp[0]]
    assert se["func_evals"] == st["func_evals"] and se["n_iter"] == st["n_iter"]
    assert sorted(k for k in se) == sorted(k for k in st if k != "al")


def test_lbfgs_rejects_param_groups_and_bad_line_search():
    p = ember.zeros(2, requires_grad=True)
    q = ember.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        eoptim.LBFGS([{"params": [p]}, {"params": [q]}])
    params = [ember.zeros(5, requires_grad=True), ember.zeros(1, requires_grad=True)]
    opt = eoptim.LBFGS(params, line_search_fn="armijo")
    with pytest.raises(RuntimeError, match="strong_wolfe"):
        opt.step(_closure(params, ember))


def test_lbfgs_minimizes_with_autograd_closure():
    w = ember.zeros(5, requires_grad=True)
    opt = eoptim.LBFGS([w], line_search_fn="strong_wolfe")
    a, b = ember.tensor(A), ember.tensor(B)

    def closure():
        opt.zero_grad()
        loss = ((a @ w - b) ** 2).sum()
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    expected = np.linalg.lstsq(A.astype(np.float64), B.astype(np.float64), rcond=None)[0]
    np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-3, atol=1e-4)
