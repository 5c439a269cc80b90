"""ember.optim: torch.optim's optimizers (one module per algorithm), learning-rate schedulers and SWA.

Beyond torch: ``Lion`` and the ``Lookahead`` wrapper.
"""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from .adagrad import Adagrad
from .rmsprop import RMSprop
from .adadelta import Adadelta
from .adamax import Adamax
from .nadam import NAdam
from .radam import RAdam
from .rprop import Rprop
from .asgd import ASGD
from .lbfgs import LBFGS
from .lion import Lion
from .lookahead import Lookahead

from . import lr_scheduler, swa_utils  # noqa: E402  (they use the optimizers above)

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam",
           "Rprop", "ASGD", "LBFGS", "Lion", "Lookahead", "lr_scheduler", "swa_utils"]
