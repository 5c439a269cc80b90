"""Normalization (functional forms): ``batch_norm``, ``layer_norm``, ``group_norm``; ``instance_norm``,
``rms_norm`` and ``local_response_norm`` (#19, at the end).

All three standardise over some axes with one primitive, ``Normalize``, and then apply the
per-feature affine map γ·x̂ + β with ordinary (broadcasting) tensor ops.
"""
from __future__ import annotations

import numpy as np

from ...autograd.function import Op
from ...autograd.ops._xp import xp_of
from . import _norm_kernels
from .padding import pad

__all__ = ["batch_norm", "group_norm", "layer_norm", "instance_norm", "rms_norm", "local_response_norm"]


class Normalize(Op):
    """x̂ = (x − μ) / √(σ² + ε), μ and σ² (biased) over ``axes``.

    With batch statistics the backward is the closed form
        dx = (g − mean(g) − x̂·mean(g·x̂)) / √(σ² + ε)      (means over ``axes``);
    with fixed statistics (``mean``/``var`` given: BatchNorm in eval mode) it is g / √(σ² + ε).
    """

    @staticmethod
    def forward(ctx, x, *, axes, eps, mean=None, var=None, stats=None):
        fixed = mean is not None
        if not fixed:
            mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        if not fixed:
            var = np.mean(np.square(xc), axis=axes, keepdims=True)
        invstd = 1.0 / np.sqrt(var + eps)
        xhat = xc
        xhat *= invstd.astype(x.dtype, copy=False)
        if stats is not None:  # batch_norm reads the batch statistics for its running averages
            stats["mean"], stats["var"] = mean, var
        ctx.xhat, ctx.invstd, ctx.axes, ctx.fixed = xhat, invstd.astype(x.dtype, copy=False), axes, fixed
        ctx.eps, ctx.x = eps, x
        return xhat

    @staticmethod
    def backward(ctx, g):
        if ctx.fixed:  # (fixed statistics: 1/√(σ² + ε) is a constant)
            return g * ctx.invstd
        xhat, invstd, axes, xp = ctx.xhat, ctx.invstd, ctx.axes, xp_of(g)
        if xp is not np:  # create_graph: 1/√(σ² + ε) depends on x, so it is recomputed (x̂ is the node's output)
            xc = ctx.x - xp.mean(ctx.x, axis=axes, keepdims=True)
            invstd = (xp.mean(xc * xc, axis=axes, keepdims=True) + ctx.eps) ** -0.5
        gm = xp.mean(g, axis=axes, keepdims=True)
        gxm = xp.mean(g * xhat, axis=axes, keepdims=True)
        return (g - gm - xhat * gxm) * invstd


