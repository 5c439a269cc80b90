"""L-BFGS: limited-memory BFGS with an optional strong-Wolfe line search."""
from __future__ import annotations

import numpy as np

from .. import _errors
from .._creation import as_tensor
from .._grad_mode import enable_grad
from ..tensor import Tensor
from .optimizer import Optimizer, _num

__all__ = ["LBFGS"]


def _cubic_minimizer(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimizer of the cubic interpolating (x1, f1, f1'=g1) and (x2, f2, f2'=g2), clipped to ``bounds``
    (Nocedal & Wright, eq. 3.59); the midpoint of the bounds when the cubic has no minimum."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = np.sqrt(d2_square)
    if x1 <= x2:
        x = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        x = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(x, lo), hi)


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Line search along d for a step t satisfying the strong Wolfe conditions
    f(t) ≤ f + c1·t·gᵀd and |g(t)ᵀd| ≤ c2·|gᵀd| (Nocedal & Wright, Algorithms 3.5 and 3.6: bracket, then zoom).

    ``evaluate(t) -> (f(t), g(t))``. Returns (f, g, t, number of evaluations)."""
    d_norm = np.abs(d).max()
    g = g.copy()
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    it = 0
    # bracketing phase
    while it < max_ls:
        if f_new > f + c1 * t * gtd or (it > 1 and f_new >= f_prev):
            bracket, bf, bg, bgtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bf, bg = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bf, bg, bgtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        lo, hi = t + 0.01 * (t - t_prev), t * 10  # extrapolate
        t_prev, t = t, _cubic_minimizer(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(lo, hi))
        f_prev, g_prev, gtd_prev = f_new, g_new.copy(), gtd_new
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = g_new.dot(d)
        it += 1
    if it == max_ls:
        bracket, bf, bg = [0, t], [f, f_new], [g, g_new]
    # zoom phase
    insufficient = False
    low, high = (0, 1) if bf[0] <= bf[-1] else (1, 0)
    while not done and it < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_minimizer(bracket[0], bf[0], bgtd[0], bracket[1], bf[1], bgtd[1])
        # keep t away from the bracket's ends (safeguard against slow progress)
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insufficient or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = g_new.dot(d)
        it += 1
        if f_new > f + c1 * t * gtd or f_new >= bf[low]:
            bracket[high], bf[high], bg[high], bgtd[high] = t, f_new, g_new.copy(), gtd_new
            low, high = (0, 1) if bf[0] <= bf[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bf[high], bg[high], bgtd[high] = bracket[low], bf[low], bg[low], bgtd[low]
            bracket[low], bf[low], bg[low], bgtd[low] = t, f_new, g_new.copy(), gtd_new
    return bf[low], bg[low], bracket[low], evals


class LBFGS(Optimizer):
    """L-BFGS (torch.optim.LBFGS).

    Each ``step(closure)`` runs up to ``max_iter`` iterations. With g the flat gradient and the last m pairs
    sᵢ = Δθ, yᵢ = Δg (kept when yᵢᵀsᵢ > 1e-10), the direction d = −H·g comes from the two-loop recursion
    with H₀ = (yᵀs / yᵀy)·I; then θ ← θ + t·d with t = lr (the first iteration uses
    t = min(1, 1/‖g‖₁)·lr), or t from a strong-Wolfe line search.

    Args:
        params: iterable of Tensors (one parameter group only).
        lr: learning rate (step length). Default: 1.
        max_iter: iterations per step. Default: 20.
        max_eval: function evaluations per step. Default: max_iter·5/4.
        tolerance_grad: stop when max|g| ≤ this. Default: 1e-7.
        tolerance_change: stop when the step or the loss change is below this. Default: 1e-9.
        history_size: m, number of (s, y) pairs kept. Default: 100.
        line_search_fn: None or "strong_wolfe". Default: None.

    Torch parity:
        Same arguments, defaults, errors, stopping rules and state keys ("func_evals", "n_iter", "d", "t",
        "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss") as torch.optim.LBFGS; matches it
        on a least-squares problem with and without the line search (tests/optim/test_opt_lbfgs.py).

    Reference:
        Nocedal & Wright, "Numerical Optimization", 2nd ed., Springer 2006, Algorithms 7.4 (two-loop recursion),
        3.5 and 3.6 (strong-Wolfe line search); Liu & Nocedal, "On the limited memory BFGS method for large
        scale optimization", Math. Programming 45, 1989. https://doi.org/10.1007/BF01589116

    Example:
        >>> opt = ember.optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); return loss
        >>> opt.step(closure)
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        if not 0.0 <= _num(lr):
            raise _errors.invalid_learning_rate(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size,
                        line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _flat_grad(self):
        return np.concatenate([p.grad._data.ravel() if p.grad is not None else np.zeros(p._data.size, p._data.dtype)
                               for p in self._params])

    def _add(self, t, d):
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data += t * d[offset:offset + n].reshape(p._data.shape)
            offset += n

    def _get(self):
        return [p._data.copy() for p in self._params]

    def _set(self, values):
        for p, v in zip(self._params, values):
            p._data[...] = v

    def step(self, closure):
        """Run up to max_iter L-BFGS iterations; ``closure`` re-evaluates the model and returns the loss."""
        group = self.param_groups[0]
        lr = float(_num(group["lr"]))
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history_size, line_search = group["history_size"], group["line_search_fn"]

        def evaluate():
            with enable_grad():
                return closure()

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = evaluate()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if np.abs(g).max() <= tol_grad:
            return orig_loss
        un = _unwrap
        d, t, H_diag = un(state.get("d")), un(state.get("t")), un(state.get("H_diag"))
        old_dirs = [un(v) for v in state.get("old_dirs") or []]
        old_stps = [un(v) for v in state.get("old_stps") or []]
        ro = [un(v) for v in state.get("ro") or []]
        prev_g, prev_loss = un(state.get("prev_flat_grad")), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -g
                old_dirs, old_stps, ro, H_diag = [], [], [], 1
            else:
                y = g - prev_g
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:  # curvature condition: keep the pair
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)
                al = [None] * len(old_dirs)
                q = -g
                for i in range(len(old_dirs) - 1, -1, -1):  # two-loop recursion
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q = q + (-al[i]) * old_dirs[i]
                d = r = q * H_diag
                for i in range(len(old_dirs)):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]
            prev_g = g.copy()
            prev_loss = loss
            t = min(1.0, 1.0 / np.abs(g).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = g.dot(d)
            if gtd > -tol_change:  # not a descent direction
                break
            evals = 0
            if line_search is not None:
                if line_search != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x0 = self._get()

                def along(step):
                    self._add(step, d)
                    value = float(evaluate())
                    grad = self._flat_grad()
                    self._set(x0)
                    return value, grad

                loss, g, t, evals = _strong_wolfe(along, t, d, loss, g, gtd, max_ls=max_eval - current_evals)
                self._add(t, d)
                opt_cond = np.abs(g).max() <= tol_grad
            else:
                self._add(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    loss = float(evaluate())
                    g = self._flat_grad()
                    opt_cond = np.abs(g).max() <= tol_grad
                    evals = 1
            current_evals += evals
            state["func_evals"] += evals
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change:
                break
        wrap = _wrap
        state.update(d=wrap(d), t=wrap(t), old_dirs=[wrap(v) for v in old_dirs],
                     old_stps=[wrap(v) for v in old_stps], ro=[wrap(v) for v in ro], H_diag=wrap(H_diag),
                     prev_flat_grad=wrap(prev_g), prev_loss=prev_loss)
        return orig_loss


def _unwrap(value):
    if isinstance(value, Tensor):
        return value._data if value._data.ndim else value._data[()]
    return value


def _wrap(value):
    """State as torch keeps it: tensors for arrays and float32 scalars, Python numbers otherwise."""
    if isinstance(value, np.ndarray):
        return as_tensor(value)
    if isinstance(value, np.generic):
        return as_tensor(np.asarray(value))
    return value
