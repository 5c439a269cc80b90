"""Convolution and pooling primitives on 2-D spatial data (1-D callers insert a height of 1).

Layout. Tensors are logically (N, C, H, W) as in torch. The kernels gather patches with
``im2col`` into a matrix ``cols`` of shape (C·kh·kw, N·Ho·Wo) — one strided view, one copy —
and run one BLAS matmul per group:

    out[o, (n, y, x)] = Σ_{c,i,j} W[o, c, i, j] · xpad[n, c, y·sh + i·dh, x·sw + j·dw]

so the result comes out channel-major, (O, N, Ho, Wo) in memory, and is returned as the
transposed (N, O, Ho, Wo) view: no copy. Element-wise ops and pooling keep that memory order,
so the next convolution's im2col reads it sequentially and its backward gets the gradient in
the (O, N·Ho·Wo) matrix form it needs without a copy. The backward of im2col is ``col2im``:
one strided add per kernel offset (kh·kw adds over whole arrays, no loop over pixels).

With groups=1 and a bias, the bias is folded into the product: ``cols`` gets a last row of ones and W a
last column b, so ``[W | b]·[cols; 1]`` adds it and the backward's ``g·[cols; 1]ᵀ = [dW | db]`` sums it, with
no pass of their own over the output. ``Conv1d`` is the same op on height-1 views of (N, C, L) arrays.

Algorithms, chosen per shape. 3×3 convolutions with stride 1, dilation 1, groups 1 and at least
``WINOGRAD_MIN_CHANNELS`` input and output channels take Winograd F(2×2, 3×3) when numba is there (the
``fast`` extra): 16 products (O, C)·(C, tiles) instead of one (O, 9C)·(9C, N·Ho·Wo), 2.25× fewer
multiplications, with one-pass numba transforms, and a backward that is the exact adjoint of those steps.
Everything else, and every shape on the NumPy-only path, is im2col + GEMM. Blocking im2col + GEMM by images
(patches kept in cache) was tried on the residual-block shape and lost (per-block calls, strided outputs).
Speed: benchmarks/bench_cnn.py.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ... import _numba
from ..._threads import note_blas
from ..function import Op
from . import _conv_kernels
from ._xp import dtype_of, xp_of


# ---- workspace -------------------------------------------------------------------------------------
class _Workspace:
    """Reusable scratch arrays for the large im2col matrices.

    A fresh multi-megabyte NumPy array is fresh memory from the OS, and touching it costs page
    faults on every call (about as much as the matmul itself on a busy machine); reusing the
    buffers of the previous step avoids that. A buffer is taken by ``get`` and handed back by
    ``put`` only when nothing can read it any more (after the backward that used it). At most
    ``keep`` idle buffers are held (the most recently returned), so varying shapes cannot grow it.
    """

    def __init__(self, keep: int = 8):
        self.idle: list = []  # (shape, dtype, array), oldest first
        self.keep = keep

    def get(self, shape, dtype) -> np.ndarray:
        dtype = np.dtype(dtype)
        for i in range(len(self.idle) - 1, -1, -1):
            s, d, a = self.idle[i]
            if s == shape and d == dtype:
                del self.idle[i]
                return a
        return np.empty(shape, dtype)

    def put(self, a) -> None:
        if a is None or a.base is not None:
            return
        self.idle.append((a.shape, a.dtype, a))
        if len(self.idle) > self.keep:
            del self.idle[0]


workspace = _Workspace()


# ---- layout helpers -------------------------------------------------------------------------------
def _channel_major(a: np.ndarray) -> bool:
    """True when an (N, C, ...) array is stored as (C, N, ...) (what the conv kernels produce)."""
    return a.ndim >= 2 and a.shape[0] > 1 and a.shape[1] > 1 and a.swapaxes(0, 1).flags.c_contiguous


def _empty_like_layout(shape, dtype, channel_major: bool, fill=0.0) -> np.ndarray:
    """A filled (N, C, H, W) array, stored channel-major when ``channel_major``."""
    if channel_major:
        cm = (shape[1], shape[0], *shape[2:])
        return (np.zeros(cm, dtype) if fill == 0 else np.full(cm, fill, dtype)).swapaxes(0, 1)
    return np.zeros(shape, dtype) if fill == 0 else np.full(shape, fill, dtype)


def pad2d(x: np.ndarray, pads, value=0.0) -> np.ndarray:
    """Copy of (N, C, H, W) ``x`` with ``pads`` = (top, bottom, left, right) rows/columns of ``value``."""
    t, b, l, r = pads
    if not (t or b or l or r):
        return x
    n, c, h, w = x.shape
    out = _empty_like_layout((n, c, h + t + b, w + l + r), x.dtype, _channel_major(x), value)
    out[:, :, t : t + h, l : l + w] = x
    return out


def windows(xp: np.ndarray, kernel, stride, dilation, out_hw) -> np.ndarray:
    """Read-only view (N, C, Ho, Wo, kh, kw) of the patches of padded ``xp`` (no copy)."""
    s_n, s_c, s_h, s_w = xp.strides
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    return as_strided(
        xp,
        (xp.shape[0], xp.shape[1], ho, wo, kh, kw),
        (s_n, s_c, s_h * sh, s_w * sw, s_h * dh, s_w * dw),
        writeable=False,
    )


def _offset_slice(i, j, stride, dilation, out_hw):
    """The (…, Ho, Wo) strided slice of the padded input that kernel offset (i, j) reads."""
    (sh, sw), (dh, dw), (ho, wo) = stride, dilation, out_hw
    return (
        slice(None),
        slice(None),
        slice(i * dh, i * dh + (ho - 1) * sh + 1, sh),
        slice(j * dw, j * dw + (wo - 1) * sw + 1, sw),
    )


def im2col(xp: np.ndarray, kernel, stride, dilation, out_hw, out=None) -> np.ndarray:
    """cols[c, i, j, n, y, x] = xp[n, c, y·sh + i·dh, x·sw + j·dw], C-contiguous (C, kh, kw, N, Ho, Wo)."""
    cm = _channel_major(xp)
    fused = _conv_kernels.patch_kernels(kernel, stride, dilation, xp.dtype) if cm or xp.flags.c_contiguous else None
    if fused is not None:
        n, c = xp.shape[:2]
        if out is None:
            out = np.empty((c, *kernel, n, *out_hw), xp.dtype)
        fused[0](xp.swapaxes(0, 1) if cm else xp, cm, out)
        return out
    view = windows(xp, kernel, stride, dilation, out_hw).transpose(1, 4, 5, 0, 2, 3)
    if out is None:
        return np.ascontiguousarray(view)
    np.copyto(out, view)
    return out


def col2im(dcols: np.ndarray, padded_shape, stride, dilation, channel_major=True) -> np.ndarray:
    """Adjoint of ``im2col``: sum (C, kh, kw, N, Ho, Wo) patches back into an (N, C, Hp, Wp) array."""
    _, kh, kw, _, ho, wo = dcols.shape
    fused = _conv_kernels.patch_kernels((kh, kw), stride, dilation, dcols.dtype) if dcols.flags.c_contiguous else None
    if fused is not None:
        n, c, hp, wp = padded_shape
        base = np.empty((c, n, hp, wp) if channel_major else (n, c, hp, wp), dcols.dtype)
        fused[1](dcols, channel_major, base)
        return base.swapaxes(0, 1) if channel_major else base
    out = _empty_like_layout(padded_shape, dcols.dtype, channel_major)
    for i in range(kh):
        for j in range(kw):
            out[_offset_slice(i, j, stride, dilation, (ho, wo))] += dcols[:, i, j].swapaxes(0, 1)
    return out


def _crop(a: np.ndarray, pads, hw) -> np.ndarray:
    t, _, l, _ = pads
    return a[:, :, t : t + hw[0], l : l + hw[1]]


def _grouped(a: np.ndarray, groups: int) -> np.ndarray:
    """(C·…, M) matrix → (groups, C/groups·…, M) without a copy."""
    return a.reshape(groups, a.shape[0] // groups, a.shape[-1])


def _channel_matrix(g: np.ndarray) -> np.ndarray:
    """(N, C, H, W) → (C, N·H·W); free when ``g`` is stored channel-major."""
    n, c = g.shape[:2]
    return g.swapaxes(0, 1).reshape(c, n * int(np.prod(g.shape[2:])))


def _weight_grad(g2: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """dW = g·colsᵀ per group, (G, O/G, C/G·kh·kw). OpenBLAS runs the product faster with the longer of the two outer
    dimensions as rows (benchmarks/NOTES.md), so the orientation follows the shapes (the same sums, up to rounding
    order)."""
    if cols.shape[1] > g2.shape[1]:
        return np.ascontiguousarray(np.matmul(cols, g2.swapaxes(1, 2)).swapaxes(1, 2))
    return np.matmul(g2, cols.swapaxes(1, 2))


# ---- Winograd F(2×2, 3×3) -------------------------------------------------------------------------
WINOGRAD_MIN_CHANNELS = 32  # input and output channels from which 3×3 stride-1 convolutions take the Winograd path
_G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


def _tile_matrices(rows, tiles, dtype):
    """(buffer, (16, rows, tiles) view) for transformed tiles. The 16 matrices sit 64 bytes further apart than
    packed: packed, the transforms' 16 write streams are a power of two apart and collide in the same cache sets."""
    buf = workspace.get((16, rows * tiles + 16), dtype)
    return buf, buf[:, : rows * tiles].reshape(16, rows, tiles)


