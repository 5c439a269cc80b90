"""``ember.nn.parallel``: ``DistributedDataParallel`` over MPI ranks and the single-device ``DataParallel``."""
from .data_parallel import DataParallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