def _affine(y, weight, bias, shape):
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def _check_features(name, t, c):
    if t is not None and t._data.size != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t._data.size}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalisation over (N, C, *): per channel c,

        y = γ_c · (x − μ_c) / √(σ²_c + ε) + β_c

    with μ, σ² the batch mean and biased variance (training) or the running estimates (eval).
    In training, running estimates (when given) are updated in place:
        running_mean ← (1 − momentum)·running_mean + momentum·μ
        running_var  ← (1 − momentum)·running_var  + momentum·σ²·M/(M − 1)   (M = values per channel)

    Torch parity: same arguments, values, gradients, running-statistics update and errors as
    torch.nn.functional.batch_norm.
    Reference: Ioffe & Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing
    Internal Covariate Shift", ICML 2015. https://arxiv.org/abs/1502.03167
    """
    x = input._data
    if x.ndim < 2:
        raise ValueError(f"Expected 2D or higher input (got {x.ndim}D input)")
    c = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        _check_features(name, t, c)
    shape = (1, c) + (1,) * (x.ndim - 2)
    axes = (0,) + tuple(range(2, x.ndim))
    if training:
        m = x.size // c if c else 0
        if m <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {_size(x.shape)}")
        stats = {}
        y = Normalize.apply(input, axes=axes, eps=eps, stats=stats)
        if running_mean is not None or running_var is not None:
            mean, var = stats["mean"].reshape(c), stats["var"].reshape(c)
            if running_mean is not None:
                rm = running_mean._data
                rm *= 1 - momentum
                rm += (momentum * mean).astype(rm.dtype, copy=False)
            if running_var is not None:
                rv = running_var._data
                rv *= 1 - momentum
                rv += (momentum * var * (m / (m - 1))).astype(rv.dtype, copy=False)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
        y = Normalize.apply(
            input, axes=axes, eps=eps, mean=running_mean._data.reshape(shape).astype(x.dtype, copy=False),
            var=running_var._data.reshape(shape).astype(x.dtype, copy=False),
        )
    return _affine(y, weight, bias, shape)


def _size(shape) -> str:
    return f"torch.Size([{', '.join(map(str, shape))}])"


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation over the trailing dims ``normalized_shape``:

        y = (x − μ) / √(σ² + ε) · γ + β,   μ, σ² (biased) over those dims, per sample

    Torch parity: as torch.nn.functional.layer_norm (values, gradients, shape errors).
    Reference: Ba, Kiros & Hinton, "Layer Normalization", 2016. https://arxiv.org/abs/1607.06450
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    x = input._data
    k = len(shape)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, {', '.join(map(str, shape))}], "
            f"but got input of size{list(x.shape)}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t._data.shape) != shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                f"{list(t._data.shape)} and normalized_shape = {list(shape)}"
            )
    wb = tuple(t for t in (weight, bias) if t is not None)
    return LayerNorm.apply(input, *wb, eps=eps, shape=shape, has_w=weight is not None, has_b=bias is not None)


class LayerNorm(Op):
    """Layer normalisation with its affine map fused, each row the trailing M = prod(``shape``) values of x:

        y = γ·x̂ + β,   x̂ = (x − μ)·r,   r = 1/√(σ² + ε)   (μ, σ² biased, per row; γ, β of ``shape``)

    Backward, the closed form with h = g·γ and means over the row:

        dx = r·(h − mean h − x̂·mean(h·x̂)),   dγ = Σ_rows g·x̂,   dβ = Σ_rows g

    Forward and first-order backward run as one-pass numba kernels when numba is there (``_norm_kernels.py``),
    else as their NumPy references there; the backward formula is stated once against ``xp`` (create_graph
    recomputes μ and r from the input Tensor). Options: eps, shape, has_w / has_b (which of γ, β follow x).
    """

    @staticmethod
    def forward(ctx, x, *wb, eps, shape, has_w, has_b):
        m = int(np.prod(shape))
        w = wb[0] if has_w else None
        b = wb[-1] if has_b else None
        rows = np.ascontiguousarray(x).reshape(-1, m)
        kernels = _norm_kernels.layer_norm_kernels(x.dtype)
        if kernels is not None:
            y = np.empty(rows.shape, x.dtype)
            mean, var = np.empty((rows.shape[0], 1)), np.empty((rows.shape[0], 1))
            kernels[0](rows, np.ones(m, x.dtype) if w is None else w.reshape(m),
                       np.zeros(m, x.dtype) if b is None else b.reshape(m), eps, y, mean[:, 0], var[:, 0])
        else:
            y, mean, var = _norm_kernels.layer_norm_reference(rows, None if w is None else w.reshape(m),
                                                              None if b is None else b.reshape(m), eps)
        ctx.x, ctx.w, ctx.mean, ctx.var, ctx.eps, ctx.kernels = x, w, mean, var, eps, kernels
        ctx.shape, ctx.has = shape, (has_w, has_b)
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x, w, eps, shape, xp = ctx.x, ctx.w, ctx.eps, ctx.shape, xp_of(g)
        (has_w, has_b), m = ctx.has, int(np.prod(shape))
        rows, g2 = x.reshape(-1, m), g.reshape(-1, m)
        gamma = None if w is None else w.reshape(m)
        if xp is np and ctx.kernels is not None:
            dx = np.empty(rows.shape, x.dtype)
            dw, db = np.zeros(m), np.zeros(m)
            ctx.kernels[1](rows, np.ascontiguousarray(g2), ctx.mean[:, 0], ctx.var[:, 0],
                           np.ones(m, x.dtype) if gamma is None else gamma, eps, dx, dw, db)
            dw, db = dw.astype(x.dtype), db.astype(x.dtype)
        else:
            if xp is np:
                mean, invstd = ctx.mean.astype(x.dtype), (1.0 / np.sqrt(ctx.var + eps)).astype(x.dtype)
            else:  # create_graph: μ and r depend on x
                mean = xp.mean(rows, axis=-1, keepdims=True)
                xc = rows - mean
                invstd = (xp.mean(xc * xc, axis=-1, keepdims=True) + eps) ** -0.5
            dx, dw, db = _norm_kernels.layer_norm_grad(xp, rows, g2, mean, invstd, gamma)
        return (dx.reshape(x.shape),) + ((dw.reshape(shape),) if has_w else ()) + ((db.reshape(shape),) if has_b else ())


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalisation: channels split into ``num_groups`` groups, each standardised over its
    channels and spatial positions per sample, then y = x̂·γ_c + β_c.

    Torch parity: as torch.nn.functional.group_norm (values, gradients, errors).
    Reference: Wu & He, "Group Normalization", ECCV 2018. https://arxiv.org/abs/1803.08494
    """
    x = input._data
    if x.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {x.ndim}")
    n, c = x.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input of shape "
            f"{list(x.shape)} and num_groups={num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t._data.ndim != 1 or t._data.size != c):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in input, but got {name} "
                f"of shape {list(t._data.shape)} and input of shape {list(x.shape)}"
            )
    y = Normalize.apply(input.reshape(n, num_groups, -1), axes=(2,), eps=eps).reshape(*x.shape)
    return _affine(y, weight, bias, (1, c) + (1,) * (x.ndim - 2))


