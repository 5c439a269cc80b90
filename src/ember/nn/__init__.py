"""``ember.nn``: modules, parameters, layers, losses; ``nn.functional``, ``nn.init``, ``nn.utils``."""
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
from .modules import *  # noqa: F401,F403
from .modules import Module
from . import functional, init, parallel, utils  # noqa: E402
from .parallel import DataParallel  # noqa: E402  (torch.nn.DataParallel)
