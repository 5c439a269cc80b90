"""``DataParallel`` on the CPU: torch without CUDA runs the wrapped module as a plain forward; so does ember."""
from __future__ import annotations

from ..modules.module import Module


class DataParallel(Module):
    """Wrap ``module``; on the CPU (ember's device) ``forward`` calls it unchanged, as torch does without GPUs.

    Args:
        module: the model.
        device_ids, output_device, dim: accepted as torch's; there are no GPUs to split the batch over.

    Torch parity: ``.module``, ``device_ids == []`` and ``state_dict`` keys prefixed ``module.`` as torch's
    DataParallel on a machine without CUDA. Use DistributedDataParallel to train on several processes.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        d = self.__dict__
        d["device_ids"] = []
        d["output_device"] = None
        d["dim"] = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