# ---- #19: instance, RMS and local response normalisation ---------------------------------------------------
def _verify_spatial_size(x):
    if x.ndim < 2 or int(np.prod(x.shape[2:])) <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {_size(x.shape)}")


def _rows(a):
    """(N, C, *) array -> ((P, Q, M) C-contiguous memory, cm): (C, N, M) when stored channel-major (conv outputs),
    else (N, C, M) (a copy only when neither)."""
    n, c = a.shape[:2]
    if not a.flags.c_contiguous and n > 1 and c > 1 and a.swapaxes(0, 1).flags.c_contiguous:
        return a.swapaxes(0, 1).reshape(c, n, -1), True
    return np.ascontiguousarray(a).reshape(n, c, -1), False


class InstanceNorm(Op):
    """Instance normalisation with its affine map fused, over (N, C, *) with statistics per (n, c) row:

        y = γ_c · x̂ + β_c,   x̂ = (x − μ_nc)·r_nc,   r_nc = 1/√(σ²_nc + ε)   (μ, σ² biased, over the M spatial values)

    Backward, the closed form with S₁ = Σ g and S₂ = Σ g·x̂ per row:

        dx = γ_c·r_nc·(g − S₁/M − x̂·S₂/M),   dγ_c = Σₙ S₂,   dβ_c = Σₙ S₁

    Forward and first-order backward run as one-pass numba kernels when numba is there (``_norm_kernels.py``),
    else as their NumPy references there; the backward formula is stated once against ``xp`` (create_graph recomputes μ and r
    from the input Tensor). Options: eps, has_w / has_b (which of γ, β follow x), stats (a dict that receives the
    per-row μ and σ², for the running estimates).
    """

    @staticmethod
    def forward(ctx, x, *wb, eps, has_w, has_b, stats=None):
        n, c = x.shape[:2]
        w = wb[0] if has_w else None
        b = wb[-1] if has_b else None
        kernels = _norm_kernels.instance_norm_kernels(x.dtype)
        if kernels is not None:
            base, cm = _rows(x)
            mean, var = np.empty((n, c)), np.empty((n, c))
            y = np.empty((c, n, *x.shape[2:]) if cm else x.shape, x.dtype)
            ones = np.ones(c, x.dtype)
            kernels[0](base, cm, ones if w is None else w, ones * 0 if b is None else b, eps, y.reshape(base.shape),
                       mean, var)
            if cm:
                y = y.swapaxes(0, 1)
        else:
            y, mean, var = _norm_kernels.instance_norm_reference(x, w, b, eps)
        if stats is not None:
            stats["mean"], stats["var"] = mean.reshape(n, c), var.reshape(n, c)
        ctx.x, ctx.w, ctx.mean, ctx.var, ctx.eps, ctx.kernels = x, w, mean, var, eps, kernels
        ctx.has = (has_w, has_b)
        return y

    @staticmethod
    def backward(ctx, g):
        x, w, eps, xp = ctx.x, ctx.w, ctx.eps, xp_of(g)
        (has_w, has_b), c = ctx.has, x.shape[1]
        if xp is np and ctx.kernels is not None:
            return _instance_norm_kernel_backward(ctx, g)
        axes = tuple(range(2, x.ndim))
        if xp is np:
            mean, invstd = ctx.mean, (1.0 / np.sqrt(ctx.var + eps)).astype(x.dtype, copy=False)
        else:  # create_graph: μ and r depend on x
            mean = xp.mean(x, axis=axes, keepdims=True)
            xc = x - mean
            invstd = (xp.mean(xc * xc, axis=axes, keepdims=True) + eps) ** -0.5
        dx, s1, s2 = _norm_kernels.instance_norm_grad(xp, x, g, mean, invstd, w)
        dw = xp.sum(s2, axis=(0,) + axes).reshape(c) if has_w else None
        db = xp.sum(s1, axis=(0,) + axes).reshape(c) if has_b else None
        return (dx,) + ((dw,) if has_w else ()) + ((db,) if has_b else ())