def _winograd(x, w, stride, dilation, groups, pads):
    """The numba transforms when the Winograd path serves this convolution (3×3, stride 1, dilation 1, groups 1,
    a float32 or float64 input, enough channels, the ``fast`` extra), else None."""
    if (w.shape[2:] != (3, 3) or stride != (1, 1) or dilation != (1, 1) or groups != 1 or not _numba.takes(x.dtype)
            or min(x.shape[1], w.shape[0]) < WINOGRAD_MIN_CHANNELS or x.shape[0] == 0):
        return None
    return _conv_kernels.winograd_kernels()


def _winograd_forward(ctx, fns, x, w, b, stride, pads, dilation, groups, recorded):
    """out = Aᵀ[U ⊙ V]A per 2×2 output tile, U = G·W·Gᵀ, V = Bᵀ·d·B (_conv_kernels.py): 16 products
    (O, C)·(C, tiles) instead of one (O, 9C)·(9C, N·Ho·Wo), 2.25× fewer multiplications."""
    n, c, h, wd = x.shape
    o = w.shape[0]
    t, bt, l, r = pads
    ho, wo = h + t + bt - 2, wd + l + r - 2
    th, tw = (ho + 1) // 2, (wo + 1) // 2
    xp = pad2d(x, (t, bt + 2 * th - ho, l, r + 2 * tw - wo))  # whole tiles: an odd size gets one more row/column
    cm = _channel_major(xp)
    base = xp.swapaxes(0, 1) if cm else np.ascontiguousarray(xp)
    vbuf, v = _tile_matrices(c, n * th * tw, x.dtype)
    fns[0](base, cm, th, tw, v)
    g_ = _G.astype(w.dtype)
    u = np.ascontiguousarray(np.matmul(np.matmul(g_, w), g_.T).transpose(2, 3, 0, 1)).reshape(16, o, c)
    mbuf, m = _tile_matrices(o, n * th * tw, x.dtype)
    note_blas()
    np.matmul(u, v, out=m)
    out = np.empty((o, n, ho, wo), x.dtype)
    fns[1](m, th, tw, np.zeros(o, x.dtype) if b is None else b, out)
    workspace.put(mbuf)
    if not recorded:
        workspace.put(vbuf)
        return out.swapaxes(0, 1)
    ctx.v, ctx.buf, ctx.u, ctx.w, ctx.x_shape, ctx.xp_shape = v, vbuf, u, w, x.shape, xp.shape
    ctx.opts = (stride, pads, dilation, groups)
    ctx.x_contig = x.flags.c_contiguous
    ctx.tiles = (th, tw)
    return out.swapaxes(0, 1)


