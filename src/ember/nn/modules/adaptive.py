"""``AdaptiveLogSoftmaxWithLoss``: the adaptive softmax of Grave et al. (2017) for large vocabularies."""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ...autograd.ops.nn import log_softmax
from ...tensor import _wrap
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module
from ... import _errors

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax: the frequent classes [0, cutoffs[0]) and one token per tail cluster share the head
    softmax; a class c of cluster i (cutoffs[i−1] ≤ c < cutoffs[i]) has

        log p(c | x) = log softmax(head(x))[shortlist + i − 1] + log softmax(tailᵢ(x))[c − cutoffs[i−1]]

    where tailᵢ = Linear(in, in // div_valueⁱ) then Linear(·, cluster size), both without bias.

    forward(input (N, in) or (in), target (N) or ()) → named tuple (output = log p(target | x), loss = −mean output).
    log_prob(input) → (N, n_classes) log-probabilities; predict(input) → the most probable class per row.

    Torch parity: same arguments, errors, submodules (``head``, ``tail.i.0``, ``tail.i.1``), state_dict keys,
    initialisation (that of Linear), repr, and the forward / log_prob / predict values and gradients of
    torch.nn.AdaptiveLogSoftmaxWithLoss.
    Reference: E. Grave, A. Joulin, M. Cissé, D. Grangier, H. Jégou, "Efficient softmax approximation for GPUs",
    ICML 2017. https://arxiv.org/abs/1609.04309
    Example:  >>> nn.AdaptiveLogSoftmaxWithLoss(8, 20, [5, 10])(ember.randn(3, 8), ember.tensor([1, 7, 19])).loss
    """

    def __init__(self, in_features: int, n_classes: int, cutoffs, div_value: float = 4.0, head_bias: bool = False,
                 device=None, dtype=None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing order, "
                             "where each value is between 1 and n_classes-1")
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        kw = dict(device=device, dtype=dtype)
        self.head = Linear(in_features, self.head_size, bias=head_bias, **kw)
        self.tail = ModuleList(
            Sequential(Linear(in_features, int(in_features // div_value ** (i + 1)), bias=False, **kw),
                       Linear(int(in_features // div_value ** (i + 1)), self.cutoffs[i + 1] - self.cutoffs[i],
                              bias=False, **kw))
            for i in range(self.n_clusters))

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input_, target_):
        t_dim = target_.dim()
        if t_dim == 1:
            if input_.shape[0] != target_.shape[0]:
                raise RuntimeError("Input and target should have the same size in the batch dimension.")
            if input_.dim() != 2:
                raise RuntimeError("1D target tensor expects 2D input tensors, but found inputs with size "
                                   f"{input_.size()}")
        elif t_dim == 0:
            if input_.dim() != 1:
                raise RuntimeError("0D target tensor expects 1D input tensors, but found inputs with size "
                                   f"{input_.size()}")
        else:
            raise _errors.multi_target()
        x = input_ if t_dim else input_.unsqueeze(0)
        t = target_._data.reshape(-1)
        cluster = np.searchsorted(np.asarray(self.cutoffs), t, side="right")  # 0: shortlist, i: tail cluster i
        if t.size and (t.min() < 0 or t.max() >= self.n_classes):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{t.min()}, {t.max()}] were found. ")
        head_index = np.where(cluster == 0, t, self.shortlist_size + cluster - 1)
        output = log_softmax(self.head(x), 1).gather(1, _wrap(head_index[:, None]))[:, 0]
        for i in range(1, self.n_clusters + 1):
            rows = np.nonzero(cluster == i)[0]
            if rows.size:
                local = log_softmax(self.tail[i - 1](x[_wrap(rows)]), 1)
                picked = local.gather(1, _wrap((t[rows] - self.cutoffs[i - 1])[:, None]))[:, 0]
                output = output.index_add(0, _wrap(rows), picked)
        loss = (-output).mean()
        return _ASMoutput(output if t_dim else output[0], loss)

    def _full_log_prob(self, input, head_output):
        """log p(c | x) for every class: the shortlist's head log-probabilities, then each cluster's."""
        head_lp = log_softmax(head_output, 1)
        parts = [head_lp[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster = self.shortlist_size + i  # (the head's token for tail cluster i)
            parts.append(log_softmax(self.tail[i](input), 1) + head_lp[:, cluster:cluster + 1])
        from ...autograd.ops.shape import cat

        return cat(parts, 1)

    def log_prob(self, input):
        """(N, n_classes) log-probabilities of every class."""
        return self._full_log_prob(input, self.head(input))

    def predict(self, input):
        """The most probable class per row, = log_prob(input).argmax(1) (the tails run only for rows whose head
        argmax is a cluster token)."""
        head_output = self.head(input)
        out = head_output.argmax(1)
        outside = out._data >= self.shortlist_size
        if not outside.any():
            return out
        rows = _wrap(np.nonzero(outside)[0])
        best = self._full_log_prob(input[rows], head_output[rows]).argmax(1)
        result = out._data.copy()
        result[outside] = best._data
        return _wrap(result)
