"""ember.optim: torch.optim's optimizers (one module per algorithm), learning-rate schedulers and SWA."""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW

from . import lr_scheduler, swa_utils  # noqa: E402  (they use the optimizers above)

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "lr_scheduler", "swa_utils"]