def _winograd_backward(ctx, fns, g):
    """The exact adjoint of the forward: dM = A·g·Aᵀ per tile, dU = dM·Vᵀ, dW = Gᵀ·dU·G, dV = Uᵀ·dM and dx the
    sum of B·dV·Bᵀ over the overlapping 4×4 input windows; db = Σ g."""
    _, pads, _, _ = ctx.opts
    th, tw = ctx.tiles
    w, u, v = ctx.w, ctx.u, ctx.v
    o, c = u.shape[1:]
    n = ctx.x_shape[0]
    gcm = _channel_major(g)
    gbase = g.swapaxes(0, 1) if gcm else np.ascontiguousarray(g)
    if not gbase.flags.c_contiguous:
        gbase = np.ascontiguousarray(gbase)
    dmbuf, dm = _tile_matrices(o, n * th * tw, g.dtype)
    fns[2](gbase, gcm, th, tw, dm)
    inputs = ctx.inputs
    dx = dw = db = None
    note_blas()
    if inputs[1].requires_grad:
        du = np.matmul(dm, v.swapaxes(1, 2)).reshape(4, 4, o, c).transpose(2, 3, 0, 1)
        g_ = _G.astype(w.dtype)
        dw = np.matmul(np.matmul(g_.T, du), g_)
    if len(inputs) > 2 and inputs[2].requires_grad:
        db = g.sum(axis=(0, 2, 3))
    if inputs[0].requires_grad:
        dvbuf, dv = _tile_matrices(c, n * th * tw, g.dtype)
        np.matmul(u.swapaxes(1, 2), dm, out=dv)
        _, _, hp, wp = ctx.xp_shape
        dxp = np.empty((c, n, hp, wp), g.dtype)
        fns[3](dv, th, tw, True, dxp)
        workspace.put(dvbuf)
        dx = _crop(dxp.swapaxes(0, 1), pads, ctx.x_shape[2:])
        if ctx.x_contig:
            dx = np.ascontiguousarray(dx)
    workspace.put(dmbuf)
    return dx, dw, db


