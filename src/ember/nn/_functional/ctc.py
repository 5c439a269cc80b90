"""``ctc_loss``: connectionist temporal classification (Graves et al. 2006), the forward-backward recursion in log
space, vectorised over the batch.

For a target l of length L, the extended label sequence l' puts the blank between and around the labels
(l'ₛ = blank for even s, l'ₛ = l₍ₛ₋₁₎/₂ for odd s; S = 2L + 1). With yₜ(c) = exp(log_probs[t, c]):

    αₜ(s) = yₜ(l'ₛ) · (αₜ₋₁(s) + αₜ₋₁(s − 1) + [l'ₛ ≠ blank, l'ₛ ≠ l'ₛ₋₂] αₜ₋₁(s − 2))
    βₜ(s) = yₜ(l'ₛ) · (βₜ₊₁(s) + βₜ₊₁(s + 1) + [l'ₛ₊₂ ≠ blank, l'ₛ₊₂ ≠ l'ₛ] βₜ₊₁(s + 2))
    α₀(0) = y₀(blank), α₀(1) = y₀(l₁);   β_{T−1}(S − 1) = y_{T−1}(blank), β_{T−1}(S − 2) = y_{T−1}(l_L)
    loss = −log p(l | x) = −log(α_{T−1}(S − 1) + α_{T−1}(S − 2))

and, with the occupancy γₜ(s) = αₜ(s)·βₜ(s) / (p · yₜ(l'ₛ)) (Σₛ γₜ(s) = 1 for every t < T),

    ∂loss/∂log_probs[t, c] = yₜ(c) − Σ_{s: l'ₛ = c} γₜ(s)       (t < T; 0 beyond the input length)

which is torch's gradient: the exact derivative of −log p is −Σ γ; the added yₜ(c) makes it the gradient through a
log_softmax as well (the two agree after log_softmax's backward), so it is exact for normalised log_probs.

Implementation: the sums are log-sum-exps of three shifted copies of the previous row; "log 0" is the finite
``_NEG`` (−1e30), so that exp(_NEG − m) is exactly 0 and no nan arises, in either order of differentiation. The
backward recomputes α and β from log_probs with the same functions written against ``xp_of(g)``, so the derivative
is stated once and differentiates again under ``create_graph`` (torch's ``_ctc_loss_backward`` has no derivative).

Reference: A. Graves, S. Fernández, F. Gomez, J. Schmidhuber, "Connectionist Temporal Classification: Labelling
Unsegmented Sequence Data with Recurrent Neural Networks", ICML 2006. https://www.cs.toronto.edu/~graves/icml_2006.pdf
"""
from __future__ import annotations

import numpy as np

from ...autograd.function import Op
from ...autograd.ops._util import check_float
from ...autograd.ops._xp import xp_of
from ...tensor import Tensor
from .loss import _reduction, _t

__all__ = ["ctc_loss"]

_NEG = -1e30  # log 0, finite (see the module docstring)
_IMPOSSIBLE = -1e29  # a log-likelihood below it is log 0: the loss is inf


def _lse3(xp, a, b, c):
    """log(eᵃ + eᵇ + eᶜ), elementwise, stable (m = max(a, b, c) cancels in the derivative)."""
    m = xp.maximum(xp.maximum(a, b), c)
    return m + xp.log(xp.exp(a - m) + xp.exp(b - m) + xp.exp(c - m))


def _shift(xp, a, k, neg):
    """a moved k places along s (k > 0: to the right), the vacated places log 0; a: (N, S)."""
    if k > 0:
        return xp.concatenate([neg[:, :k], a[:, :-k]], 1)
    return xp.concatenate([a[:, -k:], neg[:, :-k]], 1)


def _alpha(xp, lpe, skip, neg):
    """log αₜ(s) for all t: (T, N, S). lpe[t, n, s] = log_probs[t, n, l'ₛ]; skip[n, s]: the s − 2 transition."""
    first = xp.concatenate([lpe[0][:, :2], neg[:, 2:]], 1) if lpe.shape[2] > 1 else lpe[0]
    rows = [first]
    for t in range(1, lpe.shape[0]):
        a = rows[-1]
        two = xp.where(skip, _shift(xp, a, 2, neg), neg)
        rows.append(lpe[t] + _lse3(xp, a, _shift(xp, a, 1, neg), two))
    return xp.concatenate([r[None] for r in rows], 0)


