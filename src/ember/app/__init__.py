"""The ember application: the ``ember`` command (train / compare / plot / find-lr) and the
library functions behind it.

Library use:
    >>> from ember.app import find_lr, fit, load_config
    >>> summary = fit(load_config(sets=["train.epochs=5"]))      # same as `ember train --set train.epochs=5`
    >>> result = find_lr(model, loss_fn, optimizer, loader)           # Smith's lr range test
"""
from __future__ import annotations

from .cli import main
from .config import load as load_config
from .errors import UsageError
from .find_lr import LRFinderResult, find_lr


def fit(cfg=None, *, quiet=True):
    """Train with a config dict (default: the built-in recipe); return the run's summary dict."""
    from . import config as C
    from .report import Reporter
    from .train import start

    cfg = C.load() if cfg is None else cfg
    C.validate(cfg)
    _, summary = start(cfg, Reporter(quiet=quiet))
    return summary


__all__ = ["main", "fit", "load_config", "find_lr", "LRFinderResult", "UsageError"]