# ---- convolution ---------------------------------------------------------------------------------
class Conv2d(Op):
    """2-D cross-correlation: out = W ⋆ pad(x) + b via im2col + one matmul per group.

    Options: stride, dilation (pairs), pads (top, bottom, left, right), groups.
    Backward: dW = g·colsᵀ, db = Σ g, dx = col2im(Wᵀ·g).
    """

    saved_for = {"cols": (1, 2), "w": (0,)}  # (see autograd/_versions.py)

    @staticmethod
    def forward(ctx, x, w, b=None, *, stride, pads, dilation, groups, recorded=True):
        n, c = x.shape[:2]
        o, _, kh, kw = w.shape
        ctx.wino = _winograd(x, w, stride, dilation, groups, pads)
        if ctx.wino is not None:
            return _winograd_forward(ctx, ctx.wino, x, w, b, stride, pads, dilation, groups, recorded)
        xp = pad2d(x, pads)
        hp, wp = xp.shape[2:]
        ho = (hp - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        wo = (wp - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        k, m = c * kh * kw, n * ho * wo
        # the bias rides in the matmul (groups=1): a row of ones under the patches and b as one more column of
        # W, so that out = [W | b]·[cols; 1] needs no pass of its own, and the backward's [dW | db] = g·[cols; 1]ᵀ
        # is one product too (db = Σ g without a reduction pass)
        fold = b is not None and groups == 1
        buf = workspace.get((k + fold, m), x.dtype)
        im2col(xp, (kh, kw), stride, dilation, (ho, wo), buf[:k].reshape(c, kh, kw, n, ho, wo))
        if fold:
            buf[k] = 1
            wg = np.concatenate((w.reshape(o, k), b.reshape(o, 1)), axis=1)[None]
            cols = buf[None]
        else:
            cols = _grouped(buf, groups)
            wg = w.reshape(groups, o // groups, w[0].size)
        note_blas()
        out = np.matmul(wg, cols).reshape(o, n, ho, wo)
        if b is not None and not fold:
            out += b.reshape(o, 1, 1, 1)
        if not recorded:  # no backward will read the patches (no_grad / inference)
            workspace.put(buf)
            return out.swapaxes(0, 1)
        ctx.cols, ctx.buf, ctx.w, ctx.x_shape, ctx.xp_shape = cols, buf, w, x.shape, xp.shape
        ctx.opts = (stride, pads, dilation, groups)
        ctx.x_contig = x.flags.c_contiguous
        ctx.fold = fold
        return out.swapaxes(0, 1)

    def _free(self):  # the graph is done with this node: its im2col buffer can serve the next step
        workspace.put(self.__dict__.get("buf"))
        super()._free()

    @staticmethod
    def backward(ctx, g):
        """dx = the transposed convolution of g with W (cropped to x), dW = the correlation of pad(x) with g,
        db = Σ g: on arrays the kernels below (Winograd's adjoint, or col2im(Wᵀ·g) and g·colsᵀ from the forward's
        patches), on Tensors (create_graph) the differentiable ops (``_conv_grads``)."""
        if xp_of(g) is not np:
            return _conv_grads(*ctx.inputs, g, ctx.opts)
        if ctx.wino is not None:
            return _winograd_backward(ctx, ctx.wino, g)
        stride, pads, dilation, groups = ctx.opts
        w = ctx.w
        o = w.shape[0]
        g2 = _grouped(_channel_matrix(g), groups)  # (G, O/G, N·Ho·Wo)
        inputs = ctx.inputs
        note_blas()
        want_b = len(inputs) > 2 and inputs[2].requires_grad
        dw = db = None
        if ctx.fold and (inputs[1].requires_grad or want_b):
            dwb = _weight_grad(g2, ctx.cols)[0]  # (O, C·kh·kw + 1) = [dW | db]
            dw = np.ascontiguousarray(dwb[:, :-1]).reshape(w.shape) if inputs[1].requires_grad else None
            db = np.ascontiguousarray(dwb[:, -1]) if want_b else None
        else:
            dw = _weight_grad(g2, ctx.cols).reshape(w.shape) if inputs[1].requires_grad else None
            db = g2.sum(axis=-1).reshape(o) if want_b else None
        dx = None
        if inputs[0].requires_grad:
            n, c, h, wd = ctx.x_shape
            kh, kw = w.shape[2:]
            ho, wo = g.shape[2:]
            scratch = workspace.get((groups, c // groups * kh * kw, n * ho * wo), g2.dtype)
            dcols = np.matmul(w.reshape(groups, o // groups, -1).swapaxes(1, 2), g2, out=scratch)
            dxp = col2im(dcols.reshape(c, kh, kw, n, ho, wo), ctx.xp_shape, stride, dilation)
            workspace.put(scratch)
            dx = _crop(dxp, pads, (h, wd))
            if ctx.x_contig:
                dx = np.ascontiguousarray(dx)
        return dx, dw, db


class Conv1d(Conv2d):
    """1-D cross-correlation on (N, C, L) arrays: Conv2d on the height-1 views x[:, :, None], W[:, :, None].

    The same work as Conv2d, but one graph node instead of four (the unsqueezes of x and W and the squeeze
    of the output are views inside the op), which is most of a small 1-d CNN's per-layer cost.
    Options: as Conv2d's, with the height entries of stride, pads and dilation 1, 0 and 1.
    """

    @staticmethod
    def forward(ctx, x, w, b=None, **options):
        return Conv2d.forward(ctx, x[:, :, None], w[:, :, None], b, **options)[:, :, 0]

    @staticmethod
    def backward(ctx, g):
        if xp_of(g) is not np:  # create_graph: Conv2d's rule on the height-1 views
            x, w, *b = ctx.inputs
            dx, dw, db = _conv_grads(x.unsqueeze(2), w.unsqueeze(2), *b, g.unsqueeze(2), ctx.opts)
        else:
            dx, dw, db = Conv2d.backward(ctx, g[:, :, None])
        return (None if dx is None else dx[:, :, 0]), (None if dw is None else dw[:, :, 0]), db


def _conv_grads(x, w, *rest):
    """Conv2d's gradients as differentiable ops (create_graph): dx = ConvTranspose2d(g, W) cropped to x,
    dW = ``_correlate(x, g)``, db = Σ g. ``rest``: (b, g, opts) or (g, opts)."""
    *b, g, (stride, pads, dilation, groups) = rest
    dx = dw = db = None
    if x.requires_grad:
        h, wd = x.shape[2:]
        hw_pad = (h + pads[0] + pads[1], wd + pads[2] + pads[3])
        full = [(m - 1) * s + d * (k - 1) + 1 for m, s, d, k in zip(g.shape[2:], stride, dilation, w.shape[2:])]
        dxp = ConvTranspose2d.apply(g, w, stride=stride, padding=(0, 0), dilation=dilation, groups=groups,
                                    output_padding=(hw_pad[0] - full[0], hw_pad[1] - full[1]))
        dx = _crop(dxp, pads, (h, wd))
    if w.requires_grad:
        dw = _correlate(x, g, w.shape[2:], stride, pads, dilation, groups)
    if b and b[0].requires_grad:
        db = g.sum((0, 2, 3))
    return dx, dw, db


def _correlate(x, g, kernel, stride, pads, dilation, groups):
    """dW[o, c, i, j] = Σ_{n,y,x} g[n, o, y, x] · xpad[n, c, y·sh + i·dh, x·sw + j·dw] (c within o's group): one
    grouped convolution of xpadᵀ (batch as channels, by group) with gᵀ as the kernel, stride and dilation swapped
    (differentiable; create_graph)."""
    (n, c, *hw), (o, *ghw) = x.shape, g.shape[1:]
    xt = x.reshape(n, groups, c // groups, *hw).permute(2, 1, 0, 3, 4).reshape(c // groups, groups * n, *hw)
    gt = g.reshape(n, groups, o // groups, *ghw).permute(1, 2, 0, 3, 4).reshape(o, n, *ghw)
    out = Conv2d.apply(xt, gt, stride=dilation, pads=pads, dilation=stride, groups=groups)
    return out[:, :, :kernel[0], :kernel[1]].transpose(0, 1)


class ConvTranspose2d(Op):
    """Transposed convolution (the adjoint of Conv2d with respect to its input), plus bias.

    out = crop(col2im(Wᵀ·x)) + b, W of shape (C_in, C_out/groups, kh, kw); backward:
    dx = W·im2col(g) (the convolution of g with W), dW = x·im2col(g)ᵀ (the correlation of g with x), db = Σ g.
    Options: stride, dilation, padding (ph, pw), output_padding (oh, ow), groups.
    """

    @staticmethod
    def forward(ctx, x, w, b=None, *, stride, padding, output_padding, dilation, groups):
        n, cin, h, wd = x.shape
        _, coutg, kh, kw = w.shape
        cout = coutg * groups
        full = (
            (h - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + output_padding[0],
            (wd - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + output_padding[1],
        )
        ho, wo = full[0] - 2 * padding[0], full[1] - 2 * padding[1]
        xm = _grouped(_channel_matrix(x), groups)  # (G, Cin/G, N·H·W)
        wg = w.reshape(groups, cin // groups, -1)  # (G, Cin/G, Cout/G·kh·kw)
        scratch = workspace.get((groups, coutg * kh * kw, n * h * wd), x.dtype)
        note_blas()
        cols = np.matmul(wg.swapaxes(1, 2), xm, out=scratch).reshape(cout, kh, kw, n, h, wd)
        pads = (padding[0], full[0] - padding[0] - ho, padding[1], full[1] - padding[1] - wo)
        out = _crop(col2im(cols, (n, cout, *full), stride, dilation), pads, (ho, wo))
        workspace.put(scratch)
        if b is not None:
            out = out + b.reshape(1, cout, 1, 1)
        ctx.xm, ctx.w, ctx.x_shape, ctx.full, ctx.pads = xm, w, x.shape, full, pads
        ctx.opts = (stride, dilation, groups)
        ctx.x_contig = x.flags.c_contiguous
        return out

    @staticmethod
    def backward(ctx, g):
        stride, dilation, groups = ctx.opts
        if xp_of(g) is not np:  # create_graph: the same products as differentiable convolutions
            x, w, *b = ctx.inputs
            h, wd = x.shape[2:]
            dx = dw = db = None
            if x.requires_grad:
                dx = Conv2d.apply(g, w, stride=stride, pads=ctx.pads, dilation=dilation, groups=groups)[:, :, :h, :wd]
            if w.requires_grad:
                dw = _correlate(g, x, w.shape[2:], stride, ctx.pads, dilation, groups)
            if b and b[0].requires_grad:
                db = g.sum((0, 2, 3))
            return dx, dw, db
        w, (n, cin, h, wd) = ctx.w, ctx.x_shape
        kh, kw = w.shape[2:]
        t, bt, l, r = ctx.pads
        gp = pad2d(g, (t, bt, l, r))
        scratch = workspace.get((w.shape[1] * groups, kh, kw, n, h, wd), g.dtype)
        gcols = im2col(gp, (kh, kw), stride, dilation, (h, wd), scratch)
        gcols = _grouped(gcols.reshape(w.shape[1] * groups * kh * kw, n * h * wd), groups)
        inputs = ctx.inputs
        dx = dw = db = None
        note_blas()
        if inputs[0].requires_grad:
            dx = np.matmul(w.reshape(groups, cin // groups, -1), gcols).reshape(cin, n, h, wd).swapaxes(0, 1)
            if ctx.x_contig:
                dx = np.ascontiguousarray(dx)
        if inputs[1].requires_grad:
            dw = np.matmul(ctx.xm, gcols.swapaxes(1, 2)).reshape(w.shape)
        if len(inputs) > 2 and inputs[2].requires_grad:
            db = g.sum(axis=(0, 2, 3))
        workspace.put(scratch)
        return dx, dw, db


# ---- pooling -----------------------------------------------------------------------------------
def pool_pads(in_hw, kernel, stride, padding, dilation, out_hw):
    """(top, bottom, left, right) so that every window of the output lies inside the padded input.

    Bottom/right may exceed ``padding`` in ceil mode, where the last window overhangs.
    """
    pads = []
    for n, k, s, p, d, o in zip(in_hw, kernel, stride, padding, dilation, out_hw):
        need = (o - 1) * s + d * (k - 1) + 1
        pads += [p, max(need - n - p, 0)]
    return tuple(pads)


def _like_layout(g: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``g`` stored in ``like``'s memory order (channel-major or not), so element-wise ops stream."""
    cm = _channel_major(like)
    if cm and not _channel_major(g):
        return np.ascontiguousarray(g.swapaxes(0, 1)).swapaxes(0, 1)
    if not cm and like.flags.c_contiguous and not g.flags.c_contiguous:
        return np.ascontiguousarray(g)
    return g


def _window_slices(xp, kernel, stride, dilation, out_hw):
    kh, kw = kernel
    return [xp[_offset_slice(k // kw, k % kw, stride, dilation, out_hw)] for k in range(kh * kw)]


def _first_max_offsets(x, xp, pads, kernel, stride, dilation, out_hw, m) -> np.ndarray:
    """uint8 offset of each window's winner by torch's rule: starting from the window's first in-bounds
    element, a later one wins when it is greater or NaN (``val > max || isnan(val)``), so the first maximum
    wins, the last NaN wins over everything, and the padding never wins (``xp``: ``x`` padded by ``pads``;
    ``m``: the windows' maxima, for the layout)."""
    slices = _window_slices(xp, kernel, stride, dilation, out_hw)
    inside = _window_slices(pad2d(np.ones(x.shape, bool), pads, False), kernel, stride, dilation, out_hw)
    arg = np.zeros_like(m, dtype=np.uint8)
    best = np.copy(slices[0], order="K")
    seen = np.copy(inside[0], order="K")
    for k, (v, ok) in enumerate(zip(slices[1:], inside[1:]), 1):
        upd = ok & (~seen | (v > best) | (v != v))
        np.copyto(best, v, where=upd)
        np.copyto(arg, k, where=upd)
        seen |= ok
    return arg


class MaxPool2d(Op):
    """out[n,c,y,x] = max_{i,j} xpad[n, c, y·sh + i·dh, x·sw + j·dw] (padding is −∞; NaN propagates).

    The forward is kh·kw element-wise maxima over strided slices. The backward finds each window's
    winner (the first maximum, as torch) by comparing the slices with the saved output and adds g
    there; windows holding NaN use the saved arg-max offsets instead. With numba (the ``fast``
    extra) and a float input, each direction is one pass instead (_conv_kernels.py).
    """

    @staticmethod
    def forward(ctx, x, *, kernel, stride, padding, dilation, out_hw, box=None):
        pads = pool_pads(x.shape[2:], kernel, stride, padding, dilation, out_hw)
        fused = _conv_kernels.pool_kernels(kernel, stride, dilation, x.dtype)
        ctx.fused = fused
        if fused is not None:
            return MaxPool2d._fused_forward(ctx, fused[0], x, pads, kernel, stride, dilation, out_hw, box)
        lowest = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        xp = pad2d(x, pads, lowest)
        slices = _window_slices(xp, kernel, stride, dilation, out_hw)
        m = np.copy(slices[0], order="K")
        for v in slices[1:]:
            np.maximum(m, v, out=m)
        arg = None
        # the winners must be found here when asked for, where NaN won, or where a window is all `lowest` and
        # holds padding (the backward's first-match rule would route its gradient into the padding)
        if box is not None or (x.dtype.kind == "f" and np.isnan(m).any()) or (any(pads) and (m == lowest).any()):
            arg = _first_max_offsets(x, xp, pads, kernel, stride, dilation, out_hw, m)
            if box is not None:
                box["arg"] = arg
        ctx.xp, ctx.m, ctx.arg, ctx.pads, ctx.x_hw = xp, m, arg, pads, x.shape[2:]
        ctx.opts = (kernel, stride, dilation, out_hw)
        ctx.contig = x.flags.c_contiguous
        return m

    @staticmethod
    def _fused_forward(ctx, kernel_fn, x, pads, kernel, stride, dilation, out_hw, box):
        """The numba path (_conv_kernels.py) over the padded input's planes in memory order."""
        xp = pad2d(x, pads, -np.inf)
        cm = _channel_major(xp)
        base = xp.swapaxes(0, 1) if cm else np.ascontiguousarray(xp)  # C-contiguous, planes in memory order
        m = np.empty((*base.shape[:2], *out_hw), x.dtype)
        arg = np.empty(m.shape, np.uint8)
        kernel_fn(base, m, arg)
        if cm:
            m, arg = m.swapaxes(0, 1), arg.swapaxes(0, 1)
        if any(pads) and (m == -np.inf).any():  # a window of -inf may have picked its padding: torch's rule
            arg[...] = _first_max_offsets(x, xp, pads, kernel, stride, dilation, out_hw, m)
        if box is not None:
            box["arg"] = arg
        ctx.arg, ctx.cm, ctx.xp_shape, ctx.pads, ctx.x_hw = arg, cm, xp.shape, pads, x.shape[2:]
        ctx.opts = (kernel, stride, dilation, out_hw)
        ctx.contig = x.flags.c_contiguous
        return m

    @staticmethod
    def _fused_backward(ctx, kernel_fn, g):
        order = (lambda a: a.swapaxes(0, 1)) if ctx.cm else (lambda a: a)  # logical <-> memory order of planes
        n, c, *hw = ctx.xp_shape
        dxp = np.empty((c, n, *hw) if ctx.cm else (n, c, *hw), g.dtype)  # zeroed by the kernel
        kernel_fn(np.ascontiguousarray(order(g)), np.ascontiguousarray(order(ctx.arg)), dxp)
        dx = _crop(order(dxp), ctx.pads, ctx.x_hw)
        return np.ascontiguousarray(dx) if ctx.contig else dx

    @staticmethod
    def backward(ctx, g):
        """dx = g added at each window's winner (linear in g; the winners are piecewise constant): on arrays by the
        kernels below, on Tensors (create_graph) as a recorded scatter_add (``_max_pool_grad``)."""
        kernel, stride, dilation, out_hw = ctx.opts
        if xp_of(g) is not np:
            return _max_pool_grad(ctx, g)
        if ctx.fused is not None:
            return MaxPool2d._fused_backward(ctx, ctx.fused[1], g)
        xp, m, arg = ctx.xp, ctx.m, ctx.arg
        g = _like_layout(g, m)
        overlap = stride[0] < dilation[0] * (kernel[0] - 1) + 1 or stride[1] < dilation[1] * (kernel[1] - 1) + 1
        # windows that tile the padded input exactly write every element once: no zero fill needed
        tiles = not overlap and dilation == (1, 1) and stride == kernel and all(
            n == o * k for n, o, k in zip(xp.shape[2:], out_hw, kernel))
        cm = _channel_major(xp)
        if tiles:
            shape = xp.shape
            dxp = np.empty((shape[1], shape[0], *shape[2:]), g.dtype).swapaxes(0, 1) if cm else np.empty(shape, g.dtype)
        else:
            dxp = _empty_like_layout(xp.shape, g.dtype, cm)
        rest = None  # windows whose winner is not found yet
        for k, v in enumerate(_window_slices(xp, kernel, stride, dilation, out_hw)):
            if arg is not None:
                sel = arg == k
            else:  # the first offset holding the maximum wins (torch's tie rule)
                sel = v == m
                if rest is None:
                    rest = ~sel
                else:
                    sel &= rest
                    rest ^= sel
            view = dxp[_offset_slice(k // kernel[1], k % kernel[1], stride, dilation, out_hw)]
            if overlap:
                view += g * sel
            else:  # each input element is read by one offset only: write, don't add
                np.multiply(g, sel, out=view)
        dx = _crop(dxp, ctx.pads, ctx.x_hw)
        return np.ascontiguousarray(dx) if ctx.contig else dx


def _max_pool_grad(ctx, g):
    """MaxPool2d's dx on Tensors: g scatter-added into each (H·W) plane at the flat index of its window's winner."""
    kernel, stride, dilation, out_hw = ctx.opts
    x = ctx.inputs[0]
    n, c, h, wd = x.shape
    arg = ctx.arg
    if arg is None:  # the NumPy path finds the winners in its backward: find them now
        xd = x._data
        xpad = pad2d(xd, ctx.pads, -np.inf if xd.dtype.kind == "f" else np.iinfo(xd.dtype).min)
        arg = _first_max_offsets(xd, xpad, ctx.pads, kernel, stride, dilation, out_hw, g._data)
    flat = max_indices(np.asarray(arg), (h, wd), kernel, stride, (ctx.pads[0], ctx.pads[2]), dilation)
    xp = xp_of(g)
    plane = xp.asarray(np.zeros((n * c, h * wd), dtype_of(g)))
    return plane.scatter_add(1, xp.asarray(flat.reshape(n * c, -1), np.int64), g.reshape(n * c, -1)).reshape(n, c, h, wd)


def max_indices(arg, in_hw, kernel, stride, padding, dilation):
    """torch's return_indices: flat index y·W + x into each (H, W) input plane of every maximum."""
    ho, wo = arg.shape[2:]
    kw = kernel[1]
    i, j = arg // kw, arg % kw
    rows = np.arange(ho).reshape(-1, 1) * stride[0] - padding[0] + i.astype(np.int64) * dilation[0]
    cols = np.arange(wo) * stride[1] - padding[1] + j.astype(np.int64) * dilation[1]
    return rows * in_hw[1] + cols


def _avg_divisor(in_hw, kernel, stride, padding, out_hw, count_include_pad, divisor_override, dtype):
    """torch's avg_pool divisor per output element, (Ho, Wo): window area clipped to input+padding
    (count_include_pad) or to the input, or ``divisor_override``."""
    if divisor_override:
        return np.asarray(divisor_override, dtype)
    sizes = []
    for n, k, s, p, o in zip(in_hw, kernel, stride, padding, out_hw):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if count_include_pad:
            sizes.append(end - start)
        else:
            sizes.append(np.minimum(end, n) - np.maximum(start, 0))
    return (sizes[0].reshape(-1, 1) * sizes[1]).astype(dtype)


class AvgPool2d(Op):
    """out[n,c,y,x] = Σ_{i,j} xpad[n, c, y·sh + i, x·sw + j] / divisor[y, x] (zero padding).

    Backward: dx = the adjoint of the window sums applied to g / divisor (each window's share added back over it).
    """

    @staticmethod
    def forward(ctx, x, *, kernel, stride, padding, out_hw, count_include_pad, divisor_override):
        pads = pool_pads(x.shape[2:], kernel, stride, padding, (1, 1), out_hw)
        xp = pad2d(x, pads)
        kh, kw = kernel
        acc = None
        for k in range(kh * kw):
            v = xp[_offset_slice(k // kw, k % kw, stride, (1, 1), out_hw)]
            acc = v.copy() if acc is None else np.add(acc, v, out=acc)
        div = _avg_divisor(x.shape[2:], kernel, stride, padding, out_hw, count_include_pad, divisor_override, x.dtype)
        acc /= div
        ctx.div, ctx.xp_shape, ctx.pads, ctx.x_hw = div, xp.shape, pads, x.shape[2:]
        ctx.opts = (kernel, stride, out_hw)
        ctx.layout = (_channel_major(x), x.flags.c_contiguous)
        return acc

    @staticmethod
    def backward(ctx, g):
        kernel, stride, out_hw = ctx.opts
        kh, kw = kernel
        if xp_of(g) is not np:  # create_graph: the adjoint as a transposed convolution of each plane with ones
            n, c, hp, wp = ctx.xp_shape
            full = [(o - 1) * s + k for o, s, k in zip(out_hw, stride, kernel)]
            ones = xp_of(g).asarray(np.ones((1, 1, kh, kw), dtype_of(g)))
            dxp = ConvTranspose2d.apply((g / ctx.div).reshape(n * c, 1, *out_hw), ones, stride=stride, padding=(0, 0),
                                        output_padding=(hp - full[0], wp - full[1]), dilation=(1, 1), groups=1)
            return _crop(dxp.reshape(n, c, hp, wp), ctx.pads, ctx.x_hw)
        channel_major, contig = ctx.layout
        dxp = _empty_like_layout(ctx.xp_shape, g.dtype, channel_major)
        gd = g / ctx.div
        for k in range(kh * kw):
            dxp[_offset_slice(k // kw, k % kw, stride, (1, 1), out_hw)] += gd
        dx = _crop(dxp, ctx.pads, ctx.x_hw)
        return np.ascontiguousarray(dx) if contig else dx


# ---- separable linear maps over (H, W): adaptive average pooling, interpolation -------------------
class SpatialLinear(Op):
    """out = A_h · x · A_wᵀ over the last two axes, for fixed matrices A_h (Ho, H), A_w (Wo, W).

    Adaptive average pooling and nearest/linear interpolation are such maps (each output is a
    weighted sum over a rectangle of inputs, and the weights factor by axis). Backward:
    dx = A_hᵀ · g · A_w.
    """

    @staticmethod
    def forward(ctx, x, *, a_h, a_w):
        ctx.a_h, ctx.a_w = a_h, a_w
        return np.matmul(a_h, np.matmul(x, a_w.T))

    @staticmethod
    def backward(ctx, g):  # linear in g: under create_graph A_h and A_w are constants
        xp = xp_of(g)
        return xp.matmul(xp.matmul(xp.swapaxes(ctx.a_h, 0, 1), g), ctx.a_w)


class NearestGather(Op):
    """out[..., y, x] = x[..., rows[y], cols[x]]; backward sums g into the source positions
    (as one-hot matmuls: dx = R_hᵀ · g · R_w)."""

    @staticmethod
    def forward(ctx, x, *, rows, cols):
        ctx.rows, ctx.cols, ctx.hw = rows, cols, x.shape[-2:]
        return np.take(np.take(x, rows, axis=-2), cols, axis=-1)

    @staticmethod
    def backward(ctx, g):  # linear in g: R_h and R_w are constants
        (h, w), dt, xp = ctx.hw, dtype_of(g), xp_of(g)
        r_h = xp.asarray((np.arange(h)[:, None] == ctx.rows).astype(dt))  # R_hᵀ
        r_w = xp.asarray((ctx.cols[:, None] == np.arange(w)).astype(dt))
        return xp.matmul(xp.matmul(r_h, g), r_w)
