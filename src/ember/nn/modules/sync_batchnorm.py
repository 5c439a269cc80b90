"""``SyncBatchNorm``: batch normalisation whose batch statistics span every rank of a process group."""
from __future__ import annotations

import numpy as np

from ...autograd.function import Op
from ...tensor import _wrap
from .._functional import normalization as F
from .normalization import _BatchNorm

__all__ = ["SyncBatchNorm"]


def _sum_over_ranks(group, *arrays):
    """Element-wise sums over the ranks of ``group`` of a few float64 arrays, in one all-reduce."""
    from ... import distributed as dist

    flat = np.concatenate([np.ravel(a).astype(np.float64) for a in arrays])
    dist.all_reduce(_wrap(flat), group=group)
    out, pos = [], 0
    for a in arrays:
        out.append(flat[pos:pos + np.size(a)].reshape(np.shape(a)))
        pos += np.size(a)
    return out


class SyncNormalize(Op):
    """x̂ = (x − μ) / √(σ² + ε) with μ, σ² (biased) over ``axes`` of the inputs of *all* ranks (M values):

        μ = Σᵣ Σ x / M,   σ² = Σᵣ Σ (x − μ)² / M      (two all-reduces of per-channel sums)

    and the backward of batch normalisation with the same global means:

        dx = (g − Σᵣ Σ g / M − x̂ · Σᵣ Σ g·x̂ / M) / √(σ² + ε)     (one all-reduce)
    """

    once_differentiable = True  # its backward reads arrays only: create_graph raises (issue #12)

    @staticmethod
    def forward(ctx, x, *, axes, eps, group, stats):
        local = np.array(x.size // x.shape[1], np.float64)
        count, total = _sum_over_ranks(group, local, x.sum(axis=axes, keepdims=True, dtype=np.float64))
        mean = (total / count).astype(x.dtype)
        xc = x - mean
        (sq,) = _sum_over_ranks(group, np.square(xc).sum(axis=axes, keepdims=True, dtype=np.float64))
        var = sq / count
        invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
        xhat = xc * invstd
        stats["mean"], stats["var"], stats["count"] = mean, var, float(count)
        ctx.xhat, ctx.invstd, ctx.axes, ctx.group, ctx.count = xhat, invstd, axes, group, float(count)
        return xhat

    @staticmethod
    def backward(ctx, g):
        xhat, axes = ctx.xhat, ctx.axes
        sg, sgx = _sum_over_ranks(ctx.group, g.sum(axis=axes, keepdims=True, dtype=np.float64),
                                  (g * xhat).sum(axis=axes, keepdims=True, dtype=np.float64))
        gm, gxm = (sg / ctx.count).astype(g.dtype), (sgx / ctx.count).astype(g.dtype)
        return (g - gm - xhat * gxm) * ctx.invstd


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation over (N, C, *) whose mean and variance are those of the whole global batch: the
    per-channel sums of every rank of ``process_group`` are all-reduced in forward, and the gradient sums in
    backward (the formulas are ``SyncNormalize``'s). Without an initialized process group, with one rank, or in
    eval mode it is ``BatchNorm``.

    Args:
        num_features, eps, momentum, affine, track_running_stats, device, dtype: as ``BatchNorm2d``.
        process_group: the ranks to synchronise over. Default: the world.

    Torch parity: same arguments, state_dict keys, running-statistics update (the unbiased variance uses the
    global count) and ``convert_sync_batchnorm`` as torch.nn.SyncBatchNorm; on one process it equals
    BatchNorm (tests/nn/test_sync_batchnorm.py), over ranks the batch-norm of the concatenated batch
    (tests/distributed/workers/syncbn.py).
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def _group(self):
        from ... import distributed as dist

        if not (self.training and dist.is_available() and dist.is_initialized()):
            return None
        group = self.process_group if self.process_group is not None else dist.group.WORLD
        return group if dist.get_world_size(group) > 1 else None

    def forward(self, input):
        group = self._group()
        if group is None:
            return super().forward(input)
        self._check_input_dim(input)
        x = input._data
        c = x.shape[1]
        factor = self.momentum
        if self.track_running_stats:
            self.num_batches_tracked._data += 1
            if factor is None:  # cumulative moving average, as BatchNorm
                factor = 1.0 / float(self.num_batches_tracked._data)
        axes = (0,) + tuple(range(2, x.ndim))
        stats = {}
        y = SyncNormalize.apply(input, axes=axes, eps=self.eps, group=group, stats=stats)
        if self.track_running_stats:
            m = stats["count"]
            if m <= 1:
                raise ValueError(f"Expected more than 1 value per channel when training, got {int(m)} over all ranks")
            rm, rv = self.running_mean._data, self.running_var._data
            rm *= 1 - factor
            rm += (factor * stats["mean"].reshape(c)).astype(rm.dtype, copy=False)
            rv *= 1 - factor
            rv += (factor * stats["var"].reshape(c) * (m / (m - 1))).astype(rv.dtype, copy=False)
        return F._affine(y, self.weight, self.bias, (1, c) + (1,) * (x.ndim - 2))

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm*d layer replaced by a SyncBatchNorm that shares its parameters and
        running statistics (the module itself is returned when it is such a layer)."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats,
                      process_group)
            d = out.__dict__
            d["_parameters"] = dict(module._parameters)
            d["_buffers"] = dict(module._buffers)
            out.training = module.training
        for name, child in list(module._modules.items()):
            if child is not None:
                new = cls.convert_sync_batchnorm(child, process_group)
                if new is not child:
                    module._modules[name] = new
        if out is not module:
            out.__dict__["_modules"] = module._modules
        return out
