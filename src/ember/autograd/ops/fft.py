"""The discrete Fourier transforms as three primitives: complex → complex, real → half spectrum, half spectrum → real.

Each transforms ``axes`` after cropping or zero-padding them to ``sizes`` (torch's ``s``/``n``), with a scale set by
``norm``: for a transform of N = ∏ sizes points, "backward" scales the inverse by 1/N, "forward" the forward
transform by 1/N, "ortho" both by 1/√N. NumPy's ``np.fft`` computes them (in the input's precision).

Gradients (torch's complex convention, ``complex.py``: grad = conj(A)ᵀ·g for a linear map A):
- C2C: the adjoint of a DFT is the DFT of the other direction with the adjoint scale (``ADJOINT``: the 1/N moves
  to the other side), so grad = c2c(g, not inverse, ADJOINT[norm]), cropped or zero-padded back to the input.
- R2C (rfft): y = P·F·x keeps the first ⌊n/2⌋+1 bins of the full DFT F; grad = Re(F^H·Pᵀ·g): g zero-padded to n
  bins, inverse c2c with the adjoint scale, real part.
- C2R (irfft): y_t = (1/n)·Σ_k c_k·Re(X_k·e^{2πikt/n}) with c_k = 1 for the bins without a mirror image (k = 0 and,
  for even n, k = n/2) and c_k = 2 for the rest, so grad_X = c·rfft(g) with the forward's own scale: the doubled
  bins are 1 … n − (⌊n/2⌋+1) (torch's ``fft_c2r_backward``).

Each backward calls the primitives again (``_call``), so the gradient of a gradient (create_graph) is recorded.
"""
from __future__ import annotations

import numpy as np

from ...tensor import Tensor
from ..function import Op
from ._xp import xp_of

ADJOINT = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


class _Scratch:
    """A throwaway ``ctx`` for running a primitive's forward on plain arrays."""


def _call(op, x, **options):
    """``op`` on an array (first-order backward), or recorded on a Tensor (a backward under create_graph)."""
    return op.apply(x, **options) if isinstance(x, Tensor) else op.forward(_Scratch(), x, **options)


def resize(x, axes, sizes):
    """``x`` cropped or zero-padded at the end of each of ``axes`` to ``sizes`` (what np.fft does to its input)."""
    xp = xp_of(x)
    for ax, n in zip(axes, sizes):
        have = x.shape[ax]
        if have > n:
            x = x[(slice(None),) * ax + (slice(0, n),)]
        elif have < n:
            shape = list(x.shape)
            shape[ax] = n - have
            x = xp.concatenate([x, xp.asarray(np.zeros(shape, _dtype_of(x)))], ax)
    return x


def _dtype_of(x) -> np.dtype:
    return x._data.dtype if isinstance(x, Tensor) else x.dtype


class C2C(Op):
    """y = DFT over ``axes`` of x resized to ``sizes`` (``inverse``: the inverse DFT), scaled by ``norm``."""

    @staticmethod
    def forward(ctx, a, *, axes, sizes, norm, inverse):
        ctx.shape, ctx.axes, ctx.sizes, ctx.norm, ctx.inverse = a.shape, axes, sizes, norm, inverse
        f = np.fft.ifftn if inverse else np.fft.fftn
        return f(a, s=sizes, axes=axes, norm=norm).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        gi = _call(C2C, g, axes=ctx.axes, sizes=ctx.sizes, norm=ADJOINT[ctx.norm], inverse=not ctx.inverse)
        return resize(gi, ctx.axes, [ctx.shape[a] for a in ctx.axes])


class R2C(Op):
    """The first ⌊n/2⌋+1 bins along ``axes[-1]`` of the DFT over ``axes`` of real x resized to ``sizes``."""

    @staticmethod
    def forward(ctx, a, *, axes, sizes, norm):
        ctx.shape, ctx.axes, ctx.sizes, ctx.norm = a.shape, axes, sizes, norm
        out = np.fft.rfftn(a, s=sizes, axes=axes, norm=norm)
        return out.astype(np.result_type(a.dtype, np.complex64), copy=False)

    @staticmethod
    def backward(ctx, g):
        full = resize(g, ctx.axes[-1:], ctx.sizes[-1:])  # the missing mirror bins as zeros
        gi = _call(C2C, full, axes=ctx.axes, sizes=ctx.sizes, norm=ADJOINT[ctx.norm], inverse=True).real
        return resize(gi, ctx.axes, [ctx.shape[a] for a in ctx.axes])


class C2R(Op):
    """The real inverse DFT over ``axes`` of a half spectrum (``axes[-1]`` holds bins 0 … ⌊n/2⌋, n = sizes[-1])."""

    @staticmethod
    def forward(ctx, a, *, axes, sizes, norm):
        ctx.shape, ctx.axes, ctx.sizes, ctx.norm = a.shape, axes, sizes, norm
        return np.fft.irfftn(a, s=sizes, axes=axes, norm=norm).astype(a.real.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        axes, n = ctx.axes, ctx.sizes[-1]
        half = n // 2 + 1
        c = np.ones(half, _dtype_of(g))
        c[1 : 1 + n - half] = 2  # the bins that stand for a mirror pair
        c = c.reshape((half,) + (1,) * (len(ctx.shape) - 1 - axes[-1]))
        gi = _call(R2C, g, axes=axes, sizes=ctx.sizes, norm=ADJOINT[ctx.norm]) * c
        return resize(gi, axes, [ctx.shape[a] for a in axes])

