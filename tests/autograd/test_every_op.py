"""Every differentiable primitive (each ``Op`` subclass), differentiated once and twice.

An op whose ``backward`` is written against ``xp_of(g)`` (``once_differentiable = False``) states its
derivative once for both orders; each such op has a case below, and the test checks, in float64:
``gradcheck``, ``gradgradcheck``, and a Hessian-vector product against torch's. A guard checks that
the case's graph really holds the op. The other ops are listed by name: those differentiated twice
through a ``vjp`` or a ``composite``, and those that raise under ``create_graph``; the lists may only
shrink (issue #12).
"""
from __future__ import annotations

import numpy as np
import pytest
from _oracle import torch
from test_higher_order import _hvp

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.autograd.function import Op


def _dropout_mask():
    ember.manual_seed(0)
    return ember.nn.functional.dropout(ember.ones(3, 4, dtype=ember.float64), 0.5, training=True).numpy()


def _dropout(lib, x, y):
    if lib is ember:
        ember.manual_seed(0)
        return ember.nn.functional.dropout(x * x, 0.5, training=True)
    return x * x * torch.tensor(_dropout_mask())


def _index_put(lib, x, y):
    z = x * y
    z[1, 1:3] = x[0, :2] ** 2
    z[[0, 2], [3, 0]] = y[1, :2].exp()
    return z * x


def _ctc(lib, x, y):
    """CTC of log_softmax(x·y) (T=3, C=4) against the target (1, 2), times x; torch's CTC has no double backward,
    so on torch the loss is −log Σ over the explicit alignments (the 64 paths that collapse to (1, 2))."""
    import itertools

    lp = lib.log_softmax(x * y, 1)
    if lib is ember:
        loss = lib.nn.functional.ctc_loss(lp, lib.tensor([1, 2]), lib.tensor([3]), lib.tensor([2]), reduction="sum")
    else:
        def collapse(p):
            return tuple(c for i, c in enumerate(p) if c != 0 and (i == 0 or p[i - 1] != c))
        paths = [p for p in itertools.product(range(4), repeat=3) if collapse(p) == (1, 2)]
        loss = -lib.logsumexp(lib.stack([lp[0, a] + lp[1, b] + lp[2, c] for a, b, c in paths]), 0)
    return loss * x


def _full_backward_hooked(lib, x, y):
    class Mul(lib.nn.Module):
        def forward(self, a, b):
            return a * b

    mul = Mul()
    mul.register_full_backward_pre_hook(lambda m, grad_output: None)
    mul.register_full_backward_hook(lambda m, grad_input, grad_output: None)
    return mul(x * x, y) * x