def _instance_norm_kernel_backward(ctx, g):
    """InstanceNorm's first-order backward by the numba kernel (the same formula, one pass per row)."""
    x, w = ctx.x, ctx.w
    (has_w, has_b), (n, c) = ctx.has, x.shape[:2]
    base, cm = _rows(x)
    gbase, gcm = _rows(g)
    s1, s2 = np.empty((n, c)), np.empty((n, c))
    dx = np.empty((c, n, *x.shape[2:]) if cm else x.shape, x.dtype)  # (fresh, so that a leaf adopts it uncopied)
    ctx.kernels[1](base, cm, gbase, gcm, ctx.mean, ctx.var, np.ones(c, x.dtype) if w is None else w, ctx.eps,
                   dx.reshape(base.shape), s1, s2)
    if cm:
        dx = dx.swapaxes(0, 1)
    out = (dx,)
    if has_w:
        out += (s2.sum(axis=0).astype(w.dtype, copy=False),)
    if has_b:
        out += (s1.sum(axis=0).astype(x.dtype, copy=False),)
    return out


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Instance normalisation: each (sample, channel) standardised over its spatial positions,

        y = γ_c · (x − μ_nc) / √(σ²_nc + ε) + β_c

    With ``use_input_stats`` the running estimates (when given) are updated with the statistics averaged
    over the batch: running_mean ← (1 − momentum)·running_mean + momentum·meanₙ(μ_nc), running_var likewise
    with the unbiased σ²_nc; otherwise the running estimates normalise.

    Torch parity: values, gradients, running-statistics update and errors as torch.nn.functional.instance_norm.
    Reference: Ulyanov, Vedaldi & Lempitsky, "Instance Normalization: The Missing Ingredient for Fast
    Stylization", 2016. https://arxiv.org/abs/1607.08022
    """
    x = input._data
    if use_input_stats:
        _verify_spatial_size(x)
    n, c = x.shape[:2]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and t._data.size != c:  # (torch repeats each over the batch before its check)
            raise RuntimeError(f"{name} should contain {n * c} elements not {n * t._data.size}")
    shape = (1, c) + (1,) * (x.ndim - 2)
    if use_input_stats:
        stats = {}
        wb = tuple(t if t.ndim == 1 else t.reshape(c) for t in (weight, bias) if t is not None)
        y = InstanceNorm.apply(input, *wb, eps=eps, has_w=weight is not None, has_b=bias is not None, stats=stats)
        m = int(np.prod(x.shape[2:]))
        if running_mean is not None:
            rm = running_mean._data
            rm *= 1 - momentum
            rm += (momentum * stats["mean"].mean(0)).astype(rm.dtype, copy=False)
        if running_var is not None:
            rv = running_var._data
            rv *= 1 - momentum
            rv += (momentum * (stats["var"] * (m / (m - 1))).mean(0)).astype(rv.dtype, copy=False)
        return y
    if running_mean is None or running_var is None:
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    y = Normalize.apply(
        input, axes=tuple(range(2, x.ndim)), eps=eps, mean=running_mean._data.reshape(shape).astype(x.dtype, copy=False),
        var=running_var._data.reshape(shape).astype(x.dtype, copy=False),
    )
    return _affine(y, weight, bias, shape)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Root-mean-square normalisation over the trailing dims ``normalized_shape``:

        y = x / √(mean(x²) + ε) · γ      (ε defaults to the dtype's machine epsilon)

    Torch parity: values, gradients and errors as torch.nn.functional.rms_norm.
    Reference: Zhang & Sennrich, "Root Mean Square Layer Normalization", NeurIPS 2019.
    https://arxiv.org/abs/1910.07467
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    x = input._data
    k = len(shape)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size{list(x.shape)}")
    if weight is not None and tuple(weight._data.shape) != shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight._data.shape)} and normalized_shape = {list(shape)}")
    if eps is None:
        eps = float(np.finfo(x.dtype).eps) if x.dtype.kind == "f" else float(np.finfo(np.float32).eps)
    axes = tuple(range(x.ndim - k, x.ndim))
    y = input * ((input * input).mean(axes, keepdim=True) + eps).rsqrt()
    return y if weight is None else y * weight


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Local response normalisation across channels (dim 1):

        y_c = x_c / (k + α/n · Σ_{c' ∈ window(c)} x_{c'}²)^β,   window(c) = [c − ⌊n/2⌋, c + ⌊(n − 1)/2⌋], n = size

    (zero beyond the edges; the sum is divided by n however many channels it covers, as torch's).
    Torch parity: values, gradients and errors as torch.nn.functional.local_response_norm.
    Reference: Krizhevsky, Sutskever & Hinton, "ImageNet Classification with Deep Convolutional Neural
    Networks", NeurIPS 2012.
    """
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {dim} "
                         f"dimensions)")
    if input.numel() == 0:
        return input
    n, c = input.shape[:2]
    sq = (input * input).reshape(n, c, -1).transpose(1, 2)  # channels last: (N, L, C)
    sq = pad(sq, (size // 2, (size - 1) // 2))
    window = sq[..., 0:c]
    for j in range(1, size):
        window = window + sq[..., j:j + c]
    div = (window.transpose(1, 2).reshape(*input.shape) * (alpha / size) + k) ** beta
    return input / div
