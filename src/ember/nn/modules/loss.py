"""Loss modules: each stores its options and calls its ``nn.functional`` form (the single implementation, with the
formula, reduction rules and torch-parity notes in its docstring: ``ember/nn/_functional/loss.py``).

Torch parity: same class names, constructor signatures and defaults, ``reduction`` attribute (the deprecated
``size_average``/``reduce`` arguments are mapped to it at construction, as torch), class weights registered as
the buffer ``weight`` (and ``pos_weight`` for BCEWithLogitsLoss), so ``state_dict`` keys match torch's.
"""
from __future__ import annotations

from ... import _errors
from .._functional import ctc, loss as F, margin_loss
from .module import Module

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CTCLoss",
    "CosineEmbeddingLoss",
    "CrossEntropyLoss",
    "GaussianNLLLoss",
    "HingeEmbeddingLoss",
    "HuberLoss",
    "KLDivLoss",
    "L1Loss",
    "MSELoss",
    "MarginRankingLoss",
    "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "NLLLoss",
    "PoissonNLLLoss",
    "SmoothL1Loss",
    "SoftMarginLoss",
    "TripletMarginLoss",
    "TripletMarginWithDistanceLoss",
]


class _Loss(Module):
    """Base of the losses: resolves ``reduction`` (legacy ``size_average``/``reduce`` override it)."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = F._reduction(size_average, reduce, "mean")
        self.reduction = reduction


class _WeightedLoss(_Loss):
    """A loss with an optional per-class ``weight``, kept as a buffer (moves with ``.to()``, saved in state_dict)."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", None if weight is None else F._t(weight))


class L1Loss(_Loss):
    """Mean absolute error ℓ = |x − y|; see ``ember.nn.functional.l1_loss``."""

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error ℓ = (x − y)²; see ``ember.nn.functional.mse_loss``.

    Example:  >>> nn.MSELoss()(ember.randn(3), ember.randn(3))
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood ℓᵢ = −w[tᵢ]·x[i, tᵢ] of log-probabilities; see ``ember.nn.functional.nll_loss``."""

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy of logits and class indices or probabilities, with class weights, ignore_index and label
    smoothing; see ``ember.nn.functional.cross_entropy`` for the formula and reduction rules.

    Example:  >>> nn.CrossEntropyLoss(label_smoothing=0.1)(ember.randn(4, 3), ember.tensor([0, 2, 1, 0]))
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities, logs clamped at −100; see ``ember.nn.functional.binary_cross_entropy``."""

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross entropy in one stable formula, with ``weight`` and ``pos_weight``;
    see ``ember.nn.functional.binary_cross_entropy_with_logits``."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean", pos_weight=None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", None if weight is None else F._t(weight))
        self.register_buffer("pos_weight", None if pos_weight is None else F._t(pos_weight))

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, pos_weight=self.pos_weight,
                                                  reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """ℓ = 0.5·z²/β if z < β else z − 0.5·β, z = |x − y|; see ``ember.nn.functional.smooth_l1_loss``."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """ℓ = 0.5·z² if z < δ else δ·(z − 0.5·δ), z = |x − y|; see ``ember.nn.functional.huber_loss``."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(_Loss):
    """KL divergence ℓ = y·(log y − x) of log-probability inputs (reduction may be 'batchmean');
    see ``ember.nn.functional.kl_div``."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood ℓ = eˣ − y·x (log_input) or x − y·log(x + eps);
    see ``ember.nn.functional.poisson_nll_loss``."""

    def __init__(self, log_input: bool = True, full: bool = False, size_average=None, eps: float = 1e-8, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full, eps=self.eps,
                                  reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood ℓ = 0.5·(log var + (x − y)²/var); see ``ember.nn.functional.gaussian_nll_loss``."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(None, None, reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps, reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """ℓ = x if y = 1, max(0, margin − x) if y = −1; see ``ember.nn.functional.hinge_embedding_loss``."""

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """ℓ = log(1 + exp(−y·x)); see ``ember.nn.functional.soft_margin_loss``."""

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """One-versus-all logistic loss averaged over labels; see ``ember.nn.functional.multilabel_soft_margin_loss``."""

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight, reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """ℓ = 1 − cos(x₁, x₂) if y = 1, max(0, cos − margin) if y = −1; see ``ember.nn.functional.cosine_embedding_loss``."""

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """ℓ = max(0, −y·(x₁ − x₂) + margin); see ``ember.nn.functional.margin_ranking_loss``."""

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss (1/C)·Σ_{j≠y} w[y]·max(0, margin − x_y + x_j)ᵖ; see
    ``ember.nn.functional.multi_margin_loss``."""

    def __init__(self, p: int = 1, margin: float = 1.0, weight=None, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p != 1 and p != 2:
            raise _errors.margin_p()
        if weight is not None and F._t(weight)._data.ndim != 1:
            raise ValueError(f"MultiMarginLoss: expected weight to be None or 1D tensor, got {F._t(weight)._data.ndim}D instead")
        self.p, self.margin = p, margin

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin, weight=self.weight,
                                   reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """ℓ = max(0, margin + ‖a − p‖ − ‖a − n‖) (p-norm, optional distance swap); see
    ``ember.nn.functional.triplet_margin_loss``."""

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False, size_average=None,
                 reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p, eps=self.eps,
                                     swap=self.swap, reduction=self.reduction)


class CTCLoss(_Loss):
    """Connectionist temporal classification loss of log_probs (T, N, C) and unaligned targets; see
    ``ember.nn.functional.ctc_loss`` for the recursion, the reductions and the gradient.

    Torch parity: same arguments, defaults, repr (no extra_repr) and empty state_dict as torch.nn.CTCLoss.
    Reference: Graves et al., "Connectionist Temporal Classification", ICML 2006.
    Example:  >>> nn.CTCLoss()(ember.randn(5, 2, 4).log_softmax(2), ember.tensor([[1, 2], [3, 3]]), [5, 5], [2, 1])
    """

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return ctc.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                            self.zero_infinity)


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge loss Σⱼ Σ_{i ∉ labels} max(0, 1 − (x[yⱼ] − x[i])) / C, labels padded with −1; see
    ``ember.nn.functional.multilabel_margin_loss``.

    Torch parity: same arguments, defaults and repr as torch.nn.MultiLabelMarginLoss.
    Example:  >>> nn.MultiLabelMarginLoss()(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([[3, 0, -1, 1]]))
    """

    def forward(self, input, target):
        return margin_loss.multilabel_margin_loss(input, target, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """ℓ = max(0, margin + d(a, p) − d(a, n)) for a distance d (default ``nn.PairwiseDistance()``, then a submodule,
    as torch's); see ``ember.nn.functional.triplet_margin_with_distance_loss``.

    Torch parity: same keyword-only arguments, defaults, errors and repr as torch.nn.TripletMarginWithDistanceLoss.
    Reference: Balntas et al., BMVC 2016.
    Example:  >>> nn.TripletMarginWithDistanceLoss(margin=0.5)(ember.randn(4, 3), ember.randn(4, 3), ember.randn(4, 3))
    """

    def __init__(self, *, distance_function=None, margin: float = 1.0, swap: bool = False,
                 reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} instead")
        from .distance import PairwiseDistance

        self.distance_function = distance_function if distance_function is not None else PairwiseDistance()
        self.margin, self.swap = margin, swap

    def forward(self, anchor, positive, negative):
        return margin_loss.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function, margin=self.margin, swap=self.swap,
            reduction=self.reduction)