# op class name -> f(lib, x, y) for x, y of shape (3, 4), float64 (the same code runs on ember and torch)
CASES = {
    "Abs": lambda lib, x, y: x.abs() * x,
    # complex tensors (ops/complex.py) and the Fourier transforms (ops/fft.py): real outputs of complex graphs
    "Angle": lambda lib, x, y: lib.complex(x, y).angle() * x,
    "Complex": lambda lib, x, y: lib.view_as_real(lib.complex(x, y) ** 2),
    "Conj": lambda lib, x, y: lib.view_as_real(lib.complex(x, y).conj() * lib.complex(x * y, x)),
    "Imag": lambda lib, x, y: (lib.complex(x, y) ** 2).imag * y,
    "Real": lambda lib, x, y: lib.complex(x, y).exp().real * x,
    "ViewAsComplex": lambda lib, x, y: lib.view_as_real(lib.view_as_complex(lib.stack([x, y], -1)) ** 2),
    "ViewAsReal": lambda lib, x, y: lib.view_as_real(lib.complex(x, y) * lib.complex(y, x)) ** 2,
    "C2C": lambda lib, x, y: lib.view_as_real(lib.fft.ifft2(lib.fft.fft(lib.complex(x, y), n=5) * x[0, 0], s=(2, 3),
                                                            norm="ortho")) ** 2,
    "R2C": lambda lib, x, y: lib.view_as_real(lib.fft.rfft(x * y, n=6, dim=0, norm="forward")) ** 2,
    "Eig": lambda lib, x, y: lib.view_as_real(lib.linalg.eigvals(x[:, :3] + y[:, 1:])) ** 2
                             * (lib.linalg.eig(x[:, 1:] * y[:, :3]).eigenvectors.abs() ** 2).sum(1, keepdim=True),
    "C2R": lambda lib, x, y: lib.fft.irfft(lib.complex(x, y), n=5) ** 2 + lib.fft.hfft(lib.complex(x, x * y), n=5) * x[0, 0],
    "Add": lambda lib, x, y: (x + y) * x,
    "Cast": lambda lib, x, y: x.float().exp().double() * x,
    "Clamp": lambda lib, x, y: x.clamp(-0.5, 0.7) * x,
    "ClampTensor": lambda lib, x, y: x.clamp(min=y) * x,
    "Clone": lambda lib, x, y: x.clone() * x,
    "Cos": lambda lib, x, y: x.cos() * y,
    "Div": lambda lib, x, y: x / (y * y + 1),
    "Exp": lambda lib, x, y: x.exp(),
    "Expm1": lambda lib, x, y: (x * y).expm1(),
    "Log": lambda lib, x, y: (x * x + 1).log(),
    "Log1p": lambda lib, x, y: (x * x).log1p(),
    "Maximum": lambda lib, x, y: lib.maximum(x, y) * x,
    "Minimum": lambda lib, x, y: lib.minimum(x, y) * x,
    "Mul": lambda lib, x, y: x * y * x,
    "Neg": lambda lib, x, y: -x * x,
    "Pow": lambda lib, x, y: (x * x + 1) ** y,
    "PowScalar": lambda lib, x, y: x ** 3,
    "RPowScalar": lambda lib, x, y: 2.0 ** x,
    "Reciprocal": lambda lib, x, y: (x * x + 1).reciprocal(),
    "Relu": lambda lib, x, y: lib.relu(x) * x,
    "Rsqrt": lambda lib, x, y: (x * x + 1).rsqrt(),
    "Sigmoid": lambda lib, x, y: x.sigmoid(),
    "Sin": lambda lib, x, y: x.sin() * x,
    "Sqrt": lambda lib, x, y: (x * x + 1).sqrt(),
    "Sub": lambda lib, x, y: (x - y) * x,
    "Tanh": lambda lib, x, y: x.tanh(),
    "Where": lambda lib, x, y: lib.where(x > y, x * x, x * y),
    "_ZeroGrad": lambda lib, x, y: x.floor() * x + x.sign() * y,
    "Remainder": lambda lib, x, y: (x * x).remainder(y * y + 0.3) * x,
    "LogSumExp": lambda lib, x, y: x.logsumexp(1) * x.logsumexp(0).sum(),
    "Mean": lambda lib, x, y: x.tanh().mean(1).exp(),
    "Sum": lambda lib, x, y: (x.sum(1) ** 2).sum() + x.sum(0, keepdim=True) * y,
    "_CumSum": lambda lib, x, y: x.cumsum(1) ** 2,
    "_SafeSqrt": lambda lib, x, y: x.norm() * x,
    "Cat": lambda lib, x, y: lib.cat([x * x, x * y], 1).exp(),
    "Expand": lambda lib, x, y: (x.sum(0, keepdim=True).expand(3, 4) * x) ** 2,
    "Flip": lambda lib, x, y: x.flip(0) * x,
    "Permute": lambda lib, x, y: x.permute(1, 0).exp() * y.t(),
    "Reshape": lambda lib, x, y: x.reshape(-1).sigmoid().reshape(3, 4) * y,
    "Stack": lambda lib, x, y: lib.stack([x * x, x * y], 0).tanh(),
    "Softmax": lambda lib, x, y: lib.softmax(x * y, 1),
    "LogSoftmax": lambda lib, x, y: lib.log_softmax(x * y, 0) * x,
    "MulMask": _dropout,
    "LeakyRelu": lambda lib, x, y: lib.nn.functional.leaky_relu(x, 0.1) * x,
    "Elu": lambda lib, x, y: lib.nn.functional.elu(x * y, 0.7) * x,
    "Hardtanh": lambda lib, x, y: lib.nn.functional.hardtanh(x * 2, -1.0, 0.5) * x,
    "AMaxMin": lambda lib, x, y: (x.amax(1) * x.sum(1)).sum() + x.max() * y,
    "Repeat": lambda lib, x, y: x.repeat(2, 1) ** 2,
    "MatMul": lambda lib, x, y: (x @ y.t()).tanh() @ x + ((x[0] @ y.t()) * (y @ x[1])).sum() + x[1] @ x[2],
    "Linear": lambda lib, x, y: lib.nn.functional.linear(x.tanh(), y, y[:, 0]).sigmoid()
    + lib.nn.functional.linear(lib.stack([x, y]), x).exp().sum(0),
    "Var": lambda lib, x, y: x.var(1, keepdim=True) * x + x.var() * y + x.std(0, correction=0).sum() * x,
    "Silu": lambda lib, x, y: lib.nn.functional.silu(x * y * 3) * x,
    "Softplus": lambda lib, x, y: lib.nn.functional.softplus(x * y, beta=2.0, threshold=1.5) * x,
    "GetItem": lambda lib, x, y: (x[1:, ::2].exp() * y[0, 1:3]).sum() + x[0] * x[2] + x[[0, 2, 0]].tanh().sum(0)
    + x[x > 0.3].sum() * y[..., None, 1].exp(),
    "IndexAdd": lambda lib, x, y: lib.autograd.grad((x[[0, 2, 0]] ** 3).sum(), x, create_graph=True)[0] * y,
    "IndexPut": _index_put,
    "Gelu": lambda lib, x, y: lib.nn.functional.gelu(x * y) * x + lib.nn.functional.gelu(x, approximate="tanh") * y,
    "Gather": lambda lib, x, y: x.gather(1, lib.tensor([[0, 2], [3, 3], [1, 0]])) ** 3 * y[:, :2],
    "Scatter": lambda lib, x, y: (x.scatter(1, lib.tensor([[0, 2], [3, 1], [1, 0]]), y[:, :2] * y[:, 1:3]) * x
                                  + x.scatter_add(0, lib.tensor([[0, 2, 1, 1], [2, 2, 0, 1]]), (x * y)[:2])) ** 2,
    "MaskedFill": lambda lib, x, y: (x * y).masked_fill(x > 0.2, 0.5) * x,
    "BackwardHookFunction": _full_backward_hooked,
    "EmbeddingLookup": lambda lib, x, y: lib.nn.functional.embedding(lib.tensor([[0, 2], [2, 0]]), x * x, padding_idx=1)
    * y[:2, None] + lib.nn.functional.embedding(lib.tensor([0, 0, 2]), x * y).exp().sum(),
    "Pad": lambda lib, x, y: lib.nn.functional.pad(x * y, (1, 2, -1, 1), value=0.5).exp()
    * lib.nn.functional.pad((x * x)[None], (2, 1, 1, 1), mode="reflect")[0, 1:4],
    "MaxMinDim": lambda lib, x, y: (x.max(1).values ** 2 * y[:, 0])[:, None] + (x.min(0, keepdim=True).values * y).exp(),
    "Solve": lambda lib, x, y: lib.linalg.solve(x[:, :3] + 3 * lib.eye(3, dtype=lib.float64), y) * x,
    "LogAbsDet": lambda lib, x, y: lib.linalg.slogdet(x[:, :3] * y[:, 1:]).logabsdet * x,
    "Det": lambda lib, x, y: lib.linalg.det(x[:, :3] * y[:, 1:]) * x,
    "Cholesky": lambda lib, x, y: lib.linalg.cholesky(x @ x.t() + lib.eye(3, dtype=lib.float64)) @ y,
    "Eigh": lambda lib, x, y: (lambda w, v: w.exp() @ (v * v) @ y)(*lib.linalg.eigh(x @ y.t() + y @ x.t())),
    "Svd": lambda lib, x, y: (lambda u, s, vh: s.exp() @ (vh * vh) * y + (u * u) @ y)(*lib.linalg.svd(x, False)),
    "Qr": lambda lib, x, y: (lambda q, r: (q * y.t()).sum() * r.exp().sum() + q.t() @ y.t())(*lib.linalg.qr(x.t())),
    "Pinv": lambda lib, x, y: lib.linalg.pinv(x * y).exp().t() * y + lib.linalg.pinv(x.t()) * y,
    "LuFactor": lambda lib, x, y: lib.linalg.lu_factor(x[:, :3] * y[:, 1:])[0].exp() @ y,
    "Erf": lambda lib, x, y: lib.erf(x * y) * x,
    "Erfc": lambda lib, x, y: lib.erfc(x * y) * x,
    "Erfcx": lambda lib, x, y: lib.special.erfcx(x * y) * x,
    "Erfinv": lambda lib, x, y: lib.erfinv(x.tanh() * 0.9) * y,
    "Ndtri": lambda lib, x, y: lib.special.ndtri(x.sigmoid()) * y,
    "LogNdtr": lambda lib, x, y: lib.special.log_ndtr(x * y * 3) * x,
    # (torch's trigamma is accurate to ~5e-10 below 6, ember's polygamma to 1e-16: the HVPs use arguments past 50)
    "Lgamma": lambda lib, x, y: lib.lgamma(x * x + 50) * y,
    "Polygamma": lambda lib, x, y: lib.digamma(x * x + 50) * y + lib.polygamma(2, y * y + 1) * x,
    "Zeta": lambda lib, x, y: lib.special.zeta(3.0, x * x + 0.5) * y,
    "Gammainc": lambda lib, x, y: lib.special.gammainc(lib.full_like(x, 2.5), x * x + 0.1) * y + lib.special.gammaincc(lib.full_like(x, 0.7), y * y + 0.2) * x,
    "BesselI0": lambda lib, x, y: lib.i0(x * y) * x,
    "BesselI0e": lambda lib, x, y: lib.special.i0e(x * y) * x,
    "BesselI1": lambda lib, x, y: lib.special.i1(x * y) * x,
    "BesselI1e": lambda lib, x, y: lib.special.i1e(x * y) * x,
    "Unfold": lambda lib, x, y: lib.nn.functional.unfold((x * y).reshape(1, 1, 3, 4), (2, 3), padding=(1, 0),
                                                        stride=(2, 1)) ** 2,
    "Fold": lambda lib, x, y: lib.nn.functional.fold((x * x).reshape(1, 4, 3), (3, 4), 2, stride=(2, 1))
    * y[None, None],
    "PlaneGather": lambda lib, x, y: lib.nn.functional.grid_sample(  # (border: the composed path, not the fused op)
        (x * y).reshape(1, 1, 3, 4), (x * 0.4).reshape(1, 3, 2, 2), padding_mode="border", align_corners=False) ** 2,
    "PlaneScatter": lambda lib, x, y: lib.autograd.grad((lib.nn.functional.grid_sample(
        (x * x).reshape(1, 1, 3, 4), (y * 0.4).reshape(1, 3, 2, 2), padding_mode="border", align_corners=False) ** 3
    ).sum(), x, create_graph=True)[0] * y,
    "NormalCdf": lambda lib, x, y: lib.autograd.grad(lib.nn.functional.gelu(x * x).sum(), x, create_graph=True)[0] * y,
    "ClampGradThrough": lambda lib, x, y: lib.nn.functional.gaussian_nll_loss(x, y, x * x + 0.1, reduction="none")
    + lib.nn.functional.gaussian_nll_loss(x * y, y, (x * x).clamp(max=0.5) + 0.4, eps=0.3) * x,  # (var > eps: identity gradient = true one)
    "SpatialLinear": lambda lib, x, y: lib.nn.functional.adaptive_avg_pool2d((x * y)[None, None], (2, 3))[0, 0].exp()
    .sum() * x + lib.nn.functional.interpolate((x * x)[None, None], scale_factor=1.5, mode="bilinear")[0, 0, 1:4, :4],
    "NearestGather": lambda lib, x, y: lib.nn.functional.interpolate((x * y)[None, None], size=(5, 7))[0, 0, 1:4, 2:6].tanh()
    * x + lib.nn.functional.interpolate((x * x)[None], scale_factor=0.5)[0].sum() * y,
    "MSE": lambda lib, x, y: lib.nn.functional.mse_loss(x * y, y.exp()) * x
    + lib.nn.functional.mse_loss(x.tanh(), y * y, reduction="none") + lib.nn.functional.mse_loss(x, y.flip(0), reduction="sum"),
    "NLL": lambda lib, x, y: lib.nn.functional.nll_loss(lib.log_softmax(x * y, 1), lib.tensor([0, 3, 1])) * x
    + lib.nn.functional.nll_loss((x * x)[None], lib.tensor([[0, 2, 2, 1]]), reduction="none",
                                 weight=lib.tensor([0.5, 2.0, 1.5], dtype=lib.float64), ignore_index=1)[0],
    "BCE": lambda lib, x, y: lib.nn.functional.binary_cross_entropy(x.sigmoid(), y.sigmoid(), reduction="none") * x
    + lib.nn.functional.binary_cross_entropy((x * y).sigmoid(), y.sigmoid(), weight=lib.tensor([0.5, 1.0, 1.5, 2.0], dtype=lib.float64)) * y,
    "BCEWithLogits": lambda lib, x, y: lib.nn.functional.binary_cross_entropy_with_logits(x * y, y.sigmoid()) * x
    + lib.nn.functional.binary_cross_entropy_with_logits(x, y.sigmoid(), pos_weight=lib.tensor([0.5, 1.0, 1.5, 2.0], dtype=lib.float64),
                                                         weight=lib.tensor([2.0, 0.5, 1.0, 1.5], dtype=lib.float64), reduction="none") * x
    + lib.nn.functional.binary_cross_entropy_with_logits(x.tanh(), (x * y).sigmoid(), reduction="sum"),
    "Prod": lambda lib, x, y: x.prod(1) * y.sum(1) + (x * y).prod() * x[:, 0]
    + lib.cat([x[:, :3], x[:, 3:] * 0], 1).prod(1) * y[0, 0]  # one zero per row
    + lib.cat([x[:, :2] * 0, x[:, 2:]], 1).prod(1, keepdim=True).sum() * y[:, 1] + x.prod(0)[:3],  # (two zeros)
    "Einsum": lambda lib, x, y: lib.einsum("ij,kj->ik", x, y).tanh().sum(1) + lib.einsum("ii->i", x[:, :3] * y[:, :3]) ** 2
    + lib.einsum("ij,ij,j->", x, y, x[0]) + lib.einsum("...j,j->...", x * x, y[1]).exp()
    + lib.einsum("iij->i", (x * y)[:, None, :3].expand(3, 3, 3) * x[:1, :3, None]).sum() * x[:, 0],
    "LayerNorm": lambda lib, x, y: lib.nn.functional.layer_norm(x * y, (4,), weight=y[0], bias=x[1] * y[2]) * x
    + lib.nn.functional.layer_norm(x.exp(), (3, 4)) * y,
    "Normalize": lambda lib, x, y: lib.nn.functional.group_norm((x * y)[None], 3)[0] * x
    + lib.nn.functional.batch_norm(x.exp(), None, None, training=True) * y
    + lib.nn.functional.group_norm((x * x)[None], 3)[0] * y
    + lib.nn.functional.batch_norm(x * y, lib.tensor([0.1, 0.2, 0.3, 0.4], dtype=lib.float64),
                                   lib.tensor([1.0, 2.0, 0.5, 1.5], dtype=lib.float64), training=False) * x,
    "InstanceNorm": lambda lib, x, y: lib.nn.functional.instance_norm((x * y)[None], weight=y[:, 0], bias=x[:, 1] * y[:, 2])[0]
    * x + lib.nn.functional.instance_norm(x.exp().reshape(2, 2, 3), eps=0.1).reshape(3, 4) * y
    + lib.nn.functional.instance_norm((x * x).reshape(2, 2, 3).transpose(0, 1), weight=y[0, :2]).reshape(3, 4),  # (channel-major)
    "Rearrange": lambda lib, x, y: lib.nn.functional.pixel_shuffle((x * y).reshape(1, 4, 3, 1), 2).reshape(3, 4) * x
    + lib.nn.functional.pixel_unshuffle((x * x).reshape(1, 2, 6), 2).reshape(3, 4).exp() * y,
    "Conv2d": lambda lib, x, y: lib.nn.functional.conv2d((x * y).reshape(1, 2, 2, 3), y.reshape(2, 2, 1, 3)[:, :, :, :2],
                                                         y[0, :2], padding=(1, 0), stride=(2, 1)).tanh().sum() * x
    + lib.nn.functional.conv2d(x.reshape(1, 4, 1, 3).exp(), (x * y).reshape(2, 2, 1, 3), groups=2, dilation=(1, 1),
                               padding=1).sum((0, 1))[:, :1] * y
    + lib.nn.functional.conv2d(x.reshape(1, 1, 3, 4), y.reshape(4, 1, 1, 3)[:1, :, :, :2], dilation=2, padding=(0, 1))[0, 0],
    "Conv1d": lambda lib, x, y: lib.nn.functional.conv1d((x * y)[None], y.reshape(2, 3, 2), padding=1).tanh().sum() * x
    + lib.nn.functional.conv1d(x.reshape(1, 2, 6).sin(), y.reshape(2, 2, 3), y[0, :2], groups=1, stride=2)[0].exp().sum() * y,
    "ConvTranspose2d": lambda lib, x, y: lib.nn.functional.conv_transpose2d(
        (x * y).reshape(1, 2, 2, 3), y.reshape(2, 2, 1, 3)[:, :, :, :2], y[0, :2], stride=(2, 1), padding=(0, 1),
        output_padding=(1, 0)).tanh().sum() * x
    + lib.nn.functional.conv_transpose2d(x.reshape(1, 4, 1, 3).exp(), (x * y).reshape(4, 1, 1, 3), groups=2,
                                         dilation=2, padding=(0, 1)).sum() * y,
    "MaxPool2d": lambda lib, x, y: lib.nn.functional.max_pool2d((x * y)[None, None], 2, stride=1, padding=1).exp().sum() * x
    + lib.nn.functional.max_pool2d((x * x)[None], (2, 3), stride=1)[0].repeat(2, 2)[:3, :4] * y,
    "AvgPool2d": lambda lib, x, y: lib.nn.functional.avg_pool2d((x * y)[None, None], 2, stride=1, padding=1).exp().sum() * x
    + lib.nn.functional.avg_pool2d((x * x)[None], (2, 3), stride=(1, 2), ceil_mode=True, count_include_pad=False)[0]
    .repeat(2, 2)[:3, :4] * y,
    "CrossEntropy": lambda lib, x, y: lib.nn.functional.cross_entropy(x * y, lib.tensor([0, 3, 1])) * x
    + lib.nn.functional.cross_entropy(x.exp(), lib.tensor([2, 3, 1]), reduction="sum") * y
    + lib.nn.functional.cross_entropy((x * x)[None], lib.tensor([[0, 2, 2, 1]]), reduction="none", ignore_index=1,
                                      weight=lib.tensor([0.5, 2.0, 1.5], dtype=lib.float64), label_smoothing=0.2)[0]
    + lib.nn.functional.cross_entropy(x.tanh() * y, lib.tensor([1, 0, 3]), label_smoothing=0.1, ignore_index=0,
                                      weight=lib.tensor([0.5, 2.0, 1.5, 1.0], dtype=lib.float64)) * x,
    # issue #18, part A
    "CumProd": lambda lib, x, y: x.cumprod(1) * y + (x * (y > 0.5)).cumprod(0),  # (the second with zeros)
    "LogCumSumExp": lambda lib, x, y: lib.logcumsumexp(x * y, 1) * x,
    "Tan": lambda lib, x, y: (x * 0.5).tan() * y,
    "Sinh": lambda lib, x, y: x.sinh() * y,
    "Cosh": lambda lib, x, y: x.cosh() * y,
    "Asin": lambda lib, x, y: (x.tanh() * 0.9).asin() * y,
    "Acos": lambda lib, x, y: (x.tanh() * 0.9).acos() * y,
    "Atan": lambda lib, x, y: x.atan() * y,
    "Asinh": lambda lib, x, y: x.asinh() * y,
    "Acosh": lambda lib, x, y: (x * x + 1.5).acosh() * y,
    "Atanh": lambda lib, x, y: (x.tanh() * 0.9).atanh() * y,
    "Sinc": lambda lib, x, y: lib.sinc(x) * y,
    "Atan2": lambda lib, x, y: lib.atan2(x, y) * x,
    "Hypot": lambda lib, x, y: lib.hypot(x, y) * x,
    "Fmod": lambda lib, x, y: lib.fmod(x * 3, y * y + 0.5) * x,
    "LogAddExp": lambda lib, x, y: lib.logaddexp(x, y) * x,
    "LogAddExp2": lambda lib, x, y: lib.logaddexp2(x, y) * x,
    "Logit": lambda lib, x, y: lib.logit(x.sigmoid() * 0.8 + 0.1) * y,
    "LogBase": lambda lib, x, y: (x * x + 0.5).log2() * y + lib.log10(x * x + 0.5) * x,
    "Xlogy": lambda lib, x, y: lib.xlogy(x, y * y + 0.5) * x,
    "Copysign": lambda lib, x, y: lib.copysign(x * y, y) * x,
    "SmoothL1": lambda lib, x, y: lib.nn.functional.smooth_l1_loss(x * 2, y, reduction="none", beta=0.7) * x
    + lib.nn.functional.huber_loss(x * 2, y, reduction="none", delta=0.6) * y,
    "Hardswish": lambda lib, x, y: lib.nn.functional.hardswish(x * 4) * y,
    "CTC": _ctc,
    "ScatterExtreme": lambda lib, x, y: lib.scatter_reduce(x, 0, lib.tensor([[0, 1, 2, 0], [2, 2, 2, 0]]), (x * y)[:2],
                                                           "amax") ** 2,
    "ScatterProd": lambda lib, x, y: lib.scatter_reduce(x, 0, lib.tensor([[0, 1, 2, 0], [2, 2, 2, 0]]), (x * y)[:2],
                                                        "prod", include_self=False) * y,
}
# ops differentiated twice through something stated a second time: a user Function's own backward (``vjp``), or a
# fused op's forward given again as differentiable primitives (``composite``)
SECOND_FORMULA = {"_FunctionNode", "Recurrence", "Conv3d", "GridSampleBilinear", "ScatterProd"}
# ops that still raise under create_graph=True
NOT_TWICE = {"SyncNormalize",  # (its backward all-reduces across ranks: twice needs a differentiable all-reduce)
             "StandardGamma",  # (torch's _standard_gamma_grad has no derivative either)
             "_NoDerivative"}  # (floor_divide: torch records it but has no derivative, so neither has ember)