def _beta(xp, lpe, skip, neg, last, ends):
    """log βₜ(s) for all t: (T, N, S); last[t, n]: t = Tₙ − 1 (β starts), ends[t, n, s]: log 0 there (t ≥ Tₙ, or s
    past Sₙ, or s < Sₙ − 2 at t = Tₙ − 1)."""
    skip2 = _shift(np, skip, -2, np.zeros_like(skip))
    rows = []
    b = neg
    for t in range(lpe.shape[0] - 1, -1, -1):
        two = xp.where(skip2, _shift(xp, b, -2, neg), neg)
        rec = lpe[t] + _lse3(xp, b, _shift(xp, b, -1, neg), two)
        b = xp.where(ends[t], neg, xp.where(last[t][:, None], lpe[t], rec))
        rows.append(b)
    return xp.concatenate([r[None] for r in rows[::-1]], 0)


class CTC(Op):
    """Per-sample CTC loss −log p(lₙ | xₙ) of log_probs (T, N, C); see the module docstring for the recursion and
    the gradient. Infinite losses (no alignment) are 0 with a zero gradient when ``zero_infinity``."""

    @staticmethod
    def forward(ctx, lp, *, ext, in_len, tgt_len, zero_infinity):
        ctx.__dict__.update(_plan(lp, ext, in_len, tgt_len))
        ctx.lp, ctx.zero_infinity = lp, zero_infinity
        alpha = _alpha(np, lp[:, ctx.rows, ext], ctx.skip, ctx.neg)
        ll = _final(np, alpha, ctx)
        ctx.bad = ll < _IMPOSSIBLE
        loss = np.where(ctx.bad, 0.0 if zero_infinity else np.inf, -ll).astype(lp.dtype)
        return loss

    @staticmethod
    def backward(ctx, g):
        xp, lp = xp_of(g), ctx.lp
        lpe, neg = lp[:, ctx.rows, ctx.ext], xp.asarray(ctx.neg)
        alpha = _alpha(xp, lpe, ctx.skip, neg)
        beta = _beta(xp, lpe, ctx.skip, neg, ctx.last, ctx.ends)
        nll = -xp.where(ctx.bad, 0.0, _final(xp, alpha, ctx))
        gamma = xp.exp(alpha + beta + nll[None, :, None] - lpe)
        grad = xp.exp(lp) * ctx.valid[:, :, None] - xp.einsum("tns,nsc->tnc", gamma, ctx.onehot)
        scale = xp.where(ctx.bad, 0.0 if ctx.zero_infinity else np.nan, g)
        return grad * scale[None, :, None]


def _plan(lp, ext, in_len, tgt_len) -> dict:
    """The piecewise-constant arrays of the recursion: batch rows, s − 2 transitions, masks, one-hot of l'."""
    T, N, C = lp.shape
    S = ext.shape[1]
    s = np.arange(S)
    t = np.arange(T)[:, None]
    s_len = 2 * tgt_len + 1
    prev2 = np.concatenate([np.full((N, 2), -1), ext[:, :-2]], 1) if S > 2 else np.full((N, S), -1)
    last = t == in_len[None] - 1
    past_s = s[None] >= s_len[:, None]
    before_end = s[None] < (s_len - 2)[:, None]
    ends = (t[:, :, None] >= in_len[None, :, None]) | past_s[None] | (last[:, :, None] & before_end[None])
    onehot = np.zeros((N, S, C), lp.dtype)
    onehot[np.arange(N)[:, None], s[None], ext] = 1
    return dict(rows=np.arange(N)[:, None], ext=ext, skip=(s[None] % 2 == 1) & (ext != prev2) & (s[None] > 1),
                neg=np.full((N, S), _NEG, lp.dtype), last=last, ends=ends, valid=(t < in_len[None]).astype(lp.dtype),
                onehot=onehot, fin_t=np.maximum(in_len - 1, 0), fin_s=s_len - 1, has2=tgt_len > 0,
                no_input=in_len == 0, empty_ll=np.where(tgt_len == 0, 0.0, _NEG).astype(lp.dtype))


def _final(xp, alpha, ctx):
    """log p = log(α_{T−1}(S − 1) + α_{T−1}(S − 2)) per sample (S − 2 only when L > 0)."""
    n = np.arange(alpha.shape[1])
    a1 = alpha[ctx.fin_t, n, ctx.fin_s]
    a2 = xp.where(ctx.has2, alpha[ctx.fin_t, n, np.maximum(ctx.fin_s - 1, 0)], _NEG)
    m = xp.maximum(a1, a2)
    ll = m + xp.log(xp.exp(a1 - m) + xp.exp(a2 - m))
    return xp.where(ctx.no_input, ctx.empty_ll, ll)  # (no frames: p = 1 for the empty target, else 0)


