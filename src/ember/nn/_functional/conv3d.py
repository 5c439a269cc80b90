"""3-d convolutions: ``conv3d``, ``conv_transpose3d``, on one primitive, ``Conv3d`` (im2col + one GEMM per group).

``Conv3d`` gathers the patches of the padded input with one strided view and one copy (split over the input
channels on ember's threads, as its backward's col2im adds) into a matrix
cols (C·kd·kh·kw, N·Do·Ho·Wo) and multiplies it by W (C_out, C·kd·kh·kw); its backward is dW = g·colsᵀ,
db = Σ g and dx = col2im(Wᵀ·g) (kd·kh·kw strided adds over whole arrays). With stride 1 the columns are
instead contiguous runs of each sample's flattened padded volume (``_flat_taps``): a memcpy per tap and a
contiguous add per tap in col2im, for about (Hp·Wp)/(Ho·Wo) − 1 more GEMM columns (those in the padding,
dropped from the output and zero in g). Its second derivatives come from
``Conv3d.composite``, the same convolution as a sum over the kd depth taps of conv2d on depth slices,

    out[n, o, z] = b[o] + Σ_i conv2d(xpad[n, :, z·s_d + i·d_d], W[:, :, i])[o],

each slice batch being (N·D_out, C, H, W) (the forward before ``Conv3d``, measured 1.1-1.2× torch's
time by bench_layers.py on 2 threads); conv_transpose3d is conv3d of the input with s − 1 zeros inserted
between its elements, padded by d·(k − 1) − p (+ output_padding at the end), with the kernel's in/out channels
swapped per group and its taps flipped (Dumoulin & Visin, "A guide to convolution arithmetic for deep learning",
2016, https://arxiv.org/abs/1603.07285).
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ... import _errors
from ..._threads import copy_rows, note_blas, row_blocks
from ...autograd.function import Op
from ...autograd.grad_mode import is_grad_enabled
from ...autograd.ops.conv import _grouped, _weight_grad, workspace
from .conv import _batched, _check_conv, _check_geometry, _same_pads, _tuple, conv2d
from .padding import pad

__all__ = ["conv3d", "conv_transpose3d"]


def _conv3d_padded(x, weight, stride, dilation, groups, hw_pad):
    """conv3d of an already depth-padded (N, C, D, H, W) ``x``; ``hw_pad`` (ph, pw) is passed to conv2d."""
    n, c, d = x.shape[:3]
    kd = weight.shape[2]
    (sd, sh, sw), (dd, dh, dw) = stride, dilation
    d_out = (d - dd * (kd - 1) - 1) // sd + 1
    y = None
    for i in range(kd):
        xi = x[:, :, i * dd: i * dd + (d_out - 1) * sd + 1: sd]
        xi = xi.transpose(1, 2).reshape(n * d_out, c, *x.shape[3:])
        yi = conv2d(xi, weight[:, :, i], None, (sh, sw), hw_pad, (dh, dw), groups)
        y = yi if y is None else y + yi
    return y.reshape(n, d_out, *y.shape[1:]).transpose(1, 2)


def _padded(x, pads):
    """Copy of (N, C, D, H, W) ``x`` with ``pads`` = (d_lo, d_hi, h_lo, h_hi, w_lo, w_hi) zeros (x itself if none)."""
    if not any(pads):
        return x
    n, c, d, h, w = x.shape
    out = np.zeros((n, c, d + pads[0] + pads[1], h + pads[2] + pads[3], w + pads[4] + pads[5]), x.dtype)
    out[:, :, pads[0]: pads[0] + d, pads[2]: pads[2] + h, pads[4]: pads[4] + w] = x
    return out


def _tap(i, j, k, stride, dilation, out_sp):
    """The (…, Do, Ho, Wo) strided slice of the padded input that kernel tap (i, j, k) reads."""
    return (slice(None), slice(None)) + tuple(
        slice(t * dl, t * dl + (o - 1) * s + 1, s) for t, s, dl, o in zip((i, j, k), stride, dilation, out_sp))


def _flat_offsets(kernel, dilation, hw):
    """Where each kernel tap (i, j, k), in order, starts in a flattened padded volume of height and width ``hw``."""
    (kd, kh, kw), (dd, dh, dw), (hp, wp) = kernel, dilation, hw
    return [i * dd * hp * wp + j * dh * wp + k * dw for i in range(kd) for j in range(kh) for k in range(kw)]


def _flat_taps(xp, kernel, dilation, out_sp):
    """Stride-1 patches as contiguous runs: with each sample's padded volume flattened, tap (i, j, k) reads the
    ``span`` = (Do − 1)·Hp·Wp + (Ho − 1)·Wp + Wo elements from its offset (``_flat_offsets``) on; output
    (z, y, x) is column z·Hp·Wp + y·Wp + x of them (``_flat_outputs``), the other columns fall in the padding.
    Returns the (C, kd, kh, kw, N, span) view and span."""
    n, c = xp.shape[:2]
    hp, wp = xp.shape[3:]
    span = (out_sp[0] - 1) * hp * wp + (out_sp[1] - 1) * wp + out_sp[2]
    flat = xp if xp.flags.c_contiguous else np.ascontiguousarray(xp)
    st, item = flat.strides, flat.itemsize
    taps = tuple(dl * a for dl, a in zip(dilation, (hp * wp * item, wp * item, item)))
    return as_strided(flat, (c, *kernel, n, span), (st[1], *taps, st[0], item), writeable=False), span


def _flat_outputs(a, hw, out_sp):
    """The (…, Do, Ho, Wo) view of the outputs in (…, span) flat columns ``a`` (see ``_flat_taps``)."""
    hp, wp = hw
    item = a.itemsize
    return as_strided(a, (*a.shape[:-1], *out_sp), (*a.strides[:-1], hp * wp * item, wp * item, item))


class Conv3d(Op):
    """3-d cross-correlation: out = W ⋆ pad(x) + b, via cols[c, i, j, k, n, z, y, x] = xpad[n, c, z·s_d + i·d_d,
    y·s_h + j·d_h, x·s_w + k·d_w] and one matmul per group; the output is stored channel-major (C_out, N, ...), as
    Conv2d's (stride 1: z·Hp·Wp + y·Wp + x per sample in place of (z, y, x), ``_flat_taps``). Backward: dW = g·colsᵀ,
    db = Σ g, dx = col2im(Wᵀ·g). Options: stride, dilation (triples), pads
    (d_lo, d_hi, h_lo, h_hi, w_lo, w_hi), groups, recorded (False: no backward will read the patches).
    """

    @staticmethod
    def forward(ctx, x, w, b=None, *, stride, pads, dilation, groups, recorded=True):
        xp = _padded(x, pads)
        n, c = x.shape[:2]
        o, kernel = w.shape[0], w.shape[2:]
        out_sp = tuple((p - dl * (k - 1) - 1) // s + 1 for p, k, s, dl in zip(xp.shape[2:], kernel, stride, dilation))
        flat = stride == (1, 1, 1)
        if flat:
            view, span = _flat_taps(xp, kernel, dilation, out_sp)
        else:
            st = xp.strides
            view = as_strided(xp, (c, *kernel, n, *out_sp),
                              (st[1], *(a * dl for a, dl in zip(st[2:], dilation)), st[0],
                               *(a * s for a, s in zip(st[2:], stride))), writeable=False)
        kk, m = c * int(np.prod(kernel)), n * (span if flat else int(np.prod(out_sp)))
        buf = workspace.get((kk, m), x.dtype)
        copy_rows(buf.reshape(view.shape), view)  # (split over the input channels)
        cols = _grouped(buf, groups)
        note_blas()
        out = np.matmul(w.reshape(groups, o // groups, kk // groups), cols).reshape(o, m)
        if b is not None:
            out += b.reshape(o, 1)
        ctx.options = dict(stride=stride, pads=pads, dilation=dilation, groups=groups)
        if not recorded:
            workspace.put(buf)
        else:
            ctx.cols, ctx.buf, ctx.w, ctx.x_shape, ctx.xp_shape = cols, buf, w, x.shape, xp.shape
            ctx.x_contig, ctx.span = x.flags.c_contiguous, span if flat else None
        if flat:
            return _flat_outputs(out.reshape(o, n, span), xp.shape[3:], out_sp).swapaxes(0, 1)
        return out.reshape(o, n, *out_sp).swapaxes(0, 1)

    def _free(self):  # the graph is done with this node: its patch buffer can serve the next step
        workspace.put(self.__dict__.get("buf"))
        super()._free()

    @staticmethod
    def backward(ctx, g):
        """On arrays (first order; create_graph differentiates ``composite``)."""
        o = ctx.w.shape[0]
        stride, pads, dilation, groups = (ctx.options[k] for k in ("stride", "pads", "dilation", "groups"))
        n, c = ctx.x_shape[:2]
        out_sp = g.shape[2:]
        flat = stride == (1, 1, 1)
        if flat:  # g in the flat layout of the patches, zeros at the columns that fall in the padding
            span = ctx.span
            gflat = np.zeros((o, n, span), g.dtype)
            _flat_outputs(gflat, ctx.xp_shape[3:], out_sp)[...] = g.swapaxes(0, 1)
            g2 = _grouped(gflat.reshape(o, -1), groups)
        else:
            g2 = _grouped(g.swapaxes(0, 1).reshape(o, -1), groups)  # (G, O/G, N·Do·Ho·Wo); free when channel-major
        inputs = ctx.inputs
        note_blas()
        dw = _weight_grad(g2, ctx.cols).reshape(ctx.w.shape) if inputs[1].requires_grad else None
        db = g.sum(axis=(0, 2, 3, 4)) if len(inputs) > 2 and inputs[2].requires_grad else None
        dx = None
        if inputs[0].requires_grad:
            kernel = ctx.w.shape[2:]
            scratch = workspace.get(ctx.cols.shape, g.dtype)
            dcols = np.matmul(ctx.w.reshape(groups, o // groups, -1).swapaxes(1, 2), g2, out=scratch)
            dxp = np.empty((c, n, *ctx.xp_shape[2:]), g.dtype)  # channel-major: each tap adds whole (C, N, …) blocks
            if flat:
                dcols = dcols.reshape(c, int(np.prod(kernel)), n, span)
                dflat = dxp.reshape(c, n, int(np.prod(ctx.xp_shape[2:])))
                offsets = _flat_offsets(kernel, dilation, ctx.xp_shape[3:])

                def col2vol(rows):  # the input channels `rows` of dxp, taps added in order
                    d = dflat[rows]
                    d[...] = 0
                    for t, off in enumerate(offsets):
                        d[:, :, off: off + span] += dcols[rows, t]
            else:
                dcols = dcols.reshape(c, *kernel, n, *out_sp)

                def col2vol(rows):  # the input channels `rows` of dxp, taps added in order
                    d = dxp[rows]
                    d[...] = 0
                    for i in range(kernel[0]):
                        for j in range(kernel[1]):
                            for k in range(kernel[2]):
                                d[_tap(i, j, k, stride, dilation, out_sp)] += dcols[rows, i, j, k]

            row_blocks(col2vol, dcols)
            workspace.put(scratch)
            d, h, wd = ctx.x_shape[2:]
            dx = dxp[:, :, pads[0]: pads[0] + d, pads[2]: pads[2] + h, pads[4]: pads[4] + wd].swapaxes(0, 1)
            if ctx.x_contig:
                dx = np.ascontiguousarray(dx)
        return dx, dw, db

    @staticmethod
    def composite(x, w, b=None, *, stride, pads, dilation, groups):
        """The same convolution from differentiable primitives: conv2d per depth tap (``_conv3d_padded``)."""
        xpad = pad(x, (pads[4], pads[5], pads[2], pads[3], pads[0], pads[1])) if any(pads) else x
        y = _conv3d_padded(xpad, w, stride, dilation, groups, (0, 0))
        return y if b is None else y + b.reshape(1, -1, 1, 1, 1)


def _apply(x, weight, bias, stride, pads, dilation, groups):
    args = (x, weight) if bias is None else (x, weight, bias)
    recorded = is_grad_enabled() and any(t.requires_grad for t in args)
    return Conv3d.apply(*args, stride=tuple(stride), pads=tuple(pads), dilation=tuple(dilation), groups=groups,
                        recorded=recorded)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d cross-correlation over (N, C_in, D, H, W) with weight (C_out, C_in/groups, kd, kh, kw).

        out[n, o, z, y, x] = b[o] + Σ_{c,i,j,l} W[o, c, i, j, l] · xpad[n, g(o)·C_in/groups + c, z·s_d + i·d_d,
                                                                        y·s_h + j·d_h, x·s_w + l·d_w]

    Torch parity: same arguments, padding 'same'/'valid', values, gradients and errors as
    torch.nn.functional.conv3d."""
    input, unbatched = _batched(input, 3, "conv3d")
    _check_conv(input, weight, bias, groups, False, 3)
    stride, dilation = _tuple(stride, 3, "stride"), _tuple(dilation, 3, "dilation")
    kernel = weight.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            pads = [0] * 6
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise _errors.same_padding_strided()
            pads = _same_pads(kernel, dilation)
        else:
            raise _errors.padding_string(padding)
    else:
        pads = [p for v in _tuple(padding, 3, "padding") for p in (v, v)]
    _check_geometry(stride, dilation, pads)
    padded = [n + pads[2 * i] + pads[2 * i + 1] for i, n in enumerate(input.shape[2:])]
    eff = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if any(p < e for p, e in zip(padded, eff)):
        raise _errors.kernel_larger_than_input(padded, eff)
    if err := _errors.conv_kernel_size(kernel):
        raise err
    y = _apply(input, weight, bias, stride, pads, dilation, groups)
    return y.squeeze(0) if unbatched else y


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-d transposed convolution, the gradient of conv3d with respect to its input; weight
    (C_in, C_out/groups, kd, kh, kw); D_out = (D − 1)·s_d − 2p_d + d_d·(kd − 1) + output_padding_d + 1.

    Torch parity: same arguments, values, gradients and errors as torch.nn.functional.conv_transpose3d."""
    input, unbatched = _batched(input, 3, "conv_transpose3d")
    _check_conv(input, weight, bias, groups, True, 3)
    stride, dilation = _tuple(stride, 3, "stride"), _tuple(dilation, 3, "dilation")
    padding, output_padding = _tuple(padding, 3, "padding"), _tuple(output_padding, 3, "output_padding")
    _check_geometry(stride, dilation, padding)
    if any(p < 0 for p in output_padding):
        raise _errors.negative_output_padding()
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            dims = ("depth", "height", "width")
            parts = [f"output_padding_{n}: {v}" for n, v in zip(dims, output_padding)]
            parts += [f"stride_{n}: {v}" for n, v in zip(dims, stride)]
            parts += [f"dilation_{n}: {v}" for n, v in zip(dims, dilation)]
            raise RuntimeError("output padding must be smaller than either stride or dilation, but got " + " ".join(parts))
    kernel = weight.shape[2:]
    if 0 in kernel:  # (torch's check of the weight, conv_transpose3d's own wording)
        raise RuntimeError("non-empty 5D (n_output_plane x n_input_plane x kernel_depth x kernel_height x "
                           f"kernel_width) tensor expected for weight, but got: {list(weight.shape)}")
    out_sp = [(n - 1) * s - 2 * p + d * (k - 1) + op + 1
              for n, s, p, d, k, op in zip(input.shape[2:], stride, padding, dilation, kernel, output_padding)]
    if any(o <= 0 for o in out_sp):
        raise _errors.conv_output_too_small(" x ".join(map(str, input.shape[2:])), " x ".join(map(str, out_sp)))
    n, c, d, h, w = input.shape
    (sd, sh, sw) = stride
    x = input
    if sd > 1 or sh > 1 or sw > 1:  # s − 1 zeros after each element, then the trailing ones cut
        x = pad(x.reshape(n, c, d, 1, h, 1, w, 1), (0, sw - 1, 0, 0, 0, sh - 1, 0, 0, 0, sd - 1))
        x = x.reshape(n, c, d * sd, h * sh, w * sw)
    widths = []
    for axis in (2, 1, 0):  # F.pad's order: last dim first
        k, s, p, dl, op = kernel[axis], stride[axis], padding[axis], dilation[axis], output_padding[axis]
        lo = dl * (k - 1) - p
        widths += [lo, lo + op - (s - 1)]
    x = pad(x, tuple(widths))
    g = groups
    cin, cout_g = weight.shape[:2]
    wt = weight.reshape(g, cin // g, cout_g, *kernel).transpose(1, 2).reshape(g * cout_g, cin // g, *kernel)
    wt = wt.flip((2, 3, 4))
    y = _apply(x, wt, bias, (1, 1, 1), (0,) * 6, dilation, groups)
    return y.squeeze(0) if unbatched else y