def _all_ops():
    import ember.nn  # noqa: F401  (registers the ops defined outside autograd)
    import ember.nn.functional  # noqa: F401
    import ember.distributions  # noqa: F401  (StandardGamma; ember imports it on first use)

    seen, stack = set(), [Op]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return seen


def test_every_op_is_listed_once():
    ops = _all_ops()
    second = {c.__name__ for c in ops if hasattr(c, "vjp") or c.composite is not None}
    assert second == SECOND_FORMULA
    not_twice = {c.__name__ for c in ops if c.once_differentiable} - second
    assert not_twice == NOT_TWICE
    formula = {c.__name__ for c in ops} - second - not_twice
    assert formula <= set(CASES), f"ops without a case: {formula - set(CASES)}"
    assert set(CASES) <= formula | second, f"cases without an op: {set(CASES) - formula - second}"


def _ops_in_graph(t):
    seen, stack = set(), [t.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is not None and fn not in seen:
            seen.add(fn)
            stack.extend(fn.next_functions[i][0] for i in range(len(fn.next_functions)))
    return {type(fn).__name__ for fn in seen}


def _inputs(rng):
    return [ember.tensor(rng.standard_normal((3, 4)), requires_grad=True) for _ in range(2)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_case_exercises_the_op(name, rng):
    x, y = _inputs(rng)
    assert name in _ops_in_graph(CASES[name](ember, x, y))


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck_and_gradgradcheck(name, rng):
    x, y = _inputs(rng)
    fn = CASES[name]
    tol = dict(eps=1e-3, atol=1e-2, rtol=1e-2) if name == "Cast" else {}  # Cast: a float32 leg
    assert gradcheck(lambda a, b: fn(ember, a, b), (x, y), **tol)
    assert gradgradcheck(lambda a, b: fn(ember, a, b), (x, y), **tol)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hessian_vector_product_matches_torch(name, rng):
    x0, y0, v0 = (rng.standard_normal((3, 4)) for _ in range(3))
    fn = CASES[name]
    tol = dict(rtol=1e-6, atol=1e-7) if name == "Cast" else dict(rtol=1e-10, atol=1e-12)
    if name in ("Lgamma", "Polygamma"):  # torch's trigamma is accurate to about 5e-10 (ours 1e-15, both vs SciPy)
        tol = dict(rtol=1e-8, atol=1e-10)
    for got, want in zip(_hvp(ember, fn, x0, y0, v0), _hvp(torch, fn, x0, y0, v0)):
        np.testing.assert_allclose(got, want, err_msg=name, **tol)


# ops whose backward calls user code that receives Tensors by contract (a module's full backward hooks)
HANDS_TENSORS_TO_USER_CODE = {"BackwardHookFunction"}


@pytest.mark.parametrize("name", sorted(set(CASES) - HANDS_TENSORS_TO_USER_CODE))
def test_a_first_order_backward_makes_no_tensor(name, rng, monkeypatch):
    """The first-order pass runs each formula on arrays: not one Tensor is made (ops/_xp.py)."""
    import sys

    from ember.autograd.function import run_backward

    x, y = _inputs(rng)
    out = CASES[name](ember, x, y).sum()
    made = []
    tensor_module = sys.modules["ember.tensor"]
    new = tensor_module._new
    monkeypatch.setattr(tensor_module, "_new", lambda cls: made.append(cls) or new(cls))
    run_backward([out], [np.ones((), np.float64)], capture=[x, y])
    assert made == []


def test_gradcheck_fails_when_no_float_output_was_checked():
    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    with pytest.raises(ember.autograd.GradcheckError, match="no output"):
        gradcheck(lambda a: a > 1, (x,))
    assert gradcheck(lambda a: a > 1, (x,), raise_exception=False) is False


def test_gradgradcheck_finds_a_wrong_second_derivative():
    class WrongTwice(ember.autograd.Function):  # right first derivative (2x), wrong second (its backward uses x.detach())
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * 2 * a.detach()

    x = ember.tensor([0.5, -1.5], dtype=ember.float64, requires_grad=True)
    assert gradcheck(WrongTwice.apply, (x,))
    assert gradgradcheck(WrongTwice.apply, (x,), raise_exception=False) is False