def _lengths(x, name: str, batch: int) -> np.ndarray:
    if isinstance(x, Tensor):
        a = x._data
        if a.dtype.kind not in "iu":
            raise RuntimeError(f"{name} must be integral")
    elif isinstance(x, (list, tuple)):
        a = np.asarray(x, np.int64)
    else:
        raise TypeError(f"ctc_loss(): argument '{name}' must be a Tensor or a tuple of ints, not {type(x).__name__}")
    a = a.reshape(-1).astype(np.int64)
    if a.size != batch:
        raise RuntimeError(f"{name} must be of size batch_size")
    return a


def _extended(tgt: np.ndarray, tgt_len: np.ndarray, blank: int) -> np.ndarray:
    """l' per sample, (N, 2·max L + 1), blank between and around the labels (and in the padding)."""
    N, Lmax = tgt.shape[0], int(tgt_len.max(initial=0))
    ext = np.full((N, 2 * Lmax + 1), blank, np.int64)
    if Lmax:
        lab = tgt[:, :Lmax]
        ext[:, 1::2] = np.where(np.arange(Lmax)[None] < tgt_len[:, None], lab, blank)
    return ext


def _targets(targets: np.ndarray, tgt_len: np.ndarray) -> np.ndarray:
    """The targets as a padded (N, max L) array, from the padded 2-D form or the concatenated 1-D one."""
    where = " (while checking arguments for ctc_loss_allocate_outputs)"
    if targets.ndim == 1:
        total = int(tgt_len.sum())
        if targets.shape[0] != total:
            raise RuntimeError(f"Expected tensor to have size {total} at dimension 0, but got size {targets.shape[0]} "
                               f"for argument #2 'targets'{where}")
        Lmax = int(tgt_len.max(initial=0))
        out = np.zeros((tgt_len.size, Lmax), np.int64)
        starts = np.concatenate([[0], np.cumsum(tgt_len)[:-1]])
        for n, (a, k) in enumerate(zip(starts, tgt_len)):
            out[n, :k] = targets[a:a + k]
        return out
    Lmax = int(tgt_len.max(initial=0))
    if targets.shape[1] < Lmax:
        raise RuntimeError(f"Expected tensor to have size at least {Lmax} at dimension 1, but got size "
                           f"{targets.shape[1]} for argument #2 'targets'{where}")
    return targets.astype(np.int64)


def _check_range(a: np.ndarray, name: str, upper=None) -> None:
    where = " (while checking arguments for ctc_loss_allocate_outputs)"
    if a.size and a.min() < 0:
        raise RuntimeError(f"Expected {name} to have value at least 0, but got value {a.min()}{where}")
    if upper is not None and a.size and a.max() > upper:
        raise RuntimeError(f"Expected {name} to have value at most {upper}, but got value {a.max()}{where}")


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0, reduction: str = "mean",
             zero_infinity: bool = False):
    """Connectionist temporal classification loss of log_probs (T, N, C) (or unbatched (T, C)) against targets, padded
    (N, S) or concatenated (Σ target_lengths,); see the module docstring for the recursion and the gradient.

    Reductions: 'none' → per-sample loss (N,); 'sum' → Σ; 'mean' → mean over the batch of loss / max(target_length, 1).
    zero_infinity: infinite losses (targets that no alignment of the input can produce) and their gradients become 0.

    Torch parity: values, gradients (torch's, exact for normalised log_probs), reductions and argument errors as
    torch.nn.functional.ctc_loss, to float32 precision; ember's gradient is itself differentiable (torch's is not).
    Labels outside [0, C) are not checked (torch reads them unchecked too).
    Reference: Graves et al., ICML 2006.
    Example:  >>> F.ctc_loss(ember.randn(5, 2, 4).log_softmax(2), ember.tensor([[1, 2], [3, 3]]), [5, 5], [2, 1])
    """
    reduction = _reduction(None, None, reduction)
    lp = _t(log_probs)
    check_float("ctc_loss", lp)
    unbatched = lp._data.ndim == 2
    if unbatched:
        lp = lp.unsqueeze(1)
    T, N, C = lp._data.shape
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    in_len = _lengths(input_lengths, "input_lengths", N)
    tgt_len = _lengths(target_lengths, "target_lengths", N)
    _check_range(in_len, "input_lengths", T)
    _check_range(tgt_len, "target_lengths")
    tgt = _t(targets)._data
    tgt = _targets(tgt.reshape(1, -1) if unbatched else tgt, tgt_len)
    ext = _extended(tgt, tgt_len, blank)
    loss = CTC.apply(lp, ext=ext, in_len=in_len, tgt_len=tgt_len, zero_infinity=zero_infinity)
    if reduction == "mean":
        return (loss / _t(np.maximum(tgt_len, 1).astype(lp._data.dtype))).mean()
    if reduction == "sum":
        return loss.sum()
    return loss[0] if unbatched else loss
