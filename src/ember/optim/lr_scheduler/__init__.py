"""Learning-rate schedulers, step for step identical to ``torch.optim.lr_scheduler``.

A scheduler rewrites ``group["lr"]`` of every param group of an optimizer each time its
``step()`` is called (once per epoch or per batch, after ``optimizer.step()``). Symbols used in
the formulas: t = ``last_epoch`` (number of ``step()`` calls so far), lr₀ = ``base_lrs[i]`` (the
group's ``initial_lr``), lrₜ = the group's lr after step t.

Most schedulers update in torch's *chainable* (recursive) form lrₜ = lrₜ₋₁ · rₜ, so that several
schedulers can drive one optimizer and a manual change of ``group["lr"]`` carries forward; the
closed form lrₜ = lr₀ · f(t) is used when ``step(epoch)`` is given an epoch (deprecated, as in
torch). Beyond torch: every scheduler has :meth:`LRScheduler.preview`, and :func:`preview_lr`
previews a schedule without any optimizer.
"""
from ._base import LRScheduler, preview_lr
from ._base import _LRScheduler as _LRScheduler  # torch < 2.0 name
from ._composite import ChainedScheduler, SequentialLR
from ._cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from ._cyclic import CyclicLR, OneCycleLR
from ._decay import (ConstantLR, ExponentialLR, LambdaLR, LinearLR, MultiplicativeLR, MultiStepLR, PolynomialLR,
                     StepLR)
from ._plateau import ReduceLROnPlateau

__all__ = [
    "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
    "ExponentialLR", "SequentialLR", "CosineAnnealingLR", "ChainedScheduler", "ReduceLROnPlateau",
    "CyclicLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "PolynomialLR", "LRScheduler",
    "preview_lr",
]

for _name in __all__ + ["_LRScheduler"]:           # public home, as torch.optim.lr_scheduler.StepLR
    globals()[_name].__module__ = __name__
del _name
